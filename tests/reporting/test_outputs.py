"""An earlier report's outputs in formats not asked for now: kept, and said when stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from repro.errors import UsageError
from repro.reporting import outputs
from repro.reporting.build import build_report, requests_from_cli
from tests.records.test_table import write_run


def _write(out: Path, names: list[str], digest: str) -> list[str]:
    """One `repro report` run: writes `names` (and report.md), returns its warnings."""
    written = [out / name for name in ["report.md", *names]]
    for path in written:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(digest)
    return outputs.keep_earlier_outputs(out, written, digest)


def test_an_earlier_output_is_kept_silently_while_it_matches_the_report(tmp_path: Path) -> None:
    """`--format html`, then `--format pdf` alone: report.html was removed (a finished
    output the user asked for, lost) though it said what the new report says."""
    same = outputs.report_digest("# Report\ngenerated 10:00\n", "10:00")
    assert same == outputs.report_digest("# Report\ngenerated 11:30\n", "11:30")
    assert _write(tmp_path, ["report.html"], same) == []
    assert _write(tmp_path, ["report.pdf"], same) == []
    assert (tmp_path / "report.html").is_file() and (tmp_path / "report.pdf").is_file()


def test_an_earlier_output_of_older_records_is_kept_with_a_warning(tmp_path: Path) -> None:
    _write(tmp_path, ["report.html", "records.csv"], "old")
    warnings = _write(tmp_path, ["report.pdf"], "new")
    assert len(warnings) == 2 and all("does not match this one" in w for w in warnings)
    assert "add --format html to update it" in warnings[0]
    assert "add --csv to update it" in warnings[1]
    assert (tmp_path / "report.html").read_text() == "old"
    assert _write(tmp_path, ["report.html", "records.csv"], "new") == []  # updated: quiet


def test_formats_may_be_given_as_a_comma_list(tmp_path: Path) -> None:
    """`--format md,html` was refused as an unknown format 'md,html'."""
    (request,), _ = requests_from_cli(
        ["paper=mnist1d"], ["md,html", "PDF"], False, tmp_path, tmp_path, None, None
    )
    assert request.formats == frozenset({"md", "html", "pdf"})


def _report(results: Path, out: Path, formats: list[str], csv: bool = False) -> list[str]:
    """One real `repro report paper=mnist1d` (in-process) into `out`; its warnings."""
    (request,), _ = requests_from_cli(["paper=mnist1d"], formats, csv, out, results, None, None)
    return build_report(request).warnings


def _records(results: Path) -> None:
    for seed in range(2):
        write_run(results, "cnn", seed, {"test/acc": 0.94}, composed=True)


def test_reports_of_the_same_records_in_other_formats_are_not_called_stale(
    isolated_env: Path, tmp_path: Path
) -> None:
    """The digest was the whole report.md, whose 'To regenerate' command names --format and
    --csv: every earlier output was called stale as soon as the formats differed."""
    _records(isolated_env)
    out = tmp_path / "out"
    assert not [w for w in _report(isolated_env, out, ["html"]) if "earlier report" in w]
    assert not [w for w in _report(isolated_env, out, [], csv=True) if "earlier report" in w]
    assert not [w for w in _report(isolated_env, out, ["md"]) if "earlier report" in w]
    write_run(isolated_env, "cnn", 2, {"test/acc": 0.5}, composed=True)  # records changed
    stale = [w for w in _report(isolated_env, out, ["html"]) if "earlier report" in w]
    assert len(stale) == 1 and "records.csv" in stale[0] and "add --csv" in stale[0]


@pytest.mark.parametrize("given", ["", ",", " , "])
def test_an_empty_format_list_is_a_usage_error(tmp_path: Path, given: str) -> None:
    """`--format ""` and `--format ,` wrote md only, silently."""
    with pytest.raises(UsageError, match="--format names no format"):
        requests_from_cli(["paper=mnist1d"], [given], False, tmp_path, tmp_path, None, None)


def test_an_unknown_format_is_quoted_as_given_without_spaces_around_it(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown format 'htm l' "):
        requests_from_cli(["paper=mnist1d"], ["html, htm l"], False, tmp_path, tmp_path, None, None)


def test_an_unusable_outputs_manifest_is_treated_as_missing(
    isolated_env: Path, tmp_path: Path
) -> None:
    """A directory at .outputs.json failed the report ('cannot write report to ...: Is a
    directory') after report.md and report.html were written."""
    _records(isolated_env)
    out = tmp_path / "out"
    (out / outputs.MANIFEST / "junk").mkdir(parents=True)
    warnings = _report(isolated_env, out, ["html"])
    assert (out / "report.html").is_file()
    (line,) = [w for w in warnings if outputs.MANIFEST in w]
    assert "cannot record" in line and "Is a directory" in line
    warnings = _report(isolated_env, out, [], csv=True)  # report.html's report is unknown now
    (line,) = [w for w in warnings if "report.html" in w]
    assert "cannot tell whether it matches" in line
