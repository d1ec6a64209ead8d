"""A new user's first hour, typed as they would type it: one way to name a paper everywhere,
options before or after the command, `repro new` then the command it prints, one
`load_records`."""

from __future__ import annotations

import inspect
import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import REPO, repro, write_toy_paper


def _same_outcome(bare: tuple[str, ...], keyed: tuple[str, ...]) -> None:
    first, second = repro(*bare), repro(*keyed)
    assert (first.returncode, first.stderr) == (second.returncode, second.stderr), (first, second)


def test_show_and_check_take_paper_equals_id(tmp_path: Path) -> None:
    shown = repro("show", "paper=mnist1d")
    assert shown.returncode == 0, shown.stderr
    assert "cnn_acc" in shown.stdout
    write_toy_paper(tmp_path / "plugins")
    checked = repro("check", "paper=toy", "--papers-dir", "plugins")
    assert checked.returncode == 0, checked.stderr
    assert "4 ok, 0 failed" in checked.stdout


def test_run_sweep_report_sync_take_the_paper_as_their_first_word(isolated_env: Path) -> None:
    done = repro("run", "mnist1d", "experiment=gru", "--cfg", "job")
    assert done.returncode == 0, done.stderr
    assert "arch: gru" in done.stdout
    flagged = repro("run", "--cfg", "job", "mnist1d", "experiment=gru")  # `job` is --cfg's
    assert flagged.returncode == 0 and "arch: gru" in flagged.stdout, flagged.stderr
    planned = repro("sweep", "mnist1d", "--dry-run")
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.startswith("sweep mnist1d: ")
    _same_outcome(("report", "mnist1d"), ("report", "paper=mnist1d"))
    assert "no run records for paper 'mnist1d'" in repro("report", "mnist1d").stderr
    synced = repro("sync", "mnist1d", "--dry-run")
    assert synced.returncode == 0, synced.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ("run", "MNIST1D", "experiment=cnn"),
            "'MNIST1D' is not a paper id: did you mean `repro run paper=mnist1d experiment=cnn`?",
        ),
        (("sweep", "mnist-1d", "--dry-run"), "`repro sweep paper=mnist1d --dry-run`"),
        (("report", "Mnist1d"), "did you mean `repro report paper=mnist1d`?"),
        (("run", "mnist", "experiment=cnn"), "unknown paper 'mnist' (did you mean 'mnist1d'?"),
        (("run", "amsgrad", "paper=mnist1d"), "two papers"),
    ],
)
def test_a_first_word_that_is_no_paper_gets_the_exact_command(
    arguments: tuple[str, ...], message: str
) -> None:
    done = repro(*arguments)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines


def test_command_options_may_come_before_the_command(tmp_path: Path) -> None:
    write_toy_paper(tmp_path / "plugins")
    listed = repro("--papers-dir", "plugins", "papers")
    assert listed.returncode == 0, listed.stderr
    assert "toy" in listed.stdout
    shown = repro("--papers-dir=plugins", "show", "toy")
    assert shown.returncode == 0 and "A toy regression paper" in shown.stdout, shown.stderr
    nowhere = repro("--papers-dir", "plugins", "sync")  # a command without it says so
    assert nowhere.returncode == 2 and "unknown argument '--papers-dir'" in nowhere.stderr


def test_an_unknown_paper_says_how_to_point_at_a_plugin_folder(tmp_path: Path) -> None:
    """`repro new x --papers-dir plugins` then `repro run paper=x` without the flag: the
    error must say how repro finds a plugin in another folder, not only list the known ones."""
    write_toy_paper(tmp_path / "plugins")
    for arguments in (("run", "paper=toy"), ("show", "toy"), ("check", "toy")):
        done = repro(*arguments)
        assert done.returncode == 2, (arguments, done.stderr)
        assert "unknown paper 'toy'" in done.stderr
        assert "--papers-dir DIR or REPRO_PAPERS_PATH" in done.stderr, done.stderr


