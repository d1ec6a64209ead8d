"""`repro sweep` under faults: kill -9 of the sweep or of one worker, a run held by another
process, and a plugin that fails every run the same way."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from repro.running.lock import run_lock
from repro.running.runner import RunOutcome
from repro.sweeping.jobs import SystematicFailure
from repro.sweeping.launch import collect_results
from repro.sweeping.plan import PlannedRun
from tests.conftest import repro, repro_in_own_group, write_signalling_paper, write_toy_paper

LONG_RUN = "trainer.max_steps=200000"  # the toy trains for minutes: long enough to kill


@pytest.fixture
def toy_dir(tmp_path: Path) -> Path:
    write_toy_paper(tmp_path / "plugins", "toy")
    return tmp_path / "plugins"


def _records(results: Path) -> dict[int, dict]:
    """Seed -> record of the `small` experiment."""
    found = {}
    for path in results.rglob("record.json"):
        record = json.loads(path.read_text())
        found[record["seed"]] = record
    return found


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def _wait_for_two_running(results: Path) -> None:
    """Both workers are training: two records say `running`."""
    _wait_for(
        lambda: sum(r["status"] == "running" for r in _records(results).values()) == 2,
        180,
        "two running records",
    )


def _session_processes(session: int) -> list[int]:
    """Live processes of a session (zombies excluded): the sweep's whole process tree."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def _start_sweep(toy_dir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "repro", "sweep", "--papers-dir", str(toy_dir)),
            *("paper=toy", "launcher=joblib", "logger=none", *args),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "REPRO_JOBS": "2"},
        start_new_session=True,  # its own session: every process it starts can be found
    )


def _kill_session(session: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(session, signal.SIGKILL)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_kill_9_of_the_sweep_ends_its_workers_and_interrupts_their_runs(
    toy_dir: Path, isolated_env: Path
) -> None:
    sweep = _start_sweep(toy_dir, "seeds=3", LONG_RUN)
    try:
        _wait_for_two_running(isolated_env)
        sweep.kill()  # kill -9 of the sweep's main process
        sweep.wait(timeout=30)
        _wait_for(lambda: not _session_processes(sweep.pid), 120, "the workers to end")
        records = _records(isolated_env)
        assert sorted(records) == [0, 1], "a worker started a queued run after the sweep died"
        # interrupted (checkpoint saved), or still `running` when SIGTERM came before training
        # started; never completed by an orphan
        assert {r["status"] for r in records.values()} <= {"interrupted", "running"}
    finally:
        _kill_session(sweep.pid)


def test_a_killed_worker_loses_only_its_run_with_one_line(
    toy_dir: Path, isolated_env: Path
) -> None:
    sweep = _start_sweep(toy_dir, "seeds=2", "trainer.max_steps=6000")
    try:
        _wait_for_two_running(isolated_env)
        (lock,) = [p for p in isolated_env.rglob("seed0/.lock")]
        os.kill(int(lock.read_text()), signal.SIGKILL)
        out, err = sweep.communicate(timeout=600)
    finally:
        _kill_session(sweep.pid)
    assert sweep.returncode == 1, out + err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if "worker process died" in line]
    assert lines == [
        "error: a worker process died (SIGKILL) while running small seed 0; other runs go on"
    ]
    assert _records(isolated_env)[1]["status"] == "completed"
    assert "1 trained, 0 already completed, 1 failed" in out


def test_a_run_held_by_another_process_is_not_counted_trained(
    toy_dir: Path, isolated_env: Path
) -> None:
    args = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "logger=none")
    assert repro(*args, timeout=300).returncode == 0
    (record_file,) = isolated_env.rglob("seed0/record.json")
    record_file.unlink()
    with run_lock(record_file.parent):  # another process is training seed 0
        held = repro(*args, timeout=300)
    assert held.returncode == 1
    assert "0 trained, 1 already completed, 1 held by another process, 0 failed" in held.stdout
    assert "held by another process that is running them" in held.stderr
    assert "Traceback" not in held.stderr


