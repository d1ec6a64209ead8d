"""Max regression sets, generated on the fly: n ~ U{1, ..., 10}, x_i ~ U[0, 100], y = max_i x_i.

As in the authors' max_regression_demo.ipynb, every batch draws one set size n shared by its
sets, so no padding or masking is needed. Training batches come from a generator seeded with
the run's seed and are new every epoch; validation and test sets are fixed (their own seeds),
the same for every training seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import lightning.pytorch as pl
import torch


def random_set_batch(
    generator: torch.Generator,
    batch_size: int,
    min_size: int,
    max_size: int,
    low: float,
    high: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch: sets x of shape (batch, n, 1) with one n for the batch, targets (batch, 1)."""
    n = int(torch.randint(min_size, max_size + 1, (1,), generator=generator))
    x = low + (high - low) * torch.rand(batch_size, n, 1, generator=generator)
    return x, x.amax(dim=1)


class RandomSetBatches:
    """`num_batches` batches per pass from a seeded generator: fresh ones every pass, or with
    `repeat` the same ones every pass (a fixed evaluation set that is never stored).

    Resumable mid-pass like repro.batches.InMemoryBatches: the state is the generator's state at
    the start of the pass and the position in it, so a resumed pass replays the same batches.
    """

    def __init__(
        self,
        num_batches: int,
        batch_size: int,
        min_size: int,
        max_size: int,
        low: float,
        high: float,
        seed: int,
        repeat: bool = False,
    ) -> None:
        if num_batches < 1 or batch_size < 1:
            raise ValueError("num_batches and batch_size must be >= 1")
        if not 1 <= min_size <= max_size:
            raise ValueError(f"need 1 <= min_size <= max_size, got {min_size}, {max_size}")
        self.num_batches = num_batches
        self.shape = (batch_size, min_size, max_size, low, high)
        self.seed = seed
        self.repeat = repeat
        self._generator = torch.Generator().manual_seed(seed)
        self._pass_start = self._generator.get_state()
        self._position = 0
        self._resume_at: int | None = None

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if self._resume_at is None:
            start = 0
            if self.repeat:
                self._generator.manual_seed(self.seed)
            self._pass_start = self._generator.get_state()
        else:  # replay the pass a checkpoint stopped in, up to where it stopped
            start, self._resume_at = self._resume_at, None
            self._generator.set_state(self._pass_start)
            for _ in range(start):
                random_set_batch(self._generator, *self.shape)
        for index in range(start, self.num_batches):
            self._position = index + 1
            yield random_set_batch(self._generator, *self.shape)

    def state_dict(self) -> dict[str, Any]:
        return {"pass_start": self._pass_start, "position": self._position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._pass_start = state["pass_start"]
        self._resume_at = state["position"]


class MaxRegressionData(pl.LightningDataModule):
    """Training sets drawn fresh each step; fixed validation and test sets."""

    def __init__(
        self,
        batch_size: int = 128,
        min_size: int = 1,
        max_size: int = 10,
        low: float = 0.0,
        high: float = 100.0,
        batches_per_epoch: int = 1000,
        val_batches: int = 10,
        test_batches: int = 100,
        val_seed: int = 10_001,
        test_seed: int = 10_002,
        draw_seed: int | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        # The run's seed (repro seeds torch before building the datamodule) unless set here.
        self.draw_seed = torch.initial_seed() if draw_seed is None else int(draw_seed)
        self.shape = (batch_size, min_size, max_size, low, high)
        self.train_batches: RandomSetBatches | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.train_batches is None:
            self.train_batches = RandomSetBatches(
                self.hparams.batches_per_epoch, *self.shape, seed=self.draw_seed
            )

    def dataset_sizes(self) -> dict[str, int]:
        """Sets per training epoch and in the fixed evaluation sets."""
        h = self.hparams
        return {
            "train_per_epoch": h.batches_per_epoch * h.batch_size,
            "val": h.val_batches * h.batch_size,
            "test": h.test_batches * h.batch_size,
        }

    def train_dataloader(self) -> RandomSetBatches:
        return self.train_batches

    def val_dataloader(self) -> RandomSetBatches:
        h = self.hparams
        return RandomSetBatches(h.val_batches, *self.shape, seed=h.val_seed, repeat=True)

    def test_dataloader(self) -> RandomSetBatches:
        h = self.hparams
        return RandomSetBatches(h.test_batches, *self.shape, seed=h.test_seed, repeat=True)
