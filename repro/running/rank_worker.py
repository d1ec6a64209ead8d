"""Entry point of ranks 1..N-1 of a multi-process run started on this machine:
`python -m repro.running.rank_worker '{"rank": ..., "record_dir": ..., "error_fd": ...}'`.

Rank 0 (`repro run`, a sweep worker) starts these through repro.running.distributed.RunRanksLauncher
after writing the run's resolved config.yaml; a rank trains that same config and writes
nothing in the record folder. It prints nothing either: a failure goes as one line into the
pipe `error_fd`, which rank 0 reports (with the record) as the run's one error line. Only
when rank 0 itself is gone does a rank say so, in one line of its own, and exit 1.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import NoReturn

PARENT_POLL_S = 0.5
PARENT_GRACE_S = 2.0  # a lost connection may come before the kernel reparents this process

_ending = threading.Lock()  # one thread says that rank 0 is gone, and ends the process


def rank_0_died(rank: int) -> NoReturn:
    """Rank 0 is gone (kill -9, out of memory): say so in one line and end. Its pipe and its
    connections are gone too, so anything else (a traceback from the failed collective, a
    BrokenPipeError from the error pipe) would only bury the line; the record stays
    `running` and the next `repro run` resumes from rank 0's last checkpoint."""
    if _ending.acquire(blocking=False):
        with contextlib.suppress(OSError):  # nobody reads stderr any more
            print(f"error: rank 0 died; rank {rank} stops", file=sys.stderr, flush=True)
        os._exit(1)
    threading.Event().wait()  # the other thread is ending the process


def end_with_parent(rank: int) -> int:
    """A rank whose rank 0 is gone (kill -9) ends too, instead of waiting in a collective
    (NCCL waits until its timeout). Returns rank 0's pid."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        rank_0_died(rank)

    threading.Thread(target=watch, daemon=True, name="repro-parent-watch").start()
    return parent


def parent_gone(parent: int, wait_s: float) -> bool:
    """Whether rank 0 has ended, waiting up to `wait_s` for the kernel to say so."""
    deadline = time.monotonic() + wait_s
    while os.getppid() == parent:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    rank = int(spec.get("rank") or os.environ.get("LOCAL_RANK") or 1)
    parent = end_with_parent(rank)

    import yaml

    from repro.plugins.failures import failure_message, print_if_debugging
    from repro.records.store import CONFIG_FILE
    from repro.running.checkpointing import RunInterrupted
    from repro.running.distributed import RankDied, lost_peer
    from repro.running.runner import train_as_rank

    record_dir = Path(spec["record_dir"])
    config_file = spec.get("config_file", CONFIG_FILE)  # a rerun's, set aside
    config = yaml.safe_load((record_dir / config_file).read_text())
    resume_from = Path(spec["resume_from"]) if spec.get("resume_from") else None
    try:
        train_as_rank(config, record_dir, resume_from, config_file)
    except RunInterrupted:  # all ranks agreed to stop; rank 0 records it
        return 0
    except Exception as error:
        peer_lost = isinstance(error, RankDied) or lost_peer(error) is not None
        if parent_gone(parent, PARENT_GRACE_S if peer_lost else 0.0):
            rank_0_died(rank)
        print_if_debugging(error)
        message = failure_message(error, Path(config["paper_dir"]))
        try:
            os.write(spec["error_fd"], message.encode())
        except OSError:  # rank 0 closed its end of the pipe: it is gone
            rank_0_died(rank)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
