"""One process per run folder: an advisory lock the OS releases even on kill -9."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from repro.errors import ReproError

LOCK_FILE = ".lock"


class RunBusy(ReproError):
    """Another process holds the run's lock: not a failure of this run, a sweep counts it apart."""

    def __init__(self, record_dir: Path, holder: str) -> None:
        super().__init__(f"run {record_dir} is already running (pid {holder})")
        self.record_dir = record_dir


def is_locked(record_dir: Path) -> bool:
    """Whether some process holds the run's lock right now (a sweep's summary asks)."""
    path = record_dir / LOCK_FILE
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(handle)
    return False


class FolderNotWritable(ReproError, OSError):
    """A run's folder where its lock cannot be made (a read-only results folder): said as the
    folder, and still an OSError to the code that meets it as one (a tidy that leaves it)."""


def open_lock_file(folder: Path, name: str) -> int:
    """The lock file `name` of `folder`, made if missing; a folder that cannot be written (a
    read-only results folder) is named, never the lock file inside it."""
    try:
        return os.open(folder / name, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise FolderNotWritable(f"cannot write in {folder}: {error.strerror or error}") from None


@contextmanager
def run_lock(record_dir: Path) -> Iterator[None]:
    """Hold the folder's lock for the whole run; a second process fails at once, clearly."""
    handle = open_lock_file(record_dir, LOCK_FILE)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 32, 0).decode(errors="ignore").strip() or "another process"
            raise RunBusy(record_dir, holder) from None
        try:  # who holds it, for the `already running` of another process
            os.ftruncate(handle, 0)
            os.pwrite(handle, str(os.getpid()).encode(), 0)
        except OSError as error:  # a full disk: the lock file was made, its pid has no block
            raise FolderNotWritable(
                f"cannot write in {record_dir}: {error.strerror or error}"
            ) from None
        yield
    finally:
        os.close(handle)
