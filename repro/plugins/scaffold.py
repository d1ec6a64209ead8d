"""`repro new`: a new plugin folder from the template, ready for `repro check`."""

from __future__ import annotations

import shutil
from pathlib import Path

from repro.errors import UsageError
from repro.plugins.paper_spec import ID_PATTERN

TEMPLATE = Path(__file__).parent / "templates" / "paper"
PLACEHOLDER = "PAPER_ID"


def create_plugin(papers_dir: Path, paper_id: str) -> Path:
    """Copy the template to `papers_dir/paper_id` with the id filled in; never overwrite."""
    if not ID_PATTERN.match(paper_id):
        raise UsageError(f"invalid paper id {paper_id!r}: use lowercase letters, digits and _")
    for folder in (Path(papers_dir), *Path(papers_dir).parents):  # it or a folder above it
        if folder.exists():
            if not folder.is_dir():
                raise UsageError(f"papers folder {papers_dir}: {folder} is a file, not a folder")
            break
    target = papers_dir / paper_id
    if target.exists():
        raise UsageError(f"{target} already exists")
    shutil.copytree(TEMPLATE, target, ignore=shutil.ignore_patterns("__pycache__"))
    paper_file = target / "paper.yaml"
    paper_file.write_text(paper_file.read_text().replace(PLACEHOLDER, paper_id))
    return target
