"""What a run keeps of what its module logged: every test dataloader, the last validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import repro, write_toy_paper

TWO_TEST_LOADERS = """
    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val/mse", nn.functional.mse_loss(self.net(x).squeeze(-1), y))

    def test_step(self, batch, batch_idx, dataloader_idx=0):
        x, y = batch
        name = "test/mse" if dataloader_idx == 0 else "test/shifted_mse"
        error = nn.functional.mse_loss(self.net(x).squeeze(-1), y + dataloader_idx)
        self.log(name, error, add_dataloader_idx=False)
"""
SECOND_LOADER = """
    def val_dataloader(self):
        return InMemoryBatches(self.x, self.y, 64)

    def test_dataloader(self):
        return [InMemoryBatches(self.x, self.y, 64), InMemoryBatches(self.x, self.y, 64)]
"""


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def with_two_test_dataloaders(folder: Path) -> Path:
    """The toy plugin with a validation loop and a second test dataloader."""
    model, data = folder / "model.py", folder / "data.py"
    start = model.read_text().index("    def test_step")
    end = model.read_text().index("    def configure_optimizers")
    _edit(model, model.read_text()[start:end], TWO_TEST_LOADERS.lstrip("\n") + "\n")
    start = data.read_text().index("    def test_dataloader")
    _edit(data, data.read_text()[start:], SECOND_LOADER.lstrip("\n"))
    return folder


def test_every_test_dataloader_and_the_last_validation_are_recorded(
    tmp_path: Path, isolated_env: Path
) -> None:
    with_two_test_dataloaders(write_toy_paper(tmp_path / "plugins"))
    done = repro(
        "run",
        "paper=toy",
        "experiment=small",
        "logger=none",
        env={"REPRO_PAPERS_PATH": str(tmp_path / "plugins")},
    )
    assert done.returncode == 0, done.stderr
    (record_file,) = isolated_env.rglob("record.json")
    metrics = json.loads(record_file.read_text())["metrics"]
    assert {"test/mse", "test/shifted_mse", "val/mse", "train/loss"} <= set(metrics), metrics
    assert metrics["test/shifted_mse"] > metrics["test/mse"]


def test_a_run_that_misses_a_claimed_metric_warns_once_naming_what_it_logged(
    tmp_path: Path,
) -> None:
    folder = write_toy_paper(tmp_path / "plugins")
    _edit(folder / "paper.yaml", "metric: test/mse", "metric: test/r2")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    done = repro("run", "paper=toy", "experiment=small", "logger=none", env=env)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: claim small_mse needs test/r2 but this run logged only test/mse, train/loss"
    ], done.stderr


def test_validation_counted_in_steps_across_epochs_as_lightning_counts_it(
    tmp_path: Path,
) -> None:
    """`check_val_every_n_epoch=null` is Lightning's way to count `val_check_interval` batches
    across epochs; it reached Lightning as its default (1), which refused the interval."""
    import csv

    from tests.conftest import run_signalling_paper, write_signalling_paper

    plugins = write_signalling_paper(tmp_path / "plugins")
    results = tmp_path / "results"
    done = run_signalling_paper(
        plugins,
        results,
        "trainer.max_steps=20",
        "trainer.val_check_interval=6",  # 4 batches an epoch: every 6 crosses epochs
        "trainer.check_val_every_n_epoch=null",
        logger="csv",
    )
    assert done.returncode == 0, done.stderr
    (log,) = results.rglob("metrics.csv")
    with log.open() as handle:
        validated = [int(row["step"]) for row in csv.DictReader(handle) if row.get("val/mse")]
    assert validated == [5, 11, 17]


STEP_ONLY_TEST_METRIC = """
    def test_step(self, batch, batch_idx):
        x, y = batch
        error = nn.functional.mse_loss(self.net(x).squeeze(-1), y)
        self.log("test/mse", error, on_step=True, on_epoch=False)
        self.log("test/both", error, on_step=True, on_epoch=True)
        self.log("test/mae", (self.net(x).squeeze(-1) - y).abs().mean())
