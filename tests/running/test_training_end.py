"""How a run's training ended: a configured end or a recorded reason, never zero steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import repro, write_toy_paper

RUN = ("run", "paper=toy", "experiment=small", "logger=none")

FILTERED_OUT = """\
    def train_dataloader(self):
        keep = self.y > 1e9  # a filter that keeps nothing
        return InMemoryBatches(self.x[keep], self.y[keep], 16)
"""
UNSIZED_EMPTY = """\
    def train_dataloader(self):
        return iter(())  # no length, no batches: epochs that end at once
"""
EARLY_STOPPING = """\
    def configure_callbacks(self):
        from lightning.pytorch.callbacks import EarlyStopping

        # stops at the first check: the end of the first epoch (4 batches of 16)
        return [EarlyStopping("train/loss", stopping_threshold=1e9, check_on_train_epoch_end=True)]

"""


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def _toy(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    folder = write_toy_paper(tmp_path / "plugins")
    return folder, {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}


def _with_train_loader(folder: Path, method: str) -> None:
    data = folder / "data.py"
    start = data.read_text().index("    def train_dataloader")
    end = data.read_text().index("    def test_dataloader")
    _edit(data, data.read_text()[start:end], method + "\n")


def _record(results: Path) -> dict[str, Any]:
    (record_file,) = results.rglob("record.json")
    return json.loads(record_file.read_text())


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


@pytest.mark.parametrize("loader", [FILTERED_OUT, UNSIZED_EMPTY], ids=["filtered", "unsized"])
def test_a_run_that_trained_zero_steps_fails(
    tmp_path: Path, isolated_env: Path, loader: str
) -> None:
    folder, env = _toy(tmp_path)
    _with_train_loader(folder, loader)
    done = repro(*RUN, env=env, timeout=300)
    assert done.returncode != 0, done.stderr
    assert "Traceback" not in done.stderr
    errors = _error_lines(done.stderr)
    assert len(errors) == 1 and "zero steps" in errors[0], done.stderr
    assert "trainer.max_steps=20" in errors[0], errors
    record = _record(isolated_env)
    assert record["status"] == "failed"
    assert "zero steps" in record["error"]


def test_a_run_stopped_early_by_a_callback_completes_saying_why(
    tmp_path: Path, isolated_env: Path
) -> None:
    folder, env = _toy(tmp_path)
    _edit(
        folder / "model.py",
        "    def configure_optimizers",
        EARLY_STOPPING + "    def configure_optimizers",
    )
    done = repro(*RUN, env=env)
    assert done.returncode == 0, done.stderr
    record = _record(isolated_env)
    assert record["status"] == "completed"
    assert record["timing"]["steps"] == 4  # of max_steps=20
    assert record["timing"]["stopped_by"] == "early stopping"


def test_a_short_run_records_that_max_steps_ended_it(tmp_path: Path, isolated_env: Path) -> None:
    _, env = _toy(tmp_path)
    done = repro(*RUN, "trainer.max_steps=5", env=env)
    assert done.returncode == 0, done.stderr
    record = _record(isolated_env)
    assert record["status"] == "completed"
    assert record["timing"]["steps"] == 5
    assert record["timing"]["stopped_by"] == "max_steps"


def test_debug_fast_ends_at_its_one_epoch(tmp_path: Path, isolated_env: Path) -> None:
    """max_steps=5, max_epochs=1 over 4 batches an epoch: the epoch is the end reached."""
    _, env = _toy(tmp_path)
    done = repro(*RUN, "debug=fast", env=env)
    assert done.returncode == 0, done.stderr
    record = _record(isolated_env)
    assert record["status"] == "completed"
    assert record["timing"]["steps"] == 4
    assert record["timing"]["stopped_by"] == "max_epochs"


def _end(**given: Any) -> str:
    from repro.running.training import fit_end

    values = {
        "steps": 10,
        "epochs": 1,
        "max_steps": 10,
        "max_epochs": -1,
        "should_stop": False,
        "out_of_time": False,
        "batches": 8,
    }
    return fit_end(**{**values, **given})


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ({}, "max_steps"),
        ({"steps": 12, "max_steps": 12, "max_epochs": 3, "epochs": 2}, "max_steps"),
        ({"steps": 8, "max_steps": 100, "max_epochs": 1}, "max_epochs"),
        ({"steps": 24, "max_steps": -1, "max_epochs": 3, "epochs": 3}, "max_epochs"),
        ({"steps": 3, "should_stop": True}, "early stopping"),
        ({"steps": 3, "should_stop": True, "out_of_time": True}, "max_time"),
    ],
)
def test_the_reason_a_fit_ended(given: dict[str, Any], reason: str) -> None:
    assert _end(**given) == reason


def test_a_fit_that_ended_short_for_no_reason_is_an_error() -> None:
    from repro.running.training import TrainingFellShort

    with pytest.raises(TrainingFellShort, match=r"stopped at step 3 of trainer\.max_steps=10"):
        _end(steps=3)


def test_zero_steps_is_an_error_whatever_ended_the_fit() -> None:
    from repro.running.training import TrainingFellShort

    for given in ({"max_epochs": 1}, {"should_stop": True}, {"batches": 0}):
        with pytest.raises(TrainingFellShort, match="zero steps"):
            _end(steps=0, epochs=1, **given)


@pytest.mark.parametrize("loader", [FILTERED_OUT, UNSIZED_EMPTY], ids=["filtered", "unsized"])
def test_seeds_trained_together_with_an_empty_loader_fail_too(
    tmp_path: Path, isolated_env: Path, loader: str
) -> None:
    """A sweep with seeds_together=true reaches the same end: the group does not qualify
    (say why), each seed trains alone and fails on zero steps, none is `completed`."""
    folder, env = _toy(tmp_path)
    _with_train_loader(folder, loader)
    done = repro(
        "sweep",
        "paper=toy",
        "experiment=small",
        "seeds=2",
        "seeds_together=true",
        "logger=none",
        env=env,
        timeout=300,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    assert "seeds together: off for toy/small" in done.stdout, done.stdout
    records = [json.loads(p.read_text()) for p in isolated_env.rglob("record.json")]
    assert records and all(r["status"] == "failed" for r in records)
    assert all("zero steps" in r["error"] for r in records)


# A run whose weights never change, or that tests nothing, is no result (in-process: fast).
NO_OPTIMIZER = ("        return torch.optim.SGD", "        torch.optim.SGD")
NO_LOSS = ("        return loss\n", "        return None\n")
SOME_LOSSES = ("        return loss\n", "        return loss if batch_idx % 2 else None\n")
EMPTY_TEST = (
    "InMemoryBatches(self.x, self.y, 64)",
    "InMemoryBatches(self.x[:0], self.y[:0], 64)",
)
UNTRAINED = {
    "no optimizer": ("model.py", NO_OPTIMIZER, "configure_optimizers returned no optimizer"),
    "no loss": ("model.py", NO_LOSS, "training_step returned no loss on any of its 20 batches"),
    "empty test": ("data.py", EMPTY_TEST, "the test dataloader gave no batches"),
}
NOTHING_TO_TRAIN = '''

class NothingToTrain(ToyModule):
    """A fixed baseline: no trainable parameter, no optimizer, no loss."""

    def __init__(self, features, explode=False, optimizer=None):
        super().__init__(features)
        self.net.requires_grad_(False)

    def training_step(self, batch, batch_idx):
        return None

    def configure_optimizers(self):
        return None
'''


def _toy_edited(tmp_path: Path, name: str, old_new: tuple[str, str]) -> Path:
    folder = write_toy_paper(tmp_path / "plugins")
    _edit(folder / name, *old_new)
    return folder


def _configs(folder: Path, results: Path, seeds: list[int]) -> list[dict[str, Any]]:
    from tests.running.test_together import configs

    return configs("toy", "small", seeds, results, papers=[folder.parent], logger="none")


def _run(folder: Path, results: Path) -> Any:
    from repro.running.runner import run_one

    (config,) = _configs(folder, results, [0])
    return run_one(config, command=["repro", "run"])


@pytest.mark.parametrize("case", list(UNTRAINED))
def test_a_run_that_trains_or_tests_nothing_fails(
    tmp_path: Path, isolated_env: Path, case: str
) -> None:
    """Before: `completed` with the untrained weights' test/mse (or no test metric at all)."""
    name, old_new, message = UNTRAINED[case]
    outcome = _run(_toy_edited(tmp_path, name, old_new), isolated_env)
    assert outcome.status == "failed" and outcome.exit_code == 1, outcome
    assert message in outcome.error, outcome.error
    record = _record(isolated_env)
    assert record["status"] == "failed" and message in record["error"]


