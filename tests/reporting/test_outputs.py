"""An earlier report's outputs in formats not asked for now: kept, and said when stale."""

from __future__ import annotations

from pathlib import Path

from repro.reporting import outputs
from repro.reporting.build import requests_from_cli


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
