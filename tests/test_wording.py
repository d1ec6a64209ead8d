"""repro/wording.py: counts in words and lines wrapped for a terminal."""

from __future__ import annotations

import io

import pytest

from repro.wording import wrap_for
from tests.conftest import Terminal


def test_wide_characters_wrap_by_the_columns_they_take(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines were wrapped by counting characters: a CJK word or an emoji takes two columns, so
    an error naming a Chinese path or title ran past an 80-column terminal, which then cut it
    inside a word. Lines are measured in the columns they take."""
    monkeypatch.setenv("COLUMNS", "40")
    text = "error: no records under /data/实验结果 for 论文 复现 报告 ✅ please run 复现实验 again"
    lines = wrap_for(Terminal(), text, rest="  ")
    from rich.cells import cell_len

    assert all(cell_len(line) <= 40 for line in lines), [(cell_len(x), x) for x in lines]
    assert " ".join(" ".join(lines).split()) == text  # every word, whole, in order


def test_wrapping_keeps_leading_indent_and_long_words_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "20")
    url = "https://example.org/a/very/long/path/that/cannot/fit"
    assert wrap_for(Terminal(), f"  see {url} now", first="> ") == ["> " + "  see", url, "now"]
    assert wrap_for(io.StringIO(), "a " * 50) == ["a " * 50]  # no terminal: one line


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [(999.6, 3, "1000"), (2.5, 3, "2.5"), (0.0999, 2, "0.1"), (3.6e-6, 2, "0.0000036")],
)
def test_significant_digits_are_never_in_scientific_notation(
    value: float, digits: int, shown: str
) -> None:
    from repro.wording import significant

    assert significant(value, digits) == shown
