"""A record's command reruns that very run when pasted from its `cwd`, whatever environment
found its plugin and results folder; a `rerun=true` of a completed run leaves that run's
files alone until it completes, and an interrupted one says what rerunning does."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import repro, run_signalling_paper, write_signalling_paper, write_toy_paper

TOY = ("run", "paper=toy", "experiment=small", "logger=none", "trainer.max_steps=3")


def _records(results: Path) -> list[Path]:
    return sorted(results.rglob("record.json"))


def _only_record(results: Path) -> tuple[Path, dict]:
    (path,) = _records(results)
    return path.parent, json.loads(path.read_text())


def _paste(record: dict, without: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """The record's command pasted into a shell in its `cwd`, with the variables `without`
    unset (a new terminal that lacks them)."""
    bin_dir = str(Path(sys.executable).parent)  # where the `repro` console script lives
    env = {key: value for key, value in os.environ.items() if key not in without}
    return subprocess.run(
        ["bash", "-c", record["command"]],
        capture_output=True,
        text=True,
        cwd=record["cwd"],
        env={**env, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
        timeout=300,
    )


# ---- the recorded command ------------------------------------------------------------------


def test_the_recorded_command_leaves_rerun_out() -> None:
    from repro.config.app import recorded_command

    overrides = ["paper=toy", "experiment=small", "rerun=true", "seed=1", "+rerun=True"]
    assert recorded_command(overrides) == [
        "repro",
        "run",
        "paper=toy",
        "experiment=small",
        "seed=1",
    ]


def test_a_plugin_found_through_repro_papers_path_is_in_the_recorded_command(
    tmp_path: Path, isolated_env: Path
) -> None:
    """Pasted without REPRO_PAPERS_PATH, the command still runs the user's plugin, not another
    of the same id (here ./papers/toy, other code), which would supersede the record as stale."""
    mine = write_toy_paper(tmp_path / "mine")
    other = write_toy_paper(tmp_path / "papers")  # found last, but found without the variable
    (other / "model.py").write_text((other / "model.py").read_text() + "\n\nOTHER = 1\n")
    done = repro(*TOY, env={"REPRO_PAPERS_PATH": str(tmp_path / "mine")})
    assert done.returncode == 0, done.stderr
    record_dir, record = _only_record(isolated_env)
    assert record["command"].startswith(f"repro run --papers-dir {mine} paper=toy "), record

    again = _paste(record, without=("REPRO_PAPERS_PATH",))
    assert again.returncode == 0, again.stderr
    assert "already completed, skipped" in again.stdout, again.stdout + again.stderr
    assert f"-> {record_dir.relative_to(record['cwd'])}" in again.stdout  # as run from there
    assert not (record_dir / ".superseded").exists()
    assert json.loads((record_dir / "record.json").read_text()) == record


def test_a_plugin_given_with_papers_dir_is_named_once(tmp_path: Path, isolated_env: Path) -> None:
    write_toy_paper(tmp_path / "mine")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "mine")}
    done = repro("run", "--papers-dir", "mine", *TOY[1:], env=env)
    assert done.returncode == 0, done.stderr
    _, record = _only_record(isolated_env)
    assert record["command"].count("--papers-dir") == 1, record["command"]


def test_a_results_folder_from_repro_results_dir_is_in_the_recorded_command(
    tmp_path: Path,
) -> None:
    """Pasted without REPRO_RESULTS_DIR, the command finds the same record, not a new run
    under ./results."""
    write_toy_paper(tmp_path / "plugins")
    done = repro("run", "--papers-dir", "plugins", *TOY[1:], env={"REPRO_RESULTS_DIR": "out/res"})
    assert done.returncode == 0, done.stderr
    record_dir, record = _only_record(tmp_path / "out" / "res")
    assert f" paths.results_dir={tmp_path / 'out' / 'res'}" in record["command"], record

    again = _paste(record, without=("REPRO_RESULTS_DIR",))
    assert again.returncode == 0, again.stderr
    assert "already completed, skipped" in again.stdout, again.stdout + again.stderr
    assert f"-> {record_dir.relative_to(record['cwd'])}" in again.stdout  # as run from there
    assert not (tmp_path / "results").exists()


def test_the_default_results_folder_adds_nothing(tmp_path: Path, isolated_env: Path) -> None:
    """REPRO_RESULTS_DIR naming ./results of the run's cwd is what the command finds anyway."""
    write_toy_paper(tmp_path / "plugins")
    assert isolated_env == Path.cwd() / "results"
    done = repro("run", "--papers-dir", "plugins", *TOY[1:])
    assert done.returncode == 0, done.stderr
    _, record = _only_record(isolated_env)
    assert "paths.results_dir" not in record["command"], record["command"]


