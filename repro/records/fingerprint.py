"""Fingerprint of a plugin's code, so a record made by other code is never reused as if current.

The config hash says *what* a run computes; this says *with which code*. It covers every
`*.py` file under the plugin folder, recursively and following symbolic links (a helper
package linked into the folder is code the plugin imports; a link back to a folder above
is not followed twice). Skipped are only `__pycache__`, hidden folders (`.git`, `.venv`)
and virtual environments (a folder holding `pyvenv.cfg`): every other `.py` file can be
imported by the plugin, even from a `data/` or `cache/` folder without `__init__.py` (a
namespace package), so hashing it is the safe side: at worst a run is retrained, never
wrongly reused. Each file is hashed on its parsed syntax tree, so comment-only and
whitespace-only edits do not count as a change while any code change does (docstrings are
code here: editing one counts). A file that does not parse is hashed on its bytes. YAML
files are not covered: settings are in the config hash, and editing a claim in paper.yaml
must not make finished runs stale; but which classes paper.yaml's `module` and
`datamodule` name is part of the code's identity (`classes`, beside the digest). Like
benchopt's result cache, the key is the code, not its mtime.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import sys
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, entry_points, version
from pathlib import Path
from typing import Any

# (folder, its .py files with their mtimes and sizes) -> fingerprint: a sweep hashes once.
_CACHE: dict[tuple[str, tuple[tuple[str, int, int], ...]], dict[str, Any]] = {}
# The fingerprint of code nobody can name: changed during both tries of an import.
UNKNOWN_CODE: dict[str, Any] = {"digest": None, "files": {}}
ENTRY_KEYS = ("module", "datamodule")


def _skipped_folder(path: Path) -> bool:
    """Hidden folders, `__pycache__` and virtual environments hold no plugin code."""
    return (
        path.name.startswith(".") or path.name == "__pycache__" or (path / "pyvenv.cfg").is_file()
    )


def _walk(folder: Path, prefix: str, ancestors: frozenset[str]) -> Iterator[tuple[str, Path]]:
    """(relative name, path) of the `.py` files under `folder`, following symbolic links;
    a folder that is its own ancestor (a link cycle) is not entered again."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:  # unreadable or vanished: as if empty
        return
    for entry in entries:
        path = Path(entry.path)
        name = f"{prefix}{entry.name}"
        if entry.is_dir():  # follows links
            real = os.path.realpath(path)
            if real not in ancestors and not _skipped_folder(path):
                yield from _walk(path, f"{name}/", ancestors | {real})
        elif entry.name.endswith(".py") and entry.is_file():  # not a dangling link
            yield name, path


def _code_files(folder: Path) -> list[tuple[str, Path]]:
    return list(_walk(folder, "", frozenset({os.path.realpath(folder)})))


def file_digest(source: bytes) -> str:
    """Digest of one Python file's code: its syntax tree, or its bytes if it does not parse."""
    try:
        canonical = _dump(ast.parse(source)).encode()
    except (SyntaxError, ValueError):
        canonical = b"bytes:" + source
    return hashlib.sha256(canonical).hexdigest()[:16]


def _dump(tree: ast.AST) -> str:
    """`ast.dump` as Python 3.10 and 3.11 write it, on any Python: 3.12 gives every function
    and class an empty `type_params`, and 3.13 leaves empty lists out unless asked. A run's
    digest must not change with the Python that made it (a pilot on a laptop's 3.11, stage
    two on a GPU machine's 3.12 would train every run again, as other code). 3.12.0 and
    3.12.1 also put an empty `Constant('')` into a format spec such as `f"{x:{width}}"`;
    no other Python makes an empty string part of an f-string, so it is left out."""
    for node in ast.walk(tree):
        if getattr(node, "type_params", None) == []:
            delattr(node, "type_params")  # dump leaves a field it cannot read out
        if isinstance(node, ast.JoinedStr):
            node.values = [
                value
                for value in node.values
                if not (isinstance(value, ast.Constant) and value.value == "")
            ]
    if sys.version_info >= (3, 13):
        return ast.dump(tree, show_empty=True)
    return ast.dump(tree)


