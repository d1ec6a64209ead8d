"""`repro sweep` end to end with real launchers: local, joblib, a real SLURM, Ray."""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from repro.errors import UsageError
from repro.plugins.paper_spec import load_paper_spec
from repro.sweeping.plan import PlannedRun, build_grid, multirun_batches
from tests.conftest import REPO, repro, write_toy_paper


@pytest.fixture
def toy_dir(tmp_path: Path) -> Path:
    write_toy_paper(tmp_path / "plugins", "toy")
    return tmp_path / "plugins"


def _records(results: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(results.rglob("record.json"))]


def test_grid_defaults_to_claimed_experiments_and_paper_seeds(toy_dir: Path) -> None:
    spec = load_paper_spec(toy_dir / "toy")
    grid = build_grid(spec, ["paper=toy"], seeds=None)
    assert grid.experiments == ["small"] and grid.seeds == [0, 1]
    grid = build_grid(spec, ["experiment=small,wide", "optimizer.lr=0.1,0.2"], seeds=3)
    assert grid.experiments == ["small", "wide"] and grid.seeds == [0, 1, 2]
    assert grid.fixed_variants == [("optimizer.lr=0.1",), ("optimizer.lr=0.2",)]
    with pytest.raises(UsageError, match="unknown experiment 'huge'"):
        build_grid(spec, ["experiment=huge"], seeds=None)


def test_a_word_without_its_value_is_a_bad_override_as_repro_run_says(toy_dir: Path) -> None:
    # `repro sweep ... seeds 3` said 'LexerNoViableAltException: 3= ^' (the word was swept as
    # `3=`), `foo` 'unknown config key': repro run says 'bad override ...' (Hydra's reason)
    spec = load_paper_spec(toy_dir / "toy")
    for word in ("3", "foo"):
        with pytest.raises(UsageError, match=f"^bad override '{word}': "):
            build_grid(spec, ["experiment=small", word], seeds=None)
    grid = build_grid(spec, ["experiment=small", "~optimizer.lr"], seeds=None)  # a deletion
    assert grid.fixed_variants == [("~optimizer.lr",)]


def test_a_value_written_twice_in_a_sweep_is_one_run(toy_dir: Path) -> None:
    """`seed=0,0,1` trained seed 0 twice at once ('already running (pid <its own>)') and
    counted it twice."""
    spec = load_paper_spec(toy_dir / "toy")
    grid = build_grid(spec, ["experiment=small,small", "seed=0,0,1", "optimizer.lr=1,1"], None)
    assert grid.experiments == ["small"] and grid.seeds == [0, 1]
    assert grid.fixed_variants == [("optimizer.lr=1",)]


def test_values_that_make_one_setting_are_refused_not_trained_twice(
    toy_dir: Path, isolated_env: Path
) -> None:
    """`num_threads=1,2` (or trainer.accelerator=cpu,gpu) are two points of the grid
    but one record folder: each seed was trained twice at once and counted twice."""
    from repro.config.app import plugin_overrides
    from repro.plugins.registry import get_paper
    from repro.sweeping.plan import SweepGrid, plan_sweep

    wiring = plugin_overrides(get_paper("toy", [toy_dir]).folder)
    grid = SweepGrid(["small"], [0, 1], [("num_threads=1",), ("num_threads=2",)])
    with pytest.raises(UsageError, match=r"num_threads=1 and num_threads=2 make one setting"):
        plan_sweep("toy", wiring, grid)
    kept = SweepGrid(["small"], [0], [("optimizer.lr=0.1",), ("optimizer.lr=0.2",)])
    assert len(plan_sweep("toy", wiring, kept)[0]) == 2


def test_a_swept_time_is_named_as_typed_not_escaped(toy_dir: Path, isolated_env: Path) -> None:
    """`+trainer.max_time={minutes:1},00:00:01:00`: its refusal (and the dry run's table)
    named the second as Hydra writes it, `00\\:00\\:01\\:00`, not as typed."""
    from repro.config.app import plugin_overrides
    from repro.plugins.registry import get_paper
    from repro.sweeping.plan import plan_sweep

    spec = load_paper_spec(toy_dir / "toy")
    grid = build_grid(spec, ["+trainer.max_time={minutes:1},00:00:01:00", r"x=a\,b,c"], 1)
    # `a,b` unescaped would be a sweep of two: kept as Hydra wrote it
    assert [v[0] for v in grid.fixed_variants[::2]] == [
        "+trainer.max_time={minutes:1}",
        "+trainer.max_time=00:00:01:00",
    ]
    assert grid.fixed_variants[0][1] == r"x=a\,b"
    wiring = plugin_overrides(get_paper("toy", [toy_dir]).folder)
    grid = build_grid(spec, ["+trainer.max_time={minutes:1},00:00:01:00"], 1)
    both = r"^\+trainer.max_time={minutes:1} and \+trainer.max_time=00:00:01:00 make one"
    with pytest.raises(UsageError, match=both):
        plan_sweep("toy", wiring, grid)


def test_batches_cover_exactly_the_missing_runs(tmp_path: Path) -> None:
    def run(experiment: str, seed: int, state: str) -> PlannedRun:
        return PlannedRun(experiment, seed, ("a=1",), tmp_path / experiment / str(seed), state)

    fresh = [run(e, s, "to run") for e in ("x", "y") for s in (0, 1)]
    assert multirun_batches(fresh) == [["a=1", "experiment=x,y", "seed=0,1"]]
    partial = [
        run("x", 0, "done"),
        run("x", 1, "to run"),
        run("y", 0, "redo (failed)"),
        run("y", 1, "to run"),
    ]
    assert sorted(multirun_batches(partial)) == [
        ["a=1", "experiment=x", "seed=1"],
        ["a=1", "experiment=y", "seed=0,1"],
    ]
    assert multirun_batches([run("x", 0, "done")]) == []


def test_with_seeds_together_a_settings_missing_seeds_are_one_job(tmp_path: Path) -> None:
    """SLURM and Ray: one job per group (`seed=<first> group_seeds=[...]`), a lone seed as is."""

    def run(experiment: str, seed: int, state: str) -> PlannedRun:
        return PlannedRun(experiment, seed, ("a=1",), tmp_path / experiment / str(seed), state)

    fresh = [run(e, s, "to run") for e in ("x", "y") for s in (0, 1, 2)]
    assert multirun_batches(fresh, together=True) == [
        ["a=1", "experiment=x,y", "seed=0", "group_seeds=[0,1,2]"]
    ]
    lone = [run("x", 0, "done"), run("x", 1, "to run")]
    assert multirun_batches(lone, together=True) == [["a=1", "experiment=x", "seed=1"]]


def _cut_short(
    folder: Path, group: list[int] | None = None, alone: bool = False, trained: bool = False
) -> None:
    """A seed folder as a stopped run leaves it: an interrupted record, and the group's
    checkpoint (in its first seed's folder; `trained`: saved for its seeds left to test)
    or its own."""
    import torch

    from repro.records import store

    store.write_record(folder, {"status": "interrupted", "seed": int(folder.name[4:])})
    (folder / "checkpoints").mkdir(exist_ok=True)
    if group is not None:
        identity = {"seeds": group, "config_hash": folder.parent.name, "code": "c0de"}
        saved = {"identity": identity, **({"trained": True} if trained else {})}
        torch.save(saved, folder / "checkpoints/together.ckpt")
    if alone:
        torch.save({"global_step": 4922}, folder / "checkpoints" / "last.ckpt")


