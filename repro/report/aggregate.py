"""From the long record table to per-claim evidence: which config counts, and each verdict.

Pure functions over the DataFrame of `repro.records` and the paper's claims; the statistics
themselves are `repro.stats`.

Which runs count. Only completed runs. When an experiment was run under several configs (a
quick `trainer.max_steps=300` check, then the full sweep; or a changed learning rate), the
claims are judged on ONE config per experiment: the one with the most completed seeds, ties
going to the config whose latest run finished most recently. That is the config a user has
invested in, not a one-seed smoke test that happens to be newer. `--config HASH` pins a config
instead. The report names the config used and every config set aside, with the keys that differ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from repro import stats, store
from repro.paper_spec import Claim

if TYPE_CHECKING:
    import pandas as pd

NOT_RUN = "not run"
REPRODUCED_OVERALL = "reproduced"
PARTIAL_OVERALL = "partially reproduced"
NOT_REPRODUCED_OVERALL = "not reproduced"
INCONCLUSIVE_OVERALL = "inconclusive"
NO_CLAIMS_OVERALL = "no claims"
INCOMPLETE_OVERALL = "incomplete"  # some verified claims have no verdict yet
NO_VERIFIED_OVERALL = "no verified claims"  # only unverified claims: nothing counts
"""A plugin that ships no claims (yet): its runs are reported, nothing is judged."""
UNFINISHED = "unfinished"
"""Status shown for a record still marked running: in progress, or killed without a trace."""


@dataclass(frozen=True)
class ConfigOption:
    """One config hash of an experiment and how much completed work it has."""

    config_hash: str
    seeds: tuple[int, ...]
    latest: str
    differences: tuple[tuple[str, Any, Any], ...] = ()  # (key, this config, the chosen one)


@dataclass(frozen=True)
class ConfigChoice:
    """The config whose runs judge an experiment's claims, and those set aside."""

    experiment: str
    chosen: ConfigOption
    others: tuple[ConfigOption, ...]
    pinned: bool = False

    @property
    def seeds(self) -> tuple[int, ...]:
        return self.chosen.seeds


@dataclass(frozen=True)
class ClaimResult:
    """A claim with the reproduction's numbers and verdict."""

    claim: Claim
    outcome: str  # a repro.stats outcome, or NOT_RUN
    verdict: stats.Verdict | None
    summary: stats.Summary | None  # of the metric; of A − B per seed for a comparison
    values: tuple[tuple[int, float], ...] = ()  # (seed, value); A's for a comparison
    versus_values: tuple[tuple[int, float], ...] = ()  # (seed, value) of B
    versus_summary: stats.Summary | None = None
    first_summary: stats.Summary | None = None  # A alone, for a comparison
    delta: float = math.nan
    delta_rel: float = math.nan
    welch: stats.WelchResult | None = None
    config_hashes: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def counts(self) -> bool:
        """Whether it enters the overall outcome (unverified claims are shown, not counted)."""
        return self.claim.verified


