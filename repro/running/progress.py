"""What a person sees while a run trains and when it ends.

One line per run, over the whole run: a redrawn bar on a terminal, plain lines every
`progress.every_s` seconds in a log file (a SLURM log, `> run.log`). Lightning's own bar
restarts every epoch, shows no overall ETA and prints nothing useful to a file.

Per-step cost matters for small models (repro/running/lightning_overhead.py): the only per-step
work (`ProgressLine.due`, called by repro.running.callbacks.RunProgress) is a clock read and a
comparison; metrics are read (`.item()`, a device sync) only when a line is drawn. Nothing
here imports torch or Lightning, so `start_line` is printed before those slow imports.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TextIO

from repro.wording import significant

REDRAW_S = 0.25  # a terminal bar is redrawn at most this often
SWEEP_WORKER_ENV = "REPRO_SWEEP_PID"  # set for joblib sweep workers (repro/sweeping/jobs.py)
BAR_WIDTH = 20
P = ParamSpec("P")  # what status_parts takes, given through to status_text


def run_label(config: dict[str, Any]) -> str:
    """`mnist1d/cnn seed0`: which run a line is about (several may share a log)."""
    return f"{config.get('paper')}/{config.get('experiment_name')} seed{config.get('seed')}"


def likely_device(trainer_cfg: dict[str, Any]) -> str:
    """The device a run will use, guessed without importing torch (seconds on a cold cache)
    so the start line can come first; the record says the device actually used."""
    accelerator = str(trainer_cfg.get("accelerator") or "auto")
    if accelerator not in ("auto", "gpu"):
        return accelerator
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return "cpu" if accelerator == "auto" else "cuda"
    gpus = Path("/proc/driver/nvidia/gpus")
    if gpus.is_dir() and any(gpus.iterdir()):
        return "cuda"
    if accelerator == "auto" and sys.platform.startswith("linux"):
        return "cpu"
    return accelerator


def shown_path(path: Path) -> str:
    """Relative to the working directory when under it, else absolute; never shortened."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a link loop (Python 3.11)
        return str(path)


def start_line(config: dict[str, Any], record_dir: Path) -> str:
    """`repro run: mnist1d/cnn seed 0 on cpu -> results/mnist1d/cnn/<hash>/seed0`."""
    trainer_cfg = dict(config.get("trainer") or {})
    device = likely_device(trainer_cfg)
    devices = trainer_cfg.get("devices")
    if isinstance(devices, int) and devices > 1:
        device = f"{devices} x {device}"
    return (
        f"repro run: {config.get('paper')}/{config.get('experiment_name')} "
        f"seed {config.get('seed')} on {device} -> {shown_path(record_dir)}"
    )


def started_as_worker_rank() -> bool:
    """Whether a launcher started this process as a rank other than 0 (the variables
    repro.running.distributed.process_rank reads), told without importing Lightning: only rank 0
    prints the start line."""
    names = ("RANK", "SLURM_PROCID", "LOCAL_RANK", "NODE_RANK")
    return any((os.environ.get(name) or "0").strip() not in ("0", "") for name in names)


def resume_line(step: int | None, checkpoint: Path) -> str:
    return f"resuming from step {step} (checkpoint {shown_path(checkpoint)})"


def format_duration(seconds: float | None) -> str:
    """`0:15`, `12:03`, `2:05:09`; `?` when unknown; `<1 s` for a time that rounds to no
    seconds but is not none (a toy run's end line said `in 0:00`)."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "?"
    if 0 < seconds < 0.5:
        return "<1 s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def total_steps(
    max_steps: int | None, max_epochs: int | None, steps_per_epoch: float | None
) -> int | None:
    """Optimiser steps the run will take: whichever of max_steps and max_epochs bounds it;
    None when neither does or an epoch's length is unknown."""
    bounds = []
    if max_steps is not None and max_steps > 0:
        bounds.append(int(max_steps))
    if (
        max_epochs is not None
        and max_epochs > 0
        and steps_per_epoch is not None
        and math.isfinite(steps_per_epoch)
    ):
        bounds.append(int(max_epochs * steps_per_epoch))
    return min(bounds) if bounds else None


