"""`repro sweep`: plan the runs a paper's claims need, launch the missing ones, summarise."""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repro.errors import UsageError, stop_within
from repro.records import store
from repro.sweeping.jobs import Job, SweepOutcomes
from repro.sweeping.plan import DONE, RERUN, STALE, PlannedRun, job_estimate


@dataclass(frozen=True)
class RunResult:
    run: PlannedRun
    result: str  # one of SUMMARY_ORDER or RARE_RESULTS
    detail: str
    wall_s: float | None


def hardware_key() -> str:
    """What makes timings comparable: the CPU model and the GPUs."""
    from repro.records.environment import cpu_model, hardware

    gpus = hardware()["gpus"]
    return f"{cpu_model()} | {', '.join(gpus) or 'no GPU'}"


def _record_hardware(record: dict) -> str:
    env = record.get("environment")
    env = env if isinstance(env, dict) else {}
    gpus = env.get("gpus")
    gpus = [str(g) for g in gpus] if isinstance(gpus, list) else []
    return f"{env.get('cpu')} | {', '.join(gpus) or 'no GPU'}"


def estimate_seconds(planned: list[PlannedRun], hardware: str) -> dict[Path, float | None]:
    """Seconds per run to train, from completed records of the same experiment and hardware:
    the same config's mean wall time, else steps / (steps/s) + the usual fixed cost; a seed
    its group trained and left to test (`tests_only`), the fixed cost alone (its test); a
    run that resumes a checkpoint, the fixed cost and the part of its training left."""
    by_experiment: dict[Path, list[dict]] = {}
    estimates: dict[Path, float | None] = {}
    per_setting: dict[tuple[Path, int | None, bool, int | None], float | None] = {}
    for run in planned:
        setting = (run.record_dir.parent, run.max_steps, run.tests_only, run.resume_step)
        if setting in per_setting:
            estimates[run.record_dir] = per_setting[setting]
            continue
        experiment_dir = run.record_dir.parent.parent
        if experiment_dir not in by_experiment:
            by_experiment[experiment_dir] = _timed_records(experiment_dir, hardware)
        records = by_experiment[experiment_dir]
        trained = [r for r in records if not r["tests_only"]]  # a test's wall is no run's
        same = [r["wall_s"] for r in trained if r["_hash_dir"] == run.record_dir.parent]
        rates = [r["steps_per_s"] for r in trained if r["steps_per_s"]]
        fixed = [r["wall_s"] - r["fit_s"] for r in records]
        if run.tests_only:  # trained by its group: what a run costs beside its training
            estimates[run.record_dir] = statistics.fmean(fixed) if fixed else None
        elif same:
            estimates[run.record_dir] = statistics.fmean(same)
        elif rates and run.max_steps:
            estimates[run.record_dir] = run.max_steps / statistics.fmean(rates) + statistics.fmean(
                fixed
            )
        else:
            estimates[run.record_dir] = None
        whole = estimates[run.record_dir]
        if whole is not None and run.resume_step and run.max_steps and not run.tests_only:
            base = statistics.fmean(fixed) if fixed else 0.0  # beside training: paid again
            left = max(0.0, 1.0 - run.resume_step / run.max_steps)
            estimates[run.record_dir] = base + max(0.0, whole - base) * left
        per_setting[setting] = estimates[run.record_dir]
    return estimates


def _timed_records(experiment_dir: Path, hardware: str) -> list[dict[str, Any]]:
    """`_timing` of each completed record of an experiment on `hardware`, with its folder."""
    records = []
    for path in experiment_dir.glob(f"*/seed*/{store.RECORD_FILE}"):
        try:
            record = store.parse_json(path.read_text())
        except (OSError, ValueError):
            continue
        timing = _timing(record)
        if timing and _record_hardware(record) == hardware:
            records.append(timing | {"_hash_dir": path.parent.parent})
    return records


