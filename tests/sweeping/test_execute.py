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