def pick_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """The latest training loss and validation metric of `trainer.callback_metrics`: the
    first `train/` key naming a loss (else the first `train/` key), the first `val/` key
    that is not a loss (else the first `val/` key). Values are not read here."""
    picked = {}
    for prefix in ("train/", "val/"):
        keys = [k for k in metrics if k.startswith(prefix) and "/dataloader_idx" not in k]
        losses = [k for k in keys if "loss" in k]
        others = [k for k in keys if "loss" not in k]
        preferred = losses if prefix == "train/" else others
        chosen = (preferred or keys)[:1]
        picked.update({k: metrics[k] for k in chosen})
    return picked


def _number(value: Any) -> float | None:
    try:
        number = float(value.item() if hasattr(value, "item") else value)
    except (TypeError, ValueError, RuntimeError):
        return None
    return number


def status_parts(
    step: int,
    total: int | None,
    rate: float | None,
    metrics: dict[str, Any],
    elapsed_s: float | None = None,
    done: bool = False,
    seeds: int = 1,
) -> tuple[list[str], list[str]]:
    """`status_text`'s fields, each whole (`in 0:15`): where the run is, then its metrics,
    which a narrow terminal's bar gives up first."""
    parts = [f"step {step}/{total} ({100 * step / total:.0f}%)" if total else f"step {step}"]
    if rate:
        parts.append(f"{significant(rate, 3) if rate < 1000 else f'{rate:.0f}'} it/s")
        if seeds > 1:
            parts[-1] += f" per seed, {seeds} at once"
    if done:
        parts.append(f"in {format_duration(elapsed_s)}")
    elif total and rate:
        parts.append(f"ETA {format_duration(max(0, total - step) / rate)}")
    shown = []
    for key, value in metrics.items():
        number = _number(value)
        if number is not None:
            shown.append(f"{key} {number:.4g}")
    return parts, shown


def _joined(parts: Callable[P, tuple[list[str], list[str]]]) -> Callable[P, str]:
    """`parts`' fields as one line, called as `parts` is: its signature is written once."""

    def text(*args: P.args, **kwargs: P.kwargs) -> str:
        core, shown = parts(*args, **kwargs)
        return " ".join(core + shown)

    return text


status_text = _joined(status_parts)
"""`step 1200/6000 (20%) 310 it/s ETA 0:15 train/loss 0.41 val/acc 0.93`; a finished run
says how long it took instead of the ETA. K `seeds` trained together take a step at once:
the rate is each seed's (`310 it/s per seed, 3 at once`), not K times it."""


def bar_text(step: int, total: int | None, width: int = BAR_WIDTH) -> str:
    if not total:
        return ""
    filled = min(width, int(width * step / total))
    return "|" + "█" * filled + " " * (width - filled) + "|"


