"""`repro report` end to end: the real CLI in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Terminal, repro
from tests.records.test_table import write_run


def test_no_records_is_one_line_naming_the_command(isolated_env: Path) -> None:
    done = repro("report", "paper=mnist1d")
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "no run records for paper 'mnist1d'" in lines[0]
    assert "repro sweep paper=mnist1d" in lines[0]

    everything = repro("report")
    assert everything.returncode != 0 and "no run records under" in everything.stderr


def test_mistakes_are_usage_errors(isolated_env: Path) -> None:
    write_run(isolated_env, "cnn", 0)
    for arguments, message in (
        (("report", "paper=nope"), "unknown paper 'nope'"),
        (("report", "Mnist1d"), "did you mean `repro report paper=mnist1d`?"),
        (("report", "paper=mnist1d", "--format", "docx"), "unknown format 'docx'"),
    ):
        done = repro(*arguments)
        assert done.returncode == 2, (arguments, done.stderr)
        assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_report_every_paper_with_records(isolated_env: Path, tmp_path: Path) -> None:
    for seed in range(3):
        write_run(isolated_env, "cnn", seed, {"test/acc": 0.94}, composed=True)
        write_run(isolated_env, "mlp", seed, {"test/acc": 0.6}, composed=True)
    broken = isolated_env / "mnist1d" / "cnn" / "broken" / "seed0"
    broken.mkdir(parents=True)
    (broken / "record.json").write_text("{not json")
    write_run(isolated_env, "small", 0, paper="unknown_paper")  # no plugin: skipped
    # a paper whose only record is unreadable stopped every report after it
    dspn = isolated_env / "dspn" / "x" / "abc" / "seed0"
    dspn.mkdir(parents=True)
    (dspn / "record.json").write_text('{"paper": "dspn", "status": "completed", "metrics": 1}')
    done = repro("report", "--csv")
    assert done.returncode == 0, done.stderr
    assert "warning: dspn: no run records for paper 'dspn'" in done.stderr
    assert "mnist1d: incomplete (2 of 9 claims reproduced, 3 of 9 run)" in done.stdout
    assert "warning: skipped record" in done.stderr and "broken" in done.stderr
    assert "warning: unknown_paper" in done.stderr
    out = tmp_path / "reports" / "mnist1d"
    for name in ("report.md", "records.csv", "notes.md", "figures/claims.png"):
        assert (out / name).is_file(), name

    elsewhere = tmp_path / "elsewhere"
    done = repro(
        "report",
        "paper=mnist1d",
        "--results",
        str(isolated_env),
        "--out",
        str(elsewhere),
        "--format",
        "html",
        env={"REPRO_RESULTS_DIR": str(tmp_path / "nothing")},
    )
    assert done.returncode == 0, done.stderr
    assert (elsewhere / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_a_metric_missing_from_completed_runs_makes_report_exit_1(isolated_env: Path) -> None:
    for seed in range(3):
        write_run(isolated_env, "cnn", seed, {"test/accuracy": 0.94}, composed=True)
    done = repro("report", "paper=mnist1d")
    assert done.returncode == 1, (done.stdout, done.stderr)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "metric missing" in errors[0] and "test/acc" in errors[0], errors
    assert "Traceback" not in done.stderr


def test_a_report_of_every_paper_that_fails_to_write_one_still_fails(
    isolated_env: Path, tmp_path: Path
) -> None:
    """Skipping a paper without readable records must not hide a report that failed, nor a
    plugin whose paper.yaml is malformed (a warning, exit 0): the others are
    written, the failures named, the exit is 1."""
    from tests.conftest import write_toy_paper

    for seed in range(2):
        write_run(isolated_env, "cnn", seed, {"test/acc": 0.94}, composed=True)
        write_run(isolated_env, "mlp", seed, {"test/acc": 0.6}, composed=True)
    plugins = tmp_path / "plugins"
    toy = write_toy_paper(plugins)
    (toy / "paper.yaml").write_text((toy / "paper.yaml").read_text() + "year: 2025\n")
    write_run(isolated_env, "small", 0, paper="toy")
    out = tmp_path / "reports"
    out.mkdir()
    (out / "mnist1d").write_text("a file in the way")
    done = repro("report", "--out", str(out), env={"REPRO_PAPERS_PATH": str(plugins)})
    assert done.returncode == 1, done.stderr
    assert "warning: mnist1d: cannot write report to" in done.stderr
    assert "warning: toy: " in done.stderr and "'year' written twice" in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "error: no report written for mnist1d, toy (see the warnings above)"
    )


def test_a_parameter_count_that_is_no_count_is_not_an_internal_error(isolated_env: Path) -> None:
    """`"model": {"parameters": [5]}` in a hand-edited record stopped the report
    with `internal error: TypeError: unhashable type: 'list'`; the count is shown as unknown."""
    import json

    for seed in range(2):
        folder = write_run(isolated_env, "cnn", seed, {"test/acc": 0.94}, composed=True)
    record = json.loads((folder / "record.json").read_text())
    record["model"] = {**(record.get("model") or {}), "parameters": [5]}
    (folder / "record.json").write_text(json.dumps(record))
    done = repro("report", "paper=mnist1d")
    assert done.returncode == 0 and "internal error" not in done.stderr, done.stderr


def test_reports_lines_wrap_at_whole_words_at_80_columns(
    isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first `repro report paper=mnist1d` printed `  reports/mnist1d/notes.md: new; write what
    was easy or difficult there (kept across regenerations)`, 98 characters, which an
    80-column terminal cut inside a word (`regen|erations`); its lines wrap at whole words."""
    import re
    import sys

    from repro.cli import app

    for seed in range(2):
        write_run(isolated_env, "cnn", seed, {"test/acc": 0.94}, composed=True)
    monkeypatch.setenv("COLUMNS", "80")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    app(["report", "paper=mnist1d"], standalone_mode=False)
    lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    text = " ".join(" ".join(lines).split())
    assert "write what was easy or difficult there (kept across regenerations)" in text, lines


def test_a_results_folder_renamed_from_another_paper_is_named_as_such(isolated_env: Path) -> None:
    """results/mnist1d_old holding mnist1d's records (a folder renamed or copied aside): the
    warning sent the user to look for a plugin `mnist1d_old/`, which never existed."""
    write_run(isolated_env, "cnn", 0, {"test/acc": 0.94})
    (isolated_env / "mnist1d").rename(isolated_env / "mnist1d_old")
    hint = (
        f"{isolated_env / 'mnist1d_old'} holds records of paper 'mnist1d' (a folder renamed "
        f"or copied from {isolated_env / 'mnist1d'}?): move them there to report them"
    )
    everything = repro("report")
    warned = [line for line in everything.stderr.splitlines() if "mnist1d_old" in line]
    assert len(warned) == 1 and hint in warned[0], everything.stderr
    assert "plugin mnist1d_old/" not in everything.stderr
    one = repro("report", "paper=mnist1d_old")
    assert one.returncode == 2 and hint in one.stderr, one.stderr
