"""Config mistakes are caught before anything trains, one line each, with did-you-mean."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from repro.config.checks import (
    check_seed,
    check_values,
    problems_of,
    repro_top_level_keys,
    seed_dependent_keys,
)
from repro.errors import UsageError
from tests.conftest import repro, write_toy_paper

BOUNDED = {"seed": 0, "trainer": {"max_steps": 10, "max_epochs": -1}}


@pytest.mark.parametrize("seed", [0, 3, 2**32 - 1])
def test_seeds_numpy_accepts_pass(seed: int) -> None:
    assert check_seed(seed) == seed


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        (-1, "seed must be in [0, 4294967295] (2**32-1), got -1"),
        (2**32, "got 4294967296"),
        (99999999999, "got 99999999999"),
        ("abc", "seed must be an integer, got 'abc'"),
        (True, "seed must be an integer, got True"),
    ],
)
def test_bad_seeds(seed: Any, message: str) -> None:
    with pytest.raises(UsageError) as error:
        check_seed(seed)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("trainer", "message"),
    [
        ({"max_steps": -5}, "trainer.max_steps must be a positive integer or -1 (unbounded)"),
        ({"max_steps": "abc"}, "trainer.max_steps must be an integer, got 'abc'"),
        ({"max_steps": 0, "max_epochs": 3}, "trainer.max_steps=0 trains nothing"),
        ({"max_steps": 5, "max_epochs": 0}, "trainer.max_epochs=0 trains nothing"),
        ({"max_steps": -1, "max_epochs": -1}, "the run has no end"),
        ({"max_steps": None, "max_epochs": None}, "the run has no end"),
        ({"max_steps": 2.5}, "trainer.max_steps must be an integer, got 2.5"),
    ],
)
def test_bad_training_bounds(trainer: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as error:
        check_values({"seed": 0, "trainer": trainer})
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("max_step", "max_steps"), ("max_epoch", "max_epochs"), ("maxsteps", "max_steps")],
)
def test_a_misspelt_bound_is_named_not_the_missing_end(typo: str, meant: str) -> None:
    # `max_step: 200` in a plugin's settings.yaml said "the run has no end: set
    # trainer.max_steps ...", never naming the key the user did write
    with pytest.raises(UsageError) as error:
        check_values({"seed": 0, "trainer": {"max_steps": -1, "max_epochs": -1, typo: 200}})
    assert str(error.value) == (
        f"unknown trainer key {typo!r} in trainer (did you mean {meant!r}?): "
        "the run has no end without it"
    )


@pytest.mark.parametrize("key", ["max_time", "min_steps", "min_epochs"])
def test_a_trainer_key_lightning_takes_is_not_called_a_misspelt_bound(key: str) -> None:
    # `max_time` (or min_steps) without max_steps/max_epochs was called "unknown trainer key
    # 'max_time' (did you mean 'max_steps'?)": a key Lightning's Trainer takes
    with pytest.raises(UsageError) as error:
        check_values({"seed": 0, "trainer": {"max_steps": -1, "max_epochs": -1, key: 5}})
    assert "unknown trainer key" not in str(error.value)
    assert str(error.value).endswith(
        "set trainer.max_steps or trainer.max_epochs to a positive number"
        + " too" * (key == "max_time")
    )


def test_a_run_bounded_by_max_time_alone_is_not_said_to_have_no_end() -> None:
    # 'the run has no end' beside trainer.max_time, which ends it: say what the bound lacks
    with pytest.raises(UsageError) as error:
        check_values({"seed": 0, "trainer": {"max_steps": -1, "max_time": "00:01:00:00"}})
    assert str(error.value) == (
        "trainer.max_time alone ends the run at a wall-clock time, after a number of steps "
        "that differs by machine: set trainer.max_steps or trainer.max_epochs to a positive "
        "number too"
    )


@pytest.mark.parametrize(
    "trainer", [{"max_steps": -1, "max_epochs": 3}, {"max_steps": 7}, {"max_epochs": 1}]
)
def test_one_bound_is_enough(trainer: dict[str, Any]) -> None:
    check_values({"seed": 0, "trainer": trainer})


def test_wandb_mode_is_checked_only_when_wandb_logs() -> None:
    check_values({**BOUNDED, "logger": {"wandb": {"mode": "offline"}, "csv": {}}})
    check_values({**BOUNDED, "logger": {"csv": {}}})  # WANDB_MODE is not used then
    with pytest.raises(UsageError) as error:
        check_values({**BOUNDED, "logger": {"wandb": {"mode": "garbage"}}})
    assert "W&B mode 'garbage' (WANDB_MODE or logger.wandb.mode) is not one of online" in str(
        error.value
    )


def test_repro_keys_come_from_its_configs() -> None:
    keys = repro_top_level_keys()
    assert {"seed", "num_threads", "trainer", "logger", "paths", "checkpoint", "slurm"} <= keys
    assert not {"model", "data", "optimizer", "num_thread"} & keys


@pytest.fixture
def toy(tmp_path: Path) -> Any:
    from repro.plugins.registry import plugin_from_folder

    return plugin_from_folder(write_toy_paper(tmp_path / "plugins"))


def _problems(plugin: Any, *overrides: str, experiment: str = "small") -> list[str]:
    from repro.config.app import plugin_overrides
    from repro.config.compose import compose_config, hydra_compose_session

    with hydra_compose_session():
        cfg = compose_config(
            [f"paper={plugin.id}", *plugin_overrides(plugin.folder), *overrides,
             f"experiment={experiment}"]
        )  # fmt: skip
    return problems_of(cfg, experiment, plugin, plugin.spec())


def test_toy_config_is_clean(toy: Any) -> None:
    assert _problems(toy) == []
    assert _problems(toy, experiment="wide") == []


def test_typos_get_did_you_mean(toy: Any) -> None:
    settings = toy.folder / "settings.yaml"
    settings.write_text(settings.read_text().replace("data:", "num_thread: 1\ndata:", 1))
    assert _problems(toy, "+trainer.max_step=3", "+model.featurs=3", "+data.sample=3") == [
        "unknown top-level key 'num_thread' in the config (did you mean 'num_threads'?)",
        "unknown trainer key 'max_step' in trainer (did you mean 'max_steps'?)",
        "unknown model key 'featurs' in model (did you mean 'features'?)",
        "unknown data key 'sample' in data (did you mean 'samples'?)",
    ]


def test_several_mistakes_on_the_command_line_are_all_named(toy: Any) -> None:
    # it said "unknown trainer key 'max_step' ... (and 1 more: see `repro check`)", and
    # `repro check` checks the plugin's own config, without these overrides: it said ok
    from repro.config.app import plugin_overrides
    from repro.config.checks import validate
    from repro.config.compose import compose_config, hydra_compose_session

    with hydra_compose_session():
        cfg = compose_config(
            [f"paper={toy.id}", *plugin_overrides(toy.folder), "+trainer.max_step=3",
             "+model.featurs=3", "experiment=small"]
        )  # fmt: skip
    with pytest.raises(UsageError) as raised:
        validate(cfg, "small", toy, toy.spec())
    assert str(raised.value) == (
        "unknown trainer key 'max_step' in trainer (did you mean 'max_steps'?); "
        "unknown model key 'featurs' in model (did you mean 'features'?)"
    )


def test_an_optimizer_typo_is_named_beside_a_model_typo(toy: Any) -> None:
    # the optimizer is checked by building the module, which was skipped when a model key
    # was unknown: `+optimizer.lrr` came up only after `+model.featurs` was fixed
    model = toy.folder / "model.py"
    text = model.read_text().replace(
        'self.lr = (optimizer or {}).get("lr", 0.05)', "self.optimizer_args = dict(optimizer or {})"
    )
    model.write_text(text.replace("lr=self.lr)", "**self.optimizer_args)"))  # as `repro new`'s
    assert _problems(toy, "+optimizer.lrr=2") == [
        "optimizer.lrr: not an argument of SGD (did you mean 'lr'?)"
    ]
    assert _problems(toy, "+model.featurs=3", "+optimizer.lrr=2") == [
        "unknown model key 'featurs' in model (did you mean 'features'?)",
        "optimizer.lrr: not an argument of SGD (did you mean 'lr'?)",
    ]


def test_a_top_level_key_that_belongs_in_a_section_is_named_there(toy: Any) -> None:
    # `+lr=0.1` (after "write +lr=..." advice) said only "unknown top-level key 'lr'"
    assert _problems(toy, "+lr=0.1") == [
        "unknown top-level key 'lr' in the config (did you mean 'optimizer.lr'?)"
    ]


def test_an_empty_experiment_file_is_said_to_be_empty(toy: Any) -> None:
    # it said "its keys landed under 'experiment:'", of a file with no keys
    (toy.folder / "experiment" / "small.yaml").write_text("")
    assert _problems(toy) == [
        f"{toy.folder / 'experiment' / 'small.yaml'}: empty; start it with "
        "`# @package _global_` (that line alone is an experiment that changes nothing)"
    ]


def test_unknown_key_without_a_close_match_lists_the_known(toy: Any) -> None:
    assert _problems(toy, "+data.zzz=1") == [
        "unknown data key 'zzz' in data (data:ToyData takes features, samples)"
    ]


def test_missing_required_argument_and_keys_repro_sets(toy: Any) -> None:
    assert _problems(toy, "~data.samples", "+trainer.callbacks=[]") == [
        "trainer key 'callbacks' is set by repro itself: remove it from trainer",
        "missing data key 'samples': data:ToyData requires it",
    ]


def test_a_module_that_takes_no_optimizer_is_told_where_it_comes_from(toy: Any) -> None:
    # it said "unknown model key 'optimizer' in model", a key the user never wrote under model:
    model = toy.folder / "model.py"
    model.write_text(model.read_text().replace("explode=False, optimizer=None)", "explode=False)"))
    assert _problems(toy) == [
        "model:ToyModule takes no `optimizer` argument, which repro passes from the config's "
        "optimizer: section (settings.yaml): add `optimizer: dict | None = None` to its "
        "__init__ for configure_optimizers, or remove optimizer: from settings.yaml"
    ]


def test_seed_interpolated_into_data_is_named(toy: Any) -> None:
    assert _problems(toy, "data.samples=${seed}") == [
        "data.samples depends on ${seed}: the record folder would change with the seed; "
        "use torch.initial_seed() in the plugin's code instead"
    ]


def test_seed_dependence_ignores_seed_free_configs() -> None:
    from omegaconf import OmegaConf

    cfg = OmegaConf.create({"seed": 0, "data": {"n": 3}, "paths": {"x": "${seed}"}})
    assert seed_dependent_keys(cfg, "e") == []  # paths are not part of the record's hash
    cfg.data.n = "${seed}"
    assert seed_dependent_keys(cfg, "e") == ["data.n"]


def _settings_typo(tmp: Path) -> dict[str, str]:
    folder = write_toy_paper(tmp / "plugins")
    settings = folder / "settings.yaml"
    settings.write_text(settings.read_text().replace("data:", "num_thread: 1\ndata:", 1))
    return {"REPRO_PAPERS_PATH": str(tmp / "plugins")}


def test_settings_typo_stops_run_sweep_and_check(tmp_path: Path, isolated_env: Path) -> None:
    env = _settings_typo(tmp_path)
    line = "error: unknown top-level key 'num_thread' in the config (did you mean 'num_threads'?)"
    for arguments, code in (
        (("run", "paper=toy", "experiment=small", "logger=none"), 2),
        (("sweep", "paper=toy", "--dry-run"), 2),
        (("sweep", "paper=toy", "logger=none"), 2),
        (("check", "toy"), 1),
    ):
        done = repro(*arguments, env=env)
        assert done.returncode == code, (arguments, done.stdout, done.stderr)
        assert line.removeprefix("error: ") in done.stdout + done.stderr, arguments
        assert "Traceback" not in done.stderr
    assert not isolated_env.exists()  # nothing trained, nothing written


def test_changed_plugin_code_is_checked_again_before_its_retraining(
    tmp_path: Path, isolated_env: Path
) -> None:
    """A completed run spares the check only while the plugin's code is the code that made it:
    once ToyData requires a new argument, the same command is refused, not skipped."""
    folder = write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    command = ("run", "paper=toy", "experiment=small", "logger=none")
    assert repro(*command, env=env).returncode == 0
    assert "already completed" in repro(*command, env=env).stdout
    data = folder / "data.py"
    data.write_text(
        data.read_text().replace(
            "def __init__(self, features, samples)", "def __init__(self, features, samples, noise)"
        )
    )
    refused = repro(*command, env=env)
    assert refused.returncode == 2 and "missing data key 'noise'" in refused.stderr, refused


def test_a_slurm_sweep_may_ask_for_gpus_the_login_node_lacks(isolated_env) -> None:
    """The accelerator check is about this machine: a SLURM sweep's jobs run on GPU nodes."""
    from tests.conftest import repro

    here = repro("run", "paper=mnist1d", "experiment=cnn", "trainer.accelerator=gpu")
    assert here.returncode == 2 and "no gpu on this machine" in here.stderr
    there = repro(
        "sweep",
        "paper=mnist1d",
        "experiment=cnn",
        "launcher=slurm",
        "slurm.gpus=1",
        "trainer.accelerator=gpu",
        "--dry-run",
    )
    assert there.returncode == 0, there.stderr


