"""One run: resolve its record folder, skip it if done, train, and write the run record."""

from __future__ import annotations

import datetime as dt
import shlex
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repro import store
from repro.errors import ReproError, UsageError
from repro.registry import plugin_from_folder


@dataclass
class RunOutcome:
    """What happened to one run, for the CLI's exit code and the sweep summary."""

    status: str  # completed | skipped | failed | interrupted
    record_dir: Path | None
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    exit_code: int = 0


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _validated_seed(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"seed must be an integer, got {value!r}")
    return value


def resolve_config(cfg: Any) -> dict[str, Any]:
    """Plain resolved dict of a Hydra config (interpolations evaluated once)."""
    from omegaconf import OmegaConf

    return OmegaConf.to_container(cfg, resolve=True)


def run_one(config: dict[str, Any], command: list[str] | None = None) -> RunOutcome:
    """Train the setting `config` describes unless a completed record of it exists."""
    from repro.environment import capture_environment
    from repro.loggers import build_loggers, finish_wandb
    from repro.training import train_and_test

    seed = _validated_seed(config.get("seed"))
    if not config.get("experiment_name"):
        raise UsageError("choose an experiment: experiment=<name> (see `repro show <paper>`)")
    plugin = plugin_from_folder(Path(config["paper_dir"]))
    spec = plugin.spec()
    results_dir = Path(config["paths"]["results_dir"]).resolve()
    record_dir = store.run_dir(results_dir, config)
    if store.is_completed(record_dir) and not config.get("rerun"):
        record = store.read_record(record_dir) or {}
        return RunOutcome("skipped", record_dir, record.get("metrics", {}))

    try:
        record_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReproError(f"cannot create run folder {record_dir}: {error.strerror}") from None
    name = f"{config['paper']}/{config['experiment_name']}/seed{seed}"
    record: dict[str, Any] = {
        "schema": store.SCHEMA_VERSION,
        "paper": config["paper"],
        "experiment": config["experiment_name"],
        "seed": seed,
        "seeds": {"python": seed, "numpy": seed, "torch": seed, "dataloader_workers": seed},
        "config_hash": store.config_hash(config),
        "status": store.STATUS_RUNNING,
        "error": None,
        "metrics": {},
        "command": shlex.join(command or sys.argv),
        "timing": {"started_at": _now()},
        "environment": capture_environment(),
    }
    store.atomic_write_text(record_dir / store.CONFIG_FILE, _to_yaml(config))
    store.write_record(record_dir, record)
    started = time.perf_counter()
    warnings.filterwarnings("ignore", message=".*The `srun` command is available.*")
    if config.get("num_threads"):
        import torch

        torch.set_num_threads(int(config["num_threads"]))
    try:
        loggers = build_loggers(
            dict(config.get("logger") or {}),
            record_dir,
            run_name=f"{name}",
            group=f"{config['paper']}/{config['experiment_name']}",
            run_id=f"{config['paper']}-{config['experiment_name']}-{record['config_hash']}-s{seed}",
        )
        result = train_and_test(config, plugin, spec, record_dir, loggers)
    except KeyboardInterrupt:
        _finish(record, store.STATUS_INTERRUPTED, started, "interrupted by the user")
        store.write_record(record_dir, record)
        raise
    except Exception as error:  # recorded, then reported as one line by the caller
        message = (
            str(error) if isinstance(error, ReproError) else f"{type(error).__name__}: {error}"
        )
        _finish(record, store.STATUS_FAILED, started, message)
        store.write_record(record_dir, record)
        code = error.exit_code if isinstance(error, ReproError) else 1
        return RunOutcome("failed", record_dir, error=message, exit_code=code)
    finally:
        finish_wandb()
    record["metrics"] = result.metrics
    record["model"] = {"parameters": result.parameters, "device": result.device}
    record["data"] = result.dataset_sizes
    record["timing"].update(result.timing)
    _finish(record, store.STATUS_COMPLETED, started, None)
    store.write_record(record_dir, record)
    return RunOutcome("completed", record_dir, result.metrics)


def _finish(record: dict[str, Any], status: str, started: float, error: str | None) -> None:
    record["status"] = status
    record["error"] = error
    record["timing"]["finished_at"] = _now()
    record["timing"]["wall_s"] = round(time.perf_counter() - started, 3)


def _to_yaml(config: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(config, sort_keys=False)
