"""The descriptive sections of a report: hyperparameters, compute, unfinished runs, provenance.

Pure functions from the one-row-per-run table (`aggregate.run_table`) and the chosen configs to
plain dataclasses; formatting is the renderer's job.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from repro.records import store
from repro.records.table import CONFIG_PREFIX, DATA_PREFIX, PACKAGE_PREFIX
from repro.reporting.aggregate import (
    CODE_SEPARATOR,
    UNFINISHED,
    ConfigChoice,
    differences_text,
)
from repro.wording import plural

if TYPE_CHECKING:
    import pandas as pd


GPU_DEVICES = ("cuda", "mps")
"""The torch devices a run's GPU hours count: NVIDIA's (and ROCm's, which torch calls cuda)
and Apple's (accelerator=mps); a run on any other device counts as CPU time."""


@dataclass(frozen=True)
class ExperimentSetting:
    experiment: str
    config_hash: str
    seeds: tuple[int, ...]
    parameters: Any
    data_sizes: dict[str, Any]
    config: dict[str, Any]  # every result-relevant key, dotted
    setting: str = "paper's setting"  # or what makes it another: "not the paper's setting: ..."


@dataclass(frozen=True)
class Hyperparameters:
    settings: list[ExperimentSetting]
    shared: list[tuple[str, Any]]  # keys with one value across every experiment
    differing: list[str]  # keys whose value depends on the experiment


@dataclass(frozen=True)
class ExperimentCompute:
    experiment: str
    setting: str  # "paper's setting", "pinned with --config", or the keys that differ
    runs: int
    wall_total_s: float
    wall_mean_s: float
    fit_mean_s: float
    steps_per_s: float
    devices: str


@dataclass(frozen=True)
class Compute:
    hardware: list[tuple[str, int]]  # "CPU, GPUs", runs
    experiments: list[ExperimentCompute]
    cpu_hours: float  # completed runs on CPU, every config (wall-clock hours)
    gpu_hours: float  # completed runs on GPUs, wall-clock × GPUs
    completed_runs: int
    unsuccessful_attempts: int  # attempts that did not complete, or did and were started over
    unsuccessful_hours: float  # their recorded time (a killed one: to its last save), apart
    together_runs: int = 0  # completed runs trained with other seeds: their time counted once
    unsuccessful_untimed: int = 0  # of those, attempts with no recorded time (killed): not in hours
    unsuccessful_to_save: int = 0  # of those, killed runs and reruns timed to their last save
    # (a group's seeds: to when it was last seen training)
    replaced_runs: int = 0  # completed runs whose result a completed rerun replaced
    replaced_hours: float = 0.0  # their time (`replaced_wall_s`), counted apart
    replaced_to_save: int = 0  # of those, runs that resumed a killed attempt timed to its
    # last save (`replaced_to_save`): their time is a lower bound
    completed_to_save: int = 0  # completed runs whose time includes a killed attempt they
    # resumed, timed up to its last save or note (`earlier_to_save`): a lower bound


@dataclass(frozen=True)
class UnsuccessfulRun:
    experiment: str
    config_hash: str
    seed: int
    status: str
    error: str
    record_dir: str


@dataclass(frozen=True)
class Provenance:
    git: list[tuple[str, str, bool, int]]
    """repro's code per runs: (git sha, or its files' digest outside git, or "unknown"; a note
    saying which when not a sha; uncommitted changes; runs)."""
    packages: list[tuple[str, str]]  # name, "version" or "v1 (n runs), v2 (m runs)"
    python: str
    hosts: str
    plugins: list[tuple[str, str, str, int]] = field(default_factory=list)
    """Per plugin code that made runs: (what: "dist version" or "plugin folder", code digest,
    experiments, runs), so a reader knows which plugin produced the numbers."""
    installs: list[str] = field(default_factory=list)  # `pip install 'dist==version'` lines
    inexact_resumes: list[str] = field(default_factory=list)
    unjudged_resumes: list[str] = field(default_factory=list)
    """Completed runs resumed where Lightning does not resume exactly ("cnn/<hash> seed 1"): their
    numbers may differ from an uninterrupted run's, which the report must not hide."""


def _chosen_runs(runs: pd.DataFrame, choices: dict[str, ConfigChoice]) -> pd.DataFrame:
    mask = runs["status"] == store.STATUS_COMPLETED
    pairs = {(c.experiment, c.chosen.config_hash) for c in choices.values()}
    keep = [(e, h) in pairs for e, h in zip(runs["experiment"], runs["config_hash"], strict=True)]
    return runs[mask.to_numpy() & np.asarray(keep, dtype=bool)]


def hyperparameters(
    runs: pd.DataFrame,
    choices: dict[str, ConfigChoice],
    experiments: list[str],
    configs: dict[str, dict[str, Any]],
) -> Hyperparameters:
    """Each chosen config (`configs`: experiment -> dotted keys, as read from its config.yaml),
    with the keys shared by every experiment split from those that differ. A config that is
    not the paper's setting says so, and the keys where it leaves the paper's are never shown
    as shared, as if they were the experiment's setting."""
    chosen = _chosen_runs(runs, choices)
    data_columns = [c for c in runs.columns if c.startswith(DATA_PREFIX)]
    settings = []
    for experiment in experiments:
        choice = choices.get(experiment)
        if choice is None:
            continue
        rows = chosen[chosen["experiment"] == experiment]
        if rows.empty:
            continue
        first = rows.iloc[0]
        config = configs.get(experiment, {})
        sizes = {
            c[len(DATA_PREFIX) :]: _plain(first[c]) for c in data_columns if not _missing(first[c])
        }
        parameters = _most_common(rows["parameters"])
        settings.append(
            ExperimentSetting(
                experiment,
                choice.chosen.config_hash,
                choice.seeds,
                parameters,
                sizes,
                config,
                setting_label(choice),
            )
        )
    deviating = {
        key
        for s in settings
        if not choices[s.experiment].paper_setting
        for key, _, _ in choices[s.experiment].chosen.differences
    }
    keys = list(dict.fromkeys(k for s in settings for k in s.config))
    shared, differing = [], []
    for key in keys:
        values = {repr(s.config.get(key)) for s in settings}
        if len(values) == 1 and all(key in s.config for s in settings) and key not in deviating:
            shared.append((key, settings[0].config[key]))
        else:
            differing.append(key)
    return Hyperparameters(settings, shared, differing)


def setting_label(choice: ConfigChoice) -> str:
    """Whose setting an experiment's reported config is: the paper's, or not (and how not)."""
    if choice.paper_setting:
        if not choice.paper_hash:
            return "most seeds (the paper's setting could not be composed)"
        return "paper's setting" + (" (pinned with --config)" if choice.pinned else "")
    changed = differences_text(choice.chosen.differences) or "keys outside the paper's config"
    pinned = "pinned with --config, " if choice.pinned else ""
    return f"{pinned}not the paper's setting: {changed}"


def compute(
    runs: pd.DataFrame,
    choices: dict[str, ConfigChoice],
    reruns: list[FailedRerun] | None = None,
) -> Compute:
    """Hardware, time per run for every setting of every experiment (the judged one first, so
    the rows add up to the total), and hours over every run; `reruns` (`failed_reruns`) are
    unsuccessful attempts too."""
    reruns = reruns or []
    runs, to_save = _killed_to_last_save(runs)
    rerun_groups = _rerun_groups(reruns)
    completed = runs[runs["status"] == store.STATUS_COMPLETED]
    unsuccessful = runs[runs["status"] != store.STATUS_COMPLETED]
    hardware = Counter(
        f"{cpu or 'unknown CPU'}, {gpus or _apple_gpu(device) or 'no GPU'}"
        for cpu, gpus, device in zip(runs["cpu"], runs["gpus"], runs["device"], strict=True)
    )
    experiments = []
    for experiment, group in completed.groupby("experiment", sort=True):
        choice = choices.get(str(experiment))
        by_config = dict(tuple(group.groupby("config_hash", sort=False)))
        ordered = _settings_in_order(choice, list(by_config))
        for config_hash, setting in ordered:
            rows = by_config[config_hash]
            devices = ", ".join(sorted({str(d) for d in rows["device"] if not _missing(d)}))
            spent = float(_own_walls(rows, beside=unsuccessful, reruns=rerun_groups).sum())
            experiments.append(
                ExperimentCompute(
                    str(experiment),
                    setting,
                    len(rows),
                    spent,
                    spent / len(rows),
                    float(_own_walls(rows, "fit_s").sum()) / len(rows),
                    float(rows["steps_per_s"].mean()),
                    devices or "-",
                )
            )
    on_gpu = completed["device"].astype(str).str.startswith(GPU_DEVICES)
    per_run_gpus = _gpus_per_run(completed)
    walls = _own_walls(completed, beside=unsuccessful, reruns=rerun_groups)
    gpu_seconds = sum(w * g for w, g, u in zip(walls, per_run_gpus, on_gpu, strict=True) if u)
    cpu_seconds = float(walls[~on_gpu.to_numpy()].sum())
    groups = _groups(completed)
    shared = _attempts_in(completed)  # a group attempt a completed run counts (or went on from)
    alone = unsuccessful.loc[
        np.array([group not in shared for group in _groups(unsuccessful)], dtype=bool)
    ]
    attempts, untimed = _unsuccessful_attempts(runs, reruns)
    return Compute(
        hardware=sorted(hardware.items(), key=lambda item: -item[1]),
        experiments=experiments,
        cpu_hours=cpu_seconds / 3600,
        gpu_hours=float(gpu_seconds) / 3600,
        completed_runs=len(completed),
        unsuccessful_attempts=attempts,
        unsuccessful_hours=(
            float(_own_walls(alone, counted=_attempts_in(completed), beside=completed).sum())
            + _rerun_seconds(reruns, _attempts_in(runs) | _abandoned_in(runs))
            + _abandoned_seconds(runs)
        )
        / 3600,
        unsuccessful_untimed=untimed,
        unsuccessful_to_save=to_save
        + sum(r.killed and r.wall_s is not None for r in reruns)
        + _carried_to_save(runs, reruns),
        together_runs=sum(group is not None for group in groups),
        completed_to_save=sum(
            (_attempt_count(cell) or 0) > 0 for cell in completed.get("earlier_to_save", [])
        ),
        replaced_runs=_replaced(runs),
        replaced_to_save=sum(
            max(_attempt_count(cell) or 0, 0) for cell in completed.get("replaced_to_save", [])
        ),
        replaced_hours=_abandoned_seconds(
            runs, "replaced", _attempts_in(runs) | _abandoned_in(runs) | _rerun_attempts(reruns)
        )
        / 3600,
    )


def _killed_to_last_save(runs: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The run table with each run still marked running and without a time (killed, or
    running now) timed up to the last checkpoint or log it saved (`_ran_until_saved`), and
    how many were; a group's seeds (whose saves are the group's) up to when the group last
    said it was training (`timing.alive_at`, in its first seed's record), as `repro run`
    counts a killed group it starts over: every seed so, the group's time once
    (`_own_walls`)."""
    walls = runs["wall_s"].to_numpy(dtype=float, copy=True)
    folders, starts = runs["record_dir"].tolist(), runs.get("started_at", [None] * len(runs))
    groups = _groups(runs)
    alive = _alive_groups(runs, groups)
    timed = 0
    rows = zip(runs["status"], walls, groups, folders, starts, strict=True)
    for index, (status, wall, group, folder, started) in enumerate(rows):
        if status != store.STATUS_RUNNING or not math.isnan(wall):
            continue
        if group is None:
            ran = _ran_until_saved(Path(str(folder)), started, RUN_SAVES)
        else:
            ran = _seconds_until(started, alive.get(group))
        if ran is not None:
            walls[index], timed = ran, timed + 1
    if not timed:
        return runs, 0
    return runs.assign(wall_s=walls), timed


def _alive_groups(runs: pd.DataFrame, groups: list[str | None]) -> dict[str, float]:
    """Each group attempt of `runs` -> the latest `alive_at` a running record of it holds."""
    found: dict[str, float] = {}
    cells = runs.get("alive_at", [None] * len(runs))
    for status, group, cell in zip(runs["status"], groups, cells, strict=True):
        at = _alive_at({"alive_at": cell})
        if group is not None and status == store.STATUS_RUNNING and at is not None:
            found[group] = max(found.get(group, at), at)
    return found


def _alive_at(timing: Any) -> float | None:
    """A killed group's record's `timing.alive_at` (when it last said it was training) as a
    timestamp; None where there is none."""
    import datetime as dt

    cell = timing.get("alive_at") if isinstance(timing, dict) else None
    if not isinstance(cell, str):
        return None
    try:
        at = dt.datetime.fromisoformat(cell).timestamp()
    except ValueError:
        return None
    return at if math.isfinite(at) else None


def _seconds_until(started_at: Any, until: float | None) -> float | None:
    """Seconds from a recorded start to `until` (a timestamp); None if either is unknown or
    `until` is not after it."""
    import datetime as dt

    if until is None:
        return None
    try:
        start = dt.datetime.fromisoformat(str(started_at)).timestamp()
    except (ValueError, TypeError):
        return None
    return until - start if until > start else None


def _carried_to_save(runs: pd.DataFrame, reruns: list[FailedRerun]) -> int:
    """The killed attempts the records carry (`abandoned_to_save`: started over from, timed
    up to their last save or note, a lower bound), the failed reruns' included."""
    cells = runs.get("abandoned_to_save", [])
    found = sum(max(_attempt_count(cell) or 0, 0) for cell in cells)
    return found + sum(r.abandoned_to_save for r in reruns)


def _replaced(runs: pd.DataFrame) -> int:
    """The completed runs a rerun replaced, whose time the records after them carry (one
    where a record carries such time and no count)."""
    if "replaced_wall_s" not in runs:
        return 0
    timed = runs["replaced_wall_s"].fillna(0.0).to_numpy(dtype=float) > 0
    counts = runs["replaced_runs"] if "replaced_runs" in runs else [None] * len(runs)
    return sum(max(_attempt_count(n) or 1, 1) for n, t in zip(counts, timed, strict=True) if t)


def _rerun_groups(reruns: list[FailedRerun]) -> dict[str, float]:
    """The group attempts failed reruns name, each at the longest time any of them says (a
    seed that failed after a sibling of the same attempt completed: the group ran on)."""
    longest: dict[str, float] = {}
    for rerun in reruns:
        attempts = dict(rerun.abandoned_groups)
        if rerun.group is not None and rerun.wall_s is not None:
            attempts[rerun.group] = rerun.wall_s
        for group, seconds in attempts.items():
            longest[group] = max(longest.get(group, 0.0), seconds)
    return longest


def _rerun_attempts(reruns: list[FailedRerun]) -> frozenset[str]:
    """The group attempts `_rerun_seconds` counts (a failed rerun's own, those it carries)."""
    keys = [r.group for r in reruns if r.group is not None]
    return frozenset(keys + [g for r in reruns for g in r.abandoned_groups])


def _unsuccessful_attempts(runs: pd.DataFrame, reruns: list[FailedRerun]) -> tuple[int, int]:
    """(How many attempts did not end in a result that counts, how many of them have no
    recorded time): every attempt of a seed whose record is not completed (none completed in
    its folder: its `attempts` number counts them all), the attempts a completed run started
    over from (`abandoned_runs`), and the reruns of a completed run since it (the last
    rerun's attempt number less the completed record's: a killed rerun's progress record is
    replaced by the next one's, so only the numbers still tell of it). Records made before
    the counts were kept give what they can: a completed run's `attempts` less one where no
    attempt went on from or was replaced by another, else one per record that carries time."""
    attempts = untimed = 0
    absent = [math.nan] * len(runs)
    columns = ("status", "attempts", "wall_s", "earlier_wall_s", "abandoned_wall_s")
    columns += ("abandoned_runs", "abandoned_untimed", "replaced_wall_s")
    cells = zip(*(runs.get(c, absent) for c in columns), strict=True)
    for status, number, wall, earlier, abandoned_s, counted, unknown, replaced in cells:
        number, counted, unknown = map(_attempt_count, (number, counted, unknown))
        started_over = _seconds_in(abandoned_s) > 0
        if counted is not None:  # recorded: exact
            before, before_untimed = counted, unknown or 0
        elif number and not _seconds_in(earlier) and not _seconds_in(replaced):
            before = max(number - 1, int(started_over))  # none went on from another
            before_untimed = 0 if started_over else before  # none left time: killed
        else:
            before, before_untimed = int(started_over), 0
        if status == store.STATUS_COMPLETED:
            attempts, untimed = attempts + before, untimed + before_untimed
            continue
        own_untimed = int(_missing(wall))
        attempts += max(number or 0, before + 1)  # none completed in its folder: all of them
        untimed += own_untimed + before_untimed
    by_folder: dict[str, list[FailedRerun]] = {}
    for rerun in reruns:
        by_folder.setdefault(rerun.run.record_dir, []).append(rerun)
    for found in by_folder.values():
        more, more_untimed = _rerun_attempts_in(found)
        attempts, untimed = attempts + more, untimed + more_untimed
    return attempts, untimed


def _rerun_attempts_in(found: list[FailedRerun]) -> tuple[int, int]:
    """The unsuccessful reruns of one completed run (its failed rerun's record and a killed
    one's progress record, `found`) and how many have no recorded time: those after the
    failed one (killed: each progress record replaced the last), the failed one's own if it
    has none, and those it carries without one."""
    failed = next((r for r in found if r.run.status == FAILED_RERUN), None)
    killed = next((r for r in found if r.run.status == UNFINISHED_RERUN), None)
    after = found[0].after
    last = max((r.attempts or 0 for r in found), default=0)
    if not after or last <= after:  # numbers not recorded: one per record, as they say
        count = len(found) + int(failed is not None and failed.abandoned_s > 0)
        untimed = [r for r in (killed, failed) if r is not None and r.wall_s is None]
        return count, len(untimed)
    untimed = 0
    since = after
    if failed is not None and failed.attempts:
        since = failed.attempts
        untimed += int(failed.wall_s is None)
        before = failed.attempts - after - 1  # the reruns before it, which it carries
        if failed.abandoned_untimed is not None:
            untimed += failed.abandoned_untimed + max(before - (failed.abandoned_runs or 0), 0)
        elif failed.abandoned_s <= 0:
            untimed += before  # none left time: killed
    if killed is not None and killed.attempts and killed.attempts > since:
        untimed += killed.attempts - since - int(killed.wall_s is not None)
    return last - after, untimed


def _abandoned_in(runs: pd.DataFrame) -> frozenset[str]:
    """The group attempts `_abandoned_seconds` counts from these rows (or leaves to them)."""
    cells = runs.get("abandoned_groups", [])
    return frozenset(group for cell in cells for group in _earlier_groups(cell))


def _abandoned_seconds(
    runs: pd.DataFrame, kind: str = "abandoned", counted: frozenset[str] | None = None
) -> float:
    """The time of attempts that failed and were started over (`abandoned_wall_s`, which the
    record that replaced theirs carries), or with `kind` "replaced" of completed runs a
    completed rerun replaced (`replaced_wall_s`): each group attempt once, and none of
    `counted` (by default those a row of `runs` counts already: its own, or one it went on
    from)."""
    if f"{kind}_wall_s" not in runs:
        return 0.0
    groups = f"{kind}_groups"
    cells = runs[groups] if groups in runs else [None] * len(runs)
    shared = [_earlier_groups(cell) for cell in cells]
    totals = runs[f"{kind}_wall_s"].fillna(0.0).to_numpy(dtype=float)
    alone = math.fsum(max(t - sum(s.values()), 0.0) for t, s in zip(totals, shared, strict=True))
    counted = _attempts_in(runs) if counted is None else counted
    longest: dict[str, float] = {}
    for attempts in shared:
        for group, seconds in attempts.items():
            if group not in counted:
                longest[group] = max(longest.get(group, 0.0), seconds)
    return alone + math.fsum(longest.values())


def _rerun_seconds(reruns: list[FailedRerun], counted: frozenset[str]) -> float:
    """The failed reruns' own time: a group attempt's once (each seed it failed left a
    `record.failed.json` with the group's time, one process), the longest, and none that a
    row of the run table counts already (a seed of that attempt that completed)."""
    longest: dict[str, float] = {}
    alone = 0.0
    for rerun in reruns:
        alone += max(rerun.abandoned_s - sum(rerun.abandoned_groups.values()), 0.0)
        attempts = dict(rerun.abandoned_groups)
        if rerun.wall_s is not None and rerun.group is None:
            alone += rerun.wall_s
        elif rerun.wall_s is not None and rerun.group is not None:
            attempts[rerun.group] = rerun.wall_s
        for group, seconds in attempts.items():
            if group not in counted:
                longest[group] = max(longest.get(group, 0.0), seconds)
    return alone + math.fsum(longest.values())


def _seconds_in(value: Any) -> float:
    """A recorded duration, 0 where there is none (absent, not a number, not finite)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0.0
    return max(float(value), 0.0)


def _apple_gpu(device: Any) -> str:
    """The record's GPU list names CUDA devices only: a run on a Mac's GPU says so here."""
    return "Apple GPU (mps)" if str(device).startswith("mps") else ""


def _gpus_per_run(rows: pd.DataFrame) -> list[int]:
    """The GPUs each run trained on: its recorded world size (every rank on one GPU, on every
    node), else, in a record without one, `trainer.devices` (a count, a list of GPUs) times
    `trainer.num_nodes`; 1 where neither says more (`auto` without a world size is one)."""
    absent = [None] * len(rows)
    worlds = rows.get("world_size", absent)
    devices = rows.get(f"{CONFIG_PREFIX}trainer.devices", absent)
    nodes = rows.get(f"{CONFIG_PREFIX}trainer.num_nodes", absent)
    return [
        _count(world) or (_count(device) or 1) * (_count(node) or 1)
        for world, device, node in zip(worlds, devices, nodes, strict=True)
    ]


def _count(value: Any) -> int:
    """A positive count from a record or config cell: an int (or a float holding one, as
    pandas makes of a column with gaps), a numeric string, or a list (as JSON, how the table
    keeps lists) of devices; 0 for anything else (`auto`, -1, missing)."""
    import json

    if isinstance(value, str) and "," in value and not value.startswith("["):
        return len([index for index in value.split(",") if index.strip()])  # Lightning's "0,1"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return 0
    if isinstance(value, list):
        return len(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0
    return int(value) if value == int(value) and value > 0 else 0


def _groups(rows: pd.DataFrame) -> list[str | None]:
    """Each run's group of seeds trained together (`table.run_row`'s key), None when alone."""
    keys = rows["together"] if "together" in rows else [None] * len(rows)
    return [None if _missing(key) else str(key) for key in keys]


def _attempts_in(rows: pd.DataFrame) -> frozenset[str]:
    """The group attempts whose time these rows count: their own and those they went on from."""
    cells = rows.get("earlier_groups", [])
    return frozenset(
        [g for g in _groups(rows) if g is not None] + [g for c in cells for g in _earlier_groups(c)]
    )


def _own_walls(
    rows: pd.DataFrame,
    column: str = "wall_s",
    counted: frozenset[str] = frozenset(),
    beside: pd.DataFrame | None = None,
    reruns: dict[str, float] | None = None,
) -> Any:
    """Each run's wall (or fit) time, a group's counted once: seeds trained together each
    record the group's time (one process), so the first of them carries the group's longest
    and the others add 0. A resumed run's wall time is that of every attempt it took (its
    last one's `wall_s` and the `earlier_wall_s` of those it went on from); an earlier attempt
    of a group (`earlier_groups`, by its key) counts once too, though the seeds it left to test
    and those it tested before it stopped each name it: on the row that carries that attempt
    (a seed it completed), else on the first that names it; never one of `counted` (the
    attempts completed runs count, which an unsuccessful run went on from). `beside`: runs
    not counted here (unsuccessful) whose own time, where they trained in a group attempt these
    rows count (their own, or one they went on from), is the group's too (a seed that failed
    last was recorded after the others); `compute` leaves such runs out of its unsuccessful.
    So is the time a seed's later record carries of such an attempt (`abandoned_groups`: it
    failed in it, then started over), which `_abandoned_seconds` leaves to these rows, and
    that of failed reruns in such an attempt (`reruns`: `_rerun_groups`), which
    `_rerun_seconds` leaves to them."""
    walls = rows[column].fillna(0.0).to_numpy(dtype=float, copy=True)
    groups = _groups(rows)
    shared: list[dict[str, float]] = [{} for _ in groups]
    if column == "wall_s" and "earlier_wall_s" in rows:
        cells = rows["earlier_groups"] if "earlier_groups" in rows else [None] * len(rows)
        shared = [_earlier_groups(cell) for cell in cells]
        earlier = rows["earlier_wall_s"].fillna(0.0).to_numpy(dtype=float)
        alone = earlier - np.array([sum(s.values()) for s in shared], dtype=float)
        walls += np.maximum(alone, 0.0)  # attempts alone: each seed's own process
    longest: dict[str, float] = {}  # each group attempt's time, the longest any seed recorded
    carrier: dict[str, int] = {}
    for index, group in enumerate(groups):
        if group is None:
            continue
        own = rows[column].iloc[index]
        longest[group] = max(longest.get(group, 0.0), 0.0 if _missing(own) else float(own))
        walls[index] -= 0.0 if _missing(own) else float(own)
        carrier.setdefault(group, index)
    for index, attempts in enumerate(shared):
        for group, seconds in attempts.items():
            if group in counted:
                continue
            longest[group] = max(longest.get(group, 0.0), seconds)
            carrier.setdefault(group, index)
    if beside is not None and len(beside):  # after the attempts gone on from: theirs too
        for group, own in zip(_groups(beside), beside[column], strict=True):
            if group in longest and not _missing(own):
                longest[group] = max(longest[group], float(own))
    if column == "wall_s":  # a seed of these attempts that failed in it, then started over
        for frame in (rows, beside if beside is not None else rows.iloc[:0]):
            cells = [*frame.get("abandoned_groups", []), *frame.get("replaced_groups", [])]
            for cell in cells:
                for group, seconds in _earlier_groups(cell).items():
                    if group in longest:
                        longest[group] = max(longest[group], seconds)
        for group, seconds in (reruns or {}).items():
            if group in longest:
                longest[group] = max(longest[group], seconds)
    for group, index in carrier.items():
        walls[index] += longest[group]
    return walls


def _earlier_groups(cell: Any) -> dict[str, float]:
    """A table cell of `earlier_groups` (JSON text) as group attempt -> seconds."""
    import json

    from repro.records.table import earlier_groups

    if not isinstance(cell, str):
        return {}
    try:
        return earlier_groups(json.loads(cell))
    except ValueError:
        return {}


def _settings_in_order(
    choice: ConfigChoice | None, config_hashes: list[str]
) -> list[tuple[str, str]]:
    """(config hash, label) with the chosen config first, then the others as the choice lists
    them; a hash the choice does not know (no completed runs when it was made) goes last."""
    if choice is None:
        return [(h, h) for h in config_hashes]
    if choice.pinned:
        chosen_label = "pinned with --config"
    elif choice.paper_setting:
        chosen_label = "paper's setting" if choice.paper_hash else "judged"
    else:
        chosen_label = differences_text(choice.chosen.differences) or "not the paper's"
    labels = {choice.chosen.config_hash: chosen_label}
    reference = "paper" if choice.paper_hash else "used"  # what the differences are against
    for option in choice.others:
        labels[option.config_hash] = differences_text(option.differences, reference) or _other_code(
            option.config_hash
        )
    known = [h for h in labels if h in config_hashes]
    return [(h, labels[h]) for h in known] + [(h, h) for h in config_hashes if h not in labels]


def _other_code(config_hash: str) -> str:
    if CODE_SEPARATOR in config_hash:
        return f"other plugin code ({config_hash.split(CODE_SEPARATOR, 1)[1]})"
    return config_hash


FAILED_RERUN = "failed (a rerun; the completed run stays)"
UNFINISHED_RERUN = "unfinished (a rerun, killed or still running; the completed run stays)"
RERUN_PROGRESS_FILE = "record.rerun.json"  # `runner.RERUN_RECORD_FILE`, not imported (torch)
RERUN_SAVES = ("checkpoints/rerun.ckpt", "csv-rerun")
"""What a rerun writes as it trains (`checkpointing.RERUN_CHECKPOINT`, `loggers.RERUN_CSV_FOLDER`,
not imported: torch): a killed one ran at least until the last of them was saved."""
RUN_SAVES = ("checkpoints/last.ckpt", "csv")  # the same for a run (`CHECKPOINT_DIR`, `CSV_FOLDER`)


@dataclass(frozen=True)
class FailedRerun:
    """A `rerun=true` of a completed run that did not complete (`record.failed.json` beside
    the completed record, which still counts): compute spent, not in the run table."""

    run: UnsuccessfulRun
    wall_s: float | None  # its own attempt's; None when killed before it recorded one
    group: str | None = None  # its group attempt (`table.together_key`), None when alone
    abandoned_s: float = 0.0  # the reruns before it that did not complete (`abandoned_wall_s`)
    abandoned_groups: dict[str, float] = field(default_factory=dict)  # their group part
    attempts: int | None = None  # its attempt number
    after: int | None = None  # the completed record's attempt number
    abandoned_runs: int | None = None  # how many reruns `abandoned_s` is of (None: not kept)
    abandoned_untimed: int | None = None  # of those, without a recorded time
    killed: bool = False  # killed (or running): `wall_s` is to its last save, if it saved
    abandoned_to_save: int = 0  # of `abandoned_runs`, those timed to their last save (killed)


def failed_reruns(runs: pd.DataFrame) -> list[FailedRerun]:
    """The failed reruns beside the completed records of `runs`, read from their folders.
    Only the attempt's own `wall_s` counts: the attempts it went on from (`earlier_wall_s`)
    may be the completed run's, counted already, so adding them could count time twice."""
    from repro.records.table import earlier_groups, together_key

    found = []
    completed = runs[runs["status"] == store.STATUS_COMPLETED]
    for row in completed.sort_values(["experiment", "config_hash", "seed"]).itertuples():
        try:
            record = store.read_record(Path(str(row.record_dir)), store.FAILED_RERUN_FILE)
        except (OSError, ValueError):
            record = None
        if not isinstance(record, dict) or _older(record, row.attempts):
            continue  # older: the completed rerun carries it (killed before it removed it)
        timing = record.get("timing")
        wall = timing.get("wall_s") if isinstance(timing, dict) else None
        ok = isinstance(wall, (int, float)) and not isinstance(wall, bool)
        error = record.get("error")
        run = UnsuccessfulRun(
            str(row.experiment),
            str(row.config_hash),
            int(row.seed),
            FAILED_RERUN,
            error if isinstance(error, str) else "",
            str(row.record_dir),
        )
        timing = timing if isinstance(timing, dict) else {}
        group = together_key(record, timing)
        seconds = float(wall) if ok and math.isfinite(wall) else None
        before = _seconds_in(timing.get("abandoned_wall_s"))
        shared = earlier_groups(timing.get("abandoned_groups"))
        counts = [_attempt_count(timing.get(k)) for k in ("abandoned_runs", "abandoned_untimed")]
        number = _attempt_count(record.get("attempts"))
        after = _attempt_count(row.attempts)
        to_save = _attempt_count(timing.get("abandoned_to_save")) or 0
        found.append(
            FailedRerun(run, seconds, group, before, shared, number, after, *counts, False, to_save)
        )
    rows = completed.sort_values(["experiment", "config_hash", "seed"]).itertuples()
    left = [(row, _unfinished_rerun(Path(str(row.record_dir)))) for row in rows]
    alive: dict[str, float] = {}  # a killed group's: its first seed's note (`alive_at`)
    for _, unfinished in left:
        group = together_key(unfinished, {}) if unfinished is not None else None
        at = _alive_at((unfinished or {}).get("timing"))
        if group is not None and at is not None:
            alive[group] = max(alive.get(group, at), at)
    for row, unfinished in left:
        if unfinished is not None:
            run = UnsuccessfulRun(
                str(row.experiment),
                str(row.config_hash),
                int(row.seed),
                UNFINISHED_RERUN,
                "",
                str(row.record_dir),
            )
            number = _attempt_count(unfinished.get("attempts"))
            after = _attempt_count(row.attempts)
            group = together_key(unfinished, {})
            started = (unfinished.get("timing") or {}).get("started_at")
            folder = Path(str(row.record_dir))
            if group is None:
                ran = _ran_until_saved(folder, started, RERUN_SAVES)
            else:  # its saves are its group's: up to when the group was last seen training
                ran = _seconds_until(started, alive.get(group))
            found.append(FailedRerun(run, ran, group, attempts=number, after=after, killed=True))
    return found


