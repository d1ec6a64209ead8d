"""Counts in words: `1 claim`, `2 claims` (a `1 claims` reads as a bug in everything else);
long lines wrapped at whole words for a terminal."""

from __future__ import annotations

from typing import TextIO


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`count noun`, the noun in the plural (`nouns`, else noun + 's') unless count is 1."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def wrap_for(stream: TextIO, text: str, first: str = "", rest: str = "") -> list[str]:
    """`text`'s lines as `stream` should get them: wrapped at whole words to a terminal's
    width (the terminal itself cuts a long line inside a word: `repo|rt`); whole without
    one, for a log file or a pipe. A word longer than a line (a URL, a path) stays whole."""
    import textwrap

    isatty = getattr(stream, "isatty", None)
    if not (callable(isatty) and isatty()) or not text.strip():
        return [f"{first}{text}"]
    from rich.console import Console

    width = Console().width
    lines: list[str] = []
    for number, part in enumerate(text.splitlines()):  # each line its own: none run together
        lines += textwrap.wrap(
            part,
            width,
            initial_indent=first if number == 0 else rest,
            subsequent_indent=rest,
            break_long_words=False,
            break_on_hyphens=False,
        ) or [""]
    return lines
