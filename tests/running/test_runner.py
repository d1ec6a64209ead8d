"""One run's ways out (running.runner) that no other test file reaches."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_toy_paper


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_during_logger_setup_is_recorded_interrupted_not_failed(
    tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    """Before, a SLURM job cancelled in its first seconds was recorded `failed:
    ConnectionResetError: Connection lost`: srun's SIGTERM also ended wandb-core, so W&B's
    setup raised after the run had noted the signal."""
    from repro.running import loggers
    from repro.running.runner import run_one
    from tests.running.test_together import configs

    folder = write_toy_paper(tmp_path / "plugins")

    def cancelled(*args: Any, **kwargs: Any) -> list[Any]:
        os.kill(os.getpid(), signum)  # noted by the run's handler, then wandb-core is gone
        raise ConnectionResetError("Connection lost")

    monkeypatch.setattr(loggers, "build_loggers", cancelled)
    (config,) = configs("toy", "small", [0], tmp_path / "results", papers=[folder.parent])
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        outcome = run_one(config, command=["repro", "run"])
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    assert outcome.status == "interrupted" and outcome.exit_code == 128 + signum
    (record,) = [json.loads(p.read_text()) for p in (tmp_path / "results").rglob("record.json")]
    assert record["status"] == "interrupted", record.get("error")


def test_a_resumed_run_records_the_time_of_the_attempts_it_goes_on_from(tmp_path: Path) -> None:
    """a resumed run's record held only its last attempt's wall time, so the
    report's compute hours lost every interrupted attempt the result was trained in (a run
    preempted twice on a cluster counted a third of its GPU hours). `earlier_wall_s` keeps
    them, through every attempt of the chain; a run started over keeps none."""
    from tests.conftest import run_signalling_paper, write_signalling_paper

    plugins = tmp_path / "plugins"
    write_signalling_paper(plugins)
    results = tmp_path / "results"
    stop = {"REPRO_TEST_SIGNAL_AT": "train_epoch_end", "REPRO_TEST_SIGNAL": "SIGTERM"}
    assert run_signalling_paper(plugins, results, **stop).returncode == 143
    (record_file,) = results.rglob("record.json")
    cut = json.loads(record_file.read_text())
    assert cut["status"] == "interrupted" and "earlier_wall_s" not in cut["timing"]
    cut["timing"]["earlier_wall_s"] = 100.0  # as if it had resumed an attempt of 100 s itself
    record_file.write_text(json.dumps(cut))
    resumed = run_signalling_paper(plugins, results)
    assert resumed.returncode == 0 and "resuming from step" in resumed.stderr, resumed.stderr
    record = json.loads(record_file.read_text())
    assert record["status"] == "completed"
    assert record["timing"]["earlier_wall_s"] == pytest.approx(100.0 + cut["timing"]["wall_s"])
    again = run_signalling_paper(plugins, results, "rerun=true")
    assert again.returncode == 0, again.stderr
    assert "earlier_wall_s" not in json.loads(record_file.read_text())["timing"]


def test_a_seeds_auto_run_resumed_by_repro_run_keeps_its_stage(tmp_path: Path) -> None:
    """a seed stage two of `repro sweep seeds=auto` trained, cut short, resumed by
    the `repro run` its record names (the command to paste) lost its `seeds_auto` section: with
    every stage-two seed resumed so, a deleted plan was judged by the fixed-sample test without
    a word, and a higher max_seeds was no longer refused. A resume keeps the stage it goes on
    from; a run started over (rerun=true) was not trained by the stage and claims none."""
    from repro.records import store
    from tests.conftest import run_signalling_paper, write_signalling_paper

    plugins = tmp_path / "plugins"
    write_signalling_paper(plugins)
    results = tmp_path / "results"
    stage = {"n0": 3, "max_seeds": 20, "stage": "two", "seeds": {"small": 12}}
    stop = {"REPRO_TEST_SIGNAL_AT": "train_epoch_end", "REPRO_TEST_SIGNAL": "SIGTERM"}
    stop[store.SEEDS_AUTO_ENV] = json.dumps(stage)
    assert run_signalling_paper(plugins, results, "seed=5", **stop).returncode == 143
    (record_file,) = results.rglob("record.json")
    cut = json.loads(record_file.read_text())
    assert cut["status"] == "interrupted" and cut["seeds_auto"]["seeds"] == 12, cut
    resumed = run_signalling_paper(plugins, results, "seed=5", **{store.SEEDS_AUTO_ENV: ""})
    assert resumed.returncode == 0 and "resuming from step" in resumed.stderr, resumed.stderr
    record = json.loads(record_file.read_text())
    assert record["status"] == "completed"
    assert record.get("seeds_auto") == cut["seeds_auto"], record.get("seeds_auto")
    again = run_signalling_paper(plugins, results, "seed=5", "rerun=true")
    assert again.returncode == 0, again.stderr
    assert not json.loads(record_file.read_text()).get("seeds_auto")


def test_a_run_resumed_after_kill_9_counts_the_killed_attempt_up_to_its_checkpoint(
    tmp_path: Path,
) -> None:
    """a run killed with kill -9 (an OOM kill, a node lost) leaves a `running`
    record with no wall time; its resumed run counted none of the killed attempt's time, though
    its result goes on from that attempt's checkpoint. The time up to that checkpoint counts."""
    import datetime as dt

    from tests.conftest import run_signalling_paper, write_signalling_paper

    plugins = tmp_path / "plugins"
    write_signalling_paper(plugins)
    results = tmp_path / "results"
    stop = {"REPRO_TEST_SIGNAL_AT": "train_epoch_end", "REPRO_TEST_SIGNAL": "SIGTERM"}
    assert run_signalling_paper(plugins, results, **stop).returncode == 143
    (record_file,) = results.rglob("record.json")
    killed = json.loads(record_file.read_text())
    started = dt.datetime.fromisoformat(killed["timing"]["started_at"]).timestamp() - 100
    killed["status"], killed["error"] = "running", None  # as kill -9 leaves it: no end, no time
    killed["timing"] = {
        "started_at": dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat()
    }
    record_file.write_text(json.dumps(killed))
    checkpoint = record_file.parent / "checkpoints" / "last.ckpt"
    saved = checkpoint.stat().st_mtime
    resumed = run_signalling_paper(plugins, results)
    assert resumed.returncode == 0 and "resuming from step" in resumed.stderr, resumed.stderr
    record = json.loads(record_file.read_text())
    assert record["timing"]["earlier_wall_s"] == pytest.approx(saved - started, abs=1.0)


