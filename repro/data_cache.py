"""Kept so plugins written before the package layout import unchanged (their code digest
covers their import lines, so editing them would mark their records stale). New code
imports from `repro.plugins`."""

from repro.plugins.data_cache import cache_key, cached_tensors, content_hash

__all__ = ["cache_key", "cached_tensors", "content_hash"]
