"""Code fingerprints: what counts as a change of a plugin's code, and stale records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from repro.records.fingerprint import changed_files, code_fingerprint, stale_reason
from tests.conftest import repro, write_toy_paper

MODEL = "def f(x):\n    '''Doubles.'''\n    return x * 2\n"


def _plugin(tmp_path: Path) -> Path:
    folder = tmp_path / "plugin"
    (folder / "sub").mkdir(parents=True)
    (folder / "model.py").write_text(MODEL)
    (folder / "sub" / "layers.py").write_text("A = 1\n")
    (folder / "paper.yaml").write_text("id: plugin\n")
    return folder


def test_comment_and_whitespace_edits_do_not_change_the_digest(tmp_path: Path) -> None:
    folder = _plugin(tmp_path)
    before = code_fingerprint(folder)
    (folder / "model.py").write_text(
        "# a comment\ndef f(x):  # why\n\n    '''Doubles.'''\n    return x*2\n"
    )
    assert code_fingerprint(folder) == before


def test_code_docstring_and_new_file_edits_change_the_digest(tmp_path: Path) -> None:
    folder = _plugin(tmp_path)
    before = code_fingerprint(folder)
    (folder / "model.py").write_text(MODEL.replace("x * 2", "x * 3"))
    after_code = code_fingerprint(folder)
    assert after_code["digest"] != before["digest"]
    assert changed_files(before["files"], after_code["files"]) == ["model.py"]
    (folder / "model.py").write_text(MODEL.replace("Doubles", "Triples"))
    assert code_fingerprint(folder)["digest"] != before["digest"]
    (folder / "model.py").write_text(MODEL)
    (folder / "sub" / "extra.py").write_text("B = 2\n")
    assert changed_files(before["files"], code_fingerprint(folder)["files"]) == ["sub/extra.py"]


def test_yaml_caches_and_unparsable_files(tmp_path: Path) -> None:
    folder = _plugin(tmp_path)
    before = code_fingerprint(folder)
    (folder / "paper.yaml").write_text("id: plugin\nclaims: []\n")
    for skipped in ("__pycache__", ".hidden"):
        (folder / skipped).mkdir()
        (folder / skipped / "x.py").write_text("X = 1\n")
    assert code_fingerprint(folder) == before  # YAML, caches and hidden folders are not code
    (folder / "broken.py").write_text("def (:\n")
    broken = code_fingerprint(folder)
    (folder / "broken.py").write_text("def (:  \n")
    assert code_fingerprint(folder)["digest"] != broken["digest"]  # hashed on bytes


def test_stale_reason(tmp_path: Path) -> None:
    folder = _plugin(tmp_path)
    record = {"code": {"plugin": code_fingerprint(folder)}}
    assert stale_reason(record, folder) is None
    assert stale_reason({}, folder) == "unknown code"
    (folder / "sub" / "layers.py").write_text("A = 2\n")
    assert stale_reason(record, folder) == "changed: sub/layers.py"


def test_changed_model_makes_a_completed_run_stale(tmp_path: Path, isolated_env: Path) -> None:
    """Fix a bug in model.py: the dry run says stale, the run retrains and keeps the old one."""
    papers = tmp_path / "papers"
    folder = write_toy_paper(papers)
    args = ("paper=toy", "experiment=small", "seed=0", "debug=fast", "logger=none")
    first = repro("run", "--papers-dir", str(papers), *args)
    assert first.returncode == 0, first.stderr
    (record_file,) = isolated_env.rglob("record.json")
    record = json.loads(record_file.read_text())
    assert record["code"]["plugin"]["digest"]
    assert set(record["code"]["plugin"]["files"]) == {"model.py", "data.py"}
    assert record["code"]["repro"]["version"]
    assert record["code"]["repro"]["git_sha"] == record["environment"]["git"]["sha"]
    assert record_file.stat().st_mode & 0o777 == 0o644  # follows umask 022, not mkstemp's 0600
    assert (record_file.parent / "config.yaml").stat().st_mode & 0o777 == 0o644

    model = folder / "model.py"
    model.write_text(model.read_text() + "\n# a comment only\n")
    again = repro("run", "--papers-dir", str(papers), *args)
    assert again.returncode == 0 and "stale" not in again.stderr  # comments are not code

    model.write_text(model.read_text().replace("lr=self.lr", "lr=self.lr * 0.5"))
    plan = repro(
        "sweep",
        "--papers-dir",
        str(papers),
        "paper=toy",
        "experiment=small",
        "seed=0",
        "debug=fast",
        "logger=none",
        "--dry-run",
    )
    assert plan.returncode == 0, plan.stderr
    assert "stale (model.py)" in plan.stdout and "1 to run" in plan.stdout

    rerun = repro("run", "--papers-dir", str(papers), *args)
    assert rerun.returncode == 0, rerun.stderr
    assert "stale: toy/small/seed0 was made by other plugin code (changed: model.py)" in (
        rerun.stderr
    )
    (kept,) = (record_file.parent / ".superseded").iterdir()
    assert kept.name.endswith(record["code"]["plugin"]["digest"][:8])
    assert json.loads((kept / "record.json").read_text())["timing"] == record["timing"]
    new = json.loads(record_file.read_text())
    assert new["status"] == "completed"
    assert new["code"]["plugin"]["digest"] != record["code"]["plugin"]["digest"]


def test_installed_plugin_names_its_distribution_and_requirements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repro.records.fingerprint import code_section

    site = tmp_path / "site"
    package = site / "toyplug_paper"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "model.py").write_text(MODEL)
    info = site / "toyplug-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: toyplug\nVersion: 1.2.3\n"
        "Requires-Dist: numpy>=1\nRequires-Dist: pytest; extra == 'test'\n"
    )
    (info / "entry_points.txt").write_text("[repro.papers]\ntoyplug = toyplug_paper\n")
    monkeypatch.syspath_prepend(str(site))
    plugin = code_section(package, None)["plugin"]
    from importlib.metadata import version

    assert (plugin["distribution"], plugin["version"]) == ("toyplug", "1.2.3")
    assert plugin["plugin_requirements"] == {"numpy": version("numpy")}
    assert set(plugin["files"]) == {"__init__.py", "model.py"}
    folder_plugin = code_section(_plugin(tmp_path), None)["plugin"]
    assert folder_plugin["distribution"] is None and folder_plugin["version"] is None


def test_a_data_folder_is_code_package_or_not(tmp_path: Path) -> None:
    """model.py can import `data/download.py` as a namespace package: it is code."""
    folder = _plugin(tmp_path)
    (folder / "data").mkdir()
    (folder / "data" / "download.py").write_text("URL = 1\n")
    assert "data/download.py" in code_fingerprint(folder)["files"]
    (folder / "data" / "__init__.py").write_text("")
    assert "data/download.py" in code_fingerprint(folder)["files"]


def test_the_digest_does_not_change_with_the_python_version(monkeypatch) -> None:
    """the digest was `ast.dump` of the file, whose text changes with Python:
    3.12 gives every function and class an empty `type_params` (3.13 then leaves empty lists
    out). A pilot trained on a laptop's Python 3.11 was stale to a GPU machine's 3.12: every
    run trained again, with other values, and a seeds=auto plan made again from them. Here
    3.12's syntax tree is made on this Python: the digest is the one 3.11 gives."""
    import ast

    from repro.records import fingerprint

    source = b"class M:\n    def step(self, x):\n        return [x]\n"
    before = fingerprint.file_digest(source)
    parse = ast.parse

    def parse_as_312(*args, **kwargs):  # 3.12's tree: a type_params field, empty
        tree = parse(*args, **kwargs)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                node._fields = (*type(node)._fields, "type_params")
                node.type_params = []
        return tree

    monkeypatch.setattr(ast, "parse", parse_as_312)
    assert "type_params=[]" in ast.dump(ast.parse(source))
    assert fingerprint.file_digest(source) == before


def test_the_digest_of_an_fstring_format_spec_does_not_change_with_the_python_version(
    monkeypatch,
) -> None:
    """Python 3.12.0/3.12.1 (PEP 701's parser) put an empty `Constant('')` into the
    format spec of `f"{x:{width}}"`, which 3.11 and 3.13 do not: a plugin formatting a log line
    that way had another digest on a GPU machine's 3.12.1, so every run there was stale. Here
    3.12.1's tree is made on this Python: the digest is the one 3.11 gives."""
    import ast

    from repro.records import fingerprint

    source = b'line = f"{step:{width}d} {loss:{w}.{p}f}"\n'
    before = fingerprint.file_digest(source)
    parse = ast.parse

    def parse_as_3121(*args, **kwargs):  # 3.12.1's tree: a trailing empty Constant
        tree = parse(*args, **kwargs)
        for node in ast.walk(tree):
            if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
                node.format_spec.values.append(ast.Constant(value=""))
        return tree

    monkeypatch.setattr(ast, "parse", parse_as_3121)
    assert "Constant(value='')" in ast.dump(ast.parse(source))
    assert fingerprint.file_digest(source) == before
