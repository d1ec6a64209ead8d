"""The paper's BibTeX entry for the report, from paper.yaml (or its `bibtex` field verbatim).

Reproduction reports (the ML Reproducibility Challenge template among them) cite the original
paper; building the entry from fields the plugin already has keeps it in step with them.
"""

from __future__ import annotations

import re
import unicodedata

from repro.plugins.paper_spec import PaperSpec

CONFERENCE = re.compile(
    r"\b(ICLR|ICML|NeurIPS|NIPS|CVPR|ICCV|ECCV|AAAI|IJCAI|ACL|EMNLP|NAACL|AISTATS|UAI|COLT|"
    r"KDD|Conference|Workshop|Symposium|Proceedings)\b",
    re.IGNORECASE,
)


def _ascii_word(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", plain)


def citation_key(spec: PaperSpec) -> str:
    """`lastnameYEARfirstword`, e.g. `greydanus2024scaling`."""
    last = _ascii_word(spec.authors[0].split()[-1]).lower() if spec.authors else "anon"
    words = [_ascii_word(w).lower() for w in spec.title.split()]
    first = next((w for w in words if w and w not in {"a", "an", "the", "on", "of"}), "paper")
    return f"{last}{spec.year}{first}"


LATEX_SPECIAL = re.compile(r"[\\&%$#_^~]")
"""Characters LaTeX reads as commands (an unescaped `&` or `%` in a title breaks the build or
drops the rest of the line, `^` wants math mode, `~` is a space); paper.yaml's fields are plain
text, shown as written elsewhere."""

_LATEX_WORDS = {"\\": r"\textbackslash{}", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}


def _latex(match: re.Match[str]) -> str:
    return _LATEX_WORDS.get(match.group(0), "\\" + match.group(0))


def _nested(text: str) -> bool:
    """Whether every `}` closes a `{` before it and none is left open: BibTeX's groups."""
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _braced(value: str, escape: bool = True) -> str:
    """A field value in braces; braces inside are kept when they nest, else dropped, so the
    entry parses, and (but in a URL, which LaTeX reads verbatim) LaTeX's special characters
    escaped."""
    text = str(value)
    if not _nested(text):
        text = text.replace("{", "").replace("}", "")
    text = " ".join(text.split())
    return "{" + (LATEX_SPECIAL.sub(_latex, text) if escape else text) + "}"


def bibtex(spec: PaperSpec) -> str:
    """The plugin's own `bibtex` when it gives one, else an entry built from its fields."""
    if spec.bibtex:
        return spec.bibtex.strip()
    conference = bool(CONFERENCE.search(spec.venue))
    kind, venue_field = ("inproceedings", "booktitle") if conference else ("article", "journal")
    fields = [
        ("title", "{" + _braced(spec.title) + "}"),  # double braces keep the capitals
        ("author", _braced(" and ".join(spec.authors))),
        (venue_field, _braced(spec.venue)),
        ("year", _braced(str(spec.year))),
        ("url", _braced(spec.paper_url, escape=False)),
    ]
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@{kind}{{{citation_key(spec)},\n{body}\n}}"
