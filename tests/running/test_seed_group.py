"""The seeds-together engine (repro.running.seed_group) against the same seeds trained alone,
on what a plugin may do beyond a plain step: its own Lightning hooks, trainer keys, random
streams other than torch's, metrics logged with options, validation, failures."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from repro.running.runner import run_one
from repro.running.together import run_together
from tests.conftest import repro, write_toy_paper
from tests.running.test_together import SIGNAL_MODULE, configs


def toy_paper(
    plugins: Path, model_src: str = "", model: str = "", data_src: str = "", data: str = ""
) -> Path:
    """The toy plugin, with a module class (`model`) and data module class (`data`) defined by
    source appended to its model.py and data.py."""
    folder = write_toy_paper(plugins)
    for name, source in (("model.py", model_src), ("data.py", data_src)):
        path = folder / name
        path.write_text(path.read_text() + source)
    paper = folder / "paper.yaml"
    text = paper.read_text()
    if model:
        text = text.replace("model:ToyModule", f"model:{model}")
    if data:
        text = text.replace("data:ToyData", f"data:{data}")
    paper.write_text(text)
    return plugins


def both(tmp_path: Path, plugins: Path, *extra: str) -> tuple[list[Any], list[Any]]:
    """Seeds 0 and 1 trained together, and each alone, with the same overrides."""
    grouped = configs("toy", "small", [0, 1], tmp_path / "a", *extra, papers=[plugins])
    alone = configs("toy", "small", [0, 1], tmp_path / "b", *extra, papers=[plugins])
    return (
        run_together(grouped, [["repro", "run"]] * 2),
        [run_one(config, command=["repro", "run"]) for config in alone],
    )


def record(outcome: Any) -> dict[str, Any]:
    return json.loads((outcome.record_dir / "record.json").read_text())


def assert_same(together: list[Any], alone: list[Any], tolerance: float = 1e-6) -> None:
    """Same status, same metric names, same values: what each seed would have alone."""
    for grouped, single in zip(together, alone, strict=True):
        assert grouped.status == single.status, (grouped.error, single.error)
        assert set(grouped.metrics) == set(single.metrics)
        for name, value in single.metrics.items():
            assert math.isclose(grouped.metrics[name], value, abs_tol=tolerance), (
                name,
                grouped.metrics[name],
                value,
            )


HOOKS = '''

class Warmup(ToyModule):
    """Lightning's documented warm-up: the learning rate set in optimizer_step."""

    def optimizer_step(self, epoch, batch_idx, optimizer, optimizer_closure):
        for group in optimizer.param_groups:
            group["lr"] = self.lr * min(1.0, (self.trainer.global_step + 1) / 10)
        optimizer.step(closure=optimizer_closure)


class HalvesEachEpoch(ToyModule):
    def on_train_epoch_end(self):
        for group in self.optimizers().optimizer.param_groups:
            group["lr"] *= 0.5
'''


@pytest.mark.parametrize(
    ("model", "hook"), [("Warmup", "optimizer_step"), ("HalvesEachEpoch", "on_train_epoch_end")]
)
def test_a_module_with_its_own_training_hook_trains_each_seed_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str, hook: str
) -> None:
    """The group runs only the steps: a hook it would skip changes the numbers."""
    plugins = toy_paper(tmp_path / "plugins", HOOKS, model)
    together, alone = both(tmp_path, plugins, "trainer.max_steps=12")
    assert f"seeds together: off for toy/small: the module overrides {hook}" in (
        capsys.readouterr().out
    )
    assert_same(together, alone)
    assert all("together" not in record(outcome) for outcome in together)


BATCH_HOOK = """

class Scaled(ToyData):
    def on_after_batch_transfer(self, batch, dataloader_idx):
        x, y = batch
        return x * 2, y * 2
"""


def test_a_data_module_batch_hook_trains_each_seed_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plugins = toy_paper(tmp_path / "plugins", data_src=BATCH_HOOK, data="Scaled")
    together, alone = both(tmp_path, plugins, "trainer.max_steps=6")
    assert "the data module overrides on_after_batch_transfer" in capsys.readouterr().out
    assert_same(together, alone)


STREAMS = '''

import numpy as np
from torch.utils.data import DataLoader, TensorDataset


class NumpyShuffled:
    """Reshuffles each pass with numpy's global generator (repro seeds it per run)."""

    def __init__(self, x, y, size):
        self.x, self.y, self.size = x, y, size

    def __len__(self):
        return len(self.x) // self.size

    def __iter__(self):
        order = torch.as_tensor(np.random.permutation(len(self.x)))
        for i in range(len(self)):
            index = order[i * self.size : (i + 1) * self.size]
            yield self.x[index], self.y[index]


class NumpyData(ToyData):
    def train_dataloader(self):
        return NumpyShuffled(self.x, self.y, 16)


class NumpyFromThePassAfter(NumpyShuffled):
    """In order on its first pass; shuffled with numpy from the next one on."""

    passes = 0

    def __iter__(self):
        self.passes += 1
        if self.passes > 1:
            yield from super().__iter__()
            return
        for i in range(len(self)):
            part = slice(i * self.size, (i + 1) * self.size)
            yield self.x[part], self.y[part]


class NumpyLater(ToyData):
    def train_dataloader(self):
        return NumpyFromThePassAfter(self.x, self.y, 16)


class NumpyNoiseFromThePassAfter(NumpyShuffled):
    """In order; from the second pass on, each batch gets numpy noise (drawn per batch)."""

    passes = 0

    def __iter__(self):
        self.passes += 1
        for i in range(len(self)):
            part = slice(i * self.size, (i + 1) * self.size)
            x = self.x[part]
            if self.passes > 1:
                x = x + torch.as_tensor(np.random.normal(size=tuple(x.shape)), dtype=x.dtype)
            yield x, self.y[part]


