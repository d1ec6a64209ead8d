import pytest

from repro.config import paper_setting


def test_where_a_run_executes_is_not_a_setting_override() -> None:
    """Overrides that only say where a run executes or how it is watched compose nothing."""
    execution = ["trainer.accelerator=gpu", "+trainer.profiler=simple", "logger=csv"]
    assert paper_setting.setting_overrides(execution) == []
    assert paper_setting.setting_overrides(["trainer.max_steps=5"]) == ["trainer.max_steps=5"]


def test_a_profiler_is_never_named_as_a_difference() -> None:
    flat = {"trainer.max_steps": 5, "trainer.profiler": "simple"}
    assert paper_setting.config_differences(flat, {"trainer.max_steps": 10}) == (
        ("trainer.max_steps", 5, 10),
    )


def test_a_precision_spelled_as_lightnings_alias_is_no_difference() -> None:
    """`trainer.precision=32` is the paper's `32-true` (one config hash), yet the report named
    it a difference of the setting ('trainer.precision=32 (paper: 32-true)'), as if the runs
    had another precision; read back from a table, 32 may be 32.0."""
    run = {"trainer.max_steps": 5, "trainer.precision": 32}
    paper = {"trainer.max_steps": 10, "trainer.precision": "32-true"}
    expected = (("trainer.max_steps", 5, 10),)
    assert paper_setting.config_differences(run, paper, typed=True) == expected
    assert paper_setting.config_differences(run, paper) == expected
    as_read = {**run, "trainer.precision": 32.0}
    assert paper_setting.config_differences(as_read, paper) == expected
    unset = {**run, "trainer.precision": None}  # Lightning's default: 32-true
    assert paper_setting.config_differences(unset, paper, typed=True) == expected
    bf16 = {**run, "trainer.precision": "bf16"}
    assert paper_setting.config_differences(bf16, paper, typed=True)[1][0] == "trainer.precision"


def test_a_number_of_another_type_is_a_difference_of_a_resolved_config() -> None:
    """`model.x0=0` where the paper has 0.0 is another config hash: a run said `other keys`
    (0 == 0.0); it names the key. Read back from a table (pandas' 4.0 for 4), values compare."""
    run, paper = {"model.x0": 0, "model.lr": [1]}, {"model.x0": 0.0, "model.lr": [1.0]}
    assert paper_setting.config_differences(run, paper, typed=True) == (
        ("model.lr", [1], [1.0]),
        ("model.x0", 0, 0.0),
    )
    assert paper_setting.config_differences(run, paper) == ()


def test_a_launcher_that_sets_the_devices_is_not_the_papers_setting(tmp_path) -> None:
    """`launcher=slurm slurm.gpus=2` trains 2 processes (the launcher interpolates
    trainer.devices from slurm.*) into trainer.devices=2's hash, yet the run said it was at
    the paper's setting: the launcher's keys were skipped by name. Decided by the hash now."""
    from repro.config.app import plugin_overrides
    from repro.config.compose import compose_run_config, hydra_compose_session
    from tests.conftest import write_toy_paper

    folder = write_toy_paper(tmp_path / "plugins", "toy")
    wiring = ["paper=toy", *plugin_overrides(folder)]
    slurm = ["launcher=slurm", "slurm.gpus=2"]
    with hydra_compose_session():
        config = compose_run_config([*wiring, *slurm], "small")
    assert config["trainer"]["devices"] == 2
    differences = paper_setting.run_differences(config, [*wiring, "experiment=small", *slurm])
    assert differences and ("trainer.devices", 2, 1) in differences, differences
    neutral = paper_setting.run_differences(config, [*wiring, "experiment=small", "seed=3"])
    assert neutral == ()  # nothing that can change the hash: nothing composed


