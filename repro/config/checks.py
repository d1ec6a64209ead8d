"""Catch config mistakes before anything trains: each becomes one line, exit 2, nothing written.

Two kinds of checks on a composed run config:
- values (`check_values`): the seed, the Trainer's step/epoch bounds and the W&B mode, which
  otherwise fail only after start-up (with a library's exception) or, for
  `trainer.max_steps=0`, save an untrained model as *completed*;
- structure (`config_problems`): keys nothing reads. Hydra accepts any key a plugin's
  `settings.yaml` adds, so a typo there (`num_thread: 1`) silently does nothing, and a typo'd
  Trainer, model or data key fails every run of a sweep only once it starts.

Rule for top-level keys: repro's own (configs/run.yaml and its groups) plus `model`, `data`
and `optimizer`, the only keys repro hands to a plugin's code (training.py
build_module_and_data). Any other top-level key is read by nothing, so it is a mistake; a
plugin passes its own settings inside `model:` or `data:`.
"""

from __future__ import annotations

import difflib
import inspect
import math
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from repro.config.overrides import LIST_NOT_KEYS, TRAINER_SET_BY_REPRO
from repro.errors import UsageError

SEED_MAX = 2**32 - 1  # numpy's limit; seeds are in [0, SEED_MAX]
WANDB_MODES = ("online", "offline", "disabled", "shared", "dryrun", "run")  # wandb.Settings.mode
PLUGIN_KEYS = frozenset({"model", "data", "optimizer"})
RUN_SECTIONS = frozenset({"trainer", "checkpoint", "progress"})
"""Sections of repro's own keys (configs/run.yaml, the trainer group) that no one value can
replace: `checkpoint=3` is not a section."""


# ---- values -------------------------------------------------------------------------------