BUSY_THEN_COMPLETED_ELSEWHERE = """
import json, os, sys
from repro.records import store
from repro.running.runner import RunOutcome
from repro.sweeping import jobs

real = jobs._run_single

def run_single(run, overrides):  # seed 0: another sweep held its lock, then completed it
    outcome = real(run, overrides)
    if run.seed != 0:
        return outcome
    record = store.read_record(run.record_dir)
    record["sweep_id"] = "another-sweep"
    (run.record_dir / store.RECORD_FILE).write_text(json.dumps(record))
    busy = f"run {run.record_dir} is already running (pid 1)"
    return RunOutcome("busy", run.record_dir, error=busy, exit_code=1)

jobs._run_single = run_single
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


def test_a_run_another_sweep_held_then_completed_leaves_the_sweep_exit_0(
    toy_dir: Path, isolated_env: Path
) -> None:
    """Two sweeps of one paper at once: each found some runs held by the other, which then
    completed them. Every row said completed (`completed by another process`), yet both
    exited 1 with no line saying why: the busy outcome's exit code counted as a failure."""
    args = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "logger=none")
    done = repro(*args, patched_by=BUSY_THEN_COMPLETED_ELSEWHERE, timeout=300)
    assert "1 trained, 0 already completed, 0 failed" in done.stdout
    assert "1 completed by another process" in done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
    # it also said `error: run ... is already running (pid 1); another process is running it`:
    # an error line from a sweep that exits 0, the held run being no failure of its own
    held = [line for line in done.stderr.splitlines() if "already running (pid 1)" in line]
    assert len(held) == 1 and held[0].startswith("warning: "), done.stderr
    assert "another process is running it" not in held[0], held  # "already running" said it


def test_trained_counts_only_records_this_sweep_wrote(tmp_path: Path) -> None:
    def planned(seed: int, sweep_id: str) -> PlannedRun:
        folder = tmp_path / "toy" / "small" / "h" / f"seed{seed}"  # <paper>/<experiment>/
        folder.mkdir(parents=True)
        record = {"status": "completed", "metrics": {}, "timing": {}, "sweep_id": sweep_id}
        record.update(paper="toy", experiment="small", seed=seed)
        (folder / "record.json").write_text(json.dumps(record))
        return PlannedRun("small", seed, (), folder, "to run")

    results = collect_results([planned(0, "this"), planned(1, "other")], "this")
    assert [r.result for r in results] == ["trained", "completed by another process"]


def test_a_stale_retrain_that_failed_is_failed_not_completed_elsewhere(tmp_path: Path) -> None:
    """A stale run's retrain that failed leaves the completed record (an earlier sweep's) in
    place: the summary reads this sweep's record.failed.json, as it does for rerun=true."""
    folder = tmp_path / "toy" / "small" / "h" / "seed0"
    folder.mkdir(parents=True)
    record = {"status": "completed", "metrics": {}, "timing": {}, "sweep_id": "earlier"}
    record.update(paper="toy", experiment="small", seed=0)
    (folder / "record.json").write_text(json.dumps(record))
    failed = {**record, "status": "failed", "error": "NameError: yy", "sweep_id": "this"}
    (folder / "record.failed.json").write_text(json.dumps(failed))
    (result,) = collect_results([PlannedRun("small", 0, (), folder, "stale (model.py)")], "this")
    assert result.result == "failed" and "NameError: yy" in result.detail


def test_a_locked_unfinished_run_reads_as_held_by_another_process(tmp_path: Path) -> None:
    """Launchers repro does not drive (slurm, ray) leave no outcome: the lock tells."""
    folder = tmp_path / "seed0"
    folder.mkdir()
    (folder / "record.json").write_text(json.dumps({"status": "running", "timing": {}}))
    run = PlannedRun("small", 0, (), folder, "redo (running)")
    with run_lock(folder):
        assert collect_results([run], "this")[0].result == "held by another process"
    assert collect_results([run], "this")[0].result == "failed"


@pytest.mark.parametrize("earlier", [None, "interrupted"])
def test_a_blocked_seed_reads_as_failed_by_its_block_not_lost_or_interrupted(
    tmp_path: Path, earlier: str | None
) -> None:
    """launcher=slurm (no outcome: the records tell): a seed planned blocked, its run
    stopped at once naming what is in the way. Its record.json a dead link, the table said
    `missing  no record written (job lost?)`; its config.yaml a dead link beside an earlier
    run's `interrupted by SIGTERM` record, it said `interrupted` and the sweep warned of
    SLURM's time limit, though this sweep trained nothing of it."""
    from repro.sweeping.execute import time_limit_line

    folder = tmp_path / "toy" / "small" / "h" / "seed0"
    folder.mkdir(parents=True)
    dead = "config.yaml" if earlier else "record.json"
    (folder / dead).symlink_to(tmp_path / "unmounted" / dead)
    if earlier:
        record = {"status": earlier, "error": "interrupted by SIGTERM", "timing": {}}
        record.update(paper="toy", experiment="small", seed=0, sweep_id="earlier")
        (folder / "record.json").write_text(json.dumps(record))
    state = f"blocked ({dead} is a link that leads nowhere)"
    run = PlannedRun("small", 0, (), folder, state)
    (result,) = collect_results([run], "this", None, tmp_path / ".submitit")
    assert result.result == "failed", result
    assert result.detail.startswith(state), result.detail
    assert time_limit_line([result], "slurm", []) is None


