"""Generated datasets kept on disk, so each run of a sweep loads them instead of rebuilding.

Some papers generate their data procedurally (MNIST-1D: 1.1 s of numpy and scipy per run,
a large share of a short run's fixed cost); loading the same tensors back takes
milliseconds. The cache key is everything that determines the data (generator arguments
and the generator's version), so a different setting never reads another's file, and the
loaded tensors are bit-identical to freshly generated ones. The cache is an optimisation
only: an unreadable, corrupt or unwritable cache falls back to generating.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

Tensors = dict[str, torch.Tensor]


def cache_key(name: str, arguments: Mapping[str, Any]) -> str:
    """File name for `name` generated with `arguments` (sorted, JSON-encoded, hashed)."""
    encoded = json.dumps(dict(arguments), sort_keys=True, default=str)
    return f"{name}-{hashlib.sha256(encoded.encode()).hexdigest()[:16]}.pt"


def _load(path: Path) -> Tensors | None:
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # absent, or corrupt (copied in half, edited): generate instead
        return None
    if not isinstance(loaded, dict) or not all(
        isinstance(v, torch.Tensor) for v in loaded.values()
    ):
        return None
    return loaded


def _save(path: Path, tensors: Tensors) -> None:
    """Write atomically: readers see the old file, no file, or the whole new one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                torch.save(tensors, file)
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    except OSError:
        pass  # read-only or full disk: the run goes on with the generated tensors


def cached_tensors(
    cache_dir: str | Path | None,
    name: str,
    arguments: Mapping[str, Any],
    generate: Callable[[], Tensors],
) -> Tensors:
    """`generate()`'s tensors, read from `cache_dir` when an earlier run stored them.

    `arguments` must name everything the data depends on, including the generator's
    version; `cache_dir=None` turns the cache off.
    """
    if cache_dir is None:
        return generate()
    path = Path(cache_dir) / cache_key(name, arguments)
    tensors = _load(path)
    if tensors is None:
        tensors = generate()
        _save(path, tensors)
    return tensors
