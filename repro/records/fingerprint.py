"""Fingerprint of a plugin's code, so a record made by other code is never reused as if current.

The config hash says *what* a run computes; this says *with which code*. It covers every
`*.py` file under the plugin folder (recursively, skipping `__pycache__`, hidden folders and
data/cache folders that are not Python packages). Each file is hashed on its parsed syntax
tree, so comment-only and whitespace-only edits do not count as a change while any code
change does (docstrings are code here: editing one counts). A file that does not parse is
hashed on its bytes. YAML files are not covered: settings are in the config hash, and editing
a claim in paper.yaml must not make finished runs stale. Like benchopt's result cache, the key
is the code, not its mtime.
"""

from __future__ import annotations

import ast
import hashlib
import re
from importlib.metadata import PackageNotFoundError, entry_points, version
from pathlib import Path
from typing import Any

SKIPPED_FOLDERS = frozenset({"data", "cache", "datasets", "outputs", "results"})
# (folder, its .py files with their mtimes and sizes) -> fingerprint: a sweep hashes once.
_CACHE: dict[tuple[str, tuple[tuple[str, int, int], ...]], dict[str, Any]] = {}


def _skipped(folder: Path, parts: tuple[str, ...]) -> bool:
    """Hidden folders, `__pycache__`, and data/cache folders that are not packages (a
    `data/` subpackage with an `__init__.py` is code)."""
    for depth, part in enumerate(parts):
        if part.startswith(".") or part == "__pycache__":
            return True
        package = folder.joinpath(*parts[: depth + 1]) / "__init__.py"
        if part in SKIPPED_FOLDERS and not package.is_file():
            return True
    return False


def _code_files(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*.py")
        if not _skipped(folder, path.relative_to(folder).parts[:-1]) and path.is_file()
    )


def file_digest(source: bytes) -> str:
    """Digest of one Python file's code: its syntax tree, or its bytes if it does not parse."""
    try:
        canonical = ast.dump(ast.parse(source)).encode()
    except (SyntaxError, ValueError):
        canonical = b"bytes:" + source
    return hashlib.sha256(canonical).hexdigest()[:16]


def code_fingerprint(plugin_folder: Path) -> dict[str, Any]:
    """`{"digest": ..., "files": {relative path: digest}}` of the plugin's Python code."""
    folder = Path(plugin_folder).resolve()
    files = _code_files(folder)
    stamp = tuple(
        (str(path.relative_to(folder)), path.stat().st_mtime_ns, path.stat().st_size)
        for path in files
    )
    key = (str(folder), stamp)
    if key not in _CACHE:
        digests = {
            path.relative_to(folder).as_posix(): file_digest(path.read_bytes()) for path in files
        }
        listing = "\n".join(f"{name} {digest}" for name, digest in sorted(digests.items()))
        _CACHE[key] = {
            "digest": hashlib.sha256(listing.encode()).hexdigest()[:16],
            "files": digests,
        }
    cached = _CACHE[key]
    return {"digest": cached["digest"], "files": dict(cached["files"])}


def changed_files(old_files: dict[str, str], new_files: dict[str, str]) -> list[str]:
    """Files added, removed or modified between two fingerprints, sorted."""
    names = set(old_files) | set(new_files)
    return sorted(name for name in names if old_files.get(name) != new_files.get(name))


def plugin_distribution(plugin_folder: Path) -> dict[str, Any]:
    """The installed distribution that provides this plugin folder through the
    `repro.papers` entry point: its name, version and its requirements' installed versions
    (all None/empty for a plain folder)."""
    import importlib.util

    folder = Path(plugin_folder).resolve()
    for entry in entry_points(group="repro.papers"):
        try:
            spec = importlib.util.find_spec(entry.value.split(":")[0])
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        if Path(next(iter(spec.submodule_search_locations))).resolve() != folder:
            continue
        dist = entry.dist
        if dist is None:
            break
        return {
            "distribution": dist.metadata["Name"],
            "version": dist.version,
            "plugin_requirements": requirement_versions(dist.requires or []),
        }
    return {"distribution": None, "version": None, "plugin_requirements": {}}


def requirement_versions(requirements: list[str]) -> dict[str, str | None]:
    """Installed version of each declared requirement (extras-only ones skipped)."""
    found: dict[str, str | None] = {}
    for requirement in requirements:
        if "extra ==" in requirement.replace('"', "").replace("'", ""):
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        if not match:
            continue
        name = match.group(1)
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def code_section(plugin_folder: Path, repro_git_sha: str | None) -> dict[str, Any]:
    """The `code` section of a run record: the plugin's fingerprint and repro's version.
    `repro_git_sha` comes from the record's environment section: git runs once per record."""
    from repro.resources import VERSION as __version__

    return {
        "plugin": {**code_fingerprint(plugin_folder), **plugin_distribution(plugin_folder)},
        "repro": {"version": __version__, "git_sha": repro_git_sha},
    }


def stale_reason(record: dict[str, Any], plugin_folder: Path) -> str | None:
    """Why a completed record was made by other plugin code ("changed: model.py" or
    "unknown code"), or None when its code is the current code."""
    plugin = (record.get("code") or {}).get("plugin") or {}
    if not plugin.get("digest"):
        return "unknown code"
    current = code_fingerprint(plugin_folder)
    if plugin["digest"] == current["digest"]:
        return None
    changed = changed_files(plugin.get("files") or {}, current["files"])
    return f"changed: {', '.join(changed) or 'unknown files'}"
