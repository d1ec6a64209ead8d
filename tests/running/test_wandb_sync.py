"""`repro sync`: which offline W&B runs of the records it uploads, a dry run that needs no
network, and one clear line when the server cannot be reached."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from repro.running import wandb_sync
from tests.conftest import Terminal, repro

FAKE_KEY = "x" * 40
UNREACHABLE_SERVER = "http://127.0.0.1:9"  # the discard port: nothing listens, refused at once


def _record_with_offline_runs(
    results: Path, paper: str, experiment: str, seed: int, attempts: int = 1, synced: int = 0
) -> list[str]:
    """A run record whose wandb/ folder holds `attempts` offline runs, the first `synced` of
    them already uploaded; their run ids."""
    record_dir = results / paper / experiment / "abc123" / f"seed{seed}"
    runs = record_dir / "wandb"
    ids = [f"{paper}-{experiment}-abc123-s{seed}-a{n}" for n in range(1, attempts + 1)]
    for n, run_id in enumerate(ids):
        folder = runs / f"offline-run-2026010{n + 1}_000000-{run_id}"
        folder.mkdir(parents=True)
        (folder / f"run-{run_id}.wandb").write_bytes(b":W&B\x00")
        if n < synced:
            (folder / f"run-{run_id}.wandb.synced").write_text("")
    (runs / "debug.log").write_text("")
    record = {
        "paper": paper,
        "experiment": experiment,
        "seed": seed,
        "status": "completed",
        "config_hash": "abc123",
        "wandb": {"run_id": ids[-1], "mode": "offline", "dir": str(folder.relative_to(record_dir))},
    }
    (record_dir / "record.json").write_text(json.dumps(record))
    return ids


def test_dry_run_lists_every_offline_run_of_a_paper(isolated_env: Path) -> None:
    rerun_ids = _record_with_offline_runs(isolated_env, "toy", "small", 0, attempts=2, synced=1)
    other_seed = _record_with_offline_runs(isolated_env, "toy", "wide", 1)
    elsewhere = _record_with_offline_runs(isolated_env, "other", "small", 0)

    done = repro("sync", "paper=toy", "--dry-run", timeout=120)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["paper", "experiment", "seed", "run", "id", "synced", "folder"]
    for run_id in [*rerun_ids, *other_seed]:
        assert sum(run_id in line for line in lines) == 1, done.stdout
    assert elsewhere[0] not in done.stdout
    (first,) = [line for line in lines if rerun_ids[0] in line]
    assert " yes " in first
    assert "toy/small/abc123/seed0/wandb/offline-run-" in first
    assert lines[-1] == "3 offline runs: 2 to upload, 1 already synced (dry run: nothing uploaded)"


def test_dry_run_imports_no_wandb_or_network_code(isolated_env: Path) -> None:
    _record_with_offline_runs(isolated_env, "toy", "small", 0)
    script = (
        "import sys\n"
        "from repro.cli import app\n"
        "try:\n"
        "    app(['sync', '--dry-run'])\n"
        "except SystemExit as stop:\n"
        "    assert not stop.code, stop.code\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'wandb', 'requests', 'urllib3', 'torch', 'lightning'})\n"
        "print('loaded:', loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "loaded: []" in done.stdout, done.stdout


def test_sync_without_network_fails_in_one_line(isolated_env: Path) -> None:
    _record_with_offline_runs(isolated_env, "toy", "small", 0)
    env = {"WANDB_API_KEY": FAKE_KEY, "WANDB_BASE_URL": UNREACHABLE_SERVER}
    done = repro("sync", env=env, timeout=120)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: cannot reach http://127.0.0.1:9"), line
    assert "nothing uploaded" in line


def test_sync_without_a_key_is_a_usage_error(isolated_env: Path, tmp_path: Path) -> None:
    _record_with_offline_runs(isolated_env, "toy", "small", 0)
    done = repro("sync", env={"WANDB_API_KEY": "", "HOME": str(tmp_path)}, timeout=120)
    assert done.returncode == 2, (done.stdout, done.stderr)
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and "API key" in line


def test_sync_uploads_only_unsynced_runs_and_reports_each(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _record_with_offline_runs(isolated_env, "toy", "small", 0, attempts=3, synced=1)
    uploaded: list[Path] = []

    def fake_wandb_sync(folder: Path) -> tuple[bool, str]:
        uploaded.append(folder)
        return (len(uploaded) == 1, "" if len(uploaded) == 1 else "server said no")

    monkeypatch.setenv("WANDB_API_KEY", FAKE_KEY)
    monkeypatch.setattr(wandb_sync, "_server_problem", lambda: None)
    monkeypatch.setattr(wandb_sync, "upload_folder", fake_wandb_sync)

    with pytest.raises(wandb_sync.ReproError, match="1 of 2 offline runs failed to upload"):
        wandb_sync.sync(isolated_env, paper=None, dry_run=False)

    assert [folder.name.split("-", 3)[-1] for folder in uploaded] == ids[1:]
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("uploaded ") and ids[1] in out[0]
    assert out[1].startswith("FAILED ") and ids[2] in out[1] and "server said no" in out[1]


def test_unknown_argument_is_a_usage_error(isolated_env: Path) -> None:
    done = repro("sync", "experiment=small", "--dry-run", timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: ") and "paper=" in done.stderr


def test_sync_with_no_offline_run_says_there_is_none(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """with no offline run it said '0 offline runs, all already synced'."""
    wandb_sync.sync(isolated_env, paper="toy", dry_run=False)
    assert capsys.readouterr().out.strip() == (
        f"no offline W&B runs of toy under {isolated_env}: nothing to upload"
    )
    _record_with_offline_runs(isolated_env, "toy", "small", 0, synced=1)
    wandb_sync.sync(isolated_env, paper=None, dry_run=False)
    assert capsys.readouterr().out.strip() == "1 offline run, already synced: nothing to upload"


@pytest.mark.parametrize("damage", ["corrupt", "dead link"])
def test_an_unreadable_record_keeps_its_offline_runs_in_the_plan_and_says_so(
    isolated_env: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    """a record.json that could not be read (damaged, a link to a disk not mounted now)
    was passed over without a word: its offline runs, there beside it, were never listed
    nor uploaded. They are listed by their folder, with a warning naming the record."""
    (run_id,) = _record_with_offline_runs(isolated_env, "toy", "small", 3)
    record = isolated_env / "toy" / "small" / "abc123" / "seed3" / "record.json"
    record.unlink()
    if damage == "corrupt":
        record.write_text('{"paper": "toy", "sta')
    else:
        record.symlink_to(isolated_env / "unmounted" / "record.json")
    wandb_sync.sync(isolated_env, paper="toy", dry_run=True)
    out, err = capsys.readouterr()
    (line,) = [line for line in out.splitlines() if run_id in line]
    assert line.split()[:3] == ["toy", "small", "3"], out
    assert out.splitlines()[-1].startswith("1 offline run: 1 to upload"), out
    assert f"warning: unreadable record {record}" in err, err


def test_dry_run_in_a_narrow_terminal_keeps_each_run_id_on_one_line(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """At 60 columns `repro sync --dry-run` printed rows of about 130 characters, which the
    terminal folded anywhere: the run id on one line, `synced` and the folder under it,
    the folder cut mid-name (`offline-ru|n-2026...`). A terminal too narrow for the table gets
    one block per run, its run id first and each other field whole after its name."""

    ids = _record_with_offline_runs(isolated_env, "toy", "small", 0, attempts=2, synced=1)

    monkeypatch.setenv("COLUMNS", "60")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    wandb_sync.sync(isolated_env, paper="toy", dry_run=True)
    lines = terminal.getvalue().splitlines()
    assert [line for line in lines if line.strip() in ids] == ids, lines  # each on its own
    long = [line for line in lines if len(line) > 60]
    assert all(line.strip().startswith("toy/small/abc123/") for line in long), lines  # a path
    assert "  paper: toy  experiment: small  seed: 0  synced: yes" in lines, lines
