"""Multi-process (DDP) runs through `repro run`: 2 CPU processes with gloo on the toy plugin.

Every run goes through a subprocess with a timeout, so a hang fails the test instead of
hanging the suite.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from repro.records import store
from repro.running import distributed
from tests.conftest import repro, write_toy_paper

DDP = ("trainer.accelerator=cpu", "trainer.devices=2", "trainer.strategy=ddp")
TIMEOUT_S = 240  # a run that hangs fails here instead of hanging the suite


@pytest.fixture
def toy_dir(tmp_path: Path) -> Path:
    write_toy_paper(tmp_path / "plugins", "toy")
    return tmp_path / "plugins"


def _run_args(toy_dir: Path, *extra: str) -> list[str]:
    return ["run", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small", *DDP, *extra]


def _records(results: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(results.rglob("record.json"))]


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize(
    ("env", "rank"),
    [
        ({}, 0),
        ({"LOCAL_RANK": "1", "NODE_RANK": "0", "WORLD_SIZE": "2"}, 1),
        ({"LOCAL_RANK": "0", "NODE_RANK": "1", "WORLD_SIZE": "4", "LOCAL_WORLD_SIZE": "2"}, 2),
        ({"RANK": "3", "LOCAL_RANK": "1"}, 3),
        ({"SLURM_NTASKS": "2", "SLURM_PROCID": "1"}, 1),
        ({"SLURM_NTASKS": "1", "SLURM_PROCID": "0"}, 0),
    ],
)
def test_process_rank_from_launcher_env(
    env: dict[str, str], rank: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("RANK", "LOCAL_RANK", "NODE_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("SLURM_NTASKS", "SLURM_PROCID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert distributed.process_rank() == rank
    assert distributed.is_worker_rank() == (rank != 0)


def test_neutral_trainer_keys_keep_run_folders() -> None:
    """Records made before `trainer.strategy`/`num_nodes` existed keep their folders."""
    before = {"paper": "p", "seed": 0, "trainer": {"devices": 1, "max_steps": 5}}
    after = {**before, "trainer": {**before["trainer"], "strategy": "auto", "num_nodes": 1}}
    ddp = {**before, "trainer": {**before["trainer"], "strategy": "ddp", "num_nodes": 1}}
    assert store.config_hash(after) == store.config_hash(before)
    assert store.config_hash(ddp) != store.config_hash(before)


def test_ddp_run_writes_one_completed_record(
    toy_dir: Path, isolated_env: Path, tmp_path: Path
) -> None:
    temp = tmp_path / "temp"  # where rank 0 keeps the other ranks' error notes
    temp.mkdir()
    started = time.perf_counter()
    done = repro(*_run_args(toy_dir, "logger=csv"), env={"TMPDIR": str(temp)}, timeout=TIMEOUT_S)
    print(f"2-process DDP run: {time.perf_counter() - started:.1f} s wall")
    assert done.returncode == 0, done.stderr
    assert any(line.startswith("completed: test/mse=") for line in done.stdout.splitlines())
    assert _error_lines(done.stderr) == []
    (record,) = _records(isolated_env)
    assert record["status"] == "completed"
    assert record["model"]["world_size"] == 2
    assert set(record["metrics"]) >= {"test/mse", "train/loss"}
    assert len(list(isolated_env.rglob("metrics.csv"))) == 1  # rank 0's logger only
    assert not list(temp.iterdir())


DATALOADER_DATA = """\
import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, TensorDataset


class ToyData(pl.LightningDataModule):
    def __init__(self, features, samples):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(samples, features, generator=g)
        self.y = self.x.sum(-1) + 0.3 * torch.randn(samples, generator=g)

    def train_dataloader(self):
        return DataLoader(TensorDataset(self.x, self.y), batch_size=16)

    def test_dataloader(self):
        return DataLoader(TensorDataset(self.x, self.y), batch_size=64)
