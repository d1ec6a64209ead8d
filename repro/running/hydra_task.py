"""The bridge from the CLI to Hydra: a module-level `@hydra.main` task function that runs one job.

The CLI forwards its remaining arguments through `sys.argv`, so everything Hydra offers
keeps working (`-m`, launchers, sweepers, `--cfg job`). The task function stays at module
level so submitit, joblib and Ray can pickle it by reference.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from repro.config.app import CONFIG_DIR, CONFIG_NAME, recorded_command
from repro.errors import ReproError, UsageError
from repro.running.profiling import profile_reports
from repro.running.progress import shown_path
from repro.running.runner import RunOutcome, resolve_config, run_one, unexpected_failure
from repro.wording import wrap_for

OUTCOMES: list[RunOutcome] = []
"""Outcomes of the jobs this process ran itself (basic launcher); others read records."""


STOP_EXIT_CODES = (130, 143)  # 128 + SIGINT, 128 + SIGTERM
NOT_STARTED = "not started"  # the status of a job after the command was stopped
STOPPED_FIRST = "the command was stopped first"
NOT_COMPLETED = ("failed", "interrupted", "busy")  # busy: held by another process


def only_test_left_seed(config: dict[str, Any], command: list[str]) -> RunOutcome:
    """A seed its group trained and left untested, only tested (`together`'s function of that
    name, imported only when one is met: together pulls in torch and Lightning, which skipping
    a completed run must not pay for: test_skipping_a_completed_run_loads_neither_...)."""
    from repro.running.together import only_test_as_group_of_one

    return only_test_as_group_of_one(config, command)


def describe(outcome: RunOutcome) -> str:
    """One line about a finished run, for the terminal; its record folder spelt as the start
    line spells it (`progress.shown_path`)."""
    metrics = ", ".join(f"{k}={v:.4g}" for k, v in sorted(outcome.metrics.items()))
    folder = shown_path(outcome.record_dir) if outcome.record_dir else ""
    where = f" -> {folder}" if folder else ""
    if outcome.status in NOT_COMPLETED:
        record = f" (record: {folder})" if folder else ""
        return f"error: {outcome.error}{record}"
    label = "already completed, skipped" if outcome.status == "skipped" else "completed"
    return f"{label}: {metrics}{where}"


def print_outcome(outcome: RunOutcome) -> None:
    """The run's line: stderr when it did not complete; a completed run that a signal came
    too late to stop also gets an error line saying so (its exit code is the signal's)."""
    failed = outcome.status in NOT_COMPLETED
    stream = sys.stderr if failed else sys.stdout
    for line in wrap_for(stream, describe(outcome), rest="  "):  # whole words on a terminal
        print(line, file=stream, flush=True)
    if outcome.status == "completed" and outcome.error:
        for line in wrap_for(sys.stderr, f"error: {outcome.error}", rest="  "):
            print(line, file=sys.stderr, flush=True)
    if outcome.record_dir and (short := short_of_setting(outcome)):  # run, sweep, SLURM watch
        for line in wrap_for(sys.stderr, short, rest="  "):  # ~230 characters: whole words
            print(line, file=sys.stderr, flush=True)


def print_outcomes(outcomes: list[RunOutcome]) -> None:
    """Each outcome's line, but one error a group's seeds failed with (a folder in the way
    of the group's checkpoint, a read-only results folder) once, for the group: printed per
    seed, it read as three failures of their own. Each seed's record and row still say it."""
    said: set[str] = set()
    for outcome in outcomes:
        if outcome.status == "failed" and outcome.error:
            if outcome.error in said:
                continue
            said.add(outcome.error)
            shared = [o for o in outcomes if o.status == "failed" and o.error == outcome.error]
            folders = {Path(o.record_dir).parent for o in shared if o.record_dir}
            if len(shared) > 1 and len(folders) == 1:  # the setting's folder, not one seed's
                outcome = dataclasses.replace(outcome, record_dir=folders.pop())
        print_outcome(outcome)


def short_of_setting(outcome: RunOutcome, config: dict[str, Any] | None = None) -> str | None:
    """A completed run `trainer.max_time` ended before its `max_steps`/`max_epochs`
    (`timing.stopped_by`): a warning line saying how far it trained, as `completed:` alone
    reads as the setting trained to its end, and a report leaves the run out of every verdict
    (`reporting.aggregate.stopped_short`). None for any other run. `config`: the run's, else
    its config.yaml (a sweep's outcome carries none)."""
    import yaml

    from repro.records import store

    if outcome.status not in ("completed", "skipped") or outcome.record_dir is None:
        return None  # skipped: `repro run` of it again, which trains nothing further
    try:
        record = store.read_record(Path(outcome.record_dir)) or {}
    except (OSError, ValueError):
        return None
    timing = record.get("timing") if isinstance(record.get("timing"), dict) else {}
    if timing.get("stopped_by") != "max_time":
        return None
    if config is None:
        try:
            text = (Path(outcome.record_dir) / store.CONFIG_FILE).read_text(encoding="utf-8")
            config = yaml.safe_load(text)
        except (OSError, ValueError, RecursionError, yaml.YAMLError):
            config = None  # missing, a folder, binary, too deep: the record's timing still tells
    trainer = config.get("trainer") if isinstance(config, dict) else None
    trainer = trainer if isinstance(trainer, dict) else {}  # `trainer: abc` is no mapping
    bounds = [
        f"trainer.{key}={trainer[key]}"
        for key in ("max_steps", "max_epochs")
        if isinstance(trainer.get(key), int) and trainer[key] > 0
    ]
    max_time = trainer.get("max_time")  # `{minutes: 1}` as the hash and report read it
    max_time = store.max_time_named(max_time)
    setting = f"trainer.max_time={max_time}" if max_time is not None else "trainer.max_time"
    steps = timing.get("steps")
    at = f"at step {steps}" if isinstance(steps, int) else "early"
    return (
        f"warning: {setting} ended training {at}, short of {' or '.join(bounds) or 'its end'}: "
        "a report leaves this run out of every verdict (a faster machine, or a longer "
        "trainer.max_time, another setting, trains it to its end)"
    )


def print_profile(outcome: RunOutcome) -> None:
    """Where the profile the config asked for is; a skipped run made none."""
    if outcome.status == "skipped":
        print("no profile: the run was already completed (rerun=true profiles it)", flush=True)
    elif outcome.status == "completed" and outcome.record_dir:
        for report in profile_reports(outcome.record_dir):
            print(f"profiler report: {report}", flush=True)


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name=CONFIG_NAME)
def hydra_task(cfg: DictConfig) -> RunOutcome:
    """Run one job; never raises for expected failures, so one bad job cannot end a sweep."""
    if stopped := next((o for o in OUTCOMES if o.exit_code in STOP_EXIT_CODES), None):
        # `repro run -m`: a job stopped by SIGINT/SIGTERM stops the command, as in a sweep
        OUTCOMES.append(
            RunOutcome(NOT_STARTED, None, error=STOPPED_FIRST, exit_code=stopped.exit_code)
        )
        return OUTCOMES[-1]
    try:
        from hydra.core.hydra_config import HydraConfig

        config = resolve_config(cfg)
        overrides = list(HydraConfig.get().overrides.task)
        if config.get("group_seeds") is not None:  # one SLURM/Ray job: seeds together
            return _run_group(config, overrides)
        command = recorded_command(overrides)
        outcome = run_one(config, command=command, as_group_of_one=only_test_left_seed)
    except ReproError as error:
        outcome = RunOutcome("failed", None, error=str(error), exit_code=error.exit_code)
    except OSError as error:  # a full or failing disk outside the record writes
        where = f": {error.filename}" if error.filename else ""
        outcome = RunOutcome("failed", None, error=f"{error.strerror or error}{where}", exit_code=1)
    except Exception as error:  # one line, not Hydra's traceback; the next job still runs
        outcome = unexpected_failure(error)
    print_outcome(outcome)  # with the warning of a run max_time stopped short
    if outcome.record_dir and dict(config.get("trainer") or {}).get("profiler"):
        print_profile(outcome)  # (a run with a record_dir had its config resolved)
    if outcome.status == "completed" and not os.environ.get("REPRO_SWEEP_ID"):
        print_claims(config, outcome.metrics)  # a sweep gives verdicts instead
    OUTCOMES.append(outcome)
    return outcome


