"""Seeds trained together, the engine: K seeds of one setting as one vectorized model on one
device (`SeedGroup`); `running.together` makes records of it, `running.group_checkpoint`
saves and resumes it.

A small model leaves a GPU idle: each step is a handful of kernel launches and Python. Here
the K copies' parameters are stacked (`torch.func.stack_module_state`) and the plugin's own
`training_step` runs once per step under `torch.func.vmap` over the stacked parameters and
the K seeds' batches, so one Python step trains K models.

Each seed gets exactly what it would get alone: its module and data module are built after
`seed_everything(seed)` as `repro run` builds them (same initialisation), its own data loader
(same batch order), and an elementwise optimizer over the stacked tensors (Adam, SGD, ... act
element by element, so seed k's slice sees exactly its own update). Testing is Lightning's
own `trainer.test` on each seed's unstacked weights. The per-seed losses come out of one
backward pass of their sum: the seeds share no parameter, so d(sum)/d(theta_k) = dL_k/d(theta_k).

What does not qualify is in `running.seed_rules` (one line says why, and the sweep trains one
seed per process); a step that vmap cannot run is found by a probe: the first step's losses
under vmap must equal each seed's loss computed alone. Each seed's data comes from its own
loader and random streams (`running.seed_data`). Seeds whose batches differ in shape (a set
size drawn per batch) train together only through the module's `align_seed_batches` hook,
checked the same way at its 1st, 2nd, 4th, ... call and at the first shapes it makes.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from repro.errors import error_line
from repro.running.callbacks import FIT_METRIC_PREFIXES
from repro.running.seed_data import (
    ProcessStreams,
    SeedLoader,
    SeedStreams,
    batch_limit,
    generator_states,
    in_streams,
    restore_generator_states,
    seed_workers_as_lightning,
)
from repro.running.seed_rules import (
    NotTogether,
    hook_reason,
    module_reason,
    resolve_device,
    static_reason,
)

SMALL_MODEL = 100_000  # parameters: one CPU thread, as running.callbacks.SmallModelThreads
ALIGN_HOOK = "align_seed_batches"  # the module's: K seeds' batches of one step made one shape
SHAPE_CHECKS = 8  # new shapes align_seed_batches makes that are checked (besides calls 1, 2, 4..)
# Its checks run on trained weights, whose losses padding rounds otherwise: set_transformer's
# SAB + PMA measured up to 1.6e-5 relative (correct hook). A wrong hook that moves a loss
# less than this is not seen (docs/plugin-reference.md says so).
ALIGNED_RTOL = 1e-3


@dataclass
class SeedOutcome:
    """One seed's result from a group: what `repro run` would have recorded for it."""

    seed: int
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None  # a seed whose loss turned non-finite fails alone
    failed_step: int | None = None
    module: Any = None
    datamodule: Any = None
    curves: list[dict[str, Any]] = field(default_factory=list)  # CSV rows, as Lightning logs
    streams: Any = None  # its SeedStreams: testing goes on in them, as it would alone


