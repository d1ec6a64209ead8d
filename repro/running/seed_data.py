"""One seed's data in a group (`running.seed_group`): its loader, epoch after epoch, drawn
inside that seed's own random streams, as the seed alone would draw it."""

from __future__ import annotations

import functools
import itertools
import os
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from repro.plugins.batches import InMemoryBatches


class SeedStreams:
    """One seed's global random streams (torch's, numpy's, Python's), as that seed alone
    would have them: its data is drawn inside them (`run`), never from another seed's.
    Torch's is swapped in for every call. Getting and setting numpy's state costs 30 us each,
    too much for every batch of every seed when unused, so numpy's and Python's are swapped
    as each pass starts (`every_stream`: where a loader shuffles), and for every batch only
    once the seed's loader was seen drawing from them in its first pass (`watching`); a
    loader that starts drawing per batch only in a later pass is caught by `ProcessStreams`.
    CUDA's generators are kept as seeded and installed for the seed's test: the group's
    steps cannot draw from them (vmap's randomness="error"), nor may its loaders."""

    def __init__(self) -> None:
        self.torch = torch.get_rng_state()
        self.numpy = np.random.get_state()
        self.python = random.getstate()
        self.cuda = cuda_states()  # as seeded: the group's steps draw none of it
        self.watching = True  # the first pass: swap all, and see whether numpy/Python move
        self.others = False  # the loader draws from numpy or Python: swap them every call

    def run(self, call: Any, argument: Any, every_stream: bool = False) -> Any:
        """`call(argument)` inside this seed's streams; the process's own are put back."""
        swap_all = every_stream or self.watching or self.others
        saved_torch = torch.get_rng_state()
        torch.set_rng_state(self.torch)
        if swap_all:
            saved_numpy, saved_python = np.random.get_state(), random.getstate()
            np.random.set_state(self.numpy)
            random.setstate(self.python)
        try:
            return call(argument)
        finally:
            self.torch = torch.get_rng_state()
            torch.set_rng_state(saved_torch)
            if swap_all:
                numpy_now, python_now = np.random.get_state(), random.getstate()
                moved = python_now != self.python or not _same_numpy(numpy_now, self.numpy)
                self.others = self.others or (moved and not every_stream)
                self.numpy, self.python = numpy_now, python_now
                np.random.set_state(saved_numpy)
                random.setstate(saved_python)

    def install(self) -> None:
        """Make this seed's streams the process's (testing it, as Lightning goes on alone)."""
        torch.set_rng_state(self.torch)
        np.random.set_state(self.numpy)
        random.setstate(self.python)
        if self.cuda is not None:
            torch.cuda.set_rng_state_all(self.cuda)

    def state_dict(self) -> dict[str, Any]:
        """Plain types and tensors (loadable with torch.load(weights_only=True))."""
        kind, keys, position, has_gauss, cached = self.numpy
        version, internal, gauss = self.python
        return {
            "torch": self.torch,
            "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached],
            "python": [version, list(internal), gauss],
            "watching": self.watching,
            "others": self.others,
        }

    def load_state_dict(self, state: Any) -> None:
        if torch.is_tensor(state):  # a group checkpoint from before: torch's stream only
            self.torch = state
            return
        self.torch = state["torch"]
        kind, keys, position, has_gauss, cached = state["numpy"]
        self.numpy = (kind, keys.numpy().astype(np.uint32), position, has_gauss, cached)
        version, internal, gauss = state["python"]
        self.python = (version, tuple(internal), gauss)
        self.watching, self.others = state["watching"], state["others"]


class ProcessStreams:
    """The process's own random streams, which nothing in a group may draw from: a
    seed's loader draws inside its seed's streams, and the step vmap runs once for all seeds
    should draw none. A draw seen here (a loader drawing per batch only from its second pass
    on, or numpy/Python randomness in the plugin's step) came from no seed's stream, so the
    group's numbers are not each seed's alone: `check` says so, once per pass (60 us)."""

    def __init__(self) -> None:
        self.torch = torch.get_rng_state()
        self.numpy = np.random.get_state()
        self.python = random.getstate()
        self.cuda = cuda_states()

    def check(self) -> str | None:
        """Why the seeds cannot train together, if the process's streams moved."""
        cuda = cuda_states()
        if (
            torch.equal(torch.get_rng_state(), self.torch)
            and random.getstate() == self.python
            and _same_numpy(np.random.get_state(), self.numpy)
            and (cuda is None or all(map(torch.equal, cuda, self.cuda or [])))
        ):
            return None
        return (
            "the plugin draws from a global random generator (torch's, numpy's, Python's or "
            "CUDA's) where the group cannot give each seed its own (in its step or "
            "align_seed_batches, or per batch after the loader's first pass)"
        )


def cuda_states() -> list[torch.Tensor] | None:
    """CUDA's generators' states, once CUDA is in use (None before: nothing to keep)."""
    return torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None


def _same_numpy(a: tuple, b: tuple) -> bool:
    return a[2] == b[2] and a[3] == b[3] and a[4] == b[4] and np.array_equal(a[1], b[1])


