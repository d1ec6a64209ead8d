"""`repro check`: validate plugins without real training.

Each experiment gets a fast debug run (a few steps, no loggers, a throwaway results folder),
and every metric the paper's claims name must come out of it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repro.errors import ReproError, UsageError, metric_hint
from repro.plugins.registry import PaperPlugin, load_object
from repro.wording import plural

FAST_OVERRIDES = ("debug=fast", "logger=none", "checkpoint.enabled=false", "rerun=true")


@dataclass(frozen=True)
class CheckResult:
    paper: str
    subject: str  # "paper.yaml", "code" or an experiment name
    ok: bool
    detail: str


def check_paper(plugin: PaperPlugin) -> list[CheckResult]:
    """Every problem of one plugin, one row per subject; never raises for plugin faults."""
    try:
        spec = plugin.spec()
    except ReproError as error:
        return [CheckResult(plugin.id, "paper.yaml", False, str(error))]
    counts = f"{plural(len(spec.experiments), 'experiment')}, {plural(len(spec.claims), 'claim')}"
    unlisted = _unlisted_experiment_files(plugin.folder, spec)
    results = [CheckResult(plugin.id, "paper.yaml", not unlisted, "; ".join([counts, *unlisted]))]
    code = _built_code(plugin, spec)
    if not code.ok:
        return [*results, code]
    return [*results, code, *_location_rows(plugin, spec), *_fast_runs(plugin, spec)]


def _unlisted_experiment_files(folder: Path, spec) -> list[str]:
    """experiment/<name>.yaml files paper.yaml's experiments: does not name: no command can
    run them (`experiment=<name>` is refused as unknown), so one is a forgotten listing."""
    found = sorted((folder / "experiment").glob("*.yaml"))
    composed = _experiment_defaults(folder, spec)  # a shared base the experiments compose
    return [
        f"experiment/{path.name} is listed under no experiment: add `{path.stem}: "
        "<description>` to paper.yaml's experiments:, or remove the file"
        for path in found
        if path.is_file()
        and path.stem not in spec.experiments
        and f"experiment/{path.stem}" not in composed
    ]


def _experiment_defaults(folder: Path, spec) -> set[str]:
    """Config paths (`experiment/base`) the listed experiment files take in through Hydra's
    `defaults:`, and those files' own, as Hydra composes them: every form Hydra takes
    (`- base`, `- base@_here_`, `- /experiment/base`, `- optional /experiment@_here_: base`)
    and a base of a base."""
    import yaml

    seen: set[str] = set()
    todo = [f"experiment/{name}" for name in spec.experiments]
    while todo:
        config = todo.pop()
        if config in seen:
            continue
        seen.add(config)
        try:
            text = yaml.safe_load((folder / f"{config}.yaml").read_text())
        except (OSError, yaml.YAMLError):
            continue
        entries = text.get("defaults") if isinstance(text, dict) else None
        group = config.rpartition("/")[0]
        for entry in entries if isinstance(entries, list) else []:
            todo += _default_paths(entry, group)
    return seen


def _default_paths(entry: object, group: str) -> list[str]:
    """The config paths one `defaults:` entry of a config in `group` names: relative to that
    group unless it starts with `/`; a package (`@...`) and `optional`/`override` dropped."""
    if isinstance(entry, str):
        pairs = [("", entry)]
    elif isinstance(entry, dict):
        pairs = []
        for key, value in entry.items():
            words = str(key).split()
            path = words[-1].partition("@")[0] if words else ""
            options = value if isinstance(value, list) else [value]
            pairs += [(path, str(option)) for option in options if option is not None]
    else:
        return []
    paths = []
    for path, option in pairs:
        name = f"{path}/{option}" if path else option
        name = name.partition("@")[0].strip()
        if not name or name == "_self_":
            continue
        paths.append(name.lstrip("/") if name.startswith("/") else f"{group}/{name}")
    return paths


def _location_rows(plugin: PaperPlugin, spec) -> list[CheckResult]:
    """One row naming the plugin's keys the config hash leaves out as locations (`*_dir`):
    two runs differing only in one share a record folder, so such a key must say where
    something lives, never what is computed (docs/plugin-reference.md); none: no row."""
    from repro.config.paper_setting import default_containers
    from repro.records.store import location_keys

    try:
        configs = default_containers(plugin.folder, plugin.id, list(spec.experiments))
    except Exception:  # a config that does not compose: the fast runs say why
        return []
    rows = []
    keys = sorted({key for config in configs.values() for key in location_keys(config)})
    if keys:
        detail = (
            f"left out of the config hash as locations (keys ending _dir): {', '.join(keys)}; "
            "a key that changes what is computed must not end in _dir"
        )
        rows.append(CheckResult(plugin.id, "config hash", True, detail))
    placed = sorted({key for config in configs.values() for key in _hashed_locations(config)})
    if placed:
        one = len(placed) == 1
        detail = (
            f"{', '.join(placed)} {'holds' if one else 'hold'} a path in the data folder, yet "
            f"{'is' if one else 'are'} hashed: each machine's data folder (REPRO_DATA_DIR) "
            "would be another setting, whose runs a report elsewhere does not find; name a "
            "location key ..._dir"
        )
        rows.append(CheckResult(plugin.id, "config hash", False, detail))
    return rows


def _hashed_locations(config: dict) -> list[str]:
    """Dotted names of hashed keys (not `*_dir`, outside `paths` and the other sections the
    hash leaves out) whose text holds the data folder: a machine's path in the setting."""
    from repro.records.store import NON_RESULT_KEYS, is_location_key

    data_dir = str((config.get("paths") or {}).get("data_dir") or "")
    found: list[str] = []

    def walk(node: object, name: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if not is_location_key(key):
                    walk(value, f"{name}.{key}" if name else str(key))
        elif isinstance(node, list):
            for value in node:
                walk(value, name)
        elif isinstance(node, str) and _holds_folder(node, data_dir):
            found.append(name)

    walk({k: v for k, v in config.items() if k not in NON_RESULT_KEYS}, "")
    return found


def _holds_folder(text: str, folder: str) -> bool:
    """Whether `text` holds the path `folder` (or one below it) as a whole path: a relative
    data folder's name (`data`, `.`) inside a word (`metadata_v2`, `my.model`) is no path."""
    import re

    folder = folder.rstrip("/")
    if not folder:  # `/` itself: every absolute path would be one
        return False
    return re.search(rf"(?<![\w.~-]){re.escape(folder)}(?=/|$|[\s,;'\"])", text) is not None


def _built_code(plugin: PaperPlugin, spec) -> CheckResult:
    """Import AND construct the module and datamodule (first experiment's config): a typo in
    an `__init__` is a code fault, named by file and line, not a failed fast run."""
    from omegaconf import OmegaConf

    from repro.config.app import plugin_overrides
    from repro.config.checks import config_problems, mandatory_unset, unset_problems
    from repro.config.compose import compose_config, hydra_compose_session, resolved_config
    from repro.config.overrides import path_override
    from repro.running.training import build_module_and_data

    try:
        load_object(plugin, spec.module)
        load_object(plugin, spec.datamodule, "datamodule")
        experiment = next(iter(spec.experiments))
        with tempfile.TemporaryDirectory(prefix="repro-check-") as scratch:
            overrides = [
                f"paper={plugin.id}",
                *plugin_overrides(plugin.folder),
                *FAST_OVERRIDES,
                *spec.check_overrides,
                path_override("paths.results_dir", Path(scratch)),
            ]
            with hydra_compose_session():
                cfg = compose_config([*overrides, f"experiment={experiment}"])
            unset = mandatory_unset(OmegaConf.to_container(cfg, resolve=False))
            if unset:  # as `repro run` names it, not as OmegaConf's resolver raises it
                return CheckResult(plugin.id, "code", False, "; ".join(unset_problems(unset)))
            config = resolved_config(cfg, experiment)
            # a settings.yaml key the constructors refuse: named with its fix, as `repro run`
            # names it, not as the TypeError building them would raise
            problems = config_problems(config, plugin, spec, recorded=False)  # no record
            if problems:
                return CheckResult(plugin.id, "code", False, "; ".join(problems))
            build_module_and_data(config, plugin, spec)
    except Exception as error:  # any fault of the plugin's code or YAML files, as one line
        return CheckResult(plugin.id, "code", False, _one_line(error, plugin))
    return CheckResult(
        plugin.id, "code", True, f"{spec.module}, {spec.datamodule} built ({experiment})"
    )


def _fast_runs(plugin: PaperPlugin, spec) -> list[CheckResult]:
    from repro.config.app import plugin_overrides
    from repro.config.checks import problems_of
    from repro.config.compose import compose_config, hydra_compose_session, resolved_config
    from repro.config.overrides import path_override
    from repro.running.runner import run_one

    rows = []
    with tempfile.TemporaryDirectory(prefix="repro-check-") as scratch:
        paper = [
            f"paper={plugin.id}",
            *plugin_overrides(plugin.folder),
            path_override("paths.results_dir", Path(scratch)),
        ]
        overrides = [*paper, *FAST_OVERRIDES, *spec.check_overrides]
        for experiment in spec.experiments:
            needed = sorted({c.metric for c in spec.claims if experiment in c.experiments()})
            try:
                with hydra_compose_session():
                    cfg = compose_config([*overrides, f"experiment={experiment}"])
                    own = compose_config([*paper, f"experiment={experiment}"])
                # a value `repro run` refuses (no step bound, a bad seed) that the fast run's
                # own overrides (5 steps) replace would otherwise pass here
                problems = _value_problems(own, experiment, cfg)
                # keys nothing reads; the fast run keeps no record (fp16 on a CPU is no lie)
                problems = problems or problems_of(cfg, experiment, plugin, spec, recorded=False)
                if problems:
                    rows.append(CheckResult(plugin.id, experiment, False, "; ".join(problems)))
                    continue
                config = resolved_config(cfg, experiment)
                outcome = run_one(config, command=["repro", "check", plugin.id])
            except Exception as error:  # a malformed experiment file: this row, not the table
                rows.append(CheckResult(plugin.id, experiment, False, _one_line(error, plugin)))
                continue
            if outcome.status != "completed":
                rows.append(CheckResult(plugin.id, experiment, False, outcome.error or "failed"))
                continue
            missing = [m for m in needed if m not in outcome.metrics]
            detail = (
                (
                    f"claims need {', '.join(missing)} but the run logged only "
                    f"{', '.join(sorted(outcome.metrics)) or 'nothing'}"
                    + "".join(metric_hint(m, outcome.metrics) for m in missing)
                )
                if missing
                else f"fast run logged {', '.join(needed)}"
                if needed
                else "fast run completed (no claim on this experiment)"
            )
            rows.append(CheckResult(plugin.id, experiment, not missing, detail))
    return rows


def _value_problems(cfg: Any, experiment: str, fast: Any) -> list[str]:
    """`check_values` of the experiment's own config, as `repro run` checks it first. A
    mandatory value (`???`) is taken from the fast run's config `fast` (check_overrides give
    it, as a user gives it to `repro run`); one nothing gives is named by `problems_of`."""
    from omegaconf import OmegaConf

    from repro.config.checks import check_values, mandatory_unset
    from repro.config.compose import resolved_config

    OmegaConf.set_struct(cfg, False)
    cfg.experiment_name = experiment  # Hydra's runtime choices exist only under @hydra.main
    for key in mandatory_unset(OmegaConf.to_container(cfg, resolve=False)):
        given = OmegaConf.select(fast, key, default="???", throw_on_missing=False)
        if given == "???":  # resolving would raise OmegaConf's own error about it
            return []
        OmegaConf.update(cfg, key, given, force_add=True)
    try:
        check_values(resolved_config(cfg, experiment))  # a bad `${...}`: one line, named
    except UsageError as error:
        return [str(error)]
    return []


def _one_line(error: Exception, plugin: PaperPlugin) -> str:
    """A row's detail: a YAML file's fault by file and line, else the plugin's code's fault
    by file and line (PyYAML's own text spans several lines and names no fix)."""
    from repro.config.compose import malformed_yaml
    from repro.plugins.failures import failure_message

    return malformed_yaml(error) or failure_message(error, plugin.folder)