@pytest.mark.parametrize("asked", [[0, 1], [0, 1, 2, 3], [1, 2]])
def test_a_group_cut_short_resumes_as_that_group_whatever_seeds_are_asked(
    tmp_path: Path, asked: list[int]
) -> None:
    """seeds 0-2 trained together were stopped; a sweep of seeds=2 (or 4) then
    trained a group of other seeds, which threw the group's checkpoint away ('written by
    another seeds') and trained from step 0, while seed 2's record still promised the resume.
    The group resumes as it was saved (seed 2 with it); other seeds form a group of their own."""
    from repro.sweeping.jobs import jobs_for
    from repro.sweeping.plan import plan_resumes

    hash_dir = tmp_path / "x" / "h"
    for seed in (0, 1, 2):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
        _cut_short(hash_dir / f"seed{seed}", group=[0, 1, 2] if seed == 0 else None)
    planned = [
        PlannedRun(
            "x", s, ("a=1",), hash_dir / f"seed{s}", "redo (interrupted)" if s < 3 else "to run"
        )
        for s in asked
    ]
    runs, notes = plan_resumes(planned)
    assert sorted(r.seed for r in runs) == sorted({0, 1, 2} | set(asked))
    assert len(notes) == 1 and "seeds 0, 1, 2 resume their group's checkpoint" in notes[0]
    batches = multirun_batches(runs, together=True)
    assert ["a=1", "experiment=x", "seed=0", "group_seeds=[0,1,2]"] in batches
    assert len(batches) == (2 if 3 in asked else 1)
    groups = [
        [r.seed for r in ((j.group and [run for run, _ in j.group]) or [j.run])]
        for j in jobs_for(runs, [], together=True)
    ]
    assert [0, 1, 2] in groups and len(groups) == len(batches)
    # a checkpoint of other plugin code (or another setting) resumes nothing, so
    # it adds no seed nor says it resumes: the group that finds it starts over, and says so
    assert plan_resumes(planned, code="c0de")[1] == notes
    other_code = plan_resumes(planned, code="new0")  # said as the group says it (helper sweeps)
    assert other_code[0] == planned
    assert [note.split(" (")[0] for note in other_code[1]] == [
        "x: stale: discarding the training of seeds 0, 1, 2"
    ]


@pytest.mark.parametrize("in_the_way", ["a folder", "a link that leads nowhere"])
def test_seeds_whose_group_waits_for_a_blocked_seed_are_planned_blocked(
    tmp_path: Path, in_the_way: str
) -> None:
    """seeds 0-2 cut short as a group, seed 0's together.ckpt then a folder (or a dead link):
    the dry run planned seed 0 blocked and seeds 1 and 2 `to run`, one job with seed 0, whose
    run fails all three at once (its group waits for seed 0: which seeds the file holds
    cannot be told), so the plan counted and timed two runs the sweep never trains."""
    from repro.sweeping.jobs import jobs_for
    from repro.sweeping.plan import _blocked_in, plan_resumes

    hash_dir = tmp_path / "x" / "h"
    for seed in (0, 1, 2):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
        _cut_short(hash_dir / f"seed{seed}")
    group_file = hash_dir / "seed0" / "checkpoints" / "together.ckpt"
    if in_the_way == "a folder":
        group_file.mkdir()
    else:
        group_file.symlink_to(tmp_path / "unmounted" / "together.ckpt")
    state = _blocked_in(hash_dir / "seed0")
    assert state == f"blocked (together.ckpt is {in_the_way})"
    planned = [
        PlannedRun("x", s, (), hash_dir / f"seed{s}", state if s == 0 else "redo (interrupted)")
        for s in (0, 1, 2, 3)
    ]
    planned[3] = PlannedRun("x", 3, ("a=2",), tmp_path / "x" / "g" / "seed3", "to run")
    runs, notes = plan_resumes(planned)
    assert [r.blocked for r in runs] == [True, True, True, False], [r.state for r in runs]
    assert "waits for seed 0" in runs[1].state and in_the_way in runs[1].state, runs[1].state
    assert len(notes) == 1 and notes[0].startswith("x: seeds 1, 2 not started"), notes
    jobs = jobs_for(runs, [], together=True)
    assert sum(all(r.blocked for r in job.runs) for job in jobs) == 1
    # each seed alone: only seed 0's own run stops, the others train
    alone, said = plan_resumes(planned, together=False)
    assert [r.blocked for r in alone] == [True, False, False, False] and said == []


def test_seeds_held_back_for_a_busy_seed_are_never_failed_by_a_slurm_sweeps_table(
    tmp_path: Path,
) -> None:
    """seeds 0-2 cut short as a group, seed 1 held by another process: a SLURM
    (or any multirun) sweep's job holds seeds 0 and 2 back, writing nothing, and the table
    read their records, left `running` by the killed group, as `failed: running: None` (2
    failed). Their rows say what a local sweep's say: held back for the busy seed."""
    from repro.running.lock import run_lock
    from repro.running.together import HELD_BACK
    from repro.sweeping.launch import BUSY, collect_results
    from repro.sweeping.plan import plan_resumes

    hash_dir = tmp_path / "x" / "h"
    for seed in (0, 1, 2):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
        _cut_short(hash_dir / f"seed{seed}", group=[0, 1, 2] if seed == 0 else None)
        record = json.loads((hash_dir / f"seed{seed}" / "record.json").read_text())
        (hash_dir / f"seed{seed}" / "record.json").write_text(
            json.dumps({**record, "status": "running"})  # killed: left running
        )
    planned = [PlannedRun("x", s, (), hash_dir / f"seed{s}", "redo (running)") for s in (0, 1, 2)]
    with run_lock(hash_dir / "seed1"):
        runs, notes = plan_resumes(planned)
        assert any("seeds 0, 2 not started" in note for note in notes), notes
        results = collect_results(runs, "this-sweep", None)  # the jobs ran under SLURM
    by_seed = {r.run.seed: r for r in results}
    assert {s: r.result for s, r in by_seed.items()} == {0: BUSY, 1: BUSY, 2: BUSY}
    for seed in (0, 2):
        assert by_seed[seed].detail.startswith(f"{HELD_BACK} 1, which another process"), seed


def test_a_group_with_one_corrupt_record_still_resumes_as_that_group(tmp_path: Path) -> None:
    """Seed 1's record of a stopped group became corrupt: before, the sweep planned a new
    group (its checkpoint was not resumed: seed 1 was not cut short), trained from step 0.
    The group's checkpoint holds seed 1's state: the group resumes, seed 1 with it."""
    from repro.sweeping.plan import plan_resumes

    hash_dir = tmp_path / "x" / "h"
    for seed in (0, 1):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
        _cut_short(hash_dir / f"seed{seed}", group=[0, 1] if seed == 0 else None)
    (hash_dir / "seed1" / "record.json").write_text("{damaged")
    states = ["redo (interrupted)", "redo (corrupt record)"]
    planned = [PlannedRun("x", s, (), hash_dir / f"seed{s}", states[s]) for s in (0, 1)]
    runs, notes = plan_resumes(planned)
    assert [r.group for r in runs] == [(0, 1), (0, 1)]
    assert len(notes) == 1 and "seeds 0, 1 resume their group's checkpoint" in notes[0]
    alone = [PlannedRun("x", 1, (), hash_dir / "seed1", states[1])]
    (hash_dir / "seed0" / "checkpoints" / "together.ckpt").unlink()
    _cut_short(hash_dir / "seed1", alone=True)
    (hash_dir / "seed1" / "record.json").write_text("{damaged")
    assert plan_resumes(alone)[1] == []  # alone: its last.ckpt may be a completed run's


def test_a_seed_left_to_test_by_its_trained_group_is_a_group_of_one(tmp_path: Path) -> None:
    """Seed 0 of a trained group was tested, then a stop left seed 1 untested (the group's
    final weights for it in its folder): before, the sweep put seed 1 in a new group with
    seed 2 (or alone, a plain `seed=1` job), which trained it from step 0. It is its own job,
    `group_seeds=[1]` for SLURM, and one line says it is only tested."""
    from repro.records import store
    from repro.sweeping.jobs import jobs_for
    from repro.sweeping.plan import plan_resumes

    hash_dir = tmp_path / "x" / "h"
    for seed in (0, 1, 2):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
    store.write_record(hash_dir / "seed0", {"status": "completed", "seed": 0})
    _cut_short(hash_dir / "seed1", group=[1], trained=True)
    states = ["done", "redo (interrupted)", "to run"]
    planned = [PlannedRun("x", s, (), hash_dir / f"seed{s}", states[s]) for s in (0, 1, 2)]
    runs, notes = plan_resumes(planned)
    checkpoint = hash_dir / "seed1" / "checkpoints" / "together.ckpt"
    assert notes == [
        f"x: seed 1 trained in a group, left to test: tested from the group's final weights "
        f"{checkpoint}"
    ]
    assert sorted(multirun_batches(runs, together=True)) == [
        ["experiment=x", "seed=1", "group_seeds=[1]"],
        ["experiment=x", "seed=2"],
    ]
    jobs = jobs_for(runs, [], together=True)
    assert sorted([run.seed for run, _ in job.group] for job in jobs if job.group) == [[1]]


