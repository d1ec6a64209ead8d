"""The Lightning profiler a run gets: a quiet one unless the config names one
(`+trainer.profiler=simple|advanced|pytorch`), and then its report goes to the run's folder.

Lightning writes a named profiler's report through its logger at INFO, which repro keeps quiet
(the run's own progress line is what a terminal shows), so without a file it would vanish.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

REPORT_NAME = "profile"
"""Lightning names the files `<stage>-profile.txt` (fit, test) in the run's folder, with the
rank after it in a multi-process run (`fit-profile-0.txt`)."""
NAMED = {"simple": "SimpleProfiler", "advanced": "AdvancedProfiler", "pytorch": "PyTorchProfiler"}


RERUN_REPORTS = ".rerun-profile"
"""Where a rerun of a completed run writes its reports until it completes: the completed
run's reports stay as they are if it does not."""


def report_dir(record_dir: Path, replaces_a_completed_run: bool) -> Path:
    """The folder a run's profiler writes into."""
    return record_dir / RERUN_REPORTS if replaces_a_completed_run else record_dir


def clear_rerun_reports(record_dir: Path) -> None:
    """Drop the reports set aside (as a rerun starts: a killed one's are nobody's)."""
    import shutil

    shutil.rmtree(record_dir / RERUN_REPORTS, ignore_errors=True)


def settle_rerun_reports(record_dir: Path, completed: bool) -> None:
    """A rerun of a completed run has ended: its reports replace the completed run's when it
    completed (stale ones are gone by then), and are dropped when it did not."""
    staged = record_dir / RERUN_REPORTS
    if not staged.is_dir():
        return
    if completed:
        for report in profile_reports(staged):
            report.replace(record_dir / report.name)
    clear_rerun_reports(record_dir)


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


REPORT_FILE = re.compile(
    rf"(fit|validate|test|predict)-{REPORT_NAME}(-\d+)?\.txt"
    rf"|(fit|validate|test|predict)-{REPORT_NAME}(-\d+)?-\[\w+\][\w.]+\.pt\.trace\.json"
)
"""The names Lightning gives them (a stage, and a rank under DDP; the PyTorch profiler adds
its Chrome traces, `<stage>-profile-[Strategy]<hook>.<id>.pt.trace.json`): nothing else is
touched."""


def profile_reports(record_dir: Path) -> list[Path]:
    """The profiler reports in a run's folder (text, and PyTorch profiler traces)."""
    return sorted(
        path
        for path in Path(record_dir).glob(f"*-{REPORT_NAME}*")
        if REPORT_FILE.fullmatch(path.name)
    )


def remove_stale_reports(record_dir: Path, since: float) -> None:
    """Drop reports older than the attempt that just completed (`since`, epoch seconds): an
    earlier run's profile beside this run's record would read as this run's."""
    for report in profile_reports(record_dir):
        try:
            if report.stat().st_mtime < since:
                report.unlink()
        except OSError:  # gone already, or unreadable: nothing to claim either way
            pass
