"""The plugin contract: paper.yaml (`paper_spec`), finding plugins (`registry`), a new plugin
from the template (`scaffold`), how a plugin's exceptions read (`failures`), and the helpers a
plugin's own code uses. A plugin author imports from this module only:

    from repro.plugins import InMemoryBatches, cached_tensors, UsageError
"""

from repro.errors import ReproError, UsageError

_HELPERS = {"InMemoryBatches": "batches", "cached_tensors": "data_cache"}
__all__ = ["InMemoryBatches", "ReproError", "UsageError", "cached_tensors"]


def __getattr__(name: str) -> object:
    """The helpers import torch: loaded on first use, so `repro papers` stays fast."""
    if name in _HELPERS:
        import importlib

        return getattr(importlib.import_module(f"repro.plugins.{_HELPERS[name]}"), name)
    raise AttributeError(f"module 'repro.plugins' has no attribute {name!r}")
