"""Whether seeds may train together (repro.running.seed_rules): a Trainer argument or a
machine that would make a seed alone train otherwise keeps them apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from repro.running.seed_rules import static_reason
from tests.running.test_together import configs


@pytest.mark.parametrize(
    ("key", "value"),
    [("overfit_batches", 1), ("fast_dev_run", True), ("reload_dataloaders_every_n_epochs", 1)],
)
def test_a_trainer_key_the_group_does_not_apply_trains_each_seed_alone(
    key: str, value: Any
) -> None:
    """Any Lightning Trainer argument away from Lightning's default that the group does not
    apply itself rules it out (a new Lightning argument too), so no seed differs silently."""
    base = {"precision": "32-true", "max_steps": 10, "log_every_n_steps": 50}
    base["num_sanity_val_steps"] = 0  # removed, it is Lightning's 2: a validation first
    assert static_reason({"trainer": base}) is None
    at_default = {**base, key: False if key == "fast_dev_run" else 0}  # Lightning's default
    assert static_reason({"trainer": at_default}) is None
    assert f"trainer.{key}" in static_reason({"trainer": {**base, key: value}})


def test_devices_auto_on_several_gpus_is_several_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lightning's `devices=auto` takes every GPU (DDP) for a seed alone: not one device."""
    import torch

    trainer = {"precision": "32-true", "devices": "auto", "accelerator": "auto"}
    trainer["num_sanity_val_steps"] = 0
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert static_reason({"trainer": trainer}) is None
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert "several devices" in static_reason({"trainer": trainer})
    assert static_reason({"trainer": {**trainer, "accelerator": "cpu"}}) is None


def test_the_default_trainer_config_qualifies(tmp_path: Path) -> None:
    (config,) = configs("mnist1d", "logistic", [0], tmp_path)
    assert static_reason(config) is None


def test_validation_counted_across_epochs_trains_each_seed_alone() -> None:
    """check_val_every_n_epoch=null now reaches Lightning (it counts val_check_interval across
    epochs); a group counts validations in epochs, so it would validate elsewhere."""
    base = {"precision": "32-true", "max_steps": 10, "check_val_every_n_epoch": 1}
    base["num_sanity_val_steps"] = 0
    assert static_reason({"trainer": base}) is None
    reason = static_reason({"trainer": {**base, "check_val_every_n_epoch": None}})
    assert "check_val_every_n_epoch=null" in reason


def test_a_null_sanity_check_is_lightnings_two_batches_so_each_seed_trains_alone() -> None:
    """`trainer.num_sanity_val_steps=null` is Lightning's default, 2 batches validated before
    training (the runner leaves null out; the hash reads it as 2): a seed alone runs them,
    which a group does not, yet null passed as no sanity check."""
    base = {"precision": "32-true", "max_steps": 10, "num_sanity_val_steps": 0}
    assert static_reason({"trainer": base}) is None
    reason = static_reason({"trainer": {**base, "num_sanity_val_steps": None}})
    assert reason is not None and "num_sanity_val_steps" in reason


def test_a_removed_or_null_trainer_key_is_read_as_a_seed_alone_trains_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`~trainer.num_sanity_val_steps`, `~trainer.devices` are one setting (one folder) with
    the key at null (store.UNSET_TRAINER_VALUES), and a seed alone trains either at
    Lightning's default: 2 sanity batches, devices=auto (every GPU). A removed key was read
    as no sanity check and one device, a null accelerator as the CPU: a group trained seeds
    of that folder otherwise than a seed alone does. A null device count or node count on
    one device is one device (it was 'several devices')."""
    import torch

    base = {"precision": "32-true", "max_steps": 10, "num_sanity_val_steps": 0}
    assert static_reason({"trainer": base}) is None
    removed = {k: v for k, v in base.items() if k != "num_sanity_val_steps"}
    reason = static_reason({"trainer": removed})
    assert reason is not None and "num_sanity_val_steps" in reason
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    for one in ({}, {"devices": None}, {"num_nodes": None}, {"accelerator": None}):
        assert static_reason({"trainer": {**base, **one}}) is None, one
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    for several in ({}, {"devices": None}, {"devices": "auto", "accelerator": None}):
        assert "several devices" in static_reason({"trainer": {**base, **several}}), several
    assert static_reason({"trainer": {**base, "devices": 1, "accelerator": None}}) is None


@pytest.mark.parametrize("spelling", ["unset", "null", "auto"])
def test_devices_unset_or_null_is_lightnings_auto(
    monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    """`~trainer.devices` and `trainer.devices=null` both reach the Trainer as no argument,
    Lightning's `devices="auto"` (one setting, one hash): one device on a CPU or one GPU,
    every GPU of several. The rule read a missing key as 1 (seeds together on 2 GPUs, where
    a seed alone runs DDP) and null as several devices (each seed alone on a CPU)."""
    import torch

    trainer: dict[str, Any] = {
        "precision": "32-true",
        "accelerator": "auto",
        "max_steps": 10,
        "num_sanity_val_steps": 0,
    }
    if spelling != "unset":
        trainer["devices"] = None if spelling == "null" else "auto"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert static_reason({"trainer": trainer}) is None
    assert static_reason({"trainer": {**trainer, "num_nodes": None}}) is None
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert "several devices" in static_reason({"trainer": trainer})
    assert static_reason({"trainer": {**trainer, "accelerator": "cpu"}}) is None


def test_a_sanity_check_lightning_skips_lets_seeds_train_together() -> None:
    """`num_sanity_val_steps=-2` is no sanity check (Lightning runs one only `> 0`, or for -1
    every batch) and shares 0's folder since a later fix, yet kept the seeds apart with 'a
    validation before training' that never runs."""
    base = {"precision": "32-true", "max_steps": 10, "num_sanity_val_steps": 0}
    assert static_reason({"trainer": {**base, "num_sanity_val_steps": -2}}) is None
    for runs in (-1, 1, True, 2):
        reason = static_reason({"trainer": {**base, "num_sanity_val_steps": runs}})
        assert reason is not None and "num_sanity_val_steps" in reason, runs