def check_seed(value: Any) -> int:
    """The seed as an int in [0, 2**32-1], or a UsageError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"seed must be an integer, got {value!r}")
    if not 0 <= value <= SEED_MAX:
        raise UsageError(f"seed must be in [0, {SEED_MAX}] (2**32-1), got {value}")
    return value


def _bound(trainer: dict[str, Any], key: str, unbounded: tuple[Any, ...]) -> int | None:
    """trainer[key] as an int (None when it leaves the run unbounded)."""
    value = trainer.get(key)
    if value in unbounded and not isinstance(value, bool):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"trainer.{key} must be an integer, got {value!r}")
    if value == 0:
        raise UsageError(
            f"trainer.{key}=0 trains nothing: give a positive number "
            "(or -1 to leave the bound to the other of max_steps / max_epochs)"
        )
    if value < 0:
        raise UsageError(f"trainer.{key} must be a positive integer or -1 (unbounded), got {value}")
    return value


def check_run_settings(config: dict[str, Any]) -> None:
    """repro's own run keys (threads, checkpoints, progress): `num_threads=abc` failed only
    once training started, with a traceback, leaving the record `running`; a word for a
    switch (`checkpoint.enabled=maybe`) was taken as true."""
    threads = config.get("num_threads")
    if threads is not None and (not _is_int(threads) or threads < 1):
        raise UsageError(f"num_threads must be a positive integer or null, got {threads!r}")
    for section, key, optional in (
        ("checkpoint", "every_s", False),
        ("checkpoint", "max_keep_mb", True),
        ("progress", "every_s", False),
    ):
        value = (config.get(section) or {}).get(key, 0)
        if value is None and optional:
            continue
        if not _is_number(value) or value < 0:
            kind = "a number >= 0 or null" if optional else "a number >= 0"
            raise UsageError(f"{section}.{key} must be {kind}, got {value!r}")
    for key in ("enabled", "keep"):
        value = (config.get("checkpoint") or {}).get(key, True)
        if not isinstance(value, bool):
            raise UsageError(f"checkpoint.{key} must be true or false, got {value!r}")


REMOVED_SECTIONS = {
    "model": "the plugin's module would run with its own defaults",
    "data": "the plugin's data module would run with its own defaults",
    "optimizer": "the plugin's module would run with its own optimizer defaults",
    "trainer": "Lightning's Trainer would run with its own defaults",
    "checkpoint": "repro's checkpoint defaults would apply",
    "progress": "repro's progress defaults would apply",
}
"""Sections a run needs, which `~<section>` (or `<section>=null`) would leave to defaults in
code: what ran would then be in no record."""


def refuse_removed_sections(overrides: list[str]) -> None:
    """`~model` (or `model=null`) trained the plugin's module with its own defaults, and the
    record's config had no model section: the record did not say what ran. A required
    section removed is refused in one line (its keys can each be set, or left out with
    `~model.<key>`, which the record's config shows by its absence); so is `~paths` or a
    key of it, which repro itself reads (it was `internal error: KeyError`)."""
    for override in overrides:
        name, sep, value = override.partition("=")
        key = name.lstrip("+~")
        removed = name.startswith("~") or (sep and value.strip() == "null" and key in PLUGIN_KEYS)
        if not removed:
            continue
        if key in REMOVED_SECTIONS:
            raise UsageError(
                f"{override} removes the {key} section: {REMOVED_SECTIONS[key]}, which the "
                f"record's config would not name; change its keys instead ({key}.<key>=<value>, "
                f"or ~{key}.<key> to leave one out)"
            )
        if key == "paths" or key.startswith("paths."):
            needed = key if key != "paths" else "paths.results_dir and paths.data_dir"
            setting = key if key != "paths" else "paths.<key>"
            raise UsageError(
                f"{override}: repro needs {needed} (where it writes and reads); set it "
                f"instead: {setting}=<folder>"
            )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_values(config: dict[str, Any]) -> None:
    """Seed, names, training bounds and W&B mode of a resolved run config (first problem
    raised)."""
    if "seed" not in config:  # `~seed`: "must be an integer, got None" did not say so
        raise UsageError("seed: removed (~seed); give seed=N")
    check_seed(config.get("seed"))
    # `model=3` ended in an internal TypeError, `checkpoint=3` in an AttributeError
    for key in sorted(PLUGIN_KEYS | RUN_SECTIONS):
        value = config.get(key)
        if value is not None and not isinstance(value, dict):
            raise UsageError(
                f"{key}={value!r}: {key} is a section of keys; set one of them: {key}.<key>={value}"
            )
    if not isinstance(config.get("rerun", False), bool):  # `rerun=no` was a word, taken as true
        raise UsageError(f"rerun must be true or false, got {config.get('rerun')!r}")
    check_run_settings(config)
    check_names(config)
    trainer = dict(config.get("trainer") or {})
    steps = _bound(trainer, "max_steps", (-1, None))
    epochs = _bound(trainer, "max_epochs", (-1, None))
    if steps is None and epochs is None:
        import lightning.pytorch as pl

        bounds = ("max_steps", "max_epochs")
        # `max_step: 200`: say that key; not `max_time` or `min_steps`, which the Trainer takes
        taken, _, _ = _parameters(pl.Trainer.__init__)
        for key in (k for k in trainer if k not in taken):
            if difflib.get_close_matches(key, bounds, n=1):
                raise UsageError(
                    _unknown("trainer", key, "trainer", bounds) + ": the run has no end without it"
                )
        if trainer.get("max_time"):  # an end, but no step count: not 'the run has no end'
            raise UsageError(
                "trainer.max_time alone ends the run at a wall-clock time, after a number of "
                "steps that differs by machine: set trainer.max_steps or trainer.max_epochs to "
                "a positive number too"
            )
        raise UsageError(
            "the run has no end: set trainer.max_steps or trainer.max_epochs to a positive number"
        )
    wandb = (config.get("logger") or {}).get("wandb")
    if isinstance(wandb, dict):
        mode = wandb.get("mode") or "offline"
        if mode not in WANDB_MODES:
            raise UsageError(
                f"W&B mode {mode!r} (WANDB_MODE or logger.wandb.mode) is not one of "
                f"{', '.join(WANDB_MODES)}"
            )


def check_names(config: dict[str, Any]) -> None:
    """Paper and experiment name become folder names under results/: identifiers only, so no
    override (`experiment_name=../../x`) can put a record outside the results folder."""
    from repro.plugins.paper_spec import ID_PATTERN

    for key in ("paper", "experiment_name"):
        value = config.get(key)
        if value is not None and not ID_PATTERN.match(str(value)):
            raise UsageError(
                f"{key}={value!r}: must be lowercase letters, digits and _ (start with a letter);"
                " choose the experiment with experiment=<name>"
            )


# ---- structure ----------------------------------------------------------------------------


def _unknown(kind: str, key: str, where: str, known: Iterable[str], fallback: str = "") -> str:
    """`unknown trainer key 'max_step' in trainer (did you mean 'max_steps'?)`; without a close
    match, `fallback` (what is known) instead."""
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else fallback
    return f"unknown {kind} key {key!r} in {where}{hint}"


@cache
def repro_top_level_keys() -> frozenset[str]:
    """Top-level keys repro's own configs define: configs/run.yaml, its groups (a group is
    one key unless its files are `# @package _global_`, like launchers and debug presets)."""
    from omegaconf import OmegaConf

    from repro.config.app import CONFIG_DIR, CONFIG_NAME

    keys = {"hydra"} | set(OmegaConf.load(CONFIG_DIR / f"{CONFIG_NAME}.yaml")) - {"defaults"}
    for group in (p for p in CONFIG_DIR.iterdir() if p.is_dir()):
        for file in group.glob("*.yaml"):
            if file.read_text().lstrip().startswith("# @package _global_"):
                keys |= set(OmegaConf.load(file) or {}) - {"defaults"}
            else:
                keys.add(group.name)
    return frozenset(keys)


def _parameters(factory: Callable[..., Any]) -> tuple[set[str], set[str], bool]:
    """Names a constructor accepts, those it requires, and whether it takes **kwargs."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # no introspectable signature: accept anything
        return set(), set(), True
    names, required, open_ended = set(), set(), False
    for name, parameter in signature.parameters.items():
        if name == "self" or parameter.kind is parameter.VAR_POSITIONAL:
            continue
        if parameter.kind is parameter.VAR_KEYWORD:
            open_ended = True
            continue
        names.add(name)
        if parameter.default is parameter.empty:
            required.add(name)
    return names, required, open_ended


def _argument_problems(
    section: str, given: dict[str, Any], factory: Callable[..., Any], label: str
) -> list[str]:
    names, required, open_ended = _parameters(factory)
    problems = []
    if not open_ended:
        takes = f" ({label} takes {', '.join(sorted(names)) or 'no arguments'})"
        problems += [_unknown(section, k, section, names, takes) for k in given if k not in names]
    problems += [
        f"missing {section} key {key!r}: {label} requires it"
        for key in sorted(required - set(given))
    ]
    return problems


