"""Markdown and HTML (also the PDF's source) from one `ReportData`, through jinja2 templates.

Every string that comes from a plugin, a record or the user is escaped: HTML autoescaping for
HTML, and `md` / `code` filters for Markdown (pipes and angle brackets would break tables or
inject markup). User notes are Markdown rendered with raw HTML disabled.
"""

from __future__ import annotations

import base64
import math
import re
import shlex
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repro import stats
from repro.plugins.paper_spec import Claim, PaperSpec
from repro.reporting.aggregate import (
    INCOMPLETE_OVERALL,
    INCONCLUSIVE_OVERALL,
    METRIC_MISSING,
    NO_CLAIMS_OVERALL,
    NO_VERIFIED_OVERALL,
    NOT_REPRODUCED_OVERALL,
    NOT_RUN,
    PARTIAL_OVERALL,
    REPRODUCED_FINITE_OVERALL,
    REPRODUCED_OVERALL,
    STOPPED_BY_MAX_TIME,
    ClaimResult,
    ConfigChoice,
    OtherSetting,
    differences_text,
)
from repro.reporting.citation import bibtex
from repro.reporting.notes import DISCUSSION_NOTE, NoteSection
from repro.reporting.regenerate import shell_lines
from repro.reporting.sections import Compute, Hyperparameters, Provenance, UnsuccessfulRun
from repro.sweeping import two_stage
from repro.sweeping.plan import seeds_text as _seeds
from repro.wording import plural, significant

TEMPLATES = Path(__file__).parent / "templates"
MAX_LISTED_FAILURES = 50
MAX_KEY_COLUMNS = 4
"""Past this many keys that differ between experiments, the HTML lists them as rows, one
column per experiment, as the PDF always does: a column per key made the page scroll sideways
(on a PDF page it ran off the edge)."""
EMOJI = {
    stats.REPRODUCED: "✅",
    stats.BELOW: "❌",
    stats.ABOVE: "❌",
    stats.TIE: "❌",
    stats.INCONCLUSIVE: "❔",
    NOT_RUN: "➖",
    METRIC_MISSING: "⚠️",
    REPRODUCED_OVERALL: "✅",
    REPRODUCED_FINITE_OVERALL: "✅",
    PARTIAL_OVERALL: "◐",
    NOT_REPRODUCED_OVERALL: "❌",
    INCONCLUSIVE_OVERALL: "❔",
    NO_CLAIMS_OVERALL: "➖",
    INCOMPLETE_OVERALL: "⏳",
    NO_VERIFIED_OVERALL: "⚠️",
}
SYMBOL = {  # glyphs every PDF font has (DejaVu), for HTML and PDF badges
    stats.REPRODUCED: "✓",
    stats.BELOW: "✗",
    stats.ABOVE: "✗",
    stats.TIE: "✗",
    stats.INCONCLUSIVE: "?",
    NOT_RUN: "–",
    METRIC_MISSING: "!",
    REPRODUCED_OVERALL: "✓",
    REPRODUCED_FINITE_OVERALL: "✓",
    PARTIAL_OVERALL: "◐",
    NOT_REPRODUCED_OVERALL: "✗",
    INCONCLUSIVE_OVERALL: "?",
    NO_CLAIMS_OVERALL: "–",
    INCOMPLETE_OVERALL: "…",
    NO_VERIFIED_OVERALL: "!",
}
CSS_CLASS = {
    stats.REPRODUCED: "ok",
    stats.BELOW: "bad",
    stats.ABOVE: "bad",
    stats.TIE: "bad",
    stats.INCONCLUSIVE: "unsure",
    NOT_RUN: "none",
    METRIC_MISSING: "bad",
    REPRODUCED_OVERALL: "ok",
    REPRODUCED_FINITE_OVERALL: "unsure",
    PARTIAL_OVERALL: "unsure",
    NOT_REPRODUCED_OVERALL: "bad",
    INCONCLUSIVE_OVERALL: "unsure",
    NO_CLAIMS_OVERALL: "none",
    INCOMPLETE_OVERALL: "unsure",
    NO_VERIFIED_OVERALL: "unsure",
}
RULES = {
    "value": stats.EQUIVALENCE_RULE,
    "threshold": stats.THRESHOLD_RULE,
    "comparison": stats.COMPARISON_RULE,
}


@dataclass
class ReportData:
    """Everything a report shows, computed before any rendering."""

    paper_id: str
    spec: PaperSpec
    overall: str
    results: list[ClaimResult]
    counts: dict[str, int]
    choices: dict[str, ConfigChoice]
    hyperparameters: Hyperparameters
    compute: Compute
    unsuccessful: list[UnsuccessfulRun]
    provenance: Provenance
    commands: list[str]
    notes: list[NoteSection]
    notes_path: str
    results_dir: str
    records: int
    skipped: int  # unreadable records
    generated_at: str
    repro_version: str
    alpha: float = 0.05
    command_note: str | None = None
    doubles: int = 0  # a seed's records in two folders of its setting: all but one
    figures: dict[str, dict[str, Path]] = field(default_factory=dict)  # name -> {png, svg}
    curve_notes: list[str] = field(default_factory=list)  # values the curves left out (NaN)
    # experiments whose other settings have curves the judged setting lacks (none drawn)
    curves_elsewhere: list[str] = field(default_factory=list)
    # the drawn settings' runs have CSV logs (with no metric at 2+ steps when none is drawn)
    csv_logs: bool = False
    # some completed run could give a curve (none: no run completed, whatever its logger)
    curve_runs: bool = True
    other_settings: list[OtherSetting] = field(default_factory=list)
    procedure: str | None = None  # how seeds=auto chose the seeds, when it did
    cautions: list[str] = field(default_factory=list)  # shown under the headline
    planned_seeds: dict[str, int] = field(default_factory=dict)  # seeds=auto: experiment -> N
    sweep_command: str | None = None  # `repro sweep` as advised: finds the plugin and results
    # experiment -> the seeds of its judged setting that diverged (a non-finite loss or value)
    diverged_seeds: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def advised_sweep(self) -> str:
        return self.sweep_command or f"repro sweep paper={self.paper_id}"


# --------------------------------------------------------------------------------------------
# Formatting (shared by both templates)


def num(value: Any, digits: int = 4, resolution: float = math.inf) -> str:
    """A number with `digits` significant digits, more where `resolution` (the finest
    difference a verdict rests on) needs them: see `stats.digits_for`."""
    if value is None or isinstance(value, bool):
        return "–" if value is None else str(value).lower()
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return "–"
    return f"{x:.{stats.digits_for(x, resolution, digits)}g}"


def signed(value: float, resolution: float = math.inf) -> str:
    """`stats.signed`, and `–` where there is no number."""
    return stats.signed(value, resolution) if math.isfinite(value) else "–"


def resolution_of(result: ClaimResult) -> float:
    """The finest difference the claim's verdict rests on: its cells show that many digits,
    so they agree with its reason (inf, i.e. 4 digits, when there is no verdict)."""
    return result.verdict.resolution if result.verdict is not None else math.inf