def estimate_notes(planned: list[PlannedRun], hardware: str) -> list[str]:
    """Where a run's estimate comes from runs of other settings (another max_steps): scaled
    by their steps/s, it is no measurement of this setting, and the plan says so once per
    setting (a 100-step plan estimated from 6000-step runs looked measured)."""
    notes: list[str] = []
    by_experiment: dict[Path, list[dict[str, Any]]] = {}
    for run in planned:
        if not run.needs_training or run.tests_only or not run.max_steps:
            continue
        experiment_dir = run.record_dir.parent.parent
        if experiment_dir not in by_experiment:
            by_experiment[experiment_dir] = _timed_records(experiment_dir, hardware)
        trained = [r for r in by_experiment[experiment_dir] if not r["tests_only"]]
        if any(r["_hash_dir"] == run.record_dir.parent for r in trained):
            continue  # measured on this very setting
        used = [r for r in trained if r["steps_per_s"]]
        if not used:
            continue
        steps = sorted({int(r["steps"]) for r in used if r["steps"]})
        lengths = "/".join(str(s) for s in steps) or "other"
        note = (
            f"estimate of {run.experiment} at {run.max_steps} steps: from {len(used)} earlier "
            f"run{'s' * (len(used) != 1)} of {lengths} steps, scaled by steps/s"
        )
        if note not in notes:
            notes.append(note)
    return notes


def job_seconds(jobs: list[Job], estimates: dict[Path, float | None]) -> list[float | None]:
    """Seconds to train each job (None: unknown). A group of seeds trained together is one
    process: its seeds' records each hold the group's time, so the job takes its longest
    seed's estimate, not their sum (K seeds summed were K times too long); seeds its group
    left only to test are tested in turn (`plan.job_estimate`)."""
    return [job_estimate(job.runs, estimates) for job in jobs]


def _timing(record: Any) -> dict[str, Any] | None:
    """A completed record's wall time, fit time and rate as numbers, and whether it was
    only tested; None when it is not completed or says no wall time (a hand-edited record
    must not stop the estimate)."""
    if not isinstance(record, dict) or record.get("status") != store.STATUS_COMPLETED:
        return None
    timing = record.get("timing")
    timing = timing if isinstance(timing, dict) else {}

    def number(key: str) -> float:
        value = timing.get(key)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return float(value) if ok and math.isfinite(value) else 0.0

    if number("wall_s") <= 0:
        return None
    together = record.get("together")
    return {
        "wall_s": number("wall_s"),
        "fit_s": number("fit_s"),
        "steps_per_s": number("steps_per_s"),
        "steps": number("steps"),
        # only tested: its group trained it in an earlier attempt
        "tests_only": isinstance(together, dict) and isinstance(together.get("trained"), dict),
    }


def tenths_of_seconds(seconds: float) -> str:
    """`9.8 s`; `<0.1 s` where one decimal would round a real time to `0.0 s`."""
    return "<0.1 s" if 0 < seconds < 0.05 else f"{seconds:.1f} s"


def format_seconds(seconds: float | None) -> str:
    """`0.4 s`, `42 s`, `10.0 min`, `2.5 h`: under 10 s with a decimal (a 0.4 s run was
    estimated at `0 s`, and a plan of them `over 0 s`); under 0.05 s `<0.1 s`, not `0.0 s`."""
    if seconds is None:
        return "unknown"
    if 0 < seconds < 10:
        return tenths_of_seconds(seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


TRAINED = "trained"
ALREADY_COMPLETED = "already completed"
COMPLETED_ELSEWHERE = "completed by another process"
BUSY = "held by another process"
FAILED = "failed"
INTERRUPTED = "interrupted"  # stopped by a signal, resumable: not a failure
MISSING = "missing"
NOT_STARTED = "not started"
TESTED_ONLY = "tested only"
"""Completed by this sweep, which only tested it: its group had trained it before a stop
(its record's `together.trained`): `trained` claimed more than happened."""
SUMMARY_ORDER = (TRAINED, ALREADY_COMPLETED, BUSY, FAILED, MISSING, NOT_STARTED)
RARE_RESULTS = (BUSY, TESTED_ONLY, INTERRUPTED, COMPLETED_ELSEWHERE)  # in the summary when present
COMPLETE_RESULTS = (TRAINED, TESTED_ONLY, ALREADY_COMPLETED, COMPLETED_ELSEWHERE)


def _completed_result(record: dict[str, Any]) -> tuple[str, str]:
    """`trained`, or `tested only` for a seed whose group trained it in an earlier attempt,
    and the detail: a few metrics (and, tested only, where its training came from)."""
    metrics = record.get("metrics") or {}
    shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted(metrics.items())[:3])
    trained = (record.get("together") or {}).get("trained")
    if not isinstance(trained, dict):
        return TRAINED, shown
    return TESTED_ONLY, f"trained earlier in its group (step {trained.get('step')}); {shown}"