HASHED_AS_MAIN_DID = """
import sys
from repro.records import store

store._at_lightning_readings = store._at_earlier_lightning_readings  # in earlier versions
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


def test_a_run_cut_short_in_an_older_hash_folder_is_resumed_there(tmp_path: Path) -> None:
    """A run an older repro filed under another hash of its setting (`trainer.fast_dev_run=0`,
    hashed as written in earlier versions) and that was stopped, or killed, with its checkpoint
    saved: `repro run` of the same command after the upgrade started over in today's folder,
    its saved steps (hours, for a paper) thrown away and its record left behind. It is
    resumed in the folder it was cut short in, as a completed seed there is found."""
    from repro.records import store
    from tests.conftest import run_signalling_paper, write_signalling_paper

    plugins = tmp_path / "plugins"
    write_signalling_paper(plugins)
    results = tmp_path / "results"
    stop = {"REPRO_TEST_SIGNAL_AT": "train_epoch_end", "REPRO_TEST_SIGNAL": "SIGTERM"}
    spelled = "+trainer.fast_dev_run=0"
    cut = run_signalling_paper(plugins, results, spelled, patched_by=HASHED_AS_MAIN_DID, **stop)
    assert cut.returncode == 143, cut.stderr
    (record_file,) = results.rglob("record.json")
    older = record_file.parent.parent.name
    resumed = run_signalling_paper(plugins, results, spelled)
    assert resumed.returncode == 0 and "resuming from step" in resumed.stderr, resumed.stderr
    (record_file,) = results.rglob("record.json")
    record = json.loads(record_file.read_text())
    assert record["status"] == "completed" and record_file.parent.parent.name == older
    assert record["config_hash"] != older  # today's, as a rerun there writes it
    assert (record_file.parent / store.FILED_CONFIG_FILE).is_file()


def test_a_killed_attempt_counts_no_time_from_before_it_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kill -9'd attempt counts from its record's `started_at` to the save it left (as each
    killed group attempt of a resumed seed does); `started_at` was cut to the second, so an
    attempt started at 12:00:00.9 that saved at 12:00:01.0 counted 1.0 s, not 0.1 s: up to
    a second more than happened, per killed attempt. The start is kept to the millisecond."""
    import datetime as dt
    import types

    from repro.running import runner
    from repro.running.runner import run_one
    from tests.running.test_together import configs

    start = dt.datetime(2026, 1, 1, 12, 0, 0, 900000, tzinfo=dt.timezone.utc)

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return start

    clock = types.SimpleNamespace(datetime=Clock, timezone=dt.timezone, timedelta=dt.timedelta)
    monkeypatch.setattr(runner, "dt", clock)
    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    (config,) = configs("toy", "small", [0], tmp_path / "r", papers=[plugins], logger="none")
    done = run_one(config, command=["r"])
    monkeypatch.setattr(runner, "dt", dt)
    assert done.status == "completed", done.error
    record = json.loads((done.record_dir / "record.json").read_text())
    checkpoint = tmp_path / "last.ckpt"
    checkpoint.write_bytes(b"")
    saved = start.timestamp() + 0.1
    os.utime(checkpoint, (saved, saved))
    killed = {"timing": {"started_at": record["timing"]["started_at"]}}  # no end: kill -9
    counted = runner.earlier_attempts(killed, {"checkpoint": str(checkpoint), "step": 1})
    assert counted["earlier_wall_s"] == pytest.approx(0.1, abs=1e-3), record["timing"]


def test_a_resumed_killed_attempt_timed_to_its_save_is_marked_a_lower_bound(
    tmp_path: Path,
) -> None:
    """A killed attempt (no `wall_s`) that a run resumes counts up to its last save in
    `earlier_wall_s`, a lower bound, and the record said nothing of it: the completed run's
    time read as exact. `earlier_to_save` counts those attempts, carried attempt to attempt;
    a stopped attempt's recorded time adds none."""
    import datetime as dt

    from repro.running import runner

    checkpoint = tmp_path / "last.ckpt"
    checkpoint.write_bytes(b"")
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    saved = start.timestamp() + 7.0
    os.utime(checkpoint, (saved, saved))
    resumed = {"checkpoint": str(checkpoint), "step": 1}
    killed = {"timing": {"started_at": start.isoformat()}}  # no end: kill -9
    counted = runner.earlier_attempts(killed, resumed)
    assert counted == {"earlier_wall_s": 7.0, "earlier_to_save": 1}, counted
    again = {"timing": {"started_at": start.isoformat(), "wall_s": 3.0, **counted}}
    counted = runner.earlier_attempts(again, resumed)  # stopped: its own time is recorded
    assert counted == {"earlier_wall_s": 10.0, "earlier_to_save": 1}, counted
    stopped = {"timing": {"started_at": start.isoformat(), "wall_s": 3.0}}
    assert runner.earlier_attempts(stopped, resumed) == {"earlier_wall_s": 3.0}