def exact(value: float) -> str:
    """A claimed number as the paper wrote it: `:g` unless that rounds it (0.1234567890123)."""
    short = f"{value:g}"
    return short if float(short) == value else f"{value:.{stats.MAX_DIGITS}g}"


def hours(value: float) -> str:
    """A time given in hours, in the unit that shows it (`seconds`): a total of 3 s is
    `3.0 s`, never `0.001 h` (or `0.000 h`, as if nothing ran)."""
    return seconds(value * 3600)


def gpu_hours(value: float) -> str:
    """GPU time (wall-clock × GPUs) in GPU-hours, or GPU-minutes/-seconds when small."""
    if not math.isfinite(value):
        return "–"
    if 0 < value * 3600 < 0.95:  # a fraction of a GPU-second: its digits, not `0.0`
        return f"{significant(value * 3600, 2)} GPU-seconds"
    if value * 3600 < 120:
        return f"{value * 3600:.1f} GPU-seconds"
    return f"{value * 60:.1f} GPU-minutes" if value < 2 else f"{value:.2f} GPU-hours"


def compute_total(compute: Compute) -> str:
    """The Compute section's total: CPU time (wall-clock) and GPU time (wall-clock × GPUs,
    named GPU-hours: a run on 2 GPUs for an hour is 2) over the completed runs; a device no
    run used is left out."""
    parts = []
    if compute.cpu_hours > 0 or compute.gpu_hours <= 0:
        parts.append(f"{hours(compute.cpu_hours)} CPU (wall-clock)")
    if compute.gpu_hours > 0:
        parts.append(f"{gpu_hours(compute.gpu_hours)} (wall-clock × GPUs)")
    runs = "completed run" if compute.completed_runs == 1 else "completed runs"
    return f"{' and '.join(parts)} over {count(compute.completed_runs)} {runs}"


