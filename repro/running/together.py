"""Seeds trained together: K seeds of one setting as one vectorized model on one device.

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

What does not qualify (one line says why, and the sweep trains one seed per process):
random numbers in the training step (dropout: vmap would draw other numbers than alone),
batch norm (in-place running statistics), an optimizer that is not elementwise (L-BFGS,
a custom one), a learning-rate scheduler, gradient clipping or accumulation, precision other
than 32-bit, several devices, batches whose shapes differ between seeds, or a step that vmap
cannot run. The last is found by a probe: the first step's losses under vmap must equal each
seed's loss computed alone.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

ELEMENTWISE_OPTIMIZERS = frozenset(
    {"SGD", "Adam", "AdamW", "Adamax", "Adagrad", "Adadelta", "RMSprop", "NAdam", "RAdam"}
)
"""torch.optim classes whose update of each element depends on that element only."""
RANDOM_LAYERS = (
    nn.Dropout,
    nn.Dropout1d,
    nn.Dropout2d,
    nn.Dropout3d,
    nn.AlphaDropout,
    nn.FeatureAlphaDropout,
    nn.RReLU,
)
FULL_PRECISION = (None, 32, "32", "32-true")
SMALL_MODEL = 100_000  # parameters: one CPU thread, as running.callbacks.SmallModelThreads


class NotTogether(Exception):
    """Why a setting's seeds cannot be trained together (the message is the one line)."""


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


@dataclass
class GroupResult:
    seeds: list[SeedOutcome]
    steps: int
    fit_s: float
    device: str
    parameters: int
    timing: dict[str, Any] = field(default_factory=dict)


def static_reason(config: dict[str, Any]) -> str | None:
    """Why the config alone rules seeds together out (None: it does not)."""
    trainer = dict(config.get("trainer") or {})
    if trainer.get("devices", 1) not in (1, "1", "auto") or trainer.get("num_nodes", 1) != 1:
        return "the run trains on several devices"
    if trainer.get("strategy", "auto") not in ("auto", None):
        return f"trainer.strategy={trainer['strategy']}"
    if trainer.get("precision") not in FULL_PRECISION:
        return f"trainer.precision={trainer['precision']} (only 32-bit is vectorized)"
    if trainer.get("gradient_clip_val"):
        return "gradient clipping mixes the seeds' gradients in one norm"
    if (trainer.get("accumulate_grad_batches") or 1) != 1:
        return "gradient accumulation"
    if trainer.get("max_time"):
        return "trainer.max_time"
    if trainer.get("val_check_interval") not in (None, 1, 1.0):
        return "validation inside an epoch (val_check_interval)"
    return None


def module_reason(module: nn.Module, optimizer: Any) -> str | None:
    """Why the plugin's module or optimizer rules seeds together out (None: it does not)."""
    if not getattr(module, "automatic_optimization", True):
        return "the module optimizes manually"
    for name, layer in module.named_modules():
        if isinstance(layer, RANDOM_LAYERS) and getattr(layer, "p", 1) > 0:
            return f"{name or 'the module'} draws random numbers ({type(layer).__name__})"
        if isinstance(layer, nn.modules.batchnorm._BatchNorm) and layer.track_running_stats:
            return f"{name} keeps running statistics ({type(layer).__name__})"
    if not isinstance(optimizer, torch.optim.Optimizer):
        return "configure_optimizers returns a learning-rate scheduler or several optimizers"
    kind = type(optimizer)
    if kind.__module__.split(".")[:2] != ["torch", "optim"] or (
        kind.__name__ not in ELEMENTWISE_OPTIMIZERS
    ):
        return f"the optimizer {kind.__name__} is not one of torch's elementwise optimizers"
    return None


def resolve_device(config: dict[str, Any]) -> torch.device:
    """The device Lightning's `accelerator` would pick for one process."""
    accelerator = str(dict(config.get("trainer") or {}).get("accelerator", "auto"))
    if accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available()):
        return torch.device("cuda", 0)
    if accelerator == "mps" or (
        accelerator == "auto"
        and getattr(torch.backends, "mps", None)
        and torch.backends.mps.is_available()
    ):
        return torch.device("mps")
    return torch.device("cpu")


