from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from repro.records import store
from repro.records.table import record_files

CONFIG = {
    "paper": "p",
    "experiment_name": "e",
    "seed": 1,
    "model": {"h": 2},
    "paths": {"results_dir": "/a"},
    "logger": {"csv": {}},
}


WHOSE = {"paper": "p", "experiment": "e", "seed": 1}
"""What a completed record says of itself (store.IDENTITY_FIELDS)."""


def test_same_config_same_folder_regardless_of_paths_and_loggers(tmp_path: Path) -> None:
    moved = {**CONFIG, "paths": {"results_dir": "/elsewhere"}, "logger": {}}
    assert store.run_dir(tmp_path, CONFIG) == store.run_dir(tmp_path, moved)


def test_data_locations_do_not_change_the_folder(tmp_path: Path) -> None:
    here = {**CONFIG, "data": {"data_dir": "/mnt/a", "size": 3}}
    there = {**CONFIG, "data": {"data_dir": "/home/b", "size": 3}}
    bigger = {**CONFIG, "data": {"data_dir": "/mnt/a", "size": 4}}
    assert store.run_dir(tmp_path, here) == store.run_dir(tmp_path, there)
    assert store.run_dir(tmp_path, here) != store.run_dir(tmp_path, bigger)


def test_different_configs_and_seeds_never_collide(tmp_path: Path) -> None:
    other_model = {**CONFIG, "model": {"h": 3}}
    other_seed = {**CONFIG, "seed": 2}
    folders = {store.run_dir(tmp_path, c) for c in (CONFIG, other_model, other_seed)}
    assert len(folders) == 3
    assert store.run_dir(tmp_path, CONFIG).name == "seed1"
    assert store.run_dir(tmp_path, other_seed).parent == store.run_dir(tmp_path, CONFIG).parent


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "r" / "record.json"
    store.write_record(target.parent, {"status": "running"})
    store.write_record(target.parent, {"status": "completed"})
    assert json.loads(target.read_text()) == {"status": "completed"}
    assert [p.name for p in target.parent.iterdir()] == ["record.json"]


def test_failed_write_keeps_the_old_record(tmp_path: Path) -> None:
    store.write_record(tmp_path, {"status": "running", "metrics": {"a": 1}})

    class Unserialisable:
        def __str__(self) -> str:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        store.write_record(tmp_path, {"status": "completed", "x": Unserialisable()})
    assert store.read_record(tmp_path) == {"status": "running", "metrics": {"a": 1}}
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]


def test_is_completed_only_for_completed_records(tmp_path: Path) -> None:
    folder = tmp_path / "p" / "e" / "h" / "seed1"  # results/<paper>/<experiment>/<hash>/
    assert not store.is_completed(folder)
    store.write_record(folder, {"status": "running"})
    assert not store.is_completed(folder)
    (folder / "record.json").write_text("{corrupt")
    assert not store.is_completed(folder)
    store.write_record(folder, {"status": "completed"})
    assert not store.is_completed(folder)  # a completed record says whose run it is
    store.write_record(folder, {"status": "completed", **WHOSE})
    assert store.is_completed(folder)


def test_written_files_follow_the_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """record.json and config.yaml are readable like every other file (0644 under umask
    022), not mkstemp's owner-only 0600."""
    monkeypatch.setattr(store, "_UMASK", 0o022)
    store.write_record(tmp_path, {"status": "completed"})
    store.atomic_write_text(tmp_path / store.CONFIG_FILE, "a: 1\n")
    assert (tmp_path / store.RECORD_FILE).stat().st_mode & 0o777 == 0o644
    assert (tmp_path / store.CONFIG_FILE).stat().st_mode & 0o777 == 0o644
    monkeypatch.setattr(store, "_UMASK", 0o077)
    store.write_record(tmp_path, {"status": "completed"})
    assert (tmp_path / store.RECORD_FILE).stat().st_mode & 0o777 == 0o600


def test_supersede_moves_the_old_run_aside_where_reports_do_not_look(tmp_path: Path) -> None:
    folder = tmp_path / "p" / "e" / "h" / "seed0"
    code = {"plugin": {"digest": "abcdef123"}}
    store.write_record(folder, {"status": "completed", **WHOSE, "seed": 0, "code": code})
    (folder / "checkpoints").mkdir()
    (folder / ".lock").write_text("")
    kept = store.supersede(folder, store.read_record(folder) or {})
    assert kept.parent == folder / store.SUPERSEDED_DIR and kept.name.endswith("-abcdef12")
    assert sorted(p.name for p in kept.iterdir()) == ["checkpoints", "record.json"]
    assert sorted(p.name for p in folder.iterdir()) == [".lock", store.SUPERSEDED_DIR]
    assert list(record_files(tmp_path)) == []


