"""The paper's data as a LightningDataModule. Generate or load it here; never download at
run time: raise UsageError (from repro.plugins) with the download command when it is missing.

The test set is held out: drawn from its own generator, never from the training tensors, so
`test/...` metrics measure generalisation (keep it that way when you replace the data)."""

from __future__ import annotations

import lightning.pytorch as pl
import torch

from repro.plugins import InMemoryBatches

TRAIN_DATA_SEED = 0  # fixed: the same data for every training seed
TEST_DATA_SEED = 1  # another generator: test samples the model never trains on


def regression_data(samples: int, features: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs x ~ N(0, 1) and targets y = sum(x), from a generator seeded with `seed`."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(samples, features, generator=generator)
    return x, x.sum(-1)


class PaperData(pl.LightningDataModule):
    def __init__(self, features: int, samples: int, batch_size: int) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.train_x, self.train_y = regression_data(samples, features, TRAIN_DATA_SEED)
        self.test_x, self.test_y = regression_data(samples, features, TEST_DATA_SEED)

    def dataset_sizes(self) -> dict[str, int]:  # optional: recorded in record.json
        return {"train": len(self.train_x), "test": len(self.test_x)}

    def train_dataloader(self) -> InMemoryBatches:
        return InMemoryBatches(self.train_x, self.train_y, self.hparams.batch_size)

    def test_dataloader(self) -> InMemoryBatches:
        return InMemoryBatches(self.test_x, self.test_y, len(self.test_x))
