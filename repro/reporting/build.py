"""`repro report` for one paper: records -> claims and sections -> figures -> files.

The only module of the package with side effects (reading records and logs, writing the
report folder); everything it calls is a pure function or a renderer.
"""

from __future__ import annotations

import datetime as dt
import math
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from repro.errors import NothingToReport, ReproError, UsageError
from repro.records import store
from repro.records.fingerprint import code_fingerprint, entry_classes
from repro.records.table import SkippedRecord
from repro.reporting import aggregate, sections
from repro.reporting.files import write_file
from repro.reporting.notes import ensure_notes, read_notes
from repro.reporting.outputs import keep_earlier_outputs, report_digest
from repro.reporting.render import (
    ReportData,
    experiments_status,
    render_html,
    render_markdown,
    summary_line,
)
from repro.resources import VERSION as __version__
from repro.sweeping import auto_seeds
from repro.sweeping.plan import seeds_text

FORMATS = ("md", "html", "pdf")
DEFAULT_REPORTS_DIR = Path("reports")
DEFAULT_RESULTS_DIR = Path("results")
ALPHA = 0.05
"""Significance level of every verdict; the rules printed in the report are stated for it."""


@dataclass(frozen=True)
class ReportRequest:
    paper: str
    results_dir: Path
    out_dir: Path
    formats: frozenset[str] = frozenset({"md"})
    write_csv: bool = False
    pinned_configs: frozenset[str] = frozenset()
    papers_dir: list[Path] | None = None
    out_given: bool = False  # --out was passed (the regenerate command repeats it)
    pins_must_match: bool = False  # one paper asked for: a --config it has no runs of is wrong


@dataclass
class ReportOutcome:
    paper: str
    overall: str
    summary: str
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes_path: Path | None = None
    notes_created: bool = False
    results: list[aggregate.ClaimResult] = field(default_factory=list)  # one per claim


def build_report(request: ReportRequest) -> ReportOutcome:
    """Write the report of one paper into `request.out_dir`; returns what was written. A
    failed write (a file in the way, a full disk) is one line naming the folder."""
    try:
        return _build_report(request)
    except OSError as error:
        raise ReproError(
            f"cannot write report to {request.out_dir}: {error.strerror or error}"
        ) from None


def pins_by_folder(
    runs: Any, pinned: frozenset[str], skipped: Iterable[SkippedRecord] = ()
) -> frozenset[str]:
    """`--config` pins as the report names settings: a pin that names no setting but the
    hash folder its records lie in (one an older repro hashed otherwise: `store.older_hashes`,
    counted under today's hash) pins the setting of those records, also when each of them
    is a seed that setting counts from another folder (`skipped`)."""
    known = set(runs["config_hash"])
    folders: dict[str, set[str]] = {}
    for record_dir, config_hash in zip(runs["record_dir"], runs["config_hash"], strict=True):
        folders.setdefault(Path(str(record_dir)).parent.name, set()).add(str(config_hash))
    for record in skipped:
        if record.counted_as is not None:  # <hash folder>/seed<N>/record.json
            folders.setdefault(record.path.parent.parent.name, set()).add(record.counted_as)
    return frozenset(
        h for pin in pinned for h in ([pin] if pin in known else folders.get(pin, [pin]))
    )


def parse_formats(formats: Iterable[str], given_as: str = "--format") -> frozenset[str]:
    """`--format html,pdf` (repeated, or one comma list as paper= takes) as the formats to
    write, md always among them; `repro.report(formats=...)` reads them the same way, its
    errors naming `given_as="formats="`, the argument, not the flag."""
    chosen = {"md"}
    example = f"{given_as} html,pdf" if given_as.startswith("-") else f"{given_as}'html,pdf'"
    for given in formats:
        listed = [part.strip() for part in given.split(",") if part.strip()]
        if not listed:  # `--format ""` or `--format ,`: a mistake, not a request for md only
            raise UsageError(
                f"{given_as} names no format in {given!r}: give one or more of "
                f"{', '.join(FORMATS)} (e.g. {example})"
            )
        for fmt in listed:
            name = fmt.lower().lstrip(".")
            name = "md" if name == "markdown" else name
            if name not in FORMATS:
                raise UsageError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
            chosen.add(name)
    return frozenset(chosen)


def _check_results_folder(results_dir: Path, paper: str | None = None) -> None:
    """A results folder (or its paper's folder) that is a file, lies under one, or is a link
    that leads nowhere: one line naming it, where the report said `no run records`, as if
    nothing had run."""
    path = Path(results_dir) / paper if paper else Path(results_dir)
    if blocked := store.what_blocks_folder(path):
        raise ReproError(f"results folder {results_dir}: {blocked}")


def _where_looked(results_dir: Path, paper: str | None = None) -> str:
    """The results folder a report read, as a path a user recognises: a relative one (the
    default `results`) is this folder's, so records made from another folder are not there;
    said when nothing of the paper is, so 'make them with `repro sweep`' is not the only way."""
    path = Path(results_dir)
    if path.is_absolute() or (path / paper if paper else path).exists():
        return str(results_dir)
    return (
        f"{path.absolute()} (results/ of the folder you run from: for records made from "
        "another folder, run this there or give --results DIR)"
    )


def _what_blocks_a_sweep(skipped: list[Any]) -> str:
    """`a sweep stops at it: ...; then ` when a skipped record (or record folder) is a link
    that leads nowhere, a folder or no regular file: the sweep the report advises would stop
    at it (`runner._refuse_folders_in_the_way`), so the user is told to clear it first."""
    for n, entry in enumerate(skipped):
        path = Path(entry.path)
        dead = path.is_symlink() and not path.exists()
        in_the_way = path.exists() and not path.is_file() and entry.what == "record"
        if dead or in_the_way:
            where = "it" if n == 0 else str(path)
            how = "mount what it links to, or move it away" if dead else "move it away"
            return f"a sweep stops at {where}: {how}; then "
    return ""


