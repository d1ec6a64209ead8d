"""How an exception raised while training reads to a plugin author: one line naming the
plugin file and line that raised it, and the whole traceback kept for later.

An error in a plugin's model.py surfaces from deep inside Lightning; its message alone
("NameError: name 'hiden' is not defined") leaves the author searching. The innermost frame
that lies in the plugin's folder is where they have to look.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from repro.errors import ReproError

DEBUG_ENV = "REPRO_DEBUG"  # set by `repro --debug`; worker processes inherit it


def debug_enabled() -> bool:
    return os.environ.get(DEBUG_ENV) == "1"


def full_traceback(error: BaseException) -> str:
    """The formatted traceback (with chained causes), as `--debug` prints it."""
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


def plugin_frame(error: BaseException, plugin_folder: Path) -> str | None:
    """`model.py:42` for the innermost frame of the traceback inside `plugin_folder`."""
    folder = Path(plugin_folder).resolve()
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        try:
            relative = Path(frame.filename).resolve().relative_to(folder)
        except (ValueError, OSError):
            continue
        found = f"{relative.as_posix()}:{frame.lineno}"
    return found


MESSAGE_CHARS = 400
"""The longest failure line: an exception that prints a whole tensor is cut there (the
record's traceback, and --debug, keep it whole)."""


def failure_message(error: BaseException, plugin_folder: Path) -> str:
    """One line for the terminal and the record: ours as written, anything else prefixed
    with the plugin file and line that raised it, its lines joined and cut at MESSAGE_CHARS."""
    if isinstance(error, ReproError):
        return str(error)
    where = plugin_frame(error, plugin_folder)
    text = f"{type(error).__name__}: {' '.join(str(error).split())}"
    text = f"{where}: {text}" if where else text
    text = text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1].rstrip() + "…"
    return text + _how_to_get_the_data(error, Path(plugin_folder))


def _how_to_get_the_data(error: BaseException, plugin_folder: Path) -> str:
    """` (to obtain the data, from paper.yaml: ...)` for a missing file, when paper.yaml says
    how to get the data: the author wrote it for exactly this moment."""
    if not isinstance(error, FileNotFoundError):
        return ""
    from repro.plugins.paper_spec import PAPER_FILE, load_paper_spec

    try:
        instructions = load_paper_spec(plugin_folder).data_instructions
    except Exception:  # no readable paper file: the error alone
        return ""
    if not instructions or not instructions.strip():
        return ""
    how = " ".join(instructions.split())
    return f" (to obtain the data, from {plugin_folder / PAPER_FILE}: {how})"


def print_if_debugging(error: BaseException) -> None:
    if debug_enabled():
        print(full_traceback(error), file=sys.stderr, end="", flush=True)
