"""Reading and checking Hydra overrides before Hydra runs, so mistakes get one clear line."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from repro.errors import UsageError, did_you_mean

TRAINER_SET_BY_REPRO = frozenset(
    {"logger", "callbacks", "enable_checkpointing", "enable_progress_bar", "default_root_dir"}
)
"""Trainer arguments repro sets itself: not to be given on the command line."""
LIST_NOT_KEYS = (
    "a list, not keys: a config file holds `section:` keys (data:, model:, ...) under "
    "`# @package _global_`"
)

HYDRA_FLAGS_WITH_VALUE = {
    "--cfg",
    "-c",
    "--package",
    "-p",
    "--config-name",
    "-cn",
    "--config-path",
    "-cp",
    "--config-dir",
    "-cd",
}
INFO_FLAGS = ("--info", "-i")  # takes a value only when one of these follows
HYDRA_FLAGS = (
    "--help",
    "-h",
    "--hydra-help",
    "--version",
    "--resolve",
    "--run",
    "-r",
    "--multirun",
    "-m",
    "--shell-completion",
    "-sc",
    "--experimental-rerun",
    *INFO_FLAGS,
    *sorted(HYDRA_FLAGS_WITH_VALUE),
)
"""Every flag of Hydra's own command line (hydra._internal.utils.get_args_parser): what
`repro run` passes on to Hydra; any other `-word` is refused by name before Hydra's
argparse prints its usage."""
INFO_CHOICES = ("all", "config", "defaults", "defaults-tree", "plugins", "searchpath")


def split_overrides(arguments: list[str]) -> tuple[list[str], list[str]]:
    """Separate `key=value` overrides from Hydra flags (`-m`, `--cfg job`, ...)."""
    overrides, flags = [], []
    arguments = _bare_info_means_all(arguments)
    iterator = iter(arguments)
    for argument in iterator:
        if argument.startswith("-"):
            flags.append(argument)
            if argument in HYDRA_FLAGS_WITH_VALUE or argument in INFO_FLAGS:
                flags.append(next(iterator, ""))
        else:
            overrides.append(argument)
    return overrides, flags


def _bare_info_means_all(arguments: list[str]) -> list[str]:
    """Hydra's `--info` takes an optional value; bare, it means `--info all`. Made explicit,
    so the override after it is not read as its value."""
    fixed = []
    for index, argument in enumerate(arguments):
        fixed.append(argument)
        following = arguments[index + 1] if index + 1 < len(arguments) else None
        if argument in INFO_FLAGS and following not in INFO_CHOICES:
            fixed.append("all")
    return fixed


def override_value(overrides: list[str], key: str) -> str | None:
    """The raw value given to `key` (last one wins), or None."""
    value = None
    for override in overrides:
        name, sep, raw = override.partition("=")
        if sep and name.lstrip("+~") == key:
            value = raw
    return value


DERIVED_KEYS = {"experiment_name": "experiment="}
"""Keys repro sets from another choice: `experiment_name` is the experiment's name (the record
folder's); given as an override, `repro run` wrote under it while `repro sweep` set it back,
so neither found the other's records."""


def refuse_derived_keys(overrides: list[str]) -> None:
    """One line for an override of a key repro sets itself (`DERIVED_KEYS`), or of none."""
    for override in overrides:
        name, _, value = override.partition("=")
        name = name.lstrip("+~")
        if not name and "=" in override:  # `=3`: Hydra's answer named a config group
            raise UsageError(
                f"{override!r}: no key before '=': write <key>=<value> "
                "(seed=3, trainer.max_steps=100)"
            )
        if name == "hydra.job.chdir" and _no_value(override):
            raise UsageError(  # Hydra's own said only 'Error merging override ...'
                f"{override}: true or false, not empty (repro keeps the working directory: "
                "leave the key out, or give false)"
            )
        if name == "hydra.job.chdir" and not _keeps_working_directory(override, value):
            raise UsageError(  # after a chdir, the relative results/ is another folder
                f"{override}: repro keeps the working directory (records go to results/ of "
                "the folder repro runs in, where report and sweep look): "
                "REPRO_RESULTS_DIR=<folder> writes them elsewhere"
            )
        if name in DERIVED_KEYS:
            raise UsageError(
                f"{name} is set by {DERIVED_KEYS[name]}<name> (it names the record folder): "
                f"choose the experiment with {DERIVED_KEYS[name]}<name>, not {override!r}"
            )


