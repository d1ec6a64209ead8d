"""A SIGTERM under SLURM: the record says what SLURM says of its job (issue: a cancelled
job's run said only `interrupted by SIGTERM`, and the sweep blamed the time limit)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest


def _squeue(stdout: str, code: int = 0):
    def run(args: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        assert args[:2] == ["squeue", "-h"] and "7_1" in args
        return subprocess.CompletedProcess(args, code, stdout, "")

    return run


@pytest.mark.parametrize(
    ("squeue", "said"),
    [
        ("COMPLETING|4:53\n", "SIGTERM (its SLURM job was cancelled)"),
        ("CANCELLED|4:53\n", "SIGTERM (its SLURM job was cancelled)"),
        # near its limit: most likely SLURM's warning, though a `kill` then reads the same
        ("RUNNING|1:03\n", "SIGTERM (its SLURM job's time limit was 1:03 away)"),
        ("COMPLETING|0:00\n", "SIGTERM (its SLURM job reached its time limit)"),
        # no time left while still RUNNING: the limit itself, not "0:00 away"
        ("RUNNING|0:00\n", "SIGTERM (its SLURM job reached its time limit)"),
        ("PREEMPTED|10:00\n", "SIGTERM (its SLURM job was preempted)"),
        ("RUNNING|55:00\n", "SIGTERM"),  # a `kill` from a shell: SLURM knows nothing of it
        ("", "SIGTERM"),  # the job gone from squeue: nothing known
    ],
)
def test_a_sigterm_under_slurm_is_named_by_what_slurm_says(squeue: str, said: str) -> None:
    from repro.running.slurm_stop import stop_name

    env = {"SLURM_JOB_ID": "7_1"}
    assert stop_name(signal.SIGTERM, env, _squeue(squeue)) == said


def test_outside_slurm_or_for_ctrl_c_nothing_is_asked() -> None:
    from repro.running.slurm_stop import stop_name

    def never(*_: object, **__: object) -> None:
        raise AssertionError("squeue asked")

    assert stop_name(signal.SIGTERM, {}, never) == "SIGTERM"
    assert stop_name(signal.SIGINT, {"SLURM_JOB_ID": "7_1"}, never) == "SIGINT"


def test_a_squeue_that_fails_or_hangs_adds_nothing() -> None:
    from repro.running.slurm_stop import stop_name

    def hangs(args: list[str], **_: object) -> None:
        raise subprocess.TimeoutExpired(args, 5)

    def missing(args: list[str], **_: object) -> None:
        raise FileNotFoundError("squeue")

    env = {"SLURM_JOB_ID": "7_1"}
    assert stop_name(signal.SIGTERM, env, hangs) == "SIGTERM"
    assert stop_name(signal.SIGTERM, env, missing) == "SIGTERM"
    assert stop_name(signal.SIGTERM, env, _squeue("error", 1)) == "SIGTERM"


def test_a_run_interrupted_by_a_cancelled_jobs_sigterm_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from repro.running import slurm_stop
    from repro.running.checkpointing import RunInterrupted

    monkeypatch.setenv("SLURM_JOB_ID", "7_1")
    monkeypatch.setattr(slurm_stop, "_squeue", lambda job, run: "CANCELLED|4:53")
    monkeypatch.setattr(slurm_stop, "_ASKED", {})  # its answer stays this test's
    stopped = RunInterrupted(signal.SIGTERM, 8, "run again to resume")
    assert str(stopped).startswith("interrupted by SIGTERM (its SLURM job was cancelled) at step 8")
    assert stopped.exit_code == 143


def test_a_cancelled_slurm_job_is_not_blamed_on_the_time_limit(tmp_path: Path) -> None:
    """`scancel` of a SLURM sweep's job ended its run `interrupted by SIGTERM` and the sweep
    warned `most likely SLURM's time limit ...; raise it`: a cause it did not know."""
    from repro.sweeping.execute import time_limit_line
    from repro.sweeping.launch import INTERRUPTED, RunResult
    from repro.sweeping.plan import PlannedRun

    def result(seed: int, detail: str) -> RunResult:
        planned = PlannedRun("small", seed, (), tmp_path / str(seed), "to run")
        return RunResult(planned, INTERRUPTED, detail, 1.0)

    cancelled = result(
        0, "interrupted by SIGTERM (its SLURM job was cancelled) at step 8; run again"
    )
    assert time_limit_line([cancelled], "slurm", []) is None
    near = result(1, "interrupted by SIGTERM (its SLURM job's time limit was 1:03 away) at step 8")
    line = time_limit_line([cancelled, near], "slurm", ["slurm.time_min=30"]) or ""
    # near the limit is not proof of it (a `kill` from a shell then reads the same)
    assert line.startswith("warning: 1 run interrupted by SIGTERM: most likely SLURM's time")
    reached = result(1, "interrupted by SIGTERM (its SLURM job reached its time limit) at step 8")
    line = time_limit_line([cancelled, reached], "slurm", ["slurm.time_min=30"]) or ""
    assert line.startswith("warning: 1 run interrupted by SIGTERM: SLURM's time limit, ")
    unknown = result(2, "interrupted by SIGTERM at step 8; run again")
    line = time_limit_line([cancelled, unknown], "slurm", ["slurm.time_min=30"]) or ""
    assert line.startswith("warning: 1 run interrupted by SIGTERM: most likely SLURM's time")


def test_squeue_is_asked_once_however_many_records_the_stop_writes() -> None:
    """A group stopped while its seeds were tested names the stop in each seed's record: a
    squeue asked for each, up to 5 s apiece on a slow controller, could outlast SLURM's
    KillWait (30 s) after `scancel`, leaving the last seeds' records `running`."""
    from repro.running.slurm_stop import stop_name

    asked: list[list[str]] = []

    def run(args: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        asked.append(args)
        return subprocess.CompletedProcess(args, 0, "CANCELLED|4:53\n", "")

    env = {"SLURM_JOB_ID": "7_1"}
    names = {stop_name(signal.SIGTERM, env, run) for _ in range(8)}
    assert names == {"SIGTERM (its SLURM job was cancelled)"}
    assert len(asked) == 1


def test_an_array_tasks_stop_is_read_from_its_own_line() -> None:
    """Before, the array's last task (a sweep's: its SLURM_JOB_ID is the array's own id) asked
    `squeue -j 15`, which lists every task of the array: cancelled, it was said warned of its
    time limit by another task's line (`RUNNING|1:30`), the cause the sweep then blamed."""
    from repro.running.slurm_stop import stop_name

    asked: list[list[str]] = []

    def run(args: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        asked.append(args)
        lines = {"15_2": "CANCELLED|4:50\n", "15": "RUNNING|1:30\n"}  # 15_2 ended: left out
        return subprocess.CompletedProcess(args, 0, lines[args[args.index("-j") + 1]], "")

    env = {"SLURM_JOB_ID": "15", "SLURM_ARRAY_JOB_ID": "15", "SLURM_ARRAY_TASK_ID": "2"}
    assert stop_name(signal.SIGTERM, env, run) == "SIGTERM (its SLURM job was cancelled)"
    assert asked[0][asked[0].index("-j") + 1] == "15_2"
