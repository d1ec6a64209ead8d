"""The paper's model as a LightningModule: training_step returns the loss, test_step logs
every metric a claim names."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

# The plugin's other files are imported relatively: `from .data import regression_data`
# (`from data import ...` fails: repro imports the plugin folder as a package).


class PaperModule(pl.LightningModule):
    # `optimizer` is the config's `optimizer:` group as a plain dict of the optimizer's
    # keyword arguments ({"lr": 0.05}); every `model:` key is a keyword argument too.
    def __init__(self, features: int, optimizer: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Linear(features, 1)
        self.optimizer_args = dict(optimizer or {"lr": 0.05})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int):
        x, y = batch
        loss = nn.functional.mse_loss(self(x), y)
        self.log("train/loss", loss)
        return loss

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        self.log("test/mse", nn.functional.mse_loss(self(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), **self.optimizer_args)
