"""The command line's words before a command runs (repro.arguments), in-process."""

from __future__ import annotations

import pytest

from repro.arguments import refuse_unknown_options
from repro.errors import UsageError

RUN_OWN = ["--papers-dir", "--help"]
SWEEP_OWN = ["--dry-run", "--papers-dir", "--help"]


@pytest.mark.parametrize(
    "arguments",
    [
        ["paper=a", "--cfg", "job"],
        ["paper=a", "--cfg=job", "-m", "seed=1,2"],
        ["paper=a", "--info"],
        ["paper=a", "-i", "config", "--resolve", "-p", "trainer"],
        ["paper=a", "--hydra-help", "--config-name", "x", "-cd", "d"],
    ],
)
def test_run_takes_hydras_flags(arguments: list[str]) -> None:
    refuse_unknown_options(arguments, "run", RUN_OWN)


@pytest.mark.parametrize("arguments", [["paper=a", "-m"], ["paper=a", "--multirun", "seed=1"]])
def test_sweep_takes_multirun_only_of_hydras_flags(arguments: list[str]) -> None:
    """A sweep is a multirun: `-m` says nothing new, and is harmless."""
    refuse_unknown_options(arguments, "sweep", SWEEP_OWN)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["paper=a", "--info"], "unknown option --info for repro sweep (Hydra's"),
        (["--hydra-help"], "unknown option --hydra-help for repro sweep (Hydra's"),
        (["--dry_run=1"], "unknown option --dry_run=1 (did you mean --dry-run?)"),
    ],
)
def test_sweep_refuses_what_it_would_drop(arguments: list[str], message: str) -> None:
    """Before, a sweep put every `-word` aside unread and trained."""
    with pytest.raises(UsageError) as refused:
        refuse_unknown_options(arguments, "sweep", SWEEP_OWN)
    assert str(refused.value).startswith(message), str(refused.value)
