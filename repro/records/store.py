"""Run records on disk: where a run lives, atomic writes, and reading records back.

A record folder is `<results>/<paper>/<experiment>/<config hash>/seed<N>/`; the hash covers
every config key that can change the result (not paths, loggers or launchers), so the same
config and seed always map to the same folder and different configs never collide.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

RECORD_FILE = "record.json"
CHECKPOINT_DIR = "checkpoints"  # a run's weights, beside its record
LAST_CHECKPOINT = "last.ckpt"
GROUP_CHECKPOINT = "together.ckpt"  # seeds trained together: in the first seed's folder
CONFIG_FILE = "config.yaml"
FILED_CONFIG_FILE = "config.filed.yaml"
"""A seed's config.yaml of an older spelling, kept when a run of its setting spelled another
way (`rerun=true`, a stale retrain) writes its own config into that older folder: what tells
the folder is that setting's once every seed there was trained again (`keep_filed_config`)."""
FAILED_RERUN_FILE = "record.failed.json"
"""The record of a `rerun=true` of a completed run that did not complete (that one stays)."""
SCHEMA_VERSION = 1
# Keys that say where or how a run is executed or logged, not what it computes.
NON_RESULT_KEYS = frozenset(
    {
        "paths",
        "logger",
        "launcher",
        "paper_dir",
        "rerun",
        "hydra",
        "num_threads",
        "slurm",
        "ray",
        "checkpoint",
        "progress",
        "group_seeds",
    }
)
IDENTITY_FIELDS = ("paper", "experiment", "seed")
"""What a completed record must say of itself for a report to count it."""
RECORD_SECTIONS = ("timing", "code", "environment", "model", "data", "checkpoint")
RECORD_SECTIONS += ("together", "resumed_from", "wandb", "seeds_auto")
"""A record's parts that are mappings when there (null: none, except `ALWAYS_MAPPINGS`)."""
ALWAYS_MAPPINGS = ("timing", "code", "environment")  # written as every run starts
SEEDS_AUTO_ENV = "REPRO_SEEDS_AUTO"
"""Set by `repro sweep seeds=auto` while it trains a stage: JSON `{"n0", "max_seeds", "stage":
"pilot"}`, or stage two's with `"seeds": {experiment: N}` (and `"pilot_values": {experiment:
{seed: {metric: value}}}`, the pilot each plan was made from); each run it trains records its part
as `seeds_auto` (`seeds_auto_section`), so a report can tell a plan is missing."""
STATUS_COMPLETED = "completed"
STATUS_FAILED = "failed"
STATUS_RUNNING = "running"
STATUS_INTERRUPTED = "interrupted"


def is_location_key(key: Any) -> bool:
    """`*_dir` keys, at any depth: where data lives is not what a run computes. A convention
    plugins must keep (docs/plugin-reference.md, named by `repro check`): changing the rule
    would move every record that has one (dspn's `data.data_dir`) to another folder."""
    return str(key).endswith("_dir")


def location_keys(config: dict[str, Any]) -> list[str]:
    """Dotted names of the keys the hash leaves out as locations (`is_location_key`), outside
    the sections left out whole (`paths`, ...): what a plugin author must know is not hashed."""
    found: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                name = f"{prefix}{key}"
                if is_location_key(key):
                    found.append(name)
                else:
                    walk(value, f"{name}.")

    walk({k: v for k, v in config.items() if k not in NON_RESULT_KEYS}, "")
    return sorted(found)


NEUTRAL_TRAINER_VALUES = {"strategy": "auto", "num_nodes": 1}
"""Trainer keys added after records existed, left out of the hash at these values so those
records keep their folders (one process on one node is what every earlier run did)."""


EXECUTION_TRAINER_KEYS: dict[str, Any] = {"accelerator": "auto", "profiler": None}
"""Trainer keys that say where a run executes or how it is watched, not what it computes:
hashed at these values whatever the run chose (None: left out, as before the key was set), so
GPU and CPU runs, profiled or not, are seeds of one setting (the record keeps the device it ran
on), and records from before, all at these defaults, keep their folders. `devices` and
`precision` stay in: they change the numbers (DDP shards, bf16 arithmetic)."""


LIGHTNING_TRAINER_DEFAULTS: dict[str, Any] = {
    "fast_dev_run": False,
    "min_epochs": None,
    "min_steps": None,
    "max_time": None,
    "limit_predict_batches": None,
    "overfit_batches": 0.0,
    "val_check_interval": None,
    "accumulate_grad_batches": 1,
    "gradient_clip_algorithm": None,
    "benchmark": None,
    "inference_mode": True,
    "use_distributed_sampler": True,
    "detect_anomaly": False,
    "barebones": False,
    "plugins": None,
    "sync_batchnorm": False,
    "reload_dataloaders_every_n_epochs": 0,
}
"""Lightning Trainer arguments repro's trainer config does not set, at Lightning's defaults
(a copy, so records need not import Lightning): `+trainer.benchmark=null` hands the Trainer
what it has without the key, so the hash leaves such a key out at exactly this value (of this
type, once `_at_lightning_readings` has read it: `overfit_batches=0` is Lightning's 0.0, an
int for another float is hashed). Keys repro's config sets are hashed as they are: leaving
one out at Lightning's default would move every record."""


NULL_TRAINER_VALUES: dict[str, Any] = {
    "devices": "auto",
    "strategy": "auto",
    "num_nodes": 1,
    "max_steps": -1,
    "log_every_n_steps": 50,
    "num_sanity_val_steps": 2,
    "enable_model_summary": True,
    **{k: v for k, v in LIGHTNING_TRAINER_DEFAULTS.items() if v is not None},
}
"""What a Trainer argument set to null trains as: the runner leaves null arguments out
(running.training.NULL_MEANS_SOMETHING aside), so the Trainer takes its default, which the
hash takes too (`trainer.max_steps=null` is -1). Lightning's default where it is not null in
its signature (log_every_n_steps: 50), not repro's (num_sanity_val_steps: 2, not 0); null
precision and max_epochs are resolved apart (`DEFAULT_PRECISION`, `_at_null_trainer_values`)."""


EVERY_BATCH_KEYS = frozenset(
    {
        "limit_train_batches",
        "limit_val_batches",
        "limit_test_batches",
        "limit_predict_batches",
        "val_check_interval",
    }
)
"""Trainer arguments whose null Lightning reads as the fraction 1.0 (every batch, the epoch's
end): a float 1.0 is hashed as null, as `_at_null_trainer_values` does; the int 1 (one
batch) stays another setting."""


UNSET_TRAINER_VALUES: dict[str, Any] = {
    key: None
    for key in (
        "accelerator", "devices", "strategy", "num_nodes", "precision", "max_epochs",
        "max_steps", "deterministic", "log_every_n_steps", "limit_train_batches",
        "limit_val_batches", "limit_test_batches", "num_sanity_val_steps",
        "enable_model_summary", "gradient_clip_val",
    )
}  # fmt: skip
UNSET_TRAINER_VALUES["check_val_every_n_epoch"] = 1
"""The keys of repro's trainer config (configs/trainer/default.yaml), each at what the Trainer
does when a config removes it (`~trainer.deterministic`): the runner then passes no such
argument, as for null (`running.training.NULL_MEANS_SOMETHING` aside: without the key,
check_val_every_n_epoch is Lightning's 1, not null's count across epochs). Hashed so, the
two spellings are one setting."""