def _ran_until_saved(record_dir: Path, started_at: Any, saves: tuple[str, ...]) -> float | None:
    """Seconds from a killed attempt's start to the last checkpoint or log line it saved
    (`saves`, in its folder): a lower bound of its time, as `repro run` counts a killed
    attempt it resumes up to its checkpoint; None when it saved none since it started. A
    group's saves are its first seed's: its seeds are left without a time."""
    import datetime as dt

    try:
        start = dt.datetime.fromisoformat(str(started_at)).timestamp()
    except (ValueError, TypeError):
        return None
    saved = []
    for name in saves:
        path = record_dir / name
        files = [f for f in path.rglob("*") if f.is_file()] if path.is_dir() else [path]
        for file in files:
            try:
                saved.append(file.stat().st_mtime)
            except OSError:
                continue
    last = max(saved, default=start)
    return last - start if last > start else None


def _older(rerun: dict[str, Any], attempts: Any) -> bool:
    """Whether a rerun's record is of an attempt before the completed record's."""
    mine, theirs = _attempt_count(rerun.get("attempts")), _attempt_count(attempts)
    return mine is not None and theirs is not None and mine < theirs


def _attempt_count(value: Any) -> int | None:
    """A recorded attempt count (a table cell may hold it as a float or a numpy int)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer)):
        return None
    return int(value) if math.isfinite(value) and value == int(value) else None


def _unfinished_rerun(record_dir: Path) -> dict[str, Any] | None:
    """The progress record a `rerun=true` killed before it ended (or still running) left
    beside the completed record: an attempt with no recorded time. None when there is none,
    or it is the completed record's own attempt (killed once that was written)."""
    try:
        rerun = store.read_record(record_dir, RERUN_PROGRESS_FILE)
        record = store.read_record(record_dir)
    except (OSError, ValueError):
        return None
    if not isinstance(rerun, dict) or not isinstance(record, dict):
        return None
    started = [(r.get("timing") or {}).get("started_at") for r in (rerun, record)]
    same = started[0] is not None and started[0] == started[1]
    if same and rerun.get("attempts") == record.get("attempts"):
        return None  # `runner._same_attempt`
    if _older(rerun, record.get("attempts")):
        return None
    return rerun


