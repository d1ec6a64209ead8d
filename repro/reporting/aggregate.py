"""From the long record table to per-claim evidence: which config counts, and each verdict.

Pure functions over the DataFrame of `repro.records.table` and the paper's claims; the statistics
themselves are `repro.stats`.

Which runs count. Only completed runs, of ONE config per experiment: the paper's setting, i.e.
the config `repro run paper=<id> experiment=<name>` composes with no override of a key that
enters the config hash. A quick `trainer.max_steps=1500` check or a changed learning rate is
another setting: it goes to "Results beyond the original paper", never into a verdict, and
when the paper's setting has no runs the claim is *not run* (the report names the settings that
do). `--config HASH` judges another setting on purpose, marked as a deviation. Without the
paper's setting (its config no longer composes) the rule falls back to the config with the
most completed seeds, ties going to the most recently finished.

Which code. Runs of one config made by different plugin code (the records' `code_digest`, and
the classes paper.yaml named, `code_classes`) are never pooled: `settings_by_code` keeps the
config hash for the plugin's current code (or, with no runs of it, the code with the most
completed runs) and names the others `<config hash>+code.<digest[:8]>` (`+code.unknown` for
records made before code was recorded; `.<tag>` after the digest where paper.yaml named other
classes than it does now), so they are listed as other settings like any other config.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repro import stats
from repro.config.paper_setting import config_differences as _differences
from repro.config.paper_setting import shown_pair
from repro.errors import NonFiniteLossError, close_name
from repro.plugins.paper_spec import Claim
from repro.records import store
from repro.records.table import classes_text
from repro.sweeping import two_stage
from repro.sweeping.plan import seeds_text
from repro.sweeping.two_stage import ADDING_VOIDS
from repro.sweeping.two_stage import FALLBACK as FLAT_PILOT_FALLBACK
from repro.wording import plural

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pandas as pd

NOT_RUN = "not run"
METRIC_MISSING = "metric missing"
"""Completed runs exist but none logged the claim's metric: a plugin fault to fix, not a gap
that more runs would fill."""
REPRODUCED_OVERALL = "reproduced"
REPRODUCED_FINITE_OVERALL = "reproduced on finite seeds"
"""Every verified claim reproduced, some only on their finite seeds: others diverged."""
PARTIAL_OVERALL = "partially reproduced"
NOT_REPRODUCED_OVERALL = "not reproduced"
INCONCLUSIVE_OVERALL = "inconclusive"
NO_CLAIMS_OVERALL = "no claims"
INCOMPLETE_OVERALL = "incomplete"  # some verified claims have no verdict yet
NO_VERIFIED_OVERALL = "no verified claims"  # only unverified claims: nothing counts
"""A plugin that ships no claims (yet): its runs are reported, nothing is judged."""
UNFINISHED = "unfinished"
"""Status shown for a record still marked running: in progress, or killed without a trace."""
STOPPED_BY_MAX_TIME = "stopped by max_time"
"""Status shown for a completed record `trainer.max_time` ended short of its setting
(`stopped_short`)."""


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
    paper_setting: bool = True  # the chosen config is the paper's (or the paper's is unknown)
    paper_hash: str | None = None

    @property
    def judged(self) -> bool:
        """Whether claims may be judged on the chosen config: the paper's, or pinned."""
        return self.paper_setting or self.pinned

    @property
    def deviation(self) -> bool:
        """Judged on a config that is not the paper's (pinned with --config)."""
        return self.pinned and not self.paper_setting

    @property
    def seeds(self) -> tuple[int, ...]:
        return self.chosen.seeds

    @property
    def set_aside(self) -> tuple[ConfigOption, ...]:
        """The configs no claim is judged on: the others, and the chosen one too when it
        judges nothing (the paper's setting has no runs), ordered as `others` is."""
        if self.judged:
            return self.others
        return tuple(sorted((self.chosen, *self.others), key=_by_values))


@dataclass(frozen=True)
class ClaimResult:
    """A claim with the reproduction's numbers and verdict."""

    claim: Claim
    outcome: str  # a repro.stats outcome, NOT_RUN or METRIC_MISSING
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
    deviation: bool = False  # judged on a --config setting that is not the paper's
    logged_instead: str | None = None  # metric missing: the logged metric its name is close to
    judged_below: int | None = None  # a two-stage plan's N: seeds from N on are not judged
    processes: tuple[int, ...] = ()  # the judged seeds' differing numbers of processes (DDP)
    absent: int = 0  # completed runs of the judged setting without the metric; a comparison:
    # seeds both sides completed whose pair lacks it on a side
    # a two-stage verdict on fewer seeds than its plan's N (a report read before stage two
    # finished): that N, which the row shows beside n, as the verdict's interim note does
    interim_of: int | None = None
    # of an interim verdict's missing planned seeds, those with no completed run (a sweep
    # trains them); the others completed without logging the metric (a sweep trains nothing)
    interim_unrun: tuple[int, ...] = ()
    # the `repro run ... rerun=true` of each of those others (a side lacking the metric, of
    # a comparison): what trains them again, where no sweep does
    interim_reruns: tuple[str, ...] = ()
    # of those others, the seeds trainer.max_time stopped short (logged, not completed): no
    # sweep trains them either, the `rerun=true` listed with the failed runs does
    interim_stopped: tuple[int, ...] = ()
    # judged seeds (a comparison: seed pairs) whose run failed with a non-finite loss: they
    # diverged in training and have no value, so the summary's n_nan cannot count them
    failed_diverged: tuple[int, ...] = ()
    # a comparison: of the judged pairs, how many diverged on A's side and on B's
    diverged_sides: tuple[int, int] = (0, 0)

    @property
    def counts(self) -> bool:
        """Whether it enters the overall outcome (unverified claims are shown, not counted)."""
        return self.claim.verified

    @property
    def diverged(self) -> int:
        """Judged seeds (a comparison: seed pairs, either side) whose value was NaN or inf,
        left out of the test: a verdict on the others must say so beside it."""
        non_finite = self.summary.n_nan if self.summary is not None else 0
        return non_finite + len(self.failed_diverged)


CODE_SEPARATOR = "+code."


def code_keys(frame: pd.DataFrame, current_classes: dict[str, str] | None) -> pd.Series:
    """Which code made each run: its digest's first 8 characters, and where paper.yaml named
    other classes than it does now (`current_classes`), a tag of those (`abcd1234.5e6f7a`).
    Runs recorded before classes were have none: they count as the current classes, as the
    sweep's `fingerprint.stale_reason` counts them."""
    import hashlib

    import pandas as pd

    now = classes_text(current_classes)
    classes = frame["code_classes"] if "code_classes" in frame.columns else [None] * len(frame)

    def key(digest: Any, named: Any) -> str:
        code = digest[:8] if isinstance(digest, str) and digest else "unknown"
        if not isinstance(named, str) or named == now:
            return code
        return f"{code}.{hashlib.sha256(named.encode()).hexdigest()[:6]}"

    keys = [key(d, c) for d, c in zip(frame["code_digest"], classes, strict=True)]
    return pd.Series(keys, index=frame.index, dtype=object)


