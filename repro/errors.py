"""Errors a user can act on. The CLI prints their message as one line and exits with the code."""

from __future__ import annotations


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