def _build_report(request: ReportRequest) -> ReportOutcome:
    from repro.plugins.registry import get_paper
    from repro.records.table import load_records

    plugin = get_paper(request.paper, request.papers_dir)
    spec = plugin.spec()
    _check_results_folder(request.results_dir, request.paper)
    table = load_records(request.results_dir, request.paper)
    warnings = [s.warning() for s in table.skipped] + table.config_warnings
    # runs of one config but other plugin code are separate settings, never pooled
    current_digest = code_fingerprint(plugin.folder)["digest"]
    current_classes = entry_classes(plugin.folder)
    frame = aggregate.settings_by_code(
        table.frame[table.frame["paper"] == request.paper], current_digest, current_classes
    )
    frame, short_lines = aggregate.stopped_short(frame)  # max_time: short of the setting
    warnings += short_lines
    if frame.empty:
        skipped = ""
        if table.skipped:  # which, and why: the records the user thinks are there
            first = table.skipped[0]
            many = len(table.skipped) > 1
            skipped = f" ({len(table.skipped)} unreadable skipped{', the first' if many else ''}"
            skipped += f": {first.path}: {first.reason})"
        raise NothingToReport(
            f"no run records for paper {request.paper!r} under "
            f"{_where_looked(request.results_dir, request.paper)}{skipped}: "
            f"{_what_blocks_a_sweep(table.skipped)}make them with "
            f"`{advised_sweep(request, plugin)}`"
        )
    runs = aggregate.run_table(frame)
    paper_hashes, paper_configs, setting_warning = _paper_settings(plugin, spec)
    if setting_warning:
        warnings.append(setting_warning)
    pins = pins_by_folder(runs, request.pinned_configs, table.skipped)
    choices = aggregate.choose_configs(runs, pins, paper_hashes, paper_configs)
    current_code = aggregate.code_keys(runs, current_classes) == (current_digest or "")[:8]
    planned = {e: c for e, c in choices.items() if e in spec.experiments}  # what a sweep plans
    cautions = _older_code_warnings(
        runs.assign(_current=current_code),
        planned,
        request.paper,
        advised_sweep(request, plugin),
        set(spec.claimed_experiments()),
    )
    warnings += cautions
    unknown_pins = pins - set(runs["config_hash"])
    if unknown_pins:
        problem = (
            f"--config {', '.join(sorted(unknown_pins))}: no runs of {request.paper} with "
            "that config hash"
        )
        if request.pins_must_match:  # a typo would judge the paper's setting as if asked
            from repro.errors import UsageError

            known = runs.drop_duplicates(["experiment", "config_hash"])
            pairs = zip(known["experiment"], known["config_hash"], strict=True)
            listed = [f"{experiment} {config}" for experiment, config in pairs]
            more = f" and {len(listed) - 8} more" if len(listed) > 8 else ""
            raise UsageError(f"{problem} (its settings: {', '.join(listed[:8])}{more})")
        warnings.append(f"warning: {problem}")
    pin_lines = _pins_never_completed(runs, pins, choices) + _pins_set_aside(pins, choices)
    cautions += pin_lines  # the regenerate line carries each --config: say which judged nothing
    warnings += pin_lines
    plan, plan_problem = auto_seeds.read_plan(request.results_dir, request.paper)
    if plan_problem:
        warnings.append(f"warning: {plan_problem}: seeds=auto plan ignored (fixed-sample tests)")
    judged_hashes = {e: c.chosen.config_hash for e, c in choices.items() if c.judged}
    plan = auto_seeds.under_todays_hashes(plan, judged_hashes, _folders(runs, judged_hashes))
    values = _judged_values(frame, judged_hashes)
    plan, restored_lines = _plan_as_recorded(
        request, plan, runs, judged_hashes, spec.claims, values
    )
    cautions += restored_lines  # which N judged the setting, in the report too
    warnings += restored_lines
    finished = _finish_times(runs, judged_hashes)
    planned = auto_seeds.planned_settings(plan, judged_hashes, finished, values)
    changed = auto_seeds.pilot_changes(plan, judged_hashes, finished, values)
    whole = _retrained_whole(changed, finished)
    replaced_lines = _changed_pilot_warnings(request.paper, changed, values, whole)
    cautions += replaced_lines  # the report says which test it used, not only the terminal
    warnings += replaced_lines
    lost = _lost_plans(runs, judged_hashes, auto_seeds.planned_settings(plan, judged_hashes))
    deviating = frozenset(e for e, c in choices.items() if c.deviation)  # pinned: not the paper's
    lost_lines = _lost_plan_warnings(
        request, plugin, lost, plan, plan_problem, values, deviating, judged_hashes
    )
    cautions += lost_lines  # the report says which test it used, not only the terminal
    warnings += lost_lines
    pilots = {experiment: n0 for experiment, (n0, _) in planned.items()}
    totals = {experiment: total for experiment, (_, total) in planned.items()}
    cutoffs = {e: change.total for e, change in changed.items() if e not in whole}
    cutoffs.update({e: mark.total for e, mark in lost.items()})
    diverged = aggregate.diverged_choices(runs, choices, pins, paper_hashes)
    results = aggregate.evaluate_claims(
        frame,
        spec.claims,
        choices,
        ALPHA,
        pilots,
        totals,
        fixed_sample_totals=cutoffs,
        diverged=diverged,
    )
    results = [_say_lost_plan(result, lost) for result in results]
    beyond = aggregate.other_settings(frame, spec.claims, choices, ALPHA)
    experiments = [e for e in spec.experiments if e in choices]
    experiments += [e for e in choices if e not in experiments]
    configs, config_warnings = _chosen_configs(runs, choices)
    warnings += config_warnings
    commands, command_note = _commands(
        request, runs, plugin, spec, choices, configs, totals, frozenset(diverged)
    )

    out = request.out_dir
    out.mkdir(parents=True, exist_ok=True)
    notes_path, created = ensure_notes(out, spec.title)
    reruns = sections.failed_reruns(runs)
    data = ReportData(
        paper_id=request.paper,
        spec=spec,
        overall=aggregate.overall_outcome(results),
        results=results,
        counts=aggregate.outcome_counts([r for r in results if r.counts]),
        choices={e: choices[e] for e in experiments},
        hyperparameters=sections.hyperparameters(runs, choices, experiments, configs),
        compute=sections.compute(runs, choices, reruns),
        unsuccessful=sections.unsuccessful_runs(runs) + [r.run for r in reruns],
        provenance=sections.provenance(runs),
        commands=commands,
        command_note=command_note,
        sweep_command=advised_sweep(request, plugin),
        notes=read_notes(notes_path),
        notes_path=str(notes_path),
        results_dir=str(request.results_dir),
        records=len(runs),
        skipped=sum(1 for s in table.skipped if s.counted_as is None),
        doubles=sum(1 for s in table.skipped if s.counted_as is not None),
        generated_at=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        repro_version=__version__,
        alpha=ALPHA,
        other_settings=beyond,
        procedure=_procedure_text(plan, pilots, spec.claims),
        cautions=[c.removeprefix("warning: ") for c in cautions],
        planned_seeds={experiment: total for experiment, (_, total) in planned.items()},
        diverged_seeds=aggregate.diverged_seeds(frame, {**choices, **diverged}, results),
    )
    warnings += _elsewhere_lines(data, runs)
    data.figures = _figures(data, runs, choices, experiments, out, "pdf" in request.formats)
    files, kept_stale = _write_outputs(data, request, frame, runs, choices)
    warnings += kept_stale
    return ReportOutcome(
        request.paper,
        data.overall,
        summary_line(data),
        files,
        warnings,
        notes_path,
        created,
        results,
    )


def _pins_never_completed(
    runs: Any, pins: frozenset[str], choices: dict[str, aggregate.ConfigChoice]
) -> list[str]:
    """A `--config` hash whose runs all failed (or are unfinished) judges nothing, as no
    setting is chosen from runs that did not complete: said, not passed over in silence."""
    done = set(runs.loc[runs["status"] == store.STATUS_COMPLETED, "config_hash"])
    lines = []
    for pin in sorted(pins & set(runs["config_hash"]) - done):
        for experiment in sorted(set(runs.loc[runs["config_hash"] == pin, "experiment"])):
            choice = choices.get(experiment)
            judged = f"{experiment}'s claims are not judged"
            if choice is not None and choice.judged:  # pinned: by another --config of it
                how = "its other --config" if choice.pinned else "as without --config"
                judged = f"{experiment} is judged on {choice.chosen.config_hash}, {how}"
            lines.append(
                f"warning: --config {pin}: no run of {experiment} with that config hash "
                f"completed (they are under Failed and unfinished runs), so {judged}"
            )
    return lines


