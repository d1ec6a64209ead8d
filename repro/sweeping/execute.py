"""One sweep from its words to its results: the sweep's own keys (seeds, max_seeds,
seeds_together), then launching the planned runs (repro's own workers, or Hydra's launcher
plugins for SLURM and Ray) and collecting what each run became. The CLI parses and prints."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repro.errors import UsageError

SWEEP_KEYS = ("seeds", "max_seeds", "seeds_together")
"""Keys of `repro sweep` that are not config keys: read here, never passed to a run."""


@dataclass(frozen=True)
class SweepKeys:
    seeds: int | None  # None: the paper's default_seeds (or the pilot's, with seeds=auto)
    auto: bool  # seeds=auto: Stein's two stages (sweeping.stages)
    max_seeds: int | None  # None: not given (stages.cap_for)
    together: str | None  # seeds_together as given (None: auto)

    @classmethod
    def parse(cls, overrides: list[str]) -> tuple[SweepKeys, list[str]]:
        """The sweep's keys, and the overrides without them; UsageError for a bad value."""
        from repro.config.overrides import override_value
        from repro.sweeping import stages
        from repro.sweeping.launch import TOGETHER_VALUES

        seeds_raw = override_value(overrides, "seeds")
        together = override_value(overrides, "seeds_together")
        if together is not None and together.lower() not in TOGETHER_VALUES:
            raise UsageError(f"seeds_together must be auto, true or false, got {together!r}")
        auto = seeds_raw == "auto"
        given = override_value(overrides, "seed")
        if auto and given is not None:  # its pilot and plan are seeds 0 .. N-1
            raise UsageError(f"seeds=auto chooses the seeds (0, 1, ...): leave out seed={given}")
        max_seeds = stages.max_seeds(override_value(overrides, "max_seeds"), auto)
        try:
            seeds = int(seeds_raw) if seeds_raw is not None and not auto else None
        except ValueError:
            raise UsageError(f"seeds must be an integer or auto, got {seeds_raw!r}") from None
        _refuse_seeds_past_limit(seeds)
        if seeds is not None and given is not None:  # one would be dropped without a word
            listed = ",".join(str(seed) for seed in range(seeds))
            meant = f"seed={listed}" if seeds <= 5 else f"seeds 0 to {seeds - 1}"
            said = f" (seeds={seeds_raw} is {meant})" if seeds > 0 else ""
            raise UsageError(
                f"seeds={seeds_raw} and seed={given} both choose the seeds: give one{said}"
            )
        _refuse_hydra_launcher(overrides)
        rest = [o for o in overrides if o.partition("=")[0] not in SWEEP_KEYS]
        return cls(seeds, auto, max_seeds, together), rest


def _refuse_seeds_past_limit(seeds: int | None) -> None:
    """`seeds=N` above seeds=auto's own cap: a typo (seeds=1000000000000) listed every seed and
    ended in `internal error: MemoryError` instead of a line saying what was wrong."""
    from repro.sweeping.two_stage import MAX_SEEDS_LIMIT

    if seeds is not None and seeds > MAX_SEEDS_LIMIT:
        raise UsageError(
            f"seeds must be <= {MAX_SEEDS_LIMIT} (a sweep trains that many seeds per "
            f"experiment), got {seeds}"
        )


HYDRA_LAUNCHERS = {
    "basic": "local",
    "joblib": "joblib",
    "submitit_slurm": "slurm",
    "submitit_local": "slurm_local",
    "ray": "ray",
}
"""Hydra's launcher plugins, and the `launcher=` of repro's that runs them."""


def _refuse_hydra_launcher(overrides: list[str]) -> None:
    """`hydra/launcher=...`: the sweep picks its engine from `launcher=` alone (local and
    joblib run in repro's own workers), so Hydra's group would be ignored and the runs
    trained here, one after another. Refused, naming the `launcher=` that does it."""
    from repro.config.overrides import override_value

    chosen = override_value(overrides, "hydra/launcher")
    if chosen is None:
        return
    known = HYDRA_LAUNCHERS.get(chosen)
    instead = f"use launcher={known}" if known else "use launcher=local|joblib|slurm|ray"
    raise UsageError(
        f"hydra/launcher={chosen}: repro sweep picks its launcher with "
        f"launcher=local|joblib|slurm|slurm_local|ray; {instead}"
    )


