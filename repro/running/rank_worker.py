"""Entry point of ranks 1..N-1 of a multi-process run started on this machine:
`python -m repro.running.rank_worker '{"record_dir": ..., "resume_from": ..., "error_fd": ...}'`.

Rank 0 (`repro run`, a sweep worker) starts these through repro.running.distributed.RunRanksLauncher
after writing the run's resolved config.yaml; a rank trains that same config and writes
nothing in the record folder. It prints nothing either: a failure goes as one line into the
pipe `error_fd`, which rank 0 reports (with the record) as the run's one error line.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

PARENT_POLL_S = 0.5


def end_with_parent() -> None:
    """A rank whose rank 0 is gone (kill -9) ends too, instead of waiting in a collective
    (NCCL waits until its timeout); the next `repro run` resumes from rank 0's checkpoint."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="repro-parent-watch").start()


def main(argv: list[str]) -> int:
    import yaml

    from repro.plugins.failures import failure_message, print_if_debugging
    from repro.records.store import CONFIG_FILE
    from repro.running.checkpointing import RunInterrupted
    from repro.running.runner import train_as_rank

    end_with_parent()
    spec = json.loads(argv[0])
    record_dir = Path(spec["record_dir"])
    config = yaml.safe_load((record_dir / CONFIG_FILE).read_text())
    resume_from = Path(spec["resume_from"]) if spec.get("resume_from") else None
    try:
        train_as_rank(config, record_dir, resume_from)
    except RunInterrupted:  # all ranks agreed to stop; rank 0 records it
        return 0
    except Exception as error:
        print_if_debugging(error)
        message = failure_message(error, Path(config["paper_dir"]))
        os.write(spec["error_fd"], message.encode())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