def seconds(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    if 0 < value < 0.95:  # a fraction of a second: its digits, not `0.0 s`
        return f"{significant(value, 2)} s"
    if value < 120:
        return f"{value:.1f} s"
    return f"{value / 60:.1f} min" if value < 7200 else f"{value / 3600:.2f} h"


def seed_list(seeds: tuple[int, ...] | list[int]) -> str:
    seeds = sorted(seeds)
    if not seeds:
        return "none"
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 2:
        return f"{seeds[0]}–{seeds[-1]}"
    shown = ", ".join(map(str, seeds[:12]))
    return shown + (f", … ({len(seeds):,} in all)" if len(seeds) > 12 else "")


def value_text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "null" if value is None else str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def claimed_text(claim: Claim) -> str:
    """The claim as a cell; a value claim's band is labelled as ours ("within"), so it is not
    read as the paper's spread, which follows as "paper: std"."""
    if claim.kind == "comparison":
        return f"{claim.experiment} {claim.direction} {claim.versus}"
    if claim.kind == "threshold":
        return f"{claim.direction} {exact(claim.value)}"
    text = f"{exact(claim.value)}, within ±{exact(claim.tolerance)}"
    if claim.std is not None:
        text += f" (paper: std {exact(claim.std)}" + (f", n={claim.n})" if claim.n else ")")
    return text


def _none_finite_text(n_nan: int, pairs: bool) -> str:
    if pairs:
        return "no seed pair with both values finite"
    return f"{plural(n_nan, 'completed run')}, none finite"


DIVERGED = "diverged (NaN or inf)"


def diverged_text(result: ClaimResult) -> str:
    """`2 of 6 seeds diverged (NaN or inf)` where judged seeds gave a non-finite value (a
    comparison: seed pairs with a side that did); empty where none did."""
    if not result.diverged:
        return ""
    n = result.summary.n if result.summary is not None else 0
    if result.claim.kind != "comparison":
        return f"{result.diverged} of {n + result.diverged} seeds {DIVERGED}"
    sides = zip((result.claim.experiment, result.claim.versus), result.diverged_sides, strict=True)
    on = ", ".join(f"{side} on {k}" for side, k in sides if k)  # which side, how many seeds
    return f"{result.diverged} of {n + result.diverged} seed pairs {DIVERGED[:-1]}: {on})"


def outcome_text(result: ClaimResult) -> str:
    """The verdict as the table shows it: with diverged seeds beside it, and a reproduced
    claim "reproduced on the 4 finite seeds", not plainly reproduced: the test saw only those,
    and the seeds that diverged are part of what the method did."""
    diverged = diverged_text(result)
    better = _better_text(result)  # inside the outcome's "(below)"
    outcome = f"{result.outcome[:-1]}{better})" if better else result.outcome
    if not diverged or result.outcome not in stats.OUTCOMES:
        return outcome
    if result.outcome == stats.REPRODUCED and result.summary is not None:
        unit = "seed pairs" if result.claim.kind == "comparison" else "seeds"
        return f"{stats.REPRODUCED} on the {result.summary.n} finite {unit}; {diverged}"
    return f"{outcome}; {diverged}"


def _better_text(result: ClaimResult) -> str:
    """`: better than claimed, lower is better` inside a value claim's "(below)" or
    "(above)": its test is two-sided, and only the claim's `higher_is_better` says whether a
    miss is the reproduction's shortfall or a better result (an error below the paper's)."""
    if result.claim.kind != "value" or result.outcome not in (stats.BELOW, stats.ABOVE):
        return ""
    higher = result.claim.higher_is_better
    better = (result.outcome == stats.ABOVE) == higher
    way = "higher" if higher else "lower"
    return f": {'better' if better else 'worse'} than claimed, {way} is better"


def reproduced_text(result: ClaimResult) -> str:
    s = result.summary
    if s is not None and s.n == 0 and s.n_nan:
        return _none_finite_text(s.n_nan, result.claim.kind == "comparison")
    if result.outcome == METRIC_MISSING:  # runs completed: their logs lack the metric
        return f"no completed run logged {result.claim.metric}"
    if s is not None and s.n == 0 and result.diverged:  # every run failed, diverged
        if result.claim.kind == "comparison":
            return _none_finite_text(result.diverged, True)
        return f"{plural(result.diverged, 'seed')} diverged, none finite"
    if s is None or s.n == 0:
        return (unpaired_sides(result) or ("no completed runs",))[0]
    res = resolution_of(result)
    spread = f" ± {num(s.std, resolution=res)}" if math.isfinite(s.std) else ""
    # an interim two-stage verdict: the seeds so far, of the plan's N (the bullet says why)
    of = f" of {result.interim_of} planned, interim" if result.interim_of else ""
    if result.diverged:  # the n judged, of the seeds that ran
        of += f"; {result.diverged} of {s.n + result.diverged} diverged"
    if result.claim.kind == "comparison":
        return f"{num(s.mean, resolution=res)}{spread} (A − B, n={plural(s.n, 'pair')}{of})"
    return f"{num(s.mean, resolution=res)}{spread} (n={s.n}{of})"


def pooled_processes_text(result: ClaimResult) -> str:
    """The row's flag where seeds of DDP on several GPUs were pooled with seeds on fewer
    (`trainer.devices=auto` on machines of different GPU counts); the note says which."""
    if not result.processes:
        return ""
    return f" ⚠️ seeds on {' and '.join(map(str, result.processes))} processes pooled"


def ci_text(result: ClaimResult) -> str:
    """The one interval the verdict rests on (90% CI); identical seeds have none."""
    verdict = result.verdict
    if verdict is not None and (verdict.deterministic or stats.TOO_COARSE in verdict.reason):
        n = result.summary.n if result.summary else ""
        return _identical_text(n, result.claim.kind == "comparison")
    if verdict is None or verdict.interval is None or not math.isfinite(verdict.interval[0]):
        return "–"
    return _interval_text(*verdict.interval, verdict.resolution)


def _identical_text(n: int | str, pairs: bool) -> str:
    if pairs:
        return f"none: A − B is the same on all {n} seed pairs"
    return f"none: all {n} seeds identical"


def delta_text(result: ClaimResult) -> str:
    """Δ = mean − claimed; for a threshold the margin to it (positive: on the passing side),
    never a percentage of the threshold, which means nothing for a bound like 0.9."""
    if not math.isfinite(result.delta):
        return "–"
    claim, res = result.claim, resolution_of(result)
    if claim.kind == "threshold":
        margin = (result.delta if claim.direction == ">=" else -result.delta) + 0.0  # not -0
        return f"margin {signed(margin, res)}"
    if math.isfinite(result.delta_rel):  # on the claim exactly: `0 (0.0%)`, no sign
        rel = "0.0" if result.delta == 0 else f"{result.delta_rel * 100:+.1f}"
        return f"{signed(result.delta, res)} ({rel}%)"
    return signed(result.delta, res)


def claim_row(result: ClaimResult) -> dict[str, Any]:
    claim = result.claim
    return {
        "id": claim.id,
        "unverified": not claim.verified,
        "deviation": result.deviation,
        "subject": f"{claim.experiment} · {claim.metric}",
        "source": claim.source,
        "claimed": claimed_text(claim),
        "reproduced": reproduced_text(result) + pooled_processes_text(result),
        "ci": ci_text(result),
        "delta": delta_text(result),
        "outcome": outcome_text(result),
        "emoji": EMOJI[result.outcome],
        "symbol": SYMBOL[result.outcome],
        # reproduced on the finite seeds only: not the plain green of a full reproduction
        "css": "unsure"
        if result.diverged and result.outcome == stats.REPRODUCED
        else CSS_CLASS[result.outcome],
    }


def unpaired_sides(result: ClaimResult) -> tuple[str, str] | None:
    """A comparison with completed runs on one side or on no common seed: its cell and
    sentence, which name what is missing (not "no completed runs" beside some); else None."""
    claim = result.claim
    if claim.kind != "comparison" or not (result.values or result.versus_values):
        return None
    if result.values and result.versus_values:
        both = f"no seed completed for both {claim.experiment} and {claim.versus}"
        return both, f"{both[:1].upper()}{both[1:]} to pair."
    without, other = (
        (claim.versus, claim.experiment) if result.values else (claim.experiment, claim.versus)
    )
    return f"no completed {without} runs", f"No completed {without} runs to pair with {other}'s."


def claim_details(result: ClaimResult, uncompleted: Collection[str] = ()) -> list[str]:
    """Sentences under the table: why the verdict, how many seeds would settle it, tests.
    `uncompleted`: experiments run with no run completed (failed, unfinished): said so, not
    as if never run."""
    claim, verdict, s = result.claim, result.verdict, result.summary
    res = resolution_of(result)
    lines = []
    if verdict is not None:
        lines.append(verdict.reason[:1].upper() + verdict.reason[1:] + ".")
        if verdict.p_value is not None and claim.kind != "comparison":  # its reason has p
            test = {"value": "TOST", "threshold": "One-sided t-test"}
            lines.append(f"{test[claim.kind]} {stats.p_text(verdict.p_value)}.")
        if verdict.seeds_needed is not None:
            lines.append(f"About {verdict.seeds_needed} seeds would likely settle it.")
    elif result.outcome == NOT_RUN:
        ran = [e for e in claim.experiments() if e in uncompleted]
        why = (
            f": {' and '.join(ran)} {'were' if len(ran) > 1 else 'was'} run, but no run of "
            f"{'them' if len(ran) > 1 else 'it'} completed (see Failed and unfinished runs)."
        )
        unpaired = unpaired_sides(result)
        if unpaired is None:
            lines.append("No completed runs to judge it on" + (why if ran else "."))
        else:
            lines.append(unpaired[1][:-1] + why if ran else unpaired[1])
    elif result.outcome == METRIC_MISSING:
        if result.logged_instead:  # a likely typo: of the claim as often as of the code
            lines.append(
                f"Completed runs exist, but none logged {result.claim.metric}; they logged "
                f"{result.logged_instead}: fix the claim's metric in paper.yaml (no rerun "
                "needed), or the plugin's logging and rerun."
            )
        else:
            lines.append(
                f"Completed runs exist, but none logged {result.claim.metric}: fix the plugin's "
                "logging (`repro check` names what it logs) and rerun."
            )
    if s is not None and s.n:
        what = "A − B per seed" if claim.kind == "comparison" else "seeds"
        told = verdict is not None and stats.DIVERGED_WORD in verdict.reason  # its count: once
        dropped = "diverged seed pair" if claim.kind == "comparison" else "diverged seed"
        lines.append(
            f"Range of {what}: [{num(s.min, resolution=res)}, {num(s.max, resolution=res)}]"
            + (f"; {plural(s.n_nan, dropped)} dropped" if s.n_nan and not told else "")
            + "."
        )
    first = result.first_summary  # of no finite pair (n=0): no means to show
    if claim.kind == "comparison" and first and first.n and result.versus_summary:
        a, b = first, result.versus_summary
        apart = stats.resolution(a.mean - b.mean)  # A and B must not print the same mean

        def side(of: stats.Summary) -> str:  # one seed has no spread: none shown, as in the table
            spread = f" ± {num(of.std)}" if math.isfinite(of.std) else ""
            return f"{num(of.mean, resolution=apart)}{spread}"

        lines.append(f"{claim.experiment}: {side(a)}; {claim.versus}: {side(b)} (paired seeds).")
    if result.welch is not None:
        w, welch = result.welch, f"Welch t-test against the paper's mean ± std (n={claim.n})"
        if math.isfinite(w.p):
            lines.append(
                f"{welch}: t = {num(w.t, 3)}, df = {num(w.df, 3)}, two-sided {stats.p_text(w.p)}."
            )
        elif claim.n is not None and claim.n < 2:
            lines.append(f"{welch}: no test: it needs the paper's n >= 2.")
        elif s is None or s.n < 2:
            lines.append(f"{welch}: no test: it needs >= 2 seeds with a finite value.")
        elif s.std == 0 and not (result.verdict and result.verdict.deterministic):
            # aggregate: seeds equal, runs not: our spread is unknown, whatever the paper's
            lines.append(
                f"{welch}: no test: every seed gave {num(s.mean)}, but their runs differ in "
                f"other metrics: {stats.TOO_COARSE}."
            )
        else:  # welch_from_summary: no spread on either side
            lines.append(f"{welch}: no test: both spreads are 0.")
    lines.extend(note[:1].upper() + note[1:] + "." for note in result.notes)
    if result.config_hashes:
        lines.append("Config: " + ", ".join(result.config_hashes) + ".")
    if not claim.verified:
        lines.append("The claimed number is unverified: shown, not counted in the overall result.")
    if claim.note:
        lines.append(f"Note: {claim.note}")
    return lines


def choice_lines(choices: dict[str, ConfigChoice]) -> list[str]:
    """One sentence per experiment that was run under several configs."""
    lines = []
    for choice in choices.values():
        if not choice.others:
            continue
        # differences are taken against the paper's config when it is known
        reference = "paper" if choice.paper_hash else "used"
        aside = "; ".join(
            f"{o.config_hash} ({plural(len(o.seeds), 'seed')}"
            + (  # as every other line names a difference (`key=True (paper: unset)`)
                ", differs in "
                + differences_text(o.differences[:6], reference)
                + (" …" if len(o.differences) > 6 else "")
                if o.differences
                else ""
            )
            + ")"
            for o in choice.set_aside
        )
        lines.append(f"{choice.experiment}: {_why_this_config(choice)} Set aside: {aside}.")
    return lines


def _why_this_config(choice: ConfigChoice) -> str:
    """Which config judges the experiment and by which rule (aggregate's module docstring)."""
    c = choice.chosen
    seeds = plural(len(c.seeds), "completed seed")
    if choice.pinned:
        paper = f"; the paper's setting is {choice.paper_hash}" if choice.deviation else ""
        return f"judged on config {c.config_hash} ({seeds}; pinned with --config{paper})."
    if not choice.judged:
        return f"not judged: the paper's setting {choice.paper_hash} has no completed runs."
    if choice.paper_hash:
        return f"judged on the paper's setting {c.config_hash} ({seeds})."
    return (
        f"judged on config {c.config_hash} ({seeds}; most completed seeds, then most recent, "
        "as the paper's config could not be composed)."
    )


def _summary_parts(data: ReportData) -> tuple[str, str, str]:
    """The verified claims reproduced and run (coverage), the experiments judged on settings
    that deviate from the paper's, and the unverified claims shown apart, so neither
    inflates the other."""
    counted = [r for r in data.results if r.counts]
    unverified = [r for r in data.results if not r.counts]
    reproduced = sum(r.outcome == stats.REPRODUCED for r in counted)
    run = sum(r.outcome in stats.OUTCOMES for r in counted)
    if counted:
        total = len(counted)
        claims = "claim" if total == 1 else "claims"  # "1 of 1 claim", "1 of 2 claims"
        diverged = sum(r.outcome == stats.REPRODUCED and r.diverged > 0 for r in counted)
        finite = (
            f" ({diverged} of them on finite seeds only, with seeds that diverged)"
            if diverged
            else ""
        )
        verified = f"{reproduced} of {total} {claims} reproduced{finite}, {run} of {total} run"
        interim = sum(bool(r.interim_of) for r in counted)
        if interim:  # their verdicts are not the planned test's yet
            verified += f", {interim} of them interim, on fewer seeds than seeds=auto planned"
    else:  # the overall says "no verified claims": the line says what the others came to
        ok = sum(r.outcome == stats.REPRODUCED for r in unverified)
        ran = sum(r.outcome in stats.OUTCOMES for r in unverified)
        total, claims = len(unverified), "claim" if len(unverified) == 1 else "claims"
        return f"{ok} of {total} unverified {claims} reproduced, {ran} of {total} run", "", ""
    deviating = sorted(
        {
            experiment
            for r in counted
            if r.deviation
            for experiment in r.claim.experiments()  # a comparison's deviating side
            if experiment in data.choices and data.choices[experiment].deviation
        }
    )
    deviation = (
        f"judged on settings that deviate from the paper's: {', '.join(deviating)}"
        if deviating
        else ""
    )
    apart = ""
    if unverified:
        ok = sum(r.outcome == stats.REPRODUCED for r in unverified)
        plural = "claims" if len(unverified) != 1 else "claim"
        apart = f"{len(unverified)} unverified {plural} shown apart ({ok} reproduced)"
    return verified, deviation, apart


def summary_line(data: ReportData) -> str:
    """The headline's numbers in one line (the CLI's, the discussion's first sentence)."""
    if not data.results:
        return no_claims_line(data)
    verified, deviation, apart = _summary_parts(data)
    return verified + (f" ({deviation})" if deviation else "") + (f"; {apart}" if apart else "")


def headline(data: ReportData) -> dict[str, str]:
    """The report's headline in three parts: the verified claims, their outcome counts (shown
    in brackets; empty when no claim counts), then the rest, each part once:
    `1 of 1 claims reproduced, 1 of 1 run (1 reproduced); 3 unverified claims shown apart
    (3 reproduced)`."""
    if not data.results:
        return {"main": no_claims_line(data), "counts": "", "rest": ""}
    verified, deviation, apart = _summary_parts(data)
    counts = counts_text(data.counts) if any(r.counts for r in data.results) else ""
    rest = "".join(f"; {part}" for part in (deviation, apart) if part)
    return {"main": verified, "counts": counts, "rest": rest}


NO_CLAIMS_LINE = "the plugin ships no claims to check"


def no_claims_line(data: ReportData) -> str:
    """The headline of a paper without claims; it points to the paper's notes only when the
    plugin has some (a plugin without `notes:` was said to have notes saying why)."""
    notes = data.spec.notes and data.spec.notes.strip()
    return NO_CLAIMS_LINE + ("; its paper notes say why" if notes else "")


def counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {o}" for o, n in counts.items() if n) or "no claims"


def _results_counts(data: ReportData) -> str:
    """The Results line's counts, each outcome's interim verdicts named: those are why it
    reads incomplete where every claim has a verdict (the headline's line says it apart)."""
    if not data.results:  # the badge already says "no claims"
        return "nothing is judged; the runs are described below"
    counted = [r for r in data.results if r.counts]
    parts = []
    for outcome, n in data.counts.items():
        interim = sum(bool(r.interim_of) for r in counted if r.outcome == outcome)
        finite = sum(bool(r.diverged) for r in counted if r.outcome == outcome)
        said = [f"{interim} interim"] if interim else []
        said += [f"{finite} with seeds that diverged"] if finite else []
        if n:
            parts.append(f"{n} {outcome}" + (f" ({', '.join(said)})" if said else ""))
    return ", ".join(parts) or "no claims"


def experiments_status(data: ReportData) -> tuple[list[str], list[str], list[str]]:
    """Experiments the claims need that have completed runs to judge, those with completed
    runs in other settings only (never "not run": their runs are shown beyond the paper),
    and those with none. One whose paper's setting ran and every run of it diverged is not
    "elsewhere" though another setting completed: its claims are judged, inconclusive."""
    needed = data.spec.claimed_experiments()
    judged = {e for e, choice in data.choices.items() if choice.judged}
    elsewhere = {e for e in data.choices if e not in judged and e not in data.diverged_seeds}
    return (
        [e for e in needed if e in judged],
        [e for e in needed if e in elsewhere],
        [e for e in needed if e not in judged and e not in elsewhere],
    )


def stopped_short_only(data: ReportData, missing: list[str]) -> list[str]:
    """Of the experiments without completed runs to judge (`missing`), those whose runs
    trainer.max_time stopped short (`aggregate.stopped_short`): run, not "not run yet", and a
    sweep of the same command trains none of them again. Only where it stopped every run: one
    stopped beside failed ones is of `uncompleted_only`."""
    ended: dict[str, set[bool]] = {}
    for run in data.unsuccessful:
        ended.setdefault(run.experiment, set()).add(run.status == STOPPED_BY_MAX_TIME)
    return [e for e in missing if ended.get(e) == {True}]


def uncompleted_only(data: ReportData, missing: list[str]) -> list[str]:
    """Of the experiments without completed runs (`missing`), those that were run: every run
    failed or is unfinished (listed under Failed and unfinished runs), not "not run yet"."""
    ran = {run.experiment for run in data.unsuccessful}
    return [e for e in missing if e in ran]


def runs_text(value: int) -> str:
    """`1 run`, `1,234 runs`."""
    return f"{count(value)} {'run' if value == 1 else 'runs'}"


def count(value: Any) -> str:
    """A whole number with thousands separators (parameters, dataset sizes)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return f"{int(value):,}" if float(value).is_integer() else num(value)
    return "–" if value is None else str(value)


def hardware_text(data: ReportData) -> str:
    return "; ".join(f"{h} ({runs_text(n)})" for h, n in data.compute.hardware) or "unknown"


def seeds_text(data: ReportData) -> str:
    """The seeds each experiment ran, and where a seeds=auto plan cut them, the seeds its
    claims leave unjudged: the line says what was run, never more than what was judged.
    Unjudged are the seeds past every judged claim's cut (a claim cut at N=4 judges seed 3
    even where a comparison with a plan of N=3 does not; that claim's line says so)."""
    by_seeds: dict[tuple[str, str], list[str]] = {}
    # judged on its paper's setting, every run of which diverged: not the other setting's seeds
    all_diverged = {e for e, c in data.choices.items() if not c.judged and e in data.diverged_seeds}
    for choice in data.choices.values():
        if choice.experiment in all_diverged:
            continue
        note = ""
        cuts = [
            r.judged_below
            for r in data.results
            if r.summary is not None and choice.experiment in r.claim.experiments()
        ]
        cut = None if None in cuts else max(cuts, default=None)
        diverged = data.diverged_seeds.get(choice.experiment, ())
        ran = sorted({*choice.seeds, *diverged})  # what ran: those that diverged too
        if cut is not None and any(seed >= cut for seed in ran):
            note = f"; seeds ≥ {cut} shown, not judged"
        if diverged:
            note += f"; seed{'s' * (len(diverged) != 1)} {seed_list(diverged)} diverged"
        listed = f"seed{'s' * (len(ran) != 1)} {seed_list(ran)}"  # seed 2
        by_seeds.setdefault((listed, note), []).append(choice.experiment)
    for experiment, diverged in data.diverged_seeds.items():  # no run of it completed
        if experiment not in data.choices or experiment in all_diverged:
            listed = f"seed{'s' * (len(diverged) != 1)} {seed_list(diverged)}"
            by_seeds.setdefault((listed, "; all diverged"), []).append(experiment)
    parts = [f"{s} ({', '.join(e)}{note})" for (s, note), e in by_seeds.items()]
    return "; ".join(parts) or "none"


def rules(data: ReportData) -> list[tuple[str, str]]:
    kinds = list(dict.fromkeys(r.claim.kind for r in data.results))
    return [(kind, RULES[kind]) for kind in kinds]


# --------------------------------------------------------------------------------------------
# Escaping


def md(value: Any) -> str:
    """A plain string made safe for Markdown text and table cells."""
    return _md_escape(" ".join(str(value).split()))


def _md_escape(text: str) -> str:
    """Backslash escapes, each shown as the character alone (CommonMark's rule for ASCII
    punctuation): `~` too (GitHub strikes `~a~` and `~~a~~` through) and `&` (`&lt;` would be
    shown as `<`)."""
    return (
        text.replace("\\", "\\\\")
        .replace("&", "\\&")
        .replace("~", "\\~")
        .replace("|", "\\|")
        .replace("<", "\\<")  # a backslash escape: shown as <, never read as HTML
        .replace(">", "\\>")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("[", "\\[")
        .replace("`", "\\`")
    )


CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
"""A code span as CommonMark reads one: a run of backticks up to the next run of as many, so
``double`` (reStructuredText's habit, or code holding a backtick) is one span, not two empty
ones around plain text."""


def _prose_parts(value: Any) -> list[tuple[bool, str]]:
    """(is code, text) pieces of a sentence whose commands are in `backticks` (or ``these``);
    a backtick with no partner stays text."""
    text = " ".join(str(value).split())
    parts: list[tuple[bool, str]] = []
    at = 0
    for match in CODE_SPAN.finditer(text):
        if match.start() > at:
            parts.append((False, text[at : match.start()]))
        body = match.group(2)
        if len(body) > 2 and body[0] == body[-1] == " ":  # `` `x` ``: CommonMark's padding
            body = body[1:-1]
        parts.append((True, body))
        at = match.end()
    if at < len(text):
        parts.append((False, text[at:]))
    return parts


def prose(value: Any) -> str:
    """A generated sentence for Markdown: text escaped, `commands` kept as inline code."""
    return "".join(code(p) if is_code else _md_escape(p) for is_code, p in _prose_parts(value))


def prose_html(value: Any) -> Any:
    """A generated sentence for HTML: text escaped, `commands` as <code>."""
    from markupsafe import Markup, escape

    return Markup("").join(
        Markup("<code>{}</code>").format(p) if is_code else escape(p)
        for is_code, p in _prose_parts(value)
    )


def code(value: Any) -> str:
    """An identifier or value as inline code in a sentence: a `|` stays as it is (in a code
    span a backslash is shown, so `\\|` would be too); in a table cell, `cell_code`."""
    text = " ".join(str(value).split())
    if not text:
        return ""
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" else ""  # else the fence reads longer
    return f"{fence}{pad}{text}{pad}{fence}"


def cell_code(value: Any) -> str:
    """Inline code in a Markdown table cell: a `|` is escaped, which the table reads before
    the code span (GitHub's tables), else it would end the cell."""
    return code(str(value).replace("|", "\\|"))


def notes_html(body: str) -> Any:
    """User Markdown as HTML with raw HTML disabled (escaped) and unsafe links refused; tables
    (GitHub's pipe tables) render as report.md shows them, not as a paragraph of pipes."""
    from markupsafe import Markup, escape

    try:
        from markdown_it import MarkdownIt
    except ImportError:  # markdown-it comes with rich; fall back to escaped text
        return Markup(f"<p class='pre'>{escape(body)}</p>")
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    return Markup(parser.render(body))


def url(value: str) -> str:
    """A link target only for http(s) addresses; anything else (javascript:, data:) is dropped."""
    text = str(value).strip()
    return text if text.lower().startswith(("https://", "http://")) else "#"


AUTOLINK_BREAKERS = re.compile(r"[\s<>\x00-\x1f\x7f]")
"""What ends a CommonMark autolink (`<https://...>`): whitespace, `<`, `>`, control chars."""


def md_link(value: Any) -> str:
    """A web address in Markdown: an autolink written as the address is, with no backslash
    escapes (CommonMark keeps them in an autolink: `vision\\_transformer` would lead to
    vision%5C_transformer); anything else (javascript:, an address with a space) as text."""
    text = str(value).strip()
    if url(text) != "#" and not AUTOLINK_BREAKERS.search(text):
        return f"<{text}>"
    return md(text)


UNBROKEN_RUN = 20
"""A stretch of this many characters with no break opportunity gets one (a hash, a base64
value, an error's long token): a table cell is as wide as its longest unbreakable word, and a
PDF page cut off what ran past its edge."""
BREAK_AFTER = re.compile(rf"[_/]|\.(?!\d)|[^\s_/.-]{{{UNBROKEN_RUN}}}(?=[^\s_/.-])")


def wbr(value: Any) -> Any:
    """Escaped text with break opportunities after `_`, `/` and `.` (long ids in narrow cells),
    but never inside a number ('0.57'), and every UNBROKEN_RUN characters of a stretch with
    none, so a long id, path or value wraps in its cell instead of widening the table."""
    from markupsafe import Markup, escape

    text = str(value)
    ends = [m.end() for m in BREAK_AFTER.finditer(text)]
    pieces = [text[start:end] for start, end in zip([0, *ends], [*ends, len(text)], strict=True)]
    return Markup("<wbr>").join(escape(piece) for piece in pieces if piece)


PDF_FIGURE_MAX_IN = 9.4
"""The tallest figure an A4 PDF page holds beside its caption (266 mm of text height)."""


def figure_width_inches(path: Path, pdf: bool) -> float:
    """The width to show a figure at: as drawn (from its PNG header and the figures' DPI),
    or on a PDF page the width at which its whole height fits, since a figure never breaks
    across pages and WeasyPrint cut what ran past the page (13 or more claims' panels)."""
    from repro.reporting.figures import DPI

    with open(path, "rb") as stream:
        header = stream.read(24)
    width = int.from_bytes(header[16:20], "big") / DPI
    height = int.from_bytes(header[20:24], "big") / DPI
    if pdf and height > PDF_FIGURE_MAX_IN:
        return width * PDF_FIGURE_MAX_IN / height
    return width


def data_uri(path: Path) -> str:
    kind = "image/svg+xml" if path.suffix == ".svg" else "image/png"
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


# --------------------------------------------------------------------------------------------
# Rendering


def _environment(html: bool) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        num=num,
        count=count,
        runs=runs_text,
        seconds=seconds,
        hours=hours,
        seeds=seed_list,
        value=value_text,
        md=md,
        prose=prose,
        prose_html=prose_html,
        code=code,
        cell_code=cell_code,
        notes_html=notes_html,
        data_uri=data_uri,
        url=url,
        md_link=md_link,
        wbr=wbr,
        shell_lines=shell_lines,
    )
    return env