def trains_together(keys: SweepKeys, overrides: list[str]) -> bool:
    """Whether this sweep trains each setting's seeds together (sweeping.launch)."""
    from repro.config.overrides import override_value
    from repro.sweeping.launch import seeds_together

    return seeds_together(
        keys.together,
        override_value(overrides, "launcher"),
        override_value(overrides, "trainer.accelerator"),
        override_value(overrides, "slurm.gpus"),
    )


def run_planned(
    planned: list[Any],
    paper_id: str,
    wiring: list[str],
    overrides: list[str],
    flags: list[str],
    results_dir: Path,
    papers_dir: list[Path] | None,
    together: bool,
    warn: Callable[[str], None],
    resumes: tuple[list[Any], list[str]] | None = None,
) -> tuple[Any, list[Any]]:
    """Train the planned runs that need it; returns the jobs' outcomes (None when Hydra's
    launcher ran them: their records say what happened) and one RunResult per planned run.
    `resumes`: `resumes_of(planned, ...)` when the caller has it (its line counted them)."""
    from repro.config.app import command_context
    from repro.config.overrides import override_value, path_override
    from repro.errors import stop_within
    from repro.sweeping.jobs import jobs_for
    from repro.sweeping.launch import (
        SUBMITIT_LOGS,
        collect_results,
        environment_overrides,
        joblib_workers,
        launch,
        new_sweep_id,
        run_jobs,
        slurm_job_name,
        sweep_dir,
    )
    from repro.sweeping.plan import multirun_batches
    from repro.sweeping.watch import RecordWatch

    planned, lines = resumes or resumes_of(planned, paper_id, papers_dir, together)
    for line in lines:
        warn(line)
    sweep_id = new_sweep_id()
    os.environ["REPRO_SWEEP_ID"] = sweep_id  # each record this sweep trains carries it
    jobs, logs = None, None
    try:
        if any(run.needs_training for run in planned):
            results_override = path_override("paths.results_dir", results_dir)  # literal
            common = [f"paper={paper_id}", *wiring, results_override]
            launcher = override_value(overrides, "launcher")
            workers = joblib_workers(overrides) if launcher == "joblib" else 1
            with command_context(papers_dir, [results_override]):
                jobs = run_jobs(launcher, jobs_for(planned, common, together), workers)
                if jobs is None:  # slurm, ray, submitit: Hydra's launcher plugins run them
                    hydra_dir = sweep_dir(results_dir, paper_id)
                    common.append(path_override("hydra.sweep.dir", hydra_dir))
                    logs = hydra_dir / SUBMITIT_LOGS  # submitit's job files, if it made any
                    slurm_name = slurm_job_name(sweep_id) if launcher == "slurm" else None
                    if slurm_name:  # a stop cancels this sweep's jobs by their name
                        common.append(f"hydra.launcher.name={slurm_name}")
                    if launcher == "ray":  # its workers have the cluster's environment
                        common.extend(environment_overrides())
                    hydra_flags = [f for f in flags if f not in ("-m", "--multirun")]
                    batches = multirun_batches(planned, together)
                    try:
                        with RecordWatch(planned, sweep_id, slurm_name=slurm_name).watching():
                            errors = launch(batches, common, hydra_flags, slurm_name)
                    except BaseException as error:
                        stop = stop_within(error)
                        if stop is None:
                            raise
                        return _launcher_stopped(planned, sweep_id, stop)
                    for message in errors:
                        warn(f"error: {message}")
                elif jobs.stopped_because and jobs.not_started:  # else: nothing to stop
                    warn(
                        "error: stopping the sweep: every run fails the same way: "
                        f"{jobs.stopped_because}"
                    )
        logs = logs if logs is not None and logs.is_dir() else None
        results = collect_results(planned, sweep_id, jobs, logs)
        if line := time_limit_line(results, override_value(overrides, "launcher"), overrides):
            warn(line)
        return jobs, results
    finally:
        os.environ.pop("REPRO_SWEEP_ID", None)  # later runs in this process are not its


