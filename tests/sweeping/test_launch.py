"""Launch settings of a sweep (sweeping.launch) read from its words."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from repro.errors import UsageError
from repro.sweeping.launch import (
    joblib_workers,
    launch,
    slurm_job_name,
    submitit_logging_quieted,
)


@pytest.mark.parametrize("n_jobs", ["0", "-2"])
def test_zero_or_other_negative_parallel_jobs_are_refused(n_jobs: str) -> None:
    """Before, `hydra.launcher.n_jobs=0` was silently one job per core (joblib rejects 0)."""
    with pytest.raises(UsageError, match="-1 for one per CPU core"):
        joblib_workers([f"hydra.launcher.n_jobs={n_jobs}"])


def test_minus_one_is_one_job_per_core_and_a_count_is_that_count() -> None:
    assert joblib_workers(["hydra.launcher.n_jobs=-1"]) == (os.cpu_count() or 1)
    assert joblib_workers(["hydra.launcher.n_jobs=3"]) == 3


def _emitted(message: str, level: int = logging.WARNING) -> int:
    """How many of the submitit logger's handlers would print this record."""
    logger = logging.getLogger("submitit")
    record = logger.makeRecord("submitit", level, __file__, 0, message, (), None)
    if not logger.isEnabledFor(level) or not logger.filter(record):
        return 0
    return sum(bool(h.filter(record)) and level >= h.level for h in logger.handlers)


def test_submitit_lines_come_once_and_the_sacct_bypass_not_at_all() -> None:
    """Before, every poll of a SLURM sweep printed `Bypassing sacct error ..., status may be
    inaccurate.` twice (submitit's stdout handler takes warnings as its stderr one does)."""
    pytest.importorskip("submitit")
    sacct = "Call #3 - Bypassing sacct error Command 'sacct' failed, status may be inaccurate."
    with submitit_logging_quieted():
        assert _emitted(sacct) == 0
        assert _emitted("Job 4_0 failed") == 1
        assert _emitted("submitted", logging.INFO) == 1
    assert _emitted("Job 4_0 failed") == 2  # submitit's own setting again, after the sweep


FakeTool = Callable[[str, str], None]


