"""Train and test one paper setting with Lightning; returns what the run record needs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repro.errors import ReproError, UsageError
from repro.plugins.paper_spec import PaperSpec
from repro.plugins.registry import PaperPlugin, plugin_classes
from repro.records import store


@dataclass
class TrainingResult:
    metrics: dict[str, float]
    timing: dict[str, Any]
    parameters: int
    dataset_sizes: dict[str, int] = field(default_factory=dict)
    device: str = "cpu"
    world_size: int = 1  # processes (DDP ranks) that trained it


def build_module_and_data(cfg: dict[str, Any], plugin: PaperPlugin, spec: PaperSpec) -> tuple:
    """Instantiate the plugin's LightningModule and LightningDataModule from the config."""
    module_cls, data_cls = plugin_classes(plugin, spec)
    model_args = dict(cfg.get("model") or {})
    if "optimizer" in cfg:
        model_args["optimizer"] = dict(cfg["optimizer"] or {})
    module, datamodule = module_cls(**model_args), data_cls(**dict(cfg.get("data") or {}))
    refuse_clashing_hparams(module, datamodule, cfg)
    require_test_half(module, datamodule, spec)
    return module, datamodule


def require_test_half(module: Any, datamodule: Any, spec: PaperSpec) -> None:
    """A run's result is its test: Lightning finds a missing `test_step` or `test_dataloader`
    only at `trainer.test`, after the whole training. Refused before it, `repro check` too."""
    import lightning.pytorch as pl
    from lightning.pytorch.utilities.model_helpers import is_overridden

    # a function named as module:/datamodule: may give anything: Lightning's is_overridden
    # then says only 'Expected a parent'
    for name, built, kind in (
        (spec.module, module, pl.LightningModule),
        (spec.datamodule, datamodule, pl.LightningDataModule),
    ):
        if not isinstance(built, kind):
            raise UsageError(f"{name} gave a {type(built).__name__}, not a {kind.__name__}")
    if not is_overridden("test_step", module):
        raise UsageError(
            f"{spec.module} defines no test_step, where the module logs the metrics the claims "
            f"name: add it ({TEMPLATE_HINT})"
        )
    # the data module's own: Lightning, given one, never asks the module for its loader
    if not is_overridden("test_dataloader", datamodule) and not _assigns(
        datamodule, "test_dataloader", pl.LightningDataModule
    ):
        raise UsageError(
            f"{spec.datamodule} defines no test_dataloader, the data a run is tested on: add it "
            f"({TEMPLATE_HINT})"
        )


# where a plugin author sees a working one; docs/ ships with the checkout, not the wheel
TEMPLATE_HINT = "`repro new <id>` writes a plugin that has one, to copy from"


def _assigns(instance: Any, name: str, base: type) -> bool:
    """Whether code of `instance`'s own classes (not `base`'s) names `name`, as
    `self.test_dataloader = ...` in `setup` does: Lightning looks the loader up after
    `setup`, so a data module without the method may still have it when it is asked."""
    import types

    for cls in type(instance).__mro__:
        if cls is base or issubclass(base, cls):
            continue
        for value in vars(cls).values():
            function = getattr(value, "__func__", value)  # staticmethod, classmethod
            code = getattr(function, "__code__", None)
            if isinstance(code, types.CodeType) and _names(code, name):
                return True
    return False


def _names(code: Any, name: str) -> bool:
    """`name` among a code object's attribute names, its nested functions' included."""
    import types

    return name in code.co_names or any(
        _names(const, name) for const in code.co_consts if isinstance(const, types.CodeType)
    )


