"""Run records as one long DataFrame (repro.records.table), from synthetic record folders."""

from __future__ import annotations

import functools
import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from repro.records import store
from repro.records.table import load_records, record_files, record_papers

ENVIRONMENT = {
    "git": {"sha": "abc123", "dirty": False},
    "python": "3.11.7",
    "torch": "2.3.1",
    "packages": {"torch": "2.3.1", "lightning": "2.4.0"},
    "cpu": "Test CPU",
    "cpu_count": 2,
    "gpus": [],
    "hostname": "testhost",
    "platform": "Linux",
}


@functools.lru_cache(maxsize=64)
def _composed(
    paper: str, experiment: str, papers_dir: str | None, overrides: tuple[str, ...]
) -> str:
    """The config `repro run paper=<paper> experiment=<experiment> <overrides>` resolves
    (JSON, so the cached copy is never mutated); a plugin under `papers_dir` if given."""
    from repro.config.app import plugin_overrides
    from repro.config.compose import compose_run_config, hydra_compose_session
    from repro.plugins.registry import get_paper

    plugin = get_paper(paper, [Path(papers_dir)] if papers_dir else None)
    with hydra_compose_session():
        config = compose_run_config(
            [f"paper={paper}", *plugin_overrides(plugin.folder), *overrides], experiment
        )
    return json.dumps(config)


def composed_config(
    paper: str, experiment: str, seed: int, papers_dir: Path | None = None, **overrides: Any
) -> dict[str, Any]:
    """A run's config exactly as `repro run` composes it: the paper's own setting, or one
    with `overrides` (`**{"trainer.max_steps": 1500}`), so its hash is what the report
    calls the paper's setting (or not)."""
    words = tuple(f"{key}={value}" for key, value in sorted(overrides.items()))
    folder = str(papers_dir) if papers_dir else None
    config = json.loads(_composed(paper, experiment, folder, words))
    config["seed"] = seed
    return config


def run_config(experiment: str, seed: int, **overrides: Any) -> dict[str, Any]:
    """A resolved config like `repro run` writes (MNIST-1D-shaped)."""
    config: dict[str, Any] = {
        "paper": "mnist1d",
        "experiment_name": experiment,
        "seed": seed,
        "paths": {"results_dir": "results", "data_dir": "data"},
        "logger": {"csv": {}},
        "trainer": {"max_steps": 6000, "devices": 1},
        "data": {"batch_size": 100, "shuffle_seq": experiment.endswith("_shuffled")},
        "model": {"arch": experiment.removesuffix("_shuffled"), "hidden": 100},
        "optimizer": {"lr": 0.01, "betas": [0.9, 0.999]},
    }
    for key, value in overrides.items():
        group, _, name = key.partition(".")
        config[group][name] = value
    return config