def _no_value(override: str) -> bool:
    """Whether `override` gives its key empty text (`key=`, `key=''`): no value OmegaConf
    reads as a truth value, and Hydra's refusal of it names only the override."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        value = OverridesParser.create().parse_override(override).value()
    except HydraException:  # Hydra refuses it with its own line
        return False
    return isinstance(value, str) and not value.strip()


def _keeps_working_directory(override: str, raw: str) -> bool:
    """Whether `hydra.job.chdir=<raw>` is one of OmegaConf's false values (a bool key), quoted
    or not (`'false'`, `'0'` reach it as text, which it reads as false): those keep the working
    directory; a sweep over values does not count as one."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        parsed = OverridesParser.create().parse_override(override)
    except HydraException:  # Hydra refuses it with its own line
        return raw.strip().lower() in ("false", "0", "no", "n", "off", "null", "")
    if parsed.is_sweep_override():
        return False
    value = parsed.value()
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = int(value)  # as OmegaConf reads '0'
    if isinstance(value, str):
        return value.lower() in ("false", "no", "n", "off", "")
    return value is None or value is False or (type(value) is int and value == 0)


def sweep_values(raw: str) -> list[str]:
    """Values of a simple comma sweep (`a,b,c`), or the single value."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        parsed = OverridesParser.create().parse_override(f"x={raw}")
    except HydraException as error:
        raise UsageError(f"bad override value {raw!r}: {_first_line(str(error))}") from None
    if parsed.is_sweep_override():
        return swept_strings(parsed, raw)
    return [raw]


def swept_strings(parsed: Any, raw: str) -> list[str]:
    """A parsed sweep's values; a glob() of a group other than experiment (written out before
    this) is one error line: Hydra's config loader lists a group's options, which reading a
    sweep here, or composing its configs to check them, has not ('ConfigLoader is not set')."""
    from hydra.errors import HydraException

    try:
        return [_unescaped(str(v)) for v in parsed.sweep_string_iterator()]
    except HydraException:
        raise UsageError(
            f"{raw}: a glob sweeps experiment= only (its options are the paper's "
            "experiments): list the values, a,b"
        ) from None


def _unescaped(value: str) -> str:
    """A swept value as typed: Hydra writes each unquoted one with its special characters
    escaped (`00\\:00\\:01\\:00`), which every line naming the setting then showed; without
    the escapes where Hydra reads it back as the same single value (`a\\,b` stays)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    if "\\" not in value:
        return value
    plain = re.sub(r"\\(.)", r"\1", value)
    parser = OverridesParser.create()
    try:
        again = parser.parse_override(f"x={plain}")
    except HydraException:
        return value
    same = repr(again.value()) == repr(parser.parse_override(f"x={value}").value())
    return plain if same and not again.is_sweep_override() else value


def expand_glob(overrides: list[str], key: str, names: list[str]) -> list[str]:
    """`experiment=glob(log*)` written out as the names it matches (`experiment=logistic,...`):
    Hydra matches a glob against a config group's options only with its config loader, which
    reading a sweep's values here has not (an internal error: 'ConfigLoader is not set')."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ChoiceSweep, Glob
    from hydra.errors import HydraException

    expanded = []
    for override in overrides:
        name, _, raw = override.partition("=")
        if name.lstrip("+~") == key and "glob" in raw:
            try:
                value = OverridesParser.create().parse_override(override).value()
            except HydraException:
                value = None  # a bad override: said where its values are read
            parts = value.list if isinstance(value, ChoiceSweep) else [value]
            if any(isinstance(part, Glob) for part in parts):  # alone, or in a list: a,glob(b*)
                written = [_glob_matches(part, key, names) for part in parts]
                chosen = dict.fromkeys(str(v) for values in written for v in values)
                override = f"{name}={','.join(chosen)}"
        expanded.append(override)
    return expanded


def _glob_matches(part: Any, key: str, names: list[str]) -> list[Any]:
    """The names a glob of a sweep matches (one error line if none); any other value as is."""
    from hydra.core.override_parser.types import Glob

    if not isinstance(part, Glob):
        return [part]
    matched = part.filter(list(names))
    if not matched:
        pattern = _listed(part.include) + (
            f", exclude={_listed(part.exclude)}" * bool(part.exclude)
        )
        raise UsageError(f"{key}=glob({pattern}) matches no {key} (known: {', '.join(names)})")
    return matched


def _listed(patterns: list[str]) -> str:
    """Glob patterns as Hydra's glob() takes them: one alone, several as a list."""
    return patterns[0] if len(patterns) == 1 else f"[{','.join(patterns)}]"