def test_devices_lightnings_cpu_refuses_are_named_before_the_run_on_a_cpu() -> None:
    """devices=-1 (or a list of GPUs) on a run landing on this CPU failed as
    Lightning's TypeError once its folder and a failed record existed; a null accelerator is
    Lightning's auto. A SLURM or Ray job's devices are another machine's: not checked here."""
    import torch

    from repro.config.checks import trainer_value_problems

    if torch.cuda.is_available():
        pytest.skip("the run would land on this machine's GPU")
    for accelerator in ("cpu", "auto", None):
        for devices in (-1, "-1", [0], "0,1"):
            (problem,) = trainer_value_problems({"accelerator": accelerator, "devices": devices})
            assert "on this CPU a positive number of processes" in problem
        for devices in (1, 2, "2", "auto", None):
            assert not trainer_value_problems({"accelerator": accelerator, "devices": devices})
    assert not trainer_value_problems({"devices": -1}, here=False)


@pytest.mark.parametrize(
    "trainer",
    [
        {"check_val_every_n_epoch": 0, "limit_val_batches": 0},
        {"check_val_every_n_epoch": 0, "limit_val_batches": 0.0},
        {"check_val_every_n_epoch": False, "limit_val_batches": 0},
        {"check_val_every_n_epoch": 0, "fast_dev_run": True},
        {"check_val_every_n_epoch": 0, "fast_dev_run": 3},
    ],
)
def test_a_validation_cadence_of_zero_is_taken_where_nothing_validates(
    trainer: dict[str, Any],
) -> None:
    """Lightning divides by check_val_every_n_epoch only when validation runs;
    with limit_val_batches=0 it trains, and fast_dev_run sets the cadence to 1 itself. The
    refusal stopped both, configs Lightning trains."""
    from repro.config.checks import trainer_value_problems

    assert not trainer_value_problems({"accelerator": "cpu", **trainer})
    validating = {**trainer, "limit_val_batches": 1, "fast_dev_run": False}
    assert trainer_value_problems({"accelerator": "cpu", **validating})  # divides by 0
    overfit = {**validating, "limit_val_batches": 0, "overfit_batches": 2}  # validates 2
    assert trainer_value_problems({"accelerator": "cpu", **overfit})