def test_the_attempts_a_run_started_over_from_are_counted_with_those_killed(
    tmp_path: Path,
) -> None:
    """`abandoned_wall_s` kept the time of the attempts a run started over from,
    not how many there were, nor those killed (kill -9: no time) before it: a report could
    say neither. `abandoned_runs` counts them (every attempt in the folder of a run never
    completed), `abandoned_untimed` those without a time; a resumed attempt carries both."""
    from repro.running import runner

    killed_then_failed = {  # attempt 2: attempt 1 was killed, then it started over and failed
        "status": "failed",
        "attempts": 2,
        "timing": {"started_at": "2026-01-01T00:00:00+00:00", "wall_s": 10.0},
    }
    started_over = runner.abandoned_attempts(killed_then_failed, None)
    assert started_over == {"abandoned_wall_s": 10.0, "abandoned_runs": 2, "abandoned_untimed": 1}
    killed = {  # attempt 4, killed: it went on from 3, which started over from 1-2
        "status": "running",
        "attempts": 4,
        "timing": {"started_at": "2026-01-01T00:00:00+00:00", **started_over},
    }
    resumed = runner.abandoned_attempts(killed, {"checkpoint": "x", "step": 3})
    assert resumed == started_over  # the resumed attempt goes on from attempt 4: not abandoned
    assert runner.abandoned_attempts(killed, None) == {
        "abandoned_wall_s": 10.0,
        "abandoned_runs": 4,
        "abandoned_untimed": 2,
    }


def test_the_reruns_since_a_completed_run_are_counted_by_their_attempt_numbers(
    tmp_path: Path,
) -> None:
    """reruns of a completed run (attempt 1): attempts 2-3 failed (the last's
    record.failed.json carries the first), 4-5 killed (only 5's record.rerun.json is left):
    the next rerun carried the failed ones' time and no count, the killed ones not at all."""
    from repro.running import runner

    completed = {"status": "completed", "attempts": 1, "timing": {"wall_s": 30.0}}
    failed = {
        "status": "failed",
        "attempts": 3,
        "timing": {"wall_s": 42.0, "abandoned_wall_s": 20.0, "abandoned_runs": 1},
    }
    (tmp_path / "record.failed.json").write_text(json.dumps(failed))
    killed = {"status": "running", "attempts": 5, "timing": {"started_at": "2099-01-01"}}
    (tmp_path / runner.RERUN_RECORD_FILE).write_text(json.dumps(killed))
    carried = runner.abandoned_attempts(completed, None, tmp_path)
    assert carried == {"abandoned_wall_s": 62.0, "abandoned_runs": 4, "abandoned_untimed": 2}
    replacing = {"wall_s": 5.0, **carried}  # a rerun that completes: the run it replaces too
    before = {**completed, "timing": {"wall_s": 30.0, "abandoned_wall_s": 8.0}}
    before["timing"].update(abandoned_runs=2, abandoned_untimed=1)
    out = runner.replaced_attempts(before, replacing)
    assert out["abandoned_wall_s"] == 70.0
    assert (out["abandoned_runs"], out["abandoned_untimed"]) == (6, 3)


def test_a_failed_rerun_older_than_the_completed_record_is_not_carried_again(
    tmp_path: Path,
) -> None:
    """a rerun that completed (attempt 3) carries the failed rerun before it
    (attempt 2), then removes its record.failed.json; killed in between, the file stayed, and
    the next rerun carried its 42 s again (and, completing, added them to the 42 s the
    record it replaced carried: 84 s of unsuccessful time for 42)."""
    from repro.running import runner

    completed = {"status": "completed", "attempts": 3, "timing": {"abandoned_wall_s": 42.0}}
    failed = {"status": "failed", "attempts": 2, "timing": {"wall_s": 42.0}}
    (tmp_path / "record.failed.json").write_text(json.dumps(failed))
    assert runner.abandoned_attempts(completed, None, tmp_path) == {}


def test_a_killed_rerun_carried_by_the_next_counts_up_to_its_last_save(tmp_path: Path) -> None:
    """a rerun killed 30 s in (its checkpoints/rerun.ckpt saved then) was carried
    by the next rerun as an attempt without a time, and the next rerun's saves replace that
    file: the 30 s it ran were lost, though a report reading it before counts them."""
    import datetime as dt
    import os

    from repro.running import runner

    completed = {"status": "completed", "attempts": 1, "timing": {"wall_s": 30.0}}
    killed = {"status": "running", "attempts": 2, "timing": {"started_at": "2026-03-01T00:00:00"}}
    (tmp_path / runner.RERUN_RECORD_FILE).write_text(json.dumps(killed))
    saved = tmp_path / "checkpoints" / "rerun.ckpt"
    saved.parent.mkdir()
    saved.write_bytes(b"")
    start = dt.datetime.fromisoformat("2026-03-01T00:00:00").timestamp()
    os.utime(saved, (start + 30, start + 30))
    carried = runner.abandoned_attempts(completed, None, tmp_path)
    assert carried == {
        "abandoned_wall_s": 30.0,
        "abandoned_runs": 1,
        "abandoned_untimed": 0,
        "abandoned_to_save": 1,  # a lower bound
    }


