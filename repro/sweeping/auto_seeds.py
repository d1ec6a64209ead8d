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
from typing import Any

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
    # experiment -> {pilot seed: its record's finish time}: the runs the plan was made from
    pilot_runs: dict[str, dict[int, str]] = field(default_factory=dict)

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
    pilot = list(range(n0))
    for claim in spec.claims:
        if not all(name in plan.seeds for name in claim.experiments()):
            continue
        target = two_stage.target_for(
            claim_values(claim, metrics, pilot),
            claim.tolerance,
            claim.kind == "value",
            max_seeds,
            alpha,
            power,
            runs_identical(metrics, claim.experiments(), pilot),
        )
        plan.claims[claim.id] = target
        plan.claim_experiments[claim.id] = claim.experiments()
        for name in claim.experiments():
            plan.seeds[name] = max(plan.seeds[name], target.needed or n0)
    return plan


def plan_path(results_dir: Path, paper: str) -> Path:
    return Path(results_dir) / paper / PLAN_FILE


def save_plan(results_dir: Path, paper: str, plan: AutoSeedPlan) -> Path:
    """Write the plan beside the earlier ones: each setting's seeds were chosen from its own
    pilot, and a later seeds=auto sweep of another experiment or setting must not turn them
    back into fixed-sample data (`settings` keeps every setting's n0 and N; the top-level
    fields are the latest sweep's)."""
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
    earlier, _ = read_plan(results_dir, paper)
    settings = dict(earlier.get("settings") or _legacy_settings(earlier)) if earlier else {}
    for experiment, config_hash in plan.config_hashes.items():
        if experiment in plan.seeds:
            key = setting_key(experiment, config_hash)
            needs = _claim_needs(plan, experiment)
            before = settings.get(key) or {}
            floor = plan.n0
            pilot = _pilot_entry(plan.pilot_runs.get(experiment))
            if before.get("n0") != plan.n0 or _other_runs(before.get("pilot"), pilot):
                pass  # another pilot: its seeds were chosen from other data
            elif isinstance(before.get("needs"), dict):
                # the same pilot: claims only an earlier sweep planned (a comparison with an
                # experiment this one left out) keep their N; claims planned again take the new
                needs = {**before["needs"], **needs}
            else:
                floor = int(before["seeds"])  # a plan saved before `needs`
            total = max([floor, plan.n0, plan.seeds[experiment], *needs.values()])
            settings[key] = {"n0": plan.n0, "seeds": total, "needs": needs}
            if pilot:
                settings[key]["pilot"] = pilot
    data["settings"] = settings
    if earlier:  # claims of experiments this sweep did not plan keep their reasons
        data["claims"] = {**(earlier.get("claims") or {}), **data["claims"]}
    store.atomic_write_text(path, json.dumps(data, indent=2) + "\n")
    return path


def _pilot_entry(runs: dict[int, str] | None) -> dict[str, str]:
    """A pilot's runs as the plan file keeps them: seed (a JSON key) -> finish time."""
    return {str(seed): str(finished) for seed, finished in sorted((runs or {}).items())}


def _other_runs(saved: Any, current: dict[str, str]) -> bool:
    """Whether a saved pilot names other runs than `current` (unknown on either side: no)."""
    return isinstance(saved, dict) and bool(saved) and bool(current) and saved != current


def pilot_runs(records: dict[tuple[str, int], dict[str, Any] | None]) -> dict[str, dict[int, str]]:
    """experiment -> {seed: finish time} of the pilot's completed records: which runs the plan
    was made from, so that the report can tell when they have been replaced since."""
    runs: dict[str, dict[int, str]] = {}
    for (experiment, seed), record in records.items():
        if record and record.get("status") == store.STATUS_COMPLETED:
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


def load_plan(results_dir: Path, paper: str) -> dict[str, Any] | None:
    """The saved plan as a dict, or None when absent or unreadable (the report then judges
    with fixed-sample statistics, as for any sweep)."""
    return read_plan(results_dir, paper)[0]


def read_plan(results_dir: Path, paper: str) -> tuple[dict[str, Any] | None, str | None]:
    """The saved plan, or None and what is wrong with the file (None when there is none): a
    hand-edited plan must not crash the report nor be tested on with a pilot it lacks."""
    path = plan_path(results_dir, paper)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
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
        pilot = entry.get("pilot", {})
        if not isinstance(pilot, dict) or not all(
            str(seed).isdigit() and isinstance(at, str) for seed, at in pilot.items()
        ):
            return f"settings.{key}.pilot must map seeds to finish times, got {pilot!r}"
    return None


def pilot_metrics(records: dict[tuple[str, int], dict[str, Any] | None]) -> PilotMetrics:
    """metrics[experiment][seed] from the pilot's records ((experiment, seed) -> record);
    runs that did not complete give no values (the plan then says it cannot plan)."""
    metrics: PilotMetrics = {}
    for (experiment, seed), record in records.items():
        if record and record.get("status") == store.STATUS_COMPLETED:
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
) -> dict[str, tuple[int, int]]:
    """experiment -> (n0, N) for the judged settings some seeds=auto sweep planned, and whose
    pilot runs are still the ones judged. `finished`: experiment -> {seed: finish time} of
    the judged setting's completed runs (None: not checked)."""
    planned = _settings_planned(plan, chosen_hashes)
    replaced = replaced_pilots(plan, chosen_hashes, finished)
    return {e: sizes for e, sizes in planned.items() if e not in replaced}


def replaced_pilots(
    plan: dict[str, Any] | None,
    chosen_hashes: dict[str, str],
    finished: dict[str, dict[int, str]] | None,
) -> dict[str, tuple[int, int]]:
    """experiment -> (n0, N) of a plan whose pilot runs were replaced since (a rerun, code
    changed and retrained, the folder deleted and run again): its N was chosen from other
    data, so it no longer governs; the seeds now there were not chosen from their own values,
    and the fixed-sample test is right for them. A plan saved before pilots were named
    (no `pilot`) still governs."""
    settings = (plan.get("settings") or _legacy_settings(plan)) if plan else {}
    replaced = {}
    for experiment, sizes in _settings_planned(plan, chosen_hashes).items():
        entry = settings.get(setting_key(experiment, chosen_hashes[experiment])) or {}
        saved = entry.get("pilot")
        if finished is None or not isinstance(saved, dict) or not saved:
            continue
        now = finished.get(experiment, {})
        if any(now.get(int(seed)) != at for seed, at in saved.items() if str(seed).isdigit()):
            replaced[experiment] = sizes
    return replaced


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