def settings_by_code(
    frame: pd.DataFrame,
    current_digest: str | None = None,
    current_classes: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The long table with `config_hash` split by code: where one experiment's config hash has
    completed runs of several codes (`code_keys`), the plugin's current code (`current_digest`
    and `current_classes`) keeps the hash when it has runs, else the code with the most
    completed runs (ties: the most recently finished); the others become
    `<hash>+code.<code key>`."""
    current = (current_digest or "")[:8]
    if "code_digest" not in frame.columns or frame.empty:
        return frame
    code = code_keys(frame, current_classes)
    completed = frame[frame["status"] == store.STATUS_COMPLETED].assign(_code=code)
    runs = completed.drop_duplicates("record_dir")
    keep: dict[tuple[str, str], str] = {}
    for (experiment, config_hash), rows in runs.groupby(["experiment", "config_hash"]):
        if rows["_code"].nunique() < 2:
            continue
        ranked = sorted(
            (digest == current, len(group), _last_finished(group), digest)
            for digest, group in rows.groupby("_code")
        )
        keep[(str(experiment), str(config_hash))] = ranked[-1][-1]
    if not keep:
        return frame
    renamed = [
        h
        if (str(e), str(h)) not in keep or keep[(str(e), str(h))] == c
        else f"{h}{CODE_SEPARATOR}{c}"
        for e, h, c in zip(frame["experiment"], frame["config_hash"], code, strict=True)
    ]
    return frame.assign(config_hash=renamed)


def stopped_short(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The long table with each completed run that `trainer.max_time` ended short of its
    `max_steps`/`max_epochs` given status `STOPPED_BY_MAX_TIME` and an error saying how far it
    trained and how to train it again, so no verdict, mean or plan counts it: another machine
    trains the same setting (one hash) further. Also one warning per setting naming its seeds."""
    if "stopped_by" not in frame.columns or frame.empty:
        return frame, []
    short = (frame["status"] == store.STATUS_COMPLETED) & (frame["stopped_by"] == "max_time")
    if not short.any():
        return frame, []
    frame = frame.copy()
    errors = {}
    warnings = []
    runs = frame[short].drop_duplicates("record_dir")
    for (experiment, config_hash), rows in runs.groupby(["experiment", "config_hash"], sort=True):
        row = rows.iloc[0]
        limit = _max_time(row)
        end = _setting_end(row)
        for run in rows.itertuples(index=False):
            again = f"{run.command} rerun=true" if isinstance(run.command, str) else "rerun=true"
            errors[run.record_dir] = (
                f"trainer.max_time={limit} ended it at step {_whole(run.steps)} (epoch "
                f"{_whole(getattr(run, 'epochs', None))}), short of its setting's {end}: its "
                "numbers are not the setting's, so no verdict counts them; a faster machine (or "
                f"a longer trainer.max_time, another setting) trains it to its end: {again}"
            )
        seeds = ", ".join(str(int(s)) for s in sorted(rows["seed"]))
        steps = ", ".join(_whole(s) for s in rows.sort_values("seed")["steps"])
        warnings.append(
            f"warning: {experiment} config {config_hash}: {plural(len(rows), 'seed')} ({seeds}) "
            f"stopped by trainer.max_time={limit} at step {steps}, short of {end}: left out of "
            "every verdict (the report lists them with the runs that failed)"
        )
    at = frame.loc[short, "record_dir"]
    frame.loc[short, "error"] = at.map(errors)
    frame.loc[short, "status"] = STOPPED_BY_MAX_TIME
    return frame, warnings


def _trainer_value(row: Any, key: str) -> Any:
    value = row.get(f"p_trainer.{key}")
    return None if _is_missing(value) else value


def _max_time(row: Any) -> Any:
    """A run's trainer.max_time as the config hash reads it: a mapping (`{hours: 1}`, whose
    keys the table holds apart, `p_trainer.max_time.hours`) as `00:01:00:00`, a fraction of
    a second as `{seconds: 0.5}` (`store.max_time_named`)."""
    prefix = "p_trainer.max_time."
    given = {k[len(prefix) :]: v for k, v in row.items() if k.startswith(prefix)}
    given = {k: v.item() if hasattr(v, "item") else v for k, v in given.items()}
    given = {k: v for k, v in given.items() if not _is_missing(v)}
    if not given:
        return _trainer_value(row, "max_time")
    return store.max_time_named(given)


def _setting_end(row: Any) -> str:
    """`trainer.max_steps=6000` (or `trainer.max_epochs=E`, whichever comes first): the bounds
    a run's setting trains to, as its config says (> 0 only)."""
    bounds = []
    for key in ("max_steps", "max_epochs"):
        value = _trainer_value(row, key)
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and value > 0:
            bounds.append(f"trainer.{key}={_whole(value)}")
    return " or ".join(bounds) or "end"


def _whole(value: Any) -> str:
    """6000.0 (a pandas column's) as 6000; `?` where the record has none."""
    if _is_missing(value) or not isinstance(value, numbers.Real) or isinstance(value, bool):
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)


def _last_finished(rows: pd.DataFrame) -> str:
    """The latest ISO finish time; "" (before every date) when none was recorded."""
    finished = rows["finished_at"].dropna().astype(str)
    return str(finished.max()) if not finished.empty else ""


def run_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per run (the long table has one per metric)."""
    return frame.drop_duplicates("record_dir").reset_index(drop=True)


def choose_configs(
    runs: pd.DataFrame,
    pinned: frozenset[str] = frozenset(),
    paper_hashes: dict[str, str] | None = None,
    paper_configs: dict[str, dict[str, Any]] | None = None,
) -> dict[str, ConfigChoice]:
    """Per experiment, the config whose completed runs count (see the module docstring).

    `paper_hashes`: experiment -> the paper's setting's config hash; `paper_configs`: its flat
    config (keys without the `p_` prefix), which the other settings' differences refer to.
    """
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
        paper_hash = (paper_hashes or {}).get(str(experiment))
        pinned_here = [o for o in options if o.config_hash in pinned]
        paper_here = [o for o in options if o.config_hash == paper_hash]
        chosen = (pinned_here or paper_here or options)[0]
        reference = (paper_configs or {}).get(str(experiment))
        exact = True  # the paper's composed config has its exact types
        if reference is None:
            reference, exact = _config_of(group, chosen.config_hash, config_columns)
        others = tuple(
            ConfigOption(
                o.config_hash,
                o.seeds,
                o.latest,
                _setting_differences(
                    _config_of(group, o.config_hash, config_columns), reference, exact
                ),
            )
            for o in options
            if o is not chosen
        )
        others = tuple(sorted(others, key=_by_values))  # 50, 100, 150: not by when they ran
        if paper_configs and str(experiment) in paper_configs:
            chosen = ConfigOption(
                chosen.config_hash,
                chosen.seeds,
                chosen.latest,
                _setting_differences(
                    _config_of(group, chosen.config_hash, config_columns), reference, exact
                ),
            )
        choices[str(experiment)] = ConfigChoice(
            str(experiment),
            chosen,
            others,
            bool(pinned_here),
            paper_setting=paper_hash is None or chosen.config_hash == paper_hash,
            paper_hash=paper_hash,
        )
    return choices


def diverged_choices(
    runs: pd.DataFrame,
    choices: dict[str, ConfigChoice],
    pinned: frozenset[str] = frozenset(),
    paper_hashes: dict[str, str] | None = None,
) -> dict[str, ConfigChoice]:
    """Per experiment with no completed run of a judged setting, the setting whose every run
    failed with a non-finite loss: its claims ran and diverged, not "not run". Chosen as
    `choose_configs` chooses, from those runs: the paper's (another setting judges nothing,
    also where it completed: the paper's setting still ran, and diverged); a --config of its
    runs judges nothing, as it warns (`_pins_never_completed`)."""
    judged = [experiment for experiment, choice in choices.items() if choice.judged]
    failed = runs[(runs["status"] == store.STATUS_FAILED) & ~runs["experiment"].isin(judged)]
    diverged = failed[
        failed["error"]
        .map(lambda e: NonFiniteLossError.describes(e if isinstance(e, str) else None))
        .astype(bool)
    ]
    result: dict[str, ConfigChoice] = {}
    for experiment, group in diverged.groupby("experiment", sort=True):
        options = sorted(
            (ConfigOption(str(h), (), "") for h, rows in group.groupby("config_hash", sort=False)),
            key=lambda o: (
                len(set(group.loc[group["config_hash"] == o.config_hash, "seed"])),
                o.config_hash,
            ),
            reverse=True,
        )
        paper_hash = (paper_hashes or {}).get(str(experiment))
        if any(o.config_hash in pinned for o in options):
            continue
        paper_here = [o for o in options if o.config_hash == paper_hash]
        chosen = (paper_here or options)[0]
        result[str(experiment)] = ConfigChoice(
            str(experiment),
            chosen,
            tuple(o for o in options if o is not chosen),
            paper_setting=paper_hash is None or chosen.config_hash == paper_hash,
            paper_hash=paper_hash,
        )
    return {e: c for e, c in result.items() if c.judged}


def _config_of(
    runs: pd.DataFrame, config_hash: str, columns: list[str]
) -> tuple[dict[str, Any], bool]:
    """A setting's flat config with the types its config.yaml has (what its hash saw), else,
    without a readable one, the table's values (where pandas may make 6000 into 6000.0)."""
    from repro.records.table import read_result_config

    rows = runs.loc[runs["config_hash"] == config_hash]
    for record_dir in rows["record_dir"]:
        try:
            return read_result_config(Path(record_dir)), True
        except Exception:  # missing or malformed: the next seed's copy, else the table
            continue
    row = rows[columns].iloc[0]
    return {k[2:]: v for k, v in row.items() if not _is_missing(v)}, False


