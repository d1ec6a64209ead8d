"""Reading and checking Hydra overrides before Hydra runs, so mistakes get one clear line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from repro.errors import UsageError

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
    "--info",
    "-i",
}


def split_overrides(arguments: list[str]) -> tuple[list[str], list[str]]:
    """Separate `key=value` overrides from Hydra flags (`-m`, `--cfg job`, ...)."""
    overrides, flags = [], []
    iterator = iter(arguments)
    for argument in iterator:
        if argument.startswith("-"):
            flags.append(argument)
            if argument in HYDRA_FLAGS_WITH_VALUE:
                flags.append(next(iterator, ""))
        else:
            overrides.append(argument)
    return overrides, flags


def override_value(overrides: list[str], key: str) -> str | None:
    """The raw value given to `key` (last one wins), or None."""
    value = None
    for override in overrides:
        name, sep, raw = override.partition("=")
        if sep and name.lstrip("+~") == key:
            value = raw
    return value


def sweep_values(raw: str) -> list[str]:
    """Values of a simple comma sweep (`a,b,c`), or the single value."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        parsed = OverridesParser.create().parse_override(f"x={raw}")
    except HydraException as error:
        raise UsageError(f"bad override value {raw!r}: {_first_line(str(error))}") from None
    if parsed.is_sweep_override():
        return [str(v) for v in parsed.sweep_string_iterator()]
    return [raw]


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
            first = next(iter(parsed.sweep_string_iterator()), "")
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
            for value in list(parsed.sweep_string_iterator())[1:]:
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
    except (HydraException, OmegaConfBaseException) as error:
        raise UsageError(explain_hydra_error(str(error))) from None
    finally:
        GlobalHydra.instance().clear()


def explain_hydra_error(message: str) -> str:
    """Hydra's multi-line messages as one line a user can act on."""
    unknown = re.search(r"Could not override '([^']+)'", message)
    if unknown and ("not in struct" in message or "To append to your config" in message):
        key = unknown.group(1)
        return f"unknown config key {key!r} (to add a new key, write +{key}=...)"
    missing = re.search(r"Could not find '([^']+)/([^']+)'", message)
    if missing:
        group, option = missing.groups()
        options = re.findall(r"^\t(\S+)$", message, flags=re.M)
        known = f" (known: {', '.join(options)})" if options else ""
        return f"unknown {group} {option!r}{known}"
    if "Could not append to config" in message:
        key = re.search(r"An item is already at '([^']+)'", message)
        return f"key {key.group(1) if key else ''} already exists: override it without '+'"
    return _first_line(message)


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