def _setting_text(data: ReportData, other: Any, otherwise: str) -> str:
    """How a setting beyond the paper differs: the paper's own one says so (it is beyond
    the paper only when --config judged another), and differences are named against the
    judged config when the paper's could not be composed."""
    choice = data.choices.get(other.experiment)
    if choice is not None and choice.paper_hash and other.config_hash == choice.paper_hash:
        return "the paper's setting"
    reference = "paper" if choice is None or choice.paper_hash else "used"
    return differences_text(other.differences, reference) or otherwise


def other_setting_rows(data: ReportData) -> list[dict[str, str]]:
    """Rows of "Results beyond the original paper": a claim's metric under other settings."""
    claims = {r.claim.id: r.claim for r in data.results}
    rows = []
    for row in data.other_settings:
        s, (low, high), res = row.summary, row.interval, row.resolution
        claim = claims[row.claim_id]
        spread = f" ± {num(s.std, resolution=res)}" if math.isfinite(s.std) else ""
        ci = _interval_text(low, high, res)
        if s.n > 1 and s.std == 0:  # no spread to infer from, as in the claims table
            ci = _identical_text(s.n, row.pairs)
        reproduced = f"{num(s.mean, resolution=res)}{spread} " + (
            f"(A − B, n={plural(s.n, 'pair')})" if row.pairs else f"(n={s.n})"
        )
        if s.n == 0:  # seeds ran, as in the claims table: not "n=0"
            reproduced = _none_finite_text(s.n_nan, row.pairs)
        rows.append(
            {
                "claim": row.claim_id,
                "subject": f"{row.experiment} · {row.metric}",
                "config": row.config_hash,
                "differs": _setting_text(data, row, "keys outside the paper's config"),
                "claimed": claimed_text(claim),
                "reproduced": reproduced,
                "ci": ci,
                "rule": row.outcome,
            }
        )
    return rows


