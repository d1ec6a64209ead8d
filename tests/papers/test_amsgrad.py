from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from repro.plugins.registry import get_paper, load_object
from tests.conftest import fast_run_record

ALPHA = 0.5
BETAS = (0.9, 0.99)


@pytest.fixture(scope="module")
def plugin():
    return get_paper("amsgrad")


def _optimizer(plugin, amsgrad: bool, x0: float = 0.0):
    x = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64), requires_grad=False)
    cls = load_object(plugin, "model:ProjectedAdam")
    return x, cls([x], lr=ALPHA, betas=BETAS, amsgrad=amsgrad, bounds=(-1.0, 1.0))


# Three rounds of the online game from x_1 = 0, worked by hand:
#   t=1, g=1010: m = 101,   v = 0.01 * 1010^2 = 10201,             x_2 = 0 - 0.5 * 101/101 = -0.5
#   t=2, g=-10:  m = 89.9,  v = 0.99 * 10201 + 1 = 10099.99
#                Adam    x_3 = -0.5 - 0.5/sqrt(2) * 89.9/sqrt(10099.99) = -0.816267
#                AMSGrad v_hat = max(10201, 10099.99) = 10201
#                        x_3 = -0.5 - 0.5/sqrt(2) * 89.9/101          = -0.814698
#   t=3, g=-10:  m = 79.91, v = 0.99 * 10099.99 + 1 = 9999.9901
#                both steps overshoot -1 (x_3 - 0.23) and are projected back onto -1.
HAND_X3 = {False: -0.816267, True: -0.814698}


@pytest.mark.parametrize("amsgrad", [False, True])
def test_update_matches_the_hand_computed_rounds(plugin, amsgrad: bool):
    x, optimizer = _optimizer(plugin, amsgrad)
    loss = optimizer.step(gradients=[1010.0])
    assert float(x) == pytest.approx(-0.5) and loss == 0.0

    loss = optimizer.step(gradients=[-10.0])
    v_hat = 10201.0 if amsgrad else 10099.99
    assert float(x) == pytest.approx(-0.5 - ALPHA / math.sqrt(2) * 89.9 / math.sqrt(v_hat))
    assert float(x) == pytest.approx(HAND_X3[amsgrad], abs=1e-6)
    assert loss == pytest.approx(5.0)  # f_2(x_2) = -10 * -0.5

    loss = optimizer.step(gradients=[-10.0])
    assert float(x) == -1.0  # projected
    assert loss == pytest.approx(-10.0 * HAND_X3[amsgrad], abs=1e-5)
    state = optimizer.state[x]
    assert state["step"] == 3
    assert state["exp_avg"] == pytest.approx(79.91)
    assert state["exp_avg_sq"] == pytest.approx(9999.9901)
    assert state["max_exp_avg_sq"] == pytest.approx(10201.0 if amsgrad else 9999.9901)


def test_chunks_of_rounds_equal_one_long_call(plugin):
    gradients = [1010.0 if t % 101 == 1 else -10.0 for t in range(1, 1001)]
    whole_x, whole = _optimizer(plugin, amsgrad=True)
    whole_loss = whole.step(gradients=gradients)
    parts_x, parts = _optimizer(plugin, amsgrad=True)
    parts_loss = sum(parts.step(gradients=gradients[i : i + 7]) for i in range(0, 1000, 7))
    assert float(parts_x) == float(whole_x)
    assert parts_loss == pytest.approx(whole_loss)
    assert parts.state_dict()["state"] == whole.state_dict()["state"]


def test_online_gradients_follow_the_period(plugin):
    game_gradients = load_object(plugin, "data:game_gradients")
    g = game_gradients("online", 303, 1010.0, -10.0, 101, 0.01)
    assert g.dtype == torch.float64
    assert torch.nonzero(g == 1010.0).flatten().tolist() == [0, 101, 202]  # t = 1, 102, 203
    assert float(g[:101].sum()) == 10.0  # each period adds +10: x* = -1


def test_stochastic_gradients_are_seeded_bernoulli_draws(plugin):
    game_gradients = load_object(plugin, "data:game_gradients")

    def draw(seed: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        return game_gradients("stochastic", 100_000, 1010.0, -10.0, 101, 0.01, generator)

    first, again, other = draw(0), draw(0), draw(1)
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert set(first.unique().tolist()) == {-10.0, 1010.0}
    assert float((first == 1010.0).double().mean()) == pytest.approx(0.01, abs=0.002)


def test_datamodule_draws_with_the_run_seed_by_default(plugin):
    data_cls = load_object(plugin, "data:GameRounds")
    torch.manual_seed(7)
    implicit = data_cls(variant="stochastic", rounds=5000)
    explicit = data_cls(variant="stochastic", rounds=5000, draw_seed=7)
    implicit.setup()
    explicit.setup()
    assert implicit.draw_seed == 7 and torch.equal(implicit.gradients, explicit.gradients)
    batches = list(implicit.train_dataloader())
    assert len(batches) == 1 and batches[0][0][:3].tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="unknown variant"):
        data_cls(variant="adversarial")


def test_learner_plays_chunks_and_measures_regret(plugin):
    import lightning.pytorch as pl

    learner = load_object(plugin, "model:OnlineLearner")(optimizer={"lr": ALPHA, "amsgrad": False})
    data = load_object(plugin, "data:GameRounds")(rounds=3, rounds_per_step=2)
    assert sum(p.numel() for p in learner.parameters()) == 1
    trainer = pl.Trainer(
        max_epochs=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(learner, datamodule=data)
    assert trainer.global_step == 2  # rounds 1-2, then round 3
    metrics = trainer.test(learner, datamodule=data, verbose=False)[0]
    assert learner.x.dtype == torch.float64 and float(learner.x) == -1.0
    # R_3 = sum_t g_t (x_t - x*) = 1010 * (0 + 1) - 10 * (-0.5 + 1) - 10 * (x_3 + 1)
    regret = 1010.0 - 5.0 - 10.0 * (HAND_X3[False] + 1.0)
    assert learner.average_regret() == pytest.approx(regret / 3, abs=1e-5)
    assert metrics["test/final_x"] == -1.0


def test_fast_run_end_to_end(isolated_env: Path):
    record = fast_run_record(isolated_env, "amsgrad", "amsgrad_online")
    assert record["timing"]["steps"] == 5  # 5 x 10,000 rounds
    assert -1.0 <= record["metrics"]["test/final_x"] <= 1.0
    assert record["metrics"]["test/avg_regret"] > 0.0
    assert record["model"]["parameters"] == 1
