"""`repro sweep seeds=auto`: from a pilot's records to the number of seeds each experiment needs.

The statistics live in `repro.sweeping.two_stage` (Stein's procedure); this module maps a paper's
claims
onto it: which values each claim is judged on, which margin it has, and the resulting number of
seeds per experiment (the largest any of its claims needs). The plan is written beside the
records (`<results>/<paper>/.seeds_auto.json`) so the report can state the procedure and judge
the claims with the pilot's spread, as the procedure requires.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from repro import stats
from repro.plugins.paper_spec import Claim, PaperSpec
from repro.records import store
from repro.sweeping import two_stage

PLAN_FILE = ".seeds_auto.json"

# metrics[experiment][seed][metric] = value, from the pilot's completed records
PilotMetrics = dict[str, dict[int, dict[str, float]]]


@dataclass
class AutoSeedPlan:
    """Seeds per experiment, and per claim how many it needs and why."""

    n0: int
    max_seeds: int
    alpha: float
    power: float
    seeds: dict[str, int] = field(default_factory=dict)
    claims: dict[str, two_stage.SeedTarget] = field(default_factory=dict)
    config_hashes: dict[str, str] = field(default_factory=dict)  # experiment -> its setting
    claim_experiments: dict[str, list[str]] = field(default_factory=dict)  # claim -> its runs
    # claim -> the max_seeds its need was sized at (this sweep's, or a kept N: `replan_kept`):
    # saved per setting (`caps`), so the report can size N from the pilot again and tell a
    # lower max_seeds from a plan file edited to a lower N (`pilot_gives`)
    claim_caps: dict[str, int] = field(default_factory=dict)
    # experiment -> {pilot seed: its record's finish time}: the runs the plan was made from
    pilot_runs: dict[str, dict[int, str]] = field(default_factory=dict)
    # experiment -> {pilot seed: {claimed metric: value}}: the data N was chosen from, which
    # binds the plan (see `pilot_changes`)
    pilot_values: PilotMetrics = field(default_factory=dict)
    # experiment -> N kept above max_seeds: the same pilot's earlier plan of a higher cap,
    # whose seeds past the pilot ran (`kept_seeds`); max_seeds is this sweep's, not its cap
    kept_seeds: dict[str, int] = field(default_factory=dict)
    # experiment -> the most seeds this pilot gives it at any max_seeds (`pilot_backs`): an
    # earlier plan's N above it, with no stage-two run of it, no sweep chose (not saved)
    backs: dict[str, int | None] = field(default_factory=dict)
    # the paper's claims this plan sized, to size a saved entry again at its caps (not saved)
    planned_claims: list[Claim] = field(default_factory=list)
    # every metric of the pilot's runs it was planned from: the claimed values alone make a
    # flat pilot whose runs differ elsewhere look deterministic (not saved)
    pilot_metrics: PilotMetrics = field(default_factory=dict)

    def stage_two(self) -> list[tuple[list[str], list[int]]]:
        """The runs still to do after the pilot: (experiments, seeds) groups sharing seeds."""
        groups: dict[int, list[str]] = {}
        for experiment, total in self.seeds.items():
            if total > self.n0:
                groups.setdefault(total, []).append(experiment)
        return [(names, list(range(self.n0, total))) for total, names in sorted(groups.items())]

    def undecidable(self) -> dict[str, str]:
        """Claims the cap (or a broken pilot) leaves without the planned power, and why."""
        return {
            claim_id: target.reason
            for claim_id, target in self.claims.items()
            if target.capped or target.needed is None
        }

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("backs", None)  # what the sweep checks the saved plan against, not a plan
        data.pop("planned_claims", None)
        data.pop("pilot_metrics", None)
        data["procedure"] = two_stage.PROCEDURE.format(power=self.power, alpha=self.alpha)
        return json.dumps(data, indent=2) + "\n"


def claim_values(claim: Claim, metrics: PilotMetrics, seeds: list[int]) -> list[float]:
    """The per-seed values a claim is judged on: the metric, or A − B per seed (paired)."""

    def value(experiment: str, seed: int) -> float:
        number = metrics.get(experiment, {}).get(seed, {}).get(claim.metric)
        return float(number) if isinstance(number, (int, float)) else math.nan

    if claim.kind == "comparison" and claim.versus:
        return [value(claim.experiment, s) - value(claim.versus, s) for s in seeds]
    return [value(claim.experiment, s) for s in seeds]


def runs_identical(metrics: PilotMetrics, experiments: list[str], seeds: list[int]) -> bool:
    """Whether each experiment's runs of `seeds` logged the same value of every metric they
    all logged: only then are identical pilot values a deterministic run, not a metric too
    coarse to show s0 (a metric some seed lacks tells nothing either way)."""
    for experiment in experiments:
        runs = [metrics.get(experiment, {}).get(seed, {}) for seed in seeds]
        for metric in set(runs[0]).intersection(*runs[1:]) if runs else ():
            if not stats.same_values([run[metric] for run in runs]):
                return False
    return True


def plan_seeds(
    spec: PaperSpec,
    metrics: PilotMetrics,
    n0: int,
    max_seeds: int = two_stage.DEFAULT_MAX_SEEDS,
    alpha: float = 0.05,
    power: float = two_stage.DEFAULT_POWER,
    experiments: list[str] | None = None,
) -> AutoSeedPlan:
    """Seeds each experiment needs in total (never fewer than the pilot's n0)."""
    plan = AutoSeedPlan(n0=n0, max_seeds=max_seeds, alpha=alpha, power=power)
    chosen = experiments or spec.claimed_experiments()
    plan.seeds = {name: n0 for name in chosen}
    for claim in spec.claims:
        if not all(name in plan.seeds for name in claim.experiments()):
            continue
        target = _target(claim, metrics, n0, max_seeds, alpha, power)
        plan.claims[claim.id] = target
        plan.claim_experiments[claim.id] = claim.experiments()
        plan.claim_caps[claim.id] = max_seeds
        for name in claim.experiments():
            plan.seeds[name] = max(plan.seeds[name], target.needed or n0)
    planned = [claim for claim in spec.claims if claim.id in plan.claims]
    plan.planned_claims = planned
    plan.pilot_metrics = metrics
    plan.backs = {
        name: pilot_backs(planned, metrics, n0, name, alpha=alpha, power=power) for name in chosen
    }
    return plan


def pilot_backs(
    claims: list[Claim],
    metrics: PilotMetrics,
    n0: int,
    experiment: str,
    named: Any = (),
    alpha: float = 0.05,
    power: float = two_stage.DEFAULT_POWER,
) -> int | None:
    """The most seeds a seeds=auto plan of this pilot (`metrics`, seeds 0..n0-1) gives
    `experiment` at any max_seeds: the largest need of its claims that the pilot can size
    (at most MAX_SEEDS_LIMIT; a flat pilot too coarse to size N runs max_seeds, so that).
    A lower N may be a lower max_seeds (`pilot_gives` checks it at the saved caps); a plan
    file's N above it, with no stage-two run to back
    it, no sweep chose from this pilot (edited, copied in from elsewhere, or the claims
    changed since): trusted, a fixed sweep's seeds up to it would be judged as planned. None
    when a claim the plan names (`named`) cannot be sized from `metrics` (its runs gone)."""
    pilot = range(n0)
    sized: dict[str, int] = {}
    for claim in claims:
        names = claim.experiments()
        if experiment not in names or not all(
            claim.metric in metrics.get(name, {}).get(seed, {}) for name in names for seed in pilot
        ):
            continue
        target = _target(claim, metrics, n0, two_stage.MAX_SEEDS_LIMIT, alpha, power)
        sized[claim.id] = int(target.needed or n0)
    if not set(named) <= set(sized):
        return None
    return max([n0, *sized.values()])


def pilot_gives(
    claims: list[Claim],
    metrics: PilotMetrics,
    n0: int,
    experiment: str,
    caps: Any,
    alpha: float = 0.05,
    power: float = two_stage.DEFAULT_POWER,
) -> int | None:
    """The N a seeds=auto plan of this pilot gives `experiment` with each claim sized at the
    max_seeds it was planned with (`caps`: claim -> cap, as a setting saves them): a saved N
    below it was not chosen by any sweep (a lower max_seeds lowers the caps too), so the plan
    file was edited. None when a claim `caps` names is not one of `claims` on `experiment`,
    or cannot be sized from `metrics` (its runs gone): nothing to check it against."""
    if not isinstance(caps, dict) or not caps:
        return None
    pilot = range(n0)
    on = {claim.id: claim for claim in claims if experiment in claim.experiments()}
    needs = []
    for claim_id, cap in caps.items():
        claim = on.get(claim_id)
        if claim is None or not isinstance(cap, int) or isinstance(cap, bool) or cap < n0:
            return None
        names = claim.experiments()
        if not all(
            claim.metric in metrics.get(name, {}).get(seed, {}) for name in names for seed in pilot
        ):
            return None
        needs.append(int(_target(claim, metrics, n0, cap, alpha, power).needed or n0))
    return max([n0, *needs])


def entry_caps(entry: dict[str, Any], saved_claims: Any) -> dict[str, int] | None:
    """claim -> the max_seeds a saved setting's claims were sized at, for `pilot_gives`: its
    `caps`, or, for a claim it saved none of (an older plan, or the key deleted), the
    max_seeds the plan's `claims` say it ran (capped, or a flat pilot too coarse to size N,
    which runs max_seeds: its `needed`, when not below the entry's need), else no cap
    (`two_stage.MAX_SEEDS_LIMIT`):
    trusted, a missing cap let a file edited to any lower N stop the two-stage test there.
    The plan's `claims` are the latest sweep's, keyed by claim: what a setting read there
    before another setting's plan replaced it, it keeps as its own `claims`
    (`_keep_claims_read`). None when the entry names no claims' needs."""
    needs, caps = entry.get("needs"), entry.get("caps")
    if not isinstance(needs, dict) or not needs:
        return None
    known = caps if isinstance(caps, dict) else {}
    saved = saved_claims if isinstance(saved_claims, dict) else {}
    own = entry.get("claims")
    saved = {**saved, **own} if isinstance(own, dict) else saved
    inferred: dict[str, int] = {}
    for claim_id, need in needs.items():
        if claim_id in known:
            inferred[claim_id] = known[claim_id]
            continue
        target = saved.get(claim_id)
        target = target if isinstance(target, dict) else {}
        reason, ran = target.get("reason"), target.get("needed")
        at_cap = target.get("capped") is True or (
            isinstance(reason, str) and stats.TOO_COARSE in reason
        )
        # a capped (or too-coarse) claim's `needed` is the max_seeds it ran: an entry edited
        # below it is not a lower max_seeds; one above it was sized at another (unknown) cap
        known_cap = isinstance(ran, int) and not isinstance(ran, bool) and ran >= need
        inferred[claim_id] = ran if at_cap and known_cap else two_stage.MAX_SEEDS_LIMIT
    return inferred


def _keep_claims_read(entry: Any, saved_claims: Any) -> Any:
    """`entry` with, as its own `claims`, what `entry_caps` reads in the plan's `claims` for
    each of its claims without a saved cap (an older plan's setting), before a later plan of
    another setting of the same claim replaces them there (they are the latest sweep's)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("needs"), dict):
        return entry
    caps, own = entry.get("caps"), entry.get("claims")
    known = caps if isinstance(caps, dict) else {}
    read = {**(saved_claims if isinstance(saved_claims, dict) else {})}
    read.update(own if isinstance(own, dict) else {})
    kept = {
        claim_id: {
            k: read[claim_id][k] for k in ("needed", "capped", "reason") if k in read[claim_id]
        }
        for claim_id in entry["needs"]
        if claim_id not in known and isinstance(read.get(claim_id), dict)
    }
    rest = {k: v for k, v in entry.items() if k != "claims"}
    return {**rest, "claims": kept} if kept else rest


def sized_by_claims(spec: PaperSpec, experiments: list[str]) -> set[str]:
    """The experiments of `experiments` whose N a plan of them sizes from the pilot's data:
    those of a claim all of whose experiments are planned (`plan_seeds`). Any other one's N
    is its pilot's, whatever the data, so seeds seen past it chose nothing."""
    chosen = set(experiments)
    return {
        name
        for claim in spec.claims
        if set(claim.experiments()) <= chosen
        for name in claim.experiments()
    }


def _target(
    claim: Claim, metrics: PilotMetrics, n0: int, cap: int, alpha: float, power: float
) -> two_stage.SeedTarget:
    """The seeds one claim needs from its pilot of `n0` seeds, at most `cap`."""
    pilot = list(range(n0))
    lacking = _pilot_lacks(claim, metrics, pilot)
    if lacking:
        return two_stage.SeedTarget(None, False, f"{lacking}: cannot plan")
    return two_stage.target_for(
        claim_values(claim, metrics, pilot),
        claim.tolerance,
        claim.kind == "value",
        cap,
        alpha,
        power,
        runs_identical(metrics, claim.experiments(), pilot),
    )


def _pilot_lacks(claim: Claim, metrics: PilotMetrics, pilot: list[int]) -> str | None:
    """Which pilot seeds have no value of the claim's metric, and why: the run did not
    complete, or completed without logging it (the metric named wrong, or logged only
    sometimes); None when every one has a value. Not "not finite": nothing diverged."""
    from repro.sweeping.plan import seeds_text

    unrun: list[tuple[str, list[int]]] = []
    unlogged: list[tuple[str, list[int]]] = []
    for name in dict.fromkeys(claim.experiments()):
        runs = metrics.get(name, {})
        unrun.append((name, [seed for seed in pilot if seed not in runs]))
        unlogged.append((name, [s for s in pilot if s in runs and claim.metric not in runs[s]]))

    def which(found: list[tuple[str, list[int]]]) -> str:
        return " and ".join(
            f"pilot {'seed' if len(seeds) == 1 else 'seeds'} {seeds_text(seeds)} of {name}"
            for name, seeds in found
            if seeds
        )

    parts = []
    if which(unrun):
        one = sum(len(seeds) for _, seeds in unrun) == 1
        parts.append(f"{which(unrun)} {'has' if one else 'have'} no {COUNTED_RUN}")
    if which(unlogged):
        parts.append(f"{which(unlogged)} completed without logging {claim.metric}")
    return "; ".join(parts) or None


def kept_seeds(results_dir: Path, paper: str, plan: AutoSeedPlan) -> dict[str, int]:
    """experiment -> the N of this pilot's earlier plan that saving `plan` keeps (`save_plan`:
    a lower max_seeds does not cut a plan whose seeds past the pilot ran), where it is above
    the N this plan gives."""
    earlier = readable_plan(results_dir, paper)
    settings = (earlier.get("settings") or _legacy_settings(earlier)) if earlier else {}
    kept = {}
    for experiment, config_hash in plan.config_hashes.items():
        if experiment not in plan.seeds:
            continue
        before = settings.get(setting_key(experiment, config_hash)) or {}
        before = _as_recorded(results_dir, paper, experiment, config_hash, before, plan)
        ran_to = _ran_to(results_dir, paper, plan, experiment, config_hash, before)
        if (
            isinstance(ran_to, int)
            and plan.seeds[experiment] < ran_to
            and _completed_past(results_dir, paper, experiment, config_hash, plan.n0, ran_to)
        ):
            kept[experiment] = ran_to
    return kept


def replan_kept(
    plan: AutoSeedPlan, spec: PaperSpec, metrics: PilotMetrics, kept: dict[str, int]
) -> AutoSeedPlan:
    """`plan` with the claims on experiments whose earlier N is kept (`kept_seeds`) planned at
    that N, not at this sweep's lower max_seeds: their reasons (printed, saved, stated by the
    report) said "more than max_seeds=<lower>" and "may stay undecided" of a claim judged on
    the kept N's seeds. A claim with an experiment whose N is not kept keeps this plan's cap
    (its pairs stop at that experiment's N)."""
    for claim in spec.claims:
        if claim.id not in plan.claims or not all(e in kept for e in claim.experiments()):
            continue
        cap = min(kept[e] for e in claim.experiments())
        target = _target(claim, metrics, plan.n0, cap, plan.alpha, plan.power)
        plan.claims[claim.id] = target
        plan.claim_caps[claim.id] = cap
        for name in claim.experiments():
            plan.seeds[name] = max(plan.seeds[name], target.needed or plan.n0)
    for experiment, total in kept.items():  # as `save_plan` keeps it
        plan.seeds[experiment] = max(plan.seeds[experiment], total)
    plan.kept_seeds = {e: n for e, n in plan.seeds.items() if e in kept and n > plan.max_seeds}
    return plan


def _ran_to(
    results_dir: Path,
    paper: str,
    plan: AutoSeedPlan,
    experiment: str,
    config_hash: str,
    before: dict[str, Any],
) -> Any:
    """The N the same pilot's earlier plan of the setting ran to (`before`: its saved entry as
    stage two recorded it; its stage-two runs' N when the file lost it), or None."""
    pilot = _pilot_entry(plan.pilot_runs.get(experiment))
    values = _values_entry(plan.pilot_values.get(experiment))
    same = before.get("n0") == plan.n0 and not _other_pilot(before, pilot, values)
    ran_to = before.get("seeds") if same else None  # the same pilot's earlier N
    if not before:  # the plan file lost it: stage two's runs still say their N
        recorded = _recorded_plan(results_dir, paper, experiment, config_hash, plan.n0)
        other = recorded and _other_recorded_pilot(recorded, plan, experiment)
        ran_to = recorded["seeds"] if recorded and not other else None
    return ran_to


def _other_recorded_pilot(recorded: dict[str, Any], plan: AutoSeedPlan, experiment: str) -> bool:
    """Whether the plan stage two's runs recorded (`_recorded_plan`) was made from another
    pilot than this plan's: its values, where the runs say them (`_other_pilot`)."""
    values = _values_entry(plan.pilot_values.get(experiment))
    return "pilot_values" in recorded and _other_pilot(recorded, {}, values)


def plan_path(results_dir: Path, paper: str) -> Path:
    return Path(results_dir) / paper / PLAN_FILE


def save_plan(results_dir: Path, paper: str, plan: AutoSeedPlan) -> Path:
    """Write the plan beside the earlier ones: each setting's seeds were chosen from its own
    pilot, and a later seeds=auto sweep of another experiment or setting must not turn them
    back into fixed-sample data (`settings` keeps every setting's n0 and N; the top-level
    fields are the latest sweep's). A later plan of the same pilot with a lower max_seeds
    lowers N only where no seed of the plan past the pilot has run (`plan.seeds` then says
    the N kept): a cut chosen after seeing those seeds (past the cut, or before it, whose
    interim verdict the report shows) would let the user pick where the test stops; a
    higher one is refused then (`_refuse_a_raise_after_seeing`)."""
    path = plan_path(results_dir, paper)
    with _plan_lock(path):  # another sweep of this paper may be saving its plan now
        return _merge_and_write(results_dir, paper, plan, path)


@contextlib.contextmanager
def _plan_lock(path: Path) -> Iterator[None]:
    """Hold the plan file's lock (`.seeds_auto.json.lock`, blocking) while it is read,
    merged and written: two sweeps saving at once would each drop the other's settings."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _merge_and_write(results_dir: Path, paper: str, plan: AutoSeedPlan, path: Path) -> Path:
    data = json.loads(plan.to_json())
    earlier = readable_plan(results_dir, paper)
    settings = dict(earlier.get("settings") or _legacy_settings(earlier)) if earlier else {}
    planned: set[str] = set()
    for experiment, config_hash in plan.config_hashes.items():
        if experiment in plan.seeds:
            key = setting_key(experiment, config_hash)
            planned.add(key)
            needs = _claim_needs(plan, experiment)
            caps = {c: plan.claim_caps[c] for c in needs if c in plan.claim_caps}
            before = settings.get(key) or {}
            before = _as_recorded(results_dir, paper, experiment, config_hash, before, plan)
            floor = plan.n0
            pilot = _pilot_entry(plan.pilot_runs.get(experiment))
            values = _values_entry(plan.pilot_values.get(experiment))
            same = before.get("n0") == plan.n0 and not _other_pilot(before, pilot, values)
            _refuse_after_seeing(results_dir, paper, plan, experiment, before, same, False)
            if not same:
                pass  # another pilot: its seeds were chosen from other data
            elif isinstance(before.get("needs"), dict):
                # the same pilot: claims only an earlier sweep planned (a comparison with an
                # experiment this one left out) keep their N; claims planned again take the new
                needs = {**before["needs"], **needs}
                earlier_caps = before.get("caps")
                earlier_caps = earlier_caps if isinstance(earlier_caps, dict) else {}
                caps = {c: n for c, n in {**earlier_caps, **caps}.items() if c in needs}
            else:
                floor = int(before["seeds"])  # a plan saved before `needs`
            total = max([floor, plan.n0, plan.seeds[experiment], *needs.values()])
            ran_to = _ran_to(results_dir, paper, plan, experiment, config_hash, before)
            # any seed past the pilot: one before the cut showed an interim verdict
            if (
                isinstance(ran_to, int)
                and total < ran_to
                and _completed_past(results_dir, paper, experiment, config_hash, plan.n0, ran_to)
            ):
                total = plan.seeds[experiment] = ran_to  # the sweep says this N too
            settings[key] = {"n0": plan.n0, "seeds": total, "needs": needs}
            if caps and set(caps) == set(needs):  # every claim's cap known: N can be checked
                settings[key]["caps"] = caps
            if pilot:
                settings[key]["pilot"] = pilot
            if values:
                settings[key]["pilot_values"] = values
            own = before.get("claims") if same else None  # claims it keeps, not planned now
            if isinstance(own, dict):
                settings[key]["claims"] = {c: t for c, t in own.items() if c not in plan.claims}
    earlier_claims = (earlier or {}).get("claims")
    earlier_claims = earlier_claims if isinstance(earlier_claims, dict) else {}
    merged_claims = {**earlier_claims, **data["claims"]}  # what the settings planned now read
    settings = {
        key: _keep_claims_read(entry, merged_claims if key in planned else earlier_claims)
        for key, entry in settings.items()
    }
    data["settings"] = settings
    if earlier:  # claims of experiments this sweep did not plan keep their reasons
        data["claims"] = merged_claims
    store.atomic_write_text(path, json.dumps(data, indent=2) + "\n")
    return path


def refuse_after_seeing(results_dir: Path, paper: str, plan: AutoSeedPlan) -> None:
    """A UsageError when this plan would choose an N after seeds past its pilot could be seen
    (`_refuse_after_seeing`): asked by the sweep before it saves the plan, and by a dry run."""
    earlier = readable_plan(results_dir, paper)
    settings = (earlier.get("settings") or _legacy_settings(earlier)) if earlier else {}
    sized = {name for names in plan.claim_experiments.values() for name in names}
    for experiment, config_hash in plan.config_hashes.items():
        before = settings.get(setting_key(experiment, config_hash)) or {}
        if experiment not in plan.seeds or experiment not in sized:
            continue  # no claim sizes its N (`sized_by_claims`): nothing chosen after seeing
        before = _as_recorded(results_dir, paper, experiment, config_hash, before, plan)
        pilot = _pilot_entry(plan.pilot_runs.get(experiment))
        values = _values_entry(plan.pilot_values.get(experiment))
        same = before.get("n0") == plan.n0 and not _other_pilot(before, pilot, values)
        _refuse_after_seeing(results_dir, paper, plan, experiment, before, same, True)


def refuse_a_new_pilot_over_seen_seeds(
    results_dir: Path,
    paper: str,
    plan: AutoSeedPlan,
    records: dict[tuple[str, int], dict[str, Any] | None],
) -> None:
    """A UsageError when this plan replaces a plan of the same pilot size whose pilot runs
    were made again with other values (`repro run ... rerun=true` of the pilot seeds), while
    seeds its stage two ran stay, trained by the same code before the new pilot: the new N
    would be chosen after those seeds' verdict was read (rerun the pilot until N suits), and
    the report would judge them with it by the two-stage test. Not asked by a `rerun=true`
    sweep (it trains stage two again) nor when those seeds are stale (they train again).
    Seeds of the new pilot's code past it that no stage two trained (a fixed sweep's, run
    after the code changed) refuse it as they refuse a first plan (`_fixed_past_pilot`)."""
    earlier = readable_plan(results_dir, paper)
    settings = (earlier.get("settings") or _legacy_settings(earlier)) if earlier else {}
    sized = {name for names in plan.claim_experiments.values() for name in names}
    for experiment, config_hash in plan.config_hashes.items():
        before = settings.get(setting_key(experiment, config_hash)) or {}
        if not before:  # the plan file lost it: stage two's runs say their N and pilot
            before = _recorded_plan(results_dir, paper, experiment, config_hash, plan.n0) or {}
        before = _as_recorded(results_dir, paper, experiment, config_hash, before, plan)
        if experiment not in plan.seeds or before.get("n0") != plan.n0:
            continue
        ran_to = before.get("seeds")
        pilot = _pilot_entry(plan.pilot_runs.get(experiment))
        values = _values_entry(plan.pilot_values.get(experiment))
        if not isinstance(ran_to, int) or not _other_pilot(before, pilot, values):
            continue
        runs = [r for (e, _), r in records.items() if e == experiment and r]
        digests = {_code_digest(r) for r in runs}
        started = min((store.finished_at(r) for r in runs), default="")
        seen = set()
        for folder in _seed_folders(results_dir, paper, experiment, config_hash):
            if not plan.n0 <= int(folder.name[4:]) < ran_to:
                continue
            try:
                record = store.read_record(folder)
            except (OSError, ValueError):
                continue
            if (
                record
                and record.get("status") == store.STATUS_COMPLETED
                and _code_digest(record) in digests
                and store.finished_at(record) < started
            ):
                seen.add(int(folder.name[4:]))
        if seen:
            from repro.errors import UsageError
            from repro.sweeping.plan import seeds_text

            raise UsageError(
                f"seeds=auto: {paper}/{experiment}'s pilot seeds were made again with other "
                f"values since its plan of N={ran_to}, whose seeds {seeds_text(sorted(seen))} "
                "ran before them with the same code: a plan made from the new pilot would "
                "choose N after those could be seen, which voids the two-stage test's error "
                "rates; sweep with rerun=true to train every seed of a new plan again (the "
                "report judges the old seeds by the fixed-sample test until then)"
            )
        fixed = _fixed_past_pilot(results_dir, paper, experiment, config_hash, plan.n0, digests)
        if fixed and experiment in sized:
            raise _first_plan_refusal(paper, experiment, plan.n0, fixed, {})


def _fixed_past_pilot(
    results_dir: Path, paper: str, experiment: str, config_hash: str, n0: int, pilot: set[Any]
) -> list[int]:
    """The seeds from `n0` completed by the pilot's code (`pilot`: its runs' digests) that no
    seeds=auto stage two of a pilot of `n0` trained: a fixed sweep's, e.g. `seeds=10` after
    the code changed, which retrained the pilot too. A new pilot's plan over them is a first
    plan over seen seeds (`_first_plan_refusal`), though an older pilot's plan is saved."""
    seen = []
    for seed, record in _completed_records(results_dir, paper, experiment, config_hash):
        section = record.get("seeds_auto")
        ours = isinstance(section, dict) and (section.get("stage"), section.get("n0")) == (
            "two",
            n0,
        )
        if seed >= n0 and not ours and _same_code(pilot, {_code_digest(record)}):
            seen.append(seed)
    return sorted(set(seen))


