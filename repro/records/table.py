"""Run records as one long table: a row per run × metric, for reports and for pandas users.

    from repro.records.table import load_records
    table = load_records("results", paper="mnist1d")
    table.frame.query("status == 'completed' and metric == 'test/acc'")

Columns (one row per metric of each run; a run without metrics keeps one row with metric NaN;
a metric recorded as null has no row, as if not logged; NaN and inf stay, as measured):

- identity: `paper`, `experiment`, `config_hash`, `code_digest`, `code_classes`, `seed`,
  `status`, `error`, `record_dir`; `code_digest` fingerprints the plugin's code that made the
  run (records.fingerprint; None for records made before it was recorded) and `code_classes`
  names the classes paper.yaml chose (`module=model:A datamodule=data:B`; None if not
  recorded): runs of one config but other code are other settings in a report
- the number: `metric`, `value` (float; NaN when missing or not a number)
- timing: `wall_s`, `fit_s`, `steps`, `epochs`, `steps_per_s`, `epoch_s_mean`, `started_at`,
  `finished_at` (of the run's last attempt), `stopped_by` (what ended a completed run's
  training: `max_steps`, `max_epochs`, `max_time`, `early stopping`; None in older records),
  `alive_at` (a group's `running` record: when it last said it was training),
  `earlier_wall_s` (the wall time of the interrupted attempts a resumed run went on from;
  NaN when none), `earlier_groups` (JSON: the part of it spent in
  attempts of a group of seeds trained together, by their `together` key; None when none),
  `earlier_to_save` (of those attempts, killed ones timed up to their last save or
  `alive_at`: a lower bound; NaN when none),
  `abandoned_wall_s` / `abandoned_groups` (the same for unsuccessful attempts of the seed that
  no attempt went on from: one failed, the next started over; unsuccessful compute),
  `abandoned_runs` / `abandoned_untimed` (how many attempts that is, and how many of them
  have no recorded time, killed; NaN in records made before they were counted),
  `abandoned_to_save` (of those, killed ones timed up to their last save or `alive_at`: a
  lower bound; NaN when none),
  `replaced_wall_s` / `replaced_groups` (the same for the completed run a completed
  `rerun=true` or stale retrain replaced: its wall time, counted apart from the result's),
  `replaced_runs` (how many completed runs that time is of; NaN when none),
  `replaced_to_save` (of those, runs that resumed a killed attempt timed up to its last save:
  a lower bound; NaN when none)
- provenance: `git_sha`, `git_dirty`, `python`, `torch`, `cpu`, `cpu_count`, `gpus` (comma
  separated), `hostname`, `platform`, `device`, `parameters`, `world_size` (the processes,
  one GPU each on GPUs, that trained it: the record's, None where it recorded none, i.e. one
  or a record made before it was kept), `attempts`, `resumed` (whether
  an attempt went on from a checkpoint), `resumed_exactly` (True/False from the record's
  `resumed_from.exact`; None if never resumed, or resumed by a repro that did not judge),
  `command`, `seeds_auto_n0`, `seeds_auto_n`, `seeds_auto_max` (a run a `repro sweep
  seeds=auto` stage trained: its pilot's n0, the plan's N for stage two's runs, the cap; None
  otherwise),
  `plugin_distribution`, `plugin_version` (an installed plugin's; None for a folder),
  `repro_version`, `repro_digest` (of repro's own source files; None in older records),
  `pkg_<name>` (package versions), `data_<split>` (dataset sizes)
- config: `p_<group>.<key>` for every result-relevant key of the run's config.yaml
  (`p_model.arch`, `p_optimizer.lr`); lists are JSON strings so every cell is a scalar.

Reading is one plain loop over the files, and each config.yaml is parsed once per config hash
(all seeds of a hash share their result-relevant config by construction), so ten thousand
records load in about a second. An unreadable or malformed record is skipped and reported in
`RecordTable.skipped`; it never stops the others from loading.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repro.records import store

if TYPE_CHECKING:
    import pandas as pd

CONFIG_PREFIX = "p_"
PACKAGE_PREFIX = "pkg_"
DATA_PREFIX = "data_"
REQUIRED_FIELDS = ("paper", "experiment", "seed", "status")
# Keys of config.yaml that name the run rather than configure it (they have their own columns).
IDENTITY_KEYS = frozenset({"paper", "experiment_name", "seed"})
RUN_COLUMNS = (
    "paper",
    "experiment",
    "config_hash",
    "code_digest",
    "code_classes",
    "seed",
    "status",
    "error",
    "record_dir",
    "wall_s",
    "fit_s",
    "steps",
    "epochs",
    "steps_per_s",
    "epoch_s_mean",
    "stopped_by",
    "earlier_wall_s",
    "earlier_groups",
    "earlier_to_save",
    "abandoned_wall_s",
    "abandoned_groups",
    "abandoned_runs",
    "abandoned_untimed",
    "abandoned_to_save",
    "replaced_wall_s",
    "replaced_to_save",
    "replaced_groups",
    "replaced_runs",
    "started_at",
    "finished_at",
    "alive_at",
    "git_sha",
    "git_dirty",
    "python",
    "torch",
    "cpu",
    "cpu_count",
    "gpus",
    "hostname",
    "platform",
    "device",
    "parameters",
    "world_size",
    "attempts",
    "resumed",
    "resumed_exactly",
    "command",
    "seeds_auto_n0",
    "seeds_auto_n",
    "seeds_auto_max",
    "plugin_distribution",
    "plugin_version",
    "plugin_built_in",
    "repro_version",
    "repro_digest",
)
TIMING_KEYS = (
    "wall_s", "fit_s", "steps", "epochs", "steps_per_s", "epoch_s_mean", "earlier_wall_s",
)  # fmt: skip


class BadRecord(ValueError):
    """A record file that cannot be used; the message says why."""


@dataclass(frozen=True)
class SkippedRecord:
    path: Path
    reason: str
    what: str = "record"  # or "record folder": one the report could not list
    counted_as: str | None = None  # a seed's second record: the setting counting the first

    def warning(self) -> str:
        return f"warning: skipped {self.what} {self.path}: {self.reason}"


@dataclass
class RecordTable:
    """The long table and the records that could not be read."""

    frame: pd.DataFrame
    skipped: list[SkippedRecord] = field(default_factory=list)
    config_warnings: list[str] = field(default_factory=list)

    @property
    def config_columns(self) -> list[str]:
        return [c for c in self.frame.columns if c.startswith(CONFIG_PREFIX)]


def record_files(
    results_dir: Path, paper: str | None = None, unlisted: list[tuple[Path, OSError]] | None = None
) -> Iterator[Path]:
    """Every record.json under results (or one paper's), in sorted order, hidden folders
    skipped, no deeper than record folders (`store.RECORD_DEPTH`: their csv/, wandb/ and
    checkpoints/ hold no records, and a record below one is not where a sweep looks).
    Symbolic links to folders are followed, as the sweep's look-up of a seed's folder follows
    them (a folder moved to another disk and linked back); a link back up to a folder above
    is not. A second name for a folder yields its records again, under that name, where the
    report calls them misfiled. `unlisted` collects the folders that could not be listed
    (no permission, a dead mount): the records they hold are missing, and the report says so."""
    root = Path(results_dir) / paper if paper else Path(results_dir)
    if not root.is_dir():
        return
    base = len(Path(results_dir).parts)
    stack: list[tuple[str, frozenset[str]]] = [(str(root), frozenset())]
    while stack:
        folder, above = stack.pop()
        real = os.path.realpath(folder)
        if real in above:
            continue  # a link to a folder above this one
        above = above | {real}
        try:
            with os.scandir(folder) as entries:
                # below a record folder, a link loop (in its wandb/) holds no record
                above_records = len(Path(folder).parts) - base < store.RECORD_DEPTH
                said = unlisted if above_records else None
                children = sorted((e.name, _is_folder(e, said)) for e in entries)
        except FileNotFoundError:
            continue  # removed while listed
        except OSError as error:
            if unlisted is not None:
                unlisted.append((Path(folder), error))
            continue
        if any(name == store.RECORD_FILE for name, _ in children):  # a folder too: the
            # reader says it cannot read it, where it was passed over as if never run
            yield Path(folder) / store.RECORD_FILE  # a stray copy above a record folder too
        if len(Path(folder).parts) - base >= store.RECORD_DEPTH:
            continue  # no deeper than record folders: the sweep looks nowhere else
        stack.extend(
            (os.path.join(folder, name), above)
            for name, is_dir in reversed(children)
            if is_dir and not name.startswith(".")
        )


def _is_folder(entry: os.DirEntry[str], unlisted: list[tuple[Path, OSError]] | None) -> bool:
    """Whether a folder's entry is a folder (links followed); one that cannot be told (a
    link loop: `Too many levels of symbolic links`) is collected in `unlisted` on its own,
    where its error made the whole folder holding it unlisted, its other seeds with it; a
    link whose target is gone (a disk not mounted now) too, passed over in silence before."""
    said = unlisted if not entry.name.startswith(".") else None
    try:
        if entry.is_dir():
            return True
    except OSError as error:
        if said is not None:
            said.append((Path(entry.path), error))
        return False
    if said is not None and entry.is_symlink() and not os.path.exists(entry.path):
        said.append((Path(entry.path), OSError(store.DEAD_LINK)))
    return False


def record_papers(results_dir: Path) -> list[str]:
    """Papers with at least one record folder under results (hidden folders ignored)."""
    root = Path(results_dir)
    if not root.is_dir():
        return []
    return sorted(
        child.name
        for child in root.iterdir()
        if child.is_dir()
        and not child.name.startswith(".")
        and next(record_files(root, child.name), None) is not None
    )


def flatten_config(
    config: dict[str, Any], prefix: str = CONFIG_PREFIX, lists_as_json: bool = True
) -> dict[str, Any]:
    """`{"model": {"arch": "cnn"}}` -> `{"p_model.arch": "cnn"}` for the result-relevant keys
    (those the config hash covers: no locations, loggers, launchers); lists (and empty
    mappings) become JSON strings unless `lists_as_json` is False."""
    flat: dict[str, Any] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict) and node:
            for key, value in node.items():
                if not store.is_location_key(key):
                    walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, (list, tuple, dict)) and lists_as_json:
            flat[prefix + path] = json.dumps(node, default=str)
        else:
            flat[prefix + path] = node

    for key, value in config.items():
        result_key = key not in store.NON_RESULT_KEYS and not store.is_location_key(key)
        if result_key and key not in IDENTITY_KEYS:
            walk(value, str(key))
    return flat


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def together_key(record: dict[str, Any], timing: dict[str, Any]) -> str | None:
    """One key per attempt of a group of seeds trained together, so that the time they
    shared is counted once; None for a seed trained alone. Records name the attempt; older
    ones are told apart by their sweep (each seed's own start may differ by a second)."""
    together = _mapping(record.get("together"))
    seeds = together.get("seeds")
    if not isinstance(seeds, list) or not seeds:
        return None
    attempt = together.get("attempt") or record.get("sweep_id") or timing.get("started_at")
    setting = f"{record.get('paper')}/{record.get('experiment')}/{record.get('config_hash')}"
    return f"{setting}:{','.join(map(str, seeds))}@{attempt}"


def earlier_groups(value: Any) -> dict[str, float]:
    """A record's `timing.earlier_groups` (a group attempt's key -> its seconds): the valid
    entries (finite, not negative)."""
    if not isinstance(value, dict):
        return {}
    found = {}
    for key, seconds in value.items():
        number = _number(seconds)
        if not isinstance(seconds, bool) and math.isfinite(number) and number >= 0:
            found[str(key)] = number
    return found


def _earlier_groups_text(value: Any) -> str | None:
    """`timing.earlier_groups` as one cell (JSON, keys sorted); None when there is none."""
    groups = earlier_groups(value)
    return json.dumps(groups, sort_keys=True) if groups else None


def run_row(record: Any, record_dir: Path) -> dict[str, Any]:
    """The per-run columns of one parsed record.json; BadRecord if it is not a record."""
    if not isinstance(record, dict):
        raise BadRecord(f"expected a JSON object, got {type(record).__name__}")
    problem = store.record_problem(record) or store.misfiled(record, record_dir)
    if problem:  # what a sweep calls corrupt (and trains again) never counts here either
        raise BadRecord(problem)
    missing = [key for key in REQUIRED_FIELDS if record.get(key) is None]
    if missing:
        raise BadRecord(f"missing field {', '.join(missing)}")
    seed = record["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise BadRecord(f"seed must be an integer, got {seed!r}")
    metrics = record.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise BadRecord("metrics must be an object")
    timing = _mapping(record.get("timing"))
    env = _mapping(record.get("environment"))
    git = _mapping(env.get("git"))
    model = _mapping(record.get("model"))
    gpus = env.get("gpus") or []
    plugin_code = _mapping(_mapping(record.get("code")).get("plugin"))
    repro_code = _mapping(_mapping(record.get("code")).get("repro"))
    row: dict[str, Any] = {
        "paper": str(record["paper"]),
        "experiment": str(record["experiment"]),
        "config_hash": str(record.get("config_hash") or record_dir.parent.name),
        "code_digest": plugin_code.get("digest"),
        "code_classes": classes_text(plugin_code.get("classes")),
        "seed": seed,
        "status": str(record["status"]),
        "error": record.get("error"),
        "record_dir": str(record_dir),
        **{key: _number(timing.get(key)) for key in TIMING_KEYS},
        "stopped_by": _text(timing.get("stopped_by")),
        "started_at": timing.get("started_at"),
        "finished_at": timing.get("finished_at"),
        "alive_at": timing.get("alive_at"),  # a killed group: when it was last seen training
        "together": together_key(record, timing),
        "earlier_groups": _earlier_groups_text(timing.get("earlier_groups")),
        "earlier_to_save": _number(timing.get("earlier_to_save")),
        "abandoned_wall_s": _number(timing.get("abandoned_wall_s")),
        "abandoned_groups": _earlier_groups_text(timing.get("abandoned_groups")),
        "abandoned_runs": _number(timing.get("abandoned_runs")),
        "abandoned_untimed": _number(timing.get("abandoned_untimed")),
        "abandoned_to_save": _number(timing.get("abandoned_to_save")),
        "replaced_wall_s": _number(timing.get("replaced_wall_s")),
        "replaced_to_save": _number(timing.get("replaced_to_save")),
        "replaced_groups": _earlier_groups_text(timing.get("replaced_groups")),
        "replaced_runs": _number(timing.get("replaced_runs")),
        "git_sha": git.get("sha"),
        "git_dirty": git.get("dirty"),
        "python": env.get("python"),
        "torch": env.get("torch"),
        "cpu": env.get("cpu"),
        "cpu_count": env.get("cpu_count"),
        "gpus": ", ".join(map(str, gpus)) if isinstance(gpus, list) else str(gpus),
        "hostname": env.get("hostname"),
        "platform": env.get("platform"),
        "device": model.get("device"),
        "parameters": _count(model.get("parameters")),
        "world_size": model.get("world_size"),
        "attempts": record.get("attempts"),
        "resumed": isinstance(record.get("resumed_from"), dict),
        "resumed_exactly": _exact(_mapping(record.get("resumed_from")).get("exact")),
        "command": record.get("command"),
        **_seeds_auto(record.get("seeds_auto")),
        "plugin_distribution": plugin_code.get("distribution"),
        "plugin_version": plugin_code.get("version"),
        "plugin_built_in": plugin_code.get("built_in"),
        "repro_version": repro_code.get("version"),
        "repro_digest": repro_code.get("digest"),
    }
    for name, version in _mapping(env.get("packages")).items():
        row[PACKAGE_PREFIX + str(name)] = version
    for split, size in _mapping(record.get("data")).items():
        row[DATA_PREFIX + str(split)] = size
    # null is a value missing, not one measured: a run writes NaN or inf as it measured them
    # (a diverged seed), and a report counts those apart from a metric a run did not log
    row["_metrics"] = {str(k): _number(v) for k, v in metrics.items() if v is not None}
    return row


def _seeds_auto(section: Any) -> dict[str, int | None]:
    """A seeds=auto stage's run: its pilot's n0, its plan's N (stage two; None for the pilot),
    and the cap; all None for any other run (or a malformed section)."""
    section = _mapping(section)

    def count(key: str) -> int | None:
        value = section.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    n0 = count("n0")
    return {
        "seeds_auto_n0": n0,
        "seeds_auto_n": count("seeds") if n0 is not None else None,
        "seeds_auto_max": count("max_seeds") if n0 is not None else None,
    }


def _text(value: Any) -> str | None:
    """A string field of a record; None for anything else (a hand-edited record's 3)."""
    return value if isinstance(value, str) else None


def _count(value: Any) -> int | None:
    """A recorded count (`model.parameters`), None where it is none: a hand-edited `[5]`
    stopped the report (`unhashable type: 'list'`)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def classes_text(classes: Any) -> str | None:
    """The classes paper.yaml named for a run (`code.plugin.classes`) as one comparable cell,
    `module=model:A datamodule=data:B`; None when not recorded."""
    if not isinstance(classes, dict) or not classes:
        return None
    return " ".join(f"{key}={classes[key]}" for key in sorted(classes))


def _exact(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _read_config(path: Path) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    config = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    if not isinstance(config, dict):
        raise ValueError("not a mapping")
    return config


def read_result_config(record_dir: Path) -> dict[str, Any]:
    """A run's config.yaml flattened as the table's `p_` columns (lists as JSON, no prefix),
    with the types the config hash saw: a column turns 6000 into 6000.0 where another
    setting has a float there, and the report must tell settings apart as the hash does."""
    return flatten_config(_read_config(Path(record_dir) / store.CONFIG_FILE), prefix="")


def read_flat_config(record_dir: Path) -> dict[str, Any]:
    """The result-relevant keys of a run's config.yaml, dotted (`model.arch`), exact types."""
    config = _read_config(Path(record_dir) / store.CONFIG_FILE)
    return flatten_config(config, prefix="", lists_as_json=False)


def load_records(results_dir: Path | str, paper: str | None = None) -> RecordTable:
    """Every record under `results_dir` (or one paper's) as a long DataFrame."""
    import pandas as pd

    results_dir = Path(results_dir)
    rows: list[dict[str, Any]] = []
    skipped: list[SkippedRecord] = []
    config_warnings: list[str] = []
    configs: dict[tuple[str, str, str], dict[str, Any]] = {}
    rehashed: dict[tuple[str, str, str], str] = {}  # a legacy hash -> today's (same setting)
    unlisted: list[tuple[Path, OSError]] = []
    for path in record_files(results_dir, paper, unlisted):
        try:
            with open(path, encoding="utf-8-sig") as stream:  # as store.read_record
                record = store.parse_json(stream.read())
            row = run_row(record, path.parent)
        except IsADirectoryError:
            skipped.append(SkippedRecord(path, "unreadable (a folder, not a file)"))
            continue
        except (OSError, UnicodeDecodeError) as error:
            dead = path.is_symlink() and not path.exists()  # not 'No such file': ls shows it
            why = store.DEAD_LINK if dead else _why(error)
            skipped.append(SkippedRecord(path, f"unreadable ({why})"))
            continue
        except ValueError as error:  # JSONDecodeError and BadRecord
            skipped.append(SkippedRecord(path, f"malformed ({error})"))
            continue
        key = (row["paper"], row["experiment"], row["config_hash"])
        if key not in configs:
            config_path = path.parent / store.CONFIG_FILE
            try:
                config = _read_config(config_path)
                configs[key] = flatten_config(config)
                rehashed[key] = _current_hash(config, row["config_hash"])
            except FileNotFoundError:  # none: no config columns, try the next seed
                if config_path.is_symlink():  # a disk not mounted now: not 'none', say so
                    config_warnings.append(f"warning: unreadable {config_path}: {store.DEAD_LINK}")
            except Exception as error:  # any OS or YAML problem: keep the record, say so
                config_warnings.append(f"warning: unreadable {config_path}: {_why(error)}")
        if rehashed.get(key, row["config_hash"]) != row["config_hash"]:
            row["config_hash"] = rehashed[key]
            configs.setdefault((row["paper"], row["experiment"], row["config_hash"]), configs[key])
        rows.append(row)
    rows, doubles = _one_record_per_seed(rows)
    skipped += [
        SkippedRecord(folder, f"unreadable ({_why(error)})", "record folder")
        for folder, error in unlisted
    ]
    return RecordTable(_long_frame(pd, rows, configs), skipped + doubles, config_warnings)


def _one_record_per_seed(
    rows: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[SkippedRecord]]:
    """The rows with one completed record per seed of a setting, and the others skipped: a
    seed an older repro filed under its accelerator's hash and that ran again since has two.
    The one in today's folder counts, as a sweep finds it, else the latest finished, as a
    sweep takes it too (`store.completed_record_dir`)."""
    by_seed: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        if row["status"] == store.STATUS_COMPLETED:
            key = (row["paper"], row["experiment"], row["config_hash"], row["seed"])
            by_seed.setdefault(key, []).append(row)
    dropped: dict[int, SkippedRecord] = {}
    for (*_, config_hash, seed), group in by_seed.items():
        if len(group) < 2:
            continue
        kept = max(
            group,
            key=lambda r: (
                Path(r["record_dir"]).parent.name == config_hash,
                r["finished_at"] if isinstance(r["finished_at"], str) else "",
                r["record_dir"],
            ),
        )
        for row in group:
            if row is not kept:
                path = Path(row["record_dir"]) / store.RECORD_FILE
                also = f"seed {seed} of this setting is also recorded in {kept['record_dir']}"
                dropped[id(row)] = SkippedRecord(
                    path, f"{also}, which counts", counted_as=config_hash
                )
    kept_rows = [row for row in rows if id(row) not in dropped]
    return kept_rows, list(dropped.values())


def _current_hash(config: Any, recorded: str) -> str:
    """Today's hash of a record's setting: a record an older repro filed under a hash that
    still counted `trainer.accelerator` (a GPU run) or a profiler joins its setting's other
    seeds, by the rule a sweep finds them by (`store.hash_today`)."""
    if not isinstance(config, dict):
        return recorded
    try:
        return store.hash_today(config, recorded) or recorded
    except (KeyError, TypeError, ValueError):
        return recorded


def _why(error: BaseException) -> str:
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return text.splitlines()[0]


def _long_frame(
    pd: Any, rows: list[dict[str, Any]], configs: dict[tuple[str, str, str], dict[str, Any]]
) -> pd.DataFrame:
    """One row per run × metric, built column-wise (no per-record pandas work)."""
    import numpy as np

    for row in rows:
        flat = configs.get((row["paper"], row["experiment"], row["config_hash"]))
        if flat:
            row.update(flat)
    metric_names: list[Any] = []
    metric_values: list[float] = []
    run_index: list[int] = []
    for index, row in enumerate(rows):
        metrics = row.pop("_metrics")
        if not metrics:
            run_index.append(index)
            metric_names.append(None)
            metric_values.append(math.nan)
        for name, value in metrics.items():
            run_index.append(index)
            metric_names.append(name)
            metric_values.append(value)
    runs = pd.DataFrame(rows)
    for column in RUN_COLUMNS:
        if column not in runs.columns:
            runs[column] = pd.Series([None] * len(runs), dtype=object)
    extra = [c for c in runs.columns if c not in RUN_COLUMNS]
    ordered = list(RUN_COLUMNS) + sorted(extra, key=_column_order)
    runs = runs[ordered]
    frame = runs.take(np.asarray(run_index, dtype=np.intp)).reset_index(drop=True)
    frame.insert(len(RUN_COLUMNS), "metric", pd.Series(metric_names, dtype=object))
    frame.insert(len(RUN_COLUMNS) + 1, "value", np.asarray(metric_values, dtype=float))
    return frame


def _column_order(column: str) -> tuple[int, str]:
    """Dataset sizes, then package versions, then config columns; alphabetical within."""
    for rank, prefix in enumerate((DATA_PREFIX, PACKAGE_PREFIX, CONFIG_PREFIX)):
        if column.startswith(prefix):
            return rank, column
    return 3, column


def default_results_dir(cli_value: Path | None = None) -> Path:
    """`--results` if given, else REPRO_RESULTS_DIR, else ./results (as `repro run` does)."""
    if cli_value is not None:
        return Path(cli_value)
    return Path(os.environ.get("REPRO_RESULTS_DIR") or "results")