@pytest.mark.parametrize(
    ("max_time", "written"),
    [("abc", "'abc'"), ("00:10:00", "'00:10:00'"), (3600, "3600"), ({"hour": 1}, "{hour: 1}")],
)
def test_a_max_time_lightning_refuses_is_named_before_the_run(max_time: Any, written: str) -> None:
    """`+trainer.max_time=3600` (seconds, as a user may think) or '00:10:00'
    passed every check beside max_steps, then Lightning's Timer refused it (or failed with
    `AttributeError: 'int' object has no attribute 'total_seconds'`) once the run's folder
    and a failed record existed."""
    from repro.config.checks import trainer_value_problems

    trainer = {"accelerator": "cpu", "max_steps": 10, "max_time": max_time}
    (problem,) = trainer_value_problems(trainer)
    assert problem.startswith(f"trainer.max_time={written}: "), problem
    assert "DD:HH:MM:SS" in problem
    for fine in ("00:01:00:00", {"hours": 1}, None):
        assert not trainer_value_problems({**trainer, "max_time": fine})


@pytest.mark.parametrize(
    ("max_time", "written"),
    [("00:00:00:00", "'00:00:00:00'"), ({}, "{}"), ({"seconds": 0.0}, "{seconds: 0.0}")],
)
def test_a_max_time_of_no_time_is_named_before_the_run(max_time: Any, written: str) -> None:
    """`+trainer.max_time=00:00:00:00` (or `{}`, a negative time) passed every
    check, though Lightning's Timer stops such a run before its first step: it failed with
    'trained zero steps' once the run's folder and a failed record existed."""
    from repro.config.checks import trainer_value_problems

    trainer = {"accelerator": "cpu", "max_steps": 10, "max_time": max_time}
    (problem,) = trainer_value_problems(trainer)
    assert problem.startswith(f"trainer.max_time={written}: no time"), problem
    assert "trains nothing" in problem
    assert not trainer_value_problems({**trainer, "max_time": "00:00:00:01"})


