"""Per-run lines of a sweep whose runs another process trains (sweeping.watch)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from repro.sweeping.plan import PlannedRun
from repro.sweeping.watch import RecordWatch


def _record(folder: Path, status: str, sweep_id: str, **more: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    record = {"status": status, "sweep_id": sweep_id, "seed": int(folder.name[4:]), **more}
    record |= {"paper": "toy", "experiment": "small"}
    (folder / "record.json").write_text(json.dumps(record))


def test_each_run_a_slurm_job_ends_gets_its_line_and_the_count_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, a SLURM sweep printed no `k/N done` and no run's line until every job ended."""
    folder = tmp_path / "toy" / "small" / "abc123"
    runs = [PlannedRun("small", s, (), folder / f"seed{s}", "to run") for s in range(3)]
    watch = RecordWatch(runs, "this", poll_s=60)  # its thread waits: the test checks
    with watch.watching():
        _record(runs[0].record_dir, "running", "this")
        _record(runs[1].record_dir, "completed", "earlier")  # not this sweep's: still to come
        watch.check()
        assert capsys.readouterr().out == ""
        _record(runs[0].record_dir, "completed", "this", metrics={"val/mse": 0.25})
        _record(runs[1].record_dir, "failed", "this", error="RuntimeError: boom")
        watch.check()
        watch.check()  # each end is said once
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith("completed: val/mse=0.25 -> ")
    assert "error: RuntimeError: boom" in err
    counts = [line.partition(",")[0] for line in out.splitlines() if " done" in line]
    assert counts == ["1/3 done", "2/3 done (1 failed)"]
    assert list(watch.pending) == [runs[2].record_dir]


class _Clock:
    """Seconds the test moves by hand: the watch's notices come from elapsed time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_sweep_none_of_whose_jobs_starts_says_it_is_waiting_and_where_to_look(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, a SLURM sweep whose jobs could not start (no such partition, no free GPU)
    waited without a word, for as long as SLURM kept them pending."""
    folder = tmp_path / "toy" / "small" / "abc123"
    runs = [PlannedRun("small", s, (), folder / f"seed{s}", "to run") for s in range(2)]
    clock = _Clock()
    watch = RecordWatch(runs, "this", poll_s=60, slurm_name="repro-this", clock=clock)
    watch.check()
    clock.now = 59.0
    watch.check()
    assert capsys.readouterr().err == ""  # a queue of a minute is no news
    clock.now = 61.0
    watch.check()
    watch.check()  # said once, not at every poll
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("waiting: none of this sweep's 2 runs has started after 1 min")
    assert "squeue --name repro-this" in err[0]
    clock.now = 61.0 + 300.0  # five minutes after the first line
    watch.check()
    assert "after 6 min" in capsys.readouterr().err  # said again, later, while none starts


def test_a_sweep_one_of_whose_jobs_started_says_no_waiting_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run that started is news of its own (its line comes as it ends): no false wait."""
    folder = tmp_path / "toy" / "small" / "abc123"
    runs = [PlannedRun("small", s, (), folder / f"seed{s}", "to run") for s in range(2)]
    clock = _Clock()
    watch = RecordWatch(runs, "this", poll_s=60, clock=clock)
    _record(runs[1].record_dir, "running", "this")
    clock.now = 3600.0
    watch.check()
    assert capsys.readouterr().err == ""
