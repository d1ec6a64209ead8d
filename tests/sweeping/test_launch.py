"""Launch settings of a sweep (sweeping.launch) read from its words."""

from __future__ import annotations

import logging
import os

import pytest

from repro.errors import UsageError
from repro.sweeping.launch import joblib_workers, submitit_logging_quieted


@pytest.mark.parametrize("n_jobs", ["0", "-2"])
def test_zero_or_other_negative_parallel_jobs_are_refused(n_jobs: str) -> None:
    """Before, `hydra.launcher.n_jobs=0` was silently one job per core (joblib rejects 0)."""
    with pytest.raises(UsageError, match="-1 for one per CPU core"):
        joblib_workers([f"hydra.launcher.n_jobs={n_jobs}"])


def test_minus_one_is_one_job_per_core_and_a_count_is_that_count() -> None:
    assert joblib_workers(["hydra.launcher.n_jobs=-1"]) == (os.cpu_count() or 1)
    assert joblib_workers(["hydra.launcher.n_jobs=3"]) == 3


def _emitted(message: str, level: int = logging.WARNING) -> int:
    """How many of the submitit logger's handlers would print this record."""
    logger = logging.getLogger("submitit")
    record = logger.makeRecord("submitit", level, __file__, 0, message, (), None)
    if not logger.isEnabledFor(level) or not logger.filter(record):
        return 0
    return sum(bool(h.filter(record)) and level >= h.level for h in logger.handlers)


def test_submitit_lines_come_once_and_the_sacct_bypass_not_at_all() -> None:
    """Before, every poll of a SLURM sweep printed `Bypassing sacct error ..., status may be
    inaccurate.` twice (submitit's stdout handler takes warnings as its stderr one does)."""
    pytest.importorskip("submitit")
    sacct = "Call #3 - Bypassing sacct error Command 'sacct' failed, status may be inaccurate."
    with submitit_logging_quieted():
        assert _emitted(sacct) == 0
        assert _emitted("Job 4_0 failed") == 1
        assert _emitted("submitted", logging.INFO) == 1
    assert _emitted("Job 4_0 failed") == 2  # submitit's own setting again, after the sweep