def test_a_stale_run_kept_aside_again_by_a_retried_retrain_is_kept_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stale run's retrain killed after it kept the old run aside (copy=True), before its
    own record replaced it: each retry kept the same old run aside once more, and a kill in
    the middle of the copy left a half copy that looked like a whole one."""
    folder = tmp_path / "p" / "e" / "h" / "seed0"
    store.write_record(folder, {"status": "completed", **WHOSE, "seed": 0})
    (folder / "checkpoints").mkdir()
    (folder / "checkpoints" / "last.ckpt").write_bytes(b"weights")
    real = store._link_or_copy

    def killed_at_the_weights(source: object, target: object) -> None:
        if Path(str(source)).name == "last.ckpt":
            raise KeyboardInterrupt  # as a kill would stop the copy
        real(source, target)

    monkeypatch.setattr(store, "_link_or_copy", killed_at_the_weights)
    with pytest.raises(KeyboardInterrupt):
        store.supersede(folder, store.read_record(folder) or {}, copy=True)
    monkeypatch.setattr(store, "_link_or_copy", real)
    kept = store.supersede(folder, store.read_record(folder) or {}, copy=True)
    again = store.supersede(folder, store.read_record(folder) or {}, copy=True)
    assert again == kept and list((folder / store.SUPERSEDED_DIR).iterdir()) == [kept]
    assert (kept / "checkpoints" / "last.ckpt").read_bytes() == b"weights"
    assert (folder / "record.json").is_file()  # copy=True leaves the run where it was


TRAINED = {**CONFIG, "trainer": {"accelerator": "auto", "devices": 1, "precision": "32-true"}}


def _trainer(**changes: object) -> dict:
    return {**TRAINED, "trainer": {**TRAINED["trainer"], **changes}}


@pytest.mark.parametrize("accelerator", ["gpu", "cpu", "cuda", "mps"])
def test_where_a_run_executes_is_not_part_of_its_setting(tmp_path: Path, accelerator: str) -> None:
    """A GPU run and a CPU run of one config are seeds of one setting (issue 20.1)."""
    assert store.run_dir(tmp_path, _trainer(accelerator=accelerator)) == store.run_dir(
        tmp_path, TRAINED
    )


@pytest.mark.parametrize("profiler", ["simple", "advanced", None])
def test_a_profiler_is_not_part_of_a_setting(tmp_path: Path, profiler: str | None) -> None:
    """`+trainer.profiler=simple` times the hooks; it does not change what a run computes."""
    assert store.run_dir(tmp_path, _trainer(profiler=profiler)) == store.run_dir(tmp_path, TRAINED)


def _default_trainer() -> dict:
    import yaml

    root = Path(__file__).resolve().parents[2]
    return yaml.safe_load((root / "configs" / "trainer" / "default.yaml").read_text())


FULL = {**CONFIG, "trainer": _default_trainer()}
"""A config with repro's whole trainer section, as every run's config.yaml has it."""


def test_a_records_folder_from_before_keeps_its_hash() -> None:
    """Records made with the default `accelerator: auto` keep the folder they were written to."""
    assert store.config_hash(FULL) == store.legacy_config_hash(FULL)


def test_a_removed_trainer_key_is_hashed_as_the_trainer_reads_it_unset() -> None:
    """store.UNSET_TRAINER_VALUES names each key of repro's trainer config, at Lightning's
    default where the runner passes null on (check_val_every_n_epoch), else null."""
    from repro.running.training import NULL_MEANS_SOMETHING

    assert set(store.UNSET_TRAINER_VALUES) == set(_default_trainer())
    for key, value in store.UNSET_TRAINER_VALUES.items():
        assert (value is None) is (key not in NULL_MEANS_SOMETHING), key


@pytest.mark.parametrize("key", sorted(_default_trainer()))
def test_a_trainer_key_removed_is_the_setting_of_it_at_null(tmp_path: Path, key: str) -> None:
    """`~trainer.deterministic` trains as `trainer.deterministic=null` (the runner passes no
    such argument either way) but was a folder of its own: seeds did not pool, a sweep
    retrained. Without check_val_every_n_epoch, Lightning counts within epochs (its 1)."""
    removed = {**FULL, "trainer": {k: v for k, v in FULL["trainer"].items() if k != key}}
    unset = store.UNSET_TRAINER_VALUES[key]
    assert store.run_dir(tmp_path, removed) == store.run_dir(
        tmp_path, {**FULL, "trainer": {**FULL["trainer"], key: unset}}
    )


@pytest.mark.parametrize("key", ["deterministic", "accelerator"])
def test_a_record_filed_under_a_removed_trainer_key_is_found(tmp_path: Path, key: str) -> None:
    """Runs an older repro filed under `~trainer.deterministic`'s own hash are seeds of
    `trainer.deterministic=null`: run and sweep find them, the report counts them with it.
    `~trainer.accelerator` too: run and sweep looked for older folders only of a config with
    an accelerator key, so they trained again the seeds the report counted."""
    trainer = {k: v for k, v in FULL["trainer"].items() if k != key}
    old = {**FULL, "trainer": trainer}
    today = {**FULL, "trainer": {**trainer, key: None}}
    digest = store._digest(store._without_lightning_defaults(store._before_readings(old)))
    assert digest != store.config_hash(old)
    folder = _filed_by_an_older_repro(tmp_path, old, digest)
    assert store.completed_record_dir(tmp_path, today) == folder
    assert store.completed_record_dir(tmp_path, old) == folder
    assert _reported_hash(tmp_path) == store.config_hash(today)


def test_devices_change_the_setting(tmp_path: Path) -> None:
    assert store.run_dir(tmp_path, _trainer(devices=2)) != store.run_dir(tmp_path, TRAINED)


def test_precision_changes_the_setting(tmp_path: Path) -> None:
    assert store.run_dir(tmp_path, _trainer(precision="bf16-mixed")) != store.run_dir(
        tmp_path, TRAINED
    )


@pytest.mark.parametrize(
    ("spelled", "canonical"),
    [
        (32, "32-true"),
        ("32", "32-true"),
        (16, "16-mixed"),
        ("16", "16-mixed"),
        ("bf16", "bf16-mixed"),
        (64, "64-true"),
        ("64", "64-true"),
        (None, "32-true"),
    ],
)
def test_a_precision_spelled_as_lightning_aliases_it_is_the_same_setting(
    tmp_path: Path, spelled: object, canonical: str
) -> None:
    """`trainer.precision=32` is Lightning's `32-true` (the default), but it was
    hashed as written: another folder, and the report then called every claim "not run"."""
    assert store.run_dir(tmp_path, _trainer(precision=spelled)) == store.run_dir(
        tmp_path, _trainer(precision=canonical)
    )


def test_a_record_filed_under_a_null_precision_is_found(tmp_path: Path) -> None:
    """`trainer.precision=null` is Lightning's default, `32-true`: it was hashed as another
    setting. Records an older repro filed under null's own hash are the default's seeds."""
    old = _trainer(precision=None)
    digest = store._digest(old)  # as hashed then: null as written
    assert digest != store.config_hash(old)
    folder = tmp_path / "p" / "e" / digest / "seed1"
    record = {"status": "completed", **WHOSE, "config_hash": digest, "metrics": {"m": 1.0}}
    store.write_record(folder, record)
    (folder / store.CONFIG_FILE).write_text(json.dumps(old))
    assert store.completed_record_dir(tmp_path, TRAINED) == folder
    assert store.completed_record_dir(tmp_path, _trainer(precision=32)) == folder
    assert store.completed_record_dir(tmp_path, old) == folder
    assert _reported_hash(tmp_path) == store.config_hash(TRAINED)


def test_sixteen_true_is_not_sixteen_mixed(tmp_path: Path) -> None:
    assert store.run_dir(tmp_path, _trainer(precision="16-true")) != store.run_dir(
        tmp_path, _trainer(precision=16)
    )


def test_a_record_filed_under_a_precision_alias_is_found(tmp_path: Path) -> None:
    """Records an older repro filed under `precision=32`'s own hash are seeds of the default
    setting: run and sweep find them (no retraining), the report counts them with it."""
    old = _trainer(precision=32)
    digest = store._digest(old)  # as hashed then: the alias as written
    assert digest != store.config_hash(old)
    folder = tmp_path / "p" / "e" / digest / "seed1"
    record = {"status": "completed", **WHOSE, "config_hash": digest, "metrics": {"m": 1.0}}
    store.write_record(folder, record)
    (folder / store.CONFIG_FILE).write_text(json.dumps(old))
    assert store.completed_record_dir(tmp_path, TRAINED) == folder
    assert store.completed_record_dir(tmp_path, old) == folder
    assert _reported_hash(tmp_path) == store.config_hash(TRAINED)


def test_a_gpu_record_from_before_is_found_in_its_old_folder(tmp_path: Path) -> None:
    gpu = _trainer(accelerator="gpu")
    old = tmp_path / "p" / "e" / store.legacy_config_hash(gpu) / "seed1"
    store.write_record(old, {"status": "completed", **WHOSE})
    assert store.legacy_config_hash(gpu) != store.config_hash(gpu)
    assert store.completed_record_dir(tmp_path, gpu) == old
    assert store.completed_record_dir(tmp_path, TRAINED) == old  # same setting, any device
    # profiled now: still that setting (records from before never had a profiler key)
    profiled = _trainer(accelerator="gpu", profiler="simple")
    assert store.completed_record_dir(tmp_path, profiled) == old


def _completed(folder: Path, config: dict) -> None:
    record = {"status": "completed", "paper": config["paper"], "experiment": "e"}
    record.update(seed=config["seed"], config_hash=store.config_hash(config))
    store.write_record(folder, record)
    (folder / store.CONFIG_FILE).write_text(json.dumps(config))  # JSON is YAML


def _filed_by_an_older_repro(results: Path, config: dict, digest: str) -> Path:
    """Seed 1 of `config`, completed and filed as an older repro hashed it: under `digest`,
    which its record names as its hash."""
    folder = results / "p" / "e" / digest / "seed1"
    _completed(folder, config)
    store.write_record(folder, {**store.read_record(folder), "config_hash": digest})
    return folder


def _reported_hash(results: Path) -> str:
    """The one setting the report files every record under `results` as."""
    from repro.records.table import load_records

    (hashed,) = set(load_records(results).frame["config_hash"])
    return hashed


def test_a_record_in_another_seeds_or_settings_folder_is_not_completed(tmp_path: Path) -> None:
    """a record copied into seed3/, or into another setting's folder, made the
    sweep skip that seed as done while the report filed the record by its own seed and hash:
    the seed was never trained. Such a record is corrupt to both (the sweep trains again)."""
    folder = store.run_dir(tmp_path, TRAINED)
    _completed(folder, TRAINED)
    assert store.is_completed(folder)
    shutil.copytree(folder, folder.with_name("seed3"))
    assert not store.is_completed(folder.with_name("seed3"))
    with pytest.raises(ValueError, match="seed 1's record, in seed3/"):
        store.read_record(folder.with_name("seed3"))
    elsewhere = store.run_dir(tmp_path, _trainer(devices=2))
    shutil.copytree(folder, elsewhere)
    assert not store.is_completed(elsewhere)


def test_a_rerun_in_a_legacy_folder_belongs_there(tmp_path: Path) -> None:
    """`rerun=true` of a seed an older repro filed under an accelerator's hash writes today's
    hash into that folder: it is the same setting, not misfiled."""
    gpu = _trainer(accelerator="gpu")
    legacy = tmp_path / "p" / "e" / store.legacy_config_hash(gpu) / "seed1"
    _completed(legacy, gpu)
    assert store.is_completed(legacy)
    assert store.completed_record_dir(tmp_path, gpu) == legacy


def test_a_profiled_record_from_before_the_profiler_left_the_hash_is_found(tmp_path: Path) -> None:
    """Before 7583c06 `+trainer.profiler=simple` was hashed (with the accelerator too before
    a38075e): that folder was never looked in, so the seed was trained again and the report
    showed the old record as another setting. Run, sweep and report now find it there."""
    for accelerator in ("auto", "gpu"):  # after and before the accelerator left the hash
        results = tmp_path / accelerator
        old = _trainer(accelerator=accelerator, profiler="simple")
        placed = {**old, "trainer": {**old["trainer"], "accelerator": "auto"}}
        digest = store._digest(placed if accelerator == "auto" else old)  # as hashed then
        assert digest != store.config_hash(old)
        folder = results / "p" / "e" / digest / "seed1"
        record = {"status": "completed", **WHOSE, "config_hash": digest, "metrics": {"m": 1.0}}
        store.write_record(folder, record)
        (folder / store.CONFIG_FILE).write_text(json.dumps(old))
        assert store.completed_record_dir(results, TRAINED) == folder  # not profiled now
        assert store.completed_record_dir(results, _trainer(profiler="advanced")) == folder
        # one setting with today's runs
        assert _reported_hash(results) == store.config_hash(TRAINED)


@pytest.mark.parametrize(
    ("key", "default", "other"),
    [
        ("benchmark", None, True),
        ("accumulate_grad_batches", 1, 2),
        ("detect_anomaly", False, True),
        ("val_check_interval", None, 0.5),
        ("min_steps", None, 10),
    ],
)
def test_a_trainer_key_added_at_lightnings_default_is_the_same_setting(
    tmp_path: Path, key: str, default: object, other: object
) -> None:
    """`+trainer.benchmark=null` or `+trainer.accumulate_grad_batches=1` hands the Trainer
    what it has without them, yet each was another folder (and, to the report, not the
    paper's setting); another value is another setting."""
    assert store.run_dir(tmp_path, _trainer(**{key: default})) == store.run_dir(tmp_path, TRAINED)
    assert store.run_dir(tmp_path, _trainer(**{key: other})) != store.run_dir(tmp_path, TRAINED)


def test_lightnings_trainer_defaults_are_copied_as_lightning_has_them() -> None:
    """store.LIGHTNING_TRAINER_DEFAULTS is a copy (records need not import Lightning): each
    entry is the Trainer's own default, and none is a key repro's trainer config sets."""
    import inspect

    import lightning.pytorch as pl
    from omegaconf import OmegaConf

    from repro.config.app import CONFIG_DIR

    parameters = inspect.signature(pl.Trainer.__init__).parameters
    for key, default in store.LIGHTNING_TRAINER_DEFAULTS.items():
        assert parameters[key].default == default, key
    assert not set(store.LIGHTNING_TRAINER_DEFAULTS) & set(
        OmegaConf.load(CONFIG_DIR / "trainer" / "default.yaml")
    )


def test_a_record_filed_with_a_trainer_key_at_its_default_is_found(tmp_path: Path) -> None:
    """Records an older repro filed under `+trainer.benchmark=null`'s own hash are found by
    that command again, and the report counts them with the setting's other seeds."""
    old = _trainer(benchmark=None)
    digest = store._digest(old)  # as hashed then: the key as written
    assert digest != store.config_hash(old)
    folder = tmp_path / "p" / "e" / digest / "seed1"
    record = {"status": "completed", **WHOSE, "config_hash": digest, "metrics": {"m": 1.0}}
    store.write_record(folder, record)
    (folder / store.CONFIG_FILE).write_text(json.dumps(old))
    assert store.completed_record_dir(tmp_path, old) == folder
    assert _reported_hash(tmp_path) == store.config_hash(TRAINED)


@pytest.mark.parametrize(
    ("null", "trained_as"),
    [
        ({"max_steps": None, "max_epochs": 2}, {"max_steps": -1, "max_epochs": 2}),
        ({"max_steps": 20, "max_epochs": None}, {"max_steps": 20, "max_epochs": -1}),
        (  # the Timer a max_time adds changes nothing: max_steps already bounds the run
            {"max_steps": 20, "max_epochs": None, "max_time": {"minutes": 1}},
            {"max_steps": 20, "max_epochs": -1, "max_time": {"minutes": 1}},
        ),
        ({"log_every_n_steps": None}, {"log_every_n_steps": 50}),
        ({"num_sanity_val_steps": None}, {"num_sanity_val_steps": 2}),
        ({"strategy": None}, {"strategy": "auto"}),
        ({"accumulate_grad_batches": None}, {}),
        ({"inference_mode": None}, {"inference_mode": True}),
    ],
)
def test_a_null_trainer_key_is_the_setting_lightning_trains_for_it(
    tmp_path: Path, null: dict, trained_as: dict
) -> None:
    """The runner leaves null Trainer arguments out (Lightning's default then), so
    `trainer.max_epochs=null` trained what `-1` trains with max_steps set, yet it was another
    folder and, to the report, not the paper's setting (`trainer.max_epochs=unset`)."""
    assert store.run_dir(tmp_path, _trainer(**null)) == store.run_dir(
        tmp_path, _trainer(**trained_as)
    )


@pytest.mark.parametrize(
    ("null", "other"),
    [
        ({"num_sanity_val_steps": None}, {"num_sanity_val_steps": 0}),
        ({"deterministic": None}, {"deterministic": "warn"}),
        ({"check_val_every_n_epoch": None}, {"check_val_every_n_epoch": 1}),
        ({"max_steps": -1, "max_epochs": None}, {"max_steps": -1, "max_epochs": -1}),
        ({"devices": None}, {"devices": 1}),
    ],
)
def test_a_null_trainer_key_that_trains_otherwise_is_another_setting(
    tmp_path: Path, null: dict, other: dict
) -> None:
    """Null is Lightning's default, which is not always repro's (num_sanity_val_steps: 2, not
    0), and check_val_every_n_epoch=null counts batches across epochs."""
    assert store.run_dir(tmp_path, _trainer(**null)) != store.run_dir(tmp_path, _trainer(**other))


def test_what_a_null_trainer_key_trains_as_is_lightnings_default() -> None:
    """store.NULL_TRAINER_VALUES is a copy of what a Trainer without the key does."""
    import lightning.pytorch as pl
    from lightning.pytorch.callbacks import ModelSummary

    from repro.running.training import NULL_MEANS_SOMETHING

    assert not set(store.NULL_TRAINER_VALUES) & NULL_MEANS_SOMETHING
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_checkpointing=False)
    values = store.NULL_TRAINER_VALUES
    assert trainer.max_steps == values["max_steps"]
    assert trainer.log_every_n_steps == values["log_every_n_steps"]
    assert trainer.num_sanity_val_steps == values["num_sanity_val_steps"]
    assert trainer.num_nodes == values["num_nodes"]
    assert trainer.precision == store.DEFAULT_PRECISION
    summary = any(isinstance(c, ModelSummary) for c in trainer.callbacks)
    assert summary is values["enable_model_summary"]
    for key, default in store.LIGHTNING_TRAINER_DEFAULTS.items():
        if default is not None:
            assert values[key] == default, key


