"""Set encoder, set decoders and the Chamfer loss of DSPN's MNIST experiment.

Written from the descriptions in Zhang, Hare & Prügel-Bennett, "Deep Set Prediction Networks"
(NeurIPS 2019) and "FSPool" (ICLR 2020), checked against the hyperparameters of the authors'
repository (Cyanogenoid/dspn). Sets are tensors of shape (batch, channels, max_set_size) with a
separate mask (batch, max_set_size) saying which elements are present.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class FSPool(nn.Module):
    """Featurewise sort pooling: sort each feature over the set (descending), then take a
    weighted sum whose weights are a learned piecewise-linear function of the relative rank
    r = i / (n − 1), with `pieces` linear pieces per feature. All sets are pooled at the full
    padded size (the authors' MNIST encoder does not pass set sizes to the pool)."""

    def __init__(self, channels: int, pieces: int) -> None:
        super().__init__()
        self.pieces = pieces
        self.weight = nn.Parameter(torch.randn(channels, pieces + 1))

    def rank_weights(self, size: int) -> torch.Tensor:
        """Weight of each sorted position: (channels, size), linear interpolation of `weight`."""
        ranks = torch.arange(size, device=self.weight.device, dtype=self.weight.dtype)
        position = ranks / max(size - 1, 1) * self.pieces
        left = position.floor().long().clamp(max=self.pieces)
        right = (left + 1).clamp(max=self.pieces)
        fraction = position - left.to(position.dtype)
        return (1 - fraction) * self.weight[:, left] + fraction * self.weight[:, right]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ordered = x.sort(dim=2, descending=True).values
        return (ordered * self.rank_weights(x.shape[2])).sum(dim=2)


class FSEncoder(nn.Module):
    """Per-element MLP (1×1 convolutions) on (coordinates, mask), scaled by 1 / set size, then
    FSPool: a permutation-invariant encoding of a masked set."""

    def __init__(self, set_channels: int, latent: int, dim: int, pieces: int = 20) -> None:
        super().__init__()
        self.elementwise = nn.Sequential(
            nn.Conv1d(set_channels + 1, dim, 1),
            nn.ReLU(),
            nn.Conv1d(dim, dim, 1),
            nn.ReLU(),
            nn.Conv1d(dim, latent, 1),
        )
        self.pool = FSPool(latent, pieces)

    def forward(self, points: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.elementwise(torch.cat([points, mask.unsqueeze(1)], dim=1))
        return self.pool(h / points.shape[2])


class DSPNDecoder(nn.Module):
    """Deep Set Prediction Network decoder: start from a learned set and mask, then take
    `iters` gradient steps (step size `inner_lr`) on the set and mask so that the encoder's
    representation of the set approaches the target representation (smooth-L1, mean over the
    batch and the features). Returns every intermediate set and mask, the initial one first."""

    def __init__(
        self, encoder: nn.Module, set_channels: int, max_set_size: int, iters: int, inner_lr: float
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.iters = iters
        self.inner_lr = inner_lr
        self.starting_set = nn.Parameter(torch.rand(1, set_channels, max_set_size))
        self.starting_mask = nn.Parameter(torch.full((1, max_set_size), 0.5))

    def forward(self, target: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        batch = target.shape[0]
        points = self.starting_set.expand(batch, -1, -1)
        mask = self.starting_mask.expand(batch, -1).clamp(0, 1)
        sets, masks = [points], [mask]
        for _ in range(self.iters):
            with torch.enable_grad():
                if not self.training:  # evaluation: plain gradient descent, no outer graph
                    points = points.detach().requires_grad_()
                    mask = mask.detach().requires_grad_()
                representation_loss = F.smooth_l1_loss(self.encoder(points, mask), target)
                set_grad, mask_grad = torch.autograd.grad(
                    representation_loss, [points, mask], create_graph=self.training
                )
            points = points - self.inner_lr * set_grad
            mask = (mask - self.inner_lr * mask_grad).clamp(0, 1)
            if not self.training:
                points, mask = points.detach(), mask.detach()
            sets.append(points)
            masks.append(mask)
        return sets, masks


class MLPDecoder(nn.Module):
    """Baseline: an MLP from the latent vector to every element's coordinates and mask."""

    def __init__(self, latent: int, set_channels: int, max_set_size: int, dim: int) -> None:
        super().__init__()
        self.shape = (set_channels + 1, max_set_size)
        self.net = nn.Sequential(
            nn.Linear(latent, dim),
            nn.ReLU(),
            nn.Linear(dim, dim),
            nn.ReLU(),
            nn.Linear(dim, self.shape[0] * self.shape[1]),
        )

    def forward(self, latent: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        out = self.net(latent).view(latent.shape[0], *self.shape)
        return [out[:, :-1]], [out[:, -1]]


class RNNDecoder(nn.Module):
    """Baseline: an LSTM whose initial cell state is a projection of the latent vector, run
    for max_set_size steps on zero input; each output becomes one element and its mask."""

    def __init__(self, latent: int, set_channels: int, max_set_size: int, dim: int) -> None:
        super().__init__()
        self.max_set_size = max_set_size
        self.project = nn.Linear(latent, dim)
        self.lstm = nn.LSTM(1, dim)
        self.out = nn.Conv1d(dim, set_channels + 1, 1)

    def forward(self, latent: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        batch = latent.shape[0]
        cell = self.project(latent).unsqueeze(0)
        hidden = torch.zeros_like(cell)
        steps = latent.new_zeros(self.max_set_size, batch, 1)
        outputs, _ = self.lstm(steps, (hidden, cell))
        out = self.out(outputs.permute(1, 2, 0))
        return [out[:, :-1]], [out[:, -1]]


def chamfer_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Chamfer loss per set, with smooth-L1 (mean over channels) as the element distance:
    mean over targets of the distance to the nearest prediction plus mean over predictions of
    the distance to the nearest target. Shapes (batch, channels, elements) → (batch,)."""
    distance = prediction.new_zeros(prediction.shape[0], prediction.shape[2], target.shape[2])
    for channel in range(prediction.shape[1]):  # one channel at a time: memory stays b × n × m
        distance = distance + F.smooth_l1_loss(
            prediction[:, channel, :, None].expand(-1, -1, target.shape[2]),
            target[:, channel, None, :].expand(-1, prediction.shape[2], -1),
            reduction="none",
        )
    distance = distance / prediction.shape[1]
    return distance.min(dim=1).values.mean(dim=1) + distance.min(dim=2).values.mean(dim=1)