def test_a_run_that_failed_before_writing_reads_as_failed_not_as_an_earlier_record(
    tmp_path: Path,
) -> None:
    """A group that waits for its blocked seed fails its other seeds at once, writing
    nothing: progress said `3 failed`, while the table read their earlier runs' records
    (`interrupted ... resumes the group from step 7`), as if this sweep had left them so."""
    from repro.sweeping.jobs import SweepOutcomes

    folder = tmp_path / "toy" / "small" / "h" / "seed1"
    folder.mkdir(parents=True)
    record = {"status": "interrupted", "error": "interrupted by SIGTERM", "timing": {}}
    record.update(paper="toy", experiment="small", seed=1, sweep_id="earlier")
    (folder / "record.json").write_text(json.dumps(record))
    run = PlannedRun("small", 1, (), folder, "redo (interrupted)")
    said = "its group (seeds 0, 1, trained together) waits for seed 0: seed 0: ... a folder"
    failed = RunOutcome("failed", folder, error=said, exit_code=1)
    jobs = SweepOutcomes({folder: failed}, [], None)
    (result,) = collect_results([run], "this", jobs)
    assert (result.result, result.detail) == ("failed", said), result


def test_a_job_lost_before_rewriting_an_earlier_runs_record_is_not_read_as_its_end(
    tmp_path: Path,
) -> None:
    """launcher=slurm (no outcome: the records tell): a run an earlier sweep's time limit
    cut (`interrupted by SIGTERM`), whose job in this sweep was lost before its record was
    rewritten, read as this sweep's `interrupted`, with a warning to raise slurm.time_min,
    naming no job log; the record is the earlier run's: missing, with where the log is."""
    from repro.sweeping.execute import time_limit_line

    folder = tmp_path / "toy" / "small" / "h" / "seed0"
    folder.mkdir(parents=True)
    record = {"status": "interrupted", "error": "interrupted by SIGTERM", "timing": {}}
    record.update(paper="toy", experiment="small", seed=0, sweep_id="earlier")
    (folder / "record.json").write_text(json.dumps(record))
    run = PlannedRun("small", 0, (), folder, "redo (interrupted)")
    (result,) = collect_results([run], "this", None, tmp_path / ".submitit")
    assert result.result == "missing", result
    assert "earlier" in result.detail and str(tmp_path / ".submitit") in result.detail
    assert time_limit_line([result], "slurm", []) is None
    (folder / "record.json").write_text(json.dumps({**record, "sweep_id": "this"}))
    (result,) = collect_results([run], "this", None, tmp_path / ".submitit")
    assert result.result == "interrupted", result  # this sweep's own


def test_a_job_lost_before_its_record_points_to_the_jobs_logs(tmp_path: Path) -> None:
    """launcher=slurm with a time limit too short to write a record (or a job SLURM
    killed as it started): the table said `missing  no record written (job lost?)`, naming
    none of the job logs under results/.sweeps/<paper>/<stamp>/.submitit/ that say why; a
    job killed with its record `running` pointed nowhere either."""
    logs = tmp_path / ".sweeps" / "toy" / "stamp" / ".submitit"
    logs.mkdir(parents=True)
    lost, killed = (
        tmp_path / "toy" / "small" / "h" / "seed0",
        tmp_path / "toy" / "small" / "h" / "seed1",
    )
    lost.mkdir(parents=True)
    killed.mkdir(parents=True)
    record = {"status": "running", "timing": {}, "sweep_id": "this"}
    (killed / "record.json").write_text(json.dumps(record))
    runs = [
        PlannedRun("small", 0, (), lost, "to run"),
        PlannedRun("small", 1, (), killed, "to run"),
    ]
    results = collect_results(runs, "this", logs=logs)
    assert [r.result for r in results] == ["missing", "failed"]
    for result in results:
        assert f"its job's log is under {logs}" in result.detail, result.detail


