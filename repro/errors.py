"""Errors a user can act on. The CLI prints their message as one line and exits with the code."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, NoReturn


def error_line(error: BaseException, limit: int | None = None) -> str:
    """`Type: first line` of an error, for a message that names it in one line. Whole where
    it says why (a reason shown or kept): a cut at its end lost the cause after a long path,
    or torch's remedy. `limit`: a terminal warning's bound, met by cutting the middle, so
    both what failed and why stay."""
    text = str(error).strip()
    first = text.splitlines()[0].strip() if text else ""
    if limit is not None and len(first) > limit:
        half = (limit - 5) // 2
        first = f"{first[:half]} ... {first[-half:]}"
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


class ReproError(Exception):
    """A failure explained in one line; exit code 1 (a runtime problem)."""

    exit_code = 1


class UsageError(ReproError):
    """The user asked for something that does not exist or is malformed; exit code 2."""

    exit_code = 2


class UnknownPaper(UsageError):
    """No installed plugin has this id: `repro report` of every paper skips its records."""


class NothingToReport(ReproError):
    """A paper has no readable run records: `repro report` of every paper skips it."""


class NonFiniteLossError(ReproError):
    """Training produced a NaN or infinite loss."""

    PREFIX = "non-finite loss at step "

    def __init__(self, step: int, value: float) -> None:
        super().__init__(f"{self.PREFIX}{step} ({value})")
        self.step = step

    @classmethod
    def describes(cls, message: str | None) -> bool:
        """Whether a run's one-line error is this one (outcomes carry the line, not the type)."""
        return bool(message) and message.startswith(cls.PREFIX)


class Terminated(KeyboardInterrupt):
    """SIGTERM where no run's handlers are in place (planning, validation, between runs):
    a KeyboardInterrupt, so every path that stops cleanly on Ctrl-C does so on it too, but
    reported as SIGTERM with exit code 143."""

    exit_code = 143


def raise_terminated(signum: int, frame: Any) -> NoReturn:
    """The CLI's SIGTERM handler: without it, Python's default ends the process at once,
    with no line and exit -15, wherever it is (even halfway through a table)."""
    raise Terminated


def stop_within(error: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM that library code turned into another error (Python 3.11 wraps
    what a class's `__set_name__` raises, met when a signal lands while matplotlib imports; a
    launcher wraps what its jobs raise)."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`did you mean 'mnist1d'?; ` when `word` is a likely typo of a known name, else ''."""
    close = difflib.get_close_matches(word, list(known), n=1)
    return f"did you mean {close[0]!r}?; " if close else ""


def close_name(word: str, known: Iterable[str]) -> str | None:
    """The known name `word` is likely a typo of (a claim's `test/mes` for a logged
    `test/mse`), or None. Stricter than did_you_mean: `test/r2` is no typo of `test/mse`."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.75)
    return close[0] if close else None


def metric_hint(metric: str, logged: Iterable[str]) -> str:
    """` (did you mean 'test/mse'? (fix the claim's metric in paper.yaml))` when a claim's
    metric is a likely typo of a logged one: the claim, not the code, is then what to fix."""
    close = close_name(metric, logged)
    return f"; did you mean {close!r}? (fix the claim's metric in paper.yaml)" if close else ""
