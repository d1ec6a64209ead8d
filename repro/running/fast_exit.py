"""Ending a repro process without Python's interpreter teardown once its work is done.

With torch and Lightning loaded, the teardown (freeing every module's objects, after the exit
handlers) takes about 1 s: after a sweep's table, once per worker and once more for the sweep,
and it is all in the time from `repro sweep` to a verdict. Records, checkpoints and curves are
written and closed before this point; what still needs doing at exit is registered with
`atexit` (W&B's teardown, logging's flush, multiprocessing's joins), and those handlers still
run here. Where a non-daemon thread is still alive (Python would wait for it) or the handlers
cannot be run first, the process exits the ordinary way.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
from typing import NoReturn

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""The signals that stop a run or a sweep cleanly (a checkpoint, a record that says so)."""


def exit_now(code: int) -> NoReturn:
    """Run the exit handlers, flush the output, and end the process with `code`."""
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's, since 3.0
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    in_main_thread = threading.current_thread() is threading.main_thread()
    if run_exit_handlers is None or others or not in_main_thread:
        sys.exit(code)
    # a Ctrl-C or SIGTERM now (a second stop, as the first ends the process) would only
    # print a traceback from whichever exit handler it lands in: the code is already known
    for stop in STOP_SIGNALS:
        signal.signal(stop, signal.SIG_IGN)
    run_exit_handlers()  # each handler's own error is printed and passed over, as at exit
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)


def code_of(exit: SystemExit) -> int:
    """The process exit code Python gives for a SystemExit (a message prints, and is 1)."""
    if exit.code is None:
        return 0
    if isinstance(exit.code, int):
        return exit.code
    print(exit.code, file=sys.stderr)
    return 1


def hold_signals_to_exit() -> None:
    """After a record names a stop, later SIGINT/SIGTERM are noted and dropped: the process
    is already on its way out (a sweep starts nothing more), and one arriving as it exits
    would otherwise end it with another code than the signal its records name."""
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            signal.signal(signum, _too_late)


def _too_late(signum: int, frame: object) -> None:
    """A stop is already under way: nothing more to stop."""