def _by_values(option: ConfigOption) -> tuple[Any, ...]:
    """A setting's place among the others: by the keys it differs in and their values,
    numbers in numeric order (50 before 100, not as text), then its config hash."""

    def value(v: Any) -> tuple[int, Any]:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            return 0, float(v)
        return (1, v) if isinstance(v, str) else (2, repr(v))

    return (tuple((key, value(v)) for key, v, _ in option.differences), option.config_hash)


def _setting_differences(
    config: tuple[dict[str, Any], bool], reference: dict[str, Any], reference_exact: bool
) -> tuple[tuple[str, Any, Any], ...]:
    """Keys where a setting (its flat config, and whether its types are exact) differs from
    the reference: told apart as the config hash tells them (`0` is not `0.0`) when both
    sides have exact types, else by value."""
    values, exact = config
    return _differences(values, reference, typed=exact and reference_exact)


def _world_size(value: Any) -> int:
    """A record's processes (`model.world_size`, written only past 1; NaN in a column with
    gaps): 1 where it names none."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return 1
    return max(int(value), 1)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class MetricIndex:
    """Completed runs' metric values by experiment, config and metric: one pass over the
    table instead of a DataFrame filter per claim."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.values: dict[tuple[str, str, str], dict[int, float]] = {}
        self.seeds: dict[tuple[str, str], set[int]] = {}
        self.metrics: dict[tuple[str, str], set[str]] = {}
        self.worlds: dict[tuple[str, str], dict[int, int]] = {}
        self.devices: dict[tuple[str, str], Any] = {}  # the setting's trainer.devices
        self.commands: dict[tuple[str, str], dict[int, str]] = {}  # seed -> its `repro run`
        # seeds whose completed run trainer.max_time ended short (`stopped_short`): no sweep
        # trains them again, `rerun=true` does
        self.stopped: dict[tuple[str, str], set[int]] = {}
        short = frame[frame["status"] == STOPPED_BY_MAX_TIME]
        for experiment, config_hash, seed in zip(
            *(short[c].tolist() for c in ("experiment", "config_hash", "seed")), strict=True
        ):
            self.stopped.setdefault((experiment, config_hash), set()).add(int(seed))
        # seeds whose run failed with a non-finite loss: diverged in training, no value
        self.diverged: dict[tuple[str, str], set[int]] = {}
        failed = frame[frame["status"] == store.STATUS_FAILED]
        for experiment, config_hash, seed, error in zip(
            *(failed[c].tolist() for c in ("experiment", "config_hash", "seed", "error")),
            strict=True,
        ):
            if NonFiniteLossError.describes(error if isinstance(error, str) else None):
                self.diverged.setdefault((experiment, config_hash), set()).add(int(seed))
        completed = frame[frame["status"] == store.STATUS_COMPLETED]
        columns = ("experiment", "config_hash", "metric", "seed", "value")
        worlds = completed["world_size"].tolist() if "world_size" in completed else None
        if "p_trainer.devices" in completed:
            for experiment, config_hash, devices in zip(
                completed["experiment"],
                completed["config_hash"],
                completed["p_trainer.devices"],
                strict=True,
            ):
                self.devices.setdefault((experiment, config_hash), devices)
        if "command" in completed:
            for experiment, config_hash, seed, command in zip(
                *(completed[c].tolist() for c in ("experiment", "config_hash", "seed")),
                completed["command"].tolist(),
                strict=True,
            ):
                if isinstance(command, str):
                    self.commands.setdefault((experiment, config_hash), {})[int(seed)] = command
        for row, (experiment, config_hash, metric, seed, value) in enumerate(
            zip(*(completed[c].tolist() for c in columns), strict=True)
        ):
            self.seeds.setdefault((experiment, config_hash), set()).add(int(seed))
            world = _world_size(worlds[row] if worlds is not None else None)
            self.worlds.setdefault((experiment, config_hash), {})[int(seed)] = world
            if isinstance(metric, str):
                self.values.setdefault((experiment, config_hash, metric), {})[int(seed)] = value
                self.metrics.setdefault((experiment, config_hash), set()).add(metric)
        self._summaries: dict[tuple[float, ...], stats.Summary] = {}

    def of(self, choice: ConfigChoice | None, metric: str) -> tuple[dict[int, float], int]:
        """Seed -> value of `metric` over the chosen config's completed runs, and how many of
        those runs did not log the metric at all."""
        if choice is None:
            return {}, 0
        key = (choice.experiment, choice.chosen.config_hash)
        values = self.values.get((*key, metric), {})
        return values, len(self.seeds.get(key, set()) - set(values))

    def reruns(self, choice: ConfigChoice | None, seeds: Iterable[int]) -> list[str]:
        """The `repro run ... rerun=true` that trains each of the chosen config's completed
        `seeds` again (a seed whose record names no command has none)."""
        if choice is None:
            return []
        commands = self.commands.get((choice.experiment, choice.chosen.config_hash), {})
        return [f"{commands[s]} rerun=true" for s in sorted(seeds) if s in commands]

    def stopped_of(self, choice: ConfigChoice | None) -> set[int]:
        """The seeds of the chosen config whose run trainer.max_time stopped short."""
        if choice is None:
            return set()
        return self.stopped.get((choice.experiment, choice.chosen.config_hash), set())

    def diverged_of(self, choice: ConfigChoice | None) -> set[int]:
        """The seeds of the chosen config whose run failed with a non-finite loss."""
        if choice is None:
            return set()
        return self.diverged.get((choice.experiment, choice.chosen.config_hash), set())

    def completed(self, choice: ConfigChoice | None) -> set[int]:
        """The seeds of the chosen config's completed runs, whatever they logged."""
        if choice is None:
            return set()
        return self.seeds.get((choice.experiment, choice.chosen.config_hash), set())

    def close_metric(self, choice: ConfigChoice | None, metric: str) -> str | None:
        """A metric the chosen config's runs logged whose name `metric` is a likely typo of:
        then the claim in paper.yaml, not the plugin's logging, is what to fix."""
        if choice is None:
            return None
        return close_name(
            metric, self.metrics.get((choice.experiment, choice.chosen.config_hash), ())
        )

    def runs_identical(self, experiment: str, config_hash: str, seeds: list[int]) -> bool:
        """Whether the chosen config's runs of `seeds` logged the same value of every metric
        they all logged: only then are identical seed values evidence of a deterministic run
        rather than a metric too coarse to show their spread (stats.too_coarse). A metric
        some seed lacks (an older record) tells nothing either way."""
        key = (experiment, config_hash)
        for metric in self.metrics.get(key, ()):
            logged = self.values[(*key, metric)]
            every = all(seed in logged for seed in seeds)
            if every and not stats.same_values([logged[seed] for seed in seeds]):
                return False
        return True

    def world_note(
        self, experiment: str, config_hash: str, seeds: list[int]
    ) -> tuple[str | None, tuple[int, ...]]:
        """A note, and the numbers of processes, where `seeds` of one setting trained on
        different numbers of processes (DDP ranks): `trainer.devices=auto` (or -1) is one
        config hash, one device on one machine and every GPU of another, whose numbers
        differ (each step shards its batch over the ranks)."""
        recorded = self.worlds.get((experiment, config_hash), {})
        by_world: dict[int, list[int]] = {}
        for seed in seeds:
            by_world.setdefault(recorded.get(seed, 1), []).append(seed)
        if len(by_world) < 2:
            return None, ()
        parts = [
            f"seed{'s' * (len(group) > 1)} {seeds_text(group)} "
            + (f"trained on {plural(world, 'process', 'processes')}" if i == 0 else f"on {world}")
            for i, (world, group) in enumerate(sorted(by_world.items(), reverse=True))
        ]
        return (
            f"⚠️ {experiment}'s seeds trained on different numbers of processes (DDP ranks), "
            f"pooled as one setting: {', '.join(parts)} (trainer.devices=auto or -1 takes "
            "every GPU of the machine it lands on: set a number of devices)"
        ), tuple(sorted(by_world, reverse=True))

    def sides_world_note(
        self, sides: list[tuple[str, str]], seeds: list[int]
    ) -> tuple[str | None, tuple[int, ...]]:
        """A note, and the numbers of processes, where a comparison's two sides each trained
        on one number of processes but not the same one, at the same trainer.devices (auto or
        -1 on machines with other numbers of GPUs): each pair's difference compares runs
        whose steps were sharded otherwise."""
        worlds = []
        for experiment, config_hash in sides:
            recorded = self.worlds.get((experiment, config_hash), {})
            side = {recorded.get(seed, 1) for seed in seeds}
            if len(side) != 1:  # a mixed side has its own note; no seed: nothing compared
                return None, ()
            worlds.append(side.pop())
        devices = {repr(self.devices.get(side)) for side in sides}
        if len(sides) != 2 or worlds[0] == worlds[1] or len(devices) != 1:
            return None, ()  # one number, or a setting that asks for other devices
        (a, _), (b, _) = sides
        return (
            f"⚠️ {a}'s seeds trained on {plural(worlds[0], 'process', 'processes')}, {b}'s on "
            f"{worlds[1]} (DDP ranks), at one trainer.devices: each pair's difference compares "
            "runs on other numbers of processes (trainer.devices=auto or -1 takes every GPU of "
            "the machine it lands on: set a number of devices)"
        ), tuple(sorted(set(worlds), reverse=True))

    def summarize(self, values: list[float]) -> stats.Summary:
        """stats.summarize, once per distinct list of values (its bootstrap is the costly part)."""
        key = tuple(values)
        if key not in self._summaries:
            self._summaries[key] = stats.summarize(values)
        return self._summaries[key]