def config_problems(
    config: dict[str, Any], plugin: Any, spec: Any, recorded: bool = True
) -> list[str]:
    """Every key of a resolved run config that nothing would read, and every argument the
    plugin's module or data module requires but does not get; one line each. `recorded`
    off (`repro check`'s fast runs, which keep no record) lets through what would only make
    a record claim other than what ran."""
    import lightning.pytorch as pl

    from repro.plugins.registry import plugin_classes

    allowed = repro_top_level_keys() | PLUGIN_KEYS
    problems = [
        _headerless(key, config)
        or _dotted(key, config, allowed)
        or _unknown("top-level", key, "the config", allowed, _within_section(key, config))
        for key in config
        if key not in allowed
    ]
    trainer = dict(config.get("trainer") or {})
    trainer_names, _, _ = _parameters(pl.Trainer.__init__)
    for key in trainer:
        if key in TRAINER_SET_BY_REPRO:
            problems.append(f"trainer key {key!r} is set by repro itself: remove it from trainer")
        elif key not in trainer_names:
            problems.append(
                _unknown("trainer", key, "trainer", trainer_names - TRAINER_SET_BY_REPRO)
            )
    # a SLURM or Ray sweep's jobs run on other machines: their devices are not this one's
    problems += trainer_value_problems(
        trainer,
        here=not (config.get("slurm") or config.get("ray")),
        recorded=recorded,
        validates=_plugin_validates(plugin, spec),
    )
    batch_size = (config.get("data") or {}).get("batch_size")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        problems.append(f"data.batch_size={batch_size!r}: must be a positive integer")
    model_args = dict(config.get("model") or {})
    if "optimizer" in config:  # repro passes it to the module (training.py)
        model_args["optimizer"] = config["optimizer"]
    try:  # the wrong kind of class (module: and datamodule: swapped) explains every key
        module_cls, data_cls = plugin_classes(plugin, spec)
    except UsageError as error:
        return [str(error), *problems]
    names, _, open_ended = _parameters(module_cls)
    refused = "optimizer" in config and not open_ended and "optimizer" not in names
    if refused:
        # not the user's `model:` key, as "unknown model key 'optimizer'" said: repro's own
        del model_args["optimizer"]
        problems.append(
            f"{spec.module} takes no `optimizer` argument, which repro passes from the "
            "config's optimizer: section (settings.yaml): add `optimizer: dict | None = None` "
            "to its __init__ for configure_optimizers, or remove optimizer: from settings.yaml"
        )
    arguments = _argument_problems("model", model_args, module_cls, spec.module)
    problems += arguments
    problems += _argument_problems(
        "data", dict(config.get("data") or {}), data_cls, spec.datamodule
    )
    # built without the unknown model keys named above, so `+optimizer.lrr` (or a clip of a
    # module that optimizes itself) beside `+model.featurs` is named now, not after that is
    # fixed (a module missing a required key is not built: its error adds nothing)
    known = {k: v for k, v in model_args.items() if open_ended or k in names}
    if not refused and isinstance(config.get("optimizer"), dict):
        problems += optimizer_problems(module_cls, known, config["optimizer"])
    if not refused:
        problems += manual_optimization_problems(module_cls, known, trainer, spec.module)
    return problems


def manual_optimization_problems(
    module_cls: type, model_args: dict[str, Any], trainer: dict[str, Any], name: str
) -> list[str]:
    """Gradient clipping or accumulation for a module that steps its optimiser itself
    (`automatic_optimization = False`): Lightning refuses both as fit starts, once the run's
    folder and record exist. The module is built (on the CPU) only when either is set."""
    clip = trainer.get("gradient_clip_val")
    accumulate = trainer.get("accumulate_grad_batches")
    asked = {
        "gradient_clip_val": isinstance(clip, (int, float)) and clip > 0,  # Lightning's test
        "accumulate_grad_batches": accumulate is not None and accumulate != 1,
    }
    if not any(asked.values()):
        return []
    try:
        manual = not module_cls(**model_args).automatic_optimization
    except Exception:  # the plugin's own error: the run reports it with its line
        return []
    return [
        f"trainer.{key}={trainer[key]}: {name} optimizes manually (automatic_optimization = "
        "False), for which Lightning refuses it: leave it out, or do it in the module"
        for key, set_ in asked.items()
        if set_ and manual
    ]


def _within_section(key: str, config: dict[str, Any]) -> str:
    """` (did you mean 'optimizer.lr'?)` for `+lr=0.1`: a key of a section, given alone."""
    within = [f"{name}.{key}" for name, v in config.items() if isinstance(v, dict) and key in v]
    return f" (did you mean {' or '.join(map(repr, within[:2]))}?)" if within else ""


def _dotted(key: str, config: dict[str, Any], allowed: Iterable[str]) -> str | None:
    """`model.features: 8` in a plugin's YAML file: one key with a dot in its name, as YAML
    reads it (only an override's dots nest); say how to nest it."""
    import yaml

    head, _, rest = key.partition(".")
    if not rest or head not in allowed:
        return None
    value = config[key]
    try:  # written back as YAML reads it: `null` and `'8'`, not Python's `None` and `8`
        written = yaml.safe_dump(value, default_flow_style=True, width=1000)
    except yaml.YAMLError:  # an object YAML does not write: no line to copy
        written = ""
    written = written.removesuffix("...\n").strip()
    scalar = "." not in rest and not isinstance(value, (dict, list)) and "\n" not in written
    scalar = scalar and bool(written)
    line = f"`  {rest}: {written}`" if scalar else ""
    how = f"`{head}:` then {line} on the next line" if line else f"under `{head}:`"
    return (
        f"unknown top-level key {key!r} in the config (a YAML file does not split a key at "
        f"its dots: nest it, {how})"
    )


ACCELERATORS = ("auto", "cpu", "cuda", "gpu", "mps", "tpu")


def _headerless(key: str, config: dict[str, Any]) -> str | None:
    """A plugin file without `# @package _global_`: Hydra nests its keys under the group's
    name (`experiment:`, `settings:`), which reads as an unknown key; name the file instead."""
    paper_dir = config.get("paper_dir")
    if not paper_dir or not isinstance(config.get(key), (dict, list)):
        return None
    if key == "experiment":
        path = Path(paper_dir) / "experiment" / f"{config.get('experiment_name')}.yaml"
    elif key == "settings":
        path = Path(paper_dir) / "settings.yaml"
    else:
        return None
    if isinstance(config[key], list):  # `- item` lines: no key landed, none to name
        return f"{path}: {LIST_NOT_KEYS}"
    if not config[key]:  # no keys to land anywhere: the file is empty (or only comments)
        alone = " (that line alone is an experiment that changes nothing)"
        return f"{path}: empty; start it with `# @package _global_`" + alone * (key == "experiment")
    return f"{path}: its keys landed under '{key}:'; start the file with `# @package _global_`"