def test_a_seed_whose_test_failed_in_its_group_is_planned_only_to_test(tmp_path: Path) -> None:
    """a group's seed whose test step raised keeps its share of the group's final
    weights (its failed record says `together.failed_testing`); the plan counted it as a
    seed to train from step 0, though its run only tests it."""
    from repro.records import store
    from repro.sweeping.plan import plan_resumes

    hash_dir = tmp_path / "x" / "h"
    (hash_dir / "seed1").mkdir(parents=True)
    _cut_short(hash_dir / "seed1", group=[1], trained=True)
    checkpoint = hash_dir / "seed1" / "checkpoints" / "together.ckpt"
    kept = {"failed_testing": {"checkpoint": str(checkpoint), "step": 20}}
    store.write_record(hash_dir / "seed1", {"status": "failed", "seed": 1, "together": kept})
    planned = [PlannedRun("x", 1, (), hash_dir / "seed1", "redo (failed)")]
    runs, notes = plan_resumes(planned)
    assert [(r.group, r.tests_only) for r in runs] == [((1,), True)]
    assert notes == [
        f"x: seed 1 trained in a group, left to test: tested from the group's final weights "
        f"{checkpoint}"
    ]


def test_a_seed_cut_short_alone_resumes_alone_when_seeds_train_together(tmp_path: Path) -> None:
    """seed 0 was stopped training alone (its checkpoint at step 4922); the same
    sweep with seeds_together=true trained seeds 0 and 1 together from step 0, silently
    overwriting it. It resumes alone; the others train together."""
    from repro.sweeping.plan import plan_resumes

    hash_dir = tmp_path / "x" / "h"
    for seed in (0, 1, 2):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
    _cut_short(hash_dir / "seed0", alone=True)
    planned = [PlannedRun("x", s, (), hash_dir / f"seed{s}", "to run") for s in (0, 1, 2)]
    runs, notes = plan_resumes(planned)
    assert notes == [
        f"x: seed 0 resumes its own checkpoint {hash_dir}/seed0/checkpoints/last.ckpt from step "
        "4922, alone"
    ]
    assert sorted(multirun_batches(runs, together=True)) == [
        ["experiment=x", "seed=0"],
        ["experiment=x", "seed=1", "group_seeds=[1,2]"],
    ]
    rerun = [PlannedRun("x", s, (), hash_dir / f"seed{s}", "rerun (rerun=true)") for s in (0, 1)]
    assert plan_resumes(rerun) == (rerun, [])  # rerun=true starts over


@pytest.mark.parametrize(
    ("value", "launcher", "accelerator", "gpus", "expected"),
    [
        ("false", None, "gpu", None, False),
        ("true", None, "cpu", None, True),
        ("auto", None, "cpu", None, False),
        ("auto", "slurm", None, "1", True),  # the jobs' GPUs, not the login node's
        ("auto", "slurm", None, "0", False),
        ("auto", "ray", "gpu", None, True),
        ("true", "slurm", None, None, True),
    ],
)
def test_seeds_together_auto_follows_where_the_jobs_run(
    value, launcher, accelerator, gpus, expected
):
    from repro.sweeping.launch import seeds_together

    assert seeds_together(value, launcher, accelerator, gpus) is expected


def test_seeds_together_rejects_other_values() -> None:
    from repro.sweeping.launch import seeds_together

    with pytest.raises(UsageError, match="seeds_together must be auto, true or false"):
        seeds_together("yes", None, None)


def test_local_sweep_runs_everything_once_then_nothing(toy_dir: Path, isolated_env: Path):
    first = repro(
        "sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small,wide", "logger=none"
    )
    assert first.returncode == 0, first.stderr
    assert "4 trained, 0 already completed, 0 failed" in first.stdout
    assert sorted((r["experiment"], r["seed"]) for r in _records(isolated_env)) == [
        ("small", 0),
        ("small", 1),
        ("wide", 0),
        ("wide", 1),
    ]
    second = repro(
        "sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small,wide", "logger=none"
    )
    assert second.returncode == 0
    assert "0 trained, 4 already completed" in second.stdout


def test_a_sweep_warns_of_a_completed_run_max_time_stopped_short(
    toy_dir: Path, isolated_env: Path
) -> None:
    """A sweep whose run trainer.max_time ended short, swept again: `already completed` (and
    `done` in --dry-run) with no word that a report leaves it out of every verdict, which
    `repro run` of it says; each such run's warning names its record."""
    sweep = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "seeds=1", "logger=none")
    assert repro(*sweep).returncode == 0
    (path,) = isolated_env.rglob("record.json")
    record = json.loads(path.read_text())
    record["timing"]["stopped_by"] = "max_time"
    path.write_text(json.dumps(record))
    before = path.read_bytes()
    for dry in ((), ("--dry-run",)):
        again = repro(*sweep, *dry)
        assert again.returncode == 0, again.stderr
        warning = [line for line in again.stderr.splitlines() if line.startswith("warning: ")]
        assert len(warning) == 1 and "ended training at step 20" in warning[0], again.stderr
        assert "toy/small/" in warning[0] and "/seed0" in warning[0], again.stderr
    assert path.read_bytes() == before