def evaluate_claims(
    frame: pd.DataFrame,
    claims: list[Claim],
    choices: dict[str, ConfigChoice],
    alpha: float,
    two_stage_pilots: dict[str, int] | None = None,
    two_stage_totals: dict[str, int] | None = None,
    fixed_sample_totals: dict[str, int] | None = None,
    diverged: dict[str, ConfigChoice] | None = None,
) -> list[ClaimResult]:
    """Every claim's result. `two_stage_pilots`: experiment -> pilot size n0 for experiments
    whose seeds `seeds=auto` chose: their claims get the two-stage test (repro.sweeping.two_stage),
    the only one whose error rates hold when the number of seeds came from the data.
    `two_stage_totals`: experiment -> the planned N; the test judges seeds 0..N-1 only.
    `fixed_sample_totals`: experiment -> the N of a plan that no longer governs (its pilot
    changed): the fixed-sample test judges seeds 0..N-1, since the later ones were still added
    after the plan's verdict. `diverged`: experiment -> the setting whose every run diverged
    (`diverged_choices`), where no completed run of a judged setting gives one: its claims
    are judged diverged."""
    index = MetricIndex(frame)
    choices = {**choices, **(diverged or {})}  # only where no judged setting completed
    results = []
    for claim in claims:
        pilots = {(two_stage_pilots or {}).get(name) for name in claim.experiments()}
        n0 = pilots.pop() if len(pilots) == 1 and None not in pilots else None
        totals = {(two_stage_totals or {}).get(name) for name in claim.experiments()}
        # pairs exist up to the smaller plan; no plan for a side: nothing to cut at
        total = None if None in totals or n0 is None else min(t for t in totals if t is not None)
        # a plan that no longer governs (or governs one side only): its N still cuts
        cuts = [
            (fixed_sample_totals or {}).get(name, (two_stage_totals or {}).get(name))
            for name in claim.experiments()
        ]
        cut = min((c for c in cuts if c is not None), default=None) if n0 is None else None
        mixed = _other_pilots(claim, two_stage_pilots or {}) or _one_side_planned(
            claim, two_stage_pilots or {}, two_stage_totals or {}, fixed_sample_totals or {}
        )
        changed = any(n in (fixed_sample_totals or {}) for n in claim.experiments())
        cut = cut if changed or mixed else None
        result = evaluate_claim(index, claim, choices, alpha, n0, total, cut)
        if mixed and result.verdict is not None:
            reason = f"{result.verdict.reason}; {mixed}"
            result = dataclasses.replace(
                result, verdict=dataclasses.replace(result.verdict, reason=reason)
            )
        deviates = any(choices[n].deviation for n in claim.experiments() if n in choices)
        if deviates and result.verdict is None:  # nothing judged it: no setting to deviate
            deviation_notes = {_deviation_note(c) for c in choices.values() if c.deviation}
            notes = tuple(n for n in result.notes if n not in deviation_notes)
            results.append(dataclasses.replace(result, notes=notes))
            continue
        results.append(dataclasses.replace(result, deviation=deviates) if deviates else result)
    return results


def _other_pilots(claim: Claim, pilots: dict[str, int]) -> str | None:
    """Why a comparison whose sides seeds=auto planned from pilots of other sizes (a later
    sweep after default_seeds changed) gets no two-stage test, or None: Stein's test needs the
    one pilot that chose N for the pairs, and no sweep planned these pairs from one, so the
    fixed-sample test judges the pairs below the smaller N (judging those a later sweep
    added past both plans after seeing the verdicts would void its error rates too)."""
    sizes = {name: pilots.get(name) for name in claim.experiments()}
    if len(sizes) < 2 or None in sizes.values() or len(set(sizes.values())) == 1:
        return None
    named = ", ".join(f"{name} n0={n0}" for name, n0 in sizes.items())
    return (
        f"the two sides' seeds=auto plans come from pilots of other sizes ({named}): no one "
        "pilot planned the pairs, so the two-stage test does not apply and the fixed-sample "
        "test judges the pairs below the smaller N"
    )


