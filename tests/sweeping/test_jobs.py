"""repro's own joblib workers (sweeping.jobs): a pool kept across batches, as seeds=auto's
stage two uses the pilot's workers."""

from __future__ import annotations

import json
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
