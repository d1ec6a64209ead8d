"""Number sorting with the Permutation-Optimisation module, as one LightningModule."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
from torch.func import functional_call
from torch.nn import functional as F

from .permutation import PermutationOptimiser, apply_assignment, hungarian_round, sorted_exactly

# Evaluation cuts a batch into chunks so the pairwise activations (sets × N² × hidden) stay
# below this many elements; N = 120 at 512 sets would otherwise need ~1 GB in float64.
EVAL_ELEMENTS = 2**24


class NumberSorter(pl.LightningModule):
    """Learns to sort sets of numbers; logs `train/loss` and, per test interval, `test/acc`
    (fraction of sets whose Hungarian-rounded permutation sorts them exactly) and `test/mse`."""

    def __init__(
        self,
        steps: int = 6,
        inner_lr: float = 1.0,
        learn_inner_lr: bool = True,
        temperature: float = 1.0,
        sinkhorn_iterations: int = 4,
        hidden: int = 16,
        optimizer: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.po = PermutationOptimiser(
            steps, inner_lr, learn_inner_lr, temperature, sinkhorn_iterations, hidden
        )
        self.optimizer_args = dict(optimizer or {"lr": 0.1})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Soft permutation matrix (batch × N × N) for a batch of sets of scalars."""
        return self.po(x)

    def training_step(self, x: torch.Tensor, batch_idx: int) -> torch.Tensor:
        permuted = apply_assignment(x, self.po(x))
        loss = F.mse_loss(permuted, x.sort(dim=-1).values)
        self.log("train/loss", loss, prog_bar=True)
        self.log("train/inner_lr", self.po.inner_lr.detach().abs().squeeze())
        return loss

    def assignment_in_dtype(self, x: torch.Tensor) -> torch.Tensor:
        """Soft permutation computed in x's dtype (float64 at test, like the authors' `.double()`),
        in chunks that bound memory."""
        parameters = {name: p.to(x.dtype) for name, p in self.po.named_parameters()}
        n = x.shape[-1]
        chunk = max(1, EVAL_ELEMENTS // (n * n * self.hparams.hidden))
        parts = [functional_call(self.po, parameters, (part,)) for part in x.split(chunk)]
        return torch.cat(parts)

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        x = batch["x"]
        order = hungarian_round(self.assignment_in_dtype(x))
        hard = x.gather(1, order)
        suffix = batch["suffix"]
        self.log(f"test/acc{suffix}", sorted_exactly(order, x).double().mean(), batch_size=len(x))
        self.log(
            f"test/mse{suffix}",
            (hard - x.sort(dim=-1).values).pow(2).mean(),
            batch_size=len(x),
        )

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), **self.optimizer_args)
