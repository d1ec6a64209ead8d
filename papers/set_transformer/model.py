"""Max regression models of Lee et al. (2019), Section 5.1: DeepSets with mean / sum / max
pooling and the Set Transformer (SAB, SAB, PMA), at the sizes of the authors'
max_regression_demo.ipynb (width 64, 4 heads).

The attention block follows the authors' modules.py rather than the paper's equations where
they differ: the residual adds the projected queries, there is no separate output projection
of the heads, scores are scaled by 1/sqrt(width) (not 1/sqrt(width / heads)), and layer
normalisation is off by default (the demo leaves it off).

Every network also takes a `valid` mask (batch, n) of the elements that are real: padded
elements are left out of pooling and attention, so a padded set gives the output the set
alone gives. Only seeds trained together pad (`MaxRegressor.align_seed_batches`: each seed
draws its own set size per batch, and one vectorized step needs one shape).
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

POOLS = ("mean", "sum", "max")
ARCHS = ("deepsets", "set_transformer")


class MultiheadAttentionBlock(nn.Module):
    """MAB(X, Y): queries from X attend over Y, then a residual ReLU layer."""

    def __init__(
        self, query_dim: int, key_dim: int, width: int, heads: int, layer_norm: bool = False
    ) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"width {width} is not divisible by {heads} heads")
        self.width = width
        self.heads = heads
        self.to_query = nn.Linear(query_dim, width)
        self.to_key = nn.Linear(key_dim, width)
        self.to_value = nn.Linear(key_dim, width)
        self.feedforward = nn.Linear(width, width)
        self.norm_attention = nn.LayerNorm(width) if layer_norm else nn.Identity()
        self.norm_output = nn.LayerNorm(width) if layer_norm else nn.Identity()

    def _split_heads(self, h: torch.Tensor) -> torch.Tensor:
        batch, items, _ = h.shape
        return h.view(batch, items, self.heads, self.width // self.heads).transpose(1, 2)

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, valid: torch.Tensor | None = None
    ) -> torch.Tensor:
        """`valid` (batch, keys): the elements of y to attend over (None: all)."""
        q = self._split_heads(self.to_query(x))  # (batch, heads, queries, width / heads)
        k = self._split_heads(self.to_key(y))
        v = self._split_heads(self.to_value(y))
        scores = q @ k.transpose(-2, -1) / self.width**0.5
        if valid is not None:  # padded keys get exactly zero attention
            scores = scores.masked_fill(~valid[:, None, None, :], float("-inf"))
        h = q + scores.softmax(dim=-1) @ v
        h = h.transpose(1, 2).reshape(x.shape[0], x.shape[1], self.width)
        h = self.norm_attention(h)
        return self.norm_output(h + torch.relu(self.feedforward(h)))


class SetAttentionBlock(nn.Module):
    """SAB(X) = MAB(X, X): every element attends over the whole set."""

    def __init__(self, in_dim: int, width: int, heads: int, layer_norm: bool = False) -> None:
        super().__init__()
        self.mab = MultiheadAttentionBlock(in_dim, in_dim, width, heads, layer_norm)

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        return self.mab(x, x, valid)


class PoolingByMultiheadAttention(nn.Module):
    """PMA_k(Z) = MAB(S, Z) with k learned seed vectors S."""

    def __init__(self, width: int, heads: int, seeds: int = 1, layer_norm: bool = False) -> None:
        super().__init__()
        self.seeds = nn.Parameter(torch.empty(1, seeds, width))
        nn.init.xavier_uniform_(self.seeds)
        self.mab = MultiheadAttentionBlock(width, width, width, heads, layer_norm)

    def forward(self, z: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        return self.mab(self.seeds.expand(z.shape[0], -1, -1), z, valid)


class DeepSets(nn.Module):
    """rFF encoder (4 linear layers) per element, pooling, rFF decoder (2 linear layers)."""

    def __init__(self, pool: str, width: int) -> None:
        super().__init__()
        if pool not in POOLS:
            raise ValueError(f"unknown pool {pool!r}: expected mean, sum or max")
        self.pool = pool
        self.encoder = nn.Sequential(
            nn.Linear(1, width),
            nn.ReLU(),
            nn.Linear(width, width),
            nn.ReLU(),
            nn.Linear(width, width),
            nn.ReLU(),
            nn.Linear(width, width),
        )
        self.decoder = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 1))

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        h = self.encoder(x)
        if valid is not None:  # padded elements add 0 to a sum, and never win a max
            keep = valid.unsqueeze(-1)
            h = h.masked_fill(~keep, float("-inf") if self.pool == "max" else 0.0)
        if self.pool == "mean":
            pooled = h.mean(dim=1) if valid is None else h.sum(dim=1) / keep.sum(dim=1)
        elif self.pool == "sum":
            pooled = h.sum(dim=1)
        else:
            pooled = h.amax(dim=1)
        return self.decoder(pooled)


class SetTransformer(nn.Module):
    """Encoder SAB -> SAB, decoder PMA_1 -> linear: the paper's "SAB + PMA" row."""

    def __init__(self, width: int, heads: int, layer_norm: bool = False) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            SetAttentionBlock(1, width, heads, layer_norm),
            SetAttentionBlock(width, width, heads, layer_norm),
        )
        self.pool = PoolingByMultiheadAttention(width, heads, seeds=1, layer_norm=layer_norm)
        self.output = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        first, second = self.encoder
        z = second(first(x, valid), valid)  # padded elements' outputs are never attended to
        return self.output(self.pool(z, valid)).squeeze(1)


