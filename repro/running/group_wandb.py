"""W&B runs for seeds trained together: a group keeps each seed's curves as it trains (no
Lightning logger runs inside it), so each seed's W&B run is written from them once the seed
is tested, with the identity, config, tags and group a seed trained alone gets
(`running.loggers`). Only the timestamps differ: W&B stamps the rows as they are written.

A seed's training is done by then, so a W&B failure costs it nothing but a warning line.
"""

from __future__ import annotations

import sys
from typing import Any

import torch

from repro.errors import error_line

STEP_KEYS = ("step",)  # Lightning's CSV column; W&B gets the step as trainer/global_step


def write_seed_run(
    attempt: Any,
    module: Any,
    datamodule: Any,
    rows: list[dict[str, Any]],
    status: str,
    error: str | None = None,
    keep_open: bool = False,
) -> dict[str, Any] | None:
    """Write one seed's W&B run (config, the hyperparameters Lightning would log, every
    curve row at its step) when the `logger` config asks for W&B; returns the record's
    `wandb` section. `status`: "success" or "failed", as Lightning finalizes a run; `error`:
    a failed seed's line, kept in the run's summary as a seed alone's is. `keep_open`: a
    run written whole is left for the caller to finish (`loggers.finish_wandb`) once the
    seed's record is on disk, as a seed alone's is; one that failed is finished here."""
    logger_cfg = dict(attempt.config.get("logger") or {})
    if "wandb" not in logger_cfg:
        return None
    from repro.running.loggers import (
        WARNING_LIMIT,
        finish_wandb,
        start_wandb_logger,
        wandb_record,
        wandb_run_for,
    )

    config, record, record_dir = attempt.config, attempt.record, attempt.record_dir
    written = False
    try:
        spec = attempt.plugin.spec()
        claim_ids = [c.id for c in spec.claims if config["experiment_name"] in c.experiments()]
        identity = wandb_run_for(config, record, claim_ids, record_dir, None)
        logger = start_wandb_logger(dict(logger_cfg["wandb"] or {}), record_dir, identity)
        if hparams := hyperparameters(module, datamodule):
            logger.log_hyperparams(hparams)
        for row in rows:
            values = {k: v for k, v in row.items() if k not in STEP_KEYS and _number(v)}
            if values:
                logger.log_metrics(values, step=int(row["step"]))
        logger.finalize(status)
        info = wandb_record([logger], record_dir)
        written = True
        return info
    except Exception as problem:  # the seed's results are safe: say so, keep them
        print(
            f"warning: W&B run of {config['paper']}/{config['experiment_name']}/seed"
            f"{config['seed']} not written ({error_line(problem, WARNING_LIMIT)}); "
            "its record is kept",
            file=sys.stderr,
            flush=True,
        )
        return None
    finally:
        if not (keep_open and written):
            finish_wandb(exit_code=0 if status == "success" and written else 1, error=error)


def _number(value: Any) -> bool:
    """A value W&B plots (a float, NaN included, or an int), not a missing one."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def hyperparameters(module: Any, datamodule: Any) -> dict[str, Any]:
    """What Lightning logs as a run's hyperparameters (`_log_hyperparams`): the module's and
    the data module's initial ones, each only if it logs them; a key both have with other
    values raises RuntimeError, as it fails a seed alone (with any logger)."""
    parts = [p for p in (module, datamodule) if getattr(p, "_log_hyperparams", False)]
    initial = [dict(getattr(p, "hparams_initial", {}) or {}) for p in parts]
    if len(initial) == 2:
        ours, theirs = initial
        clash = [
            key
            for key in ours.keys() & theirs.keys()
            if key != "_class_path"
            and (
                type(ours[key]) is not type(theirs[key])
                or (torch.is_tensor(ours[key]) and ours[key] is not theirs[key])
                or bool(ours[key] != theirs[key])
            )
        ]
        if clash:
            raise RuntimeError(
                f"Error while merging hparams: the keys {clash} are present in both the "
                "LightningModule's and LightningDataModule's hparams but have different values."
            )
    merged = {k: v for part in initial for k, v in part.items()}
    return {k: v for k, v in merged.items() if k != "_class_path"}
