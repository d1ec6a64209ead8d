"""Lightning callbacks repro adds to every run: timing, progress and the non-finite loss guard."""

from __future__ import annotations

import math
import os
import time
from typing import Any

import lightning.pytorch as pl
import torch

from repro.errors import NonFiniteLossError
from repro.plugins.batches import InMemoryBatches
from repro.running.progress import ProgressLine, total_steps


def process_age_s() -> float | None:
    """Seconds since this process started (Linux /proc, 10 ms resolution); None elsewhere."""
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
            started_ticks = int(stat.read().rpartition(")")[2].split()[19])  # field 22
            return float(uptime.read().split()[0]) - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class TimingCallback(pl.Callback):
    """Wall time of fitting, per epoch and per step, for the run record and sweep estimates.

    Also the fixed cost before training: `setup_s` from this callback's creation (the start of
    `train_and_test`) to the first training step, `first_step_s` from process start to it
    (imports, config, loggers, data), and the fit's CPU time (`fit_cpu_s` far above `fit_s`
    means threads spinning rather than working). `step_ms_median` is the median time from one
    training step's start to the next: unlike `steps_per_s` it barely moves when other
    processes take the CPU now and then, so it is the figure to compare across runs.
    """

    def __init__(self) -> None:
        self.created = time.perf_counter()
        self.fit_started: float | None = None
        self.fit_seconds = 0.0
        self.fit_cpu_seconds = 0.0
        self._fit_cpu_started = 0.0
        self.epoch_seconds: list[float] = []
        self._epoch_started: float | None = None  # None: in an epoch a resume started mid-way
        self.first_step_at: float | None = None
        self.first_global_step = 0
        self.threads: int | None = None
        self._step_started: float | None = None
        self.step_seconds: list[float] = []
        self.process_age_at_first_step: float | None = None

    def on_fit_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.fit_started = time.perf_counter()
        self._fit_cpu_started = time.process_time()
        self.threads = torch.get_num_threads()

    def on_train_epoch_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self._epoch_started = time.perf_counter()

    def on_train_batch_start(self, trainer: pl.Trainer, *args: Any) -> None:
        now = time.perf_counter()
        if self._step_started is not None:
            self.step_seconds.append(now - self._step_started)
        self._step_started = now
        if self.first_step_at is None:
            self.first_step_at = time.perf_counter()
            self.first_global_step = trainer.global_step  # > 0 when resumed from a checkpoint
            self.process_age_at_first_step = process_age_s()

    def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        # Lightning runs no on_train_epoch_start for the epoch a resume starts in: its part
        # is not an epoch's time (it was counted from 0, the machine's uptime)
        if self._epoch_started is not None:
            self.epoch_seconds.append(time.perf_counter() - self._epoch_started)
        self._epoch_started = None
        self._step_started = None  # the next interval would include the epoch's end

    def on_fit_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        if self.fit_started is not None:
            self.fit_seconds = time.perf_counter() - self.fit_started
            self.fit_cpu_seconds = time.process_time() - self._fit_cpu_started

    def summary(self, steps: int) -> dict[str, Any]:
        epochs = self.epoch_seconds
        first_step = self.first_step_at
        age = self.process_age_at_first_step
        run_here = steps - self.first_global_step  # the steps this fit ran
        intervals = sorted(self.step_seconds)
        return {
            "fit_s": round(self.fit_seconds, 4),
            "fit_cpu_s": round(self.fit_cpu_seconds, 3),
            "cpu_threads": self.threads,
            "steps": steps,
            "steps_per_s": round(run_here / self.fit_seconds, 3) if self.fit_seconds else None,
            "epochs": len(epochs),
            "epoch_s_mean": round(sum(epochs) / len(epochs), 5) if epochs else None,
            "step_ms_median": (
                round(1000 * intervals[len(intervals) // 2], 4) if intervals else None
            ),
            "setup_s": round(first_step - self.created, 3) if first_step is not None else None,
            "first_step_s": round(age, 2) if age is not None else None,
        }


class SmallModelThreads(pl.Callback):
    """One intra-op CPU thread while fitting and testing a model of at most `max_parameters`.

    A small model's ops are too short to gain from splitting across threads; torch's default
    (a thread per core) only adds spinning, and on a busy machine a descheduled thread stalls
    every op: measured on 2 cores, the MNIST-1D CNN ran as fast on 1 thread as on 2 when idle,
    and 15-25x faster under load. One thread also makes a small model's results the same on
    every machine. Used when the config leaves `num_threads` unset; restored afterwards.
    """

    def __init__(self, max_parameters: int = 100_000) -> None:
        self.max_parameters = max_parameters
        self._saved: int | None = None

    def setup(self, trainer: pl.Trainer, module: pl.LightningModule, stage: str) -> None:
        try:
            small = sum(p.numel() for p in module.parameters()) <= self.max_parameters
        except ValueError:  # uninitialised (lazy) parameters: leave torch's default
            small = False
        if small and self._saved is None:
            self._saved = torch.get_num_threads()
            torch.set_num_threads(1)

    def teardown(self, trainer: pl.Trainer, module: pl.LightningModule, stage: str) -> None:
        if self._saved is not None:
            torch.set_num_threads(self._saved)
            self._saved = None

    def on_exception(
        self, trainer: pl.Trainer, module: pl.LightningModule, exception: BaseException
    ) -> None:
        self.teardown(trainer, module, "exception")


FIT_METRIC_PREFIXES = ("train/", "val/")
"""The metrics a record takes from fitting (the test's come from `trainer.test`)."""


class FitMetricsAcrossResume(pl.Callback):
    """The last logged train/ and val/ values, carried in the checkpoint: a run resumed after
    its last validation reports that validation, as the uninterrupted run does (the resumed
    attempt logs no val/ values of its own). `before_resume` holds them once loaded."""

    KEY = "repro_fit_metrics"

    def __init__(self) -> None:
        self.before_resume: dict[str, float] = {}

    def on_save_checkpoint(
        self, trainer: pl.Trainer, module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        kept = {}
        for key, value in trainer.callback_metrics.items():
            if key.startswith(FIT_METRIC_PREFIXES) and getattr(value, "numel", lambda: 1)() == 1:
                kept[key] = float(value.item() if hasattr(value, "item") else value)
        checkpoint[self.KEY] = kept

    def on_load_checkpoint(
        self, trainer: pl.Trainer, module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        kept = checkpoint.get(self.KEY)
        self.before_resume = dict(kept) if isinstance(kept, dict) else {}


class BatchesOnDevice(pl.Callback):
    """Move `InMemoryBatches` loaders to the module's device before each loop uses them.

    Data that fits in memory then crosses to the GPU once per loader instead of once per
    step (a pageable host-to-device copy per step also stalls the host on the device).
    """

    @staticmethod
    def _move(trainer: pl.Trainer, loaders: Any) -> None:
        if isinstance(loaders, dict):
            loaders = list(loaders.values())
        elif not isinstance(loaders, (list, tuple)):
            loaders = [loaders]
        for loader in loaders:
            if isinstance(loader, InMemoryBatches):
                loader.to(trainer.strategy.root_device)

    def on_train_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self._move(trainer, trainer.train_dataloader)

    def on_validation_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self._move(trainer, trainer.val_dataloaders)

    def on_test_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self._move(trainer, trainer.test_dataloaders)


class RunProgress(pl.Callback):
    """One progress line for the whole run (repro.running.progress.ProgressLine), not one bar per
    epoch and loop. Kept in repro's CallbackGroup, so a step costs one clock read; metrics
    are read only when the line is drawn. Validation redraws the bar (its metric is new);
    testing shows nothing."""

    def __init__(self, line: ProgressLine) -> None:
        self.line = line

    def on_train_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        batches = trainer.num_training_batches
        accumulate = max(1, int(getattr(trainer, "accumulate_grad_batches", 1) or 1))
        per_epoch = math.ceil(batches / accumulate) if math.isfinite(batches) else None
        total = total_steps(trainer.max_steps, trainer.max_epochs, per_epoch)
        self.line.start(trainer.global_step, total)

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if self.line.due():
            self.line.draw(trainer.global_step, trainer.callback_metrics)

    def on_validation_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        if self.line.interactive and not trainer.sanity_checking:
            self.line.draw(trainer.global_step, trainer.callback_metrics)

    def on_train_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.line.draw(trainer.global_step, trainer.callback_metrics, done=True)
        self.line.close()

    def on_exception(
        self, trainer: pl.Trainer, module: pl.LightningModule, exception: BaseException
    ) -> None:
        self.line.close()


class FiniteLossGuard(pl.Callback):
    """Stop at the first NaN/inf training loss instead of training on garbage.

    Losses are kept (detached, no copy) and checked together every `every_n_steps` steps, at
    each epoch's end (before any checkpoint of it is saved) and at the end of training: one
    host-device sync per check instead of one per step, which on a GPU would stall the
    queue every step. The error names the exact first step with a non-finite loss; training
    runs at most `every_n_steps - 1` steps past it (a NaN stays NaN through the optimiser).
    """

    def __init__(self, every_n_steps: int = 1) -> None:
        self.every_n_steps = max(1, every_n_steps)
        self._pending: list[tuple[int, torch.Tensor]] = []

    def on_train_batch_end(
        self, trainer: pl.Trainer, module: pl.LightningModule, outputs: Any, batch: Any, idx: int
    ) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        step = trainer.fit_loop.total_batch_idx  # the batch whose loss this is (0-based)
        if isinstance(loss, torch.Tensor):
            self._pending.append((step, loss.detach()))
            if len(self._pending) >= self.every_n_steps:
                self.check()
        elif isinstance(loss, float) and not math.isfinite(loss):
            raise NonFiniteLossError(step, loss)

    def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.check()

    def on_train_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.check()

    def check(self) -> None:
        """Raise for the first non-finite loss kept since the last check."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        if all(loss.numel() == 1 for _, loss in pending):
            losses = torch.stack([loss.reshape(()) for _, loss in pending])
            finite = torch.isfinite(losses)
            if bool(finite.all()):  # the one sync
                return
            first = int((~finite).nonzero()[0, 0])
            raise NonFiniteLossError(pending[first][0], float(losses[first]))
        for step, loss in pending:
            if not bool(torch.isfinite(loss).all()):
                raise NonFiniteLossError(step, float(loss.float().mean()))
