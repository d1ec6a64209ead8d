"""The four MNIST-1D baselines of the authors' models.py, as one LightningModule.

Each network matches greydanus/mnist1d notebooks/models.py layer for layer and in its forward
pass (LinearBase, MLPBase with its residual hidden layer, ConvBase, GRUBase);
tests/papers/test_mnist1d.py checks the parameter counts and compares every forward pass with
the authors' formulas written out from the same layers.
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

SEQUENCE_LENGTH = 40
NUM_CLASSES = 10


class MLPNet(nn.Module):
    """Two hidden layers with a residual connection around the second (15,210 parameters)."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.linear1 = nn.Linear(SEQUENCE_LENGTH, hidden)
        self.linear2 = nn.Linear(hidden, hidden)
        self.linear3 = nn.Linear(hidden, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.linear1(x).relu()
        h = h + self.linear2(h).relu()
        return self.linear3(h)


class ConvNet(nn.Module):
    """Three strided 1-D convolutions then a linear layer (5,210 parameters at 25 channels)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.linear = nn.Linear(channels * 5, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.view(-1, 1, x.shape[-1])
        h = self.conv3(self.conv2(self.conv1(h).relu()).relu()).relu()
        return self.linear(h.flatten(1))


class GRUNet(nn.Module):
    """Bidirectional GRU over the sequence, all hidden states into a linear layer."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.gru = nn.GRU(1, hidden, batch_first=True, bidirectional=True)
        self.linear = nn.Linear(SEQUENCE_LENGTH * 2 * hidden, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.gru(x.view(-1, x.shape[-1], 1))
        return self.linear(states.flatten(1))


def build_network(arch: str, hidden: int, channels: int, gru_hidden: int) -> nn.Module:
    """The authors' architectures by name."""
    if arch == "logistic":
        return nn.Linear(SEQUENCE_LENGTH, NUM_CLASSES)
    if arch == "mlp":
        return MLPNet(hidden)
    if arch == "cnn":
        return ConvNet(channels)
    if arch == "gru":
        return GRUNet(gru_hidden)
    raise ValueError(f"unknown arch {arch!r}: expected logistic, mlp, cnn or gru")


class MNIST1DClassifier(pl.LightningModule):
    """Cross-entropy classifier; logs `train/loss`, `val/acc`, `test/acc` (fractions)."""

    def __init__(
        self,
        arch: str = "cnn",
        hidden: int = 100,
        channels: int = 25,
        gru_hidden: int = 6,
        optimizer: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = build_network(arch, hidden, channels, gru_hidden)
        self.optimizer_args = dict(optimizer or {"lr": 1e-2})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        x, y = batch
        loss = nn.functional.cross_entropy(self(x), y)
        if self._logs_this_step(batch_idx):
            self.log("train/loss", loss)
        return loss

    def _logs_this_step(self, batch_idx: int) -> bool:
        """Log the training loss only where it is used: the steps Lightning writes to the
        loggers (every `log_every_n_steps`), each epoch's last step and the run's last step
        (the run record's final `train/loss`). A `self.log` costs as much as a quarter of
        this CNN's forward pass, and the values of the other steps were never written."""
        trainer = self._trainer
        if trainer is None:
            return True
        step = trainer.global_step + 1
        every = trainer.log_every_n_steps
        return (
            (every > 0 and step % every == 0)
            or step == trainer.max_steps
            or batch_idx + 1 >= trainer.num_training_batches
            or bool(trainer.fast_dev_run)
        )

    def _evaluate(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> None:
        x, y = batch
        logits = self(x)
        self.log(f"{stage}/loss", nn.functional.cross_entropy(logits, y))
        self.log(f"{stage}/acc", (logits.argmax(-1) == y).float().mean(), prog_bar=True)

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), **self.optimizer_args)
