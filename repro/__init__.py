"""repro: reproduce published ML results and say, with evidence, whether each claim holds."""

from pathlib import Path

__version__ = "0.1.0"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The folder above the package: the checkout root in a checkout or editable install (holding
`papers/` and `configs/`), site-packages' parent in a wheel install. Ask repro.resources for
the built-in folders instead of joining paths onto this."""

_API = ("run", "sweep", "report", "load_records")
__all__ = ["ReproError", "UsageError", "__version__", *_API]


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
