"""kill -9 of rank 0 of a DDP run: the other rank ends with one line, not a traceback.

Rank 1 inherits rank 0's stderr, so the run's stderr pipe carries rank 1's last words too;
it reaches EOF only once rank 1 has ended as well.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import write_toy_paper
from tests.running.test_distributed import _alive, _children, _start_long_run

ENDS_WITHIN_S = 30  # rank 1 notices a dead rank 0 in a collective or by its parent watch
PR_SET_CHILD_SUBREAPER = 36


@pytest.fixture
def toy_dir(tmp_path: Path) -> Path:
    write_toy_paper(tmp_path / "plugins", "toy")
    return tmp_path / "plugins"


@pytest.fixture
def subreaper() -> Iterator[None]:
    """This process adopts the orphaned rank 1, so the test can read its exit status."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    if prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        pytest.skip("no PR_SET_CHILD_SUBREAPER here")
    try:
        yield
    finally:
        prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def _exit_status(pid: int, timeout_s: float) -> int | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not adopted (another subreaper above us)
            return None
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.1)
    return None


def test_kill_9_of_rank_0_ends_rank_1_with_one_line(
    toy_dir: Path, isolated_env: Path, subreaper: None
) -> None:
    proc, _ = _start_long_run(toy_dir, isolated_env)
    (rank1,) = _children(proc.pid)
    lines: list[str] = []

    def read() -> None:
        for line in proc.stderr:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(0.5)  # what rank 0 wrote before the kill is read by now
    seen = len(lines)
    proc.kill()
    proc.wait(timeout=30)
    proc.stdout.close()
    reader.join(timeout=ENDS_WITHIN_S)  # EOF: rank 1, the last writer, has ended
    assert not reader.is_alive(), "rank 1 outlived its rank 0"
    code = _exit_status(rank1, timeout_s=10)
    assert not _alive(rank1)
    stderr = "".join(lines)
    print(f"rank 1 after the kill: {lines[seen:]}, exit {code}")
    after = [line.rstrip() for line in lines[seen:] if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert "BrokenPipeError" not in stderr, stderr
    assert len(after) <= 1, after
    assert all(line.startswith("error: rank 0 died") for line in after), after
    assert code is None or code != 0, code