class SeedLoader:
    """One seed's training batches, epoch after epoch, drawn inside that seed's random
    streams (a shuffling loader draws its order from them when a pass starts)."""

    def __init__(self, loader: Any, streams: SeedStreams, limit: int | None) -> None:
        self.loader = loader
        self.streams = streams
        self.limit = limit
        self.passes = 0
        # repro's own in-memory batches shuffle with a generator of their own (a subclass
        # may draw anywhere: its data as a property, say)
        self.draws_from_no_global_stream = type(loader) is InMemoryBatches
        # a loader that keeps no position (a plain DataLoader): the seed's streams as its
        # current pass started, saved with a mid-pass checkpoint; a resume there replays the
        # pass from them up to the batch it stopped at (`replay_from`), as it drew then
        self.keeps_no_position = not hasattr(loader, "state_dict")
        self.pass_start: dict[str, Any] | None = None
        self._replay: dict[str, Any] | None = None

    def replay_from(self, pass_start: dict[str, Any]) -> None:
        """Resumed mid-pass (the streams loaded are those at the stop): the next `epoch(start)`
        draws the pass again from `pass_start`, the streams as it started, and skips the
        `start` batches trained before the stop. Exact because nothing but the seed's loader
        draws from its streams (the group's step cannot)."""
        self._replay = pass_start

    @property
    def replays(self) -> bool:
        """Its next pass is drawn again up to where a resume went on (`replay_from`)."""
        return self._replay is not None

    def epoch(self, start: int = 0) -> Iterator[Any]:
        """One pass; `start`: batches of it trained before a resume (they count to the limit)."""
        if self.passes:  # a whole pass was seen: whether it drew from numpy or Python is known
            self.streams.watching = False
        self.passes += 1
        replay, self._replay = self._replay, None
        if self.draws_from_no_global_stream:  # swapping torch's stream cost 25 us a batch
            left = None if self.limit is None else max(0, self.limit - start)
            yield from itertools.islice(self.loader, left)
            return
        if replay is not None and start > 0:
            iterator = self._replayed(replay, start)
        else:
            if self.keeps_no_position:  # and its own generators, which draw the order
                generators = generator_states(self.loader)
                self.pass_start = {**self.streams.state_dict(), "generators": generators}
            iterator = self.streams.run(iter, self.loader, every_stream=True)
        index = start
        while self.limit is None or index < self.limit:
            try:  # a loader may draw each batch from the global RNG (data made on the fly);
                # a pass's shuffle is drawn as it starts (every stream swapped: cheap, once)
                batch = self.streams.run(next, iterator, every_stream=index == start)
            except StopIteration:
                return
            index += 1
            yield batch

    def _replayed(self, pass_start: dict[str, Any], start: int) -> Iterator[Any]:
        """The pass drawn again from the streams it started in, its first `start` batches
        fetched and dropped; the streams then put back as they were at the stop."""
        at_stop = self.streams.state_dict()
        self.streams.load_state_dict(pass_start)
        restore_generator_states(self.loader, pass_start.get("generators"))
        self.pass_start = pass_start
        iterator = self.streams.run(iter, self.loader, every_stream=True)
        for _ in range(start):
            try:
                self.streams.run(next, iterator, every_stream=True)
            except StopIteration:
                break
        self.streams.load_state_dict(at_stop)
        return iterator

    @property
    def cuts_passes(self) -> bool:
        """limit_train_batches ends each pass before the loader does."""
        return self.limit is not None and self.limit < len(self.loader)

    def __len__(self) -> int:
        length = len(self.loader)
        return length if self.limit is None else min(length, self.limit)


def own_generators(loader: Any) -> list[torch.Generator]:
    """The torch Generators a loader that keeps no position (a plain DataLoader) shuffles
    with and seeds its workers from, when the plugin gave it its own (`generator=`, or its
    sampler's): no global stream holds their state, so a checkpoint must, else a resumed
    run's next pass repeats the order of its first pass. A loader with a `state_dict` (as
    InMemoryBatches) keeps its own: none."""
    if hasattr(loader, "state_dict"):
        return []
    found: list[torch.Generator] = []
    batch_sampler = getattr(loader, "batch_sampler", None)
    for holder in (
        loader,
        getattr(loader, "sampler", None),
        getattr(batch_sampler, "sampler", None),
    ):
        generator = getattr(holder, "generator", None)
        if isinstance(generator, torch.Generator) and all(generator is not g for g in found):
            found.append(generator)
    return found


def generator_states(loader: Any) -> list[torch.Tensor]:
    """The states of `loader`'s own generators (`own_generators`), to save."""
    return [generator.get_state() for generator in own_generators(loader)]


def restore_generator_states(loader: Any, states: Any) -> None:
    """Put back what `generator_states` saved (a rebuilt loader's generators start seeded
    anew); none saved, or another number of generators (other code), leaves them."""
    generators = own_generators(loader)
    if states and len(states) == len(generators):
        for generator, state in zip(generators, states, strict=True):
            generator.set_state(state)


def batch_limit(value: Any, length: int) -> int | None:
    """Lightning's limit_*_batches: None (all), an int (batches) or a float (fraction)."""
    if value is None:
        return None
    if isinstance(value, float) and not value.is_integer():
        return max(1, int(length * value))
    if isinstance(value, float):
        return None if value == 1.0 else int(value)
    return int(value)


def seed_workers_as_lightning(loader: Any) -> Any:
    """`loader`, its workers seeded as Lightning seeds them for a run alone (a DataLoader
    without a worker_init_fn, after seed_everything(workers=True)): from the seed's stream."""
    if getattr(loader, "worker_init_fn", "none") is None and int(
        os.environ.get("PL_SEED_WORKERS", 0)
    ):
        from lightning.fabric.utilities.seed import pl_worker_init_function

        loader.worker_init_fn = functools.partial(pl_worker_init_function, rank=0)
    return loader


def in_streams(loader: Any, streams: SeedStreams) -> Iterator[Any]:
    """One pass over a seed's loader inside its random streams (a DataLoader pass draws from
    torch's global generator as it starts, a loader of the plugin's may shuffle with numpy's:
    alone, both come out of the seed's streams)."""
    iterator = streams.run(iter, loader, every_stream=True)  # a pass's shuffle: any stream
    first = True  # a generator's __iter__ draws at its first next, not at iter
    while True:
        try:
            yield streams.run(next, iterator, every_stream=first)
        except StopIteration:
            return
        first = False
