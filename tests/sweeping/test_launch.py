"""Launch settings of a sweep (sweeping.launch) read from its words."""

from __future__ import annotations

import os

import pytest

from repro.errors import UsageError
from repro.sweeping.launch import joblib_workers


@pytest.mark.parametrize("n_jobs", ["0", "-2"])
def test_zero_or_other_negative_parallel_jobs_are_refused(n_jobs: str) -> None:
    """Before, `hydra.launcher.n_jobs=0` was silently one job per core (joblib rejects 0)."""
    with pytest.raises(UsageError, match="-1 for one per CPU core"):
        joblib_workers([f"hydra.launcher.n_jobs={n_jobs}"])


def test_minus_one_is_one_job_per_core_and_a_count_is_that_count() -> None:
    assert joblib_workers(["hydra.launcher.n_jobs=-1"]) == (os.cpu_count() or 1)
    assert joblib_workers(["hydra.launcher.n_jobs=3"]) == 3