def refuse_clashing_hparams(module: Any, datamodule: Any, cfg: dict[str, Any]) -> None:
    """A key both classes save with `save_hyperparameters()` must have one value: Lightning
    refuses it when it logs hyperparameters (every run with a logger), as a RuntimeError that
    names no config key. Checked for every run, so `repro check` (no loggers) says so too."""
    if not (
        getattr(module, "_log_hyperparams", False)
        and getattr(datamodule, "_log_hyperparams", False)
    ):
        return
    ours, theirs = dict(module.hparams_initial), dict(datamodule.hparams_initial)
    clashes = []
    for key in sorted(ours.keys() & theirs.keys() - {"_class_path"}):
        a, b = ours[key], theirs[key]
        try:
            same = type(a) is type(b) and bool(a == b)
        except Exception:  # a tensor or array: Lightning compares them by identity
            same = a is b
        if not same:
            clashes.append((key, a, b))
    if not clashes:
        return
    model_cfg, data_cfg = dict(cfg.get("model") or {}), dict(cfg.get("data") or {})
    values = "; ".join(
        f"model.{k}={_shown(a)} but data.{k}={_shown(b)}"
        if k in model_cfg and k in data_cfg
        else f"the module's {k}={_shown(a)} but the data module's {k}={_shown(b)}"
        for k, a, b in clashes
    )
    names = ", ".join(repr(k) for k, _, _ in clashes)
    both = " ".join(f"model.{k}={_shown(a)} data.{k}={_shown(a)}" for k, a, _ in clashes)
    raise UsageError(
        f"{values}: the module and the data module both save {names} with "
        f"save_hyperparameters(), and Lightning refuses two values of one key; set both "
        f"({both}), or leave it out of one save_hyperparameters(ignore=[...])"
    )


def _shown(value: Any) -> str:
    """A value as an override writes it: text unquoted."""
    return value if isinstance(value, str) else repr(value)


def seed_everything(seed: int) -> None:
    """Seed python, numpy, torch (all devices) and dataloader workers."""
    import lightning.pytorch as pl
    import torch

    pl.seed_everything(seed, workers=True, verbose=False)
    torch.use_deterministic_algorithms(True, warn_only=True)


def quiet_lightning() -> None:
    """Keep Lightning's banner, tips and known-harmless warnings off the user's terminal."""
    import logging
    import warnings

    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for pattern in (
        ".*does not have many workers.*",
        ".*isinstance\\(treespec, LeafSpec\\).*",
        ".*is an invalid directory.*",
        ".*LeafSpec.*",
        ".*smaller than the logging interval.*",  # logging counts steps across epochs
        ".*on epoch level in distributed setting.*",  # repro reduces test metrics itself
        ".*Previous log files in this directory will be deleted.*",  # repro sets them aside
        ".*configure_optimizers` returned `None`.*",  # UntrainedGuard fails it with trainables
    ):
        warnings.filterwarnings("ignore", message=pattern)


NULL_MEANS_SOMETHING = frozenset({"check_val_every_n_epoch"})
"""Trainer arguments whose null is not Lightning's default: check_val_every_n_epoch=null counts
`val_check_interval` batches across epochs (its default, 1, counts within each epoch)."""


def _scalar_metrics(raw: dict[str, Any]) -> dict[str, float]:
    """Logged values as floats, as measured: a loss that overflowed stays inf (a record of
    NaN would say the metric was undefined); reports drop and count either as non-finite."""
    return {
        key: float(value.item() if hasattr(value, "item") else value) for key, value in raw.items()
    }


def _every_dataloader(tested: list[dict[str, Any]]) -> dict[str, Any]:
    """All test dataloaders' metrics: `trainer.test` returns one dict per dataloader (keys
    suffixed `/dataloader_idx_N` when there are several), and dropping any would hide them."""
    merged: dict[str, Any] = {}
    for per_loader in tested or []:
        merged.update(per_loader)
    return merged


def step_only_test_metrics(logged: dict[str, Any], tested: list[dict[str, Any]]) -> list[str]:
    """Test metrics logged per batch only (`self.log(..., on_step=True, on_epoch=False)` in
    `test_step`): Lightning's `trainer.test` returns epoch values alone, so they never reach
    the record. `logged`: the trainer's `logged_metrics` after testing (testing resets it),
    which holds each one's last batch value; the `_step` half of a metric logged both ways
    (its `_epoch` half is kept) is not one of them."""
    kept = set(_every_dataloader(tested))
    dropped = []
    for key in logged:
        name, loader, index = key.partition("/dataloader_idx_")
        epoch_half = f"{name.removesuffix('_step')}_epoch{loader}{index}"
        if key not in kept and not (name.endswith("_step") and epoch_half in kept):
            dropped.append(key)
    return sorted(dropped)