@pytest.fixture
def fake_slurm_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeTool:
    """Writes a SLURM tool (sacct, squeue) first on PATH as a shell script of the given
    body; written again, it answers the next call differently, as a cluster does over time."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    def write(tool: str, body: str) -> None:
        script = bin_dir / tool
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(0o755)

    return write


def _fake_scancel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> Path:
    """A `scancel` first on PATH that writes its arguments and exits with `code`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    called = tmp_path / "scancel-args"
    script = bin_dir / "scancel"
    script.write_text(f'#!/bin/sh\necho "$@" > {called}\nexit {code}\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("USER", "me")
    return called


@pytest.mark.parametrize("scancel_code", [0, 1])
def test_a_stopped_slurm_sweep_cancels_its_jobs_by_name(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    scancel_code: int,
) -> None:
    """Before, Ctrl-C or SIGTERM of a SLURM sweep left its job array running, unmentioned,
    and the same sweep again submitted its pending runs a second time."""
    from repro.running import hydra_task

    called = _fake_scancel(tmp_path, monkeypatch, scancel_code)

    def stopped(args: list[str]) -> None:
        assert "hydra.launcher.name=repro-7" not in args  # the caller adds it to common
        raise KeyboardInterrupt

    monkeypatch.setattr(hydra_task, "invoke", stopped)
    name = slurm_job_name("7")
    with pytest.raises(KeyboardInterrupt):
        launch([["seed=0,1"]], ["paper=toy"], [], name)
    assert called.read_text().split() == ["--name=repro-7", "--user=me"]
    line = capsys.readouterr().err.strip()
    if scancel_code == 0:
        assert line == "error: cancelled this sweep's SLURM jobs (scancel --name=repro-7 --user=me)"
    else:  # it could not: the command to run
        assert line.endswith("to cancel them: scancel --name=repro-7 --user=me")


def test_sacct_stderr_does_not_reach_the_terminal(fake_slurm_tools: FakeTool) -> None:
    """Before, `Slurm accounting storage is disabled` (sacct's stderr) came on every poll."""
    pytest.importorskip("submitit")
    import subprocess

    from submitit.slurm.slurm import SlurmInfoWatcher

    fake_slurm_tools("sacct", 'echo disabled >&2\necho "JobID|$*"')
    watcher = SlurmInfoWatcher()
    watcher.register_job("5_0")
    with submitit_logging_quieted():
        command = watcher._make_command()
    assert command is not None
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert done.stderr == "" and done.stdout.startswith("JobID|-o JobID,State,NodeList")
    assert watcher._make_command()[0] == "sacct"  # submitit's own command after the sweep


def test_a_slurm_sweeps_jobs_are_warned_of_their_time_limit_by_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, submitit asked SLURM for SIGUSR2 before a job's time limit; its handler raised
    UncompletedJobError inside training, so a run cut by its time limit was recorded
    `failed: model.py:15: UncompletedJobError: Job not requeued because: timed-out too many
    times.` (the plugin's line blamed), with what it trained since its last periodic save
    lost. The warning is SIGTERM, which a run answers by checkpointing and recording
    `interrupted`: the same sweep again resumes it."""
    pytest.importorskip("submitit")
    from submitit.core.job_environment import JobEnvironment
    from submitit.slurm.slurm import _make_sbatch_string

    from repro.running import hydra_task

    monkeypatch.delenv("SUBMITIT_PREEMPT_SIGNAL", raising=False)
    seen: dict[str, str | None] = {}

    def submitted(args: list[str]) -> None:  # what submitit writes as the sweep submits
        script = _make_sbatch_string(command="x", folder=tmp_path, signal_delay_s=120)
        seen["signal"] = next(line for line in script.splitlines() if "--signal" in line)
        seen["job_env"] = os.environ.get("SUBMITIT_PREEMPT_SIGNAL")  # sbatch --export=ALL

    monkeypatch.setattr(hydra_task, "invoke", submitted)
    launch([["seed=0,1"]], ["paper=toy"], [], slurm_job_name("7"))
    assert seen == {"signal": "#SBATCH --signal=TERM@120", "job_env": "TERM"}
    assert JobEnvironment.USR_SIG == "USR2" and "SUBMITIT_PREEMPT_SIGNAL" not in os.environ


def test_a_deeply_nested_record_leaves_the_estimate_to_the_others(tmp_path: Path) -> None:
    """a record.json of 100000 nested lists beside a setting's seeds made
    `repro sweep --dry-run` end in 'internal error: RecursionError' (the time estimate read
    every record with json); it is passed over like any other unreadable record."""
    from repro.records import store
    from repro.sweeping.launch import estimate_seconds
    from repro.sweeping.plan import PlannedRun

    hash_dir = tmp_path / "x" / "h"
    timing = {"wall_s": 100.0, "fit_s": 90.0, "steps_per_s": 2.0}
    environment = {"cpu": "a CPU", "gpus": []}
    record = {"status": "completed", "timing": timing, "environment": environment}
    store.write_record(hash_dir / "seed0", record)
    (hash_dir / "seed1").mkdir()
    (hash_dir / "seed1" / store.RECORD_FILE).write_text("[" * 100_000 + "]" * 100_000)
    new = PlannedRun("x", 2, (), hash_dir / "seed2", "to run", 180)
    assert estimate_seconds([new], "a CPU | no GPU") == {new.record_dir: 100.0}


def test_a_record_saved_with_a_byte_order_mark_counts_in_the_estimate(tmp_path: Path) -> None:
    """a completed record.json an editor saved with a UTF-8 byte order mark counts for the
    sweep and the report, but the time estimate read it with plain json ('Unexpected UTF-8
    BOM') and passed it over: `--dry-run` said the time was unknown."""
    from repro.records import store
    from repro.sweeping.launch import estimate_seconds
    from repro.sweeping.plan import PlannedRun

    hash_dir = tmp_path / "x" / "h"
    timing = {"wall_s": 100.0, "fit_s": 90.0, "steps_per_s": 2.0}
    environment = {"cpu": "a CPU", "gpus": []}
    store.write_record(
        hash_dir / "seed0", {"status": "completed", "timing": timing} | {"environment": environment}
    )
    path = hash_dir / "seed0" / store.RECORD_FILE
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    new = PlannedRun("x", 2, (), hash_dir / "seed2", "to run", 180)
    assert estimate_seconds([new], "a CPU | no GPU") == {new.record_dir: 100.0}


def test_a_sub_second_estimate_is_not_called_zero() -> None:
    """`repro sweep --dry-run` gave a run of 0.4 s the estimate `0 s`, and a plan of such runs
    with one unknown experiment `over 0 s`: a run that costs nothing, and a bound that says
    nothing. Short times keep a decimal."""
    from repro.sweeping.launch import format_seconds

    assert format_seconds(0.4) == "0.4 s"
    assert format_seconds(7.26) == "7.3 s"
    assert format_seconds(42.0) == "42 s"
    assert format_seconds(600.0) == "10.0 min"


@pytest.mark.parametrize(
    "squeue", ['echo "5_0|RUNNING"; echo "5_1|CANCELLED"', 'echo "Invalid job id" >&2; exit 1']
)
def test_a_job_cancelled_while_pending_ends_where_slurm_keeps_no_accounting(
    fake_slurm_tools: FakeTool, squeue: str
) -> None:
    """Before, a cluster without accounting (sacct fails) left submitit a job's state
    UNKNOWN for ever: a sweep whose pending job was `scancel`ed waited on it until it was
    killed. squeue, which holds a job for minutes after it ends, says it ended; a job it
    no longer knows has ended too."""
    pytest.importorskip("submitit")
    from submitit.slurm.slurm import SlurmInfoWatcher

    fake_slurm_tools("sacct", "echo disabled >&2\nexit 1")
    watcher = SlurmInfoWatcher()
    watcher.register_job("5_1")
    fake_slurm_tools("squeue", 'echo "5_1|PENDING"')
    with submitit_logging_quieted():
        watcher.update()  # pending at the first poll, scancel'd before the next
    assert not watcher.is_done("5_1", mode="cache")
    fake_slurm_tools("squeue", squeue)
    with submitit_logging_quieted():
        watcher.update()
    assert watcher.is_done("5_1", mode="cache")
    running = SlurmInfoWatcher()
    running.register_job("5_0")
    with submitit_logging_quieted():
        running.update()
    assert running.is_done("5_0", mode="cache") == ("Invalid" in squeue)


@pytest.mark.parametrize(("state", "ended"), [("SUSPENDED", False), ("CANCELLED by 0", True)])
def test_a_job_sacct_says_suspended_is_not_taken_as_ended(
    fake_slurm_tools: FakeTool, state: str, ended: bool
) -> None:
    """sacct's SUSPENDED (`scontrol suspend`, gang scheduling's preemption) is no state
    submitit waits on: the suspended job was taken as ended without a result, and trained
    when resumed, after the sweep had said it ended."""
    pytest.importorskip("submitit")
    from submitit.slurm.slurm import SlurmInfoWatcher

    fake_slurm_tools("sacct", f'echo "JobID|State|NodeList"; echo "5_0|{state}|node1"')
    fake_slurm_tools("squeue", "exit 1")
    watcher = SlurmInfoWatcher()
    watcher.register_job("5_0")
    with submitit_logging_quieted():
        watcher.update()
    assert watcher.is_done("5_0", mode="cache") == ended
    assert ("5_0" in watcher._finished) == ended


def test_a_job_without_a_result_names_its_log_folder_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before, a results folder with a space in its path (`My Results`) named its log as
    the folder above the space (`its log: /home/u`), a folder that holds no log."""
    submitit = pytest.importorskip("submitit")
    from repro.running import hydra_task

    def lost(args: list[str]) -> None:
        raise submitit.core.utils.UncompletedJobError(
            "Job 8_1 (task: 0) with path /home/u/My Results/.submitit/8_1/8_1_0_result.pkl\n"
            "has not produced any output (state: ENDED)\n"
        )

    monkeypatch.setattr(hydra_task, "invoke", lost)
    (line,) = launch([["seed=0,1"]], ["paper=toy"], [], slurm_job_name("7"))
    assert line.endswith("(state: ENDED); its log: /home/u/My Results/.submitit/8_1")


@pytest.mark.parametrize(
    ("state", "ended"),
    [
        ("CONFIGURING", False),  # its nodes booting (power saving, a cloud): it runs next
        ("SUSPENDED", False),  # `scontrol suspend`, or gang scheduling's preemption
        ("STOPPED", False),
        ("REQUEUE_HOLD", False),
        ("SPECIAL_EXIT", False),
        ("SIGNALING", False),
        ("STAGE_OUT", False),
        ("RESIZING", False),
        ("COMPLETED", True),
        ("FAILED", True),
        ("TIMEOUT", True),
        ("NODE_FAIL", True),
        ("OUT_OF_MEMORY", True),
    ],
)
def test_a_job_squeue_lists_alive_is_not_taken_as_ended(
    fake_slurm_tools: FakeTool, state: str, ended: bool
) -> None:
    """squeue prints a job's flags as its state (CONFIGURING while its nodes boot,
    SUSPENDED, ...), names submitit's waiting list lacks: such a job was taken as ended
    without a result while it was about to train (the sweep then said it ended, and the
    next sweep trained it again). Only SLURM's ending states end it."""
    pytest.importorskip("submitit")
    from submitit.slurm.slurm import SlurmInfoWatcher

    fake_slurm_tools("sacct", "echo disabled >&2\nexit 1")
    fake_slurm_tools("squeue", f'echo "5_0|{state}"')
    watcher = SlurmInfoWatcher()
    watcher.register_job("5_0")
    with submitit_logging_quieted():
        watcher.update()
    assert watcher.is_done("5_0", mode="cache") == ended
    assert ("5_0" in watcher._finished) == ended


def test_a_job_without_a_result_leaves_no_job_of_its_multirun_unwatched(tmp_path: Path) -> None:
    """Hydra's launcher reads its jobs' results in order and stopped at the first that
    ended without one (scancel'd while pending, BOOT_FAIL): the sweep then ended, its
    table counting the array's other jobs (still pending or running) not started or
    failed, while they trained on; the same sweep again trained them twice. The
    multirun's error comes once every job of it has ended."""
    submitit = pytest.importorskip("submitit")
    from repro.sweeping.launch import _jobs_awaited_together

    gate = tmp_path / "go"

    def work(task: int) -> str:
        if task == 0:
            raise ValueError("no result")
        while not gate.exists():
            time.sleep(0.05)
        return "trained"

    executor = submitit.LocalExecutor(folder=tmp_path / "jobs")
    with _jobs_awaited_together():
        jobs = executor.map_array(work, [0, 1])

        def open_gate() -> None:  # a while after the first job ended: the second still runs
            jobs[0].wait()
            time.sleep(1)
            gate.touch()

        threading.Thread(target=open_gate, daemon=True).start()
        with pytest.raises(submitit.core.utils.FailedJobError):
            [job.results()[0] for job in jobs]  # as Hydra's submitit launcher reads them
        assert jobs[1].done()  # before the multirun's error: not left training unwatched
    assert jobs[1].result() == "trained"


def test_a_slurm_job_that_ended_without_a_result_is_named_with_its_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: `could not run: Job 8_1 (task: 0) with path /.../8_1_0_result.pkl`, the first
    of submitit's lines, which said neither that the job ended nor how (scancel'd)."""
    submitit = pytest.importorskip("submitit")
    from repro.running import hydra_task

    def lost(args: list[str]) -> None:
        raise submitit.core.utils.UncompletedJobError(
            "Job 8_1 (task: 0) with path /r/.submitit/8_1/8_1_0_result.pkl\n"
            "has not produced any output (state: CANCELLED by 0)\n"
            "No output/error stream produced ! Check: /r/.submitit/8_1/8_1_0_log.out"
        )

    monkeypatch.setattr(hydra_task, "invoke", lost)
    (line,) = launch([["seed=0,1"]], ["paper=toy"], [], slurm_job_name("7"))
    assert line == (
        "multirun seed=0,1 could not run: its SLURM job 8_1 ended without a result "
        "(state: CANCELLED by 0); its log: /r/.submitit/8_1"
    )


def test_patched_attributes_are_restored_even_when_the_block_raises() -> None:
    """The launcher's patches of submitit (its jobs awaited together, sacct's stderr, the
    preemption signal) go through one helper: an error in the block restores every
    attribute, one a subclass only inherited included (removed again, not left behind)."""
    from repro.sweeping.launch import _patched

    class Base:
        inherited = "base's"

    class Owner(Base):
        own = "own"

    with (
        pytest.raises(RuntimeError, match="in the block"),
        _patched(Owner, own="patched", inherited="patched"),
    ):
        assert (Owner.own, Owner.inherited) == ("patched", "patched")
        raise RuntimeError("in the block")
    assert Owner.own == "own" and Owner.inherited == "base's"
    assert "inherited" not in vars(Owner)


@pytest.mark.parametrize(
    ("manager", "where", "names"),
    [
        ("_jobs_awaited_together", "submitit.core.core", {"Executor": ("map_array",)}),
        ("_jobs_awaited_together", "submitit.core.core", {"Job": ("results",)}),
        (
            "_sacct_stderr_dropped",
            "submitit.slurm.slurm",
            {"SlurmInfoWatcher": ("_make_command", "update")},
        ),
        (
            "_time_limit_warned_by_sigterm",
            "submitit.core.job_environment",
            {"JobEnvironment": ("USR_SIG",)},
        ),
    ],
)
def test_the_launchers_submitit_patches_are_undone_when_the_launch_raises(
    monkeypatch: pytest.MonkeyPatch, manager: str, where: str, names: dict[str, tuple[str, ...]]
) -> None:
    import importlib

    from repro.sweeping import launch as launch_module

    pytest.importorskip("submitit")
    monkeypatch.delenv("SUBMITIT_PREEMPT_SIGNAL", raising=False)
    module = importlib.import_module(where)
    before = {
        (owner, name): vars(getattr(module, owner)).get(name)
        for owner, attributes in names.items()
        for name in attributes
    }
    with pytest.raises(KeyboardInterrupt), getattr(launch_module, manager)():
        raise KeyboardInterrupt
    for (owner, name), value in before.items():
        assert vars(getattr(module, owner)).get(name) is value, (owner, name)
    assert "SUBMITIT_PREEMPT_SIGNAL" not in os.environ


def test_a_slurm_job_cancelled_before_its_record_says_so_in_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job `scancel`ed in its first seconds (before repro wrote a record) ended without a
    result: submitit's UncompletedJobError, and the sweep's table said `missing  no record
    written (job lost?)`. The job's own overrides say which run it was, its state why."""
    from repro.sweeping import launch as launching
    from repro.sweeping.plan import PlannedRun

    monkeypatch.setattr(launching, "ENDED_WITHOUT_RESULT", {})
    launching.ENDED_WITHOUT_RESULT[("experiment=x", "seed=1", "trainer.max_steps=5")] = (
        "8_1",
        "CANCELLED by 0",
    )
    runs = [
        PlannedRun("x", seed, ("trainer.max_steps=5",), tmp_path / f"seed{seed}", "to run")
        for seed in (0, 1)
    ]
    lost, cancelled = launching.collect_results(runs, "sweep-1")
    assert cancelled.detail.startswith("its SLURM job 8_1 was cancelled before it wrote a record")
    assert "job lost" in lost.detail  # no word of its job: as before