def test_the_record_of_a_rerun_reproduces_it_without_retraining(
    tmp_path: Path, isolated_env: Path
) -> None:
    write_toy_paper(tmp_path / "plugins")
    arguments = ("run", "--papers-dir", "plugins", *TOY[1:])
    assert repro(*arguments).returncode == 0
    rerun = repro(*arguments, "rerun=true")
    assert rerun.returncode == 0, rerun.stderr
    record_dir, record = _only_record(isolated_env)
    assert record["attempts"] == 2
    words = shlex.split(record["command"])
    assert not [word for word in words if word.lstrip("+~").startswith("rerun=")], words

    again = _paste(record)
    assert again.returncode == 0, again.stderr
    assert "already completed, skipped" in again.stdout, again.stdout + again.stderr
    assert json.loads((record_dir / "record.json").read_text()) == record


# ---- an interrupted rerun of a completed run -----------------------------------------------


def _signalling_run(plugins: Path, *overrides: str, **env: str):
    return run_signalling_paper(plugins, None, *overrides, logger="csv", **env)


def _files(record_dir: Path) -> dict[str, bytes]:
    names = ("record.json", "config.yaml", "csv/metrics.csv", "checkpoints/last.ckpt")
    return {name: (record_dir / name).read_bytes() for name in names}