def test_a_killed_attempt_started_over_counts_up_to_its_last_save(tmp_path: Path) -> None:
    """an attempt killed 12 s in (kill -9: a `running` record with its start, a
    CSV log line saved at 12 s) and then started over (rerun=true, or nothing to resume)
    was carried as an attempt without a time, and the new attempt's log replaces its file:
    the 12 s it ran were lost. They are carried up to that save, a lower bound."""
    import datetime as dt
    import os

    from repro.running import runner

    killed = {"status": "running", "attempts": 1, "timing": {"started_at": "2026-03-01T00:00:00"}}
    log = tmp_path / "csv" / "metrics.csv"
    log.parent.mkdir()
    log.write_text("step,train/loss\n")
    start = dt.datetime.fromisoformat("2026-03-01T00:00:00").timestamp()
    os.utime(log, (start + 12, start + 12))
    carried = runner.abandoned_attempts(killed, None, tmp_path)
    assert carried == {
        "abandoned_wall_s": 12.0,
        "abandoned_runs": 1,
        "abandoned_untimed": 0,
        "abandoned_to_save": 1,  # a lower bound
    }
    assert runner.abandoned_attempts(killed, None) == {"abandoned_runs": 1, "abandoned_untimed": 1}


def test_a_record_that_cannot_be_read_stops_the_run_before_it_overwrites_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a record.json the OS refuses to read (no read permission, an I/O error on a
    bad sector) read as no record at all: the run trained again and replaced it, a
    completed result lost without a word. Unlike a corrupt record, it cannot be set aside
    as what it is: the run stops and says so."""
    from repro.errors import ReproError
    from repro.records import store
    from repro.running.runner import _previous_record

    folder = tmp_path / "seed0"
    folder.mkdir()
    record = folder / store.RECORD_FILE
    record.write_text(json.dumps({"seed": 0, "status": "completed", "metrics": {}}))
    reading = Path.read_text

    def read_text(path: Path, *args: Any, **kwargs: Any) -> str:
        if path == record:
            raise PermissionError(13, "Permission denied", str(path))
        return reading(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    with pytest.raises(ReproError, match=r"cannot read run record .*: Permission denied"):
        _previous_record(folder)
    assert not store.is_completed(folder)  # the sweep plans it: its run then stops here


def _statuses(results: Path) -> dict[str, dict[str, Any]]:
    """Every record file under `results` (record.json, record.failed.json, ...) by its path."""
    return {
        str(path.relative_to(results)): json.loads(path.read_text())
        for path in results.rglob("record*.json")
    }


def _injected(where: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make the step `where` of a run's start raise; the message it raises."""
    import torch

    from repro.records import store
    from repro.running import runner

    message = f"injected at {where}"

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(message)

    owner = {"keep_filed_config": store, "set_num_threads": torch}.get(where, runner)
    monkeypatch.setattr(owner, where, fail)
    return message


@pytest.mark.parametrize(
    "where",
    [
        "_resume_point",
        "_new_record",
        "_drop_unresumed_checkpoint",
        "_run_checkpoint",
        "keep_filed_config",  # in `_start`, before the `running` record
        "set_num_threads",  # in `_start`, after it
    ],
)
def test_a_failure_before_training_ends_in_a_failed_outcome_never_a_running_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """an exception raised between taking the run's lock and training escaped
    repro: the user saw Hydra's traceback, and a `running` record written before it stayed
    `running` for good (a later sweep or report took it for a killed run). Now each ends in
    one failed outcome; the record, if this attempt wrote one, says `failed` and why."""
    from repro.running.runner import run_one
    from tests.running.test_together import configs

    folder = write_toy_paper(tmp_path / "plugins")
    results = tmp_path / "results"
    (config,) = configs("toy", "small", [0], results, "num_threads=1", papers=[folder.parent])
    message = _injected(where, monkeypatch)
    outcome = run_one(config, command=["repro", "run"])
    assert (outcome.status, outcome.exit_code) == ("failed", 1)
    assert message in str(outcome.error)
    for name, record in _statuses(results).items():
        assert record["status"] == "failed", (name, record["status"])
        assert message in record["error"] and message in record["traceback"]
    if where == "set_num_threads":  # the `running` record was written: it says what happened
        assert list(_statuses(results)) == ["toy/small/1d5d204d47/seed0/record.json"]


def test_a_paper_file_broken_as_a_run_starts_fails_it_not_leaves_it_running(
    tmp_path: Path,
) -> None:
    """paper.yaml broken while a sweep runs (edited between its runs), met once
    the run's `running` record was written: the UsageError went up and the record stayed
    `running`. It is recorded failed, with the same one line and exit code 2."""
    from repro.running.runner import run_one
    from tests.running.test_together import configs

    folder = write_toy_paper(tmp_path / "plugins")
    results = tmp_path / "results"
    (config,) = configs("toy", "small", [0], results, papers=[folder.parent])
    paper = folder / "paper.yaml"
    paper.write_text(paper.read_text().replace("title:", "title: [unclosed"))
    outcome = run_one(config, command=["repro", "run"])
    assert (outcome.status, outcome.exit_code) == ("failed", 2)
    assert "malformed YAML" in str(outcome.error)
    (record,) = _statuses(results).values()
    assert record["status"] == "failed" and record["error"] == outcome.error