class NumpyNoiseLater(ToyData):
    def train_dataloader(self):
        return NumpyNoiseFromThePassAfter(self.x, self.y, 16)


class NumpyValidated(NumpyData):
    def val_dataloader(self):
        return NumpyShuffled(self.x, self.y, 32)


class CoinFlipShuffled(InMemoryBatches):
    """repro's in-memory batches, shuffled or not on a coin flip from torch's global stream
    as each pass starts (its `shuffle`, read there)."""

    @property
    def shuffle(self):
        return bool(torch.rand(()) < 0.5)

    @shuffle.setter
    def shuffle(self, value):
        pass


class NoisyInMemory(ToyData):
    def train_dataloader(self):
        return CoinFlipShuffled(self.x, self.y, 16)


class TorchLoaders(ToyData):
    def train_dataloader(self):
        return DataLoader(TensorDataset(self.x, self.y), batch_size=16, shuffle=True)

    def val_dataloader(self):
        return DataLoader(TensorDataset(self.x, self.y), batch_size=32)
'''
VALIDATES = """

import numpy as np


class NumpyInTheStep(ToyModule):
    \"\"\"Scales its loss by a numpy draw from the third step on: under vmap one draw would
    serve every seed, and from the process's stream, not the seed's.\"\"\"

    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        if self.global_step >= 2:
            loss = loss * float(np.random.uniform(0.5, 1.5))
        return loss


class PythonInTheStep(ToyModule):
    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        if self.global_step >= 2:
            import random

            loss = loss * random.uniform(0.5, 1.5)
        return loss


class Validates(ToyModule):
    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val/mse", nn.functional.mse_loss(self.net(x).squeeze(-1), y))
"""


@pytest.mark.parametrize(
    ("model", "data", "together"),
    [
        ("", "NumpyData", True),
        ("", "NumpyLater", True),
        ("Validates", "TorchLoaders", True),
        ("Validates", "NumpyValidated", True),
        ("", "NoisyInMemory", True),
        ("", "NumpyNoiseLater", False),
        ("NumpyInTheStep", "", False),
        ("PythonInTheStep", "", False),
    ],
    ids=[
        "numpy",
        "numpy_later",
        "val",
        "numpy_val",
        "in_memory_subclass",
        "numpy_per_batch_later",
        "numpy_step",
        "python_step",
    ],
)
def test_each_seed_draws_from_its_own_random_streams(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str, data: str, together: bool
) -> None:
    """numpy's and Python's global generators are each seed's own, as alone; the validation
    loader's draw from torch's global generator (every DataLoader pass takes one) comes from
    the seed's stream. A draw the group cannot give each seed its own stream for (per batch,
    first seen after the first pass, or inside the step that vmap runs once for all seeds)
    sends the seeds to train alone instead: never another seed's numbers."""
    plugins = toy_paper(tmp_path / "plugins", VALIDATES, model, STREAMS, data)
    grouped, alone = both(tmp_path, plugins, "trainer.max_steps=12")
    assert all(("together" in record(outcome)) is together for outcome in grouped)
    assert_same(grouped, alone)
    if not together:
        out = capsys.readouterr().out
        assert "the plugin draws from a global random generator" in out


LOADERS = """

from torch.utils.data import DataLoader, Dataset


class ShuffledValSubset(ToyData):
    # validation on InMemoryBatches shuffled by their own generator, drop_last: each
    # validation sees another subset (alone, Lightning builds the loader once)

    def val_dataloader(self):
        return InMemoryBatches(self.x, self.y, 24, shuffle=True, seed=0, drop_last=True)


class ValSeededFromTorch(ToyData):
    # a validation subset drawn with a generator seeded from the run's seed

    def val_dataloader(self):
        return InMemoryBatches(
            self.x, self.y, 24, shuffle=True, seed=torch.initial_seed(), drop_last=True
        )


class Noisy(Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i] + 0.1 * torch.randn(self.x.shape[1]), self.y[i]


class Augmented(ToyData):
    # random augmentation in the Dataset, one loader worker (Lightning seeds workers)

    def train_dataloader(self):
        return DataLoader(Noisy(self.x, self.y), batch_size=16, num_workers=1)
"""


@pytest.mark.parametrize(
    ("model", "data", "extra", "together"),
    [
        ("Validates", "ShuffledValSubset", (), True),
        ("Validates", "ValSeededFromTorch", ("trainer.max_steps=4",), True),
        ("", "Augmented", ("trainer.max_steps=8",), True),
        ("Validates", "", (), True),
        (
            "Validates",
            "TorchLoaders",
            ("+trainer.val_check_interval=1", "trainer.max_steps=6"),
            False,
        ),
        ("Validates", "NumpyValidated", ("trainer.check_val_every_n_epoch=2",), True),
    ],
    ids=[
        "val_own_generator",
        "val_seeded_from_run",
        "workers_augment",
        "val_step_no_val_loader",
        "val_check_interval_int",
        "numpy_val_every_2",
    ],
)
def test_loaders_and_validation_are_as_alone(
    tmp_path: Path, model: str, data: str, extra: tuple[str, ...], together: bool
) -> None:
    """Lightning builds each loader once, seeds loader workers, validates every batch for
    val_check_interval=1 and skips validation without a val loader; a group gives each seed
    what that gives it alone, or trains the seeds alone."""
    plugins = toy_paper(tmp_path / "plugins", VALIDATES, model, STREAMS + LOADERS, data)
    grouped, alone = both(tmp_path, plugins, "trainer.max_steps=12", *extra)
    assert_same(grouped, alone)
    assert all(("together" in record(outcome)) is together for outcome in grouped)


def test_reaching_max_steps_mid_epoch_ends_without_validation(tmp_path: Path) -> None:
    """Lightning stops at max_steps inside an epoch without validating it; so does a group
    (mnist1d logistic: 40 batches an epoch, 60 steps)."""
    grouped = configs("mnist1d", "logistic", [0, 1], tmp_path / "a", "trainer.max_steps=60")
    alone = configs("mnist1d", "logistic", [0, 1], tmp_path / "b", "trainer.max_steps=60")
    together = run_together(grouped, [["repro", "run"]] * 2)
    single = [run_one(config, command=["repro", "run"]) for config in alone]
    assert_same(together, single, tolerance=1e-5)
    for grouped_outcome, single_outcome in zip(together, single, strict=True):
        rows = [
            (o.record_dir / "csv" / "metrics.csv").read_text().count("\n")
            for o in (grouped_outcome, single_outcome)
        ]
        assert rows[0] == rows[1]


def test_zero_steps_fail_together_as_they_fail_alone(tmp_path: Path) -> None:
    plugins = toy_paper(tmp_path / "plugins")
    together, alone = both(tmp_path, plugins, "trainer.max_steps=0")
    assert [o.status for o in alone] == ["failed", "failed"]
    assert [o.error for o in together] == [o.error for o in alone]


FAILURES = """

class FailsToBuild(ToyModule):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        raise ValueError("no such layer")


class FailsToTest(ToyModule):
    def test_step(self, batch, batch_idx):
        raise RuntimeError("test broke")


class OptimizesAStrayTensor(ToyModule):
    def configure_optimizers(self):
        stray = torch.zeros(3, requires_grad=True)
        return torch.optim.SGD([*self.parameters(), stray], lr=self.lr)


class RefusesMidway(ToyModule):
    # raises repro's UsageError (exit 2) once training is under way, after the probe

    def training_step(self, batch, batch_idx):
        if self.global_step == 2:
            from repro.plugins import UsageError

            raise UsageError("features must be even for this model")
        return super().training_step(batch, batch_idx)


class TestsWithGradients(ToyModule):
    def test_step(self, batch, batch_idx):
        x, y = batch
        x = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(self.net(x).sum(), x)
        self.log("test/grad", grad.abs().mean())
"""


@pytest.mark.parametrize(
    ("model", "extra"),
    [
        ("FailsToBuild", ()),
        ("FailsToTest", ()),
        ("RefusesMidway", ()),
        ("OptimizesAStrayTensor", ()),
        ("TestsWithGradients", ("+trainer.inference_mode=false",)),
    ],
)
def test_a_plugin_failure_or_oddity_ends_each_seed_as_it_would_alone(
    tmp_path: Path, model: str, extra: tuple[str, ...]
) -> None:
    """A module that fails to build or to test fails each seed with the line it gets alone
    (never an internal error, never a record left `running`); an optimizer over a tensor
    outside the module, or a test that needs gradients, trains each seed as alone."""
    plugins = toy_paper(tmp_path / "plugins", FAILURES, model)
    together, alone = both(tmp_path, plugins, "trainer.max_steps=4", *extra)
    assert [o.error for o in together] == [o.error for o in alone]
    assert [o.exit_code for o in together] == [o.exit_code for o in alone]
    assert_same(together, alone)
    for outcome in together:
        assert record(outcome)["status"] == outcome.status


LOGGING = """

class LogsAnEpochMean(ToyModule):
    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        self.log("train/epoch_loss", loss, on_step=False, on_epoch=True)
        self.log("loss_plain", loss)
        return loss


class LogsADictEpochMean(ToyModule):
    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        self.log_dict({"train/epoch_loss": loss}, on_step=False, on_epoch=True)
        return loss
"""


@pytest.mark.parametrize("model", ["LogsAnEpochMean", "LogsADictEpochMean"])
def test_metrics_logged_with_options_are_recorded_as_alone(tmp_path: Path, model: str) -> None:
    """`on_epoch=True` in the training step is an epoch mean alone; a name without train/ or
    val/ never reaches the record of a run alone."""
    plugins = toy_paper(tmp_path / "plugins", LOGGING, model)
    together, alone = both(tmp_path, plugins, "trainer.max_steps=12")
    assert_same(together, alone)
    assert all("loss_plain" not in outcome.metrics for outcome in together)


BUFFERS = """

class CountsSteps(ToyModule):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.register_buffer("seen", torch.zeros(()))

    def training_step(self, batch, batch_idx):
        self.seen += 1
        return super().training_step(batch, batch_idx) + 0 * self.seen

    def test_step(self, batch, batch_idx):
        super().test_step(batch, batch_idx)
        self.log("test/seen", self.seen)
"""


def test_the_probe_leaves_the_buffers_as_they_were(tmp_path: Path) -> None:
    """The probe's extra steps (to check vmap) must not count in a buffer the step updates."""
    plugins = toy_paper(tmp_path / "plugins", BUFFERS, "CountsSteps")
    together, alone = both(tmp_path, plugins, "trainer.max_steps=12")
    assert_same(together, alone)
    assert together[0].metrics["test/seen"] == 12


EPOCH_END_DATA = """

import numpy as np


class Shuffled(ToyData):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shuffle_seed = torch.initial_seed()

    def train_dataloader(self):
        return InMemoryBatches(self.x, self.y, 16, shuffle=True, seed=self.shuffle_seed)

    def val_dataloader(self):
        return InMemoryBatches(self.x, self.y, 64)


class FreshSets:
    \"\"\"New data every pass, as perm_optim's FreshSetBatches: a state saved at the end of a
    pass loads as the start of the next one.\"\"\"

    def __init__(self, seed):
        self.seed, self.passes, self.position, self.resume = seed, 0, 0, None

    def __len__(self):
        return 4

    def __iter__(self):
        current, start = self.resume or (self.passes, 0)
        self.resume, self.passes = None, current + 1
        for index in range(start, 4):
            self.position = index + 1
            key = np.random.SeedSequence([self.seed, current, index]).generate_state(1)[0]
            x = torch.randn(16, 4, generator=torch.Generator().manual_seed(int(key)))
            yield x, x.sum(-1) * (1 + current)

    def state_dict(self):
        return {"pass": max(self.passes - 1, 0), "position": self.position}

    def load_state_dict(self, state):
        done, position = state["pass"], state["position"]
        self.resume = (done + 1, 0) if position >= 4 else (done, position)


class Fresh(Shuffled):
    def train_dataloader(self):
        return FreshSets(int(self.shuffle_seed))


class OwnGenerator(Shuffled):
    # a DataLoader shuffled by a generator of its own, seeded per seed

    def train_dataloader(self):
        generator = torch.Generator().manual_seed(int(self.shuffle_seed))
        dataset = torch.utils.data.TensorDataset(self.x, self.y)
        return torch.utils.data.DataLoader(dataset, 16, shuffle=True, generator=generator)
"""
VALIDATING_SIGNALS = """

class SignalsAndValidates(SignalAtCall, Validates):
    pass
"""


@pytest.mark.parametrize(
    ("data", "signal", "call", "extra", "step"),
    [
        ("Shuffled", "SIGKILL", "12", (), 8),  # saved at the end of epoch 2, then killed
        ("Fresh", "SIGKILL", "12", (), 8),
        # its own generator was rebuilt at its first state: epochs 3 and 4
        # repeated epochs 1 and 2's orders
        ("OwnGenerator", "SIGKILL", "12", (), 8),
        ("OwnGenerator", "SIGTERM", "5", ("+trainer.limit_train_batches=3",), 2),  # mid-pass
        ("Shuffled", "SIGTERM", "11", (), 8),  # stopped at epoch 2's last step, unvalidated
        ("Fresh", "SIGTERM", "11", (), 8),
        ("Shuffled", "SIGTERM", "19", (), 16),  # the last step of the run, an epoch's end
        ("Shuffled", "SIGTERM", "16", ("trainer.max_steps=14",), 13),  # validated before
        ("Shuffled", "SIGTERM", "9", ("trainer.max_steps=6",), 6),  # the last step, mid-epoch
        ("Shuffled", "SIGKILL", "6", ("+trainer.limit_train_batches=2",), 2),  # cut passes
        ("Fresh", "SIGKILL", "6", ("+trainer.limit_train_batches=2",), 2),
        ("Shuffled", "SIGTERM", "5", ("+trainer.limit_train_batches=3",), 2),  # mid-pass
        ("Shuffled", "SIGTERM", "7", ("+trainer.limit_train_batches=2",), 4),  # a cut pass's
        ("Fresh", "SIGTERM", "7", ("+trainer.limit_train_batches=2",), 4),  # last step
        # saved at the end of epoch 2 of epoch-based training (no max_steps), then killed
        ("Shuffled", "SIGKILL", "12", ("trainer.max_steps=-1", "trainer.max_epochs=4"), 8),
    ],
)
def test_a_group_resumed_at_an_epoch_end_goes_on_as_if_never_stopped(
    tmp_path: Path, data: str, signal: str, call: str, extra: tuple[str, ...], step: int
) -> None:
    """Stopped as an epoch ends (4 batches an epoch; the probe is 3 calls, so call 11 is step
    8, the last of epoch 2), at the run's last step, or with passes cut short: the resumed
    group validates each epoch once, keeps what it validated before, and draws the data it
    would have drawn (the next shuffle, or the next fresh pass)."""
    plugins = toy_paper(
        tmp_path / "plugins",
        SIGNAL_MODULE + VALIDATES + VALIDATING_SIGNALS,
        "SignalsAndValidates",
        EPOCH_END_DATA,
        data,
    )
    sweep = (
        "sweep", "paper=toy", "experiment=small", "seeds=2", "seeds_together=true",
        "checkpoint.every_s=0", "logger=csv",
        *(extra if any("max_steps" in e for e in extra) else (*extra, "trainer.max_steps=16")),
    )  # fmt: skip
    env = {"REPRO_PAPERS_PATH": str(plugins)}

    def results(folder: Path) -> dict[str, tuple[dict, str]]:
        return {
            p.parent.name: (json.loads(p.read_text())["metrics"], _curves(p.parent))
            for p in folder.rglob("record.json")
        }

    straight = repro(*sweep, env={**env, "REPRO_RESULTS_DIR": str(tmp_path / "straight")})
    assert straight.returncode == 0, straight.stderr
    cut = {**env, "REPRO_RESULTS_DIR": str(tmp_path / "cut")}
    stopped = repro(
        *sweep, env={**cut, "REPRO_TEST_SIGNAL": signal, "REPRO_TEST_SIGNAL_AT_CALL": call}
    )
    assert stopped.returncode == (-9 if signal == "SIGKILL" else 143)
    again = repro(*sweep, env=cut)
    assert again.returncode == 0, again.stderr
    assert f"resuming the group from step {step}" in again.stderr
    resumed, uninterrupted = results(tmp_path / "cut"), results(tmp_path / "straight")
    assert set(resumed) == set(uninterrupted) == {"seed0", "seed1"}
    for seed, (values, curves) in uninterrupted.items():
        assert resumed[seed][0] == pytest.approx(values, abs=1e-6), seed
        assert _rows(resumed[seed][1]) == _rows(curves), seed


def _curves(folder: Path) -> str:
    return (folder / "csv" / "metrics.csv").read_text()


def _rows(curves: str) -> list[tuple[str, str]]:
    """(epoch, step) of each CSV row: which epochs were validated, and when."""
    return [tuple(line.split(",")[:2]) for line in curves.splitlines()[1:]]


SIGNAL_IN_TEST = """

import os
import signal


class SignalsWhileTested(ToyModule):
    sent = False

    def test_step(self, batch, batch_idx):
        if os.environ.get("REPRO_TEST_SIGNAL") and not type(self).sent:
            type(self).sent = True
            os.kill(os.getpid(), getattr(signal, os.environ["REPRO_TEST_SIGNAL"]))
        return super().test_step(batch, batch_idx)
"""


@pytest.mark.parametrize(("name", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_stop_while_the_seeds_are_tested_is_honoured(
    tmp_path: Path, name: str, code: int
) -> None:
    """Ctrl-C or SIGTERM (preemption) after training, while Lightning tests the first seed:
    that seed's test ends and it is recorded completed, the next is interrupted (none stays
    `running`, none is tested after the stop), the sweep stops with the signal's exit code;
    the next sweep finishes the rest."""
    plugins = toy_paper(tmp_path / "plugins", SIGNAL_IN_TEST, "SignalsWhileTested")
    sweep = ("sweep", "paper=toy", "experiment=small,wide", "seeds=2", "seeds_together=true")
    env = {"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(tmp_path / "r")}
    stopped = repro(*sweep, "logger=none", env={**env, "REPRO_TEST_SIGNAL": name})
    assert stopped.returncode == code, (stopped.stdout, stopped.stderr)
    assert "Traceback" not in stopped.stderr
    assert f"error: interrupted by {name}" in stopped.stderr
    records = sorted((tmp_path / "r").rglob("record.json"))
    statuses = [json.loads(p.read_text())["status"] for p in records]
    assert statuses == ["completed", "interrupted"]  # small only: wide never started
    again = repro(*sweep, "logger=none", env=env)
    assert again.returncode == 0, again.stderr
    # small's seed 1, trained before the stop, is only tested: said so, not `trained`
    assert "3 to run (1 only to test), 1 already completed" in again.stdout, again.stdout
    assert "2 trained, 1 already completed" in again.stdout, again.stdout
    assert again.stdout.rstrip().endswith(", 1 tested only"), again.stdout


STOP_THEN_NOT_TOGETHER = """

import os
import signal


class StoppedWhileValidating(NumpyInTheStep):
    # SIGTERM (preemption) while the group validates; the pass-end check then finds the
    # numpy draws of its step, so the seeds cannot go on together either
    def validation_step(self, batch, batch_idx):
        if os.environ.get("REPRO_TEST_SIGNAL") == "SIGTERM":
            os.environ["REPRO_TEST_SIGNAL"] = "sent"
            os.kill(os.getpid(), signal.SIGTERM)
        x, y = batch
        self.log("val/mse", nn.functional.mse_loss(self.net(x).squeeze(-1), y))
"""


def test_a_stop_is_honoured_when_the_seeds_then_cannot_go_on_together(tmp_path: Path) -> None:
    """The stop wins: every seed interrupted, exit 143 (it was lost: the seeds retrained
    alone and the sweep exited 0); no group checkpoint is left for a group that cannot be."""
    plugins = toy_paper(
        tmp_path / "plugins",
        VALIDATES + STOP_THEN_NOT_TOGETHER,
        "StoppedWhileValidating",
        STREAMS,
        "TorchLoaders",
    )
    sweep = ("sweep", "paper=toy", "experiment=small", "seeds=2", "seeds_together=true")
    env = {"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(tmp_path / "r")}
    stopped = repro(*sweep, "logger=csv", env={**env, "REPRO_TEST_SIGNAL": "SIGTERM"})
    assert stopped.returncode == 143, (stopped.stdout, stopped.stderr)
    records = sorted((tmp_path / "r").rglob("record*.json"))
    assert [json.loads(p.read_text())["status"] for p in records] == ["interrupted"] * 2
    assert not list((tmp_path / "r").rglob("together.ckpt"))
    again = repro(*sweep, "logger=csv", env=env)
    assert again.returncode == 0, again.stderr
    assert "seeds together: off" in again.stdout and "2 trained" in again.stdout


def test_seeds_sent_to_train_alone_leave_no_group_checkpoint(tmp_path: Path) -> None:
    """A whole pass trained and saved together, then the pass-end check sends the seeds to
    train alone: the group's checkpoint goes (it stayed, and a later rerun spoke of it)."""
    plugins = toy_paper(tmp_path / "plugins", VALIDATES, "NumpyInTheStep")
    sweep = ("sweep", "paper=toy", "experiment=small", "seeds=2", "seeds_together=true")
    env = {"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(tmp_path / "r")}
    done = repro(*sweep, "checkpoint.every_s=0", "logger=csv", env=env)
    assert done.returncode == 0, done.stderr
    assert "seeds together: off" in done.stdout
    assert not list((tmp_path / "r").rglob("together.ckpt"))


RAGGED = '''

