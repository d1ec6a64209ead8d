from __future__ import annotations

from pathlib import Path

import pytest
import torch

from repro.plugins.registry import get_paper, load_object
from tests.conftest import fast_run_record


@pytest.fixture(scope="module")
def plugin():
    return get_paper("set_transformer")


def _regressor(plugin, arch: str, pool: str = "max"):
    return load_object(plugin, "model:MaxRegressor")(arch=arch, pool=pool)


@pytest.mark.parametrize(
    ("arch", "pool", "parameters"),
    [
        ("deepsets", "mean", 16833),  # 4-layer rFF encoder + 2-layer decoder, width 64
        ("deepsets", "sum", 16833),
        ("deepsets", "max", 16833),
        ("set_transformer", "max", 37953),  # SAB(1->64) 4,544 + SAB 16,640 + PMA 16,704 + 65
    ],
)
def test_architectures_and_parameter_counts(plugin, arch: str, pool: str, parameters: int):
    model = _regressor(plugin, arch, pool)
    assert sum(p.numel() for p in model.parameters()) == parameters
    for n in (1, 7):
        assert model(torch.rand(5, n, 1) * 100).shape == (5, 1)


@pytest.mark.parametrize(
    ("arch", "pool"), [("deepsets", "mean"), ("deepsets", "max"), ("set_transformer", "max")]
)
def test_predictions_are_permutation_invariant(plugin, arch: str, pool: str):
    torch.manual_seed(0)
    model = _regressor(plugin, arch, pool)
    x = torch.rand(4, 9, 1) * 100
    shuffled = x[:, torch.randperm(9)]
    assert torch.allclose(model(x), model(shuffled), atol=1e-4)


def test_attention_block_with_one_head_is_plain_attention(plugin):
    mab_cls = load_object(plugin, "model:MultiheadAttentionBlock")
    torch.manual_seed(0)
    mab = mab_cls(query_dim=3, key_dim=5, width=8, heads=1)
    x, y = torch.randn(2, 4, 3), torch.randn(2, 6, 5)
    q, k, v = mab.to_query(x), mab.to_key(y), mab.to_value(y)
    h = q + torch.softmax(q @ k.transpose(1, 2) / 8**0.5, dim=-1) @ v
    assert torch.allclose(mab(x, y), h + torch.relu(mab.feedforward(h)), atol=1e-6)


def test_a_batch_shares_one_set_size_and_targets_are_maxima(plugin):
    random_set_batch = load_object(plugin, "data:random_set_batch")
    generator = torch.Generator().manual_seed(0)
    sizes = set()
    for _ in range(200):
        x, y = random_set_batch(generator, 16, 1, 10, 0.0, 100.0)
        assert x.shape[0] == 16 and x.shape[2] == 1 and y.shape == (16, 1)
        assert float(x.min()) >= 0.0 and float(x.max()) <= 100.0
        assert torch.equal(y, x.max(dim=1).values)
        sizes.add(x.shape[1])
    assert sizes == set(range(1, 11))


def test_training_batches_are_seeded_fresh_and_resumable(plugin):
    batches_cls = load_object(plugin, "data:RandomSetBatches")
    first = batches_cls(6, 8, 1, 10, 0.0, 100.0, seed=3)
    same = batches_cls(6, 8, 1, 10, 0.0, 100.0, seed=3)
    pass_one = list(first)
    assert len(pass_one) == 6
    assert all(torch.equal(a[0], b[0]) for a, b in zip(pass_one, same, strict=True))
    pass_two = list(first)
    assert not torch.equal(pass_one[0][0], pass_two[0][0])  # fresh sets every pass

    resumed = batches_cls(6, 8, 1, 10, 0.0, 100.0, seed=99)
    interrupted = iter(first)
    expected_pass = [next(interrupted) for _ in range(2)]
    resumed.load_state_dict(first.state_dict())
    rest = list(resumed)
    expected_pass += list(interrupted)
    assert len(rest) == 4
    assert all(torch.equal(a[0], b[0]) for a, b in zip(rest, expected_pass[2:], strict=True))


def test_evaluation_sets_are_fixed_and_training_uses_the_run_seed(plugin):
    data_cls = load_object(plugin, "data:MaxRegressionData")
    torch.manual_seed(11)
    data = data_cls(test_batches=3)
    data.setup()
    assert data.draw_seed == 11
    first = [x for x, _ in data.test_dataloader()]
    again = [x for x, _ in data.test_dataloader()]
    assert len(first) == 3 and all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    other_run = data_cls(test_batches=3, draw_seed=12)
    assert all(
        torch.equal(a, b) for (a, _), b in zip(other_run.test_dataloader(), first, strict=True)
    )
    assert data.dataset_sizes() == {"train_per_epoch": 128000, "val": 1280, "test": 384}


def test_fast_run_end_to_end(isolated_env: Path):
    record = fast_run_record(isolated_env, "set_transformer", "sab_pma")
    assert record["timing"]["steps"] == 5
    assert record["metrics"]["test/mae"] > 0.0
    assert record["model"]["parameters"] == 37953