def _pins_set_aside(pins: frozenset[str], choices: dict[str, aggregate.ConfigChoice]) -> list[str]:
    """Two `--config` hashes of one experiment: one judges it, the other is set aside (an
    experiment's claims are judged on one setting), said rather than followed in silence."""
    lines = []
    for experiment, choice in choices.items():
        aside = sorted(o.config_hash for o in choice.others if o.config_hash in pins)
        if choice.pinned and aside:
            lines.append(
                f"warning: --config {', '.join(sorted([choice.chosen.config_hash, *aside]))} "
                f"are all settings of {experiment}, judged on one: "
                f"{choice.chosen.config_hash}; {', '.join(aside)} set aside"
            )
    return lines


def _elsewhere_lines(data: ReportData, runs: Any) -> list[str]:
    """One line naming the experiments with completed runs only in settings other than the
    paper's (its runs at the paper's may have failed: not "ran only"): the headline counts
    their claims *not run*, which after a short sweep (`trainer.max_steps=20`) reads as if the
    sweep trained nothing."""
    elsewhere = experiments_status(data)[1]
    if not elsewhere:
        return []
    completed = runs[runs["status"] == store.STATUS_COMPLETED]  # a failed setting judges nothing
    settings = [
        f"{experiment} {config}"
        for experiment in elsewhere
        for config in sorted(
            set(completed.loc[completed["experiment"] == experiment, "config_hash"])
        )
    ]
    these = "its claims are" if len(elsewhere) == 1 else "their claims are"
    return [
        f"note: {', '.join(elsewhere)} completed runs only in settings other than the paper's, "
        f"so {these} not run (the report shows those runs under Results beyond the original "
        f"paper); `--config HASH` judges one, marked as a deviation: {', '.join(settings)}"
    ]


def _older_code_warnings(
    runs: Any,
    choices: dict[str, aggregate.ConfigChoice],
    paper: str,
    sweep: str,
    claimed: set[str],
) -> list[str]:
    """A judged setting none of whose runs the current plugin code made (`runs["_current"]`:
    its files and the classes paper.yaml names): its verdicts are about earlier code, which
    the report must say (a sweep would retrain them as stale). An experiment no claim is on
    (every one of a paper without claims) is described from those runs, not judged."""
    warnings = []
    for experiment, choice in choices.items():
        if not choice.judged:  # its runs are only "beyond the paper"
            continue
        chosen = runs[
            (runs["experiment"] == experiment)
            & (runs["config_hash"] == choice.chosen.config_hash)
            & (runs["status"] == store.STATUS_COMPLETED)
        ]
        if chosen.empty:
            continue
        if not chosen["_current"].any():
            warnings.append(
                f"warning: {paper}/{experiment}: "
                f"{'judged on' if experiment in claimed else 'described from'} "
                "runs of earlier plugin code, none of "
                f"the current code; `{sweep}` retrains them"
            )
    return warnings


def _folders(runs: Any, hashes: dict[str, str]) -> dict[str, set[str]]:
    """experiment -> the folder names its judged setting's records are in: today's hash, and
    any older hash of the same setting (a seeds=auto plan may be keyed by one)."""
    folders: dict[str, set[str]] = {}
    for experiment, config_hash, record_dir in zip(
        runs["experiment"], runs["config_hash"], runs["record_dir"], strict=True
    ):
        if hashes.get(experiment) == config_hash:
            folders.setdefault(str(experiment), set()).add(Path(record_dir).parent.name)
    return folders


def _finish_times(runs: Any, hashes: dict[str, str]) -> dict[str, dict[int, str]]:
    """experiment -> {seed: finish time} of the completed runs of its judged setting: what a
    seeds=auto plan's pilot is checked against (records.store.finished_at)."""
    completed = runs[runs["status"] == store.STATUS_COMPLETED]
    times: dict[str, dict[int, str]] = {}
    for experiment, seed, config_hash, finished in zip(
        completed["experiment"],
        completed["seed"],
        completed["config_hash"],
        completed["finished_at"],
        strict=True,
    ):
        if hashes.get(experiment) == config_hash and isinstance(finished, str):
            times.setdefault(str(experiment), {})[int(seed)] = finished
    return times


def _judged_values(frame: Any, hashes: dict[str, str]) -> dict[str, dict[int, dict[str, float]]]:
    """experiment -> {seed: {metric: value}} of the completed runs of its judged setting: the
    values a seeds=auto plan's pilot is bound to (auto_seeds.pilot_changes)."""
    completed = frame[frame["status"] == store.STATUS_COMPLETED]
    values: dict[str, dict[int, dict[str, float]]] = {}
    for experiment, seed, config_hash, metric, value in zip(
        completed["experiment"],
        completed["seed"],
        completed["config_hash"],
        completed["metric"],
        completed["value"],
        strict=True,
    ):
        if hashes.get(experiment) == config_hash and isinstance(value, (int, float)):
            values.setdefault(str(experiment), {}).setdefault(int(seed), {})[str(metric)] = float(
                value
            )
    return values


def _seeds_phrase(seeds: list[int], one: str, many: str) -> str:
    """'pilot seed 2's <one>' or 'pilot seeds 1, 2's <many>'."""
    if len(seeds) == 1:
        return f"pilot seed {seeds[0]}'s {one}"
    return f"pilot seeds {', '.join(map(str, seeds))}'s {many}"


def _retrained_whole(
    changed: dict[str, auto_seeds.PilotChange], finished: dict[str, dict[int, str]]
) -> set[str]:
    """The settings whose plan no longer governs because they were trained again as a whole:
    every pilot seed made again, and every later seed, stage two's and those past the plan's
    N, finished no earlier than those (one new sample, judged on all its seeds). A seed past
    N older than that is still one a sweep added after seeing the plan's verdict, and stage
    two's seeds older than that mean only the pilot was rerun, after which seeds added past
    N were still added after the verdict: rerunning the pilot must not let them count."""
    whole = set()
    for experiment, change in changed.items():
        times = finished.get(experiment, {})
        pilot = [times[seed] for seed in range(change.n0) if seed in times]
        if not change.retrained or len(pilot) < change.n0:
            continue
        if all(at >= min(pilot) for seed, at in times.items() if seed >= change.n0):
            whole.add(experiment)
    return whole


def _planned_judged(seeds: list[int], total: int) -> str:
    """The planned seeds 0..total-1 the fixed-sample test judges, of `seeds` (those with a
    completed run): all of them, or how many and which (a pilot run deleted, stage two not
    done), never seeds that have not run."""
    ran = [seed for seed in seeds if seed < total]
    if len(ran) == total:
        return f"its planned seeds 0–{total - 1}"
    if not ran:
        return f"none of its {total} planned seeds (none has a completed run)"
    return (
        f"{len(ran)} of its {total} planned seeds ({seeds_text(ran)}; the others have no "
        "completed run)"
    )


