"""The bridge from the CLI to Hydra: a module-level `@hydra.main` task function.

The CLI forwards its remaining arguments through `sys.argv`, so everything Hydra offers
keeps working (`-m`, launchers, sweepers, `--cfg job`). The task function stays at module
level so submitit, joblib and Ray can pickle it by reference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from repro import PROJECT_ROOT
from repro.errors import ReproError
from repro.run import RunOutcome, resolve_config, run_one

CONFIG_DIR = PROJECT_ROOT / "configs"
CONFIG_NAME = "run"
OUTCOMES: list[RunOutcome] = []
"""Outcomes of the jobs this process ran itself (basic launcher); others read records."""


def describe(outcome: RunOutcome) -> str:
    """One line about a finished run, for the terminal."""
    metrics = ", ".join(f"{k}={v:.4g}" for k, v in sorted(outcome.metrics.items()))
    where = f" -> {outcome.record_dir}" if outcome.record_dir else ""
    if outcome.status in ("failed", "interrupted"):
        record = f" (record: {outcome.record_dir})" if outcome.record_dir else ""
        return f"error: {outcome.error}{record}"
    label = "already completed, skipped" if outcome.status == "skipped" else "completed"
    return f"{label}: {metrics}{where}"


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name=CONFIG_NAME)
def hydra_task(cfg: DictConfig) -> RunOutcome:
    """Run one job; never raises for expected failures, so one bad job cannot end a sweep."""
    try:
        config = resolve_config(cfg)
        outcome = run_one(config, command=list(sys.argv))
    except ReproError as error:
        outcome = RunOutcome("failed", None, error=str(error), exit_code=error.exit_code)
    except OSError as error:  # a full or failing disk outside the record writes
        where = f": {error.filename}" if error.filename else ""
        outcome = RunOutcome("failed", None, error=f"{error.strerror or error}{where}", exit_code=1)
    stream = sys.stderr if outcome.status in ("failed", "interrupted") else sys.stdout
    print(describe(outcome), file=stream, flush=True)
    OUTCOMES.append(outcome)
    return outcome


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
    """Overrides that put the plugin's configs on Hydra's search path."""
    return [f"hydra.searchpath=[file://{paper_dir}]", f"paper_dir={paper_dir}"]