@pytest.mark.parametrize(
    ("max_time", "written"),
    [
        ({"hours": -1}, "{hours: -1}"),
        ({"seconds": -5, "minutes": 1}, "{seconds: -5, minutes: 1}"),  # 55 s: a time
        ({"days": 1, "hours": -25}, "{days: 1, hours: -25}"),
        ({"milliseconds": -0.5}, "{milliseconds: -0.5}"),
    ],
)
def test_a_negative_max_time_is_named_as_typed(max_time: Any, written: str) -> None:
    """`+trainer.max_time={hours:-1}` was refused as `trainer.max_time={'hours': -1}: no
    time`, Python's spelling of a mapping, not the override's: as typed, and negative."""
    from repro.config.checks import trainer_value_problems

    trainer = {"accelerator": "cpu", "max_steps": 10, "max_time": max_time}
    problems = trainer_value_problems(trainer)
    if written.startswith("{seconds: -5"):
        assert not problems
        return
    (problem,) = problems
    assert problem.startswith(f"trainer.max_time={written}: a negative time, "), problem
    assert "trains nothing" in problem


@pytest.mark.parametrize(
    "key",
    [
        "limit_train_batches",
        "limit_val_batches",
        "val_check_interval",
        "overfit_batches",
        "gradient_clip_val",
        "log_every_n_steps",
        "num_sanity_val_steps",
    ],
)
def test_a_list_for_a_number_is_named_before_the_run(key: str) -> None:
    """`trainer.limit_train_batches=[0.1,0.5]` (a sweep written as Hydra's
    list, one value) passed every check, then failed the run with a bare TypeError (`'<='
    not supported between 'int' and 'list'`) once its folder and a failed record existed."""
    from repro.config.checks import trainer_value_problems

    for value in ([0.1, 0.5], {"a": 1}):
        if key == "val_check_interval" and isinstance(value, dict):
            continue  # timedelta's arguments: a time (refused as one)
        (problem,) = trainer_value_problems({"accelerator": "cpu", key: value})
        assert problem.startswith(f"trainer.{key}={value}: a number, not a "), problem


def test_barebones_is_named_before_the_run() -> None:
    """`+trainer.barebones=true` passed every check, then Lightning refused it
    once the run's folder and a failed record existed: repro always hands the Trainer what
    barebones turns off (its profiler; log_every_n_steps, loggers for the run's metrics)."""
    from repro.config.checks import trainer_value_problems

    for on in (True, 1):
        (problem,) = trainer_value_problems({"accelerator": "cpu", "barebones": on})
        assert problem.startswith(f"trainer.barebones={on}: "), problem
    for off in (False, 0, None):
        assert not trainer_value_problems({"accelerator": "cpu", "barebones": off})


@pytest.mark.parametrize("reload", [-1, 2.0, 0.5])
def test_a_reload_cadence_lightning_refuses_is_named_before_the_run(reload: Any) -> None:
    """`+trainer.reload_dataloaders_every_n_epochs=-1` (or 2.0) passed every
    check, then Lightning's Trainer refused it (`should be an int >= 0`) once the run's folder
    and a failed record existed."""
    from repro.config.checks import trainer_value_problems

    trainer = {"accelerator": "cpu", "reload_dataloaders_every_n_epochs": reload}
    (problem,) = trainer_value_problems(trainer)
    assert problem.startswith(f"trainer.reload_dataloaders_every_n_epochs={reload}: "), problem
    for fine in (0, 2, True, None):
        assert not trainer_value_problems({**trainer, "reload_dataloaders_every_n_epochs": fine})


@pytest.mark.parametrize("every", [-1, -2])
def test_a_negative_validation_cadence_is_named_before_the_run(every: int) -> None:
    """`trainer.check_val_every_n_epoch=-1` (meant as never, as max_epochs=-1 is
    no bound) passed every check, and Lightning validates where `(epoch + 1) % -1 == 0`:
    every epoch, as 1 does (-2 as 2), in a folder of its own. Taken where nothing validates."""
    from repro.config.checks import trainer_value_problems

    trainer = {"accelerator": "cpu", "check_val_every_n_epoch": every}
    (problem,) = trainer_value_problems(trainer)
    assert problem.startswith(f"trainer.check_val_every_n_epoch={every}: a positive integer")
    assert not trainer_value_problems({**trainer, "limit_val_batches": 0})
    assert not trainer_value_problems(trainer, validates=False)