class RaggedData(ToyData):
    """Seed s's batches carry s % 3 extra columns of zeros: the seeds' shapes differ, as
    set sizes drawn per batch differ."""

    def __init__(self, features, samples):
        super().__init__(features, samples)
        extra = torch.initial_seed() % 3
        self.x = torch.cat([self.x, torch.zeros(samples, extra)], dim=1)

    def val_dataloader(self):
        return InMemoryBatches(self.x, self.y, 64)


class DictBatches:
    def __init__(self, inner):
        self.inner = inner

    def __len__(self):
        return len(self.inner)

    def __iter__(self):
        for x, y in self.inner:
            yield {"x": x, "y": y}


class DictRaggedData(RaggedData):
    def train_dataloader(self):
        return DictBatches(InMemoryBatches(self.x, self.y, 16))

    def val_dataloader(self):
        return DictBatches(InMemoryBatches(self.x, self.y, 64))

    def test_dataloader(self):
        return DictBatches(InMemoryBatches(self.x, self.y, 64))


class RowsData(ToyData):
    """Seed s validates on 64 + 8 s sets in batches of 48: its last batch has 16 + 8 s rows."""

    def val_dataloader(self):
        n = 64 + 8 * (torch.initial_seed() % 3)
        x = torch.randn(n, self.x.shape[1], generator=torch.Generator().manual_seed(5))
        return InMemoryBatches(x, x.sum(-1) * 1.5, 48)
