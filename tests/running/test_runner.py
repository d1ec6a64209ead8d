"""One run's ways out (running.runner) that no other test file reaches."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_toy_paper


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_during_logger_setup_is_recorded_interrupted_not_failed(
    tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    """Before, a SLURM job cancelled in its first seconds was recorded `failed:
    ConnectionResetError: Connection lost`: srun's SIGTERM also ended wandb-core, so W&B's
    setup raised after the run had noted the signal."""
    from repro.running import loggers
    from repro.running.runner import run_one
    from tests.running.test_together import configs

    folder = write_toy_paper(tmp_path / "plugins")

    def cancelled(*args: Any, **kwargs: Any) -> list[Any]:
        os.kill(os.getpid(), signum)  # noted by the run's handler, then wandb-core is gone
        raise ConnectionResetError("Connection lost")

    monkeypatch.setattr(loggers, "build_loggers", cancelled)
    (config,) = configs("toy", "small", [0], tmp_path / "results", papers=[folder.parent])
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        outcome = run_one(config, command=["repro", "run"])
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    assert outcome.status == "interrupted" and outcome.exit_code == 128 + signum
    (record,) = [json.loads(p.read_text()) for p in (tmp_path / "results").rglob("record.json")]
    assert record["status"] == "interrupted", record.get("error")