@pytest.mark.parametrize("interval", [0, False])
@pytest.mark.parametrize("every", [1, None])
def test_a_validation_interval_of_zero_batches_is_named_before_the_run(
    interval: Any, every: Any
) -> None:
    """`+trainer.val_check_interval=0` (or false) passed every check, then the
    first epoch that validates failed as a bare `ZeroDivisionError: integer modulo by zero`
    once the run's folder and failed record existed (Lightning validates where the batch
    count divides by it). Taken where nothing validates."""
    from repro.config.checks import trainer_value_problems

    trainer = {
        "accelerator": "cpu",
        "val_check_interval": interval,
        "check_val_every_n_epoch": every,
    }
    (problem,) = trainer_value_problems(trainer)
    assert problem.startswith(f"trainer.val_check_interval={interval}: "), problem
    assert not trainer_value_problems({**trainer, "limit_val_batches": 0})
    assert not trainer_value_problems({**trainer, "fast_dev_run": True})
    assert not trainer_value_problems(trainer, validates=False)


def test_a_validation_interval_of_no_fraction_is_named_before_the_run() -> None:
    """`+trainer.val_check_interval=0.0` reads as "no validation", as
    limit_val_batches=0.0 does, but Lightning validates after every batch (`max(1,
    int(batches * 0.0))`): the run validated 40 times an epoch, as a setting of its own."""
    from repro.config.checks import trainer_value_problems

    trainer = {"accelerator": "cpu", "val_check_interval": 0.0}
    (problem,) = trainer_value_problems(trainer)
    assert problem.startswith("trainer.val_check_interval=0.0: "), problem
    assert "trainer.limit_val_batches=0" in problem and "every batch" in problem
    assert not trainer_value_problems({**trainer, "limit_val_batches": 0})
    assert not trainer_value_problems({**trainer, "val_check_interval": 0.5})


@pytest.mark.parametrize("interval", ["00:00:10:00", "00:00:00:01", {"minutes": 10}])
def test_validation_at_wall_clock_times_is_refused_before_the_run(interval: Any) -> None:
    """Lightning takes a time as val_check_interval (`'DD:HH:MM:SS'`, a dict of
    timedelta's arguments) and validates where that much time has passed, at an epoch's end
    too only then: on a faster machine at other steps, or never, so one setting's records
    held validation metrics of other steps, or none, by the machine they ran on."""
    from repro.config.checks import trainer_value_problems

    trainer = {"accelerator": "cpu", "val_check_interval": interval}
    (problem,) = trainer_value_problems(trainer)
    assert problem.startswith(f"trainer.val_check_interval={interval!r}: validation at "), problem
    assert "differ by machine" in problem
    assert not trainer_value_problems({**trainer, "fast_dev_run": True})  # Lightning drops it
    assert not trainer_value_problems({**trainer, "limit_val_batches": 0})  # nothing validates
    assert not trainer_value_problems(trainer, validates=False)


def test_the_cpu_check_resolves_auto_as_lightning_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """accelerator=auto lands on a GPU where torch sees one, and on a TPU where
    XLA does (Lightning asks XLA first): devices=-1 and a GPU list are not this CPU's."""
    import torch
    from lightning.fabric.accelerators.xla import XLAAccelerator

    from repro.config.checks import trainer_value_problems

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    for devices in (-1, "0,", [0, 1]):
        assert not trainer_value_problems({"accelerator": "auto", "devices": devices})
    assert trainer_value_problems({"accelerator": "cpu", "devices": -1})  # asked for the CPU
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert trainer_value_problems({"accelerator": "auto", "devices": -1})
    monkeypatch.setattr(XLAAccelerator, "is_available", staticmethod(lambda: True))
    assert not trainer_value_problems({"accelerator": "auto", "devices": -1})


@pytest.mark.parametrize("overfit", [2.5, -1, -0.5])
def test_an_overfit_batches_lightning_refuses_is_named_before_the_run(overfit: float) -> None:
    """Lightning's `_determine_batch_limits` reads overfit_batches first, under
    fast_dev_run too, and refused 2.5 or -1 once the run's folder and failed record existed;
    the batch-limit check left it out."""
    from repro.config.checks import trainer_value_problems

    for fast in (False, True):
        trainer = {"accelerator": "cpu", "overfit_batches": overfit, "fast_dev_run": fast}
        (problem,) = trainer_value_problems(trainer)
        assert problem.startswith(f"trainer.overfit_batches={overfit}: a fraction in [0.0, 1.0]")
    for fine in (0, 0.0, 0.1, 1, 1.0, 3, 3.0):
        assert not trainer_value_problems({"accelerator": "cpu", "overfit_batches": fine})


def test_a_validation_cadence_of_zero_is_taken_for_a_plugin_that_never_validates(
    toy: Any,
) -> None:
    """Lightning validates only a module with validation_step and data with a
    val_dataloader; amsgrad (and the toy) have none, so check_val_every_n_epoch=0 trains
    there, while repro refused it."""
    from repro.plugins.registry import plugin_from_folder

    zero = "trainer.check_val_every_n_epoch=0"
    papers = Path(__file__).parents[2] / "papers"
    mnist1d = plugin_from_folder(papers / "mnist1d")  # validates: Lightning divides by 0
    assert any(
        "check_val_every_n_epoch=0" in p for p in _problems(mnist1d, zero, experiment="logistic")
    )
    assert _problems(toy, zero) == []  # the toy module has no validation_step
    amsgrad = plugin_from_folder(papers / "amsgrad")
    assert _problems(amsgrad, zero, experiment="adam_online") == []


