"""The Lightning profiler a run gets: a quiet one unless the config names one
(`+trainer.profiler=simple|advanced|pytorch`), and then its report goes to the run's folder.

Lightning writes a named profiler's report through its logger at INFO, which repro keeps quiet
(the run's own progress line is what a terminal shows), so without a file it would vanish.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPORT_NAME = "profile"
"""Lightning names the files `<stage>-profile.txt` (fit, test) in the run's folder."""
NAMED = {"simple": "SimpleProfiler", "advanced": "AdvancedProfiler", "pytorch": "PyTorchProfiler"}


def run_profiler(choice: Any, record_dir: Path) -> Any:
    """The `profiler` argument of the run's Trainer. A name Lightning does not know (or a
    profiler object) is passed on as it is, for Lightning's own error or use."""
    from lightning.pytorch import profilers

    from repro.running.lightning_overhead import QuietProfiler

    if choice is None:
        return QuietProfiler()
    if isinstance(choice, str) and choice.lower() in NAMED:
        named = getattr(profilers, NAMED[choice.lower()])
        return named(dirpath=str(record_dir), filename=REPORT_NAME)
    return choice


def profile_reports(record_dir: Path) -> list[Path]:
    """The profiler reports a run left in its folder (none unless the config named one)."""
    return sorted(Path(record_dir).glob(f"*-{REPORT_NAME}.txt"))