class _Hook(nn.Module):
    """Calls one of the plugin module's step methods with `self.log` captured, so the
    values it logs come out of vmap as outputs (one per seed) instead of reaching Lightning."""

    def __init__(self, module: nn.Module, hook: str) -> None:
        super().__init__()
        self.module = module
        self.hook = hook

    def forward(self, batch: Any, batch_idx: int) -> tuple[Any, dict[str, torch.Tensor]]:
        logged: dict[str, torch.Tensor] = {}

        def log(name: str, value: Any, *args: Any, **kwargs: Any) -> None:
            logged[name] = value if torch.is_tensor(value) else torch.as_tensor(float(value))

        def log_dict(values: dict[str, Any], *args: Any, **kwargs: Any) -> None:
            for name, value in values.items():
                log(name, value)

        self.module.log, self.module.log_dict = log, log_dict  # instance attributes: shadow
        try:
            out = getattr(self.module, self.hook)(batch, batch_idx)
        finally:
            del self.module.log, self.module.log_dict
        if isinstance(out, dict):
            out = out["loss"]
        if out is None:  # validation_step returns nothing: vmap needs a tensor
            out = torch.zeros(())
        return out, logged


def _stack(batches: list[Any]) -> Any:
    from torch.utils import _pytree

    try:
        return _pytree.tree_map(lambda *parts: torch.stack(parts), batches[0], *batches[1:])
    except (RuntimeError, ValueError) as error:
        raise NotTogether(f"the seeds' batches differ in shape ({error})") from None


def _to(batch: Any, device: torch.device) -> Any:
    from torch.utils import _pytree

    return _pytree.tree_map(lambda t: t.to(device) if torch.is_tensor(t) else t, batch)


def _batch_size(batch: Any) -> int:
    from torch.utils import _pytree

    leaves = [t for t in _pytree.tree_leaves(batch) if torch.is_tensor(t) and t.dim() > 0]
    return int(leaves[0].shape[0]) if leaves else 1


class _SeedLoader:
    """One seed's training batches, epoch after epoch, with the global RNG stream that seed
    would have alone (a shuffling DataLoader draws its order from it when an epoch starts)."""

    def __init__(self, loader: Any, rng_state: torch.Tensor, limit: int | None) -> None:
        self.loader = loader
        self.rng_state = rng_state
        self.limit = limit

    def epoch(self) -> Iterator[Any]:
        iterator = self._in_own_stream(iter, self.loader)
        index = 0
        while self.limit is None or index < self.limit:
            try:  # a loader may draw each batch from the global RNG (data made on the fly)
                batch = self._in_own_stream(next, iterator)
            except StopIteration:
                return
            index += 1
            yield batch

    def _in_own_stream(self, call: Any, argument: Any) -> Any:
        """`call(argument)` with this seed's global RNG state, as if it ran alone."""
        saved = torch.get_rng_state()
        torch.set_rng_state(self.rng_state)
        try:
            return call(argument)
        finally:
            self.rng_state = torch.get_rng_state()
            torch.set_rng_state(saved)

    def __len__(self) -> int:
        length = len(self.loader)
        return length if self.limit is None else min(length, self.limit)


def _limit(value: Any, length: int) -> int | None:
    """Lightning's limit_*_batches: None (all), an int (batches) or a float (fraction)."""
    if value is None:
        return None
    if isinstance(value, float) and not value.is_integer():
        return max(1, int(length * value))
    if isinstance(value, float):
        return None if value == 1.0 else int(value)
    return int(value)


