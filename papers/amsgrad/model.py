"""Adam and AMSGrad as printed in Reddi, Kale & Kumar (2018), on a one-dimensional online game.

The paper's Algorithm 1 (Adam, constant beta1, no bias correction, no epsilon) and Algorithm 2
(AMSGrad) with step size alpha_t = alpha / sqrt(t) and projection onto the feasible interval.
The game's losses are linear, f_t(x) = g_t * x, so the gradient of round t is the number g_t
whatever x is: the gradients are the data, and a whole chunk of rounds is played in one
optimiser call. A Python loop over floats costs about 0.5 us a round; a torch optimiser step on
a 0-d tensor costs about 100 times more, which would turn seconds into minutes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn


class ProjectedAdam(torch.optim.Optimizer):
    """The paper's Adam (amsgrad=False) or AMSGrad (amsgrad=True) on one scalar parameter.

    Round t (counted from 1) with gradient g:
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_hat = max(v_hat, v)                        # AMSGrad only; Adam divides by sqrt(v)
        x = clip(x - lr / sqrt(t) * m / sqrt(v_hat), lower, upper)
    In one dimension the paper's weighted projection onto [lower, upper] is this clipping.
    """

    def __init__(
        self,
        params: Any,
        lr: float = 0.5,
        betas: Sequence[float] = (0.9, 0.99),
        amsgrad: bool = False,
        bounds: Sequence[float] = (-1.0, 1.0),
    ) -> None:
        if lr <= 0:
            raise ValueError(f"lr must be positive, got {lr}")
        if not all(0.0 <= beta < 1.0 for beta in betas) or len(betas) != 2:
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas}")
        if len(bounds) != 2 or bounds[0] > bounds[1]:
            raise ValueError(f"bounds must be (lower, upper) with lower <= upper, got {bounds}")
        defaults = {"lr": lr, "betas": tuple(betas), "amsgrad": amsgrad, "bounds": tuple(bounds)}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.numel() != 1:
                    raise ValueError("ProjectedAdam plays a one-dimensional game: one scalar")

    @torch.no_grad()
    def step(
        self, closure: Callable[[], Any] | None = None, gradients: Sequence[float] = ()
    ) -> float:
        """Play one round per entry of `gradients`, in order; returns the learner's loss
        sum over those rounds, sum_t g_t * x_t, each x_t taken before its update."""
        if closure is not None:
            closure()
        loss = 0.0
        for group in self.param_groups:
            lr = group["lr"]
            beta1, beta2 = group["betas"]
            lower, upper = group["bounds"]
            amsgrad = group["amsgrad"]
            for p in group["params"]:
                state = self.state[p]
                t = state.get("step", 0)
                m = state.get("exp_avg", 0.0)
                v = state.get("exp_avg_sq", 0.0)
                v_hat = state.get("max_exp_avg_sq", 0.0)
                x = float(p.item())
                for g in gradients:
                    t += 1
                    loss += g * x
                    m = beta1 * m + (1.0 - beta1) * g
                    v = beta2 * v + (1.0 - beta2) * g * g
                    v_hat = max(v_hat, v) if amsgrad else v
                    x -= lr / math.sqrt(t) * m / math.sqrt(v_hat)
                    x = min(max(x, lower), upper)
                state.update(step=t, exp_avg=m, exp_avg_sq=v, max_exp_avg_sq=v_hat)
                p.fill_(x)
        return loss


class OnlineLearner(pl.LightningModule):
    """The learner's iterate x and its regret against a fixed comparator.

    Logs `train/x` and `train/avg_regret` along the way and, at test, `test/final_x` (x after
    the last round) and `test/avg_regret` (R_T / T, with R_T = sum_t f_t(x_t) - f_t(optimum)).
    """

    def __init__(
        self,
        x0: float = 0.0,
        lower: float = -1.0,
        upper: float = 1.0,
        optimum: float = -1.0,
        optimizer: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False  # the optimiser plays chunks of rounds itself
        self.x = nn.Parameter(torch.tensor(float(x0), dtype=torch.float64), requires_grad=False)
        self.register_buffer("learner_loss", torch.zeros((), dtype=torch.float64))
        self.register_buffer("gradient_sum", torch.zeros((), dtype=torch.float64))
        self.register_buffer("rounds_played", torch.zeros((), dtype=torch.int64))
        self.optimizer_args = dict(optimizer or {})

    def average_regret(self) -> float:
        """R_T / T against the comparator `optimum` (nan before the first round)."""
        rounds = int(self.rounds_played)
        if rounds == 0:
            return float("nan")
        comparator_loss = self.hparams.optimum * float(self.gradient_sum)
        return (float(self.learner_loss) - comparator_loss) / rounds

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        _, gradients = batch
        optimizer = self.optimizers()
        loss = optimizer.step(gradients=gradients.tolist())
        self.learner_loss += loss
        self.gradient_sum += gradients.sum()
        self.rounds_played += len(gradients)
        self.log("train/x", float(self.x))
        self.log("train/avg_regret", self.average_regret())
        return torch.tensor(loss / len(gradients))  # the chunk's mean loss, for the NaN guard

    def test_step(self, batch: Any, batch_idx: int) -> None:
        self.log("test/final_x", float(self.x))
        self.log("test/avg_regret", self.average_regret())

    def configure_optimizers(self) -> ProjectedAdam:
        args = self.optimizer_args
        return ProjectedAdam(
            [self.x],
            lr=args.get("lr", 0.5),
            betas=tuple(args.get("betas", (0.9, 0.99))),
            amsgrad=bool(args.get("amsgrad", False)),
            bounds=(self.hparams.lower, self.hparams.upper),
        )
