"""repro from Python, for notebooks: the CLI's commands as functions that return data and raise.

    import repro
    outcome = repro.run("mnist1d", experiment="cnn", seed=0, overrides=["trainer.max_steps=200"])
    repro.sweep("mnist1d", experiments=["logistic", "mlp"], seeds=2)
    verdicts = repro.report("mnist1d", formats=["html"])     # one row per claim
    table = repro.load_records(paper="mnist1d")              # one row per run × metric

Each function runs exactly what the command line runs (same configs, records, skipping of
completed runs), so a notebook and a terminal share their results folder. Mistakes raise
`repro.ReproError` (a `UsageError` for bad input) with the message the CLI would print.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repro.errors import ReproError, UsageError
from repro.records import load_records  # `repro.load_records`: one function, one DataFrame

__all__ = ["load_records", "report", "run", "sweep"]

if TYPE_CHECKING:
    import pandas as pd

    from repro.running.runner import RunOutcome


def _overrides(paper: str, fields: dict[str, Any], extra: str | Sequence[str] | None) -> list[str]:
    """`paper=X`, the keyword arguments as overrides, then `extra`: a list, or one string
    split as the command line splits it (`"debug=fast seed=2"`), never letter by letter;
    None is none, as papers_dir=None."""
    import shlex

    if extra is None:
        extra = ()
    if isinstance(extra, str):
        try:
            extra = shlex.split(extra)
        except ValueError as error:  # an unclosed quote: shlex's bare 'No closing quotation'
            raise UsageError(
                f"overrides={extra!r}: {str(error)[0].lower()}{str(error)[1:]}; a string is split "
                "as the command line splits it (or give a list, one override each)"
            ) from error
    words = [f"paper={paper}"]
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(map(str, value))
        elif isinstance(value, bool):
            value = str(value).lower()
        words.append(f"{key}={value}")
    return [*words, *extra]


def _papers_dir_args(papers_dir: str | Path | Sequence[str | Path] | None) -> list[str]:
    if papers_dir is None:
        return []
    folders = [papers_dir] if isinstance(papers_dir, (str, Path)) else list(papers_dir)
    return [arg for folder in folders for arg in ("--papers-dir", str(folder))]


@contextlib.contextmanager
def _in_python_words() -> Iterator[None]:
    """An unknown paper's hint names the CLI's --papers-dir; here it is the argument."""
    from repro.plugins.registry import ELSEWHERE_HINT

    try:
        yield
    except ReproError as error:
        said = str(error)
        if not said.endswith(ELSEWHERE_HINT):
            raise
        python = ELSEWHERE_HINT.replace("--papers-dir DIR", "papers_dir=DIR")
        raise type(error)(said.removesuffix(ELSEWHERE_HINT) + python) from error


@contextlib.contextmanager
def _raising() -> Iterator[None]:
    """Let the CLI's errors propagate as exceptions instead of printed lines and exit codes."""
    from repro import cli

    saved = cli._state.get("raise_errors", False)
    cli._state["raise_errors"] = True
    try:
        yield
    finally:
        cli._state["raise_errors"] = saved


def _call_cli(arguments: list[str]) -> int:
    """Run one `repro` command in this process; returns its exit code."""
    from repro.cli import app

    with _raising(), _callers_signal_handlers(), _in_python_words():
        code = app(arguments, standalone_mode=False, prog_name="repro")
    return int(code or 0)


@contextlib.contextmanager
def _callers_signal_handlers() -> Iterator[None]:
    """A command stopped by a signal keeps later SIGINT/SIGTERM from ending it until the
    process exits (`fast_exit.hold_signals_to_exit`); here the process goes on (a
    notebook), so the caller's handlers come back when the command ends."""
    import signal
    import threading

    from repro.running.fast_exit import STOP_SIGNALS

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in saved.items():
            if handler is not None:  # None: set outside Python, cannot be put back
                signal.signal(number, handler)


