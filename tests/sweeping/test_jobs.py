"""repro's own joblib workers (sweeping.jobs): a pool kept across batches, as seeds=auto's
stage two uses the pilot's workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from repro.config.app import plugin_overrides
from repro.plugins.registry import get_paper
from repro.sweeping import jobs
from repro.sweeping.execute import run_planned
from repro.sweeping.plan import SweepGrid, plan_sweep
from tests.conftest import write_toy_paper


@pytest.fixture
def toy(tmp_path: Path) -> tuple[object, list[str]]:
    write_toy_paper(tmp_path / "plugins", "toy")
    plugin = get_paper("toy", [tmp_path / "plugins"])
    return plugin, plugin_overrides(plugin.folder)


def _sweep(toy: tuple[object, list[str]], seeds: list[int], dirs: list[Path]) -> tuple:
    wiring = toy[1]
    planned, results = plan_sweep("toy", wiring, SweepGrid(["small"], seeds, [("logger=none",)]))
    outcomes, summary = run_planned(
        planned, "toy", wiring, ["launcher=joblib"], [], results, dirs, False, print
    )
    return planned, [r.result for r in summary], outcomes


def _pids() -> list[int]:
    assert jobs._shared_pool is not None
    return [worker.process.pid for worker in jobs._shared_pool.workers]


def test_a_shared_pool_trains_the_next_batch_on_the_same_workers_as_that_batchs_runs(
    toy: tuple[object, list[str]], tmp_path: Path, isolated_env: Path, monkeypatch
) -> None:
    """Stage two spawned a fresh set of workers (imports again: ~4 s each on this CPU).
    Kept workers must still record the second sweep's id: with the first's, its runs read
    `completed by another process` instead of `trained`."""
    monkeypatch.setenv("REPRO_JOBS", "1")
    dirs = [tmp_path / "plugins"]
    with jobs.shared_workers():
        first, results, _ = _sweep(toy, [0], dirs)
        assert results == ["trained"]
        kept = _pids()
        second, results, _ = _sweep(toy, [1], dirs)
        assert results == ["trained"], "the kept worker recorded the first sweep's id"
        assert _pids() == kept
        workers = list(jobs._shared_pool.workers)
    assert jobs._shared_pool is None
    assert not any(worker.process.is_alive() for worker in workers)
    ids = [json.loads((run.record_dir / "record.json").read_text()) for run in first + second]
    assert ids[0]["sweep_id"] != ids[1]["sweep_id"]


def test_without_a_shared_pool_no_worker_outlives_its_batch(
    toy: tuple[object, list[str]], tmp_path: Path, isolated_env: Path, monkeypatch
) -> None:
    monkeypatch.setenv("REPRO_JOBS", "1")
    seen: list[jobs._Worker] = []
    take = jobs.WorkerPool.take

    def spy(pool: jobs.WorkerPool, count: int) -> list[jobs._Worker]:
        taken = take(pool, count)
        seen.extend(taken)
        return taken

    monkeypatch.setattr(jobs.WorkerPool, "take", spy)
    _, results, _ = _sweep(toy, [0], [tmp_path / "plugins"])
    assert results == ["trained"]
    assert seen and not any(worker.process.is_alive() for worker in seen)


MARKING_MODULE = """

import os


class MarkingModule(ToyModule):
    def on_train_start(self):
        with open(os.environ["REPRO_TEST_MARK_FILE"], "w") as out:
            out.write(os.environ.get("REPRO_SWEEP_PID", "unset"))
"""


def test_a_worker_started_early_trains_the_sweeps_runs_as_its_worker(
    tmp_path: Path, isolated_env: Path, monkeypatch
) -> None:
    """Workers spawned while the sweep still validates (their torch import side by side with
    it) are the ones that train, and know they are a sweep's workers (lines, not bars)."""
    monkeypatch.setenv("REPRO_JOBS", "1")
    monkeypatch.setattr(jobs.os, "cpu_count", lambda: 4)  # a core to spare for the worker
    mark = tmp_path / "worker-env.txt"
    monkeypatch.setenv("REPRO_TEST_MARK_FILE", str(mark))
    folder = write_toy_paper(tmp_path / "plugins", "toy")
    (folder / "model.py").write_text((folder / "model.py").read_text() + MARKING_MODULE)
    spec = (folder / "paper.yaml").read_text()
    (folder / "paper.yaml").write_text(spec.replace("model:ToyModule", "model:MarkingModule"))
    plugin = get_paper("toy", [tmp_path / "plugins"])
    with jobs.shared_workers():
        jobs.start_workers_early(1)
        early = _pids()
        _, results, _ = _sweep((plugin, plugin_overrides(plugin.folder)), [0], [folder.parent])
        assert results == ["trained"]
        assert _pids() == early
    assert mark.read_text() == str(os.getpid())


def _processes_with(marker: str) -> list[int]:
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def test_a_sweep_refused_at_validation_ends_its_early_workers(
    tmp_path: Path, isolated_env: Path
) -> None:
    """A bad value found by validation, after the workers started importing: one error line,
    exit 2, and no worker left behind."""
    write_toy_paper(tmp_path / "plugins", "toy")
    marker = f"REPRO_TEST_MARKER={uuid.uuid4().hex}"
    env = {**os.environ, "REPRO_JOBS": "2", marker.split("=")[0]: marker.split("=")[1]}
    command = [sys.executable, "-m", "repro", "sweep", "--papers-dir", str(tmp_path / "plugins")]
    command += ["paper=toy", "seeds=2", "launcher=joblib", "trainer.precision=7"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: "), done.stderr
    assert "trainer.precision=7" in errors[0]
    deadline = time.monotonic() + 5
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_with(marker) == []