def test_a_run_whose_record_could_not_say_it_failed_shows_why_not_none(tmp_path: Path) -> None:
    """a seed whose record could not be written as its group recorded it (a
    read-only folder) fails with one line, its record still `running` and without an error:
    the sweep's table said `running: None`. It shows the run's own line."""
    from repro.sweeping.jobs import SweepOutcomes

    folder = tmp_path / "toy" / "small" / "h" / "seed0"
    folder.mkdir(parents=True)
    record = {"status": "running", "error": None, "timing": {}, "sweep_id": "this"}
    (folder / "record.json").write_text(json.dumps(record))
    run = PlannedRun("small", 0, (), folder, "to run")
    why = f"cannot write run record {folder}/record.json: Permission denied; a rerun trains it"
    jobs = SweepOutcomes({folder: RunOutcome("failed", folder, error=why, exit_code=1)}, [], None)
    (result,) = collect_results([run], "this", jobs)
    assert result.result == "failed"
    assert "None" not in result.detail and "Permission denied" in result.detail, result.detail


def test_systematic_failure_rule() -> None:
    def failed(error: str, code: int = 1) -> RunOutcome:
        return RunOutcome("failed", None, error=error, exit_code=code)

    rule = SystematicFailure()
    assert not rule.stops_after(failed("RuntimeError: boom"))
    assert rule.stops_after(failed("RuntimeError: boom"))
    assert rule.reason == "RuntimeError: boom"
    assert SystematicFailure().stops_after(failed("paper 'toy': no module", code=2))
    mixed = SystematicFailure()
    assert not mixed.stops_after(RunOutcome("completed", None))
    assert not mixed.stops_after(failed("x", code=2)) and not mixed.stops_after(failed("x"))


def _break_the_constructor(toy_dir: Path) -> None:
    """A module whose construction fails at run time: a missing class is caught before the
    sweep launches anything (config check), a constructor that raises only when it runs."""
    model = toy_dir / "toy" / "model.py"
    text = model.read_text()
    assert "super().__init__()" in text
    model.write_text(
        text.replace(
            "super().__init__()",
            'super().__init__()\n        raise RuntimeError("boom in the constructor")',
            1,
        )
    )


def test_a_plugin_failing_every_run_stops_the_sweep_after_the_first(
    toy_dir: Path, isolated_env: Path
) -> None:
    _break_the_constructor(toy_dir)
    done = repro(
        "sweep",
        "--papers-dir",
        str(toy_dir),
        "paper=toy",
        "experiment=small,wide",
        "seeds=3",
        "logger=none",
        timeout=300,
    )
    assert done.returncode == 1
    stops = [line for line in done.stderr.splitlines() if "stopping the sweep" in line]
    assert len(stops) == 1
    assert stops[0].startswith("error: stopping the sweep: every run fails the same way: ")
    assert "boom in the constructor" in stops[0]
    assert "2 failed, 0 missing, 4 not started" in done.stdout
    assert "Traceback" not in done.stderr


def test_parallel_workers_stop_launching_on_a_systematic_failure(
    toy_dir: Path, isolated_env: Path
) -> None:
    _break_the_constructor(toy_dir)
    done = repro(
        "sweep",
        "--papers-dir",
        str(toy_dir),
        "paper=toy",
        "experiment=small,wide",
        "seeds=3",
        "launcher=joblib",
        "logger=none",
        env={"REPRO_JOBS": "2"},
        timeout=300,
    )
    assert done.returncode == 1
    assert done.stderr.count("error: stopping the sweep: every run fails the same way") == 1
    # the rule stops at the second identical failure; runs already handed to the two workers
    # still finish (fail), the rest are never started
    counts = re.search(r"(\d+) failed, 0 missing, (\d+) not started", done.stdout)
    assert counts and 2 <= int(counts[1]) <= 4 and int(counts[1]) + int(counts[2]) == 6
    assert "Traceback" not in done.stderr


