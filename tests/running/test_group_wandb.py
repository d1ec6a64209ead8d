"""W&B runs of seeds trained together (repro.running.group_wandb): written after training,
so a W&B failure must cost a seed nothing but a warning. (What the runs hold, against a seed
alone's: tests/running/test_loggers.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from repro.running import loggers
from repro.running.together import run_together
from tests.running.test_together import configs


def test_a_wandb_failure_after_training_costs_the_seeds_only_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise OSError("disk quota exceeded")

    monkeypatch.setattr(loggers, "start_wandb_logger", broken)
    outcomes = run_together(
        configs(
            "mnist1d", "logistic", [0, 1], tmp_path / "r", "trainer.max_steps=20", logger="default"
        ),
        [["repro", "sweep"]] * 2,
    )
    assert [o.status for o in outcomes] == ["completed", "completed"]
    err = capsys.readouterr().err
    for seed, outcome in enumerate(outcomes):
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert record["status"] == "completed" and "wandb" not in record
        assert (outcome.record_dir / "csv" / "metrics.csv").is_file()
        assert (
            f"warning: W&B run of mnist1d/logistic/seed{seed} not written "
            "(OSError: disk quota exceeded); its record and CSV curves are" in err
        )


def test_seeds_without_wandb_in_their_logger_config_write_no_run(tmp_path: Path) -> None:
    outcomes = run_together(
        configs("mnist1d", "logistic", [0, 1], tmp_path / "r", "trainer.max_steps=20"),
        [["repro", "sweep"]] * 2,
    )
    for outcome in outcomes:
        assert outcome.status == "completed"
        assert not (outcome.record_dir / "wandb").exists()
        assert "wandb" not in json.loads((outcome.record_dir / "record.json").read_text())


def test_a_seed_that_fails_alone_in_its_group_has_its_wandb_run_too(tmp_path: Path) -> None:
    """As a seed alone whose loss turns NaN keeps the W&B run of what it trained."""
    from tests.running.test_together import NAN_MODULE, toy_paper_with_module

    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, NAN_MODULE, "NanForOneSeed")
    outcomes = run_together(
        configs("toy", "small", list(range(4)), tmp_path / "r", papers=[plugins], logger="default"),
        [["repro", "sweep"]] * 4,
    )
    statuses = {o.status for o in outcomes}
    assert statuses == {"failed", "completed"}, statuses
    for outcome in outcomes:
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert (outcome.record_dir / record["wandb"]["dir"]).is_dir(), record["status"]
