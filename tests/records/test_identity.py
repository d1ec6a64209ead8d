"""A run's code identity: the code a process actually ran, every `.py` file the plugin can
import (data-like folders, symlinked helpers) and which classes of it paper.yaml names."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from repro.plugins.registry import load_object, plugin_from_folder
from repro.records.fingerprint import code_fingerprint, code_section, source_digest, stale_reason
from repro.running.runner import _new_record
from tests.conftest import write_toy_paper


def _record_as_the_runner_makes_it(folder: Path) -> dict[str, Any]:
    """The record a run of the plugin in `folder` starts with, made in this process."""
    config = {"paper": folder.name, "experiment_name": "small", "seed": 0}
    return _new_record(config, 0, ["repro", "run"], plugin_from_folder(folder), None, None)


def _set_version(folder: Path, version: int) -> None:
    """A real code change: ToyModule gets a class attribute VERSION."""
    model = folder / "model.py"
    text = model.read_text()
    if "    VERSION = " in text:
        text = text.replace(f"    VERSION = {version - 1}\n", f"    VERSION = {version}\n")
    else:
        marker = "class ToyModule(pl.LightningModule):\n"
        text = text.replace(marker, f"{marker}    VERSION = {version}\n")
    model.write_text(text)


def _version_run(folder: Path) -> int | None:
    """VERSION of the ToyModule a run of this plugin would build now."""
    return getattr(load_object(plugin_from_folder(folder), "model:ToyModule"), "VERSION", None)


def test_a_later_run_in_the_same_process_runs_and_records_the_edited_code(
    tmp_path: Path,
) -> None:
    """`repro sweep seeds=3 launcher=local`: model.py edited while seed 0 trains; seed 1 runs
    the new code, not the module cached in sys.modules, and records the new code's digest."""
    folder = write_toy_paper(tmp_path, "ident_sweep")
    _set_version(folder, 1)
    first = _record_as_the_runner_makes_it(folder)
    assert _version_run(folder) == 1
    _set_version(folder, 2)  # the same size as before: only the code differs
    second = _record_as_the_runner_makes_it(folder)
    assert _version_run(folder) == 2
    module = sys.modules[load_object(plugin_from_folder(folder), "model:ToyModule").__module__]
    assert "VERSION = 2" in Path(module.__file__).read_text()
    assert second["code"]["plugin"]["digest"] == code_fingerprint(folder)["digest"]
    assert second["code"]["plugin"]["digest"] != first["code"]["plugin"]["digest"]


def test_an_edit_within_the_same_second_does_not_run_old_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A .pyc is checked against its source's whole-second mtime and size: an edit of the
    same size within that second must still be imported from the source."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # PYTHONDONTWRITEBYTECODE aside
    folder = write_toy_paper(tmp_path, "ident_pyc")
    _set_version(folder, 1)
    os.utime(folder / "model.py", ns=(1_000_000_000_100_000_000,) * 2)
    _record_as_the_runner_makes_it(folder)
    assert _version_run(folder) == 1
    _set_version(folder, 2)
    os.utime(folder / "model.py", ns=(1_000_000_000_600_000_000,) * 2)  # the same second
    record = _record_as_the_runner_makes_it(folder)
    assert _version_run(folder) == 2
    assert record["code"]["plugin"]["digest"] == code_fingerprint(folder)["digest"]


def test_the_recorded_digest_is_that_of_the_code_the_run_imported(tmp_path: Path) -> None:
    """An edit after the record is made but before the run builds its module must not give
    a record saying one code and a run of another."""
    folder = write_toy_paper(tmp_path, "ident_window")
    _set_version(folder, 1)
    v1 = code_fingerprint(folder)["digest"]
    record = _record_as_the_runner_makes_it(folder)
    _set_version(folder, 2)  # saved while the run starts up
    ran = _version_run(folder)  # what train_and_test builds
    assert (ran, record["code"]["plugin"]["digest"]) == (1, v1)
    assert stale_reason(record, folder) == "changed: model.py"  # the next run retrains


def test_code_changed_while_importing_is_imported_again(tmp_path: Path) -> None:
    """The folder changes during the import (here model.py writes a sibling the first time):
    the import is retried, and the record names the code of the second import."""
    folder = write_toy_paper(tmp_path, "ident_retry")
    model = folder / "model.py"
    model.write_text(
        model.read_text()
        + "\nimport pathlib\n_side = pathlib.Path(__file__).with_name('side.py')\n"
        + "if not _side.exists():\n    _side.write_text('X = 1\\n')\n"
    )
    record = _record_as_the_runner_makes_it(folder)
    assert "side.py" in record["code"]["plugin"]["files"]
    assert record["code"]["plugin"]["digest"] == code_fingerprint(folder)["digest"]


