"""A stop signal always ends as an interrupted, resumable run: wherever in the loop it lands.

Lightning registers its own SIGTERM handler when training starts and, if the signal lands
outside a training batch (epoch end, validation), raises `SIGTERMException`, a SystemExit
with code 0: the run would exit 0 with its record left `running`. Each case here makes the
plugin signal itself at one such point, so the timing is exact rather than a race.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import repro, run_signalling_paper, write_signalling_paper


@pytest.fixture
def signalling_paper(tmp_path: Path) -> Path:
    plugins = tmp_path / "plugins"
    write_signalling_paper(plugins)
    return plugins


def _run(plugins: Path, results: Path, *overrides: str, **env: str):
    return run_signalling_paper(plugins, results, *overrides, **env)


@pytest.mark.parametrize("hook", ["train_epoch_end", "validation"])
@pytest.mark.parametrize(("signal_name", "code"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_outside_a_training_batch_interrupts_and_the_rerun_resumes(
    signalling_paper: Path, tmp_path: Path, hook: str, signal_name: str, code: int
) -> None:
    results = tmp_path / "results"
    stopped = _run(
        signalling_paper,
        results,
        REPRO_TEST_SIGNAL_AT=hook,
        REPRO_TEST_SIGNAL=signal_name,
    )
    (record_file,) = results.rglob("record.json")
    record = json.loads(record_file.read_text())
    assert stopped.returncode == code, (stopped.returncode, stopped.stderr)
    assert record["status"] == "interrupted"
    last_line = stopped.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"error: interrupted by {signal_name}")
    assert (record_file.parent / "checkpoints" / "last.ckpt").is_file()

    resumed = _run(signalling_paper, results)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from step" in resumed.stderr
    assert json.loads(record_file.read_text())["status"] == "completed"


def _curves(results: Path) -> list[dict[str, str]]:
    """The run's CSV rows, each without its empty cells (column order is the logger's)."""
    import csv

    (path,) = [p for p in results.rglob("metrics.csv") if ".superseded" not in p.parts]
    with path.open() as handle:
        return [{k: v for k, v in row.items() if v} for row in csv.DictReader(handle)]


EPOCH_BASED = ["trainer.max_steps=-1", "++trainer.max_epochs=10", "+data.shuffle=true"]
"""Ten epochs of the signalling paper's four batches, reshuffled each pass (InMemoryBatches
keeps its generator in its state)."""


@pytest.mark.parametrize(
    ("hook", "signal_name", "overrides"),
    [
        # validation due after the epoch's last batch
        ("last_train_batch", "SIGTERM", ["trainer.val_check_interval=1.0"]),
        # none due after it
        ("last_train_batch", "SIGTERM", ["++trainer.check_val_every_n_epoch=3"]),
        # a mid-epoch validation due after the batch
        ("mid_train_batch", "SIGTERM", ["trainer.val_check_interval=0.5"]),
        # the last validation is before the stop: the resumed attempt validates no more
        (
            "last_train_batch",
            "SIGTERM",
            ["++trainer.check_val_every_n_epoch=2", "trainer.max_steps=12"],
        ),
        # kill -9 right after the periodic save at an epoch end that validated
        ("train_epoch_end", "SIGKILL", ["checkpoint.every_s=0"]),
        # past the validation, the next batch ends the epoch: the epoch end acts
        (
            "train_batch_2",
            "SIGTERM",
            ["trainer.val_check_interval=3", "++trainer.check_val_every_n_epoch=2"],
        ),
        # validation after every batch: a mid-epoch validation's end acts
        ("mid_train_batch", "SIGTERM", ["trainer.val_check_interval=0.25"]),
        ("last_train_batch", "SIGTERM", ["trainer.val_check_interval=0.25"]),
        # the last batch that limit_train_batches allows ends the epoch, not the loader's
        (
            "mid_train_batch",
            "SIGTERM",
            ["++trainer.limit_train_batches=0.5", "trainer.val_check_interval=0.5"],
        ),
        # a stop between two batches that accumulate one step waits for the step
        ("train_batch_0", "SIGTERM", ["++trainer.accumulate_grad_batches=3"]),
        # periodic saves with a validation after every batch: at a validation's end
        ("train_epoch_end", "SIGKILL", ["checkpoint.every_s=0", "trainer.val_check_interval=0.25"]),
        # an epoch that limit_train_batches cuts short: the loader's pass is not over
        (
            "train_epoch_end",
            "SIGKILL",
            [
                "checkpoint.every_s=0",
                "++trainer.limit_train_batches=0.5",
                "++trainer.check_val_every_n_epoch=2",
            ],
        ),
        # epoch-based training: Lightning restores no loader state at an epoch's end
        ("last_train_batch", "SIGTERM", [*EPOCH_BASED, "++trainer.check_val_every_n_epoch=3"]),
        # the run's last step (max_steps) in mid-epoch, a validation due there: the resumed
        # run tested under another epoch and step (1, 5 against 2, 6); with none due there,
        # test_a_stop_at_the_last_step_saves_where_training_ends
        ("train_batch_1", "SIGTERM", ["trainer.max_steps=6", "trainer.val_check_interval=0.5"]),
        (
            "train_epoch_end",
            "SIGKILL",
            [*EPOCH_BASED, "checkpoint.every_s=0", "++trainer.check_val_every_n_epoch=3"],
        ),
    ],
)
def test_a_stop_where_an_epoch_or_a_validation_ends_resumes_to_the_uninterrupted_run(
    signalling_paper: Path, tmp_path: Path, hook: str, signal_name: str, overrides: list[str]
) -> None:
    """Lightning resumes a checkpoint saved at the batch that ends an epoch one epoch ahead,
    skips a validation due after the saved batch, and cannot resume one saved at an epoch end
    after a validation. Seen on mnist1d: a stop at step 40 moved every later validation 40
    steps early (val/loss 1.769 against 1.996 at step 1,200); a stop at step 1,000 lost that
    validation and the record's val metrics; kill -9 after the save at step 1,000 left a run
    whose every rerun failed ("the train dataloader gave no batches in epoch 25"). Every step's
    train row is compared too: a stop acted on at a batch end lost it."""
    overrides = [*overrides, "trainer.log_every_n_steps=1"]
    expected = _run(signalling_paper, tmp_path / "whole", *overrides, logger="csv")
    assert expected.returncode == 0, expected.stderr
    results = tmp_path / "stopped"
    stopped = _run(
        signalling_paper,
        results,
        *overrides,
        logger="csv",
        REPRO_TEST_SIGNAL_AT=hook,
        REPRO_TEST_SIGNAL=signal_name,
    )
    assert stopped.returncode == {"SIGTERM": 143, "SIGKILL": -9}[signal_name], stopped.stderr
    resumed = _run(signalling_paper, results, *overrides, logger="csv")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from step" in resumed.stderr

    def record(folder: Path) -> dict:
        (path,) = folder.rglob("record.json")
        return json.loads(path.read_text())

    assert record(results)["metrics"] == record(tmp_path / "whole")["metrics"]
    assert _curves(results) == _curves(tmp_path / "whole")
    # the epoch a resume starts in runs no on_train_epoch_start, and its time was
    # counted from 0 (epoch_s_mean 2162.9 s: the machine's uptime over 32 epochs)
    timing = record(results)["timing"]
    assert timing["epoch_s_mean"] is None or timing["epoch_s_mean"] <= timing["fit_s"], timing


def test_with_checkpointing_off_a_signal_still_interrupts_and_says_nothing_was_saved(
    signalling_paper: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    stopped = _run(
        signalling_paper,
        results,
        "checkpoint.enabled=false",
        REPRO_TEST_SIGNAL_AT="train_epoch_end",
        REPRO_TEST_SIGNAL="SIGTERM",
    )
    assert stopped.returncode == 143, (stopped.returncode, stopped.stderr)
    (record_file,) = results.rglob("record.json")
    assert json.loads(record_file.read_text())["status"] == "interrupted"
    assert "nothing saved (checkpoint.enabled=false)" in stopped.stderr.strip().splitlines()[-1]
    assert not list(results.rglob("*.ckpt"))


@pytest.mark.parametrize(("signal_name", "code"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_during_the_sanity_check_interrupts(
    signalling_paper: Path, tmp_path: Path, signal_name: str, code: int
) -> None:
    results = tmp_path / "results"
    stopped = _run(
        signalling_paper,
        results,
        "trainer.num_sanity_val_steps=1",
        REPRO_TEST_SIGNAL_AT="sanity_check",
        REPRO_TEST_SIGNAL=signal_name,
    )
    (record_file,) = results.rglob("record.json")
    assert stopped.returncode == code, (stopped.returncode, stopped.stderr)
    assert json.loads(record_file.read_text())["status"] == "interrupted"
    last_line = stopped.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"error: interrupted by {signal_name} at step 0")


def test_a_signal_during_the_test_interrupts_and_the_rerun_only_tests(
    signalling_paper: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    stopped = _run(
        signalling_paper, results, REPRO_TEST_SIGNAL_AT="test", REPRO_TEST_SIGNAL="SIGTERM"
    )
    (record_file,) = results.rglob("record.json")
    assert stopped.returncode == 143, (stopped.returncode, stopped.stderr)
    assert json.loads(record_file.read_text())["status"] == "interrupted"
    assert "checkpoint saved" in stopped.stderr.strip().splitlines()[-1]

    resumed = _run(signalling_paper, results)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from step 40" in resumed.stderr
    assert json.loads(record_file.read_text())["status"] == "completed"


def test_a_stop_with_no_checkpoint_on_disk_does_not_claim_one_was_saved(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """keep=false and no periodic save yet: nothing to resume from, and the line says so."""
    results = tmp_path / "results"
    stopped = _run(
        signalling_paper,
        results,
        "checkpoint.keep=false",
        "checkpoint.every_s=3600",
        REPRO_TEST_SIGNAL_AT="test",
        REPRO_TEST_SIGNAL="SIGTERM",
    )
    assert stopped.returncode == 143, (stopped.returncode, stopped.stderr)
    assert not list(results.rglob("*.ckpt"))
    last_line = stopped.stderr.strip().splitlines()[-1]
    assert "checkpoint saved" not in last_line
    assert "a rerun starts over" in last_line


def test_a_signal_after_the_last_test_batch_keeps_the_record_and_exits_with_the_signal(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """The run did finish, so the record says completed; the exit code still tells a caller
    (a sweep, a shell loop) that a stop was asked for."""
    results = tmp_path / "results"
    stopped = _run(
        signalling_paper, results, REPRO_TEST_SIGNAL_AT="test_end", REPRO_TEST_SIGNAL="SIGINT"
    )
    (record_file,) = results.rglob("record.json")
    assert stopped.returncode == 130, (stopped.returncode, stopped.stderr)
    assert json.loads(record_file.read_text())["status"] == "completed"
    last_line = stopped.stderr.strip().splitlines()[-1]
    assert last_line.startswith("error: SIGINT arrived as the run ended")


class _RanksThatMustNotMeet:
    """A strategy whose collectives fail: a test batch end must not enter one."""

    root_device = "cpu"

    def reduce(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("a collective per test batch: ranks with fewer batches never join")

    broadcast = reduce


def test_in_several_processes_a_test_batch_end_enters_no_collective(tmp_path: Path) -> None:
    """Ranks may test unequal numbers of batches: a per-batch all-reduce would hang the one
    with more. The signal is then acted on when the run ends."""
    from types import SimpleNamespace

    from repro.running.checkpointing import ResumableCheckpoint

    checkpoint = ResumableCheckpoint(tmp_path / "last.ckpt")
    checkpoint.stop_signal = 15
    trainer = SimpleNamespace(world_size=2, strategy=_RanksThatMustNotMeet(), global_step=40)
    checkpoint.on_test_batch_end(trainer, None, None, None, 0)  # no collective, no raise
    assert checkpoint.stop_signal == 15  # kept for the end of the run


def test_the_message_of_a_stop_says_what_a_rerun_will_do(tmp_path: Path) -> None:
    from repro.running.checkpointing import ResumableCheckpoint

    path = tmp_path / "last.ckpt"
    assert "starts over" in ResumableCheckpoint(path, enabled=False).what_a_rerun_does()
    assert ResumableCheckpoint(path).what_a_rerun_does() == "no checkpoint yet, a rerun starts over"
    path.write_bytes(b"weights")
    assert "run again to resume" in ResumableCheckpoint(path).what_a_rerun_does()


STOPPED_WHILE_RECORDING = """
import os, signal, sys
from repro.running import runner