def _one_side_planned(
    claim: Claim,
    pilots: dict[str, int],
    totals: dict[str, int],
    stale: dict[str, int] | None = None,
) -> str | None:
    """Why a comparison whose one side seeds=auto planned and the other not (a plan of one
    experiment, the other swept with fixed seeds) gets no two-stage test, or None: no pilot
    planned the pairs, so the fixed-sample test judges the pairs below the planned side's N;
    judging the pairs past it would judge the seeds added past that plan after its verdicts
    were read, which its own claims show but do not judge. `stale`: experiment -> N of a plan
    that no longer applies (pilot changed, plan lost): that side was planned, and its N cuts
    too, so the reason says so rather than 'were not' planned and the planned side's N."""
    names = claim.experiments()
    planned = [name for name in names if name in pilots and name in totals]
    if len(names) < 2 or len(planned) != 1:
        return None
    (name,) = planned
    (other,) = [n for n in names if n != name]
    old = (stale or {}).get(other)
    if old is None:
        return (
            f"only {name}'s seeds were planned by seeds=auto (n0={pilots[name]}, "
            f"N={totals[name]}), {other}'s were not: no pilot planned the pairs, so the "
            f"two-stage test does not apply and the fixed-sample test judges the pairs below "
            f"{name}'s N"
        )
    below = f"{name}'s N" if totals[name] <= old else "the smaller N"
    return (
        f"{name}'s seeds were planned by seeds=auto (n0={pilots[name]}, N={totals[name]}), "
        f"{other}'s seeds=auto plan (N={old}) no longer applies: no one pilot planned the "
        f"pairs, so the two-stage test does not apply and the fixed-sample test judges the "
        f"pairs below {below}"
    )


@dataclass(frozen=True)
class OtherSetting:
    """A claim's metric under a setting that is not the one judged: beyond the paper."""

    claim_id: str
    experiment: str
    metric: str
    config_hash: str  # for a comparison: "<A's hash> / <B's hash>"
    differences: tuple[tuple[str, Any, Any], ...]  # (key, this setting, the paper's)
    summary: stats.Summary  # for a comparison: of A − B over the seeds both sides ran
    interval: tuple[float, float]  # the 90% t-interval, as the verdicts use
    outcome: str  # what the claim's fixed-sample rule gives on these seeds alone
    pairs: bool = False  # a comparison: summary and interval are of paired differences
    resolution: float = math.inf  # the finest difference its rule rests on (stats.digits_for)


def other_settings(
    frame: pd.DataFrame, claims: list[Claim], choices: dict[str, ConfigChoice], alpha: float
) -> list[OtherSetting]:
    """Per claim, every setting of its experiment that was not judged (all of them when the
    paper's setting has no runs), with the keys that differ and what the claim's fixed-sample
    rule gives on that setting's seeds (shown, never a verdict). A comparison is shown under a
    setting both experiments ran with the same changes, paired by seed."""
    index = MetricIndex(frame)
    rows: list[OtherSetting] = []
    for claim in claims:
        choice = choices.get(claim.experiment)
        if choice is None:
            continue
        if claim.kind == "comparison":
            versus = choices.get(claim.versus or "")
            if versus is not None:
                rows += _comparison_elsewhere(index, claim, choice, versus, alpha)
            continue
        for option in _unjudged(choice):
            values = index.values.get((claim.experiment, option.config_hash, claim.metric), {})
            ordered = [values[s] for s in sorted(values)]
            if not ordered:
                continue
            summary = index.summarize(ordered)
            interval = stats.t_interval(summary.mean, summary.std, summary.n, 1 - 2 * alpha)
            exact = index.runs_identical(
                claim.experiment, option.config_hash, _finite_seeds(sorted(values), ordered)
            )
            rule = _fixed_sample_verdict(claim, ordered, alpha, exact)
            rows.append(
                OtherSetting(
                    claim.id,
                    claim.experiment,
                    claim.metric,
                    option.config_hash,
                    option.differences,
                    summary,
                    interval,
                    rule.outcome,
                    resolution=rule.resolution,
                )
            )
    return rows


def _unjudged(choice: ConfigChoice) -> list[ConfigOption]:
    return list(choice.others) + ([] if choice.judged else [choice.chosen])


def _comparison_elsewhere(
    index: MetricIndex,
    claim: Claim,
    first: ConfigChoice,
    versus: ConfigChoice,
    alpha: float,
) -> list[OtherSetting]:
    """'A < B' under each setting that changes the same keys to the same values on both sides."""

    def changes(option: ConfigOption) -> frozenset[tuple[str, str]]:
        return frozenset((key, repr(value)) for key, value, _ in option.differences)

    partners = {changes(o): o for o in _unjudged(versus) if o.differences}
    rows = []
    for option in _unjudged(first):
        partner = partners.get(changes(option)) if option.differences else None
        if partner is None:
            continue
        a = index.values.get((claim.experiment, option.config_hash, claim.metric), {})
        b = index.values.get((claim.versus, partner.config_hash, claim.metric), {})
        seeds, a_side, b_side, diffs = _paired(a, b)
        if not seeds:
            continue
        summary = index.summarize(diffs)
        finite = _finite_seeds(seeds, diffs)
        exact = index.runs_identical(
            claim.experiment, option.config_hash, finite
        ) and index.runs_identical(claim.versus or "", partner.config_hash, finite)
        rule = stats.comparison_verdict(
            a_side, b_side, claim.direction, paired=True, alpha=alpha, exact=exact
        )
        rows.append(
            OtherSetting(
                claim.id,
                claim.experiment,
                claim.metric,
                f"{option.config_hash} / {partner.config_hash}",
                option.differences,
                summary,
                stats.t_interval(summary.mean, summary.std, summary.n, 1 - 2 * alpha),
                rule.outcome,
                pairs=True,
                resolution=rule.resolution,
            )
        )
    return rows