def test_code_that_keeps_changing_while_importing_is_unknown(tmp_path: Path) -> None:
    """Changed during both imports: nothing says which code ran, so the record's code is
    unknown and a later run retrains it."""
    folder = write_toy_paper(tmp_path, "ident_churn")
    model = folder / "model.py"
    model.write_text(
        model.read_text()
        + "\nimport pathlib, time\n_side = pathlib.Path(__file__).with_name('side.py')\n"
        + "_side.write_text(f'X = {time.time_ns()}\\n')\n"
    )
    record = _record_as_the_runner_makes_it(folder)
    assert record["code"]["plugin"]["digest"] is None
    assert stale_reason(record, folder) == "unknown code"


def test_python_files_in_data_like_folders_are_code(tmp_path: Path) -> None:
    """model.py can import `datasets/loader.py` (a namespace folder, no `__init__.py`)."""
    folder = write_toy_paper(tmp_path, "ident_datasets")
    for name in ("datasets", "cache", "data_utils"):
        (folder / name).mkdir()
        (folder / name / "loader.py").write_text("SCALE = 1\n")
    record = {"code": {"plugin": code_fingerprint(folder)}}
    assert {"datasets/loader.py", "cache/loader.py"} <= set(record["code"]["plugin"]["files"])
    (folder / "datasets" / "loader.py").write_text("SCALE = 2\n")
    assert stale_reason(record, folder) == "changed: datasets/loader.py"


def test_hidden_folders_pycache_and_virtual_environments_are_not_code(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path, "ident_skips")
    before = code_fingerprint(folder)
    for name in (".git", "__pycache__", "venv/lib/site"):
        (folder / name).mkdir(parents=True)
        (folder / name / "x.py").write_text("X = 1\n")
    (folder / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert code_fingerprint(folder) == before


def test_switching_the_module_class_makes_records_stale(tmp_path: Path) -> None:
    """paper.yaml's `module` names another class of the same model.py: other code ran."""
    folder = write_toy_paper(tmp_path, "ident_classes")
    model = folder / "model.py"
    model.write_text(model.read_text() + "\n\nclass OtherModule(ToyModule):\n    pass\n")
    plugin = code_section(folder, None)["plugin"]
    assert plugin["classes"] == {"module": "model:ToyModule", "datamodule": "data:ToyData"}
    record = {"code": {"plugin": plugin}}
    legacy = {"code": {"plugin": code_fingerprint(folder)}}  # made before classes were kept
    assert stale_reason(record, folder) is None and stale_reason(legacy, folder) is None
    spec = folder / "paper.yaml"
    spec.write_text(spec.read_text().replace("model:ToyModule", "model:OtherModule"))
    assert stale_reason(record, folder) == ("changed: module model:ToyModule -> model:OtherModule")
    assert _record_as_the_runner_makes_it(folder)["code"]["plugin"]["classes"] == {
        "module": "model:OtherModule",
        "datamodule": "data:ToyData",
    }


def test_symlinked_helpers_are_code_and_link_cycles_end(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path / "papers", "ident_links")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "__init__.py").write_text("")
    (shared / "layers.py").write_text("WIDTH = 1\n")
    (shared / "loop").symlink_to(shared, target_is_directory=True)  # a cycle
    (folder / "helpers").symlink_to(shared, target_is_directory=True)
    (tmp_path / "one.py").write_text("ONE = 1\n")
    (folder / "one.py").symlink_to(tmp_path / "one.py")
    (folder / "self").symlink_to(folder, target_is_directory=True)  # another cycle
    before = code_fingerprint(folder)
    assert {"helpers/__init__.py", "helpers/layers.py", "one.py"} <= set(before["files"])
    assert not any(name.count("loop") > 1 or "self/self" in name for name in before["files"])
    (shared / "layers.py").write_text("WIDTH = 2\n")
    os.utime(shared / "layers.py", ns=(1, 1))  # even with an old mtime
    assert "helpers/layers.py" in stale_reason({"code": {"plugin": before}}, folder)


def test_a_run_outside_git_names_repro_by_version_and_source_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """repro installed from a wheel (no git to ask) recorded no code of its own but
    a version every commit shares, so its report said `Code: unknown`. Now the record keeps a
    digest of repro's source files, and still claims no commit."""
    import repro
    from repro.resources import VERSION

    folder = write_toy_paper(tmp_path, "ident_nogit")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no git on PATH, as on many installs
    record = _record_as_the_runner_makes_it(folder)
    assert record["environment"]["git"] == {"sha": None, "dirty": None}
    assert record["code"]["repro"] == {
        "version": VERSION,
        "git_sha": None,
        "digest": source_digest(Path(repro.__file__).parent),
    }
    assert len(record["code"]["repro"]["digest"]) == 16
    code = tmp_path / "code"  # every file counts: one more changes the digest
    code.mkdir()
    (code / "a.py").write_text("x = 1\n")
    before = source_digest(code)
    (code / "b.py").write_text("")
    assert source_digest(code) != before