def test_a_job_that_ended_without_a_result_is_kept_with_its_overrides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the table above reads: Hydra's launcher maps its jobs' overrides to submitit
    jobs, and a job without a result (any of the batch, not only the first one asked) is
    kept with its id and the state SLURM gave it."""
    core = pytest.importorskip("submitit.core.core")
    from repro.sweeping import launch as launching

    class FakeJob:
        def __init__(self, job_id: str, state: str) -> None:
            self.job_id, self.state = job_id, state

        def wait(self) -> None:
            pass

    def map_array(self: object, fn: object, *iterables: object) -> list[FakeJob]:
        return [FakeJob("8_0", "COMPLETED"), FakeJob("8_1", "CANCELLED by 0")]

    def results(job: FakeJob) -> list[None]:
        if job.state != "COMPLETED":
            raise RuntimeError(f"Job {job.job_id} (task: 0) has not produced any output")
        return [None]

    monkeypatch.setattr(core.Executor, "map_array", map_array)
    monkeypatch.setattr(core.Job, "results", results)
    monkeypatch.setattr(launching, "ENDED_WITHOUT_RESULT", {})
    overrides = (["experiment=x", "seed=0"], ["experiment=x", "+seed=1"])
    with launching._jobs_awaited_together():
        jobs = core.Executor.map_array(None, print, overrides, ("dir", "dir"))
        assert core.Job.results(jobs[0]) == [None]
        with pytest.raises(RuntimeError):
            core.Job.results(jobs[1])
    assert launching.ENDED_WITHOUT_RESULT == {
        ("experiment=x", "+seed=1"): ("8_1", "CANCELLED by 0")
    }


def test_a_cancelled_group_job_names_every_seed_it_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A seeds-together job (`seed=0 group_seeds=[0,1,2]`) cancelled before its records:
    only seed 0's row said so; seeds 1 and 2, trained in the same job, said `no record
    written (job lost?)`. Another setting's seeds are not its."""
    from repro.sweeping import launch as launching
    from repro.sweeping.plan import PlannedRun

    monkeypatch.setattr(launching, "ENDED_WITHOUT_RESULT", {})
    launching.ENDED_WITHOUT_RESULT[("experiment=x", "seed=0", "group_seeds=[0,1,2]", "a=1")] = (
        "8_0",
        "CANCELLED by 0",
    )
    runs = [
        PlannedRun("x", seed, (f"a={a}",), tmp_path / f"a{a}seed{seed}", "to run")
        for a in (1, 2)
        for seed in (0, 1, 2)
    ]
    details = [result.detail for result in launching.collect_results(runs, "sweep-1")]
    assert all(d.startswith("its SLURM job 8_0 was cancelled") for d in details[:3]), details
    assert all("job lost" in d for d in details[3:]), details