class SeedGroup:
    """K seeds of one config, built as `repro run` builds each, ready to train together."""

    def __init__(self, configs: list[dict[str, Any]], plugin: Any, spec: Any) -> None:
        from repro.running.training import build_module_and_data, seed_everything

        reason = static_reason(configs[0])
        if reason:
            raise NotTogether(reason)
        self.configs = configs
        self.device = resolve_device(configs[0])
        self.modules: list[Any] = []
        self.datamodules: list[Any] = []
        self.loaders: list[_SeedLoader] = []
        self.optimizers: list[Any] = []
        trainer = dict(configs[0].get("trainer") or {})
        for config in configs:
            seed_everything(int(config["seed"]))
            module, datamodule = build_module_and_data(config, plugin, spec)
            datamodule.prepare_data()
            datamodule.setup("fit")
            module.setup("fit")
            module.to(self.device)
            optimizer = module.configure_optimizers()
            reason = module_reason(module, optimizer)
            if reason:
                raise NotTogether(reason)
            loader = datamodule.train_dataloader()
            if hasattr(loader, "to") and not isinstance(loader, torch.utils.data.DataLoader):
                loader.to(self.device)  # InMemoryBatches: the data moves once
            try:
                length = len(loader)
            except TypeError:  # an iterable without a length: epochs cannot be lined up
                raise NotTogether("the training data loader has no length") from None
            limit = _limit(trainer.get("limit_train_batches"), length)
            self.loaders.append(_SeedLoader(loader, torch.get_rng_state(), limit))
            self.modules.append(module)
            self.datamodules.append(datamodule)
            self.optimizers.append(optimizer)
        lengths = {len(loader) for loader in self.loaders}
        if len(lengths) != 1:
            raise NotTogether(f"the seeds' epochs differ in length ({sorted(lengths)} batches)")
        self.batches_per_epoch = lengths.pop()
        if self.batches_per_epoch == 0:
            raise NotTogether("the training data loader is empty")
        self.parameters_per_seed = sum(p.numel() for p in self.modules[0].parameters())
        self._stack_state()

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
        from torch.func import functional_call, vmap

        call = _Hook(self.base, hook)

        def one(params: dict, buffers: dict, batch: Any, batch_idx: int) -> Any:
            state = {f"module.{k}": v for k, v in {**params, **buffers}.items()}
            return functional_call(call, state, (batch, batch_idx))

        return vmap(one, in_dims=(0, 0, 0, None), randomness="error")

    def probe(self, batches: list[Any]) -> None:
        """The first step's losses under vmap against each seed's loss alone: equal, or
        seeds together is off (vmap cannot run this step, or runs it otherwise)."""
        step = self._vmapped("training_step")
        try:
            with torch.no_grad():
                together, _ = step(self.params, self.buffers, _stack(batches), 0)
                alone = [
                    _Hook(module, "training_step")(batch, 0)[0]
                    for module, batch in zip(self.modules, batches, strict=True)
                ]
        except NotTogether:
            raise
        except Exception as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise NotTogether(
                f"the training step does not vectorize ({type(error).__name__}: {first[:160]})"
            ) from None
        alone_t = torch.stack([a.detach().reshape(()) for a in alone])
        if not torch.allclose(together.reshape(-1), alone_t, rtol=1e-5, atol=1e-7, equal_nan=True):
            raise NotTogether("the vectorized step computes other losses than each seed alone")

    def fit(
        self,
        every_n_steps: int,
        max_steps: int,
        max_epochs: int,
        check_every: int = 1,
        line: Any = None,
    ) -> GroupResult:
        """Train every seed to the configured end; a seed whose loss turns non-finite is
        recorded as failed at its first such step and the others go on."""
        outcomes = [
            SeedOutcome(int(c["seed"]), module=m, datamodule=d)
            for c, m, d in zip(self.configs, self.modules, self.datamodules, strict=True)
        ]
        step_fn = self._vmapped("training_step")
        pending: list[tuple[int, torch.Tensor]] = []
        last_logged: list[dict[str, torch.Tensor]] = [{} for _ in outcomes]
        global_step, epoch, probed = 0, 0, False
        sync = torch.cuda.synchronize if self.device.type == "cuda" else (lambda: None)
        started = time.perf_counter()
        warnings.filterwarnings("ignore", message=".*self.trainer.*reference is not registered.*")
        if line is not None:
            line.start(0, max_steps if max_steps >= 0 else None)
        while (max_epochs < 0 or epoch < max_epochs) and (max_steps < 0 or global_step < max_steps):
            epochs = [loader.epoch() for loader in self.loaders]
            for batch_idx, batches in enumerate(zip(*epochs, strict=True)):
                batches = [_to(b, self.device) for b in batches]
                if not probed:
                    self.probe(batches)
                    probed = True
                losses, logged = step_fn(self.params, self.buffers, _stack(batches), batch_idx)
                losses.sum().backward()
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
                global_step += 1
                pending.append((global_step, losses.detach().reshape(-1)))
                last = global_step == max_steps or batch_idx + 1 == self.batches_per_epoch
                if global_step % every_n_steps == 0 or last:
                    self._check_finite(pending, outcomes)
                    pending = []
                    values = {k: v.detach().cpu() for k, v in logged.items()}
                    for k, outcome in enumerate(outcomes):
                        last_logged[k] = {name: v[k] for name, v in values.items()}
                        if outcome.error is None and global_step % every_n_steps == 0:
                            outcome.curves.append(
                                {
                                    "epoch": epoch,
                                    "step": global_step - 1,
                                    **{n: float(v[k]) for n, v in values.items()},
                                }
                            )
                if line is not None and line.due():
                    line.draw(global_step, _first_alive(last_logged, outcomes))
                if max_steps >= 0 and global_step >= max_steps:
                    break
            epoch += 1
            if self._validates(epoch, check_every):
                self._validate(outcomes, epoch - 1, global_step - 1)
        sync()
        fit_s = time.perf_counter() - started
        if line is not None:
            line.draw(global_step, _first_alive(last_logged, outcomes), done=True)
            line.close()
        for k, outcome in enumerate(outcomes):
            if outcome.error is None:
                outcome.metrics.update({n: _finite(float(v)) for n, v in last_logged[k].items()})
        self._unstack()
        parameters = sum(p.numel() for p in self.base.parameters())
        reached_steps = max_steps >= 0 and global_step >= max_steps
        timing = {"epochs": epoch, "stopped_by": "max_steps" if reached_steps else "max_epochs"}
        return GroupResult(outcomes, global_step, fit_s, str(self.device), parameters, timing)

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
        has_step = type(self.base).validation_step is not _lightning_validation_step()
        return has_step and check_every > 0 and epoch % check_every == 0

    def _validate(self, outcomes: list[SeedOutcome], epoch: int, step: int) -> None:
        """Each seed's validation metrics of this epoch (mean over batches weighted by batch
        size, Lightning's default), logged as one CSV row per seed."""
        loaders = [d.val_dataloader() for d in self.datamodules]
        limit = _limit(
            dict(self.configs[0].get("trainer") or {}).get("limit_val_batches"), len(loaders[0])
        )
        step_fn = self._vmapped("validation_step")
        sums: dict[str, torch.Tensor] = {}
        seen = 0
        self.base.eval()
        with torch.no_grad():
            for batch_idx, batches in enumerate(zip(*loaders, strict=True)):
                if limit is not None and batch_idx >= limit:
                    break
                batches = [_to(b, self.device) for b in batches]
                size = _batch_size(batches[0])
                _, logged = step_fn(self.params, self.buffers, _stack(batches), batch_idx)
                for name, value in logged.items():
                    sums[name] = sums.get(name, 0) + value.detach().reshape(-1).double() * size
                seen += size
        self.base.train()
        if not seen:
            return
        means = {name: (total / seen).cpu() for name, total in sums.items()}
        for k, outcome in enumerate(outcomes):
            if outcome.error is None:
                row = {name: float(v[k]) for name, v in means.items()}
                outcome.metrics.update({n: _finite(v) for n, v in row.items()})
                outcome.curves.append({"epoch": epoch, "step": step, **row})

    def _unstack(self) -> None:
        """Each seed's trained weights back into its own module, for testing and keeping."""
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


