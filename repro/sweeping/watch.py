"""Progress of runs another process trains (Hydra's SLURM and Ray launchers). While the
launcher waits for its jobs, the sweep polls the planned runs' record folders and prints
what local and joblib sweeps print as each run ends: its line and `k/N done, ETA ...`.
Before, a SLURM sweep said nothing until every job had ended."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from repro.records import store
from repro.running.progress import SweepProgress
from repro.running.runner import RunOutcome

POLL_S = 5.0  # a record file read per pending run each time: cheap on a shared filesystem
ENDED = (store.STATUS_COMPLETED, store.STATUS_FAILED, store.STATUS_INTERRUPTED)


class RecordWatch:
    """Says each planned run's end once, from the record this sweep's job wrote."""

    def __init__(self, runs: list[Any], sweep_id: str, poll_s: float = POLL_S) -> None:
        self.pending: dict[Path, Any] = {r.record_dir: r for r in runs if r.needs_training}
        self.sweep_id = sweep_id
        self.counter = SweepProgress(len(self.pending))
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._checking = threading.Lock()  # the poll thread's and the last look's: one at a time

    def check(self) -> None:
        """Print a line for each run whose record says it ended since the last check."""
        from repro.running.hydra_task import print_outcome

        with self._checking:
            for folder in list(self.pending):
                outcome = ended(folder, self.sweep_id)
                if outcome is not None:
                    del self.pending[folder]
                    print_outcome(outcome)
                    self.counter.finished(outcome.status)

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        """Poll in a thread while the launcher runs; a last look when it returns, so every
        line comes before the sweep's table (none after a stop: the sweep is ending)."""
        thread = threading.Thread(target=self._loop, daemon=True, name="repro-record-watch")
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join(self.poll_s + 5)
        self.check()

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_s):
            with contextlib.suppress(Exception):  # a progress line never breaks the sweep
                self.check()


def ended(folder: Path, sweep_id: str) -> RunOutcome | None:
    """The outcome of this sweep's run in `folder` once its record says it ended (a rerun's
    failure is in record.failed.json); None while it runs or has not started."""
    for name in (store.RECORD_FILE, store.FAILED_RERUN_FILE):
        try:
            record = store.read_record(folder, name)
        except (OSError, ValueError):
            continue
        if record and record.get("sweep_id") == sweep_id and record.get("status") in ENDED:
            metrics = record.get("metrics")
            return RunOutcome(
                record["status"],
                folder,
                metrics=metrics if isinstance(metrics, dict) else {},
                error=record.get("error"),
            )
    return None