def _code_digest(record: dict[str, Any]) -> Any:
    """The plugin code's digest a record was made by (None when it does not say)."""
    code = record.get("code")
    plugin = code.get("plugin") if isinstance(code, dict) else None
    return plugin.get("digest") if isinstance(plugin, dict) else None


def _refuse_after_seeing(
    results_dir: Path,
    paper: str,
    plan: AutoSeedPlan,
    experiment: str,
    before: dict[str, Any],
    same: bool,
    first: bool,
) -> None:
    """A UsageError when this plan's N for `experiment` would be chosen after seeds past its
    pilot could be seen: a raise of the same pilot's plan (`before`: its saved entry, or what
    stage two's runs recorded of it when the file lost it), or (`first`: the sweep asks, not
    `save_plan`, which stores what it is given) a first plan of a setting whose seeds past
    the pilot another sweep ran already."""
    if same:
        _refuse_a_raise_after_seeing(results_dir, paper, plan, experiment, before)
        return
    if before and before.get("n0") == plan.n0:
        return  # another pilot (retrained, other values): its seeds are chosen from other data
    # no plan of this pilot's size: a larger pilot over the seeds an earlier plan's stage two
    # ran is no new data, so it is a first plan like any other (below)
    config_hash = plan.config_hashes[experiment]
    recorded = _recorded_plan(results_dir, paper, experiment, config_hash, plan.n0)
    if recorded and _other_recorded_pilot(recorded, plan, experiment):
        return  # made again since (`refuse_a_new_pilot_over_seen_seeds` asks of its seeds)
    if recorded:  # the plan file lost: stage two's runs still say their N
        _refuse_a_raise_after_seeing(results_dir, paper, plan, experiment, recorded)
        return
    if not first:
        return
    seen = _seen_of_the_pilots_code(results_dir, paper, experiment, config_hash, plan.n0)
    if seen:
        raise _first_plan_refusal(paper, experiment, plan.n0, seen, before)


