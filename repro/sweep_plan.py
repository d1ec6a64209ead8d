"""What a sweep must run: the grid of experiments × seeds × user values, and what is done.

Planning composes each setting once (seeds only change the record's last folder), maps it to
its record folder, and groups the missing runs into as few Hydra multiruns as possible.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from repro import store
from repro.errors import UsageError
from repro.paper_spec import PaperSpec

TO_RUN = "to run"
DONE = "done"


@dataclass(frozen=True)
class PlannedRun:
    experiment: str
    seed: int
    fixed: tuple[str, ...]  # the other overrides of this grid point, `key=value`
    record_dir: Path
    state: str  # "to run", "done", or "redo (failed)" / "redo (interrupted)" ...
    max_steps: int | None = None

    @property
    def needs_training(self) -> bool:
        return self.state != DONE


@dataclass
class SweepGrid:
    experiments: list[str]
    seeds: list[int]
    fixed_variants: list[tuple[str, ...]] = field(default_factory=lambda: [()])


def _values(override: str) -> tuple[str, list[str]]:
    from repro.overrides import sweep_values

    key, _, raw = override.partition("=")
    return key, sweep_values(raw)


def build_grid(spec: PaperSpec, overrides: list[str], seeds: int | None) -> SweepGrid:
    """Experiments (given, else those the claims need), seeds (given, else `seeds` or the
    paper's default), and the cartesian product of every other swept key."""
    experiments: list[str] = []
    seed_values: list[int] = []
    axes: list[list[str]] = []
    for override in overrides:
        key, values = _values(override)
        name = key.lstrip("+~")
        if name == "experiment":
            experiments = values
        elif name == "seed":
            try:
                seed_values = [int(v) for v in values]
            except ValueError:
                raise UsageError(f"seed must be integers, got {override!r}") from None
        elif name != "paper":
            axes.append([f"{key}={v}" for v in values])
    if not experiments:
        experiments = spec.claimed_experiments() or list(spec.experiments)
    unknown = [e for e in experiments if e not in spec.experiments]
    if unknown:
        known = ", ".join(spec.experiments)
        raise UsageError(
            f"unknown experiment {unknown[0]!r} for paper {spec.id!r} (known: {known})"
        )
    if not seed_values:
        count = seeds if seeds is not None else spec.default_seeds
        if count < 1:
            raise UsageError(f"seeds must be >= 1, got {count}")
        seed_values = list(range(count))
    return SweepGrid(experiments, seed_values, [tuple(v) for v in itertools.product(*axes)])


def _state_of(record_dir: Path) -> str:
    try:
        record = store.read_record(record_dir)
    except (OSError, ValueError):
        return "redo (corrupt record)"
    if record is None:
        return TO_RUN
    status = record.get("status")
    return DONE if status == store.STATUS_COMPLETED else f"redo ({status})"


def plan_sweep(
    paper_id: str, plugin_overrides: list[str], grid: SweepGrid
) -> tuple[list[PlannedRun], Path]:
    """Every run of the grid with its record folder and state; also the results folder."""
    from repro.compose import compose_run_config, hydra_compose_session

    planned: list[PlannedRun] = []
    results_dir = Path("results")
    with hydra_compose_session():
        for fixed in grid.fixed_variants:
            for experiment in grid.experiments:
                overrides = [f"paper={paper_id}", *fixed, *plugin_overrides]
                config = compose_run_config(overrides, experiment)
                results_dir = Path(config["paths"]["results_dir"]).resolve()
                max_steps = config.get("trainer", {}).get("max_steps")
                for seed in grid.seeds:
                    folder = store.run_dir(results_dir, {**config, "seed": seed})
                    planned.append(
                        PlannedRun(
                            experiment,
                            seed,
                            fixed,
                            folder,
                            _state_of(folder),
                            max_steps if isinstance(max_steps, int) and max_steps > 0 else None,
                        )
                    )
    return planned, results_dir


def multirun_batches(planned: list[PlannedRun]) -> list[list[str]]:
    """Overrides of each Hydra multirun that together cover exactly the runs to train.

    Runs sharing their other overrides and their set of missing seeds become one cartesian
    multirun `experiment=a,b seed=0,1,2`, so a fresh sweep is a single multirun.
    """
    missing: dict[tuple[tuple[str, ...], str], list[int]] = defaultdict(list)
    for run in planned:
        if run.needs_training:
            missing[(run.fixed, run.experiment)].append(run.seed)
    groups: dict[tuple[tuple[str, ...], tuple[int, ...]], list[str]] = defaultdict(list)
    for (fixed, experiment), seeds in missing.items():
        groups[(fixed, tuple(sorted(seeds)))].append(experiment)
    return [
        [*fixed, f"experiment={','.join(experiments)}", f"seed={','.join(map(str, seeds))}"]
        for (fixed, seeds), experiments in groups.items()
    ]