@pytest.mark.parametrize(
    "key", ["limit_train_batches", "limit_val_batches", "limit_test_batches", "val_check_interval"]
)
def test_a_fraction_of_one_is_every_batch_as_null_is(tmp_path: Path, key: str) -> None:
    """`trainer.limit_val_batches=1.0` (after a debug preset's 1, say) is Lightning's 100%,
    what null trains, yet it was another setting; the int 1 is one batch, another setting."""
    everything = store.run_dir(tmp_path, _trainer(**{key: None}))
    assert store.run_dir(tmp_path, _trainer(**{key: 1.0})) == everything
    assert store.run_dir(tmp_path, _trainer(**{key: 1})) != everything
    assert store.run_dir(tmp_path, _trainer(**{key: 0.5})) != everything


@pytest.mark.parametrize(
    ("spelled", "read_as"),
    [
        ({"devices": "1"}, {"devices": 1}),
        ({"devices": " 2"}, {"devices": 2}),
        *(({key: 5.0}, {key: 5}) for key in sorted(store.BATCH_LIMIT_KEYS)),
        ({"gradient_clip_val": 1}, {"gradient_clip_val": 1.0}),
        ({"gradient_clip_val": 0}, {"gradient_clip_val": 0.0}),
        ({"devices": "-1"}, {"devices": -1}),  # every GPU
        *(({key: 0.0}, {key: 0}) for key in sorted(store.BATCH_LIMIT_KEYS)),  # no batch
        ({"log_every_n_steps": 10.0}, {"log_every_n_steps": 10}),
        ({"num_sanity_val_steps": 0.0}, {"num_sanity_val_steps": 0}),
        ({"num_sanity_val_steps": -1.0}, {"num_sanity_val_steps": -1}),  # every batch
        ({"val_check_interval": 5.0}, {"val_check_interval": 5}),  # within epochs: 5 batches
        (
            {"val_check_interval": 5.0, "check_val_every_n_epoch": 2},
            {"val_check_interval": 5, "check_val_every_n_epoch": 2},
        ),
    ],
)
def test_a_value_lightning_reads_as_another_is_that_setting(
    tmp_path: Path, spelled: dict, read_as: dict
) -> None:
    """`trainer.devices='1'` is Lightning's 1 device and `limit_train_batches=5.0` its 5
    batches (a whole float past 1 is a count: `_determine_batch_limits`), and a paper's "clip at
    1" (`gradient_clip_val=1`) torch's max norm 1.0: each spelling made
    a folder of its own, so seeds did not pool and a sweep trained them again. So did
    `devices='-1'` (Lightning's -1), `limit_val_batches=0.0` (0: no batch either way) and
    a whole float step count (`log_every_n_steps=10.0`: Lightning compares `step % 10.0`)."""
    assert store.run_dir(tmp_path, _trainer(**spelled)) == store.run_dir(
        tmp_path, _trainer(**read_as)
    )