def refuse_a_first_plan_before_its_pilot(
    results_dir: Path, paper: str, n0: int, config_hashes: dict[str, str], digest: str
) -> None:
    """The refusal of a first plan over seeds a fixed sweep ran (`_refuse_after_seeing`), asked
    before the pilot trains wherever it is known then: the pilot trains with today's plugin
    code (`digest`), so seeds past it of that code refuse any plan it could give (before, the
    pilot trained first, minutes to hours, then the sweep was refused). `config_hashes`:
    experiment -> its pilot's folder. A setting with a plan of this pilot's size, or whose
    stage-two runs still say their plan, is judged once the pilot's data is known."""
    earlier = readable_plan(results_dir, paper)
    settings = (earlier.get("settings") or _legacy_settings(earlier)) if earlier else {}
    for experiment, config_hash in config_hashes.items():
        before = settings.get(setting_key(experiment, config_hash)) or {}
        before = _as_recorded(results_dir, paper, experiment, config_hash, before)
        if before.get("n0") == n0 or _recorded_plan(
            results_dir, paper, experiment, config_hash, n0
        ):
            continue
        seen = sorted(
            seed
            for seed, record in _completed_records(results_dir, paper, experiment, config_hash)
            if seed >= n0 and _same_code({digest}, {_code_digest(record)})
        )
        if seen:
            raise _first_plan_refusal(paper, experiment, n0, sorted(set(seen)), before)