def write_run(
    results: Path,
    experiment: str = "cnn",
    seed: int = 0,
    metrics: dict[str, float] | None = None,
    status: str = "completed",
    error: str | None = None,
    paper: str = "mnist1d",
    finished_at: str = "2026-01-01T00:00:00+00:00",
    wall_s: float = 10.0,
    csv_log: list[tuple[int, float]] | None = None,
    composed: bool = False,
    papers_dir: Path | None = None,
    **config_overrides: Any,
) -> Path:
    """One record folder (record.json, config.yaml, optional CSV log) as `repro run` leaves it;
    `config_overrides` like `**{"trainer.max_steps": 300}` change the config and its hash."""
    if composed:  # the real config, so the report can tell the paper's setting from others
        config = composed_config(paper, experiment, seed, papers_dir, **config_overrides)
    else:
        config = run_config(experiment, seed, **config_overrides)
    config["paper"] = paper
    folder = store.run_dir(results, config)
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "schema": 1,
        "paper": paper,
        "experiment": experiment,
        "seed": seed,
        "config_hash": store.config_hash(config),
        "status": status,
        "error": error,
        "metrics": metrics if metrics is not None else {"test/acc": 0.9, "train/loss": 0.3},
        "command": f"repro run paper={paper} experiment={experiment} seed={seed}",
        "attempts": 1,
        "timing": {
            "started_at": "2026-01-01T00:00:00+00:00",
            "finished_at": finished_at,
            "wall_s": wall_s,
            "fit_s": wall_s - 1,
            "steps": 300,
            "steps_per_s": 30.0,
            "epoch_s_mean": 1.0,
        },
        "environment": ENVIRONMENT,
        "model": {"parameters": 5210, "device": "cpu"},
        "data": {"train": 4000, "test": 1000},
    }
    (folder / store.RECORD_FILE).write_text(json.dumps(record))
    (folder / store.CONFIG_FILE).write_text(yaml.safe_dump(config, sort_keys=False))
    if csv_log:
        (folder / "csv").mkdir(exist_ok=True)
        lines = ["epoch,step,train/loss,test/acc"]
        lines += [f"{i},{step},{loss}," for i, (step, loss) in enumerate(csv_log)]
        (folder / "csv" / "metrics.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_long_table_has_a_row_per_run_and_metric(tmp_path: Path) -> None:
    for experiment in ("cnn", "mlp"):
        for seed in range(3):
            write_run(tmp_path, experiment, seed)
    table = load_records(tmp_path)
    frame = table.frame
    assert frame.shape[0] == 2 * 3 * 2 and not table.skipped
    assert set(frame["metric"]) == {"test/acc", "train/loss"}
    for column in (
        "paper",
        "experiment",
        "config_hash",
        "seed",
        "status",
        "metric",
        "value",
        "wall_s",
        "steps_per_s",
        "git_sha",
        "git_dirty",
        "hostname",
        "parameters",
        "pkg_torch",
        "data_train",
        "p_model.arch",
        "p_optimizer.lr",
        "p_trainer.max_steps",
    ):
        assert column in frame.columns, column
    assert not [c for c in frame.columns if c.startswith(("p_paths", "p_logger", "p_seed"))]
    assert json.loads(frame["p_optimizer.betas"].iloc[0]) == [0.9, 0.999]  # lists as JSON
    cnn = frame[(frame["experiment"] == "cnn") & (frame["metric"] == "test/acc")]
    assert sorted(cnn["seed"]) == [0, 1, 2] and set(cnn["p_model.arch"]) == {"cnn"}
    assert cnn["value"].dtype.kind == "f"


def test_failed_run_keeps_one_row_without_metric(tmp_path: Path) -> None:
    write_run(tmp_path, "cnn", 0, metrics={}, status="failed", error="CUDA out of memory")
    frame = load_records(tmp_path).frame
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["status"] == "failed" and row["error"] == "CUDA out of memory"
    assert row["metric"] is None and math.isnan(row["value"])


def test_corrupt_records_are_skipped_with_a_warning(tmp_path: Path) -> None:
    write_run(tmp_path, "cnn", 0)
    bad = {
        "truncated": '{"paper": "mnist1d", "experiment": ',
        "not_an_object": "[1, 2, 3]",
        "missing_fields": '{"paper": "mnist1d"}',
        "bad_metrics": json.dumps(
            {
                "paper": "mnist1d",
                "experiment": "cnn",
                "seed": 1,
                "status": "completed",
                "metrics": [0.5],
            }
        ),
    }
    for name, text in bad.items():
        folder = tmp_path / "mnist1d" / "cnn" / name / "seed0"
        folder.mkdir(parents=True)
        (folder / store.RECORD_FILE).write_text(text)
    undecodable = tmp_path / "mnist1d" / "cnn" / "binary" / "seed0"
    undecodable.mkdir(parents=True)
    (undecodable / store.RECORD_FILE).write_bytes(b"\xff\xfe\x00")
    table = load_records(tmp_path)
    assert len(table.skipped) == len(bad) + 1
    assert set(table.frame["seed"]) == {0}
    warnings = [s.warning() for s in table.skipped]
    assert all(w.startswith("warning: skipped record ") for w in warnings)
    assert any("missing field experiment" in w for w in warnings)


def test_a_misfiled_record_or_a_metric_that_is_no_number_is_skipped_with_a_warning(
    tmp_path: Path,
) -> None:
    """the sweep called these corrupt (and trained again) while the report counted
    them: a record copied into another seed's folder or another setting's, and a metric
    written as text ("0.95", counted as 0.95)."""
    import shutil

    folder = write_run(tmp_path, "cnn", 0)
    shutil.copytree(folder, folder.with_name("seed3"))
    smoke = write_run(tmp_path, "cnn", 5, **{"trainer.max_steps": 20})
    shutil.copytree(smoke, folder.with_name("seed5"))
    write_run(tmp_path, "cnn", 6, metrics={"test/acc": "0.95"})  # type: ignore[dict-item]
    table = load_records(tmp_path)
    runs = table.frame.drop_duplicates("record_dir")
    assert sorted(zip(runs["seed"], runs["record_dir"], strict=True)) == [
        (0, str(folder)),
        (5, str(smoke)),
    ]
    warnings = "\n".join(s.warning() for s in table.skipped)
    assert len(table.skipped) == 3, warnings
    assert "seed 0's record, in seed3/" in warnings
    assert f"config hash {smoke.parent.name}, in a folder of {folder.parent.name}" in warnings
    assert "metric test/acc is not a number" in warnings


def test_a_seed_recorded_in_its_setting_and_in_a_legacy_folder_counts_once(
    tmp_path: Path,
) -> None:
    """an older repro's GPU run of seed 0 (under the hash that counted the
    accelerator) and a new run of seed 0 both joined the setting: the report listed seeds
    0, 0, 1 and its claim kept one of them by folder order, silently. The report uses the
    one the sweep uses (today's folder) and says so."""
    import yaml

    today = write_run(
        tmp_path, "cnn", 0, metrics={"test/acc": 0.5}, **{"trainer.accelerator": "gpu"}
    )
    write_run(tmp_path, "cnn", 1, **{"trainer.accelerator": "gpu"})
    config = yaml.safe_load((today / store.CONFIG_FILE).read_text())
    legacy = today.parent.parent / store.legacy_config_hash(config) / "seed0"
    shutil_copy = __import__("shutil").copytree
    shutil_copy(today, legacy)
    record = json.loads((legacy / store.RECORD_FILE).read_text())
    record.update(config_hash=legacy.parent.name, metrics={"test/acc": 0.9})
    (legacy / store.RECORD_FILE).write_text(json.dumps(record))
    table = load_records(tmp_path)
    runs = table.frame.drop_duplicates("record_dir")
    assert sorted(runs["seed"]) == [0, 1] and str(today) in set(runs["record_dir"])
    (skipped,) = table.skipped
    assert skipped.path == legacy / store.RECORD_FILE
    assert f"seed 0 of this setting is also recorded in {today}" in skipped.warning()


def _in_two_legacy_folders(tmp_path: Path, finished: dict[str, Any]) -> dict[str, Path]:
    """Seed 0 of a setting only in two older repro's accelerator folders, `finished` at
    these times (seed 1 in today's)."""
    import shutil

    import yaml

    today = write_run(tmp_path, "cnn", 0, **{"trainer.accelerator": "gpu"})
    write_run(tmp_path, "cnn", 1, **{"trainer.accelerator": "gpu"})
    config = yaml.safe_load((today / store.CONFIG_FILE).read_text())
    copies = {}
    for accelerator, value in finished.items():
        legacy = {**config, "trainer": {**config["trainer"], "accelerator": accelerator}}
        folder = today.parent.parent / store.legacy_config_hash(legacy) / "seed0"
        shutil.copytree(today, folder)
        record = json.loads((folder / store.RECORD_FILE).read_text())
        record["config_hash"] = folder.parent.name
        record["timing"]["finished_at"] = value
        (folder / store.RECORD_FILE).write_text(json.dumps(record))
        (folder / store.CONFIG_FILE).write_text(yaml.safe_dump(legacy))
        copies[accelerator] = folder
    shutil.rmtree(today)
    return copies


def test_a_record_whose_metrics_are_null_is_corrupt_to_both(tmp_path: Path) -> None:
    """helper-leftovers: a completed record whose metrics were null was done to the sweep,
    crashed `repro run` as it skipped it ('NoneType' object has no attribute 'items') and
    was counted by the report as a seed without the claim's metric."""
    folder = write_run(tmp_path, "cnn", 0)
    record = json.loads((folder / store.RECORD_FILE).read_text())
    record["metrics"] = None
    (folder / store.RECORD_FILE).write_text(json.dumps(record))
    assert not store.is_completed(folder)
    table = load_records(tmp_path)
    assert table.frame.empty and "metrics is not a mapping" in table.skipped[0].reason


@pytest.mark.parametrize(
    ("section", "value"), [("timing", None), ("timing", "x"), ("code", "x"), ("model", [1])]
)
def test_a_record_whose_sections_are_not_mappings_is_corrupt_to_both(
    tmp_path: Path, section: str, value: Any
) -> None:
    """helper-leftovers: `"timing": null` or `"code": "x"` in a completed record ended
    `repro sweep` in an internal error (AttributeError) after it had counted the run done."""
    folder = write_run(tmp_path, "cnn", 0)
    record = json.loads((folder / store.RECORD_FILE).read_text())
    record[section] = value
    (folder / store.RECORD_FILE).write_text(json.dumps(record))
    assert not store.is_completed(folder)
    table = load_records(tmp_path)
    assert table.frame.empty and f"{section} is not a mapping" in table.skipped[0].reason


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (("code", "plugin"), "x", "code.plugin is not a mapping"),
        (("attempts",), None, "attempts is not a count"),
        (("attempts",), "2", "attempts is not a count"),
    ],
)
def test_a_record_whose_code_plugin_or_attempts_are_broken_is_corrupt_to_both(
    tmp_path: Path, path: tuple[str, ...], value: Any, reason: str
) -> None:
    """helper-atk1: `"code": {"plugin": "x"}` passed as a mapping section, then ended
    `repro run` and `repro sweep` of that setting in 'internal error: AttributeError' (the
    staleness check reads code.plugin.digest); `"attempts": null` ended `repro run
    ... rerun=true` in a bare TypeError traceback (the next attempt counts from it)."""
    folder = write_run(tmp_path, "cnn", 0)
    record = json.loads((folder / store.RECORD_FILE).read_text())
    record.setdefault("code", {})
    *above, last = path
    inner = record
    for key in above:
        inner = inner[key]
    inner[last] = value
    (folder / store.RECORD_FILE).write_text(json.dumps(record))
    assert not store.is_completed(folder)
    table = load_records(tmp_path)
    assert table.frame.empty and reason in table.skipped[0].reason