@pytest.mark.parametrize(
    ("spelled", "other"),
    [
        ({"devices": "0,1"}, {"devices": 1}),  # two GPUs, not one
        ({"limit_train_batches": 1.0}, {"limit_train_batches": 1}),  # all, not one
        ({"limit_train_batches": 0.5}, {"limit_train_batches": 0}),
        (  # a float is refused when validation is counted across epochs
            {"val_check_interval": 5.0, "check_val_every_n_epoch": None},
            {"val_check_interval": 5, "check_val_every_n_epoch": None},
        ),
        ({"overfit_batches": 5.0}, {"overfit_batches": 5}),  # passed on as written
        ({"log_every_n_steps": 10.5}, {"log_every_n_steps": 10}),
        ({"devices": "+1"}, {"devices": 1}),  # refused on the CPU: not a digit
    ],
)
def test_a_value_lightning_reads_otherwise_stays_its_own_setting(
    tmp_path: Path, spelled: dict, other: dict
) -> None:
    assert store.run_dir(tmp_path, _trainer(**spelled)) != store.run_dir(
        tmp_path, _trainer(**other)
    )


def test_a_record_filed_under_a_spelling_lightning_reads_otherwise_is_found(
    tmp_path: Path,
) -> None:
    """Runs an older repro filed under `devices='1'`'s own hash are seeds of `devices=1`:
    run and sweep find them (no retraining), the report counts them with it."""
    old = _trainer(devices="1", limit_train_batches=5.0, log_every_n_steps=10.0)
    today = _trainer(devices=1, limit_train_batches=5, log_every_n_steps=10)
    digest = store._digest(old)  # as hashed then: as written
    assert digest != store.config_hash(old)
    folder = _filed_by_an_older_repro(tmp_path, old, digest)
    assert store.completed_record_dir(tmp_path, today) == folder
    assert store.completed_record_dir(tmp_path, old) == folder
    assert _reported_hash(tmp_path) == store.config_hash(today)


def test_a_record_filed_under_a_bool_count_before_helper_115_is_found(tmp_path: Path) -> None:
    """`limit_train_batches=true` and `num_sanity_val_steps=-2` made folders of their own
    in earlier versions read them as 1 and 0: run and report find those seeds."""
    old = _trainer(limit_train_batches=True, num_sanity_val_steps=-2)
    today = _trainer(limit_train_batches=1, num_sanity_val_steps=0)
    digest = store._digest(store._without_lightning_defaults(store._before_readings(old)))
    assert digest != store.config_hash(old) == store.config_hash(today)
    folder = _filed_by_an_older_repro(tmp_path, old, digest)
    assert store.completed_record_dir(tmp_path, today) == folder
    assert _reported_hash(tmp_path) == store.config_hash(today)


def test_a_record_filed_under_a_negative_minimum_before_helper_123_is_found(
    tmp_path: Path,
) -> None:
    """`min_steps=-3`, `min_epochs=-1` made a folder of their own in earlier versions read
    them as 0: run and report find those seeds under 0's setting."""
    old = _trainer(min_steps=-3, min_epochs=-1)
    today = _trainer(min_steps=0, min_epochs=0)
    digest = store._digest(store._without_lightning_defaults(store._before_readings(old)))
    assert digest != store.config_hash(old) == store.config_hash(today)
    folder = _filed_by_an_older_repro(tmp_path, old, digest)
    assert store.completed_record_dir(tmp_path, today) == folder
    assert _reported_hash(tmp_path) == store.config_hash(today)


def test_a_record_hashed_with_its_precision_named_but_null_kept_is_found(tmp_path: Path) -> None:
    """Between the precision aliases and null's defaults joining the hash, `precision=32
    trainer.max_epochs=null` was hashed with `32-true` and null as written: run and report
    must find that folder too."""
    old = _trainer(precision=32, max_steps=20, max_epochs=None)
    placed = {**old, "trainer": {**old["trainer"], "precision": "32-true"}}
    digest = store._digest(placed)  # as hashed then
    assert digest != store.config_hash(old)
    folder = tmp_path / "p" / "e" / digest / "seed1"
    record = {"status": "completed", **WHOSE, "config_hash": digest, "metrics": {"m": 1.0}}
    store.write_record(folder, record)
    (folder / store.CONFIG_FILE).write_text(json.dumps(old))
    assert store.completed_record_dir(tmp_path, old) == folder
    assert _reported_hash(tmp_path) == store.config_hash(_trainer(max_steps=20, max_epochs=-1))


