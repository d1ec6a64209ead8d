"""The user-written part of a report: `notes.md` beside it, created once and never overwritten.

The file holds `## ` sections (what was easy, what was difficult, communication with the
authors, and any the user adds); each report regeneration reads them back in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from repro.reporting.files import write_file

NOTES_FILE = "notes.md"
DISCUSSION_NOTE = "Discussion"
"""The one section shown under the report's Discussion (after the generated facts); the
others go into the reproducibility summary."""
DEFAULT_SECTIONS = (
    "What was easy",
    "What was difficult",
    "Communication with the original authors",
    DISCUSSION_NOTE,
)
PLACEHOLDER = "<!-- Write here (Markdown). -->"
COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass(frozen=True)
class NoteSection:
    title: str
    body: str  # Markdown, comments removed; empty when not written yet

    @property
    def written(self) -> bool:
        return bool(self.body)


def notes_template(paper_title: str) -> str:
    sections = "\n\n".join(f"## {title}\n\n{PLACEHOLDER}" for title in DEFAULT_SECTIONS)
    return (
        f"# Notes on reproducing: {paper_title}\n\n"
        "<!-- This file is yours: `repro report` creates it once, reads every `## ` section\n"
        "     into the report's summary each time it runs, and never overwrites it. -->\n\n"
        f"{sections}\n"
    )


def ensure_notes(folder: Path, paper_title: str) -> tuple[Path, bool]:
    """The notes file, created with placeholder sections if absent; (path, created now)."""
    path = Path(folder) / NOTES_FILE
    if path.exists():
        return path, False
    write_file(path, notes_template(paper_title))
    return path, True


def parse_notes(text: str) -> list[NoteSection]:
    """The `## ` sections of a notes file; text before the first one is not part of the report."""
    sections: list[NoteSection] = []
    title: str | None = None
    lines: list[str] = []

    def close() -> None:
        if title is not None:
            body = _neutralise_open_comments(COMMENT.sub("", "\n".join(lines)))
            sections.append(NoteSection(title, body.strip()))

    fence = ""  # the open code fence (``` or ~~~, as long as it was opened), or ""
    for line in text.splitlines():
        opened = FENCE.match(line)
        if fence and opened and opened.group(1).startswith(fence) and not opened.group(2).strip():
            fence = ""  # closed by a fence of its character, as long or longer, with no info
        elif not fence and opened:
            fence = opened.group(1)
        if line.startswith("## ") and not fence:
            close()
            title, lines = line[3:].strip(), []
        elif title is not None:
            lines.append(line)
    if fence:  # never closed: closed here, so the block ends with the notes, not the report
        lines.append(fence)
    close()
    return sections


FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
"""A fenced code block's opening or closing line (CommonMark): a `## ` line inside one is code,
not the next section, which would cut the block open and turn the rest of the report into code."""


OPEN_COMMENT = re.compile(r"^( {0,3})<!--")
"""A line that opens an HTML block (CommonMark type 2) ending only at a `-->`."""


def _neutralise_open_comments(body: str) -> str:
    """A `<!--` left after closed comments are removed has no `-->`: in report.md it opens an
    HTML block that runs to the end of the file, and GitHub shows nothing after it (the Claims
    table, every later section). Written `&lt;!--` it shows as the text it is; in a code block
    it is code, and stays as it is."""
    out: list[str] = []
    fence = ""
    for line in body.split("\n"):
        opened = FENCE.match(line)
        if fence and opened and opened.group(1).startswith(fence) and not opened.group(2).strip():
            fence = ""
        elif not fence and opened:
            fence = opened.group(1)
        elif not fence:
            line = OPEN_COMMENT.sub(r"\1&lt;!--", line)
        out.append(line)
    return "\n".join(out)


def read_notes(path: Path) -> list[NoteSection]:
    """The notes' sections; a file not in UTF-8 (Latin-1 from a Windows editor) is read with
    its odd bytes replaced, never dropped as if nothing were written; a byte order mark
    (Notepad's UTF-8) is not text before the first heading."""
    try:
        return parse_notes(Path(path).read_text(encoding="utf-8-sig", errors="replace"))
    except OSError:
        return []
