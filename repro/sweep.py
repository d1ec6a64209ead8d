"""`repro sweep`: plan the runs a paper's claims need, launch the missing ones, summarise."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from repro import store
from repro.sweep_plan import DONE, PlannedRun


@dataclass(frozen=True)
class RunResult:
    run: PlannedRun
    result: str  # trained | skipped | failed | missing
    detail: str
    wall_s: float | None


def hardware_key() -> str:
    """What makes timings comparable: the CPU model and the GPUs."""
    from repro.environment import cpu_model, hardware

    gpus = hardware()["gpus"]
    return f"{cpu_model()} | {', '.join(gpus) or 'no GPU'}"


def _record_hardware(record: dict) -> str:
    env = record.get("environment", {})
    return f"{env.get('cpu')} | {', '.join(env.get('gpus') or []) or 'no GPU'}"


def estimate_seconds(planned: list[PlannedRun], hardware: str) -> dict[Path, float | None]:
    """Seconds per run to train, from completed records of the same experiment and hardware:
    the same config's mean wall time, else steps / (steps/s) + the usual fixed cost."""
    by_experiment: dict[Path, list[dict]] = {}
    estimates: dict[Path, float | None] = {}
    for run in planned:
        experiment_dir = run.record_dir.parent.parent
        if experiment_dir not in by_experiment:
            records = []
            for path in experiment_dir.glob(f"*/seed*/{store.RECORD_FILE}"):
                try:
                    record = json.loads(path.read_text())
                except (OSError, ValueError):
                    continue
                if (
                    record.get("status") == store.STATUS_COMPLETED
                    and _record_hardware(record) == hardware
                ):
                    records.append(record | {"_hash_dir": path.parent.parent})
            by_experiment[experiment_dir] = records
        records = by_experiment[experiment_dir]
        same = [r["timing"]["wall_s"] for r in records if r["_hash_dir"] == run.record_dir.parent]
        rates = [r["timing"]["steps_per_s"] for r in records if r["timing"].get("steps_per_s")]
        fixed = [r["timing"]["wall_s"] - r["timing"].get("fit_s", 0) for r in records]
        if same:
            estimates[run.record_dir] = statistics.fmean(same)
        elif rates and run.max_steps:
            estimates[run.record_dir] = run.max_steps / statistics.fmean(rates) + statistics.fmean(
                fixed
            )
        else:
            estimates[run.record_dir] = None
    return estimates


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def collect_results(planned: list[PlannedRun]) -> list[RunResult]:
    """What each planned run ended as, read back from the records on disk."""
    results = []
    for run in planned:
        try:
            record = store.read_record(run.record_dir)
        except (OSError, ValueError):
            record = None
        wall = (record or {}).get("timing", {}).get("wall_s")
        if run.state == DONE:
            results.append(RunResult(run, "skipped", "already completed", wall))
        elif record is None:
            results.append(RunResult(run, "missing", "no record written (job lost?)", None))
        elif record.get("status") == store.STATUS_COMPLETED:
            metrics = record.get("metrics", {})
            shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted(metrics.items())[:3])
            results.append(RunResult(run, "trained", shown, wall))
        else:
            status = record.get("status")
            results.append(RunResult(run, "failed", f"{status}: {record.get('error')}", wall))
    return results


def launch(batches: list[list[str]], common: list[str], flags: list[str]) -> list[str]:
    """Run each batch as one Hydra multirun; returns launcher-level errors (one line each)."""
    from repro.hydra_app import invoke

    errors = []
    for batch in batches:
        try:
            invoke(["-m", *flags, *batch, *common])
        except SystemExit as stop:  # Hydra reports launcher failures by exiting
            if stop.code:
                errors.append(f"multirun {' '.join(batch)} ended with exit code {stop.code}")
    return errors


def sweep_dir(results_dir: Path, paper: str) -> Path:
    """A fresh folder for launcher logs (submitit job files); records live elsewhere."""
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1_000_000:06d}"
    return results_dir / ".sweeps" / paper / stamp