@pytest.mark.parametrize(
    "key",
    [
        "limit_train_batches",
        "limit_val_batches",
        "overfit_batches",
        "val_check_interval",
        "log_every_n_steps",
        "num_sanity_val_steps",
        "accumulate_grad_batches",
        "reload_dataloaders_every_n_epochs",
        "gradient_clip_val",
    ],
)
def test_a_number_given_as_text_is_named_before_the_run(key: str) -> None:
    """`trainer.limit_train_batches='5'` (quoted) passed every check, then
    Lightning failed the run with a bare TypeError once its folder and failed record existed;
    a time is the only text val_check_interval takes."""
    from repro.config.checks import trainer_value_problems

    (problem,) = trainer_value_problems({"accelerator": "cpu", key: "5"})
    assert problem.startswith(f"trainer.{key}='5': a number, not text"), problem
    assert not trainer_value_problems({"accelerator": "cpu", key: 5})
    timed = {"accelerator": "cpu", "val_check_interval": "00:00:10:00"}
    (problem,) = trainer_value_problems(timed)  # a time, refused as a time (below)
    assert "wall-clock" in problem and "not text" not in problem, problem
    fast = {"accelerator": "cpu", "limit_train_batches": "5", "fast_dev_run": True}
    assert not trainer_value_problems(fast)  # not read under fast_dev_run


def test_devices_true_is_taken_where_lightning_takes_it() -> None:
    """Lightning's CPU reads `devices=True` as one process (its GPUs refuse a
    bool), while repro refused it everywhere; hashed as 1 (tests/records/test_store.py)."""
    import torch

    from repro.config.checks import trainer_value_problems

    assert not trainer_value_problems({"accelerator": "cpu", "devices": True})
    if not torch.cuda.is_available():
        assert not trainer_value_problems({"accelerator": "auto", "devices": True})
    # a SLURM or Ray job asked for the CPU lands on a node's CPU, which takes it
    assert not trainer_value_problems({"accelerator": "cpu", "devices": True}, here=False)
    for accelerator in ("auto", "gpu", None):  # a GPU node's GPU would refuse it
        there = {"accelerator": accelerator, "devices": True}
        (problem,) = trainer_value_problems(there, here=False)
        assert problem.startswith("trainer.devices=True: write trainer.devices=1"), problem
    (problem,) = trainer_value_problems({"accelerator": "cpu", "devices": False})
    assert problem.startswith("trainer.devices=False: a positive number of devices"), problem


@pytest.mark.parametrize(
    ("trainer", "line"),
    [
        ({"deterministic": 1}, "trainer.deterministic=1: true, false, warn or null"),
        ({"deterministic": "WARN"}, "trainer.deterministic='WARN': true, false, warn or null"),
        ({"detect_anomaly": 1}, "trainer.detect_anomaly=1: true or false"),
        ({"benchmark": 0}, "trainer.benchmark=0: true, false or null"),
        ({"gradient_clip_algorithm": "nrm"}, "trainer.gradient_clip_algorithm='nrm': norm, value"),
        ({"fast_dev_run": -1}, "trainer.fast_dev_run=-1: true, false or a number of batches"),
        ({"fast_dev_run": 2.5}, "trainer.fast_dev_run=2.5: true, false or a number of batches"),
    ],
)
def test_a_switch_lightning_misreads_or_refuses_late_is_named_before_the_run(
    trainer: dict[str, Any], line: str
) -> None:
    """`trainer.deterministic=1` trained without deterministic algorithms (Lightning
    turns them on only for true or 'warn') while its record said 1; detect_anomaly=1,
    benchmark=0, an unknown clipping algorithm and fast_dev_run=-1 failed the run once its
    folder and failed record existed."""
    from repro.config.checks import trainer_value_problems

    (problem,) = trainer_value_problems({"accelerator": "cpu", **trainer})
    assert problem.startswith(line), problem
    for fine in (
        {"deterministic": True},
        {"deterministic": "warn"},
        {"deterministic": None},
        {"detect_anomaly": False},
        {"benchmark": None},
        {"gradient_clip_algorithm": "Value"},
        {"gradient_clip_algorithm": None},
        {"fast_dev_run": 3},
        {"fast_dev_run": True},
        {"fast_dev_run": None},  # left out: Lightning's false
        {"detect_anomaly": None},
    ):
        assert not trainer_value_problems({"accelerator": "cpu", **fine}), fine


