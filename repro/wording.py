"""Counts in words: `1 claim`, `2 claims` (a `1 claims` reads as a bug in everything else)."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`count noun`, the noun in the plural (`nouns`, else noun + 's') unless count is 1."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
