"""`repro new`: a new plugin folder from the template, ready for `repro check`."""

from __future__ import annotations

import errno
import re
import shlex
import shutil
from pathlib import Path

from repro.errors import ReproError, UsageError
from repro.plugins.paper_spec import ID_PATTERN, ID_RULE

TEMPLATE = Path(__file__).parent / "templates" / "paper"
PLACEHOLDER = "PAPER_ID"
# a papers folder that cannot hold a plugin (missing under a read-only root, not writable):
# exit 2 as for one that is a file; a full disk stays a failure (exit 1)
CHOSEN_FOLDER_ERRORS = {errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM, errno.EROFS}


def _id_like(paper_id: str) -> str:
    """`, e.g. 'my_paper'` for `My-Paper`: the valid id closest to the one typed."""
    meant = re.sub(r"[^a-z0-9_]+", "_", paper_id.lower()).strip("_")
    meant = f"paper_{meant}" if meant[:1].isdigit() else meant  # `2x`: an id starts with a letter
    return f", e.g. {meant!r}" if ID_PATTERN.match(meant) else ""


def create_plugin(papers_dir: Path, paper_id: str) -> Path:
    """Copy the template to `papers_dir/paper_id` with the id filled in; never overwrite."""
    if not ID_PATTERN.match(paper_id):
        raise UsageError(f"invalid paper id {paper_id!r}: use {ID_RULE}{_id_like(paper_id)}")
    for folder in (Path(papers_dir), *Path(papers_dir).parents):  # it or a folder above it
        if folder.exists():
            if not folder.is_dir():
                raise UsageError(f"papers folder {papers_dir}: {folder} is a file, not a folder")
            break
    target = papers_dir / paper_id
    if target.exists():
        raise UsageError(_already_made(target, papers_dir, paper_id))
    _refuse_a_taken_id(paper_id)
    try:
        shutil.copytree(TEMPLATE, target, ignore=shutil.ignore_patterns("__pycache__"))
        paper_file = target / "paper.yaml"
        paper_file.write_text(paper_file.read_text().replace(PLACEHOLDER, paper_id))
    except OSError as error:  # a half-copied plugin would make the next try "already exists"
        shutil.rmtree(target, ignore_errors=True)
        why = f"cannot create {target}: {error.strerror or error}"
        if error.errno in CHOSEN_FOLDER_ERRORS:  # the folder the user named: a usage mistake
            raise UsageError(f"{why}; choose another --papers-dir") from None
        raise ReproError(why) from None
    return target


def check_command(papers_dir: Path, paper_id: str) -> str:
    """`repro check <id>`, with `--papers-dir` when the plugin in `papers_dir` is not the one
    found without it (./papers here, the checkout's papers/, REPRO_PAPERS_PATH)."""
    from repro.plugins.registry import discover

    try:
        found = discover().get(paper_id)
    except ReproError:
        found = None
    if found is not None and found.folder == (Path(papers_dir) / paper_id).resolve():
        return f"repro check {paper_id}"
    return f"repro check {paper_id} --papers-dir {shlex.quote(str(papers_dir))}"


def _already_made(target: Path, papers_dir: Path, paper_id: str) -> str:
    """A second `repro new` of an id: what the folder is, and the next step."""
    if (target / "paper.yaml").is_file():  # most likely the plugin an earlier `repro new` made
        return (
            f"{target} already exists: edit the plugin there and check it with "
            f"`{check_command(papers_dir, paper_id)}`, or choose another id"
        )
    return f"{target} already exists and holds no paper.yaml: choose another id, or move it away"


def name_check_command(folder: Path, paper_id: str, command: str) -> None:
    """`command` (with `--papers-dir`) for the template's `repro check <id>` in paper.yaml:
    copied from there, the bare one said 'unknown paper' for a plugin made elsewhere."""
    paper_file = folder / "paper.yaml"
    try:
        text = paper_file.read_text()
        paper_file.write_text(text.replace(f"`repro check {paper_id}`", f"`{command}`", 1))
    except OSError:  # the plugin is made; the printed next step names the command anyway
        pass


def _refuse_a_taken_id(paper_id: str) -> None:
    """An id another paper has (built-in or installed) would be hidden by it, or hide it: a
    new papers/amsgrad was shadowed by the built-in amsgrad, whose experiments `repro run`
    then looked for."""
    from repro.plugins.registry import discover

    try:
        found = discover().get(paper_id)
    except ReproError:  # a papers folder that cannot be listed: said by the commands using it
        return
    if found is not None:
        where = found.origin.removeprefix("dir ")
        raise UsageError(
            f"{paper_id!r} is already a paper ({where}, {found.folder}): choose another id, "
            f"e.g. {paper_id}_repro (`repro papers` lists those taken)"
        )