def test_a_rerun_that_fails_before_training_keeps_the_completed_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rerun=true of a completed run failing as it starts (after its `running`
    progress record) left that progress record beside the completed one; the completed
    result stays the record, the failed rerun is kept as record.failed.json."""
    from repro.running.runner import run_one
    from tests.running.test_together import configs

    folder = write_toy_paper(tmp_path / "plugins")
    results = tmp_path / "results"
    (config,) = configs("toy", "small", [0], results, "num_threads=1", papers=[folder.parent])
    done = run_one(config, command=["repro", "run"])
    assert done.status == "completed"
    _injected("set_num_threads", monkeypatch)
    outcome = run_one({**config, "rerun": True}, command=["repro", "run", "rerun=true"])
    assert outcome.status == "failed"
    records = {Path(name).name: record for name, record in _statuses(results).items()}
    assert sorted(records) == ["record.failed.json", "record.json"]
    assert records["record.json"]["status"] == "completed"
    assert records["record.json"]["metrics"] == done.metrics
    assert records["record.failed.json"]["status"] == "failed"


FAIL_AS_A_RUN_STARTS = """
import os

where = os.environ.get("REPRO_TEST_FAIL_AT")
if where:  # every process of the command: the sweep's and its joblib workers
    from repro.running import group_checkpoint, progress, runner

    def failing(real):
        def fail(*args, **kwargs):
            if where == "after_record":
                real(*args, **kwargs)  # the `running` record is written
            raise RuntimeError(f"injected {where}")

        return fail

    if where == "before_lock":  # what a run alone, and a group, do before their locks
        progress.start_line = failing(progress.start_line)
        group_checkpoint.drop_completed_seeds = failing(group_checkpoint.drop_completed_seeds)
    else:
        name = {"before_record": "_new_record", "after_record": "_start"}[where]
        setattr(runner, name, failing(getattr(runner, name)))