def _run_group(config: dict, overrides: list[str]) -> list[RunOutcome]:
    """A job of `group_seeds=[...]`: each seed's config and command as `repro run` would
    have them, trained together (`running.together`); one outcome per seed."""
    from repro.running.together import run_together

    kept = [o for o in overrides if o.partition("=")[0].lstrip("+~") not in ("seed", "group_seeds")]
    try:
        seeds = _group_seeds(config["group_seeds"])
        configs = [{**config, "seed": seed, "group_seeds": None} for seed in seeds]
        commands = [recorded_command([*kept, f"seed={seed}"]) for seed in seeds]
        outcomes = run_together(configs, commands)
    except ReproError as error:
        outcomes = [RunOutcome("failed", None, error=str(error), exit_code=error.exit_code)]
    except Exception as error:  # one line, not Hydra's traceback
        outcomes = [unexpected_failure(error)]
    print_outcomes(outcomes)
    OUTCOMES.extend(outcomes)
    return outcomes


def _group_seeds(value: Any) -> list[int]:
    """group_seeds as distinct seeds, or a UsageError (SLURM/Ray jobs are given them)."""
    from repro.config.checks import check_seed

    if not isinstance(value, list | tuple) or not value:
        raise UsageError(f"group_seeds must be a list of seeds, e.g. [0,1,2]; got {value!r}")
    try:
        seeds = [check_seed(seed) for seed in value]
    except UsageError as error:
        raise UsageError(f"group_seeds: {error}") from None
    if len(set(seeds)) != len(seeds):
        raise UsageError(f"group_seeds lists a seed twice: {seeds}")
    return seeds


