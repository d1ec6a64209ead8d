"""The house: each package imports only packages below it (issue 21). Read from the code's
own import statements, so a new module that reaches up fails here, not in a review."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "repro"
GROUND = {"errors", "resources", "stats", "wording"}  # the ground floor: anyone may import these
LAYERS = ["records", "plugins", "config", "running", "sweeping", "reporting"]
"""Bottom to top; above them the faces (cli, api, completion) may import anything."""


def _imports(path: Path) -> set[str]:
    """The repro subpackages or modules a file imports (at any depth: lazy imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("repro"):
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "repro" and len(parts) > 1:
                    found.add(parts[1])
    return found


def test_each_package_imports_only_packages_below_it() -> None:
    wrong = []
    for level, package in enumerate(LAYERS):
        allowed = set(LAYERS[: level + 1]) | GROUND
        for path in sorted((PACKAGE / package).rglob("*.py")):
            if "templates" in path.parts:
                continue
            for name in sorted(_imports(path) - allowed):
                wrong.append(f"{path.relative_to(PACKAGE.parent)} imports repro.{name}")
    assert not wrong, "\n".join(wrong)


def test_the_ground_floor_imports_nothing_above_it() -> None:
    for name in GROUND:
        assert _imports(PACKAGE / f"{name}.py") <= GROUND, name