def test_no_stop_is_announced_when_every_run_had_already_started(
    toy_dir: Path, isolated_env: Path
) -> None:
    """Two workers for two runs failing alike: both had run when the rule saw the second
    failure, yet the sweep said `error: stopping the sweep: ...` with nothing left to stop."""
    _break_the_constructor(toy_dir)
    done = repro(
        "sweep",
        "--papers-dir",
        str(toy_dir),
        "paper=toy",
        "experiment=small",
        "seeds=2",
        "launcher=joblib",
        "logger=none",
        env={"REPRO_JOBS": "2"},
        timeout=300,
    )
    assert done.returncode == 1
    assert "2 failed, 0 missing, 0 not started" in done.stdout, done.stdout
    assert "stopping the sweep" not in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("launcher", "interrupted", "not_started"), [("local", 1, 2), ("joblib", 2, 1)]
)
def test_a_signal_that_interrupts_a_run_stops_the_sweep_and_a_rerun_resumes(
    tmp_path: Path, launcher: str, interrupted: int, not_started: int
) -> None:
    """Before: a local sweep went on to the next run after Ctrl-C or SIGTERM interrupted one
    (`17/20 done (1 failed)`), so the only way to stop it was a signal per run."""
    plugins = tmp_path / "plugins"
    write_signalling_paper(plugins)
    sweep = (
        *("sweep", "--papers-dir", str(plugins), "paper=sig", "experiment=small", "seeds=3"),
        *(f"launcher={launcher}", "logger=none", "trainer.max_steps=40"),
    )
    env = {"REPRO_JOBS": "2", "REPRO_TEST_SIGNAL": "SIGINT"}
    stopped = repro(*sweep, env={**env, "REPRO_TEST_SIGNAL_AT": "train_epoch_end"})
    assert stopped.returncode == 130, stopped.stderr
    statuses = sorted(r["status"] for r in _records(tmp_path / "results").values())
    assert statuses == ["interrupted"] * interrupted, stopped.stdout
    assert f"{not_started} not started" in stopped.stdout
    assert "error: sweep interrupted by SIGINT" in stopped.stderr
    resumed = repro(*sweep, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert [r["status"] for r in _records(tmp_path / "results").values()] == ["completed"] * 3


def test_a_slurm_controller_out_of_reach_is_one_line_not_a_traceback(
    toy_dir: Path, tmp_path: Path
) -> None:
    """Before: sbatch's refusal came out as Hydra's traceback of submitit's FailedJobError.
    Every SLURM command is a refusing stand-in, `srun` too (submitit looks for it first): the
    test needs no SLURM installed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    refusing = "sbatch: error: Batch job submission failed: Unable to contact slurm controller"
    for name in ("sbatch", "squeue", "sacct", "scancel", "srun"):
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\necho '{refusing} (connect failure)' >&2\nexit 1\n")
        script.chmod(0o755)
    done = repro(
        "sweep",
        "--papers-dir",
        str(toy_dir),
        "paper=toy",
        "launcher=slurm",
        "seeds=1",
        "logger=none",
        env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        timeout=300,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    # submitit echoes sbatch's own line before raising; repro adds one error line naming it
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and refusing in errors[0], done.stderr


CTRL_C_MODULE = '''

import json
from pathlib import Path


class CtrlCModule(SignallingModule):
    """At its first epoch end, once both seeds' records say `running`, sends SIGINT to the
    whole process group, as Ctrl-C at a terminal does (one sender: an O_EXCL flag file)."""

    def on_train_epoch_end(self):
        flag = os.environ["REPRO_TEST_CTRL_C_FLAG"]
        results = Path(os.environ["REPRO_RESULTS_DIR"])
        for _ in range(600):
            records = [json.loads(p.read_text()) for p in results.rglob("record.json")]
            if sum(r.get("status") == "running" for r in records) == 2:
                break
            time.sleep(0.1)
        try:
            os.close(os.open(flag, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return
        os.killpg(os.getpgid(0), signal.SIGINT)
'''


def test_ctrl_c_of_a_joblib_sweep_is_recorded_as_sigint_in_every_run(tmp_path: Path) -> None:
    """Ctrl-C reaches the sweep and its workers; the sweep's stop then sends SIGTERM to the
    workers still running. Before: every run's record read `interrupted by SIGTERM`, a signal
    the user never sent (the later signal overwrote the first)."""
    plugins = tmp_path / "plugins"
    folder = write_signalling_paper(plugins) / "sig"
    model = (folder / "model.py").read_text().replace("import os\n", "import os\nimport time\n", 1)
    (folder / "model.py").write_text(model + CTRL_C_MODULE)
    spec = (folder / "paper.yaml").read_text()
    (folder / "paper.yaml").write_text(spec.replace("model:SignallingModule", "model:CtrlCModule"))
    results = tmp_path / "results"
    env = {
        **os.environ,
        "REPRO_JOBS": "2",
        "REPRO_RESULTS_DIR": str(results),
        "REPRO_TEST_CTRL_C_FLAG": str(tmp_path / "ctrl-c-sent"),
    }
    command = ["sweep", "--papers-dir", str(plugins), "paper=sig", "experiment=small", "seeds=2"]
    command += ["launcher=joblib", "logger=none"]
    command += [LONG_RUN]
    code, stderr = repro_in_own_group(*command, env=env)
    assert code == 130, stderr
    records = _records(results)
    assert sorted(records) == [0, 1], stderr
    for seed, record in records.items():
        assert record["status"] == "interrupted", (seed, record)
        assert "SIGINT" in record["error"] and "SIGTERM" not in record["error"], (seed, record)
    assert "Traceback" not in stderr


SLOW_WORKER_START = """
import os, sys, time

if "--multiprocessing-fork" in sys.argv:  # a spawned worker, still in Python's start-up
    open(os.path.join(os.environ["REPRO_TEST_FLAGS"], str(os.getpid())), "w").close()
    time.sleep(1.5)
"""


def test_ctrl_c_while_joblib_workers_start_is_one_line_not_their_tracebacks(
    tmp_path: Path,
) -> None:
    """Ctrl-C as the workers start (they spawn before the sweep has validated its config)
    reached each worker inside Python's start-up, which printed a KeyboardInterrupt traceback
    per worker under the sweep's `error: interrupted`. A sitecustomize holds each worker in
    its start-up for 1.5 s, so the Ctrl-C lands there every time."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SLOW_WORKER_START)
    flags = tmp_path / "flags"
    flags.mkdir()
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "REPRO_JOBS": "2", "REPRO_RESULTS_DIR": str(tmp_path / "results")}
    env.update(PYTHONPATH=path, REPRO_TEST_FLAGS=str(flags))
    command = ["sweep", "paper=mnist1d", "experiment=logistic", "seeds=2", "launcher=joblib"]
    command += ["logger=none", "trainer.max_steps=50"]
    code, stderr = repro_in_own_group(  # the Ctrl-C once a worker is held in its start-up
        *command, env=env, ctrl_c_when=lambda: any(flags.iterdir()), timeout=120
    )
    assert code == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert [line for line in stderr.splitlines() if line.strip()] == ["error: interrupted"]


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_sigterm_to_a_joblib_sweep_alone_stops_its_runs_with_the_sweeps_line(
    toy_dir: Path, isolated_env: Path
) -> None:
    """SIGTERM to the sweep's own process (a scheduler stopping the command, not its group):
    its runs checkpoint and say SIGTERM, and the sweep says so in its line, exit 143. Before,
    the sweep died at once (exit -15, no line); only the orphan watch saved the runs."""
    sweep = _start_sweep(toy_dir, "seeds=2", LONG_RUN)
    try:
        _wait_for_two_running(isolated_env)
        sweep.send_signal(signal.SIGTERM)
        _, err = sweep.communicate(timeout=120)
        _wait_for(lambda: not _session_processes(sweep.pid), 60, "the workers to end")
    finally:
        _kill_session(sweep.pid)
    assert sweep.returncode == 143, (sweep.returncode, err[-2000:])
    assert "error: sweep interrupted by SIGTERM: 0 run(s) not started" in err, err
    assert "Traceback" not in err
    for seed, record in _records(isolated_env).items():
        assert record["status"] == "interrupted", (seed, record)
        assert record["error"].startswith("interrupted by SIGTERM"), (seed, record)


