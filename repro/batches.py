"""Batches over tensors already in memory, for papers whose data fits in RAM.

A DataLoader over a TensorDataset indexes and collates every sample on every step; slicing
pre-built tensors costs one view per batch, which matters for small models where the
per-step overhead is the training time.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch


class InMemoryBatches:
    """Iterable of `(x, y)` batches cut from tensors, optionally reshuffled each pass."""

    def __init__(
        self,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        batch_size: int,
        shuffle: bool = False,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if len(inputs) != len(targets):
            raise ValueError(
                f"inputs ({len(inputs)}) and targets ({len(targets)}) differ in length"
            )
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.inputs = inputs
        self.targets = targets
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        full, rest = divmod(len(self.inputs), self.batch_size)
        return full if (self.drop_last or rest == 0) else full + 1

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        inputs, targets = self.inputs, self.targets
        if self.shuffle:
            order = torch.randperm(len(inputs), generator=self._generator)
            inputs, targets = inputs[order], targets[order]
        for batch in range(len(self)):
            start = batch * self.batch_size
            yield inputs[start : start + self.batch_size], targets[start : start + self.batch_size]
