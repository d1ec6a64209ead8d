"""Multi-process (DDP) runs: which rank this process is, how the other ranks of a run start,
and how a rank that dies ends the run instead of hanging it.

Lightning's DDP launcher starts ranks 1..N-1 by re-executing the program's argv. The argv of
`repro run` (Hydra overrides behind a subcommand) or of a sweep worker cannot be re-executed
as is, so `RunRanksLauncher` starts them as
`python -m repro.running.rank_worker <spec>` instead: each
reads the resolved config that rank 0 wrote into the record folder and trains it as its rank.
Under SLURM, srun starts one task per rank and every task enters
through `repro.running.runner.run_one`.
Either way only rank 0 holds the run lock and writes the record; the others write nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.strategies.launchers.subprocess_script import _SubprocessScriptLauncher

from repro.errors import ReproError

WORKER_MODULE = "repro.running.rank_worker"
LAUNCHER_ENV = (
    *("MASTER_ADDR", "MASTER_PORT", "NODE_RANK", "LOCAL_RANK", "WORLD_SIZE"),
    "OMP_NUM_THREADS",  # Lightning sets it for the ranks; a later run must choose its own
)
DEATH_GRACE_S = 5.0  # how long rank 0 may take to notice a dead rank itself before it is ended
POLL_S = 0.2

_abort_handlers: list[Callable[[str], None]] = []


def process_rank() -> int:
    """Global rank of this process from what the launcher set (0 when not distributed):
    RANK (torchrun), SLURM_PROCID in a multi-task SLURM step, LOCAL_RANK and NODE_RANK
    (Lightning's own launcher)."""
    env = os.environ
    if env.get("RANK", "").isdigit():
        return int(env["RANK"])
    if int(env.get("SLURM_NTASKS", "1") or 1) > 1 and env.get("SLURM_PROCID", "").isdigit():
        return int(env["SLURM_PROCID"])
    local, node = int(env.get("LOCAL_RANK") or 0), int(env.get("NODE_RANK") or 0)
    per_node = int(env.get("LOCAL_WORLD_SIZE") or 0) or int(env.get("WORLD_SIZE") or 1)
    return node * per_node + local


def is_worker_rank() -> bool:
    """Whether this process is a rank other than 0 of a multi-process run: it trains, but
    takes no lock and writes no record, log or checkpoint of its own."""
    return process_rank() != 0


class RankDied(ReproError):
    """A rank of this run ended before the run did; its message names the rank and exit."""


def death_message(rank: int, exit_code: int, error: str | None) -> str:
    if error:
        return f"rank {rank} failed: {error}"
    if exit_code < 0:
        try:
            name = signal.Signals(-exit_code).name
        except ValueError:
            name = f"signal {-exit_code}"
        return f"rank {rank} process died (exit {exit_code}, {name})"
    return f"rank {rank} process died (exit {exit_code})"


class RunRanksLauncher(_SubprocessScriptLauncher):
    """Lightning's subprocess launcher with two changes: ranks 1..N-1 run
    `python -m repro.running.rank_worker` for this run's record folder instead of the program's
    argv,
    and a watchdog thread replaces Lightning's observer, which SIGKILLs rank 0 too when a rank
    dies (leaving the record `running`): ours ends the run with a failed record and one line."""

    def __init__(
        self,
        base: _SubprocessScriptLauncher,
        record_dir: Path,
        resume_from: Path | None,
        config_file: str,
    ):
        super().__init__(base.cluster_environment, base.num_processes, base.num_nodes)
        self.record_dir = record_dir
        self.resume_from = resume_from
        self.config_file = config_file
        self.error_pipes: list[int] = []  # read ends: each rank's one-line error, if any
        self.watchdog: RankWatchdog | None = None

    def launch(self, function: Callable, *args: Any, trainer: pl.Trainer | None = None, **kwargs):
        from lightning.fabric.utilities.distributed import _set_num_threads_if_needed

        self.cluster_environment.validate_settings(
            num_devices=self.num_processes, num_nodes=self.num_nodes
        )
        if not self.cluster_environment.creates_processes_externally:
            self._call_children_scripts()
            self.watchdog = RankWatchdog(self.procs, self.error_pipes, self.record_dir)
            self.watchdog.start()
        _set_num_threads_if_needed(num_processes=self.num_processes)
        return function(*args, **kwargs)

    def _call_children_scripts(self) -> None:
        self._check_can_spawn_children()
        env = self.cluster_environment
        os.environ["MASTER_ADDR"] = env.main_address
        os.environ["MASTER_PORT"] = str(env.main_port)
        os.environ["NODE_RANK"] = str(env.node_rank())
        os.environ["LOCAL_RANK"] = str(env.local_rank())
        os.environ["WORLD_SIZE"] = str(self.num_processes * self.num_nodes)
        for local_rank in range(1, self.num_processes):
            read_end, write_end = os.pipe()  # gone with the processes: nothing to clean up
            os.set_blocking(read_end, False)
            self.error_pipes.append(read_end)
            spec = {
                "rank": env.node_rank() * self.num_processes + local_rank,
                "record_dir": str(self.record_dir),
                "config_file": self.config_file,
                "resume_from": str(self.resume_from) if self.resume_from else None,
                "error_fd": write_end,
            }
            child_env = {**os.environ, "LOCAL_RANK": str(local_rank)}
            command = [sys.executable, "-m", WORKER_MODULE, json.dumps(spec)]
            self.procs.append(subprocess.Popen(command, env=child_env, pass_fds=(write_end,)))
            os.close(write_end)

    def child_failure(self, wait_s: float = 2.0) -> str | None:
        """Called by rank 0 when its training raised: the dead rank's message if one died
        (a collective fails in rank 0 because of it), else None. Either way the other ranks
        are stopped, since they would otherwise wait for rank 0 forever."""
        failure = self.watchdog.claim(wait_s) if self.watchdog else None
        self.stop_children()
        return failure

    def stop_children(self) -> None:
        if self.watchdog:
            self.watchdog.stop()
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs:
            proc.wait()
        for read_end in self.error_pipes:
            with contextlib.suppress(OSError):  # closed already
                os.close(read_end)
        self.error_pipes.clear()

    def finish(self) -> None:
        """After rank 0 finished: the other ranks end the same way; wait for them."""
        if self.watchdog:
            self.watchdog.stop()
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.stop_children()


class RankWatchdog(threading.Thread):
    """Polls the ranks rank 0 started. When one exits non-zero, the others are killed; rank 0
    usually notices by itself (its next collective fails) and reports through
    `RunRanksLauncher.child_failure`. If it does not within DEATH_GRACE_S (stuck in a
    collective that never returns, e.g. NCCL, or waiting for the dead rank to join), the
    watchdog ends the run itself: abort handlers record the failure, one error line, exit 1."""

    def __init__(
        self, procs: list[subprocess.Popen], error_pipes: list[int], record_dir: Path
    ) -> None:
        super().__init__(daemon=True, name="repro-rank-watchdog")
        self.procs = procs
        self.error_pipes = error_pipes
        self.record_dir = record_dir
        self.failure: str | None = None
        self._lock = threading.Lock()
        self._claimed = threading.Event()
        self._stopped = threading.Event()

    def stop(self) -> None:
        """Rank 0 is handling the end of the run itself (finished, or failed on its own)."""
        with self._lock:
            self._stopped.set()

    def run(self) -> None:
        while not self._stopped.is_set():
            for rank, proc in enumerate(self.procs, start=1):
                code = proc.poll()
                if code:
                    self._on_death(rank, code)
                    return
            if all(proc.returncode == 0 for proc in self.procs):
                return
            self._stopped.wait(POLL_S)

    def _death(self, rank: int, code: int) -> str:
        try:
            error = os.read(self.error_pipes[rank - 1], 65536).decode(errors="replace").strip()
        except (OSError, IndexError):  # nothing written, or closed already
            error = None
        return death_message(rank, code, error)

    def _on_death(self, rank: int, code: int) -> None:
        with self._lock:
            if self._stopped.is_set():
                return
            self.failure = self._death(rank, code)
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        if self._claimed.wait(DEATH_GRACE_S):
            return  # rank 0 reports it through its normal failure path
        with self._lock:
            if self._claimed.is_set() or self._stopped.is_set():
                return
            self._claimed.set()
        for handler in list(_abort_handlers):
            try:
                handler(self.failure)
            except Exception as error:  # the line below must still come
                print(f"warning: record not updated: {error}", file=sys.stderr)
        print(f"error: {self.failure} (record: {self.record_dir})", file=sys.stderr, flush=True)
        os._exit(1)

    def claim(self, wait_s: float) -> str | None:
        """The failure, for rank 0's own failure path, after waiting up to `wait_s` for a
        rank to exit (it may still be dying); blocks for good if the watchdog already claimed
        it, since the process is about to end."""
        pause = threading.Event()  # never set: a sleep
        waited = 0.0
        while waited < wait_s and self.failure is None:
            if all(proc.poll() == 0 for proc in self.procs):
                break  # they ended normally (e.g. all ranks stopped on a signal)
            for rank, proc in enumerate(self.procs, start=1):
                code = proc.poll()
                if code and self.failure is None:
                    with self._lock:
                        self.failure = self._death(rank, code)
            pause.wait(POLL_S)
            waited += POLL_S
        with self._lock:
            if self._claimed.is_set():
                threading.Event().wait()  # the watchdog is ending this process
            self._claimed.set()
            self._stopped.set()
            return self.failure


@contextmanager
def when_rank_dies(handler: Callable[[str], None]) -> Iterator[None]:
    """While training: `handler(message)` records a failure if a dead rank leaves rank 0
    stuck, just before the watchdog ends the process (run from the watchdog's thread)."""
    _abort_handlers.append(handler)
    try:
        yield
    finally:
        _abort_handlers.remove(handler)


def use_run_launcher(
    trainer: pl.Trainer, record_dir: Path, resume_from: Path | None, config_file: str
) -> None:
    """Give a DDP trainer our launcher (see RunRanksLauncher); other strategies keep theirs.
    Strategies that fork or spawn the ranks are refused: the ranks would train in processes
    whose results, checkpoints and failures repro's record never sees."""
    from lightning.pytorch.strategies.launchers.multiprocessing import _MultiProcessingLauncher

    from repro.errors import UsageError

    launcher = getattr(trainer.strategy, "_launcher", None)
    if type(launcher) is _SubprocessScriptLauncher:
        trainer.strategy._launcher = RunRanksLauncher(
            launcher, record_dir, resume_from, config_file
        )
    elif isinstance(launcher, _MultiProcessingLauncher):
        raise UsageError(
            f"trainer.strategy: {launcher._start_method}-started ranks are not supported;"
            " use trainer.strategy=ddp"
        )


@contextmanager
def ranks_scope(trainer: pl.Trainer) -> Iterator[None]:
    """Around fit and test: the launcher's environment variables and process group do not
    outlive the run (a later run in the same process, e.g. a sweep worker, would otherwise
    take itself for a rank started by someone else, or reuse a group whose peers are gone);
    when training raises because a rank died, the error says so."""
    saved = {name: os.environ.get(name) for name in LAUNCHER_ENV}
    launcher = getattr(trainer.strategy, "_launcher", None)
    ours = launcher if isinstance(launcher, RunRanksLauncher) else None
    try:
        yield
    except Exception as error:
        if ours and ours.procs:
            # repro's own errors (a non-finite loss, a stop on a signal) are rank 0's to
            # report; anything else may be a collective failing because a rank died
            own = isinstance(error, ReproError)
            failure = ours.child_failure(wait_s=0.0 if own else 2.0)
            if failure and not own:
                raise RankDied(failure) from error
        elif trainer.world_size > 1 and (lost := lost_peer(error)):  # ranks started by SLURM
            message = f"another rank of this run died ({lost}); its task log says why"
            raise RankDied(message) from error
        raise
    else:
        if ours:
            ours.finish()
    finally:
        if ours:
            ours.stop_children()
        _destroy_process_group()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


PEER_LOST = ("Connection reset by peer", "Connection closed by peer", "Broken pipe")


def lost_peer(error: BaseException) -> str | None:
    """What a collective says when the process at the other end is gone (gloo's message
    is a paragraph with a source path; the run's one line keeps only this)."""
    text = str(error)
    return next((phrase for phrase in PEER_LOST if phrase in text), None)


def _destroy_process_group() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def agreed_stop(trainer: pl.Trainer, stop_signal: int | None) -> int | None:
    """The stop request of any rank, the same on all ranks (one small all-reduce per step in
    multi-process runs), so every rank checkpoints and stops at the same batch."""
    if trainer.world_size <= 1:
        return stop_signal
    import torch

    flag = torch.tensor(stop_signal or 0, device=trainer.strategy.root_device)
    agreed = int(trainer.strategy.reduce(flag, reduce_op="max"))
    return agreed or None


def rank_zero_decides(trainer: pl.Trainer, decision: bool) -> bool:
    """Rank 0's decision on every rank: a collective (a checkpoint save) must be entered by
    all ranks or by none, and clocks differ between processes."""
    if trainer.world_size <= 1:
        return decision
    return bool(trainer.strategy.broadcast(decision, src=0))


class EvaluatedSamples(pl.Callback):
    """Counts the test samples each rank evaluated, per test dataloader, to weight the
    cross-rank mean of the test metrics."""

    def __init__(self) -> None:
        self.samples: dict[int, int] = {}

    def on_test_batch_end(
        self,
        trainer: pl.Trainer,
        module: Any,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        from lightning.pytorch.utilities.data import extract_batch_size

        try:
            size = extract_batch_size(batch)
        except Exception:  # a batch Lightning cannot size: count batches instead
            size = 1
        self.samples[dataloader_idx] = self.samples.get(dataloader_idx, 0) + size


def reduce_test_metrics(
    trainer: pl.Trainer, tested: list[dict[str, Any]], counter: EvaluatedSamples
) -> list[dict[str, Any]]:
    """Test metrics over all ranks' samples: each rank logged the mean over its own share of
    the test set (plugins rarely pass `sync_dist=True`), so the mean over ranks is weighted by
    each rank's sample count. A metric already synced is the same on every rank and stays as
    it is. One object all-gather, so ranks with different metric keys cannot deadlock."""
    if trainer.world_size <= 1:
        return tested
    import torch.distributed as dist

    mine = [
        ({k: float(v) for k, v in loader.items()}, counter.samples.get(i, 0))
        for i, loader in enumerate(tested or [])
    ]
    gathered: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, mine)
    reduced = []
    for i, loader in enumerate(mine):
        per_rank = [ranks[i] for ranks in gathered if i < len(ranks)]
        total = sum(count for _, count in per_rank)
        merged = {}
        for key in loader[0]:
            pairs = [(metrics[key], count) for metrics, count in per_rank if key in metrics]
            if total and all(count for _, count in pairs):
                merged[key] = sum(v * c for v, c in pairs) / sum(c for _, c in pairs)
            else:
                merged[key] = sum(v for v, _ in pairs) / len(pairs)
        reduced.append(merged)
    return reduced
