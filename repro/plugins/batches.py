"""Batches over tensors already in memory, for papers whose data fits in RAM.

A DataLoader over a TensorDataset indexes and collates every sample on every step; slicing
pre-built tensors costs one view per batch, which matters for small models where the
per-step overhead is the training time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
        self._order: torch.Tensor | None = None
        self._position = 0
        self._resume: tuple[torch.Tensor | None, int] | None = None

    def to(self, device: torch.device | str) -> InMemoryBatches:
        """Move the tensors to `device` once (in place), so batches are cut where the model
        runs and Lightning's per-batch transfer has nothing to copy."""
        self.inputs, self.targets = self.inputs.to(device), self.targets.to(device)
        return self

    def __len__(self) -> int:
        full, rest = divmod(len(self.inputs), self.batch_size)
        return full if (self.drop_last or rest == 0) else full + 1

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if self._resume is not None:  # continue the pass a checkpoint stopped in
            order, start = self._resume
            self._resume = None
        else:
            order = (
                torch.randperm(len(self.inputs), generator=self._generator)
                if self.shuffle
                else None
            )
            start = 0
        self._order = order
        inputs = self.inputs if order is None else self.inputs[order]
        targets = self.targets if order is None else self.targets[order]
        for batch in range(start, len(self)):
            self._position = batch + 1
            begin = batch * self.batch_size
            yield inputs[begin : begin + self.batch_size], targets[begin : begin + self.batch_size]

    def state_dict(self) -> dict[str, Any]:
        """Position in the current pass, for exact mid-epoch resumption (Lightning calls this)."""
        return {
            "position": self._position,
            "order": self._order,
            "generator": self._generator.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._generator.set_state(state["generator"])
        self._resume = (state["order"], state["position"])