def _plugin_validates(plugin: Any, spec: Any) -> bool:
    """Whether Lightning would validate the plugin at all (its `enable_validation`): the
    module's validation_step and a val_dataloader of the data or the module; True where
    the classes do not load (that fault is named apart)."""
    import lightning.pytorch as pl
    from lightning.pytorch.utilities.model_helpers import is_overridden

    from repro.plugins.registry import plugin_classes

    try:
        module_cls, data_cls = plugin_classes(plugin, spec)
        return is_overridden("validation_step", module_cls, pl.LightningModule) and (
            is_overridden("val_dataloader", data_cls, pl.LightningDataModule)
            or is_overridden("val_dataloader", module_cls, pl.LightningModule)
        )
    except Exception:  # a class that does not load: reported on its own
        return True


def trainer_value_problems(
    trainer: dict[str, Any], here: bool = True, recorded: bool = True, validates: bool = True
) -> list[str]:
    """Trainer values Lightning would refuse only once the run's folder and record exist:
    devices, precision, and (when the run trains `here`, on this machine) an accelerator
    this machine does not have; fp16 on this CPU only where a record would claim it."""
    import typing

    from lightning.fabric.connector import _PRECISION_INPUT

    problems = []
    devices = trainer.get("devices", 1)
    accelerator = trainer.get("accelerator") or "auto"
    refused = devices is False or isinstance(devices, float)  # an int, text or a list of ints
    if devices is True:  # Lightning's CPU reads it as 1 (hashed so); its GPUs refuse a bool
        if not (accelerator == "cpu" or (here and _on_the_cpu(accelerator))):  # any node's
            problems.append(
                "trainer.devices=True: write trainer.devices=1 (Lightning takes true only on "
                "the CPU, as one process, and refuses it on a GPU)"
            )
    elif refused or (isinstance(devices, int) and devices < 1 and devices != -1):
        problems.append(
            f"trainer.devices={devices}: a positive number of devices, -1 (all) or auto"
        )
    elif here and _on_the_cpu(accelerator) and not _cpu_count(devices):
        problems.append(  # Lightning's _parse_cpu_cores: a TypeError once the folder exists
            f"trainer.devices={devices}: on this CPU a positive number of processes "
            "(Lightning takes no -1 or list of GPUs there; trainer.devices=auto takes what "
            "there is)"
        )
    problems += _count_problems(trainer, validates) + _strategy_problems(trainer, here)
    problems += _max_time_problems(trainer)
    precision = trainer.get("precision")
    known = [v for group in typing.get_args(_PRECISION_INPUT) for v in typing.get_args(group)]
    typed = isinstance(precision, (int, str)) and not isinstance(precision, bool)  # 32.0 == 32
    if precision is not None and (not typed or precision not in known):
        names = ", ".join(str(v) for v in known if isinstance(v, str) and "-" in v)
        problems.append(
            f"trainer.precision={precision}: not a precision Lightning knows (known: {names})"
        )
    accelerator = trainer.get("accelerator", "auto")
    if isinstance(accelerator, str):
        if accelerator not in ACCELERATORS:
            problems.append(
                f"trainer.accelerator={accelerator!r}: unknown (known: {', '.join(ACCELERATORS)})"
            )
        elif here and not _accelerator_available(accelerator):
            problems.append(
                f"trainer.accelerator={accelerator!r}: no {accelerator} on this machine "
                "(trainer.accelerator=auto takes what there is)"
            )
        elif here and recorded and typed and _fp16_on_cpu(precision, accelerator):
            problems.append(
                f"trainer.precision={precision}: fp16 mixed precision needs a GPU; on this CPU "
                "Lightning would run bf16-mixed, other arithmetic than the setting a GPU runs "
                "in fp16 (the record would claim fp16): write trainer.precision=bf16-mixed"
            )
    return problems


def _count_problems(trainer: dict[str, Any], validates: bool = True) -> list[str]:
    """num_nodes, check_val_every_n_epoch and val_check_interval Lightning refuses as the
    Trainer is built: `num_nodes=1.0` (1.0 == 1) and `val_check_interval=1.0` across epochs
    (hashed as null) are filed under a valid setting, so its folder got a failed record and
    the next run of that seed was skipped as done."""
    problems = []
    nodes = trainer.get("num_nodes")  # Lightning: `not isinstance(num_nodes, int) or < 1`
    if nodes is not None and (not isinstance(nodes, int) or nodes < 1):
        problems.append(
            f"trainer.num_nodes={nodes}: a positive integer (Lightning refuses any other)"
        )
    every = trainer.get("check_val_every_n_epoch")
    # 0 divides by 0 at the first batch; -1 validates every epoch (`% -1 == 0`), as 1 does
    zero = isinstance(every, int) and every <= 0 and validates and _validates(trainer)
    if every is not None and (not isinstance(every, int) or zero):
        problems.append(  # Lightning refuses a non-int
            f"trainer.check_val_every_n_epoch={every}: a positive integer or null "
            "(null: validation counts val_check_interval batches across epochs; "
            "trainer.limit_val_batches=0: no validation)"
        )
    interval = trainer.get("val_check_interval")  # an int 0 (or false): `% 0` as it validates
    validating = validates and _validates(trainer)
    if type(interval) in (int, bool) and interval == 0 and validating:
        problems.append(
            f"trainer.val_check_interval={interval}: validation every 0 batches (Lightning "
            "fails the run at its first validating epoch): a positive number of batches, a "
            "fraction of the epoch, or trainer.limit_val_batches=0 for no validation"
        )
    across = "check_val_every_n_epoch" in trainer and every is None  # a float: refused below
    if type(interval) is float and interval == 0 and validating and not across:
        problems.append(  # `max(1, int(batches * 0.0))`: not limit_val_batches=0.0's none
            f"trainer.val_check_interval={interval}: Lightning validates after every batch "
            "for it, not never: trainer.limit_val_batches=0 for no validation, or "
            "trainer.val_check_interval=1 for every batch"
        )
    timed = isinstance(interval, dict) or (isinstance(interval, str) and _is_a_time(interval))
    if timed and validates and _validates(trainer):
        problems.append(
            f"trainer.val_check_interval={interval!r}: validation at wall-clock times runs at "
            "steps (at an epoch's end too, or not at all) that differ by machine, so would "
            "the record's validation metrics: give a number of batches or a fraction of the "
            "epoch"
        )
    reload = trainer.get("reload_dataloaders_every_n_epochs")  # text: named as text
    if not (reload is None or isinstance(reload, str) or (isinstance(reload, int) and reload >= 0)):
        problems.append(  # Lightning's Trainer refuses it, once the run's folder exists
            f"trainer.reload_dataloaders_every_n_epochs={reload}: a whole number of epochs, "
            "0 (never) or more (Lightning refuses any other)"
        )
    problems += _batch_limit_problems(trainer) + _text_number_problems(trainer)
    problems += _switch_problems(trainer) + _interval_past_the_epoch(trainer)
    problems += _no_batch_problems(trainer)
    accumulate = trainer.get("accumulate_grad_batches")  # Lightning checks it nowhere
    whole = isinstance(accumulate, (int, float)) and float(accumulate).is_integer()
    counted = whole and not isinstance(accumulate, bool) and accumulate >= 1
    if not (counted or accumulate is None or isinstance(accumulate, (str, list, dict))):
        problems.append(
            f"trainer.accumulate_grad_batches={accumulate}: a positive whole number of batches "
            "(Lightning divides the loss by it and steps where the batch index divides by it: "
            "-1 ascends the gradient, 0 fails the run)"
        )
    interval = trainer.get("val_check_interval")
    if "check_val_every_n_epoch" in trainer and every is None and isinstance(interval, float):
        problems.append(
            f"trainer.val_check_interval={interval}: with trainer.check_val_every_n_epoch=null "
            "it counts batches across epochs: an integer (Lightning refuses a fraction)"
        )
    return problems