def unsuccessful_runs(runs: pd.DataFrame) -> list[UnsuccessfulRun]:
    """Failed, interrupted and unfinished (still 'running') runs, with their error."""
    rows = runs[runs["status"] != store.STATUS_COMPLETED].sort_values(
        ["experiment", "config_hash", "seed"]
    )
    found = []
    for row in rows.itertuples(index=False):
        status = UNFINISHED if row.status == store.STATUS_RUNNING else str(row.status)
        error = row.error if isinstance(row.error, str) and row.error else ""
        if status == UNFINISHED and not error:
            error = "no final status: still running, or killed without a trace"
        found.append(
            UnsuccessfulRun(
                str(row.experiment),
                str(row.config_hash),
                int(row.seed),
                status,
                error,
                str(row.record_dir),
            )
        )
    return found


def provenance(runs: pd.DataFrame) -> Provenance:
    """Code versions, packages, interpreter and hosts across the runs."""
    absent = [None] * len(runs)
    repro = zip(runs.get("repro_version", absent), runs.get("repro_digest", absent), strict=True)
    git = Counter(
        (*_repro_code(sha, *versions), dirty is True or dirty == 1.0)
        for sha, dirty, versions in zip(runs["git_sha"], runs["git_dirty"], repro, strict=True)
    )
    package_columns = sorted(c for c in runs.columns if c.startswith(PACKAGE_PREFIX))
    packages = [
        (c[len(PACKAGE_PREFIX) :], _versions(runs[c]))
        for c in package_columns
        if runs[c].notna().any()
    ]
    plugins, installs = _plugin_code(runs)
    return Provenance(
        git=[(code, note, dirty, n) for (code, note, dirty), n in git.most_common()],
        packages=packages,
        python=_versions(runs["python"]),
        hosts=", ".join(sorted({str(h) for h in runs["hostname"] if not _missing(h)})) or "-",
        plugins=plugins,
        installs=installs,
        inexact_resumes=_resumes(runs, lambda exact: exact is False),
        unjudged_resumes=_resumes(runs, lambda exact: exact is None),
    )