def time_limit_line(results: list[Any], launcher: str | None, overrides: list[str]) -> str | None:
    """A SLURM sweep that was not stopped, whose runs ended `interrupted by SIGTERM`: submitit
    warns a job with SIGTERM before its time limit, the likely cause, which the records alone
    do not say (nor how to raise it). A run whose record says SLURM cancelled or preempted
    its job (`running.slurm_stop`) is not counted: raising the limit would not help it."""
    from repro.config.overrides import override_value
    from repro.running.slurm_stop import CANCELLED, PREEMPTED, TIME_LIMIT
    from repro.sweeping.launch import INTERRUPTED

    if launcher != "slurm":
        return None
    cut = [
        r
        for r in results
        if r.result == INTERRUPTED
        and "SIGTERM" in (r.detail or "")
        and not any(cause in (r.detail or "") for cause in (CANCELLED, PREEMPTED))
    ]  # a job SLURM says was cancelled or preempted: no time limit to raise
    if not cut:
        return None
    # `most likely` but where SLURM said the limit was reached: a run near its limit may
    # have had a `kill` from a shell
    warned = all(TIME_LIMIT in (r.detail or "") for r in cut)
    limit = override_value(overrides, "slurm.time_min")
    if limit is None:
        limit = _slurm_default_time_min()
        limit_text = f"slurm.time_min ({limit} minutes, the default)"
    else:
        limit_text = f"slurm.time_min={limit} (minutes)"
    runs = "1 run" if len(cut) == 1 else f"{len(cut)} runs"
    return (
        f"warning: {runs} interrupted by SIGTERM: {'' if warned else 'most likely '}"
        f"SLURM's time limit, "
        f"{limit_text}; raise it (e.g. slurm.time_min={_doubled(limit)}) before sweeping again"
    )


def _slurm_default_time_min() -> str:
    """slurm.time_min as configs/launcher/slurm.yaml sets it."""
    import yaml

    from repro import resources

    try:
        config = yaml.safe_load(
            (resources.builtin_dir("configs") / "launcher" / "slurm.yaml").read_text()
        )
        return str(config["slurm"]["time_min"])
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return "?"


def _doubled(limit: str) -> str:
    try:
        return str(int(float(limit) * 2))
    except ValueError:
        return "<minutes>"


def _launcher_stopped(
    planned: list[Any], sweep_id: str, stop: KeyboardInterrupt
) -> tuple[Any, list[Any]]:
    """Ctrl-C or SIGTERM while Hydra's launcher (SLURM, Ray) ran the jobs (a SLURM sweep's
    are cancelled by then): the sweep ends as a stopped joblib sweep does, with its table
    and its line, not the bare `interrupted` of a command stopped before any run. Runs that
    left no record of this sweep did not start."""
    from repro.records import store
    from repro.running.runner import RunOutcome
    from repro.sweeping.jobs import SweepOutcomes
    from repro.sweeping.launch import collect_results

    def started(run: Any) -> bool:
        try:
            return (store.read_record(run.record_dir) or {}).get("sweep_id") == sweep_id
        except (OSError, ValueError):
            return False

    unstarted = [run for run in planned if run.needs_training and not started(run)]
    exit_code = getattr(stop, "exit_code", 130)  # errors.Terminated: SIGTERM
    name = "SIGTERM" if exit_code == 143 else "SIGINT"
    outcome = RunOutcome("interrupted", None, error=name, exit_code=exit_code)
    jobs = SweepOutcomes({}, unstarted, None, interrupted_by=outcome)
    return jobs, collect_results(planned, sweep_id, jobs)


def resumes_of(
    planned: list[Any], paper_id: str, papers_dir: list[Path] | None, together: bool
) -> tuple[list[Any], list[str]]:
    """The plan with its resumes (a group or a seed cut short resumes as it was saved) and
    one line per resume: what the sweep says as it starts, and its dry run."""
    from repro.sweeping.plan import plan_resumes

    if not any(run.needs_training for run in planned):
        return planned, []
    code = _plugin_code(paper_id, papers_dir)  # what a group checkpoint must carry to resume
    return plan_resumes(planned, code, together)


def _plugin_code(paper_id: str, papers_dir: list[Path] | None) -> str | None:
    """The digest of the plugin's current code, which a group checkpoint must carry to resume."""
    from repro.plugins.registry import get_paper
    from repro.records.fingerprint import code_fingerprint

    return code_fingerprint(get_paper(paper_id, papers_dir).folder).get("digest")