def _finite(value: float) -> float:
    return value if math.isfinite(value) else float("nan")


UNGROUPED = "ungrouped"
"""The outcome of a seed handed back untrained because its setting does not qualify (only
with `alone=False`: a sweep's scheduler then gives each seed a worker of its own)."""


def run_together(
    configs: list[dict[str, Any]],
    commands: list[list[str]],
    say: Any = print,
    alone: bool = True,
) -> list[Any]:
    """Train these seeds of one setting together and write one ordinary record per seed;
    returns one RunOutcome per config. Seeds already completed are skipped, seeds another
    process holds are left to it; when the setting does not qualify, one line says why and
    each seed trains alone (`run_one`), as without seeds together, or, with `alone=False`,
    comes back untrained as UNGROUPED for the caller to schedule."""
    import contextlib
    import sys
    from pathlib import Path

    from repro.plugins.registry import plugin_from_folder
    from repro.records import store
    from repro.records.lookup import completed_run
    from repro.running.lock import RunBusy, run_lock
    from repro.running.runner import RunOutcome, run_one

    outcomes: dict[int, Any] = {}
    todo: list[tuple[int, dict[str, Any], list[str], Path, dict | None, str | None]] = []
    for index, (config, command) in enumerate(zip(configs, commands, strict=True)):
        record_dir, record, stale = completed_run(config)
        if record is not None and stale is None:
            outcomes[index] = RunOutcome("skipped", record_dir, record.get("metrics", {}))
        else:
            todo.append((index, config, command, record_dir, record, stale))
    if not todo:
        return [outcomes[i] for i in range(len(configs))]
    plugin = plugin_from_folder(Path(todo[0][1]["paper_dir"]))
    spec = plugin.spec()
    with contextlib.ExitStack() as locks:
        held = []
        for entry in todo:
            index, config, _, record_dir, record, stale = entry
            try:
                record_dir.mkdir(parents=True, exist_ok=True)
                locks.enter_context(run_lock(record_dir))
            except RunBusy as busy:
                outcomes[index] = RunOutcome("busy", busy.record_dir, error=str(busy), exit_code=1)
                continue
            if stale:
                kept = store.supersede(record_dir, record)
                print(
                    f"stale: {config['paper']}/{config['experiment_name']}/seed{config['seed']} "
                    f"was made by other plugin code ({stale}); retraining, previous record kept "
                    f"in {kept}",
                    file=sys.stderr,
                )
            held.append(entry)
        if len(held) > 1:
            try:
                results = _train_held(held, plugin, spec, say)
            except NotTogether as why:
                say(f"seeds together: off for {_label(held[0][1])}: {why}; one seed at a time")
                results = None
            if results is not None:
                outcomes.update(results)
                held = []
    for index, config, command, record_dir, *_ in held:  # alone, as `repro run` (unlocked)
        if alone:
            outcomes[index] = run_one(config, command=command)
        else:
            outcomes[index] = RunOutcome(UNGROUPED, record_dir)
    return [outcomes[i] for i in range(len(configs))]


