"""Wording that says what was seen, no more: identical seeds, the headline, sweep counts."""

from __future__ import annotations

import io
import json
from pathlib import Path

from repro import stats
from repro.reporting import aggregate
from repro.reporting.build import ReportRequest, build_report
from repro.running import progress
from repro.running.runner import RunOutcome
from repro.sweeping import launch
from repro.sweeping.plan import PlannedRun
from tests.reporting.test_report import table_row, toy_records, write_paper, write_run

# Identical seeds: seen to give one value, which says nothing about why (a saturated
# accuracy of 1.0 is not a deterministic setting).


def test_identical_seeds_are_described_not_explained() -> None:
    band = stats.equivalence_verdict([0.94] * 3, 0.95, 0.02)
    floor = stats.threshold_verdict([1.0] * 2, 0.9, ">=")
    for verdict, n in ((band, 3), (floor, 2)):
        assert verdict.deterministic and verdict.p_value is None
        assert verdict.reason.startswith(f"all {n} seeds gave the same value: the value ")
        assert "deterministic" not in verdict.reason
    assert "deterministic" not in stats.EQUIVALENCE_RULE


def test_identical_paired_differences_are_described_not_explained() -> None:
    verdict = stats.comparison_verdict([0.9] * 3, [0.8] * 3, ">")
    assert verdict.deterministic and verdict.outcome == stats.REPRODUCED
    assert verdict.reason.startswith("all 3 seed pairs give A − B = 0.1")
    assert "deterministic" not in verdict.reason


def test_report_of_saturated_seeds_says_they_gave_the_same_value(tmp_path: Path) -> None:
    papers = write_paper(
        tmp_path / "papers",
        """\
        - {id: cnn_floor, kind: threshold, experiment: cnn, metric: test/acc, value: 0.9,
           direction: ">=", source: Table 3}
        """,
    )
    results, out = tmp_path / "results", tmp_path / "out"
    for seed in range(2):
        write_run(results, "cnn", seed, {"test/acc": 1.0}, paper="toy", papers_dir=papers)
    build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    markdown = (out / "report.md").read_text()
    assert "All 2 seeds gave the same value: the value 1 is \\>= 0.9" in markdown
    assert "none: all 2 seeds identical" in table_row(markdown, "cnn_floor")
    assert "(deterministic)" not in markdown and "said to be deterministic" not in markdown


# The headline: verified claims with their outcome counts, then the unverified ones apart,
# each count in brackets once (it read `3 unverified claims apart (3 reproduced) (1 reproduced)`).

MIXED = """\
- {id: cnn_acc, experiment: cnn, metric: test/acc, value: 0.94, tolerance: 0.03,
   source: Table 1, verified: true}
- {id: mlp_acc, experiment: mlp, metric: test/acc, value: 0.50, tolerance: 0.03,
   source: Table 2, verified: false}
- {id: mlp_floor, kind: threshold, experiment: mlp, metric: test/acc, value: 0.4,
   direction: ">=", source: Table 2, verified: false}
- {id: cnn_floor, kind: threshold, experiment: cnn, metric: test/acc, value: 0.9,
   direction: ">=", source: Table 3, verified: false}
"""


def _headline(markdown: str) -> str:
    return next(line for line in markdown.splitlines() if line.startswith("**Overall:"))


def test_headline_with_verified_and_unverified_claims_reads_cleanly(tmp_path: Path) -> None:
    papers = write_paper(tmp_path / "papers", MIXED)
    results, out = tmp_path / "results", tmp_path / "out"
    toy_records(results, papers)
    request = ReportRequest(
        "toy", results, out, formats=frozenset({"md", "html"}), papers_dir=[papers]
    )
    outcome = build_report(request)
    assert outcome.overall == aggregate.REPRODUCED_OVERALL
    assert outcome.summary == (
        "1 of 1 claim reproduced, 1 of 1 run; 3 unverified claims shown apart (3 reproduced)"
    )
    headline = _headline((out / "report.md").read_text())
    assert headline == (
        "**Overall: ✅ reproduced** — 1 of 1 claim reproduced, 1 of 1 run (1 reproduced); "
        "3 unverified claims shown apart (3 reproduced)."
    )
    html = " ".join((out / "report.html").read_text().split())
    assert (
        '1 of 1 claim reproduced, 1 of 1 run <span class="sub">(1 reproduced)</span>; '
        "3 unverified claims shown apart (3 reproduced)"
    ) in html