def test_a_cancelled_job_is_found_by_its_values_as_hydra_writes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hydra writes a job's overrides its own way (`optimizer.lr=1e-3` as `0.001`): the
    sweep's own words did not match them, and the cancelled job's row said `job lost?`."""
    from repro.sweeping import launch as launching
    from repro.sweeping.plan import PlannedRun

    monkeypatch.setattr(launching, "ENDED_WITHOUT_RESULT", {})
    launching.ENDED_WITHOUT_RESULT[("experiment=x", "seed=0", "optimizer.lr=0.001")] = (
        "8_0",
        "CANCELLED by 0",
    )
    run = PlannedRun("x", 0, ("optimizer.lr=1e-3",), tmp_path / "seed0", "to run")
    (result,) = launching.collect_results([run], "sweep-1")
    assert result.detail.startswith("its SLURM job 8_0 was cancelled"), result.detail


@pytest.mark.parametrize(
    ("fixed", "job_overrides"),
    [
        (("+trainer.benchmark=false",), ("experiment=x", "seed=1", "+trainer.benchmark=false")),
        ((), ("experiment=x", "seed=0", "group_seeds=[0,1,2]")),
    ],
    ids=["appended key", "seeds together"],
)
def test_a_cancelled_job_is_named_for_each_run_it_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixed: tuple, job_overrides: tuple
) -> None:
    """A run whose override appends a key (`+key=value`, which the run keeps as typed) and
    each seed of a seeds-together job (whose overrides name only its first seed, and the
    group's in `group_seeds`) was still `no record written (job lost?)` of a cancelled job."""
    from repro.sweeping import launch as launching
    from repro.sweeping.plan import PlannedRun

    monkeypatch.setattr(launching, "ENDED_WITHOUT_RESULT", {job_overrides: ("8_1", "CANCELLED")})
    run = PlannedRun("x", 1, fixed, tmp_path / "seed1", "to run")
    (result,) = launching.collect_results([run], "sweep-1")
    assert result.detail.startswith("its SLURM job 8_1 was cancelled"), result.detail


def test_a_cancelled_job_of_other_seeds_is_not_named_for_a_run_it_did_not_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seeds of a group job are its group's, no others."""
    from repro.sweeping import launch as launching
    from repro.sweeping.plan import PlannedRun

    ended = {("experiment=x", "seed=0", "group_seeds=[0,2]"): ("8_1", "CANCELLED")}
    monkeypatch.setattr(launching, "ENDED_WITHOUT_RESULT", ended)
    (result,) = launching.collect_results(
        [PlannedRun("x", 1, (), tmp_path / "seed1", "to run")], "sweep-1"
    )
    assert "job lost" in result.detail


def test_what_a_ray_job_is_handed_of_the_sweeps_environment_is_taken_literally(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the sweep hands a Ray job of its environment (`hydra.job.env_set`) holds folder
    names, any character: Hydra's override lexer and OmegaConf's `${` keep it as set; one
    the sweep has not set is set empty, over what a reused worker still holds."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    from repro.sweeping.jobs import JOB_ENVIRONMENT
    from repro.sweeping.launch import environment_overrides

    value = '{"papers_dir": ["/a/it\'s ${x}, [b] \\"]}'
    monkeypatch.setenv(JOB_ENVIRONMENT[1], value)
    monkeypatch.delenv(JOB_ENVIRONMENT[2], raising=False)
    parser = OverridesParser.create()
    parsed = [parser.parse_override(word) for word in environment_overrides()]
    assert {p.key_or_group for p in parsed} == {f"hydra.job.env_set.{n}" for n in JOB_ENVIRONMENT}
    env = OmegaConf.create({p.key_or_group.rpartition(".")[2]: p.value() for p in parsed})
    assert env[JOB_ENVIRONMENT[1]] == value and env[JOB_ENVIRONMENT[2]] == ""


def test_a_cancelled_job_is_named_only_for_the_setting_whose_overrides_it_held_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job was matched to a run when the run's overrides were a subset of the job's: with
    a setting of no override (`experiment=x`) and one of `optimizer.lr=0.01`, the second's
    cancelled job was named in the first's row too, whose own job had ended otherwise. A job
    is a run's where the overrides that tell the sweep's settings apart are the run's, all
    and only; the words every job of the sweep shares (`paper=`, the results folder) and
    the seed words tell no setting."""
    from repro.sweeping import launch as launching
    from repro.sweeping.plan import PlannedRun

    words = ("paper=toy", "paths.results_dir='/r'", "experiment=x", "seed=0")
    ended = {(*words, "optimizer.lr=0.01"): ("8_1", "CANCELLED by 0")}
    monkeypatch.setattr(launching, "ENDED_WITHOUT_RESULT", ended)
    plain = PlannedRun("x", 0, (), tmp_path / "a" / "seed0", "to run")
    tuned = PlannedRun("x", 0, ("optimizer.lr=1e-2",), tmp_path / "b" / "seed0", "to run")
    for planned in ([plain, tuned], [tuned, plain]):
        by_folder = {r.run.record_dir: r.detail for r in launching.collect_results(planned, "s")}
        assert "job lost" in by_folder[plain.record_dir], by_folder
        assert by_folder[tuned.record_dir].startswith("its SLURM job 8_1 was cancelled")
    monkeypatch.setattr(launching, "ENDED_WITHOUT_RESULT", {words: ("8_0", "CANCELLED")})
    by_folder = {r.run.record_dir: r.detail for r in launching.collect_results([plain, tuned], "s")}
    assert by_folder[plain.record_dir].startswith("its SLURM job 8_0 was cancelled"), by_folder
    assert "job lost" in by_folder[tuned.record_dir], by_folder


def test_an_estimate_from_runs_of_another_length_scales_and_says_so(tmp_path: Path) -> None:
    """`repro sweep trainer.max_steps=100 --dry-run` after runs of the default 6000 steps: the
    estimate must scale with the steps asked, and the plan must say where it came from (runs
    of another length), not show a number as if measured."""
    from repro.records import store
    from repro.sweeping.launch import estimate_notes, estimate_seconds
    from repro.sweeping.plan import PlannedRun

    timing = {"wall_s": 74.0, "fit_s": 70.0, "steps_per_s": 6000 / 70.0, "steps": 6000}
    record = {"status": "completed", "timing": timing, "environment": {"cpu": "a CPU"}}
    store.write_record(tmp_path / "x" / "long" / "seed0", record)
    short = PlannedRun("x", 0, (), tmp_path / "x" / "short" / "seed0", "to run", 100)
    same = PlannedRun("x", 1, (), tmp_path / "x" / "long" / "seed1", "to run", 6000)
    estimates = estimate_seconds([short, same], "a CPU | no GPU")
    assert estimates[short.record_dir] < 10 and estimates[same.record_dir] == 74.0
    notes = estimate_notes([short, same], "a CPU | no GPU")
    assert notes == [
        "estimate of x at 100 steps: from 1 earlier run of 6000 steps, scaled by steps/s"
    ], notes
