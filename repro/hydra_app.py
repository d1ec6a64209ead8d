"""The bridge from the CLI to Hydra: a module-level `@hydra.main` task function.

The CLI forwards its remaining arguments through `sys.argv`, so everything Hydra offers
keeps working (`-m`, launchers, sweepers, `--cfg job`). The task function stays at module
level so submitit, joblib and Ray can pickle it by reference.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from repro.errors import ReproError
from repro.overrides import hydra_literal, path_override
from repro.resources import builtin_dir, data_dir
from repro.runner import RunOutcome, resolve_config, run_one

CONFIG_DIR = builtin_dir("configs")
CONFIG_NAME = "run"
COMMAND_CONTEXT_ENV = "REPRO_COMMAND_CONTEXT"
OUTCOMES: list[RunOutcome] = []
"""Outcomes of the jobs this process ran itself (basic launcher); others read records."""

# `${repro.max:1,${slurm.gpus}}` in configs/launcher/slurm.yaml: one SLURM task per GPU, at least
# one. Registered here because every process that resolves a run config imports this module.
if not OmegaConf.has_resolver("repro.max"):
    OmegaConf.register_new_resolver("repro.max", lambda *values: max(int(v) for v in values))
# `${repro.data_dir:}` in configs/paths/default.yaml: the data folder rule (repro/resources.py).
if not OmegaConf.has_resolver("repro.data_dir"):
    OmegaConf.register_new_resolver("repro.data_dir", lambda: str(data_dir()))


def describe(outcome: RunOutcome) -> str:
    """One line about a finished run, for the terminal."""
    metrics = ", ".join(f"{k}={v:.4g}" for k, v in sorted(outcome.metrics.items()))
    where = f" -> {outcome.record_dir}" if outcome.record_dir else ""
    if outcome.status in ("failed", "interrupted"):
        record = f" (record: {outcome.record_dir})" if outcome.record_dir else ""
        return f"error: {outcome.error}{record}"
    label = "already completed, skipped" if outcome.status == "skipped" else "completed"
    return f"{label}: {metrics}{where}"


def print_outcome(outcome: RunOutcome) -> None:
    """The run's line: stderr when it did not complete; a completed run that a signal came
    too late to stop also gets an error line saying so (its exit code is the signal's)."""
    failed = outcome.status in ("failed", "interrupted")
    print(describe(outcome), file=sys.stderr if failed else sys.stdout, flush=True)
    if outcome.status == "completed" and outcome.error:
        print(f"error: {outcome.error}", file=sys.stderr, flush=True)


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name=CONFIG_NAME)
def hydra_task(cfg: DictConfig) -> RunOutcome:
    """Run one job; never raises for expected failures, so one bad job cannot end a sweep."""
    try:
        from hydra.core.hydra_config import HydraConfig

        config = resolve_config(cfg)
        command = recorded_command(list(HydraConfig.get().overrides.task))
        outcome = run_one(config, command=command)
    except ReproError as error:
        outcome = RunOutcome("failed", None, error=str(error), exit_code=error.exit_code)
    except OSError as error:  # a full or failing disk outside the record writes
        where = f": {error.filename}" if error.filename else ""
        outcome = RunOutcome("failed", None, error=f"{error.strerror or error}{where}", exit_code=1)
    print_outcome(outcome)
    if outcome.status == "completed" and not os.environ.get("REPRO_SWEEP_ID"):
        for line in claims_of_run(config, outcome.metrics):  # a sweep gives verdicts instead
            print(line, flush=True)
    OUTCOMES.append(outcome)
    return outcome


def claims_of_run(config: dict, metrics: dict[str, float]) -> list[str]:
    """This run's metrics next to what the paper claims for its experiment (one seed: no
    verdict yet); nothing when the plugin cannot be read again."""
    from repro.progress import claim_lines
    from repro.registry import plugin_from_folder

    try:
        spec = plugin_from_folder(Path(config["paper_dir"])).spec()
    except (ReproError, OSError, KeyError, TypeError, ValueError):
        return []
    return claim_lines(spec.claims, config["experiment_name"], metrics, config["paper"])


def invoke(arguments: list[str], program: str = "repro") -> list[RunOutcome]:
    """Call the Hydra app as if from the command line; returns this process's outcomes."""
    saved_argv = sys.argv
    OUTCOMES.clear()
    sys.argv = [program, *arguments]
    try:
        hydra_task()
    finally:
        sys.argv = saved_argv
    return list(OUTCOMES)


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