def _first_plan_refusal(
    paper: str, experiment: str, n0: int, seen: list[int], before: dict[str, Any]
) -> Exception:
    """Why a first plan of a setting with seeds `seen` past its pilot (of `n0`) is refused."""
    from repro.errors import UsageError
    from repro.sweeping.plan import seeds_text

    return UsageError(
        f"seeds=auto: {paper}/{experiment} has seeds {seeds_text(seen)} completed past its "
        f"pilot of {n0}, by a sweep that is not this pilot's seeds=auto plan: a plan made "
        "now would choose N after they could be seen (the two-stage test on a subset picked "
        "after the fixed-sample verdict), which voids its error rates; "
        + (
            f"its plan from a pilot of {before['n0']} still judges it (default_seeds changed "
            "since: change it back to plan it again)"
            if isinstance(before.get("n0"), int)
            else "the report judges them by the fixed-sample test: add seeds with a fixed "
            "seeds= sweep (all judged by it)"
        )
    )


class StageTwoMark(NamedTuple):
    """What one completed run of a seeds=auto stage two recorded (`store.seeds_auto_section`)."""

    seed: int
    n0: int
    total: int  # the N its plan had
    finished: str  # when it finished (`store.finished_at`)


def recorded_n(
    entry: dict[str, Any], marks: list[StageTwoMark], pilot_finished: str = ""
) -> int | None:
    """The N stage two's runs recorded for a saved setting, when the plan file says another
    (None otherwise). Larger: a run past the pilot of a pilot of that size, made after the
    pilot the file names, that recorded a larger N (not only one of the file's own seeds: a
    file cut to N = n0 has none, and a completed seed of a plan keeps its N); the file
    was restored from an older copy or edited after those runs: trusted, it would judge fewer
    seeds by the two-stage test than the plan ran (the file choosing where the test stops
    after every seed was seen). Smaller: every such run of this pilot recorded an N below the
    file's: no sweep planned the file's N after them (a raise once a seed past the pilot ran
    is refused), so it was edited: trusted, a sweep would train seeds no plan chose and the
    report judge them as planned. Runs of an earlier pilot's plan finished before this pilot
    and are not asked (a new pilot's plan may well be smaller): the pilot the file names, or
    for an entry saved before plans named it, the setting's pilot runs now (`pilot_finished`:
    the latest one's finish time)."""
    n0, total = entry.get("n0"), entry.get("seeds")
    if not isinstance(n0, int) or not isinstance(total, int):
        return None
    ours = pilot_marks(entry, marks, pilot_finished)
    larger = [mark.total for mark in ours if total < mark.total]
    if larger:
        return max(larger)
    if ours and all(mark.total < total for mark in ours):
        return max(mark.total for mark in ours)
    return None