def code_fingerprint(plugin_folder: Path) -> dict[str, Any]:
    """`{"digest": ..., "files": {relative path: digest}}` of the plugin's Python code."""
    folder = Path(plugin_folder).resolve()
    files = _code_files(folder)
    stats = ((name, path.stat()) for name, path in files)  # of the link's target
    stamp = tuple((name, stat.st_mtime_ns, stat.st_size) for name, stat in stats)
    key = (str(folder), stamp)
    if key not in _CACHE:
        digests = {name: file_digest(path.read_bytes()) for name, path in files}
        listing = "\n".join(f"{name} {digest}" for name, digest in sorted(digests.items()))
        _CACHE[key] = {
            "digest": hashlib.sha256(listing.encode()).hexdigest()[:16],
            "files": digests,
        }
    cached = _CACHE[key]
    return {"digest": cached["digest"], "files": dict(cached["files"])}


def entry_classes(plugin_folder: Path) -> dict[str, str] | None:
    """`{"module": "model:Class", "datamodule": "data:Class"}` as paper.yaml names them now,
    or None when it cannot be read (the run fails on it before anything is reused)."""
    import yaml

    path = Path(plugin_folder) / "paper.yaml"
    try:
        fields = yaml.safe_load(path.read_text())
    except (OSError, ValueError, yaml.YAMLError):
        return None
    if not isinstance(fields, dict) or not all(isinstance(fields.get(k), str) for k in ENTRY_KEYS):
        return None
    return {key: fields[key] for key in ENTRY_KEYS}


def code_identity(plugin_folder: Path) -> dict[str, Any]:
    """The plugin's code on disk: its fingerprint and the classes paper.yaml names."""
    return {**code_fingerprint(plugin_folder), "classes": entry_classes(plugin_folder)}


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


def source_digest(folder: Path) -> str:
    """One hash of the bytes of every `.py` file under `folder` (as `code_fingerprint` finds
    them): repro's own code, which an installed wheel runs without git to name it (its version
    alone is the same for every commit). Bytes, not syntax trees: ~2 ms instead of ~0.8 s."""
    digest = hashlib.sha256()
    for name, path in _code_files(Path(folder).resolve()):
        digest.update(f"{name}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def code_section(
    plugin_folder: Path, repro_git_sha: str | None, code: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The `code` section of a run record: the plugin's code identity and repro's: its
    version, its git commit (None outside a git checkout, never another repository's) and a
    digest of its source files, which names it in an installed wheel too. `code` is the
    identity of the code the run imported (`registry.imported_code`); without it, the code
    on disk. `repro_git_sha` comes from the record's environment section: git runs once per
    record."""
    from repro.resources import VERSION as __version__

    return {
        "plugin": {
            **(code or code_identity(plugin_folder)),
            **plugin_distribution(plugin_folder),
        },
        "repro": {
            "version": __version__,
            "git_sha": repro_git_sha,
            "digest": source_digest(Path(__file__).resolve().parents[1]),
        },
    }


def _changed_classes(recorded: dict[str, Any] | None, current: dict[str, Any] | None) -> list[str]:
    """`module old -> new` for each class paper.yaml names otherwise than the record says.
    A record made before classes were recorded has none, and is judged on its files alone:
    making every such record stale would retrain all of them for what is, nearly always,
    the same class."""
    if not recorded or not current:
        return []
    return [
        f"{key} {recorded.get(key)} -> {current[key]}"
        for key in ENTRY_KEYS
        if recorded.get(key) != current[key]
    ]


def stale_reason(record: dict[str, Any], plugin_folder: Path) -> str | None:
    """Why a completed record was made by other plugin code ("changed: model.py",
    "changed: module model:A -> model:B" or "unknown code"), or None when its code is the
    current code."""
    plugin = (record.get("code") or {}).get("plugin") or {}
    if not plugin.get("digest"):
        return "unknown code"
    current = code_fingerprint(plugin_folder)
    classes = _changed_classes(plugin.get("classes"), entry_classes(plugin_folder))
    if plugin["digest"] == current["digest"] and not classes:
        return None
    changed = []
    if plugin["digest"] != current["digest"]:
        changed = changed_files(plugin.get("files") or {}, current["files"]) or ["unknown files"]
    return f"changed: {', '.join(changed + classes)}"
