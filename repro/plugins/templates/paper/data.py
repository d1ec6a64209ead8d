"""The paper's data as a LightningDataModule. Generate or load it here; never download at
run time: raise UsageError (from repro.plugins) with the download command when it is missing.

The test set is held out: drawn from its own generator, never from the training tensors, so
`test/...` metrics measure generalisation (keep it that way when you replace the data).

The run's seed reaches the data through `torch.initial_seed()` (repro seeds torch before it
builds this class): here it orders the training batches, as the seed of a real paper's run
does, so seeds give different results; the data itself is the same for every seed."""

from __future__ import annotations

import lightning.pytorch as pl
import torch

from repro.plugins import InMemoryBatches

TRAIN_DATA_SEED = 0  # fixed: the same data for every training seed
TEST_DATA_SEED = 1  # another generator: test samples the model never trains on
NOISE_STD = 0.5  # noise on the targets: no model fits it, so test/mse stays near 0.25


def regression_data(samples: int, features: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs x ~ N(0, 1) and targets y = sum(x) + noise, from a generator seeded with `seed`."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(samples, features, generator=generator)
    return x, x.sum(-1) + NOISE_STD * torch.randn(samples, generator=generator)


class PaperData(pl.LightningDataModule):
    def __init__(self, features: int, samples: int, batch_size: int) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.train_x, self.train_y = regression_data(samples, features, TRAIN_DATA_SEED)
        self.test_x, self.test_y = regression_data(samples, features, TEST_DATA_SEED)
        self.shuffle_seed = torch.initial_seed()  # the run's seed: its order of the batches

    def dataset_sizes(self) -> dict[str, int]:  # optional: recorded in record.json
        return {"train": len(self.train_x), "test": len(self.test_x)}

    def train_dataloader(self) -> InMemoryBatches:
        return InMemoryBatches(
            self.train_x,
            self.train_y,
            self.hparams.batch_size,
            shuffle=True,
            seed=self.shuffle_seed,
        )

    def test_dataloader(self) -> InMemoryBatches:
        return InMemoryBatches(self.test_x, self.test_y, len(self.test_x))