def test_headline_of_only_unverified_claims_has_no_empty_counts(tmp_path: Path) -> None:
    papers = write_paper(
        tmp_path / "papers",
        """\
        - {id: cnn_acc, experiment: cnn, metric: test/acc, value: 0.94, tolerance: 0.03,
           source: Table 1, verified: false}
        """,
    )
    results, out = tmp_path / "results", tmp_path / "out"
    toy_records(results, papers)
    outcome = build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    # it read "no verified claims (0 verified claims; 1 unverified claim shown apart (1
    # reproduced))": the overall said twice, brackets in brackets
    assert outcome.summary == "1 of 1 unverified claim reproduced, 1 of 1 run"
    headline = _headline((out / "report.md").read_text())
    assert headline.endswith(
        "no verified claims** — 1 of 1 unverified claim reproduced, 1 of 1 run."
    ), headline


# Sweep counts: a run another process holds did not fail, nor did an interrupted one.


def test_runs_held_by_another_process_are_not_counted_as_failed() -> None:
    stream = io.StringIO()
    counter = progress.SweepProgress(4, stream=stream)
    for status in ("completed", "skipped", "busy", "busy"):
        counter.finished(status)
    # not done either: another process runs them, or (a group's seeds held back for its
    # busy seed) nothing does (`3/3 done` of three seeds none of which ran)
    assert stream.getvalue().splitlines()[-1] == "2/4 done; 2 held by another process"
    counter = progress.SweepProgress(3, stream=io.StringIO())
    counter.finished("busy")
    counter.finished("failed")
    assert counter.finished("interrupted") == (
        "1/3 done (1 failed); 1 held by another process; 1 interrupted"
    )
    counter = progress.SweepProgress(3, stream=io.StringIO())
    assert counter.finished("busy") == "0/3 done; 1 held by another process, ETA ?"


def test_sweep_summary_counts_an_interrupted_run_as_interrupted(tmp_path: Path) -> None:
    folder = tmp_path / "seed0"
    folder.mkdir()
    record = {"status": "interrupted", "timing": {}, "error": "interrupted by SIGINT at step 5"}
    record["sweep_id"] = "this"  # this sweep's (an earlier one's is no end of this sweep's)
    (folder / "record.json").write_text(json.dumps(record))
    run = PlannedRun("small", 0, (), folder, "to run")
    (result,) = launch.collect_results([run], "this")
    assert result.result == "interrupted"
    counts = launch.summary_counts([result])
    assert counts[launch.FAILED] == 0 and counts["interrupted"] == 1
    outcome = RunOutcome("interrupted", folder, error="interrupted by SIGINT at step 5")
    (from_run,) = launch.results_of_outcomes([outcome])
    assert from_run.result == "interrupted"
    assert launch.summary_counts([from_run])[launch.FAILED] == 0


# Why an inconclusive claim is not settled: "more seeds are unlikely to settle it (the mean
# sits at the band's edge)" was said of one seed, of a mean far outside the band, and of
# seeds that all diverged.


ACC_CLAIM = "- {id: acc, experiment: cnn, metric: test/acc, value: 0.4, tolerance: 0.01, source: T}"
FLAT_CLAIM = (
    "- {id: flat, kind: comparison, experiment: cnn, versus: mlp, direction: '>', "
    "metric: test/acc, source: T}"
)


def _discussion(markdown: str) -> str:
    return markdown[markdown.index("## Discussion") : markdown.index("## Hyperparameters")]


