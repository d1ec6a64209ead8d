"""repro: reproduce published ML results and say, with evidence, whether each claim holds."""

from pathlib import Path

__version__ = "0.1.0"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""Checkout root: holds the built-in `papers/` and `configs/` (repro installs editable)."""