"""


def test_ddp_test_metrics_cover_every_rank(toy_dir: Path, isolated_env: Path) -> None:
    """With a DataLoader each rank tests half the set (DistributedSampler); the recorded
    metric is over the whole set: what one process gets from the same final weights."""
    (toy_dir / "toy" / "data.py").write_text(DATALOADER_DATA)
    done = repro(*_run_args(toy_dir, "logger=none"), timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr
    (record_file,) = isolated_env.rglob("record.json")
    recorded = json.loads(record_file.read_text())["metrics"]["test/mse"]

    import torch

    sys.path.insert(0, str(toy_dir / "toy"))
    try:
        from data import ToyData  # the plugin's own data, built as the run built it
    finally:
        sys.path.pop(0)
    data = ToyData(features=4, samples=64)
    state = torch.load(record_file.parent / "checkpoints" / "last.ckpt", weights_only=True)
    weight, bias = state["state_dict"]["net.weight"], state["state_dict"]["net.bias"]
    whole_set = torch.nn.functional.mse_loss((data.x @ weight.T + bias).squeeze(-1), data.y)
    assert recorded == pytest.approx(float(whole_set), rel=1e-5)


def test_rank_that_fails_ends_run_with_one_error_line(toy_dir: Path, isolated_env: Path) -> None:
    """Rank 1 dies before joining the process group, where rank 0 would wait for it for
    the whole DDP timeout: the run ends failed, with rank 1's error as the one line."""
    model = toy_dir / "toy" / "model.py"
    model.write_text(
        model.read_text().replace(
            "        super().__init__()\n",
            "        super().__init__()\n"
            "        import os\n"
            "        if os.environ.get('LOCAL_RANK') == '1':\n"
            "            raise RuntimeError('no memory on rank 1')\n",
            1,
        )
    )
    done = repro(*_run_args(toy_dir, "logger=none"), timeout=TIMEOUT_S)
    assert done.returncode == 1
    (line,) = _error_lines(done.stderr)
    assert "rank 1 failed: model.py:" in line and "RuntimeError: no memory on rank 1" in line
    assert "Traceback" not in done.stderr
    (record,) = _records(isolated_env)
    assert record["status"] == "failed"
    assert record["error"].startswith("rank 1 failed: model.py:")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_long_run(
    toy_dir: Path, results: Path, new_session: bool = False
) -> tuple[subprocess.Popen, Path]:
    """A DDP run long enough to be killed, checkpointing every epoch; returns once rank 1
    runs and the first checkpoint exists."""
    args = _run_args(toy_dir, "logger=none", "trainer.max_steps=3000", "checkpoint.every_s=0")
    proc = subprocess.Popen(
        [sys.executable, "-m", "repro", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=new_session,  # its own process group, as a terminal gives it
    )
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        if list(results.rglob("last.ckpt")) and _children(proc.pid):
            return proc, next(results.rglob("last.ckpt"))
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"the run never checkpointed: {proc.communicate()[1]}")


def test_kill_9_of_a_rank_fails_run_with_one_error_line(toy_dir: Path, isolated_env: Path):
    proc, _ = _start_long_run(toy_dir, isolated_env)
    (rank1,) = _children(proc.pid)
    killed_at = time.perf_counter()
    os.kill(rank1, signal.SIGKILL)
    try:
        _, stderr = proc.communicate(timeout=TIMEOUT_S)
    finally:
        proc.kill()
    print(f"rank 0 ended {time.perf_counter() - killed_at:.1f} s after rank 1's kill -9")
    assert proc.returncode == 1
    (line,) = _error_lines(stderr)
    assert line.startswith("error: rank 1 process died (exit -9, SIGKILL)"), stderr
    assert "Traceback" not in stderr
    (record,) = _records(isolated_env)
    assert record["status"] == "failed"
    assert record["error"] == "rank 1 process died (exit -9, SIGKILL)"


def test_ctrl_c_stops_every_rank_at_one_checkpoint(toy_dir: Path, isolated_env: Path) -> None:
    """Ctrl-C reaches every rank (the terminal signals the process group) at different
    steps; the ranks agree on one step, rank 0 saves there and records `interrupted`."""
    proc, _ = _start_long_run(toy_dir, isolated_env, new_session=True)
    (rank1,) = _children(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=TIMEOUT_S)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    (line,) = _error_lines(stderr)
    assert "interrupted by SIGINT at step" in line and "run again to resume" in line
    (record,) = _records(isolated_env)
    assert record["status"] == "interrupted"
    assert not _alive(rank1)


