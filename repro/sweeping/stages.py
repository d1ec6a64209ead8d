"""`repro sweep seeds=auto` as stages: the pilot is an ordinary sweep; after it, the plan of
how many seeds each experiment needs (sweeping.auto_seeds), then one sweep of every
experiment's extra seeds. The CLI parses and prints; the steps live here and
return the lines it prints, so they read (and test) without a terminal."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from repro.errors import UsageError
from repro.records import store

Say = Callable[[str], None]
"""Prints one progress line (the CLI's echo); a stage runs long, so lines come as it goes."""


def max_seeds(raw: str | None, auto: bool) -> int | None:
    """`max_seeds=N` (only with seeds=auto): the cap of the two-stage plan; None when not
    given (`cap_for` then makes it the default, or the pilot when that is larger)."""
    from repro.sweeping.two_stage import MAX_SEEDS_LIMIT, MIN_PILOT

    if raw is None:
        return None
    if not auto:
        raise UsageError("max_seeds=N goes with seeds=auto")
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"max_seeds must be an integer, got {raw!r}") from None
    if value < MIN_PILOT:
        raise UsageError(f"max_seeds must be >= {MIN_PILOT} (the smallest pilot), got {value}")
    if value > MAX_SEEDS_LIMIT:
        raise UsageError(
            f"max_seeds must be <= {MAX_SEEDS_LIMIT} (seeds=auto trains up to max_seeds seeds "
            f"per experiment), got {value}"
        )
    return value


def cap_for(given: int | None, pilot: int) -> int:
    """The plan's cap: max_seeds as given, which must not be below the pilot (it would plan
    fewer seeds than the pilot runs); when not given, 30 or the pilot if that is larger (a
    paper whose default_seeds is 40 must not need max_seeds to run seeds=auto)."""
    from repro.sweeping.two_stage import DEFAULT_MAX_SEEDS

    if given is None:
        return max(DEFAULT_MAX_SEEDS, pilot)
    if given < pilot:
        raise UsageError(
            f"max_seeds must be >= the pilot's {pilot} seeds (the paper's default_seeds), "
            f"got {given}"
        )
    return given


def require_one_setting(grid: Any) -> None:
    """seeds=auto plans one setting per experiment: refused before the pilot, not after."""
    if len(grid.fixed_variants) <= 1:
        return
    values: dict[str, set[str]] = {}
    for variant in grid.fixed_variants:
        for override in variant:
            key, _, value = override.partition("=")
            values.setdefault(key, set()).add(value)
    swept = ", ".join(key for key, seen in values.items() if len(seen) > 1)
    raise UsageError(
        "seeds=auto plans one setting per experiment: sweep no other keys "
        f"(here {len(grid.fixed_variants)} settings: {swept})"
    )


class StageTwo(list[tuple[list[str], list[int]]]):
    """Stage two's (experiments, their extra seeds) groups, with the pilot values each
    experiment's plan was made from (`pilot_values`: experiment -> {seed: {metric: value}}),
    which its runs record (`marking`)."""

    pilot_values: dict[str, dict[str, dict[str, float]]]

    def __init__(self, groups: list[tuple[list[str], list[int]]], pilot_values: Any) -> None:
        super().__init__(groups)
        self.pilot_values = pilot_values


@contextlib.contextmanager
def marking(
    auto: bool,
    n0: int,
    cap: int | None,
    stage_two: list[tuple[list[str], list[int]]] | None = None,
    pilot_values: dict[str, Any] | None = None,
) -> Iterator[None]:
    """While a seeds=auto stage trains (`auto`), each run it trains records that it did
    (`store.seeds_auto_section`): the pilot (n0, cap), or stage two with its experiment's N
    and the pilot values its plan was made from (`pilot_values`: experiment -> {seed:
    {metric: value}}), so that a report can tell a plan is missing, and a sweep after the
    plan file was lost can tell its pilot was made again since. Nothing for a sweep of fixed
    seeds."""
    if not auto:
        yield
        return
    stage: dict[str, Any] = {"n0": n0, "max_seeds": cap, "stage": "pilot"}
    if stage_two is not None:
        totals = {e: seeds[-1] + 1 for experiments, seeds in stage_two for e in experiments}
        stage.update(stage="two", seeds=totals)
        if pilot_values:
            stage["pilot_values"] = pilot_values
    saved = os.environ.get(store.SEEDS_AUTO_ENV)
    os.environ[store.SEEDS_AUTO_ENV] = json.dumps(stage)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(store.SEEDS_AUTO_ENV, None)
        else:
            os.environ[store.SEEDS_AUTO_ENV] = saved


