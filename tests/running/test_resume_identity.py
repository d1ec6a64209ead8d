"""A checkpoint is resumed only by the code, config and seed that wrote it.

Otherwise a resume crosses a change: steps before the interruption ran the old code (or
another seed's, another setting's) while the completed record names the new one. Such a
run starts over, says why, and keeps the interrupted attempt aside.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
import yaml

from tests.conftest import run_signalling_paper, write_signalling_paper

INTERRUPT = {"REPRO_TEST_SIGNAL_AT": "train_epoch_end", "REPRO_TEST_SIGNAL": "SIGTERM"}


@pytest.fixture
def plugins(tmp_path: Path) -> Path:
    return write_signalling_paper(tmp_path / "plugins")


def _run(plugins: Path, results: Path, *overrides: str, **env: str):
    return run_signalling_paper(plugins, results, *overrides, **env)


def _interrupted(plugins: Path, results: Path, *overrides: str) -> Path:
    """Run until a SIGTERM at the end of epoch 1; the record folder, with its checkpoint."""
    stopped = _run(plugins, results, *overrides, **INTERRUPT)
    assert stopped.returncode == 143, stopped.stderr
    seed = next((o.split("=")[1] for o in overrides if o.startswith("seed=")), "0")
    (record_file,) = results.rglob(f"seed{seed}/record.json")
    assert json.loads(record_file.read_text())["status"] == "interrupted"
    assert (record_file.parent / "checkpoints" / "last.ckpt").is_file()
    return record_file.parent


def _record(record_dir: Path) -> dict:
    return json.loads((record_dir / "record.json").read_text())


def _kept_attempt(record_dir: Path) -> Path:
    (kept,) = (record_dir / ".superseded").iterdir()
    assert _record(kept)["status"] == "interrupted"
    assert (kept / "checkpoints" / "last.ckpt").is_file()
    return kept


def _assert_started_over(rerun, record_dir: Path, why: str) -> dict:
    assert rerun.returncode == 0, rerun.stderr
    assert "resuming from step" not in rerun.stderr
    (line,) = [x for x in rerun.stderr.splitlines() if x.startswith("not resuming ")]
    assert why in line and "training from the start" in line, line
    kept = _kept_attempt(record_dir)
    assert str(kept.name) in line, line
    record = _record(record_dir)
    assert record["status"] == "completed"
    assert record["resumed_from"] is None
    return record


def _worker_resumes(record_dir: Path) -> Path | None:
    """What a rank > 0 of a multi-process run would resume from, with the current code."""
    from repro.running.runner import _worker_resume_checkpoint

    config = yaml.safe_load((record_dir / "config.yaml").read_text())
    return _worker_resume_checkpoint(config, record_dir)


def test_a_run_interrupted_before_a_code_change_starts_over(plugins: Path, tmp_path: Path):
    results = tmp_path / "results"
    record_dir = _interrupted(plugins, results)
    old_digest = _record(record_dir)["code"]["plugin"]["digest"]
    assert _worker_resumes(record_dir) == record_dir / "checkpoints" / "last.ckpt"

    model = plugins / "sig" / "model.py"
    model.write_text(model.read_text() + "\n\nFIXED = True\n")  # a real code change
    assert _worker_resumes(record_dir) is None  # ranks > 0 decide as rank 0 does

    rerun = _run(plugins, results)
    record = _assert_started_over(rerun, record_dir, "other plugin code (changed: model.py)")
    assert record["code"]["plugin"]["digest"] != old_digest
    assert record["timing"]["steps"] == 40


def test_a_comment_only_edit_still_resumes(plugins: Path, tmp_path: Path):
    results = tmp_path / "results"
    record_dir = _interrupted(plugins, results)
    step = torch.load(record_dir / "checkpoints" / "last.ckpt", weights_only=True)["global_step"]
    model = plugins / "sig" / "model.py"
    model.write_text(model.read_text() + "\n# a comment is not code\n")
    assert _worker_resumes(record_dir) == record_dir / "checkpoints" / "last.ckpt"
    rerun = _run(plugins, results)
    assert rerun.returncode == 0, rerun.stderr
    assert f"resuming from step {step} " in rerun.stderr
    assert "not resuming" not in rerun.stderr
    assert _record(record_dir)["resumed_from"]["step"] == step
    assert not (record_dir / ".superseded").exists()


@pytest.mark.parametrize(
    ("donor", "why"),
    [("seed=1", "another seed (1)"), ("optimizer.lr=0.2", "another config")],
    ids=["seed", "config"],
)
def test_a_checkpoint_of_another_run_copied_in_is_not_resumed(
    plugins: Path, tmp_path: Path, donor: str, why: str
):
    results = tmp_path / "results"
    donor_run = _run(plugins, tmp_path / "donor", donor)  # completed; keeps its final weights
    assert donor_run.returncode == 0, donor_run.stderr
    (donor_dir,) = [p.parent for p in (tmp_path / "donor").rglob("record.json")]
    fresh = _run(plugins, tmp_path / "fresh")  # seed 0, never interrupted
    assert fresh.returncode == 0, fresh.stderr
    (fresh_dir,) = [p.parent for p in (tmp_path / "fresh").rglob("record.json")]

    record_dir = _interrupted(plugins, results)
    shutil.copy(donor_dir / "checkpoints" / "last.ckpt", record_dir / "checkpoints" / "last.ckpt")
    assert _worker_resumes(record_dir) is None

    rerun = _run(plugins, results)
    record = _assert_started_over(rerun, record_dir, f"written by {why}")
    assert record["metrics"] != _record(donor_dir)["metrics"]
    assert record["metrics"] == _record(fresh_dir)["metrics"]


def test_a_checkpoint_that_does_not_say_who_wrote_it_is_not_resumed(plugins: Path, tmp_path: Path):
    """A checkpoint saved before checkpoints carried their identity: unknown, so not trusted."""
    results = tmp_path / "results"
    record_dir = _interrupted(plugins, results)
    last = record_dir / "checkpoints" / "last.ckpt"
    state = torch.load(last, map_location="cpu", weights_only=True)
    state.pop("repro_identity", None)
    torch.save(state, last)
    assert _worker_resumes(record_dir) is None

    rerun = _run(plugins, results)
    _assert_started_over(rerun, record_dir, "does not say which code, config and seed wrote it")


def test_the_checkpoint_names_the_code_config_and_seed_that_wrote_it(plugins: Path, tmp_path: Path):
    from repro.records.fingerprint import code_fingerprint
    from repro.records.store import config_hash
    from repro.running.checkpointing import checkpoint_identity

    record_dir = _interrupted(plugins, tmp_path / "results", "seed=3")
    config = yaml.safe_load((record_dir / "config.yaml").read_text())
    identity = checkpoint_identity(record_dir / "checkpoints" / "last.ckpt")
    assert identity is not None
    assert identity["seed"] == 3
    assert identity["config_hash"] == config_hash(config) == _record(record_dir)["config_hash"]
    assert identity["code_digest"] == code_fingerprint(plugins / "sig")["digest"]
    assert identity["code_digest"] == _record(record_dir)["code"]["plugin"]["digest"]