def _interval_text(low: float, high: float, resolution: float) -> str:
    """[low, high] with the digits `resolution` needs; '–' when there is none."""
    if not math.isfinite(low):
        return "–"
    return f"[{num(low, resolution=resolution)}, {num(high, resolution=resolution)}]"


def scope_lines(data: ReportData) -> list[str]:
    """The claims tested, one line each: the MLRC template's scope of reproducibility."""
    lines = []
    for result in data.results:
        claim = result.claim
        # a comparison names its experiments in its claim (`cnn > mlp`): the metric alone
        subject = (
            claim.metric if claim.kind == "comparison" else f"{claim.experiment} {claim.metric}"
        )
        lines.append(
            f"{claim.id}: {subject} {claimed_text(claim)} ({claim.source})"
            + ("" if claim.verified else " [unverified]")
        )
    return lines


def discussion_facts(data: ReportData) -> list[str]:
    """What the numbers say, as sentences: what failed and by how much, what needs more seeds,
    what never ran; the user's own discussion (notes.md) follows them."""
    facts = [f"{data.overall[:1].upper()}{data.overall[1:]}: {summary_line(data)}."]
    unjudged: dict[str, list[str]] = {}
    for result in data.results:
        claim, s = result.claim, result.summary
        if result.outcome in (stats.BELOW, stats.ABOVE, stats.TIE) and s is not None:
            facts.append(
                f"{claim.id} is not reproduced: {reproduced_text(result)} against "
                f"{claimed_text(claim)} (Δ {delta_text(result)})."
                + (f" {_cap(_interim_rest(data, result))}." if result.interim_of else "")
                + _passing_elsewhere(data, claim.id)
            )
        elif result.outcome == stats.REPRODUCED and result.interim_of and s is not None:
            # the overall is incomplete for it: say what finishes its plan
            facts.append(
                f"{claim.id} is reproduced so far, at n={s.n} of the {result.interim_of} seeds "
                f"planned (interim); {_interim_rest(data, result)}."
            )
        elif result.outcome == stats.INCONCLUSIVE and result.verdict is not None:
            needed = result.verdict.seeds_needed
            planned = _planned_seeds(data, claim)
            if result.verdict.undecided_because and planned and s and result.interim_unrun:
                more = f" of the {planned} seeds planned; {_interim_rest(data, result)}"
            elif result.verdict.undecided_because and planned and s and result.interim_of:
                # the planned seeds it lacks all completed, without the metric: no sweep
                # trains them again (n below N for a diverged seed is the plan run, below)
                more = f" of the {planned} seeds planned; {_completed_silent(result)}"
            elif result.interim_of and s is not None:
                # interim for another reason (a flat pilot's too-coarse values): the plan's
                # seeds still to come may settle it, and the overall waits for them
                more = f" of the {result.interim_of} seeds planned; {_interim_rest(data, result)}"
            elif result.verdict.undecided_because and planned and s and s.n > planned:
                more = f", more than the {planned} planned: {result.verdict.undecided_because}"
            elif result.verdict.undecided_because:  # two-stage: the plan's N was run
                more = f" as planned: {result.verdict.undecided_because}"
            elif needed:
                more = f"; about {needed} seeds would likely settle it (`seeds=auto` plans them)"
            else:
                more = _why_more_seeds_may_not_settle(result, data.advised_sweep)
            facts.append(
                f"{claim.id} is inconclusive at n={s.n if s else 0}{more}."
                + _passing_elsewhere(data, claim.id)
            )
        elif result.outcome not in stats.OUTCOMES:
            unjudged.setdefault(result.outcome, []).append(claim.id)
    for outcome, claim_ids in unjudged.items():
        facts.append(f"No verdict ({outcome}): {', '.join(claim_ids)}.")
    if data.unsuccessful:
        failed = len(data.unsuccessful)
        verb = "run failed or was" if failed == 1 else "runs failed or were"
        facts.append(f"{failed} {verb} cut short (see Compute).")
    return facts