"""


def test_a_test_metric_logged_per_batch_only_is_named_with_how_to_log_it(
    tmp_path: Path, isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`self.log(..., on_step=True, on_epoch=False)` in test_step vanished from the
    record without a word (Lightning's test results keep epoch values only); the claim then
    said only 'needs test/mse but this run logged only ...'. A last batch's value is not the
    test set's, so the record still leaves it out, and one warning says how to log it."""
    from tests.running.test_training_end import _run

    folder = write_toy_paper(tmp_path / "plugins")
    model = folder / "model.py"
    start = model.read_text().index("    def test_step")
    end = model.read_text().index("    def configure_optimizers")
    model.write_text(model.read_text().replace(model.read_text()[start:end], STEP_ONLY_TEST_METRIC))
    outcome = _run(folder, isolated_env)
    assert outcome.status == "completed", outcome.error
    assert {"test/mae", "test/both_epoch"} <= set(outcome.metrics)
    assert "test/mse" not in outcome.metrics
    warning = next(line for line in capsys.readouterr().err.splitlines() if "per batch" in line)
    assert warning.startswith("warning: test_step logged test/mse per batch only (on_step=True")
    assert "log test metrics with on_epoch=True" in warning


def test_step_only_test_metrics_across_dataloaders() -> None:
    from repro.running.training import step_only_test_metrics

    tested = [
        {"a/dataloader_idx_0": 1.0, "b_epoch/dataloader_idx_0": 1.0},
        {"a/dataloader_idx_1": 1},
    ]
    logged = {
        k: 1.0 for k in ("a/dataloader_idx_0", "b_step/dataloader_idx_0", "c/dataloader_idx_1")
    }
    assert step_only_test_metrics(logged, tested) == ["c/dataloader_idx_1"]


def test_a_test_limit_of_no_batches_is_refused_before_training(
    tmp_path: Path, isolated_env: Path
) -> None:
    """`limit_test_batches=0.01` of a one-batch test set is no test batch: Lightning refused it
    only as the test began, after the whole training had run (its time lost)."""
    write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    done = repro(
        "run", "paper=toy", "experiment=small", "logger=csv", "trainer.limit_test_batches=0.01",
        env=env,
    )  # fmt: skip
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "trainer.limit_test_batches=0.01" in errors[0], done.stderr
    assert "1 test batch" in errors[0], errors
    assert not list(isolated_env.rglob("metrics.csv")), "it trained before being refused"