def _repro_code(sha: Any, version: Any, digest: Any) -> tuple[str, str]:
    """(what names repro's code, a note): the git commit of a checkout; outside git (an
    installed wheel), the digest of repro's source files with its version, never a commit
    it does not have; "unknown" for records made before either was kept."""
    if not _missing(sha):
        return str(sha), ""
    if _missing(digest):
        return "unknown", ""
    release = f"repro {version}" if not _missing(version) else "repro"
    return str(digest)[:12], f"{release} without git: a digest of its source files"


def _resumes(runs: pd.DataFrame, exactness: Callable[[Any], bool]) -> list[str]:
    """The completed runs that resumed with a `resumed_exactly` that `exactness` picks: False
    (Lightning did not resume it exactly) or None (a repro that did not judge resumed it)."""
    if "resumed" not in runs.columns or "resumed_exactly" not in runs.columns:
        return []
    resumed = runs["resumed"].astype(object).fillna(False).astype(bool)
    completed = runs[(runs["status"] == store.STATUS_COMPLETED) & resumed]
    picked = completed[completed["resumed_exactly"].map(exactness).astype(bool)]
    return [  # named as its folder is: one experiment and seed may have several configs
        f"{row.experiment}/{row.config_hash} seed {int(row.seed)}"
        for row in picked.sort_values(["experiment", "config_hash", "seed"]).itertuples()
    ]


