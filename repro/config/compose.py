"""Compose run configs in-process (Hydra's compose API) for read-only planning and checks.

`repro run` and `repro sweep` execute through `@hydra.main`; planning a sweep and checking a
plugin only need the configs, many at once, without launching anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from repro.errors import UsageError


@contextmanager
def hydra_compose_session() -> Iterator[None]:
    """Initialise Hydra on repro's configs for the duration; Hydra errors become one line."""
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from repro.config.app import CONFIG_DIR, CONFIG_NAME
    from repro.config.overrides import (
        GROUP_VALUE_ERROR,
        config_keys,
        explain_group_value,
        explain_hydra_error,
    )

    GlobalHydra.instance().clear()
    _last_overrides.clear()
    try:
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3", job_name="repro"):
            yield
    except ValueError as error:  # Hydra's for `logger=null`, a group given no option name
        if GROUP_VALUE_ERROR not in str(error):
            raise
        GlobalHydra.instance().clear()
        raise UsageError(explain_group_value(CONFIG_DIR, _last_overrides)) from None
    except (HydraException, OmegaConfBaseException) as error:
        GlobalHydra.instance().clear()

        def known_keys(unknown: str) -> list[str]:  # of the failed config without that key
            rest = [o for o in _last_overrides if o.partition("=")[0].lstrip("+~") != unknown]
            return config_keys(CONFIG_DIR, CONFIG_NAME, rest)

        raise UsageError(explain_hydra_error(str(error), known_keys)) from None
    finally:
        GlobalHydra.instance().clear()


_last_overrides: list[str] = []  # of the latest compose, for a did-you-mean on its failure


def compose_config(overrides: list[str]) -> Any:
    """The composed, unresolved run config for `overrides`, open to merging (struct off).

    Call inside `hydra_compose_session()`.
    """
    from hydra import compose
    from omegaconf import OmegaConf

    from repro.config.app import CONFIG_NAME

    _last_overrides[:] = overrides
    cfg = compose(CONFIG_NAME, overrides=overrides)
    OmegaConf.set_struct(cfg, False)
    return cfg


def interpolation_problem(error: Exception) -> str:
    """One line for a `${...}` that cannot be resolved (a misspelt key, an unset variable),
    naming the key that holds it; OmegaConf's message spans three lines."""
    why = str(error).splitlines()[0].strip()
    key = getattr(error, "full_key", None) or "a config value"
    return f"{key}: {why} (fix the ${{...}} in settings.yaml, experiment/*.yaml or an override)"


def resolved_config(cfg: Any, experiment: str) -> dict[str, Any]:
    """`cfg` resolved to plain containers as a run of `experiment` would see it."""
    from omegaconf import OmegaConf
    from omegaconf.errors import InterpolationResolutionError

    cfg.experiment_name = experiment  # Hydra's runtime choices exist only under @hydra.main
    try:
        return OmegaConf.to_container(cfg, resolve=True)
    except InterpolationResolutionError as error:  # a sweep's plan: was an internal error
        raise UsageError(interpolation_problem(error)) from None


def compose_run_config(overrides: list[str], experiment: str) -> dict[str, Any]:
    """The resolved config `repro run <overrides> experiment=<experiment>` would train.

    Call inside `hydra_compose_session()`.
    """
    return resolved_config(compose_config([*overrides, f"experiment={experiment}"]), experiment)


DUPLICATE_KEY = "found duplicate key "  # PyYAML's problem, as OmegaConf's loader raises it


def malformed_yaml(error: BaseException) -> str | None:
    """`<file>: line N: malformed YAML (<what>)` when `error`, or what caused it, is a YAML
    syntax error with a position (a plugin's settings or experiment file); else None."""
    import yaml

    seen = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, yaml.MarkedYAMLError) and current.problem_mark is not None:
            problem = current.problem or ""
            if problem.startswith(DUPLICATE_KEY):  # where it is written again, not the mapping
                mark, key = current.problem_mark, problem.removeprefix(DUPLICATE_KEY)
                return f"{mark.name}: line {mark.line + 1}: key {key!r} written twice"
            # where the broken construct began (an unclosed `[`), else where parsing stopped
            mark = current.context_mark or current.problem_mark
            what = current.problem or current.context or "not valid YAML"
            tabs = ": indent with spaces, YAML allows no tabs" if "'\\t'" in what else ""
            return f"{mark.name}: line {mark.line + 1}: malformed YAML ({what}){tabs}"
        current = current.__cause__ or current.__context__
    return None