def refuse_a_list_for_a_sweep(key: str, raw: str) -> None:
    """`experiment=[cnn,mlp]` or `seed=[0,1]`: Hydra reads one value, a list, where a sweep
    of several was meant (`experiment=cnn,mlp`); refused saying so, not as an unknown name
    with a `did you mean` of one of them."""
    inner = raw.strip()
    if len(inner) >= 2 and inner[0] == "[" and inner[-1] == "]":
        raise UsageError(
            f"{key}={raw} is one value, a list: a sweep of several is {key}={inner[1:-1]}"
        )


def first_of_each_sweep(overrides: list[str]) -> list[str]:
    """One representative config of a multirun: the first value of each sweep."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    parser = OverridesParser.create()
    single = []
    for override in overrides:
        try:
            parsed = parser.parse_override(override)
        except HydraException as error:
            raise UsageError(f"bad override {override!r}: {_first_line(str(error))}") from None
        if parsed.is_sweep_override():
            first = next(iter(swept_strings(parsed, override.partition("=")[2])), "")
            single.append(f"{parsed.get_key_element()}={first}")
        else:
            single.append(override)
    return single


def each_swept_value(overrides: list[str]) -> list[list[str]]:
    """Configs that together show every value of a multirun once: the first of each sweep,
    then each other value of one sweep at a time (not the whole product)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    first = first_of_each_sweep(overrides)
    variants = [first]
    parser = OverridesParser.create()
    for index, override in enumerate(overrides):
        parsed = parser.parse_override(override)
        if parsed.is_sweep_override():
            key = parsed.get_key_element()
            for value in swept_strings(parsed, override.partition("=")[2])[1:]:
                variants.append([*first[:index], f"{key}={value}", *first[index + 1 :]])
    return variants


def check_overrides(config_dir: Path, config_name: str, overrides: list[str]) -> list[Any]:
    """Compose the config (each swept value once) so unknown keys and options fail before any
    work starts; returns the composed configs with the overrides of each."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(str(config_dir), version_base="1.3", job_name="repro"):
            return [
                (compose(config_name, overrides=variant), variant)
                for variant in each_swept_value(overrides)
            ]
    except ValueError as error:  # Hydra's for `logger=null`, a group given no option name
        if GROUP_VALUE_ERROR not in str(error):
            raise
        GlobalHydra.instance().clear()
        raise UsageError(explain_group_value(config_dir, overrides)) from None
    except (HydraException, OmegaConfBaseException) as error:
        GlobalHydra.instance().clear()

        def known_keys(unknown: str) -> list[str]:  # of the config without the unknown key
            rest = [o for o in overrides if o.partition("=")[0].lstrip("+~") != unknown]
            return config_keys(config_dir, config_name, first_of_each_sweep(rest))

        raise UsageError(explain_hydra_error(str(error), known_keys)) from None
    finally:
        GlobalHydra.instance().clear()


def config_keys(config_dir: Path, config_name: str, overrides: list[str]) -> list[str]:
    """Every dotted key of the composed config (`trainer.max_steps`) and every config group
    (`launcher`, `experiment`), for suggestions; none when it does not compose either."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(str(config_dir), version_base="1.3", job_name="repro"):
            cfg = compose(config_name, overrides=overrides)
        groups = [p.name for p in config_dir.iterdir() if p.is_dir()] + ["experiment"]
        return _dotted_keys(OmegaConf.to_container(cfg, resolve=False)) + groups
    except Exception:  # only a hint is lost
        return []
    finally:
        GlobalHydra.instance().clear()


def _dotted_keys(node: Any, prefix: str = "") -> list[str]:
    keys = []
    for name, value in node.items():
        keys.append(f"{prefix}{name}")
        if isinstance(value, dict):
            keys += _dotted_keys(value, f"{prefix}{name}.")
    return keys


def _unset_trainer_argument(key: str) -> bool:
    """Whether `key` is `trainer.<an argument of Lightning's Trainer>` repro lets users give:
    missing its `+`, it is not a typo of a set key (`trainer.val_check_interval` read as
    'did you mean trainer.accelerator?')."""
    section, _, name = key.partition(".")
    if section != "trainer" or not name or "." in name:
        return False
    import inspect

    import lightning.pytorch as pl

    taken = inspect.signature(pl.Trainer.__init__).parameters
    return name in taken and name != "self" and name not in TRAINER_SET_BY_REPRO