TOO_COARSE_TEXT = f"{stats.TOO_COARSE}, so more seeds are needed to see it"


def _why_more_seeds_may_not_settle(result: ClaimResult, sweep: str) -> str:
    """The discussion's reason when no seed count would likely settle a claim: too few finite
    seeds (or pairs), a mean outside the band or on its edge, a mean on the threshold, or the
    verdict's own reason (a two-stage pilot seed that is not finite)."""
    claim, s, verdict = result.claim, result.summary, result.verdict
    pairs = claim.kind == "comparison"
    if s is None or s.n == 0:
        return "; no seed pair has both values finite" if pairs else "; no seed gave a finite value"
    if verdict is not None and stats.TOO_COARSE in verdict.reason:
        if pairs:  # A and B may each vary: only their difference is equal
            same = "every seed pair gave the same A − B but the runs differ from seed to seed"
            return f"; {same}: {TOO_COARSE_TEXT}"
        return f"; every seed gave the same value but the runs differ elsewhere: {TOO_COARSE_TEXT}"
    if s.n < 2:
        finite = "seed pairs with both values finite" if pairs else "finite seeds"
        if s.n_nan:  # the seeds ran: a sweep of the same seeds trains nothing
            return f"; a verdict needs at least 2 {finite}"
        if result.absent:  # so did these: a sweep of more seeds trains more
            more, ran = 2 - s.n, s.n + result.absent
            seeds, did = (
                ("seed pairs that both log", "completed seed pair")
                if pairs
                else ("seeds that log", "completed run")
            )
            return (
                f"; a verdict needs at least 2 {seeds} {claim.metric} "
                f"({plural(result.absent, did)} did not: a sweep of the same seeds "
                f"trains nothing; `{sweep} seeds={ran + more}` trains {more} more)"
            )
        return f"; a verdict needs at least 2 seeds (`{sweep}` runs them)"
    if claim.kind == "value" and claim.value is not None and claim.tolerance is not None:
        low, high = claim.value - claim.tolerance, claim.value + claim.tolerance
        on_low = stats.at_float32(s.mean, low, claim.tolerance)
        on_high = stats.at_float32(s.mean, high, claim.tolerance)
        res = stats.resolution(claim.tolerance, on_low - low, on_high - high)
        if on_low == low or on_high == high:
            return (
                f"; its mean {num(s.mean, resolution=res)} sits on the band's edge, so more "
                "seeds are unlikely to settle it"
            )
        if not low < s.mean < high:
            return (
                f"; its mean {num(s.mean, resolution=res)} lies outside "
                f"{_interval_text(low, high, res)}, so more seeds are unlikely to make it "
                "reproduced"
            )
    elif pairs and s.mean == 0:
        return "; A − B is 0 on every seed" if s.std == 0 else "; A − B averages exactly 0"
    elif claim.kind == "threshold" and stats.at_float32(s.mean, claim.value) == claim.value:
        return "; its mean sits on the threshold"
    if verdict is not None and verdict.reason.startswith(two_stage.UNDEFINED_PREFIX):
        return f"; {verdict.reason}"  # a two-stage pilot seed that is not finite
    return "; no number of seeds up to 10,000 would likely settle it"


