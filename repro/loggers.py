"""Experiment loggers of one run: W&B (offline unless the user chose) and CSV."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CSV_FOLDER = "csv"


def build_loggers(
    logger_cfg: dict[str, Any], record_dir: Path, run_name: str, group: str, run_id: str
) -> list[Any]:
    """The Lightning loggers the `logger` config group asked for, writing into the record."""
    from lightning.pytorch.loggers import CSVLogger

    loggers: list[Any] = []
    if "csv" in logger_cfg:
        loggers.append(CSVLogger(save_dir=str(record_dir), name=CSV_FOLDER, version=""))
    if "wandb" in logger_cfg:
        loggers.append(
            _wandb_logger(dict(logger_cfg["wandb"]), record_dir, run_name, group, run_id)
        )
    return loggers


def _wandb_logger(
    cfg: dict[str, Any], record_dir: Path, run_name: str, group: str, run_id: str
) -> Any:
    from lightning.pytorch.loggers import WandbLogger

    mode = cfg.pop("mode", None) or os.environ.get("WANDB_MODE") or "offline"
    os.environ.setdefault("WANDB_SILENT", "true")
    if mode == "online" and not (os.environ.get("WANDB_API_KEY") or _has_netrc_key()):
        from repro.errors import UsageError

        raise UsageError(
            "W&B mode is online but no API key is configured (set WANDB_API_KEY, "
            "run `wandb login`, or use logger.wandb.mode=offline)"
        )
    return WandbLogger(
        name=run_name,
        group=group,
        id=run_id,
        save_dir=str(record_dir),
        mode=mode,
        project=cfg.pop("project", "repro"),
        entity=cfg.pop("entity", None),
        job_type=cfg.pop("job_type", "train"),
        **cfg,
    )


def _has_netrc_key() -> bool:
    netrc = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
    return netrc.is_file() and "api.wandb.ai" in netrc.read_text(errors="ignore")


def finish_wandb() -> None:
    """End the W&B run so the next run of this process does not write into it."""
    import sys

    if "wandb" in sys.modules:
        import wandb

        if wandb.run is not None:
            wandb.finish()