def test_check_help_says_it_trains_a_few_steps() -> None:
    top = repro("--help").stdout
    assert "no training" not in top
    text = " ".join(repro("check", "--help").stdout.split())
    assert "without training" not in text and "trains each experiment for a few steps" in text


def test_new_prints_a_check_that_finds_the_new_paper(tmp_path: Path) -> None:
    created = repro("new", "my_paper", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    printed = re.search(r"`(repro check [^`]*)`", created.stdout)
    assert printed and printed.group(1) == "repro check my_paper", created.stdout
    checked = repro(*shlex.split(printed.group(1))[1:], cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    shown = repro("show", "my_paper", cwd=tmp_path)
    assert shown.returncode == 0 and "repro sweep paper=my_paper" in shown.stdout, shown.stderr
    elsewhere = repro("new", "other", "--papers-dir", "plugins", cwd=tmp_path)
    assert "`repro check other --papers-dir plugins`" in elsewhere.stdout, elsewhere.stdout


def test_the_checkouts_own_papers_folder_is_listed_once_as_built_in() -> None:
    listed = repro("papers", cwd=REPO)
    assert listed.returncode == 0, listed.stderr
    assert "replaces" not in listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()[1:] if line.strip()]
    assert rows and all(row[-1] == "built-in" for row in rows), listed.stdout


def test_report_of_records_without_a_plugin_says_how_to_point_at_it(isolated_env: Path) -> None:
    (isolated_env / "lost" / "run" / "abc" / "seed0").mkdir(parents=True)
    done = repro("report", "paper=lost")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "--papers-dir DIR" in done.stderr and "REPRO_PAPERS_PATH" in done.stderr
    assert str(isolated_env / "lost") in done.stderr


def test_one_load_records_returns_the_data_frame(tmp_path: Path, isolated_env: Path) -> None:
    import pandas as pd

    import repro as package
    from repro import records

    write_toy_paper(tmp_path / "plugins")
    done = repro(
        "run", "paper=toy", "experiment=small", "debug=fast", "logger=none",
        env={"REPRO_PAPERS_PATH": str(tmp_path / "plugins")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert records.load_records is package.load_records
    assert list(inspect.signature(records.load_records).parameters) == ["results", "paper"]
    frame = records.load_records(paper="toy")
    assert isinstance(frame, pd.DataFrame) and set(frame["paper"]) == {"toy"}
    assert set(records.load_records(str(isolated_env))["paper"]) == {"toy"}
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    assert not [page for page in pages if "records.load_records" in page.read_text()]
    assert "repro.load_records(" in (REPO / "README.md").read_text()


def test_report_from_another_folder_says_where_it_looked(tmp_path: Path) -> None:
    """Runs made in one folder, `repro report` typed in another: 'no run records ... under
    results: make them with `repro sweep ...`' sent the user to train them all again; it
    names the folder it read and how to point at the records."""
    from tests.records.test_table import write_run

    write_run(tmp_path / "work" / "results", "cnn", 0)
    (tmp_path / "elsewhere").mkdir()
    for arguments in (("report", "paper=mnist1d"), ("report",)):
        done = repro(*arguments, cwd=tmp_path / "elsewhere", env={"REPRO_RESULTS_DIR": ""})
        assert done.returncode == 1, (arguments, done.stderr)
        line = done.stderr.strip()
        assert str(tmp_path / "elsewhere" / "results") in line, line
        assert "the folder you run from" in line and "--results DIR" in line, line


def test_a_sweep_key_given_to_run_suggests_a_sweep_that_finds_the_plugin(tmp_path: Path) -> None:
    """`repro run paper=toy --papers-dir plugins seeds=3` answered `repro sweep paper=toy
    seeds=3`, which, pasted, said `unknown paper 'toy'`: the suggestion keeps --papers-dir."""
    write_toy_paper(tmp_path / "plugins")
    done = repro("run", "paper=toy", "--papers-dir", "plugins", "seeds=2", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    printed = re.search(r"`(repro sweep [^`]*)`", done.stderr)
    assert printed, done.stderr
    planned = repro(*shlex.split(printed.group(1))[1:], "--dry-run", cwd=tmp_path)
    assert planned.returncode == 0, (printed.group(1), planned.stderr)
    assert "sweep toy: 2 runs" in planned.stdout, planned.stdout


@pytest.mark.parametrize(
    "arguments",
    [
        ("run", "paper=MNIST1D", "experiment=cnn"),
        ("sweep", "paper=mnist-1d", "--dry-run"),
        ("show", "Mnist1d"),
        ("check", "MNIST1D"),
        ("report", "paper=Mnist1d"),
    ],
)
def test_a_paper_id_in_capitals_or_with_a_dash_is_answered_with_the_id(
    arguments: tuple[str, ...],
) -> None:
    """`repro run MNIST1D` answered with the id meant, `repro run paper=MNIST1D` or
    `repro show MNIST1D` only with the rule for ids."""
    done = repro(*arguments)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "did you mean 'mnist1d'?" in done.stderr, done.stderr


def test_a_papers_dir_that_is_not_there_says_where_it_looked(tmp_path: Path) -> None:
    """`--papers-dir plugin` for `plugins`, or `--papers-dir plugins` typed in a sub-folder:
    'papers folder plugin does not exist' named neither the folder read nor the one meant."""
    write_toy_paper(tmp_path / "plugins")
    typo = repro("show", "toy", "--papers-dir", "plugin", cwd=tmp_path)
    assert typo.returncode == 2, typo.stderr
    assert "did you mean 'plugins'?" in typo.stderr, typo.stderr
    (tmp_path / "sub").mkdir()
    elsewhere = repro("show", "toy", "--papers-dir", "plugins", cwd=tmp_path / "sub")
    assert elsewhere.returncode == 2, elsewhere.stderr
    assert f"does not exist in {tmp_path / 'sub'}" in elsewhere.stderr, elsewhere.stderr


def test_an_interpolation_to_a_misspelt_key_is_a_usage_error(tmp_path: Path) -> None:
    """`model.features: ${data.featurs}` in an experiment file (or as an override) ended in
    'internal error: InterpolationKeyError ...' over three lines, exit 1."""
    write_toy_paper(tmp_path / "plugins")
    done = repro(
        "run", "paper=toy", "experiment=small", "--papers-dir", "plugins",
        "model.features=${data.featurs}", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" not in lines[0], lines
    assert lines[0].startswith("error: model.features: ") and "data.featurs" in lines[0], lines
    wide = tmp_path / "plugins" / "toy" / "experiment" / "wide.yaml"
    wide.write_text("# @package _global_\nmodel:\n  features: ${data.featurs}\n")
    for arguments in (("sweep", "paper=toy", "experiment=wide", "--dry-run"), ("check", "toy")):
        done = repro(*arguments, "--papers-dir", "plugins", cwd=tmp_path)
        assert done.returncode in (1, 2) and "internal error" not in done.stderr, done.stderr
        assert "model.features: Interpolation key 'data.featurs' not found" in done.stderr
        assert "object_type" not in done.stderr, done.stderr


def test_an_unknown_paper_lists_broken_plugins_apart(tmp_path: Path) -> None:
    # `known: ..., my_copy, ...` listed a copy whose paper.yaml still says `id: amsgrad`:
    # picked from the list, it failed; the broken ones are named apart, with where to look
    from repro.errors import UnknownPaper
    from repro.plugins.registry import get_paper

    plugins = tmp_path / "plugins"
    write_toy_paper(plugins)
    (plugins / "my_copy").mkdir()
    (plugins / "my_copy" / "paper.yaml").write_text((plugins / "toy" / "paper.yaml").read_text())
    with pytest.raises(UnknownPaper) as raised:
        get_paper("nope", [plugins])
    known = re.search(r"known: ([^;)]*)", str(raised.value))
    assert known and "my_copy" not in known.group(1) and "toy" in known.group(1)
    # found through --papers-dir, it is listed by `repro papers` given the same folder
    assert f"broken: my_copy (`repro papers --papers-dir {plugins}` says why)" in str(raised.value)