@pytest.mark.parametrize("accelerator", ["gpu", "cuda", "auto"])
def test_a_seed_in_two_legacy_folders_counts_the_one_the_sweep_skips_on(
    tmp_path: Path, accelerator: str
) -> None:
    """the sweep took the first legacy folder in its own order (which depends on
    the command's accelerator), the report the latest finished: they counted different
    records. Both take the latest finished; a finish time that is not text does not crash."""
    import yaml

    copies = _in_two_legacy_folders(tmp_path, {"gpu": "2026-02-01T00:00:00+00:00", "cuda": 7})
    config = yaml.safe_load((copies["gpu"] / store.CONFIG_FILE).read_text())
    config["trainer"]["accelerator"] = accelerator
    assert store.completed_record_dir(tmp_path, config) == copies["gpu"]
    runs = load_records(tmp_path).frame.drop_duplicates("record_dir")
    assert set(runs[runs["seed"] == 0]["record_dir"]) == {str(copies["gpu"])}


@pytest.mark.parametrize("name", ["seed00", "seed0.bak", "seed-0", "old_seed0"])
def test_a_record_outside_its_seeds_folder_counts_for_neither(tmp_path: Path, name: str) -> None:
    """a seed folder renamed (seed00, seed0.bak) was still seed 0 to the report
    while the sweep trained seed 0 again."""
    import yaml

    folder = write_run(tmp_path, "cnn", 0)
    folder.rename(folder.with_name(name))
    config = yaml.safe_load((folder.with_name(name) / store.CONFIG_FILE).read_text())
    assert store.completed_record_dir(tmp_path, config) is None
    table = load_records(tmp_path)
    assert table.frame.empty and "misfiled" in table.skipped[0].reason