def new_sweep_id() -> str:
    """Written into each record this sweep trains: `trained` counts only those."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.time_ns() % 1_000_000:06d}"


def collect_results(
    planned: list[PlannedRun],
    sweep_id: str,
    jobs: SweepOutcomes | None = None,
    logs: Path | None = None,
) -> list[RunResult]:
    """What each planned run ended as: from this sweep's own job outcomes where it ran the
    jobs itself, else from the records on disk and the run locks. `logs`: the folder of
    the jobs' logs (Hydra's launcher's), named where a job left no word of why it ended."""
    see = f"; its job's log is under {logs}" if logs is not None else ""
    from repro.running.lock import is_locked
    from repro.running.runner import unfinished_rerun_note
    from repro.running.together import HELD_BACK

    outcomes = jobs.by_run if jobs else {}
    not_started = {run.record_dir for run in jobs.not_started} if jobs else set()
    telling = {word.partition("=")[0] for run in planned for word in _setting_words(run)}
    results = []
    for run in planned:
        try:
            record = store.read_record(run.record_dir)
        except (OSError, ValueError):
            record = None
        wall = (record or {}).get("timing", {}).get("wall_s")
        outcome = outcomes.get(run.record_dir)
        completed = bool(record) and record.get("status") == store.STATUS_COMPLETED
        replaces = run.state == RERUN or run.state.startswith(STALE)
        if replaces and not (completed and record.get("sweep_id") == sweep_id):
            # the completed record is an earlier run's (rerun=true, or stale: other code's):
            # what this sweep's retrain left says what happened to it (its
            # record.failed.json), else its job's outcome does
            record = _unfinished_rerun(run.record_dir, sweep_id)
            completed = False
            wall = (record or {}).get("timing", {}).get("wall_s")
        if run.state == DONE:
            if store.group_file_left(run.record_dir):  # a group killed as it recorded it
                from repro.running.group_checkpoint import tidy_completed_seed

                tidy_completed_seed(run.record_dir)  # left its file
            detail = "found completed when planning"
            if note := unfinished_rerun_note(run.record_dir):
                detail = f"{detail}; {note}"
            results.append(RunResult(run, ALREADY_COMPLETED, detail, wall))
        elif completed and record.get("sweep_id") == sweep_id:
            results.append(RunResult(run, *_completed_result(record), wall))
        elif completed:
            results.append(RunResult(run, COMPLETED_ELSEWHERE, "not by this sweep", wall))
        elif (outcome and outcome.status == "busy") or is_locked(run.record_dir):
            held_back = outcome and str(outcome.error or "").startswith(HELD_BACK)
            detail = outcome.error if held_back else "another process is running it"
            results.append(RunResult(run, BUSY, detail, None))
        elif outcome is None and run.held_back and (record or {}).get("sweep_id") != sweep_id:
            # a multirun's job (SLURM) held it back as the plan said: its record is as it was
            results.append(RunResult(run, BUSY, run.held_back, None))
        elif run.record_dir in not_started:
            results.append(RunResult(run, NOT_STARTED, "the sweep stopped first", None))
        elif run.blocked and (record or {}).get("sweep_id") != sweep_id:
            # its run stopped at once, naming what is in the way: a record there is an
            # earlier run's (its `interrupted` no time limit of this sweep's), none is no
            # lost job
            said = outcome.error if outcome and outcome.error else None
            detail = said or f"{run.state}: nothing was trained; move it away{see}"
            results.append(RunResult(run, FAILED, detail, None))
        elif outcome and outcome.status == "lost":
            results.append(RunResult(run, FAILED, f"{outcome.error}", None))
        elif outcome and outcome.status == "failed" and (record or {}).get("sweep_id") != sweep_id:
            # it failed before writing a record (its group waits for a blocked seed): the one
            # there is an earlier run's, which progress did not count (it said `failed`)
            detail = outcome.error or "failed before writing its record"
            results.append(RunResult(run, FAILED, detail, None))
        elif record is None:
            lost = _ended_job_line(run, telling) or "no record written (job lost?)"
            lost += see
            detail = outcome.error if outcome and outcome.error else lost
            results.append(RunResult(run, MISSING if not outcome else FAILED, detail, None))
        elif (
            record.get("status") in (store.STATUS_INTERRUPTED, store.STATUS_FAILED)
            and jobs is None
            and record.get("sweep_id") != sweep_id
        ):
            # Hydra's launcher (SLURM) ran it and left no record of this sweep's: the one
            # there is an earlier run's (an earlier time limit's `interrupted by SIGTERM`,
            # an earlier failure), not how this sweep's job ended
            said = record.get("error") or record.get("status")
            lost = _ended_job_line(run, telling) or "no record written (job lost?)"
            detail = f"{lost}; the one there is an earlier run's: {said}"
            results.append(RunResult(run, MISSING, f"{detail}{see}", None))
        elif record.get("status") == store.STATUS_INTERRUPTED:
            detail = record.get("error") or "stopped by a signal"
            results.append(RunResult(run, INTERRUPTED, detail, wall))
        else:
            results.append(RunResult(run, FAILED, _failed_detail(record, outcome, see), wall))
    return results