def warn_step_only_test_metrics(trainer: Any, tested: list[dict[str, Any]]) -> None:
    """One warning naming the test metrics the record cannot keep, and how to log them: a
    claim's metric missing for no visible reason cost plugin authors a search."""
    import sys

    dropped = step_only_test_metrics(dict(trainer.logged_metrics), tested)
    if dropped:
        print(
            f"warning: test_step logged {', '.join(dropped)} per batch only (on_step=True, "
            "on_epoch=False): no test result keeps a per-batch value, so the record has none; "
            "log test metrics with on_epoch=True (test_step's default) for their mean over "
            "the test set",
            file=sys.stderr,
            flush=True,
        )


class TrainingFellShort(ReproError):
    """Fitting ended without training the configured run: zero steps, steps that changed no
    weight (no optimizer, no loss), or short of its end with no reason to show for it. Its
    weights are not the run's, so it is no result."""


class Untrained(TrainingFellShort):
    """The fit changed no weight (zero steps, no optimizer, no loss): what its end saved is
    the untrained weights, which a rerun must not resume as training (`runner._train`)."""


class NothingTested(ReproError):
    """The test pass evaluated no batch: the run's result is its test metrics, so a record
    without them says nothing about the paper, whatever training did."""


def _configured_end(max_steps: int, max_epochs: int) -> str:
    """`trainer.max_steps=N, trainer.max_epochs=E`: the bounds that are set (> 0)."""
    bounds = [
        f"trainer.{name}={value}"
        for name, value in (("max_steps", max_steps), ("max_epochs", max_epochs))
        if value and value > 0
    ]
    return ", ".join(bounds) or "no bound"


def _zero_steps(max_steps: int, max_epochs: int, why: str) -> TrainingFellShort:
    return Untrained(
        f"trained zero steps of {_configured_end(max_steps, max_epochs)}: {why}; "
        "a record of untrained weights would say nothing about the paper"
    )


NO_BATCHES = "the train dataloader gave no batches (check the data module's filtering and paths)"
UNTRAINED = "a record of untrained weights would say nothing about the paper"
NO_TEST_BATCHES = (
    "the test dataloader gave no batches, so the run has no result (check the data module's "
    "test split, filtering and paths)"
)


def fit_end(
    steps: int,
    epochs: int,
    max_steps: int,
    max_epochs: int,
    should_stop: bool,
    out_of_time: bool,
    batches: float,
) -> str:
    """Why fitting ended, for the record: `max_steps` or `max_epochs` (the configured end;
    with both set, whichever came first), `max_time`, or `early stopping` (a callback or the
    module set `trainer.should_stop`). Raises TrainingFellShort for a fit that trained zero
    steps, whatever ended it, or that ended short of its bounds for none of these reasons.
    `steps` and `epochs` count from the run's start (a resumed run's checkpoint included), so
    a run resumed at its end ended by its bound; `batches` is the train loader's length."""
    if steps <= 0:
        why = NO_BATCHES if batches == 0 else "fitting ended before the first optimiser step"
        raise _zero_steps(max_steps, max_epochs, why)
    if max_steps > 0 and steps >= max_steps:
        return "max_steps"
    if max_epochs > 0 and epochs >= max_epochs:
        return "max_epochs"
    if out_of_time:
        return "max_time"
    if should_stop:
        return "early stopping"
    raise TrainingFellShort(
        f"training stopped at step {steps} of {_configured_end(max_steps, max_epochs)} "
        f"(after {epochs} epochs) for no recorded reason (not early stopping, not max_time): "
        "its weights are not the configured run's"
    )


def _fit_end(trainer: Any) -> str:
    """`fit_end` of a Trainer whose `fit` has returned."""
    from lightning.pytorch.callbacks import Timer

    timers = [c for c in trainer.callbacks if isinstance(c, Timer)]
    out_of_time = any((left := t.time_remaining()) is not None and left <= 0 for t in timers)
    return fit_end(
        steps=trainer.global_step,
        epochs=trainer.fit_loop.epoch_progress.current.processed,
        max_steps=trainer.max_steps,
        max_epochs=trainer.max_epochs if trainer.max_epochs is not None else -1,
        should_stop=bool(trainer.should_stop),
        out_of_time=out_of_time,
        batches=trainer.num_training_batches,
    )