def run_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per run (the long table has one per metric)."""
    return frame.drop_duplicates("record_dir").reset_index(drop=True)


def choose_configs(
    runs: pd.DataFrame, pinned: frozenset[str] = frozenset()
) -> dict[str, ConfigChoice]:
    """Per experiment, the config whose completed runs count (see the module docstring)."""
    completed = runs[runs["status"] == store.STATUS_COMPLETED]
    config_columns = [c for c in runs.columns if c.startswith("p_")]
    choices: dict[str, ConfigChoice] = {}
    for experiment, group in completed.groupby("experiment", sort=True):
        options = []
        for config_hash, rows in group.groupby("config_hash", sort=False):
            latest = rows["finished_at"].dropna().astype(str)
            options.append(
                ConfigOption(
                    str(config_hash),
                    tuple(sorted(int(s) for s in rows["seed"])),
                    latest.max() if len(latest) else "",
                )
            )
        options.sort(key=lambda o: (len(o.seeds), o.latest, o.config_hash), reverse=True)
        pinned_here = [o for o in options if o.config_hash in pinned]
        chosen = pinned_here[0] if pinned_here else options[0]
        reference = _config_of(group, chosen.config_hash, config_columns)
        others = tuple(
            ConfigOption(
                o.config_hash,
                o.seeds,
                o.latest,
                _differences(_config_of(group, o.config_hash, config_columns), reference),
            )
            for o in options
            if o is not chosen
        )
        choices[str(experiment)] = ConfigChoice(str(experiment), chosen, others, bool(pinned_here))
    return choices


def _config_of(runs: pd.DataFrame, config_hash: str, columns: list[str]) -> dict[str, Any]:
    row = runs.loc[runs["config_hash"] == config_hash, columns].iloc[0]
    return {k[2:]: v for k, v in row.items() if not _is_missing(v)}


def _differences(
    config: dict[str, Any], reference: dict[str, Any]
) -> tuple[tuple[str, Any, Any], ...]:
    keys = sorted(set(config) | set(reference))
    return tuple(
        (k, config.get(k), reference.get(k)) for k in keys if config.get(k) != reference.get(k)
    )


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class MetricIndex:
    """Completed runs' metric values by experiment, config and metric: one pass over the
    table instead of a DataFrame filter per claim."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.values: dict[tuple[str, str, str], dict[int, float]] = {}
        self.seeds: dict[tuple[str, str], set[int]] = {}
        completed = frame[frame["status"] == store.STATUS_COMPLETED]
        columns = ("experiment", "config_hash", "metric", "seed", "value")
        for experiment, config_hash, metric, seed, value in zip(
            *(completed[c].tolist() for c in columns), strict=True
        ):
            self.seeds.setdefault((experiment, config_hash), set()).add(int(seed))
            if isinstance(metric, str):
                self.values.setdefault((experiment, config_hash, metric), {})[int(seed)] = value
        self._summaries: dict[tuple[float, ...], stats.Summary] = {}

    def of(self, choice: ConfigChoice | None, metric: str) -> tuple[dict[int, float], int]:
        """Seed -> value of `metric` over the chosen config's completed runs, and how many of
        those runs did not log the metric at all."""
        if choice is None:
            return {}, 0
        key = (choice.experiment, choice.chosen.config_hash)
        values = self.values.get((*key, metric), {})
        return values, len(self.seeds.get(key, set()) - set(values))

    def summarize(self, values: list[float]) -> stats.Summary:
        """stats.summarize, once per distinct list of values (its bootstrap is the costly part)."""
        key = tuple(values)
        if key not in self._summaries:
            self._summaries[key] = stats.summarize(values)
        return self._summaries[key]


def evaluate_claims(
    frame: pd.DataFrame, claims: list[Claim], choices: dict[str, ConfigChoice], alpha: float
) -> list[ClaimResult]:
    index = MetricIndex(frame)
    return [evaluate_claim(index, claim, choices, alpha) for claim in claims]


def evaluate_claim(
    index: MetricIndex, claim: Claim, choices: dict[str, ConfigChoice], alpha: float
) -> ClaimResult:
    """Numbers and verdict of one claim from the chosen configs' completed runs."""
    choice = choices.get(claim.experiment)
    values, absent = index.of(choice, claim.metric)
    notes = [_absent_note(claim.experiment, claim.metric, absent)] if absent else []
    hashes = (choice.chosen.config_hash,) if choice else ()
    if claim.kind == "comparison":
        return _evaluate_comparison(index, claim, choices, alpha, values, notes, hashes)
    if not values:
        return ClaimResult(claim, NOT_RUN, None, None, notes=tuple(notes), config_hashes=hashes)
    seeds = sorted(values)
    ordered = [values[s] for s in seeds]
    summary = index.summarize(ordered)
    if claim.kind == "value":
        verdict = stats.equivalence_verdict(ordered, claim.value, claim.tolerance, alpha)
    else:
        verdict = stats.threshold_verdict(ordered, claim.value, claim.direction, alpha)
    delta = summary.mean - claim.value
    delta_rel = delta / abs(claim.value) if claim.value else math.nan
    welch = None
    if claim.std is not None and claim.n is not None:
        welch = stats.welch_from_summary(
            summary.mean, summary.std, summary.n, claim.value, claim.std, claim.n
        )
    return ClaimResult(
        claim,
        verdict.outcome,
        verdict,
        summary,
        values=tuple(zip(seeds, ordered, strict=True)),
        delta=delta,
        delta_rel=delta_rel,
        welch=welch,
        config_hashes=hashes,
        notes=tuple(notes),
    )


