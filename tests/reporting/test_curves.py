"""Training curves from CSV logs: which series are drawn."""

from __future__ import annotations

from pathlib import Path

from repro.reporting.curves import CSV_LOG, training_curves


def _log(folder: Path, rows: list[tuple[int, str, float]]) -> Path:
    path = folder / CSV_LOG
    path.parent.mkdir(parents=True)
    lines = ["epoch,step,train/loss,val/acc,test/acc"]
    for step, metric, value in rows:
        cells = {"train/loss": "", "val/acc": "", "test/acc": ""}
        cells[metric] = str(value)
        lines.append(f"0,{step},{cells['train/loss']},{cells['val/acc']},{cells['test/acc']}")
    path.write_text("\n".join(lines) + "\n")
    return folder


def test_a_series_with_one_point_is_kept_when_the_metric_is_a_curve_elsewhere(tmp_path):
    """A short run validated once (val/acc at one step) still appears next to a long run's
    val/acc curve; a metric logged once everywhere (test/acc) is no curve."""
    long_run = _log(
        tmp_path / "long", [(99, "val/acc", 0.8), (199, "val/acc", 0.9), (199, "test/acc", 0.9)]
    )
    short_run = _log(tmp_path / "short", [(99, "val/acc", 0.6), (99, "test/acc", 0.6)])
    curves = training_curves({"long": [long_run], "short": [short_run]})
    shown = {(c.experiment, c.metric): len(c.steps) for c in curves}
    assert shown == {("long", "val/acc"): 2, ("short", "val/acc"): 1}


def test_a_metric_nan_at_every_step_is_kept_with_no_steps_and_counted(tmp_path):
    """a loss NaN from the first step in every run vanished from the figure and
    the report without a word; it is now a curve with no steps that counts what was left out."""
    runs = [
        _log(
            tmp_path / f"seed{s}",
            [
                (99, "train/loss", float("nan")),
                (99, "val/acc", 0.5),
                (199, "train/loss", float("inf")),
                (199, "val/acc", 0.6),
            ],
        )
        for s in range(2)
    ]
    curves = {c.metric: c for c in training_curves({"mlp": runs})}
    assert curves["train/loss"].steps == () and curves["train/loss"].non_finite == 4
    assert curves["train/loss"].non_finite_runs == 2 and curves["val/acc"].non_finite == 0


def test_a_metric_nan_at_every_step_is_not_said_to_be_drawn(tmp_path):
    """A metric NaN at every step of every run has no curve (the report draws none), yet its
    note said `the curve there is the mean of the other seeds' values`: a curve that is not
    there, of seeds that logged nothing finite. It says no curve is drawn."""
    from repro.reporting.curves import non_finite_notes

    runs = [
        _log(tmp_path / f"seed{s}", [(99, "train/loss", float("nan")), (99, "val/acc", 0.5)])
        for s in range(2)
    ]
    (note,) = non_finite_notes(training_curves({"mlp": runs}))
    assert "mlp train/loss" in note and "the curve there" not in note, note
    assert "no curve" in note, note