'''

ALIGNING = '''

class Ragged(ToyModule):
    """Predicts from the first `features` columns plus the sum of any others (zeros alone)."""

    def __init__(self, features, **kwargs):
        super().__init__(features, **kwargs)
        self.features = features

    def _mse(self, batch):
        x, y = batch
        prediction = self.net(x[..., : self.features]).squeeze(-1) + x[..., self.features :].sum(-1)
        return nn.functional.mse_loss(prediction, y)

    def training_step(self, batch, batch_idx):
        loss = self._mse(batch)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        self.log("val/mse", self._mse(batch))

    def test_step(self, batch, batch_idx):
        self.log("test/mse", self._mse(batch))


def _pad(batches, value):
    width = max(x.shape[-1] for x, _ in batches)
    return [
        (nn.functional.pad(x, (0, width - x.shape[-1]), value=value), y) for x, y in batches
    ]


class PadsZeros(Ragged):
    def align_seed_batches(self, batches):
        return _pad(batches, 0.0)


class PadsOnes(Ragged):  # changes each seed's loss
    def align_seed_batches(self, batches):
        return _pad(batches, 1.0)


class PadsOnesInValidation(Ragged):  # right for training batches (16 rows), not validation's
    def align_seed_batches(self, batches):
        return _pad(batches, 1.0 if batches[0][0].shape[0] == 64 else 0.0)


