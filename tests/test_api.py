"""`import repro` from Python: what the functions return (typed numbers, not display text)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import repro
from tests.reporting.test_report import CNN, write_run


def test_report_returns_numbers_not_display_text(tmp_path: Path) -> None:
    """Issue 22.10: ci was '[-2.526, 1.538]', delta 'margin -0.406', plus emoji and css."""
    results = tmp_path / "results"
    for seed in range(5):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
    frame = repro.report("mnist1d", out=tmp_path / "out", results=results)
    row = frame.set_index("claim").loc["cnn_acc"]
    for column in ("mean", "std", "ci_low", "ci_high", "claimed", "tolerance", "delta"):
        assert pd.api.types.is_float_dtype(frame[column]), column
    assert row["n"] == 5 and pd.api.types.is_integer_dtype(frame["n"])
    assert abs(row["mean"] - sum(CNN) / 5) < 1e-12
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    assert row["claimed"] == 0.94 and row["tolerance"] == 0.03
    assert row["verdict"] == "reproduced" and bool(row["counted"])
    assert not {"emoji", "css", "symbol"} & set(frame.columns)
    not_run = frame.set_index("claim").loc["gru_acc"]
    assert not_run["n"] == 0 and pd.isna(not_run["mean"]) and not_run["verdict"] == "not run"
    assert frame.attrs["overall"]
