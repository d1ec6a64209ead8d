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
    """helper-77: a resumed run's record held only its last attempt's wall time, so the
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
    """helper-79: a seed stage two of `repro sweep seeds=auto` trained, cut short, resumed by
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
    """helper-77: a run killed with kill -9 (an OOM kill, a node lost) leaves a `running`
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


def test_the_attempts_a_run_started_over_from_are_counted_with_those_killed(
    tmp_path: Path,
) -> None:
    """helper-105: `abandoned_wall_s` kept the time of the attempts a run started over from,
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
    """helper-105: reruns of a completed run (attempt 1): attempts 2-3 failed (the last's
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
    """helper-105: a rerun that completed (attempt 3) carries the failed rerun before it
    (attempt 2), then removes its record.failed.json; killed in between, the file stayed, and
    the next rerun carried its 42 s again (and, completing, added them to the 42 s the
    record it replaced carried: 84 s of unsuccessful time for 42)."""
    from repro.running import runner

    completed = {"status": "completed", "attempts": 3, "timing": {"abandoned_wall_s": 42.0}}
    failed = {"status": "failed", "attempts": 2, "timing": {"wall_s": 42.0}}
    (tmp_path / "record.failed.json").write_text(json.dumps(failed))
    assert runner.abandoned_attempts(completed, None, tmp_path) == {}


def test_a_killed_rerun_carried_by_the_next_counts_up_to_its_last_save(tmp_path: Path) -> None:
    """helper-105: a rerun killed 30 s in (its checkpoints/rerun.ckpt saved then) was carried
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
    assert carried == {"abandoned_wall_s": 30.0, "abandoned_runs": 1, "abandoned_untimed": 0}


def test_a_killed_attempt_started_over_counts_up_to_its_last_save(tmp_path: Path) -> None:
    """helper-105: an attempt killed 12 s in (kill -9: a `running` record with its start, a
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
    assert carried == {"abandoned_wall_s": 12.0, "abandoned_runs": 1, "abandoned_untimed": 0}
    assert runner.abandoned_attempts(killed, None) == {"abandoned_runs": 1, "abandoned_untimed": 1}


def test_a_record_that_cannot_be_read_stops_the_run_before_it_overwrites_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """helper-107: a record.json the OS refuses to read (no read permission, an I/O error on a
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


@pytest.mark.parametrize("path", ["checkpoints/last.ckpt", "config.yaml", "record.failed.json"])
def test_a_folder_where_a_run_keeps_a_file_stops_a_rerun_before_it_trains(
    tmp_path: Path, isolated_env: Path, path: str
) -> None:
    """helper-111: a folder where the run keeps a file (a sync tool's conflict folder, a
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


def test_a_stale_run_is_not_retrained_when_it_cannot_be_kept_aside(
    tmp_path: Path, isolated_env: Path
) -> None:
    """helper-111: with a file at `.superseded` (a sync tool's leftover), a stale run's
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