def test_a_val_check_interval_past_the_epochs_batch_limit_is_named_before_the_run() -> None:
    """`val_check_interval=50 limit_train_batches=5` failed inside Lightning's
    fit (`must be less than or equal to the number of the training batches`) once the run's
    folder and failed record existed; across epochs (check_val_every_n_epoch=null) it is fine."""
    from repro.config.checks import trainer_value_problems

    for interval, limit in ((50, 5), (6, 5.0), (6.0, 5)):
        trainer = {"accelerator": "cpu", "val_check_interval": interval}
        (problem,) = trainer_value_problems({**trainer, "limit_train_batches": limit})
        assert problem.startswith(f"trainer.val_check_interval={interval}: more than the 5"), (
            problem
        )
    for fine in (
        {"val_check_interval": 5, "limit_train_batches": 5},
        {"val_check_interval": 50, "limit_train_batches": 0.5},  # the data decides
        {"val_check_interval": 50, "limit_train_batches": 5, "check_val_every_n_epoch": None},
        {"val_check_interval": 50, "limit_train_batches": 5, "limit_val_batches": 0},
        {"val_check_interval": 50, "limit_train_batches": 5, "fast_dev_run": True},
    ):
        assert not trainer_value_problems({"accelerator": "cpu", **fine}), fine
    # Lightning reads limit_train_batches=true as one batch (hashed as 1)
    one = {"accelerator": "cpu", "val_check_interval": 2, "limit_train_batches": True}
    (problem,) = trainer_value_problems(one)
    assert problem.startswith("trainer.val_check_interval=2: more than the 1 batches"), problem
    empty = {"accelerator": "cpu", "val_check_interval": 50, "limit_train_batches": 0}
    (problem,) = trainer_value_problems(empty)  # no epoch at all: that is the problem
    assert problem.startswith("trainer.limit_train_batches=0 trains nothing"), problem


@pytest.mark.parametrize("accumulate", [0, -1, 2.5, True])
def test_an_accumulation_lightning_misreads_is_named_before_the_run(accumulate: Any) -> None:
    """Lightning checks accumulate_grad_batches nowhere: -1 divided the loss by
    -1 (gradient ascent) and completed as the setting `accumulate_grad_batches=-1`, 2.5 stepped
    at batches 0, 5, 10, ..., and 0 failed the run once its folder existed."""
    from repro.config.checks import trainer_value_problems

    (problem,) = trainer_value_problems(
        {"accelerator": "cpu", "accumulate_grad_batches": accumulate}
    )
    assert problem.startswith(f"trainer.accumulate_grad_batches={accumulate}: a positive whole")
    for fine in (1, 1.0, 2, 2.0, None):
        assert not trainer_value_problems({"accelerator": "cpu", "accumulate_grad_batches": fine})


def test_clipping_or_accumulation_for_a_module_that_optimizes_itself_is_named_before_the_run(
    toy: Any,
) -> None:
    """amsgrad steps its optimiser itself (`automatic_optimization = False`), for
    which Lightning refuses gradient clipping and accumulation: the run failed once its folder
    and failed record existed. A clip that clips nothing (0) is what Lightning takes."""
    from repro.plugins.registry import plugin_from_folder

    amsgrad = plugin_from_folder(Path(__file__).parents[2] / "papers" / "amsgrad")
    for override, line in (
        ("+trainer.gradient_clip_val=1", "trainer.gradient_clip_val=1: "),
        ("+trainer.accumulate_grad_batches=2", "trainer.accumulate_grad_batches=2: "),
    ):
        (problem,) = _problems(amsgrad, override, experiment="adam_online")
        assert problem.startswith(line) and "optimizes manually" in problem, problem
        assert _problems(toy, override) == []  # the toy's steps are Lightning's
    assert _problems(amsgrad, "+trainer.gradient_clip_val=0", experiment="adam_online") == []
    # beside an unknown model key too: it was named only once that was fixed
    problems = _problems(
        amsgrad, "+model.lowr=0", "+trainer.gradient_clip_val=1", experiment="adam_online"
    )
    assert problems[0].startswith("unknown model key 'lowr'"), problems
    assert problems[1].startswith("trainer.gradient_clip_val=1: "), problems


@pytest.mark.parametrize(
    ("strategy", "line"),
    [
        ("nope", "trainer.strategy='nope': unknown (Lightning's: auto, ddp,"),
        ("ddp_spawn", "trainer.strategy='ddp_spawn': spawn-started ranks are not supported"),
        ("ddp_notebook", "trainer.strategy='ddp_notebook': fork-started ranks are not supported"),
        (3, "trainer.strategy=3: unknown"),
    ],
)
def test_a_strategy_repro_or_lightning_refuses_is_named_before_the_run(
    strategy: Any, line: str
) -> None:
    """an unknown strategy (Lightning's ValueError as the Trainer is built) and a
    spawned or forked one (refused by repro's launcher) failed once the run's folder and
    failed record existed."""
    from repro.config.checks import trainer_value_problems

    (problem,) = trainer_value_problems({"accelerator": "cpu", "strategy": strategy})
    assert problem.startswith(line), problem
    for fine in ("auto", "ddp", "DDP", "ddp_find_unused_parameters_true", None):
        assert not trainer_value_problems({"accelerator": "cpu", "strategy": fine}), fine


def test_a_strategy_this_machine_cannot_run_is_named_before_the_run() -> None:
    """`trainer.strategy=fsdp` on the CPU (Lightning: FSDP requires a GPU accelerator) and
    `deepspeed` where DeepSpeed is not installed passed the strategy check (both are names
    Lightning registers) and failed as the Trainer was built, once the run's folder and a
    failed record existed."""
    from lightning.fabric.strategies.deepspeed import _DEEPSPEED_AVAILABLE

    from repro.config.checks import trainer_value_problems

    for strategy in ("fsdp", "FSDP", "fsdp_cpu_offload"):
        (problem,) = trainer_value_problems({"accelerator": "cpu", "strategy": strategy})
        assert problem.startswith(f"trainer.strategy={strategy!r}: FSDP needs a GPU"), problem
    gpu = {"accelerator": "gpu", "strategy": "fsdp"}
    assert not trainer_value_problems(gpu, here=False)  # a SLURM job's GPUs
    if not _DEEPSPEED_AVAILABLE:
        (problem,) = trainer_value_problems({"accelerator": "cpu", "strategy": "deepspeed"})
        assert problem.startswith("trainer.strategy='deepspeed': DeepSpeed is not installed")
        assert not trainer_value_problems(
            {"accelerator": "cpu", "strategy": "deepspeed"}, here=False
        )


