"""Planning a sweep: which folder each run reads and writes, and its state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from repro.config.app import plugin_overrides
from repro.config.compose import compose_run_config, hydra_compose_session
from repro.plugins.registry import get_paper
from repro.records import lookup, store
from repro.records.fingerprint import code_fingerprint
from repro.sweeping.plan import DONE, SweepGrid, completed_seeds, plan_sweep
from tests.conftest import write_toy_paper


def test_a_seed_completed_in_a_legacy_folder_is_planned_where_its_job_writes(
    tmp_path: Path, isolated_env: Path
) -> None:
    """a seed an older repro completed under its accelerator's hash, by other code,
    was planned `to run` in today's folder while the job found it there (lookup), retrained it
    in the legacy folder, and the sweep's table read today's: `failed  no record written`,
    exit 1. Now the plan names the legacy folder, `stale (...)`, as the job does; by the
    current code, done there, as before."""
    folder = write_toy_paper(tmp_path / "plugins", "toy")
    wiring = plugin_overrides(get_paper("toy", [tmp_path / "plugins"]).folder)
    with hydra_compose_session():
        config = compose_run_config(["paper=toy", *wiring, "seed=0"], "small")
    config["trainer"]["accelerator"] = "gpu"
    legacy = isolated_env / "toy" / "small" / store.legacy_config_hash(config) / "seed0"
    for digest, state in (("0" * 16, "stale (unknown files)"), (None, DONE)):
        fingerprint = code_fingerprint(folder)
        record = {"status": "completed", "paper": "toy", "experiment": "small", "seed": 0}
        plugin = {**fingerprint, "digest": digest or fingerprint["digest"]}
        record.update(config_hash=legacy.parent.name, code={"plugin": plugin})
        store.write_record(legacy, record)
        (legacy / store.CONFIG_FILE).write_text(json.dumps(config))
        (run,) = plan_sweep("toy", wiring, SweepGrid(["small"], [0]))[0]
        job_folder, _, stale = lookup.completed_run(config)
        assert run.record_dir == job_folder == legacy and run.state == state
        assert (stale is None) == (state == DONE)
        assert completed_seeds("toy", wiring, ["small"]) == {"small": int(state == DONE)}


def test_a_seed_cut_short_in_a_legacy_folder_is_planned_where_its_job_resumes_it(
    tmp_path: Path, isolated_env: Path
) -> None:
    """A seed an older repro filed under another hash and that was cut short with its
    checkpoint saved is resumed there by its job (lookup.completed_run); the plan named
    today's folder, so the sweep's table would read a folder the job never wrote."""
    write_toy_paper(tmp_path / "plugins", "toy")
    wiring = plugin_overrides(get_paper("toy", [tmp_path / "plugins"]).folder)
    with hydra_compose_session():
        config = compose_run_config(["paper=toy", *wiring, "seed=0"], "small")
    config["trainer"]["accelerator"] = "gpu"
    legacy = isolated_env / "toy" / "small" / store.legacy_config_hash(config) / "seed0"
    record = {"status": "running", "paper": "toy", "experiment": "small", "seed": 0}
    store.write_record(legacy, {**record, "config_hash": legacy.parent.name})
    (legacy / store.CONFIG_FILE).write_text(json.dumps(config))
    (legacy / store.CHECKPOINT_DIR).mkdir()
    (legacy / store.CHECKPOINT_DIR / store.LAST_CHECKPOINT).write_bytes(b"weights")
    (run,) = plan_sweep("toy", wiring, SweepGrid(["small"], [0]))[0]
    job_folder, _, _ = lookup.completed_run(config)
    assert run.record_dir == job_folder == legacy
    with hydra_compose_session():
        again = compose_run_config(["paper=toy", *wiring, "seed=0", "rerun=true"], "small")
    again["trainer"]["accelerator"] = "gpu"
    job_folder, _, _ = lookup.completed_run(again)  # rerun=true starts over in today's
    assert job_folder == store.run_dir(isolated_env.resolve(), again) != legacy


def test_planning_resumes_loads_no_lightning() -> None:
    """The resume lines made every sweep and dry run plan resumes, which imported
    checkpointing (Lightning, torch: seconds) for three file names."""
    import subprocess
    import sys

    code = (
        "import sys; from repro.sweeping.plan import plan_resumes; plan_resumes([], None, True);"
        " print('lightning' in sys.modules, 'torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["False", "False"], (done.stdout, done.stderr)


def test_a_run_another_process_is_training_is_planned_as_held_not_redone(
    tmp_path: Path,
) -> None:
    """`--dry-run` beside a sweep still training seed 0 said `redo (running)`: the plan
    claimed it would train the run again, where the sweep finds it held by that process."""
    from repro.running.lock import run_lock
    from repro.sweeping.plan import _state_of

    folder = tmp_path / "toy" / "small" / "h" / "seed0"
    folder.mkdir(parents=True)
    (folder / store.RECORD_FILE).write_text(json.dumps({"status": "running"}))
    with run_lock(folder):
        assert _state_of(folder, tmp_path) == "held by another process (running)"
    assert _state_of(folder, tmp_path) == "redo (running)"  # killed: no process holds it


def test_a_seed_whose_record_is_a_dead_link_is_blocked_not_to_run(tmp_path: Path) -> None:
    """a record.json linked to a disk not mounted now was planned `to run` (and
    its run replaced the link) where the report named it unreadable."""
    from repro.sweeping.plan import _state_of

    folder = tmp_path / "p" / "e" / "h" / "seed0"
    folder.mkdir(parents=True)
    (folder / store.RECORD_FILE).symlink_to(tmp_path / "unmounted" / store.RECORD_FILE)
    assert _state_of(folder, tmp_path) == "blocked (record.json is a link that leads nowhere)"


@pytest.mark.parametrize(
    "path", ["config.yaml", "checkpoints/last.ckpt", "checkpoints", "checkpoints/together.ckpt"]
)
def test_a_seed_with_a_dead_link_where_its_run_keeps_a_file_is_blocked(
    tmp_path: Path, path: str
) -> None:
    """a config.yaml (or checkpoint, or checkpoints/) linked to a disk not mounted now
    was planned `to run` by `sweep --dry-run`, and counted so, while its run stops at once,
    naming it (`runner._refuse_folders_in_the_way`)."""
    from repro.sweeping.plan import _state_of

    folder = tmp_path / "p" / "e" / "h" / "seed0"
    (folder / path).parent.mkdir(parents=True, exist_ok=True)
    (folder / path).symlink_to(tmp_path / "unmounted" / "x")
    name = path.split("/")[-1]
    assert _state_of(folder, tmp_path) == f"blocked ({name} is a link that leads nowhere)"


def test_a_record_with_a_status_that_is_no_text_is_planned_as_corrupt(
    tmp_path: Path, isolated_env: Path
) -> None:
    """a hand-edited record.json with `"status": 1` was planned `redo (1)` by
    `sweep --dry-run`, a state no user can read; the report filed it under a status "1".
    It is a damaged record to both, as one whose paper is a number is."""
    write_toy_paper(tmp_path / "plugins", "toy")
    wiring = plugin_overrides(get_paper("toy", [tmp_path / "plugins"]).folder)
    with hydra_compose_session():
        config = compose_run_config(["paper=toy", *wiring, "seed=0"], "small")
    folder = store.run_dir(isolated_env, config)
    record = {"status": 1, "paper": "toy", "experiment": "small", "seed": 0}
    store.write_record(folder, record)
    (run,) = plan_sweep("toy", wiring, SweepGrid(["small"], [0]))[0]
    assert run.state == "redo (corrupt record)"
    assert store.record_problem(record) == "status must be text, got 1"


def test_the_sweeps_first_line_counts_a_blocked_seed_apart(
    tmp_path: Path, isolated_env: Path
) -> None:
    """a seed whose record.json is a dead link was counted `1 to run` in the sweep's
    first line, though its run stops, naming the link, and trains nothing."""
    from repro.sweeping.plan import sweep_plan_line

    write_toy_paper(tmp_path / "plugins", "toy")
    wiring = plugin_overrides(get_paper("toy", [tmp_path / "plugins"]).folder)
    with hydra_compose_session():
        config = compose_run_config(["paper=toy", *wiring, "seed=0"], "small")
    folder = store.run_dir(isolated_env, config)
    folder.mkdir(parents=True)
    (folder / store.RECORD_FILE).symlink_to(tmp_path / "unmounted" / store.RECORD_FILE)
    grid = SweepGrid(["small"], [0, 1])
    planned = plan_sweep("toy", wiring, grid)[0]
    line = sweep_plan_line("toy", grid, planned, planned)
    assert line.endswith(
        ": 1 to run, 0 already completed, 1 blocked (its run stops: something is in the way "
        "of its record)"
    ), line


def test_completed_seeds_names_a_paper_folder_that_is_a_dead_link(
    tmp_path: Path, isolated_env: Path
) -> None:
    """results/<paper> linked to a disk not mounted now: `repro show` counted 0 seeds
    without a word, as if nothing had run."""
    write_toy_paper(tmp_path / "plugins", "toy")
    wiring = plugin_overrides(get_paper("toy", [tmp_path / "plugins"]).folder)
    isolated_env.mkdir()
    (isolated_env / "toy").symlink_to(tmp_path / "unmounted")
    not_counted: list[str] = []
    assert completed_seeds("toy", wiring, ["small"], not_counted) == {"small": 0}
    assert not_counted == [f"{isolated_env / 'toy'} is {store.DEAD_LINK}"]


def test_a_seed_under_a_paper_folder_that_is_a_dead_link_is_planned_blocked(
    tmp_path: Path, isolated_env: Path
) -> None:
    """results/<paper> linked to a disk not mounted now: every seed was planned `to
    run`, and each run then stopped, 'cannot create run folder': the plan says so first."""
    write_toy_paper(tmp_path / "plugins", "toy")
    wiring = plugin_overrides(get_paper("toy", [tmp_path / "plugins"]).folder)
    isolated_env.mkdir()
    (isolated_env / "toy").symlink_to(tmp_path / "unmounted")
    (run,) = plan_sweep("toy", wiring, SweepGrid(["small"], [0]))[0]
    assert run.state == f"blocked ({isolated_env / 'toy'} is a link that leads nowhere)"


def test_the_line_of_a_one_seed_group_not_resumed_reads_in_the_singular() -> None:
    """A group left with one seed read `seed 0 do not resume their group's checkpoint`."""
    from repro.sweeping.plan import not_resumed_line

    one = not_resumed_line("small", (0,), Path("c.ckpt"), 7, "seed 0 has no record")
    assert one == (
        "small: seed 0 does not resume its group's checkpoint c.ckpt (step 7): "
        "seed 0 has no record; it trains from the start"
    )
    two = not_resumed_line("small", (0, 1), Path("c.ckpt"), None, "seed 1 has no record")
    assert two == (
        "small: seeds 0, 1 do not resume their group's checkpoint c.ckpt: "
        "seed 1 has no record; they train from the start"
    )