class _Stopped(Exception):
    """SIGTERM (SLURM preemption, a sweep's worker told to stop) while a group trains."""

    exit_code = 143


def _stop_on_sigterm() -> Any:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum: int, frame: Any) -> None:
        raise _Stopped()

    return signal.signal(signal.SIGTERM, stop)


def _restore_sigterm(previous: Any) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def _label(config: dict[str, Any]) -> str:
    return f"{config['paper']}/{config['experiment_name']}"


def _train_held(held: list[tuple], plugin: Any, spec: Any, say: Any) -> dict[int, Any]:
    """The locked seeds trained as one group, each ending in its own record."""
    import sys

    import lightning.pytorch  # noqa: F401  (its import sets its loggers to INFO: quiet after)

    from repro.plugins.failures import failure_message, full_traceback
    from repro.records import store
    from repro.running.runner import (
        Attempt,
        RunOutcome,
        _new_record,
        _previous_record,
        _start,
        save_record,
    )
    from repro.running.training import quiet_lightning

    quiet_lightning()
    configs = [entry[1] for entry in held]
    group = SeedGroup(configs, plugin, spec)  # NotTogether before any record is touched
    seeds = [int(c["seed"]) for c in configs]
    attempts = []
    for index, config, command, record_dir, _, _ in held:
        previous = _previous_record(record_dir)
        record = _new_record(config, int(config["seed"]), command, plugin, previous, None)
        record["together"] = {
            "seeds": seeds,
            "engine": "torch.func.vmap",
            "device": str(group.device),
        }
        attempt = Attempt(config, record_dir, plugin, record, None, previous)
        _start(attempt)
        attempts.append((index, attempt))
    label = f"{_label(configs[0])} seeds {','.join(map(str, seeds))}"
    say(f"repro run: {label} together on {group.device} ({len(seeds)} seeds, one process)")
    from repro.running.progress import ProgressLine

    trainer = dict(configs[0].get("trainer") or {})
    every_s = float(dict(configs[0].get("progress") or {}).get("every_s", 30))
    line = ProgressLine(f"{_label(configs[0])} seeds{','.join(map(str, seeds))}", every_s)
    saved_threads = torch.get_num_threads()
    saved_term = _stop_on_sigterm()
    if configs[0].get("num_threads") is None and group.parameters_per_seed <= SMALL_MODEL:
        torch.set_num_threads(1)  # as SmallModelThreads does for one small model alone
    try:
        result = group.fit(
            every_n_steps=int(trainer.get("log_every_n_steps") or 50),
            max_steps=int(trainer.get("max_steps") if trainer.get("max_steps") is not None else -1),
            max_epochs=int(
                trainer.get("max_epochs") if trainer.get("max_epochs") is not None else -1
            ),
            check_every=int(trainer.get("check_val_every_n_epoch") or 1),
            line=line,
        )
    except NotTogether:
        for _, attempt in attempts:  # the probe said no: these seeds train alone instead
            attempt.record_dir.joinpath(store.RECORD_FILE).unlink(missing_ok=True)
            if attempt.previous:
                save_record(attempt.record_dir, attempt.previous)
        raise
    except (KeyboardInterrupt, _Stopped) as stop:
        code = stop.exit_code if isinstance(stop, _Stopped) else 130
        name = "SIGTERM" if code == 143 else "SIGINT"
        message = (
            f"interrupted by {name}; seeds trained together keep no checkpoint: "
            "a rerun starts the group over"
        )
        for _, attempt in attempts:
            attempt.end(store.STATUS_INTERRUPTED, message)
        return {
            i: RunOutcome("interrupted", a.record_dir, error=message, exit_code=code)
            for i, a in attempts
        }
    except Exception as error:  # the plugin's code failed: every seed of the group says so
        message = failure_message(error, plugin.folder)
        outcomes = {}
        for index, attempt in attempts:
            attempt.record["traceback"] = full_traceback(error)
            attempt.end(store.STATUS_FAILED, message)
            outcomes[index] = RunOutcome("failed", attempt.record_dir, error=message, exit_code=1)
        return outcomes
    finally:
        torch.set_num_threads(saved_threads)
        _restore_sigterm(saved_term)
    outcomes = {}
    for (index, attempt), seed in zip(attempts, result.seeds, strict=True):
        if seed.error is not None:
            attempt.end(store.STATUS_FAILED, seed.error)
            print(
                f"error: {seed.error} (seed {seed.seed}; the group's other seeds go on)",
                file=sys.stderr,
            )
            outcomes[index] = RunOutcome(
                "failed", attempt.record_dir, error=seed.error, exit_code=1
            )
            continue
        outcomes[index] = _finish_seed(attempt, seed, result)
    return outcomes