"""


@pytest.mark.parametrize(
    ("command", "where"),
    [
        (["run"], "before_lock"),
        (["run"], "before_record"),
        (["run"], "after_record"),
        (["sweep", "seeds=2"], "after_record"),
        (["sweep", "seeds=2", "launcher=joblib"], "before_lock"),
        (["sweep", "seeds=2", "launcher=joblib"], "after_record"),
        (["sweep", "seeds=2", "seeds_together=true"], "before_lock"),
        (["sweep", "seeds=2", "seeds_together=true"], "before_record"),
        (["sweep", "seeds=2", "seeds_together=true"], "after_record"),
    ],
    ids=lambda value: value if isinstance(value, str) else " ".join(value),
)
def test_a_run_failing_as_it_starts_says_one_line_and_leaves_no_running_record(
    tmp_path: Path, command: list[str], where: str
) -> None:
    """through the CLI, an error as a run starts was Hydra's `Error executing
    job` traceback (`repro run`), an `internal error` that stopped a local sweep, a dead
    joblib worker's traceback, and records left `running`. Each run now fails in one
    `error:` line, exit 1, and no record says `running`."""
    from tests.conftest import repro

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(FAIL_AS_A_RUN_STARTS)
    results = tmp_path / "results"
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)
    env = {"PYTHONPATH": path, "REPRO_TEST_FAIL_AT": where, "REPRO_JOBS": "2"}
    env["REPRO_RESULTS_DIR"] = str(results)
    words = [command[0], "--papers-dir", str(plugins), "paper=toy", "experiment=small"]
    done = repro(*words, *command[1:], "logger=none", env=env, timeout=300)
    assert done.returncode == 1, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "Error executing job" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors and all(f"injected {where}" in line for line in errors), done.stderr
    if command[0] == "sweep":  # every run was tried and said so; none killed a worker
        assert "2 failed" in done.stdout and "died" not in done.stderr, done.stdout
    records = _statuses(results)
    assert all(r["status"] == "failed" for r in records.values()), records
    assert bool(records) == (where == "after_record"), sorted(records)


def test_a_wandb_run_that_fails_to_finish_costs_no_trained_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """W&B's finish ran after training and testing, before the result was recorded (now
    after); wandb-core gone (srun's SIGTERM ends it too) made it raise `ConnectionResetError:
    Connection lost`, and the trained, tested run was lost: its record stayed `running`. The
    result is recorded; the W&B trouble is one warning."""
    import wandb

    from repro.running.runner import run_one
    from tests.running.test_together import configs

    folder = write_toy_paper(tmp_path / "plugins")
    results = tmp_path / "results"
    (config,) = configs("toy", "small", [0], results, papers=[folder.parent], logger="wandb")
    real = wandb.finish

    def connection_lost(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        raise ConnectionResetError("Connection lost")

    monkeypatch.setattr(wandb, "finish", connection_lost)
    outcome = run_one(config, command=["repro", "run"])
    assert outcome.status == "completed", outcome.error
    (record,) = _statuses(results).values()
    assert record["status"] == "completed" and record["metrics"] == outcome.metrics
    assert "warning: W&B run not finished (ConnectionResetError: Connection lost)" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("writes_before", [0, 1])
def test_a_results_folder_read_only_after_the_lock_fails_the_run_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writes_before: int
) -> None:
    """the results folder turned read-only once the run was locked: its first
    record write fails (no record: one failed outcome, nothing left `running` by it), or its
    `running` record was written and the failure that follows cannot be recorded: the one
    line says so, with the error that stopped it."""
    from repro.records import store
    from repro.running.runner import run_one
    from tests.running.test_together import configs

    folder = write_toy_paper(tmp_path / "plugins")
    results = tmp_path / "results"
    (config,) = configs("toy", "small", [0], results, "num_threads=1", papers=[folder.parent])
    real, writes = store.write_record, []

    def read_only_after(*args: Any, **kwargs: Any) -> None:
        writes.append(1)
        if len(writes) > writes_before:
            raise PermissionError(13, "Permission denied")
        real(*args, **kwargs)

    monkeypatch.setattr(store, "write_record", read_only_after)
    message = _injected("set_num_threads", monkeypatch)
    outcome = run_one(config, command=["repro", "run"])
    assert (outcome.status, outcome.exit_code) == ("failed", 1)
    assert "Permission denied" in str(outcome.error)
    if writes_before:
        assert message in str(outcome.error) and "its record still says running" in outcome.error
    else:
        assert not _statuses(results) and outcome.record_dir is None


def _killed_group(folder: Path, name: str, attempts: int, alive_s: float | None) -> dict:
    """A seed's `running` record left by a group attempt "K" of seeds 0 and 1 killed (kill
    -9); `alive_s`: when the group last said it trained (its first seed's record only)."""
    seed = int(folder.name.removeprefix("seed"))
    record: dict[str, Any] = {"status": "running", "attempts": attempts, "seed": seed}
    record.update(paper="p", experiment="e", config_hash="h")
    record["together"] = {"seeds": [0, 1], "attempt": "K"}
    record["timing"] = {"started_at": "2026-03-01T00:00:00+00:00"}
    if alive_s is not None:
        record["timing"]["alive_at"] = f"2026-03-01T00:00:{alive_s:02.0f}+00:00"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(record))
    return record


def test_a_killed_group_started_over_by_a_seed_alone_counts_up_to_when_it_was_seen(
    tmp_path: Path,
) -> None:
    """a group killed 20 s in (its first seed's record: `alive_at`) whose seed 1
    then trains alone (or in another group) started over: `alive_at` was only read by a
    group of the same attempt's seeds, so seed 1 carried the killed attempt without a time
    and, once seed 0's record is replaced, the group's 20 s are in no record. Every seed of
    the attempt counts it up to there, under the group's key (counted once)."""
    from repro.running import runner

    setting = tmp_path / "p" / "e" / "h"  # paper, experiment, config hash
    _killed_group(setting / "seed0", "record.json", 1, 20)
    killed = _killed_group(setting / "seed1", "record.json", 1, None)
    carried = runner.abandoned_attempts(killed, None, setting / "seed1")
    assert carried == {
        "abandoned_wall_s": 20.0,
        "abandoned_groups": {"p/e/h:0,1@K": 20.0},
        "abandoned_runs": 1,
        "abandoned_untimed": 0,
        "abandoned_to_save": 1,
        "abandoned_seen": {"K": "2026-03-01T00:00:20.000+00:00"},  # for seed 0, after it
    }


def test_a_killed_rerun_of_a_group_counts_up_to_when_it_was_seen(tmp_path: Path) -> None:
    """a `rerun=true` group killed 25 s in before its first save writes
    `alive_at` into its first seed's record.rerun.json, but the next rerun read `alive_at`
    only from record.json: it carried the killed rerun without a time. Each seed counts it
    up to there, under the group's key (counted once)."""
    from repro.running import runner

    completed = {"status": "completed", "attempts": 1, "timing": {"wall_s": 30.0}}
    for seed, alive in ((0, 25), (1, None)):
        folder = tmp_path / "p" / "e" / "h" / f"seed{seed}"
        _killed_group(folder, runner.RERUN_RECORD_FILE, 2, alive)
        (folder / "record.json").write_text(json.dumps(completed))
        carried = runner.abandoned_attempts(completed, None, folder)
        assert carried == {
            "abandoned_wall_s": 25.0,
            "abandoned_groups": {"p/e/h:0,1@K": 25.0},
            "abandoned_runs": 1,
            "abandoned_untimed": 0,
            "abandoned_to_save": 1,
        }, seed


def test_a_killed_attempt_carried_to_its_last_save_stays_a_lower_bound(tmp_path: Path) -> None:
    """an attempt killed 12 s in (a CSV line saved then) and started over is
    carried at 12 s, a lower bound, but the next record said nothing of it: the report
    showed those seconds as exact. The record counts it (`abandoned_to_save`), carried on."""
    import datetime as dt
    import os

    from repro.running import runner

    killed = {"status": "running", "attempts": 1, "timing": {"started_at": "2026-03-01T00:00:00"}}
    log = tmp_path / "csv" / "metrics.csv"
    log.parent.mkdir()
    log.write_text("step,train/loss\n")
    start = dt.datetime.fromisoformat("2026-03-01T00:00:00").timestamp()
    os.utime(log, (start + 12, start + 12))
    carried = runner.abandoned_attempts(killed, None, tmp_path)
    assert carried["abandoned_to_save"] == 1
    failed = {"status": "failed", "attempts": 2, "timing": {"wall_s": 3.0, **carried}}
    again = runner.abandoned_attempts(failed, None, tmp_path)  # a third attempt
    assert (again["abandoned_wall_s"], again["abandoned_to_save"]) == (15.0, 1)
    completed = {"status": "completed", "attempts": 3, "timing": {"wall_s": 5.0, **again}}
    assert runner.replaced_attempts(completed, {})["abandoned_to_save"] == 1


@pytest.mark.parametrize("path", ["checkpoints/last.ckpt", "config.yaml", "record.failed.json"])
def test_a_folder_where_a_run_keeps_a_file_stops_a_rerun_before_it_trains(
    tmp_path: Path, isolated_env: Path, path: str
) -> None:
    """a folder where the run keeps a file (a sync tool's conflict folder, a
    hand-made `mkdir`) was found only once a `rerun=true` had trained and replaced the
    completed record: it ended in `error: Is a directory: .../rerun.ckpt`, its weights left
    in rerun.ckpt and record.rerun.json `running` for good. The run names the folder first
    and writes nothing."""
    from tests.conftest import repro

    write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    done = repro("run", "paper=toy", "experiment=small", "logger=none", env=env)
    assert done.returncode == 0, done.stderr
    folder = next(isolated_env.rglob("record.json")).parent
    in_the_way = folder / path
    if in_the_way.is_file():
        in_the_way.unlink()
    in_the_way.mkdir()

    def files() -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != ".lock"}

    before = files()
    again = repro("run", "paper=toy", "experiment=small", "logger=none", "rerun=true", env=env)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    errors = [line for line in again.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and f"{in_the_way} is a folder" in errors[0], again.stderr
    assert files() == before  # its record, config and weights as they were, nothing more


def test_a_checkpoints_folder_that_is_a_dead_link_stops_a_rerun_before_it_trains(
    tmp_path: Path, isolated_env: Path
) -> None:
    """`checkpoints/` linked to a disk not mounted now: a `rerun=true` trained, then
    ended in `error: FileExistsError: [Errno 17] File exists: .../checkpoints` (the link was
    not named as one) with a record.failed.json beside the completed record. The run names
    the link first and writes nothing."""
    from repro.records import store
    from tests.conftest import repro

    write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    done = repro("run", "paper=toy", "experiment=small", "logger=none", env=env)
    assert done.returncode == 0, done.stderr
    folder = next(isolated_env.rglob("record.json")).parent
    checkpoints = folder / "checkpoints"
    checkpoints.rename(tmp_path / "elsewhere")
    checkpoints.symlink_to(tmp_path / "unmounted")
    names = sorted(p.name for p in folder.iterdir() if p.name != ".lock")
    again = repro("run", "paper=toy", "experiment=small", "logger=none", "rerun=true", env=env)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    errors = [line for line in again.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: {checkpoints} is {store.DEAD_LINK}, where the run keeps its checkpoints: "
        "move it away (nothing was trained or written)"
    ], again.stderr
    assert sorted(p.name for p in folder.iterdir() if p.name != ".lock") == names


def test_a_stale_run_is_not_retrained_when_it_cannot_be_kept_aside(
    tmp_path: Path, isolated_env: Path
) -> None:
    """with a file at `.superseded` (a sync tool's leftover), a stale run's
    retrain said 'warning: the stale run replaced ... was not kept aside: Not a directory'
    and replaced it: the completed result it promised to keep was lost. It stops first."""
    from tests.conftest import repro

    plugin = write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    done = repro("run", "paper=toy", "experiment=small", "logger=none", env=env)
    assert done.returncode == 0, done.stderr
    folder = next(isolated_env.rglob("record.json")).parent
    (folder / ".superseded").write_text("in the way")
    record = (folder / "record.json").read_bytes()
    with open(plugin / "model.py", "a") as source:
        source.write("\nEDITED = True\n")  # the run is stale: retrained, kept aside
    again = repro("run", "paper=toy", "experiment=small", "logger=none", env=env)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    errors = [line for line in again.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and f"{folder / '.superseded'} is a file" in errors[0], again.stderr
    assert (folder / "record.json").read_bytes() == record


def test_a_rerun_whose_final_weights_cannot_be_put_in_place_says_so_with_its_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """`rerun=true` of a completed run, its final weights failing to replace the
    earlier run's (a full disk): its OSError went up as `error: No space left on device`
    (no file named) and a `failed` outcome, beside the record.json it had just written
    `completed`, whose last.ckpt still held the earlier run's weights. The outcome is what
    the record says, completed, with one error line saying where its weights are and a
    non-zero exit; the next `repro run` of the setting puts them in place."""
    from repro.running.runner import run_one
    from tests.running.test_together import configs

    folder = write_toy_paper(tmp_path / "plugins")
    results = tmp_path / "results"
    (config,) = configs("toy", "small", [0], results, papers=[folder.parent])
    assert run_one(config, command=["r"]).status == "completed"
    real = os.replace

    def full_disk(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if str(dst).endswith("last.ckpt"):
            raise OSError(28, "No space left on device")
        real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", full_disk)
    (rerun,) = configs("toy", "small", [0], results, "rerun=true", papers=[folder.parent])
    outcome = run_one(rerun, command=["r"])
    monkeypatch.setattr(os, "replace", real)
    assert outcome.status == "completed" and outcome.exit_code == 1, outcome
    assert "No space left on device" in outcome.error and "rerun.ckpt" in outcome.error
    record = json.loads((outcome.record_dir / "record.json").read_text())
    assert record["status"] == "completed" and record["attempts"] == 2
    weights = (outcome.record_dir / "checkpoints" / "rerun.ckpt").read_bytes()
    assert run_one(config, command=["r"]).status == "skipped"
    assert (outcome.record_dir / "checkpoints" / "last.ckpt").read_bytes() == weights
    assert not (outcome.record_dir / "record.rerun.json").exists()


REPLACE_FAILS_FOR_LAST_CKPT = """
import os
import sys

real = os.replace


def full_disk(src, dst, *args, **kwargs):
    if str(dst).endswith("last.ckpt"):
        raise OSError(28, "No space left on device")
    return real(src, dst, *args, **kwargs)


os.replace = full_disk
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


def test_a_sweep_whose_rerun_weights_cannot_be_put_in_place_exits_non_zero(
    tmp_path: Path,
) -> None:
    """a sweep with rerun=true whose final weights could not replace the
    earlier run's printed that run's `error:` line and exited 0 (its table said `trained`,
    from the completed record). It exits 1; the next sweep puts the weights in place."""
    from tests.conftest import repro

    folder = write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(folder.parent), "REPRO_RESULTS_DIR": str(tmp_path / "r")}
    sweep = ("sweep", "paper=toy", "experiment=small", "seeds=1", "logger=csv")
    assert repro(*sweep, env=env).returncode == 0
    cut = repro(*sweep, "rerun=true", env=env, patched_by=REPLACE_FAILS_FOR_LAST_CKPT)
    assert cut.returncode == 1, cut.stderr
    (line,) = [s for s in cut.stderr.splitlines() if s.startswith("error:")]
    assert "rerun.ckpt" in line and "No space left on device" in line, line
    again = repro(*sweep, env=env)
    assert again.returncode == 0, again.stderr
    assert not list((tmp_path / "r").rglob("rerun.ckpt"))


def test_a_replaced_run_timed_to_a_save_stays_a_lower_bound() -> None:
    """a run resumed after kill -9 (its killed attempt timed to its last save,
    `earlier_to_save`) and then replaced by a completed `rerun=true`: the new record kept its
    time as `replaced_wall_s` but not that it is a lower bound, so the report showed it as
    exact. It counts such replaced runs (`replaced_to_save`), carried on by later reruns."""
    from repro.running import runner

    resumed = {"status": "completed", "timing": {"wall_s": 30.0, "earlier_wall_s": 19.6}}
    resumed["timing"]["earlier_to_save"] = 1
    first = runner.replaced_attempts(resumed, {})
    assert (first["replaced_wall_s"], first["replaced_to_save"]) == (49.6, 1)
    rerun = {"status": "completed", "timing": {"wall_s": 40.0, **first}}
    again = runner.replaced_attempts(rerun, {})  # a second rerun=true: still one of the two
    assert (again["replaced_runs"], again["replaced_to_save"]) == (2, 1)
    exact = runner.replaced_attempts({"status": "completed", "timing": {"wall_s": 5.0}}, {})
    assert "replaced_to_save" not in exact


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a record folder (its W&B runs and lock aside) and its bytes."""
    skip = ("wandb", ".lock")
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder).parts[0] not in skip
    }


@pytest.mark.parametrize(
    ("full_at", "nth"),
    [
        ("config.rerun.yaml", 1),  # as it starts, before its record
        ("record.rerun.json", 1),  # its `running` record, its config written
        ("record.rerun.json", 2),  # the record naming its W&B run: it has begun
        ("record.json", 1),  # it trained: its completed record
    ],
)
def test_a_full_disk_during_a_rerun_leaves_the_completed_run_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full_at: str, nth: int
) -> None:
    """A rerun=true of a completed run on a disk that fills: its record.rerun.json (`running`
    for good: later commands said a rerun was killed), config.rerun.yaml, rerun.ckpt and
    csv-rerun/ stayed beside the completed record, space it held on a full disk. The
    completed run's files stay byte for byte, the rerun's go, and the run fails in one line
    that says the completed record stands."""
    import errno

    import lightning.pytorch as pl

    from repro.errors import ReproError
    from repro.records import store
    from repro.running.runner import run_one
    from tests.running.test_together import configs

    folder = write_toy_paper(tmp_path / "plugins")
    results = tmp_path / "results"
    (config,) = configs("toy", "small", [0], results, papers=[folder.parent], logger="default")
    assert run_one(config, command=["repro", "run"]).status == "completed"
    (record_dir,) = [path.parent for path in results.rglob("record.json")]
    before = _folder_bytes(record_dir)

    real_write, real_save = store.atomic_write_text, pl.Trainer.save_checkpoint
    seen = {"writes": 0, "full": False}

    def write(path: Path, text: str) -> None:
        if Path(path).name == full_at:
            seen["writes"] += 1
            seen["full"] = seen["full"] or seen["writes"] == nth
        if seen["full"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(path, text)

    def save(trainer: Any, path: Any, *args: Any, **kwargs: Any) -> None:
        if seen["full"]:
            Path(path).write_bytes(b"part of a checkpoint")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_save(trainer, path, *args, **kwargs)

    monkeypatch.setattr(store, "atomic_write_text", write)
    monkeypatch.setattr(pl.Trainer, "save_checkpoint", save)
    try:  # a ReproError is the CLI's one `error:` line, as a failed outcome is
        outcome = run_one({**config, "rerun": True}, command=["repro", "run", "rerun=true"])
        said = (outcome.status, outcome.exit_code, str(outcome.error))
    except ReproError as error:
        said = ("failed", error.exit_code, str(error))
    assert seen["full"]
    assert said[:2] == ("failed", 1)
    assert "No space left on device" in said[2]
    assert "the completed record stands" in said[2], said
    assert "\n" not in said[2]
    after = _folder_bytes(record_dir)
    assert sorted(after) == sorted(before)
    assert after == before