def test_a_run_refused_at_fit_start_leaves_nothing_behind(
    tmp_path: Path, isolated_env: Path
) -> None:
    """The refusal of a fraction of no test batch comes at fit start, after the run's
    `running` record, its config and its W&B run were written: a run that never started
    left a `failed` record (a sweep's table and `repro report` counted it) and an offline
    W&B run for `repro sync` to upload."""
    write_toy_paper(tmp_path / "plugins")
    done = repro(
        "run", "paper=toy", "experiment=small", "logger=wandb", "trainer.limit_test_batches=0.01",
        env={"REPRO_PAPERS_PATH": str(tmp_path / "plugins")},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "trainer.limit_test_batches=0.01" in errors[0], done.stderr
    assert "(record: " not in errors[0]
    (folder,) = {p.parent for p in isolated_env.rglob(".lock")}
    assert sorted(p.name for p in folder.iterdir()) == [".lock"]
    assert not list(tmp_path.rglob("*.wandb")), "a W&B run of a run that never started"


CONVENTIONAL_DATA = """

class ConventionalData(ToyData):
    \"\"\"Lightning's order: prepare_data writes the data that setup reads, and the test set
    is scaled by what setup('fit') measured of the training set.\"\"\"

    def __init__(self, features, samples, folder):
        super().__init__(features, samples)
        self.file = folder + "/data.pt"

    def prepare_data(self):
        torch.save((self.x, self.y), self.file)

    def setup(self, stage=None):
        self.x, self.y = torch.load(self.file)
        if stage == "fit":
            self.scale = self.x.std()
        if stage == "test":
            self.test_x = self.x / self.scale * self.scale

    def test_dataloader(self):
        return InMemoryBatches(self.test_x, self.y, 64)
"""


def conventional_paper(plugins: Path) -> Path:
    """The toy paper whose data module is `CONVENTIONAL_DATA`'s."""
    folder = write_toy_paper(plugins)
    (folder / "data.py").write_text((folder / "data.py").read_text() + CONVENTIONAL_DATA)
    _edit(folder / "paper.yaml", "data:ToyData", "data:ConventionalData")
    return folder


def test_a_test_limit_fraction_leaves_lightnings_order_of_data_hooks(
    tmp_path: Path, isolated_env: Path
) -> None:
    """The early look at the test loader (for a fraction of no batch) called setup('test')
    before prepare_data and setup('fit'), failing a data module that follows Lightning's
    order with `limit_test_batches=0.5` (FileNotFoundError, AttributeError) before training."""
    conventional_paper(tmp_path / "plugins")
    (tmp_path / "data").mkdir()
    done = repro(
        "run", "paper=toy", "experiment=small", "logger=none", "data.samples=256",
        f"+data.folder={tmp_path / 'data'}", "trainer.limit_test_batches=0.5",
        env={"REPRO_PAPERS_PATH": str(tmp_path / "plugins")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (record_file,) = isolated_env.rglob("record.json")
    assert "test/mse" in json.loads(record_file.read_text())["metrics"]


COUNTED_DATA = """

class CountedData(ToyData):
    \"\"\"Writes a line to `log` each time setup('test') builds the test data.\"\"\"

    def __init__(self, features, samples, log):
        super().__init__(features, samples)
        self.log = log

    def setup(self, stage=None):
        if stage == "test":
            with open(self.log, "a") as f:
                f.write("built\\n")
"""


@pytest.mark.parametrize("limit", ["trainer.limit_test_batches=0.5", "trainer.max_steps=20"])
def test_a_test_limit_fraction_builds_the_test_data_once(
    tmp_path: Path, isolated_env: Path, limit: str
) -> None:
    """The early look at the test loader (for a fraction of no batch) ran setup('test'),
    and Lightning ran it again for the test: a data module that builds its test set there
    built it twice (its time, or its memory, spent twice). The look for a test loader of
    None (every run, at fit start) builds it once too."""
    folder = write_toy_paper(tmp_path / "plugins")
    (folder / "data.py").write_text((folder / "data.py").read_text() + COUNTED_DATA)
    _edit(folder / "paper.yaml", "data:ToyData", "data:CountedData")
    log = tmp_path / "built.txt"
    done = repro(
        "run", "paper=toy", "experiment=small", "logger=none", "data.samples=256",
        f"+data.log={log}", limit,
        env={"REPRO_PAPERS_PATH": str(tmp_path / "plugins")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == ["built"]


RELEASED_DATA = """

class ReleasedData(ToyData):
    \"\"\"Holds its test set from setup('test') to teardown, which releases every set (as a
    data module that opens a file in setup and closes it in teardown).\"\"\"

    def setup(self, stage=None):
        if stage == "test":
            self.test_x = self.x

    def teardown(self, stage=None):
        self.test_x = None

    def test_dataloader(self):
        return InMemoryBatches(self.test_x, self.y, 64)
"""


def test_a_test_limit_fraction_sets_up_the_test_again_after_a_teardown(
    tmp_path: Path, isolated_env: Path
) -> None:
    """The early look's setup('test') stood for Lightning's next one even where the data
    module's own teardown (Lightning's, as the fit ends) released what it set up: the test
    then found no test set, a run that trains and tests with the fraction's absence failing
    with it. A data module with its own teardown is set up for the test again."""
    folder = write_toy_paper(tmp_path / "plugins")
    (folder / "data.py").write_text((folder / "data.py").read_text() + RELEASED_DATA)
    _edit(folder / "paper.yaml", "data:ToyData", "data:ReleasedData")
    done = repro(
        "run", "paper=toy", "experiment=small", "logger=none", "data.samples=256",
        "trainer.limit_test_batches=0.5",
        env={"REPRO_PAPERS_PATH": str(tmp_path / "plugins")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (record_file,) = isolated_env.rglob("record.json")
    assert "test/mse" in json.loads(record_file.read_text())["metrics"]


def test_a_validation_limit_of_no_batches_is_refused_before_training(
    tmp_path: Path, isolated_env: Path
) -> None:
    """`limit_val_batches=0.5` of a one-batch validation set: Lightning refused it only at the
    first validation (a MisconfigurationException after an epoch, or check_val_every_n_epoch
    of them, of training), where seeds trained together validated one batch."""
    with_two_test_dataloaders(write_toy_paper(tmp_path / "plugins"))
    done = repro(
        "run", "paper=toy", "experiment=small", "logger=csv", "trainer.limit_val_batches=0.5",
        env={"REPRO_PAPERS_PATH": str(tmp_path / "plugins")},
    )  # fmt: skip
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith("error: trainer.limit_val_batches=0.5: no batch of the 1 ")
    assert "limit_val_batches=0 for no validation" in errors[0]
    assert not list(isolated_env.rglob("metrics.csv")), "it trained before being refused"


def test_a_validation_limit_overfit_batches_replaces_is_not_refused(
    tmp_path: Path, isolated_env: Path
) -> None:
    """Under `overfit_batches` Lightning validates that many training batches, whatever
    `limit_val_batches` says: a fraction of no validation batch is then no problem."""
    with_two_test_dataloaders(write_toy_paper(tmp_path / "plugins"))
    done = repro(
        "run", "paper=toy", "experiment=small", "logger=none", "trainer.limit_val_batches=0.5",
        "+trainer.overfit_batches=2", "trainer.max_steps=4",
        env={"REPRO_PAPERS_PATH": str(tmp_path / "plugins")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


OVERFLOWING_TEST_LOSS = """
    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val/overflow", nn.functional.mse_loss(self.net(x).squeeze(-1), y) * 1e39)

    def test_step(self, batch, batch_idx):
        x, y = batch
        error = nn.functional.mse_loss(self.net(x).squeeze(-1), y)
        self.log("test/mse", error)
        self.log("test/overflow", error * 1e39)  # float32: inf, as a loss that overflows
        self.log("test/undefined", error * float("nan"))
"""


@pytest.mark.parametrize("together", [False, True], ids=["alone", "together"])
def test_an_infinite_metric_is_recorded_as_infinite_not_nan(
    tmp_path: Path, isolated_env: Path, together: bool
) -> None:
    """A test loss that overflowed to inf was recorded as NaN: the record said the metric was
    undefined when the run measured it as infinite (a diverged model, not a missing number)."""
    import math

    from repro.running.runner import run_one
    from repro.running.together import run_together
    from tests.running.test_together import configs

    folder = write_toy_paper(tmp_path / "plugins")
    model, data = folder / "model.py", folder / "data.py"
    start = model.read_text().index("    def test_step")
    end = model.read_text().index("    def configure_optimizers")
    _edit(model, model.read_text()[start:end], OVERFLOWING_TEST_LOSS.lstrip("\n") + "\n")
    _edit(
        data,
        "    def test_dataloader",
        "    def val_dataloader(self):\n        return InMemoryBatches(self.x, self.y, 64)\n\n"
        "    def test_dataloader",
    )
    seeds = [0, 1] if together else [0]
    found = configs("toy", "small", seeds, isolated_env, papers=[folder.parent], logger="none")
    if together:
        outcomes = run_together(found, [["repro", "run"]] * len(seeds))
    else:
        outcomes = [run_one(found[0], command=["repro", "run"])]
    for outcome in outcomes:
        assert outcome.status == "completed", outcome.error
        metrics = json.loads((outcome.record_dir / "record.json").read_text())["metrics"]
        assert metrics["test/overflow"] == math.inf, metrics
        assert metrics["val/overflow"] == math.inf, metrics
        assert math.isnan(metrics["test/undefined"]), metrics
        assert math.isfinite(metrics["test/mse"]), metrics
