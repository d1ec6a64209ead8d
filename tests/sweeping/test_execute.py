"""The sweep's own words (sweeping.execute): what it refuses before planning anything."""

from __future__ import annotations

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