def _toy_report(
    tmp_path: Path,
    claims: str,
    cnn: list[float],
    mlp: list[float],
    formats: frozenset[str] = frozenset({"md"}),
) -> str:
    papers = write_paper(tmp_path / "papers", claims)
    results, out = tmp_path / "results", tmp_path / "out"
    for experiment, values in (("cnn", cnn), ("mlp", mlp)):
        for seed, value in enumerate(values):
            metrics = {"test/acc": value}
            write_run(results, experiment, seed, metrics, paper="toy", papers_dir=papers)
    build_report(ReportRequest("toy", results, out, formats=formats, papers_dir=[papers]))
    return (out / "report.md").read_text()


def test_an_undecided_claim_says_why_more_seeds_would_or_would_not_settle_it(
    tmp_path: Path,
) -> None:
    claim = ACC_CLAIM
    one = _discussion(_toy_report(tmp_path / "one", claim, [0.4], [0.5]))
    assert "acc is inconclusive at n=1; a verdict needs at least 2 seeds" in one
    assert "unlikely" not in one and "edge" not in one
    outside = _discussion(_toy_report(tmp_path / "out", claim, [0.05, 0.45, 0.1, 0.4, 0.25], [0.5]))
    assert "acc is inconclusive at n=5; its mean 0.25 lies outside \\[0.39, 0.41]" in outside
    assert "edge" not in outside
    same = _toy_report(tmp_path / "same", FLAT_CLAIM, [0.5, 0.6, 0.7], [0.5, 0.6, 0.7])
    # A − B is 0 on every seed, but A's runs differ across seeds: no deterministic tie
    assert "flat is inconclusive at n=3; every seed pair gave the same A − B but the runs" in (
        _discussion(same)
    )
    assert "none: A − B is the same on all 3 seed pairs" in table_row(same, "flat")


def test_seeds_that_all_diverged_are_not_called_no_completed_runs(tmp_path: Path) -> None:
    claim = ACC_CLAIM
    nan = float("nan")
    markdown = _toy_report(tmp_path, claim, [nan] * 5, [0.5])
    assert "5 completed runs, none finite" in table_row(markdown, "acc")
    assert "no completed runs" not in markdown
    assert "acc is inconclusive at n=0; no seed gave a finite value" in _discussion(markdown)


def test_a_comparisons_means_are_over_the_pairs_its_test_used(tmp_path: Path) -> None:
    """with seed 0 of A diverged, the detail line gave B's mean over all three
    seeds beside A's over two, as '(paired seeds)', while the test used two pairs."""
    markdown = _toy_report(tmp_path, FLAT_CLAIM, [float("nan"), 0.9, 0.8], [0.5, 0.6, 0.7])
    detail = next(line for line in markdown.splitlines() if line.startswith("- `flat`"))
    assert "cnn: 0.85 ± 0.07071; mlp: 0.65 ± 0.07071 (paired seeds)" in detail, detail


THRESHOLD_CLAIM = (
    "- {id: floor, kind: threshold, experiment: cnn, metric: test/acc, value: 0.3, "
    "direction: '>=', source: T}"
)
AT_MOST_CLAIM = (
    "- {id: ceiling, kind: threshold, experiment: cnn, metric: test/acc, value: 0.36, "
    "direction: '<=', source: T}"
)


