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