@dataclass
class _FitState:
    """Where a group is in its training: what a checkpoint keeps besides the weights."""

    outcomes: list[SeedOutcome]
    global_step: int = 0
    epoch: int = 0
    batch: int = 0  # batches of the current epoch already trained
    last_logged: list[dict[str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.last_logged = self.last_logged or [{} for _ in self.outcomes]


@dataclass
class GroupResult:
    seeds: list[SeedOutcome]
    steps: int
    fit_s: float
    device: str
    parameters: int
    timing: dict[str, Any] = field(default_factory=dict)
    aligned_steps: int = 0  # the group's training steps align_seed_batches made one shape
    aligned_checks: int = 0  # its steps (training and validation) checked against seeds alone


def set_torch_flags(trainer_config: dict[str, Any]) -> None:
    """The torch switches `lightning.Trainer(deterministic=..., benchmark=...)` sets for a seed
    alone, set the same way for the group (no Trainer trains it): deterministic algorithms
    (`warn` only warns where torch has none), cuDNN autotuning off unless asked for, and the
    cuBLAS workspace that makes GPU matmuls deterministic. `seed_everything` has already
    switched deterministic algorithms on, which `deterministic: null` leaves as it is."""
    import os

    deterministic = trainer_config.get("deterministic")
    benchmark = trainer_config.get("benchmark")
    if deterministic and benchmark is None:
        benchmark = False
    if benchmark is not None:
        torch.backends.cudnn.benchmark = bool(benchmark)
    if deterministic == "warn":
        torch.use_deterministic_algorithms(True, warn_only=True)
    elif isinstance(deterministic, bool):
        torch.use_deterministic_algorithms(deterministic)
    if deterministic:
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"


class NoTrainerAttribute(AttributeError):
    """The step read a trainer attribute seeds together cannot give: train alone instead."""


class TrainerView:
    """What a plugin's step may read of `self.trainer` while seeds train together: the loop
    state each seed shares (global_step, current_epoch, the bounds), exactly as Lightning's
    trainer would show it to that seed alone. Anything else raises NoTrainerAttribute, and
    the setting trains one seed per process (a step that reads the trainer's loggers, say)."""

    def __init__(self, trainer_config: dict[str, Any], batches_per_epoch: int) -> None:
        self.global_step = 0
        self.current_epoch = 0
        self.max_steps = int(trainer_config.get("max_steps") or -1)
        max_epochs = trainer_config.get("max_epochs")
        if max_epochs is None:  # as Lightning's fit resolves it (_parse_loop_limits)
            max_epochs = -1 if self.max_steps != -1 else 1000
        self.max_epochs = int(max_epochs)
        self.log_every_n_steps = int(trainer_config.get("log_every_n_steps") or 50)
        self.num_training_batches = batches_per_epoch
        self.fast_dev_run = False
        self.sanity_checking = False
        self.training = True
        self.is_global_zero = True
        self.world_size = 1
        self.global_rank = 0
        self.local_rank = 0

    def __getattr__(self, name: str) -> Any:
        raise NoTrainerAttribute(f"trainer.{name} is not available to seeds trained together")


def _vectorizingbatch_limit(error: BaseException) -> str | None:
    """Why an error raised inside the vectorized step means "train alone", not "the plugin
    failed": what vmap cannot do (a random op, data-dependent control flow, an op without a
    batching rule) or a trainer attribute TrainerView does not give; None otherwise."""
    if isinstance(error, NotTogether):
        return str(error)
    text = str(error)
    markers = ("vmap", "Batching rule", "BatchedTensor", "functorch", "randomness")
    if isinstance(error, NoTrainerAttribute) or any(m in text for m in markers):
        return f"the training step does not vectorize ({error_line(error)})"
    return None


class _Hook(nn.Module):
    """Calls one of the plugin module's step methods with `self.log` captured, so the
    values it logs come out of vmap as outputs (one per seed) instead of reaching Lightning."""

    def __init__(self, module: nn.Module, hook: str) -> None:
        super().__init__()
        self.module = module
        self.hook = hook
        self.batch_sizes: dict[str, int] = {}  # `self.log(..., batch_size=n)`: the same per seed

    def forward(self, batch: Any, batch_idx: int) -> tuple[Any, dict[str, torch.Tensor]]:
        logged: dict[str, torch.Tensor] = {}

        def log(name: str, value: Any, *args: Any, **kwargs: Any) -> None:
            if args or kwargs:
                self._check_options(name, args, kwargs)
            logged[name] = value if torch.is_tensor(value) else torch.as_tensor(float(value))

        def log_dict(values: dict[str, Any], *args: Any, **kwargs: Any) -> None:
            if args:  # log_dict(values, prog_bar, logger, on_step, on_epoch, reduce_fx, ...)
                import lightning.pytorch as pl

                kwargs = _log_options(pl.LightningModule.log_dict, values, args, kwargs)
            for name, value in values.items():
                log(name, value, **kwargs)

        self.module.log, self.module.log_dict = log, log_dict  # instance attributes: shadow
        try:
            out = getattr(self.module, self.hook)(batch, batch_idx)
        finally:
            del self.module.log, self.module.log_dict
        if isinstance(out, dict):
            out = out["loss"]
        if out is None and self.hook == "training_step":  # Lightning skips such a batch
            raise NotTogether("the training step returns no loss for a batch")
        if out is None:  # validation_step returns nothing: vmap needs a tensor
            out = torch.zeros(())
        return out, logged

    def _check_options(self, name: str, args: tuple, kwargs: dict[str, Any]) -> None:
        """`self.log` options the group reproduces (a validation batch size, display ones);
        NotTogether for those it does not: an epoch mean of a training value, a reduction
        other than the mean, per-step validation values."""
        import lightning.pytorch as pl

        if args:
            kwargs = _log_options(pl.LightningModule.log, name, args, kwargs)
        training = self.hook == "training_step"
        if training and kwargs.get("on_epoch"):
            raise NotTogether(f"the training step logs {name} with on_epoch=True (an epoch mean)")
        if not training and kwargs.get("on_step"):
            raise NotTogether(f"the {self.hook} logs {name} with on_step=True")
        if kwargs.get("reduce_fx", "mean") not in ("mean", torch.mean):
            raise NotTogether(f"the {self.hook} logs {name} with reduce_fx={kwargs['reduce_fx']}")
        if kwargs.get("batch_size") is not None:
            self.batch_sizes[name] = int(kwargs["batch_size"])


def _log_options(log: Any, name: str, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
    import inspect

    parameters = list(inspect.signature(log).parameters)  # (self, name, value, ...) of log,
    if parameters[1] == "dictionary":  # (self, dictionary, ...) of log_dict
        bound = inspect.signature(log).bind(None, name, *args, **kwargs)
    else:
        bound = inspect.signature(log).bind(None, name, None, *args, **kwargs)
    skipped = ("self", "name", "value", "dictionary")
    return {k: v for k, v in bound.arguments.items() if k not in skipped}


def _stack(batches: list[Any]) -> Any:
    """The K seeds' batches as one, seed first. A tuple or list of tensors (most batches) is
    stacked directly: pytree's general walk cost a tenth of a small model's step."""
    first = batches[0]
    try:
        if type(first) in (tuple, list) and all(torch.is_tensor(t) for t in first):
            return type(first)(torch.stack(parts) for parts in zip(*batches, strict=True))
        from torch.utils import _pytree

        return _pytree.tree_map(lambda *parts: torch.stack(parts), first, *batches[1:])
    except (RuntimeError, ValueError) as error:
        raise NotTogether(f"the seeds' batches differ in shape ({error})") from None
    except TypeError as error:  # a string, a custom object: no tensor to stack
        raise NotTogether(
            f"the seeds' batches hold values that are not tensors ({error})"
        ) from None


def _to(batch: Any, device: torch.device) -> Any:
    """`batch` on `device`; as it is when already there (InMemoryBatches moved once). To a
    GPU asynchronously, as Lightning moves a batch: a blocking copy synchronizes the stream,
    so the CPU would wait for every queued step before it could queue the next one."""
    if type(batch) in (tuple, list) and all(
        torch.is_tensor(t) and t.device == device for t in batch
    ):
        return batch
    from torch.utils import _pytree

    options = {"non_blocking": True} if device.type == "cuda" else {}
    return _pytree.tree_map(lambda t: t.to(device, **options) if torch.is_tensor(t) else t, batch)


def _copy(batch: Any) -> Any:
    """A copy of a seed's batch for `align_seed_batches`: new containers, cloned tensors."""
    if type(batch) in (tuple, list) and all(torch.is_tensor(t) for t in batch):
        return type(batch)(t.clone() for t in batch)
    from torch.utils import _pytree

    return _pytree.tree_map(lambda t: t.clone() if torch.is_tensor(t) else t, batch)


def _shapes(stacked: Any) -> tuple:
    from torch.utils import _pytree

    return tuple(tuple(t.shape) for t in _pytree.tree_leaves(stacked) if torch.is_tensor(t))


def _differs(
    together: tuple[Any, dict], alone: list[tuple[Any, dict]], rtol: float = 1e-5
) -> str | None:
    """What the vectorized step's (losses, logged values) have other than the seeds' alone:
    "losses", "<name> values", or None when all agree (to rtol, atol rtol / 100)."""
    losses, logged = together
    pairs = {"losses": (losses, [loss for loss, _ in alone])}
    for name, value in logged.items():
        pairs[f"{name} values"] = (value, [values.get(name) for _, values in alone])
    for name in {n for _, values in alone for n in values} - set(logged):
        return f"{name} values"  # logged alone, not together
    for what, (vectorized, each) in pairs.items():
        if any(v is None for v in each):
            return what
        try:
            one = [torch.as_tensor(v).detach().double().reshape(-1) for v in each]
            expected = torch.stack([t.to(one[0].device) for t in one])
            got = torch.as_tensor(vectorized).detach().double().to(expected.device)
            if not torch.allclose(
                got.reshape(expected.shape), expected, rtol=rtol, atol=rtol / 100, equal_nan=True
            ):
                return what
        except (RuntimeError, TypeError, ValueError):  # shapes that cannot be compared
            return what
    return None


def _batch_size(batch: Any) -> int:
    from torch.utils import _pytree

    leaves = [t for t in _pytree.tree_leaves(batch) if torch.is_tensor(t) and t.dim() > 0]
    return int(leaves[0].shape[0]) if leaves else 1


class SeedGroup:
    """K seeds of one config, built as `repro run` builds each, ready to train together."""

    def __init__(self, configs: list[dict[str, Any]], plugin: Any, spec: Any) -> None:
        from repro.running.training import (
            build_module_and_data,
            refuse_a_test_limit_of_no_batches,
            refuse_no_test_loader,
            seed_everything,
        )

        reason = static_reason(configs[0])
        if reason:
            raise NotTogether(reason)
        self.configs = configs
        self.device = resolve_device(configs[0])
        self.modules: list[Any] = []
        self.datamodules: list[Any] = []
        self.loaders: list[SeedLoader] = []
        self.optimizers: list[Any] = []
        trainer = dict(configs[0].get("trainer") or {})
        for config in configs:
            seed_everything(int(config["seed"]))
            module, datamodule = build_module_and_data(config, plugin, spec)
            datamodule.prepare_data()
            datamodule.setup("fit")
            # before the group trains, in Lightning's order of the data module's hooks: each
            # seed alone then says it without training
            refuse_a_test_limit_of_no_batches(config, datamodule, module)
            refuse_no_test_loader(datamodule)
            module.setup("fit")
            module.to(self.device)
            optimizer = module.configure_optimizers()
            reason = module_reason(module, optimizer) or hook_reason(module, datamodule)
            if reason:
                raise NotTogether(reason)
            if isinstance(optimizer, dict):  # {"optimizer": opt}, as module_reason allows
                optimizer = optimizer["optimizer"]
            loader = seed_workers_as_lightning(datamodule.train_dataloader())
            if hasattr(loader, "to") and not isinstance(loader, torch.utils.data.DataLoader):
                loader.to(self.device)  # InMemoryBatches: the data moves once
            try:
                length = len(loader)
            except TypeError:  # an iterable without a length: epochs cannot be lined up
                raise NotTogether("the training data loader has no length") from None
            limit = batch_limit(trainer.get("limit_train_batches"), length)
            self.loaders.append(SeedLoader(loader, SeedStreams(), limit))
            self.modules.append(module)
            self.datamodules.append(datamodule)
            self.optimizers.append(optimizer)
        set_torch_flags(trainer)  # after seed_everything, as Lightning's Trainer sets them
        lengths = {len(loader) for loader in self.loaders}
        if len(lengths) != 1:
            raise NotTogether(f"the seeds' epochs differ in length ({sorted(lengths)} batches)")
        self.batches_per_epoch = lengths.pop()
        if self.batches_per_epoch == 0:
            raise NotTogether("the training data loader is empty")
        self.view = TrainerView(trainer, self.batches_per_epoch)
        for module in self.modules:  # `self.global_step` and friends read the group's state
            module._trainer = self.view
        self.parameters_per_seed = sum(p.numel() for p in self.modules[0].parameters())
        self.resumed = False  # from a group checkpoint (load_state_dict)
        self.val_loaders: list[Any] | None = None  # built at the first validation
        self.checked_shapes: set[tuple] = set()  # (step, shapes) align_seed_batches made, checked
        self.aligned_steps = 0  # training steps whose batches align_seed_batches made one shape
        self.align_calls: dict[str, int] = {}  # per step method: checked again at 1, 2, 4, 8, ...
        self.aligned_checks = 0  # of them, how many were checked against the seeds alone
        self._stack_state()
        self.state = _FitState(
            [
                SeedOutcome(int(c["seed"]), module=m, datamodule=d, streams=s.streams)
                for c, m, d, s in zip(
                    configs, self.modules, self.datamodules, self.loaders, strict=True
                )
            ]
        )

    def _stack_state(self) -> None:
        from torch.func import stack_module_state

        self.params, self.buffers = stack_module_state(self.modules)
        self.base = self.modules[0]
        names = {id(p): n for n, p in self.base.named_parameters()}
        first = self.optimizers[0]
        groups = []
        for group in first.param_groups:
            settings = {k: v for k, v in group.items() if k != "params"}
            groups.append(
                {**settings, "params": [self.params[names[id(p)]] for p in group["params"]]}
            )
        try:
            self.optimizer = type(first)(groups, **first.defaults)
        except TypeError:
            self.optimizer = type(first)(groups)

    def _vmapped(self, hook: str) -> Any:
        """`hook` of the plugin's module as one call over the K seeds: (params, buffers,
        stacked batch, batch_idx) -> (K losses, what it logged, K values each). vmap takes
        the weights as one flat tuple, not two dicts: its per-call walk of its inputs was a
        tenth of a small model's step. Weights are untied only for a module that ties some."""
        from torch.func import functional_call, vmap

        call = _Hook(self.base, hook)
        names = [f"module.{k}" for k in (*self.params, *self.buffers)]
        tied = len(list(self.base.named_parameters(remove_duplicate=False))) != len(self.params)

        def one(weights: tuple, batch: Any, batch_idx: int) -> Any:
            state = dict(zip(names, weights, strict=True))
            return functional_call(call, state, (batch, batch_idx), tie_weights=tied)

        vectorized = vmap(one, in_dims=(0, 0, None), randomness="error")

        def step(params: dict, buffers: dict, batch: Any, batch_idx: int) -> Any:
            return vectorized((*params.values(), *buffers.values()), batch, batch_idx)

        step.hook = call  # type: ignore[attr-defined]  # what its self.log calls asked for
        return step

    def aligned(self, batches: list[Any], hook: str = "training_step") -> Any:
        """The K seeds' batches stacked, seed first. Where their shapes differ, the module's
        `align_seed_batches` makes them one shape first, from copies (the loaders' batches
        stay each seed's reference, and a loader's data stays as it is, whatever the hook
        does to what it is given). What it makes is checked against the seeds alone
        (`probe`) at its 1st, 2nd, 4th, 8th, ... call and at the first SHAPE_CHECKS shapes
        it makes, so a hook that goes wrong later is caught too; between checks it is
        trusted (each check costs a forward pass per seed)."""
        try:
            return _stack(batches)
        except NotTogether:
            align = getattr(self.base, ALIGN_HOOK, None)
            if align is None:
                raise
        try:
            aligned = list(align([_copy(batch) for batch in batches]))
        except Exception as error:
            raise NotTogether(f"{ALIGN_HOOK} failed ({error_line(error)})") from None
        if len(aligned) != len(batches):
            raise NotTogether(f"{ALIGN_HOOK} returned {len(aligned)} batches for {len(batches)}")
        try:
            stacked = _stack(aligned)
        except NotTogether as why:
            raise NotTogether(f"{ALIGN_HOOK} did not make them one shape: {why}") from None
        if hook == "training_step":
            self.aligned_steps += 1
        calls = self.align_calls[hook] = self.align_calls.get(hook, 0) + 1
        stacked = _to(stacked, self.device)
        shape = (hook, _shapes(stacked))
        new_shape = shape not in self.checked_shapes and len(self.checked_shapes) < SHAPE_CHECKS
        if new_shape or calls & (calls - 1) == 0:  # 1, 2, 4, 8, ...
            self.probe([_to(b, self.device) for b in batches], stacked, hook, aligned=True)
            self.checked_shapes.add(shape)
            self.aligned_checks += 1
        return stacked

    def probe(
        self,
        batches: list[Any],
        stacked: Any = None,
        hook: str = "training_step",
        aligned: bool = False,
    ) -> None:
        """The step's losses and logged values under vmap against each seed's computed alone
        on its own batch: equal, or seeds together is off (vmap cannot run this step, runs it
        otherwise, or `align_seed_batches` changed what it computes). Run on the first
        training step, and at `aligned`'s checks of `align_seed_batches` (to ALIGNED_RTOL:
        trained weights, other reductions)."""
        from torch.func import functional_call

        step = self._vmapped(hook)
        what = hook.replace("_", " ") + (f" on batches {ALIGN_HOOK} made" if aligned else "")
        kept = {name: buffer.clone() for name, buffer in self.buffers.items()}
        stacked = _stack(batches) if stacked is None else stacked
        calls = [_Hook(self.base, hook) for _ in batches]  # each seed's self.log options
        step.hook.batch_sizes.clear()
        try:
            with torch.no_grad():
                together = step(self.params, self.buffers, stacked, 0)
                alone = [  # each seed's own weights (a resumed group's, too), unvectorized
                    functional_call(
                        call,
                        {f"module.{n}": t[k] for n, t in {**self.params, **self.buffers}.items()},
                        (batch, 0),
                    )
                    for k, (call, batch) in enumerate(zip(calls, batches, strict=True))
                ]
        except NotTogether:
            raise
        except Exception as error:
            raise NotTogether(f"the {what} does not vectorize ({error_line(error)})") from None
        finally:  # the probe's steps must not count in a buffer the step updates
            with torch.no_grad():
                for name, buffer in self.buffers.items():
                    buffer.copy_(kept[name])
        if why := _differs(together, alone, ALIGNED_RTOL if aligned else 1e-5):
            raise NotTogether(f"the vectorized {what} computes other {why} than each seed alone")
        for call in calls:  # `self.log(..., batch_size=n)`: one n under vmap, so each seed's
            if call.batch_sizes != step.hook.batch_sizes:
                raise NotTogether(
                    f"the vectorized {what} logs with another batch_size than a seed alone "
                    f"({step.hook.batch_sizes} against {call.batch_sizes})"
                )

    def fit(
        self,
        every_n_steps: int,
        max_steps: int,
        max_epochs: int,
        check_every: int = 1,
        line: Any = None,
        saver: Any = None,
        announce: Any = None,
    ) -> GroupResult:
        """Train every seed to the configured end; a seed whose loss turns non-finite is
        recorded as failed at its first such step and the others go on. `saver` (a
        GroupCheckpoint) saves the group every `every_s` seconds and when a stop is asked
        for, after which `GroupStopped` is raised; `resume` state continues where it left.
        `announce()` is called once the probe found that the step vectorizes."""
        state = self.state
        outcomes = state.outcomes
        step_fn = self._vmapped("training_step")
        pending: list[tuple[int, torch.Tensor]] = []
        probed = False
        sync = torch.cuda.synchronize if self.device.type == "cuda" else (lambda: None)
        started = time.perf_counter()
        first_step = state.global_step
        warnings.filterwarnings("ignore", message=".*self.trainer.*reference is not registered.*")
        if line is not None:
            line.start(state.global_step, max_steps if max_steps >= 0 else None)
        untouched = ProcessStreams()

        def running() -> bool:
            epochs_left = max_epochs < 0 or state.epoch < max_epochs
            return epochs_left and (max_steps < 0 or state.global_step < max_steps)

        def close_epoch() -> None:
            whole_epoch = state.batch >= self.batches_per_epoch  # not cut by max_steps
            state.epoch += 1
            state.batch = 0
            if whole_epoch and self._validates(state.epoch, check_every):
                self._validate(outcomes, state.epoch - 1, state.global_step - 1)
            if why := untouched.check():
                raise NotTogether(why)
            if saver is not None and saver.due(self):
                saver.save(self)

        if state.batch >= self.batches_per_epoch:  # stopped at an epoch's last step (resumed)
            close_epoch()
        elif state.batch > 0 and not running():  # stopped at the run's last step, mid-epoch:
            close_epoch()  # the epoch ends as it would have (the test row's epoch says so)
        # A loader resumed where a pass ended may first give that pass's empty rest
        # (InMemoryBatches), or go straight on with the next pass (perm_optim's fresh sets).
        skip_empty_pass = self.resumed
        while running():
            start = state.batch
            if start < self.batches_per_epoch:  # else the epoch was trained before a stop
                epochs = [loader.epoch(start) for loader in self.loaders]
                for batch_idx, batches in enumerate(zip(*epochs, strict=True), start=start):
                    self.view.global_step, self.view.current_epoch = state.global_step, state.epoch
                    # stacked where the loaders drew them, then one copy per tensor to a GPU
                    stacked = _to(self.aligned(batches), self.device)
                    if not probed:
                        self.probe([_to(b, self.device) for b in batches], stacked)
                        probed = True
                        if announce is not None:
                            announce()
                    try:
                        losses, logged = step_fn(self.params, self.buffers, stacked, batch_idx)
                    except Exception as error:  # vmap's limits found only now: train alone
                        if why := _vectorizingbatch_limit(error):
                            raise NotTogether(why) from None
                        raise
                    losses.sum().backward()
                    self.optimizer.step()
                    self.optimizer.zero_grad(set_to_none=True)
                    state.global_step += 1
                    state.batch = batch_idx + 1
                    # named as Lightning names it: the global step the loss was computed at
                    pending.append((state.global_step - 1, losses.detach().reshape(-1)))
                    end_of_epoch = batch_idx + 1 == self.batches_per_epoch
                    if state.global_step % every_n_steps == 0 or end_of_epoch or not running():
                        self._check_finite(pending, outcomes)
                        pending = []
                        self._log(logged, every_n_steps)
                    if line is not None and line.due():
                        line.draw(state.global_step, _first_alive(state.last_logged, outcomes))
                    if saver is not None and saver.due(self):
                        self._check_finite(pending, outcomes)
                        pending = []
                        saver.save(self)
                    if not running():
                        break
                if state.batch == start and skip_empty_pass:
                    skip_empty_pass = False
                    continue  # the rest of the pass the checkpoint ended in: nothing
                skip_empty_pass = False
            close_epoch()
        if not probed and announce is not None:  # resumed with nothing left to train
            announce()
        sync()
        fit_s = time.perf_counter() - started
        if line is not None:
            line.draw(state.global_step, _first_alive(state.last_logged, outcomes), done=True)
            line.close()
        for k, outcome in enumerate(outcomes):
            if outcome.error is None:
                values = state.last_logged[k]
                outcome.metrics.update(
                    {n: float(v) for n, v in values.items() if n.startswith(FIT_METRIC_PREFIXES)}
                )
        from repro.running.training import fit_end

        stopped_by = fit_end(  # zero steps fail every seed as each fails alone
            steps=state.global_step,
            epochs=state.epoch,
            max_steps=max_steps,
            max_epochs=max_epochs,
            should_stop=False,
            out_of_time=False,
            batches=self.batches_per_epoch,
        )
        self._unstack()
        parameters = sum(p.numel() for p in self.base.parameters())
        timing = {
            "epochs": state.epoch,
            "stopped_by": stopped_by,
            "trained_steps": state.global_step - first_step,
        }
        return GroupResult(
            outcomes,
            state.global_step,
            fit_s,
            str(self.device),
            parameters,
            timing,
            self.aligned_steps,
            self.aligned_checks,
        )

    def _log(self, logged: dict[str, torch.Tensor], every_n_steps: int) -> None:
        """What the step logged, per seed: the latest values (the record's train/ metrics)
        and, every `log_every_n_steps`, a CSV row as Lightning's logger would write it."""
        state = self.state
        values = {k: v.detach().cpu() for k, v in logged.items()}
        for k, outcome in enumerate(state.outcomes):
            state.last_logged[k] = {name: float(v[k]) for name, v in values.items()}
            if outcome.error is None and state.global_step % every_n_steps == 0:
                row = {"epoch": state.epoch, "step": state.global_step - 1}
                outcome.curves.append({**row, **state.last_logged[k]})

    def state_dict(self, only: list[int] | None = None) -> dict[str, Any]:
        """Everything a stopped group needs to go on exactly where it stopped. `only`: the
        indices of the seeds kept, once the group has trained (its seeds left to test: no
        optimizer state, as nothing is left to train)."""
        state = self.state
        keep = list(range(len(state.outcomes))) if only is None else only

        def kept(items: list[Any]) -> list[Any]:
            return [items[k] for k in keep]

        def seeds_of(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
            if only is None:
                return dict(tensors)
            return {n: t.detach()[keep] for n, t in tensors.items()}

        return {
            "params": seeds_of(self.params),
            "buffers": seeds_of(self.buffers),
            "optimizer": self.optimizer.state_dict() if only is None else None,
            "global_step": state.global_step,
            "epoch": state.epoch,
            "batch": state.batch,
            "loaders": kept(
                [
                    seed.loader.state_dict() if hasattr(seed.loader, "state_dict") else None
                    for seed in self.loaders
                ]
            ),
            "rng": kept([seed.streams.state_dict() for seed in self.loaders]),
            # a DataLoader's own generators (`seed_data.own_generators`): no stream holds them
            "generators": kept([generator_states(seed.loader) for seed in self.loaders]),
            # a loader keeping no position: its streams as the pass started, replayed on resume
            "pass_rng": kept([seed.pass_start for seed in self.loaders]),
            "last_logged": kept(state.last_logged),
            "aligned_steps": self.aligned_steps,
            "aligned_checks": self.aligned_checks,
            "outcomes": kept(
                [
                    {
                        "error": o.error,
                        "failed_step": o.failed_step,
                        "curves": o.curves,
                        "metrics": o.metrics,  # what the last validation gave
                    }
                    for o in state.outcomes
                ]
            ),
        }

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        with torch.no_grad():
            for name, tensor in self.params.items():
                tensor.copy_(saved["params"][name])
            for name, tensor in self.buffers.items():
                tensor.copy_(saved["buffers"][name])
        if saved["optimizer"] is not None:  # None: saved trained, only to be tested
            self.optimizer.load_state_dict(saved["optimizer"])
        state = self.state
        state.global_step, state.epoch, state.batch = (
            saved["global_step"],
            saved["epoch"],
            saved["batch"],
        )
        pass_rngs = saved.get("pass_rng") or [None] * len(self.loaders)
        generators = saved.get("generators") or [None] * len(self.loaders)
        for seed_loader, states in zip(self.loaders, generators, strict=True):
            restore_generator_states(seed_loader.loader, states)  # rebuilt: at their first
        mid_pass = 0 < state.batch < self.batches_per_epoch
        for loader, loader_state, rng, pass_rng in zip(
            self.loaders, saved["loaders"], saved["rng"], pass_rngs, strict=True
        ):
            if loader_state is None and pass_rng is not None and mid_pass:
                loader.replay_from(pass_rng)  # a DataLoader: its pass drawn again to the stop
            if loader_state is not None:
                loader.loader.load_state_dict(loader_state)
                pass_ended = not state.batch or state.batch >= self.batches_per_epoch
                if pass_ended and loader.cuts_passes:  # saved at a cut pass's end (between
                    for _ in loader.loader:  # epochs, or at its last step): drop the rest,
                        pass  # as a new pass would
            loader.streams.load_state_dict(rng)
        self.resumed = True
        self.aligned_steps = int(saved.get("aligned_steps", 0))
        self.aligned_checks = int(saved.get("aligned_checks", 0))
        state.last_logged = saved["last_logged"]
        for outcome, kept in zip(state.outcomes, saved["outcomes"], strict=True):
            outcome.error, outcome.failed_step = kept["error"], kept["failed_step"]
            outcome.curves = list(kept["curves"])
            outcome.metrics.update(kept.get("metrics") or {})

    def _check_finite(
        self, pending: list[tuple[int, torch.Tensor]], outcomes: list[SeedOutcome]
    ) -> None:
        if not pending:
            return
        losses = torch.stack([loss for _, loss in pending])  # [steps, K]
        finite = torch.isfinite(losses).cpu()
        if bool(finite.all()):  # the one sync
            return
        from repro.errors import NonFiniteLossError

        for k, outcome in enumerate(outcomes):
            bad = (~finite[:, k]).nonzero()
            if outcome.error is None and len(bad):
                index = int(bad[0, 0])
                step = pending[index][0]
                outcome.error = str(NonFiniteLossError(step, float(losses[index, k])))
                outcome.failed_step = step

    def _validates(self, epoch: int, check_every: int) -> bool:
        """As Lightning: a validation step and a validation loader, every `check_every`."""
        from lightning.pytorch.utilities.model_helpers import is_overridden

        has_step = type(self.base).validation_step is not _lightning_validation_step()
        has_loader = is_overridden("val_dataloader", self.datamodules[0])
        return has_step and has_loader and check_every > 0 and epoch % check_every == 0

    def _val_loaders(self) -> list[Any]:
        """Each seed's validation loader, built once as Lightning builds it (at the first
        validation, inside the seed's streams), so it goes on from pass to pass as alone."""
        if self.val_loaders is None:
            self.val_loaders = [
                seed_workers_as_lightning(
                    seed.streams.run(lambda d: d.val_dataloader(), datamodule, every_stream=True)
                )
                for datamodule, seed in zip(self.datamodules, self.loaders, strict=True)
            ]
        return self.val_loaders

    def _validate(self, outcomes: list[SeedOutcome], epoch: int, step: int) -> None:
        """Each seed's validation metrics of this epoch (mean over batches weighted by batch
        size, Lightning's default), logged as one CSV row per seed."""
        loaders = self._val_loaders()
        limit = batch_limit(
            dict(self.configs[0].get("trainer") or {}).get("limit_val_batches"), len(loaders[0])
        )
        step_fn = self._vmapped("validation_step")
        self.view.current_epoch, self.view.training = epoch, False
        sums: dict[str, torch.Tensor] = {}
        weights: dict[str, int] = {}
        self.base.eval()
        passes = [
            in_streams(loader, seed.streams)
            for loader, seed in zip(loaders, self.loaders, strict=True)
        ]
        with torch.no_grad():
            for batch_idx, batches in enumerate(zip(*passes, strict=True)):
                if limit is not None and batch_idx >= limit:
                    break
                sizes = [_batch_size(b) for b in batches]  # each seed's own, before aligning
                stacked = _to(self.aligned(batches, "validation_step"), self.device)
                step_fn.hook.batch_sizes.clear()
                _, logged = step_fn(self.params, self.buffers, stacked, batch_idx)
                for name, value in logged.items():
                    value = value.detach().reshape(-1).double()
                    weight: Any = step_fn.hook.batch_sizes.get(name)  # as Lightning weighs
                    if weight is None:
                        weight = sizes[0] if len(set(sizes)) == 1 else value.new_tensor(sizes)
                    sums[name] = sums.get(name, 0) + value * weight
                    weights[name] = weights.get(name, 0) + weight
        self.base.train()
        self.view.training = True
        if not sums:
            return
        means = {name: (total / weights[name]).cpu() for name, total in sums.items()}
        for k, outcome in enumerate(outcomes):
            if outcome.error is None:
                row = {name: float(v[k]) for name, v in means.items()}
                outcome.metrics.update(
                    {n: v for n, v in row.items() if n.startswith(FIT_METRIC_PREFIXES)}
                )
                outcome.curves.append({"epoch": epoch, "step": step, **row})

    def _unstack(self) -> None:
        """Each seed's trained weights back into its own module, for testing and keeping."""
        for module in self.modules:  # Lightning's tester attaches itself
            module._trainer = None
        with torch.no_grad():
            for k, module in enumerate(self.modules):
                for name, tensor in module.named_parameters():
                    tensor.copy_(self.params[name][k])
                for name, tensor in module.named_buffers():
                    tensor.copy_(self.buffers[name][k])


def _first_alive(logged: list[dict[str, Any]], outcomes: list[SeedOutcome]) -> dict[str, Any]:
    """The progress line's metrics: those of the first seed still training."""
    for values, outcome in zip(logged, outcomes, strict=True):
        if outcome.error is None:
            return values
    return {}


def _lightning_validation_step() -> Any:
    import lightning.pytorch as pl

    return pl.LightningModule.validation_step
