"""Train and test one paper setting with Lightning; returns what the run record needs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repro.plugins.paper_spec import PaperSpec
from repro.plugins.registry import PaperPlugin, load_object


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
    module_cls = load_object(plugin, spec.module)
    data_cls = load_object(plugin, spec.datamodule)
    model_args = dict(cfg.get("model") or {})
    if "optimizer" in cfg:
        model_args["optimizer"] = dict(cfg["optimizer"] or {})
    return module_cls(**model_args), data_cls(**dict(cfg.get("data") or {}))


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
    ):
        warnings.filterwarnings("ignore", message=pattern)


def _scalar_metrics(raw: dict[str, Any]) -> dict[str, float]:
    metrics = {}
    for key, value in raw.items():
        number = float(value.item() if hasattr(value, "item") else value)
        metrics[key] = number if math.isfinite(number) else float("nan")
    return metrics


def _every_dataloader(tested: list[dict[str, Any]]) -> dict[str, Any]:
    """All test dataloaders' metrics: `trainer.test` returns one dict per dataloader (keys
    suffixed `/dataloader_idx_N` when there are several), and dropping any would hide them."""
    merged: dict[str, Any] = {}
    for per_loader in tested or []:
        merged.update(per_loader)
    return merged


def train_and_test(
    cfg: dict[str, Any],
    plugin: PaperPlugin,
    spec: PaperSpec,
    record_dir: Path,
    loggers: list[Any],
    extra_callbacks: list[Any] | None = None,
    ckpt_path: Path | None = None,
) -> TrainingResult:
    """Fit, then test; the metrics are everything the module logged in testing (every test
    dataloader), plus the last train/ and val/ values of fitting."""
    import lightning.pytorch as pl
    from lightning.pytorch.strategies import SingleDeviceStrategy

    from repro.running.callbacks import (
        BatchesOnDevice,
        FiniteLossGuard,
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
    from repro.running.progress import ProgressLine, run_label

    timing = TimingCallback()  # from here to the first step is this run's setup_s
    quiet_lightning()

    seed_everything(int(cfg["seed"]))
    module, datamodule = build_module_and_data(cfg, plugin, spec)
    trainer_args = {k: v for k, v in dict(cfg["trainer"]).items() if v is not None}
    # Per-step work other than the step itself is what makes small models slow: check the loss
    # for NaN/inf every log_every_n_steps (one sync each), redraw the bar a few times a second.
    guard = FiniteLossGuard(every_n_steps=int(trainer_args.get("log_every_n_steps") or 50))
    progress_every_s = float(dict(cfg.get("progress") or {}).get("every_s", 30))
    bar = [] if is_worker_rank() else [RunProgress(ProgressLine(run_label(cfg), progress_every_s))]
    threads = [SmallModelThreads()] if cfg.get("num_threads") is None else []
    # One callback as far as Lightning's per-step dispatch is concerned (the bar too: it is
    # repro's own, not a Lightning ProgressBar, so Lightning's stays off).
    evaluated = EvaluatedSamples()  # weights of the cross-rank mean of test metrics
    ours = CallbackGroup(
        [timing, guard, BatchesOnDevice(), evaluated, *threads, *(extra_callbacks or []), *bar]
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
    use_run_launcher(trainer, record_dir, ckpt_path)  # DDP: ranks re-enter repro, not the CLI
    with ranks_scope(trainer):
        trainer.fit(module, datamodule=datamodule, ckpt_path=str(ckpt_path) if ckpt_path else None)
        fit_metrics = {
            k: v for k, v in trainer.callback_metrics.items() if k.startswith(("train/", "val/"))
        }
        tested = trainer.test(module, datamodule=datamodule, verbose=False)
        tested = reduce_test_metrics(trainer, tested, evaluated)
    metrics = _scalar_metrics({**fit_metrics, **_every_dataloader(tested)})
    sizes = datamodule.dataset_sizes() if hasattr(datamodule, "dataset_sizes") else {}
    return TrainingResult(
        metrics=metrics,
        timing=timing.summary(trainer.global_step),
        parameters=sum(p.numel() for p in module.parameters()),
        dataset_sizes=sizes,
        device=str(trainer.strategy.root_device),
        world_size=trainer.world_size,
    )