def explain_hydra_error(
    message: str, known_keys: Callable[[str], Iterable[str]] | None = None
) -> str:
    """Hydra's multi-line messages as one line a user can act on; `known_keys(key)` gives the
    config's keys for a did-you-mean on an unknown one."""
    unknown = re.search(r"Could not override '([^']+)'", message)
    if unknown and ("not in struct" in message or "To append to your config" in message):
        key = unknown.group(1)
        if _unset_trainer_argument(key):  # `=...`: a sweep's message names only its first value
            return (
                f"unknown config key {key!r} (a Lightning Trainer argument "
                f"configs/trainer/default.yaml leaves out: write +{key}=...)"
            )
        known = list(known_keys(key)) if known_keys else []
        hint = did_you_mean(key, known)
        if "." in key:
            return f"unknown config key {key!r} ({hint}to add a new key, write +{key}=...)"
        # `lr=0.1`: "+lr=..." was advice repro then refused (no top-level key is read but
        # its own): the key within its section instead, `optimizer.lr`
        within = [k for k in known if k.rpartition(".")[2] == key and "." in k][:2]
        if within:
            hint = f"did you mean {' or '.join(map(repr, within))}?; "
        return f"unknown config key {key!r} ({hint}repro reads no other top-level key)"
    listed = re.search(
        r"In '([^']+)': ConfigTypeError .*Cannot merge DictConfig with ListConfig", message, re.S
    )
    if listed:  # a plugin's experiment file or settings.yaml of `- item` lines
        return f"{listed.group(1)}.yaml: {LIST_NOT_KEYS}"
    empty = re.search(r"Could not find '([^'/]+)/'", message)  # `logger=`: no option named
    if empty:
        from repro.resources import builtin_dir  # app's CONFIG_DIR: app imports this module

        return explain_group_value(builtin_dir("configs"), [f"{empty.group(1)}="])
    missing = re.search(r"Could not find '([^']+)/([^']+)'", message)
    if missing:
        group, option = missing.groups()
        options = re.findall(r"^\t(\S+)$", message, flags=re.M)
        known = f" (known: {', '.join(options)})" if options else ""
        return f"unknown {group} {option!r}{known}"
    deleted = re.search(r"Could not delete from config\. '([^']+)' does not exist", message)
    if deleted:  # Hydra removes no key whose value is null, and says it is not there
        key = deleted.group(1)
        known = list(known_keys(key)) if known_keys else []
        if key in known:
            return f"~{key}: the key is null already, which Hydra cannot remove (leave it out)"
        return f"unknown config key {key!r} ({did_you_mean(key, known)}~ removes a key there is)"
    if "Could not append to config" in message:
        key = re.search(r"An item is already at '([^']+)'", message)
        return f"key {key.group(1) if key else ''} already exists: override it without '+'"
    return _first_line(message)


GROUP_VALUE_ERROR = "Config group override must be a string or a list"
NOT_NAMES = ("null", "true", "false")  # words Hydra reads as None or a bool


def explain_group_value(config_dir: Path, overrides: Iterable[str]) -> str:
    """Hydra's ValueError for `logger=null` or `trainer=3` (a group given a value that is no
    option name) names no group: name the override and the group's options."""
    groups = {p.name for p in config_dir.iterdir() if p.is_dir()}
    for override in overrides:
        key, _, value = override.partition("=")
        group, value = key.lstrip("+"), value.strip()
        named = re.fullmatch(r"[A-Za-z_][\w\-]*|\[.*\]", value) and value not in NOT_NAMES
        if group in groups and not named:
            options = ", ".join(sorted(p.stem for p in (config_dir / group).glob("*.yaml")))
            return f"{override}: {group} is a config group: choose one of its options ({options})"
    return f"{GROUP_VALUE_ERROR}: a config group was given a value that is no option name"


def _first_line(message: str) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else message


def hydra_literal(value: str) -> str:
    """`value` as one quoted Hydra override value that OmegaConf keeps as written.

    Paths repro passes to Hydra may hold any character: unquoted, `,` `=` `[` `'` or
    non-ASCII letters break Hydra's override lexer, and `${...}` would be interpolated.
    Inside Hydra's quotes only `'` and the backslashes before it (or before the closing
    quote) are escaped; for OmegaConf, `${` becomes `\\${` (backslashes before it doubled).
    """
    body = re.sub(r"(\\*)\$\{", lambda m: m.group(1) * 2 + "\\${", value)
    body = re.sub(r"(\\*)('|$)", lambda m: m.group(1) * 2 + ("\\'" if m.group(2) else ""), body)
    return f"'{body}'"


def path_override(key: str, path: Path | str) -> str:
    """`key='<path>'`: a literal path, whatever characters it holds."""
    return f"{key}={hydra_literal(str(path))}"
