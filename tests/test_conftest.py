"""The tests' own fixtures, where a wrong one would fail tests for a reason not theirs."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import slurm_folder

SOCKET_PATH_MAX = 108
"""Linux's limit on a Unix socket's path (sun_path), which slurmd's job sockets live under."""


def test_the_slurm_folder_leaves_room_for_slurmds_sockets() -> None:
    """slurmd opens a socket per job step in its spool folder
    (`spool/localhost_<job>.4294967291`): under pytest's folder of a long-lived machine
    (`/tmp/pytest-of-root/pytest-1288/popen-gw0/test_slurm_sweep_through_real_0/`) that path
    was 109 characters, every job failed to start and was requeued, and the SLURM tests
    waited 600 s each and failed."""
    long_tmp = Path("/tmp/pytest-of-root/pytest-12345/popen-gw10") / ("test_" + "x" * 60)
    socket = slurm_folder(long_tmp) / "spool" / "localhost_123456.4294967291"
    assert len(str(socket)) <= SOCKET_PATH_MAX, socket