def _max_time_problems(trainer: dict[str, Any]) -> list[str]:
    """A max_time Lightning's Timer refuses as the Trainer is built, once the run's folder
    and record exist: text not 'DD:HH:MM:SS', a number (seconds, as a user may think), a
    mapping of other than timedelta's arguments; and one of no time (`00:00:00:00`, `{}`)
    or a negative one (`{hours: -1}`), where the Timer stops the run before its first step
    ('trained zero steps'). Named as an override writes it (`{hours: -1}`), not as Python
    does (`{'hours': -1}`)."""
    from lightning.pytorch.callbacks import Timer

    max_time = trainer.get("max_time")
    if max_time is None:
        return []
    written = override_spelling(max_time)
    try:
        timer = Timer(duration=max_time)
    except Exception:  # MisconfigurationException, TypeError, AttributeError
        return [
            f"trainer.max_time={written}: a time as 'DD:HH:MM:SS' ('00:04:00:00' is four "
            "hours) or timedelta's arguments ({hours: 4}); Lightning refuses any other once "
            "the run has started"
        ]
    left = timer.time_remaining()  # all of it, before a start: None for no duration
    if left is not None and left <= 0:  # spent as fit starts
        kind = "a negative time" if left < 0 else "no time"
        return [
            f"trainer.max_time={written}: {kind}, so the run trains nothing (Lightning "
            "stops it before its first step): a positive time, or leave it out"
        ]
    return []


def override_spelling(value: Any) -> str:
    """A config value as an override writes it: `{hours: -1}`, `[1, 2]`, `'00:00:01:00'`
    (text quoted, as the value it is), where Python writes `{'hours': -1}`."""
    if isinstance(value, dict):
        inner = ", ".join(f"{key}: {override_spelling(item)}" for key, item in value.items())
        return f"{{{inner}}}"
    if isinstance(value, list):
        return f"[{', '.join(override_spelling(item) for item in value)}]"
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    return repr(value)


def _validates(trainer: dict[str, Any]) -> bool:
    """Whether Lightning's fit would validate, as far as the trainer config says: only then
    does it divide by check_val_every_n_epoch (fast_dev_run sets it to 1; limit_val_batches=0
    turns validation off, unless overfit_batches replaces it)."""
    if trainer.get("fast_dev_run"):
        return False
    overfit = trainer.get("overfit_batches")
    if isinstance(overfit, (int, float)) and overfit > 0:
        return True
    return trainer.get("limit_val_batches") != 0  # null: every batch; False == 0


def _fp16_on_cpu(precision: Any, accelerator: str) -> bool:
    """`16-mixed` where the run lands on the CPU: Lightning swaps in bf16 with a warning,
    while the setting (its hash, its record) says fp16, the GPU's arithmetic."""
    from repro.records.store import PRECISION_ALIASES

    if PRECISION_ALIASES.get(str(precision), precision) != "16-mixed":
        return False
    return _on_the_cpu(accelerator)


def _batch_limit_problems(trainer: dict[str, Any]) -> list[str]:
    """Batch limits (and a count-or-fraction val_check_interval) Lightning's
    `_determine_batch_limits` refuses as the Trainer is built, after the run's folder and
    record exist: neither a fraction in [0, 1] nor a whole number (2.5, -1). Not under
    fast_dev_run, and not train/val under overfit_batches, where Lightning reads none;
    overfit_batches itself always, as Lightning reads it first."""
    keys = ["limit_test_batches", "limit_predict_batches", "val_check_interval"]
    overfit = trainer.get("overfit_batches")
    if not (isinstance(overfit, (int, float)) and overfit > 0):
        keys = ["limit_train_batches", "limit_val_batches", *keys]
    keys = ["overfit_batches", *([] if trainer.get("fast_dev_run") else keys)]
    problems = []
    for key in keys:
        value = trainer.get(key)
        if isinstance(value, str) and not (key == "val_check_interval" and _is_a_time(value)):
            problems.append(_as_text(key, value))
            continue
        if isinstance(value, (list, dict)) and not (
            key == "val_check_interval" and isinstance(value, dict)  # a time (named apart)
        ):
            problems.append(_not_a_number(key, value))
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue  # unset, or a time (val_check_interval='00:00:10:00'): not a count
        if not (0 <= value <= 1 or (value > 1 and value % 1.0 == 0)):
            problems.append(
                f"trainer.{key}={value}: a fraction in [0.0, 1.0] or a whole number of batches "
                "(Lightning refuses any other)"
            )
    return problems