@pytest.mark.parametrize("where", ["setting", "experiment", "paper"])
@pytest.mark.parametrize("experiment", ["cnn", "seedling", "seed7"])
def test_a_stray_record_above_the_seed_folders_hides_none_of_them(
    tmp_path: Path, where: str, experiment: str
) -> None:
    """a copy of a record.json in a setting's folder hid every seed below it from
    the report ('no run records') while the sweep counted them done; later also
    still so for an experiment named like 'seedling' or a seed folder ('seed7')."""
    folders = [write_run(tmp_path, experiment, seed) for seed in range(2)]
    above = {"setting": 1, "experiment": 2, "paper": 3}[where]
    shutil.copy(folders[0] / store.RECORD_FILE, folders[0].parents[above - 1] / store.RECORD_FILE)
    table = load_records(tmp_path)
    assert sorted(table.frame["seed"].unique()) == [0, 1]
    assert [s.path.parent for s in table.skipped] == [folders[0].parents[above - 1]]


@pytest.mark.parametrize("linked", ["experiment", "setting", "seed"])
def test_records_behind_a_symbolic_link_count_for_the_report_as_for_the_sweep(
    tmp_path: Path, linked: str
) -> None:
    """A folder moved to another disk and linked back (results/<paper>/cnn -> /scratch/cnn)
    held seeds the sweep skipped as done while the report said 'no run records'. A link back
    up the tree is walked once, not forever."""
    results = tmp_path / "results"
    folders = [write_run(results, "cnn", seed) for seed in range(2)]
    config = yaml.safe_load((folders[0] / store.CONFIG_FILE).read_text())
    moved = {"experiment": folders[0].parents[1], "setting": folders[0].parent}.get(
        linked, folders[0]
    )
    target = tmp_path / "scratch" / moved.name
    target.parent.mkdir()
    shutil.move(moved, target)
    moved.symlink_to(target, target_is_directory=True)
    (results / "mnist1d" / "loop").symlink_to(results, target_is_directory=True)
    assert store.completed_record_dir(results, config) is not None  # the sweep skips it
    table = load_records(results)
    assert sorted(table.frame["seed"].unique()) == [0, 1]
    assert len(list(record_files(results))) == 2  # mnist1d/loop, back up to results/, is not walked


def test_a_record_deeper_than_a_record_folder_counts_for_neither(tmp_path: Path) -> None:
    """A copy of a paper's results inside it (results/mnist1d/backup/mnist1d/cnn/<hash>/seed5)
    counted for the report, named alike at every level, while the sweep never looks there
    and trains seed 5 again. The walk goes no deeper than record folders are (nor, through a
    link, into a whole disk)."""
    folder = write_run(tmp_path / "copy", "cnn", 5)
    config = yaml.safe_load((folder / store.CONFIG_FILE).read_text())
    deep = tmp_path / "mnist1d" / "backup"
    deep.mkdir(parents=True)
    shutil.move(tmp_path / "copy" / "mnist1d", deep / "mnist1d")
    write_run(tmp_path, "cnn", 0)
    assert store.completed_record_dir(tmp_path, config) is None  # the sweep trains seed 5
    assert sorted(load_records(tmp_path).frame["seed"].unique()) == [0]


