"""`import repro` from Python: what the functions return (typed numbers, not display text)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import repro
from tests.reporting.test_report import CNN, write_run


def test_report_returns_numbers_not_display_text(tmp_path: Path) -> None:
    """Issue 22.10: ci was '[-2.526, 1.538]', delta 'margin -0.406', plus emoji and css."""
    results = tmp_path / "results"
    for seed in range(5):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
    frame = repro.report("mnist1d", out=tmp_path / "out", results=results)
    row = frame.set_index("claim").loc["cnn_acc"]
    for column in ("mean", "std", "ci_low", "ci_high", "claimed", "tolerance", "delta"):
        assert pd.api.types.is_float_dtype(frame[column]), column
    assert row["n"] == 5 and pd.api.types.is_integer_dtype(frame["n"])
    assert abs(row["mean"] - sum(CNN) / 5) < 1e-12
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    assert row["claimed"] == 0.94 and row["tolerance"] == 0.03
    assert row["verdict"] == "reproduced" and bool(row["counted"])
    assert not {"emoji", "css", "symbol"} & set(frame.columns)
    not_run = frame.set_index("claim").loc["gru_acc"]
    assert not_run["n"] == 0 and pd.isna(not_run["mean"]) and not_run["verdict"] == "not run"
    assert frame.attrs["overall"]


def test_an_interrupted_run_gives_the_callers_signal_handlers_back(
    tmp_path: Path, monkeypatch
) -> None:
    """`repro run` keeps SIGINT/SIGTERM noted-and-dropped after a stop until the process
    exits (so the exit code stays the first signal's); called from Python (a notebook), the
    caller's handlers come back when the call ends, or Ctrl-C would never work there again."""
    import signal

    import pytest

    from repro.errors import ReproError
    from tests.conftest import write_signalling_paper

    plugins = write_signalling_paper(tmp_path / "plugins")
    monkeypatch.setenv("REPRO_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("REPRO_TEST_SIGNAL_AT", "train_epoch_end")
    monkeypatch.setenv("REPRO_TEST_SIGNAL", "SIGTERM")
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    overrides = ["logger=none", "trainer.max_steps=40", "+trainer.val_check_interval=1.0"]
    with pytest.raises(ReproError, match="interrupted by SIGTERM"):
        repro.run("sig", "small", overrides=overrides, papers_dir=plugins)
    assert {s: signal.getsignal(s) for s in before} == before


def test_load_records_of_a_misspelt_paper_says_so(tmp_path: Path) -> None:
    """`repro.load_records(paper='mnist1dd')` gave an empty table, a typo read as 'no runs
    yet', beside records of mnist1d, with no word; it warns (not raises: `toy2` may be a new
    paper beside toy's records, and repro.records imports no plugin registry to know)."""
    import pytest

    results = tmp_path / "results"
    write_run(results, "cnn", 0, {"test/acc": CNN[0]})
    with pytest.warns(UserWarning, match=r"no records of paper 'mnist1dd' under .*did you"):
        assert repro.load_records(results, paper="mnist1dd").empty  # may be a new paper
    assert not repro.load_records(results, paper="mnist1d").empty
    assert repro.load_records(results, paper="amsgrad").empty  # not run yet


def test_load_records_names_the_records_it_could_not_read(tmp_path: Path) -> None:
    """`repro.load_records` dropped a damaged record.json without a word (the
    report names it): a notebook's table silently lacked a seed."""
    import pytest

    results = tmp_path / "results"
    write_run(results, "cnn", 0, {"test/acc": CNN[0]})
    damaged = write_run(results, "cnn", 1, {"test/acc": CNN[1]}) / "record.json"
    damaged.write_text("")
    with pytest.warns(UserWarning) as caught:
        frame = repro.load_records(results, paper="mnist1d")
    assert set(frame["seed"]) == {0}
    said = [str(w.message) for w in caught]
    assert said == [
        f"skipped record {damaged}: malformed (Expecting value: line 1 column 1 (char 0))"
    ]
    assert frame.attrs["skipped"] == said
    assert damaged.read_text() == ""  # named, never rewritten


def test_load_records_of_a_paper_without_records_says_which_have_them(tmp_path: Path) -> None:
    """`repro.load_records(paper='nope')`, nothing like a paper with records,
    returned an empty table in silence (only a near miss warned): it says which papers have
    records under that folder (a warning: a paper not run yet has none either)."""
    import pytest

    results = tmp_path / "results"
    write_run(results, "cnn", 0, {"test/acc": CNN[0]})
    with pytest.warns(
        UserWarning, match=r"no records of paper 'nope' under .*papers with records: mnist1d"
    ):
        assert repro.load_records(results, paper="nope").empty
    (tmp_path / "empty").mkdir()
    with pytest.warns(UserWarning, match=r"no records of paper 'nope' under .*: none"):
        assert repro.load_records(tmp_path / "empty", paper="nope").empty


def test_load_records_of_a_results_folder_that_is_no_folder_says_so(tmp_path: Path) -> None:
    """`repro.load_records('results.zip')` (a file), or a folder path mistyped,
    gave an empty table without a word, where `repro report` says what is wrong."""
    import pytest

    from repro.errors import UsageError

    (tmp_path / "results.zip").write_text("x")
    with pytest.raises(UsageError, match=r"results folder .*results.zip is a file, not a folder"):
        repro.load_records(tmp_path / "results.zip")
    with pytest.warns(UserWarning, match=r"no results folder at .*resluts"):
        assert repro.load_records(tmp_path / "resluts").empty


def test_report_says_what_the_command_warns(tmp_path: Path) -> None:
    """`repro.report` dropped the report's warnings (a damaged record.json left
    out of a claim's seeds, named by `repro report`): n=4 of 5 seeds without a word."""
    import pytest

    results = tmp_path / "results"
    for seed in range(5):
        folder = write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
    (folder / "record.json").write_text("")
    with pytest.warns(UserWarning) as caught:
        frame = repro.report("mnist1d", out=tmp_path / "out", results=results)
    said = [str(w.message) for w in caught]
    assert f"skipped record {folder / 'record.json'}: malformed" in "\n".join(said)
    assert frame.attrs["warnings"] == said
    assert frame.set_index("claim").loc["cnn_acc", "n"] == 4


def test_load_records_of_a_paper_that_is_a_path_is_refused(tmp_path: Path) -> None:
    """`repro.load_records(paper='mnist1d/cnn')` (or '.') read the folder it named
    and returned every paper's or experiment's rows as that paper's, where `repro report`
    refuses the name."""
    import pytest

    from repro.errors import UsageError

    results = tmp_path / "results"
    write_run(results, "cnn", 0, {"test/acc": CNN[0]})
    for name in ("mnist1d/cnn", ".", "..", ""):
        with pytest.raises(UsageError, match="invalid paper"):
            repro.load_records(results, paper=name)


def test_sweep_returns_the_records_of_the_results_folder_it_swept(tmp_path: Path) -> None:
    """`repro.sweep(..., overrides=["paths.results_dir=..."])` swept that folder but
    returned the table of REPRO_RESULTS_DIR (or ./results): another folder's records, or an
    empty table and 'no results folder', beside the runs it had just found or trained."""
    import warnings

    elsewhere = tmp_path / "elsewhere"
    write_run(elsewhere, "cnn", 0, {"test/acc": CNN[0]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = repro.sweep(
            "mnist1d",
            experiments=["cnn"],
            seeds=1,
            dry_run=True,
            overrides=[f"paths.results_dir={elsewhere}"],
        )
    assert not [w for w in caught if "results" in str(w.message)]  # 'no results folder'
    assert set(frame["seed"]) == {0} and set(frame["experiment"]) == {"cnn"}


def test_load_records_of_a_paper_whose_folder_is_a_dead_link_says_so(tmp_path: Path) -> None:
    """`repro.load_records(results, paper='mnist1d')` with results/mnist1d linked to
    a disk not mounted now warned 'no records of paper ... papers with records: none', as if
    nothing had run, where `repro report` names the link."""
    import pytest

    from repro.errors import UsageError
    from repro.records import store

    results = tmp_path / "results"
    results.mkdir()
    (results / "mnist1d").symlink_to(tmp_path / "unmounted")
    with pytest.raises(UsageError, match=rf"mnist1d is {store.DEAD_LINK[:20]}"):
        repro.load_records(results, paper="mnist1d")


def test_report_says_a_metric_the_runs_did_not_log(tmp_path: Path) -> None:
    """`repro report` ends in 'error: metric missing: completed runs did not log the
    metric of ...; fix the plugin's self.log names' (exit 1); `repro.report` said nothing of
    it: a verdict `metric missing` in one row, the fix unsaid."""
    import pytest

    results = tmp_path / "results"
    for seed in range(2):
        write_run(results, "cnn", seed, {"test/accuracy": CNN[seed]})
    with pytest.warns(UserWarning) as caught:
        frame = repro.report("mnist1d", out=tmp_path / "out", results=results)
    said = [str(w.message) for w in caught]
    assert any(
        line.startswith("metric missing: completed runs did not log the metric of mnist1d cnn_acc")
        for line in said
    ), said
    assert frame.attrs["warnings"] == said


def test_an_unknown_paper_from_python_names_the_argument_not_the_flag(
    tmp_path: Path, monkeypatch
) -> None:
    # `repro.run('my_papr')` (the plugin in plugins/) said "a plugin in another folder:
    # --papers-dir DIR or REPRO_PAPERS_PATH", a flag no Python call takes
    import pytest

    from repro.errors import UnknownPaper

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REPRO_PAPERS_PATH", raising=False)
    calls = {
        "run": lambda: repro.run("my_papr"),
        "sweep": lambda: repro.sweep("my_papr", dry_run=True),
        "report": lambda: repro.report("my_papr"),
    }
    for name, call in calls.items():
        with pytest.raises(UnknownPaper) as raised:
            call()
        said = str(raised.value)
        assert "papers_dir=DIR or REPRO_PAPERS_PATH" in said and "--papers-dir" not in said, name


def test_report_reads_its_formats_as_the_command_does(tmp_path: Path) -> None:
    # formats=["docx"] wrote report.md alone and said nothing, and formats="html" (one
    # format, as --format html) was read letter by letter: no html, no word of it
    import pytest

    from repro.errors import UsageError

    results = tmp_path / "results"
    write_run(results, "cnn", 0, {"test/acc": CNN[0]})
    with pytest.raises(UsageError, match=r"unknown format 'docx' \(known: md, html, pdf\)"):
        repro.report("mnist1d", formats=["docx"], out=tmp_path / "out", results=results)
    frame = repro.report("mnist1d", formats="html", out=tmp_path / "out", results=results)
    assert {Path(f).name for f in frame.attrs["files"]} == {"report.md", "report.html"}


def test_overrides_given_as_one_string_are_read_as_the_command_line_reads_them() -> None:
    # overrides="debug=fast" was spread letter by letter ('d', 'e', ..., '='): the call
    # failed on an override '=' the caller never wrote
    from repro.api import _overrides

    assert _overrides("mnist1d", {}, "debug=fast seed=2") == [
        "paper=mnist1d",
        "debug=fast",
        "seed=2",
    ]
    assert _overrides("mnist1d", {}, ["debug=fast"]) == ["paper=mnist1d", "debug=fast"]


def test_an_overrides_string_with_an_open_quote_is_named_as_the_overrides() -> None:
    # overrides="model.name='abc" raised shlex's bare ValueError 'No closing quotation',
    # naming neither the argument nor the string, where other bad input is a UsageError
    import pytest

    from repro.api import _overrides
    from repro.errors import UsageError

    with pytest.raises(UsageError, match=r"overrides=\"debug=fast model.name='abc\": no closing"):
        _overrides("mnist1d", {}, "debug=fast model.name='abc")