def test_why_an_undecided_claim_is_not_settled_is_true_of_each_case(tmp_path: Path) -> None:
    """a mean exactly on the band's edge was 'outside' it; a mean on the threshold
    at float32 precision was 'beyond 10,000 seeds'; one finite seed among completed ones was
    told to run a sweep that trains nothing; a comparison with one side all NaN said 'no seed
    gave a finite value' and '5 completed runs, none finite'."""
    nan = float("nan")
    on_edge = _toy_report(tmp_path / "on", ACC_CLAIM, [0.37999999999999996, 0.4], [0.5])
    assert "acc is inconclusive at n=2; its mean 0.39 sits on the band's edge" in _discussion(
        on_edge
    )
    assert "outside" not in _discussion(on_edge)
    f32 = [0.28999999165534973, 0.3100000023841858] * 2  # mean 0.3 at float32 precision
    on_floor = _toy_report(tmp_path / "floor", THRESHOLD_CLAIM, f32, [0.5])
    assert "floor is inconclusive at n=4; its mean sits on the threshold" in _discussion(on_floor)
    one = _toy_report(tmp_path / "one", ACC_CLAIM, [0.4, nan, nan], [0.5])
    assert "acc is inconclusive at n=1; a verdict needs at least 2 finite seeds" in _discussion(one)
    assert "repro sweep" not in _discussion(one)
    half = _toy_report(tmp_path / "half", FLAT_CLAIM, [0.5, 0.6, 0.7], [nan, nan, nan])
    assert "no seed pair has both values finite" in _discussion(half)
    assert "no seed pair with both values finite" in table_row(half, "flat")
    assert "completed runs, none finite" not in half


def test_seeds_that_did_not_log_the_metric_are_not_sent_to_a_sweep_that_trains_nothing(
    tmp_path: Path,
) -> None:
    """with seed 0 completed without test/acc and seed 1 with it, the discussion
    said 'a verdict needs at least 2 seeds (`repro sweep ...` runs them)', but that sweep
    plans both seeds done and trains nothing. It names a seed count that trains more."""
    papers = write_paper(tmp_path / "papers", ACC_CLAIM)
    results, out = tmp_path / "results", tmp_path / "out"
    for seed, metrics in enumerate([{}, {"test/acc": 0.4}]):
        write_run(results, "cnn", seed, metrics, paper="toy", papers_dir=papers)
    write_run(results, "mlp", 0, {"test/acc": 0.5}, paper="toy", papers_dir=papers)
    build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    discussion = _discussion((out / "report.md").read_text())
    assert (
        "acc is inconclusive at n=1; a verdict needs at least 2 seeds that log test/acc "
        "(1 completed run did not: a sweep of the same seeds trains nothing; "
    ) in discussion, discussion
    assert " paper=toy seeds=3` trains 1 more)" in discussion, discussion


def test_a_comparisons_pairs_without_the_metric_are_not_sent_to_a_sweep_that_trains_nothing(
    tmp_path: Path,
) -> None:
    """Seeds 0 and 1 of cnn and mlp completed, but mlp's seed 1 without test/acc: the
    discussion said 'a verdict needs at least 2 seeds (`repro sweep ...` runs them)', a sweep
    that plans all four runs done and trains nothing, and the detail said seed 1 was 'run
    for only one of cnn and mlp'. It names a seed count that trains a new pair."""
    papers = write_paper(tmp_path / "papers", FLAT_CLAIM)
    results, out = tmp_path / "results", tmp_path / "out"
    for experiment, runs in (("cnn", [0.9, 0.8]), ("mlp", [0.5, None])):
        for seed, value in enumerate(runs):
            metrics = {} if value is None else {"test/acc": value}
            write_run(results, experiment, seed, metrics, paper="toy", papers_dir=papers)
    build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    markdown = (out / "report.md").read_text()
    discussion = _discussion(markdown)
    assert (
        "flat is inconclusive at n=1; a verdict needs at least 2 seed pairs that both log "
        "test/acc (1 completed seed pair did not: a sweep of the same seeds trains nothing; "
    ) in discussion, discussion
    assert " paper=toy seeds=3` trains 1 more)" in discussion, discussion
    assert "for only one of" not in markdown, markdown


def test_a_zero_margin_below_a_ceiling_is_not_negative(tmp_path: Path) -> None:
    markdown = _toy_report(tmp_path, AT_MOST_CLAIM, [0.36000001430511475] * 3, [0.5])
    assert "margin 0 |" in table_row(markdown, "ceiling") and "margin -0" not in markdown