def plan_after_pilot(
    paper_id: str,
    spec: Any,
    grid: Any,
    planned: list[Any],
    results_dir: Path,
    cap: int,
    say: Say,
    warn: Say,
) -> StageTwo:
    """Plan each experiment's seeds from the pilot's records, save the plan for the report,
    say what it decided; returns stage two: (experiments, their extra seeds) per sweep."""
    from repro.sweeping import auto_seeds

    records = {(r.experiment, r.seed): _read_record(r.record_dir) for r in planned}
    n0 = len(grid.seeds)
    plan = auto_seeds.plan_seeds(
        spec, auto_seeds.pilot_metrics(records), n0, cap, experiments=list(grid.experiments)
    )
    plan.config_hashes = {r.experiment: r.record_dir.parent.name for r in planned}
    auto_seeds.bind_pilot(plan, spec, records)  # the report checks they are still there
    auto_seeds.refuse_after_seeing(results_dir, paper_id, plan)
    kept = auto_seeds.kept_seeds(results_dir, paper_id, plan)  # a lower cap cuts no seen plan
    if kept:  # its claims are planned at the N kept, not said to be capped at this max_seeds
        auto_seeds.replan_kept(plan, spec, auto_seeds.pilot_metrics(records), kept)
    if not any(r.rerun or r.state.startswith("rerun") for r in planned):  # rerun: all again
        auto_seeds.refuse_a_new_pilot_over_seen_seeds(results_dir, paper_id, plan, records)
    where = auto_seeds.save_plan(results_dir, paper_id, plan)
    for experiment, total in plan.seeds.items():
        say(f"seeds=auto: {experiment} needs {total} seeds in all (pilot {n0})")
    for line in kept_lines(plan, kept):
        say(line)
    say_claims(plan, say, warn)
    for line in auto_seeds.stopped_pilot_lines(records):
        warn(line)
    say(f"seeds=auto: plan saved to {relative(where)}")
    values = {e: auto_seeds._values_entry(v) for e, v in plan.pilot_values.items()}
    return StageTwo(plan.stage_two(), values)


def pilot_not_complete_line(planned: list[Any]) -> str:
    """Why a seeds=auto pilot stops here, and what to do. A seed whose run failed with a
    non-finite loss is retrained as it was by the same sweep again, and diverges again: the
    line names those seeds rather than send the user round that loop."""
    from repro.errors import NonFiniteLossError
    from repro.sweeping.plan import seeds_text

    diverged: dict[str, list[int]] = {}
    others = 0
    for run in planned:
        record = _read_record(run.record_dir) or {}
        if record.get("status") == store.STATUS_COMPLETED:
            continue
        if record.get("status") == store.STATUS_FAILED and NonFiniteLossError.describes(
            record.get("error")
        ):
            diverged.setdefault(run.experiment, []).append(run.seed)
        else:
            others += 1
    line = "seeds=auto: the pilot did not complete"
    if not diverged:
        return f"{line}; sweep again to plan the rest"
    named = "; ".join(
        f"seed{'s' if len(seeds) > 1 else ''} {seeds_text(seeds)} of {experiment}"
        for experiment, seeds in diverged.items()
    )
    line += f": {named} diverged (non-finite loss), and sweeping again trains them as they were"
    if others:
        return f"{line}; sweep again for the {others} other run(s)"
    return f"{line}: `repro report` counts them diverged; a fixed seeds=N sweep trains more"


def kept_lines(plan: Any, kept: dict[str, int]) -> list[str]:
    """Why an experiment's N is above the max_seeds just given: its earlier plan's seeds past
    the pilot ran, and a cap chosen after seeing them would cut it (without this line the
    sweep said '20 seeds in all' of a `max_seeds=10` sweep and nothing of why)."""
    return [
        f"seeds=auto: {experiment} keeps its plan's N={total} above max_seeds={plan.max_seeds}: "
        "its seeds past the pilot have run, and a lower cap chosen after seeing them would "
        "void the two-stage test's error rates"
        for experiment, total in plan.kept_seeds.items()
        if experiment in kept
    ]


def say_claims(plan: Any, say: Say, warn: Say) -> None:
    """One line per claim: its reason, or a warning when the cap (or a broken pilot) may
    leave it undecided; before, such a claim's reason came twice, said then warned."""
    undecidable = plan.undecidable()
    for claim_id, target in plan.claims.items():
        if claim_id in undecidable:
            warn(f"seeds=auto: {claim_id} may stay undecided: {undecidable[claim_id]}")
        else:
            say(f"  {claim_id}: {target.reason}")