def _empty_epoch_guard(resumed: bool) -> Any:
    """A callback that stops fitting at an epoch that gave no batch. A train loader without a
    length that yields nothing makes Lightning run empty epochs forever when only max_steps
    bounds the run. The first epoch of a resumed fit may be the empty rest of the epoch its
    checkpoint ended."""
    import lightning.pytorch as pl

    class EmptyEpochGuard(pl.Callback):
        def __init__(self) -> None:
            self.batches = 0
            self.may_be_empty = resumed
            self.resumed_at = -1

        def on_train_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
            self.resumed_at = trainer.global_step

        def on_train_batch_start(self, *args: Any) -> None:
            self.batches += 1

        def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
            empty, self.batches = self.batches == 0, 0
            if empty and not self.may_be_empty:
                max_epochs = trainer.max_epochs if trainer.max_epochs is not None else -1
                if trainer.global_step == 0:
                    raise _zero_steps(trainer.max_steps, max_epochs, NO_BATCHES)
                hint = ""
                if resumed and trainer.global_step == self.resumed_at:
                    hint = (  # an older repro saved such checkpoints at validated epoch ends
                        "; resumed from a checkpoint Lightning cannot resume: rerun=true "
                        "starts over"
                    )
                raise TrainingFellShort(
                    f"the train dataloader gave no batches in epoch {trainer.current_epoch} "
                    f"(after {trainer.global_step} steps of "
                    f"{_configured_end(trainer.max_steps, max_epochs)}){hint}"
                )
            self.may_be_empty = False
            if not empty and _epoch_ended_for_no_reason(trainer):
                max_epochs = trainer.max_epochs if trainer.max_epochs is not None else -1
                progress = trainer.fit_loop.epoch_loop.batch_progress.current
                raise TrainingFellShort(
                    f"epoch {trainer.current_epoch} ended after {progress.completed} of its "
                    f"{trainer.num_training_batches} batches, though the loader had more and "
                    "nothing stopped training: a StopIteration out of training_step (a next() "
                    "on an exhausted iterator of the plugin's own) ends Lightning's epoch "
                    "without a word, so each epoch would train part of its data (of "
                    f"{_configured_end(trainer.max_steps, max_epochs)})"
                )

    return EmptyEpochGuard()


def _epoch_ended_for_no_reason(trainer: Any) -> bool:
    """The train epoch just ended before its loader ran out (Lightning's data fetcher not
    done) and before its batch limit, with no stop asked for (`should_stop`) and max_steps
    not reached: what a StopIteration raised inside training_step does, which Lightning's
    epoch loop takes for the epoch's end. `on_train_batch_start` returning -1 (the module's
    documented end of an epoch) marks the last batch, so it is not this."""
    loop = trainer.fit_loop.epoch_loop
    fetcher = getattr(trainer.fit_loop, "_data_fetcher", None)
    if fetcher is None or getattr(fetcher, "done", True) or trainer.should_stop:
        return False
    if 0 < trainer.max_steps <= trainer.global_step:
        return False
    progress = loop.batch_progress
    return not (progress.is_last_batch or progress.current.ready >= trainer.num_training_batches)