def _passing_elsewhere(data: ReportData, claim_id: str) -> str:
    """Other settings on which the claim's rule, applied to their seeds alone, gives reproduced:
    a lead for the reader, with the caveat that it is no verdict (and trying several settings
    raises the chance that one passes by luck)."""

    def spread(o: OtherSetting) -> str:  # identical seeds: no interval, as in the tables
        if o.summary.n > 1 and o.summary.std == 0:
            return _identical_text(o.summary.n, o.pairs).removeprefix("none: ")
        return f"90% CI {_interval_text(*o.interval, o.resolution)}"

    passing = [
        f"{_setting_text(data, o, o.config_hash)}: mean "
        f"{'A − B ' if o.pairs else ''}{num(o.summary.mean, resolution=o.resolution)} "
        f"(n={o.summary.n}, {spread(o)})"
        for o in data.other_settings
        if o.claim_id == claim_id and o.outcome == stats.REPRODUCED
    ]
    if not passing:
        return ""
    return (
        f" Beyond the paper, the claim's rule would be reproduced under {'; '.join(passing)}; "
        "another setting enters no verdict, and the more settings are tried, the likelier one "
        "passes by chance."
    )


def _interim_rest(data: ReportData, result: ClaimResult) -> str:
    """What brings the rest of an interim verdict's plan (the overall stays incomplete for
    it): the sweep of its experiments, or the seeds that completed without the metric."""
    if not result.interim_unrun:
        return _completed_silent(result)
    rest = _rest_of_plan(data, result.claim)
    # a comparison's seed stopped on one side and unrun on the other needs both commands
    stopped = _completed_silent(result)
    return f"{rest}; {stopped}" if stopped else rest


def _cap(text: str) -> str:
    """A sentence's first letter in capitals (a command in backticks stays as it is)."""
    return text[:1].upper() + text[1:]