SIGTERM_AT = """
import os, signal, sys
from repro.config import checks
from repro.sweeping import jobs, plan, stages

# SIGTERM_AT: the point after which this process (the sweep) sends itself SIGTERM, once:
# `send` (a job sent to a worker still starting), `plan`, `validate` or `pilot` (the pilot's
# runs ended, before stage two is planned); SIGINT_AFTER_S: then SIGINT to its group
point, sent = os.environ["SIGTERM_AT"], []

def stop(here):
    if here == point and not sent:
        sent.append(1)
        os.kill(os.getpid(), signal.SIGTERM)

def patched(name, real):
    def call(*args, **kwargs):
        result = real(*args, **kwargs)
        stop(name)
        return result
    return call

jobs._Worker.send = patched("send", jobs._Worker.send)
plan.plan_sweep = patched("plan", plan.plan_sweep)
checks.validate_sweep = patched("validate", checks.validate_sweep)
real_after_pilot = stages.plan_after_pilot
def after_pilot(*args, **kwargs):
    stop("pilot")
    return real_after_pilot(*args, **kwargs)
stages.plan_after_pilot = after_pilot
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


def _sweep_sigterm_at(
    point: str, toy_dir: Path, results: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    command = ["sweep", "--papers-dir", str(toy_dir), "paper=toy", "launcher=joblib"]
    env = {"REPRO_JOBS": "2", "REPRO_RESULTS_DIR": str(results), "SIGTERM_AT": point}
    return repro(*command, "logger=none", *args, env=env, patched_by=SIGTERM_AT, timeout=300)


def test_sigterm_to_a_sweep_whose_worker_has_not_started_its_run_says_not_started(
    toy_dir: Path, tmp_path: Path
) -> None:
    """SIGTERM to the sweep's pid once a worker has its job but is still importing: the
    worker dies of the SIGTERM passed on before its run began. Before, the sweep printed `a
    worker process died (SIGTERM) ... other runs go on` and its table said `failed`; no run
    began, so both are `not started`, and a rerun trains them."""
    results = tmp_path / "results"
    stopped = _sweep_sigterm_at("send", toy_dir, results, "seeds=2")
    assert stopped.returncode == 143, stopped.stderr[-2000:]
    assert "died" not in stopped.stderr and "Traceback" not in stopped.stderr, stopped.stderr
    assert "error: sweep interrupted by SIGTERM: 2 run(s) not started" in stopped.stderr
    assert stopped.stdout.count("not started  -     the sweep stopped first") == 2, stopped.stdout
    assert not _records(results)
    again = repro(
        *("sweep", "--papers-dir", str(toy_dir), "paper=toy", "seeds=2", "logger=none"),
        env={"REPRO_RESULTS_DIR": str(results)},
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert [r["status"] for r in _records(results).values()] == ["completed"] * 2


@pytest.mark.parametrize(
    ("point", "args"),
    [("plan", ("seeds=2",)), ("validate", ("seeds=2",)), ("pilot", ("seeds=auto",))],
)
def test_sigterm_to_a_sweep_between_its_runs_is_one_line_and_exit_143(
    toy_dir: Path, tmp_path: Path, point: str, args: tuple[str, ...]
) -> None:
    """SIGTERM to the sweep's pid while it plans, validates or sits between seeds=auto's
    stages (no run training, so no worker to pass it on to): before, the process died at
    once, exit -15 and no line. Now one line, exit 143, and the pilot's records kept."""
    results = tmp_path / "results"
    stopped = _sweep_sigterm_at(point, toy_dir, results, *args, "experiment=small")
    assert stopped.returncode == 143, (point, stopped.returncode, stopped.stderr[-2000:])
    lines = [line for line in stopped.stderr.splitlines() if line.strip()]
    assert lines[-1] == "error: interrupted by SIGTERM", lines
    assert "Traceback" not in stopped.stderr
    statuses = [r["status"] for r in _records(results).values()]
    assert set(statuses) == ({"completed"} if point == "pilot" else set()), statuses


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_sigterm_then_ctrl_c_of_a_joblib_sweep_ends_as_the_records_say(
    toy_dir: Path, isolated_env: Path
) -> None:
    """SIGTERM to the sweep's pid, then Ctrl-C to its group 30 ms later (a scheduler's stop,
    then an impatient user): every record says SIGTERM, so the sweep exits 143 with its line
    and table. Before, the Ctrl-C raised in the draining sweep: exit 130, `error:
    interrupted`, no table."""
    sweep = _start_sweep(toy_dir, "seeds=2", LONG_RUN)
    try:
        _wait_for_two_running(isolated_env)
        sweep.send_signal(signal.SIGTERM)
        time.sleep(0.03)
        os.killpg(sweep.pid, signal.SIGINT)
        out, err = sweep.communicate(timeout=120)
        _wait_for(lambda: not _session_processes(sweep.pid), 60, "the workers to end")
    finally:
        _kill_session(sweep.pid)
    for seed, record in _records(isolated_env).items():
        assert record["error"].startswith("interrupted by SIGTERM"), (seed, record)
    assert sweep.returncode == 143, (sweep.returncode, err[-2000:])
    assert "error: sweep interrupted by SIGTERM: 0 run(s) not started" in err, err
    assert "interrupted" in out and "Traceback" not in err, (out, err)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("to", ["group", "pid"])
