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
