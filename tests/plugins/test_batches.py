from __future__ import annotations

import pytest
import torch

from repro.plugins.batches import InMemoryBatches


def test_batches_cover_every_sample_once() -> None:
    x, y = torch.arange(10).float(), torch.arange(10)
    batches = list(InMemoryBatches(x, y, batch_size=4))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    assert torch.equal(torch.cat([b[1] for b in batches]), y)


def test_shuffle_is_seeded_and_changes_each_pass() -> None:
    x, y = torch.arange(20).float(), torch.arange(20)
    a = InMemoryBatches(x, y, 5, shuffle=True, seed=1)
    b = InMemoryBatches(x, y, 5, shuffle=True, seed=1)
    first = torch.cat([t for _, t in a])
    assert torch.equal(first, torch.cat([t for _, t in b]))
    assert not torch.equal(first, torch.cat([t for _, t in a]))
    assert sorted(first.tolist()) == list(range(20))


def test_drop_last_and_bad_sizes() -> None:
    x = torch.zeros(10)
    assert len(InMemoryBatches(x, x, 4, drop_last=True)) == 2
    with pytest.raises(ValueError, match="differ in length"):
        InMemoryBatches(x, torch.zeros(3), 2)