def _trainable(module: Any) -> int:
    """How many of the module's parameters an optimizer could change."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _untrained_guard() -> Any:
    """A callback that fails a fit whose steps cannot change the weights, though the module
    has weights to train: Lightning steps a stand-in optimizer when `configure_optimizers`
    returns None, and skips backward and step for a batch whose `training_step` returns no
    loss, and still counts the steps. Some lossless batches are a plugin's way to skip them;
    all of them (automatic optimization only: a manual one returns nothing) is no training.
    A module with nothing to train (a fixed baseline) needs neither optimizer nor loss."""
    import lightning.pytorch as pl

    class UntrainedGuard(pl.Callback):
        def __init__(self) -> None:
            self.batches = 0
            self.lossless = 0
            self.automatic = True

        def on_train_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
            self.automatic = bool(module.automatic_optimization)
            mocked = all(type(o).__name__ == "_MockOptimizer" for o in trainer.optimizers)
            if mocked and (trainable := _trainable(module)):
                raise Untrained(
                    "configure_optimizers returned no optimizer, so training changed none of "
                    f"the module's {trainable} trainable parameters: {UNTRAINED}"
                )

        def on_train_batch_end(
            self, trainer: pl.Trainer, module: Any, outputs: Any, batch: Any, batch_idx: int
        ) -> None:
            if self.automatic and batch is not None:  # a None batch: Lightning skipped it
                self.batches += 1
                self.lossless += not outputs  # Lightning's {} for a step that returned None

        def check(self, module: Any) -> None:
            """Raise if every batch of this fit was lossless (call after `fit`)."""
            if self.batches and self.lossless == self.batches and _trainable(module):
                raise Untrained(
                    f"training_step returned no loss on any of its {self.batches} batches, so "
                    f"no step changed the weights: {UNTRAINED}"
                )

    return UntrainedGuard()


def require_tested(trainer: Any, evaluated: Any) -> None:
    """Raise NothingTested when no rank's test pass evaluated a batch (`evaluated`: the
    EvaluatedSamples callback of that pass); with several ranks every one decides alike."""
    empty = not evaluated.samples
    if trainer.world_size > 1:
        empty = bool(trainer.strategy.reduce_boolean_decision(empty, all=True))
    if empty:
        raise NothingTested(NO_TEST_BATCHES)


def dataset_sizes_of(datamodule: Any) -> dict[str, int]:
    """The data module's `dataset_sizes()` (split -> count) as the record keeps it: whole
    numbers only. Anything else (a tensor, text, None) is left out with one warning, or the
    record and the report's table would show its repr as a count."""
    import numbers
    import sys

    if not hasattr(datamodule, "dataset_sizes"):
        return {}
    from collections.abc import Mapping

    given = datamodule.dataset_sizes()
    items = list(given.items()) if isinstance(given, Mapping) else []
    kept = {
        str(split): int(size)
        for split, size in items
        if isinstance(size, numbers.Real)
        and not isinstance(size, bool)
        and float(size).is_integer()  # 4000.0 is a count too
        and size >= 0
    }
    dropped = [str(split) for split, _ in items if str(split) not in kept]
    if dropped or not isinstance(given, Mapping):
        what = ", ".join(dropped) if dropped else f"{type(given).__name__}, not a mapping"
        print(
            f"warning: dataset_sizes() gave no whole number for {what}: left out of the record "
            "(it returns split -> count, e.g. {'train': 4000})",
            file=sys.stderr,
            flush=True,
        )
    return kept


@contextmanager
def _random_state_kept() -> Iterator[None]:
    """Python's, NumPy's and torch's CPU generators as they were (those seed_everything sets)."""
    import random

    import numpy as np
    import torch

    states = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        try:
            yield
        finally:
            random.setstate(states[0])
            np.random.set_state(states[1])


class LimitOfNoBatches(UsageError):
    """A batch limit refused at fit start, before the first step: the run never started, and
    what its start wrote is taken back (`runner._take_back_refused_start`)."""


def refuse_a_test_limit_of_no_batches(
    cfg: dict[str, Any], datamodule: Any, module: Any = None
) -> None:
    """A fractional `limit_test_batches` (or `limit_val_batches`, where the module validates)
    that leaves no batch of a dataloader (`int(batches * limit) == 0`): Lightning refuses it
    only as the test (the first validation) begins, after the training ran for nothing.
    Told before the first step instead: called once the data module is prepared and set up
    for fitting (`_test_limit_check`, Lightning's order of `prepare_data`, `setup("fit")`,
    `setup("test")`); only such a fraction builds the data early. A look that fails leaves
    the limit to Lightning's own check, as before: the look fails no run itself. A validation
    fraction of no batch is refused even where this run would not reach a validation."""
    from lightning.pytorch.utilities.model_helpers import is_overridden

    trainer = dict(cfg.get("trainer") or {})
    if trainer.get("fast_dev_run"):
        return
    validates = module is None or is_overridden("validation_step", module)
    for key, hook, stage in (
        ("limit_test_batches", "test_dataloader", "test"),
        ("limit_val_batches", "val_dataloader", None),  # set up for fitting already
    ):
        limit = trainer.get(key)
        if not isinstance(limit, float) or not 0 < limit < 1:
            continue
        # the module's own loader, or one never validated on: left to Lightning; under
        # overfit_batches Lightning validates that many training batches instead
        if not is_overridden(hook, datamodule) or (
            stage is None and (not validates or trainer.get("overfit_batches"))
        ):
            continue
        batches = _fewest_batches(datamodule, hook, stage)
        if batches is not None and int(batches * limit) == 0:
            what = "test" if stage else "validation"
            raise LimitOfNoBatches(
                f"trainer.{key}={limit}: no batch of the {batches} {what} "
                f"batch{'es' * (batches != 1)} ({batches} x {limit} < 1)"
                + (", and a run's result is its test" if stage else "")
                + f": a fraction of at least {1 / batches:.3g}, a number of batches, or "
                + ("leave it out" if stage else "trainer.limit_val_batches=0 for no validation")
            )