def test_ctrl_c_of_a_joblib_sweep_prints_its_table_and_the_resume_line(
    toy_dir: Path, isolated_env: Path, to: str
) -> None:
    """Ctrl-C at a terminal (SIGINT to the group) or SIGINT to the sweep's pid alone, with two
    runs training and one queued: the runs say SIGINT, and the sweep prints its table and
    `sweep interrupted by SIGINT: 1 run(s) not started`, as a `local` sweep and a SIGTERM do.
    Before, the sweep raised where it waited: `error: interrupted` and no table, and SIGINT to
    its pid alone left records saying SIGTERM."""
    sweep = _start_sweep(toy_dir, "seeds=3", LONG_RUN)
    try:
        _wait_for_two_running(isolated_env)
        if to == "group":
            os.killpg(sweep.pid, signal.SIGINT)
        else:
            sweep.send_signal(signal.SIGINT)
        out, err = sweep.communicate(timeout=120)
        _wait_for(lambda: not _session_processes(sweep.pid), 60, "the workers to end")
    finally:
        _kill_session(sweep.pid)
    records = _records(isolated_env)
    assert sorted(records) == [0, 1], records
    for seed, record in records.items():
        assert record["status"] == "interrupted", (seed, record)
        assert "SIGINT" in record["error"] and "SIGTERM" not in record["error"], (seed, record)
    assert sweep.returncode == 130, (sweep.returncode, err[-2000:])
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1] == (
        "error: sweep interrupted by SIGINT: 1 run(s) not started; sweep again to resume"
    ), err
    assert "Traceback" not in err and "died" not in err, err
    assert out.count("not started") >= 2 and "interrupted" in out, out


