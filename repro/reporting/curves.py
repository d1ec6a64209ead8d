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


def read_log(path: Path) -> dict[str, dict[float, float]]:
    """metric -> {step: value} of one Lightning CSV log; empty if absent or unreadable."""
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
    except (OSError, ValueError, UnicodeDecodeError, csv.Error):
        return {}
    return dict(series)


def training_curves(record_dirs: dict[str, list[Path]], max_runs: int = MAX_RUNS) -> list[Curve]:
    """Curves of every metric logged at 2 or more steps in some experiment, per experiment (in
    the given order), from the first `max_runs` record folders of each. An experiment whose
    runs logged such a metric once (a short run validated once) keeps its one point, so it
    does not vanish from the panel; a metric logged once everywhere (test/...) is no curve."""
    curves = []
    for experiment, all_folders in record_dirs.items():
        folders = all_folders[:max_runs]
        by_metric: dict[str, dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
        runs_by_metric: dict[str, int] = defaultdict(int)
        for folder in folders:
            for metric, points in read_log(Path(folder) / CSV_LOG).items():
                runs_by_metric[metric] += 1
                for step, value in points.items():
                    by_metric[metric][step].append(value)
        for metric in sorted(by_metric):
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
                )
            )
    curve_metrics = {c.metric for c in curves if len(c.steps) >= 2}
    return [c for c in curves if c.metric in curve_metrics]