def recorded_pilot(
    entry: dict[str, Any], marks: list[StageTwoMark], pilot_finished: str = ""
) -> tuple[int, int] | None:
    """(n0, N) stage two's runs recorded, when a saved setting says another pilot size than
    every one of them made after its pilot (the entry's, or `pilot_finished`): the file was
    edited (or restored) since; trusted, the report would test with another pilot's spread
    and t(n0 - 1), and a sweep take the plan for another pilot's and cut or replace it."""
    n0 = entry.get("n0")
    pilot = entry.get("pilot")
    after = max((str(at) for at in pilot.values()), default="") if isinstance(pilot, dict) else ""
    after = after or pilot_finished
    ran = [mark for mark in marks if mark.seed >= mark.n0 and mark.finished >= after]
    sizes = {mark.n0 for mark in ran}
    if not isinstance(n0, int) or n0 in sizes or len(sizes) != 1:
        return None
    (size,) = sizes
    return size, max(mark.total for mark in ran)


def pilot_marks(
    entry: dict[str, Any], marks: list[StageTwoMark], pilot_finished: str = ""
) -> list[StageTwoMark]:
    """The stage-two runs of a saved setting's pilot (`recorded_n`): of its n0, past it, made
    after the pilot the entry names (or, naming none, `pilot_finished`)."""
    n0 = entry.get("n0")
    pilot = entry.get("pilot")
    after = max((str(at) for at in pilot.values()), default="") if isinstance(pilot, dict) else ""
    after = after or pilot_finished
    return [mark for mark in marks if mark.n0 == n0 and n0 <= mark.seed and mark.finished >= after]


def _stage_two_marks(
    results_dir: Path, paper: str, experiment: str, config_hash: str
) -> list[StageTwoMark]:
    """What the setting's completed stage-two runs recorded of their plan (`StageTwoMark`)."""
    marks = []
    for folder in _seed_folders(results_dir, paper, experiment, config_hash):
        try:
            record = store.read_record(folder)
        except (OSError, ValueError):
            continue
        section = (record or {}).get("seeds_auto")
        if not (record and record.get("status") == store.STATUS_COMPLETED):
            continue
        if not isinstance(section, dict):
            continue
        n0, total = section.get("n0"), section.get("seeds")
        if isinstance(n0, int) and isinstance(total, int):
            marks.append(StageTwoMark(int(folder.name[4:]), n0, total, store.finished_at(record)))
    return marks


def _as_recorded(
    results_dir: Path,
    paper: str,
    experiment: str,
    config_hash: str,
    entry: dict[str, Any],
    plan: AutoSeedPlan | None = None,
) -> dict[str, Any]:
    """A saved setting's entry with the N its stage-two runs recorded where the file says
    another (`recorded_n`): a sweep must neither cut the plan there nor call the same plan
    made again a raise, nor train past it seeds an edited file asks for. With no such run,
    an N above the most the same pilot gives (`plan.backs`, `pilot_backs`) is cut to it: no
    sweep chose it, and kept it would judge a fixed sweep's seeds as planned."""
    if not entry:
        return entry
    marks = _stage_two_marks(results_dir, paper, experiment, config_hash)
    n0 = entry.get("n0")
    pilot = [
        store.finished_at(record)
        for seed, record in _completed_records(results_dir, paper, experiment, config_hash)
        if isinstance(n0, int) and seed < n0
    ]
    recorded = recorded_pilot(entry, marks, max(pilot, default=""))
    if recorded:  # the pilot size stage two recorded, not an edited one
        entry = {**entry, "n0": recorded[0], "seeds": recorded[1]}
    ran = recorded_n(entry, marks, max(pilot, default=""))
    if not ran and plan is not None and not pilot_marks(entry, marks, max(pilot, default="")):
        ran = _unbacked(entry, plan, experiment)
        saved = readable_plan(results_dir, paper) or {}
        gives = _given(entry, plan, experiment, saved.get("claims"))
        if not ran and gives is not None:  # edited to a lower N: the pilot's N at its caps
            return {**entry, "seeds": gives}
    if not ran:
        return entry
    needs = entry.get("needs")
    if isinstance(needs, dict):  # an edited file's needs past the runs' N are edited too
        needs = {claim: min(n, ran) if isinstance(n, int) else n for claim, n in needs.items()}
        return {**entry, "seeds": ran, "needs": needs}
    return {**entry, "seeds": ran}


def _unbacked(entry: dict[str, Any], plan: AutoSeedPlan, experiment: str) -> int | None:
    """The most seeds `plan`'s pilot gives `experiment` (`plan.backs`) where a saved entry of
    the same pilot says more and names no claim this plan could not size; None otherwise."""
    backs = plan.backs.get(experiment)
    total, needs = entry.get("seeds"), entry.get("needs")
    pilot = _pilot_entry(plan.pilot_runs.get(experiment))
    values = _values_entry(plan.pilot_values.get(experiment))
    if (
        backs is None
        or not isinstance(total, int)
        or total <= backs
        or entry.get("n0") != plan.n0
        or _other_pilot(entry, pilot, values)
        or not isinstance(needs, dict)  # saved before `needs`: which claims sized it, unsaid
        or not set(needs) <= set(plan.claims)
    ):
        return None
    return backs


def _given(
    entry: dict[str, Any], plan: AutoSeedPlan, experiment: str, saved_claims: Any = None
) -> int | None:
    """The N `plan`'s pilot gives `experiment` at the caps a saved entry of the same pilot
    names (`pilot_gives`), where the entry says less: no sweep chose that N (a lower
    max_seeds lowers the caps too), so the file was edited; None otherwise."""
    total, needs = entry.get("seeds"), entry.get("needs")
    caps = entry_caps(entry, saved_claims)
    pilot = _pilot_entry(plan.pilot_runs.get(experiment))
    values = _values_entry(plan.pilot_values.get(experiment))
    if (
        not isinstance(total, int)
        or not isinstance(needs, dict)
        or caps is None
        or entry.get("n0") != plan.n0
        or _other_pilot(entry, pilot, values)
    ):
        return None
    metrics = {  # the kept values, with their runs' other metrics (a flat pilot's flatness)
        name: {
            seed: {**plan.pilot_metrics.get(name, {}).get(seed, {}), **kept}
            for seed, kept in seeds.items()
        }
        for name, seeds in plan.pilot_values.items()
    }
    gives = pilot_gives(
        plan.planned_claims, metrics, plan.n0, experiment, caps, plan.alpha, plan.power
    )
    return gives if gives is not None and total < gives else None