def test_rerun_true_retrains_the_completed_runs_of_a_sweep(toy_dir: Path, isolated_env: Path):
    """`repro sweep ... rerun=true` means what it means for `repro run`: train again."""
    sweep = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small", "logger=none")
    assert repro(*sweep).returncode == 0
    dry = repro(*sweep, "rerun=true", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "rerun" in dry.stdout and "done" not in dry.stdout, dry.stdout
    again = repro(*sweep, "rerun=true")
    assert again.returncode == 0, again.stderr
    assert "2 trained, 0 already completed" in again.stdout, again.stdout
    assert [r["attempts"] for r in _records(isolated_env)] == [2, 2]


def test_a_sweep_rerun_whose_workers_die_is_not_reported_completed(tmp_path: Path) -> None:
    """The completed records stay, but this sweep's reruns did not complete: failed, exit 1."""
    from tests.running.test_together import SIGNAL_MODULE, toy_paper_with_module

    plugins = tmp_path / "plugins"
    toy_paper_with_module(plugins, SIGNAL_MODULE, "SignalAtCall")
    env = {"REPRO_PAPERS_PATH": str(plugins), "REPRO_RESULTS_DIR": str(tmp_path / "r")}
    sweep = ("sweep", "paper=toy", "experiment=small", "logger=none", "launcher=joblib")
    assert repro(*sweep, env=env).returncode == 0
    killed = {"REPRO_TEST_SIGNAL": "SIGKILL", "REPRO_TEST_SIGNAL_AT_CALL": "3"}
    again = repro(*sweep, "rerun=true", "seeds_together=false", env={**env, **killed})
    assert again.returncode == 1, again.stdout
    assert "0 trained, 0 already completed, 2 failed" in again.stdout
    assert all(r["status"] == "completed" for r in _records(tmp_path / "r"))  # kept


def test_rerun_true_of_a_seed_in_a_folder_from_before_trains_it_there(
    toy_dir: Path, isolated_env: Path
):
    """A seed an older repro filed under its accelerator's hash counts as done; rerun=true
    trains it again where `repro run ... rerun=true` does (its folder), and says so."""
    import yaml

    from repro.records import store

    sweep = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small", "logger=none")
    on_cpu = (*sweep, "seeds=1", "trainer.accelerator=cpu")
    assert repro(*on_cpu).returncode == 0
    (folder,) = [p.parent for p in isolated_env.rglob("record.json")]
    config = yaml.safe_load((folder / "config.yaml").read_text())
    old = folder.parent.parent / store.legacy_config_hash(config) / folder.name
    old.parent.mkdir(parents=True)
    folder.rename(old)
    assert "1 already completed" in repro(*on_cpu).stdout  # found in its old folder
    again = repro(*on_cpu, "rerun=true")
    assert again.returncode == 0, again.stderr
    assert "1 trained, 0 already completed" in again.stdout, again.stdout
    assert json.loads((old / "record.json").read_text())["attempts"] == 2
    assert not folder.exists()  # one record of the seed, not two


def test_failed_run_is_recorded_sweep_goes_on_and_exits_1(toy_dir: Path, isolated_env: Path):
    done = repro(
        "sweep",
        "--papers-dir",
        str(toy_dir),
        "paper=toy",
        "seeds=1",
        "model.explode=true,false",
        "logger=none",
    )
    assert done.returncode == 1
    assert "1 trained, 0 already completed, 1 failed" in done.stdout
    failed = [r for r in _records(isolated_env) if r["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["error"].startswith("non-finite loss at step 3")
    again = repro(
        "sweep",
        "--papers-dir",
        str(toy_dir),
        "paper=toy",
        "seeds=1",
        "model.explode=false",
        "logger=none",
    )
    assert "0 trained, 1 already completed" in again.stdout


def test_dry_run_plans_and_estimates(toy_dir: Path, isolated_env: Path) -> None:
    fresh = repro("sweep", "--papers-dir", str(toy_dir), "paper=toy", "--dry-run")
    assert fresh.returncode == 0
    assert "2 to run, 0 already completed" in fresh.stdout and "unknown" in fresh.stdout
    assert not isolated_env.exists()
    repro("run", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small", "logger=none")
    planned = repro("sweep", "--papers-dir", str(toy_dir), "paper=toy", "seeds=3", "--dry-run")
    assert "2 to run, 1 already completed" in planned.stdout
    assert "estimated training time, one after another:" in planned.stdout
    assert "unknown" not in planned.stdout
    # with one experiment never run, the total said "unknown (no completed runs of
    # these experiments ...)" under a row estimated from them; a record without `timing`
    # crashed the estimate (KeyError)
    (record,) = isolated_env.rglob("record.json")
    done = json.loads(record.read_text())
    both = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small,wide", "seeds=3")
    mixed = repro(*both, "--dry-run")
    assert mixed.returncode == 0, mixed.stderr
    total = next(line for line in mixed.stdout.splitlines() if "one after another" in line)
    assert "estimated training time, one after another: over " in total
    assert "unknown for wide (no completed runs of it on this hardware yet)" in total
    record.write_text(json.dumps({k: v for k, v in done.items() if k != "timing"}))
    untimed = repro(*both, "--dry-run")
    assert untimed.returncode == 0 and "error" not in untimed.stderr, untimed.stderr


def test_joblib_sweep_runs_in_parallel_processes(toy_dir: Path, isolated_env: Path) -> None:
    done = repro(
        "sweep",
        "--papers-dir",
        str(toy_dir),
        "paper=toy",
        "launcher=joblib",
        "logger=none",
        env={"REPRO_JOBS": "2"},
    )
    assert done.returncode == 0, done.stderr
    assert "2 trained" in done.stdout
    assert len({r["environment"]["hostname"] for r in _records(isolated_env)}) == 1


def test_unknown_launcher(toy_dir: Path) -> None:
    done = repro("sweep", "--papers-dir", str(toy_dir), "paper=toy", "launcher=kubernetes")
    assert done.returncode == 2
    assert "unknown launcher 'kubernetes'" in done.stderr


def test_slurm_sweep_through_real_slurmctld(toy_dir: Path, isolated_env: Path, slurm_cluster):
    def sweep() -> subprocess.CompletedProcess[str]:
        return repro(
            "sweep",
            "--papers-dir",
            str(toy_dir),
            "paper=toy",
            "launcher=slurm",
            "slurm.cpus=1",
            "slurm.mem_gb=1",
            "slurm.time_min=5",
            "logger=none",
            env=slurm_cluster,
            timeout=600,
        )

    done = sweep()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 trained" in done.stdout
    assert list(isolated_env.glob(".sweeps/toy/*/.submitit/*")), "no submitit job folders"
    # A resubmitted sweep with one run lost trains only that run.
    lost = sorted(isolated_env.rglob("record.json"))[0]
    lost.unlink()
    again = sweep()
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 trained, 1 already completed" in again.stdout


def _one_run_slurm_sweep(toy_dir: Path, env: dict[str, str], *overrides: str) -> subprocess.Popen:
    """`repro sweep` of one toy run on the test's SLURM cluster, in the background (a test
    cancels its job meanwhile), its output piped."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "repro", "sweep", "--papers-dir", str(toy_dir), "paper=toy"),
            *("experiment=small", "seeds=1", "launcher=slurm", "slurm.cpus=1", "slurm.mem_gb=1"),
            *("slurm.time_min=5", "logger=none", *overrides),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_a_slurm_job_cancelled_by_scancel_is_not_blamed_on_the_time_limit(
    toy_dir: Path, isolated_env: Path, slurm_cluster
):
    """`scancel` of a running job: its run recorded only `interrupted by SIGTERM`, and the
    sweep warned `most likely SLURM's time limit, ...; raise it`, a cause it did not know."""
    import time

    env = {**os.environ, **slurm_cluster}
    sweep = _one_run_slurm_sweep(toy_dir, env, "trainer.max_steps=100000000")
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and sweep.poll() is None:
            records = list(isolated_env.rglob("record.json"))
            if records and '"running"' in records[0].read_text():
                break
            time.sleep(0.5)
        jobs = subprocess.run(["squeue", "-h", "-o", "%i"], env=env, capture_output=True)
        (job,) = jobs.stdout.decode().split()
        subprocess.run(["scancel", job], env=env, check=True)
        _, stderr = sweep.communicate(timeout=300)
    finally:
        sweep.kill()
    assert "time limit" not in stderr, stderr
    (record,) = isolated_env.rglob("record.json")
    error = json.loads(record.read_text())["error"]
    assert error.startswith("interrupted by SIGTERM (its SLURM job was cancelled) at step ")


def test_a_slurm_job_cancelled_in_its_first_seconds_is_not_a_lost_job(
    toy_dir: Path, isolated_env: Path, slurm_cluster
):
    """`scancel` of a job before its run wrote a record: the sweep's table said `missing  no
    record written (job lost?)`, where SLURM knew it was cancelled. The job is submitted to
    start in 10 minutes (sbatch --begin), so it is cancelled while PENDING, whatever the
    machine's load: no race with its run writing a record."""
    import time

    env = {**os.environ, **slurm_cluster}
    sweep = _one_run_slurm_sweep(
        toy_dir, env, "++hydra.launcher.additional_parameters.begin=now+600"
    )
    try:
        deadline = time.monotonic() + 300  # a bound on a hang, not a timing the test relies on
        job = ""
        while time.monotonic() < deadline and sweep.poll() is None and not job:
            jobs = subprocess.run(
                ["squeue", "-h", "-t", "PENDING", "-o", "%i %r"], env=env, capture_output=True
            )
            found = jobs.stdout.decode().split()
            job = found[0] if found and found[1:] == ["BeginTime"] else ""
            time.sleep(0.2)
        assert job, "no job was held pending"
        subprocess.run(["scancel", job], env=env, check=True)
        stdout, stderr = sweep.communicate(timeout=300)
    finally:
        sweep.kill()
    assert not list(isolated_env.rglob("record.json")), "its run started before the scancel"
    assert "job lost" not in stdout + stderr, stdout + stderr
    assert "was cancelled before it wrote a record" in stdout, stdout + stderr


def test_slurm_sweep_trains_a_settings_seeds_together_in_one_job(
    toy_dir: Path, isolated_env: Path, slurm_cluster
):
    done = repro(
        "sweep",
        "--papers-dir",
        str(toy_dir),
        "paper=toy",
        "experiment=small",
        "seeds=3",
        "launcher=slurm",
        "slurm.cpus=1",
        "slurm.mem_gb=1",
        "slurm.time_min=5",
        "logger=none",
        "seeds_together=true",
        env=slurm_cluster,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 trained" in done.stdout
    jobs = {p.name for p in isolated_env.glob(".sweeps/toy/*/.submitit/*") if p.is_dir()}
    assert len(jobs) == 1, jobs  # one SLURM job trained the three seeds
    for record in isolated_env.rglob("record.json"):
        together = json.loads(record.read_text())["together"]
        assert together["seeds"] == [0, 1, 2]


@pytest.mark.skipif(
    importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None,
    reason="Ray launcher extra not installed (pip install -e '.[ray]')",
)
def test_ray_sweep_against_local_head(toy_dir: Path, isolated_env: Path, tmp_path: Path):
    script = REPO / "scripts" / "ray_local.sh"
    env = {"RAY_AUTH_MODE": "disabled"}
    subprocess.run(
        [str(script), "start", str(tmp_path / "ray")],
        check=True,
        timeout=120,
        capture_output=True,
        env={**os.environ, **env},
    )
    try:
        done = repro(
            "sweep",
            "--papers-dir",
            str(toy_dir),
            "paper=toy",
            "launcher=ray",
            "logger=none",
            "+hydra.launcher.ray.init.object_store_memory=null",
            env={**env, "RAY_ADDRESS": "auto"},
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "2 trained" in done.stdout
    finally:
        subprocess.run(
            [str(script), "stop"], timeout=120, capture_output=True, env={**os.environ, **env}
        )


FAKE_RAY_LAUNCHER = """
\"\"\"A stand-in for hydra-ray-launcher whose jobs run as on a Ray cluster joined with
RAY_ADDRESS: in a worker the cluster started, with its environment, not the sweep's.\"\"\"
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import configure_log, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from omegaconf import open_dict

SET_BY_THE_SWEEP = ("REPRO_SWEEP_ID", "REPRO_COMMAND_CONTEXT", "REPRO_SEEDS_AUTO")


@dataclass
class RayConf:
    init: Dict[str, Any] = field(default_factory=dict)
    remote: Dict[str, Any] = field(default_factory=dict)


@dataclass
class RayLauncherConf:
    _target_: str = "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher"
    ray: RayConf = field(default_factory=RayConf)


ConfigStore.instance().store(group="hydra/launcher", name="ray", node=RayLauncherConf)


class RayLauncher(Launcher):
    def __init__(self, ray):
        self.ray_cfg = ray

    def setup(self, *, hydra_context, task_function, config):
        self.hydra_context, self.task_function, self.config = hydra_context, task_function, config

    def launch(self, job_overrides, initial_job_idx):
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        loader = self.hydra_context.config_loader
        returns = []
        for index, overrides in enumerate(job_overrides, initial_job_idx):
            config = loader.load_sweep_config(self.config, list(overrides))
            with open_dict(config):
                config.hydra.job.id = f"job_id_for_{index}"
                config.hydra.job.num = index
            sweeps = {name: os.environ.pop(name) for name in SET_BY_THE_SWEEP if name in os.environ}
            try:
                HydraConfig.instance().set_config(config)
                returns.append(
                    run_job(
                        hydra_context=self.hydra_context,
                        task_function=self.task_function,
                        config=config,
                        job_dir_key="hydra.sweep.dir",
                        job_subdir_key="hydra.sweep.subdir",
                    )
                )
            finally:
                os.environ.update(sweeps)
        return returns
"""


def test_a_ray_worker_of_a_cluster_started_elsewhere_gets_the_sweeps_environment(
    isolated_env: Path, tmp_path: Path
) -> None:
    """A Ray cluster joined with RAY_ADDRESS starts its workers with its own environment,
    not the sweep's: the runs' records lacked the sweep's id (its table then said
    `completed by another process` of the runs it had just trained) and the command that
    reruns them (no --papers-dir). The sweep hands its jobs what it sets through Hydra,
    which sets it in the job's own process (whatever the folders hold: quoted literally)."""
    papers = tmp_path / "it's 1, [a]"
    write_toy_paper(papers, "toy")
    plugin = tmp_path / "fake_ray" / "hydra_plugins" / "hydra_ray_launcher"
    plugin.mkdir(parents=True)
    (plugin / "__init__.py").write_text("")
    (plugin / "ray_launcher.py").write_text(FAKE_RAY_LAUNCHER)
    path = os.pathsep.join(filter(None, [str(plugin.parent.parent), os.environ.get("PYTHONPATH")]))
    done = repro(
        "sweep",
        "--papers-dir",
        str(papers),
        "paper=toy",
        "experiment=small",
        "launcher=ray",
        "logger=none",
        env={"PYTHONPATH": path, "RAY_ADDRESS": "auto"},
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 trained" in done.stdout, done.stdout
    records = _records(isolated_env)
    assert len(records) == 2 and len({r["sweep_id"] for r in records}) == 1, records
    assert all(shlex.quote(str(papers)) in r["command"] for r in records), records


def test_a_large_dry_run_is_summarised_per_setting(toy_dir: Path, isolated_env: Path) -> None:
    repro("run", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small", "logger=none")
    sweep = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small,wide")
    done = repro(*sweep, "seeds=5000", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "10000 runs" in done.stdout and "9999 to run, 1 already completed" in done.stdout
    assert len(done.stdout.splitlines()) < 20, done.stdout  # a row per setting, not per run
    small = next(line for line in done.stdout.splitlines() if line.lstrip().startswith("small"))
    assert "0–4999" in small and "4999 to run" in small and "1 done" in small, small


def test_summary_rows_count_states_and_compress_seed_ranges(tmp_path: Path) -> None:
    from repro.sweeping.plan import seeds_text, setting_summaries

    folder = tmp_path / "toy" / "small" / "abc"
    runs = [
        PlannedRun("small", seed, (), folder / f"seed{seed}", "done" if seed < 2 else "to run")
        for seed in (0, 1, 2, 3, 7, 9, 10)
    ]
    (row,) = setting_summaries(runs, {r.record_dir: 2.0 for r in runs})
    assert row.seeds == "0–3, 7, 9–10" and row.states == "2 done, 5 to run"
    assert row.estimate_s == 10.0 and row.folder == folder
    assert seeds_text([*range(100), 200, 300, 400, 500, 600, 700]) == "106 seeds in 0–700"


def test_a_summary_row_does_not_time_a_blocked_seed(tmp_path: Path) -> None:
    """A large plan's row per setting added a blocked seed's estimate (its run stops at
    once, training nothing) to the setting's time, as its own table did."""
    from repro.sweeping.plan import setting_summaries

    folder = tmp_path / "toy" / "small" / "abc"
    states = ["to run", "blocked (record.json is a link that leads nowhere)"]
    runs = [PlannedRun("small", seed, (), folder / f"seed{seed}", states[seed]) for seed in (0, 1)]
    for together in (False, True):
        (row,) = setting_summaries(runs, {r.record_dir: 2.0 for r in runs}, together)
        assert row.estimate_s == 2.0, (together, row)


def test_the_dry_run_says_whether_seeds_train_together(toy_dir: Path) -> None:
    on = repro(
        "sweep",
        "--papers-dir",
        str(toy_dir),
        "paper=toy",
        "experiment=small",
        "seeds=3",
        "seeds_together=true",
        "--dry-run",
    )
    assert on.returncode == 0, on.stderr
    assert "seeds together: on, 1 job(s) for 3 run(s)" in on.stdout
    off = repro("sweep", "--papers-dir", str(toy_dir), "paper=toy", "--dry-run")
    assert "seeds together: off" in off.stdout  # auto on this CPU


def test_the_dry_run_says_which_runs_resume_as_the_sweep_would(
    toy_dir: Path, isolated_env: Path
) -> None:
    """Seeds 0 and 1 stopped together at step 8, seed 2 stopped alone at step 5: before, the
    dry run showed three runs to redo and one group, not that any would resume. Now it says
    what the sweep says as it starts (the step included), and counts the jobs it would run."""
    import torch

    from repro.config.app import plugin_overrides
    from repro.plugins.registry import get_paper
    from repro.records.fingerprint import code_fingerprint
    from repro.sweeping.plan import SweepGrid, plan_sweep

    plugin = get_paper("toy", [toy_dir])
    planned, _ = plan_sweep("toy", plugin_overrides(plugin.folder), SweepGrid(["small"], [0, 1, 2]))
    hash_dir = planned[0].record_dir.parent
    for seed in (0, 1, 2):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
        _cut_short(hash_dir / f"seed{seed}")
    group = hash_dir / "seed0" / "checkpoints" / "together.ckpt"
    identity = {"seeds": [0, 1], "config_hash": hash_dir.name}
    identity["code"] = code_fingerprint(plugin.folder)["digest"]
    torch.save({"identity": identity, "state": {"global_step": 8}}, group)
    own = hash_dir / "seed2" / "checkpoints" / "last.ckpt"
    torch.save({"global_step": 5}, own)
    sweep = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small", "seeds=3")
    dry = repro(*sweep, "seeds_together=true", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"small: seeds 0, 1 resume their group's checkpoint {group} from step 8" in dry.stdout
    assert f"small: seed 2 resumes its own checkpoint {own} from step 5, alone" in dry.stdout
    assert "seeds together: on, 2 job(s) for 3 run(s)" in dry.stdout, dry.stdout
    plan_resumes = __import__("repro.sweeping.plan", fromlist=["plan_resumes"]).plan_resumes
    alone = plan_resumes(planned, identity["code"], together=False)[1]  # seeds_together=false
    assert alone == [
        f"small: seeds 0, 1 do not resume their group's checkpoint {group} (step 8): seeds "
        "together is off (seeds_together=true resumes it); they train alone from the start",
        f"small: seed 2 resumes its own checkpoint {own} from step 5, alone",
    ]


def test_the_dry_run_counts_a_run_another_process_holds_apart_from_those_to_run(
    toy_dir: Path, isolated_env: Path
) -> None:
    """Seed 0 trained by another process (its record `running`, its lock held): the
    dry run's first line counted it in `1 to run`, estimated its time, and said `seed 0
    resumes its own checkpoint`, which that process resumes, not this sweep."""
    from repro.running.lock import run_lock

    sweep = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small", "seeds=2")
    assert repro(*sweep, "logger=none").returncode == 0
    folder = next(isolated_env.rglob("seed0"))
    record = json.loads((folder / "record.json").read_text())
    (folder / "record.json").write_text(json.dumps({**record, "status": "running"}))
    assert (folder / "checkpoints" / "last.ckpt").is_file()  # its periodic save
    with run_lock(folder):
        dry = repro(*sweep, "logger=none", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "0 to run, 1 already completed, 1 held by another process" in dry.stdout, dry.stdout
    assert "resumes its own checkpoint" not in dry.stdout, dry.stdout
    assert "estimated training time: nothing to train" in dry.stdout, dry.stdout


def test_the_dry_runs_seeds_together_line_counts_only_the_runs_it_trains(
    toy_dir: Path, isolated_env: Path
) -> None:
    """Seed 0 completed, seed 1 held by another process, seed 2 to run: the seeds-together
    line said `1 job(s) for 2 run(s)`, counting the run the other process trains."""
    from repro.running.lock import run_lock

    sweep = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small")
    assert repro(*sweep, "seeds=2", "logger=none").returncode == 0
    folder = next(isolated_env.rglob("seed1"))
    record = json.loads((folder / "record.json").read_text())
    (folder / "record.json").write_text(json.dumps({**record, "status": "running"}))
    with run_lock(folder):
        dry = repro(*sweep, "seeds=3", "logger=none", "seeds_together=true", "--dry-run")
        alone = repro(*sweep, "seeds=2", "logger=none", "seeds_together=true", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "1 to run, 1 already completed, 1 held by another process" in dry.stdout, dry.stdout
    assert "seeds together: on, 1 job(s) for 1 run(s)" in dry.stdout, dry.stdout
    assert "seeds together" not in alone.stdout, alone.stdout  # nothing this sweep trains


def test_the_dry_run_neither_times_nor_counts_as_a_jobs_run_a_blocked_seed(
    toy_dir: Path, isolated_env: Path
) -> None:
    """Seed 1's record.json a dead link: its run stops at once, naming it, and trains
    nothing, but the dry run gave it the estimate of a whole run and added it to the
    sweep's training time (an hour for nothing here), and counted it among the runs the
    seeds-together jobs train."""
    sweep = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small")
    assert repro(*sweep, "seeds=1", "logger=none").returncode == 0
    folder = next(isolated_env.rglob("seed0"))
    record = json.loads((folder / "record.json").read_text())
    record["timing"] = {**record["timing"], "wall_s": 3600.0, "fit_s": 3599.0}
    (folder / "record.json").write_text(json.dumps(record))
    blocked = folder.parent / "seed1"
    blocked.mkdir()
    (blocked / "record.json").symlink_to(isolated_env / "unmounted" / "record.json")
    dry = repro(*sweep, "seeds=2", "logger=none", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "0 to run, 1 already completed, 1 blocked" in dry.stdout, dry.stdout
    (row,) = [line for line in dry.stdout.splitlines() if "blocked (record.json" in line]
    assert " - " in row and "min" not in row, row  # no estimate: it trains nothing
    assert "estimated training time: nothing to train" in dry.stdout, dry.stdout
    together = repro(*sweep, "seeds=2", "logger=none", "seeds_together=true", "--dry-run")
    assert "seeds together" not in together.stdout, together.stdout  # nothing to train


def test_a_dry_run_with_nothing_to_train_says_nothing_of_seeds_together(
    toy_dir: Path, isolated_env: Path
) -> None:
    """Every run completed: the dry run said `seeds together: off (seeds_together=true to
    train a setting's seeds at once)`, or with it `on, 0 job(s) for 0 run(s)`, of a sweep
    that trains nothing."""
    sweep = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small", "seeds=2")
    assert repro(*sweep, "logger=none").returncode == 0
    for together in ("auto", "true", "false"):
        dry = repro(*sweep, "logger=none", f"seeds_together={together}", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "estimated training time: nothing to train" in dry.stdout, dry.stdout
        assert "seeds together" not in dry.stdout, (together, dry.stdout)


def test_the_dry_run_says_a_group_of_other_code_is_discarded_as_the_sweep_would(
    toy_dir: Path, isolated_env: Path
) -> None:
    """Seeds 0 and 1 stopped together at step 8, then the plugin's code changed: the sweep
    says `stale: discarding the training of seeds 0, 1 ...` and trains them from the start,
    but its dry run said nothing of the training it would throw away."""
    import torch

    from repro.config.app import plugin_overrides
    from repro.plugins.registry import get_paper
    from repro.sweeping.plan import SweepGrid, plan_sweep

    plugin = get_paper("toy", [toy_dir])
    planned, _ = plan_sweep("toy", plugin_overrides(plugin.folder), SweepGrid(["small"], [0, 1]))
    hash_dir = planned[0].record_dir.parent
    for seed in (0, 1):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
        _cut_short(hash_dir / f"seed{seed}")
    group = hash_dir / "seed0" / "checkpoints" / "together.ckpt"
    identity = {"seeds": [0, 1], "config_hash": hash_dir.name, "code": "0ld"}
    torch.save({"identity": identity, "state": {"global_step": 8}}, group)
    sweep = ("sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small", "seeds=2")
    dry = repro(*sweep, "seeds_together=true", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert (
        f"small: stale: discarding the training of seeds 0, 1 (their group's checkpoint {group}, "
        "step 8): the plugin's code changed since it was saved (code 0ld -> "
    ) in dry.stdout, dry.stdout
    assert "resume their group's checkpoint" not in dry.stdout


def test_seeds_together_off_says_which_group_checkpoints_it_does_not_resume(
    tmp_path: Path,
) -> None:
    """Seeds 0 and 1 stopped together at step 8, then the same sweep without
    seeds_together=true (auto is off on a CPU): each seed trained alone from the start, the
    group's training lost, and the sweep's plan and its dry run said nothing of it (only
    each run, once started). Now one line says so and how to resume it; seeds a trained
    group left to test are only tested, alone too, and planned so."""
    import torch

    from repro.sweeping.plan import plan_resumes

    hash_dir = tmp_path / "x" / "h"
    for seed in (0, 1, 2, 3):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
        _cut_short(hash_dir / f"seed{seed}")
    identity = {"seeds": [0, 1], "config_hash": "h", "code": "c0de"}
    group = hash_dir / "seed0" / "checkpoints" / "together.ckpt"
    torch.save({"identity": identity, "state": {"global_step": 8}}, group)
    tested = hash_dir / "seed2" / "checkpoints" / "together.ckpt"
    left = {"identity": {**identity, "seeds": [2, 3]}, "state": {"global_step": 20}}
    torch.save({**left, "trained": True}, tested)
    planned = [
        PlannedRun("x", s, (), hash_dir / f"seed{s}", "redo (interrupted)") for s in range(4)
    ]
    runs, notes = plan_resumes(planned, "c0de", together=False)
    assert [(r.group, r.tests_only) for r in runs] == [(None, False)] * 2 + [(None, True)] * 2
    assert notes == [
        f"x: seeds 0, 1 do not resume their group's checkpoint {group} (step 8): seeds "
        "together is off (seeds_together=true resumes it); they train alone from the start",
        f"x: seeds 2, 3 trained in a group, left to test: tested from the group's final "
        f"weights {tested} (step 20)",
    ]


def _group_stopped_then_seed_0_alone(hash_dir: Path) -> tuple[list[PlannedRun], Path, Path]:
    """Seeds 0 and 1 stopped together at step 8; seed 0 then stopped training alone (its own
    checkpoint at step 4922), as a sweep with seeds_together off leaves them."""
    import torch

    for seed in (0, 1):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
        _cut_short(hash_dir / f"seed{seed}", alone=seed == 0)
    identity = {"seeds": [0, 1], "config_hash": "h", "code": "c0de"}
    group = hash_dir / "seed0" / "checkpoints" / "together.ckpt"
    torch.save({"identity": identity, "state": {"global_step": 8}}, group)
    planned = [PlannedRun("x", s, (), hash_dir / f"seed{s}", "redo (interrupted)") for s in (0, 1)]
    return planned, group, hash_dir / "seed0" / "checkpoints" / "last.ckpt"


def test_seeds_together_off_does_not_say_a_seed_resuming_its_own_starts_over(
    tmp_path: Path,
) -> None:
    """The plan said 'seeds 0, 1 ... they train alone from the start' and then 'seed 0 resumes
    its own checkpoint ... from step 4922': seed 0 resumes, as its run then says."""
    from repro.sweeping.plan import plan_resumes

    planned, group, own = _group_stopped_then_seed_0_alone(tmp_path / "x" / "h")
    runs, notes = plan_resumes(planned, "c0de", together=False)
    assert [(r.alone, r.resume_step) for r in runs] == [(True, 4922), (False, None)]
    assert notes == [
        f"x: seeds 0, 1 do not resume their group's checkpoint {group} (step 8): seeds "
        "together is off (seeds_together=true resumes it); seed 1 trains alone from the start",
        f"x: seed 0 resumes its own checkpoint {own} from step 4922, alone",
    ]


def test_seeds_together_off_says_a_group_of_other_code_is_discarded(tmp_path: Path) -> None:
    """A stopped group, then the plugin's code changed: with seeds_together off the dry run
    said nothing of the group's training thrown away (with it on, its 'stale: discarding'
    line), while each seed's run then said it did not resume the group's checkpoint."""
    from repro.sweeping.plan import plan_resumes

    planned, _, _ = _group_stopped_then_seed_0_alone(tmp_path / "x" / "h")
    (planned[0].record_dir / "checkpoints" / "last.ckpt").unlink()
    notes = plan_resumes(planned, "new0", together=False)[1]
    assert notes == plan_resumes(planned, "new0", together=True)[1]
    assert [note.split(" (")[0] for note in notes] == [
        "x: stale: discarding the training of seeds 0, 1"
    ]


def test_a_group_resumed_names_the_own_checkpoint_of_a_seed_it_does_not_resume(
    tmp_path: Path,
) -> None:
    """The sweep said 'not resuming seed 0's own checkpoint ... (step 4922, trained alone)' as
    the group resumed from its step 8; its dry run said only that the group resumes."""
    from repro.sweeping.plan import plan_resumes

    planned, group, own = _group_stopped_then_seed_0_alone(tmp_path / "x" / "h")
    runs, notes = plan_resumes(planned, "c0de", together=True)
    assert [r.group for r in runs] == [(0, 1), (0, 1)]
    assert notes == [
        f"x: seeds 0, 1 resume their group's checkpoint {group} from step 8",
        f"x: not resuming seed 0's own checkpoint {own} (step 4922, trained alone): it trains "
        "in the group, from the group's step 8",
    ]


def test_a_group_of_seeds_trained_together_counts_its_time_once(tmp_path: Path) -> None:
    """Each seed's record of a group holds the group's time: the dry run summed 3 seeds'
    estimates for a group that trains them in one process, 3 times too long."""
    from repro.sweeping.jobs import jobs_for
    from repro.sweeping.launch import job_seconds
    from repro.sweeping.plan import setting_summaries

    folder = tmp_path / "toy" / "small" / "abc"
    runs = [PlannedRun("small", s, (), folder / f"seed{s}", "to run") for s in (0, 1, 2)]
    estimates = {r.record_dir: 10.0 for r in runs}
    assert job_seconds(jobs_for(runs, [], together=True), estimates) == [10.0]
    assert job_seconds(jobs_for(runs, [], together=False), estimates) == [10.0] * 3
    assert setting_summaries(runs, estimates, together=True)[0].estimate_s == 10.0
    assert setting_summaries(runs, estimates)[0].estimate_s == 30.0
    assert job_seconds(jobs_for(runs, []), {**estimates, runs[1].record_dir: None}) == [
        10.0,
        None,
        10.0,
    ]


def _trained_group_left_to_test(hash_dir: Path) -> list[PlannedRun]:
    """Seeds 0-2 trained together (100 s, 90 of them training); seed 0 tested, then a stop
    left seeds 1 and 2 to test (the group's final weights in seed 1's folder)."""
    from repro.records import store

    for seed in (0, 1, 2):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
    timing = {"wall_s": 100.0, "fit_s": 90.0, "steps_per_s": 2.0}
    environment = {"cpu": "a CPU", "gpus": []}
    store.write_record(
        hash_dir / "seed0",
        {"status": "completed", "seed": 0, "timing": timing, "environment": environment},
    )
    _cut_short(hash_dir / "seed1", group=[1, 2], trained=True)
    _cut_short(hash_dir / "seed2")
    states = ["done", "redo (interrupted)", "redo (interrupted)"]
    return [PlannedRun("x", s, (), hash_dir / f"seed{s}", states[s], 180) for s in (0, 1, 2)]


def test_a_group_left_only_to_test_is_estimated_as_tests_not_as_training(
    tmp_path: Path,
) -> None:
    """seeds 1 and 2 of a trained group were left to test; the estimate counted
    their job as the group's whole training again (100 s). Testing a seed costs what a run
    costs beside its training (wall - fit: 10 s), each seed tested in turn: 20 s."""
    from repro.sweeping.jobs import jobs_for
    from repro.sweeping.launch import estimate_seconds, job_seconds
    from repro.sweeping.plan import plan_resumes, setting_summaries

    runs, _ = plan_resumes(_trained_group_left_to_test(tmp_path / "x" / "h"))
    estimates = estimate_seconds(runs, "a CPU | no GPU")
    assert job_seconds(jobs_for(runs, [], together=True), estimates) == [20.0]
    assert setting_summaries(runs, estimates, together=True)[0].estimate_s == 20.0
    # a seed only tested (its record's together.trained) took a test's time: no run's
    from repro.records import store

    tested = tmp_path / "x" / "h" / "seed3"
    timing = {"wall_s": 10.0, "fit_s": 0.0, "steps_per_s": 2.0}
    record = {"status": "completed", "timing": timing, "together": {"trained": {"step": 180}}}
    store.write_record(tested, {**record, "environment": {"cpu": "a CPU", "gpus": []}})
    new = PlannedRun("x", 4, (), tmp_path / "x" / "h" / "seed4", "to run", 180)
    assert estimate_seconds([new], "a CPU | no GPU") == {new.record_dir: 100.0}


def test_a_run_that_resumes_is_estimated_for_the_steps_it_has_left(tmp_path: Path) -> None:
    """Seeds 1 and 2 stopped together at step 90 of 180, seed 3 alone at step 45: the dry
    run estimated each as a whole run (100 s: 90 s of training, 10 s beside it), so a sweep
    resumed nine tenths of the way was shown as long as the first. Their training left is
    what the estimate counts: 10 + 45 s, and 10 + 67.5 s."""
    import torch

    from repro.records import store
    from repro.sweeping.launch import estimate_seconds
    from repro.sweeping.plan import plan_resumes

    hash_dir = tmp_path / "x" / "h"
    for seed in (0, 1, 2, 3):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
    timing = {"wall_s": 100.0, "fit_s": 90.0, "steps_per_s": 2.0}
    store.write_record(
        hash_dir / "seed0",
        {"status": "completed", "seed": 0, "timing": timing, "environment": {"cpu": "a CPU"}},
    )
    _cut_short(hash_dir / "seed1")
    _cut_short(hash_dir / "seed2")
    identity = {"seeds": [1, 2], "config_hash": "h", "code": "c0de"}
    group = hash_dir / "seed1" / "checkpoints" / "together.ckpt"
    torch.save({"identity": identity, "state": {"global_step": 90}}, group)
    _cut_short(hash_dir / "seed3")
    torch.save({"global_step": 45}, hash_dir / "seed3" / "checkpoints" / "last.ckpt")
    states = ["done"] + ["redo (interrupted)"] * 3
    planned = [PlannedRun("x", s, (), hash_dir / f"seed{s}", states[s], 180) for s in range(4)]
    runs, notes = plan_resumes(planned, code="c0de")
    assert len(notes) == 2, notes
    estimates = estimate_seconds(runs, "a CPU | no GPU")
    assert [estimates[hash_dir / f"seed{s}"] for s in (1, 2, 3)] == [55.0, 55.0, 77.5]


def test_the_plan_line_counts_the_seeds_a_resumed_group_brings(tmp_path: Path) -> None:
    """`seeds=2` after a stop left seeds 1 and 2 of a trained group to test: the
    sweep said `1 to run` (its plan before resumes), then tested 2 seeds. The line counts
    what runs: seed 2 comes with its group, and both are only tested."""
    from repro.sweeping.plan import SweepGrid, plan_resumes, sweep_plan_line

    planned = _trained_group_left_to_test(tmp_path / "x" / "h")[:2]
    resumed, _ = plan_resumes(planned)
    line = sweep_plan_line("toy", SweepGrid(["x"], [0, 1]), planned, resumed)
    assert line == (
        "sweep toy: 2 runs (1 experiment × 2 seeds × 1 setting) + 1 started with a group it "
        "resumes: 2 to run (2 only to test), 1 already completed"
    )
    unresumed = sweep_plan_line("toy", SweepGrid(["x"], [0, 1]), planned, planned)
    assert unresumed.endswith("setting): 1 to run, 1 already completed")


def test_a_group_split_killed_is_planned_as_the_seeds_it_tests(tmp_path: Path) -> None:
    """Seeds 0-2 left to test; `repro run ... seed=1` split its share off and was killed
    before the rest's file was rewritten. The sweep's plan said `seeds 0, 1, 2 trained in a
    group, left to test` beside `seed 1 ... left to test`, though it tests seed 1 alone and
    seeds 0 and 2 as a group (`drop_completed_seeds`). Likewise a seed failed since (or
    completed): the rest were planned as a new group, though they are only tested."""
    import torch

    from repro.records import store
    from repro.sweeping.plan import plan_resumes

    hash_dir = tmp_path / "x" / "h"
    for seed in (0, 1, 2):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
        _cut_short(hash_dir / f"seed{seed}", group=[0, 1, 2] if seed == 0 else None, trained=True)
    share = hash_dir / "seed1" / "checkpoints" / "together.ckpt"
    identity = {"seeds": [1], "config_hash": "h", "code": "c0de"}
    torch.save({"identity": identity, "trained": True}, share)
    planned = [
        PlannedRun("x", s, (), hash_dir / f"seed{s}", "redo (interrupted)") for s in (0, 1, 2)
    ]
    runs, notes = plan_resumes(planned, "c0de")
    assert [r.group for r in runs] == [(0, 2), (1,), (0, 2)]
    whole = hash_dir / "seed0" / "checkpoints" / "together.ckpt"
    assert notes == [
        f"x: seeds 0, 2 trained in a group, left to test: tested from the group's final "
        f"weights {whole}",
        f"x: seed 1 trained in a group, left to test: tested from the group's final "
        f"weights {share}",
    ]
    share.unlink()
    store.write_record(hash_dir / "seed1", {"status": "failed", "seed": 1})
    runs, notes = plan_resumes([planned[0], planned[2]], "c0de")
    assert [(r.group, r.tests_only) for r in runs] == [((0, 2), True)] * 2
    assert len(notes) == 1 and "seeds 0, 2 trained in a group, left to test" in notes[0]


def test_a_group_file_holding_a_seed_another_process_holds_is_planned_as_not_started(
    tmp_path: Path,
) -> None:
    """the file of seeds 0-2 left to test, seed 1 failed since and run again by
    another process (locked): the run leaves the file (`drop_completed_seeds` never tidies a
    group with a seed locked) and starts neither seed 0 nor 2, but the plan said `seeds 0,
    2 trained in a group, left to test`. It says they are not started, and why."""
    from repro.records import store
    from repro.running.lock import run_lock
    from repro.sweeping.plan import plan_resumes

    hash_dir = tmp_path / "x" / "h"
    for seed in (0, 1, 2):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
        _cut_short(hash_dir / f"seed{seed}", group=[0, 1, 2] if seed == 0 else None, trained=True)
    store.write_record(hash_dir / "seed1", {"status": "failed", "seed": 1})
    planned = [PlannedRun("x", s, (), hash_dir / f"seed{s}", "redo (interrupted)") for s in (0, 2)]
    with run_lock(hash_dir / "seed1"):
        _, notes = plan_resumes(planned, "c0de")
    whole = hash_dir / "seed0" / "checkpoints" / "together.ckpt"
    assert notes == [
        f"x: seeds 0, 2 not started: their group's checkpoint {whole} also holds seed 1, "
        "which another process is running; the same sweep again resumes the group"
    ]


@pytest.mark.parametrize("ended", ["failed", "completed"])
def test_a_group_cut_short_with_a_seed_ended_since_plans_the_others_share(
    tmp_path: Path, ended: str
) -> None:
    """seeds 0-2 cut short mid-training, then seed 1 ended alone (`repro run
    seed=1 rerun=true`, failed or completed): the run resumes seeds 0 and 2 from their share
    of the group's file (`together._split_off_done_seeds`), but the plan said nothing of it
    (no resume line, as if they trained from the start)."""
    from repro.records import store
    from repro.sweeping.plan import plan_resumes

    hash_dir = tmp_path / "p" / "x" / "h"
    for seed in (0, 1, 2):
        (hash_dir / f"seed{seed}").mkdir(parents=True)
        _cut_short(hash_dir / f"seed{seed}", group=[0, 1, 2] if seed == 0 else None)
    record = {"status": ended, "seed": 1, "paper": "p", "experiment": "x", "metrics": {}}
    store.write_record(hash_dir / "seed1", record)
    seeds = (0, 1, 2) if ended == "failed" else (0, 2)
    planned = [PlannedRun("x", s, (), hash_dir / f"seed{s}", "redo (interrupted)") for s in seeds]
    runs, notes = plan_resumes(planned, "c0de")
    whole = hash_dir / "seed0" / "checkpoints" / "together.ckpt"
    assert notes == [f"x: seeds 0, 2 resume their group's checkpoint {whole}"], notes
    assert [run.group for run in runs] == [(0, 2) if s != 1 else None for s in seeds]


def test_a_sweep_again_over_runs_max_time_stopped_short_warns(
    toy_dir: Path, isolated_env: Path
) -> None:
    """a sweep run again over a run `trainer.max_time` ended before its
    max_steps counted it `already completed · found completed when planning` and said
    nothing (the first sweep, and `repro run` again, warn): a report leaves it out of every
    verdict, and this sweep trains it no further. It warns as `repro run` does."""
    sweep = (
        *("sweep", "--papers-dir", str(toy_dir), "paper=toy", "experiment=small", "seeds=1"),
        *("logger=none", "+trainer.max_time=00:01:00:00"),
    )
    assert repro(*sweep).returncode == 0
    (path,) = isolated_env.rglob("record.json")
    record = json.loads(path.read_text())
    record["timing"] = {**record.get("timing", {}), "steps": 3, "stopped_by": "max_time"}
    path.write_text(json.dumps(record))  # as a slower machine leaves it (no timed test)
    again = repro(*sweep)
    assert again.returncode == 0, again.stderr
    assert "0 trained, 1 already completed" in again.stdout, again.stdout
    line = "seed0: trainer.max_time=00:01:00:00 ended training at step 3"
    assert again.stderr.count(line) == 1, again.stderr  # once, though two checks see it
    assert again.stderr.startswith("warning: "), again.stderr
