"""The sweep's own words (sweeping.execute): what it refuses before planning anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from repro.errors import UsageError
from repro.sweeping.execute import SweepKeys


@pytest.mark.parametrize(
    ("hydra_launcher", "instead"),
    [("submitit_slurm", "launcher=slurm"), ("joblib", "launcher=joblib"), ("x", "launcher=local|")],
)
def test_hydra_launcher_is_refused_naming_repros_launcher(
    hydra_launcher: str, instead: str
) -> None:
    """Before, the sweep ignored `hydra/launcher=` and trained everything here, exit 0."""
    with pytest.raises(UsageError, match=f"use {instead}") as refused:
        SweepKeys.parse(["paper=toy", f"hydra/launcher={hydra_launcher}", "seeds=2"])
    assert "\n" not in str(refused.value)


def test_seeds_with_seed_is_refused_as_seeds_auto_with_seed_is() -> None:
    """`seeds=2 seed=5` planned one run, seed 5: the seeds=2 was dropped without a word."""
    with pytest.raises(UsageError, match=r"seeds=2 and seed=5 both choose the seeds") as refused:
        SweepKeys.parse(["paper=toy", "seeds=2", "seed=5"])
    assert "\n" not in str(refused.value)


def test_seed_alone_or_seeds_alone_still_choose_the_seeds() -> None:
    assert SweepKeys.parse(["paper=toy", "seeds=3"])[0].seeds == 3
    keys, rest = SweepKeys.parse(["paper=toy", "seed=5,6"])
    assert keys.seeds is None and "seed=5,6" in rest


def test_a_slurm_run_cut_by_sigterm_names_the_time_limit(tmp_path: Path) -> None:
    """A SLURM run that reached its time limit (warned by SIGTERM) ended the sweep as
    `interrupted by SIGTERM` alone: nothing said the limit was the likely cause, nor how to
    raise it, so the same sweep again was cut the same way."""
    from repro.sweeping.execute import time_limit_line
    from repro.sweeping.launch import INTERRUPTED, RunResult
    from repro.sweeping.plan import PlannedRun

    def result(seed: int, kind: str, detail: str) -> RunResult:
        return RunResult(
            PlannedRun("small", seed, (), tmp_path / str(seed), "to run"), kind, detail, 1.0
        )

    cut = result(0, INTERRUPTED, "interrupted by SIGTERM at step 8; the same sweep again resumes")
    done = result(1, "trained", "")
    line = time_limit_line([cut, done], "slurm", ["slurm.time_min=30"])
    assert line is not None and line.startswith("warning: 1 run interrupted by SIGTERM")
    assert "time limit" in line and "slurm.time_min=30" in line and "raise" in line
    assert time_limit_line([cut], "joblib", []) is None  # no time limit there
    assert time_limit_line([done], "slurm", []) is None
    assert "slurm.time_min (60 minutes" in (time_limit_line([cut], "slurm", []) or "")
