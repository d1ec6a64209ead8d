"""Where Hydra finds repro's configs and a plugin's, the resolvers the configs use, and the
command a job records: everything about the Hydra app except running it (running.hydra_task).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from repro.config.overrides import hydra_literal, override_value, path_override
from repro.resources import builtin_dir, data_dir

CONFIG_DIR = builtin_dir("configs")
CONFIG_NAME = "run"
COMMAND_CONTEXT_ENV = "REPRO_COMMAND_CONTEXT"

# `${repro.max:1,${slurm.gpus}}` in configs/launcher/slurm.yaml: one SLURM task per GPU, at least
# one. Registered here because every process that resolves a run config imports this module.
if not OmegaConf.has_resolver("repro.max"):
    OmegaConf.register_new_resolver("repro.max", lambda *values: max(int(v) for v in values))
# `${repro.data_dir:}` in configs/paths/default.yaml: the data folder rule (repro/resources.py).
if not OmegaConf.has_resolver("repro.data_dir"):
    OmegaConf.register_new_resolver("repro.data_dir", lambda: str(data_dir()))


def plugin_overrides(paper_dir: Path) -> list[str]:
    """Overrides that put the plugin's configs on Hydra's search path (quoted: any folder
    name works, and is taken literally)."""
    return [
        f"hydra.searchpath=[{hydra_literal(f'file://{paper_dir}')}]",
        path_override("paper_dir", paper_dir),
    ]


@contextmanager
def command_context(papers_dir: list[Path] | None, internal: list[str]) -> Iterator[None]:
    """While a CLI command runs its jobs: what each job records as the command that reruns
    it. `internal` are overrides repro added itself (a sweep's results folder); with
    `--papers-dir` folders made absolute, since that is how the plugin was found, and what
    the environment chose (`_environment`). Passed in the environment so jobs in launcher
    processes (joblib, submitit) see it too."""
    folders = [str(Path(folder).resolve()) for folder in papers_dir or []]
    saved = os.environ.get(COMMAND_CONTEXT_ENV)
    context = {"papers_dir": folders, "internal": internal, **_environment(papers_dir)}
    os.environ[COMMAND_CONTEXT_ENV] = json.dumps(context)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(COMMAND_CONTEXT_ENV, None)
        else:
            os.environ[COMMAND_CONTEXT_ENV] = saved


def recorded_command(overrides: list[str]) -> list[str]:
    """The `repro run` command of one job: its own overrides without repro's wiring (hydra.*,
    paper_dir, a sweep's results folder) or `rerun` (the command reproduces the run; training
    it again is another choice), plus what the environment chose (a plugin found through
    REPRO_PAPERS_PATH, a results folder from REPRO_RESULTS_DIR), so pasting it in a shell from
    the same folder finds the same plugin and the same record."""
    context = json.loads(os.environ.get(COMMAND_CONTEXT_ENV) or "{}")
    if "env_plugins" not in context:  # called outside a CLI command: the environment now
        context.update(_environment(None))
    internal = set(context.get("internal", []))
    kept = [
        override
        for override in overrides
        if override not in internal and not _left_out(override.partition("=")[0])
    ]
    folders = list(context.get("papers_dir", []))
    paper = (override_value(kept, "paper") or "").strip("'\"")
    if paper in context["env_plugins"]:  # found through REPRO_PAPERS_PATH: say where
        folders.append(context["env_plugins"][paper])
    papers = [arg for folder in folders for arg in ("--papers-dir", folder)]
    results = context.get("results_dir")  # ./results of the cwd: found without saying so
    chosen = override_value(kept, "paths.results_dir") is not None
    if results and not chosen and Path(results) != Path("results").resolve():
        kept.append(results_override(results))
    return ["repro", "run", *papers, *kept]


def _environment(papers_dir: list[Path] | None) -> dict[str, Any]:
    """What the environment chose for this command's jobs, which a pasted command must name:
    `env_plugins`, id -> folder of each plugin found through REPRO_PAPERS_PATH (not through
    `papers_dir`, the `--papers-dir` folders), and `results_dir`, REPRO_RESULTS_DIR made
    absolute (None if unset)."""
    from repro.errors import UsageError
    from repro.plugins.registry import PATH_ENV, discover, extra_paper_dirs

    results = os.environ.get("REPRO_RESULTS_DIR")
    env_plugins: dict[str, str] = {}
    if os.environ.get(PATH_ENV):
        given = {f"dir {folder}" for folder in papers_dir or []}
        from_env = {f"dir {folder}" for folder in extra_paper_dirs()} - given
        try:
            plugins = discover(papers_dir).values()
        except UsageError:  # a missing folder: the command itself says so
            plugins = []
        env_plugins = {p.id: str(p.folder) for p in plugins if p.origin in from_env}
    return {
        "env_plugins": env_plugins,
        "results_dir": str(Path(results).resolve()) if results else None,
    }


def results_override(folder: str) -> str:
    """`paths.results_dir=<folder>`, quoted for Hydra only when it must be: a plain absolute
    path reads the same unquoted, and stays readable once the shell's quotes are added."""
    if re.fullmatch(r"/[\w./-]*", folder, flags=re.ASCII):
        return f"paths.results_dir={folder}"
    return path_override("paths.results_dir", folder)


def _left_out(key: str) -> bool:
    """repro's wiring (paper_dir, hydra.*), and `rerun`: pasted, the command reproduces the
    run, finding its record; training it again stays the user's choice."""
    name = key.lstrip("+~")
    return name in ("paper_dir", "rerun") or name.startswith("hydra.") or name.startswith("hydra/")