def _changed_pilot_warnings(
    paper: str,
    changed: dict[str, auto_seeds.PilotChange],
    values: dict[str, dict[int, dict[str, float]]],
    whole: set[str],
) -> list[str]:
    """One line per setting whose seeds=auto plan no longer governs, saying what happened to
    its pilot (changed values, a missing run), what the plan was, and which seeds the
    fixed-sample test judges instead (`values`: the judged setting's seeds; `whole`: the
    settings retrained as a whole, judged on all of them)."""
    lines = []
    for experiment, change in sorted(changed.items()):
        seeds = sorted(values.get(experiment, {}))
        if experiment in whole:
            judged = f"all its seeds ({seeds_text(seeds)})" if seeds else "all its seeds"
        else:
            judged = _planned_judged(seeds, change.total)
            past = [seed for seed in seeds if seed >= change.total]
            if past:
                judged += (
                    f"; seeds past N ({seeds_text(past)}) were added after the plan's verdict "
                    "and are shown, not judged"
                )
        parts = []
        if change.changed:
            metrics = sorted({m for _, names in change.changed for m in names})
            one = "value" if len(metrics) == 1 else "values"
            parts.append(
                _seeds_phrase([seed for seed, _ in change.changed], one, "values")
                + f" of {', '.join(metrics)} changed since the plan was made"
            )
        if change.rerun:
            parts.append(
                _seeds_phrase(list(change.rerun), "run was", "runs were")
                + " made again since the plan (saved before plans kept the pilot's values, so "
                "an identical rerun cannot be told apart)"
            )
        if change.missing:
            parts.append(_seeds_phrase(list(change.missing), "run is", "runs are") + " missing")
        lines.append(
            f"warning: {paper}/{experiment}: the seeds=auto plan (pilot n0={change.n0}, "
            f"N={change.total}) no longer applies: {'; '.join(parts)}. Its N was chosen from "
            "the pilot as it was, so the two-stage test does not hold and the claims are "
            f"judged by the fixed-sample test on {judged}"
        )
    return lines


def _plan_as_recorded(
    request: ReportRequest,
    plan: dict[str, Any] | None,
    runs: Any,
    hashes: dict[str, str],
    claims: list[Any] | None = None,
    values: dict[str, dict[int, dict[str, float]]] | None = None,
) -> tuple[dict[str, Any] | None, list[str]]:
    """The plan with each judged setting's N set to the N its stage-two runs recorded where
    the file says another (`auto_seeds.recorded_n`: a plan file restored from another copy,
    or edited), and one line each saying so: trusted, the file would stop the two-stage test
    at fewer seeds than the plan ran, chosen after they were seen, or judge as planned seeds
    no plan chose. With no stage-two run of its pilot, an N above the most its pilot gives
    at any max_seeds (`auto_seeds.pilot_backs` of `claims` on the pilot's `values`) is cut
    to that, for the same reason."""
    if not plan:
        return plan, []
    settings = dict(plan.get("settings") or {})  # under_todays_hashes wrote every setting
    completed = runs[runs["status"] == store.STATUS_COMPLETED]
    marks: dict[str, list[auto_seeds.StageTwoMark]] = {}
    finished_at = _finish_times(runs, hashes)  # experiment -> {seed: finish time}
    for experiment, seed, config_hash, n0, total, finished in zip(
        completed["experiment"],
        completed["seed"],
        completed["config_hash"],
        completed["seeds_auto_n0"],
        completed["seeds_auto_n"],
        completed["finished_at"],
        strict=True,
    ):
        if hashes.get(experiment) == config_hash and _count(n0) and _count(total):
            at = finished if isinstance(finished, str) else ""
            mark = auto_seeds.StageTwoMark(int(seed), int(n0), int(total), at)
            marks.setdefault(str(experiment), []).append(mark)
    lines = []
    path = auto_seeds.plan_path(request.results_dir, request.paper)
    for experiment, config_hash in sorted(hashes.items()):
        key = auto_seeds.setting_key(experiment, config_hash)
        entry = settings.get(key)
        if not entry:
            continue
        n0 = entry.get("n0")  # an entry that names no pilot: the runs after today's pilot
        times = finished_at.get(experiment, {}).items()
        pilot = [at for s, at in times if isinstance(n0, int) and s < n0]
        recorded = auto_seeds.recorded_pilot(
            entry, marks.get(experiment, []), max(pilot, default="")
        )
        if recorded:
            settings[key] = {**entry, "n0": recorded[0], "seeds": recorded[1]}
            lines.append(
                f"warning: {request.paper}/{experiment}: {path} says n0={entry['n0']}, "
                f"N={entry.get('seeds')} for its seeds=auto plan, but its stage-two runs "
                f"recorded a pilot of n0={recorded[0]} and N={recorded[1]} (the file was "
                "restored from another copy or edited after they ran): the claims are judged "
                f"with the runs' pilot and N, seeds 0–{recorded[1] - 1}, as the plan ran them; "
                "the next seeds=auto sweep of this setting writes them back"
            )
            continue
        larger = auto_seeds.recorded_n(entry, marks.get(experiment, []), max(pilot, default=""))
        ours = auto_seeds.pilot_marks(entry, marks.get(experiment, []), max(pilot, default=""))
        if larger is None and not ours and claims is not None and values is not None:
            kept = _kept_pilots(settings, hashes, values)
            gives = _pilot_gives(entry, experiment, claims, kept, plan.get("claims"))
            if gives is not None and isinstance(entry.get("seeds"), int) and entry["seeds"] < gives:
                caps = entry.get("caps")
                at = (
                    f"at the max_seeds={'/'.join(map(str, sorted(set(caps.values()))))} the plan "
                    "was made with"
                    if isinstance(caps, dict) and set(caps) == set(entry.get("needs") or {})
                    else "with its claims sized as the plan saved them (it saved no max_seeds "
                    "for some, and its claims do not say they were capped)"
                )
                settings[key] = {**entry, "seeds": gives}
                lines.append(
                    f"warning: {request.paper}/{experiment}: {path} says N={entry['seeds']} for "
                    f"its seeds=auto plan, but its pilot gives N={gives} {at}, and no "
                    "stage-two run recorded a plan (the file was edited, or the claims changed "
                    f"since): the claims are judged with N={gives}, seeds 0–{gives - 1}, not "
                    "where the file stops them; the next seeds=auto sweep of this setting "
                    "writes its plan back"
                )
                continue
            backs = _pilot_backs(entry, experiment, claims, values)
            if backs is not None and isinstance(entry.get("seeds"), int) and entry["seeds"] > backs:
                settings[key] = {**entry, "seeds": backs}
                lines.append(
                    f"warning: {request.paper}/{experiment}: {path} says N={entry['seeds']} for "
                    f"its seeds=auto plan, but its pilot gives at most N={backs} at any "
                    "max_seeds with the claims as they are, and no stage-two run recorded a "
                    "plan (the file was edited, copied in from elsewhere, or the claims "
                    f"changed since): the claims are judged with N={backs}, seeds 0–{backs - 1}; "
                    "the next seeds=auto sweep of this setting writes its plan back"
                )
            continue
        if larger is None:
            continue
        settings[key] = {**entry, "seeds": larger}
        lines.append(
            f"warning: {request.paper}/{experiment}: {path} says N={entry['seeds']} for its "
            f"seeds=auto plan, but its stage-two runs recorded N={larger} (the file was "
            "restored from another copy or edited after they ran): the claims are judged "
            f"with the runs' N, seeds 0–{larger - 1}, as the plan ran them; the next "
            "seeds=auto sweep of this setting writes that N back"
        )
    return {**plan, "settings": settings}, lines