def build_network(arch: str, pool: str, width: int, heads: int, layer_norm: bool) -> nn.Module:
    """The authors' max regression networks by name."""
    if arch == "deepsets":
        return DeepSets(pool, width)
    if arch == "set_transformer":
        return SetTransformer(width, heads, layer_norm)
    raise ValueError(f"unknown arch {arch!r}: expected deepsets or set_transformer")


class MaxRegressor(pl.LightningModule):
    """Predicts max(x_1, ..., x_n) from a set of shape (batch, n, 1); trained with L1 loss.

    Logs `train/mae`, `val/mae` and `test/mae` (mean absolute error of the predicted maximum).
    """

    def __init__(
        self,
        arch: str = "set_transformer",
        pool: str = "max",
        width: int = 64,
        heads: int = 4,
        layer_norm: bool = False,
        optimizer: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = build_network(arch, pool, width, heads, layer_norm)
        self.optimizer_args = dict(optimizer or {"lr": 1e-3})

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x, valid)

    def _mae(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        x, y, *valid = batch  # (x, y), or (x, y, valid) once aligned with other seeds'
        return nn.functional.l1_loss(self(x, *valid), y)

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        loss = self._mae(batch)
        self.log("train/mae", loss)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        self.log("val/mae", self._mae(batch), prog_bar=True)

    def test_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        self.log("test/mae", self._mae(batch))

    def align_seed_batches(
        self, batches: list[tuple[torch.Tensor, torch.Tensor]]
    ) -> list[tuple[torch.Tensor, ...]]:
        """repro's seeds-together hook: the seeds' batches of one step, whose set sizes
        differ, padded with zeros to the largest and given the mask of their real elements,
        so one vectorized step computes each seed's own loss (docs/plugin-reference.md)."""
        size = max(x.shape[1] for x, _ in batches)
        aligned = []
        for x, y in batches:
            valid = torch.zeros(x.shape[0], size, dtype=torch.bool, device=x.device)
            valid[:, : x.shape[1]] = True
            padded = nn.functional.pad(x, (0, 0, 0, size - x.shape[1]))
            aligned.append((padded, y, valid))
        return aligned

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), **self.optimizer_args)