def test_beyond_ten_thousand_seeds_is_still_said(tmp_path: Path) -> None:
    """after the two-stage case took the verdict's own reason, every other case did
    too, and 'no number of seeds up to 10,000 would likely settle it' was never said."""
    markdown = _toy_report(tmp_path, THRESHOLD_CLAIM, [0.0, 0.61, 0.3, 0.0, 0.62], [0.5])
    assert "floor is inconclusive at n=5; no number of seeds up to 10,000 would likely" in (
        _discussion(markdown)
    )


NEAR_CLAIMS = """\
- {id: far, experiment: cnn, metric: test/acc, value: 123.45, tolerance: 0.05, source: T}
- {id: near, experiment: mlp, metric: test/acc, value: 123.45, tolerance: 0.05, source: T}
- {id: cap, kind: threshold, experiment: cnn, metric: test/acc, value: 123.51, direction: '<=',
   source: T}
"""


def test_report_cells_show_the_digits_the_verdict_rests_on(tmp_path: Path) -> None:
    """a metric near 123 with a band of ± 0.05 showed '123.5 ± 0.01 (n=3)' and CI
    [123.5, 123.5] whether it was reproduced or not, and '95% lower bound 123.5 is > 123.5'."""
    markdown = _toy_report(
        tmp_path, NEAR_CLAIMS, [123.52, 123.53, 123.54], [123.46, 123.47, 123.48]
    )
    far, near, cap = (table_row(markdown, c) for c in ("far", "near", "cap"))
    assert "123.53 ± 0.01 (n=3) | [123.51, 123.55] | +0.08 (+0.1%) | ❌" in far, far
    assert "123.47 ± 0.01 (n=3) | [123.45, 123.49] | +0.02 (+0.0%) | ✅" in near, near
    assert "| [123.513, 123.547] | margin -0.02 | ❌" in cap, cap
    assert "95% lower bound 123.513 is \\> 123.51." in markdown
    assert "Range of seeds: \\[123.52, 123.54]." in markdown
    assert "123.53 ± 0.01 (n=3) against 123.45, within ±0.05" in _discussion(markdown)


def test_a_claim_finer_than_four_digits_is_shown_as_written(tmp_path: Path) -> None:
    claim = (
        "- {id: tiny, experiment: cnn, metric: test/acc, value: 0.1234567890123, "
        "tolerance: 1.0e-12, source: T}"
    )
    x = 0.1234567890123
    markdown = _toy_report(tmp_path, claim, [x + 4e-12, x + 5e-12, x + 6e-12], [0.5])
    row = table_row(markdown, "tiny")
    assert "0.1234567890123, within ±1e-12" in row, row
    assert "0.123456789017 ± 1e-12 (n=3) | [0.123456789016, 0.123456789019] | +5e-12" in row
    assert "\\[0.123456789016, 0.123456789019] lies entirely above \\[0.123456789011," in (markdown)


def test_one_of_a_thing_is_said_in_the_singular(tmp_path: Path) -> None:
    """`1 claims`, `1 runs (1 experiments × 1 seeds × 1 settings)`, and a report of
    one unverified claim whose summary said 'no verified claims: no claims.'."""
    from types import SimpleNamespace

    from repro.sweeping.plan import sweep_plan_line

    grid = SimpleNamespace(experiments=["a"], seeds=[0], fixed_variants=[[]])
    run = SimpleNamespace(needs_training=True, tests_only=False, state="to run", held=False)
    line = sweep_plan_line("toy", grid, [run], [run])  # type: ignore[arg-type, list-item]
    assert "1 run (1 experiment × 1 seed × 1 setting)" in line, line
    papers = write_paper(
        tmp_path / "papers",
        """\
        - {id: cnn_acc, experiment: cnn, metric: test/acc, value: 0.94, tolerance: 0.03,
           source: "Table 1"}
        """,
        experiments=("cnn",),
    )
    results, out = tmp_path / "results", tmp_path / "out"
    write_run(results, "cnn", 0, {"test/acc": 0.94}, paper="toy", papers_dir=papers)
    build_report(ReportRequest("toy", results, out, papers_dir=[papers]))
    markdown = (out / "report.md").read_text()
    assert "lists 1 claim over 1 experiment;" in markdown, markdown
    assert "no claims." not in markdown, markdown
    assert "**no verified claims**: 1 unverified claim, shown apart." in markdown, markdown


