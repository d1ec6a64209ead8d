"""Counts in words: `1 claim`, `2 claims` (a `1 claims` reads as a bug in everything else);
numbers as people write them (`0.0000036`, not `3.6e-06`); long lines wrapped at whole words
for a terminal."""

from __future__ import annotations

import math
import re
from typing import TextIO


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`count noun`, the noun in the plural (`nouns`, else noun + 's') unless count is 1."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def significant(value: float, digits: int) -> str:
    """`value` to `digits` significant digits as `:g` writes it, but never in scientific
    notation: `.3g` wrote 999.6 it/s as `1e+03` and `.2g` a microsecond as `1e-06`."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def wrap_for(stream: TextIO, text: str, first: str = "", rest: str = "") -> list[str]:
    """`text`'s lines as `stream` should get them: wrapped at whole words to a terminal's
    width (the terminal itself cuts a long line inside a word: `repo|rt`); whole without
    one, for a log file or a pipe. A word longer than a line (a URL, a path) stays whole."""
    isatty = getattr(stream, "isatty", None)
    if not (callable(isatty) and isatty()) or not text.strip():
        return [f"{first}{text}"]
    from rich.console import Console

    width = Console().width
    lines: list[str] = []
    for number, part in enumerate(text.splitlines()):  # each line its own: none run together
        lines += _wrap_line(part, width, first if number == 0 else rest, rest)
    return lines


def _wrap_line(part: str, width: int, first: str, rest: str) -> list[str]:
    """One line wrapped at its spaces, measured in the columns it takes on a terminal: a CJK
    character or an emoji takes two (textwrap counted one, and such lines ran past the
    edge). Leading spaces are kept; the spaces where it breaks are dropped. A word that fits
    a line only without its indent (a 40-character name at 40 columns) starts the line: the
    terminal broke it at its edge (`..._nam|e`)."""
    from rich.cells import cell_len

    lines: list[str] = []
    line, has_word, space = first, False, ""
    for chunk in re.split(r"(\s+)", part.expandtabs()):
        if not chunk:
            continue
        if chunk.isspace():
            space = " " * len(chunk)
            continue
        if has_word and cell_len(line + space + chunk) > width:
            lines.append(line)
            line, space = rest, ""
        if line.isspace() and cell_len(line + space + chunk) > width >= cell_len(chunk):
            line, space = "", ""  # only an indent before it: the word whole instead
        line, has_word, space = line + space + chunk, True, ""
    return [*lines, line] if has_word else [""]


def pack(pieces: list[str], width: int, first: str = "", rest: str = "") -> list[str]:
    """`pieces` side by side, two spaces apart, in lines of at most `width` columns, each
    line indented by `first`: a piece goes whole to the next line rather than broken at the
    edge; one wider than a line is wrapped at its spaces, its further lines indented by
    `rest`, and ends its line (`experiment:` at a line's end and its name on the next
    misled)."""
    from rich.cells import cell_len

    lines: list[str] = []
    line = ""
    for piece in pieces:
        if line and cell_len(f"{line}  {piece}") <= width:
            line = f"{line}  {piece}"
            continue
        if line:
            lines.append(line)
        *full, line = _wrap_line(piece, width, first, rest)
        if full:  # a piece over several lines: the next starts a line of its own
            lines += [*full, line]
            line = ""
    return [*lines, line] if line else lines
