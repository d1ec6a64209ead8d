"""The rounds of the paper's synthetic game: the gradient g_t of each linear loss f_t(x) = g_t * x.

Online: g_t = 1010 if t mod 101 = 1, else -10 (t = 1, 2, ...). Stochastic: g_t = 1010 with
probability 0.01, else -10, drawn i.i.d. from a generator seeded with the run's seed. Either way
the sum of the gradients grows by +10 every 101 rounds (in expectation for the stochastic one),
so x* = -1 is the best point of [-1, 1], and x = +1 the worst.
"""

from __future__ import annotations

import lightning.pytorch as pl
import torch

from repro.batches import InMemoryBatches

VARIANTS = ("online", "stochastic")


def game_gradients(
    variant: str,
    rounds: int,
    large_gradient: float,
    small_gradient: float,
    period: int,
    probability: float,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """g_1, ..., g_T as a float64 tensor."""
    if variant == "online":
        t = torch.arange(1, rounds + 1)
        is_large = t % period == 1
    elif variant == "stochastic":
        is_large = torch.rand(rounds, generator=generator, dtype=torch.float64) < probability
    else:
        raise ValueError(f"unknown variant {variant!r}: expected online or stochastic")
    large = torch.tensor(large_gradient, dtype=torch.float64)
    small = torch.tensor(small_gradient, dtype=torch.float64)
    return torch.where(is_large, large, small)


class GameRounds(pl.LightningDataModule):
    """T rounds served in order, `rounds_per_step` of them per Lightning step, one pass.

    Each training batch is (round indices t, gradients g_t). The test loader yields one
    placeholder batch: the test metrics are read from the learner's state.
    """

    def __init__(
        self,
        variant: str = "online",
        rounds: int = 1_000_000,
        rounds_per_step: int = 10_000,
        large_gradient: float = 1010.0,
        small_gradient: float = -10.0,
        period: int = 101,
        probability: float = 0.01,
        draw_seed: int | None = None,
    ) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}: expected online or stochastic")
        if rounds < 1 or rounds_per_step < 1:
            raise ValueError("rounds and rounds_per_step must be >= 1")
        self.save_hyperparameters()
        # The run's seed (repro seeds torch before building the datamodule) unless set here.
        self.draw_seed = torch.initial_seed() if draw_seed is None else int(draw_seed)
        self.gradients: torch.Tensor | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.gradients is None:
            h = self.hparams
            generator = torch.Generator().manual_seed(self.draw_seed)
            self.gradients = game_gradients(
                h.variant,
                h.rounds,
                h.large_gradient,
                h.small_gradient,
                h.period,
                h.probability,
                generator,
            )

    def dataset_sizes(self) -> dict[str, int]:
        """Sizes recorded in the run record: the number of rounds played."""
        return {"train": self.hparams.rounds}

    def train_dataloader(self) -> InMemoryBatches:
        rounds = torch.arange(1, self.hparams.rounds + 1)
        return InMemoryBatches(rounds, self.gradients, self.hparams.rounds_per_step)

    def test_dataloader(self) -> InMemoryBatches:
        return InMemoryBatches(torch.zeros(1), torch.zeros(1), 1)