def _recorded_plan(
    results_dir: Path, paper: str, experiment: str, config_hash: str, n0: int
) -> dict[str, Any] | None:
    """A setting's plan as its stage-two runs recorded it (`store.seeds_auto_section`), when
    its entry in the plan file is gone: `{"n0", "seeds"}` (the largest N they name for a pilot
    of `n0`, and `pilot_values`, the pilot that plan was made from, where its runs say), or
    None when no completed run of stage two says so. Runs of other plugin code
    than the pilot's are not asked: a plan made before the code changed (its pilot trained
    again since) is not this pilot's, and its stage two trains again (stale)."""
    totals = []
    values: dict[str, Any] = {}
    records = _completed_records(results_dir, paper, experiment, config_hash)
    pilot = {_code_digest(r) for seed, r in records if seed < n0}
    for _, record in records:
        section = record.get("seeds_auto")
        if (
            isinstance(section, dict)
            and section.get("n0") == n0
            and isinstance(section.get("seeds"), int)
            and _same_code(pilot, {_code_digest(record)})
        ):
            totals.append(int(section["seeds"]))
            if isinstance(section.get("pilot_values"), dict) and int(section["seeds"]) >= max(
                totals
            ):
                values = section["pilot_values"]
    if not totals:
        return None
    # the pilot values the largest plan was made from (runs of before they were recorded:
    # none, and the pilot cannot be told apart)
    return {"n0": n0, "seeds": max(totals), **({"pilot_values": values} if values else {})}


def recorded_pilot_changes(
    results_dir: Path,
    paper: str,
    experiment: str,
    config_hash: str,
    n0: int,
    now: dict[int, dict[str, float]],
) -> list[tuple[int, tuple[str, ...]]]:
    """(pilot seed, metrics that changed) where the setting's runs now (`now`: seed ->
    values) differ from the pilot values stage two's runs recorded of their plan
    (`_recorded_plan`): a lost plan's pilot made again since, from which no plan can be made
    again. Empty when the same, or when the runs do not say (recorded before they did)."""
    recorded = _recorded_plan(results_dir, paper, experiment, config_hash, n0) or {}
    saved = recorded.get("pilot_values")
    if not isinstance(saved, dict):
        return []
    changes = []
    for seed, values in sorted(saved.items(), key=lambda item: str(item[0]).zfill(9)):
        if str(seed).isdigit() and isinstance(values, dict):
            changed = _changed_metrics(values, now.get(int(seed), {}))
            if changed:
                changes.append((int(seed), tuple(changed)))
    return changes


def _seed_folders(results_dir: Path, paper: str, experiment: str, config_hash: str) -> list[Path]:
    """Every seed folder of the setting a plan keys by `config_hash` (its pilot's folder): in
    that folder and in each other one holding the same setting (`store.same_setting_folders`:
    a pilot an older repro filed under another hash, stage two's seeds in today's)."""
    hash_dir = Path(results_dir) / paper / experiment / config_hash
    return [
        folder
        for setting_dir in store.same_setting_folders(hash_dir)
        for folder in sorted(setting_dir.glob("seed*"))
        if folder.name[4:].isdigit()
    ]


def _completed_past(
    results_dir: Path,
    paper: str,
    experiment: str,
    config_hash: str,
    n0: int,
    below: int | None = None,
) -> list[int]:
    """The seeds from `n0` (below `below`) with a completed run in the setting's folders."""
    seeds = {
        int(folder.name[4:])
        for folder in _seed_folders(results_dir, paper, experiment, config_hash)
        if int(folder.name[4:]) >= n0
        and (below is None or int(folder.name[4:]) < below)
        and store.is_completed(folder)
    }
    return sorted(seeds)


def _seen_of_the_pilots_code(
    results_dir: Path, paper: str, experiment: str, config_hash: str, n0: int
) -> list[int]:
    """The seeds from `n0` with a completed run made by the code of the pilot's runs (a run
    that does not name its code counts): a fixed sweep's seeds of older plugin code are
    another setting to the report (never pooled) and stage two trains them again, so seeing
    them chose nothing of this plan (`refuse_a_new_pilot_over_seen_seeds` lets them be too)."""
    records = _completed_records(results_dir, paper, experiment, config_hash)
    pilot = {_code_digest(record) for seed, record in records if seed < n0}
    past: dict[int, set[Any]] = {}
    for seed, record in records:
        if seed >= n0:
            past.setdefault(seed, set()).add(_code_digest(record))
    return sorted(seed for seed, digests in past.items() if _same_code(pilot, digests))


def _same_code(pilot: set[Any], digests: set[Any]) -> bool:
    """Whether runs of `digests` may be of the pilot's code (`pilot`: its runs' digests); a
    run that does not name its code, or no pilot run found, counts as the same."""
    return not pilot or None in pilot or None in digests or bool(digests & pilot)


def _completed_records(
    results_dir: Path, paper: str, experiment: str, config_hash: str
) -> list[tuple[int, dict[str, Any]]]:
    """(seed, record) of each completed run in the setting's folders (`_seed_folders`)."""
    found = []
    for folder in _seed_folders(results_dir, paper, experiment, config_hash):
        try:
            record = store.read_record(folder)
        except (OSError, ValueError):
            continue
        if record and record.get("status") == store.STATUS_COMPLETED:
            found.append((int(folder.name[4:]), record))
    return found


def _refuse_a_raise_after_seeing(
    results_dir: Path, paper: str, plan: AutoSeedPlan, experiment: str, before: dict[str, Any]
) -> None:
    """A UsageError when this plan of the same pilot would raise a claim's N past the N the
    earlier plan ran to once one of that plan's seeds past the pilot completed. Stein's
    test holds because N is a function of the pilot's spread alone; a max_seeds raised after
    reading the planned seeds' verdict is "add seeds until it settles" (the lower cap's rule
    in `save_plan` is its mirror), and so is a claim planned later (a comparison with an
    experiment the first sweep left out) that grows the N its other claims were read at.
    Before any such seed ran, N is still the pilot's."""
    ran_to = before.get("seeds")
    if not isinstance(ran_to, int):
        return
    # a claim planned again that asks for more, or one planned now for the first time (a
    # comparison with an experiment the earlier sweep left out): either way the setting's
    # other claims, whose verdicts at the earlier N could be read, would be judged at more
    raised = {c: n for c, n in _claim_needs(plan, experiment).items() if n > ran_to}
    if not raised:
        return
    config_hash = plan.config_hashes[experiment]
    seen = _completed_past(results_dir, paper, experiment, config_hash, plan.n0, ran_to)
    # seeds past the plan's N of the pilot's code (a fixed sweep's, shown) that the raised N
    # would judge: seen as a first plan's would be (a plan of N = n0 has none of its own)
    seen = sorted(
        {*seen}
        | {
            seed
            for seed in _seen_of_the_pilots_code(
                results_dir, paper, experiment, config_hash, plan.n0
            )
            if ran_to <= seed < max(raised.values())
        }
    )
    if not seen:  # the pilot alone was seen: as when a first plan follows a fixed pilot
        return
    from repro.errors import UsageError
    from repro.sweeping.plan import seeds_text

    ran = f"seeds {seeds_text(seen)} have run"
    claims = ", ".join(f"{c} needs {n}" for c, n in sorted(raised.items()))
    raise UsageError(
        f"seeds=auto: {paper}/{experiment} was planned from this pilot with N={ran_to} and "
        f"{ran}; this sweep would raise N to {max(raised.values())} ({claims}), chosen after "
        "seeing them, which voids the two-stage test's error rates (seeds added until the "
        f"verdict settles): sweep with max_seeds={ran_to} to keep the plan, or add seeds with "
        "a fixed seeds= sweep (the report shows them, not judged)"
    )