def test_a_setting_finds_its_seeds_in_a_folder_an_older_repro_hashed_another_spelling_in(
    tmp_path: Path,
) -> None:
    """A seed run as `trainer.max_epochs=null` by an older repro lies under that spelling's
    hash: the report counts it with the setting (`max_epochs: -1`), so `repro run` and `repro
    sweep` of the setting must find it too, not train it again beside it. A folder whose name
    is no hash its config ever had is not taken (the report does not take it either)."""
    spelled = _trainer(max_steps=20, max_epochs=None)
    today = _trainer(max_steps=20, max_epochs=-1)
    folder = tmp_path / "p" / "e" / store._digest(spelled) / "seed1"
    _completed(folder, spelled)
    assert store.completed_record_dir(tmp_path, today) == folder
    assert folder.parent in store.legacy_hash_dirs(tmp_path, today)
    renamed = folder.parent.with_name("0123456789")
    folder.parent.rename(renamed)
    assert store.completed_record_dir(tmp_path, today) is None


@pytest.mark.parametrize(
    ("spelled", "read_as"),
    [
        ({"max_time": {"minutes": 1}}, {"max_time": "00:00:01:00"}),
        ({"max_time": "0:00:01:00"}, {"max_time": "00:00:01:00"}),
        ({"min_steps": 10.0}, {"min_steps": 10}),
        ({"min_epochs": 2.0, "min_steps": 4.0}, {"min_epochs": 2, "min_steps": 4}),
    ],
)
def test_a_setting_spelt_otherwise_before_is_found_in_its_older_folder(
    tmp_path: Path, spelled: dict, read_as: dict
) -> None:
    """`trainer.max_time={minutes: 1}` had a folder of its own beside `'00:00:01:00'`, the
    same time to the Timer, as `min_steps=10.0` beside `10`: seeds did not pool. Their seeds
    an older repro filed there are found, with another key read anew since (`strategy=DDP`)
    too."""
    for extra in ({}, {"strategy": "DDP"}):
        spelt = _trainer(**spelled, **extra)
        today = _trainer(**read_as, strategy="ddp" if extra else "auto")
        assert store.config_hash(spelt) == store.config_hash(today)
        earlier = store._without_lightning_defaults(
            store._at_readings_before_fifth(store._before_readings(spelt))
        )
        folder = tmp_path / str(extra) / "p" / "e" / store._digest(earlier) / "seed1"
        _completed(folder, spelt)
        assert store.completed_record_dir(folder.parents[3], today) == folder


@pytest.mark.parametrize(
    ("spelled", "read_as"),
    [
        ({"min_steps": 10.5}, {"min_steps": 11}),
        (
            {"min_epochs": 1.5, "max_time": {"minutes": 1}},
            {"min_epochs": 2, "max_time": "00:00:01:00"},
        ),
        ({"max_time": {"milliseconds": 500}}, {"max_time": {"seconds": 0.5}}),
        ({"max_time": {"seconds": 0.5}}, {"max_time": {"milliseconds": 500}}),
        ({"min_epochs": 0}, {}),
        ({"benchmark": False, "deterministic": "warn"}, {"deterministic": "warn"}),
    ],
)
def test_a_fraction_spelt_before_the_sixth_reading_is_found_in_its_older_folder(
    tmp_path: Path, spelled: dict, read_as: dict
) -> None:
    """`min_steps=10.5` (11 steps to Lightning) had a folder of its own beside 11, and
    `max_time={milliseconds: 500}` beside `{seconds: 0.5}`: seeds an older repro filed there,
    with a max_time read since the fifth reading beside them, are found."""
    spelt, today = _trainer(**spelled), _trainer(**read_as)
    assert store.config_hash(spelt) == store.config_hash(today)
    fifth = store._without_lightning_defaults(
        store._at_readings_before_sixth(store._before_readings(spelt))
    )
    digest = store._digest(fifth)
    assert digest != store.config_hash(today)
    folder = _filed_by_an_older_repro(tmp_path, spelt, digest)
    assert store.completed_record_dir(tmp_path, today) == folder
    assert _reported_hash(tmp_path) == store.config_hash(today)


@pytest.mark.parametrize("devices", [[0], [1], "1,", [0, 1]])
def test_a_list_of_gpus_hashed_before_the_sixth_reading_is_found_in_its_older_folder(
    tmp_path: Path, devices: list[int] | str
) -> None:
    """`trainer.devices=[0]` (or `'1,'`) had a folder of its own beside `devices=1`, though
    both train one process on one GPU: seeds an older repro filed there are found."""
    spelt = _trainer(devices=devices)
    today = _trainer(devices=len(store._at_readings_before_sixth(spelt)["trainer"]["devices"]))
    assert store.config_hash(spelt) == store.config_hash(today)
    fifth = store._without_lightning_defaults(
        store._at_readings_before_sixth(store._before_readings(spelt))
    )
    folder = tmp_path / "p" / "e" / store._digest(fifth) / "seed1"
    _completed(folder, spelt)
    assert store.completed_record_dir(tmp_path, today) == folder


def test_a_mapping_with_keys_of_two_types_has_a_hash(tmp_path: Path) -> None:
    """`+model.weights={1:0.5,b:2}` (YAML's int key beside a string one) failed every command
    with 'internal error: TypeError: '<' not supported between str and int' (sorted keys);
    it is hashed, apart from the mapping whose keys are all text, and a mapping that hashed
    before keeps its hash."""
    mixed = {**CONFIG, "model": {"weights": {1: 0.5, "b": 2}}}
    text = {**CONFIG, "model": {"weights": {"1": 0.5, "b": 2}}}
    assert store.run_dir(tmp_path, mixed) != store.run_dir(tmp_path, text)
    reordered = {**CONFIG, "model": {"weights": {"b": 2, 1: 0.5}}}
    assert store.run_dir(tmp_path, mixed) == store.run_dir(tmp_path, reordered)
    assert store.hashed_form({"w": {1: 0.5}}) == '{"w":{"1":0.5}}'  # as before


def test_a_seed_rerun_in_an_older_folder_under_another_spelling_keeps_the_folder_found(
    tmp_path: Path,
) -> None:
    """A `rerun=true` (or a stale retrain) of seed0 of an older spelling's folder
    (`max_epochs=null`) by a command spelling it today's way (`-1`) writes that config.yaml
    and today's hash there: seed0's config then named no hash the folder ever had, so run and
    sweep lost the whole folder (every seed trained again) and its new record read as
    misfiled to both and to the report. The folder is told by the seeds that still say."""
    from repro.records.table import load_records

    spelled = _trainer(max_steps=20, max_epochs=None)
    today = _trainer(max_steps=20, max_epochs=-1)
    older = tmp_path / "p" / "e" / store._digest(spelled)
    for seed in (0, 1):
        config = {**spelled, "seed": seed}
        store.write_record(older / f"seed{seed}", {**WHOSE, "seed": seed, "status": "completed"})
        (older / f"seed{seed}" / store.CONFIG_FILE).write_text(json.dumps(config))
    _completed(older / "seed0", {**today, "seed": 0})  # the rerun's record and config
    for seed in (0, 1):
        assert store.completed_record_dir(tmp_path, {**today, "seed": seed}) == (
            older / f"seed{seed}"
        )
    table = load_records(tmp_path)
    assert not table.skipped
    assert set(table.frame["config_hash"]) == {store.config_hash(today)}


def test_an_older_folder_every_seed_of_which_ran_again_under_another_spelling_is_found(
    tmp_path: Path,
) -> None:
    """A stale retrain (or `rerun=true`) of every seed of an older spelling's folder
    (`max_epochs=null`) by a command spelling it `-1` left no config.yaml naming the folder:
    run and sweep trained every seed again elsewhere and the report dropped each record as
    misfiled. The config that named it is kept (`store.keep_filed_config`, as a run starts)."""
    from repro.records.table import load_records

    spelled = _trainer(max_steps=20, max_epochs=None)
    today = _trainer(max_steps=20, max_epochs=-1)
    older = tmp_path / "p" / "e" / store._digest(spelled)
    for seed in (0, 1):
        folder = older / f"seed{seed}"
        store.write_record(folder, {**WHOSE, "seed": seed, "status": "completed"})
        (folder / store.CONFIG_FILE).write_text(json.dumps({**spelled, "seed": seed}))
    for seed in (0, 1):  # each ran again there, as the run writes its config at its start
        assert store.completed_record_dir(tmp_path, {**today, "seed": seed}) == (
            older / f"seed{seed}"
        )
        store.keep_filed_config(older / f"seed{seed}", {**today, "seed": seed})
        _completed(older / f"seed{seed}", {**today, "seed": seed})
        store.keep_filed_config(older / f"seed{seed}", {**today, "seed": seed})  # once
    store._FOLDER_SETTINGS.clear()
    for seed in (0, 1):
        assert store.completed_record_dir(tmp_path, {**today, "seed": seed}) == (
            older / f"seed{seed}"
        )
    table = load_records(tmp_path)
    assert not table.skipped
    assert set(table.frame["config_hash"]) == {store.config_hash(today)}
    today_folder = store.run_dir(tmp_path, today)
    store.keep_filed_config(today_folder, today)  # today's own folder: nothing to keep
    assert not (today_folder / store.FILED_CONFIG_FILE).exists()


