from __future__ import annotations

from pathlib import Path

import pytest
import torch

from repro.plugins.registry import get_paper, load_object
from tests.conftest import fast_run_record, plugin_module, repro


@pytest.fixture(scope="module")
def plugin():
    return get_paper("perm_optim")


@pytest.fixture(scope="module")
def po(plugin):
    return plugin_module(plugin, "permutation", "sinkhorn")


def test_comparator_is_antisymmetric(po):
    torch.manual_seed(0)
    comparator = po.PairwiseComparator(hidden=16)
    x = torch.rand(3, 7)
    cost = comparator(x)
    assert cost.shape == (3, 7, 7)
    assert torch.allclose(cost, -cost.transpose(1, 2))
    # F(a, b) = f(a, b) - f(b, a), with f the 2 -> 16 -> 1 network on the pair
    a, b = x[0, 1], x[0, 4]
    f = comparator.f
    f_ab = f(torch.stack([a, b]).view(1, 2, 1)).squeeze()
    f_ba = f(torch.stack([b, a]).view(1, 2, 1)).squeeze()
    assert torch.allclose(cost[0, 1, 4], f_ab - f_ba, atol=1e-6)
    assert sum(p.numel() for p in comparator.parameters()) == 2 * 16 + 16 + 16 + 1


def test_sinkhorn_rows_and_columns_sum_to_one(po):
    logits = torch.randn(4, 6, 6, generator=torch.Generator().manual_seed(0)) * 3
    few = po.sinkhorn(logits, iterations=4)
    assert torch.allclose(few.sum(-2), torch.ones(4, 6), atol=1e-6)  # columns: exact
    many = po.sinkhorn(logits, iterations=200)
    assert torch.allclose(many.sum(-1), torch.ones(4, 6), atol=1e-4)
    assert torch.allclose(many.sum(-2), torch.ones(4, 6), atol=1e-5)
    assert (many >= 0).all()


def test_closed_form_gradient_matches_autograd(po):
    g = torch.Generator().manual_seed(1)
    raw = torch.randn(2, 5, 5, generator=g, dtype=torch.float64)
    cost = raw - raw.transpose(1, 2)
    assignment = po.sinkhorn(
        torch.randn(2, 5, 5, generator=g, dtype=torch.float64)
    ).requires_grad_()
    (expected,) = torch.autograd.grad(po.ordering_cost(assignment, cost).sum(), assignment)
    assert torch.allclose(po.assignment_cost_grad(assignment.detach(), cost), expected)


def test_hungarian_rounding_gives_a_permutation(po):
    soft = po.sinkhorn(torch.randn(8, 9, 9, generator=torch.Generator().manual_seed(2)))
    order = po.hungarian_round(soft)
    assert order.shape == (8, 9)
    assert (order.sort(-1).values == torch.arange(9)).all()
    # a hard permutation matrix is rounded to itself
    perm = torch.tensor([2, 0, 1])
    hard = torch.zeros(1, 3, 3)
    hard[0, perm, torch.arange(3)] = 1.0  # element perm[q] goes to position q
    assert po.hungarian_round(hard).tolist() == [perm.tolist()]


def test_sorting_metric_on_a_hand_made_example(po):
    x = torch.tensor([[0.3, 0.1, 0.2], [0.5, 0.9, 0.7], [1.0, 2.0, 3.0]])
    order = torch.tensor([[1, 2, 0], [0, 1, 2], [0, 1, 2]])  # right, one swap wrong, right
    assert po.sorted_exactly(order, x).tolist() == [True, False, True]
    # applying a hard assignment puts element order[q] at position q
    hard = torch.zeros(3, 3, 3)
    for b in range(3):
        hard[b, order[b], torch.arange(3)] = 1.0
    assert torch.equal(po.apply_assignment(x, hard)[0], torch.tensor([0.1, 0.2, 0.3]))


def test_a_linear_comparator_sorts_exactly(po):
    """With F(a, b) = b - a the inner loop's first step already orders elements by value."""
    x = torch.rand(16, 12, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    cost = x[:, None, :] - x[:, :, None]
    order = po.hungarian_round(po.optimise_assignment(cost, steps=6, lr=1.0))
    accuracy = po.sorted_exactly(order, x).double().mean()
    reversed_accuracy = po.sorted_exactly(order.flip(-1), x).double().mean()
    assert max(accuracy, reversed_accuracy) == 1.0


def test_data_is_seeded_and_resumable(plugin):
    data_cls = load_object(plugin, "data:SortNumbersDataModule")
    first = data_cls(
        set_size=4, train_sets=64, batch_size=16, train_seed=7, extra_test_intervals=[[1000, 1001]]
    )
    second = data_cls(
        set_size=4, train_sets=64, batch_size=16, train_seed=7, extra_test_intervals=[[1000, 1001]]
    )
    a, b = list(first.train_dataloader()), list(second.train_dataloader())
    assert len(a) == 4 and a[0].shape == (16, 4) and a[0].dtype == torch.float32
    assert all(torch.equal(p, q) for p, q in zip(a, b, strict=True))
    loader = first.train_dataloader()
    iterator = iter(loader)
    next(iterator)
    state = loader.state_dict()
    resumed = first.train_dataloader()
    resumed.load_state_dict(state)
    assert torch.equal(next(iter(resumed)), a[1])
    tests = list(first.test_dataloader())
    assert [t["suffix"] for t in tests] == ["", "_1000_1001"]
    assert tests[1]["x"].dtype == torch.float64 and tests[1]["x"].min() >= 1000
    assert first.dataset_sizes() == {"train": 64, "test": 512}


def test_module_trains_and_reports_sorting_accuracy(plugin):
    module = load_object(plugin, "model:NumberSorter")()
    assert sum(p.numel() for p in module.parameters()) == 66  # 65 comparator + inner lr
    x = torch.rand(32, 5)
    loss = module.training_step(x, 0)
    loss.backward()
    assert module.po.inner_lr.grad is not None


def test_show_and_fast_run(isolated_env: Path):
    shown = repro("show", "perm_optim")
    assert shown.returncode == 0 and "sort_n15" in shown.stdout
    record = fast_run_record(isolated_env, "perm_optim", "sort_n5")
    assert 0.0 <= record["metrics"]["test/acc"] <= 1.0
    assert record["timing"]["steps"] == 5
