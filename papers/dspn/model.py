"""MNIST set auto-encoding (DSPN's first experiment) as one LightningModule."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn

from .set_layers import DSPNDecoder, FSEncoder, MLPDecoder, RNNDecoder, chamfer_loss

DECODERS = ("dspn", "mlp", "rnn")


class SetAutoEncoder(pl.LightningModule):
    """FSPool encoder + a set decoder (DSPN, or the MLP / RNN baselines), trained with the
    Chamfer loss. With DSPN the decoder reuses the encoder inside its inner loop and the loss
    averages over every intermediate set (initial set included), as in the authors' train.py.

    Logs `train/loss`; `val/` and `test/chamfer` (Chamfer loss of the final set, the authors'
    `last`) and `test/loss` (the training objective, averaged over the inner steps).
    """

    def __init__(
        self,
        decoder: str = "dspn",
        set_channels: int = 2,
        max_set_size: int = 342,
        dim: int = 256,
        latent: int = 64,
        pool_pieces: int = 20,
        iters: int = 10,
        inner_lr: float = 800.0,
        mask_feature: bool = True,
        optimizer: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if decoder not in DECODERS:
            raise ValueError(f"unknown decoder {decoder!r}: expected one of {', '.join(DECODERS)}")
        self.save_hyperparameters()
        self.encoder = FSEncoder(set_channels, latent, dim, pool_pieces)
        if decoder == "dspn":
            self.decoder: nn.Module = DSPNDecoder(
                self.encoder, set_channels, max_set_size, iters, inner_lr
            )
        else:
            cls = MLPDecoder if decoder == "mlp" else RNNDecoder
            self.decoder = cls(latent, set_channels, max_set_size, dim)
        for module in self.modules():  # the authors' initialisation (FSPool keeps its normal init)
            if isinstance(module, (nn.Linear, nn.Conv1d)):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
        self.optimizer_args = dict(optimizer or {"lr": 1e-2})

    def forward(
        self, points: torch.Tensor, mask: torch.Tensor
    ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Auto-encode: every set (and mask) the decoder produced, the final one last."""
        return self.decoder(self.encoder(points, mask))

    def _losses(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Chamfer loss of each decoder step, averaged over the batch: shape (steps,)."""
        points, mask = batch
        sets, masks = self(points, mask)
        if self.hparams.mask_feature:  # the mask is a third coordinate of every element
            target = torch.cat([points, mask.unsqueeze(1)], dim=1)
            sets = [torch.cat([s, m.unsqueeze(1)], dim=1) for s, m in zip(sets, masks, strict=True)]
        else:
            target = points
        return torch.stack([chamfer_loss(s, target).mean() for s in sets])

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        losses = self._losses(batch)
        loss = losses.mean()
        self.log("train/loss", loss, prog_bar=True)
        self.log("train/chamfer", losses[-1])
        return loss

    def _evaluate(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> None:
        losses = self._losses(batch)
        size = len(batch[0])
        self.log(f"{stage}/loss", losses.mean(), batch_size=size)
        self.log(f"{stage}/chamfer", losses[-1], batch_size=size, prog_bar=stage == "val")

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), **self.optimizer_args)