def test_kill_9_of_rank_0_then_rerun_resumes(toy_dir: Path, isolated_env: Path) -> None:
    proc, _ = _start_long_run(toy_dir, isolated_env)
    (rank1,) = _children(proc.pid)
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 30
    while _alive(rank1) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(rank1), "rank 1 outlived its rank 0"
    (left,) = _records(isolated_env)
    assert left["status"] == "running"
    args = _run_args(toy_dir, "logger=none", "trainer.max_steps=3000", "checkpoint.every_s=0")
    done = repro(*args, timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr
    (record,) = _records(isolated_env)
    assert record["status"] == "completed"
    assert record["attempts"] == 2
    assert record["resumed_from"]["step"] > 0
    assert record["timing"]["steps"] == 3000


def test_a_rerun_of_a_completed_ddp_run_trains_its_ranks_and_then_replaces_the_config(
    toy_dir: Path, isolated_env: Path
) -> None:
    """The ranks read the rerun's config, set aside while the completed run's stays; every
    rank's profile is set aside too (rank 1's was appended to the completed run's)."""
    args = _run_args(toy_dir, "logger=none", "trainer.max_steps=20", "+trainer.profiler=simple")
    assert repro(*args, timeout=TIMEOUT_S).returncode == 0
    rerun = repro(*args, "rerun=true", timeout=TIMEOUT_S)
    assert rerun.returncode == 0, rerun.stderr
    (record,) = _records(isolated_env)
    assert record["status"] == "completed" and record["attempts"] == 2
    (config,) = isolated_env.rglob("config.yaml")
    assert "rerun: true" in config.read_text()
    assert not list(isolated_env.rglob("config.rerun.yaml"))
    reports = sorted(config.parent.glob("*-profile*.txt"))
    assert [r.name for r in reports] == [
        "fit-profile-0.txt", "fit-profile-1.txt", "test-profile-0.txt", "test-profile-1.txt"
    ]  # fmt: skip
    assert all(r.read_text().count("Profiler Report") == 1 for r in reports)


def test_ddp_sweep_trains_each_seed_in_one_worker(toy_dir: Path, isolated_env: Path) -> None:
    """Two DDP runs one after the other in the same sweep worker: the second must start its
    own ranks (the first's launcher environment and process group are gone)."""
    done = repro(
        "sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small", *DDP,
        "logger=none", env={"REPRO_JOBS": "1"}, timeout=2 * TIMEOUT_S,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 trained" in done.stdout
    records = _records(isolated_env)
    assert [r["status"] for r in records] == ["completed", "completed"]
    assert all(r["model"]["world_size"] == 2 for r in records)


def test_slurm_two_task_run_through_real_slurmctld(
    toy_dir: Path, isolated_env: Path, slurm_cluster: dict[str, str]
) -> None:
    """`slurm.tasks=2` on CPUs: srun starts 2 tasks, both enter `running.runner.run_one`, rank 1
    trains without lock or record; one record, over both ranks."""
    started = time.perf_counter()
    done = repro(
        "sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small", "seeds=1",
        "launcher=slurm", "slurm.tasks=2", "trainer.accelerator=cpu", "slurm.cpus=1",
        "slurm.mem_gb=1", "slurm.time_min=5", "logger=none",
        env=slurm_cluster, timeout=600,
    )  # fmt: skip
    print(f"SLURM 2-task run: {time.perf_counter() - started:.1f} s wall")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 trained" in done.stdout
    (record,) = _records(isolated_env)
    assert record["status"] == "completed", record["error"]
    assert record["model"]["world_size"] == 2
    (job,) = isolated_env.glob(".sweeps/toy/*/.submitit/*[0-9]")
    assert {p.name.split("_")[1] for p in job.glob("*_log.out")} == {"0", "1"}  # two tasks


def test_spawned_ranks_are_refused(toy_dir: Path) -> None:
    args = _run_args(toy_dir, "logger=none")
    done = repro(*[a.replace("=ddp", "=ddp_spawn") for a in args], timeout=TIMEOUT_S)
    assert done.returncode == 2
    (line,) = _error_lines(done.stderr)
    assert "spawn-started ranks are not supported; use trainer.strategy=ddp" in line


def test_lost_peer_under_slurm_reads_as_a_dead_rank() -> None:
    """Ranks srun started have no watchdog here; gloo's paragraph becomes one short line."""
    from types import SimpleNamespace

    trainer = SimpleNamespace(strategy=SimpleNamespace(_launcher=None), world_size=2)
    gloo = RuntimeError(
        "[/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:537] Read error "
        "[127.0.0.1]:6364: Connection reset by peer. This is typically caused by ..."
    )
    with pytest.raises(distributed.RankDied) as raised, distributed.ranks_scope(trainer):
        raise gloo
    assert str(raised.value) == (
        "another rank of this run died (Connection reset by peer); its task log says why"
    )
    with pytest.raises(ValueError), distributed.ranks_scope(trainer):
        raise ValueError("a plugin's own error stays as it is")
