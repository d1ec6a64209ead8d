"""Which completed record a config already has, and whether the current plugin code made it:
the one question `repro run`, the override-check shortcut and a sweep's jobs all ask first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from repro.records import store
from repro.records.fingerprint import stale_reason


def completed_run(config: dict[str, Any]) -> tuple[Path, dict[str, Any] | None, str | None]:
    """The record folder of `config`, its completed record (None: none, or rerun=true) and why
    that record is stale (None: made by the current plugin code, so the run is skipped)."""
    results_dir = store.resolved_results_dir(config)
    # a completed seed an older repro filed under an accelerator-specific hash stays where it is
    # and a run an older repro filed so, cut short with its checkpoint, resumes there
    record_dir = (
        store.completed_record_dir(results_dir, config)
        or (None if config.get("rerun") else store.unfinished_record_dir(results_dir, config))
        or store.run_dir(results_dir, config)
    )
    if config.get("rerun") or not store.is_completed(record_dir):
        return record_dir, None, None
    record = store.read_record(record_dir) or {}
    return record_dir, record, stale_reason(record, Path(config["paper_dir"]))
