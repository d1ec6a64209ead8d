"""The exact commands that regenerate a report's runs: `repro sweep` with the overrides that
turn the paper's current defaults into the config each experiment was judged on.

The overrides come from comparing each chosen config.yaml with the config Hydra composes today
for `paper=<id> experiment=<name>`, so they are right however the runs were launched (run,
sweep, a launcher, `debug=fast`): the printed command maps to the same config hashes.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from repro.records import store
from repro.records.table import flatten_config

BARE_VALUE = re.compile(r"^[A-Za-z_][A-Za-z0-9_./:-]*$")
HYDRA_WORDS = {"true", "false", "null", "none", "nan", "inf"}


def hydra_value(value: Any) -> str:
    """A config value written as a Hydra override value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(hydra_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{hydra_value(v)}" for k, v in value.items()) + "}"
    text = str(value)
    if BARE_VALUE.match(text) and text.lower() not in HYDRA_WORDS:
        return text
    # Hydra reads a backslash as itself except in a run before a quote or the closing quote,
    # which it halves: doubling every one gave a Windows path back with each one doubled
    text = re.sub(r"(\\*)'", lambda m: m.group(1) * 2 + "\\'", text)
    text = re.sub(r"(\\+)$", lambda m: m.group(1) * 2, text)
    return f"'{text}'"


def shell_word(word: str) -> str:
    """`word` quoted for a shell, readably: a Hydra-quoted value (`+k='00:00:00:03'`) in
    double quotes, where shlex's single quotes write each `'` as `'"'"'`. `!` (history
    expansion in an interactive bash) and newlines keep shlex's form."""
    if "'" not in word or "!" in word or "\n" in word:
        return shlex.quote(word)
    return '"' + re.sub(r'([\\"$`])', r"\\\1", word) + '"'


SHELL_WORD = re.compile(r"""(?:[^\s'"\\]|\\.|'[^']*'|"(?:[^"\\]|\\.)*")+""")
"""One word of a command as a shell reads it: its quotes and backslashes included."""


def shell_lines(command: str, width: int = 80) -> str:
    """`command` over lines of at most `width` characters, each but the last ending in ` \\`:
    a page wraps a long one where it likes, and a copy pasted into a shell then ran its
    first line alone (without the overrides after it). An option stays with its value
    (`--papers-dir DIR`); a word wider than a line stays whole."""
    words: list[str] = []
    for word in SHELL_WORD.findall(command):
        option = words and words[-1].startswith("-") and " " not in words[-1]
        if option and not word.startswith("-") and "=" not in word:
            words[-1] = f"{words[-1]} {word}"
        else:
            words.append(word)
    lines = [""]
    for word in words:
        if lines[-1].strip() and len(f"{lines[-1]} {word} \\") > width:
            lines.append("    ")
        lines[-1] = f"{lines[-1]} {word}" if lines[-1].strip() else lines[-1] + word
    return " \\\n".join(lines)


def config_overrides(recorded: dict[str, Any], default: dict[str, Any]) -> list[str]:
    """Overrides turning the flat `default` config into the flat `recorded` one."""
    overrides = []
    for key in sorted(set(recorded) | set(default)):
        if key not in default:
            overrides.append(f"+{key}={hydra_value(recorded[key])}")
        elif key not in recorded:
            overrides.append(f"~{key}")
        elif store.hashed_form(recorded[key]) != store.hashed_form(default[key]):
            # `0` where the paper has `0.0` is another hash: written as the record has it
            overrides.append(f"{key}={hydra_value(recorded[key])}")
    return overrides


def default_configs(paper_folder: Path, paper_id: str, experiments: list[str]) -> dict[str, Any]:
    """The flat result-relevant config Hydra composes today for each experiment."""
    from repro.config.paper_setting import default_containers

    return {
        experiment: flatten_config(container, prefix="", lists_as_json=False)
        for experiment, container in default_containers(paper_folder, paper_id, experiments).items()
    }


DEBUG_GROUP = "debug"
"""repro's presets (`debug=fast`): a smoke run's setting is one word, not five overrides."""


