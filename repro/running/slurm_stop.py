"""What a SIGTERM under SLURM was, where SLURM says: a cancelled job (`scancel`), the
warning before its time limit (submitit's `--signal=TERM@120`) and a preemption all arrive
as SIGTERM. A record that said only `SIGTERM` left the sweep to guess, and it blamed the
time limit for a cancelled job too. Asked once, as the stop is recorded; a squeue that
fails, hangs or knows nothing adds nothing: the record then says SIGTERM, as before."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Mapping
from typing import Any

SQUEUE_TIMEOUT_S = 5.0  # the stop is being recorded: never held up long by a slow controller
# a RUNNING job this close to its limit was most likely sent the limit's warning; the record
# says the fact (its time left), as a `kill` from a shell then reads the same
WARNED_WITHIN_S = 600
CANCELLED = "its SLURM job was cancelled"
NEAR_TIME_LIMIT = "its SLURM job's time limit was"
TIME_LIMIT = "its SLURM job reached its time limit"
PREEMPTED = "its SLURM job was preempted"
# squeue's answer, by job and asker: one stop writes many records (a group's seeds, each
# named), and one asking each could outlast SLURM's KillWait after `scancel` (a slow or
# hung controller: 5 s apiece); a process stops once, so its first answer is its stop's
_ASKED: dict[tuple[str, Callable[..., Any]], str] = {}


def stop_name(
    signum: int,
    environ: Mapping[str, str] = os.environ,
    run: Callable[..., Any] = subprocess.run,
) -> str:
    """`SIGTERM (its SLURM job was cancelled)`, or the signal's bare name where SLURM does
    not say (no SLURM job, Ctrl-C, a `kill` from a shell)."""
    name = signal.Signals(signum).name
    job = environ.get("SLURM_JOB_ID")
    if signum != signal.SIGTERM or not job:
        return name
    array, task = environ.get("SLURM_ARRAY_JOB_ID"), environ.get("SLURM_ARRAY_TASK_ID")
    if array and task:  # `-j <array's id>` lists every task of it: the array's last task
        job = f"{array}_{task}"  # has that id as its own (a sweep's), so this task's alone
    if (job, run) not in _ASKED:
        _ASKED[job, run] = _squeue(job, run)
    cause = _cause(_ASKED[job, run])
    return f"{name} ({cause})" if cause else name


def _squeue(job: str, run: Callable[..., Any]) -> str:
    """`STATE|TIME_LEFT` of the job, or '' where squeue cannot say."""
    try:
        done = run(
            ["squeue", "-h", "-j", job, "-o", "%T|%L"],
            capture_output=True,
            text=True,
            timeout=SQUEUE_TIMEOUT_S,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _cause(line: str) -> str | None:
    state, _, left = line.partition("|")
    seconds = _seconds(left)
    if state == "PREEMPTED":
        return PREEMPTED
    if state in ("CANCELLED", "COMPLETING", "TIMEOUT") and seconds is not None:
        return TIME_LIMIT if seconds == 0 or state == "TIMEOUT" else CANCELLED
    if state == "RUNNING" and seconds == 0:  # the limit itself, not a warning "0:00 away"
        return TIME_LIMIT
    if state == "RUNNING" and seconds is not None and seconds <= WARNED_WITHIN_S:
        return f"{NEAR_TIME_LIMIT} {left} away"
    return None


def _seconds(left: str) -> int | None:
    """squeue's `%L` ([days-][hours:]minutes:seconds) in seconds; None for anything else
    (`INVALID`, `UNLIMITED`, '')."""
    days, _, clock = left.rpartition("-")
    try:
        parts = [int(part) for part in clock.split(":")]
        total = int(days) * 86400 if days else 0
    except ValueError:
        return None
    if not 1 <= len(parts) <= 3:
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return total + seconds