def _completed_silent(result: ClaimResult) -> str:
    """The planned seeds an interim verdict lacks that completed without logging the metric,
    or that trainer.max_time stopped short (`interim_stopped`; `interim_unrun` empty): a
    sweep trains nothing, `rerun=true` of them does."""
    planned = range(result.interim_of or 0)
    judged = {seed for seed, _ in result.values}
    if result.claim.kind == "comparison":
        judged &= {seed for seed, _ in result.versus_values}
    stopped = [seed for seed in planned if seed in result.interim_stopped]
    unrun = set(result.interim_unrun)  # a sweep trains them: not silent
    silent = [s for s in planned if s not in judged and s not in stopped and s not in unrun]
    parts = []
    if stopped:  # logged the metric, but short of the setting (`aggregate.stopped_short`)
        seeds = f"seed {stopped[0]}" if len(stopped) == 1 else f"seeds {_seeds(stopped)}"
        it = "it" if len(stopped) == 1 else "them"
        parts.append(
            f"{seeds} stopped by trainer.max_time short of the setting, so no sweep trains {it} "
            "again; the rerun=true command listed with the failed runs trains "
            f"{it} to the end"
        )
    if not silent:
        return "; ".join(parts)
    seeds = f"seed {silent[0]}" if len(silent) == 1 else f"seeds {_seeds(silent)}"
    it = "it" if len(silent) == 1 else "them"
    said = f"{seeds} completed without logging {result.claim.metric}, so no sweep trains {it} again"
    if not result.interim_reruns:  # records that name no command
        said = f"{said}; `rerun=true` of {'its' if len(silent) == 1 else 'their'} command does"
    else:
        commands = " and ".join(f"`{command}`" for command in result.interim_reruns)
        said = f"{said}; {commands} {'does' if len(result.interim_reruns) == 1 else 'do'}"
    return "; ".join([*parts, said])


def _rest_of_plan(data: ReportData, claim: Claim) -> str:
    """The seeds=auto sweep(s) that train the rest of a claim's plan: its experiments alone
    (the paper's others would train pilots), each at max_seeds = its planned N, which gives
    that N again; the default max_seeds would raise a plan capped below it, which the sweep
    refuses once seeds past the pilot ran."""
    by_n: dict[int, list[str]] = {}
    for experiment in dict.fromkeys(claim.experiments()):
        by_n.setdefault(data.planned_seeds[experiment], []).append(experiment)
    commands = [
        f"`{data.advised_sweep} experiment={shlex.quote(','.join(names))} seeds=auto max_seeds={n}`"
        for n, names in sorted(by_n.items())
    ]
    return f"{' and '.join(commands)} {'runs' if len(commands) == 1 else 'run'} the rest"


def _planned_seeds(data: ReportData, claim: Claim) -> int | None:
    """The seeds seeds=auto planned for a claim (a comparison: pairs, so the smaller side)."""
    planned = [data.planned_seeds.get(e) for e in claim.experiments()]
    if not planned or None in planned:
        return None
    return min(n for n in planned if n is not None)


def unclaimed_elsewhere(data: ReportData) -> list[str]:
    """Experiments with completed runs of a setting not the paper's that no claim's row shows
    under `Results beyond the original paper` (no claim is on them): that section must not say
    every run is of the paper's setting; Compute and Hyperparameters list them."""
    shown = {row.experiment for row in data.other_settings}
    return [
        experiment
        for experiment, choice in data.choices.items()
        if (choice.others or not choice.judged) and experiment not in shown
    ]


def _context(data: ReportData) -> dict[str, Any]:
    done, elsewhere, missing = experiments_status(data)
    stopped = stopped_short_only(data, missing)
    missing = [e for e in missing if e not in stopped]
    uncompleted = uncompleted_only(data, missing)
    missing = [e for e in missing if e not in uncompleted]
    # every run diverged: its claims have a verdict (inconclusive, diverged), not "not run"
    diverged = [
        e
        for e in uncompleted
        if any(r.failed_diverged and e in r.claim.experiments() for r in data.results)
    ]
    uncompleted = [e for e in uncompleted if e not in diverged]
    return {
        "experiments_diverged": diverged,
        "scope_lines": scope_lines(data),
        "other_rows": other_setting_rows(data),
        "unclaimed_elsewhere": unclaimed_elsewhere(data),
        "discussion_facts": discussion_facts(data),
        "summary_notes": [n for n in data.notes if n.title != DISCUSSION_NOTE],
        "discussion_note": next((n for n in data.notes if n.title == DISCUSSION_NOTE), None),
        "bibtex": bibtex(data.spec),
        "r": data,
        "spec": data.spec,
        "rows": [claim_row(r) for r in data.results],
        "details": [(r.claim.id, claim_details(r, {*uncompleted, *stopped})) for r in data.results],
        "choice_lines": choice_lines(data.choices),
        "summary_line": summary_line(data),
        "counts_text": _results_counts(data)
        if any(r.counts for r in data.results) or not data.results
        else f"{plural(len(data.results), 'unverified claim')}, shown apart",
        "headline": headline(data),
        "overall_emoji": EMOJI[data.overall],
        "overall_symbol": SYMBOL[data.overall],
        "overall_css": CSS_CLASS[data.overall],
        "experiments_done": done,
        "experiments_missing": missing,
        "experiments_stopped": stopped,
        "experiments_uncompleted": uncompleted,
        "experiments_elsewhere": elsewhere,
        "hardware_text": hardware_text(data),
        "compute_total": compute_total(data.compute),
        "seeds_text": seeds_text(data),
        "rules": rules(data),
        "failures": data.unsuccessful[:MAX_LISTED_FAILURES],
        "failures_left_out": max(0, len(data.unsuccessful) - MAX_LISTED_FAILURES),
        "csv_command": csv_command(data),
    }


def csv_command(data: ReportData) -> str:
    """The command that writes records.csv (all the runs, where the failures past the listed
    ones are): this report's own, so that it finds the plugin and the results again."""
    command = next(
        (c for c in reversed(data.commands) if c.startswith("repro report ")),
        f"repro report paper={data.paper_id}",
    )
    return command if " --csv" in command else f"{command} --csv"


def render_markdown(data: ReportData, figure_links: dict[str, str]) -> str:
    """The Markdown report; `figure_links`: figure name -> path relative to the report."""
    template = _environment(html=False).get_template("report.md.j2")
    return template.render(**_context(data), figure_links=figure_links)


def render_html(data: ReportData, pdf: bool = False) -> str:
    """One self-contained HTML page (figures inlined); `pdf`: vector figures and print CSS."""
    template = _environment(html=True).get_template("report.html.j2")
    figure_format = "svg" if pdf else "png"
    images = {
        name: files[figure_format] for name, files in data.figures.items() if figure_format in files
    }
    widths = {name: figure_width_inches(files["png"], pdf) for name, files in data.figures.items()}
    differing = data.hyperparameters.differing
    key_columns = [] if pdf or len(differing) > MAX_KEY_COLUMNS else differing
    return template.render(
        **_context(data), images=images, widths=widths, pdf=pdf, key_columns=key_columns
    )