def preset_configs(paper_folder: Path, paper_id: str, experiment: str) -> dict[str, dict[str, Any]]:
    """The flat config of `experiment` under each of repro's debug presets (Hydra composes each
    in full: a preset comes after the experiment in the defaults list)."""
    from repro.config.app import CONFIG_DIR, plugin_overrides
    from repro.config.compose import compose_config, hydra_compose_session, resolved_config
    from repro.records.table import flatten_config

    names = sorted(path.stem for path in (CONFIG_DIR / DEBUG_GROUP).glob("*.yaml"))
    wiring = [f"paper={paper_id}", *plugin_overrides(paper_folder), f"experiment={experiment}"]
    presets = {}
    with hydra_compose_session():
        for name in names:
            cfg = compose_config([*wiring, f"{DEBUG_GROUP}={name}"])
            container = resolved_config(cfg, experiment)
            presets[name] = flatten_config(container, prefix="", lists_as_json=False)
    return presets


def setting_overrides(
    paper_folder: Path,
    paper_id: str,
    experiment: str,
    recorded: dict[str, Any],
    defaults: dict[str, dict[str, Any]],
    presets: dict[str, dict[str, dict[str, Any]]] | None = None,
) -> list[str]:
    """The fewest overrides that turn the paper's config of `experiment` (`defaults`, from
    `default_configs`) into the flat `recorded` one: plain key overrides, or a debug preset and
    what it leaves different (`debug=fast` for a smoke run). `presets` caches compositions
    across calls (one report's); presets are composed only for a setting two or more keys away."""
    best = config_overrides(recorded, defaults[experiment])
    if len(best) < 2:
        return best
    cache = presets if presets is not None else {}
    key = f"{paper_folder}\0{paper_id}\0{experiment}"
    if key not in cache:
        try:
            cache[key] = preset_configs(paper_folder, paper_id, experiment)
        except Exception:  # a preset that does not compose with this plugin: plain overrides
            cache[key] = {}
    for name, preset in cache[key].items():
        candidate = [f"{DEBUG_GROUP}={name}", *config_overrides(recorded, preset)]
        if len(candidate) < len(best):
            best = candidate
    return best


def seed_override(seeds: tuple[int, ...]) -> str:
    """`seeds=N` for 0..N-1, Hydra's `range(a,b)` for another run of seeds, else the list."""
    seeds = tuple(sorted(seeds))
    if seeds == tuple(range(len(seeds))):
        return f"seeds={len(seeds)}"
    if len(seeds) > 2 and seeds == tuple(range(seeds[0], seeds[-1] + 1)):
        return f"seed=range({seeds[0]},{seeds[-1] + 1})"
    return "seed=" + ",".join(str(s) for s in seeds)


def sweep_commands(
    paper_id: str,
    claimed_experiments: list[str],
    chosen: dict[str, tuple[tuple[int, ...], list[str]]]
    | list[tuple[str, tuple[int, ...], list[str]]],
    prefix_args: list[str],
) -> list[str]:
    """One `repro sweep` per group of experiments sharing seeds and overrides, in the order
    the groups first appear.

    `chosen`: experiment -> (seeds, overrides), or (experiment, seeds, overrides) triples when
    an experiment has several settings. The experiment list is left out when it is exactly
    what the claims need (what `repro sweep` runs by default).
    """
    entries = (
        [(e, seeds, overrides) for e, (seeds, overrides) in chosen.items()]
        if isinstance(chosen, dict)
        else chosen
    )
    groups: dict[tuple[tuple[int, ...], tuple[str, ...]], list[str]] = {}
    for experiment, seeds, overrides in entries:
        group = groups.setdefault((tuple(sorted(seeds)), tuple(overrides)), [])
        if experiment not in group:
            group.append(experiment)
    commands = []
    for (seeds, overrides), experiments in groups.items():
        words = ["repro", "sweep", *prefix_args, f"paper={paper_id}"]
        if not (len(groups) == 1 and sorted(experiments) == sorted(claimed_experiments)):
            words.append("experiment=" + ",".join(experiments))
        words.append(seed_override(seeds))
        words += overrides
        commands.append(" ".join(shell_word(word) for word in words))
    return commands
