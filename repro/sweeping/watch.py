"""Progress of runs another process trains (Hydra's SLURM and Ray launchers). While the
launcher waits for its jobs, the sweep polls the planned runs' record folders and prints
what local and joblib sweeps print as each run ends: its line and `k/N done, ETA ...`.
Before, a SLURM sweep said nothing until every job had ended."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from repro.records import store
from repro.running.progress import SweepProgress
from repro.running.runner import RunOutcome

POLL_S = 5.0  # a record file read per pending run each time: cheap on a shared filesystem
# while no job has started: a line at 1 min, then every 5 min (a queue of a minute is no news)
FIRST_WAIT_NOTICE_S = 60.0
WAIT_NOTICE_EVERY_S = 300.0
ENDED = (store.STATUS_COMPLETED, store.STATUS_FAILED, store.STATUS_INTERRUPTED)


class RecordWatch:
    """Says each planned run's end once, from the record this sweep's job wrote."""

    def __init__(
        self,
        runs: list[Any],
        sweep_id: str,
        poll_s: float = POLL_S,
        slurm_name: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pending: dict[Path, Any] = {r.record_dir: r for r in runs if r.needs_training}
        self.sweep_id = sweep_id
        self.counter = SweepProgress(len(self.pending))
        self.poll_s = poll_s
        self.slurm_name = slurm_name
        self.clock = clock
        self.began = clock()
        self.next_wait_notice = FIRST_WAIT_NOTICE_S
        self.any_started = not self.pending
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
            self._say_if_none_started()

    def _say_if_none_started(self) -> None:
        """A SLURM job that cannot start (no such partition, no free GPU) stays pending
        without end: while none of this sweep's runs has started, say so now and then, and
        where the reason is, rather than wait without a word."""
        if self.any_started:
            return
        if any(started(folder, self.sweep_id) for folder in self.pending) or (self.counter.done):
            self.any_started = True
            return
        waited = self.clock() - self.began
        if waited < self.next_wait_notice:
            return
        self.next_wait_notice = waited + WAIT_NOTICE_EVERY_S
        where = (
            f"`squeue --name {self.slurm_name}` says why they wait"
            if self.slurm_name
            else "the launcher's queue says why they wait"
        )
        print(
            f"waiting: none of this sweep's {len(self.pending)} runs has started after "
            f"{int(waited // 60)} min; {where} (Ctrl-C stops the sweep"
            f"{' and cancels them' if self.slurm_name else ''})",
            file=sys.stderr,
            flush=True,
        )

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


def started(folder: Path, sweep_id: str) -> bool:
    """Whether this sweep's run in `folder` has begun: its record names this sweep, or a
    process holds the folder (a rerun of a completed run keeps the old record until it ends)."""
    from repro.running.lock import is_locked

    try:
        record = store.read_record(folder)
    except (OSError, ValueError):
        record = None
    return bool(record and record.get("sweep_id") == sweep_id) or is_locked(folder)


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