class DropsOne(Ragged):
    def align_seed_batches(self, batches):
        return _pad(batches, 0.0)[1:]


class LeavesThemRagged(Ragged):
    def align_seed_batches(self, batches):
        return batches


class Fails(Ragged):
    def align_seed_batches(self, batches):
        raise ValueError("cannot pad these")


class DictPadsOnesInPlace(Ragged):
    """Writes the padding (wrong: ones) into each seed's own dict: the seeds' references."""

    def _mse(self, batch):
        return super()._mse((batch["x"], batch["y"]))

    def align_seed_batches(self, batches):
        width = max(b["x"].shape[-1] for b in batches)
        for b in batches:
            b["x"] = nn.functional.pad(b["x"], (0, width - b["x"].shape[-1]), value=1.0)
        return batches


class DictPadsZerosInPlace(DictPadsOnesInPlace):
    """Right, and written the natural way: into the dicts it is given (copies)."""

    def align_seed_batches(self, batches):
        width = max(b["x"].shape[-1] for b in batches)
        for b in batches:
            b["x"] = nn.functional.pad(b["x"], (0, width - b["x"].shape[-1]))
        return batches


class ScalesTheDataInPlace(PadsZeros):
    """Doubles the targets it is given, where no version counter sees it: on a loader's own
    tensors this would corrupt the data set for every later epoch."""

    def align_seed_batches(self, batches):
        for _, y in batches:
            y.data.mul_(2.0)
        return super().align_seed_batches(batches)