def _ended_job_line(run: PlannedRun, telling: set[str]) -> str | None:
    """How the SLURM job of `run` ended, where it ended without a result
    (`ENDED_WITHOUT_RESULT`); None where no job of this process did. A job is the run's
    where its overrides of the keys that tell the sweep's settings apart (`telling`) are the
    run's, all and only: one setting's overrides may be a subset of another's (none, and
    `optimizer.lr=0.01`), and the words every job shares (`paper=`) tell none. A job's
    overrides are as Hydra writes them (`lr=1e-3` as `0.001`), and a group's job holds all
    its seeds (`seed=0 group_seeds=[0,1,2]`)."""
    wanted = _setting_words(run)
    for overrides, (job, state) in ENDED_WITHOUT_RESULT.items():
        words = {_as_hydra_writes(word) for word in overrides}
        held = {word for word in words if word.partition("=")[0] in telling}
        if held == wanted and run.seed in _seeds_of(words):
            if state.startswith("CANCELLED"):
                return f"its SLURM job {job} was cancelled before it wrote a record"
            return f"its SLURM job {job} ended ({state}) before it wrote a record"
    return None


def _setting_words(run: PlannedRun) -> set[str]:
    """The overrides of `run`'s setting as Hydra writes a job's. A `hydra.*` override
    (`++hydra.launcher.…`) is Hydra's own, never among a job's: it is left out."""
    words = {_as_hydra_writes(w) for w in (f"experiment={run.experiment}", *run.fixed)}
    return {word for word in words if not word.startswith("hydra.")}


@functools.lru_cache(maxsize=4096)  # a sweep's words repeat, for every run without a record
def _as_hydra_writes(word: str) -> str:
    """`key=value` as Hydra's sweeper writes a job's override (its value parsed and written
    again), without a leading `+`; a word it cannot parse, as it is."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        parsed = OverridesParser.create().parse_override(word)
        written = f"{parsed.get_key_element()}={parsed.get_value_element_as_str()}"
    except Exception:  # not an override Hydra reads: compared as written
        written = word
    return written.lstrip("+")


def _seeds_of(words: set[str]) -> set[int]:
    """The seeds a job trains: its `seed=`, and a group's `group_seeds=[...]`."""
    seeds: set[int] = set()
    for word in words:
        key, _, value = word.partition("=")
        with contextlib.suppress(ValueError):
            if key == "seed":
                seeds.add(int(value))
            elif key == "group_seeds":
                seeds.update(int(v) for v in value.strip("[]").split(",") if v.strip())
    return seeds


def _failed_detail(record: dict[str, Any], outcome: Any, see: str = "") -> str:
    """Why a run of this sweep did not end completed: its record's error, or its job's own
    line where the record could not say it (a seed whose record a read-only folder kept
    `running` as its group recorded it: the table said `running: None`); `see`: where its
    job's log is, for a job killed with its record `running`."""
    status, said = record.get("status"), record.get("error")
    if outcome is not None and outcome.error and (not said or status != store.STATUS_FAILED):
        return str(outcome.error)
    if not said and status == store.STATUS_RUNNING:
        return f"its record still says running: killed, or its record could not be written{see}"
    return f"{status}: {said}"


