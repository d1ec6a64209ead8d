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

from tests.conftest import repro, write_signalling_paper


@pytest.fixture
def signalling_paper(tmp_path: Path) -> Path:
    plugins = tmp_path / "plugins"
    write_signalling_paper(plugins)
    return plugins


def _run(plugins: Path, results: Path, *overrides: str, **env: str):
    return repro(
        "run",
        "--papers-dir",
        str(plugins),
        "paper=sig",
        "experiment=small",
        "logger=none",
        "trainer.max_steps=40",
        "+trainer.val_check_interval=1.0",
        *overrides,
        env={"REPRO_RESULTS_DIR": str(results), **env},
    )


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