def _fewest_batches(datamodule: Any, hook: str, stage: str | None) -> int | None:
    """The fewest batches of the data module's `hook` loaders (with a length, not empty),
    built with the random state kept: None where building them fails (Lightning says it
    where it builds them) or none has a length."""
    try:
        with _random_state_kept():  # the training draws what it drew without this look
            if stage:
                datamodule.setup(stage)
                _next_setup_skipped(datamodule, stage)
            loaders = getattr(datamodule, hook)()
    except Exception:  # the test (validation) itself says it, as it did before this look
        return None
    if isinstance(loaders, dict):
        loaders = list(loaders.values())
    lengths = []
    for loader in loaders if isinstance(loaders, (list, tuple)) else [loaders]:
        try:
            lengths.append(len(loader))
        except Exception:  # no length (an iterable): Lightning's own check
            continue
    return min((n for n in lengths if n > 0), default=None)


def _next_setup_skipped(datamodule: Any, stage: str) -> None:
    """The data module's next `setup(stage)` (Lightning's, as the test begins) does nothing:
    the look just ran it, in Lightning's order, and a data module that builds its test set
    there built it twice. Any other call goes through; the skipped one restores `setup`. A
    data module with its own `teardown` is set up again: Lightning tears it down as the fit
    ends, and what that releases (a test set, an open file) the test needs set up anew."""
    from lightning.pytorch.utilities.model_helpers import is_overridden

    if is_overridden("teardown", datamodule):
        return
    own = vars(datamodule).get("setup")  # an instance's own setup, kept as it was
    setup = datamodule.setup

    def once(*args: Any, **kwargs: Any) -> Any:
        asked = kwargs.get("stage", args[0] if args else None)
        if asked != stage:
            return setup(*args, **kwargs)
        if own is None:
            vars(datamodule).pop("setup", None)
        else:
            datamodule.setup = own
        return None

    datamodule.setup = once


def refuse_no_test_loader(datamodule: Any) -> None:
    """A `test_dataloader` that returns None or an empty list (dict) gives no result:
    Lightning says so (a bare TypeError for None) only as the test begins, after the whole
    training. Built here, at fit start, as `_fewest_batches` builds it (the test setup not
    run twice, the random state kept); a look that fails leaves it to the test, as before.
    One assigned in `setup` (`_assigns`) is looked up after `setup("test")`, as Lightning
    looks it up: before, one assigned only for the test stage was left to the test."""
    import lightning.pytorch as pl
    from lightning.pytorch.utilities.model_helpers import is_overridden

    if not is_overridden("test_dataloader", datamodule) and not _assigns(
        datamodule, "test_dataloader", pl.LightningDataModule
    ):
        return  # the module's own, refused by `require_test_half` where it must be
    try:
        with _random_state_kept():
            datamodule.setup("test")
            _next_setup_skipped(datamodule, "test")
            if not is_overridden("test_dataloader", datamodule):
                return  # not assigned for the test either: Lightning's own error, as before
            loaders = datamodule.test_dataloader()
    except Exception:  # the test says it where it builds them, as before this look
        return
    refuse_no_loader(datamodule, "test_dataloader", loaders)