def evaluate_claim(
    index: MetricIndex,
    claim: Claim,
    choices: dict[str, ConfigChoice],
    alpha: float,
    pilot: int | None = None,
    total: int | None = None,
    cut: int | None = None,
) -> ClaimResult:
    """Numbers and verdict of one claim from the chosen configs' completed runs. With a
    two-stage `pilot`, only the planned seeds 0..`total`-1 are judged (see `_planned_only`);
    with `cut` (a plan that no longer governs), the fixed-sample test judges 0..`cut`-1."""
    named = [choices[name] for name in claim.experiments() if name in choices]
    unjudged = [choice for choice in named if not choice.judged]
    if unjudged:
        notes = tuple(map(_other_settings_note, unjudged))
        return ClaimResult(claim, NOT_RUN, None, None, notes=notes)
    choice = choices.get(claim.experiment)
    values, absent = index.of(choice, claim.metric)
    notes = [_absent_note(claim.experiment, claim.metric, absent)] if absent else []
    notes += [
        _deviation_note(choices[name])
        for name in claim.experiments()
        if name in choices and choices[name].deviation
    ]
    hashes = (choice.chosen.config_hash,) if choice else ()
    if claim.kind == "comparison":
        return _evaluate_comparison(
            index, claim, choices, alpha, values, notes, hashes, pilot, absent, total, cut
        )
    every = _below(index.diverged_of(choice), cut)
    if not values and every and not absent:  # ran, and every seed diverged: none to test
        return ClaimResult(
            claim,
            stats.INCONCLUSIVE,
            _fixed_sample_verdict(claim, [], alpha),
            index.summarize([]),
            notes=(*notes, _diverged_note(claim.experiment, every)),
            config_hashes=hashes,
            failed_diverged=tuple(every),
        )
    if not values:
        outcome = METRIC_MISSING if absent else NOT_RUN
        instead = index.close_metric(choice, claim.metric) if absent else None
        return ClaimResult(
            claim,
            outcome,
            None,
            None,
            notes=tuple(notes),
            config_hashes=hashes,
            logged_instead=instead,
        )
    shown = sorted(values)
    two_stage_ok = pilot is not None and shown[:pilot] == list(range(pilot))
    seeds, later = _planned_only(shown, total if two_stage_ok else cut)
    ordered = [values[s] for s in seeds]
    summary = index.summarize(ordered)
    mixed, processes = (None, ())
    if choice is not None:
        mixed, processes = index.world_note(claim.experiment, hashes[0], seeds)
    notes += [mixed] if mixed else []
    exact = choice is not None and index.runs_identical(
        claim.experiment, choice.chosen.config_hash, _finite_seeds(seeds, ordered)
    )
    if two_stage_ok and claim.kind == "value":
        verdict = two_stage.equivalence_verdict(
            ordered, pilot, claim.value, claim.tolerance, alpha, exact
        )
    elif two_stage_ok:
        verdict = two_stage.one_sided_verdict(
            ordered, pilot, claim.value, claim.direction, alpha, exact
        )
    else:
        verdict = _fixed_sample_verdict(claim, ordered, alpha, exact)
    total = total if two_stage_ok else None
    later_values = [values[s] for s in later]
    unlogged = index.completed(choice) - set(values)
    stopped = index.stopped_of(choice) - set(values)
    failed = _below(index.diverged_of(choice) - set(values), total or cut)
    verdict = _note_plan(
        verdict,
        seeds,
        later_values,
        later,
        total or cut,
        bool(total),
        unlogged,
        claim.metric,
        stopped,
        diverged=set(failed),
    )
    if failed:
        notes.append(_diverged_note(claim.experiment, failed))
    tolerance = claim.tolerance if claim.tolerance is not None else math.inf
    delta = stats.at_float32(summary.mean, claim.value, tolerance) - claim.value  # 0 when on it
    delta_rel = delta / abs(claim.value) if claim.value else math.nan
    welch = None
    if claim.std is not None and claim.n is not None and summary.std == 0 and not exact:
        welch = stats.WelchResult(math.nan, math.nan, math.nan)  # our spread: unknown, not 0
    elif claim.std is not None and claim.n is not None:
        welch = stats.welch_from_summary(
            summary.mean, summary.std, summary.n, claim.value, claim.std, claim.n
        )
    return ClaimResult(
        claim,
        verdict.outcome,
        verdict,
        summary,
        values=tuple((s, values[s]) for s in shown),
        delta=delta,
        delta_rel=delta_rel,
        welch=welch,
        config_hashes=hashes,
        notes=tuple(notes),
        judged_below=total or (cut if later else None),
        processes=processes,
        absent=absent,
        interim_of=total if total and len({*seeds, *failed}) < total else None,
        interim_unrun=_unrun(seeds, total, unlogged | stopped | set(failed)),
        interim_reruns=tuple(index.reruns(choice, _silent(seeds, total, unlogged))),
        interim_stopped=tuple(sorted(_silent(seeds, total, stopped - unlogged))),
        failed_diverged=tuple(failed),
    )


def diverged_seeds(
    frame: pd.DataFrame, choices: dict[str, ConfigChoice], results: list[ClaimResult]
) -> dict[str, tuple[int, ...]]:
    """Per experiment, the seeds of its judged setting that diverged: failed with a
    non-finite loss, or a claim's metric NaN or inf. `choices`: with `diverged_choices`."""
    index = MetricIndex(frame)
    seeds = {e: set(index.diverged_of(c)) for e, c in choices.items() if c.judged}
    for result in results:
        sides = (
            (result.claim.experiment, result.values),
            (result.claim.versus, result.versus_values),
        )
        for experiment, values in sides:
            if experiment in seeds:
                seeds[experiment].update(s for s, v in values if not math.isfinite(v))
    return {e: tuple(sorted(s)) for e, s in seeds.items() if s}


def _finite_seeds(seeds: list[int], values: list[float]) -> list[int]:
    """The seeds whose value (a comparison: A − B) is finite: those the test runs on, and so
    the runs whose agreement makes identical values a deterministic run; a diverged seed's
    run differs from the others in the claim's metric itself, which tells nothing of them."""
    return [seed for seed, value in zip(seeds, values, strict=True) if math.isfinite(value)]


def _below(seeds: set[int], total: int | None) -> list[int]:
    """`seeds` sorted, those a plan's N leaves out of the test (None: none) dropped."""
    return sorted(s for s in seeds if total is None or s < total)


def _diverged_note(experiment: str, seeds: list[int]) -> str:
    """The note naming `seeds` of `experiment` that failed with a non-finite loss: they have
    no value, so only this note says why the verdict counts them as diverged."""
    which = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds_text(seeds)}"
    runs, count = ("its run", "counts") if len(seeds) == 1 else ("their runs", "count")
    return (
        f"{which} of {experiment} diverged in training (non-finite loss): {runs} failed, "
        f"with no value to test, and {count} as diverged beside the verdict"
    )