def _strategy_problems(trainer: dict[str, Any], here: bool = True) -> list[str]:
    """A strategy Lightning does not know (its ValueError as the Trainer is built), one that
    spawns or forks the ranks (`running.distributed.use_run_launcher` refuses it), FSDP off a
    GPU and (`here`) DeepSpeed where it is not installed: each once the run's folder and
    record exist. Lightning lower-cases the name."""
    from lightning.fabric.strategies.deepspeed import _DEEPSPEED_AVAILABLE
    from lightning.pytorch.strategies import FSDPStrategy, StrategyRegistry

    strategy = trainer.get("strategy")
    if strategy is None:
        return []
    known = StrategyRegistry.available_strategies()
    name = strategy.lower() if isinstance(strategy, str) else None
    if name == "auto":
        return []
    if name not in known:
        listed = ", ".join(["auto", *(k for k in known if "_find_unused" not in k)])
        return [f"trainer.strategy={strategy!r}: unknown (Lightning's: {listed})"]
    start = StrategyRegistry[name]["init_params"].get("start_method")
    if start in ("spawn", "fork", "forkserver"):
        return [
            f"trainer.strategy={strategy!r}: {start}-started ranks are not supported; use "
            "trainer.strategy=ddp"
        ]
    accelerator = trainer.get("accelerator") or "auto"
    off_gpu = accelerator not in ("auto", "cuda", "gpu") or (here and _on_the_cpu(accelerator))
    if name in FSDPStrategy.get_registered_strategies() and off_gpu:
        return [
            f"trainer.strategy={strategy!r}: FSDP needs a GPU (Lightning refuses it with "
            f"trainer.accelerator={accelerator} here): trainer.strategy=ddp, or run it on GPUs"
        ]
    if here and "deepspeed" in name and not _DEEPSPEED_AVAILABLE:
        return [
            f"trainer.strategy={strategy!r}: DeepSpeed is not installed here (pip install "
            "deepspeed), or use trainer.strategy=ddp"
        ]
    return []


def _interval_past_the_epoch(trainer: dict[str, Any]) -> list[str]:
    """A count val_check_interval past the epoch's batches, where a whole limit_train_batches
    says how many there are: Lightning's fit refuses it (while validation counts within
    epochs and runs at all) once the run's folder exists. Past the data's own length it is
    told only as the run starts (that takes building the data)."""
    interval, limit = (
        _whole(trainer.get(k)) for k in ("val_check_interval", "limit_train_batches")
    )
    across = "check_val_every_n_epoch" in trainer and trainer["check_val_every_n_epoch"] is None
    overfit = trainer.get("overfit_batches")
    if across or trainer.get("fast_dev_run") or (isinstance(overfit, (int, float)) and overfit > 0):
        return []
    if interval is None or limit is None or not 1 <= limit < interval:
        return []
    if trainer.get("limit_val_batches") == 0:  # no validation: Lightning does not ask
        return []
    return [
        f"trainer.val_check_interval={trainer['val_check_interval']}: more than the {limit} "
        f"batches of an epoch (trainer.limit_train_batches={trainer['limit_train_batches']}), "
        "which Lightning refuses once the run has started: at most that, or "
        "trainer.check_val_every_n_epoch=null to count batches across epochs"
    ]


def _no_batch_problems(trainer: dict[str, Any]) -> list[str]:
    """A limit of no training or no test batches (`limit_train_batches=0`): like
    `max_steps=0`, a run without a result, which failed only once its folder and record
    existed. Not under fast_dev_run (Lightning's own limits then), nor training under
    overfit_batches (its batches replace the limit)."""
    if trainer.get("fast_dev_run"):
        return []
    overfit = trainer.get("overfit_batches")
    overfits = isinstance(overfit, (int, float)) and overfit > 0
    problems = []
    for key, what in (("limit_train_batches", "trains"), ("limit_test_batches", "tests")):
        value = trainer.get(key)
        if value is None or isinstance(value, str) or value != 0 or (overfits and what == "trains"):
            continue  # text: named as text
        problems.append(
            f"trainer.{key}={value} {what} nothing: a run's result is its test of what it "
            "trained (give a positive number of batches or a fraction, or leave it out)"
        )
    return problems


def _whole(value: Any) -> int | None:
    """A batch count as Lightning reads it (an int, true as 1, or a whole float past 1);
    else None."""
    if isinstance(value, int):  # Lightning's `isinstance(limit, int)`: true is one batch
        return int(value)
    if isinstance(value, float) and value > 1 and value.is_integer():
        return int(value)
    return None


def _switch_problems(trainer: dict[str, Any]) -> list[str]:
    """Switches Lightning takes otherwise than written: `deterministic=1` (or 'WARN') is
    neither true nor 'warn' to it, so no deterministic algorithms, while the record says 1;
    an int detect_anomaly or benchmark (torch takes only a bool), an unknown clipping
    algorithm and a negative or fractional fast_dev_run fail once the run's folder exists."""
    from repro.records.store import CLIP_ALGORITHMS

    problems = []
    deterministic = trainer.get("deterministic")
    if not (deterministic is None or isinstance(deterministic, bool) or deterministic == "warn"):
        problems.append(
            f"trainer.deterministic={deterministic!r}: true, false, warn or null (Lightning "
            "takes any other as neither: no deterministic algorithms)"
        )
    for key, known in (("detect_anomaly", "true or false"), ("benchmark", "true, false or null")):
        value = trainer.get(key)  # null: left out, Lightning's default
        if not (value is None or isinstance(value, bool)):
            problems.append(f"trainer.{key}={value!r}: {known} (torch takes only a bool)")
    algorithm = trainer.get("gradient_clip_algorithm")
    if algorithm is not None and not (
        isinstance(algorithm, str) and algorithm.lower() in CLIP_ALGORITHMS
    ):
        problems.append(
            f"trainer.gradient_clip_algorithm={algorithm!r}: {', '.join(CLIP_ALGORITHMS)} or "
            "null (norm)"
        )
    if trainer.get("barebones"):  # Lightning refuses it beside what repro always passes
        problems.append(
            f"trainer.barebones={trainer['barebones']!r}: repro's runs need what barebones "
            "turns off (a profiler, logging of the metrics a record keeps), which Lightning "
            "then refuses once the run has started: leave it out"
        )
    fast = trainer.get("fast_dev_run", False)
    if not (fast is None or isinstance(fast, bool) or (type(fast) is int and fast >= 0)):
        problems.append(
            f"trainer.fast_dev_run={fast!r}: true, false or a number of batches (Lightning "
            "refuses a negative one)"
        )
    return problems


