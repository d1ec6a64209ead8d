"""Generated datasets kept on disk, so each run of a sweep loads them instead of rebuilding.

Some papers generate their data procedurally (MNIST-1D: 1.1 s of numpy and scipy per run,
a large share of a short run's fixed cost); loading the same tensors back takes
milliseconds. The cache key is everything that determines the data (generator arguments
and the generator's version), so a different setting never reads another's file, and the
loaded tensors are bit-identical to freshly generated ones. The cache is an optimisation
only: an unreadable, corrupt or unwritable cache falls back to generating.

Each file carries a sha256 of its tensors' contents, checked on every load: flipped bits on
disk would otherwise load fine and shift a result silently under the same config hash (or
surface as a NaN loss blamed on training). The hash lives inside the file, so one atomic
rename replaces data and hash together and a concurrent reader never sees them disagree.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

Tensors = dict[str, torch.Tensor]
HASH_KEY = "sha256"
TENSORS_KEY = "tensors"


def cache_key(name: str, arguments: Mapping[str, Any]) -> str:
    """File name for `name` generated with `arguments` (sorted, JSON-encoded, hashed)."""
    encoded = json.dumps(dict(arguments), sort_keys=True, default=str)
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