def test_a_seed_with_a_damaged_config_leaves_its_older_folder_to_the_next_seed(
    tmp_path: Path,
) -> None:
    """Of an older spelling's folder (`max_epochs=null`), seed0's config.yaml emptied by
    hand made the whole folder another setting to run and sweep, which trained its other
    seeds again beside it, while the report read the next seed's config and counted them."""
    from repro.records.table import load_records

    spelled = _trainer(max_steps=20, max_epochs=None)
    today = _trainer(max_steps=20, max_epochs=-1)
    older = tmp_path / "p" / "e" / store._digest(spelled)
    _completed(older / "seed1", spelled)
    (older / "seed0").mkdir()
    (older / "seed0" / store.CONFIG_FILE).write_text("")
    store.write_record(older / "seed0", {"status": "failed", **WHOSE, "seed": 0})
    assert store.completed_record_dir(tmp_path, today) == older / "seed1"
    frame = load_records(tmp_path).frame
    assert set(frame[frame["seed"] == 1]["config_hash"]) == {store.config_hash(today)}


def test_a_sweep_and_the_report_file_an_older_folder_with_the_same_setting(
    tmp_path: Path,
) -> None:
    """`repro run` / `repro sweep` (`_setting_of_folder`) and the report (`load_records`) both
    rehash an older folder's records by `store.hash_today`: for today's folder, an older
    repro's folder (a precision alias, a text device count, a GPU run's) and a folder whose
    name no repro gave its config, they give one answer, so a seed a sweep counts as done is
    the seed the report counts."""
    from repro.records.table import load_records

    spellings = [
        TRAINED,
        _trainer(precision=32),
        _trainer(devices="1", limit_train_batches=5.0),
        _trainer(accelerator="gpu"),
    ]
    folders = {}
    for spelled in spellings:
        for name in dict.fromkeys([store.config_hash(spelled), *store.older_hashes(spelled)]):
            seed = len(folders)  # one seed a folder: none counts twice
            config = {**spelled, "seed": seed}
            folder = tmp_path / "p" / "e" / name / f"seed{seed}"
            record = {"status": "completed", **WHOSE, "seed": seed, "config_hash": name}
            store.write_record(folder, {**record, "metrics": {"m": 1.0}})
            (folder / store.CONFIG_FILE).write_text(json.dumps(config))
            folders[str(folder)] = folder.parent
    renamed = tmp_path / "p" / "e" / "0123456789" / "seed9"
    store.write_record(renamed, {"status": "completed", **WHOSE, "seed": 9})
    store.write_record(renamed, {**store.read_record(renamed), "config_hash": "0123456789"})
    (renamed / store.CONFIG_FILE).write_text(json.dumps({**TRAINED, "seed": 9}))
    folders[str(renamed)] = renamed.parent
    table = load_records(tmp_path)
    assert not table.skipped
    by_folder = dict(zip(table.frame["record_dir"], table.frame["config_hash"], strict=True))
    assert set(by_folder) == set(folders)
    for record_dir, hash_dir in folders.items():
        store._FOLDER_SETTINGS.clear()
        expected = store._setting_of_folder(hash_dir) or hash_dir.name
        assert by_folder[record_dir] == expected, hash_dir.name
    today = {store.config_hash(TRAINED), store.config_hash(spellings[2]), "0123456789"}
    assert set(by_folder.values()) == today


def test_older_hashes_are_computed_only_when_an_older_folder_could_be_there(
    tmp_path: Path,
) -> None:
    """A setting's ~300 older hashes doubled what planning a sweep cost: they are worked out
    only when its experiment holds a folder other than today's, and only folders that are
    there are named."""
    gpu = _trainer(accelerator="gpu")
    store._legacy_hashes.cache_clear()
    assert store.legacy_hash_dirs(tmp_path, gpu) == []
    _completed(store.run_dir(tmp_path, gpu), gpu)
    assert store.legacy_hash_dirs(tmp_path, gpu) == []
    assert store._legacy_hashes.cache_info().currsize == 0
    old = tmp_path / "p" / "e" / store.legacy_config_hash(gpu) / "seed1"
    store.write_record(old, {"status": "completed", **WHOSE})
    assert store.legacy_hash_dirs(tmp_path, gpu) == [old.parent]


