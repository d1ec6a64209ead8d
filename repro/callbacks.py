"""Lightning callbacks repro adds to every run: timing and the non-finite loss guard."""

from __future__ import annotations

import math
import time
from typing import Any

import lightning.pytorch as pl
import torch

from repro.errors import NonFiniteLossError


class TimingCallback(pl.Callback):
    """Wall time of fitting, per epoch and per step, for the run record and sweep estimates."""

    def __init__(self) -> None:
        self.fit_started: float | None = None
        self.fit_seconds = 0.0
        self.epoch_seconds: list[float] = []
        self._epoch_started = 0.0
        self.first_step_at: float | None = None

    def on_fit_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.fit_started = time.perf_counter()

    def on_train_epoch_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self._epoch_started = time.perf_counter()

    def on_train_batch_start(self, trainer: pl.Trainer, *args: Any) -> None:
        if self.first_step_at is None:
            self.first_step_at = time.perf_counter()

    def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.epoch_seconds.append(time.perf_counter() - self._epoch_started)

    def on_fit_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        if self.fit_started is not None:
            self.fit_seconds = time.perf_counter() - self.fit_started

    def summary(self, steps: int) -> dict[str, Any]:
        epochs = self.epoch_seconds
        return {
            "fit_s": round(self.fit_seconds, 4),
            "steps": steps,
            "steps_per_s": round(steps / self.fit_seconds, 3) if self.fit_seconds else None,
            "epochs": len(epochs),
            "epoch_s_mean": round(sum(epochs) / len(epochs), 5) if epochs else None,
        }


class FiniteLossGuard(pl.Callback):
    """Stop at the first NaN/inf training loss instead of training on garbage.

    Checked every `every_n_steps` steps: each check syncs the device with the host, which
    costs throughput on a GPU; a non-finite loss stays non-finite, so a late check still
    catches it.
    """

    def __init__(self, every_n_steps: int = 1) -> None:
        self.every_n_steps = max(1, every_n_steps)

    def on_train_batch_end(
        self, trainer: pl.Trainer, module: pl.LightningModule, outputs: Any, batch: Any, idx: int
    ) -> None:
        step = trainer.fit_loop.total_batch_idx  # the batch whose loss this is (0-based)
        if step % self.every_n_steps:
            return
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if isinstance(loss, torch.Tensor) and not bool(torch.isfinite(loss).all()):
            raise NonFiniteLossError(step, float(loss.detach().float().mean()))
        if isinstance(loss, float) and not math.isfinite(loss):
            raise NonFiniteLossError(step, loss)
