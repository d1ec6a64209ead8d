"""A run's lock: taken at once or refused clearly, and a disk that fails it named."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from repro.errors import ReproError
from repro.running import lock


def test_a_full_disk_as_the_lock_is_taken_names_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A results disk full to the last block: the lock file was made (no block needed), and
    writing its holder's pid in it failed; the run ended saying only `error: No space left
    on device`, no folder named."""

    def full(*_: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(lock.os, "pwrite", full)
    with pytest.raises(ReproError) as raised, lock.run_lock(tmp_path):
        pytest.fail("the lock was taken")
    assert str(raised.value) == f"cannot write in {tmp_path}: No space left on device"
    assert not lock.is_locked(tmp_path)  # let go: the next run is not refused as busy