@pytest.mark.parametrize(
    ("trainer", "line"),
    [
        ({"limit_train_batches": 0}, "trainer.limit_train_batches=0 trains nothing"),
        ({"limit_train_batches": 0.0}, "trainer.limit_train_batches=0.0 trains nothing"),
        ({"limit_test_batches": 0}, "trainer.limit_test_batches=0 tests nothing"),
    ],
)
def test_a_batch_limit_of_zero_where_a_run_must_train_and_test_is_named_before_the_run(
    trainer: dict[str, Any], line: str
) -> None:
    """as `trainer.max_steps=0` (refused up front), a run limited to no training
    or no test batches can have no result; it failed only once its folder and failed record
    existed."""
    from repro.config.checks import trainer_value_problems

    (problem,) = trainer_value_problems({"accelerator": "cpu", **trainer})
    assert problem.startswith(line), problem
    for fine in (
        {**trainer, "fast_dev_run": True},  # Lightning's own limits then
        {"limit_train_batches": 0, "overfit_batches": 2},  # overfit's batches replace it
        {"limit_val_batches": 0},  # no validation: a run still has its result
    ):
        assert not trainer_value_problems({"accelerator": "cpu", **fine}), fine


@pytest.mark.parametrize(
    "override",
    [
        "~model",
        "~data",
        "~optimizer",
        "~trainer",
        "~paths",
        "~checkpoint",
        "~progress",
        "~model={}",
        "model=null",
        "+optimizer=null",
        "~paths.data_dir",
    ],
)
def test_a_section_removed_is_refused(override: str) -> None:
    """`~model` trained the module with its own defaults, and the record's config
    had no model section: the record did not say what ran (`~paths` was an internal error)."""
    from repro.config.checks import refuse_removed_sections

    with pytest.raises(UsageError, match="^" + override.partition("=")[0].replace("+", r"\+")):
        refuse_removed_sections(["experiment=cnn", override])


@pytest.mark.parametrize(
    "override", ["~model.dropout", "~trainer.deterministic", "~logger", "~debug", "model.x=null"]
)
def test_a_key_removed_or_an_optional_group_dropped_is_not_refused(override: str) -> None:
    """A key left out is named in the record (its absence is hashed, the report says
    `unset`); loggers and debug presets are not part of what trains."""
    from repro.config.checks import refuse_removed_sections

    refuse_removed_sections(["experiment=cnn", override])


def test_a_value_settings_yaml_leaves_mandatory_is_named_before_the_run(
    tmp_path: Path, isolated_env: Path
) -> None:
    """`samples: ???` (Hydra's mandatory value) not given on the command line reached the
    data module as the text '???': a bare TypeError once the run's folder and a failed record
    existed; named up front with the override that gives it."""
    folder = write_toy_paper(tmp_path / "plugins")
    settings = folder / "settings.yaml"
    settings.write_text(settings.read_text().replace("samples: 64", "samples: ???"))
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    done = repro("sweep", "paper=toy", "--dry-run", env=env)  # run: docs/errors.md's case
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "error: data.samples has no value (??? in the config): give data.samples=" in (
        done.stderr
    ), done.stderr
    assert not isolated_env.exists()  # nothing trained, nothing written


def test_a_completed_runs_config_nested_too_deeply_is_checked_again_not_a_crash(
    tmp_path: Path, isolated_env: Path
) -> None:
    """a completed run's config.yaml of 100000 nested lists (damaged, or hostile)
    ended `repro run` of that setting in 'internal error: RecursionError' as the override
    check read it to spare itself; the check runs, and the run is skipped as completed."""
    write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    run = ("run", "paper=toy", "experiment=small", "logger=none")
    assert repro(*run, env=env).returncode == 0
    config = next(isolated_env.rglob("config.yaml"))
    config.write_text("[" * 100_000 + "]" * 100_000)
    again = repro(*run, env=env)
    assert again.returncode == 0, again.stderr
    assert "already completed, skipped" in again.stdout


def test_a_dotted_key_in_a_plugin_file_is_told_to_nest(toy: Any) -> None:
    # `model.features: 8` in an experiment file is one key named with a dot (YAML does not
    # split it): it said only "unknown top-level key 'model.features'", no word of nesting
    (toy.folder / "experiment" / "small.yaml").write_text(
        "# @package _global_\nmodel.features: 8\n"
    )
    assert _problems(toy) == [
        "unknown top-level key 'model.features' in the config (a YAML file does not split "
        "a key at its dots: nest it, `model:` then `  features: 8` on the next line)"
    ]


def test_a_dotted_keys_nesting_hint_writes_its_value_as_yaml_reads_it(toy: Any) -> None:
    # `trainer.max_time: null` was told to nest as `  max_time: None`, which YAML reads as
    # the text 'None', and `model.name: "8"` as `  name: 8`, a number: the hint changed them
    (toy.folder / "experiment" / "small.yaml").write_text(
        "# @package _global_\ntrainer.max_time: null\nmodel.name: '8'\n"
    )
    problems = _problems(toy)
    assert any("`trainer:` then `  max_time: null` on the next line" in p for p in problems)
    assert any("`model:` then `  name: '8'` on the next line" in p for p in problems)