def plan_stage_two(
    paper_id: str, wiring: list[str], grid: Any, stage_two: list[tuple[list[str], list[int]]]
) -> list[Any]:
    """Stage two's runs, every group of experiments in one plan: one launch trains them side
    by side (and on the pilot's workers), not one sweep after another."""
    from repro.sweeping.plan import SweepGrid, plan_sweep

    planned: list[Any] = []
    for experiments, seeds in stage_two:
        runs, _ = plan_sweep(paper_id, wiring, SweepGrid(experiments, seeds, grid.fixed_variants))
        planned.extend(runs)
    return planned


def describe(stage_two: list[tuple[list[str], list[int]]]) -> str:
    """`experiment=mlp seed=5,6; experiment=cnn,gru seed=5,6,7`: what stage two trains."""
    return "; ".join(
        f"experiment={','.join(experiments)} seed={','.join(map(str, seeds))}"
        for experiments, seeds in stage_two
    )


def dry_run_lines(
    spec: Any,
    grid: Any,
    planned: list[Any],
    estimates: dict[Path, Any],
    cap: int,
    plugin_folder: Path,
    together: bool = False,
) -> list[str]:
    """What seeds=auto would run after the pilot: the plan itself once the pilot is done
    (`together`: an experiment's extra seeds are one group, one process: its time once)."""
    from repro.sweeping import auto_seeds
    from repro.sweeping.launch import format_seconds

    n0 = len(grid.seeds)
    if any(r.needs_training for r in planned):
        return [
            f"seeds=auto: pilot of {n0} seeds per experiment (above), then up to "
            f"max_seeds={cap} each, as many as the pilot's spread requires "
            "(Stein's two-stage procedure); the plan is known once the pilot is done"
        ]
    records = {(r.experiment, r.seed): _read_record(r.record_dir) for r in planned}
    plan = auto_seeds.plan_seeds(
        spec, auto_seeds.pilot_metrics(records), n0, cap, experiments=list(grid.experiments)
    )
    plan.config_hashes = {r.experiment: r.record_dir.parent.name for r in planned}
    auto_seeds.bind_pilot(plan, spec, records)
    kept: dict[str, int] = {}
    if planned:  # <results>/<paper>/<experiment>/<hash>/seed<N>: what the sweep would refuse
        auto_seeds.refuse_after_seeing(planned[0].record_dir.parents[3], spec.id, plan)
        auto_seeds.refuse_a_new_pilot_over_seen_seeds(
            planned[0].record_dir.parents[3], spec.id, plan, records
        )
        kept = auto_seeds.kept_seeds(planned[0].record_dir.parents[3], spec.id, plan)
        if kept:  # the N the sweep keeps (a lower max_seeds cuts no plan whose seeds ran)
            auto_seeds.replan_kept(plan, spec, auto_seeds.pilot_metrics(records), kept)
    per_run = {r.experiment: estimates.get(r.record_dir) for r in planned}
    setting = {r.experiment: r.record_dir.parent for r in planned}
    lines: list[str] = []
    total: float | None = 0.0
    for experiment, seeds in plan.seeds.items():
        extra = range(n0, seeds)
        done = sum(
            _completed_current(setting[experiment] / f"seed{s}", plugin_folder) for s in extra
        )
        each = per_run.get(experiment)
        left = len(extra) - done
        cost = None if each is None else (min(left, 1) if together else left) * each
        total = None if total is None or cost is None else total + cost
        lines.append(
            f"seeds=auto: {experiment}: {seeds} seeds in all, {len(extra)} beyond the pilot, "
            f"{len(extra) - done} still to run (~{format_seconds(cost)})"
        )
    lines += kept_lines(plan, kept)
    for claim_id, reason in plan.undecidable().items():
        lines.append(f"seeds=auto: {claim_id} may stay undecided: {reason}")
    lines += auto_seeds.stopped_pilot_lines(records)
    lines.append(f"seeds=auto: estimated time of the remaining runs: {format_seconds(total)}")
    return lines


def relative(path: Path) -> str:
    """A path relative to the current folder when it is below it (shorter in tables)."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _completed_current(folder: Path, plugin_folder: Path) -> bool:
    """A completed record made by the plugin code as it is now (what a sweep would skip)."""
    from repro.records.fingerprint import stale_reason

    record = _read_record(folder)
    if not record or record.get("status") != store.STATUS_COMPLETED:
        return False
    return stale_reason(record, plugin_folder) is None


def _read_record(folder: Path) -> dict[str, Any] | None:
    try:
        return store.read_record(folder)
    except (OSError, ValueError):
        return None