real = runner._record_result

def stopped_while_recording(*args, **kwargs):
    os.kill(os.getpid(), getattr(signal, os.environ["STOP_WITH"]))
    return real(*args, **kwargs)

runner._record_result = stopped_while_recording
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize(("signal_name", "code"), [("SIGTERM", 143), ("SIGINT", 130)])
@pytest.mark.parametrize("rerun", [False, True], ids=["first", "rerun"])
def test_a_signal_while_the_record_is_written_is_noted_not_acted_on(
    tmp_path: Path, signal_name: str, code: int, rerun: bool
) -> None:
    """Tested, then stopped as the record is written (or W&B closes): the record is written
    whole, config and weights with it, and the exit code says a stop was asked for; it once
    died by the signal (SIGTERM) or left `running` (SIGINT)."""
    import os
    import subprocess
    import sys

    from tests.conftest import write_toy_paper

    write_toy_paper(tmp_path / "plugins")
    args = [
        "run",
        "--papers-dir",
        str(tmp_path / "plugins"),
        "toy",
        "experiment=small",
        "logger=none",
    ]
    env = {**os.environ, "REPRO_RESULTS_DIR": str(tmp_path / "results")}
    if rerun:
        subprocess.run([sys.executable, "-m", "repro", *args], env=env, check=True)
        args.append("rerun=true")
    stopped = subprocess.run(
        [sys.executable, "-c", STOPPED_WHILE_RECORDING, *args],
        capture_output=True,
        text=True,
        env={**env, "STOP_WITH": signal_name},
        timeout=300,
    )
    assert stopped.returncode == code, (stopped.returncode, stopped.stderr[-2000:])
    (folder,) = {path.parent for path in (tmp_path / "results").rglob("record.json")}
    record = json.loads((folder / "record.json").read_text())
    assert record["status"] == "completed" and record["attempts"] == (2 if rerun else 1)
    assert ("rerun: true" in (folder / "config.yaml").read_text()) == rerun  # this attempt's
    assert sorted(p.name for p in folder.glob("*rerun*")) == []
    assert (folder / "checkpoints" / "last.ckpt").is_file()
    assert not (folder / "checkpoints" / "rerun.ckpt").exists()
    assert stopped.stderr.strip().splitlines()[-1].startswith(f"error: {signal_name} arrived")


STOPPED_AS_IT_STARTS = STOPPED_WHILE_RECORDING.replace("_record_result", "_start")


