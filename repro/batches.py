"""Kept so plugins written before the package layout import unchanged (their code digest
covers their import lines, so editing them would mark their records stale). New code
imports from `repro.plugins`."""

from repro.plugins.batches import InMemoryBatches

__all__ = ["InMemoryBatches"]
