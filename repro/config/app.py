"""Where Hydra finds repro's configs and a plugin's, the resolvers the configs use, and the
command a job records: everything about the Hydra app except running it (running.hydra_task).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from omegaconf import OmegaConf

from repro.config.overrides import hydra_literal, path_override
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
    `--papers-dir` folders made absolute, since that is how the plugin was found. Passed in
    the environment so jobs in launcher processes (joblib, submitit) see it too."""
    folders = [str(Path(folder).resolve()) for folder in papers_dir or []]
    saved = os.environ.get(COMMAND_CONTEXT_ENV)
    os.environ[COMMAND_CONTEXT_ENV] = json.dumps({"papers_dir": folders, "internal": internal})
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(COMMAND_CONTEXT_ENV, None)
        else:
            os.environ[COMMAND_CONTEXT_ENV] = saved


def recorded_command(overrides: list[str]) -> list[str]:
    """The `repro run` command of one job: its own overrides without repro's wiring (hydra.*,
    paper_dir, a sweep's results folder), so pasting it in a shell from the same folder finds
    the same record."""
    context = json.loads(os.environ.get(COMMAND_CONTEXT_ENV) or "{}")
    internal = set(context.get("internal", []))
    kept = [
        override
        for override in overrides
        if override not in internal and not _is_wiring(override.partition("=")[0])
    ]
    papers = [arg for folder in context.get("papers_dir", []) for arg in ("--papers-dir", folder)]
    return ["repro", "run", *papers, *kept]


def _is_wiring(key: str) -> bool:
    name = key.lstrip("+~")
    return name == "paper_dir" or name.startswith("hydra.") or name.startswith("hydra/")
