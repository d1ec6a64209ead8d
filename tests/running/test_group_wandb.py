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
            "(OSError: disk quota exceeded); its record is kept" in err
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


@pytest.mark.parametrize(("logger", "csv"), [("none", False), ("wandb", False), ("csv", True)])
def test_seeds_together_keep_the_curves_their_logger_config_asks_for(
    tmp_path: Path, logger: str, csv: bool
) -> None:
    """As a seed alone: a CSV log only with the CSV logger, a W&B run only with W&B."""
    outcomes = run_together(
        configs(
            "mnist1d", "logistic", [0, 1], tmp_path / "r", "trainer.max_steps=20", logger=logger
        ),
        [["repro", "sweep"]] * 2,
    )
    for outcome in outcomes:
        assert outcome.status == "completed"
        assert (outcome.record_dir / "csv" / "metrics.csv").is_file() == csv
        assert (outcome.record_dir / "wandb").is_dir() == (logger == "wandb")


def test_wandb_settings_that_cannot_start_stop_the_seeds_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A group writes W&B only once trained: a bad W&B setting is found first, and each seed
    then meets it at its start, as it does alone (before: the group trained, then warned)."""
    outcomes = run_together(
        configs(
            "mnist1d",
            "logistic",
            [0, 1],
            tmp_path / "r",
            "trainer.max_steps=20",
            "logger.wandb.project=a/b",
            logger="default",
        ),
        [["repro", "sweep"]] * 2,
    )
    out = capsys.readouterr().out
    assert "seeds together: off for mnist1d/logistic: W&B would not start (UsageError: " in out
    assert "Invalid project name 'a/b'" in out
    for outcome in outcomes:
        assert outcome.status == "failed" and "Invalid project name" in outcome.error
        assert "together" not in json.loads((outcome.record_dir / "record.json").read_text())


def test_a_group_killed_while_writing_its_wandb_runs_leaves_no_second_run(tmp_path: Path) -> None:
    """kill -9 after seed 0's W&B run was written, before its record named it (seed 1's not
    yet written): the group's next attempt removes that run, which no record names, and
    writes its own, so no seed is in its W&B group twice."""
    import shutil

    from repro.running.loggers import WANDB_FOLDER

    results = tmp_path / "r"

    def train() -> list:
        return run_together(
            configs(
                "mnist1d", "logistic", [0, 1], results, "trainer.max_steps=20", logger="default"
            ),
            [["repro", "sweep"]] * 2,
        )

    for seed, outcome in enumerate(train()):  # then as the kill left them: running, unnamed
        record_file = outcome.record_dir / "record.json"
        record = json.loads(record_file.read_text())
        assert record["wandb"]["run_id"].endswith("-a1")
        record.pop("wandb")
        record.update(status="running", metrics={})
        record_file.write_text(json.dumps(record))
        if seed == 1:
            shutil.rmtree(outcome.record_dir / WANDB_FOLDER)
    for outcome in train():
        assert outcome.status == "completed"
        record = json.loads((outcome.record_dir / "record.json").read_text())
        assert record["together"]["seeds"] == [0, 1] and record["wandb"]["run_id"].endswith("-a2")
        runs = [p.name for p in (outcome.record_dir / WANDB_FOLDER).glob("offline-run-*")]
        assert len(runs) == 1 and runs[0].endswith(record["wandb"]["run_id"]), runs
