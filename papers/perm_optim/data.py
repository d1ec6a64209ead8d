"""Sets of random numbers to sort, generated on the fly from seeded generators (no download)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch


def batch_seed(*keys: int) -> int:
    """A well-mixed 63-bit seed from integer keys (training seed, pass, batch index)."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1, np.uint64)[0] >> 1)


def uniform_sets(
    count: int, size: int, low: float, high: float, seed: int, dtype: torch.dtype
) -> torch.Tensor:
    """`count` sets of `size` numbers drawn i.i.d. from U(low, high)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(count, size, generator=generator, dtype=dtype) * (high - low) + low


def interval_suffix(low: float, high: float) -> str:
    """Metric-name suffix of a test interval: [0, 1000] → `_0_1000`, [0.5, 1] → `_0p5_1`."""
    return f"_{low:g}_{high:g}".replace(".", "p").replace("-", "m")


class FreshSetBatches:
    """An epoch of `len(self)` batches of fresh sets; batch b of pass e is drawn from its own
    generator seeded by (seed, e, b), so any batch can be regenerated and a checkpointed run
    resumes mid-epoch on exactly the data it would have seen."""

    def __init__(
        self, batches: int, batch_size: int, size: int, low: float, high: float, seed: int
    ) -> None:
        self.batches = batches
        self.batch_size = batch_size
        self.size = size
        self.low = low
        self.high = high
        self.seed = seed
        self._pass = 0
        self._position = 0
        self._resume: tuple[int, int] | None = None

    def __len__(self) -> int:
        return self.batches

    def __iter__(self) -> Iterator[torch.Tensor]:
        if self._resume is not None:
            current, start = self._resume
            self._resume = None
        else:
            current, start = self._pass, 0
        self._pass = current + 1
        for index in range(start, self.batches):
            self._position = index + 1
            yield uniform_sets(
                self.batch_size,
                self.size,
                self.low,
                self.high,
                batch_seed(self.seed, current, index),
                torch.float32,
            )

    def state_dict(self) -> dict[str, Any]:
        """Pass and position, for exact mid-epoch resumption (Lightning calls this)."""
        return {"pass": max(self._pass - 1, 0), "position": self._position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        done, position = state["pass"], state["position"]
        # a checkpoint taken at the end of a pass resumes at the start of the next one
        self._resume = (done + 1, 0) if position >= self.batches else (done, position)


class TestBatches:
    """One evaluation batch per test interval (a plain list would read as several loaders)."""

    def __init__(self, batches: list[dict[str, Any]]) -> None:
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.batches)


class SortNumbersDataModule(pl.LightningDataModule):
    """Training: fresh U(low, high) sets every step, float32 (the authors' training data).

    Test: `test_sets` sets per interval, float64 like the authors' `--double` evaluation (float32
    has too few distinct values in [1000, 1001]). The first test batch is the training interval
    and is logged as `test/acc`; each of `extra_test_intervals` is logged as
    `test/acc_<low>_<high>`. The test sets depend only on `test_seed`, so every training seed is
    scored on the same sets; training data depends on the run's seed unless `train_seed` is set.
    """

    def __init__(
        self,
        set_size: int = 5,
        low: float = 0.0,
        high: float = 1.0,
        train_sets: int = 2**18,
        batch_size: int = 512,
        test_sets: int = 512,
        extra_test_intervals: Sequence[Sequence[float]] = (),
        test_double: bool = True,
        test_seed: int = 0,
        train_seed: int | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        if train_sets < batch_size:
            raise ValueError(f"train_sets ({train_sets}) is smaller than batch_size ({batch_size})")
        # null: follow the run's seed (repro seeds torch before building the data module)
        self.train_seed = torch.initial_seed() if train_seed is None else int(train_seed)
        self.test_batches: list[dict[str, Any]] | None = None

    def intervals(self) -> list[tuple[float, float, str]]:
        """(low, high, metric suffix) of every test interval, the training interval first."""
        h = self.hparams
        extra = [(float(lo), float(hi)) for lo, hi in h.extra_test_intervals]
        return [(float(h.low), float(h.high), "")] + [
            (lo, hi, interval_suffix(lo, hi)) for lo, hi in extra
        ]

    def setup(self, stage: str | None = None) -> None:
        if self.test_batches is None:
            h = self.hparams
            dtype = torch.float64 if h.test_double else torch.float32
            self.test_batches = [
                {
                    "x": uniform_sets(
                        h.test_sets, h.set_size, lo, hi, batch_seed(h.test_seed, k), dtype
                    ),
                    "suffix": suffix,
                }
                for k, (lo, hi, suffix) in enumerate(self.intervals())
            ]

    def dataset_sizes(self) -> dict[str, int]:
        """Sizes recorded in the run record: sets per training epoch, test sets per interval."""
        h = self.hparams
        return {"train": (h.train_sets // h.batch_size) * h.batch_size, "test": h.test_sets}

    def train_dataloader(self) -> FreshSetBatches:
        h = self.hparams
        return FreshSetBatches(
            h.train_sets // h.batch_size, h.batch_size, h.set_size, h.low, h.high, self.train_seed
        )

    def test_dataloader(self) -> TestBatches:
        self.setup()
        return TestBatches(self.test_batches)