def _pilot_entry(runs: dict[int, str] | None) -> dict[str, str]:
    """A pilot's runs as the plan file keeps them: seed (a JSON key) -> finish time."""
    return {str(seed): str(finished) for seed, finished in sorted((runs or {}).items())}


def _values_entry(values: dict[int, dict[str, float]] | None) -> dict[str, dict[str, float]]:
    """A pilot's claimed values as the plan file keeps them: seed (a JSON key) -> values."""
    return {str(seed): dict(v) for seed, v in sorted((values or {}).items())}


def _other_pilot(
    before: dict[str, Any], pilot: dict[str, str], values: dict[str, dict[str, float]]
) -> bool:
    """Whether a saved setting was planned from another pilot than this one: by the claimed
    values where both know them (an identical rerun is the same pilot; a metric only one
    side claims, after paper.yaml's claims changed, tells nothing: taken as another pilot, it
    let a raise of N after seeing seeds past the pilot pass), else by the runs' finish times
    (unknown on either side: the same)."""
    saved_values = before.get("pilot_values")
    if isinstance(saved_values, dict) and saved_values and values:
        if set(saved_values) != set(values):
            return True
        claimed = {m for seed in values for m in values[seed]}  # what the plan claims now
        known = {
            seed: {m: v for m, v in saved.items() if m in claimed}
            for seed, saved in saved_values.items()
            if isinstance(saved, dict)
        }
        if any(known.values()):  # a run that lost a claimed metric changed (_changed_metrics)
            return any(_changed_metrics(known.get(seed, {}), values[seed]) for seed in values)
    saved = before.get("pilot")
    return isinstance(saved, dict) and bool(saved) and bool(pilot) and saved != pilot


def _changed_metrics(saved: dict[str, Any], now: dict[str, float]) -> list[str]:
    """The saved metrics whose value `now` differs from (or lacks), bit for bit."""
    changed = []
    for metric, value in saved.items():
        current = now.get(metric)
        same = isinstance(value, (int, float)) and isinstance(current, (int, float))
        same = same and (
            float(value) == float(current) or (math.isnan(value) and math.isnan(current))
        )
        if not same:
            changed.append(metric)
    return sorted(changed)


def bind_pilot(
    plan: AutoSeedPlan, spec: PaperSpec, records: dict[tuple[str, int], dict[str, Any] | None]
) -> None:
    """Name the pilot the plan was made from: its runs' finish times and each run's values of
    the metrics its experiment's claims are judged on, which the report checks it against."""
    plan.pilot_runs = pilot_runs(records)
    metrics = pilot_metrics(records)
    claimed: dict[str, set[str]] = {}
    for claim in spec.claims:
        for experiment in claim.experiments():
            claimed.setdefault(experiment, set()).add(claim.metric)
    plan.pilot_values = {
        experiment: {
            seed: {m: v for m, v in values.items() if m in claimed.get(experiment, ())}
            for seed, values in seeds.items()
        }
        for experiment, seeds in metrics.items()
        if experiment in plan.seeds
    }


def pilot_runs(records: dict[tuple[str, int], dict[str, Any] | None]) -> dict[str, dict[int, str]]:
    """experiment -> {seed: finish time} of the pilot's completed records: which runs the plan
    was made from, so that the report can tell when they have been replaced since."""
    runs: dict[str, dict[int, str]] = {}
    for (experiment, seed), record in records.items():
        if counted(record):
            finished = store.finished_at(record)
            if finished:
                runs.setdefault(experiment, {})[seed] = finished
    return runs


def _claim_needs(plan: AutoSeedPlan, experiment: str) -> dict[str, int]:
    """The seeds each claim on `experiment` asked this plan for (capped at its max_seeds)."""
    return {
        claim_id: int(target.needed or plan.n0)
        for claim_id, target in plan.claims.items()
        if experiment in plan.claim_experiments.get(claim_id, ())
    }


def setting_key(experiment: str, config_hash: str) -> str:
    return f"{experiment}@{config_hash}"


def _legacy_settings(plan: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The settings of a plan written before `settings` (one sweep's experiments)."""
    return {
        setting_key(experiment, config_hash): {
            "n0": plan["n0"],
            "seeds": plan["seeds"][experiment],
        }
        for experiment, config_hash in (plan.get("config_hashes") or {}).items()
        if experiment in plan["seeds"]
    }


def readable_plan(results_dir: Path, paper: str) -> dict[str, Any] | None:
    """The saved plan a seeds=auto sweep merges its own into (None: there is none), or a
    UsageError when the file is damaged: replacing it would lose, without a word, the plans
    of the settings earlier sweeps planned (their runs then judged as if never planned)."""
    plan, problem = read_plan(results_dir, paper)
    if problem:
        from repro.errors import UsageError

        raise UsageError(
            f"{problem}: a seeds=auto sweep merges its plan into it, beside the plans of "
            "earlier sweeps: repair it, or move it away (the report then names the settings "
            "whose plan is missing)"
        )
    return plan


def load_plan(results_dir: Path, paper: str) -> dict[str, Any] | None:
    """The saved plan as a dict, or None when absent or unreadable (the report then judges
    with fixed-sample statistics, as for any sweep)."""
    return read_plan(results_dir, paper)[0]


def read_plan(results_dir: Path, paper: str) -> tuple[dict[str, Any] | None, str | None]:
    """The saved plan, or None and what is wrong with the file (None when there is none): a
    hand-edited plan must not crash the report nor be tested on with a pilot it lacks."""
    path = plan_path(results_dir, paper)
    try:
        data = store.parse_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if path.is_symlink():  # a disk not mounted now: the plans are there, not none
            return None, f"{path}: unreadable ({store.DEAD_LINK})"
        return None, None
    except (OSError, ValueError) as error:
        return None, f"{path}: unreadable ({type(error).__name__})"
    problem = _plan_problem(data)
    return (None, f"{path}: {problem}") if problem else (data, None)


def _plan_problem(data: Any) -> str | None:
    """What makes a saved plan unusable, or None."""
    if not isinstance(data, dict):
        return "not a mapping"
    n0 = data.get("n0")
    if not isinstance(n0, int) or isinstance(n0, bool) or n0 < 2:
        return f"n0 must be a whole number >= 2, got {n0!r}"
    seeds = data.get("seeds")
    if not isinstance(seeds, dict) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= n0 for n in seeds.values()
    ):
        return f"seeds must map experiments to whole numbers >= n0, got {seeds!r}"
    for key in ("config_hashes", "claims", "settings"):
        if not isinstance(data.get(key, {}), dict):
            return f"{key} must be a mapping, got {data.get(key)!r}"
    for key, entry in (data.get("settings") or {}).items():
        n0, total = (entry.get("n0"), entry.get("seeds")) if isinstance(entry, dict) else (0, 0)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (n0, total)) or not (
            2 <= n0 <= total
        ):
            return f"settings.{key} must give whole numbers 2 <= n0 <= seeds, got {entry!r}"
        needs = entry.get("needs", {})
        if not isinstance(needs, dict) or not all(
            isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= total
            for n in needs.values()
        ):
            return f"settings.{key}.needs must map claims to whole numbers <= seeds, got {needs!r}"
        caps = entry.get("caps", {})
        if not isinstance(caps, dict) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= n0 for n in caps.values()
        ):
            return f"settings.{key}.caps must map claims to whole numbers >= n0, got {caps!r}"
        pilot = entry.get("pilot", {})
        if not isinstance(pilot, dict) or not all(
            str(seed).isdigit() and isinstance(at, str) for seed, at in pilot.items()
        ):
            return f"settings.{key}.pilot must map seeds to finish times, got {pilot!r}"
        values = entry.get("pilot_values", {})
        if not isinstance(values, dict) or not all(
            str(seed).isdigit()
            and isinstance(v, dict)
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v.values())
            for seed, v in values.items()
        ):
            return (
                f"settings.{key}.pilot_values must map seeds to their claimed metrics' values, "
                f"got {values!r}"
            )
    return None