BATCH_LIMIT_KEYS = frozenset(
    {"limit_train_batches", "limit_val_batches", "limit_test_batches", "limit_predict_batches"}
)
"""Trainer arguments Lightning reads a whole float past 1 of as that many batches (`5.0` is
5: `_determine_batch_limits`), hashed so. val_check_interval only while validation counts
within epochs (a float is refused with check_val_every_n_epoch=null); not overfit_batches
(passed on as written to the batch limits)."""


WHOLE_COUNT_KEYS = frozenset({"log_every_n_steps", "num_sanity_val_steps"})
"""Trainer arguments Lightning only compares (`step % log_every_n_steps == 0`, `min(
num_sanity_val_steps, batches)`, `-1`: every batch) and repro reads with int(): a whole
float (`10.0`) trains as that int, hashed so."""


PRECISION_ALIASES: dict[str, str] = {"64": "64-true", "32": "32-true", "16": "16-mixed"}
PRECISION_ALIASES["bf16"] = "bf16-mixed"
"""Lightning's short spellings of a precision (`trainer.precision=32` is `32-true`): one
setting whatever the spelling, hashed at the full name (which records always had at the
default, `32-true`). A copy of Lightning's table, so records need not import Lightning."""
DEFAULT_PRECISION = "32-true"
"""What Lightning trains at for `precision=None` (`trainer.precision=null`): its default."""


def precision_spellings(precision: Any) -> list[Any]:
    """Every way to write the precision `precision` is: its full name, then its aliases as text
    and (a number) as an int: the spellings an older repro hashed as written."""
    full = full_precision_name(precision)
    spellings = [full]
    for alias, named in PRECISION_ALIASES.items():
        if named == full:
            spellings += [alias, int(alias)] if alias.isdigit() else [alias]
    return [*spellings, None] if full == DEFAULT_PRECISION else spellings


def full_precision_name(precision: Any) -> Any:
    """`32-true` for `32` or `'32'` (Lightning's alias) and for None (Lightning's default),
    any other value as it is: the precision as the config hash sees it."""
    if precision is None:
        return DEFAULT_PRECISION
    if isinstance(precision, bool) or not isinstance(precision, (int, str)):
        return precision
    return PRECISION_ALIASES.get(str(precision), precision)


def _at_full_precision_name(config: dict[str, Any]) -> dict[str, Any]:
    trainer = config.get("trainer")
    if not isinstance(trainer, dict) or "precision" not in trainer:
        return config
    named = full_precision_name(trainer["precision"])
    return {**config, "trainer": {**trainer, "precision": named}}


