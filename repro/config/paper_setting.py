"""The paper's setting of an experiment, and how another config differs from it: what the
report judges (and names other settings against), and what `repro run` says next to the claims
when a run is not at it.

The paper's setting of an experiment is the config `repro run paper=<id> experiment=<name>`
composes with no override (what the report judges: `build._paper_settings`). A run is at it
when its config hash is that config's hash. Composing costs a Hydra compose, so it is done only
when the command had an override that can change the hash: the paper, experiment and seed and
Hydra's and repro's wiring cannot; any other can, even of a key the hash leaves out (a
launcher's `slurm.gpus=2` sets trainer.devices=2), so the composed hash decides.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from repro.records import store

NEUTRAL_NAMES = frozenset({"paper", "experiment", "seed"})
SHOWN_KEYS = 2  # differences named in a run's claim line; the rest are counted
LENGTH_KEYS = ("trainer.max_steps", "trainer.max_epochs")
"""How long a run trains: what a smoke or short run changes first, so named first."""


def setting_overrides(overrides: list[str]) -> list[str]:
    """The overrides of a command that name a key the config hash covers, or a config group
    (`debug=fast`): what a run's deviation names first. Whether the run is at the paper's
    setting is not decided by these names (`may_change_setting`)."""
    kept = []
    for override in overrides:
        name = override.partition("=")[0].lstrip("+~")
        parts = [p for p in re.split(r"[./]", name) if p]
        if not parts or name in NEUTRAL_NAMES or parts[0] == "hydra":
            continue
        if parts[0] in store.NON_RESULT_KEYS or any(store.is_location_key(p) for p in parts):
            continue
        if len(parts) == 2 and parts[0] == "trainer" and parts[1] in store.EXECUTION_TRAINER_KEYS:
            continue
        kept.append(override)
    return kept


WIRING_NAMES = frozenset({"paper_dir"})
"""Overrides repro adds to find the plugin: the paper's setting is composed with them too."""


def may_change_setting(overrides: list[str]) -> bool:
    """Whether any override could make the composed config's hash other than the paper's:
    any but the paper, experiment and seed and repro's and Hydra's wiring. Not judged by
    name: a key the hash leaves out can still set one it covers (`launcher=slurm
    slurm.gpus=2` sets trainer.devices=2), so the composed hash decides."""
    for override in overrides:
        name = override.partition("=")[0].lstrip("+~")
        first = re.split(r"[./]", name)[0]
        if name not in NEUTRAL_NAMES | WIRING_NAMES and first != "hydra":
            return True
    return False


def task_overrides() -> list[str] | None:
    """The overrides of the Hydra job running now; None outside one."""
    try:
        from hydra.core.hydra_config import HydraConfig

        return list(HydraConfig.get().overrides.task)
    except Exception:  # not inside @hydra.main
        return None


def paper_setting_config(paper_dir: Path, paper_id: str, experiment: str) -> dict[str, Any]:
    """The resolved config of the paper's setting of `experiment`. Inside a Hydra job (the
    `repro run` that just trained) the job's own Hydra composes it, which it leaves as it was."""
    from hydra.core.global_hydra import GlobalHydra

    from repro.config.app import plugin_overrides
    from repro.config.compose import compose_run_config

    if GlobalHydra.instance().is_initialized():
        overrides = [f"paper={paper_id}", *plugin_overrides(Path(paper_dir))]
        return compose_run_config(overrides, experiment)
    return default_containers(Path(paper_dir), paper_id, [experiment])[experiment]