@pytest.mark.parametrize(("signal_name", "code"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_just_after_the_running_record_is_written_interrupts_cleanly(
    tmp_path: Path, signal_name: str, code: int
) -> None:
    """Stopped as its `running` record is written, before training: interrupted at step 0,
    with its line (SIGTERM killed the process, SIGINT left the record `running`)."""
    import os
    import subprocess
    import sys

    from tests.conftest import write_toy_paper

    write_toy_paper(tmp_path / "plugins")
    args = ["run", "--papers-dir", str(tmp_path / "plugins"), "toy", "experiment=small"]
    stopped = subprocess.run(
        [sys.executable, "-c", STOPPED_AS_IT_STARTS, *args, "logger=none"],
        capture_output=True,
        text=True,
        env={**os.environ, "REPRO_RESULTS_DIR": str(tmp_path / "r"), "STOP_WITH": signal_name},
        timeout=300,
    )
    assert stopped.returncode == code, (stopped.returncode, stopped.stderr[-2000:])
    (record_file,) = (tmp_path / "r").rglob("record.json")
    assert json.loads(record_file.read_text())["status"] == "interrupted"
    assert stopped.stderr.strip().splitlines()[-1].startswith("error: interrupted")


SECOND_SIGNAL_AFTER_THE_RECORD = """
import os, signal, sys
from repro.running import runner

real = runner._train_locked

def then_signalled(*args, **kwargs):
    outcome = real(*args, **kwargs)  # the run's record is written, its handlers are gone
    os.kill(os.getpid(), getattr(signal, os.environ["SECOND_SIGNAL"]))
    return outcome

runner._train_locked = then_signalled
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize(
    ("first", "second", "code"), [("SIGINT", "SIGTERM", 130), ("SIGTERM", "SIGINT", 143)]
)
def test_a_second_signal_after_the_record_is_written_keeps_the_first_ones_exit_code(
    signalling_paper: Path, tmp_path: Path, first: str, second: str, code: int
) -> None:
    """A run stopped by one signal, then sent another as the process exits (a Ctrl-C, then
    SIGTERM from a scheduler): the record names the first, and so does the exit code. Before,
    the second killed the process (exit -15 after a record saying SIGINT)."""
    results = tmp_path / "results"
    command = ["run", "--papers-dir", str(signalling_paper), "paper=sig", "experiment=small"]
    stopped = repro(
        *command,
        "logger=none",
        env={
            "REPRO_RESULTS_DIR": str(results),
            "REPRO_TEST_SIGNAL_AT": "train_epoch_end",
            "REPRO_TEST_SIGNAL": first,
            "SECOND_SIGNAL": second,
        },
        timeout=300,
        patched_by=SECOND_SIGNAL_AFTER_THE_RECORD,
    )
    assert stopped.returncode == code, (stopped.returncode, stopped.stderr[-2000:])
    (record_file,) = results.rglob("record.json")
    record = json.loads(record_file.read_text())
    assert record["status"] == "interrupted"
    assert record["error"].startswith(f"interrupted by {first}"), record["error"]
    assert "Traceback" not in stopped.stderr


SAVES_WHERE_LIGHTNING_CANNOT_RESUME = """
import os, signal, sys
from repro.running import checkpointing

def save_then_die(self, trainer, module):  # what repro before 68105a3 did at every epoch end
    self.save(trainer)
    if trainer.current_epoch == 1:
        os.kill(os.getpid(), signal.SIGKILL)

checkpointing.ResumableCheckpoint.on_train_epoch_end = save_then_die
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


def test_a_checkpoint_lightning_cannot_resume_fails_every_rerun_the_same_way_with_a_way_out(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """A checkpoint an older repro saved at the end of an epoch that validated: Lightning
    resumes it into an empty epoch. The first rerun failed; its periodic save of the empty
    epoch overwrote the checkpoint, and the second rerun then 'completed' with other numbers
    (set_transformer: test/mae 1.251 against 2.797 uninterrupted). Now nothing that trained no
    step overwrites a checkpoint, every rerun fails alike, and the line says what to do."""
    results = tmp_path / "results"
    killed = run_signalling_paper(
        signalling_paper,
        results,
        "checkpoint.every_s=0",
        patched_by=SAVES_WHERE_LIGHTNING_CANNOT_RESUME,
    )
    assert killed.returncode == -9, killed.stderr
    (checkpoint,) = results.rglob("last.ckpt")
    saved = checkpoint.read_bytes()
    for _ in range(2):
        rerun = _run(signalling_paper, results, "checkpoint.every_s=0")
        assert rerun.returncode == 1, rerun.stderr
        last_line = rerun.stderr.strip().splitlines()[-1]
        assert "gave no batches" in last_line and "rerun=true" in last_line, last_line
        assert checkpoint.read_bytes() == saved
        (record_file,) = results.rglob("record.json")
        assert json.loads(record_file.read_text())["status"] == "failed"


@pytest.mark.parametrize(
    ("hook", "overrides", "exact"),
    [
        # one-batch epochs that each validate: no point Lightning resumes exactly
        ("train_epoch_end", ["++trainer.limit_train_batches=1"], False),
        # a step accumulates more batches than an epoch has
        ("train_batch_0", ["++trainer.accumulate_grad_batches=8"], False),
        ("mid_train_batch", [], True),
        # a DataLoader starts its pass over where Lightning resumes mid-epoch, and in
        # step-based training at an epoch's end too
        ("mid_train_batch", ["+data.plain_loader=true"], False),
        (
            "last_train_batch",
            ["+data.plain_loader=true", "++trainer.check_val_every_n_epoch=3"],
            False,
        ),
    ],
)
def test_a_resume_from_a_last_resort_checkpoint_is_recorded_and_said_as_inexact(
    signalling_paper: Path, tmp_path: Path, hook: str, overrides: list[str], exact: bool
) -> None:
    """With no point Lightning resumes exactly, a stop saves at a batch end anyway: the
    resumed run validates on another schedule (one-batch epochs: test/mse 0.0438 against
    0.0515 uninterrupted). Its record said nothing of it. Now it says the resume was not
    exact, and why, and so do the rerun's warning and every later attempt's record."""
    results = tmp_path / "results"
    stop = {"REPRO_TEST_SIGNAL": "SIGTERM"}
    stopped = _run(signalling_paper, results, *overrides, REPRO_TEST_SIGNAL_AT=hook, **stop)
    assert stopped.returncode == 143, stopped.stderr
    stopped_again = _run(signalling_paper, results, *overrides, REPRO_TEST_SIGNAL_AT="test", **stop)
    assert stopped_again.returncode == 143, stopped_again.stderr  # saved as training ended
    resumed = _run(signalling_paper, results, *overrides)
    assert resumed.returncode == 0, resumed.stderr
    (record_file,) = results.rglob("record.json")
    record = json.loads(record_file.read_text())
    assert record["attempts"] == 3 and record["resumed_from"]["exact"] is exact
    for rerun in (stopped_again, resumed):
        warned = [line for line in rerun.stderr.splitlines() if "not exactly" in line]
        assert len(warned) == (0 if exact else 1), rerun.stderr
        assert all(line.startswith("warning: ") for line in warned)
    if exact:
        assert "why_inexact" not in record["resumed_from"]
    elif "+data.plain_loader=true" in overrides:
        assert "cannot resume mid-pass" in record["resumed_from"]["why_inexact"]
    else:
        assert "no point Lightning resumes exactly" in record["resumed_from"]["why_inexact"]


EPOCH_WORK = """

class NoEpochEndHook(SignallingModule):
    on_train_epoch_end = pl.LightningModule.on_train_epoch_end  # signals from a batch only


class MovesAtEpochEnd(NoEpochEndHook):
    def on_train_epoch_end(self):
        with torch.no_grad():
            self.net.bias.add_(0.01)  # something a plugin does once an epoch


class LogsEpochMeans(NoEpochEndHook):
    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        self.log("train/loss_mean", loss, on_step=False, on_epoch=True)
        return loss


class MovesAtBatchEnd(NoEpochEndHook):
    def on_train_batch_end(self, outputs, batch, batch_idx):
        with torch.no_grad():
            self.net.bias.mul_(0.9)


class ScalesAtEpochStart(NoEpochEndHook):
    scale = 1.0

    def on_train_epoch_start(self):
        self.scale = 0.5**self.current_epoch

    def training_step(self, batch, batch_idx):
        return super().training_step(batch, batch_idx) * self.scale


class MovesAtTrainEndOnly(NoEpochEndHook):
    def on_train_end(self):
        with torch.no_grad():
            self.net.bias.add_(0.5)


class MovesAtTrainEnd(SignallingModule):
    def on_train_end(self):
        with torch.no_grad():
            self.net.bias.add_(0.5)  # a last touch to the weights (an average swapped in)


class BumpAtTrainEnd(pl.Callback):
    def on_train_end(self, trainer, module):
        with torch.no_grad():
            module.net.bias.add_(0.5)


class CallbackMovesAtTrainEnd(SignallingModule):
    def configure_callbacks(self):
        return [BumpAtTrainEnd()]


class AveragesWeights(SignallingModule):
    # tests the average of its weights, as SWA and EMA plugins do; saves what it tests to
    # REPRO_TEST_WEIGHTS

    averaging = "EMAWeightAveraging"

    def configure_callbacks(self):
        from lightning.pytorch import callbacks

        if self.averaging == "StochasticWeightAveraging":
            return [callbacks.StochasticWeightAveraging(swa_lrs=0.05, swa_epoch_start=2)]
        return [getattr(callbacks, self.averaging)()]

    def on_test_start(self):
        if os.environ.get("REPRO_TEST_WEIGHTS"):
            torch.save(self.state_dict(), os.environ["REPRO_TEST_WEIGHTS"])


class AveragesWeightsSWA(AveragesWeights):
    averaging = "StochasticWeightAveraging"


class StopsEarly(SignallingModule):
    stopping = {"monitor": "val/mse", "mode": "max", "patience": 1}

    def configure_callbacks(self):
        from lightning.pytorch.callbacks import EarlyStopping

        return [EarlyStopping(**self.stopping)]


class StopsEarlyAtEpochEnd(StopsEarly):
    stopping = {"monitor": "train/loss", "mode": "max", "patience": 1}
    stopping["check_on_train_epoch_end"] = True


class StopsEarlyAtValidation(StopsEarly):
    stopping = {**StopsEarly.stopping, "patience": 2}


class ScaleAtBatchEnd(pl.Callback):
    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        with torch.no_grad():
            module.net.bias.mul_(0.9)


class CallbackScalesAtBatchEnd(SignallingModule):
    def configure_callbacks(self):
        return [ScaleAtBatchEnd()]


class HalvesOnPlateau(NoEpochEndHook):
    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=self.lr)
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, threshold=10.0)
        scheduler = {"scheduler": plateau, "monitor": "val/mse", "strict": False}
        return {"optimizer": optimizer, "lr_scheduler": scheduler}
"""


def _use_module(plugins: Path, module: str) -> None:
    """The signalling paper trains `module`, one of EPOCH_WORK's."""
    model = plugins / "sig" / "model.py"
    model.write_text("import lightning.pytorch as pl\n" + model.read_text() + EPOCH_WORK)
    spec = plugins / "sig" / "paper.yaml"
    spec.write_text(spec.read_text().replace("model:SignallingModule", f"model:{module}"))


def _run_folder(results: Path) -> Path:
    """The one run folder of `results`, not one kept aside under `.superseded`."""
    (record_file,) = [p for p in results.rglob("record.json") if ".superseded" not in p.parts]
    return record_file.parent


def _as_uninterrupted(tmp_path: Path, results: Path) -> tuple[dict, bool]:
    """The resumed run's record, and whether its metrics and curves are those of the
    uninterrupted run in `tmp_path / "whole"`."""
    record = json.loads((_run_folder(results) / "record.json").read_text())
    whole = json.loads((_run_folder(tmp_path / "whole") / "record.json").read_text())
    same = record["metrics"] == whole["metrics"]
    return record, same and _curves(results) == _curves(tmp_path / "whole")


@pytest.mark.parametrize(
    ("module", "overrides", "lost"),
    [
        ("NoEpochEndHook", ["+data.plain_loader=true"], None),
        # shuffled by its own seeded generator, which no checkpoint kept: the
        # resumed run's next pass repeated its first pass's order
        ("NoEpochEndHook", ["+data.plain_loader=true", "+data.generator_seed=7"], None),
        # rebuilt each epoch, with a generator of its own: Lightning draws a later
        # epoch's order after one more draw than the resumed epoch's; recorded exact: true
        (
            "NoEpochEndHook",
            [
                "+data.plain_loader=true",
                "+data.generator_seed=7",
                "++trainer.reload_dataloaders_every_n_epochs=1",
            ],
            "reload_dataloaders_every_n_epochs",
        ),
        # Lightning runs no module hook of the epoch a resume starts after
        ("MovesAtEpochEnd", ["+data.plain_loader=true"], "on_train_epoch_end"),
        # nor does it keep the epoch's gathered means: they covered the later batches only
        ("LogsEpochMeans", [], "on_epoch=True (train/loss_mean)"),
        ("LogsEpochMeans", ["+data.plain_loader=true"], "on_epoch=True (train/loss_mean)"),
        # hooks that run after the save, or not again when a resume is mid-epoch,
        # and a plateau schedule Lightning does not step at the end of a resumed epoch
        ("MovesAtBatchEnd", [], "on_train_batch_end"),
        ("ScalesAtEpochStart", [], "on_train_epoch_start"),
        ("HalvesOnPlateau", ["++trainer.check_val_every_n_epoch=1"], "ReduceLROnPlateau"),
    ],
)
def test_a_resume_is_exact_or_says_what_lightning_did_not_keep(
    signalling_paper: Path, tmp_path: Path, module: str, overrides: list[str], lost: str | None
) -> None:
    """Epoch-based training: a DataLoader without state_dict starts a new pass where an epoch
    ends (its shuffle drawn from the torch RNG, which the checkpoint restores), so a stop
    mid-epoch waits for that end and resumes exactly. What Lightning does not checkpoint, the
    module's epoch-end hook (test/mse 0.003972 against 0.004003) and on_epoch means, makes
    the resume inexact, and the record says so."""
    _use_module(signalling_paper, module)
    overrides = [
        *EPOCH_BASED,
        "++trainer.check_val_every_n_epoch=3",
        "trainer.log_every_n_steps=1",
        *overrides,
    ]
    expected = _run(signalling_paper, tmp_path / "whole", *overrides, logger="csv")
    assert expected.returncode == 0, expected.stderr
    results = tmp_path / "stopped"
    stop = {"REPRO_TEST_SIGNAL_AT": "mid_train_batch", "REPRO_TEST_SIGNAL": "SIGTERM"}
    stopped = _run(signalling_paper, results, *overrides, logger="csv", **stop)
    assert stopped.returncode == 143, stopped.stderr
    resumed = _run(signalling_paper, results, *overrides, logger="csv")
    assert resumed.returncode == 0, resumed.stderr
    record, same = _as_uninterrupted(tmp_path, results)
    if lost is None:
        assert record["resumed_from"]["exact"] is True and same
    else:
        assert record["resumed_from"]["exact"] is False and not same
        assert lost in record["resumed_from"]["why_inexact"]


def test_a_loader_rebuilt_each_epoch_around_the_data_modules_generator_resumes_exactly(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """a train loader rebuilt every epoch that shuffles with a generator the
    data module keeps (made once) resumes exactly (restored, then drawn as Lightning draws
    a later epoch's): the record says exact: true. One made anew by each build does not
    (test_a_resume_is_exact_or_says_what_lightning_did_not_keep)."""
    _use_module(signalling_paper, "NoEpochEndHook")
    data = signalling_paper / "sig" / "data.py"
    made = "generator = torch.Generator().manual_seed(self.generator_seed)"
    kept = "self.kept = getattr(self, 'kept', None) or " + made.split(" = ")[1]
    assert made in data.read_text()
    data.write_text(data.read_text().replace(made, f"{kept}; generator = self.kept"))
    overrides = [
        *EPOCH_BASED,
        "++trainer.check_val_every_n_epoch=3",
        "trainer.log_every_n_steps=1",
        "+data.plain_loader=true",
        "+data.generator_seed=7",
        "++trainer.reload_dataloaders_every_n_epochs=1",
    ]
    expected = _run(signalling_paper, tmp_path / "whole", *overrides, logger="csv")
    assert expected.returncode == 0, expected.stderr
    results = tmp_path / "stopped"
    stop = {"REPRO_TEST_SIGNAL_AT": "mid_train_batch", "REPRO_TEST_SIGNAL": "SIGTERM"}
    stopped = _run(signalling_paper, results, *overrides, logger="csv", **stop)
    assert stopped.returncode == 143, stopped.stderr
    resumed = _run(signalling_paper, results, *overrides, logger="csv")
    assert resumed.returncode == 0, resumed.stderr
    record, same = _as_uninterrupted(tmp_path, results)
    assert record["resumed_from"]["exact"] is True and same, record["resumed_from"]


def test_a_checkpoint_saved_without_the_loaders_generators_resumes_saying_not_exactly(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """a run stopped under a repro that kept no train loader's own generator
    (by an earlier repro) and resumed now: the loader's generator starts anew, the orders
    repeat, and the record said exact: true. It says exact: false and why."""
    import torch

    _use_module(signalling_paper, "NoEpochEndHook")
    overrides = [
        *EPOCH_BASED,
        "++trainer.check_val_every_n_epoch=3",
        "+data.plain_loader=true",
        "+data.generator_seed=7",
    ]
    results = tmp_path / "stopped"
    stop = {"REPRO_TEST_SIGNAL_AT": "mid_train_batch", "REPRO_TEST_SIGNAL": "SIGTERM"}
    stopped = _run(signalling_paper, results, *overrides, **stop)
    assert stopped.returncode == 143, stopped.stderr
    (saved,) = results.rglob("last.ckpt")
    older = torch.load(saved, map_location="cpu", weights_only=False)
    del older["repro_loader_generators"]  # as an earlier repro saved it
    torch.save(older, saved)
    resumed = _run(signalling_paper, results, *overrides)
    assert resumed.returncode == 0, resumed.stderr
    record = json.loads((_run_folder(results) / "record.json").read_text())
    assert record["resumed_from"]["exact"] is False, record["resumed_from"]
    assert "own generator" in record["resumed_from"]["why_inexact"]
    assert "not exactly" in resumed.stderr, resumed.stderr


@pytest.mark.parametrize(
    ("module", "extra", "lost"),
    [
        ("SignallingModule", [], None),
        # Lightning's Timer has an on_train_end too, which changes nothing the test sees
        ("SignallingModule", ["++trainer.max_time=00:01:00:00"], None),
        # the save waits for the module's and callbacks' on_train_end (WeightAveraging swaps its
        # average in there): resumed, it said exact: false ("on_train_end") and tested other
        # weights
        ("MovesAtTrainEnd", [], None),
        ("CallbackMovesAtTrainEnd", [], None),
    ],
)
def test_a_stop_at_the_last_step_saves_where_training_ends(
    signalling_paper: Path, tmp_path: Path, module: str, extra: list[str], lost: str | None
) -> None:
    """A stop at the run's last step (max_steps, mid-epoch) waits for training's end: the
    rerun only tests, under the epoch and step an uninterrupted run tests under (it said epoch
    1, step 5 against 2, 6), and the weights the module's and its callbacks' on_train_end
    left, which the rerun never runs."""
    _use_module(signalling_paper, module)
    overrides = ["trainer.max_steps=6", "trainer.log_every_n_steps=1", *extra]
    expected = _run(signalling_paper, tmp_path / "whole", *overrides, logger="csv")
    assert expected.returncode == 0, expected.stderr
    results = tmp_path / "stopped"
    stop = {"REPRO_TEST_SIGNAL_AT": "train_batch_1", "REPRO_TEST_SIGNAL": "SIGTERM"}
    stopped = _run(signalling_paper, results, *overrides, logger="csv", **stop)
    assert stopped.returncode == 143, stopped.stderr
    assert "interrupted by SIGTERM at step 6" in stopped.stderr
    resumed = _run(signalling_paper, results, *overrides, logger="csv")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from step 6" in resumed.stderr
    record, same = _as_uninterrupted(tmp_path, results)
    if lost is None:
        assert record["resumed_from"]["exact"] is True and same
    else:
        assert record["resumed_from"]["exact"] is False and not same
        assert lost in record["resumed_from"]["why_inexact"]


@pytest.mark.parametrize(
    ("overrides", "stop_at"),
    [
        (["trainer.max_steps=40", "++trainer.max_epochs=2"], "last_train_batch"),
        (
            [*EPOCH_BASED[:1], "++trainer.max_epochs=2", "+data.plain_loader=true"],
            "mid_train_batch",
        ),
    ],
)
def test_a_stop_at_the_last_epochs_end_saves_where_training_ends(
    signalling_paper: Path, tmp_path: Path, overrides: list[str], stop_at: str
) -> None:
    """training ended by max_epochs: a stop at the last epoch's end was saved there,
    before the module's on_train_end, which the rerun (it only tests) never ran: test/mse
    1.0190 against 1.1853, recorded as exact: true. It now waits for the end of the fit."""
    _use_module(signalling_paper, "MovesAtTrainEndOnly")
    overrides = [*overrides, "++trainer.check_val_every_n_epoch=3", "trainer.log_every_n_steps=1"]
    expected = _run(signalling_paper, tmp_path / "whole", *overrides, logger="csv")
    assert expected.returncode == 0, expected.stderr
    results = tmp_path / "stopped"
    stop = {"REPRO_TEST_SIGNAL_AT": stop_at, "REPRO_TEST_SIGNAL": "SIGTERM"}
    stopped = _run(signalling_paper, results, *overrides, logger="csv", **stop)
    assert stopped.returncode == 143, stopped.stderr
    resumed = _run(signalling_paper, results, *overrides, logger="csv")
    assert resumed.returncode == 0, resumed.stderr
    record, same = _as_uninterrupted(tmp_path, results)
    assert record["resumed_from"]["exact"] is True and same, record["resumed_from"]


@pytest.mark.parametrize("module", ["AveragesWeights", "AveragesWeightsSWA"])
def test_the_kept_weights_are_those_tested_and_a_stop_in_the_test_resumes_them(
    signalling_paper: Path, tmp_path: Path, module: str
) -> None:
    """EMA and SWA swap their average into the module as training ends (on_train_end), after
    repro's final save: the kept last.ckpt held weights no test used (SWA: the last step's,
    not the average), and a stop during the test resumed into testing those (exact: false)."""
    import torch

    _use_module(signalling_paper, module)
    overrides = ["trainer.log_every_n_steps=1", "checkpoint.keep=true"]
    tested = tmp_path / "tested.pt"
    whole = _run(signalling_paper, tmp_path / "whole", *overrides, REPRO_TEST_WEIGHTS=str(tested))
    assert whole.returncode == 0, whole.stderr
    (kept,) = (_run_folder(tmp_path / "whole") / "checkpoints").glob("last.ckpt")
    kept_weights = torch.load(kept, weights_only=False)["state_dict"]
    for name, value in torch.load(tested).items():
        assert torch.equal(kept_weights[name], value), name
    results = tmp_path / "stopped"
    stop = {"REPRO_TEST_SIGNAL_AT": "test", "REPRO_TEST_SIGNAL": "SIGTERM"}
    stopped = _run(signalling_paper, results, *overrides, **stop)
    assert stopped.returncode == 143, stopped.stderr
    resumed = _run(signalling_paper, results, *overrides)
    assert resumed.returncode == 0, resumed.stderr
    record = json.loads((_run_folder(results) / "record.json").read_text())
    expected = json.loads((_run_folder(tmp_path / "whole") / "record.json").read_text())
    assert record["resumed_from"]["exact"] is True, record["resumed_from"]
    assert record["metrics"] == expected["metrics"]


@pytest.mark.parametrize("keep", [True, False])
def test_a_stop_as_early_stopping_ends_training_trains_again_from_the_start(
    signalling_paper: Path, tmp_path: Path, keep: bool
) -> None:
    """a stop that waited past the last validation until EarlyStopping ended
    training left a checkpoint Lightning resumes into more training (should_stop is not
    kept): every rerun failed ("Early stopping conditioned on metric val/mse which is not
    available"). Such a save now says so, and the rerun trains from the start."""
    _use_module(signalling_paper, "StopsEarly")
    overrides = ["trainer.log_every_n_steps=1", f"checkpoint.keep={str(keep).lower()}"]
    expected = _run(signalling_paper, tmp_path / "whole", *overrides, logger="csv")
    assert expected.returncode == 0, expected.stderr
    whole = json.loads(next((tmp_path / "whole").rglob("record.json")).read_text())
    assert whole["timing"]["stopped_by"] == "early stopping"
    results = tmp_path / "stopped"
    stop = {"REPRO_TEST_SIGNAL_AT": "last_train_batch", "REPRO_TEST_SIGNAL": "SIGTERM"}
    stopped = _run(signalling_paper, results, *overrides, logger="csv", **stop)
    assert stopped.returncode == 143, stopped.stderr
    again = _run(signalling_paper, results, *overrides, logger="csv")
    assert again.returncode == 0, again.stderr
    record = json.loads(next(results.rglob("record.json")).read_text())
    assert record["status"] == "completed" and not record["resumed_from"]
    assert record["metrics"] == whole["metrics"]


def _saved_step(results: Path) -> int:
    import torch

    (path,) = (_run_folder(results) / "checkpoints").glob("*.ckpt")
    return torch.load(path, weights_only=False)["global_step"]


def test_the_line_of_a_stop_names_the_step_of_the_checkpoint_a_rerun_resumes(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """with checkpoint.keep=false the last save is a periodic one, before training
    ended; a stop during the test said "at step 40; checkpoint saved" of a file from step
    37. The line names the file's step."""
    results = tmp_path / "results"
    overrides = ["checkpoint.keep=false", "checkpoint.every_s=0"]
    stop = {"REPRO_TEST_SIGNAL_AT": "test", "REPRO_TEST_SIGNAL": "SIGINT"}
    stopped = _run(signalling_paper, results, *overrides, **stop)
    assert stopped.returncode == 130, stopped.stderr
    saved = _saved_step(results)
    assert saved < 40
    last_line = stopped.stderr.strip().splitlines()[-1]
    assert f"at step 40; checkpoint saved at step {saved}, run again to resume" in last_line
    resumed = _run(signalling_paper, results, *overrides)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming from step {saved}" in resumed.stderr


def _said_is_done(line: str, rerun) -> None:
    """What a stop's line said a rerun does is what the rerun did."""
    import re

    assert rerun.returncode == 0, rerun.stderr
    resumed = re.search(r"resuming from step (\d+)", rerun.stderr)
    if "starts over" in line or "from the start" in line:
        assert resumed is None, (line, resumed and resumed.group(0))
    else:
        said = re.search(r"checkpoint saved at step (\d+)", line)
        assert resumed and said and said.group(1) == resumed.group(1), (line, rerun.stderr)


@pytest.mark.parametrize(
    ("overrides", "stop_at", "damage"),
    [
        # resumed with checkpoint.enabled=false: "nothing saved, a rerun starts over", and the
        # rerun resumed the file it had resumed
        (["checkpoint.enabled=false"], "validation", None),
        # rerun=true of an interrupted run, stopped before its first save: "checkpoint saved"
        # of the earlier attempt's file, which the same command never resumes (with
        # enabled=false: "a rerun starts over", and a plain rerun resumed it)
        (["rerun=true"], "sanity_check", None),
        (["rerun=true", "checkpoint.enabled=false"], "sanity_check", None),
        # an unreadable checkpoint, then a stop before the first save: "checkpoint saved"
        ([], "sanity_check", "checkpoint"),
        # a corrupt record (kept aside), then the same: "nothing saved, a rerun
        # starts over" (or "checkpoint saved") of a file the next run resumed
        (["checkpoint.enabled=false"], "sanity_check", "record"),
        ([], "sanity_check", "record"),
    ],
)
def test_the_line_of_a_stop_is_true_of_the_checkpoint_an_earlier_attempt_left(
    signalling_paper: Path, tmp_path: Path, overrides: list[str], stop_at: str, damage: str | None
) -> None:
    """the line spoke of the file on disk as this attempt's, or ignored it."""
    results = tmp_path / "results"
    sanity = "trainer.num_sanity_val_steps=1"
    stop = {"REPRO_TEST_SIGNAL": "SIGTERM"}
    first = _run(signalling_paper, results, sanity, REPRO_TEST_SIGNAL_AT="mid_train_batch", **stop)
    assert first.returncode == 143, first.stderr
    (path,) = results.rglob("last.ckpt" if damage == "checkpoint" else "record.json")
    if damage:
        path.write_bytes(path.read_bytes()[:1000] if damage == "checkpoint" else b"{")
    second = _run(
        signalling_paper, results, sanity, *overrides, REPRO_TEST_SIGNAL_AT=stop_at, **stop
    )
    assert second.returncode == 143, second.stderr
    line = second.stderr.strip().splitlines()[-1]
    record = json.loads((_run_folder(results) / "record.json").read_text())
    assert line.startswith(f"error: {record['error']}")
    plain = [o for o in overrides if not o.startswith("rerun=")]
    _said_is_done(line, _run(signalling_paper, results, sanity, *plain))


def test_a_completed_runs_final_weights_outlive_its_corrupt_record(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """a completed run's record became corrupt (a metric edited to text): the next
    attempt deleted its final weights as it started ("no record says whose it is", though
    record.corrupt.json does). They are kept beside that record now."""
    import torch

    results = tmp_path / "r"
    assert _run(signalling_paper, results, "trainer.max_steps=8").returncode == 0
    folder = _run_folder(results)
    weights = torch.load(folder / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    record = json.loads((folder / "record.json").read_text())
    record["metrics"]["test/mse"] = "n/a"
    (folder / "record.json").write_text(json.dumps(record))
    kill = {"REPRO_TEST_SIGNAL_AT": "train_batch_0", "REPRO_TEST_SIGNAL": "SIGKILL"}
    killed = _run(signalling_paper, results, "trainer.max_steps=8", **kill)
    assert killed.returncode == -9, killed.stderr
    assert "record.corrupt.json" in killed.stderr and "last.corrupt.ckpt" in killed.stderr
    assert (folder / "record.corrupt.json").is_file()
    kept = torch.load(folder / "last.corrupt.ckpt", weights_only=False)["state_dict"]
    assert all(torch.equal(kept[name], value) for name, value in weights.items())


def test_a_killed_rerun_of_a_completed_run_is_named_by_the_run_and_sweep_that_skip_it(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """helper-leftovers: `rerun=true` of a completed run, killed with kill -9, left its
    record.rerun.json (`running`) and rerun.ckpt beside the completed record; the next
    `repro run` and `repro sweep` skipped the run without a word about them, showing the
    completed run's metrics as if the rerun had never been asked for."""
    results = tmp_path / "r"
    assert _run(signalling_paper, results, "trainer.max_steps=8").returncode == 0
    folder = _run_folder(results)
    completed = (folder / "record.json").read_text()
    kill = {"REPRO_TEST_SIGNAL_AT": "train_batch_0", "REPRO_TEST_SIGNAL": "SIGKILL"}
    killed = _run(signalling_paper, results, "trainer.max_steps=8", "rerun=true", **kill)
    assert killed.returncode == -9, killed.stderr
    assert (folder / "record.rerun.json").is_file()
    skipped = _run(signalling_paper, results, "trainer.max_steps=8")
    assert skipped.returncode == 0, skipped.stderr
    assert "already completed" in skipped.stdout
    assert "record.rerun.json" in skipped.stderr and "rerun=true starts over" in skipped.stderr
    sweep = ("sweep", "--papers-dir", str(signalling_paper), "paper=sig", "seeds=1")
    swept = repro(
        *sweep, "logger=none", "trainer.max_steps=8", "+trainer.val_check_interval=1.0",
        env={"REPRO_RESULTS_DIR": str(results)},
    )  # fmt: skip
    assert swept.returncode == 0, swept.stderr
    assert "record.rerun.json" in swept.stdout + swept.stderr
    assert (folder / "record.json").read_text() == completed


KILLED_AS_A_RERUN_COMPLETES = """
import os, signal, sys
from repro.running import runner

real = runner.Attempt.end

def end_then_die(self, status, error):  # kill -9 once the completed record is written
    real(self, status, error)
    if status == "completed" and self.rerunning_completed:
        os.kill(os.getpid(), signal.SIGKILL)

runner.Attempt.end = end_then_die
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("then", ["run", "sweep"])
def test_a_rerun_killed_as_its_record_is_written_gets_its_weights_in_place(
    signalling_paper: Path, tmp_path: Path, then: str
) -> None:
    """helper-leftovers: kill -9 after a rerun's completed record was written, before its
    final weights (rerun.ckpt) replaced the earlier run's last.ckpt: the record named
    last.ckpt as its weights, which were the earlier run's, and rerun.ckpt stayed for good.
    The next run or sweep moves them into place."""
    results = tmp_path / "r"
    assert _run(signalling_paper, results, "trainer.max_steps=8").returncode == 0
    folder = _run_folder(results)
    killed = _run(
        signalling_paper,
        results,
        "trainer.max_steps=8",
        "rerun=true",
        patched_by=KILLED_AS_A_RERUN_COMPLETES,
    )
    assert killed.returncode == -9, killed.stderr
    record = json.loads((folder / "record.json").read_text())
    assert record["attempts"] == 2 and record["checkpoint"]["kept"]
    weights = (folder / "checkpoints" / "rerun.ckpt").read_bytes()
    if then == "run":
        again = _run(signalling_paper, results, "trainer.max_steps=8")
    else:
        again = repro(
            "sweep", "--papers-dir", str(signalling_paper), "paper=sig", "seeds=1",
            "logger=none", "trainer.max_steps=8", "+trainer.val_check_interval=1.0",
            env={"REPRO_RESULTS_DIR": str(results)},
        )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert (folder / "checkpoints" / "last.ckpt").read_bytes() == weights
    assert sorted(p.name for p in folder.rglob("*rerun*")) == []
    assert "did not finish" not in again.stdout + again.stderr
    assert json.loads((folder / "record.json").read_text()) == record


KILLED_AROUND_A_RERUNS_RECORD = """
import os, signal, sys
from repro.records import store

real = store.write_record
WHEN = os.environ["KILL_WHEN"]

def write_then_die(folder, record, name=store.RECORD_FILE):  # kill -9 around a rerun's record
    completing = name == store.RECORD_FILE and record.get("attempts") == 2
    if completing and WHEN == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real(folder, record, name)
    if completing and WHEN == "after":
        os.kill(os.getpid(), signal.SIGKILL)

store.write_record = write_then_die
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_rerun_killed_around_its_record_leaves_the_config_of_the_record_beside_it(
    signalling_paper: Path, tmp_path: Path, when: str
) -> None:
    """Session 19: `Attempt.end` put the rerun's config.yaml in place before its record:
    kill -9 between the two left the earlier run's completed record beside the rerun's
    config (here `trainer.accelerator=cpu`, which is not part of the setting), a record that
    named a config which did not make it. The config follows its record; a kill after the
    record leaves config.rerun.yaml, which the next run puts in place."""
    results = tmp_path / "r"
    assert _run(signalling_paper, results, "trainer.max_steps=8").returncode == 0
    folder = _run_folder(results)
    first = (folder / "config.yaml").read_text()
    rerun = ("trainer.max_steps=8", "trainer.accelerator=cpu", "rerun=true")
    patch = {"patched_by": KILLED_AROUND_A_RERUNS_RECORD, "KILL_WHEN": when}
    killed = _run(signalling_paper, results, *rerun, **patch)
    assert killed.returncode == -9, killed.stderr
    attempts = json.loads((folder / "record.json").read_text())["attempts"]
    assert attempts == (1 if when == "before" else 2)
    assert (folder / "config.yaml").read_text() == first or when == "after"
    again = _run(signalling_paper, results, "trainer.max_steps=8")
    assert again.returncode == 0, again.stderr
    config = (folder / "config.yaml").read_text()
    assert attempts == json.loads((folder / "record.json").read_text())["attempts"]
    assert (config == first) is (when == "before"), config
    if when == "before":  # a rerun killed before it completed: named, kept for rerun=true
        assert "rerun=true starts over" in again.stderr
    else:
        assert "accelerator: cpu" in config
        assert sorted(p.name for p in folder.rglob("*rerun*")) == []


KILLED_AS_A_RERUNS_LOG_IS_MOVED = """
import os, signal, sys
from repro.running import loggers

def die(record_dir):  # kill -9 before the completed rerun's CSV log replaces the earlier one
    os.kill(os.getpid(), signal.SIGKILL)

loggers.replace_csv_log = die
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


DISK_FULL_AS_IT_SAVES = """
import errno, os, sys
import lightning.pytorch as pl

def save(self, path, *args, **kwargs):  # a full disk: part of the file written, then ENOSPC
    with open(path, "wb") as partial:
        partial.write(b"part of a checkpoint")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

pl.Trainer.save_checkpoint = save
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


def test_a_checkpoint_write_on_a_full_disk_fails_naming_it_and_leaves_no_part_of_it(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """a periodic checkpoint save on a full disk failed the run as `OSError: [Errno
    28] No space left on device`, naming no file, and left the part written in
    checkpoints/.last.ckpt.tmp, which kept the disk full for the rerun."""
    results = tmp_path / "r"
    patch = DISK_FULL_AS_IT_SAVES
    steps = ("trainer.max_steps=8", "checkpoint.every_s=0")
    failed = _run(signalling_paper, results, *steps, patched_by=patch)
    assert failed.returncode == 1, failed.stderr
    folder = _run_folder(results)
    record = json.loads((folder / "record.json").read_text())
    assert record["status"] == "failed"
    assert "cannot save checkpoint" in record["error"] and "last.ckpt" in record["error"]
    assert "error: cannot save checkpoint" in failed.stderr
    assert not [p.name for p in (folder / "checkpoints").rglob("*")]


DISK_FULL_AT_THE_FINAL_SAVE = """
import errno, os, sys
import lightning.pytorch as pl

real = pl.Trainer.save_checkpoint

def save(self, path, *args, **kwargs):  # the periodic saves fit; the disk fills by the last
    if self.global_step < self.max_steps:
        return real(self, path, *args, **kwargs)
    with open(path, "wb") as partial:
        partial.write(b"part of a checkpoint")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

pl.Trainer.save_checkpoint = save
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("every_s", ["30", "0"])
def test_a_full_disk_at_the_final_save_still_tests_the_run_and_says_its_weights_are_not_kept(
    signalling_paper: Path, tmp_path: Path, every_s: str
) -> None:
    """the final weights' save on a full disk failed a run that had trained all its
    steps: recorded `failed`, never tested, its training lost. The weights are in memory: it
    is tested, recorded completed, and its record says they were not kept and why; an
    earlier periodic save (every_s=0) is not recorded as its final weights."""
    results = tmp_path / "r"
    steps = ("trainer.max_steps=8", f"checkpoint.every_s={every_s}")
    done = _run(signalling_paper, results, *steps, patched_by=DISK_FULL_AT_THE_FINAL_SAVE)
    assert done.returncode == 0, done.stderr
    folder = _run_folder(results)
    record = json.loads((folder / "record.json").read_text())
    assert record["status"] == "completed" and "test/mse" in record["metrics"], record
    assert record["checkpoint"]["kept"] is False, record["checkpoint"]
    assert "No space left on device" in record["checkpoint"]["reason"], record["checkpoint"]
    assert "warning: final weights not kept" in done.stderr, done.stderr
    assert not (folder / "checkpoints").exists() or not list((folder / "checkpoints").iterdir())


DISK_FULL_AND_ITS_PART_UNREMOVABLE = DISK_FULL_AT_THE_FINAL_SAVE.replace(
    "pl.Trainer.save_checkpoint = save",
    """pl.Trainer.save_checkpoint = save
import pathlib

real_unlink = pathlib.Path.unlink

def unlink(self, missing_ok=False):  # the disk went read-only as it filled
    if self.name.endswith(".ckpt.tmp") and self.exists():
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
    return real_unlink(self, missing_ok)

pathlib.Path.unlink = unlink""",
)


def test_a_full_disk_whose_part_cannot_be_removed_still_names_the_failed_save(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """the final save on a full disk whose part could not then be removed (the disk gone
    read-only) failed the trained run with a bare `OSError: [Errno 30] Read-only file
    system` instead of the save's named error, so the run was never tested. The named
    error stands: the run is tested and recorded completed, its weights not kept."""
    results = tmp_path / "r"
    done = _run(
        signalling_paper, results, "trainer.max_steps=8",
        patched_by=DISK_FULL_AND_ITS_PART_UNREMOVABLE,
    )  # fmt: skip
    record = json.loads((_run_folder(results) / "record.json").read_text())
    assert record["status"] == "completed", record.get("error")
    assert "No space left on device" in record["checkpoint"]["reason"], record["checkpoint"]
    assert "Traceback" not in done.stderr, done.stderr


def test_a_stop_whose_save_meets_a_full_disk_says_so(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """SIGTERM at the last step, whose save then met a full disk: the run was recorded
    `interrupted by SIGTERM; checkpoint saved at step 5, run again to resume`, the failed
    save not named, so the user was never told the disk is full (and steps 6 to 8 were
    lost). It is still interrupted, resumable from step 5; its line names the failed save."""
    results = tmp_path / "r"
    stopped = _run(
        signalling_paper, results, "trainer.max_steps=8", "checkpoint.every_s=0",
        patched_by=DISK_FULL_AT_THE_FINAL_SAVE,
        REPRO_TEST_SIGNAL_AT="train_batch_3", REPRO_TEST_SIGNAL="SIGTERM",
    )  # fmt: skip
    assert stopped.returncode == 143, stopped.stderr
    record = json.loads((_run_folder(results) / "record.json").read_text())
    assert record["status"] == "interrupted", record
    assert "No space left on device" in record["error"], record["error"]
    assert "checkpoint saved at step 5" in record["error"], record["error"]
    assert record["error"] in stopped.stderr.replace("\n", " "), stopped.stderr


KILLED_AS_IT_SAVES = """
import os, signal, sys
import lightning.pytorch as pl

def save(self, path, *args, **kwargs):  # kill -9 with part of the checkpoint written
    with open(path, "wb") as partial:
        partial.write(b"part of a checkpoint")
    os.kill(os.getpid(), signal.SIGKILL)

pl.Trainer.save_checkpoint = save
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("rerun", [False, True])
def test_a_save_killed_midway_leaves_no_part_of_it_beside_the_completed_run(
    signalling_paper: Path, tmp_path: Path, rerun: bool
) -> None:
    """kill -9 while a checkpoint was written left its part (.last.ckpt.tmp, or
    .rerun.ckpt.tmp for a rerun=true) in checkpoints/; the run that then completed without
    another save (checkpoint.keep=false) kept it beside its record for good, as large as
    the model's weights."""
    results = tmp_path / "r"
    steps = ("trainer.max_steps=8",)
    if rerun:
        assert _run(signalling_paper, results, *steps).returncode == 0
    again = ("rerun=true",) if rerun else ()
    killed = _run(
        signalling_paper, results, *steps, *again, "checkpoint.every_s=0",
        patched_by=KILLED_AS_IT_SAVES,
    )  # fmt: skip
    assert killed.returncode == -9, killed.stderr
    folder = _run_folder(results)
    assert [p.name for p in (folder / "checkpoints").glob(".*.tmp")], "no part left"
    done = _run(signalling_paper, results, *steps, *again, "checkpoint.keep=false")
    assert done.returncode == 0, done.stderr
    assert json.loads((folder / "record.json").read_text())["status"] == "completed"
    assert not (folder / "checkpoints").exists(), list((folder / "checkpoints").iterdir())


def test_a_rerun_after_one_killed_as_it_completed_keeps_its_own_config(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """a rerun=true after one killed as it completed wrote its config.rerun.yaml
    first, then put the killed one's files in place, which moved that new config over
    config.yaml: the record it finished named a config that did not make it, and the new
    rerun, completed, ended `its files could not all follow it (... config.rerun.yaml)`."""
    results = tmp_path / "r"
    steps = ("trainer.max_steps=8", "logger=csv")
    assert _run(signalling_paper, results, *steps).returncode == 0
    folder = _run_folder(results)
    patched = KILLED_AS_A_RERUNS_LOG_IS_MOVED
    killed = _run(signalling_paper, results, *steps, "rerun=true", patched_by=patched)
    assert killed.returncode == -9, killed.stderr
    again = _run(signalling_paper, results, *steps, "trainer.accelerator=cpu", "rerun=true")
    assert again.returncode == 0, again.stderr
    assert "config.rerun.yaml" not in again.stderr
    assert json.loads((folder / "record.json").read_text())["attempts"] == 3
    assert "accelerator: cpu" in (folder / "config.yaml").read_text()
    assert sorted(p.name for p in folder.rglob("*rerun*")) == []


WEIGHTS_NOT_MOVED = """
import errno, os, sys

real = os.replace

def replace(src, dst, *args, **kwargs):  # a completed rerun's final weights cannot move
    if os.path.basename(src) == "rerun.ckpt":
        raise OSError(errno.EIO, os.strerror(errno.EIO), src)
    return real(src, dst, *args, **kwargs)

os.replace = replace
from repro.cli import main

sys.argv = ["repro", *sys.argv[1:]]
main()
"""


def test_a_rerun_never_saves_over_final_weights_an_earlier_rerun_could_not_move(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """a rerun=true started beside a completed rerun whose final weights could
    not be put in place (rerun.ckpt, named by record.json as kept) warned, then trained and
    saved over them; stopped, it deleted them: the record's weights were lost for good. It
    now refuses to train until they are in place, and they stay."""
    results = tmp_path / "r"
    steps = ("trainer.max_steps=8",)
    assert _run(signalling_paper, results, *steps).returncode == 0
    folder = _run_folder(results)
    killed = _run(
        signalling_paper, results, *steps, "rerun=true", patched_by=KILLED_AS_A_RERUN_COMPLETES
    )
    assert killed.returncode == -9, killed.stderr
    record = json.loads((folder / "record.json").read_text())
    weights = (folder / "checkpoints" / "rerun.ckpt").stat().st_ino  # bytes: the same as before
    stop = {"REPRO_TEST_SIGNAL_AT": "train_batch_1", "REPRO_TEST_SIGNAL": "SIGTERM"}
    again = _run(
        signalling_paper, results, *steps, "rerun=true", patched_by=WEIGHTS_NOT_MOVED, **stop
    )
    assert again.returncode == 1, again.stderr
    assert "rerun.ckpt" in again.stderr.strip().splitlines()[-1]
    # the warning it points to names the file that could not move, not only the folder
    assert f"Input/output error: {folder}/checkpoints/rerun.ckpt" in again.stderr, again.stderr
    assert json.loads((folder / "record.json").read_text()) == record
    assert (folder / "checkpoints" / "rerun.ckpt").stat().st_ino == weights
    then = _run(signalling_paper, results, *steps)
    assert then.returncode == 0, then.stderr
    assert (folder / "checkpoints" / "last.ckpt").stat().st_ino == weights


def test_a_rerun_killed_before_its_log_is_moved_gets_its_log_in_place(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """helper-leftovers: kill -9 after a rerun's completed record was written, before its
    CSV log (csv-rerun/) replaced the earlier run's: the report drew the earlier run's curves
    beside the rerun's metrics. The next run moves the log (and the weights) into place."""
    results = tmp_path / "r"
    steps = ("trainer.max_steps=8", "logger=csv")
    assert _run(signalling_paper, results, *steps).returncode == 0
    folder = _run_folder(results)
    patched = KILLED_AS_A_RERUNS_LOG_IS_MOVED
    killed = _run(signalling_paper, results, *steps, "rerun=true", patched_by=patched)
    assert killed.returncode == -9, killed.stderr
    log = (folder / "csv-rerun" / "metrics.csv").stat().st_ino  # its content: the same
    again = _run(signalling_paper, results, *steps)
    assert again.returncode == 0, again.stderr
    assert (folder / "csv" / "metrics.csv").stat().st_ino == log
    assert sorted(p.name for p in folder.rglob("*rerun*")) == []


NOISY_TEST = """

class NoisyTest(NoEpochEndHook):
    def test_step(self, batch, batch_idx):
        x, y = batch
        noise = 0.3 * torch.randn(y.shape)  # test-time sampling
        self.log("test/mse", torch.nn.functional.mse_loss(self.net(x).squeeze(-1) + noise, y))
"""


def test_a_rerun_that_only_tests_draws_the_tests_random_numbers_as_uninterrupted(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """resumed where training had ended, Lightning skips the fit but still starts
    the train loader, whose iterator draws a seed from the restored RNG: a test that samples
    drew other numbers (test/mse 1.7347 against 1.6915), said exact. The RNG the checkpoint
    holds is restored again when the fit was skipped."""
    _use_module(signalling_paper, "NoEpochEndHook")
    model = signalling_paper / "sig" / "model.py"
    model.write_text(model.read_text() + NOISY_TEST)
    spec = signalling_paper / "sig" / "paper.yaml"
    spec.write_text(spec.read_text().replace("model:NoEpochEndHook", "model:NoisyTest"))
    overrides = ["trainer.max_steps=6", "+data.plain_loader=true", "trainer.log_every_n_steps=1"]
    expected = _run(signalling_paper, tmp_path / "whole", *overrides, logger="csv")
    assert expected.returncode == 0, expected.stderr
    results = tmp_path / "stopped"
    stop = {"REPRO_TEST_SIGNAL_AT": "train_batch_1", "REPRO_TEST_SIGNAL": "SIGTERM"}
    assert _run(signalling_paper, results, *overrides, logger="csv", **stop).returncode == 143
    resumed = _run(signalling_paper, results, *overrides, logger="csv")
    assert resumed.returncode == 0, resumed.stderr
    record, same = _as_uninterrupted(tmp_path, results)
    assert record["resumed_from"]["exact"] is True and same, record["metrics"]


def test_the_line_of_a_stop_after_an_early_end_says_a_rerun_starts_over(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """training ended early (EarlyStopping) and the stop came during the test: the
    line said "checkpoint saved, run again to resume", but a checkpoint of an early end is
    never resumed (ENDED_EARLY) and the rerun trains from the start."""
    _use_module(signalling_paper, "StopsEarly")
    results = tmp_path / "results"
    stop = {"REPRO_TEST_SIGNAL_AT": "test", "REPRO_TEST_SIGNAL": "SIGTERM"}
    stopped = _run(signalling_paper, results, "checkpoint.keep=true", **stop)
    assert stopped.returncode == 143, stopped.stderr
    last_line = stopped.stderr.strip().splitlines()[-1]
    assert "run again to resume" not in last_line
    assert "a rerun trains again from the start" in last_line
    again = _run(signalling_paper, results, "checkpoint.keep=true")
    assert again.returncode == 0, again.stderr
    record = json.loads((_run_folder(results) / "record.json").read_text())
    assert record["status"] == "completed" and not record["resumed_from"]


@pytest.mark.parametrize(
    ("module", "overrides", "hook", "signal_name"),
    [
        # every rerun failed: "Early stopping conditioned on metric train/loss which is not
        # available" (the resume ran EarlyStopping's epoch-end check again, on nothing)
        (
            "StopsEarlyAtEpochEnd",
            ["++trainer.limit_val_batches=0", "checkpoint.every_s=0"],
            "train_epoch_end",
            "SIGKILL",
        ),
        # the save at the validation came before EarlyStopping's check: the rerun trained on
        # to step 8 (test/mse 1.0469 against 1.5109) and said exact: true
        ("StopsEarlyAtValidation", ["trainer.val_check_interval=0.5"], "validation", "SIGTERM"),
        # a callback's batch-end hook ran after the save, and again on resume (exact: true,
        # test/mse 0.0028406758 against 0.0028406682): the stop waits for the epoch's end
        (
            "CallbackScalesAtBatchEnd",
            ["++trainer.check_val_every_n_epoch=3"],
            "mid_train_batch",
            "SIGTERM",
        ),
    ],
)
def test_a_callback_that_runs_after_repros_is_waited_for(
    signalling_paper: Path,
    tmp_path: Path,
    module: str,
    overrides: list[str],
    hook: str,
    signal_name: str,
) -> None:
    """Lightning runs the plugin's callbacks (configure_callbacks) after repro's
    at a batch's, a validation's and an epoch's end; a save there holds none of what they do
    there. Such points are not safe: the save waits for the next one."""
    _use_module(signalling_paper, module)
    overrides = ["trainer.log_every_n_steps=1", *overrides]
    expected = _run(signalling_paper, tmp_path / "whole", *overrides, logger="csv")
    assert expected.returncode == 0, expected.stderr
    results = tmp_path / "stopped"
    stop = {"REPRO_TEST_SIGNAL_AT": hook, "REPRO_TEST_SIGNAL": signal_name}
    stopped = _run(signalling_paper, results, *overrides, logger="csv", **stop)
    assert stopped.returncode == {"SIGTERM": 143, "SIGKILL": -9}[signal_name], stopped.stderr
    again = _run(signalling_paper, results, *overrides, logger="csv")
    assert again.returncode == 0, again.stderr
    record, same = _as_uninterrupted(tmp_path, results)
    assert same, (record["metrics"], again.stderr)
    assert (record["resumed_from"] or {}).get("exact", True) is True, record["resumed_from"]


def test_a_checkpoint_saved_before_resumes_were_judged_resumes_as_perhaps_inexact(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """A checkpoint written by the repro before this one carries no word on exactness, and
    that repro saved where Lightning resumes wrongly (epoch ends of cut passes): its resume
    is not claimed exact (`exact: null`), here or in any later attempt."""
    import torch

    from repro.running.checkpointing import INEXACT_KEY

    results = tmp_path / "results"
    stop = {"REPRO_TEST_SIGNAL": "SIGTERM"}
    stopped = _run(signalling_paper, results, REPRO_TEST_SIGNAL_AT="mid_train_batch", **stop)
    assert stopped.returncode == 143, stopped.stderr
    (path,) = results.rglob("last.ckpt")
    state = torch.load(path, map_location="cpu", weights_only=True)
    del state[INEXACT_KEY]
    (group,) = state["callbacks"].values()  # repro's callbacks, saved as one
    del group["ResumableCheckpoint"]["inexact"]
    torch.save(state, path)
    stopped_again = _run(signalling_paper, results, REPRO_TEST_SIGNAL_AT="test", **stop)
    assert stopped_again.returncode == 143, stopped_again.stderr
    resumed = _run(signalling_paper, results)
    assert resumed.returncode == 0, resumed.stderr
    (record_file,) = results.rglob("record.json")
    record = json.loads(record_file.read_text())
    assert record["resumed_from"]["exact"] is None
    assert "older repro" in record["resumed_from"]["why_inexact"]
    for rerun in (stopped_again, resumed):
        assert sum("perhaps not exactly" in line for line in rerun.stderr.splitlines()) == 1


def test_a_rerun_started_after_one_killed_as_it_completed_first_puts_its_files_in_place(
    signalling_paper: Path, tmp_path: Path
) -> None:
    """helper-atk1: a rerun killed after its completed record was written (its CSV log and
    weights not yet moved), then a second rerun=true killed as it trained: the second threw
    the first one's log away and saved over its weights, so the record (the first rerun's)
    was left with the earlier run's last.ckpt and curves for good. The first rerun's files go
    into place as the second starts."""
    results = tmp_path / "r"
    steps = ("trainer.max_steps=8", "logger=csv")
    assert _run(signalling_paper, results, *steps).returncode == 0
    folder = _run_folder(results)
    patched = KILLED_AS_A_RERUNS_LOG_IS_MOVED
    killed = _run(signalling_paper, results, *steps, "rerun=true", patched_by=patched)
    assert killed.returncode == -9, killed.stderr
    record = json.loads((folder / "record.json").read_text())
    # its files, told apart by inode (a rerun's numbers are the same as the earlier run's)
    weights = (folder / "checkpoints" / "rerun.ckpt").stat().st_ino
    log = (folder / "csv-rerun" / "metrics.csv").stat().st_ino
    kill = {"REPRO_TEST_SIGNAL_AT": "train_batch_1", "REPRO_TEST_SIGNAL": "SIGKILL"}
    again = _run(signalling_paper, results, *steps, "rerun=true", **kill)
    assert again.returncode == -9, again.stderr
    assert json.loads((folder / "record.json").read_text()) == record
    assert (folder / "checkpoints" / "last.ckpt").stat().st_ino == weights
    assert (folder / "csv" / "metrics.csv").stat().st_ino == log