def _at_null_trainer_values(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with each null Trainer argument at what the Trainer does without it
    (`NULL_TRAINER_VALUES`) and a batch fraction of 1.0 as null (`EVERY_BATCH_KEYS`); a null
    max_epochs is -1 (no epoch bound) when max_steps bounds the run, as Lightning resolves it
    (unbounded both, the run is refused before it starts)."""
    trainer = config.get("trainer")
    if not isinstance(trainer, dict):
        return config
    placed = {
        k: NULL_TRAINER_VALUES.get(k) if v is None and k in NULL_TRAINER_VALUES else v
        for k, v in trainer.items()
    }
    for key in EVERY_BATCH_KEYS & set(placed):
        if isinstance(placed[key], float) and placed[key] == 1.0:
            placed[key] = None
    steps = placed.get("max_steps", NULL_TRAINER_VALUES["max_steps"])
    bounded = isinstance(steps, int) and not isinstance(steps, bool) and steps > 0
    if "max_epochs" in placed and placed["max_epochs"] is None and bounded:
        placed["max_epochs"] = -1
    return {**config, "trainer": placed}


def _with_unset_keys(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with each key of repro's trainer config it removed at what the Trainer does
    without it (`UNSET_TRAINER_VALUES`); `config` itself when it removed none."""
    trainer = config.get("trainer")
    if not isinstance(trainer, dict):
        return config
    unset = {k: v for k, v in UNSET_TRAINER_VALUES.items() if k not in trainer}
    return {**config, "trainer": {**unset, **trainer}} if unset else config


TRUTH_TRAINER_KEYS = frozenset(
    (
        "enable_model_summary",
        "inference_mode",
        "use_distributed_sampler",
        "sync_batchnorm",
        "barebones",
    )
)
"""Trainer arguments Lightning reads only as a truth value (`if enable_model_summary:`): 0
and 1 (`trainer.enable_model_summary=0`) train as false and true. Not detect_anomaly or
benchmark (torch refuses an int there), nor deterministic (1 is neither true nor 'warn' to
Lightning: no deterministic algorithms)."""


COUNT_TRAINER_KEYS = BATCH_LIMIT_KEYS | {
    "val_check_interval",
    "check_val_every_n_epoch",
    "log_every_n_steps",
    "num_sanity_val_steps",
    "overfit_batches",
    "reload_dataloaders_every_n_epochs",
    "min_steps",
    "min_epochs",
}
"""Trainer arguments Lightning takes a bool of as the int it is (`isinstance(x, int)`, then
`% x`, `min(x, batches)`): `limit_train_batches=true` trains one batch an epoch, as 1 does."""


CLIP_ALGORITHMS = ("norm", "value")
"""Lightning's gradient clipping algorithms (`GradClipAlgorithmType`), read lower-cased."""


def _at_lightning_readings(config: dict[str, Any]) -> dict[str, Any]:
    """`config` at every reading (`_at_readings_before_sixth`) and, since the sixth, a
    fraction min_steps or min_epochs as the next whole count (`global_step >= 10.5` first
    holds at 11), a minimum of 0 Lightning reads as null as null (`_minimums_at_null`), as
    `benchmark=false` beside deterministic algorithms (which turn a null benchmark off),
    devices given as a list of distinct GPU ids as their count (`[1]` is 1, as `[0, 1]` is
    2: one process on one GPU, DDP over two; which GPU is where the run executes, as the
    accelerator is, and `devices=1` takes GPU 0) and a max_time of a fraction of a second,
    whatever its units, as 'DD:HH:MM:SS.ffffff' (`{milliseconds: 500}` and `{seconds: 0.5}`
    are '00:00:00:00.5': one value, as a time of whole seconds is). `config` itself when
    there is none, so `older_hashes` knows no older spelling was hashed."""
    before = _at_readings_before_sixth(config)
    trainer = before.get("trainer")
    if not isinstance(trainer, dict):
        return before
    read: dict[str, Any] = {}
    for key in ("min_steps", "min_epochs"):
        least = trainer.get(key)
        if isinstance(least, float) and math.isfinite(least) and least > 0:
            read[key] = math.ceil(least)
    read.update(_minimums_at_null(trainer, read))
    if trainer.get("benchmark") is False and trainer.get("deterministic"):
        read["benchmark"] = None  # `_set_torch_flags`: deterministic turns a null one off
    devices = trainer.get("devices")  # GPU ids: where it runs; how many: what it computes
    if _distinct_gpu_ids(devices):  # not `[0, 0]`: no two GPUs, kept as written
        read["devices"] = len(devices)
    if isinstance(trainer.get("max_time"), dict):
        written = _fraction_time_text(trainer["max_time"])
        if written is not None:
            read["max_time"] = written
    read = {k: v for k, v in read.items() if hashed_form(v) != hashed_form(trainer[k])}
    return {**before, "trainer": {**trainer, **read}} if read else before


def _minimums_at_null(trainer: dict[str, Any], read: dict[str, Any]) -> dict[str, Any]:
    """min_steps and min_epochs of 0 that Lightning reads as null: min_steps beside a
    min_epochs (null sets min_epochs to 1 only when it is unset; 0 meets itself), then
    min_epochs of no min_steps (`_parse_loop_limits` makes a null one 0)."""
    steps, epochs = (read.get(k, trainer.get(k)) for k in ("min_steps", "min_epochs"))
    nulls: dict[str, Any] = {}
    if type(steps) is int and steps == 0 and epochs is not None:
        nulls["min_steps"] = steps = None
    if type(epochs) is int and epochs == 0 and steps is None:
        nulls["min_epochs"] = None
    return nulls


def _distinct_gpu_ids(devices: Any) -> bool:
    """Whether `devices` is a list of GPU ids, none twice."""
    if not isinstance(devices, list) or not devices:
        return False
    ids = all(type(d) is int and d >= 0 for d in devices)
    return ids and len(set(devices)) == len(devices)


def _fraction_time_text(max_time: dict[str, Any]) -> str | None:
    """A max_time mapping of a positive time of a fraction of a second as 'DD:HH:MM:SS.ffffff'
    (`{milliseconds: 500}` is '00:00:00:00.5'), exact to timedelta's microsecond, which is
    what the Timer's `total_seconds()` reads; None for any other (whole seconds are read
    before; one the Timer refuses is refused before the run, `config.checks`)."""
    import datetime

    try:
        micro = datetime.timedelta(**max_time) // datetime.timedelta(microseconds=1)
    except (TypeError, ValueError, OverflowError):
        return None
    seconds, fraction = divmod(micro, 10**6)
    if micro <= 0 or not fraction:
        return None
    hours, rest = divmod(seconds, 3600)
    days, hours = divmod(hours, 24)
    whole = f"{days:02d}:{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{whole}.{fraction:06d}".rstrip("0")


FRACTION_TIME_TEXT = re.compile(r"(\d+):(\d\d):(\d\d):(\d\d)\.(\d{1,6})")
"""A max_time of a fraction of a second as the hash reads it (`_fraction_time_text`)."""


def max_time_named(max_time: Any) -> Any:
    """A trainer.max_time as lines name it: as the hash reads it (`{minutes: 1}` is
    '00:00:01:00'), but a time of a fraction of a second, which the hash reads as
    '00:00:00:30.5', text the Timer refuses, as the mapping `{seconds: 30.5}`: what a user
    types for that setting (one hash, however it was spelt)."""
    read = hashed_trainer({"max_time": max_time}).get("max_time", max_time)
    match = FRACTION_TIME_TEXT.fullmatch(read) if isinstance(read, str) else None
    if match is None:
        return read
    days, hours, minutes, seconds, fraction = match.groups()
    whole = ((int(days) * 24 + int(hours)) * 60 + int(minutes)) * 60 + int(seconds)
    micro = whole * 10**6 + int(fraction.ljust(6, "0"))
    return f"{{seconds: {micro / 10**6!r}}}"


def _at_readings_before_sixth(config: dict[str, Any]) -> dict[str, Any]:
    """`config` at the readings before the sixth (`_at_readings_before_fifth`) and, since
    the fifth, a trainer.max_time at the time the Timer reads (`_max_time_read`) and a whole float
    min_steps or min_epochs as that int (Lightning only compares them: `global_step >=
    min_steps`). `config` itself when there is none, so `older_hashes` knows no older
    spelling was hashed."""
    before = _at_readings_before_fifth(config)
    trainer = before.get("trainer")
    if not isinstance(trainer, dict):
        return before
    read: dict[str, Any] = {}
    if trainer.get("max_time") is not None:
        read["max_time"] = _max_time_read(trainer["max_time"])
    for key in ("min_steps", "min_epochs"):
        least = trainer.get(key)
        if isinstance(least, float) and least.is_integer():
            read[key] = int(least)
    read = {k: v for k, v in read.items() if hashed_form(v) != hashed_form(trainer[k])}
    return {**before, "trainer": {**trainer, **read}} if read else before


MAX_TIME_TEXT = re.compile(r"(\d+):(\d\d):(\d\d):(\d\d)")
"""Lightning's Timer's 'DD:HH:MM:SS' (a copy, so records need not import Lightning)."""


def _max_time_read(max_time: Any) -> Any:
    """A max_time as the Timer reads it (seconds, `timedelta(**mapping)` or 'DD:HH:MM:SS'
    stripped), written as 'DD:HH:MM:SS' (`{minutes: 1}` is `'00:00:01:00'`): the Timer stops
    alike at one time however spelt. A time of no whole seconds, or one the Timer refuses
    (refused before the run, `config.checks`), as written."""
    import datetime

    try:
        if isinstance(max_time, str):
            match = MAX_TIME_TEXT.fullmatch(max_time.strip())
            if not match:
                return max_time
            days, hours, minutes, seconds = (int(part) for part in match.groups())
            time = datetime.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        elif isinstance(max_time, dict):
            time = datetime.timedelta(**max_time)
        else:
            return max_time
    except (TypeError, ValueError, OverflowError):
        return max_time
    total = time.total_seconds()
    if total < 0 or not total.is_integer():
        return max_time
    hours, rest = divmod(int(total), 3600)
    days, hours = divmod(hours, 24)
    return f"{days:02d}:{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _at_readings_before_fifth(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with values Lightning reads as another at that other
    (`_at_earlier_lightning_readings`) and, since then: a gradient clip of false (true)
    as 0.0 (1.0) and its algorithm in any case lower-cased, not a clip Lightning skips
    (`clip_val <= 0`) as null nor `norm` as null: a module's own `configure_gradient_clipping`
    is handed them as written and may tell them apart (one that clips at its own value by
    the Trainer's algorithm clips by value under `value` with no clip of the Trainer's),
    and the hash cannot see the module; a whole float accumulate_grad_batches
    as that int; `fast_dev_run` 0 and 1 as false and true (Lightning sets 1 to True); 0 and 1
    of a truth-value key (`TRUTH_TRAINER_KEYS`); since the third, a bool count
    (`COUNT_TRAINER_KEYS`) as its int and a num_sanity_val_steps below -1 as 0 (no sanity
    check either way), an overfit_batches of 0 as Lightning's 0.0; since the fourth, a
    negative min_steps or min_epochs as 0 (a minimum met from the start); a strategy's name
    lower-cased (`DDP`);
    devices given as a list of GPUs in text (`'1,'`, Lightning's `[1]`) as that list, and
    `devices=True` (Lightning's CPU: one process; its GPUs refuse it) as 1. `config` itself
    when there is none, so `older_hashes` knows no older spelling was hashed."""
    earlier = _at_earlier_lightning_readings(config)
    trainer = earlier.get("trainer")
    if not isinstance(trainer, dict):
        return config
    read: dict[str, Any] = {}
    clip = trainer.get("gradient_clip_val")
    if isinstance(clip, bool):  # the number a module's own clipping hook computes with
        read["gradient_clip_val"] = float(clip)
    algorithm = trainer.get("gradient_clip_algorithm")
    if isinstance(algorithm, str) and algorithm.lower() in CLIP_ALGORITHMS:
        read["gradient_clip_algorithm"] = algorithm.lower()  # the Trainer's enum either way
    accumulate = trainer.get("accumulate_grad_batches")  # `% 2.0`, loss / 2.0: as 2
    if isinstance(accumulate, float) and accumulate >= 1 and accumulate.is_integer():
        read["accumulate_grad_batches"] = int(accumulate)
    fast = trainer.get("fast_dev_run")
    if type(fast) is int and fast in (0, 1):
        read["fast_dev_run"] = bool(fast)
    for key in TRUTH_TRAINER_KEYS & set(trainer):
        if type(trainer[key]) is int and trainer[key] in (0, 1):
            read[key] = bool(trainer[key])
    for key in COUNT_TRAINER_KEYS & set(trainer):
        if isinstance(trainer[key], bool):
            read[key] = int(trainer[key])
    if read.get("overfit_batches", trainer.get("overfit_batches")) == 0:  # `> 0`: off either way
        read["overfit_batches"] = LIGHTNING_TRAINER_DEFAULTS["overfit_batches"]
    sanity = read.get("num_sanity_val_steps", trainer.get("num_sanity_val_steps"))
    if type(sanity) is int and sanity < -1:  # Lightning checks only `> 0` (-1: every batch)
        read["num_sanity_val_steps"] = 0
    for key in ("min_steps", "min_epochs"):  # `global_step >= min_steps`: met from the start
        least = trainer.get(key)
        if type(least) in (int, float) and least < 0:
            read[key] = 0  # as 0 is (and, not being null, min_steps still sets min_epochs=1)
    strategy = trainer.get("strategy")
    if isinstance(strategy, str):  # Lightning looks its name up lower-cased
        read["strategy"] = strategy.lower()
    devices = trainer.get("devices")
    if devices is True:
        read["devices"] = 1
    elif isinstance(devices, str) and "," in devices:
        ids = [part.strip() for part in devices.split(",") if part]
        if ids and all(part.isdigit() for part in ids):  # Lightning's int() of each
            read["devices"] = [int(part) for part in ids]
    read = {k: v for k, v in read.items() if hashed_form(v) != hashed_form(trainer.get(k))}
    if not read:
        return earlier
    return {**earlier, "trainer": {**trainer, **read}}


def _at_earlier_lightning_readings(config: dict[str, Any]) -> dict[str, Any]:
    """The first readings (`older_hashes` finds the folders they made): `config`
    with values Lightning reads as another at that other: a device count written
    as text (`devices='1'`, which Lightning parses to 1; `'1,'`, the GPU numbered 1, stays;
    `'-1'`), a whole float batch limit past 1 or at 0 (`BATCH_LIMIT_KEYS`: `5.0` is 5
    batches), a whole float count (`WHOLE_COUNT_KEYS`) and an int
    gradient clip (`gradient_clip_val=1`: torch clips at 1.0 either way). `config`
    itself when there is none, so `older_hashes` knows no older spelling was hashed."""
    trainer = config.get("trainer")
    if not isinstance(trainer, dict):
        return config
    read: dict[str, Any] = {}
    devices = trainer.get("devices")
    if isinstance(devices, str) and (devices.strip().isdigit() or devices.strip() == "-1"):
        read["devices"] = int(devices)  # '-1': every GPU (refused on the CPU, as -1 is)
    for key in BATCH_LIMIT_KEYS & set(trainer):
        value = trainer[key]
        if isinstance(value, float) and (value > 1 or value == 0) and value.is_integer():
            read[key] = int(value)  # 5.0 == 5 (0.0: no batch, as 0): compared by type
    interval = trainer.get("val_check_interval")  # within epochs, 5.0 is 5 batches too
    within = trainer.get("check_val_every_n_epoch") is not None  # null: a float is refused
    if within and isinstance(interval, float) and interval > 1 and interval.is_integer():
        read["val_check_interval"] = int(interval)
    for key in WHOLE_COUNT_KEYS & set(trainer):
        value = trainer[key]
        if isinstance(value, float) and value.is_integer():
            read[key] = int(value)
    clip = trainer.get("gradient_clip_val")
    if isinstance(clip, int) and not isinstance(clip, bool):
        read["gradient_clip_val"] = float(clip)  # torch's max norm (or value) 1 is 1.0
    return {**config, "trainer": {**trainer, **read}} if read else config


def _without_lightning_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """`config` without trainer keys given at Lightning's own default
    (`LIGHTNING_TRAINER_DEFAULTS`): as the Trainer sees it, as if never given."""
    trainer = config.get("trainer")
    if not isinstance(trainer, dict):
        return config
    unset = object()

    def at_default(key: str, value: Any) -> bool:
        default = LIGHTNING_TRAINER_DEFAULTS.get(key, unset)
        return default is not unset and hashed_form(value) == hashed_form(default)

    kept = {k: v for k, v in trainer.items() if not at_default(k, v)}
    return {**config, "trainer": kept}


def _without_locations(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_locations(v) for k, v in node.items() if not is_location_key(k)}
    return node


def _without_neutral_trainer_keys(config: dict[str, Any]) -> dict[str, Any]:
    trainer = config.get("trainer")
    if not isinstance(trainer, dict):
        return config
    kept = {k: v for k, v in trainer.items() if NEUTRAL_TRAINER_VALUES.get(k, ...) != v}
    return {**config, "trainer": kept}


def _at_execution_defaults(config: dict[str, Any]) -> dict[str, Any]:
    trainer = config.get("trainer")
    if not isinstance(trainer, dict):
        return config
    placed = {k: EXECUTION_TRAINER_KEYS.get(k, v) for k, v in trainer.items()}
    placed = {k: v for k, v in placed.items() if not (v is None and k in EXECUTION_TRAINER_KEYS)}
    return {**config, "trainer": placed}


def _digest(config: dict[str, Any]) -> str:
    relevant = {
        k: _without_locations(v)
        for k, v in _without_neutral_trainer_keys(config).items()
        if k not in NON_RESULT_KEYS and k != "seed"
    }
    return hashlib.sha256(hashed_form(relevant).encode()).hexdigest()[:10]


def hashed_form(value: Any) -> str:
    """A value as the config hash sees it: `0` and `0.0` (or `[1]` and `[1.0]`) differ, so an
    override that changes only a number's type is another setting. A mapping with keys of
    two types (`{1: 0.5, b: 2}`), which JSON cannot sort, has its keys named with their type
    (`int:1`); any other keeps the form it always had."""
    try:
        return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    except TypeError:  # keys that do not sort together
        return json.dumps(_typed_keys(value), sort_keys=True, default=str, separators=(",", ":"))


def _typed_keys(node: Any) -> Any:
    """`node` with every key that is not text named with its type (`int:1`)."""
    if isinstance(node, dict):
        return {
            (k if isinstance(k, str) else f"{type(k).__name__}:{k}"): _typed_keys(v)
            for k, v in node.items()
        }
    if isinstance(node, (list, tuple)):
        return [_typed_keys(v) for v in node]
    return node


def config_hash(config: dict[str, Any]) -> str:
    """Short stable digest of the result-relevant part of a resolved config."""
    return _digest(_as_the_trainer_sees_it(config))


def _as_the_trainer_sees_it(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with its trainer section as the Trainer reads it (execution keys at their
    defaults, precision at its full name, nulls at the Trainer's defaults, added keys at
    Lightning's defaults left out): what `config_hash` digests."""
    seen = _before_readings(_with_unset_keys(config))
    return _without_lightning_defaults(_at_lightning_readings(seen))


def _before_readings(config: dict[str, Any]) -> dict[str, Any]:
    """`_as_the_trainer_sees_it` before `_at_lightning_readings` (and Lightning's defaults
    left out), of `config` as given: with a removed key (`_with_unset_keys`), a text device
    count or a whole float limit as written, as an older repro hashed them."""
    return _at_null_trainer_values(_at_full_precision_name(_at_execution_defaults(config)))


def hashed_trainer(trainer: dict[str, Any]) -> dict[str, Any]:
    """A trainer section as the config hash sees it: spellings of one setting (null for
    Lightning's default, `32` for `32-true`, a key added at its default) made one."""
    config = _without_neutral_trainer_keys(_as_the_trainer_sees_it({"trainer": trainer}))
    return config["trainer"]


def legacy_config_hash(config: dict[str, Any]) -> str:
    """The hash records got before `trainer.accelerator` left the setting's identity: equal
    to `config_hash` at the defaults, else the folder an older `...accelerator=gpu` run used.
    Only the accelerator counts: records from then never had the later keys (a profiler)."""
    trainer = config.get("trainer")
    if isinstance(trainer, dict):
        later = {k for k in EXECUTION_TRAINER_KEYS if k != "accelerator"}
        config = {**config, "trainer": {k: v for k, v in trainer.items() if k not in later}}
    return _digest(config)


PROFILER_NAMES = ("simple", "advanced", "pytorch", "xla")
"""Lightning's profilers by name: what a `+trainer.profiler=...` run was hashed with before a
profiler left the setting's identity (7583c06)."""


def older_hashes(config: dict[str, Any]) -> list[str]:
    """Every hash an older repro gave this config's records, other than today's: with its
    accelerator (`legacy_config_hash`, before a38075e), with its precision and trainer keys
    as written (before an alias such as `32`, or null, was hashed as `32-true`, and a key at
    Lightning's default left out: `LIGHTNING_TRAINER_DEFAULTS`), with its precision named but
    other trainer keys as written (before null was hashed as the Trainer's default:
    `NULL_TRAINER_VALUES`) and, for a profiled config, with its
    profiler too, before (all of trainer) and after (accelerator at auto) the accelerator left
    the hash, until 7583c06 left the profiler out; and with a max_time (`{minutes: 1}`) or a
    whole float min_steps or min_epochs as written, before they were read as Lightning does,
    and a fraction of either (`{milliseconds: 500}`, `10.5`) as written, before the sixth."""
    trainer = config.get("trainer")
    if not isinstance(trainer, dict):
        return []
    placed = _at_execution_defaults(config)
    hashes = [legacy_config_hash(config), _digest(placed), _digest(_at_full_precision_name(placed))]
    if trainer.get("profiler") is not None:
        accelerator = EXECUTION_TRAINER_KEYS["accelerator"]
        hashes.append(_digest(config))
        hashes.append(_digest({**config, "trainer": {**trainer, "accelerator": accelerator}}))
    seen = _before_readings(config)
    spelled = _with_unset_keys(config) is not config or _at_lightning_readings(seen) is not seen
    if spelled:  # `~trainer.deterministic`, `devices='1'` were hashed as written
        hashes.append(_digest(_without_lightning_defaults(seen)))
        # and, in the first readings, `gradient_clip_val=false`, `devices='1,'` as written
        for spelt in (seen, _before_readings(_with_unset_keys(config))):
            earlier = _at_earlier_lightning_readings(spelt)
            hashes.append(_digest(_without_lightning_defaults(earlier)))
            # before the fifth, a max_time (`{minutes: 1}`) or min_steps (`10.0`) as written
            hashes.append(_digest(_without_lightning_defaults(_at_readings_before_fifth(spelt))))
            # before the sixth, a fraction min_steps (`10.5`) or of a second as written
            hashes.append(_digest(_without_lightning_defaults(_at_readings_before_sixth(spelt))))
    today = config_hash(config)
    return [h for h in dict.fromkeys(hashes) if h != today]


def hash_today(config: dict[str, Any], filed_under: str) -> str | None:
    """Today's hash of the setting `config` when `filed_under` is a hash an older repro gave
    it (`older_hashes`), else None (today's own hash, or none it ever had). The one rule by
    which `repro run` / `repro sweep` (`legacy_hash_dirs`) and the report (`table.load_records`)
    count an older folder's records with today's setting, so they never disagree. Raises
    (KeyError, TypeError, ValueError) for a config that is no run's; each caller says how
    it goes on then."""
    return config_hash(config) if filed_under in older_hashes(config) else None


RECORD_DEPTH = 4
"""A record folder's depth below results/: <paper>/<experiment>/<config hash>/seed<N>/ (the
walk finds record folders by depth, not name: an experiment may be called seed7)."""


def run_dir(results_dir: Path, config: dict[str, Any]) -> Path:
    """The record folder of this config and seed: RECORD_DEPTH folders below results/."""
    experiment = config.get("experiment_name") or "default"
    return (
        Path(results_dir)
        / config["paper"]
        / experiment
        / config_hash(config)
        / f"seed{config['seed']}"
    )


def _current_umask() -> int:
    """The process umask, read once: os.umask can only be read by setting it."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Read at import, before any thread could create files under the temporary mask.
_UMASK = _current_umask()
SUPERSEDED_DIR = ".superseded"


def free_name_beside(path: Path) -> Path:
    """`path` if nothing is there, else the first free `<stem>-2<suffix>`, `-3`, ...
    (record.corrupt-2.json): what is kept aside (a corrupt record, its weights) is never
    written over by the next one kept aside."""
    candidate, number = Path(path), 1
    while candidate.exists():
        number += 1
        candidate = Path(path).with_name(f"{Path(path).stem}-{number}{Path(path).suffix}")
    return candidate


def group_file_left(record_dir: Path) -> bool:
    """Whether a seed's folder holds a group's checkpoint (or its `.tmp`): asked before the
    tidy-up of a completed seed is imported, so that a run found completed loads neither
    torch nor Lightning unless there is a file to tidy."""
    folder = Path(record_dir) / CHECKPOINT_DIR
    return (folder / GROUP_CHECKPOINT).is_file() or (folder / f"{GROUP_CHECKPOINT}.tmp").is_file()


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temp file in the same folder and rename: readers see old or new, never half.
    The file gets the umask's permissions (0644 under umask 022), as open() would give it,
    not mkstemp's private 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o666 & ~_UMASK)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_record(folder: Path, record: dict[str, Any], name: str = RECORD_FILE) -> None:
    atomic_write_text(folder / name, json.dumps(record, indent=2, default=str) + "\n")


def parse_json(text: str) -> Any:
    """JSON text as data; ValueError for any text that is not JSON a reader can use, a
    file nested deeper than Python's recursion limit too (a damaged or hostile record),
    whose RecursionError no caller took for a damaged record. A leading UTF-8 byte order
    mark (an editor's) is read past, whichever way the caller decoded the file: json refused
    it ('Unexpected UTF-8 BOM'), so a reader that opened it without `utf-8-sig` (the sweep's
    time estimate) passed over a record the sweep and the report count."""
    try:
        return json.loads(text.removeprefix("\ufeff"))
    except RecursionError:
        raise ValueError("nested too deeply") from None


def read_record(folder: Path, name: str = RECORD_FILE) -> dict[str, Any] | None:
    """The record in `folder` (`name`: another record file of it), or None when absent;
    OSError when it cannot be read (a link that leads nowhere too: it may be a completed
    run's on a disk not mounted now); ValueError when it is not one (bad JSON, a JSON list, a
    metric that is not a number, a copy of another seed's or setting's: `misfiled`), so
    callers treat it as corrupt."""
    path = folder / name
    if path.is_symlink() and not path.exists():  # a disk not mounted now: not 'none'
        raise OSError(f"{name} is {DEAD_LINK}")  # no errno: not FileNotFoundError
    if not path.is_file():
        return None
    record = parse_json(path.read_text(encoding="utf-8-sig"))  # an editor may add a BOM
    problem = record_problem(record) or misfiled(record, folder)
    if problem:
        raise ValueError(problem)
    return record


def record_problem(record: Any) -> str | None:
    """Why parsed JSON is not a usable run record, or None."""
    if not isinstance(record, dict):
        return f"not a JSON object but a {type(record).__name__}"
    seed = record.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        return f"seed must be an integer, got {seed!r}"
    for field in (*IDENTITY_FIELDS[:2], "config_hash", "status"):  # a run is filed by them
        value = record.get(field)
        if value is not None and not isinstance(value, str):  # `5` was filed as setting "5"
            return f"{field} must be text, got {value!r}"
    if record.get("status") == STATUS_COMPLETED:  # the report cannot file it: nor can a sweep
        missing = [key for key in IDENTITY_FIELDS if record.get(key) is None]
        if missing:
            return f"a completed record without {', '.join(missing)}"
    for section in RECORD_SECTIONS:  # read with .get() by the sweep and the report
        value = record.get(section)
        nothing = value is None and section not in ALWAYS_MAPPINGS
        if section in record and not isinstance(value, dict) and not nothing:
            return f"{section} is not a mapping"
    plugin = (record.get("code") or {}).get("plugin")  # its digest: whether a run is stale
    if plugin is not None and not isinstance(plugin, dict):
        return "code.plugin is not a mapping"
    for part in ("files", "classes"):  # compared with the plugin's own (`stale_reason`)
        value = (plugin or {}).get(part)
        if value is not None and not isinstance(value, dict):
            return f"code.plugin.{part} is not a mapping"
    digest = (plugin or {}).get("digest")  # compared, and named in `.superseded/` folders
    if digest is not None and not isinstance(digest, str):
        return f"code.plugin.digest is not text: {digest!r}"
    attempts = record.get("attempts", 0)  # the next attempt counts on from it
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 0:
        return f"attempts is not a count: {attempts!r}"
    if "metrics" not in record:  # a hand-made record: counted without its metrics
        return None
    metrics = record["metrics"]
    if not isinstance(metrics, dict):  # `null` too: every run writes a mapping, `{}` at least
        return "metrics is not a mapping"
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, type(None))):
            return f"metric {name} is not a number: {value!r}"
        if isinstance(value, int) and not _fits_a_float(value):  # the table's column is float
            return f"metric {name} is not a number: an integer of {len(str(abs(value)))} digits"
    return None


def _fits_a_float(value: int) -> bool:
    try:
        float(value)
    except OverflowError:
        return False
    return True


SEED_FOLDER = re.compile(r"seed(-?\d+)")


def misfiled(record: dict[str, Any], folder: Path) -> str | None:
    """Why a record is not the run of the folder it lies in (`<hash>/seed<N>/`, named exactly
    so: a sweep looks nowhere else): a copy of another seed's or another setting's, or a seed
    folder renamed (`seed00`, `seed0.bak`), which a sweep would not count while a report
    filed it by its own seed and hash; None when it is, or when it does not say."""
    seed = record.get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool) and folder.name != f"seed{seed}":
        return f"misfiled: it is seed {seed}'s record, in {folder.name}/"
    if SEED_FOLDER.fullmatch(folder.name) is None:
        return None
    recorded = record.get("config_hash")
    elsewhere = isinstance(recorded, str) and recorded != folder.parent.name
    if elsewhere and not _legacy_folder_of(folder, recorded):
        return f"misfiled: its config hash {recorded}, in a folder of {folder.parent.name}"
    for field, above in (("experiment", 1), ("paper", 2)):  # results/<paper>/<experiment>/
        value = record.get(field)
        if isinstance(value, str) and len(folder.parents) > above:
            holder = folder.parents[above].name
            if value != holder:
                return f"misfiled: its {field} {value}, in a folder of {holder}"
    return None


def paper_recorded_elsewhere(paper_folder: Path, looked_at: int = 20) -> str | None:
    """The paper id the records under `results/<name>/` name when it is not `<name>` (a
    folder renamed or copied aside: `results/mnist1d_old/` of mnist1d's runs), else None.
    A few records tell: they are read only to say where their runs belong."""
    for path in itertools.islice(paper_folder.glob(f"*/*/seed*/{RECORD_FILE}"), looked_at):
        try:
            record = parse_json(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            continue
        paper = record.get("paper") if isinstance(record, dict) else None
        if isinstance(paper, str) and paper and paper != paper_folder.name:
            return paper
    return None


DEAD_LINK = "a link that leads nowhere (a loop, or its target is gone)"


def what_blocks_folder(path: Path) -> str | None:
    """What stands where the folder `path` (or one above it) belongs: a link that leads
    nowhere, or a file (a sync tool's leftover); None when nothing does. The run and the
    report name it in one line, where the OS said `File exists` or nothing was found."""
    for folder in (path, *path.parents):
        if folder.is_symlink() and not folder.exists():
            return f"{folder} is {DEAD_LINK}"
        if folder.exists():
            return None if folder.is_dir() else f"{folder} is a file, not a folder"
    return None


def resolved_results_dir(config: dict[str, Any]) -> Path:
    """The config's results folder, resolved; a ReproError naming the link in its path that
    leads nowhere (a loop, an unmounted disk's target), where `resolve()` raised a bare
    RuntimeError ("Symlink loop") that surfaced as an internal error."""
    from repro.errors import ReproError

    path = Path(config["paths"]["results_dir"])
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        absolute = Path(os.path.abspath(path))
        for folder in reversed((absolute, *absolute.parents)):
            if folder.is_symlink() and not folder.exists():
                raise ReproError(f"results folder {path}: {folder} is {DEAD_LINK}") from None
        raise


def results_dir_of(record_dir: Path) -> Path:
    """The results folder a record folder lies RECORD_DEPTH levels below (`run_dir`)."""
    return Path(record_dir).parents[RECORD_DEPTH - 1]


def _legacy_folder_of(folder: Path, recorded: str) -> bool:
    """Whether `folder` lies in the hash folder an older repro gave the setting `recorded`
    (`legacy_hash_dirs`): a `rerun=true` of such a seed writes today's hash into it."""
    import yaml

    try:
        config = yaml.safe_load((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        if not isinstance(config, dict) or config_hash(config) != recorded:
            return False
        return folder.parent in legacy_hash_dirs(results_dir_of(folder), config)
    except (OSError, ValueError, yaml.YAMLError, KeyError, TypeError, IndexError):
        return False


def legacy_hash_dirs(results_dir: Path, config: dict[str, Any]) -> list[Path]:
    """The hash folders an older repro filed this setting under while the accelerator still
    counted (`trainer.accelerator=gpu` etc.), a profiler did (`+trainer.profiler=simple`) or
    a precision alias was hashed as written (`trainer.precision=32`, or `null`), other than today's
    folder: they hold its seeds too (`older_hashes` of each). Also any other hash folder of the
    experiment whose records the report counts with this setting (`_setting_of_folder`): one
    of another spelling an older repro hashed as written (`trainer.max_epochs=null`). Only
    folders there are: the ~300 older hashes of a setting are computed only when its
    experiment holds a folder other than today's."""
    if not isinstance(config.get("trainer"), dict):
        return []
    experiment = config.get("experiment_name") or "default"
    experiment_dir = Path(results_dir) / config["paper"] / experiment
    today = config_hash(config)
    try:
        entries = sorted(
            e.name for e in os.scandir(experiment_dir) if e.is_dir() and e.name[:1] != "."
        )
    except OSError:  # nothing run yet, or unreadable
        entries = []
    others = [name for name in entries if name != today]
    if not others:  # only today's folder, or none: no older one to find (nor hashes to compute)
        return []
    setting = hashed_form({k: v for k, v in config.items() if k != "seed"})
    there = set(others)
    known = [h for h in _legacy_hashes(setting) if h in there]  # only folders that exist
    unknown = [n for n in others if n not in known]
    found = [n for n in unknown if _setting_of_folder(experiment_dir / n) == today]
    return [experiment_dir / name for name in known + found]


def same_setting_folders(hash_dir: Path) -> list[Path]:
    """`hash_dir` and each other hash folder of its experiment holding the same setting:
    today's folder and those an older repro filed it under (`_setting_of_folder`). A seeds=auto
    plan is keyed by its pilot's folder, which may be an older one, while stage two trains
    its seeds into today's: whether a seed past the pilot ran is asked of all of them."""
    hash_dir = Path(hash_dir)
    today = _setting_of_folder(hash_dir) or hash_dir.name
    try:
        names = sorted(
            e.name for e in os.scandir(hash_dir.parent) if e.is_dir() and e.name[:1] != "."
        )
    except OSError:  # nothing run yet, or unreadable
        return [hash_dir]
    others = [hash_dir.parent / n for n in names if n != hash_dir.name]
    return [hash_dir] + [d for d in others if d.name == today or _setting_of_folder(d) == today]


_FOLDER_SETTINGS: dict[tuple[str, int, int], str | None] = {}
"""Hash folder (path, mtime, -1) -> `_setting_of_folder`'s answer once a seed's config.yaml
was read: each folder's config is read once a process while its seeds stay the same."""


def _setting_of_folder(hash_dir: Path) -> str | None:
    """Today's hash of the setting whose records lie in `hash_dir`, when the folder's name is
    a hash some repro gave it (`hash_today` of a seed's config.yaml, as the report rehashes
    records); None otherwise, or when no seed's config can be read. A seed whose config names
    neither (a `rerun=true` or stale retrain there by a command of another spelling, which
    wrote its own config.yaml) leaves the answer to the next seed."""
    import yaml

    try:  # a folder whose listing did not change since: its answer then
        listed = (str(hash_dir), hash_dir.stat().st_mtime_ns, -1)
        if listed in _FOLDER_SETTINGS:
            return _FOLDER_SETTINGS[listed]
        seeds = sorted(e.name for e in os.scandir(hash_dir) if SEED_FOLDER.fullmatch(e.name))
    except OSError:
        return None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in (hash_dir / seed / name for seed in seeds for name in _TELLING_CONFIGS):
        try:
            config = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
            if not isinstance(config, dict):  # emptied or cut short: as the report, which
                continue  # reads the next seed's config then (table._read_config)
            answer = hash_today(config, hash_dir.name)
            if answer is None and config_hash(config) != hash_dir.name:
                continue  # a rerun's of another spelling: its config.filed.yaml, or the next
        except (OSError, ValueError, yaml.YAMLError, KeyError, TypeError, AttributeError):
            continue  # not (yet) written, or unreadable: the next seed's
        _FOLDER_SETTINGS[listed] = answer
        return answer
    return None


_TELLING_CONFIGS = (CONFIG_FILE, FILED_CONFIG_FILE)


def keep_filed_config(record_dir: Path, config: dict[str, Any]) -> None:
    """Before a run of `config` writes its config.yaml into `record_dir`, a folder of an older
    hash of its setting (`completed_record_dir`), keep the config.yaml there that names that
    hash (`FILED_CONFIG_FILE`), once: a command spelling the setting otherwise
    (`max_epochs=-1` for `null`) would leave no seed telling the folder, which run, sweep and
    report then lost (every record in it read as misfiled)."""
    import yaml

    folder = Path(record_dir)
    filed = folder / FILED_CONFIG_FILE
    if folder.parent.name == config_hash(config) or filed.exists():
        return
    try:
        text = (folder / CONFIG_FILE).read_text(encoding="utf-8")
        earlier = yaml.safe_load(text)
        if isinstance(earlier, dict) and hash_today(earlier, folder.parent.name):
            atomic_write_text(filed, text)
    except (OSError, ValueError, yaml.YAMLError, KeyError, TypeError, AttributeError):
        return  # none there, or unreadable: nothing that tells the folder to keep
    except RecursionError:  # nested too deeply to read: it was an internal error at the start
        return


@functools.lru_cache(maxsize=256)
def _legacy_hashes(setting: str) -> tuple[str, ...]:
    """`legacy_hash_dirs`' hashes of one setting (its config without the seed, as JSON): some
    300 digests, computed once per setting rather than once per seed a sweep plans."""
    config = json.loads(setting)
    trainer = config["trainer"]
    today = config_hash(config)
    unprofiled = {k: v for k, v in trainer.items() if k != "profiler"}
    unset = object()  # a trainer without a precision (accelerator) key keeps none
    precisions = precision_spellings(trainer["precision"]) if "precision" in trainer else [unset]
    accelerators = [trainer.get("accelerator", unset), "gpu", "cuda", "cpu", "mps"]
    hashes: dict[str, None] = {}
    for accelerator in dict.fromkeys(accelerators):
        for profiler in dict.fromkeys([trainer.get("profiler"), None, *PROFILER_NAMES]):
            for precision in precisions:
                placed = {k: v for k, v in unprofiled.items() if k != "accelerator"}
                if accelerator is not unset:  # `~trainer.accelerator`: as the run wrote it
                    placed["accelerator"] = accelerator
                if profiler is not None:
                    placed["profiler"] = profiler
                if precision is not unset:
                    placed["precision"] = precision
                hashes.update(dict.fromkeys(older_hashes({**config, "trainer": placed})))
    return tuple(h for h in hashes if h != today)


def completed_record_dir(results_dir: Path, config: dict[str, Any]) -> Path | None:
    """The folder holding a completed record of this config and seed: its own, else one in a
    legacy hash folder (`legacy_hash_dirs`); None when neither holds one."""
    folder = run_dir(results_dir, config)
    if is_completed(folder):
        return folder
    seed = f"seed{config['seed']}"
    return latest_completed(d / seed for d in legacy_hash_dirs(results_dir, config))


def unfinished_record_dir(results_dir: Path, config: dict[str, Any]) -> Path | None:
    """The seed's folder in a hash folder an older repro filed this setting under
    (`legacy_hash_dirs`) where a run of it was cut short with its checkpoint saved (a record
    not completed beside `checkpoints/last.ckpt`): resumed there, where it started over in
    today's folder and threw its saved steps away. None when today's folder holds a record of
    the seed (its own attempts come first), even one that cannot be read (a link to a disk
    not mounted now, maybe of a completed run: the run stops there, naming it), or no older
    folder holds such a run."""
    today = run_dir(results_dir, config)
    if os.path.lexists(today / RECORD_FILE) or what_blocks_folder(today):
        return None
    seed = f"seed{config['seed']}"
    cut = [
        folder
        for folder in (d / seed for d in legacy_hash_dirs(results_dir, config))
        if (folder / CHECKPOINT_DIR / LAST_CHECKPOINT).is_file()
        and (folder / RECORD_FILE).is_file()
        and not is_completed(folder)
    ]
    return max(
        cut, key=lambda d: (d / CHECKPOINT_DIR / LAST_CHECKPOINT).stat().st_mtime, default=None
    )


def latest_completed(folders: Iterable[Path]) -> Path | None:
    """Of record folders of one seed (its legacy hash folders), the completed one that
    finished last (`finished_at`), whatever code made it: the one a run, a sweep's plan and the
    report all take; None when none is completed."""
    done = [folder for folder in folders if is_completed(folder)]
    return max(done, key=lambda d: (finished_at(read_record(d)), str(d)), default=None)


def finished_at(record: Any) -> str:
    """When a record says its run finished (ISO text, so it sorts); "" when it does not say:
    of two records of one seed (an older repro's accelerator folders), the sweep and the
    report both count the latest (on a tie, the last folder by path)."""
    timing = record.get("timing") if isinstance(record, dict) else None
    value = timing.get("finished_at") if isinstance(timing, dict) else None
    return value if isinstance(value, str) else ""


def is_completed(folder: Path) -> bool:
    try:
        record = read_record(folder)
    except (OSError, ValueError):
        return False
    return bool(record) and record.get("status") == STATUS_COMPLETED


def supersede(
    folder: Path, record: dict[str, Any], copy: bool = False, leave: Iterable[str] = ()
) -> Path:
    """Move a record folder's contents to `<folder>/.superseded/<UTC time>-<old code digest>/`
    (hidden, so reports skip it) before the run is trained again with other code. `copy`:
    link (or copy) them there instead, leaving the folder as it was: a stale run's retrain
    keeps it aside only once it has completed, so the completed record is never the one lost.
    `leave`: names (relative to the folder) that are not the superseded run's. A copy is
    made under a `.partial` name and renamed once whole (a move is not: a half move holds
    the run's only files); a run already kept aside whole (a retried retrain) is not kept
    again."""
    import datetime as dt
    import shutil

    if copy and (earlier := _kept_already(folder)) is not None:
        return earlier
    digest = ((record.get("code") or {}).get("plugin") or {}).get("digest") or "unknown"
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = folder / SUPERSEDED_DIR / f"{stamp}-{digest[:8]}"
    suffix = 1
    while target.exists():
        suffix += 1
        target = target.with_name(f"{stamp}-{digest[:8]}-{suffix}")
    final = target
    if copy:
        target = target.with_name(target.name + PARTIAL_SUFFIX)
    target.mkdir(parents=True)
    left = {folder / name for name in leave}
    for child in sorted(folder.iterdir()):
        if child.name in (SUPERSEDED_DIR, FILED_CONFIG_FILE) or child in left:
            continue  # config.filed.yaml tells the folder, not the run
        if child.name.startswith(".lock"):
            continue
        if not copy:
            os.replace(child, target / child.name)
        elif child.is_dir():
            shutil.copytree(
                child, target / child.name, copy_function=_link_or_copy, ignore=_ignored(left)
            )
        else:
            _link_or_copy(child, target / child.name)
    if target != final:
        os.replace(target, final)
    return final


PARTIAL_SUFFIX = ".partial"
"""A `.superseded/` entry still being filled (or one a kill cut short)."""


def _kept_already(folder: Path) -> Path | None:
    """The whole `.superseded/` entry holding the record `folder` holds now (a retrain killed
    after keeping it aside, tried again), with any half copy a kill left thrown away."""
    import shutil

    kept = folder / SUPERSEDED_DIR
    if not kept.is_dir():
        return None
    try:
        current = (folder / RECORD_FILE).read_bytes()
    except OSError:
        current = None
    found = None
    for entry in sorted(kept.iterdir()):
        if entry.name.endswith(PARTIAL_SUFFIX):  # only copies make one: their files, links
            shutil.rmtree(entry, ignore_errors=True)  # or copies, are still in the folder
        elif current is not None and found is None:
            with contextlib.suppress(OSError):
                if (entry / RECORD_FILE).read_bytes() == current:
                    found = entry
    return found


def _link_or_copy(source: Any, target: Any) -> None:
    """A hard link (no space for a run's weights), a copy where the disk allows none."""
    try:
        os.link(source, target)
    except OSError:
        import shutil

        shutil.copy2(source, target)


def _ignored(left: set[Path]) -> Any:
    def ignore(directory: str, names: list[str]) -> list[str]:
        return [name for name in names if Path(directory) / name in left]

    return ignore


def seeds_auto_section(experiment: str, config_hash: str) -> dict[str, Any] | None:
    """What a run trained now by a seeds=auto stage records of it (`SEEDS_AUTO_ENV`): the
    pilot's n0, the cap, the stage, and for stage two the N its plan chose for `experiment`;
    None outside such a stage (or for an experiment the stage does not plan). Only what the
    sweep had decided when it started this run: never a plan it did not make."""
    try:
        stage = json.loads(os.environ.get(SEEDS_AUTO_ENV) or "null")
    except ValueError:
        return None
    if not isinstance(stage, dict):
        return None
    section = {
        "n0": stage.get("n0"),
        "max_seeds": stage.get("max_seeds"),
        "stage": stage.get("stage"),
        "setting": f"{experiment}@{config_hash}",
    }
    if stage.get("stage") == "two":
        planned = (stage.get("seeds") or {}).get(experiment)
        if planned is None:
            return None
        section["seeds"] = planned
        values = (stage.get("pilot_values") or {}).get(experiment)
        if isinstance(values, dict) and values:  # the pilot its plan was made from
            section["pilot_values"] = values
        cap = stage.get("max_seeds")
        if isinstance(cap, int) and isinstance(planned, int) and planned > cap:
            # an N kept from the same pilot's earlier plan of a higher max_seeds (its seeds
            # past the pilot ran): the cap it was planned at, not this sweep's lower one
            section["max_seeds"] = planned
    return section


def cut_short(record_dir: Path, in_group: bool = False) -> str | None:
    """The status of a seed's last attempt when it was cut short (interrupted, or still
    `running` after kill -9): what lets a checkpoint resume; else None. `in_group`: a
    corrupt record (set aside) does not keep a group's checkpoint, which holds the seed's
    state, from resuming (alone, the checkpoint beside it may be a completed run's weights),
    nor does a seed that failed as it was tested, its group's final weights kept for it
    (`failed_testing`): its next attempt only tests it."""
    try:
        record = read_record(record_dir) or {}
    except ValueError:
        return "corrupt record" if in_group else None
    except OSError:
        return None
    if in_group and failed_testing(record):
        return FAILED_TESTING
    status = record.get("status")
    return status if status in (STATUS_INTERRUPTED, STATUS_RUNNING) else None


def not_cut_short(seed: int, record: dict[str, Any] | None) -> str:
    """Why seed `seed`'s record keeps its group's checkpoint from resuming (`cut_short` said
    no), as `not resuming ...: <this>` says it: the seed and what its record holds."""
    status = (record or {}).get("status")
    if not status:
        return f"seed {seed} has no record"
    return f"seed {seed}'s last attempt {status}"


FAILED_TESTING = "failed while testing"
"""What `cut_short` says of a seed trained in a group whose test failed (`failed_testing`)."""


def failed_testing(record: dict[str, Any] | None) -> bool:
    """A failed record of a seed its group trained, which then failed as it was tested (the
    plugin's test code raised), its share of the group's final weights kept in its folder
    (`together.failed_testing`): its next attempt only tests it, as a seed alone resumes its
    last.ckpt, never trains it again from step 0."""
    record = record or {}
    together = record.get("together")
    return (
        record.get("status") == STATUS_FAILED
        and isinstance(together, dict)
        and bool(together.get("failed_testing"))
    )