def _unfinished_rerun(folder: Path, sweep_id: str) -> dict[str, Any] | None:
    """The record of this sweep's rerun of a completed run that did not complete: kept in
    `record.failed.json` (the completed record stays); None when this sweep left none."""
    try:
        record = store.parse_json((folder / store.FAILED_RERUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("sweep_id") != sweep_id:
        return None
    return record


def results_of_outcomes(outcomes: list[Any]) -> list[RunResult]:
    """The jobs `repro run -m` ran in this process as sweep results, so that both commands
    end with the same table."""
    kinds = {
        "completed": TRAINED,
        "skipped": ALREADY_COMPLETED,
        "busy": BUSY,
        "interrupted": INTERRUPTED,
        NOT_STARTED: NOT_STARTED,  # `repro run -m` stopped before this job
    }
    results = []
    for outcome in outcomes:
        try:
            record = store.read_record(outcome.record_dir) if outcome.record_dir else None
        except (OSError, ValueError):
            record = None
        record = record or {}
        run = PlannedRun(
            record.get("experiment", "-"),
            record.get("seed", "-"),
            (),
            outcome.record_dir or Path("-"),
            "done" if outcome.status == "skipped" else "to run",
        )
        kind = kinds.get(outcome.status, FAILED)
        if kind == TRAINED:
            kind, detail = _completed_result({**record, "metrics": outcome.metrics})
        elif kind == ALREADY_COMPLETED:
            detail = "found completed"
        elif kind in (INTERRUPTED, NOT_STARTED):
            detail = outcome.error or "stopped by a signal"
        else:
            detail = f"{outcome.status}: {outcome.error}"
        results.append(RunResult(run, kind, detail, record.get("timing", {}).get("wall_s")))
    return results


def summary_counts(results: list[RunResult]) -> dict[str, int]:
    """Counts in a fixed order (rare kinds only when present), for the summary line."""
    kinds = dict.fromkeys((*SUMMARY_ORDER, *RARE_RESULTS))  # `0 held by another process`: noise
    counts = {kind: sum(r.result == kind for r in results) for kind in kinds}
    return {kind: n for kind, n in counts.items() if n or kind not in RARE_RESULTS}


def run_jobs(launcher: str | None, jobs: list[Job], workers: int) -> SweepOutcomes | None:
    """Run the jobs here when repro drives the launcher itself (local, joblib); None means
    the caller launches Hydra multiruns (slurm, ray, submitit)."""
    from repro.sweeping.jobs import run_in_process, run_in_workers

    if launcher in (None, "local"):
        return run_in_process(jobs)
    if launcher == "joblib":
        return run_in_workers(jobs, workers)
    return None


def environment_overrides() -> list[str]:
    """`hydra.job.env_set` of what the sweep sets in its environment for its jobs
    (JOB_ENVIRONMENT), for Ray: a worker of a cluster joined with RAY_ADDRESS has the
    cluster's environment, not the sweep's, so its records lacked the sweep's id (the table
    said `completed by another process` of runs the sweep trained). Hydra sets these in the
    job's own process for the run. One unset here is set empty, which reads as unset, over
    what a worker of a Ray started by an earlier sweep of this process still holds."""
    from repro.config.overrides import hydra_literal
    from repro.sweeping.jobs import JOB_ENVIRONMENT

    return [
        f"++hydra.job.env_set.{name}={hydra_literal(os.environ.get(name, ''))}"
        for name in JOB_ENVIRONMENT
    ]


def joblib_workers(overrides: list[str]) -> int:
    """`hydra.launcher.n_jobs=N`, else REPRO_JOBS, else one per CPU core (-1 too). 0 and
    other negatives are refused: joblib itself rejects 0, and one per core was a guess."""
    raw = os.environ.get("REPRO_JOBS", "-1")
    for override in overrides:
        key, _, value = override.partition("=")
        if key.lstrip("+") == "hydra.launcher.n_jobs":
            raw = value
    try:
        count = int(raw)
    except ValueError:
        raise UsageError(f"the number of parallel jobs must be an integer, got {raw!r}") from None
    if count == 0 or count < -1:
        raise UsageError(
            f"the number of parallel jobs must be >= 1, or -1 for one per CPU core, got {raw!r}"
        )
    return count if count > 0 else os.cpu_count() or 1


def launch(
    batches: list[list[str]], common: list[str], flags: list[str], slurm_name: str | None = None
) -> list[str]:
    """Run each batch as one Hydra multirun; returns launcher-level errors (one line each).
    `slurm_name`: the SLURM job name of this sweep's jobs, cancelled when the sweep stops."""
    from repro.running.hydra_task import invoke

    errors = []
    ENDED_WITHOUT_RESULT.clear()  # an earlier sweep's in this process
    for batch in batches:
        try:
            slurm = _time_limit_warned_by_sigterm() if slurm_name else contextlib.nullcontext()
            with (
                _launcher_errors_raised(),
                submitit_logging_quieted(),
                slurm,
                _jobs_awaited_together(),
            ):
                invoke(["-m", *flags, *batch, *common])
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM (errors.Terminated)
            if slurm_name:
                print(cancel_slurm_jobs(slurm_name), file=sys.stderr, flush=True)
            raise
        except SystemExit as stop:  # Hydra reports launcher failures by exiting
            if stop.code:
                errors.append(f"multirun {' '.join(batch)} ended with exit code {stop.code}")
        except Exception as error:  # the launcher's own failure: sbatch refused, Ray down, ...
            if slurm_name and stop_within(error) is not None:  # a stop the launcher wrapped
                print(cancel_slurm_jobs(slurm_name), file=sys.stderr, flush=True)
                raise
            errors.append(f"multirun {' '.join(batch)} could not run: {_first_line(error)}")
    return errors


@contextlib.contextmanager
def _launcher_errors_raised() -> Iterator[None]:
    """Let an exception of the launcher reach repro (HYDRA_FULL_ERROR=1) instead of Hydra
    printing its traceback and exiting, so the sweep can say it in one line."""
    saved = os.environ.get("HYDRA_FULL_ERROR")
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = saved


_ABSENT = object()


@contextlib.contextmanager
def _patched(owner: Any, **attributes: Any) -> Iterator[None]:
    """`owner`'s attributes set for the block (submitit's classes, patched while a launch
    runs), then put back as they were, even when the block raises: one it only inherited
    is removed again, not left on it as its own."""
    own = vars(owner)
    saved = {name: own.get(name, _ABSENT) for name in attributes}
    for name, value in attributes.items():
        setattr(owner, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is _ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, value)


PREEMPT_SIGNAL_ENV = "SUBMITIT_PREEMPT_SIGNAL"


@contextlib.contextmanager
def _time_limit_warned_by_sigterm() -> Iterator[None]:
    """submitit asks SLURM for SIGUSR2 `signal_delay_s` before a job's time limit, and its
    handler raises UncompletedJobError wherever the run is: training ended `failed`, the
    plugin's line blamed, its steps since the last periodic save lost. SIGTERM instead is
    what a run answers by checkpointing and recording `interrupted` (the sweep again
    resumes it); the job inherits the setting (sbatch exports the environment)."""
    saved = os.environ.get(PREEMPT_SIGNAL_ENV)
    if saved is not None:  # the user's own choice
        yield
        return
    try:
        from submitit.core.job_environment import JobEnvironment
    except ImportError:
        yield
        return
    os.environ[PREEMPT_SIGNAL_ENV] = "TERM"
    try:  # USR_SIG was read when submitit was imported: the sbatch --signal
        with _patched(JobEnvironment, USR_SIG="TERM"):
            yield
    finally:
        os.environ.pop(PREEMPT_SIGNAL_ENV, None)


BATCH = "_repro_batch"  # on each submitit job: the jobs submitted with it
OVERRIDES = "_repro_overrides"  # on each submitit job of Hydra's launcher: its job's overrides
# the overrides of each job that ended without a result -> (its id, its state): a job
# `scancel`ed before repro wrote its record is named in the sweep's table, not `job lost?`
ENDED_WITHOUT_RESULT: dict[tuple[str, ...], tuple[str, str]] = {}


@contextlib.contextmanager
def _jobs_awaited_together() -> Iterator[None]:
    """Hydra's launcher reads its jobs' results in order and stops at the first without
    one (a job `scancel`ed while pending, BOOT_FAIL): the sweep then ended, its table
    counting the other jobs, still pending or running, as not started or failed while they
    trained on (the same sweep again trained them twice). A job's error waits for the jobs
    submitted with it to end."""
    try:
        from submitit.core.core import Executor, Job
    except ImportError:
        yield
        return
    map_array, results = Executor.map_array, Job.results

    def batch(self: Any, *args: Any, **kwargs: Any) -> Any:
        jobs = map_array(self, *args, **kwargs)
        # Hydra's launcher maps over (overrides, ...) tuples: the first holds each job's
        overrides = args[1] if len(args) > 1 else ()
        for index, job in enumerate(jobs):
            setattr(job, BATCH, jobs)
            if index < len(overrides) and isinstance(overrides[index], list | tuple):
                setattr(job, OVERRIDES, tuple(str(word) for word in overrides[index]))
        return jobs

    def awaited(self: Any) -> Any:
        try:
            return results(self)
        except Exception:
            for other in getattr(self, BATCH, ()) or (self,):
                other.wait()
            for other in getattr(self, BATCH, ()) or (self,):
                _note_an_ended_job(other, results)
            raise

    with _patched(Executor, map_array=batch), _patched(Job, results=awaited):
        yield


def _note_an_ended_job(job: Any, results: Callable[[Any], Any]) -> None:
    """Keep in `ENDED_WITHOUT_RESULT` how `job` ended, where it left no result."""
    overrides = getattr(job, OVERRIDES, None)
    if not overrides:
        return
    try:
        results(job)
    except Exception:
        with contextlib.suppress(Exception):  # its state, where SLURM (or squeue) says it
            ENDED_WITHOUT_RESULT[overrides] = (str(job.job_id), str(job.state))


def slurm_job_name(sweep_id: str) -> str:
    """A SLURM job name no other sweep has: `scancel --name` then reaches this sweep's jobs."""
    return f"repro-{sweep_id}"


def cancel_slurm_jobs(name: str) -> str:
    """Cancel a stopped sweep's SLURM jobs (pending ones would train after it, and the same
    sweep again would submit them twice); running ones get SIGTERM, checkpoint and record
    `interrupted`. Returns the line to print: what was done, or the command to run."""
    import shutil
    import subprocess

    command = ["scancel", f"--name={name}"]
    if os.environ.get("USER"):
        command.append(f"--user={os.environ['USER']}")
    if shutil.which("scancel"):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            done = None
        if done is not None and done.returncode == 0:
            return f"error: cancelled this sweep's SLURM jobs ({' '.join(command)})"
    return f"error: this sweep's SLURM jobs may still run; to cancel them: {' '.join(command)}"


SACCT_BYPASSED = "Bypassing sacct error"


class _DropSacctBypass(logging.Filter):
    """submitit's `Bypassing sacct error ..., status may be inaccurate.` on every poll where
    SLURM keeps no accounting: repro reads the runs' records, not sacct's states."""

    def filter(self, record: logging.LogRecord) -> bool:
        return SACCT_BYPASSED not in record.getMessage()


class _BelowWarning(logging.Filter):
    """submitit's stdout handler takes every level, its stderr handler warnings and up: a
    warning came twice. The stdout one keeps what is below a warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.WARNING


@contextlib.contextmanager
def submitit_logging_quieted() -> Iterator[None]:
    """While Hydra's submitit launcher runs: each submitit line once, and no sacct noise."""
    try:
        import submitit.core.logger  # noqa: F401  (configures its handlers on import)
    except ImportError:
        yield
        return
    logger = logging.getLogger("submitit")
    added: list[tuple[logging.Filterer, logging.Filter]] = [(logger, _DropSacctBypass())]
    if any(handler.level >= logging.WARNING for handler in logger.handlers):
        low = [handler for handler in logger.handlers if handler.level < logging.WARNING]
        added += [(handler, _BelowWarning()) for handler in low]
    for where, what in added:
        where.addFilter(what)
    try:
        with _sacct_stderr_dropped():
            yield
    finally:
        for where, what in added:
            where.removeFilter(what)


@contextlib.contextmanager
def _sacct_stderr_dropped() -> Iterator[None]:
    """sacct's own stderr (`Slurm accounting storage is disabled`, once per poll) reached
    the terminal past submitit, which reads only its stdout: sent to /dev/null."""
    try:
        from submitit.slurm.slurm import SlurmInfoWatcher
    except ImportError:
        yield
        return
    original = SlurmInfoWatcher._make_command

    def quiet(self: Any) -> list[str] | None:
        command = original(self)
        return None if command is None else ["sh", "-c", 'exec "$0" "$@" 2>/dev/null', *command]

    def update(self: Any) -> None:
        original_update(self)
        _live_states_waited_on(self)
        _states_from_squeue(self)

    original_update = SlurmInfoWatcher.update
    with _patched(SlurmInfoWatcher, _make_command=quiet, update=update):
        yield


GONE_FROM_SQUEUE = "ENDED"  # submitit's state of a job squeue no longer knows: it ended
FROM_SQUEUE = "repro_from_squeue"  # marks a state sacct did not give: asked again each poll
# SLURM's states of a job that has ended; submitit took any state it does not wait on as
# ended: sacct's SUSPENDED, squeue's flags of a live job (CONFIGURING while its nodes boot,
# STOPPED, REQUEUE_HOLD, ...): a job in any other state is waited on (as PENDING)
ENDED_STATES = {
    "BOOT_FAIL", "CANCELLED", "COMPLETED", "DEADLINE", "FAILED", "NODE_FAIL", "OUT_OF_MEMORY",
    "PREEMPTED", "TIMEOUT",
}  # fmt: skip


def _live_states_waited_on(watcher: Any) -> None:
    """sacct's SUSPENDED (`scontrol suspend`, gang scheduling's preemption) is no state
    submitit waits on: the job was taken as ended without a result, then trained when
    resumed. A state sacct gave that is not an ending one is waited on."""
    for job in watcher._registered:
        info = watcher._info_dict.get(job)
        if not info or FROM_SQUEUE in info or not info.get("State"):
            continue
        if info["State"].split()[0] not in ENDED_STATES and watcher.is_done(job, mode="cache"):
            watcher._info_dict[job] = {
                **info,
                "State": "PENDING",
                "repro_sacct_state": info["State"],
            }
            watcher._finished.discard(job)


def _states_from_squeue(watcher: Any) -> None:
    """Where SLURM keeps no accounting, sacct fails and submitit held every job `UNKNOWN`,
    which it waits on: a job `scancel`ed while pending (no result file) kept the sweep
    waiting for ever. squeue holds a job's state for minutes after it ends (MinJobAge); a
    job it no longer knows has ended too."""
    import shutil
    import subprocess

    registered = watcher._registered - watcher._finished
    unknown = [  # no state from sacct: none, or squeue's of an earlier poll (PENDING then)
        job for job in registered if FROM_SQUEUE in watcher._info_dict.get(job, {FROM_SQUEUE: True})
    ]
    if not unknown or not shutil.which("squeue"):
        return
    arrays = sorted({job.split("_")[0] for job in unknown})
    command = ["squeue", "-h", "-r", "-t", "all", "-j", ",".join(arrays), "-o", "%i|%T"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return
    if done.returncode != 0 and "Invalid job id" not in done.stderr:  # squeue cannot say
        return
    listed = dict(line.split("|", 1) for line in done.stdout.split() if "|" in line)
    for job in unknown:
        state = listed.get(job, GONE_FROM_SQUEUE)
        if state != GONE_FROM_SQUEUE and state not in ENDED_STATES:
            state = "PENDING"
        watcher._info_dict[job] = {"State": state, FROM_SQUEUE: "1"}
        if watcher.is_done(job, mode="cache"):
            watcher._finished.add(job)


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if ended := _ended_without_a_result(lines):
        return ended
    return lines[0] if lines else type(error).__name__


_NO_RESULT = re.compile(r"Job (\S+) \(task: \d+\) with path (.+)$")


def _ended_without_a_result(lines: list[str]) -> str | None:
    """submitit's UncompletedJobError, whose first line (`Job 8_1 (task: 0) with path
    .../8_1_0_result.pkl`) said neither that the job ended nor how: its state is next."""
    if len(lines) < 2:
        return None
    match = _NO_RESULT.match(lines[0])
    state = re.search(r"has not produced any output \((state: [^)]*)\)", lines[1])
    if match is None or state is None:
        return None
    log = Path(match.group(2)).parent
    return (
        f"its SLURM job {match.group(1)} ended without a result ({state.group(1)}); its log: {log}"
    )


SUBMITIT_LOGS = ".submitit"
"""Where in a sweep's folder submitit keeps its jobs' scripts and logs (configs/launcher)."""


def sweep_dir(results_dir: Path, paper: str) -> Path:
    """A fresh folder for launcher logs (submitit job files); records live elsewhere."""
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1_000_000:06d}"
    return results_dir / ".sweeps" / paper / stamp


TOGETHER_VALUES = ("auto", "true", "false")


def seeds_together(
    value: str | None,
    launcher: str | None,
    accelerator: str | None,
    slurm_gpus: str | None = None,
) -> bool:
    """Whether a sweep trains each setting's seeds together (`seeds_together=auto|true|false`).

    auto (the default) is on for a GPU and off on a CPU, where a vectorized step measured no
    gain (0.85-0.9x one model); true forces it, also on a CPU. With local and joblib the GPU
    is this machine's; with SLURM and Ray the jobs run elsewhere, so auto asks the sweep's
    words instead (`slurm.gpus` >= 1 or `trainer.accelerator=gpu`): one job per group."""
    chosen = (value or "auto").lower()
    if chosen not in TOGETHER_VALUES:
        raise UsageError(f"seeds_together must be auto, true or false, got {value!r}")
    if chosen != "auto":
        return chosen == "true"
    if accelerator in ("cpu", "mps"):
        return False
    if launcher not in (None, "local", "joblib"):
        gpus = int(slurm_gpus) if (slurm_gpus or "").isdigit() else 0
        return gpus > 0 or accelerator in ("gpu", "cuda")
    import torch

    return bool(torch.cuda.is_available())