@pytest.mark.parametrize(("signal_name", "code"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_an_interrupted_rerun_leaves_the_completed_run_intact_and_says_so(
    tmp_path: Path, isolated_env: Path, signal_name: str, code: int
) -> None:
    plugins = write_signalling_paper(tmp_path / "plugins")
    done = _signalling_run(plugins)
    assert done.returncode == 0, done.stderr
    record_dir, _ = _only_record(isolated_env)
    before = _files(record_dir)

    stopped = _signalling_run(
        plugins, "rerun=true", REPRO_TEST_SIGNAL_AT="train_epoch_end", REPRO_TEST_SIGNAL=signal_name
    )
    assert stopped.returncode == code, (stopped.returncode, stopped.stderr)
    last_line = stopped.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"error: interrupted by {signal_name} at step "), last_line
    assert "; the completed record is unchanged, rerun=true starts over" in last_line
    assert _files(record_dir) == before  # record, CSV log and final weights alike
    assert not (record_dir / "checkpoints" / "rerun.ckpt").exists()
    failed = json.loads((record_dir / "record.failed.json").read_text())
    assert failed["status"] == "interrupted"
    assert failed["error"].endswith("the completed record is unchanged, rerun=true starts over")

    again = _signalling_run(plugins)  # what the message says: nothing resumes
    assert again.returncode == 0, again.stderr
    assert "already completed, skipped" in again.stdout


def test_a_rerun_that_completes_replaces_the_csv_log(tmp_path: Path, isolated_env: Path) -> None:
    plugins = write_signalling_paper(tmp_path / "plugins")
    assert _signalling_run(plugins).returncode == 0
    record_dir, _ = _only_record(isolated_env)
    log = record_dir / "csv" / "metrics.csv"
    log.write_text(log.read_text() + "99,999,0.5,,\n")  # marks the completed run's log
    stopped = _signalling_run(
        plugins, "rerun=true", REPRO_TEST_SIGNAL_AT="train_epoch_end", REPRO_TEST_SIGNAL="SIGTERM"
    )
    assert stopped.returncode == 143, stopped.stderr
    assert "99,999" in log.read_text()

    rerun = _signalling_run(plugins, "rerun=true")
    assert rerun.returncode == 0, rerun.stderr
    _, record = _only_record(isolated_env)
    # three attempts: the first, the stopped rerun, this one; the stopped rerun's record
    # went with it (it stayed beside the completed one, and the count said 2)
    assert record["status"] == "completed" and record["attempts"] == 3
    assert not (record_dir / "record.failed.json").exists()
    text = log.read_text()
    assert text.startswith("epoch,") and "99,999" not in text
    assert sorted(p.name for p in record_dir.iterdir() if p.name.startswith("csv")) == ["csv"]
    assert not (record_dir / "checkpoints" / "rerun.ckpt").exists()
    assert (record_dir / "checkpoints" / "last.ckpt").is_file()


def test_what_a_rerun_does_for_a_rerun_of_a_completed_run(tmp_path: Path) -> None:
    from repro.running.checkpointing import ResumableCheckpoint
    from repro.running.runner import _interruption

    checkpoint = ResumableCheckpoint(tmp_path / "checkpoints" / "rerun.ckpt")
    said = "the completed record is unchanged, rerun=true starts over"
    assert checkpoint.what_a_rerun_does() == said
    (tmp_path / "checkpoints").mkdir()
    checkpoint.path.write_bytes(b"weights")  # saved on the signal, deleted as the run ends
    assert checkpoint.what_a_rerun_does() == said
    assert _interruption(KeyboardInterrupt(), checkpoint) == (f"interrupted; {said}", 130)
    plain = ResumableCheckpoint(tmp_path / "checkpoints" / "last.ckpt")
    assert _interruption(KeyboardInterrupt(), plain) == ("interrupted", 130)


def _edit_code(plugins: Path) -> None:
    """A code change (not a comment): the completed run is now stale."""
    model = plugins / "sig" / "model.py"
    model.write_text(model.read_text() + "\nEDITED = 1\n")


def test_a_stopped_stale_retrain_keeps_the_completed_run_until_one_completes(
    tmp_path: Path, isolated_env: Path
) -> None:
    """The code changed, so the run retrains (stale); stopped by SIGTERM, the completed run
    stays the folder's record, the attempt goes to record.failed.json and the message says
    what running again does; run again, it retrains from the start and only then keeps the
    old run in .superseded/."""
    from repro.running.checkpointing import STALE_UNCHANGED

    plugins = write_signalling_paper(tmp_path / "plugins")
    assert _signalling_run(plugins).returncode == 0
    record_dir, first = _only_record(isolated_env)
    before = _files(record_dir)
    _edit_code(plugins)

    stopped = _signalling_run(
        plugins, REPRO_TEST_SIGNAL_AT="train_epoch_end", REPRO_TEST_SIGNAL="SIGTERM"
    )
    assert stopped.returncode == 143, stopped.stderr
    assert "retraining, the completed record stays until the retrain completes" in stopped.stderr
    assert f"; {STALE_UNCHANGED} (record: " in stopped.stderr.strip().splitlines()[-1]
    assert _files(record_dir) == before and not (record_dir / ".superseded").exists()
    failed = json.loads((record_dir / "record.failed.json").read_text())
    assert failed["status"] == "interrupted" and failed["error"].endswith(STALE_UNCHANGED)

    again = _signalling_run(plugins)  # starts over, as the message said
    assert again.returncode == 0, again.stderr
    assert "resuming" not in again.stderr
    record = json.loads((record_dir / "record.json").read_text())
    assert record["status"] == "completed" and record["attempts"] == 3
    assert record["code"]["plugin"]["digest"] != first["code"]["plugin"]["digest"]
    assert not (record_dir / "record.failed.json").exists()
    (kept,) = (record_dir / ".superseded").iterdir()
    assert _files(kept) == before  # the stale run, whole


def test_a_killed_stale_retrain_leaves_the_completed_run_in_place(
    tmp_path: Path, isolated_env: Path
) -> None:
    """kill -9 in the middle of a stale run's retrain: the completed record is still the
    folder's, so a sweep retrains it again (it is not lost, nor taken for failed)."""
    from repro.records.lookup import completed_run

    plugins = write_signalling_paper(tmp_path / "plugins")
    assert _signalling_run(plugins).returncode == 0
    record_dir, _ = _only_record(isolated_env)
    before = _files(record_dir)
    _edit_code(plugins)
    killed = _signalling_run(
        plugins, REPRO_TEST_SIGNAL_AT="train_epoch_end", REPRO_TEST_SIGNAL="SIGKILL"
    )
    assert killed.returncode != 0, killed.stderr
    assert _files(record_dir) == before and not (record_dir / ".superseded").exists()
    config = {"paths": {"results_dir": str(isolated_env)}, "paper_dir": str(plugins / "sig")}
    config.update(yaml.safe_load((record_dir / "config.yaml").read_text()))
    config["paths"]["results_dir"] = str(isolated_env)
    _, record, stale = completed_run(config)
    assert record is not None and stale is not None and "model.py" in stale


@pytest.mark.parametrize("folder", ["/data/my runs", "/data/${x}", "/data/a,b"])
def test_a_results_folder_hydra_cannot_read_plainly_is_quoted(
    folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    from repro.config.app import recorded_command

    monkeypatch.setenv("REPRO_RESULTS_DIR", folder)
    *_, override = recorded_command(["paper=toy"])
    value = OverridesParser.create().parse_override(override).value()
    assert OmegaConf.create({"v": value}).v == folder


def test_each_unsuccessful_rerun_keeps_its_time_till_a_rerun_completes(
    tmp_path: Path, isolated_env: Path
) -> None:
    """each `rerun=true` that did not complete wrote its record.failed.json over
    the one before (that attempt's time gone), and a rerun that then completed removed it:
    the stopped reruns' time was in no record and not in the report's Compute. Each carries
    the ones before as `abandoned_wall_s`, and so does the record of the rerun that completes."""
    plugins = write_signalling_paper(tmp_path / "plugins")
    assert _signalling_run(plugins).returncode == 0
    record_dir, _ = _only_record(isolated_env)
    stop = {"REPRO_TEST_SIGNAL_AT": "train_epoch_end", "REPRO_TEST_SIGNAL": "SIGTERM"}
    walls = []
    for _ in range(2):
        assert _signalling_run(plugins, "rerun=true", **stop).returncode == 143
        failed = json.loads((record_dir / "record.failed.json").read_text())["timing"]
        walls.append(failed["wall_s"])
    assert failed["abandoned_wall_s"] == pytest.approx(walls[0], abs=2e-3)
    assert _signalling_run(plugins, "rerun=true").returncode == 0
    _, record = _only_record(isolated_env)
    assert record["timing"]["abandoned_wall_s"] == pytest.approx(sum(walls), abs=2e-3)