@pytest.mark.parametrize(
    ("spelled", "read_as"),
    [
        ({"gradient_clip_val": False}, {"gradient_clip_val": 0}),  # a hook computes with 0
        ({"gradient_clip_val": False}, {"gradient_clip_val": 0.0}),
        ({"gradient_clip_val": True}, {"gradient_clip_val": 1.0}),
        (  # the Trainer hands either as its enum NORM
            {"gradient_clip_val": 0.5, "gradient_clip_algorithm": "NORM"},
            {"gradient_clip_val": 0.5, "gradient_clip_algorithm": "norm"},
        ),
        (
            {"gradient_clip_val": 0.5, "gradient_clip_algorithm": "Value"},
            {"gradient_clip_val": 0.5, "gradient_clip_algorithm": "value"},
        ),
        ({"fast_dev_run": 0}, {"fast_dev_run": False}),
        ({"fast_dev_run": 1}, {"fast_dev_run": True}),  # Lightning sets it to True
        ({"enable_model_summary": 0}, {"enable_model_summary": False}),
        ({"enable_model_summary": 1}, {"enable_model_summary": True}),
        ({"inference_mode": 0}, {"inference_mode": False}),
        ({"use_distributed_sampler": 0}, {"use_distributed_sampler": False}),
        ({"sync_batchnorm": 1}, {"sync_batchnorm": True}),
        ({"devices": "1,"}, {"devices": [1]}),  # the GPU numbered 1 either way
        ({"devices": "0, 1"}, {"devices": [0, 1]}),
        # which GPUs is where a run executes, as the accelerator is: one process on one GPU
        # (Lightning's `devices=1` takes GPU 0), DDP over two, whichever they are
        ({"devices": [0]}, {"devices": 1}),
        ({"devices": [1]}, {"devices": 1}),
        ({"devices": "1,"}, {"devices": 1}),
        ({"devices": [0, 1]}, {"devices": 2}),
        ({"devices": [2, 3]}, {"devices": 2}),
        ({"devices": True}, {"devices": 1}),  # Lightning's CPU: one process
        ({"strategy": "DDP"}, {"strategy": "ddp"}),  # Lightning lower-cases the name
        ({"strategy": "Auto"}, {}),
        # Lightning reads a bool count as the int it is (True is 1), and any
        # num_sanity_val_steps below -1 as 0 (`num_sanity_val_steps > 0` gates the check)
        ({"limit_train_batches": True}, {"limit_train_batches": 1}),  # one batch an epoch
        ({"limit_val_batches": True}, {"limit_val_batches": 1}),
        ({"limit_val_batches": False}, {"limit_val_batches": 0}),  # no validation
        ({"limit_test_batches": True}, {"limit_test_batches": 1}),
        ({"val_check_interval": True}, {"val_check_interval": 1}),  # every batch
        ({"check_val_every_n_epoch": True}, {"check_val_every_n_epoch": 1}),
        ({"log_every_n_steps": True}, {"log_every_n_steps": 1}),
        ({"num_sanity_val_steps": True}, {"num_sanity_val_steps": 1}),
        ({"num_sanity_val_steps": -2}, {"num_sanity_val_steps": 0}),
        ({"num_sanity_val_steps": -5.0}, {"num_sanity_val_steps": 0}),
        ({"num_sanity_val_steps": False}, {"num_sanity_val_steps": 0}),
        ({"reload_dataloaders_every_n_epochs": True}, {"reload_dataloaders_every_n_epochs": 1}),
        ({"min_steps": True}, {"min_steps": 1}),
        ({"overfit_batches": True}, {"overfit_batches": 1}),  # one batch, not all (1.0)
        ({"overfit_batches": 0}, {}),  # Lightning's 0.0: `overfit_batches > 0` either way
        ({"overfit_batches": False}, {}),
        # a minimum below 0 is met from the start, as 0 is (`global_step >=
        # min_steps`); min_steps=-3, like 0 (not null), still sets min_epochs to 1
        ({"min_steps": -3}, {"min_steps": 0}),
        ({"min_epochs": -3}, {"min_epochs": 0}),
        ({"min_steps": -3.0}, {"min_steps": 0}),
        # the Timer reads every spelling of a time as its seconds
        ({"max_time": {"minutes": 1}}, {"max_time": "00:00:01:00"}),
        ({"max_time": {"seconds": 60}}, {"max_time": "00:00:01:00"}),
        ({"max_time": {"hours": 1, "minutes": 30}}, {"max_time": "00:01:30:00"}),
        ({"max_time": {"minutes": 1.5}}, {"max_time": "00:00:01:30"}),
        ({"max_time": {"days": 2}}, {"max_time": "02:00:00:00"}),
        ({"max_time": "0:00:01:00"}, {"max_time": "00:00:01:00"}),
        ({"max_time": " 00:00:01:00 "}, {"max_time": "00:00:01:00"}),
        # Lightning only compares them (`global_step >= min_steps`)
        ({"min_steps": 10.0}, {"min_steps": 10}),
        ({"min_epochs": 2.0}, {"min_epochs": 2}),
        # ... and a fraction as the next whole count (`global_step >= 10.5` is 11 steps)
        ({"min_steps": 10.5}, {"min_steps": 11}),
        ({"min_steps": 0.25}, {"min_steps": 1}),
        ({"min_epochs": 1.5}, {"min_epochs": 2}),
        # a minimum of 0 Lightning reads as its null: min_epochs without min_steps (null is 0
        # then), min_steps beside a min_epochs (null sets min_epochs only when it is unset)
        ({"min_epochs": 0}, {}),
        ({"min_epochs": -2}, {}),
        ({"min_epochs": 0.0}, {}),
        ({"min_steps": 0, "min_epochs": 2}, {"min_epochs": 2}),
        ({"min_steps": 0, "min_epochs": 0}, {}),
        # with deterministic algorithms Lightning turns cudnn's benchmark off for null
        ({"benchmark": False, "deterministic": "warn"}, {"deterministic": "warn"}),
        ({"benchmark": False, "deterministic": True}, {"deterministic": True}),
        # the Timer reads a time of a fraction of a second as its seconds too
        ({"max_time": {"milliseconds": 500}}, {"max_time": {"seconds": 0.5}}),
        ({"max_time": {"minutes": 0.01}}, {"max_time": {"seconds": 0.6}}),
        ({"max_time": {"seconds": 1, "microseconds": 500000}}, {"max_time": {"seconds": 1.5}}),
    ],
)
def test_spellings_lightning_trains_alike_are_one_setting(
    tmp_path: Path, spelled: dict, read_as: dict
) -> None:
    """`gradient_clip_val=false` for 0 (the number a module's own clipping hook
    computes with; not 0 for null: see the test below), `NORM` for `norm`, `fast_dev_run=0`
    for false, `enable_model_summary=0` (read as a truth value) and `devices='1,'` (Lightning's
    `[1]`) each made a folder of its own: seeds did not pool, a sweep trained them again."""
    assert store.run_dir(tmp_path, _trainer(**spelled)) == store.run_dir(
        tmp_path, _trainer(**read_as)
    )


@pytest.mark.parametrize(
    ("spelled", "other"),
    [
        ({"devices": [0, 0]}, {"devices": 2}),  # not two GPUs: as written
        ({"devices": [0, 1]}, {"devices": 1}),
        (
            {"gradient_clip_val": 0.5, "gradient_clip_algorithm": "value"},
            {"gradient_clip_val": 0.5},
        ),
        ({"gradient_clip_val": 0.5}, {"gradient_clip_val": None}),
        ({"fast_dev_run": 2}, {"fast_dev_run": True}),
        ({"deterministic": 1}, {"deterministic": True}),  # Lightning: no deterministic algorithms
        ({"detect_anomaly": 1}, {"detect_anomaly": True}),  # torch refuses the int
        ({"num_sanity_val_steps": -1}, {"num_sanity_val_steps": 0}),  # -1: every batch
        ({"limit_val_batches": True}, {"limit_val_batches": 1.0}),  # 1 batch, not all
        ({"overfit_batches": True}, {"overfit_batches": 1.0}),
        ({"overfit_batches": 2.0}, {"overfit_batches": 2}),  # Lightning limits by the float
        # Lightning logs at `step % -2 == 0` as at `% 2`, but a module reading the cadence
        # (mnist1d's `every > 0 and step % every == 0`) logs no step of -2
        ({"log_every_n_steps": -2}, {"log_every_n_steps": 2}),
        ({"max_time": {"minutes": 1}}, {"max_time": "00:00:02:00"}),  # another time
        ({"max_time": {"seconds": 0.5}}, {"max_time": "00:00:00:01"}),
        ({"max_time": {"seconds": 0.5}}, {"max_time": {"seconds": 0.6}}),
        ({"min_steps": 10.5}, {"min_steps": 12}),
        ({"min_steps": 0}, {}),  # 0, not null, sets min_epochs to 1
        ({"benchmark": False}, {}),  # null leaves torch's flag as it is
        ({"benchmark": False, "deterministic": False}, {"deterministic": False}),
        ({"min_steps": 5, "min_epochs": 0}, {"min_steps": 5}),  # null is 1 there
        ({"max_time": "00:00:01:00"}, {}),  # no time limit
        ({"min_steps": 10.5}, {"min_steps": 10}),  # 11 steps
        (  # Lightning refuses the algorithm: a setting of its own, not the default
            {"gradient_clip_val": None, "gradient_clip_algorithm": "nrm"},
            {"gradient_clip_val": None},
        ),
    ],
)
def test_spellings_lightning_trains_otherwise_stay_apart(
    tmp_path: Path, spelled: dict, other: dict
) -> None:
    assert store.run_dir(tmp_path, _trainer(**spelled)) != store.run_dir(
        tmp_path, _trainer(**other)
    )


@pytest.mark.parametrize(
    ("spelled", "other"),
    [
        ({"gradient_clip_val": 0}, {"gradient_clip_val": None}),
        ({"gradient_clip_val": -1.0}, {"gradient_clip_val": None}),
        ({"gradient_clip_val": -1.0}, {"gradient_clip_val": 0.0}),
        (
            {"gradient_clip_val": None, "gradient_clip_algorithm": "value"},
            {"gradient_clip_val": None},
        ),
        (
            {"gradient_clip_val": 0.5, "gradient_clip_algorithm": "norm"},
            {"gradient_clip_val": 0.5},
        ),
    ],
)
def test_clip_spellings_a_modules_own_clipping_is_handed_apart_stay_apart(
    tmp_path: Path, spelled: dict, other: dict
) -> None:
    """Lightning hands a module's own `configure_gradient_clipping` the clip settings as
    written (0, -1 or null; `norm` or null), and such a hook can tell them apart: one that
    clips at its own value by the Trainer's algorithm (`self.clip_gradients(optimizer, 0.01,
    gradient_clip_algorithm)`) clipped by value under `gradient_clip_algorithm=value`, yet
    An earlier version filed that run as the default setting (test/mse 4.949 where the default gives
    4.994), and a later run of the default was skipped as done. The hash cannot see the
    module, so these stay settings of their own, as before."""
    assert store.run_dir(tmp_path, _trainer(**spelled)) != store.run_dir(
        tmp_path, _trainer(**other)
    )