class ProgressLine:
    """The run's one line: a bar redrawn in place on a terminal, else plain lines every
    `every_s` seconds. `due()` is all a training step costs; `draw()` reads the metrics."""

    def __init__(
        self,
        label: str,
        every_s: float = 30.0,
        stream: TextIO | None = None,
        interactive: bool | None = None,
        seeds: int = 1,
    ) -> None:
        self.label = label
        self.seeds = seeds  # trained together: its rate is each seed's
        self.stream = stream if stream is not None else sys.stderr
        if interactive is None:  # parallel sweep workers share the terminal: lines, not bars
            interactive = _isatty(self.stream) and not os.environ.get(SWEEP_WORKER_ENV)
        self.interactive = interactive
        self.interval_s = REDRAW_S if interactive else max(0.0, float(every_s))
        self.total: int | None = None
        self.started = 0.0
        self.start_step = 0
        self._next_draw = math.inf
        self._line_open = False  # a bar is on screen without its newline

    def start(self, step: int, total: int | None) -> None:
        self.total = total
        self.start_step = step
        self.started = time.monotonic()
        self._next_draw = self.started + self.interval_s
        _OPEN.add(self)

    def due(self) -> bool:
        """Whether to draw now (at most every `interval_s`): a clock read per step."""
        now = time.monotonic()
        if now < self._next_draw:
            return False
        self._next_draw = now + self.interval_s
        return True

    def _parts(self, step: int, metrics: dict[str, Any], done: bool) -> tuple[list[str], list[str]]:
        elapsed = time.monotonic() - self.started
        trained = step - self.start_step
        rate = trained / elapsed if elapsed > 0 and trained > 0 else None
        metrics = pick_metrics(metrics)
        return status_parts(step, self.total, rate, metrics, elapsed, done, self.seeds)

    def text(self, step: int, metrics: dict[str, Any], done: bool = False) -> str:
        core, shown = self._parts(step, metrics, done)
        status = " ".join(core + shown)
        if not self.interactive:
            return f"[{self.label}] {status}"
        bar = bar_text(step, self.total)
        return f"{self.label} {bar} {status}" if bar else f"{self.label} {status}"

    def draw(self, step: int, metrics: dict[str, Any], done: bool = False) -> None:
        try:
            if self.interactive:
                room = max(10, shutil.get_terminal_size((120, 24)).columns - 1)
                core, shown = self._parts(step, metrics, done)
                text = fit_bar_line(self.label, step, self.total, core, shown, room)
                self.stream.write("\r" + text + "\x1b[K")
                self._line_open = True
            else:
                self.stream.write(self.text(step, metrics, done) + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stream must not stop training
            pass

    def close(self) -> None:
        """End the bar's line, so what is printed next (`error: interrupted ...`) starts a
        line of its own."""
        _OPEN.discard(self)
        if self._line_open:
            self._line_open = False
            try:
                self.stream.write("\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass


MIN_BAR_WIDTH = 10  # narrower, a bar shows too little to be worth its room


def fit_bar_line(
    label: str, step: int, total: int | None, core: list[str], shown: list[str], room: int
) -> str:
    """The bar's line in `room` columns, giving up whole fields, least useful first: the
    metrics (the end-of-run line prints them), the bar's width, the bar, the label (the
    start line named the run), the rate (the time says more), then the time. Cut inside a
    field, the line said `1214 it/s in`: a duration without its time."""
    for kept in range(len(shown), -1, -1):
        status = " ".join(core + shown[:kept])
        spare = room - len(label) - len(status) - 4  # two spaces and the bar's two edges
        if total and spare >= MIN_BAR_WIDTH:
            return f"{label} {bar_text(step, total, min(BAR_WIDTH, spare))} {status}"
    for head in ([label], []):
        for kept in range(len(shown), -1, -1):
            text = " ".join(head + core + shown[:kept])
            if len(text) <= room:
                return text
    timed = [field for field in core if "it/s" not in field]  # the rate, not the time, goes
    for kept in range(len(timed), 0, -1):
        if len(text := " ".join(timed[:kept])) <= room:
            return text
    return _fit_line(core[0], room)


def _fit_line(text: str, room: int) -> str:
    """`text` cut to `room` characters before the word it would cut: a cut word misleads
    (`in 0:0` for `in 0:00`, `train/loss 1.9` for `1.976`)."""
    if len(text) <= room:
        return text
    cut = text.rfind(" ", 0, room + 1)
    return text[:cut] if cut > 0 else text[:room]


_OPEN: set[ProgressLine] = set()


def end_open_lines() -> None:
    """Close any bar still on screen (a run stopped outside Lightning's exception hooks)."""
    for progress in list(_OPEN):
        progress.close()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# End of a run ------------------------------------------------------------------------


def claim_lines(
    claims: list[Any],
    experiment: str,
    metrics: dict[str, float],
    paper: str,
    deviation: str | None = None,
    sweep: str | None = None,
) -> list[str]:
    """One line per claim of `paper` that needs `experiment`: this run's metric next to the
    claimed value. One seed is no verdict, so each line says how to get one. Claims whose
    metric the run did not log are left out (run.py warns about those). `deviation`: how the
    run's config differs from the paper's setting (`trainer.max_steps=5`), when it does: the
    claim is about the paper's setting, so the line says the run is not at it instead of
    putting the two side by side. `sweep`: the command to advise (with the plugin's papers
    folder and the results folder, when the run's own command needed them)."""
    lines = []
    verdict = f"one seed — run `{sweep or f'repro sweep paper={paper}'}` for a verdict"
    off = f"not the paper's setting: {deviation}; " if deviation else ""
    for claim in claims:
        if experiment not in claim.experiments() or claim.metric not in metrics:
            continue
        measured = f"{claim.metric} {metrics[claim.metric]:.4g}"
        if claim.kind == "comparison":
            other = claim.versus if experiment == claim.experiment else claim.experiment
            relation = f"{claim.experiment} {claim.direction} {claim.versus}"
            if deviation:
                lines.append(f"{measured} ({off}{claim.id}: {relation} at the paper's)")
                continue
            lines.append(
                f"{measured} ({claim.id}: {relation}); compare with {other} in `repro report`"
            )
            continue
        if claim.kind == "threshold":
            claimed = f"{claim.direction} {claim.value:g}"
        else:
            spread = claim.tolerance if claim.tolerance is not None else claim.std
            claimed = f"{claim.value:g}" + (f" ± {spread:g}" if spread is not None else "")
        if deviation:
            lines.append(f"{measured} ({off}claimed {claimed} at the paper's, {claim.id})")
            continue
        lines.append(f"{measured} vs claimed {claimed} ({claim.id}); {verdict}")
    return lines


# Sweeps ------------------------------------------------------------------------------


def sweep_progress_line(
    done: int, total: int, elapsed_s: float, failed: int = 0, interrupted: int = 0, busy: int = 0
) -> str:
    """`3/10 done, ETA 4:10`: the time per finished run so far (with parallel workers, the
    sweep's elapsed time over runs done, so parallelism is counted) times the runs left.
    Failed runs are done and named (`(1 failed)`); runs held by another process (which is
    running them, or, a group's seeds held back for its busy seed, nothing is) and runs
    interrupted are not done, and are counted apart (`1/4 done; 1 held by another process;
    1 interrupted`): the next sweep runs or resumes them. `done` counts every run that
    ended, those too; the ETA is over the runs that ran. No ETA once a run was interrupted:
    a stop stops the sweep, which starts nothing more."""
    left = max(0, total - done)
    ran = done - busy
    eta = elapsed_s / ran * left if ran > 0 else None
    failures = f" ({failed} failed)" if failed else ""
    held = f"; {busy} held by another process" if busy else ""
    stopped = f"; {interrupted} interrupted" if interrupted else ""
    tail = "" if left == 0 or interrupted else f", ETA {format_duration(eta)}"
    return f"{done - interrupted - busy}/{total} done{failures}{held}{stopped}{tail}"


class SweepProgress:
    """Counts a sweep's finished runs and says `k/N done, ETA ...` after each."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.interrupted = 0
        self.busy = 0
        self.started = time.monotonic()
        self.stream = stream

    def finished(self, status: str, say: bool = True) -> str:
        """Count one run that ended (`status` of its RunOutcome); print (unless `say` is
        False: more of the same job ended with it) and return the line."""
        self.done += 1
        self.interrupted += status == "interrupted"
        self.busy += status == "busy"
        self.failed += status not in ("completed", "skipped", "interrupted", "busy")
        elapsed = time.monotonic() - self.started
        text = sweep_progress_line(
            self.done, self.total, elapsed, self.failed, self.interrupted, self.busy
        )
        if say:
            print(text, file=self.stream or sys.stdout, flush=True)
        return text
