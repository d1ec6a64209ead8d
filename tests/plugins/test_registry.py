from __future__ import annotations

import json
from pathlib import Path

import pytest

from repro.errors import UsageError
from repro.plugins.registry import discover, get_paper, load_object
from tests.conftest import repro, write_toy_paper


def test_builtin_papers_are_found() -> None:
    assert discover()["mnist1d"].origin == "built-in"


def test_unknown_paper_lists_known() -> None:
    with pytest.raises(UsageError, match=r"unknown paper 'nope' \(known: .*mnist1d"):
        get_paper("nope")


@pytest.mark.parametrize("bad", ["../x", "a/b", "Mnist", ""])
def test_paper_ids_with_path_characters_are_rejected(bad: str) -> None:
    with pytest.raises(UsageError, match="invalid paper id"):
        get_paper(bad)


def test_papers_dir_and_env_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_toy_paper(tmp_path / "cli_dir", "toy_cli")
    write_toy_paper(tmp_path / "env_dir", "toy_env")
    monkeypatch.setenv("REPRO_PAPERS_PATH", str(tmp_path / "env_dir"))
    found = discover([tmp_path / "cli_dir"])
    assert found["toy_cli"].origin.startswith("dir ")
    assert found["toy_env"].folder == (tmp_path / "env_dir" / "toy_env").resolve()


@pytest.mark.parametrize("renamed", [None, "paper.yml", "Paper.yaml"])
def test_a_plugin_folder_without_its_paper_file_is_named(
    tmp_path: Path, renamed: str | None
) -> None:
    """A folder `plugins/toy` whose paper.yaml is missing (or saved as paper.yml) was only
    'unknown paper toy', listing the built-in papers, while the folder sat in --papers-dir."""
    folder = write_toy_paper(tmp_path / "plugins")
    paper_file = folder / "paper.yaml"
    if renamed:
        paper_file.rename(folder / renamed)
    else:
        paper_file.unlink()
    with pytest.raises(UsageError) as raised:
        get_paper("toy", [tmp_path / "plugins"])
    message = str(raised.value)
    assert message.startswith("unknown paper 'toy': "), message
    assert f"{folder} has no paper.yaml" in message, message
    if renamed:
        assert f"rename its {renamed} to paper.yaml" in message, message


def test_missing_papers_dir_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        discover([tmp_path / "absent"])


def test_plugin_code_loads_from_its_folder(tmp_path: Path) -> None:
    plugin = get_paper("toy_load", [write_toy_paper(tmp_path, "toy_load").parent])
    assert load_object(plugin, "model:ToyModule").__name__ == "ToyModule"


def test_plugin_whose_import_fails_is_named(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path, "toy_broken")
    (folder / "model.py").write_text("import not_a_real_module\n")
    plugin = get_paper("toy_broken", [tmp_path])
    with pytest.raises(
        UsageError,
        match=r"paper 'toy_broken': cannot import model.py: "
        r"ModuleNotFoundError",
    ):
        load_object(plugin, "model:ToyModule")


@pytest.mark.parametrize(
    ("statement", "name"), [("from helpers import SCALE", "helpers"), ("import data", "data")]
)
def test_an_absolute_import_of_a_sibling_file_says_to_import_it_relatively(
    tmp_path: Path, statement: str, name: str
) -> None:
    """`from data import X` in model.py said only ModuleNotFoundError: No module
    named 'data'; a plugin's files must import each other relatively, which nothing said."""
    folder = write_toy_paper(tmp_path, "toy_absolute")
    (folder / "helpers.py").write_text("SCALE = 2\n")
    model = folder / "model.py"
    model.write_text(f"{statement}\n{model.read_text()}")
    plugin = get_paper("toy_absolute", [tmp_path])
    with pytest.raises(UsageError) as raised:
        load_object(plugin, "model:ToyModule")
    assert str(raised.value).endswith(
        f"No module named '{name}' (model.py line 1 imports the plugin's own {name} as a "
        f"top-level module: import it relatively, `from .{name} import ...` or "
        f"`from . import {name}`)"
    )


def _install_as_package(site: Path, package: str, paper_id: str) -> None:
    """What `pip install` leaves behind: the package and a dist-info with its entry point."""
    write_toy_paper(site, package)
    (site / package / "paper.yaml").write_text(
        (site / package / "paper.yaml").read_text().replace(f"id: {package}", f"id: {paper_id}")
    )
    (site / package / "__init__.py").write_text("")
    info = site / f"{package}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[repro.papers]\n{paper_id} = {package}\n")