def _evaluate_comparison(
    index: MetricIndex,
    claim: Claim,
    choices: dict[str, ConfigChoice],
    alpha: float,
    a_values: dict[int, float],
    notes: list[str],
    hashes: tuple[str, ...],
    pilot: int | None = None,
    a_absent: int = 0,
    total: int | None = None,
    cut: int | None = None,
) -> ClaimResult:
    """'A > B' paired by seed: only seeds that both experiments completed enter the test."""
    versus = choices.get(claim.versus)
    b_values, absent = index.of(versus, claim.metric)
    # No pair because a side's completed runs lack the metric: a fault, not a gap.
    missing = (a_absent and not a_values) or (absent and not b_values)
    if absent:
        notes.append(_absent_note(claim.versus, claim.metric, absent))
    hashes = hashes + ((versus.chosen.config_hash,) if versus else ())
    paired, a, b, diffs = _paired(a_values, b_values)
    two_stage_ok = pilot is not None and paired[:pilot] == list(range(pilot))
    total = total if two_stage_ok else None
    paired, later = _planned_only(paired, total or cut)
    later_diffs = diffs[len(paired) :]
    a, b, diffs = a[: len(paired)], b[: len(paired)], diffs[: len(paired)]
    processes: set[int] = set()
    for experiment, config_hash in zip((claim.experiment, claim.versus), hashes, strict=False):
        mixed, worlds = index.world_note(str(experiment), config_hash, paired)
        notes += [mixed] if mixed else []
        processes.update(worlds)
    sides = list(zip((claim.experiment, str(claim.versus)), hashes, strict=False))
    across, worlds = index.sides_world_note(sides, paired) if not processes else (None, ())
    notes += [across] if across else []
    processes.update(worlds)
    # a seed both sides completed is run for both, whether or not each side logged the metric
    first = choices.get(claim.experiment)
    completed = index.completed(first), index.completed(versus)
    diverged_a, diverged_b = index.diverged_of(first), index.diverged_of(versus)
    # a pair whose one side diverged in training (and the other ran): a diverged pair
    failed = _below(
        ((completed[0] | diverged_a) & (completed[1] | diverged_b)) & (diverged_a | diverged_b),
        total or cut,
    )
    # a seed whose other side diverged is a diverged pair, counted as such: not unpaired
    unpaired = len((completed[0] ^ completed[1]) - set(failed))
    unlogged = len((completed[0] & completed[1]) - (set(a_values) & set(b_values)))
    if unpaired:
        notes.append(
            f"{plural(unpaired, 'seed')} completed for only one of "
            f"{claim.experiment} and {claim.versus}: left out of the paired test"
        )
    a_all = tuple(sorted(a_values.items()))
    b_all = tuple(sorted(b_values.items()))
    for experiment, diverged in ((claim.experiment, diverged_a), (claim.versus, diverged_b)):
        if set(failed) & diverged:
            notes.append(_diverged_note(str(experiment), sorted(set(failed) & diverged)))
    if not paired and failed and not missing:  # ran, and every pair diverged: none to test
        return ClaimResult(
            claim,
            stats.INCONCLUSIVE,
            stats.comparison_verdict([], [], claim.direction, paired=True, alpha=alpha),
            index.summarize([]),
            values=a_all,
            versus_values=b_all,
            config_hashes=hashes,
            notes=tuple(notes),
            failed_diverged=tuple(failed),
            diverged_sides=(len(set(failed) & diverged_a), len(set(failed) & diverged_b)),
        )
    if not paired:
        return ClaimResult(
            claim,
            METRIC_MISSING if missing else NOT_RUN,
            None,
            None,
            values=a_all,
            versus_values=b_all,
            config_hashes=hashes,
            notes=tuple(notes),
        )
    exact = len(hashes) == 2 and all(
        index.runs_identical(experiment, config_hash, _finite_seeds(paired, diffs))
        for experiment, config_hash in zip((claim.experiment, claim.versus), hashes, strict=True)
    )
    if two_stage_ok:
        verdict = two_stage.one_sided_verdict(diffs, pilot, 0.0, claim.direction, alpha, exact)
    else:
        verdict = stats.comparison_verdict(
            a, b, claim.direction, paired=True, alpha=alpha, exact=exact
        )
    both_ran = (completed[0] & completed[1]) - set(paired) - set(later)  # lacking the metric
    stopped_a, stopped_b = index.stopped_of(choices.get(claim.experiment)), index.stopped_of(versus)
    stopped = (stopped_a | stopped_b) - set(paired)
    # stopped on one side and never run on the other: a sweep trains the other side's run
    one_side = stopped - ((completed[0] | stopped_a) & (completed[1] | stopped_b))
    verdict = _note_plan(
        verdict,
        paired,
        later_diffs,
        later,
        total or cut,
        bool(total),
        both_ran,
        claim.metric,
        stopped,
        one_side,
        diverged=set(failed),
    )
    differences = index.summarize(diffs)
    # the means shown beside the test: over the pairs it used (a non-finite side drops both)
    both = [(x, y) for x, y in zip(a, b, strict=True) if math.isfinite(x) and math.isfinite(y)]
    return ClaimResult(
        claim,
        verdict.outcome,
        verdict,
        differences,
        values=a_all,
        versus_values=b_all,
        versus_summary=index.summarize([y for _, y in both]),
        first_summary=index.summarize([x for x, _ in both]),
        delta=differences.mean,
        config_hashes=hashes,
        notes=tuple(notes),
        judged_below=total or (cut if later else None),
        processes=tuple(sorted(processes, reverse=True)),
        interim_of=total if total and len({*paired, *failed}) < total else None,
        absent=unlogged,
        interim_unrun=_unrun(paired, total, both_ran | (stopped - one_side) | set(failed)),
        interim_reruns=(
            *index.reruns(
                choices.get(claim.experiment), _silent(paired, total, both_ran - set(a_values))
            ),
            *index.reruns(versus, _silent(paired, total, both_ran - set(b_values))),
        ),
        interim_stopped=tuple(sorted(_silent(paired, total, stopped - both_ran))),
        failed_diverged=tuple(failed),
        diverged_sides=(
            sum(not math.isfinite(x) for x in a) + len(set(failed) & diverged_a),
            sum(not math.isfinite(y) for y in b) + len(set(failed) & diverged_b),
        ),
    )


def _silent(judged: list[int], total: int | None, unlogged: set[int]) -> set[int]:
    """The planned seeds 0..total-1 a two-stage verdict lacks that completed without the
    metric: no sweep trains them again."""
    if not total:
        return set()
    return (set(range(total)) - set(judged)) & unlogged


def _unrun(judged: list[int], total: int | None, unlogged: set[int]) -> tuple[int, ...]:
    """The planned seeds 0..total-1 a two-stage verdict lacks that have no completed run."""
    if not total:
        return ()
    return tuple(sorted(set(range(total)) - set(judged) - unlogged))


def _planned_only(seeds: list[int], total: int | None) -> tuple[list[int], list[int]]:
    """The seeds a two-stage test judges (0..total-1, sorted `seeds` below it) and the later
    ones: judging seeds added after seeing the verdict ("run until it settles") voids the
    procedure's error rates (7% instead of 5% each way), so they are shown, never judged."""
    if total is None:
        return seeds, []
    return [s for s in seeds if s < total], [s for s in seeds if s >= total]


def _note_plan(
    verdict: stats.Verdict,
    judged: list[int],
    later_values: list[float],
    later: list[int],
    total: int | None,
    two_stage: bool = True,
    unlogged: set[int] | frozenset[int] = frozenset(),
    metric: str = "",
    stopped: set[int] | frozenset[int] = frozenset(),
    one_side: set[int] | frozenset[int] = frozenset(),
    diverged: set[int] | frozenset[int] = frozenset(),
) -> stats.Verdict:
    """A two-stage verdict's place in its plan: decided on fewer seeds than planned (a report
    read while the sweep runs: interim), or with seeds past the plan (their values said, as
    they are not judged). Not `two_stage`: the fixed-sample test on a plan's N whose pilot
    changed, which is no interim verdict. `one_side`: the `stopped` seeds of a comparison
    whose other side has no run: a sweep trains that one, so they are unrun as well.
    `diverged`: planned seeds (pairs) whose run failed with a non-finite loss: they ran, and
    the planned test drops them as it drops a NaN value, so they are neither unrun nor what
    keeps a verdict interim (a sweep would train them again, to diverge again)."""
    notes = []
    fell_back = FLAT_PILOT_FALLBACK in verdict.reason  # a flat pilot: no Stein bound
    test = "two-stage" if two_stage and not fell_back else "fixed-sample"
    done = set(judged) | set(diverged)
    interim = two_stage and total is not None and len(done) < total
    absent = sorted(set(range(total)) - done) if total is not None else []
    gone = sorted(s for s in diverged if total is not None and s < total)
    silent = [seed for seed in absent if seed in unlogged]  # completed without the metric
    short = [seed for seed in absent if seed in stopped and seed not in unlogged]
    absent = [s for s in absent if s not in unlogged and (s not in stopped or s in one_side)]
    which = ""
    if absent:
        which = f"seed {absent[0]} has" if len(absent) == 1 else f"seeds {seeds_text(absent)} have"
    quiet = []  # not "no completed run": a sweep trains them no more
    if silent:
        seeds = f"seed {silent[0]}" if len(silent) == 1 else f"seeds {seeds_text(silent)}"
        quiet = [f"{seeds} completed without logging {metric}"]
    if short:  # a sweep skips them as completed: `rerun=true` trains them (listed with them)
        seeds = f"seed {short[0]}" if len(short) == 1 else f"seeds {seeds_text(short)}"
        them = "it" if len(short) == 1 else "them"
        quiet.append(
            f"{seeds} stopped by trainer.max_time short of the setting: the rerun=true "
            f"command listed with the failed runs trains {them} to the end"
        )
    if gone:  # ran: told apart from the seeds still to come
        seeds = f"seed {gone[0]}" if len(gone) == 1 else f"seeds {seeds_text(gone)}"
        quiet.append(f"{seeds} diverged in training (non-finite loss)")
    unrun = [f"{which} no completed run yet: still training, or failed and to be rerun"]
    unrun = unrun if absent else []
    if interim and total is not None:
        # not "the sweep trains the rest": the sweep may be over, the seed failed; and not
        # "adding seeds would void it" of an undecided one: the plan's own seeds are to come
        reason = verdict.reason.replace(ADDING_VOIDS, "")
        # a flat pilot's fallback names the seeds it tested "planned": so far, some of them
        so_far = f"{FLAT_PILOT_FALLBACK} on the {len(judged)} planned seeds"
        reason = re.sub(  # a diverged seed among them: "on 4 of the 5 planned seeds"
            rf"({re.escape(FLAT_PILOT_FALLBACK)} on \d+ of the ){len(judged)}( planned seeds)",
            rf"\g<1>{total}\g<2>",
            reason,
        )
        reason = reason.replace(
            so_far, f"{FLAT_PILOT_FALLBACK} on {len(judged)} of the {total} planned seeds"
        )
        verdict = dataclasses.replace(verdict, reason=reason)
        notes.append(
            f"interim: {len(judged)} of the {total} planned seeds ({'; '.join(unrun + quiet)}; "
            f"the verdict at {total} is the planned test)"
        )
    if later:
        span = f"seed {later[0]} is" if len(later) == 1 else f"seeds {seeds_text(later)} are"
        finite = sorted(v for v in later_values if math.isfinite(v))
        if len(later_values) <= 3:
            shown = ", ".join(stats.fmt(v) for v in later_values)
        elif finite:
            shown = f"range [{stats.fmt(finite[0])}, {stats.fmt(finite[-1])}]"
        else:
            shown = "none finite"
        on = f"the {total} planned seeds"
        if (absent or silent or short) and not two_stage:  # no interim note says it: a smaller n
            lacking = [f"{which} no completed run"] if absent else []
            on = f"{len(judged)} of the {total} planned seeds ({'; '.join(lacking + quiet)})"
        notes.append(
            f"{span} shown but not judged ({shown}): the {test} test is on {on}, and "
            "judging seeds added after it would void its error rates"
        )
    if not notes:
        return verdict
    return dataclasses.replace(verdict, reason="; ".join([verdict.reason, *notes]))


