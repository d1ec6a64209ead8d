"""Training curves from the runs' CSV logs (`<record>/csv/metrics.csv`): mean and spread over
seeds at each logged step, per experiment and metric.

Read with the csv module, not pandas: a report may cover thousands of runs, and a plain loop
over small files is several times faster than one DataFrame per file.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

CSV_LOG = Path("csv") / "metrics.csv"
AXIS_COLUMNS = ("epoch", "step")
MAX_RUNS = 200
"""Curves average the first this many runs of an experiment (in the order given): the mean and
band of 200 seeds are as good as of thousands, and reading stays bounded."""


@dataclass(frozen=True)
class Curve:
    """One metric of one experiment over training steps: mean ± 1 std over seeds."""

    experiment: str
    metric: str
    steps: tuple[float, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]  # nan where only one seed logged that step
    runs: int  # runs whose log contributed
    of_runs: int  # runs of the experiment (more than `runs` when capped or logs are missing)
    non_finite: int = 0  # logged values left out as NaN or inf (a diverged run's loss)
    non_finite_runs: int = 0  # the runs that logged them


def non_finite_notes(curves: list[Curve]) -> list[str]:
    """One sentence per curve that left values out: a mean drawn without a diverged seed's
    NaN losses looks like a smooth run, so the report must say they were there."""
    return [
        f"{c.experiment} {c.metric}: {c.non_finite:,} non-finite value"
        f"{'s' if c.non_finite != 1 else ''} (NaN or inf) left out, in {c.non_finite_runs:,} "
        f"of {c.of_runs:,} run{'s' if c.of_runs != 1 else ''}; "
        + (
            "the curve there is the mean of the other seeds' values."
            if c.steps
            else "no value is finite, so no curve is drawn."  # not drawn (build.py)
        )
        for c in curves
        if c.non_finite
    ]


def read_log(path: Path, non_finite: dict[str, int] | None = None) -> dict[str, dict[float, float]]:
    """metric -> {step: value} of one Lightning CSV log; empty if absent or unreadable. A NaN
    or inf value is left out, counted per metric in `non_finite` when given."""
    series: dict[str, dict[float, float]] = defaultdict(dict)
    try:
        with open(path, newline="", encoding="utf-8") as stream:
            reader = csv.reader(stream)
            header = next(reader, None)
            if not header or "step" not in header:
                return {}
            step_at = header.index("step")
            columns = [(i, name) for i, name in enumerate(header) if name not in AXIS_COLUMNS]
            for row in reader:
                if len(row) != len(header) or not row[step_at]:
                    continue
                step = float(row[step_at])
                for i, name in columns:
                    if row[i]:
                        value = float(row[i])
                        if math.isfinite(value):
                            series[name][step] = value
                        elif non_finite is not None:
                            non_finite[name] = non_finite.get(name, 0) + 1
    except (OSError, ValueError, UnicodeDecodeError, csv.Error):
        return {}
    return dict(series)


def training_curves(record_dirs: dict[str, list[Path]], max_runs: int = MAX_RUNS) -> list[Curve]:
    """Curves of every metric logged at 2 or more steps in some experiment, per experiment (in
    the given order), from the first `max_runs` record folders of each. An experiment whose
    runs logged such a metric once (a short run validated once) keeps its one point, so it
    does not vanish from the panel; a metric logged once everywhere (test/...) is no curve. A
    metric every run logged only as NaN is a curve with no steps, kept so the report says so."""
    curves = []
    for experiment, all_folders in record_dirs.items():
        folders = all_folders[:max_runs]
        by_metric: dict[str, dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
        runs_by_metric: dict[str, int] = defaultdict(int)
        dropped: dict[str, int] = defaultdict(int)  # non-finite values, per metric
        dropped_runs: dict[str, int] = defaultdict(int)
        for folder in folders:
            non_finite: dict[str, int] = {}
            for metric, points in read_log(Path(folder) / CSV_LOG, non_finite).items():
                runs_by_metric[metric] += 1
                for step, value in points.items():
                    by_metric[metric][step].append(value)
            for metric, count in non_finite.items():
                dropped[metric] += count
                dropped_runs[metric] += 1
        for metric in sorted(set(by_metric) | set(dropped)):  # NaN at every step: no points
            points = by_metric[metric]
            steps = tuple(sorted(points))
            means, stds = [], []
            for step in steps:
                values = points[step]
                mean = math.fsum(values) / len(values)
                means.append(mean)
                if len(values) > 1:
                    var = math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)
                    stds.append(math.sqrt(var))
                else:
                    stds.append(math.nan)
            curves.append(
                Curve(
                    experiment,
                    metric,
                    steps,
                    tuple(means),
                    tuple(stds),
                    runs_by_metric[metric],
                    len(all_folders),
                    dropped[metric],
                    dropped_runs[metric],
                )
            )
    curve_metrics = {c.metric for c in curves if len(c.steps) + c.non_finite >= 2}
    return [c for c in curves if c.metric in curve_metrics]