def test_entry_point_package_plugin_lists_and_runs(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_as_package(site, "toy_pkg", "toy_installed")
    env = {"PYTHONPATH": str(site)}
    listed = repro("papers", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "toy_installed" in listed.stdout and "package toy_pkg" in listed.stdout
    ran = repro("run", "paper=toy_installed", "experiment=small", "logger=none", env=env)
    assert ran.returncode == 0, ran.stderr
    record = next((tmp_path / "results" / "toy_installed").rglob("record.json"))
    assert json.loads(record.read_text())["status"] == "completed"


def test_out_of_tree_folder_plugin_runs(tmp_path: Path) -> None:
    write_toy_paper(tmp_path / "mine", "toy_folder")
    ran = repro(
        "run",
        "--papers-dir",
        str(tmp_path / "mine"),
        "paper=toy_folder",
        "experiment=wide",
        "logger=csv",
        "seed=3",
    )
    assert ran.returncode == 0, ran.stderr
    record = json.loads(next((tmp_path / "results").rglob("record.json")).read_text())
    assert record["experiment"] == "wide" and record["seed"] == 3
    assert record["metrics"]["test/mse"] >= 0
    assert record["model"]["parameters"] == 9  # Linear(8, 1)


def test_broken_plugin_does_not_hide_others(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path, "toy_badyaml")
    (folder / "paper.yaml").write_text("id: [\n")
    listed = repro("papers", "--papers-dir", str(tmp_path))
    assert listed.returncode == 0
    assert "BROKEN" in listed.stdout and "mnist1d" in listed.stdout


def test_unknown_paper_suggests_a_close_id() -> None:
    suggestion = r"unknown paper 'mnist' \(did you mean 'mnist1d'\?; known: "
    with pytest.raises(UsageError, match=suggestion):
        get_paper("mnist")


def test_entry_point_named_unlike_its_paper_id_is_broken(tmp_path: Path) -> None:
    """The rule: a plugin's name where it is found (entry point, folder) is its paper.yaml id;
    a mismatch is BROKEN with one line, never silently renamed."""
    site = tmp_path / "site"
    _install_as_package(site, "toy_pkg", "toy_real_id")
    entry_points = site / "toy_pkg-0.1.dist-info" / "entry_points.txt"
    entry_points.write_text("[repro.papers]\ntoy_alias = toy_pkg\n")
    env = {"PYTHONPATH": str(site)}
    listed = repro("papers", env=env)
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if row.split()[:1] == ["toy_alias"])
    assert "BROKEN" in line and "toy_real_id" in listed.stdout, listed.stdout
    ran = repro("run", "paper=toy_alias", "experiment=small", "logger=none", env=env)
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.strip().splitlines() == [
        f"error: {site / 'toy_pkg' / 'paper.yaml'}: id 'toy_real_id' differs from the entry "
        "point name 'toy_alias' it is installed under: make them equal"
    ]


def test_folder_named_unlike_its_paper_id_is_broken(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path, "toy_copy")
    (folder / "paper.yaml").write_text(
        (folder / "paper.yaml").read_text().replace("id: toy_copy", "id: toy")
    )
    # it said "the folder name 'toy_copy' it is installed under": a folder is not installed
    with pytest.raises(UsageError) as raised:
        get_paper("toy_copy", [tmp_path]).spec()
    assert str(raised.value) == (
        f"{folder / 'paper.yaml'}: id 'toy' differs from its folder's name 'toy_copy': "
        "make them equal"
    )


def test_an_installed_plugin_that_cannot_be_imported_is_broken_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a plugin package whose parent package fails to import (a missing
    dependency) made every command, `repro papers` and runs of other papers included, end in
    'internal error: ModuleNotFoundError'; an entry point naming a missing module vanished
    ('unknown paper'). Each is listed BROKEN with its reason, and the others still run."""
    site = tmp_path / "site"
    (site / "labpkg" / "lab_paper").mkdir(parents=True)
    (site / "labpkg" / "__init__.py").write_text("import some_missing_dep\n")
    (site / "labpkg" / "lab_paper" / "__init__.py").write_text("")
    info = site / "labpkg-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: labpkg\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[repro.papers]\nlab_paper = labpkg.lab_paper\nns_paper = ns_pkgg\n"
    )
    monkeypatch.syspath_prepend(str(site))
    plugins = discover()
    assert "mnist1d" in plugins
    with pytest.raises(UsageError, match=r"cannot import labpkg\.lab_paper .*some_missing_dep"):
        plugins["lab_paper"].spec()
    with pytest.raises(UsageError, match=r"cannot import ns_pkgg .*No module named 'ns_pkgg'"):
        get_paper("ns_paper").spec()


def test_a_broken_installed_plugin_does_not_hide_a_working_one_of_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """an entry point `mnist1d = gonemod` (a module that is gone), listed BROKEN
    since b19f042, won over the built-in mnist1d ('replaces the built-in paper'), which then
    could not run; before, the entry point was skipped."""
    site = tmp_path / "site"
    info = site / "fakeplug-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplug\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[repro.papers]\nmnist1d = gonemod\n")
    monkeypatch.syspath_prepend(str(site))
    plugin = get_paper("mnist1d")
    assert plugin.broken is None and plugin.origin == "built-in"
    assert plugin.spec().id == "mnist1d"


def test_a_misspelt_class_name_suggests_the_files_class(tmp_path: Path) -> None:
    """`module: model:PaperModel` where model.py defines PaperModule said only
    "model.py defines no 'PaperModel'"."""
    from repro.plugins.registry import PaperPlugin

    folder = write_toy_paper(tmp_path, "toy_typo").resolve()
    with pytest.raises(UsageError) as raised:
        load_object(PaperPlugin("toy_typo", folder, "test"), "model:ToyModel")
    assert str(raised.value) == (
        f"{folder / 'paper.yaml'}: model:ToyModel: model.py defines no 'ToyModel' "
        "(did you mean 'ToyModule'?; its classes: ToyModule)"
    ), raised.value


def test_papers_and_show_name_a_plugin_whose_code_does_not_parse(tmp_path: Path) -> None:
    """a model.py with a syntax error was listed by `repro papers` as healthy (its
    title, experiments, claims) and shown by `repro show` without a word."""
    folder = write_toy_paper(tmp_path / "plugins", "toy_syntax")
    model = folder / "model.py"
    model.write_text(
        model.read_text().replace("def training_step(self", "def training_step(self,,")
    )
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    listed = repro("papers", env=env)
    row = next(line for line in listed.stdout.splitlines() if "toy_syntax" in line)
    assert "BROKEN: model.py line 13: SyntaxError: invalid syntax" in row, listed.stdout
    shown = repro("show", "toy_syntax", env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stderr.startswith(
        "warning: model.py line 13: SyntaxError: invalid syntax (`repro check toy_syntax`"
    ), shown.stderr


def test_papers_names_a_plugin_whose_paper_file_names_a_missing_file(tmp_path: Path) -> None:
    """`datamodule: dataa:ToyData` was listed by `repro papers` as healthy; every run then
    said `cannot import dataa.py: ModuleNotFoundError: No module named 'repro_plugin_...'`."""
    folder = write_toy_paper(tmp_path / "plugins", "toy_file")
    paper = folder / "paper.yaml"
    paper.write_text(paper.read_text().replace("data:ToyData", "dataa:ToyData"))
    listed = repro("papers", env={"REPRO_PAPERS_PATH": str(tmp_path / "plugins")})
    row = next(line for line in listed.stdout.splitlines() if "toy_file" in line)
    assert (
        "BROKEN: paper.yaml: datamodule: dataa:ToyData: the plugin folder has no dataa.py "
        "(did you mean 'data'?; its files: data.py, model.py)"
    ) in row, listed.stdout


def test_an_unknown_paper_beside_an_unreadable_paper_file_is_still_named(tmp_path: Path) -> None:
    # a plugin whose paper.yaml is not UTF-8 text (or a folder): `repro run paper=nope` (and a
    # missing paper=), which since 2b063c6 reads every paper file to name the broken apart,
    # said 'internal error: UnicodeDecodeError', as `repro papers` did
    from repro.errors import UnknownPaper
    from repro.plugins.paper_spec import load_paper_spec

    (write_toy_paper(tmp_path, "toy_bin") / "paper.yaml").write_bytes(b"\xff\xfe\x00id: x")
    with pytest.raises(UnknownPaper, match=r"; broken: toy_bin \("):
        get_paper("nope", [tmp_path])
    with pytest.raises(UsageError, match=r"paper.yaml: not UTF-8 text"):
        get_paper("toy_bin", [tmp_path]).spec()
    (write_toy_paper(tmp_path / "other", "toy_dir") / "paper.yaml").unlink()
    (tmp_path / "other" / "toy_dir" / "paper.yaml").mkdir()  # read by an entry point's load
    with pytest.raises(UsageError, match=r"paper.yaml: cannot read it: Is a directory"):
        load_paper_spec(tmp_path / "other" / "toy_dir")
