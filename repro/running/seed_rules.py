"""Whether a setting's seeds can train together (`running.seed_group`), and if not, why: the
one line a sweep prints before it trains them one per process. A group runs the plugin's
steps under vmap, not Lightning's loop, so whatever the loop would apply and the group does
not (a hook, a Trainer argument, a scheduler, an optimizer that is not elementwise) keeps
the seeds apart rather than letting a seed's numbers differ from what it gets alone.
"""

from __future__ import annotations

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
APPLIED_TRAINER_KEYS = frozenset(
    {
        "accelerator", "devices", "strategy", "num_nodes", "precision", "max_epochs",
        "max_steps", "deterministic", "benchmark", "log_every_n_steps",
        "check_val_every_n_epoch", "limit_train_batches", "limit_val_batches",
        "limit_test_batches", "inference_mode", "gradient_clip_val", "accumulate_grad_batches",
        "max_time", "val_check_interval", "profiler", "num_sanity_val_steps",
        "enable_model_summary", "enable_progress_bar", "enable_checkpointing",
        "default_root_dir", "logger", "callbacks",
    }
)  # fmt: skip
"""Trainer arguments a group applies as Lightning would (or checks in `static_reason`); any
other one away from Lightning's default keeps the seeds apart (`overfit_batches`, a new one)."""
FIT_HOOKS = (
    "on_fit_start", "on_fit_end", "on_train_start", "on_train_end", "on_train_epoch_start",
    "on_train_epoch_end", "on_train_batch_start", "on_train_batch_end", "on_before_backward",
    "on_after_backward", "on_before_optimizer_step", "on_before_zero_grad",
    "on_validation_start", "on_validation_end", "on_validation_epoch_start",
    "on_validation_epoch_end", "on_validation_batch_start", "on_validation_batch_end",
    "on_validation_model_eval", "on_validation_model_train", "on_validation_model_zero_grad",
    "configure_callbacks", "configure_gradient_clipping", "optimizer_step",
    "optimizer_zero_grad", "backward", "lr_scheduler_step", "configure_model",
    "configure_sharded_model", "on_before_batch_transfer", "transfer_batch_to_device",
    "on_after_batch_transfer",
)  # fmt: skip
"""LightningModule hooks Lightning calls while fitting and a group does not: one the module
overrides would change its training (a warm-up in optimizer_step, a schedule at epoch end)."""
BATCH_HOOKS = ("on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer")


class NotTogether(Exception):
    """Why a setting's seeds cannot be trained together (the message is the one line)."""


def static_reason(config: dict[str, Any]) -> str | None:
    """Why the config alone rules seeds together out (None: it does not)."""
    trainer = _as_a_seed_alone_trains_it(config)
    if trainer["devices"] not in (1, "1", "auto") or trainer["num_nodes"] != 1:
        return "the run trains on several devices"
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if trainer["devices"] == "auto" and gpus > 1 and resolve_device(config).type == "cuda":
        return f"the run trains on several devices (devices=auto: {gpus} GPUs)"
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
    if trainer.get("profiler"):
        return "trainer.profiler times Lightning's loop, which seeds trained together do not run"
    interval = trainer.get("val_check_interval")  # an int counts batches: 1 is every batch
    if interval is not None and not (type(interval) is float and interval == 1.0):
        return "validation inside an epoch (val_check_interval)"
    if "check_val_every_n_epoch" in trainer and trainer["check_val_every_n_epoch"] is None:
        return "validation counted in steps across epochs (check_val_every_n_epoch=null)"
    sanity = trainer["num_sanity_val_steps"]  # null or removed: Lightning's 2 batches
    counted = isinstance(sanity, (int, float))  # below -1: none, as 0 (one folder with it)
    if not counted or sanity == -1 or sanity > 0:
        return "trainer.num_sanity_val_steps (a validation before training)"
    return _unapplied_trainer_key(trainer)


def _as_a_seed_alone_trains_it(config: dict[str, Any]) -> dict[str, Any]:
    """The config's trainer section with each key of repro's trainer config it removed
    (`~trainer.devices`) at null, as the hash reads it (`store.UNSET_TRAINER_VALUES`), and
    a null device or node count at what the Trainer takes for it (`auto`, 1): the runner
    leaves null out, so a seed alone trains at Lightning's defaults either way."""
    from repro.records.store import NULL_TRAINER_VALUES, UNSET_TRAINER_VALUES

    trainer = {**UNSET_TRAINER_VALUES, **dict(config.get("trainer") or {})}
    for key in ("devices", "num_nodes"):
        if trainer[key] is None:
            trainer[key] = NULL_TRAINER_VALUES[key]
    return trainer


def _unapplied_trainer_key(trainer: dict[str, Any]) -> str | None:
    """The first Trainer argument set away from Lightning's default that a group would not
    apply; None when there is none."""
    import inspect

    import lightning.pytorch as pl

    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(pl.Trainer.__init__).parameters.items()
    }
    for key, value in trainer.items():
        if key in APPLIED_TRAINER_KEYS or key not in defaults:
            continue  # applied here, or not Lightning's (the run itself reports it)
        if value != defaults[key]:
            return f"trainer.{key}={value} (not applied to seeds trained together)"
    return None


def hook_reason(module: Any, datamodule: Any) -> str | None:
    """Why the plugin's own Lightning hooks rule seeds together out: the group runs the
    module's steps, not Lightning's loop, so a fit-time hook it overrides would not run."""
    import lightning.pytorch as pl

    for name in FIT_HOOKS:
        if getattr(type(module), name, None) is not getattr(pl.LightningModule, name, None):
            return f"the module overrides {name} (seeds together run only its steps)"
    for name in BATCH_HOOKS:
        if getattr(type(datamodule), name, None) is not getattr(pl.LightningDataModule, name):
            return f"the data module overrides {name} (seeds together do not call it)"
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
    if optimizer is None:  # alone, the run fails on it (training.UntrainedGuard)
        return "configure_optimizers returns no optimizer"
    if isinstance(optimizer, dict) and set(optimizer) == {"optimizer"}:
        optimizer = optimizer["optimizer"]  # {"optimizer": opt}: one optimizer, no scheduler
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
    accelerator = str(dict(config.get("trainer") or {}).get("accelerator") or "auto")
    if accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available()):
        return torch.device("cuda", 0)
    if accelerator == "mps" or (
        accelerator == "auto"
        and getattr(torch.backends, "mps", None)
        and torch.backends.mps.is_available()
    ):
        return torch.device("mps")
    return torch.device("cpu")