class WrongFromThirdCall(Ragged):
    calls = 0

    def align_seed_batches(self, batches):
        type(self).calls += 1
        return _pad(batches, 1.0 if type(self).calls >= 3 else 0.0)


class LogsOverPadding(PadsZeros):
    def training_step(self, batch, batch_idx):
        self.log("train/x_mean", batch[0].mean())  # counts the padding's zeros
        return super().training_step(batch, batch_idx)


class RowMasked(Ragged):
    """Pads the batch dimension: seeds' validation batches differ in rows."""

    def _mse(self, batch):
        x, y, *mask = batch
        error = (self.net(x).squeeze(-1) - y) ** 2
        if not mask:
            return error.mean()
        kept = mask[0].to(error.dtype)
        return (error * kept).sum() / kept.sum()

    def align_seed_batches(self, batches):
        rows = max(x.shape[0] for x, _ in batches)
        aligned = []
        for x, y in batches:
            mask = torch.zeros(rows, dtype=torch.bool)
            mask[: x.shape[0]] = True
            pad = rows - x.shape[0]
            x, y = nn.functional.pad(x, (0, 0, 0, pad)), nn.functional.pad(y, (0, pad))
            aligned.append((x, y, mask))
        return aligned


class RowMaskedExplicit(RowMasked):
    def validation_step(self, batch, batch_idx):
        self.log("val/mse", self._mse(batch), batch_size=len(batch[0]))  # padded under vmap