def _pilot_backs(
    entry: dict[str, Any],
    experiment: str,
    claims: list[Any],
    values: dict[str, dict[int, dict[str, float]]],
) -> int | None:
    """The most seeds the pilot a saved setting names gives it at any max_seeds: its claimed
    values as the plan kept them (the judged runs' where it did not), its comparisons' other
    sides as judged (`auto_seeds.pilot_backs`)."""
    n0 = entry.get("n0")
    if not isinstance(n0, int):
        return None
    needs = entry.get("needs")
    if not isinstance(needs, dict):  # saved before `needs`: which claims sized it, unsaid
        return None
    metrics = _entry_pilot(entry, experiment, values)
    return auto_seeds.pilot_backs(claims, metrics, n0, experiment, needs)


def _pilot_gives(
    entry: dict[str, Any],
    experiment: str,
    claims: list[Any],
    values: dict[str, dict[int, dict[str, float]]],
    saved_claims: Any = None,
) -> int | None:
    """The N the pilot a saved setting names gives it with each claim sized at the max_seeds
    the entry saved (`caps`; for a claim without one, as `auto_seeds.entry_caps` infers it
    from the plan's `saved_claims`; `auto_seeds.pilot_gives`): `values` are the pilots the
    plans kept (`_kept_pilots`)."""
    n0 = entry.get("n0")
    caps = auto_seeds.entry_caps(entry, saved_claims)
    if not isinstance(n0, int) or caps is None:
        return None
    return auto_seeds.pilot_gives(claims, values, n0, experiment, caps)


def _kept_pilots(
    settings: dict[str, Any],
    hashes: dict[str, str],
    values: dict[str, dict[int, dict[str, float]]],
) -> dict[str, dict[int, dict[str, float]]]:
    """experiment -> the pilot values its judged setting's plan kept: what N was sized from
    (today's runs may have a pilot seed that had failed then, or a comparison's other side
    made again since; sized from them, a plan no sweep edited would be called edited). Each
    kept seed has its run's other metrics (`values`) too: a flat pilot whose runs differ
    elsewhere ran max_seeds, not n0 (the claimed values alone look deterministic)."""
    kept: dict[str, dict[int, dict[str, float]]] = {}
    for experiment, config_hash in hashes.items():
        entry = settings.get(auto_seeds.setting_key(experiment, config_hash)) or {}
        saved = entry.get("pilot_values")
        today = values.get(experiment, {})
        if isinstance(saved, dict):
            kept[experiment] = {
                int(seed): {**today.get(int(seed), {}), **v}
                for seed, v in saved.items()
                if str(seed).isdigit() and isinstance(v, dict)
            }
    return kept


def _entry_pilot(
    entry: dict[str, Any], experiment: str, values: dict[str, dict[int, dict[str, float]]]
) -> dict[str, dict[int, dict[str, float]]]:
    """The judged values with the experiment's claimed values as the plan kept them."""
    kept = entry.get("pilot_values")
    own = dict(values.get(experiment, {}))
    if isinstance(kept, dict):
        for seed, saved in kept.items():
            if str(seed).isdigit() and isinstance(saved, dict):
                own[int(seed)] = {**own.get(int(seed), {}), **saved}
    return {**values, experiment: own}


class LostPlan(NamedTuple):
    """What a judged setting's runs say of the seeds=auto sweep that trained them, when no
    plan for the setting is there to judge them by (records.store.seeds_auto_section)."""

    n0: int
    total: int  # the N stage two's runs recorded
    cap: int | None  # max_seeds


def _lost_plans(
    runs: Any, hashes: dict[str, str], planned: dict[str, tuple[int, int]]
) -> dict[str, LostPlan]:
    """experiment -> what its judged setting's completed runs of stage two say of the
    seeds=auto sweep that trained them, for those no plan covers (the plan file deleted,
    damaged, or without this setting): without it the report would judge them as if no plan
    had existed. Pilot runs alone are no sign of a plan: a report read while the pilot
    trains, or after a sweep stopped before planning, judges a pilot whose size was fixed
    before any data (a plan of N = n0 lost too: the two-stage test is then that same test)."""
    completed = runs[runs["status"] == store.STATUS_COMPLETED]
    seen: dict[str, list[tuple[int, int, int | None]]] = {}
    for experiment, config_hash, n0, total, cap in zip(
        completed["experiment"],
        completed["config_hash"],
        completed["seeds_auto_n0"],
        completed["seeds_auto_n"],
        completed["seeds_auto_max"],
        strict=True,
    ):
        if hashes.get(experiment) != config_hash or experiment in planned:
            continue
        if _count(n0) and _count(total):
            seen.setdefault(str(experiment), []).append(
                (int(n0), int(total), int(cap) if _count(cap) else None)
            )
    lost = {}
    for experiment, marks in seen.items():
        caps = [c for _, _, c in marks if c is not None]
        lost[experiment] = LostPlan(
            max(n0 for n0, _, _ in marks),
            max(t for _, t, _ in marks),
            max(caps) if caps else None,
        )
    return lost


def _count(value: Any) -> bool:
    """A whole number in a pandas cell (None and NaN are not)."""
    try:
        return value is not None and not math.isnan(float(value)) and float(value).is_integer()
    except (TypeError, ValueError):
        return False


def _lost_plan_warnings(
    request: ReportRequest,
    plugin: Any,
    lost: dict[str, LostPlan],
    plan: dict[str, Any] | None,
    problem: str | None,
    values: dict[str, dict[int, dict[str, float]]],
    deviating: frozenset[str] = frozenset(),
    hashes: dict[str, str] | None = None,
) -> list[str]:
    """One line per setting a seeds=auto sweep trained whose plan is gone: where it was,
    which test judges the setting instead and on which seeds, and how to make it again; or,
    when its pilot was made again with other values since stage two ran (`hashes`: the judged
    settings, whose stage-two runs say their pilot), that no plan can be made again from it
    and which sweep trains a new one."""
    lines = []
    path = auto_seeds.plan_path(request.results_dir, request.paper)
    for experiment, mark in sorted(lost.items()):
        if problem:
            why = f"{problem}"
        elif plan is None:
            why = f"{path} does not exist"
        else:
            why = f"{path} has no plan for this setting"
        seeds = sorted(values.get(experiment, {}))
        sizes = f"pilot n0={mark.n0}"
        sizes += f", max_seeds={mark.cap}" if mark.cap is not None else ""
        sizes += f", N={mark.total}"
        judged = _planned_judged(seeds, mark.total)
        past = [seed for seed in seeds if seed >= mark.total]
        if past:
            judged += f" (seeds past N, {seeds_text(past)}, are shown, not judged)"
        # its experiment alone: the paper's other experiments would train pilots, and a
        # comparison planned then for the first time would be refused (it grows this N)
        again = advised_sweep(request, plugin) + f" experiment={shlex.quote(experiment)}"
        again += " seeds=auto" + (f" max_seeds={mark.cap}" if mark.cap is not None else "")
        setting = ""
        if experiment in deviating:  # a pinned setting: the paper's would be planned instead
            setting = " with its setting's overrides (under Commands)"
        changed = []
        if hashes and experiment in hashes:
            changed = auto_seeds.recorded_pilot_changes(
                request.results_dir,
                request.paper,
                experiment,
                hashes[experiment],
                mark.n0,
                values.get(experiment, {}),
            )
        way_back = f"`{again}`{setting} makes the plan again from the same pilot"
        if changed:  # that sweep is refused: its stage two ran before this pilot
            metrics = sorted({m for _, names in changed for m in names})
            one = "value" if len(metrics) == 1 else "values"
            pilot = _seeds_phrase([seed for seed, _ in changed], one, "values")
            way_back = (
                f"{pilot} of {', '.join(metrics)} changed since its stage two ran (made "
                f"again), so no plan can be made again from the pilot that chose N: "
                f"`{again} rerun=true`{setting} trains every seed of a new plan"
            )
        lines.append(
            f"warning: {request.paper}/{experiment}: its runs were trained by `repro sweep "
            f"seeds=auto` ({sizes}) but its seeds=auto plan is missing: {why}. The two-stage "
            f"test needs the plan's pilot, so the claims are judged by the fixed-sample test on "
            f"{judged}, whose error rates do not hold exactly when the number of seeds came "
            f"from the pilot's data; {way_back}"
        )
    return lines