def _plugin_code(runs: pd.DataFrame) -> tuple[list[tuple[str, str, str, int]], list[str]]:
    """Which plugin code made the runs: distribution and version (an installed plugin) or the
    plugin folder, with the code digest each record carries; and the installs that bring an
    installed plugin's version back."""
    groups: dict[tuple[str, str], list[str]] = {}
    installs: list[str] = []
    names = ("plugin_distribution", "plugin_version", "code_digest")
    columns = [runs.get(c) for c in names]
    if any(c is None for c in columns):
        return [], []
    absent = [None] * len(runs)
    built_in = runs.get("plugin_built_in", absent)
    repro = runs.get("repro_version", absent)
    rows = zip(*columns, built_in, repro, runs["experiment"], strict=True)
    for distribution, version, digest, shipped, repro_version, experiment in rows:
        if _missing(distribution) and shipped is True:
            what = (
                f"built into repro {repro_version}" if not _missing(repro_version) else "built in"
            )
        elif _missing(distribution):
            what = "plugin folder"
        else:
            what = f"{distribution} {version}" if not _missing(version) else str(distribution)
            if not _missing(version):
                install = f"pip install '{distribution}=={version}'"
                if install not in installs:
                    installs.append(install)
        code = str(digest)[:12] if not _missing(digest) else "unknown (recorded before)"
        groups.setdefault((what, code), []).append(str(experiment))
    plugins = [
        (what, code, ", ".join(dict.fromkeys(experiments)), len(experiments))
        for (what, code), experiments in groups.items()
    ]
    return plugins, installs


def _versions(column: pd.Series) -> str:
    counts = Counter(str(v) for v in column if not _missing(v))
    if len(counts) <= 1:
        return next(iter(counts), "-")
    return ", ".join(f"{v} ({plural(n, 'run')})" for v, n in counts.most_common())


def _most_common(column: pd.Series) -> Any:
    counts = Counter(_plain(v) for v in column if not _missing(v))
    return counts.most_common(1)[0][0] if counts else None


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers (ints stay ints)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