def print_claims(config: dict, metrics: dict[str, float]) -> None:
    """The run's claim lines, wrapped at whole words on a terminal as the lines above them
    (a terminal cut `trainer.max_steps=2|000` inside the word)."""
    for claim in claims_of_run(config, metrics):
        for line in wrap_for(sys.stdout, claim, rest="  "):
            print(line, flush=True)


def claims_of_run(
    config: dict, metrics: dict[str, float], overrides: list[str] | None = None
) -> list[str]:
    """This run's metrics next to what the paper claims for its experiment (one seed: no
    verdict yet), or, for a run not at the paper's setting, saying so; nothing when the plugin
    cannot be read again. `overrides`: the command's (default: the running Hydra job's); the
    paper's setting is composed only when one of them can change the config hash."""
    from repro.config.paper_setting import deviation_text, run_differences, task_overrides
    from repro.plugins.registry import plugin_from_folder
    from repro.running.progress import claim_lines

    try:
        spec = plugin_from_folder(Path(config["paper_dir"])).spec()
    except (ReproError, OSError, KeyError, TypeError, ValueError):
        return []
    experiment = config["experiment_name"]
    if not any(experiment in claim.experiments() for claim in spec.claims):
        return []
    overrides = task_overrides() if overrides is None else overrides
    differences = run_differences(config, overrides)
    deviation = deviation_text(differences, overrides) if differences else None
    return claim_lines(
        spec.claims, experiment, metrics, config["paper"], deviation, _sweep_of(config)
    )


def _sweep_of(config: dict) -> str:
    """`repro sweep paper=<paper>` with what this command's `repro run` needed to find the
    plugin and the results (--papers-dir, paths.results_dir), so that, pasted, it works."""
    import shlex

    from repro.config.app import recorded_command, results_override

    words = [f"paper={config['paper']}"]
    results = Path(str((config.get("paths") or {}).get("results_dir") or "results")).resolve()
    if results != Path("results").resolve():  # chosen by an override or REPRO_RESULTS_DIR
        words.append(results_override(str(results)))
    return shlex.join(["repro", "sweep", *recorded_command(words)[2:]])


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
