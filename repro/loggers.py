"""Experiment loggers of one run: W&B (offline unless the user chose) and CSV."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CSV_FOLDER = "csv"


def build_loggers(
    logger_cfg: dict[str, Any],
    record_dir: Path,
    run_name: str,
    group: str,
    run_id: str,
    resume: bool = False,
) -> list[Any]:
    """The Lightning loggers the `logger` config group asked for, writing into the record."""
    from lightning.pytorch.loggers import CSVLogger

    loggers: list[Any] = []
    if resume:
        set_aside_csv_log(record_dir)
    if "csv" in logger_cfg:
        loggers.append(CSVLogger(save_dir=str(record_dir), name=CSV_FOLDER, version=""))
    if "wandb" in logger_cfg:
        loggers.append(
            _wandb_logger(dict(logger_cfg["wandb"]), record_dir, run_name, group, run_id, resume)
        )
    return loggers


def _wandb_logger(
    cfg: dict[str, Any], record_dir: Path, run_name: str, group: str, run_id: str, resume: bool
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
    logger = WandbLogger(
        name=run_name,
        group=group,
        id=run_id,
        save_dir=str(record_dir),
        mode=mode,
        project=cfg.pop("project", "repro"),
        entity=cfg.pop("entity", None),
        job_type=cfg.pop("job_type", "train"),
        resume="allow" if resume else None,
        **cfg,
    )
    # Lightning always passes anonymous=None, which wandb >= 0.19 answers with a deprecation
    # warning on every run; leaving the key out means the same (no anonymous logging).
    if cfg.get("anonymous") is None:
        getattr(logger, "_wandb_init", {}).pop("anonymous", None)
    return logger


def _has_netrc_key() -> bool:
    netrc = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
    return netrc.is_file() and "api.wandb.ai" in netrc.read_text(errors="ignore")


def set_aside_csv_log(record_dir: Path) -> None:
    """Keep the interrupted attempt's CSV log: Lightning's CSVLogger replaces metrics.csv."""
    current = record_dir / CSV_FOLDER / "metrics.csv"
    if current.is_file():
        attempt = len(list(current.parent.glob("metrics.part*.csv")))
        current.rename(current.with_name(f"metrics.part{attempt}.csv"))


def merge_csv_logs(record_dir: Path, resumed_at_step: int) -> None:
    """One metrics.csv for a resumed run: earlier attempts' rows up to the resume step, then
    the final attempt's rows."""
    import csv

    folder = record_dir / CSV_FOLDER
    parts = sorted(folder.glob("metrics.part*.csv"))
    final = folder / "metrics.csv"
    if not parts or not final.is_file():
        return
    rows: list[dict[str, str]] = []
    fields: list[str] = []
    for index, path in enumerate([*parts, final]):
        with path.open(newline="") as stream:
            reader = csv.DictReader(stream)
            fields += [f for f in reader.fieldnames or [] if f not in fields]
            for row in reader:
                is_final = index == len(parts)
                if is_final or int(float(row.get("step") or 0)) < resumed_at_step:
                    rows.append(row)
    temp = final.with_name(".metrics.csv.tmp")
    with temp.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    temp.replace(final)


def finish_wandb() -> None:
    """End the W&B run so the next run of this process does not write into it."""
    import sys

    if "wandb" in sys.modules:
        import wandb

        if wandb.run is not None:
            wandb.finish()
