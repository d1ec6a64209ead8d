"""Where built-in files and user data are found (issue #12, points 1 and 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from repro import PROJECT_ROOT
from repro.resources import builtin_dir, checkout_root, data_dir
from tests.conftest import repro, write_toy_paper


def test_data_dir_is_repro_data_dir_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPRO_DATA_DIR", "/srv/datasets")
    assert data_dir() == Path("/srv/datasets")


@pytest.mark.parametrize("xdg", [None, "", "relative/cache"])
def test_data_dir_defaults_to_the_user_cache_not_the_cwd(
    xdg: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unset, empty or relative XDG_CACHE_HOME all mean ~/.cache (the XDG rule)."""
    monkeypatch.setenv("REPRO_DATA_DIR", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert data_dir() == tmp_path / "home" / ".cache" / "repro" / "data"


def test_data_dir_follows_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPRO_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "repro" / "data"


def test_tests_never_write_into_the_users_cache() -> None:
    """conftest points REPRO_DATA_DIR at a per-session tmp folder."""
    assert not data_dir().is_relative_to(Path.home() / ".cache")


def test_checkout_uses_its_top_level_folders() -> None:
    assert checkout_root() == PROJECT_ROOT
    assert builtin_dir("papers") == PROJECT_ROOT / "papers"
    assert (builtin_dir("configs") / "run.yaml").is_file()


@pytest.fixture
def default_data_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No REPRO_DATA_DIR: the default rule, with the user cache inside tmp_path."""
    monkeypatch.delenv("REPRO_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "repro" / "data"


def test_a_run_from_an_empty_folder_writes_no_data_folder_there(
    tmp_path: Path, default_data_rule: Path
) -> None:
    """MNIST-1D caches its generated data under paths.data_dir: in the user cache, not the cwd
    (it used to leave ./data/cache in every folder a run started from)."""
    empty = tmp_path / "empty"
    empty.mkdir()
    args = ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "logger=none")
    done = repro(*args, cwd=empty)
    assert done.returncode == 0, done.stderr
    assert list(empty.iterdir()) == []
    assert list((default_data_rule / "cache").glob("mnist1d-*.pt"))


def test_check_from_an_empty_folder_writes_no_data_folder_there(
    tmp_path: Path, default_data_rule: Path
) -> None:
    """`repro check` runs each experiment with the default data folder too (the toy plugin
    creates its cache folder under paths.data_dir, as mnist1d does)."""
    plugins = tmp_path / "plugins"
    folder = write_toy_paper(plugins)
    settings = folder / "settings.yaml"
    settings.write_text(
        settings.read_text().replace("data:\n", "data:\n  cache_dir: ${paths.data_dir}/cache\n")
    )
    data = folder / "data.py"
    data.write_text(
        data.read_text().replace(
            "def __init__(self, features, samples):\n",
            "def __init__(self, features, samples, cache_dir):\n"
            "        __import__('os').makedirs(cache_dir, exist_ok=True)\n",
        )
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    done = repro("check", "toy", env={"REPRO_PAPERS_PATH": str(plugins)}, cwd=empty)
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(empty.iterdir()) == []
    assert (default_data_rule / "cache").is_dir()