def test_one_failed_run_and_one_seed_pair_are_counted_in_the_singular(tmp_path: Path) -> None:
    """The discussion said '1 runs failed or were cut short' and a comparison's row
    '(A − B, n=1 pairs)'."""
    from tests.reporting.test_report import report

    results = tmp_path / "results"
    write_run(results, "cnn", 0, {"test/acc": 0.93})
    write_run(results, "mlp", 0, {"test/acc": 0.69})
    write_run(results, "mlp", 1, {}, status="failed", error="RuntimeError: boom")
    _, markdown = report(results, tmp_path / "out")
    assert "- 1 run failed or was cut short (see Compute)." in markdown
    assert "(A − B, n=1 pair)" in table_row(markdown, "cnn_beats_mlp")


def test_a_report_of_one_run_says_run_not_runs(tmp_path: Path) -> None:
    """'from 1 run records', '(1 runs)' in the provenance, in Markdown and HTML."""
    results, out = tmp_path / "results", tmp_path / "out"
    write_run(results, "cnn", 0, {"test/acc": 0.93})
    build_report(ReportRequest("mnist1d", results, out, formats=frozenset({"md", "html"})))
    for name in ("report.md", "report.html"):
        text = " ".join((out / name).read_text().split())
        assert "from 1 run record in" in text, name
        assert "1 runs" not in text and "1 run records" not in text, name
        assert "(1 run)" in text or "; 1 run)" in text, name


def test_sweep_summary_names_runs_held_by_another_process_only_when_there_are_some(
    tmp_path: Path,
) -> None:
    """Every sweep ended `2 trained, 0 already completed, ...`: a
    count of a rare case that did not happen, read as if something else had been running."""
    run = PlannedRun("small", 0, (), tmp_path / "seed0", "to run")
    trained = launch.RunResult(run, launch.TRAINED, "", 1.0)
    assert launch.BUSY not in launch.summary_counts([trained])
    held = launch.RunResult(run, launch.BUSY, "", None)
    assert launch.summary_counts([trained, held])[launch.BUSY] == 1


def test_a_difference_of_exactly_zero_has_no_sign(tmp_path: Path) -> None:
    """Seeds exactly on the claimed value printed Δ `+0 (+0.0%)`, a tie `+0` and a bound
    met exactly `margin +0`, as if the mean were a little above: zero is `0 (0.0%)`,
    `0`, `margin 0`, in the Markdown, the HTML and the verdict's own reason alike."""
    on = _toy_report(tmp_path / "on", ACC_CLAIM, [0.4] * 3, [0.5], frozenset({"md", "html"}))
    assert "| 0 (0.0%) |" in table_row(on, "acc"), table_row(on, "acc")
    html = (tmp_path / "on" / "out" / "report.html").read_text()
    assert ">0 (0.0%)<" in html and "+0 (+0.0%)" not in html
    tie = _toy_report(tmp_path / "tie", FLAT_CLAIM, [0.5] * 3, [0.5] * 3)
    assert "| 0 |" in table_row(tie, "flat") and "+0" not in table_row(tie, "flat")
    ceiling = _toy_report(tmp_path / "ceiling", AT_MOST_CLAIM, [0.36000001430511475] * 3, [0.5])
    assert "margin 0 |" in table_row(ceiling, "ceiling"), table_row(ceiling, "ceiling")
    assert "margin +0" not in ceiling and "margin -0" not in ceiling
    # a small difference keeps its sign: it is not zero
    near = _toy_report(tmp_path / "near", ACC_CLAIM, [0.402] * 3, [0.5])
    assert "| +0.002 (+0.5%) |" in table_row(near, "acc"), table_row(near, "acc")
