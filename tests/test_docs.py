"""The docs' walkthroughs, run as written."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from tests.conftest import REPO, repro


def _walkthrough_commands(page: Path) -> list[list[str]]:
    block = re.search(r"## 1\. Walkthrough\s+```bash\n(.*?)```", page.read_text(), flags=re.S)
    assert block, f"{page} has no walkthrough"
    return [shlex.split(line.split("#")[0]) for line in block.group(1).splitlines() if line.strip()]


def test_writing_a_plugin_walkthrough(tmp_path: Path, isolated_env: Path) -> None:
    commands = _walkthrough_commands(REPO / "docs" / "writing-a-plugin.md")
    assert [c[:2] for c in commands] == [
        ["repro", "new"],
        ["repro", "check"],
        ["repro", "run"],
        ["repro", "sweep"],
    ]
    for command in commands:
        done = repro(*command[1:], cwd=tmp_path)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert (tmp_path / "plugins" / "my_paper" / "paper.yaml").is_file()
    records = list(isolated_env.rglob("record.json"))
    assert len(records) == 2  # baseline seeds 0 and 1; the run's seed 0 was reused by the sweep


def _documented_fields(page: str, heading: str) -> dict[str, str]:
    """Field name -> documented default, from the table under `heading`."""
    section = page.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \|[^|]*\| ([^|]+) \|", section, flags=re.M)
    return {name: default.strip().strip("`") for name, default in rows}


def _actual_defaults(model: type) -> dict[str, str]:
    """The defaults as the reference writes them (YAML: null, true, [])."""
    return {
        name: "required" if field.is_required() else json.dumps(field.default).strip('"')
        for name, field in model.model_fields.items()
    }


def test_plugin_reference_documents_every_paper_and_claim_field() -> None:
    from repro.plugins.paper_spec import Claim, PaperSpec

    page = (REPO / "docs" / "plugin-reference.md").read_text()
    assert _documented_fields(page, "## paper.yaml fields") == _actual_defaults(PaperSpec)
    assert _documented_fields(page, "## Claim fields") == _actual_defaults(Claim)
    for guide in ("README.md", "docs/writing-a-plugin.md"):
        assert "plugin-reference.md" in (REPO / guide).read_text(), guide