@pytest.mark.parametrize("field", ["experiment", "paper"])
def test_a_record_of_another_experiment_or_paper_counts_for_neither(
    tmp_path: Path, field: str
) -> None:
    """a record whose experiment (or paper) is not its folder's was filed by the
    report under its own field (or dropped) while the sweep counted that folder's seed done."""
    import yaml

    folder = write_run(tmp_path, "cnn", 0)
    record = json.loads((folder / store.RECORD_FILE).read_text())
    record[field] = "mlp" if field == "experiment" else "another_paper"
    (folder / store.RECORD_FILE).write_text(json.dumps(record))
    config = yaml.safe_load((folder / store.CONFIG_FILE).read_text())
    assert store.completed_record_dir(tmp_path, config) is None
    table = load_records(tmp_path)
    assert table.frame.empty and f"its {field}" in table.skipped[0].reason


@pytest.mark.parametrize("missing", ["seed", "paper", "experiment", "seed null"])
def test_a_completed_record_missing_who_it_is_is_corrupt_to_both(
    tmp_path: Path, missing: str
) -> None:
    """a completed record without its seed, paper or experiment was done to the
    sweep and malformed to the report: that seed was never trained nor counted."""
    folder = write_run(tmp_path, "cnn", 0)
    record = json.loads((folder / store.RECORD_FILE).read_text())
    if missing == "seed null":
        record["seed"] = None
    else:
        del record[missing]
    (folder / store.RECORD_FILE).write_text(json.dumps(record))
    assert not store.is_completed(folder)
    assert load_records(tmp_path).frame.empty


@pytest.mark.parametrize("accelerator", ["gpu", "cuda", "auto"])
def test_a_tie_between_two_legacy_copies_is_broken_the_same_way(
    tmp_path: Path, accelerator: str
) -> None:
    """equal (or no) finish times: the sweep took the first folder in its own
    order, the report the first by path."""
    import yaml

    same = "2026-03-01T00:00:00+00:00"
    copies = _in_two_legacy_folders(tmp_path, {"gpu": same, "cuda": same})
    config = yaml.safe_load((copies["gpu"] / store.CONFIG_FILE).read_text())
    config["trainer"]["accelerator"] = accelerator
    runs = load_records(tmp_path).frame.drop_duplicates("record_dir")
    counted = set(runs[runs["seed"] == 0]["record_dir"])
    assert counted == {str(store.completed_record_dir(tmp_path, config))}


def test_a_record_whose_seed_is_not_a_number_is_corrupt_to_the_sweep_too(tmp_path: Path) -> None:
    """`"seed": "0"` was done to the sweep and malformed to the report."""
    folder = write_run(tmp_path, "cnn", 0)
    record = json.loads((folder / store.RECORD_FILE).read_text())
    record["seed"] = "0"
    (folder / store.RECORD_FILE).write_text(json.dumps(record))
    assert not store.is_completed(folder)
    assert load_records(tmp_path).frame.empty


@pytest.mark.parametrize(
    ("field", "value"),
    [("config_hash", 5), ("config_hash", ["x"]), ("experiment", 7), ("paper", True)],
)
def test_a_record_whose_identity_is_not_text_is_corrupt_to_both(
    tmp_path: Path, field: str, value: object
) -> None:
    """`"config_hash": 5` was done to the sweep (and `repro run` skipped it) while
    the report counted it as evidence of another setting, `5`; an experiment that is a number
    was done to the sweep and silently nobody's in the report."""
    folder = write_run(tmp_path, "cnn", 0)
    record = json.loads((folder / store.RECORD_FILE).read_text())
    record[field] = value
    (folder / store.RECORD_FILE).write_text(json.dumps(record))
    assert not store.is_completed(folder)
    table = load_records(tmp_path)
    assert table.frame.empty
    assert len(table.skipped) == 1 and f"{field} must be text" in table.skipped[0].warning()