def _fixed_sample_verdict(
    claim: Claim, values: list[float], alpha: float, exact: bool = True
) -> stats.Verdict:
    """A value or threshold claim judged on `values` by the fixed-sample rule."""
    if claim.kind == "value":
        return stats.equivalence_verdict(values, claim.value, claim.tolerance, alpha, exact)
    return stats.threshold_verdict(values, claim.value, claim.direction, alpha, exact)


def _paired(
    a: dict[int, float], b: dict[int, float]
) -> tuple[list[int], list[float], list[float], list[float]]:
    """Seeds both sides ran, their A and B values, and A − B per seed."""
    seeds = sorted(set(a) & set(b))
    a_side, b_side = [a[s] for s in seeds], [b[s] for s in seeds]
    return seeds, a_side, b_side, [x - y for x, y in zip(a_side, b_side, strict=True)]


def differences_text(
    differences: tuple[tuple[str, Any, Any], ...], reference: str = "paper"
) -> str:
    """`key=value (paper: value)` for each key a setting changes; `reference` names the config
    they were taken against (`used`: the judged one, when the paper's could not be composed)."""
    pairs = ((k, *shown_pair(v, p)) for k, v, p in differences)
    return ", ".join(f"{k}={v} ({reference}: {p})" for k, v, p in pairs)


def _other_settings_note(choice: ConfigChoice) -> str:
    settings = [choice.chosen, *choice.others]
    listed = "; ".join(
        f"{o.config_hash} ({differences_text(o.differences) or 'other keys'}, "
        f"{plural(len(o.seeds), 'seed')})"
        for o in settings
    )
    return (
        f"the paper's setting of {choice.experiment} has no completed runs; other settings "
        f"do: {listed} (see Results beyond the original paper; `--config HASH` judges one)"
    )


def _deviation_note(choice: ConfigChoice) -> str:
    changed = differences_text(choice.chosen.differences) or "keys outside the paper's config"
    return (
        f"judged on {choice.experiment} config {choice.chosen.config_hash} (--config), which "
        f"deviates from the paper's setting: {changed}"
    )


def _absent_note(experiment: str, metric: str, count: int) -> str:
    runs = "run" if count == 1 else "runs"
    return f"{count} completed {experiment} {runs} did not log {metric}"


def missing_metrics(results: list[ClaimResult]) -> list[str]:
    """`claim (metric)` for every claim whose completed runs did not log its metric."""
    return [
        f"{r.claim.id} ({r.claim.metric}"
        + (f"; logged {r.logged_instead})" if r.logged_instead else ")")
        for r in results
        if r.outcome == METRIC_MISSING
    ]


def overall_outcome(results: list[ClaimResult]) -> str:
    """Over the verified claims only: incomplete while any has no verdict (not run, metric
    missing) or an interim one (fewer seeds than its seeds=auto plan); then reproduced: every
    one reproduced (on finite seeds, where some claim's seeds diverged); partially: some;
    not reproduced: none reproduced and at least one contradicted; inconclusive otherwise.
    Unverified claims are shown and named apart, never counted; a paper without claims has
    nothing to judge."""
    if not results:
        return NO_CLAIMS_OVERALL
    counted = [r for r in results if r.counts]
    if not counted:
        return NO_VERIFIED_OVERALL
    if any(r.outcome not in stats.OUTCOMES for r in counted):
        return INCOMPLETE_OVERALL
    if any(r.interim_of for r in counted):  # a plan not yet run in full: not its verdict
        return INCOMPLETE_OVERALL
    reproduced = sum(r.outcome == stats.REPRODUCED for r in counted)
    refuted = sum(r.outcome in (stats.BELOW, stats.ABOVE, stats.TIE) for r in counted)
    if reproduced == len(counted) and any(r.diverged for r in counted):
        return REPRODUCED_FINITE_OVERALL  # not plainly: seeds that diverged count against it
    if reproduced == len(counted):
        return REPRODUCED_OVERALL
    if reproduced:
        return PARTIAL_OVERALL
    if refuted:
        return NOT_REPRODUCED_OVERALL
    return INCONCLUSIVE_OVERALL


def outcome_counts(results: list[ClaimResult]) -> dict[str, int]:
    """Claims per outcome, in a fixed order (zero counts kept so tables line up)."""
    order = (*stats.OUTCOMES, NOT_RUN, METRIC_MISSING)
    return {o: sum(r.outcome == o for r in results) for o in order}


def verdict_numbers(result: ClaimResult) -> dict[str, Any]:
    """One claim's verdict as typed values for pandas (`repro.report()`): numbers stay numbers
    (NaN where there are none), the verdict is its outcome word; display text stays in render.
    For a comparison claim the summary is of A − B per seed."""
    claim, summary, verdict = result.claim, result.summary, result.verdict
    interval = verdict.interval if verdict and verdict.interval else None
    if interval is None and verdict is not None and verdict.deterministic and summary is not None:
        # a deterministic run: the interval is the value (a coarse metric's spread is unknown)
        interval = (summary.mean, summary.mean)

    def number(value: Any) -> float:
        return math.nan if value is None else float(value)

    return {
        "claim": claim.id,
        "kind": claim.kind,
        "experiment": claim.experiment,
        "versus": claim.versus,
        "metric": claim.metric,
        "claimed": number(claim.value),
        "tolerance": number(claim.tolerance),
        "direction": claim.direction,
        "n": int(summary.n) if summary is not None else 0,
        "diverged": result.diverged,  # seeds (pairs) left out of n: NaN, inf, non-finite loss
        "mean": number(summary.mean) if summary is not None and summary.n else math.nan,
        "std": number(summary.std) if summary is not None and summary.n else math.nan,
        "ci_low": number(interval[0]) if interval else math.nan,
        "ci_high": number(interval[1]) if interval else math.nan,
        "delta": number(result.delta),
        "p_value": number(verdict.p_value) if verdict else math.nan,
        "verdict": result.outcome,
        # a two-stage verdict on fewer seeds than its seeds=auto plan's N: not the planned one
        "interim": bool(result.interim_of),
        "reason": verdict.reason if verdict else None,
        "counted": claim.verified,
        "deviation": result.deviation,
        "config": ", ".join(result.config_hashes) or None,
        "source": claim.source,
    }