def refuse_no_loader(datamodule: Any, method: str, loaders: Any) -> None:
    """One line naming the plugin file and the method that returned no loader."""
    items = list(loaders.values()) if isinstance(loaders, dict) else loaders
    if isinstance(items, (list, tuple)) and items and all(x is not None for x in items):
        return
    if loaders is not None and not isinstance(loaders, (list, tuple, dict)):
        return
    if isinstance(loaders, (list, tuple, dict)) and loaders:
        what = f"None among its {len(loaders)} loaders"
    elif loaders is None:
        what = "None"
    else:
        what = f"an empty {type(loaders).__name__}"
    raise UsageError(no_loader_message(datamodule, method, what))


def no_loader_message(datamodule: Any, method: str, what: str) -> str:
    kind = {"test_dataloader": "test", "val_dataloader": "validation"}.get(method, "training")
    consequence = {
        "test": "a run's result is its test",
        "validation": "return the validation loader, or leave the method out for none",
        "training": "a run trains on it",
    }[kind]
    return (
        f"{_defined_in(datamodule, method)}: {type(datamodule).__name__}.{method}() "
        f"returned {what}, not a dataloader of the {kind} data ({consequence}; "
        f"{TEMPLATE_HINT})"
    )


def _defined_in(instance: Any, method: str) -> str:
    """The file of the class (of `instance`'s) that defines `method`, or of the function
    assigned to it (in `setup`), shown from the working directory where it lies under it.
    Lightning's own hooks file was named for one assigned in `setup`: the instance's class
    instead, where no source of the assigned value is found."""
    import inspect

    own = vars(instance).get(method) if hasattr(instance, "__dict__") else None
    where = [getattr(own, "__func__", own)] if own is not None else []
    where += [cls for cls in type(instance).__mro__ if method in vars(cls)]
    if own is not None:
        where.insert(1, type(instance))
    for source in where:
        try:
            path = Path(inspect.getsourcefile(source) or "")
        except TypeError:
            continue
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path)
    return type(instance).__module__


INVALID_LOADER = re.compile(
    r"An invalid dataloader was returned from `(\w+)\.(\w+)\(\)`. Found None"
)


def clear_invalid_loader(error: BaseException, datamodule: Any) -> BaseException:
    """Lightning's TypeError for a loader method of the data module that returned None
    (train and validation: at fit start), as one line naming the plugin file."""
    found = INVALID_LOADER.search(str(error)) if isinstance(error, TypeError) else None
    if not found or found.group(1) != type(datamodule).__name__:
        return error
    return UsageError(no_loader_message(datamodule, found.group(2), "None"))


def _test_limit_check(cfg: dict[str, Any]) -> Any:
    """`refuse_a_test_limit_of_no_batches` (test and validation) and `refuse_no_test_loader`
    at fit start: after Lightning's `prepare_data` and `setup("fit")`, before the sanity
    check and the first step."""
    import lightning.pytorch as pl

    class TestLimitCheck(pl.Callback):
        def on_fit_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
            if trainer.datamodule is not None:
                refuse_a_test_limit_of_no_batches(cfg, trainer.datamodule, module)
                refuse_no_test_loader(trainer.datamodule)

    return TestLimitCheck()