NUMBER_TRAINER_KEYS = (
    "log_every_n_steps",
    "num_sanity_val_steps",
    "accumulate_grad_batches",
    "reload_dataloaders_every_n_epochs",
    "gradient_clip_val",
    "min_steps",
    "min_epochs",
)
"""Trainer arguments Lightning takes only as numbers, beyond the batch limits: quoted
(`log_every_n_steps='5'`), each is hashed as its own setting and fails the run with a bare
TypeError once its folder exists (or, min_steps, once the step count reaches it)."""


def _text_number_problems(trainer: dict[str, Any]) -> list[str]:
    return [
        _as_text(k, trainer[k]) if isinstance(trainer[k], str) else _not_a_number(k, trainer[k])
        for k in NUMBER_TRAINER_KEYS
        if isinstance(trainer.get(k), (str, list, dict))
    ]


def _not_a_number(key: str, value: list | dict) -> str:
    """The line for a list or mapping given as a number (`limit_train_batches=[0.1,0.5]`:
    Hydra's one list, where a sweep was meant): Lightning fails on it once the run started."""
    kind = "list" if isinstance(value, list) else "mapping"
    return (
        f"trainer.{key}={value}: a number, not a {kind} (Lightning fails on it only once the "
        f"run has started; a sweep of values is `-m trainer.{key}=a,b`)"
    )


def _as_text(key: str, value: str) -> str:
    """The line for a number given as text (`trainer.limit_train_batches='5'`, quoted)."""
    return (
        f"trainer.{key}={value!r}: a number, not text (Lightning fails on text only once the "
        "run has started): leave out the quotes"
    )


def _is_a_time(value: str) -> bool:
    """Whether Lightning reads text val_check_interval as a time ('DD:HH:MM:SS')."""
    from lightning.pytorch.trainer.setup import _parse_time_interval_seconds

    try:
        _parse_time_interval_seconds(value)
    except Exception:  # Lightning's MisconfigurationException (or a ValueError)
        return False
    return True


def _on_the_cpu(accelerator: Any) -> bool:
    """Whether a run of `accelerator` lands on this machine's CPU: auto resolves as
    Lightning's Trainer resolves it (a TPU, then MPS, then CUDA, else the CPU)."""
    from lightning.fabric.utilities.device_parser import _select_auto_accelerator

    return accelerator == "cpu" or (accelerator == "auto" and _select_auto_accelerator() == "cpu")


def _cpu_count(devices: Any) -> bool:
    """Whether Lightning's CPU takes `devices`: auto, null (auto), a positive int or its text
    (true: 1)."""
    if devices is None or devices == "auto":
        return True
    if isinstance(devices, str) and devices.strip().isdigit():
        devices = int(devices)
    return devices is True or (type(devices) is int and devices > 0)


def _accelerator_available(name: str) -> bool:
    from lightning.pytorch.accelerators import AcceleratorRegistry

    if name in ("auto", "cpu"):
        return True
    registered = "cuda" if name == "gpu" else name
    if name == "gpu":  # Lightning's gpu: CUDA or Apple's MPS
        from lightning.pytorch.accelerators import MPSAccelerator

        if MPSAccelerator.is_available():
            return True
    try:
        accelerator = AcceleratorRegistry.get(registered)
        return bool(type(accelerator).is_available())
    except Exception:  # a backend missing its package (tpu without torch_xla)
        return False


def optimizer_problems(
    module_cls: type, model_args: dict[str, Any], optimizer: dict[str, Any]
) -> list[str]:
    """`optimizer.*` keys checked by the optimizer the module builds: the module is made on the
    CPU and asked for its optimizer (cheap for the models papers train), so `+optimizer.lrr`
    or `optimizer.lr=abc` stop here, not as a failed record. Anything else the plugin raises is
    left to the run, which reports it with the plugin's line."""
    try:
        module_cls(**model_args).configure_optimizers()
    except Exception as error:
        return _optimizer_error(error, optimizer)
    return []


def _optimizer_error(error: Exception, optimizer: dict[str, Any]) -> list[str]:
    """The one line for an optimizer that refused its arguments; [] for other errors."""
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    if not frames or "torch/optim" not in frames[-1].filename.replace("\\", "/"):
        unexpected = "unexpected keyword argument" in str(error)
        if not (isinstance(error, TypeError) and unexpected):
            return []
    name = _optimizer_name(frames)
    text = str(error)
    if "unexpected keyword argument" in text:
        key = text.rsplit("'", 2)[-2] if text.count("'") >= 2 else "?"
        if ".__init__()" in text:  # `Adam.__init__() got an unexpected keyword argument 'lrr'`
            name = text.split(".__init__()")[0].split()[-1]
        close = difflib.get_close_matches(key, _optimizer_keys(name), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return [f"optimizer.{key}: not an argument of {name}{hint}"]
    values = ", ".join(f"optimizer.{k}={v!r}" for k, v in optimizer.items() if _odd(v))
    values = values or ", ".join(f"optimizer.{k}={v!r}" for k, v in optimizer.items())
    return [f"{values}: {name} does not accept it ({text.splitlines()[0] if text else error})"]


def _odd(value: Any) -> bool:
    """A value no optimizer takes as a hyperparameter: text where numbers go."""
    return isinstance(value, str)


def _optimizer_name(frames: Any) -> str:
    for frame in reversed(frames):
        path = frame.filename.replace("\\", "/")
        if "torch/optim/" in path:
            return {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop"}.get(
                Path(path).stem, Path(path).stem
            )
    return "the optimizer"


def _optimizer_keys(name: str) -> list[str]:
    import inspect

    import torch

    cls = getattr(torch.optim, name, None)
    if cls is None:
        return []
    return [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "params")]


