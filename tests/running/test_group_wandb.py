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


@pytest.mark.parametrize(
    ("setting", "why"),
    [
        ("logger.wandb.project=a/b", "UsageError: Invalid project name 'a/b'"),
        ("+logger.wandb.foo=1", "wandb.init() takes no foo"),
        ("+logger.wandb.group=g", "got multiple values for keyword argument 'group'"),
        ("+logger.wandb.settings={foo: 1}", "ValidationError"),
        ("logger.wandb.mode=shared", "W&B mode is shared but no API key is configured"),
    ],
)
def test_wandb_settings_that_cannot_start_stop_the_seeds_before_training(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    why: str,
) -> None:
    """A group writes W&B only once trained: a W&B setting a seed alone could not start
    with is found first, and each seed then meets it at its start, as it does alone (before:
    the group trained, then warned, and exited 0)."""
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc key
    outcomes = run_together(
        configs(
            "mnist1d",
            "logistic",
            [0, 1],
            tmp_path / "r",
            "trainer.max_steps=20",
            setting,
            logger="default",
        ),
        [["repro", "sweep"]] * 2,
    )
    out = capsys.readouterr().out
    assert "seeds together: off for mnist1d/logistic: W&B would not start (" in out
    assert why in out
    for outcome in outcomes:
        assert outcome.status == "failed", outcome
        assert "together" not in json.loads((outcome.record_dir / "record.json").read_text())


TAGGED_MODULE = """

class TaggedModule(ToyModule):
    def __init__(self, features, explode=False, optimizer=None, tag="model"):
        super().__init__(features, explode, optimizer)
        self.save_hyperparameters()
"""

TAGGED_DATA = """

class TaggedData(ToyData):
    def __init__(self, features, samples, tag="data"):
        super().__init__(features, samples)
        self.save_hyperparameters()
"""


@pytest.mark.parametrize("logger", ["csv", "default"])
def test_hyperparameters_lightning_cannot_merge_fail_each_seed_as_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], logger: str
) -> None:
    """Module and data module save `tag` with two values: Lightning fails a seed alone (with
    any logger), and repro names the clash before it does; the group found it and trained
    nothing, and each seed fails as alone."""
    from tests.running.test_seed_group import toy_paper

    plugins = toy_paper(tmp_path / "p", TAGGED_MODULE, "TaggedModule", TAGGED_DATA, "TaggedData")
    outcomes = run_together(
        configs("toy", "small", [0, 1], tmp_path / "r", papers=[plugins], logger=logger),
        [["repro", "sweep"]] * 2,
    )
    clash = "the module and the data module both save 'tag' with save_hyperparameters()"
    out = capsys.readouterr().out
    assert "seeds together: off for toy/small: the seeds could not be built together" in out
    assert clash in out
    for outcome in outcomes:
        assert outcome.status == "failed" and clash in outcome.error


def test_a_group_rerun_without_csv_leaves_no_stale_rerun_curves(tmp_path: Path) -> None:
    """A stopped rerun's csv-rerun/ is an earlier attempt's: a rerun that logs no CSV must
    not make it the run's curves (a seed alone removes it as its loggers start)."""
    results = tmp_path / "r"
    first = run_together(
        configs("mnist1d", "logistic", [0, 1], results, "trainer.max_steps=20"), [["r"]] * 2
    )
    stale = first[0].record_dir / "csv-rerun"
    stale.mkdir()
    (stale / "metrics.csv").write_text("epoch,step,train/loss\n0,0,999\n")
    again = run_together(
        configs(
            "mnist1d",
            "logistic",
            [0, 1],
            results,
            "trainer.max_steps=20",
            "rerun=true",
            logger="none",
        ),
        [["r"]] * 2,
    )
    assert [o.status for o in again] == ["completed", "completed"]
    assert not stale.exists()
    curves = again[0].record_dir / "csv" / "metrics.csv"
    assert not curves.exists() or "999" not in curves.read_text()


def test_a_long_wandb_error_s_warning_is_bounded_but_keeps_its_cause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The warning cut the error at 160 characters: a long path first lost its cause."""
    from types import SimpleNamespace

    from repro.running.group_wandb import write_seed_run

    message = f"cannot write /{'deep/' * 60}metrics: No space left on device"

    def spec():
        raise OSError(message)

    config = {"paper": "toy", "experiment_name": "small", "seed": 0, "logger": {"wandb": {}}}
    attempt = SimpleNamespace(
        config=config, record={}, record_dir=tmp_path, plugin=SimpleNamespace(spec=spec)
    )
    assert write_seed_run(attempt, None, None, [], "success") is None
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("warning: W&B run of toy/small/seed0 not written (OSError: cannot"), line
    assert line.endswith("metrics: No space left on device); its record is kept"), line
    assert len(line) < 260, len(line)


def test_a_seeds_wandb_run_is_finished_only_once_its_completed_record_is_on_disk(
    tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each seed's W&B run was finished before its final weights were saved and its record
    written: a kill between left W&B saying `finished` beside a record still `running`, as a
    seed alone's did (tests/running/test_loggers.py)."""
    import wandb

    from tests.conftest import write_toy_paper

    folder = write_toy_paper(tmp_path / "plugins")
    results = tmp_path / "results"
    seen: list[tuple[object, list[str]]] = []
    real = wandb.finish

    def finish(*args: object, **kwargs: object) -> object:
        statuses = [
            json.loads(p.read_text())["status"] for p in sorted(results.rglob("record.json"))
        ]
        seen.append((kwargs.get("exit_code", args[0] if args else None), statuses))
        return real(*args, **kwargs)

    monkeypatch.setattr(wandb, "finish", finish)
    grouped = configs(
        "toy",
        "small",
        [0, 1],
        results,
        "trainer.max_steps=4",
        papers=[folder.parent],
        logger="wandb",
    )
    outcomes = run_together(grouped, [["repro", "sweep"]] * 2)
    assert [o.status for o in outcomes] == ["completed", "completed"]
    assert seen == [(0, ["completed", "running"]), (0, ["completed", "completed"])], seen