SIGTERM_IN_SLURM_LAUNCH = """
import sys
from repro.errors import Terminated
from repro.running import hydra_task

def stopped(args):  # SIGTERM while the Hydra launcher waits on the SLURM jobs
    raise Terminated

hydra_task.invoke = stopped
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


def test_a_stopped_slurm_sweep_ends_with_its_table_and_the_sweeps_line(
    toy_dir: Path, tmp_path: Path
) -> None:
    """SIGTERM (or Ctrl-C) of a `launcher=slurm` sweep cancelled its jobs, then ended on
    `error: interrupted by SIGTERM`: no table of runs, unlike a stopped joblib sweep, and no
    word that the same sweep again resumes it. Now the table, then the sweep's line."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "scancel").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "scancel").chmod(0o755)
    results = tmp_path / "results"
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "REPRO_RESULTS_DIR": str(results)}
    command = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "launcher=slurm", "seeds=2")
    stopped = repro(*command, "logger=none", env=env, patched_by=SIGTERM_IN_SLURM_LAUNCH)
    assert stopped.returncode == 143, stopped.stderr[-2000:]
    assert "Traceback" not in stopped.stderr
    assert "error: cancelled this sweep's SLURM jobs" in stopped.stderr, stopped.stderr
    assert stopped.stdout.count("not started  -     the sweep stopped first") == 2, stopped.stdout
    last = [line for line in stopped.stderr.splitlines() if line.strip()][-1]
    assert last == (
        "error: sweep interrupted by SIGTERM: 2 run(s) not started; sweep again to resume"
    )


@pytest.mark.parametrize("earlier", ["failed", "interrupted"])
def test_a_job_cancelled_before_rewriting_an_earlier_runs_record_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, earlier: str
) -> None:
    """launcher=slurm: a run an earlier sweep left `failed`, whose job in this sweep was
    cancelled before it wrote its record, read as this sweep's failure, the earlier run's
    error as its own (an earlier `interrupted` one said `job lost?`, not its cancel)."""
    from repro.sweeping import launch as launching

    folder = tmp_path / "toy" / "small" / "h" / "seed0"
    folder.mkdir(parents=True)
    record = {"status": earlier, "error": "an earlier error", "timing": {}}
    record.update(paper="toy", experiment="small", seed=0, sweep_id="earlier")
    (folder / "record.json").write_text(json.dumps(record))
    monkeypatch.setattr(launching, "ENDED_WITHOUT_RESULT", {})
    launching.ENDED_WITHOUT_RESULT[("experiment=small", "seed=0")] = ("8_0", "CANCELLED by 0")
    run = PlannedRun("small", 0, (), folder, f"redo ({earlier})")
    (result,) = collect_results([run], "this", None, tmp_path / ".submitit")
    assert result.result == "missing", result
    assert result.detail.startswith("its SLURM job 8_0 was cancelled"), result.detail
    assert "the one there is an earlier run's" in result.detail, result.detail


def test_a_pilot_that_diverged_is_not_told_to_sweep_again_as_it_is(
    toy_dir: Path, tmp_path: Path
) -> None:
    """seeds=auto whose pilot seeds failed with a non-finite loss said `the pilot did not
    complete; sweep again to plan the rest`: the same sweep again retrains them as they were,
    and they diverge again, with no end. The line names the diverged seeds and what to do."""
    results = tmp_path / "results"
    args = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "seeds=auto", "logger=none")
    done = repro(*args, "model.explode=true", env={"REPRO_RESULTS_DIR": str(results)})
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "sweep again to plan the rest" not in done.stderr, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "pilot did not complete" in line]
    assert "seeds 0–2 of small diverged (non-finite loss)" in line, line
    assert "sweeping again trains them as they were" in line, line
    assert {r["status"] for r in _records(results).values()} == {"failed"}
