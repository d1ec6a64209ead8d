"""Is a run at the paper's setting? What `repro run` says next to the claims when it is not.

The paper's setting of an experiment is the config `repro run paper=<id> experiment=<name>`
composes with no override (what the report judges: `build._paper_settings`). A run is at it
when its config hash is that config's hash. Composing costs a Hydra compose, so it is done only
when the command had an override that can change the hash: the paper, experiment and seed,
Hydra's and repro's wiring, and the keys the hash leaves out (loggers, paths, launchers,
progress, where the run executes) cannot.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from repro.records import store

NEUTRAL_NAMES = frozenset({"paper", "experiment", "seed"})
SHOWN_KEYS = 2  # differences named in a run's claim line; the rest are counted
LENGTH_KEYS = ("trainer.max_steps", "trainer.max_epochs")
"""How long a run trains: what a smoke or short run changes first, so named first."""


def setting_overrides(overrides: list[str]) -> list[str]:
    """The overrides of a command that may change the config hash."""
    kept = []
    for override in overrides:
        name = override.partition("=")[0].lstrip("+~")
        parts = [p for p in re.split(r"[./]", name) if p]
        if not parts or name in NEUTRAL_NAMES or parts[0] == "hydra":
            continue
        if parts[0] in store.NON_RESULT_KEYS or any(store.is_location_key(p) for p in parts):
            continue
        if len(parts) == 2 and parts[0] == "trainer" and parts[1] in store.EXECUTION_TRAINER_KEYS:
            continue
        kept.append(override)
    return kept


def task_overrides() -> list[str] | None:
    """The overrides of the Hydra job running now; None outside one."""
    try:
        from hydra.core.hydra_config import HydraConfig

        return list(HydraConfig.get().overrides.task)
    except Exception:  # not inside @hydra.main
        return None


def paper_setting_config(paper_dir: Path, paper_id: str, experiment: str) -> dict[str, Any]:
    """The resolved config of the paper's setting of `experiment`. Inside a Hydra job (the
    `repro run` that just trained) the job's own Hydra composes it, which it leaves as it was."""
    from hydra.core.global_hydra import GlobalHydra

    from repro.config.app import plugin_overrides
    from repro.config.compose import compose_run_config
    from repro.reporting.regenerate import default_containers

    if GlobalHydra.instance().is_initialized():
        overrides = [f"paper={paper_id}", *plugin_overrides(Path(paper_dir))]
        return compose_run_config(overrides, experiment)
    return default_containers(Path(paper_dir), paper_id, [experiment])[experiment]


def run_differences(
    config: dict[str, Any], overrides: list[str] | None = None
) -> tuple[tuple[str, Any, Any], ...] | None:
    """(key, this run's value, the paper's) for each key where a run's resolved config leaves
    its experiment's paper setting; () at the paper's setting; None when that cannot be told.
    `overrides`: the command's (None: the running Hydra job's, else unknown); without one that
    can change the hash nothing is composed."""
    from repro.records.table import flatten_config
    from repro.reporting.aggregate import _differences

    if overrides is None:
        overrides = task_overrides()
    if overrides is not None and not setting_overrides(overrides):
        return ()
    try:
        paper = paper_setting_config(
            Path(config["paper_dir"]), config["paper"], config["experiment_name"]
        )
    except Exception:  # a plugin whose config no longer composes: no claim to say it about
        return None
    if store.config_hash(paper) == store.config_hash(config):
        return ()
    differences = _differences(
        flatten_config(config, prefix="", lists_as_json=False),
        flatten_config(paper, prefix="", lists_as_json=False),
    )
    return differences or (("other keys", None, None),)


def deviation_text(
    differences: tuple[tuple[str, Any, Any], ...], overrides: list[str] | None = None
) -> str:
    """`trainer.max_steps=5, trainer.max_epochs=1 and 3 more (debug=fast)`: the keys the
    command named first, then how long it trained, the rest counted; a config group the
    command chose (`debug=fast`) is named as the cause."""
    from repro.reporting.aggregate import _plain

    chosen = setting_overrides(overrides or [])
    named = {o.partition("=")[0].lstrip("+~") for o in chosen}

    def rank(difference: tuple[str, Any, Any]) -> tuple[int, int, str]:
        key = difference[0]
        length = LENGTH_KEYS.index(key) if key in LENGTH_KEYS else len(LENGTH_KEYS)
        return (key not in named, length, key)

    ordered = sorted(differences, key=rank)
    shown = ", ".join(
        key if key == "other keys" else f"{key}={_plain(value)}"
        for key, value, _ in ordered[:SHOWN_KEYS]
    )
    if len(ordered) > SHOWN_KEYS:
        shown += f" and {len(ordered) - SHOWN_KEYS} more"
    keys = {key for key, _, _ in differences}
    groups = [  # `debug=fast`: a config group, not a key
        o
        for o in chosen
        if "." not in (name := o.partition("=")[0].lstrip("+~")) and name not in keys
    ]
    return shown + (f" ({' '.join(groups)})" if groups else "")