def run_differences(
    config: dict[str, Any], overrides: list[str] | None = None
) -> tuple[tuple[str, Any, Any], ...] | None:
    """(key, this run's value, the paper's) for each key where a run's resolved config leaves
    its experiment's paper setting; () at the paper's setting; None when that cannot be told.
    `overrides`: the command's (None: the running Hydra job's, else unknown); without one that
    can change the hash (`may_change_setting`) nothing is composed."""
    from repro.records.table import flatten_config

    if overrides is None:
        overrides = task_overrides()
    if overrides is not None and not may_change_setting(overrides):
        return ()
    try:
        paper = paper_setting_config(
            Path(config["paper_dir"]), config["paper"], config["experiment_name"]
        )
    except Exception:  # a plugin whose config no longer composes: no claim to say it about
        return None
    if store.config_hash(paper) == store.config_hash(config):
        return ()
    differences = config_differences(
        flatten_config(config, prefix="", lists_as_json=False),
        flatten_config(paper, prefix="", lists_as_json=False),
        typed=True,
    )
    return differences or (("other keys", None, None),)


def deviation_text(
    differences: tuple[tuple[str, Any, Any], ...], overrides: list[str] | None = None
) -> str:
    """`trainer.max_steps=5, trainer.max_epochs=1 and 3 more (debug=fast)`: the keys the
    command named first, then how long it trained, the rest counted; a config group the
    command chose (`debug=fast`) is named as the cause."""
    chosen = setting_overrides(overrides or [])
    named = {o.partition("=")[0].lstrip("+~") for o in chosen}

    def rank(difference: tuple[str, Any, Any]) -> tuple[int, int, str]:
        key = difference[0]
        length = LENGTH_KEYS.index(key) if key in LENGTH_KEYS else len(LENGTH_KEYS)
        return (key not in named, length, key)

    ordered = sorted(differences, key=rank)
    shown = ", ".join(
        key if key == "other keys" else _one_difference(key, value, paper)
        for key, value, paper in ordered[:SHOWN_KEYS]
    )
    if len(ordered) > SHOWN_KEYS:
        shown += f" and {len(ordered) - SHOWN_KEYS} more"
    keys = {key for key, _, _ in differences}
    groups = [  # `debug=fast`: a config group, not a key
        o
        for o in chosen
        if "." not in (name := o.partition("=")[0].lstrip("+~")) and name not in keys
    ]
    return shown + (f" ({' '.join(groups)})" if groups else "")


EXECUTION_KEYS = frozenset(f"trainer.{key}" for key in store.EXECUTION_TRAINER_KEYS)
"""Where a run executed (trainer.accelerator): not part of a setting, never a difference."""


def config_differences(
    config: dict[str, Any], reference: dict[str, Any], typed: bool = False
) -> tuple[tuple[str, Any, Any], ...]:
    """(key, value, reference's value) for each flat key where two configs differ. `typed`:
    as the config hash tells values apart (`0` is not `0.0`), for resolved configs; without
    it, by value, for configs read back from a table (where pandas may turn 4 into 4.0)."""

    def differ(key: str) -> bool:  # a trainer value as the hash reads it (`32` is `32-true`)
        values = hashed if _trainer_key(key) else (config, reference)
        a, b = values[0].get(key), values[1].get(key)
        return store.hashed_form(a) != store.hashed_form(b) if typed else a != b

    def shown(key: str, side: int) -> Any:  # `max_time` of `max_time.minutes`: as hashed
        flat = (config, reference)[side]
        if key not in mappings or key in flat:
            return flat.get(key)
        value = hashed[side].get(key)  # a fraction of a second as `{seconds: 0.5}`
        return store.max_time_named(value) if key == "trainer.max_time" else value

    hashed = [_hashed_trainer_keys(c, typed) for c in (config, reference)]
    keys = set(config) | set(reference)
    # a mapping the hash reads as one value (`max_time.minutes` as `max_time`): that key
    mappings = {k.rsplit(".", 1)[0] for k in keys if _trainer_key(k) and k.count(".") > 1}
    keys |= mappings
    return tuple(
        (k, shown(k, 0), shown(k, 1)) for k in sorted(keys) if differ(k) and k not in EXECUTION_KEYS
    )


def _trainer_key(key: str) -> bool:
    """A trainer argument's flat key, or one of a mapping's (`trainer.max_time.minutes`)."""
    return key.startswith("trainer.")


