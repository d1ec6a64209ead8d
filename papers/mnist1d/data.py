"""MNIST-1D data, generated procedurally and offline with the authors' `mnist1d` package."""

from __future__ import annotations

from importlib.metadata import version

import lightning.pytorch as pl
import torch

from repro.batches import InMemoryBatches
from repro.data_cache import cached_tensors


def generate_mnist1d(
    num_samples: int, train_split: float, shuffle_seq: bool, seed: int
) -> dict[str, torch.Tensor]:
    """Generate the dataset with the authors' code; never `get_dataset`, which downloads."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples = num_samples
    args.train_split = train_split
    args.shuffle_seq = shuffle_seq
    args.seed = seed
    raw = make_dataset(args)
    return {
        "x_train": torch.as_tensor(raw["x"], dtype=torch.float32),
        "y_train": torch.as_tensor(raw["y"], dtype=torch.long),
        "x_test": torch.as_tensor(raw["x_test"], dtype=torch.float32),
        "y_test": torch.as_tensor(raw["y_test"], dtype=torch.long),
    }


class MNIST1DDataModule(pl.LightningDataModule):
    """4,000 training and 1,000 test sequences of length 40, ten classes.

    Like the authors, training batches are taken in sequence (no reshuffling) and the test set
    doubles as the validation set for the learning curves (plots only: nothing selects on it,
    so the test numbers stay unbiased). Generation takes about a second,
    so the tensors are kept in `cache_dir` (settings.yaml: under `paths.data_dir`) and every
    later run with the same generation arguments loads them in milliseconds.
    """

    def __init__(
        self,
        num_samples: int = 5000,
        train_split: float = 0.8,
        shuffle_seq: bool = False,
        batch_size: int = 100,
        eval_batch_size: int = 1000,
        dataset_seed: int = 42,
        cache_dir: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.tensors: dict[str, torch.Tensor] | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.tensors is None:
            h = self.hparams
            arguments = {
                "num_samples": h.num_samples,
                "train_split": h.train_split,
                "shuffle_seq": h.shuffle_seq,
                "seed": h.dataset_seed,
                "mnist1d": version("mnist1d"),
            }
            self.tensors = cached_tensors(
                h.cache_dir,
                "mnist1d",
                arguments,
                lambda: generate_mnist1d(
                    h.num_samples, h.train_split, h.shuffle_seq, h.dataset_seed
                ),
            )

    def dataset_sizes(self) -> dict[str, int]:
        """Sizes recorded in the run record."""
        self.setup()
        return {"train": len(self.tensors["y_train"]), "test": len(self.tensors["y_test"])}

    def train_dataloader(self) -> InMemoryBatches:
        t = self.tensors
        return InMemoryBatches(t["x_train"], t["y_train"], self.hparams.batch_size)

    def val_dataloader(self) -> InMemoryBatches:
        return self.test_dataloader()

    def test_dataloader(self) -> InMemoryBatches:
        t = self.tensors
        return InMemoryBatches(t["x_test"], t["y_test"], self.hparams.eval_batch_size)
