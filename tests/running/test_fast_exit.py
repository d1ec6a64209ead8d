"""repro.running.fast_exit: a process ends without interpreter teardown, but never without
what an ordinary exit does for others (exit handlers, output, threads still working)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROGRAM = """
import atexit, sys, threading, time
from pathlib import Path
from repro.running.fast_exit import exit_now

out = Path(sys.argv[1])
atexit.register(lambda: out.joinpath("handler").write_text("ran"))
def work():
    time.sleep(0.5)
    out.joinpath("thread").write_text("done")

if sys.argv[2] == "thread":  # a non-daemon thread still working: Python waits for it
    threading.Thread(target=work).start()
sys.stdout.write("buffered, not flushed")
exit_now(int(sys.argv[3]))
"""


@pytest.mark.parametrize("code", [0, 3, 130])
def test_exit_now_runs_the_exit_handlers_flushes_and_keeps_the_code(
    tmp_path: Path, code: int
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(tmp_path), "plain", str(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == code, done.stderr
    assert done.stdout == "buffered, not flushed"
    assert (tmp_path / "handler").read_text() == "ran"


def test_exit_now_waits_for_a_working_thread_as_an_ordinary_exit_does(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(tmp_path), "thread", "4"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 4, done.stderr
    assert (tmp_path / "thread").read_text() == "done"
    assert (tmp_path / "handler").read_text() == "ran"


CTRL_C_DURING_EXIT = """
import atexit, os, signal, time
from repro.running.fast_exit import exit_now

def handler_hit_by_ctrl_c():  # a second Ctrl-C lands while the exit handlers run
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.2)
    print("handler done", flush=True)

atexit.register(handler_hit_by_ctrl_c)
exit_now(130)
"""


def test_a_ctrl_c_while_exiting_prints_no_traceback(tmp_path: Path) -> None:
    """A double Ctrl-C of a joblib sweep: the second landed in an idle worker's exit handlers
    and printed `Exception ignored in atexit callback` with a KeyboardInterrupt traceback."""
    done = subprocess.run(
        [sys.executable, "-c", CTRL_C_DURING_EXIT], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 130
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout == "handler done\n"