def test_an_unreadable_folder_is_named_not_skipped_in_silence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a seed folder the report cannot list (chmod 000, another user's, a dead
    network mount) was left out without a word: the verdict rested on fewer seeds than the
    results folder holds, and nothing said so."""
    write_run(tmp_path, "cnn", 0)
    locked = write_run(tmp_path, "cnn", 1)
    listing = os.scandir

    def scandir(path: Any = ".") -> Any:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)
    table = load_records(tmp_path)
    assert set(table.frame["seed"]) == {0}
    (skipped,) = table.skipped
    assert skipped.warning() == (
        f"warning: skipped record folder {locked}: unreadable (Permission denied)"
    )


def test_unreadable_config_keeps_the_record_and_warns(tmp_path: Path) -> None:
    folder = write_run(tmp_path, "cnn", 0)
    (folder / store.CONFIG_FILE).write_text("model: [unclosed\n")
    table = load_records(tmp_path)
    assert len(table.frame) == 2 and not table.skipped
    assert table.config_warnings and "config.yaml" in table.config_warnings[0]


def test_a_config_that_is_a_dead_link_keeps_the_record_and_warns(tmp_path: Path) -> None:
    """a config.yaml linked to a disk not mounted now was read as no config at all: the
    report had no setting columns for the record and said nothing of why."""
    folder = write_run(tmp_path, "cnn", 0)
    (folder / store.CONFIG_FILE).unlink()
    (folder / store.CONFIG_FILE).symlink_to(tmp_path / "unmounted" / store.CONFIG_FILE)
    table = load_records(tmp_path)
    assert len(table.frame) == 2 and not table.skipped
    assert table.config_warnings == [
        f"warning: unreadable {folder / store.CONFIG_FILE}: {store.DEAD_LINK}"
    ]


def test_record_files_skip_hidden_folders_and_record_subfolders(tmp_path: Path) -> None:
    folder = write_run(tmp_path, "cnn", 0)
    write_run(tmp_path, "mlp", 1)
    hidden = tmp_path / ".sweeps" / "mnist1d" / "x"
    hidden.mkdir(parents=True)
    (hidden / store.RECORD_FILE).write_text("{}")
    nested = folder / "wandb" / "offline-run-1"
    nested.mkdir(parents=True)
    (nested / store.RECORD_FILE).write_text("{}")  # inside a record folder: never a record
    found = list(record_files(tmp_path))
    assert [p.parent.parent.parent.name for p in found] == ["cnn", "mlp"]
    assert list(record_files(tmp_path, "mnist1d")) == found
    assert list(record_files(tmp_path / "nowhere")) == []


def test_record_papers_lists_papers_with_records(tmp_path: Path) -> None:
    write_run(tmp_path, "cnn", 0)
    write_run(tmp_path, "small", 0, paper="toy")
    (tmp_path / "empty_paper").mkdir()
    (tmp_path / ".sweeps").mkdir()
    assert record_papers(tmp_path) == ["mnist1d", "toy"]
    assert record_papers(tmp_path / "missing") == []


def test_empty_results_give_an_empty_table_with_the_columns(tmp_path: Path) -> None:
    table = load_records(tmp_path)
    assert table.frame.empty and "experiment" in table.frame.columns


def test_location_keys_are_not_config_columns(tmp_path: Path) -> None:
    from repro.records.table import flatten_config

    flat = flatten_config({"data": {"cache_dir": "/x", "batch_size": 100}, "work_dir": "/y"})
    assert flat == {"p_data.batch_size": 100}  # as the config hash: where files live is no result


def _with_code(folder: Path, digest: str | None, classes: dict[str, str] | None = None) -> None:
    record = json.loads((folder / store.RECORD_FILE).read_text())
    if digest:
        record["code"] = {"plugin": {"digest": digest, "files": {}, "distribution": None}}
        if classes:
            record["code"]["plugin"]["classes"] = classes
    (folder / store.RECORD_FILE).write_text(json.dumps(record))


def test_runs_of_one_config_but_other_code_are_other_settings(tmp_path: Path) -> None:
    """Three seeds of the fixed model and two of the old one: a report never pools them."""
    from repro.reporting.aggregate import choose_configs, run_table, settings_by_code

    for seed in range(3):
        _with_code(write_run(tmp_path, "cnn", seed), "new0000011112222")
    for seed in (3, 4):
        _with_code(write_run(tmp_path, "cnn", seed), "old0000011112222")
    _with_code(write_run(tmp_path, "mlp", 0), None)
    frame = load_records(tmp_path).frame
    assert set(frame["code_digest"].dropna()) == {"new0000011112222", "old0000011112222"}
    split = settings_by_code(frame)
    choice = choose_configs(run_table(split))["cnn"]
    config_hash = store.config_hash(run_config("cnn", 0))
    assert (choice.chosen.config_hash, choice.chosen.seeds) == (config_hash, (0, 1, 2))
    assert [(o.config_hash, o.seeds) for o in choice.others] == [
        (f"{config_hash}+code.old00000", (3, 4))
    ]
    assert choose_configs(run_table(split))["mlp"].chosen.seeds == (0,)  # one code: unchanged


def test_runs_of_one_config_and_files_but_another_module_class_are_other_settings(
    tmp_path: Path,
) -> None:
    """paper.yaml named another module class for two seeds (same files, so the
    same digest): the report pooled them into one verdict while the sweep called them stale.
    Runs recorded before classes were recorded count as the current classes, as in the sweep."""
    from repro.reporting.aggregate import choose_configs, run_table, settings_by_code

    current = {"module": "model:MNIST1DClassifier", "datamodule": "data:MNIST1DData"}
    other = {**current, "module": "model:AltClassifier"}
    for seed in range(3):
        _with_code(write_run(tmp_path, "cnn", seed), "abc0000011112222", current)
    _with_code(write_run(tmp_path, "cnn", 3), "abc0000011112222")  # classes not recorded
    for seed in (4, 5):
        _with_code(write_run(tmp_path, "cnn", seed), "abc0000011112222", other)
    frame = load_records(tmp_path).frame
    split = settings_by_code(frame, "abc0000011112222", current_classes=current)
    config_hash = store.config_hash(run_config("cnn", 0))
    choice = choose_configs(run_table(split), paper_hashes={"cnn": config_hash})["cnn"]
    assert (choice.chosen.config_hash, choice.chosen.seeds) == (config_hash, (0, 1, 2, 3))
    ((other_hash, other_seeds),) = [(o.config_hash, o.seeds) for o in choice.others]
    assert other_hash.startswith(f"{config_hash}+code.abc00000.") and other_seeds == (4, 5)


def test_the_current_code_keeps_the_setting_even_with_fewer_runs(tmp_path: Path) -> None:
    """Five seeds of the old model, two of the fixed one: the report judges the code that runs
    now; the old runs are another setting (before: most runs won, so the old code was judged)."""
    from repro.reporting.aggregate import choose_configs, run_table, settings_by_code

    for seed in range(5):
        _with_code(write_run(tmp_path, "cnn", seed), "old0000011112222")
    for seed in (5, 6):
        _with_code(write_run(tmp_path, "cnn", seed), "new0000011112222")
    frame = load_records(tmp_path).frame
    split = settings_by_code(frame, current_digest="new0000011112222")
    config_hash = store.config_hash(run_config("cnn", 0))
    choice = choose_configs(run_table(split), paper_hashes={"cnn": config_hash})["cnn"]
    assert (choice.chosen.config_hash, choice.chosen.seeds) == (config_hash, (5, 6))
    assert [o.config_hash for o in choice.others] == [f"{config_hash}+code.old00000"]


def test_on_a_tie_runs_with_a_finish_time_win_over_runs_without_one(tmp_path: Path) -> None:
    """Ties go to the most recently finished code; a group with no finish time at all used to
    rank as the text "nan", after every date."""
    from repro.reporting.aggregate import settings_by_code

    for seed in (0, 1):
        _with_code(write_run(tmp_path, "cnn", seed, finished_at=None), "aaa0000011112222")
    for seed in (2, 3):
        _with_code(write_run(tmp_path, "cnn", seed), "bbb0000011112222")
    split = settings_by_code(load_records(tmp_path).frame)
    kept = split[~split["config_hash"].str.contains("+code.", regex=False)]
    assert set(kept["seed"]) == {2, 3}


def test_a_resumed_run_says_whether_it_resumed_exactly(tmp_path: Path) -> None:
    """`resumed_exactly`: True or False as the record's resumed_from says; None for a run never
    resumed, or resumed before records said (unknown, never guessed). `resumed` tells those two
    Nones apart."""
    resumed = {
        0: None,
        1: {"checkpoint": "c", "step": 5, "exact": True},
        2: {"checkpoint": "c", "step": 5, "exact": False, "why_inexact": "saved as a last resort"},
        3: {"checkpoint": "c", "step": 5},
    }
    for seed, resumed_from in resumed.items():
        folder = write_run(tmp_path, "cnn", seed)
        record = json.loads((folder / store.RECORD_FILE).read_text())
        record["resumed_from"] = resumed_from
        (folder / store.RECORD_FILE).write_text(json.dumps(record))
    frame = load_records(tmp_path).frame.drop_duplicates("seed").set_index("seed")
    assert frame["resumed_exactly"].to_dict() == {0: None, 1: True, 2: False, 3: None}
    assert frame["resumed"].to_dict() == {0: False, 1: True, 2: True, 3: True}


def test_a_record_file_that_is_a_folder_is_named_not_skipped_in_silence(tmp_path: Path) -> None:
    """a seed folder whose record.json is a folder (a sync tool's conflict, a
    hand-made `mkdir`) was passed over without a word, as if the seed had never run."""
    write_run(tmp_path, "cnn", 0)
    folder = write_run(tmp_path, "cnn", 1)
    (folder / store.RECORD_FILE).unlink()
    (folder / store.RECORD_FILE).mkdir()
    table = load_records(tmp_path)
    assert set(table.frame["seed"]) == {0}
    (skipped,) = table.skipped
    assert skipped.warning() == (
        f"warning: skipped record {folder / store.RECORD_FILE}: unreadable (a folder, not a file)"
    )


def test_a_seed_folder_that_is_a_link_loop_costs_no_other_seed(tmp_path: Path) -> None:
    """a seed folder replaced by a link to itself made the whole setting's folder
    'unreadable (Too many levels of symbolic links)': its other, completed seeds were left
    out (the report said 'no run records'). That seed alone is named."""
    write_run(tmp_path, "cnn", 0)
    loop = write_run(tmp_path, "cnn", 1)
    shutil.rmtree(loop)
    loop.symlink_to(loop.name)
    table = load_records(tmp_path)
    assert set(table.frame["seed"]) == {0}
    (skipped,) = table.skipped
    assert skipped.warning() == (
        f"warning: skipped record folder {loop}: unreadable (Too many levels of symbolic links)"
    )


def test_a_seed_folder_that_is_a_dead_link_is_named(tmp_path: Path) -> None:
    """a seed folder linked to a disk not mounted now was passed over without a
    word (n=1 of 2 seeds), where a link loop there is named and the sweep plans it
    `blocked (seed1 is a link that leads nowhere)`."""
    write_run(tmp_path, "cnn", 0)
    gone = write_run(tmp_path, "cnn", 1)
    shutil.rmtree(gone)
    gone.symlink_to(tmp_path / "unmounted" / gone.name)
    table = load_records(tmp_path)
    assert set(table.frame["seed"]) == {0}
    (skipped,) = table.skipped
    assert skipped.warning() == (
        f"warning: skipped record folder {gone}: unreadable ({store.DEAD_LINK})"
    )


@pytest.mark.parametrize(
    "nested", ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000]
)
def test_a_deeply_nested_record_is_named_not_a_crash(tmp_path: Path, nested: str) -> None:
    """a record.json of 100000 nested lists (a damaged or hostile file) made the
    JSON reader raise RecursionError, which no caller took for a damaged record: the whole
    report ended in 'internal error', every good record with it."""
    write_run(tmp_path, "cnn", 0)
    folder = write_run(tmp_path, "cnn", 1)
    (folder / store.RECORD_FILE).write_text(nested)
    table = load_records(tmp_path)
    assert set(table.frame["seed"]) == {0}
    (skipped,) = table.skipped
    assert skipped.warning() == (
        f"warning: skipped record {folder / store.RECORD_FILE}: malformed (nested too deeply)"
    )
    with pytest.raises(ValueError, match="nested too deeply"):
        store.read_record(folder)  # the sweep's reader: corrupt, like any other bad JSON


def test_a_metric_too_large_for_a_float_is_a_damaged_record(tmp_path: Path) -> None:
    """a metric written as an integer of 400 digits (a hand-edited record) passed
    as a number, then the table's float column raised OverflowError: 'internal error'."""
    write_run(tmp_path, "cnn", 0)
    folder = write_run(tmp_path, "cnn", 1, metrics={"test/acc": 10**400})
    table = load_records(tmp_path)
    assert set(table.frame["seed"]) == {0}
    (skipped,) = table.skipped
    assert "metric test/acc is not a number" in skipped.warning()
    with pytest.raises(ValueError, match="metric test/acc is not a number"):
        store.read_record(folder)