def _evaluate_comparison(
    index: MetricIndex,
    claim: Claim,
    choices: dict[str, ConfigChoice],
    alpha: float,
    a_values: dict[int, float],
    notes: list[str],
    hashes: tuple[str, ...],
) -> ClaimResult:
    """'A > B' paired by seed: only seeds that both experiments completed enter the test."""
    versus = choices.get(claim.versus)
    b_values, absent = index.of(versus, claim.metric)
    if absent:
        notes.append(_absent_note(claim.versus, claim.metric, absent))
    hashes = hashes + ((versus.chosen.config_hash,) if versus else ())
    paired = sorted(set(a_values) & set(b_values))
    unpaired = len(set(a_values) ^ set(b_values))
    if unpaired:
        notes.append(
            f"{unpaired} seed{'s' if unpaired != 1 else ''} run for only one of "
            f"{claim.experiment} and {claim.versus}: left out of the paired test"
        )
    a_all = tuple(sorted(a_values.items()))
    b_all = tuple(sorted(b_values.items()))
    if not paired:
        return ClaimResult(
            claim,
            NOT_RUN,
            None,
            None,
            values=a_all,
            versus_values=b_all,
            config_hashes=hashes,
            notes=tuple(notes),
        )
    a = [a_values[s] for s in paired]
    b = [b_values[s] for s in paired]
    verdict = stats.comparison_verdict(a, b, claim.direction, paired=True, alpha=alpha)
    differences = index.summarize([x - y for x, y in zip(a, b, strict=True)])
    return ClaimResult(
        claim,
        verdict.outcome,
        verdict,
        differences,
        values=a_all,
        versus_values=b_all,
        versus_summary=index.summarize(b),
        first_summary=index.summarize(a),
        delta=differences.mean,
        config_hashes=hashes,
        notes=tuple(notes),
    )


def _absent_note(experiment: str, metric: str, count: int) -> str:
    runs = "run" if count == 1 else "runs"
    return f"{count} completed {experiment} {runs} did not log {metric}"


def overall_outcome(results: list[ClaimResult]) -> str:
    """Over the verified claims only: incomplete while any has no verdict (not run, metric
    missing); then reproduced: every one reproduced; partially: some; not reproduced: none
    reproduced and at least one contradicted; inconclusive otherwise. Unverified claims are
    shown and named apart, never counted; a paper without claims has nothing to judge."""
    if not results:
        return NO_CLAIMS_OVERALL
    counted = [r for r in results if r.counts]
    if not counted:
        return NO_VERIFIED_OVERALL
    if any(r.outcome not in stats.OUTCOMES for r in counted):
        return INCOMPLETE_OVERALL
    reproduced = sum(r.outcome == stats.REPRODUCED for r in counted)
    refuted = sum(r.outcome in (stats.BELOW, stats.ABOVE) for r in counted)
    if reproduced == len(counted):
        return REPRODUCED_OVERALL
    if reproduced:
        return PARTIAL_OVERALL
    if refuted:
        return NOT_REPRODUCED_OVERALL
    return INCONCLUSIVE_OVERALL


def outcome_counts(results: list[ClaimResult]) -> dict[str, int]:
    """Claims per outcome, in a fixed order (zero counts kept so tables line up)."""
    order = (*stats.OUTCOMES, NOT_RUN)
    return {o: sum(r.outcome == o for r in results) for o in order}