@pytest.mark.parametrize(
    "spelled",
    [
        {"gradient_clip_val": False},  # hashed as written before
        {"gradient_clip_val": 1, "gradient_clip_algorithm": "NORM"},  # 1.0 before, 1 earlier
        {"fast_dev_run": 0, "devices": "1,"},
        {"accumulate_grad_batches": 2.0},
    ],
)
def test_a_record_filed_before_lightnings_readings_grew_is_found(
    tmp_path: Path, spelled: dict
) -> None:
    """Folders the previous readings (`_at_earlier_lightning_readings`) or none at all gave
    these spellings keep their seeds: run, sweep and report find them."""
    config = _trainer(**spelled)
    unset = store._before_readings(store._with_unset_keys(config))
    for hashed in (store._before_readings(config), store._at_earlier_lightning_readings(unset)):
        digest = store._digest(store._without_lightning_defaults(hashed))
        assert digest != store.config_hash(config)
        folder = _filed_by_an_older_repro(tmp_path / digest, config, digest)
        assert store.completed_record_dir(folder.parents[3], config) == folder
        assert _reported_hash(folder.parents[3]) == store.config_hash(config)


def test_a_whole_float_accumulation_is_that_many_batches(tmp_path: Path) -> None:
    """`accumulate_grad_batches=2.0` trains as 2 (Lightning takes `% 2.0` and
    divides the loss by 2.0), yet it was a folder of its own; 1.0 is Lightning's default."""
    two = store.run_dir(tmp_path, _trainer(accumulate_grad_batches=2))
    assert store.run_dir(tmp_path, _trainer(accumulate_grad_batches=2.0)) == two
    default = store.run_dir(tmp_path, TRAINED)
    assert store.run_dir(tmp_path, _trainer(accumulate_grad_batches=1.0)) == default


def test_a_record_that_is_a_dead_link_is_not_read_as_none(tmp_path: Path) -> None:
    """a record.json linked to a disk not mounted now read as 'no record': the
    sweep planned the seed `to run` and its run replaced the link, where the report named it
    unreadable. It is an OSError naming the link, as a record the OS refuses to read is."""
    folder = tmp_path / "p" / "e" / "h" / "seed0"
    folder.mkdir(parents=True)
    (folder / store.RECORD_FILE).symlink_to(tmp_path / "unmounted" / store.RECORD_FILE)
    with pytest.raises(OSError, match=r"record.json is a link that leads nowhere") as raised:
        store.read_record(folder)
    assert not isinstance(raised.value, FileNotFoundError)  # 'removed since seen': none


@pytest.mark.parametrize("dead", ["record", "seed folder"])
def test_a_dead_link_in_todays_folder_is_not_passed_over_for_a_legacy_cut_short_run(
    tmp_path: Path, dead: str
) -> None:
    """today's seed folder (or its record.json) a link to a disk not mounted now, where its
    record may be completed: `.exists()` read it as no record, so a run cut short in a
    legacy hash folder was resumed there, beside a completed run it could not see. Today's
    folder is the seed's: its run stops there, naming the link."""
    gpu = _trainer(accelerator="gpu")
    legacy = tmp_path / "p" / "e" / store.legacy_config_hash(gpu) / "seed1"
    store.write_record(legacy, {"status": "running", **WHOSE})
    (legacy / store.CHECKPOINT_DIR).mkdir()
    (legacy / store.CHECKPOINT_DIR / store.LAST_CHECKPOINT).write_bytes(b"weights")
    assert store.unfinished_record_dir(tmp_path, gpu) == legacy  # nothing today: resumed there
    today = store.run_dir(tmp_path, gpu)
    today.parent.mkdir(parents=True)
    if dead == "record":
        today.mkdir()
        (today / store.RECORD_FILE).symlink_to(tmp_path / "unmounted" / store.RECORD_FILE)
    else:
        today.symlink_to(tmp_path / "unmounted" / "seed1")
    assert store.unfinished_record_dir(tmp_path, gpu) is None


def test_a_deeply_nested_config_in_an_older_folder_is_not_kept_and_raises_nothing(
    tmp_path: Path,
) -> None:
    """a config.yaml nested too deeply for the YAML reader in an older hash's folder: its
    RecursionError went up out of the run's start as an internal error. Unreadable, it names
    no folder: nothing is kept, and the run goes on."""
    folder = tmp_path / "p" / "e" / store._digest(_trainer(max_epochs=None)) / "seed1"
    folder.mkdir(parents=True)
    (folder / store.CONFIG_FILE).write_text("[" * 5000 + "]" * 5000)
    store.keep_filed_config(folder, TRAINED)
    assert not (folder / store.FILED_CONFIG_FILE).exists()


def test_max_epochs_null_or_minus_one_with_max_time_alone_is_refused_either_way(
    tmp_path: Path, isolated_env: Path
) -> None:
    """With a max_time, Lightning reads a null max_epochs as -1 even when max_steps is unbounded
    (its Timer ends the run), where the hash keeps null apart (1000 epochs without a Timer). No
    record can tell them apart: both spellings are refused before anything is written, so
    neither has a folder that the other's hash would miss."""
    from tests.conftest import repro, write_toy_paper

    write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    for epochs in ("null", "-1"):
        done = repro(
            "run",
            "paper=toy",
            "experiment=small",
            "logger=none",
            "trainer.max_steps=null",
            f"trainer.max_epochs={epochs}",
            "+trainer.max_time.minutes=1",
            env=env,
            timeout=300,
        )
        assert done.returncode != 0 and "trainer.max_time alone" in done.stderr, done.stderr
    assert not isolated_env.exists()


def test_an_env_interpolation_is_recorded_resolved_and_only_its_own_variable_moves_the_hash(
    tmp_path: Path, isolated_env: Path
) -> None:
    """`${oc.env:VAR}` in a value: config.yaml and the recorded command hold the value the
    run trained with; another variable changing leaves the setting as it was (skipped), and
    VAR changing is another setting."""
    from tests.conftest import repro, write_toy_paper

    write_toy_paper(tmp_path / "plugins")

    def run(**env: str) -> Any:
        return repro(
            "run",
            "paper=toy",
            "experiment=small",
            "logger=none",
            "trainer.max_steps=3",
            "+optimizer.note=${oc.env:REPRO_TEST_NOTE}",
            env={"REPRO_PAPERS_PATH": str(tmp_path / "plugins"), **env},
            timeout=300,
        )

    first = run(REPRO_TEST_NOTE="alpha", REPRO_TEST_OTHER="1")
    assert first.returncode == 0, first.stderr
    (record_file,) = isolated_env.rglob("record.json")
    config = yaml.safe_load((record_file.parent / store.CONFIG_FILE).read_text())
    assert config["optimizer"]["note"] == "alpha"
    assert "+optimizer.note=alpha" in json.loads(record_file.read_text())["command"]
    again = run(REPRO_TEST_NOTE="alpha", REPRO_TEST_OTHER="2")
    assert again.returncode == 0 and "already completed" in again.stdout, again.stdout
    other = run(REPRO_TEST_NOTE="beta")
    assert other.returncode == 0, other.stderr
    assert len(list(isolated_env.rglob("record.json"))) == 2
