"""The regenerate commands: overrides that recreate a recorded config."""

from __future__ import annotations

from pathlib import Path

from repro.plugins.registry import get_paper
from repro.reporting.regenerate import (
    config_overrides,
    default_configs,
    hydra_value,
    seed_override,
    sweep_commands,
)
from tests.conftest import write_toy_paper


def test_hydra_values() -> None:
    assert hydra_value(None) == "null"
    assert hydra_value(True) == "true"
    assert hydra_value(0.001) == "0.001"
    assert hydra_value("cnn") == "cnn"
    assert hydra_value("true") == "'true'"  # a string, not a bool
    assert hydra_value("a b,c") == "'a b,c'"
    assert hydra_value([1, "x"]) == "[1,x]"


def test_overrides_turn_the_default_into_the_recorded_config() -> None:
    default = {"trainer.max_steps": 6000, "optimizer.lr": 0.01, "model.dropout": 0.1}
    recorded = {"trainer.max_steps": 300, "optimizer.lr": 0.01, "model.extra": "yes"}
    assert config_overrides(recorded, default) == [
        "~model.dropout",
        "+model.extra=yes",
        "trainer.max_steps=300",
    ]
    # 1.0 where the paper has 1 is another config hash: the override says so
    assert config_overrides({"a": 1.0, "b": [0]}, {"a": 1, "b": [0.0]}) == ["a=1.0", "b=[0]"]


def test_seed_overrides() -> None:
    assert seed_override((0, 1, 2)) == "seeds=3"
    assert seed_override((5, 6, 7, 8)) == "seed=range(5,9)"
    assert seed_override((0, 2)) == "seed=0,2"


def test_sweep_commands_group_experiments() -> None:
    commands = sweep_commands(
        "mnist1d",
        ["cnn", "mlp"],
        {"cnn": ((0, 1), ["trainer.max_steps=300"]), "mlp": ((0, 1), ["trainer.max_steps=300"])},
        [],
    )
    assert commands == ["repro sweep paper=mnist1d seeds=2 trainer.max_steps=300"]
    split = sweep_commands(
        "mnist1d", ["cnn", "mlp"], {"cnn": ((0,), []), "mlp": ((0, 1), [])}, ["--papers-dir", "p"]
    )
    assert split == [
        "repro sweep --papers-dir p paper=mnist1d experiment=cnn seeds=1",
        "repro sweep --papers-dir p paper=mnist1d experiment=mlp seeds=2",
    ]


def test_fast_defaults_match_hydra_composing_each_experiment() -> None:
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    from repro.config.app import CONFIG_DIR, plugin_overrides
    from repro.records.table import flatten_config

    plugin = get_paper("mnist1d")
    experiments = list(plugin.spec().experiments)
    fast = default_configs(plugin.folder, "mnist1d", experiments)
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3", job_name="test"):
        for experiment in experiments:
            cfg = compose(
                "run",
                overrides=[
                    "paper=mnist1d",
                    f"experiment={experiment}",
                    *plugin_overrides(plugin.folder),
                ],
            )
            OmegaConf.set_struct(cfg, False)
            cfg.experiment_name = experiment
            full = OmegaConf.to_container(cfg, resolve=True)
            assert fast[experiment] == flatten_config(full, prefix="", lists_as_json=False)
    GlobalHydra.instance().clear()
    assert fast["cnn"]["model.arch"] == "cnn" and fast["mlp_shuffled"]["data.shuffle_seq"]


def test_the_advised_overrides_compose_the_recorded_config_hash(tmp_path: Path) -> None:
    """`model.x0=0` where the paper has 0.0 (another hash) was left out of the
    advised command (0 == 0.0), which trained the paper's setting instead, and two such
    settings merged into one command. Composing the advised overrides must give each record's
    config hash."""
    from repro.config.app import plugin_overrides
    from repro.config.compose import compose_run_config, hydra_compose_session
    from repro.records import store
    from repro.records.table import flatten_config
    from repro.reporting.regenerate import setting_overrides

    folder = write_toy_paper(tmp_path / "plugins", "toy")
    wiring = ["paper=toy", *plugin_overrides(folder)]
    defaults = default_configs(folder, "toy", ["small"])
    settings = (["data.features=4.0"], ["optimizer.lr=0.05", "data.samples=64.0"])
    with hydra_compose_session():
        recorded = [compose_run_config([*wiring, *overrides], "small") for overrides in settings]
    advised = [
        setting_overrides(
            folder, "toy", "small", flatten_config(c, prefix="", lists_as_json=False), defaults
        )
        for c in recorded
    ]
    assert advised == [["data.features=4.0"], ["data.samples=64.0"]]
    with hydra_compose_session():
        again = [compose_run_config([*wiring, *overrides], "small") for overrides in advised]
    assert [store.config_hash(c) for c in again] == [store.config_hash(c) for c in recorded]


def _pasted(command: str) -> list[str]:
    """The words bash hands `repro` when `command` is pasted into it."""
    import subprocess

    done = subprocess.run(
        ["bash", "-c", f"printf '%s\\0' {command.removeprefix('repro ')}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split("\0")[:-1]


def test_a_pasted_regenerate_line_gives_hydra_the_recorded_values() -> None:
    """A string trainer.max_time (`00:00:00:03`) was printed as
    `'+trainer.max_time='"'"'00:00:00:03'"'"''`, and a Windows-style path `C:\\data\\` came
    back from Hydra with every backslash doubled: another config, another hash."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    recorded = {
        "trainer.max_time": "00:00:00:03",
        "data.root": "C:\\data\\",
        "data.name": "it's a b,c",
        "data.other": "a\\'b",
        "data.path": "/tmp/$HOME dir",
    }
    overrides = config_overrides(recorded, {})
    (command,) = sweep_commands("toy", ["e"], {"e": ((0,), overrides)}, [])
    assert "'\"'\"'" not in command, command  # a line a person reads
    words = _pasted(command)
    assert words[:3] == ["sweep", "paper=toy", "seeds=1"], words
    parser = OverridesParser.create()
    parsed = {o.key_or_group: o.value() for o in parser.parse_overrides(words[3:])}
    assert parsed == recorded, (command, words)


def test_a_long_regenerate_command_is_continued_with_backslashes_a_pasted_copy_keeps() -> None:
    """The PDF and HTML report wrap a long command onto a second line, which a copy carries
    as a newline: pasted, the first line swept the paper's setting without the overrides and
    the second was no command. A long command is broken with ` \\` continuations instead, each
    line fitting the page, and bash reads the lines as the one command."""
    import subprocess

    from repro.reporting.regenerate import shell_lines

    (command,) = sweep_commands(
        "tiny",
        ["baseline"],
        {
            "baseline": (
                (0, 1),
                ["trainer.max_steps=100000", "+trainer.max_time='00:00:00:03'", "+x='a b c'"],
            )
        },
        ["--papers-dir", "/tmp/a folder/with a long name/papers"],
    )
    assert len(command) > 80
    text = shell_lines(command)
    lines = text.splitlines()
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines), lines
    assert all(line.endswith(" \\") for line in lines[:-1]), lines
    assert _pasted(text) == _pasted(command)
    assert shell_lines("repro report paper=tiny") == "repro report paper=tiny"
    done = subprocess.run(["bash", "-n", "-c", text], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
