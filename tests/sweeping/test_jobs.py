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
from repro.sweeping.jobs import Job
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


def _planned(settings: list[str], seeds: int) -> list[object]:
    from repro.sweeping.plan import PlannedRun

    return [
        PlannedRun(
            "logistic", seed, (f"optimizer.lr={lr}",), Path(f"/none/{lr}/seed{seed}"), "to run"
        )
        for lr in settings
        for seed in range(seeds)
    ]


def _fake_runs(monkeypatch: pytest.MonkeyPatch, error_of: dict[str, str | None]) -> list[str]:
    """run_job replaced: a run of setting `lr` fails with error_of[lr] (None: completes)."""
    from repro.running.runner import RunOutcome

    ran: list[str] = []

    def run_job(job: jobs.Job, alone: bool = True) -> list[RunOutcome]:
        outcomes = []
        for run in job.runs:
            ran.append(f"{run.fixed[0]} {run.seed}")
            error = error_of[run.fixed[0].partition("=")[2]]
            status = "failed" if error else "completed"
            outcomes.append(
                RunOutcome(status, run.record_dir, error=error, exit_code=int(bool(error)))
            )
        return outcomes

    monkeypatch.setattr(jobs, "run_job", run_job)
    return ran


@pytest.mark.parametrize(
    "error",
    [
        "non-finite loss at step 1 (nan)",  # the setting's outcome: never systematic
        "ValueError: lr must be finite",  # one setting's own error: other settings go on
    ],
)
def test_one_settings_failures_do_not_stop_the_others(
    monkeypatch: pytest.MonkeyPatch, error: str
) -> None:
    ran = _fake_runs(monkeypatch, {"inf": error, "1e-2": None})
    done = jobs.run_in_process(jobs.jobs_for(_planned(["inf", "1e-2"], 2), []))
    assert done.stopped_because is None and not done.not_started
    assert sorted(ran) == [
        "optimizer.lr=1e-2 0",
        "optimizer.lr=1e-2 1",
        "optimizer.lr=inf 0",
        "optimizer.lr=inf 1",
    ]


def test_a_failure_every_setting_shares_stops_the_sweep_after_two_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran = _fake_runs(monkeypatch, {"a": "RuntimeError: boom", "b": "RuntimeError: boom"})
    done = jobs.run_in_process(jobs.jobs_for(_planned(["a", "b"], 3), []))
    assert done.stopped_because == "RuntimeError: boom"
    assert ran == ["optimizer.lr=a 0", "optimizer.lr=b 0"]  # seed 0 of each setting first
    assert len(done.not_started) == 4


def test_seeds_blocked_by_a_dead_link_do_not_stop_the_sweep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seeds 0 and 1 planned blocked (a dead link where each keeps its record): each run
    stops at once naming its own link, the same error but for its path, so the sweep
    stopped as if the plugin were broken ('every run fails the same way') and never
    started seed 2, which could train."""
    from dataclasses import replace

    ran = _fake_runs(monkeypatch, {"a": "record.json is a link that leads nowhere"})
    planned = _planned(["a"], 3)
    blocked = "blocked (record.json is a link that leads nowhere)"
    planned[:2] = [replace(run, state=blocked) for run in planned[:2]]
    done = jobs.run_in_process(jobs.jobs_for(planned, []))
    assert done.stopped_because is None and not done.not_started
    assert ran == ["optimizer.lr=a 0", "optimizer.lr=a 1", "optimizer.lr=a 2"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("RuntimeError: negative dimension -1", "RuntimeError: negative dimension -2"),
        ("ValueError: unknown arch 'x'", "ValueError: unknown arch 'y'"),
        ("shape [4, 1.5e-3] vs [4, 8]", "shape [16, 2e-3] vs [16, 8]"),
    ],
)
def test_a_failure_that_names_its_setting_still_stops_the_sweep(first: str, second: str) -> None:
    """A broken plugin's error often quotes the setting's own value (`model.hidden=-1,-2`):
    the same error in every setting, its numbers and quoted names aside, still stops it."""
    from repro.running.runner import RunOutcome

    rule = jobs.SystematicFailure(settings=2)
    assert not rule.stops_after(RunOutcome("failed", None, error=first, exit_code=1), "a")
    assert rule.stops_after(RunOutcome("failed", None, error=second, exit_code=1), "b")
    assert rule.reason == first
    other, disk = jobs.SystematicFailure(settings=2), "OSError: disk full"
    assert not other.stops_after(RunOutcome("failed", None, error=first, exit_code=1), "a")
    assert not other.stops_after(RunOutcome("failed", None, error=disk, exit_code=1), "b")


def test_systematic_failure_rule_counts_settings() -> None:
    from repro.running.runner import RunOutcome

    def failed(error: str) -> RunOutcome:
        return RunOutcome("failed", None, error=error, exit_code=1)

    two = jobs.SystematicFailure(settings=2)
    assert not two.stops_after(failed("boom"), "a") and not two.stops_after(failed("boom"), "a")
    assert two.stops_after(failed("boom"), "b") and two.reason == "boom"
    one = jobs.SystematicFailure(settings=1)
    assert not one.stops_after(failed("boom"), "a") and one.stops_after(failed("boom"), "a")
    nan = jobs.SystematicFailure(settings=1)
    for setting in "aab":
        assert not nan.stops_after(failed("non-finite loss at step 1 (nan)"), setting)


def test_an_error_that_stops_a_group_says_it_is_the_groups_for_each_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only results folder stops a group of seeds trained together at its first
    seed's folder: every seed's row said `cannot write .../seed0`, as if its own folder
    were seed 0's. Each seed's error now says it is its group's."""
    from repro.errors import ReproError
    from repro.running import together
    from repro.sweeping.plan import PlannedRun

    def read_only(*args: object, **kwargs: object) -> None:
        raise ReproError(f"cannot write {tmp_path / 'seed0'}: Permission denied")

    monkeypatch.setattr(jobs, "_compose", lambda run, overrides: ({}, []))
    monkeypatch.setattr(together, "run_together", read_only)
    runs = [PlannedRun("small", s, (), tmp_path / f"seed{s}", "to run") for s in (0, 1, 2)]
    job = Job(runs[0], (), tuple((run, (f"seed={run.seed}",)) for run in runs))
    outcomes = jobs._run_group(job, alone=True)
    assert [o.status for o in outcomes] == ["failed"] * 3
    for outcome in outcomes:
        assert outcome.error == (
            f"its group (seeds 0, 1, 2, trained together): cannot write {tmp_path / 'seed0'}: "
            "Permission denied"
        ), outcome.error
