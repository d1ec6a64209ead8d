"""Generated datasets kept on disk, so each run of a sweep loads them instead of rebuilding.

Some papers generate their data procedurally (MNIST-1D: 1.1 s of numpy and scipy per run,
a large share of a short run's fixed cost); loading the same tensors back takes
milliseconds. The cache key is everything that determines the data (generator arguments,
the generator's version and the code of the file that defines the generator), so a different
setting or edited generator code never reads another's file, and the loaded tensors are
bit-identical to freshly generated ones. The cache is an optimisation only: an unreadable,
corrupt or unwritable cache falls back to generating.

Each file carries a sha256 of its tensors' contents, checked on every load: flipped bits on
disk would otherwise load fine and shift a result silently under the same config hash (or
surface as a NaN loss blamed on training). The hash lives inside the file, so one atomic
rename replaces data and hash together and a concurrent reader never sees them disagree.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import marshal
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from repro.records.fingerprint import file_digest

Tensors = dict[str, torch.Tensor]
HASH_KEY = "sha256"
TENSORS_KEY = "tensors"


def _unwrap(generate: Callable[..., Any]) -> Any:
    """The function whose code makes the data: through `functools.partial`, `__wrapped__`
    and bound methods; a callable object stands for its class."""
    func: Any = generate
    for _ in range(100):  # a bound on cycles of wrappers
        if isinstance(func, functools.partial):
            func = func.func
        elif inspect.ismethod(func):
            func = func.__func__
        elif getattr(func, "__wrapped__", None) is not None:
            func = func.__wrapped__
        else:
            break
    if not (inspect.isfunction(func) or inspect.isbuiltin(func) or inspect.isclass(func)):
        func = type(func)
    return func


def generator_digest(generate: Callable[..., Any]) -> str:
    """Digest of the code that generates the data, so an edited generator never loads the
    tensors its old code made (joblib.Memory keys on a function's code the same way).

    It covers the whole plugin the generator is defined in (all its code, as the record's
    fingerprint does), or else the whole file that defines it (for a lambda or closure, the
    file its code is in), not only the function: generators call helpers and constants of
    their file or of other files of the plugin, and editing those changes the data too. Code
    is hashed on its syntax tree, like the plugin's code fingerprint, so comment- and
    whitespace-only edits keep the cache.
    Without a source file on disk, the function's bytecode, constants and names stand in."""
    func = _unwrap(generate)
    try:
        source = inspect.getsourcefile(func)
        if source is not None:
            plugin = _plugin_folder(Path(source))
            if plugin is not None:  # a helper in another file of the plugin counts too
                from repro.records.fingerprint import code_fingerprint

                return "plugin:" + code_fingerprint(plugin)["digest"]
            return file_digest(Path(source).read_bytes())
    except (TypeError, OSError):  # built in, or defined in no file that can be read
        pass
    code = getattr(func, "__code__", None)
    if code is None:  # compiled code: its package version belongs in `arguments`
        return "compiled:" + f"{getattr(func, '__module__', '')}.{func.__qualname__}"
    try:
        canonical = marshal.dumps((code.co_code, code.co_consts, code.co_names))
    except ValueError:  # a constant marshal cannot write
        canonical = repr((code.co_code, code.co_consts, code.co_names)).encode()
    return "bytecode:" + hashlib.sha256(canonical).hexdigest()[:16]


def _plugin_folder(source: Path) -> Path | None:
    """The plugin folder (it holds paper.yaml) a source file belongs to, if any."""
    for folder in Path(source).resolve().parents:
        if (folder / "paper.yaml").is_file():
            return folder
        if folder == folder.parent or (folder / "pyproject.toml").is_file():
            return None
    return None


def cache_key(
    name: str, arguments: Mapping[str, Any], generate: Callable[..., Any] | None = None
) -> str:
    """File name for `name` generated with `arguments` (sorted, JSON-encoded, hashed) by
    `generate`'s code (`generator_digest`); `cached_tensors` always passes `generate`."""
    encoded = json.dumps(dict(arguments), sort_keys=True, default=str)
    if generate is not None:
        encoded += "\ncode:" + generator_digest(generate)
    return f"{name}-{hashlib.sha256(encoded.encode()).hexdigest()[:16]}.pt"


def content_hash(tensors: Tensors) -> str:
    """sha256 over every tensor's name, dtype, shape and bytes."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _load(path: Path) -> Tensors | None:
    """The cached tensors, or None to generate them: absent, unreadable, from before content
    hashes, or not matching their hash (that one with a warning: the disk damaged it)."""
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # absent, or corrupt (copied in half, edited): generate instead
        return None
    if not isinstance(loaded, dict) or not isinstance(loaded.get(HASH_KEY), str):
        return None
    tensors = loaded.get(TENSORS_KEY)
    if not isinstance(tensors, dict) or not all(
        isinstance(v, torch.Tensor) for v in tensors.values()
    ):
        return None
    if content_hash(tensors) != loaded[HASH_KEY]:
        print(
            f"warning: cached data {path} does not match its content hash (damaged on disk); "
            "regenerating it",
            file=sys.stderr,
            flush=True,
        )
        return None
    return tensors


_UNKEPT: set[Path] = set()  # cache folders this process could not write to


def _save(path: Path, tensors: Tensors) -> None:
    """Write atomically: readers see the old file, no file, or the whole new one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                torch.save({TENSORS_KEY: tensors, HASH_KEY: content_hash(tensors)}, file)
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    except OSError as error:  # read-only or full disk: the run goes on with generated tensors
        if path.parent in _UNKEPT:  # said once per process (a group's seeds each build)
            return
        _UNKEPT.add(path.parent)
        why = error.strerror or type(error).__name__
        print(
            f"warning: generated data not kept in {path.parent} ({why}); each run generates "
            "it again (set paths.data_dir to a writable folder)",
            file=sys.stderr,
            flush=True,
        )


def cached_tensors(
    cache_dir: str | Path | None,
    name: str,
    arguments: Mapping[str, Any],
    generate: Callable[[], Tensors],
) -> Tensors:
    """`generate()`'s tensors, read from `cache_dir` when an earlier run stored them.

    `arguments` must name everything the data depends on, including the generator's
    package version; the code of the file that defines `generate` is keyed on too
    (`generator_digest`). `cache_dir=None` turns the cache off.
    """
    if cache_dir is None:
        return generate()
    path = Path(cache_dir) / cache_key(name, arguments, generate)
    tensors = _load(path)
    if tensors is None:
        tensors = generate()
        _save(path, tensors)
    return tensors