def train_and_test(
    cfg: dict[str, Any],
    plugin: PaperPlugin,
    spec: PaperSpec,
    record_dir: Path,
    loggers: list[Any],
    extra_callbacks: list[Any] | None = None,
    ckpt_path: Path | None = None,
    config_file: str = store.CONFIG_FILE,
) -> TrainingResult:
    """Fit, then test; the metrics are everything the module logged in testing (every test
    dataloader), plus the last train/ and val/ values of fitting. `config_file`: where in
    `record_dir` the ranks of a multi-process run read `cfg` (a rerun's is set aside)."""
    import lightning.pytorch as pl
    from lightning.pytorch.strategies import SingleDeviceStrategy

    from repro.running.callbacks import (
        FIT_METRIC_PREFIXES,
        BatchesOnDevice,
        FiniteLossGuard,
        FitMetricsAcrossResume,
        RunProgress,
        SmallModelThreads,
        TimingCallback,
    )
    from repro.running.distributed import (
        EvaluatedSamples,
        is_worker_rank,
        ranks_scope,
        reduce_test_metrics,
        use_run_launcher,
    )
    from repro.running.lightning_overhead import CallbackGroup, fast_hook_names
    from repro.running.profiling import report_dir, run_profiler
    from repro.running.progress import ProgressLine, run_label

    timing = TimingCallback()  # from here to the first step is this run's setup_s
    quiet_lightning()

    seed_everything(int(cfg["seed"]))
    module, datamodule = build_module_and_data(cfg, plugin, spec)
    trainer_args = {  # null is Lightning's default, except where null means something
        k: v for k, v in dict(cfg["trainer"]).items() if v is not None or k in NULL_MEANS_SOMETHING
    }
    replaces = config_file != store.CONFIG_FILE  # rerun=true of a completed run
    trainer_args["profiler"] = run_profiler(
        trainer_args.get("profiler"), report_dir(record_dir, replaces)
    )
    # Per-step work other than the step itself is what makes small models slow: check the loss
    # for NaN/inf every log_every_n_steps (one sync each), redraw the bar a few times a second.
    guard = FiniteLossGuard(every_n_steps=int(trainer_args.get("log_every_n_steps") or 50))
    progress_every_s = float(dict(cfg.get("progress") or {}).get("every_s", 30))
    bar = [] if is_worker_rank() else [RunProgress(ProgressLine(run_label(cfg), progress_every_s))]
    threads = [SmallModelThreads()] if cfg.get("num_threads") is None else []
    # One callback as far as Lightning's per-step dispatch is concerned (the bar too: it is
    # repro's own, not a Lightning ProgressBar, so Lightning's stays off).
    evaluated = EvaluatedSamples()  # weights of the cross-rank mean of test metrics
    empty = _empty_epoch_guard(resumed=ckpt_path is not None)  # fails a fit of empty epochs
    untrained = _untrained_guard()  # fails a fit without optimizer or loss
    extra = extra_callbacks or []
    kept = FitMetricsAcrossResume()
    ours = CallbackGroup(
        [
            timing,
            _test_limit_check(cfg),  # before training, not after
            guard,
            empty,
            untrained,
            BatchesOnDevice(),
            evaluated,
            kept,
            *threads,
            *extra,
            *bar,
        ]
    )
    trainer = pl.Trainer(
        **trainer_args,
        logger=loggers or False,
        callbacks=[ours],
        enable_checkpointing=False,
        enable_progress_bar=False,
        default_root_dir=str(record_dir),
    )
    if isinstance(trainer.strategy, SingleDeviceStrategy):
        fast_hook_names(module)
    # DDP: ranks re-enter repro, not the CLI
    use_run_launcher(trainer, record_dir, ckpt_path, config_file)
    with ranks_scope(trainer):
        try:
            trainer.fit(
                module, datamodule=datamodule, ckpt_path=str(ckpt_path) if ckpt_path else None
            )
        except TypeError as error:
            clear = clear_invalid_loader(error, datamodule)
            if clear is error:
                raise
            raise clear from error
        stopped_by = _fit_end(trainer)  # zero steps, or short for no reason: no result
        untrained.check(module)  # steps without a loss: no result either
        fit_metrics = {  # before a resume too: what the uninterrupted run would report
            **kept.before_resume,
            **{
                k: v
                for k, v in trainer.callback_metrics.items()
                if k.startswith(FIT_METRIC_PREFIXES)
            },
        }
        tested = trainer.test(module, datamodule=datamodule, verbose=False)
        require_tested(trainer, evaluated)  # an empty test pass: no result
        if not is_worker_rank():
            warn_step_only_test_metrics(trainer, tested)
        tested = reduce_test_metrics(trainer, tested, evaluated)
    metrics = _scalar_metrics({**fit_metrics, **_every_dataloader(tested)})
    sizes = dataset_sizes_of(datamodule)
    return TrainingResult(
        metrics=metrics,
        timing={**timing.summary(trainer.global_step), "stopped_by": stopped_by},
        parameters=sum(p.numel() for p in module.parameters()),
        dataset_sizes=sizes,
        device=str(trainer.strategy.root_device),
        world_size=trainer.world_size,
    )