def _say_lost_plan(result: aggregate.ClaimResult, lost: dict[str, LostPlan]) -> Any:
    """A claim on a setting whose seeds=auto plan is gone says so beside its verdict."""
    gone = [e for e in result.claim.experiments() if e in lost]
    if not gone or result.verdict is None:
        return result
    note = (
        f"the seeds=auto plan that chose the seeds of {' and '.join(gone)} is missing, so the "
        "fixed-sample test judged this claim, not the two-stage test the procedure requires "
        "(see the caution above)"
    )
    return replace(result, notes=(*result.notes, note))


def _procedure_text(
    plan: dict[str, Any] | None, pilots: dict[str, int], claims: list[Any] | None = None
) -> str | None:
    """How seeds were chosen, when `seeds=auto` chose them for judged experiments. The claims
    left without the planned power: those of `claims` (the paper's now; None: every claim the
    file has) all of whose experiments a plan governs; a claim renamed or removed since, or
    of a setting whose plan no longer governs, is not the report's to name."""
    if not plan or not pilots:
        return None
    covered = ", ".join(sorted(pilots))
    current = None
    if claims is not None:
        current = {c.id for c in claims if all(e in pilots for e in c.experiments())}
    undecidable = [
        f"{claim}: {target.get('reason')}"
        for claim, target in (plan.get("claims") or {}).items()
        if isinstance(target, dict)
        and (target.get("capped") or target.get("needed") is None)
        and (current is None or claim in current)
    ]
    text = (
        f"{plan.get('procedure', '')} Experiments planned this way: {covered}. Seeds a later "
        "sweep added past a plan's N (a fixed `seeds=`) are shown, hollow in the figure, but "
        "not judged; a plan stops governing once a pilot run is missing or its values of the "
        "claimed metrics change (an identical rerun keeps it)."
    )
    if undecidable:
        text += " Left without the planned power: " + "; ".join(undecidable) + "."
    return text


def _paper_settings(
    plugin: Any, spec: Any
) -> tuple[dict[str, str] | None, dict[str, dict[str, Any]] | None, str | None]:
    """Each experiment's paper setting: its config hash and flat config (as the records'
    `p_` columns hold them). None, with a warning, when the plugin's config does not compose:
    the report then judges the config with the most seeds, as before."""
    from repro.config.paper_setting import default_containers
    from repro.records.table import flatten_config

    try:
        containers = default_containers(plugin.folder, plugin.id, list(spec.experiments))
    except Exception as error:  # a plugin whose config no longer composes: say so, carry on
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return (
            None,
            None,
            (
                f"warning: {plugin.id}: the paper's settings could not be composed ({reason}); "
                "judging each experiment on its config with the most seeds"
            ),
        )
    hashes = {e: store.config_hash(c) for e, c in containers.items()}
    flat = {
        e: {key[2:]: value for key, value in flatten_config(c).items()}
        for e, c in containers.items()
    }
    return hashes, flat, None