def _hashed_trainer_keys(flat: dict[str, Any], typed: bool) -> dict[str, Any]:
    """A flat config's `trainer.*` values as the config hash reads them (`store.hashed_trainer`):
    `trainer.max_epochs=null` is -1 where max_steps bounds the run, `trainer.max_time.minutes=1`
    is `trainer.max_time=00:00:01:00`. Read back from a table, a whole float is an int again
    first (pandas' 6000.0)."""

    def typed_again(value: Any) -> Any:
        if typed:
            return value
        value = value.item() if hasattr(value, "item") else value  # numpy's scalars
        return int(value) if isinstance(value, float) and value.is_integer() else value

    trainer: dict[str, Any] = {}
    for key, value in flat.items():
        if _trainer_key(key):
            *parents, name = key[len("trainer.") :].split(".")
            node = trainer
            for parent in parents:  # a mapping's keys, flattened: as it was
                node = node.setdefault(parent, {}) if isinstance(node, dict) else None
            if isinstance(node, dict):
                node[name] = typed_again(value)
    hashed: dict[str, Any] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict) and node:
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        else:
            hashed[path] = node

    walk(store.hashed_trainer(trainer), "trainer")
    return hashed


def _one_difference(key: str, value: Any, paper: Any) -> str:
    """`key=value`; `key=0 (paper: 0.0)` where the two read the same (`shown_pair`)."""
    shown, theirs = shown_pair(value, paper)
    return f"{key}={shown}" + (f" (paper: {theirs})" if shown == plain_value(paper) else "")


def shown_pair(value: Any, other: Any) -> tuple[str, str]:
    """Two differing values as a reader writes them (`plain_value`), or as Python writes them
    where those read the same: `0` and `0.0` are two settings (the hash tells types apart),
    which `0` and `0` would hide."""
    shown, theirs = plain_value(value), plain_value(other)
    return (repr(value), repr(other)) if shown == theirs else (shown, theirs)


def plain_value(value: Any) -> str:
    """A config value as a reader writes it: 0.001, not 0.0010000; `unset` for none."""
    if value is None or (isinstance(value, float) and value != value):
        return "unset"
    return f"{value:g}" if isinstance(value, float) else str(value)


def default_containers(
    paper_folder: Path, paper_id: str, experiments: list[str]
) -> dict[str, dict[str, Any]]:
    """The resolved config `repro run paper=<id> experiment=<name>` composes today (no
    override): the paper's setting of each experiment, whose config hash the report judges.

    Hydra composes the paper's config once without an experiment; an experiment file that is
    a plain `# @package _global_` override (no defaults list of its own) is then merged on top,
    exactly as Hydra would, at a fraction of the cost of composing each experiment (~0.15 s
    each). Any other experiment file is composed by Hydra in full.
    """
    from omegaconf import OmegaConf

    from repro.config.app import plugin_overrides
    from repro.config.compose import compose_config, hydra_compose_session, resolved_config

    wiring = [f"paper={paper_id}", *plugin_overrides(paper_folder)]
    defaults = {}
    with hydra_compose_session():
        base = compose_config(wiring)
        for experiment in experiments:
            overlay = _global_overlay(paper_folder / "experiment" / f"{experiment}.yaml")
            if overlay is not None:
                cfg = OmegaConf.merge(base, overlay)
            else:
                cfg = compose_config([*wiring, f"experiment={experiment}"])
            defaults[experiment] = resolved_config(cfg, experiment)
    return defaults


def _global_overlay(path: Path) -> Any:
    """The experiment file as a config to merge at the top level, or None when Hydra must
    compose it (another package, or a defaults list of its own)."""
    from omegaconf import DictConfig, OmegaConf

    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    header = [line for line in text.splitlines()[:5] if line.startswith("#")]
    if not any("@package _global_" in line for line in header):
        return None
    overlay = OmegaConf.create(text) if text.strip() else OmegaConf.create({})
    if not isinstance(overlay, DictConfig) or "defaults" in overlay:
        return None
    return overlay
