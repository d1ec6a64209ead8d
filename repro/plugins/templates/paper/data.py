"""The paper's data as a LightningDataModule. Generate or load it here; never download at
run time: raise repro.errors.UsageError with the download command when it is missing."""

from __future__ import annotations

import lightning.pytorch as pl
import torch

from repro.plugins import InMemoryBatches


class PaperData(pl.LightningDataModule):
    def __init__(self, features: int, samples: int, batch_size: int) -> None:
        super().__init__()
        self.save_hyperparameters()
        generator = torch.Generator().manual_seed(0)  # the same data for every training seed
        self.x = torch.randn(samples, features, generator=generator)
        self.y = self.x.sum(-1)

    def dataset_sizes(self) -> dict[str, int]:
        return {"train": len(self.x), "test": len(self.x)}

    def train_dataloader(self) -> InMemoryBatches:
        return InMemoryBatches(self.x, self.y, self.hparams.batch_size)

    def test_dataloader(self) -> InMemoryBatches:
        return InMemoryBatches(self.x, self.y, len(self.x))