COUNTED_RUN = "completed run that trained to its end"
"""What a pilot seed lacks when its run failed, never ran, or `trainer.max_time` stopped it."""


def counted(record: dict[str, Any] | None) -> bool:
    """Whether a pilot record is one the report's verdicts count: completed, and not ended by
    `trainer.max_time` short of its setting (`aggregate.stopped_short` leaves those out), so
    that N is sized from the very runs the two-stage test is then judged on."""
    if not record or record.get("status") != store.STATUS_COMPLETED:
        return False
    timing = record.get("timing")
    return not (isinstance(timing, dict) and timing.get("stopped_by") == "max_time")


def stopped_pilot_lines(records: dict[tuple[str, int], dict[str, Any] | None]) -> list[str]:
    """What trains each pilot seed `trainer.max_time` stopped short again: the plan cannot
    use it (`counted`), and a sweep skips it as completed, so only `rerun=true` of its own
    command does (a different trainer.max_time is another setting, with a pilot of its own)."""
    lines = []
    for (experiment, seed), record in sorted(records.items()):
        if not record or record.get("status") != store.STATUS_COMPLETED or counted(record):
            continue
        command = record.get("command")
        again = f"`{command} rerun=true`" if isinstance(command, str) else "`rerun=true`"
        lines.append(
            f"seeds=auto: pilot seed {seed} of {experiment} was stopped by trainer.max_time "
            "short of its setting, and a sweep skips it as completed: "
            f"{again} trains it to its end (where it finishes in time), then this sweep plans"
        )
    return lines


def pilot_metrics(records: dict[tuple[str, int], dict[str, Any] | None]) -> PilotMetrics:
    """metrics[experiment][seed] from the pilot's records ((experiment, seed) -> record);
    runs that did not complete, or that max_time stopped short, give no values (the plan
    then says it cannot plan)."""
    metrics: PilotMetrics = {}
    for (experiment, seed), record in records.items():
        if counted(record):
            values = record.get("metrics") or {}
            metrics.setdefault(experiment, {})[seed] = {
                k: float(v) for k, v in values.items() if isinstance(v, (int, float))
            }
    return metrics


def planned_experiments(
    plan: dict[str, Any] | None, chosen_hashes: dict[str, str]
) -> dict[str, int]:
    """experiment -> n0 for the experiments whose judged setting a seeds=auto plan covers:
    the report judges those with the two-stage test the plan was made for."""
    return {e: n0 for e, (n0, _) in planned_settings(plan, chosen_hashes).items()}


def planned_settings(
    plan: dict[str, Any] | None,
    chosen_hashes: dict[str, str],
    finished: dict[str, dict[int, str]] | None = None,
    values: PilotMetrics | None = None,
) -> dict[str, tuple[int, int]]:
    """experiment -> (n0, N) for the judged settings some seeds=auto sweep planned, and whose
    pilot is still the one judged (`pilot_changes`). `finished`: experiment -> {seed: finish
    time}, `values`: experiment -> {seed: {metric: value}} of the judged setting's completed
    runs (None: not checked)."""
    planned = _settings_planned(plan, chosen_hashes)
    changed = pilot_changes(plan, chosen_hashes, finished, values)
    return {e: sizes for e, sizes in planned.items() if e not in changed}


class PilotChange(NamedTuple):
    """How the judged runs differ from the pilot a plan was made from."""

    n0: int
    total: int  # the plan's N
    missing: tuple[int, ...] = ()  # pilot seeds with no completed run now
    changed: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (pilot seed, metrics that changed)
    rerun: tuple[int, ...] = ()  # run again, values unknown (a plan saved before pilot_values)

    @property
    def retrained(self) -> bool:
        """Every pilot seed's run was made again (the setting retrained, e.g. after its code
        changed): with the seeds past N made again too, one new sample (the report checks
        their finish times). Otherwise the seeds past N are still the ones a later sweep
        added after seeing the plan's verdict, which the report must not judge (one changed
        pilot seed would let "add seeds until it settles" count)."""
        return not self.missing and len(self.changed) + len(self.rerun) >= self.n0


def pilot_changes(
    plan: dict[str, Any] | None,
    chosen_hashes: dict[str, str],
    finished: dict[str, dict[int, str]] | None,
    values: PilotMetrics | None = None,
) -> dict[str, PilotChange]:
    """experiment -> how its pilot changed, for the plans that no longer govern.

    A plan is bound to its pilot's values of the claimed metrics, not to when its runs were
    made: Stein's two-stage test is exact because N is a function of the pilot's spread s0
    and the test uses that same s0, which depends only on those values. A rerun that
    reproduces them bit for bit leaves N, s0 and the test what they were, so the plan still
    governs (ending it there would let one `rerun=true` trade the two-stage test for the
    fixed-sample one after seeing the results). Once a value changed, or a pilot run is
    missing, the pilot that chose N is not the data judged: the two-stage test no longer
    applies and the fixed-sample test judges the seeds there (the caution says why). A plan
    saved before the values were kept is checked by its runs' finish times; one saved before
    pilots were named at all still governs."""
    settings = (plan.get("settings") or _legacy_settings(plan)) if plan else {}
    changes = {}
    for experiment, (n0, total) in _settings_planned(plan, chosen_hashes).items():
        entry = settings.get(setting_key(experiment, chosen_hashes[experiment])) or {}
        saved_values = entry.get("pilot_values")
        saved_times = entry.get("pilot")
        if finished is None:
            continue
        if isinstance(saved_values, dict) and saved_values and values is not None:
            pilot = {int(seed): v for seed, v in saved_values.items() if str(seed).isdigit()}
            now = values.get(experiment, {})
            missing = tuple(sorted(seed for seed in pilot if seed not in now))
            changed = tuple(
                (seed, tuple(_changed_metrics(saved, now[seed])))
                for seed, saved in sorted(pilot.items())
                if seed in now and _changed_metrics(saved, now[seed])
            )
            if missing or changed:
                changes[experiment] = PilotChange(n0, total, missing, changed)
        elif isinstance(saved_times, dict) and saved_times:
            times = {int(seed): at for seed, at in saved_times.items() if str(seed).isdigit()}
            now_at = finished.get(experiment, {})
            missing = tuple(sorted(seed for seed in times if seed not in now_at))
            rerun = tuple(sorted(s for s, at in times.items() if s in now_at and now_at[s] != at))
            if missing or rerun:
                changes[experiment] = PilotChange(n0, total, missing, rerun=rerun)
    return changes


def under_todays_hashes(
    plan: dict[str, Any] | None, chosen_hashes: dict[str, str], folders: dict[str, set[str]]
) -> dict[str, Any] | None:
    """The plan with each judged setting's entry found under today's hash. A sweep keys a
    setting by its pilot's folder, and a pilot an older repro filed under another hash of
    the same setting (`trainer.precision=32` hashed as written, an accelerator that still
    counted: `store.older_hashes`) keyed it by that folder; the report, looking it up by
    today's hash alone, dropped the plan without a word. `folders`: experiment -> the folder
    names its judged setting's records are in."""
    if not plan:
        return plan
    settings = dict(plan.get("settings") or _legacy_settings(plan))
    for experiment, config_hash in chosen_hashes.items():
        key = setting_key(experiment, config_hash)
        for folder in sorted(folders.get(experiment, set()) - {config_hash}):
            if not settings.get(key) and settings.get(setting_key(experiment, folder)):
                settings[key] = settings[setting_key(experiment, folder)]
    return {**plan, "settings": settings}


def _settings_planned(
    plan: dict[str, Any] | None, chosen_hashes: dict[str, str]
) -> dict[str, tuple[int, int]]:
    if not plan:
        return {}
    settings = plan.get("settings") or _legacy_settings(plan)
    planned = {}
    for experiment, config_hash in chosen_hashes.items():
        entry = settings.get(setting_key(experiment, config_hash))
        if entry:
            planned[experiment] = (int(entry["n0"]), int(entry["seeds"]))
    return planned
