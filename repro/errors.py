"""Errors a user can act on. The CLI prints their message as one line and exits with the code."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ReproError(Exception):
    """A failure explained in one line; exit code 1 (a runtime problem)."""

    exit_code = 1


class UsageError(ReproError):
    """The user asked for something that does not exist or is malformed; exit code 2."""

    exit_code = 2


class NonFiniteLossError(ReproError):
    """Training produced a NaN or infinite loss."""

    def __init__(self, step: int, value: float) -> None:
        super().__init__(f"non-finite loss at step {step} ({value})")
        self.step = step


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`did you mean 'mnist1d'?; ` when `word` is a likely typo of a known name, else ''."""
    close = difflib.get_close_matches(word, list(known), n=1)
    return f"did you mean {close[0]!r}?; " if close else ""
