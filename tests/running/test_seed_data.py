"""A seed's random streams in a group (repro.running.seed_data): CUDA's generators, which this
CPU machine cannot run, are checked through a stand-in for torch.cuda's state functions."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from repro.running.seed_data import ProcessStreams, SeedStreams


class FakeCuda:
    """torch.cuda's generator-state functions over one device whose state is a tensor."""

    def __init__(self) -> None:
        self.state = torch.tensor([0], dtype=torch.uint8)

    def manual_seed(self, seed: int) -> None:
        self.state = torch.tensor([seed], dtype=torch.uint8)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
        monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: [self.state.clone()])
        monkeypatch.setattr(torch.cuda, "set_rng_state_all", self._set)

    def _set(self, states: list[torch.Tensor]) -> None:
        self.state = states[0].clone()


def test_each_seed_is_tested_with_its_own_cuda_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeds are built one after another, each seeding CUDA (seed_everything); alone, seed 0
    is tested with its own seeded CUDA stream, not the last-built seed's."""
    cuda = FakeCuda()
    cuda.install(monkeypatch)
    streams = []
    for seed in (3, 7):
        cuda.manual_seed(seed)
        streams.append(SeedStreams())
    streams[0].install()
    assert cuda.state.tolist() == [3]
    streams[1].install()
    assert cuda.state.tolist() == [7]


def test_a_draw_from_the_process_streams_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing in a group may draw from the process's own streams: each kind is seen."""
    cuda = FakeCuda()
    cuda.install(monkeypatch)
    draws = {
        "torch": lambda: torch.rand(1),
        "numpy": lambda: np.random.uniform(),
        "python": lambda: random.random(),
        "cuda": lambda: cuda.manual_seed(99),
    }
    for name, draw in draws.items():
        untouched = ProcessStreams()
        assert untouched.check() is None, name
        draw()
        assert "global random generator" in (untouched.check() or ""), name


class NoisyData(torch.utils.data.Dataset):
    """Draws from torch's and numpy's global streams per item, as augmentation does."""

    def __len__(self) -> int:
        return 20

    def __getitem__(self, index: int) -> torch.Tensor:
        return torch.tensor(float(index)) + torch.rand(()) + float(np.random.rand())


def test_a_pass_of_a_loader_keeping_no_position_is_replayed_from_where_it_stopped() -> None:
    """a plain DataLoader keeps no position, so a group resumed mid-pass draws
    the pass again from the seed's streams as it started (`replay_from`): the batches after
    the stop, and the streams after the pass, are those of a pass never stopped."""
    from repro.running.seed_data import SeedLoader

    def loader() -> torch.utils.data.DataLoader:
        return torch.utils.data.DataLoader(NoisyData(), batch_size=4, shuffle=True)

    torch.manual_seed(1)
    np.random.seed(1)
    whole = SeedLoader(loader(), SeedStreams(), None)
    straight = list(whole.epoch())
    torch.manual_seed(1)
    np.random.seed(1)
    cut = SeedLoader(loader(), SeedStreams(), None)
    pass_ = cut.epoch()
    before = [next(pass_), next(pass_)]
    at_stop, pass_start = cut.streams.state_dict(), cut.pass_start
    resumed = SeedLoader(loader(), SeedStreams(), None)  # a new process: other streams
    resumed.streams.load_state_dict(at_stop)
    resumed.replay_from(pass_start)
    after = list(resumed.epoch(start=2))
    assert len(after) == 3
    for got, expected in zip(before + after, straight, strict=True):
        assert torch.equal(got, expected)
    assert torch.equal(resumed.streams.torch, whole.streams.torch)
    assert np.array_equal(resumed.streams.numpy[1], whole.streams.numpy[1])