'''


@pytest.mark.parametrize(
    ("model", "data"), [("PadsZeros", "RaggedData"), ("DictPadsZerosInPlace", "DictRaggedData")]
)
def test_seeds_whose_batches_differ_in_shape_train_together_once_aligned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str, data: str
) -> None:
    """align_seed_batches makes the seeds' batches one shape (training and validation), in
    new batches or in the copies it is given; each seed ends where it would alone."""
    plugins = toy_paper(tmp_path / "p", ALIGNING, model, RAGGED, data)
    together, alone = both(tmp_path, plugins)
    assert " together on cpu" in capsys.readouterr().out
    assert_same(together, alone)
    assert "val/mse" in together[1].metrics
    assert record(together[1])["together"]["seeds"] == [0, 1]


ALIGNED = "on batches align_seed_batches made computes other"


@pytest.mark.parametrize(
    ("model", "data", "why"),
    [
        ("Ragged", "RaggedData", "the seeds' batches differ in shape"),
        ("PadsOnes", "RaggedData", f"the vectorized training step {ALIGNED} losses"),
        (
            "PadsOnesInValidation",
            "RaggedData",
            f"the vectorized validation step {ALIGNED} val/mse values than each seed alone",
        ),
        ("DropsOne", "RaggedData", "align_seed_batches returned 1 batches for 2"),
        (
            "LeavesThemRagged",
            "RaggedData",
            "align_seed_batches did not make them one shape: the seeds' batches",
        ),
        ("Fails", "RaggedData", "align_seed_batches failed (ValueError: cannot pad these)"),
        ("DictPadsOnesInPlace", "DictRaggedData", f"the vectorized training step {ALIGNED} losses"),
        ("ScalesTheDataInPlace", "RaggedData", f"the vectorized training step {ALIGNED} losses"),
        (
            "RowMaskedExplicit",
            "RowsData",
            "the vectorized validation step on batches align_seed_batches made logs with another",
        ),
        ("WrongFromThirdCall", "RaggedData", f"the vectorized training step {ALIGNED} losses"),
        (
            "LogsOverPadding",
            "RaggedData",
            f"the vectorized training step {ALIGNED} train/x_mean values",
        ),
    ],
)
def test_seeds_whose_batches_are_not_aligned_faithfully_train_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str, data: str, why: str
) -> None:
    """No hook, or one that changes what a seed computes or logs, or its batch size
    (checked at its 1st, 2nd, 4th, ... call and first shapes, in training and validation),
    or returns what cannot be stacked: each seed trains alone, with the reason, and its
    record is what it would be alone (a hook that changed its input changed copies: the
    loaders' data is intact)."""
    plugins = toy_paper(tmp_path / "p", ALIGNING, model, RAGGED, data)
    together, alone = both(tmp_path, plugins)
    assert f"seeds together: off for toy/small: {why}" in capsys.readouterr().out
    assert_same(together, alone, tolerance=0.0)
    assert "together" not in record(together[0])


def test_batches_drawn_on_the_cpu_go_to_a_gpu_without_waiting_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """set_transformer and perm_optim draw each step's batches on the CPU. A blocking copy to
    the GPU waits for every step queued before it (torch synchronizes the stream after a
    blocking host-to-device copy), so the CPU could not queue step k+1 while the GPU ran step
    k. Each seed's tensors are copied asynchronously, as Lightning copies a batch alone.
    (Checked here through the call torch receives: no GPU in tests.)"""
    import torch

    from repro.running import seed_group

    calls = []

    def to(self, *args, **kwargs):
        calls.append((args, kwargs))
        return self

    monkeypatch.setattr(torch.Tensor, "to", to)
    batch = (torch.zeros(2, 3), torch.zeros(2), {"mask": torch.ones(2, dtype=torch.bool)})
    seed_group._to(batch, torch.device("cuda", 0))
    assert len(calls) == 3
    for args, kwargs in calls:
        assert args == (torch.device("cuda", 0),) and kwargs == {"non_blocking": True}
    calls.clear()
    seed_group._to(batch, torch.device("cpu"))  # on the CPU nothing is asynchronous
    assert all(kwargs.get("non_blocking") in (None, False) for _, kwargs in calls)


def test_seeds_whose_batches_differ_in_rows_are_weighed_by_their_own_sizes(
    tmp_path: Path,
) -> None:
    """Validation means weigh each batch by its size, as Lightning does: each seed's own
    (its last batch has 16 or 24 rows), not the padded one nor another seed's."""
    plugins = toy_paper(tmp_path / "p", ALIGNING, "RowMasked", RAGGED, "RowsData")
    together, alone = both(tmp_path, plugins)
    assert_same(together, alone)
    assert record(together[1])["together"]["aligned_steps"] == 0  # training batches: one shape


def test_records_say_how_many_steps_were_aligned(tmp_path: Path) -> None:
    plugins = toy_paper(tmp_path / "p", ALIGNING, "PadsZeros", RAGGED, "RaggedData")
    together, _ = both(tmp_path, plugins)
    for outcome in together:
        grouped = record(outcome)["together"]
        assert grouped["aligned_steps"] == 20  # every step: 4 against 5 columns
        # checked at training calls 1, 2, 4, 8, 16 and validation calls 1, 2, 4 (5 epochs)
        assert grouped["aligned_checks"] == 8


def test_aligned_checks_allow_rounding_not_errors() -> None:
    """On trained weights padding rounds a loss otherwise (SAB + PMA with a correct hook:
    1.3e-5 relative over 8 seeds x 4,000 steps, 1.6e-5 after a resume): an aligned step is
    checked to 1e-3, the first step of any group to 1e-5."""
    import torch

    from repro.running.seed_group import ALIGNED_RTOL, _differs

    together = (torch.tensor([2.0, 3.0]), {"train/mae": torch.tensor([2.0, 3.0])})

    def alone(error: float) -> list:
        return [(torch.tensor(v * (1 + error)), {"train/mae": torch.tensor(v)}) for v in (2, 3)]

    assert _differs(together, alone(1.3e-5), ALIGNED_RTOL) is None
    assert _differs(together, alone(1.3e-5)) == "losses"
    assert _differs(together, alone(5e-3), ALIGNED_RTOL) == "losses"
    wrong_log = [(loss, {"train/mae": v + 0.01}) for loss, v in [(t, t) for t, _ in alone(0)]]
    assert _differs(together, wrong_log, ALIGNED_RTOL) == "train/mae values"


NAMED_DATA = """

class NamedBatches(DictBatches):  # RAGGED's
    def __iter__(self):
        for x, y in self.inner:
            yield {"x": x, "y": y, "meta": {"name": "b", "n": len(x)}}


class NamedData(ToyData):
    def train_dataloader(self):
        return NamedBatches(InMemoryBatches(self.x, self.y, 16))
"""

READS_NAMED = """

class ReadsNamed(ToyModule):
    def training_step(self, batch, batch_idx):
        return super().training_step((batch["x"], batch["y"]), batch_idx)
"""


def test_batches_with_values_that_are_not_tensors_train_each_seed_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A string in a batch cannot be stacked: each seed trains alone, as it can (before:
    every seed failed with the TypeError)."""
    plugins = toy_paper(tmp_path / "p", READS_NAMED, "ReadsNamed", RAGGED + NAMED_DATA, "NamedData")
    together, alone = both(tmp_path, plugins)
    assert "the seeds' batches hold values that are not tensors" in capsys.readouterr().out
    assert_same(together, alone, tolerance=0.0)


def test_a_null_max_epochs_reads_as_lightnings_trainer_reads_it() -> None:
    """`trainer.max_epochs=null` with max_steps set is one setting with `-1` (the config
    hash), as Lightning resolves it: a step reading `self.trainer.max_epochs` got None
    together where a seed alone gets -1 (`int(None)` failed the group's seeds)."""
    import lightning.pytorch as pl
    from lightning.pytorch.loops.utilities import _parse_loop_limits

    from repro.running.seed_group import TrainerView

    alone = pl.Trainer(accelerator="cpu", max_steps=20, logger=False, enable_checkpointing=False)
    _, fitting = _parse_loop_limits(None, 20, None, None, alone)  # what fit() sets
    view = TrainerView({"max_epochs": None, "max_steps": 20}, 10)
    assert view.max_epochs == fitting == -1


INFERENCE = """

class SaysItsMode(ToyModule):
    def test_step(self, batch, batch_idx):
        super().test_step(batch, batch_idx)
        self.log("test/inference_mode", float(torch.is_inference_mode_enabled()))
"""


def test_a_null_inference_mode_tests_as_alone(tmp_path: Path) -> None:
    """`+trainer.inference_mode=null` is Lightning's default, True (the hash's reading, and a
    seed alone's: null arguments are left out), yet seeds together were tested with None,
    Lightning's no_grad: a test step that needs autograd passed together, failed alone."""
    plugins = toy_paper(tmp_path / "plugins", INFERENCE, "SaysItsMode")
    together, alone = both(tmp_path, plugins, "trainer.max_steps=4", "+trainer.inference_mode=null")
    assert all("together" in record(outcome) for outcome in together)
    assert_same(together, alone)
    assert alone[0].metrics["test/inference_mode"] == 1.0


def test_a_test_limit_fraction_keeps_seeds_of_a_conventional_data_module_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The group's early look at the test loader called setup('test') before setup('fit'):
    a data module whose test set needs what setup('fit') measured failed to build, and its
    seeds left the group, to fail alone."""
    from tests.running.test_training import conventional_paper

    conventional_paper(tmp_path / "plugins")
    (tmp_path / "data").mkdir()
    grouped = configs(
        "toy", "small", [0, 1], tmp_path / "results", "trainer.max_steps=6",
        "data.samples=256", f"+data.folder={tmp_path / 'data'}", "trainer.limit_test_batches=0.5",
        papers=[tmp_path / "plugins"],
    )  # fmt: skip
    together = run_together(grouped, [["repro", "run"]] * 2)
    assert "seeds together: off" not in capsys.readouterr().out
    assert [outcome.status for outcome in together] == ["completed"] * 2
    assert all("together" in record(outcome) for outcome in together)


# A vmap error whose first line (one line) names its remedy past the 160th character.
LONG_VMAP_ERROR = (
    "vmap: inplace arithmetic(self, *extra_args) is not possible because there exists a "
    "Tensor `other` in extra_args that has more elements than `self`. This happened due to "
    "`other` being vmapped over but `self` not being vmapped over in a vmap. Please try to "
    "use out-of-place operators instead of inplace arithmetic."
)


def test_why_a_step_does_not_vectorize_keeps_the_whole_first_line_of_its_error() -> None:
    """The reason `seeds together: off for ...` shows was cut at 160 characters: torch's
    vmap error lost its remedy (use out-of-place operators), a long path its real message."""
    from repro.running.seed_group import _vectorizingbatch_limit

    why = _vectorizingbatch_limit(RuntimeError(LONG_VMAP_ERROR + "\nsecond line"))
    assert why == f"the training step does not vectorize (RuntimeError: {LONG_VMAP_ERROR})"


def test_why_align_seed_batches_failed_keeps_the_whole_first_line_of_its_error() -> None:
    from types import SimpleNamespace

    import torch

    from repro.running.seed_group import SeedGroup
    from repro.running.seed_rules import NotTogether

    message = f"cannot read /{'very/' * 40}long/sizes.json: it holds no set sizes"

    def align(batches):
        raise ValueError(message)

    group = SimpleNamespace(base=SimpleNamespace(align_seed_batches=align))
    batches = [(torch.zeros(2, 3),), (torch.zeros(2, 4),)]
    with pytest.raises(NotTogether) as caught:
        SeedGroup.aligned(group, batches)
    assert str(caught.value) == f"align_seed_batches failed (ValueError: {message})"


def test_why_the_probe_found_a_step_that_does_not_vectorize_keeps_its_whole_first_line() -> None:
    from types import SimpleNamespace

    import torch
    from torch import nn

    from repro.running.seed_group import SeedGroup, _Hook
    from repro.running.seed_rules import NotTogether

    base = nn.Linear(1, 1)

    def step(*args):
        raise RuntimeError(LONG_VMAP_ERROR)

    step.hook = _Hook(base, "training_step")
    group = SimpleNamespace(base=base, params={}, buffers={}, _vmapped=lambda hook: step)
    batches = [(torch.zeros(2, 1),), (torch.zeros(2, 1),)]
    with pytest.raises(NotTogether) as caught:
        SeedGroup.probe(group, batches)
    assert str(caught.value) == (
        f"the training step does not vectorize (RuntimeError: {LONG_VMAP_ERROR})"
    )