def test_a_number_of_another_type_is_named_so_a_reader_sees_the_difference() -> None:
    """`optimizer.weight_decay=0` where the paper has 0.0 is another setting (the hash tells
    types apart), yet both printed as 0: 'not the paper's setting: optimizer.weight_decay=0
    (paper: 0)', a difference nobody could see."""
    from repro.reporting.aggregate import differences_text

    differences = (("optimizer.weight_decay", 0, 0.0), ("optimizer.lr", 0.1, 0.01))
    assert paper_setting.deviation_text(differences[:1]) == "optimizer.weight_decay=0 (paper: 0.0)"
    assert differences_text(differences) == (
        "optimizer.weight_decay=0 (paper: 0.0), optimizer.lr=0.1 (paper: 0.01)"
    )


def test_a_trainer_value_spelled_as_the_papers_is_no_difference() -> None:
    """`trainer.max_steps=10 trainer.max_epochs=null`: the hash reads null as what the Trainer
    trains (-1 here), yet the run was named 'trainer.max_steps=10, trainer.max_epochs=unset'."""
    paper = {"trainer.max_steps": 20, "trainer.max_epochs": -1, "trainer.log_every_n_steps": 50}
    run = {"trainer.max_steps": 10, "trainer.max_epochs": None, "trainer.log_every_n_steps": None}
    run["trainer.benchmark"] = None  # Lightning's default, added
    expected = (("trainer.max_steps", 10, 20),)
    assert paper_setting.config_differences(run, paper, typed=True) == expected
    import numpy as np  # read back from a table: numpy's scalars, None left out

    table = {"trainer.max_steps": np.int64(10), "trainer.accumulate_grad_batches": np.int64(1)}
    (difference,) = paper_setting.config_differences(table, {"trainer.max_steps": 20})
    assert difference[0] == "trainer.max_steps"


def test_a_time_of_a_fraction_of_a_second_is_named_as_one_value() -> None:
    """`+trainer.max_time={milliseconds:500}`, hashed as `{seconds: 0.5}`, was named no key
    at all ('other keys'), and beside `{seconds: 0.6}` as `trainer.max_time.seconds=None`:
    one value, as a time of whole seconds is."""
    from repro.config.paper_setting import config_differences

    base = {"trainer.max_steps": 10, "trainer.devices": 1}
    ms = {**base, "trainer.max_time.milliseconds": 500}
    assert config_differences(ms, base, typed=True) == (
        ("trainer.max_time", "{seconds: 0.5}", None),
    )
    other = {**base, "trainer.max_time.seconds": 0.6}
    assert config_differences(ms, other, typed=True) == (
        ("trainer.max_time", "{seconds: 0.5}", "{seconds: 0.6}"),
    )
    same = {**base, "trainer.max_time.seconds": 0.5}
    assert config_differences(ms, same, typed=True) == ()


@pytest.mark.parametrize(
    "max_time",
    [
        {"milliseconds": 500},
        {"seconds": 30.5},
        {"microseconds": 1},
        {"days": 2, "hours": 3, "seconds": 4, "microseconds": 123456},
        {"minutes": 1, "milliseconds": 1},
    ],
)
def test_a_time_of_a_fraction_of_a_second_is_named_as_a_time_repro_takes(
    max_time: dict,
) -> None:
    """`+trainer.max_time={milliseconds: 30500}` was named `trainer.max_time=00:00:00:30.5`
    by a run's 'not the paper's setting' line and the report's: text Lightning's Timer (and
    so `repro run`) refuses as typed. The name, typed as an override, is taken and is the
    same setting (one config hash)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from repro.config.checks import _max_time_problems
    from repro.config.paper_setting import config_differences
    from repro.records import store

    base = {"trainer.max_steps": 10}
    flat = {**base, **{f"trainer.max_time.{k}": v for k, v in max_time.items()}}
    ((key, named, _),) = config_differences(flat, base, typed=True)
    override = f"+{key}={named}"
    typed = OverridesParser.create().parse_override(override).value()
    assert _max_time_problems({"max_time": typed}) == [], override
    trainer = {"max_steps": 10, "max_time": max_time}
    assert store.hashed_trainer({**trainer, "max_time": typed}) == store.hashed_trainer(trainer)