def run(
    paper: str,
    experiment: str | None = None,
    seed: int = 0,
    overrides: str | Sequence[str] | None = (),
    papers_dir: str | Path | Sequence[str | Path] | None = None,
) -> RunOutcome:
    """Train and test one setting (or return its completed record) like `repro run`.

    Returns the outcome: `status` (completed / skipped), `record_dir` and `metrics`; raises
    ReproError when the run failed or was interrupted.
    """
    from repro.running import hydra_task as hydra_app

    words = _overrides(paper, {"experiment": experiment, "seed": seed}, overrides)
    hydra_app.OUTCOMES.clear()
    _call_cli(["run", *_papers_dir_args(papers_dir), *words])
    outcomes = list(hydra_app.OUTCOMES)
    if not outcomes:
        raise ReproError("the run produced no outcome")
    outcome = outcomes[-1]
    if outcome.status in ("failed", "interrupted"):
        raise ReproError(outcome.error or outcome.status)
    return outcome


def sweep(
    paper: str,
    experiments: Sequence[str] | None = None,
    seeds: int | str | None = None,
    overrides: str | Sequence[str] | None = (),
    launcher: str | None = None,
    dry_run: bool = False,
    papers_dir: str | Path | Sequence[str | Path] | None = None,
) -> pd.DataFrame:
    """Run what `repro sweep` runs; returns the paper's records as one long table afterwards.

    Raises ReproError when a run failed (the table is still on disk: `load_records`).
    """
    words = _overrides(
        paper, {"experiment": experiments, "seeds": seeds, "launcher": launcher}, overrides
    )
    from repro import cli

    flags = ["--dry-run"] if dry_run else []
    cli._state.pop("results_dir", None)
    code = _call_cli(["sweep", *flags, *_papers_dir_args(papers_dir), *words])
    if code:
        raise ReproError(f"repro sweep paper={paper}: some runs did not complete (exit {code})")
    # the folder the sweep read and wrote (`paths.results_dir=` too), not the default one
    return load_records(cli._state.get("results_dir"), paper=paper)


def report(
    paper: str,
    formats: str | Sequence[str] | None = ("md",),
    out: str | Path | None = None,
    results: str | Path | None = None,
    papers_dir: str | Path | Sequence[str | Path] | None = None,
) -> pd.DataFrame:
    """Write the report like `repro report`; returns the verdict table, one row per claim,
    as numbers: claimed, tolerance, n, diverged (seeds left out of n: NaN, inf, a non-finite
    loss), mean, std, ci_low/ci_high (the 90% CI the verdict
    rests on), delta, p_value, and `verdict` (its outcome word).

    The report's files are in `frame.attrs["files"]`, its headline in `frame.attrs["overall"]`,
    the warnings `repro report` prints (each also a UserWarning) in `frame.attrs["warnings"]`.
    """
    import warnings

    import pandas as pd

    from repro.cli import metric_missing_line
    from repro.records.table import default_results_dir
    from repro.reporting.aggregate import missing_metrics, verdict_numbers
    from repro.reporting.build import ReportRequest, build_report, parse_formats

    if formats is None:  # none given, as `overrides=None`: the command's default
        formats = ("md",)
    request = ReportRequest(
        paper=paper,
        results_dir=default_results_dir(Path(results) if results else None),
        out_dir=Path(out) if out else Path("reports") / paper,
        formats=parse_formats([formats] if isinstance(formats, str) else formats, "formats="),
        papers_dir=[Path(p) for p in _papers_dir_args(papers_dir)[1::2]] or None,
        out_given=out is not None,
    )
    with _in_python_words():
        outcome = build_report(request)
    frame = pd.DataFrame([verdict_numbers(result) for result in outcome.results])
    said = [line.removeprefix("warning: ") for line in outcome.warnings]
    missing = missing_metrics(outcome.results)  # `repro report`'s error line, with its fix
    if missing:
        said.append(metric_missing_line([f"{outcome.paper} {claim}" for claim in missing]))
    for line in said:  # what `repro report` prints: a damaged record left out, say
        warnings.warn(line, stacklevel=2)
    frame.attrs.update(
        overall=outcome.overall,
        summary=outcome.summary,
        files=[str(f) for f in outcome.files],
        warnings=said,
    )
    return frame