def _chosen_configs(
    runs: Any, choices: dict[str, aggregate.ConfigChoice]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Each chosen config as its config.yaml says (exact types), read once per experiment."""
    from repro.records.table import read_flat_config

    configs: dict[str, dict[str, Any]] = {}
    problems = []
    for experiment, choice in choices.items():
        rows = runs[
            (runs["experiment"] == experiment)
            & (runs["config_hash"] == choice.chosen.config_hash)
            & (runs["status"] == store.STATUS_COMPLETED)
        ]
        for record_dir in rows["record_dir"]:
            try:
                configs[experiment] = read_flat_config(Path(record_dir))
                break
            except Exception:  # missing or malformed: try the next seed's copy
                continue
        else:
            problems.append(
                f"warning: no readable config.yaml for {experiment} "
                f"config {choice.chosen.config_hash}"
            )
    return configs, problems


def _commands(
    request: ReportRequest,
    runs: Any,
    plugin: Any,
    spec: Any,
    choices: dict[str, aggregate.ConfigChoice],
    configs: dict[str, dict[str, Any]],
    planned: dict[str, int] | None = None,
    diverged: frozenset[str] = frozenset(),
) -> tuple[list[str], str | None]:
    """`repro sweep` lines that recreate every run the report shows: each setting of each
    experiment (the judged one, those beyond the paper, failed ones) with the seeds it was run
    with and the overrides that make it from the paper's config; then the `repro report` line.
    `planned`: experiment -> N of the judged settings a seeds=auto plan governs, whose
    seeds=auto sweep the note names (the fixed seeds alone make no plan). `diverged`: the
    experiments whose paper's setting ran and every run diverged (`diverged_choices`): their
    claims are judged, so the note does not call them unjudged."""
    from repro.reporting.regenerate import default_configs, setting_overrides, sweep_commands

    papers_dir = _papers_dir_args(plugin)
    note = None
    settings = _run_settings(runs, choices, configs)
    known = [s for s in settings if s[0] in spec.experiments]
    gone = list(dict.fromkeys(s[0] for s in settings if s[0] not in spec.experiments))
    entries: dict[tuple[str, tuple[str, ...]], set[int]] = {}
    presets: dict[str, Any] = {}
    refused: list[str] = []
    try:
        experiments = list(dict.fromkeys(e for e, _, _, _ in known))
        defaults = default_configs(plugin.folder, plugin.id, experiments)
        for experiment, config_hash, seeds, config in known:
            overrides = setting_overrides(
                plugin.folder, plugin.id, experiment, config, defaults, presets
            )
            if (override := _refused_override(overrides)) is not None:
                refused.append(f"{experiment} {config_hash} (`{override}`)")
                continue
            # one setting under several plugin codes (`<hash>+code.<digest>`) is one command
            entries.setdefault((experiment, tuple(overrides)), set()).update(seeds)
    except Exception as error:  # a plugin whose config no longer composes: say so, carry on
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        note = (
            f"The overrides could not be recovered (composing the paper's config failed: "
            f"{reason}); each run's full config is in its config.yaml."
        )
        entries = {
            (e, ()): set(seeds)
            for e, h, seeds, _ in known
            if e in choices and h == choices[e].chosen.config_hash
        }
    chosen = [(e, tuple(sorted(seeds)), list(o)) for (e, o), seeds in entries.items()]
    unjudged = [
        e
        for e in spec.claimed_experiments()
        if e in choices and not choices[e].judged and e in spec.experiments and e not in diverged
    ]
    if unjudged:
        paper = advised_sweep(request, plugin)
        for_verdict = (
            f"The paper's setting of {unjudged[0]} has no completed runs, so its claims are not "
            "judged: "
            if len(unjudged) == 1
            else f"The paper's settings of {', '.join(unjudged)} have no completed runs, so their "
            "claims are not judged: "
        ) + f"`{paper} experiment={','.join(unjudged)}` makes them."
        note = f"{note} {for_verdict}" if note else for_verdict
    if refused:
        cannot = (
            f"Settings that cannot be recreated, so not in the commands: {'; '.join(refused)}: "
            "their runs left a section to the code's own defaults, which repro now refuses, "
            "as the record's config would not say what ran."
        )
        note = f"{note} {cannot}" if note else cannot
    if planned:
        plan_note = _plan_again_note(request, plugin, planned)
        note = f"{note} {plan_note}" if note else plan_note
    if gone:
        missing = f"Experiments no longer in the plugin, so not in the commands: {', '.join(gone)}."
        note = f"{note} {missing}" if note else missing
    commands = sweep_commands(plugin.id, spec.claimed_experiments(), chosen, papers_dir)
    if request.results_dir != DEFAULT_RESULTS_DIR:
        env = f"REPRO_RESULTS_DIR={shlex.quote(str(request.results_dir))} "
        commands = [env + c for c in commands]
    commands.append(report_command(request, papers_dir))
    return commands, note


def _plan_again_note(request: ReportRequest, plugin: Any, planned: dict[str, int]) -> str:
    """The seeds=auto sweeps that make the runs of planned settings with their plan: the
    fixed `seeds=` above trains the same runs, but where no plan is saved (a fresh results
    folder) the report judges them by the fixed-sample test, not this report's two-stage one.
    max_seeds = N gives that N again from the same pilot values."""
    by_n: dict[int, list[str]] = {}
    for experiment, total in planned.items():
        by_n.setdefault(total, []).append(experiment)
    sweeps = [
        f"`{advised_sweep(request, plugin)} experiment={shlex.quote(','.join(names))} "
        f"seeds=auto max_seeds={total}`"
        for total, names in sorted(by_n.items())
    ]
    make, train = ("makes", "trains") if len(sweeps) == 1 else ("make", "train")
    return (
        f"The seeds of {', '.join(planned)} were chosen by seeds=auto: the commands above train "
        "the same runs, but where no plan is saved (a fresh results folder) the report judges "
        f"them by the fixed-sample test; {' and '.join(sweeps)} {make} the plan and {train} its "
        "seeds (the same N where the pilot's runs repeat their values)."
    )


def _refused_override(overrides: list[str]) -> str | None:
    """The override of a recorded setting that `repro sweep` now refuses (`+model=null`, from
    runs made before it was refused): a command with it would fail, not recreate the runs."""
    from repro.config.checks import refuse_removed_sections

    for override in overrides:
        try:
            refuse_removed_sections([override])
        except UsageError:
            return override
    return None


def _run_settings(
    runs: Any, choices: dict[str, aggregate.ConfigChoice], configs: dict[str, dict[str, Any]]
) -> list[tuple[str, str, tuple[int, ...], dict[str, Any]]]:
    """(experiment, config hash, seeds, flat config) of every setting with runs in the report,
    failed and unfinished seeds included (a sweep tries them again): judged settings first,
    then the others as the report lists them. A setting whose config.yaml no record has
    readable is left out (`_chosen_configs` warns about the judged ones)."""
    from repro.records.table import read_flat_config

    groups: dict[tuple[str, str], list[Any]] = {}
    for experiment, config_hash, seed, record_dir in zip(
        runs["experiment"], runs["config_hash"], runs["seed"], runs["record_dir"], strict=True
    ):
        groups.setdefault((str(experiment), str(config_hash)), []).append((int(seed), record_dir))

    def rank(key: tuple[str, str]) -> tuple[int, int, str]:
        choice = choices.get(key[0])
        if choice is None:
            return (2, 0, key[0])
        order = [choice.chosen.config_hash, *(o.config_hash for o in choice.others)]
        position = order.index(key[1]) if key[1] in order else len(order)
        return (0 if position == 0 and choice.judged else 1, position, key[0])

    settings = []
    for key in sorted(groups, key=rank):
        experiment, config_hash = key
        seeds = tuple(sorted({seed for seed, _ in groups[key]}))
        config = None
        choice = choices.get(experiment)
        if choice is not None and choice.chosen.config_hash == config_hash:
            config = configs.get(experiment)
        for _, record_dir in groups[key] if config is None else []:
            try:
                config = read_flat_config(Path(record_dir))
                break
            except Exception:  # missing or malformed: try the next seed's copy
                continue
        if config is not None:
            settings.append((experiment, config_hash, seeds, config))
    return settings


def _papers_dir_args(plugin: Any) -> list[str]:
    """`--papers-dir <folder>` for a plugin found in a papers folder, as a pasted command
    needs to find it again; nothing for a built-in or installed one."""
    if not plugin.origin.startswith("dir "):
        return []
    return ["--papers-dir", str(Path(plugin.origin[4:]).resolve())]  # pasted from anywhere


def advised_sweep(request: ReportRequest, plugin: Any) -> str:
    """`repro sweep paper=<id>` as the report advises it: with the papers folder the plugin
    came from and the results folder reported on, so that, pasted, it finds both."""
    command = shlex.join(["repro", "sweep", *_papers_dir_args(plugin), f"paper={plugin.id}"])
    if request.results_dir != DEFAULT_RESULTS_DIR:
        command = f"REPRO_RESULTS_DIR={shlex.quote(str(request.results_dir))} {command}"
    return command


def report_command(request: ReportRequest, papers_dir: list[str]) -> str:
    words = ["repro", "report", *papers_dir, f"paper={request.paper}"]
    for fmt in FORMATS[1:]:
        if fmt in request.formats:
            words += ["--format", fmt]
    if request.write_csv:
        words.append("--csv")
    for pin in sorted(request.pinned_configs):
        words += ["--config", pin]
    if request.results_dir != DEFAULT_RESULTS_DIR:
        words += ["--results", str(request.results_dir)]
    if request.out_given:
        words += ["--out", str(request.out_dir)]
    return shlex.join(words)


def _figures(
    data: ReportData,
    runs: Any,
    choices: dict[str, aggregate.ConfigChoice],
    experiments: list[str],
    out: Path,
    vector: bool,
) -> dict[str, dict[str, Path]]:
    from repro.reporting.curves import CSV_LOG, non_finite_notes, training_curves
    from repro.reporting.figures import (
        claims_figure,
        curves_figure,
        setting_panels,
        settings_figure,
    )

    figures: dict[str, dict[str, Path]] = {}
    folder = out / "figures"
    paths = claims_figure(data.results, folder / "claims", vector)
    if paths:
        figures["claims"] = {p.suffix[1:]: p for p in paths}
    panels = setting_panels(data.other_settings, data.results)
    paths = settings_figure(panels, folder / "settings", vector)
    if paths:
        figures["settings"] = {p.suffix[1:]: p for p in paths}
    completed = runs[runs["status"] == store.STATUS_COMPLETED]
    record_dirs = {}
    for experiment in experiments:
        rows = completed[
            (completed["experiment"] == experiment)
            & (completed["config_hash"] == choices[experiment].chosen.config_hash)
        ]
        rows = rows.sort_values("seed")
        other = "" if choices[experiment].judged else " (not the paper's setting)"
        label = experiment + other
        record_dirs[label] = [Path(d) for d in rows["record_dir"]]
    curves = training_curves(record_dirs)
    data.curve_notes = non_finite_notes(curves)
    data.curve_runs = any(record_dirs.values())
    data.csv_logs = any((d / CSV_LOG).is_file() for dirs in record_dirs.values() for d in dirs)
    curves = [curve for curve in curves if curve.steps]  # NaN at every step: said, not drawn
    if curves:
        paths = curves_figure(curves, folder / "curves", vector)
        figures["curves"] = {p.suffix[1:]: p for p in paths}
    else:  # "the runs have no CSV logs" must not be said of other settings' runs that have
        data.curves_elsewhere = _curves_elsewhere(completed, choices, experiments)
    _remove_figures_not_drawn(folder, figures)
    return figures


def _curves_elsewhere(
    completed: Any, choices: dict[str, aggregate.ConfigChoice], experiments: list[str]
) -> list[str]:
    """The experiments whose completed runs of a setting other than the one drawn have
    training curves (only the drawn setting's are read for the figure)."""
    from repro.reporting.curves import training_curves

    found = []
    for experiment in experiments:
        rows = completed[
            (completed["experiment"] == experiment)
            & (completed["config_hash"] != choices[experiment].chosen.config_hash)
        ]
        folders = [Path(d) for d in rows.sort_values("seed")["record_dir"]]
        if folders and any(c.steps for c in training_curves({experiment: folders})):
            found.append(experiment)
    return found


FIGURE_FILES = tuple(
    f"{name}.{kind}" for name in ("claims", "settings", "curves") for kind in ("png", "svg")
)
"""The files a report draws in its figures/ folder (SVG: for the PDF, which embeds them)."""


def _remove_figures_not_drawn(folder: Path, figures: dict[str, dict[str, Path]]) -> None:
    """An earlier report's figure this one does not draw (no curves now, no other settings,
    no PDF asked for): left in figures/ beside this report's, it reads as one of them. Only
    the names a report writes are removed; nothing else in the folder is touched."""
    drawn = {path.name for files in figures.values() for path in files.values()}
    for name in FIGURE_FILES:
        if name not in drawn:
            (folder / name).unlink(missing_ok=True)


def _write_outputs(
    data: ReportData,
    request: ReportRequest,
    frame: Any,
    runs: Any,
    choices: dict[str, aggregate.ConfigChoice],
) -> tuple[list[Path], list[str]]:
    """Write the asked formats; an earlier report's other outputs stay (reporting.outputs),
    with a warning for each that no longer matches this report."""
    out = request.out_dir
    links = {name: f"figures/{files['png'].name}" for name, files in data.figures.items()}
    files = [out / "report.md"]
    markdown = render_markdown(data, links)
    write_file(files[0], markdown)
    if "html" in request.formats:
        files.append(out / "report.html")
        write_file(files[-1], render_html(data))
    if "pdf" in request.formats:
        from repro.reporting.pdf import pdf_bytes

        files.append(out / "report.pdf")
        write_file(files[-1], pdf_bytes(render_html(data, pdf=True)))
    if request.write_csv:
        files.append(out / "records.csv")
        write_file(files[-1], _counted(frame, choices).to_csv(index=False))
    return files, keep_earlier_outputs(out, files, _content_digest(data, links))


def _content_digest(data: ReportData, links: dict[str, str]) -> str:
    """The digest of what the report says, less its `repro report` line: that line names the
    formats asked for (--format, --csv), so with it every earlier output of another format
    would read as stale though made from the same records and notes."""
    commands = [c for c in data.commands if not c.startswith("repro report ")]
    return report_digest(
        render_markdown(replace(data, commands=commands), links), data.generated_at
    )


def _counted(frame: Any, choices: dict[str, aggregate.ConfigChoice]) -> Any:
    """The long table with `counted`: whether the row's run is one the claims were judged on."""
    pairs = {(c.experiment, c.chosen.config_hash) for c in choices.values() if c.judged}
    counted = [
        status == store.STATUS_COMPLETED and (experiment, config_hash) in pairs
        for status, experiment, config_hash in zip(
            frame["status"], frame["experiment"], frame["config_hash"], strict=True
        )
    ]
    return frame.assign(counted=counted)


def requests_from_cli(
    arguments: list[str],
    formats: list[str] | None,
    write_csv: bool,
    out: Path | None,
    results: Path | None,
    configs: list[str] | None,
    papers_dir: list[Path] | None,
) -> tuple[list[ReportRequest], bool]:
    """The reports `repro report ...` asks for, and whether the papers were implicit (all
    papers with records, where one without an installed plugin is skipped, not an error)."""
    from repro.errors import UsageError
    from repro.records.table import default_results_dir, record_papers

    papers: list[str] = []
    for argument in arguments:
        key, sep, value = argument.partition("=")
        if not sep or key.lstrip("+") != "paper" or not value:
            raise UsageError(
                f"unexpected argument {argument!r}: give paper=<id>, or nothing to report "
                "every paper that has records"
            )
        papers += [p.strip() for p in value.split(",") if p.strip()]
    chosen_formats = set(parse_formats(formats or []))
    results_dir = default_results_dir(results)
    implicit = not papers
    if implicit:
        _check_results_folder(results_dir)
        papers = record_papers(results_dir)
        if not papers:
            raise ReproError(
                f"no run records under {_where_looked(results_dir)}: make them with "
                "`repro sweep paper=<id>` (`repro papers` lists the papers)"
            )
    papers = list(dict.fromkeys(papers))
    single = len(papers) == 1 and not implicit

    def out_dir(paper: str) -> Path:  # --out is the report folder of one paper, else a parent
        if out is None:
            return DEFAULT_REPORTS_DIR / paper
        return out if single else out / paper

    requests = [
        ReportRequest(
            paper=paper,
            results_dir=results_dir,
            out_dir=out_dir(paper),
            formats=frozenset(chosen_formats),
            write_csv=write_csv,
            pinned_configs=frozenset(configs or []),
            papers_dir=papers_dir,
            out_given=out is not None,
            pins_must_match=single,
        )
        for paper in papers
    ]
    return requests, implicit
