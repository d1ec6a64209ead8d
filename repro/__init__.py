"""repro: reproduce published ML results and say, with evidence, whether each claim holds."""

from repro.resources import PROJECT_ROOT, VERSION

__version__ = VERSION

_API = ("run", "sweep", "report", "load_records")
__all__ = ["PROJECT_ROOT", "ReproError", "UsageError", "__version__", *_API]


def __getattr__(name: str) -> object:
    """`repro.run(...)` and friends (repro.api), imported on first use: `import repro` stays
    as fast as the CLI needs."""
    if name in _API:
        from repro import api

        return getattr(api, name)
    if name in ("ReproError", "UsageError"):
        from repro import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'repro' has no attribute {name!r}")
