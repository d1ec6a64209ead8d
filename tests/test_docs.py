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


def test_writing_a_plugin_code_is_a_working_plugin(tmp_path: Path) -> None:
    """The guide's model.py and data.py, dropped into a new plugin, pass `repro check`."""
    page = (REPO / "docs" / "writing-a-plugin.md").read_text()
    files = dict(re.findall(r"```python\n# (model\.py|data\.py)\n(.*?)```", page, flags=re.S))
    assert set(files) == {"model.py", "data.py"}, "the guide shows no model.py / data.py"
    assert "from repro.plugins import" in files["data.py"]
    made = repro("new", "guide_paper", "--papers-dir", "plugins", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    for name, code in files.items():
        (tmp_path / "plugins" / "guide_paper" / name).write_text(code)
    checked = repro("check", "guide_paper", "--papers-dir", "plugins", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


README_MAX_BYTES = 12_000  # it was 24 KB in one scroll; the rest lives in docs/


def test_readme_starts_with_a_five_minute_path() -> None:
    """Set up, one run, a sweep, a report, a new paper, in that order, then links to docs/
    for the rest; the long sections (sweeps, DDP, seeds=auto, records, reports, performance)
    moved to docs/*.md, whose links the next test checks."""
    readme = (REPO / "README.md").read_text()
    assert len(readme.encode()) <= README_MAX_BYTES, len(readme.encode())
    headings = re.findall(r"^##+ (.+)$", readme, flags=re.M)
    assert headings[0] == "Five minutes", headings
    path = readme.split("## Five minutes", 1)[1].split("\n## ", 1)[0]
    setup = re.search(r"```bash\n(.*?)```", path, flags=re.S)
    assert setup and [line.split("#")[0].strip() for line in setup.group(1).splitlines()] == [
        "bash setup.sh",
        ".venv/bin/python -m pytest -q",
    ]
    steps = ["repro run ", "repro sweep ", "repro report ", "repro new "]
    assert [path.index(step) for step in steps] == sorted(path.index(step) for step in steps)
    for page in ("sweeps", "runs-and-records", "reports", "performance", "writing-a-plugin"):
        assert f"](docs/{page}.md)" in readme, page
    assert {"Built-in papers", "Layout"} <= set(headings)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_doc_links_point_at_files_and_headings_that_exist() -> None:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target}")
            elif anchor and linked.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", linked.read_text(), flags=re.M)
                if anchor not in {_slug(h) for h in headings}:
                    broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, broken


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