def seed_dependent_keys(cfg: Any, experiment: str | None) -> list[str]:
    """Result-relevant keys whose value changes with the seed (`${seed}` in `data:`): such a
    run's record folder would depend on its seed, so a sweep could never find its runs."""
    from omegaconf import OmegaConf

    from repro.records import store

    def resolved(seed: int) -> dict[str, Any]:
        copy = OmegaConf.create(OmegaConf.to_container(cfg, resolve=False))
        copy.seed = seed
        copy.experiment_name = experiment
        return OmegaConf.to_container(copy, resolve=True)

    def hashed(config: dict[str, Any]) -> dict[str, Any]:  # the keys store.config_hash covers
        flat = _flatten({k: v for k, v in config.items() if k not in store.NON_RESULT_KEYS})
        return {
            k: v
            for k, v in flat.items()
            if k != "seed" and not any(store.is_location_key(p) for p in k.split("."))
        }

    first, second = resolved(1), resolved(2)
    if store.config_hash(first) == store.config_hash(second):
        return []
    other = hashed(second)
    return sorted(key for key, value in hashed(first).items() if other.get(key) != value)


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(node, dict):
        return {prefix: node}
    flat: dict[str, Any] = {}
    for key, value in node.items():
        flat.update(_flatten(value, f"{prefix}{key}."))
    return {k.rstrip("."): v for k, v in flat.items()}


def problems_of(
    cfg: Any, experiment: str | None, plugin: Any, spec: Any, recorded: bool = True
) -> list[str]:
    """Every problem of one composed (unresolved) config, one line each; a bad value (seed,
    bounds, W&B mode) is the only one reported, as the others may follow from it."""
    from omegaconf import OmegaConf
    from omegaconf.errors import InterpolationResolutionError

    OmegaConf.set_struct(cfg, False)
    cfg.experiment_name = experiment  # Hydra's runtime choices exist only under @hydra.main
    unset = mandatory_unset(OmegaConf.to_container(cfg, resolve=False))
    if unset:  # the text '???' would reach the plugin (or a resolver refuses it, bare)
        return unset_problems(unset)
    try:
        config = OmegaConf.to_container(cfg, resolve=True)
    except InterpolationResolutionError as error:  # `${data.featurs}`: was an internal error
        from repro.config.compose import interpolation_problem

        return [interpolation_problem(error)]
    try:
        check_values(config)
    except UsageError as error:
        return [str(error)]
    problems = []
    depends = seed_dependent_keys(cfg, experiment)
    if depends:
        verb = "depends" if len(depends) == 1 else "depend"
        problems.append(
            f"{', '.join(depends)} {verb} on ${{seed}}: the record folder would change with "
            "the seed; use torch.initial_seed() in the plugin's code instead"
        )
    if problems or not _validated_by_a_completed_run(config):
        problems += config_problems(config, plugin, spec, recorded)
    return problems


def unset_problems(keys: list[str]) -> list[str]:
    """One line per mandatory value nothing gave, with the override that gives it."""
    return [f"{key} has no value (??? in the config): give {key}=<value>" for key in keys]


def mandatory_unset(node: Any, name: str = "") -> list[str]:
    """Dotted names of Hydra's mandatory values (`???`) nothing gave, in an unresolved
    container: the plugin would get the text '???' as the value."""
    if isinstance(node, dict):
        return [
            key
            for k, v in node.items()
            for key in mandatory_unset(v, f"{name}.{k}" if name else str(k))
        ]
    if isinstance(node, list):
        return [key for i, v in enumerate(node) for key in mandatory_unset(v, f"{name}[{i}]")]
    return [name] if node == "???" else []


def _validated_by_a_completed_run(config: dict[str, Any]) -> bool:
    """Whether this config (all but the keys outside the hash) already made a completed run of
    the current plugin code: it was checked when it ran, and the run will only be skipped, so
    the check that imports Lightning and the plugin (seconds) can be spared."""
    import yaml

    from repro.records import store
    from repro.records.lookup import completed_run

    try:
        record_dir, record, stale = completed_run(config)
        if record is None or stale is not None:
            return False
        saved = yaml.safe_load((record_dir / store.CONFIG_FILE).read_text())
    except (KeyError, TypeError, OSError, ValueError, RecursionError, yaml.YAMLError):
        return False  # RecursionError: a config.yaml nested too deeply is checked again

    # Keys outside the hash (paths, logger, num_threads, ...) are checked by name only, and an
    # unknown name changes the hash: compare the rest, which config_problems reads.
    def checked(c: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in c.items() if k not in store.NON_RESULT_KEYS}

    return isinstance(saved, dict) and checked(saved) == checked(config)


def validate(
    cfg: Any, experiment: str | None, plugin: Any, spec: Any, recorded: bool = True
) -> None:
    """`problems_of` as one UsageError line naming every problem (some come from command-line
    overrides, which `repro check` never sees, so pointing there for the rest hid them);
    `recorded` off for what writes no record (`--cfg job` prints the config only)."""
    problems = problems_of(cfg, experiment, plugin, spec, recorded)
    if problems:
        raise UsageError("; ".join(problems))


def validate_sweep(plugin: Any, spec: Any, wiring: list[str], grid: Any) -> None:
    """`validate` once per distinct setting of a planned sweep (seeds only change the record
    folder, so each seed is checked on its own), before anything launches."""
    from repro.config.compose import compose_config, hydra_compose_session

    for seed in grid.seeds:
        check_seed(seed)
    with hydra_compose_session():
        for fixed in grid.fixed_variants:
            for experiment in grid.experiments:
                overrides = [f"paper={plugin.id}", *fixed, *wiring, f"experiment={experiment}"]
                validate(compose_config(overrides), experiment, plugin, spec)
