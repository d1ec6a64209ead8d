"""Where repro's own files and its users' data live, whichever way repro was installed.

A checkout (and `pip install -e .`, which setup.sh uses) keeps the built-in `papers/` and
`configs/` at the top level, the documented layout. A wheel (`pip install .`,
`pip install git+<url>`) cannot put folders with such generic names into site-packages, so
the build ships them inside the package as `repro/_builtin/papers` and
`repro/_builtin/configs` (pyproject.toml). Callers ask here and never guess from
`__file__`, so both installs find the same files.

Data (datasets, generated-data caches) goes to one folder that does not depend on the
working directory: `REPRO_DATA_DIR` if set, else `$XDG_CACHE_HOME/repro/data` (default
`~/.cache/repro/data`). A relative folder would scatter a copy of every dataset into each
folder a run or `repro check` happened to start from.
"""

from __future__ import annotations

import os
from pathlib import Path

VERSION = "0.1.0"
"""repro's version (`repro.__version__`), kept here so modules below the API can name it."""

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The folder above the package: the checkout root in a checkout or editable install (holding
`papers/` and `configs/`), site-packages' parent in a wheel install. Ask `builtin_dir` for
the built-in folders instead of joining paths onto this."""

PACKAGED = Path(__file__).resolve().parent / "_builtin"
"""The copies a wheel install ships; absent in a checkout, where the top-level folders rule."""

DATA_ENV = "REPRO_DATA_DIR"


def builtin_dir(name: str) -> Path:
    """The built-in `papers` or `configs` folder: the wheel's packaged copy when repro runs
    from a wheel, else the checkout's top-level folder."""
    packaged = PACKAGED / name
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


def checkout_root() -> Path | None:
    """The source checkout repro runs from, or None in a wheel install (whose parent folder
    is site-packages' parent, not a checkout of repro)."""
    return None if PACKAGED.is_dir() else PROJECT_ROOT


def data_dir() -> Path:
    """Where datasets and generated-data caches live (see the module docstring). Empty
    variables count as unset, as the XDG spec says."""
    chosen = os.environ.get(DATA_ENV)
    if chosen:  # literal, like REPRO_RESULTS_DIR: relative to the cwd, no `~` expansion
        return Path(chosen)
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache) if cache and Path(cache).is_absolute() else Path.home() / ".cache"
    return base / "repro" / "data"
