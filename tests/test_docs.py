"""The docs' walkthroughs, run as written."""

from __future__ import annotations

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


def _documented_fields(page: str, heading: str) -> set[str]:
    """Field names in the first column of the table under `heading`."""
    section = page.split(heading, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M))


def test_plugin_reference_documents_every_paper_and_claim_field() -> None:
    from repro.paper_spec import Claim, PaperSpec

    page = (REPO / "docs" / "plugin-reference.md").read_text()
    assert _documented_fields(page, "## paper.yaml fields") == set(PaperSpec.model_fields)
    assert _documented_fields(page, "## Claim fields") == set(Claim.model_fields)
    for guide in ("README.md", "docs/writing-a-plugin.md"):
        assert "plugin-reference.md" in (REPO / guide).read_text(), guide