def test_a_record_saved_with_a_byte_order_mark_still_counts(tmp_path: Path) -> None:
    """a completed record.json opened and saved in an editor that writes a UTF-8
    byte order mark was 'malformed (Unexpected UTF-8 BOM)' to the report and corrupt to the
    sweep, which set it aside and trained the seed again."""
    write_run(tmp_path, "cnn", 0)
    folder = write_run(tmp_path, "cnn", 1)
    path = folder / store.RECORD_FILE
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    table = load_records(tmp_path)
    assert set(table.frame["seed"]) == {0, 1} and not table.skipped
    assert store.is_completed(folder)


def test_a_record_that_is_a_dead_link_is_named_as_one(tmp_path: Path) -> None:
    """a record.json linked to a disk not mounted now was 'unreadable (No such
    file or directory)', though `ls` shows it there: the warning says it is a dead link."""
    write_run(tmp_path, "cnn", 0)
    folder = write_run(tmp_path, "cnn", 1)
    (folder / store.RECORD_FILE).unlink()
    (folder / store.RECORD_FILE).symlink_to(tmp_path / "unmounted" / store.RECORD_FILE)
    table = load_records(tmp_path)
    assert set(table.frame["seed"]) == {0}
    (skipped,) = table.skipped
    assert skipped.warning() == (
        f"warning: skipped record {folder / store.RECORD_FILE}: unreadable ({store.DEAD_LINK})"
    )


def test_a_null_metric_is_not_logged_not_a_diverged_value(tmp_path: Path) -> None:
    """a metric written `null` (a hand-made record, another tool's) became NaN in the
    table, which the report counts as a diverged seed ("non-finite value dropped"). Null says
    the value is missing: the run has no row for it, as if it had not logged it; a NaN or inf,
    which a run writes as measured, stays a non-finite value."""
    write_run(tmp_path, "cnn", 0, metrics={"test/acc": None, "train/loss": 0.3})  # type: ignore[dict-item]
    write_run(tmp_path, "cnn", 1, metrics={"test/acc": math.nan, "train/loss": math.inf})
    frame = load_records(tmp_path).frame
    seed0 = frame[frame["seed"] == 0]
    assert list(seed0["metric"]) == ["train/loss"], seed0[["metric", "value"]]
    seed1 = frame[frame["seed"] == 1].set_index("metric")["value"]
    assert math.isnan(seed1["test/acc"]) and seed1["train/loss"] == math.inf