EMPTY_TRAIN = (
    "InMemoryBatches(self.x, self.y, 16)",
    "InMemoryBatches(self.x[:0], self.y[:0], 16)",
)
UNTRAINED_AGAIN = {
    "no loss": ("model.py", NO_LOSS, "training_step returned no loss on any of its 20 batches"),
    "no optimizer": ("model.py", NO_OPTIMIZER, "configure_optimizers returned no optimizer"),
    "empty train": ("data.py", EMPTY_TRAIN, "the train dataloader gave no batches"),
}


@pytest.mark.parametrize("case", list(UNTRAINED_AGAIN))
def test_a_run_that_trained_nothing_leaves_no_checkpoint_a_rerun_would_resume(
    tmp_path: Path, isolated_env: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fit's end saved its untrained weights as last.ckpt: a rerun said `resuming from
    step 0`, and one whose steps all returned no loss resumed at step 20, skipped the fit
    (no batch left to find lossless) and was recorded `completed` with untrained weights."""
    name, old_new, message = UNTRAINED_AGAIN[case]
    folder = _toy_edited(tmp_path, name, old_new)
    for _ in range(2):
        outcome = _run(folder, isolated_env)
        assert outcome.status == "failed" and message in outcome.error, outcome
        assert not list(isolated_env.rglob("checkpoints")), list(isolated_env.rglob("*"))
    assert "resuming" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "method", "message"),
    [
        ("model.py", "test_step", "model:ToyModule defines no test_step"),
        ("data.py", "test_dataloader", "data:ToyData defines no test_dataloader"),
    ],
)
def test_a_plugin_without_its_test_half_fails_before_training(
    tmp_path: Path, isolated_env: Path, name: str, method: str, message: str
) -> None:
    """Lightning finds a missing test_step or test_dataloader only at trainer.test: after the
    whole training, hours of it for a paper's run."""
    folder = _toy_edited(tmp_path, name, (f"def {method}(", f"def renamed_{method}("))
    train = ("        x, y = batch\n        loss", '        raise RuntimeError("trained")\n')
    _edit(folder / "model.py", train[0], train[1] + train[0])
    outcome = _run(folder, isolated_env)
    assert outcome.status == "failed", outcome
    assert message in outcome.error and "trained" not in outcome.error, outcome.error
    # docs/ ships with the checkout only, not with `pip install repro`: the template does
    assert "docs/" not in outcome.error and "`repro new" in outcome.error, outcome.error


VALIDATION = (
    "    def configure_optimizers",
    "    def validation_step(self, batch, batch_idx):\n"
    "        self.test_step(batch, batch_idx)\n\n"
    "    def configure_optimizers",
)
NO_LOADER = {  # what a loader method gives, and the words of its one line
    "test None": ("test_dataloader", "None", "ToyData.test_dataloader() returned None"),
    "test []": ("test_dataloader", "[]", "ToyData.test_dataloader() returned an empty list"),
    "test {}": ("test_dataloader", "{}", "ToyData.test_dataloader() returned an empty dict"),
    "test [None]": ("test_dataloader", "[None]", "test_dataloader() returned None among its 1"),
    "val None": ("val_dataloader", "None", "ToyData.val_dataloader() returned None"),
    "train None": ("train_dataloader", "None", "ToyData.train_dataloader() returned None"),
}


@pytest.mark.parametrize("case", list(NO_LOADER))
def test_a_loader_method_returning_no_loader_fails_before_training_naming_it(
    tmp_path: Path, isolated_env: Path, case: str
) -> None:
    """Before: Lightning's bare `TypeError: An invalid dataloader was returned ... Found
    None.`, for the test loader only after the whole training; an empty test list said no
    batches after it."""
    method, returned, words = NO_LOADER[case]
    folder = write_toy_paper(tmp_path / "plugins")
    data = folder / "data.py"
    if method == "val_dataloader":
        _edit(folder / "model.py", *VALIDATION)
        _edit(
            data,
            "    def test_dataloader",
            f"    def {method}(self):\n        return 1\n\n    def test_dataloader",
        )
    start = data.read_text().index(f"    def {method}(")
    end = data.read_text().index("\n\n", start) if method != "test_dataloader" else None
    body = f"    def {method}(self):\n        return {returned}\n"
    text = data.read_text()
    data.write_text(text[:start] + body + (text[end:] if end is not None else ""))
    train = ("        x, y = batch\n        loss", '        raise RuntimeError("trained")\n')
    _edit(folder / "model.py", train[0], train[1] + train[0])
    outcome = _run(folder, isolated_env)
    assert outcome.status == "failed", outcome
    assert words in outcome.error and "trained" not in outcome.error, outcome.error
    assert "toy/data.py: " in outcome.error and "TypeError" not in outcome.error, outcome.error
    assert "\n" not in outcome.error


def test_a_test_dataloader_of_the_module_alone_fails_before_training(
    tmp_path: Path, isolated_env: Path
) -> None:
    """Lightning tests from the data module repro passes it, never from the module's own
    test_dataloader: a data module without one failed at trainer.test, after the training."""
    folder = _toy_edited(tmp_path, "data.py", ("def test_dataloader(", "def renamed_loader("))
    loader = "    def test_dataloader(self):\n        raise RuntimeError('never called')\n\n"
    _edit(folder / "model.py", "    def test_step(", loader + "    def test_step(")
    train = ("        x, y = batch\n        loss", '        raise RuntimeError("trained")\n')
    _edit(folder / "model.py", train[0], train[1] + train[0])
    outcome = _run(folder, isolated_env)
    assert outcome.status == "failed", outcome
    assert "data:ToyData defines no test_dataloader" in outcome.error, outcome.error


def test_a_test_dataloader_the_data_module_assigns_in_setup_is_not_refused(
    tmp_path: Path, isolated_env: Path
) -> None:
    """Lightning asks for the test loader after `setup`, so one assigned there is one it
    tests from: the test-half check (865506c) refused it as the data module was built."""
    setup = (
        "    def setup(self, stage):\n"
        "        self.test_dataloader = lambda: InMemoryBatches(self.x, self.y, 64)\n\n"
        "    def renamed_loader("
    )
    folder = _toy_edited(tmp_path, "data.py", ("    def test_dataloader(", setup))
    outcome = _run(folder, isolated_env)
    assert outcome.status == "completed", outcome


@pytest.mark.parametrize("stage", ["test", "any"])
@pytest.mark.parametrize("returned", ["None", "[]"])
def test_a_test_dataloader_assigned_in_setup_that_gives_none_fails_before_training(
    tmp_path: Path, isolated_env: Path, returned: str, stage: str
) -> None:
    """One assigned in `setup("test")` was left to Lightning, whose TypeError came only as
    the test began, after the whole training (one assigned in every stage was refused before
    it, but named Lightning's hooks.py as the file); the method's own None was refused
    before the first step."""
    when = "if stage == 'test'" if stage == "test" else "if True"
    setup = (
        "    def setup(self, stage):\n"
        f"        {when}:\n"
        f"            self.test_dataloader = lambda: {returned}\n\n"
        "    def renamed_loader("
    )
    folder = _toy_edited(tmp_path, "data.py", ("    def test_dataloader(", setup))
    train = ("        x, y = batch\n        loss", '        raise RuntimeError("trained")\n')
    _edit(folder / "model.py", train[0], train[1] + train[0])
    outcome = _run(folder, isolated_env)
    assert outcome.status == "failed", outcome
    assert "trained" not in outcome.error and "TypeError" not in outcome.error, outcome.error
    assert "ToyData.test_dataloader() returned" in outcome.error, outcome.error
    assert "toy/data.py: " in outcome.error and "\n" not in outcome.error, outcome.error


def test_a_factory_giving_no_data_module_is_named_not_a_parent_error(
    tmp_path: Path, isolated_env: Path
) -> None:
    """`datamodule:` may name a function; one that returns no LightningDataModule failed as
    'ValueError: Expected a parent' (the test-half check asked Lightning about it)."""
    folder = write_toy_paper(tmp_path / "plugins")
    factory = "\n\nclass Plain:\n    pass\n\n\ndef make(**kwargs):\n    return Plain()\n"
    (folder / "data.py").write_text((folder / "data.py").read_text() + factory)
    _edit(folder / "paper.yaml", "datamodule: data:ToyData", "datamodule: data:make")
    outcome = _run(folder, isolated_env)
    assert outcome.status == "failed", outcome
    assert "data:make gave a Plain, not a LightningDataModule" in outcome.error, outcome.error


def test_a_training_step_that_skips_some_batches_completes(
    tmp_path: Path, isolated_env: Path
) -> None:
    """Returning None skips a batch in Lightning: only a step that never gives a loss fails."""
    outcome = _run(_toy_edited(tmp_path, "model.py", SOME_LOSSES), isolated_env)
    assert outcome.status == "completed", outcome.error


def test_a_module_with_nothing_to_train_needs_no_optimizer_nor_loss(
    tmp_path: Path, isolated_env: Path
) -> None:
    folder = write_toy_paper(tmp_path / "plugins")
    (folder / "model.py").write_text((folder / "model.py").read_text() + NOTHING_TO_TRAIN)
    _edit(folder / "paper.yaml", "model:ToyModule", "model:NothingToTrain")
    outcome = _run(folder, isolated_env)
    assert outcome.status == "completed", outcome.error
    assert "test/mse" in outcome.metrics


@pytest.mark.parametrize("case", list(UNTRAINED))
def test_seeds_trained_together_that_train_or_test_nothing_fail_too(
    tmp_path: Path, isolated_env: Path, case: str
) -> None:
    """seeds_together=true: the group does not qualify (each seed alone then fails), or it
    trains and each seed's test fails; no seed is `completed`."""
    from repro.running.together import run_together

    name, old_new, message = UNTRAINED[case]
    folder = _toy_edited(tmp_path, name, old_new)
    outcomes = run_together(_configs(folder, isolated_env, [0, 1]), [["repro", "sweep"]] * 2)
    assert [o.status for o in outcomes] == ["failed", "failed"], outcomes
    assert all(message in o.error for o in outcomes), outcomes
    records = [json.loads(p.read_text()) for p in isolated_env.rglob("record.json")]
    assert len(records) == 2 and all(r["status"] == "failed" for r in records)


BAD_SIZES = """

    def dataset_sizes(self):
        return {"train": torch.ones(3, 2), "test": "many", "val": 7, "extra": 4000.0}
"""


def test_dataset_sizes_that_are_not_counts_are_left_out_of_the_record(
    tmp_path: Path, isolated_env: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """dataset_sizes() returning a tensor put its multi-line repr in the record's
    `data` (and a 7-line cell in the report's table); None was stored as null. Only whole
    numbers are kept, with a warning naming what was left out."""
    folder = write_toy_paper(tmp_path / "plugins")
    data = (folder / "data.py").read_text()
    (folder / "data.py").write_text(data + BAD_SIZES)
    outcome = _run(folder, isolated_env)
    assert outcome.status == "completed", outcome.error
    assert _record(isolated_env)["data"] == {"val": 7, "extra": 4000}  # 4000.0
    warning = [line for line in capfd.readouterr().err.splitlines() if "dataset_sizes" in line]
    assert len(warning) == 1 and "train, test" in warning[0], warning


STOP_ITERATION = (
    "        x, y = batch\n        loss",
    "        x, y = batch\n"
    "        if batch_idx == 2:  # `next()` on an exhausted iterator of the plugin's own\n"
    "            raise StopIteration\n"
    "        loss",
)
SKIP_REST = (
    "    def configure_optimizers",
    "    def on_train_batch_start(self, batch, batch_idx):\n"
    "        return -1 if batch_idx == 2 else None  # Lightning's way to end an epoch early\n\n"
    "    def configure_optimizers",
)


def test_a_stop_iteration_from_the_training_step_fails_not_shortens_every_epoch(
    tmp_path: Path, isolated_env: Path
) -> None:
    """Lightning's epoch loop takes a StopIteration out of `training_step` (a
    `next()` on the plugin's own exhausted iterator) for the end of the epoch: every epoch
    trained 2 of its 4 batches, and the run completed (`max_steps`, from half the data; under
    max_epochs, half its steps) saying nothing."""
    outcome = _run(_toy_edited(tmp_path, "model.py", STOP_ITERATION), isolated_env)
    assert outcome.status == "failed", outcome
    assert "StopIteration" in outcome.error and "2 of its 4 batches" in outcome.error, outcome
    assert _record(isolated_env)["status"] == "failed"


def test_an_epoch_the_module_ends_on_purpose_still_completes(
    tmp_path: Path, isolated_env: Path
) -> None:
    """`on_train_batch_start` returning -1 is Lightning's documented end of an epoch: the
    plugin's choice, not a fault."""
    outcome = _run(_toy_edited(tmp_path, "model.py", SKIP_REST), isolated_env)
    assert outcome.status == "completed", outcome.error


@pytest.mark.parametrize(
    ("raised", "said"),
    [("KeyboardInterrupt()", "KeyboardInterrupt"), ("SystemExit(0)", "SystemExit")],
)
def test_an_exit_raised_in_training_fails_the_run_saying_so(
    tmp_path: Path, isolated_env: Path, raised: str, said: str
) -> None:
    """a KeyboardInterrupt the plugin's code raised (no Ctrl-C: Lightning then
    calls sys.exit(1)), or its own sys.exit(0), ended the process with no line at all (exit
    0 for sys.exit(0)) and left the record `running`, as if killed -9."""
    raise_it = (STOP_ITERATION[0], STOP_ITERATION[1].replace("StopIteration", raised))
    outcome = _run(_toy_edited(tmp_path, "model.py", raise_it), isolated_env)
    assert outcome.status == "failed" and outcome.exit_code == 1, outcome
    assert said in outcome.error and "model.py" in outcome.error, outcome.error
    record = _record(isolated_env)
    assert record["status"] == "failed" and said in record["error"]


@pytest.mark.parametrize(
    ("raised", "said"),
    [("KeyboardInterrupt()", "KeyboardInterrupt"), ("SystemExit(0)", "SystemExit")],
)
def test_an_exit_raised_in_training_fails_seeds_trained_together(
    tmp_path: Path, isolated_env: Path, raised: str, said: str
) -> None:
    """as above, with seeds_together=true: the plugin's sys.exit(0) ended the sweep
    with exit 0 and no line, its KeyboardInterrupt said `interrupted` (exit 130) though no
    Ctrl-C came; both left every seed's record `running`, as if killed -9."""
    from repro.running.together import run_together

    raise_it = (STOP_ITERATION[0], STOP_ITERATION[1].replace("StopIteration", raised))
    folder = _toy_edited(tmp_path, "model.py", raise_it)
    outcomes = run_together(_configs(folder, isolated_env, [0, 1]), [["repro", "sweep"]] * 2)
    assert [o.status for o in outcomes] == ["failed", "failed"], outcomes
    assert all(said in o.error and "model.py" in o.error for o in outcomes), outcomes
    records = [json.loads(p.read_text()) for p in sorted(isolated_env.rglob("record.json"))]
    assert [r["status"] for r in records] == ["failed", "failed"], records