def _finish_seed(attempt: Any, seed: SeedOutcome, result: GroupResult) -> Any:
    """Test one seed's weights with Lightning, then record it as `repro run` records a run."""
    import lightning.pytorch as pl

    from repro.running.callbacks import SmallModelThreads
    from repro.running.runner import RunOutcome, _record_result, _warn_missing_claim_metrics
    from repro.running.training import TrainingResult, _every_dataloader, _scalar_metrics

    config = attempt.config
    tester = pl.Trainer(
        accelerator="gpu" if result.device.startswith("cuda") else "cpu",
        devices=1,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        default_root_dir=str(attempt.record_dir),
        limit_test_batches=dict(config.get("trainer") or {}).get("limit_test_batches"),
        callbacks=[SmallModelThreads()] if config.get("num_threads") is None else [],
    )
    tested = tester.test(seed.module, datamodule=seed.datamodule, verbose=False)
    metrics = {**seed.metrics, **_scalar_metrics(_every_dataloader(tested))}
    _write_curves(attempt.record_dir, seed.curves)
    checkpoint_cfg = dict(config.get("checkpoint") or {})
    if checkpoint_cfg.get("enabled", True) and checkpoint_cfg.get("keep", True):
        attempt.checkpoint_file.parent.mkdir(parents=True, exist_ok=True)
        tester.save_checkpoint(attempt.checkpoint_file, weights_only=True)
    sizes = seed.datamodule.dataset_sizes() if hasattr(seed.datamodule, "dataset_sizes") else {}
    timing = {
        "fit_s": round(result.fit_s, 4),
        "steps": result.steps,
        "steps_per_s": round(result.steps / result.fit_s, 3) if result.fit_s else None,
        "epochs": result.timing.get("epochs"),
        "seeds_together": len(result.seeds),
        "stopped_by": result.timing.get("stopped_by"),
    }
    training = TrainingResult(metrics, timing, result.parameters, sizes, result.device, 1)
    _record_result(attempt, training, checkpoint_cfg)
    spec = attempt.plugin.spec()
    _warn_missing_claim_metrics(spec, config["experiment_name"], metrics)
    return RunOutcome("completed", attempt.record_dir, metrics)


def _write_curves(record_dir: Any, rows: list[dict[str, Any]]) -> None:
    """The seed's training curves as Lightning's CSV logger lays them out (csv/metrics.csv)."""
    import csv

    if not rows:
        return
    names = ["epoch", "step", *sorted({k for row in rows for k in row} - {"epoch", "step"})]
    folder = record_dir / "csv"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "metrics.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)
