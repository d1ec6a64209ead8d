"""A plain `pip install .` (a wheel, as `pip install git+<url>` in Colab gives) works from any
folder: the wheel carries the built-in papers, configs and templates (issue #12, point 1).

The wheel is built from a copy of the checkout (so no `build/` lands in it) and installed into
a throwaway venv that borrows this interpreter's dependencies through a `.pth` line: a fresh
venv would need torch and the rest (minutes, and a registry). Runs start from a folder outside
the checkout with no PYTHONPATH, so only the installed copy can answer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

SHIPPED = ("repro/", "papers/", "configs/")
"""Checkout folders whose files the wheel must carry; papers/ and configs/ go under
repro/_builtin/."""


def _source_files() -> list[str]:
    """Files of the checkout a build sees: tracked and new ones, not git-ignored ones."""
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        capture_output=True,
        text=True,
        check=True,
    )
    return [p for p in listed.stdout.split("\0") if p and (REPO / p).is_file()]


def _wheel_name(source: str) -> str:
    """Where a checkout file lies inside the wheel."""
    if source.startswith(("papers/", "configs/")):
        return f"repro/_builtin/{source}"
    return source


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (REPO / ".git").exists():
        pytest.skip("needs a git checkout (the file list comes from git)")
    source = _checkout_copy(tmp_path_factory.mktemp("source"))
    return _built_wheel(source, tmp_path_factory.mktemp("wheel"))


def _checkout_copy(source: Path) -> Path:
    """The files of the checkout a build sees, copied into `source` (no `build/` lands in
    the wheel, and a test may edit the copy)."""
    for name in _source_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    return source


def _built_wheel(source: Path, out: Path) -> Path:
    """The wheel pip builds from `source` into `out`."""
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    done = subprocess.run(
        [*build, "-w", str(out), str(source)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("repro-*.whl")
    return built


def test_wheel_holds_every_file_of_repro_papers_and_configs(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {_wheel_name(f) for f in _source_files() if f.startswith(SHIPPED)}
    assert expected - names == set()
    assert "repro/_builtin/papers/amsgrad/paper.yaml" in names
    assert "repro/_builtin/configs/run.yaml" in names
    assert "repro/plugins/templates/paper/paper.yaml" in names
    assert not [n for n in names if n.endswith(".pyc") or n.startswith(("papers/", "configs/"))]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(venv, site-packages): the wheel installed into a venv inside an unrelated git
    repository, as a project's .venv would be."""
    project = tmp_path_factory.mktemp("someone_elses_project")
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    (project / ".gitignore").write_text(".venv/\n")
    subprocess.run([*git, "add", ".gitignore"], check=True)
    subprocess.run([*git, "commit", "-qm", "unrelated"], check=True)
    venv = project / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    where = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(subprocess.check_output([venv / "bin" / "python", "-c", where], text=True).strip())
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site / "repro-test-deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install"]
    done = subprocess.run(
        [*pip, "-q", "--no-deps", "--no-index", str(wheel)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return venv, site


def _installed_repro(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed `repro` script, with nothing pointing back at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "REPRO_RESULTS_DIR")}
    return subprocess.run(
        [str(venv / "bin" / "repro"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=cwd,
    )


def test_installed_wheel_lists_papers_from_another_folder(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    venv, site = installed
    version = _installed_repro(venv, "--version", cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert str(site / "repro") in version.stdout  # the installed copy answers, not the checkout
    papers = _installed_repro(venv, "papers", cwd=tmp_path)
    assert papers.returncode == 0, papers.stderr
    assert "amsgrad" in papers.stdout and "mnist1d" in papers.stdout


def test_installed_wheel_runs_a_paper_into_the_cwds_results(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    """Plugin code (relative imports and all) loads from site-packages; the record goes to
    ./results of the folder the run started from, and names no git commit: the repository
    around the venv is not repro's code."""
    venv, site = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    args = ("run", "paper=amsgrad", "experiment=adam_online", "debug=fast", "logger=none")
    done = _installed_repro(venv, *args, cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in elsewhere.iterdir()] == ["results"]
    (record_file,) = (elsewhere / "results").rglob("record.json")
    record = json.loads(record_file.read_text())
    assert record["status"] == "completed"
    config = yaml.safe_load(record_file.with_name("config.yaml").read_text())
    assert Path(config["paper_dir"]).is_relative_to(site / "repro" / "_builtin" / "papers")
    assert record["environment"]["git"] == {"sha": None, "dirty": None}
    assert record["code"]["repro"]["git_sha"] is None


def test_the_wheel_takes_its_version_from_the_one_records_name(tmp_path: Path) -> None:
    """Records name `repro.resources.VERSION`; a version written a second time in pyproject.toml
    would let a release bump one and leave records naming the other."""
    if not (REPO / ".git").exists():
        pytest.skip("needs a git checkout (the file list comes from git)")
    source = _checkout_copy(tmp_path / "source")
    resources = source / "repro" / "resources.py"
    text = resources.read_text()
    assert 'VERSION = "' in text
    resources.write_text(text.replace('VERSION = "', 'VERSION = "9.8.7+', 1))
    built = _built_wheel(source, tmp_path / "wheel")
    assert built.name.startswith("repro-9.8.7+")
