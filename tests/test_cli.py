"""End-to-end: the real CLI in a subprocess, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, Terminal, repro, write_toy_paper

FAST_CNN = ("run", "paper=mnist1d", "experiment=cnn", "debug=fast")


def _only_record(results: Path) -> tuple[Path, dict]:
    records = list(results.rglob("record.json"))
    assert len(records) == 1, records
    return records[0].parent, json.loads(records[0].read_text())


def test_help_lists_commands() -> None:
    done = repro("--help")
    assert done.returncode == 0
    for command in ("papers", "show", "run"):
        assert command in done.stdout


def test_papers_and_show() -> None:
    assert "mnist1d" in repro("papers").stdout
    shown = repro("show", "mnist1d")
    assert shown.returncode == 0
    assert "cnn_acc" in shown.stdout and "README table" in shown.stdout


def test_run_writes_a_complete_record_then_skips(isolated_env: Path) -> None:
    done = repro(*FAST_CNN, "logger=default")
    assert done.returncode == 0, done.stderr
    folder, record = _only_record(isolated_env)
    assert folder.relative_to(isolated_env).parts[:2] == ("mnist1d", "cnn")
    assert folder.name == "seed0"
    assert record["status"] == "completed" and record["error"] is None
    assert 0.0 <= record["metrics"]["test/acc"] <= 1.0
    assert record["timing"]["steps"] == 5 and record["timing"]["steps_per_s"] > 0
    assert record["timing"]["wall_s"] > 0
    env = record["environment"]
    assert env["torch"] and env["python"] and env["hostname"] and "dirty" in env["git"]
    assert env["packages"]["lightning"]
    assert record["model"]["parameters"] == 5210
    assert record["data"] == {"train": 4000, "test": 1000}
    config = yaml.safe_load((folder / "config.yaml").read_text())
    assert config["model"]["arch"] == "cnn" and config["trainer"]["max_steps"] == 5
    assert (folder / "csv" / "metrics.csv").read_text().startswith("epoch,step")
    assert list((folder / "wandb").glob("offline-run-*/run-*.wandb"))
    assert "WARNING" not in done.stderr, done.stderr  # no library noise on a healthy run

    again = repro(*FAST_CNN, "logger=default")
    assert again.returncode == 0
    assert "already completed" in again.stdout
    assert _only_record(isolated_env)[1]["timing"] == record["timing"]


def test_override_changes_config_and_folder(isolated_env: Path) -> None:
    done = repro(
        "run",
        "paper=mnist1d",
        "experiment=mlp",
        "debug=fast",
        "model.hidden=8",
        "trainer.max_steps=3",
        "logger=none",
    )
    assert done.returncode == 0, done.stderr
    folder, record = _only_record(isolated_env)
    assert record["model"]["parameters"] == 40 * 8 + 8 + 8 * 8 + 8 + 8 * 10 + 10
    assert record["timing"]["steps"] == 3
    assert not (folder / "csv").exists() and not (folder / "wandb").exists()


def test_cfg_job_prints_config_without_training(isolated_env: Path) -> None:
    done = repro("run", "paper=mnist1d", "experiment=gru", "--cfg", "job")
    assert done.returncode == 0, done.stderr
    assert "arch: gru" in done.stdout
    assert not isolated_env.exists()


@pytest.mark.parametrize("flags", [("--cfg", "job"), ("--cfg=all",), ("-c", "job")])
def test_a_printed_config_says_its_interpolations_are_unresolved(
    isolated_env: Path, flags: tuple[str, ...]
) -> None:
    """`--cfg job` printed `results_dir: ${oc.env:REPRO_RESULTS_DIR,results}` and
    `experiment_name: ${hydra:runtime.choices.experiment}` with no word that these are not
    the values the run uses; Hydra's `--resolve` prints those."""
    done = repro("run", "paper=mnist1d", "experiment=gru", *flags)
    assert done.returncode == 0, done.stderr
    assert "${" in done.stdout, done.stdout
    assert "unresolved" in done.stderr and "--resolve" in done.stderr, done.stderr
    resolved = repro("run", "paper=mnist1d", "experiment=gru", *flags, "--resolve")
    assert resolved.returncode == 0, resolved.stderr
    assert "${" not in resolved.stdout and "--resolve" not in resolved.stderr, resolved
    assert "experiment_name: gru" in resolved.stdout, resolved.stdout
    assert not isolated_env.exists()


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_bare_experiment_name_is_read_as_experiment_equals(command: str) -> None:
    # `repro run mnist1d cnn` said "choose an experiment", and `repro sweep mnist1d cnn`
    # "unknown config key 'cnn'": neither named experiment=cnn
    done = repro(command, "mnist1d", "cnn", "--dry-run" if command == "sweep" else "--cfg=job")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.strip() == "error: 'cnn' alone is no override: write experiment=cnn"


def test_run_without_experiment_names_the_papers_experiments(tmp_path: Path) -> None:
    # it said "(see `repro show <paper>`)": a placeholder, and for a plugin from a papers
    # folder that command answered "unknown paper"
    write_toy_paper(tmp_path / "mine")
    done = repro("run", "paper=toy", "--papers-dir", str(tmp_path / "mine"))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.strip() == (
        "error: choose an experiment of toy: experiment=<name> (known: small, wide)"
    )


@pytest.mark.parametrize("flag", ["--cfg=job", "--info=config", "-h", "--version"])
def test_a_print_only_flag_with_its_value_after_equals_needs_no_experiment(flag: str) -> None:
    # `--cfg job` printed the config without experiment=; `--cfg=job` (argparse's other
    # spelling, which Hydra reads alike) was refused as 'choose an experiment', and so was
    # Hydra's `-h`, the app's help with its config groups
    done = repro("run", "paper=mnist1d", flag)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "choose an experiment" not in done.stderr


def test_printing_the_config_of_an_fp16_setting_on_a_cpu_is_no_run_refused() -> None:
    # `--cfg job` prints the config and runs nothing, so no record claims fp16: it was refused
    # as 'fp16 mixed precision needs a GPU' (35c99e8) on the laptop a GPU job is prepared on
    done = repro(
        "run", "paper=mnist1d", "experiment=logistic", "trainer.precision=16", "--cfg", "job"
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "precision: 16" in done.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("paper=nope",), "unknown paper 'nope' (known: "),
        (("experiment=cnn",), "missing paper=<id>"),
        (("paper=mnist1d", "experiment=resnet"), "unknown experiment 'resnet'"),
        (("paper=mnist1d", "experiment=cnn", "model.depth=3"), "unknown config key 'model.depth'"),
        (("paper=mnist1d", "experiment=cnn", "launcher=nope"), "unknown launcher 'nope'"),
        (("paper=mnist1d",), "choose an experiment"),
        (("paper=mnist1d", "experiment=cnn", "seed=abc"), "seed must be an integer"),
        (("paper=mnist1d", "experiment=cnn", "seed=1,2"), "has several values"),
        (("paper=../x", "experiment=cnn"), "invalid paper id"),
        # Hydra's ValueError 'Only one of --run, --multirun, --cfg, ...': an internal error
        (("paper=mnist1d", "experiment=cnn", "-m", "seed=0,1", "--cfg", "job"), "-m and --cfg"),
        (("paper=mnist1d", "experiment=cnn", "--info", "-m"), "-m and --info"),
    ],
)
def test_bad_input_gets_one_line_and_exit_2(arguments: tuple[str, ...], message: str) -> None:
    done = repro("run", *arguments)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert "Traceback" not in done.stderr


def _rerun_recorded(record: dict, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The record's command pasted into a shell, from the folder it was run in."""
    bin_dir = str(Path(sys.executable).parent)  # where the `repro` console script lives
    return subprocess.run(
        ["bash", "-c", record["command"]],
        capture_output=True,
        text=True,
        cwd=record["cwd"],
        env={**os.environ, **env, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
        timeout=300,
    )


def test_recorded_command_reruns_the_same_run(tmp_path: Path, isolated_env: Path) -> None:
    write_toy_paper(tmp_path / "plugins")
    done = repro(
        "run", "--papers-dir", "plugins", "paper=toy", "experiment=small", "logger=none",
        "trainer.max_steps=3",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record_dir, record = _only_record(isolated_env)
    assert record["command"] == (
        f"repro run --papers-dir {tmp_path / 'plugins'} paper=toy experiment=small logger=none "
        "trainer.max_steps=3"
    )
    assert record["cwd"] == str(tmp_path)
    again = _rerun_recorded(record, {})
    assert again.returncode == 0, again.stderr
    mse = record["metrics"]["test/mse"]
    assert f"already completed, skipped: test/mse={mse:.4g}" in again.stdout
    assert f"-> {Path(record_dir).relative_to(tmp_path)}" in again.stdout  # as run from there


@pytest.mark.parametrize("multirun", [False, True], ids=["sweep", "run -m"])
def test_recorded_command_of_a_job_reruns_that_job(
    tmp_path: Path, isolated_env: Path, multirun: bool
) -> None:
    """A sweep's job (or a multirun's) records its own `repro run`, without repro's wiring."""
    write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    arguments = (
        ("run", "-m", "paper=toy", "experiment=small", "seed=0,1")
        if multirun
        else ("sweep", "paper=toy", "experiment=small")
    )
    done = repro(*arguments, "logger=none", "trainer.max_steps=3", env=env)
    assert done.returncode == 0, done.stderr
    records = sorted(isolated_env.rglob("record.json"))
    assert len(records) == 2
    for path in records:
        record = json.loads(path.read_text())
        command = record["command"]
        # found through REPRO_PAPERS_PATH: named, so pasting finds the same plugin
        assert command.startswith(f"repro run --papers-dir {tmp_path / 'plugins' / 'toy'} ")
        assert f"seed={record['seed']}" in command and "experiment=small" in command
        for wiring in ("hydra.", "paper_dir", "paths.results_dir", "-m", ","):
            assert wiring not in command, command
        again = _rerun_recorded(record, env)
        assert again.returncode == 0, again.stderr
        assert "already completed, skipped" in again.stdout
        assert f"-> {path.parent.relative_to(record['cwd'])}" in again.stdout


# ---- CLI conventions (issue #12, point 6) -------------------------------------------------


def test_version_prints_the_package_version() -> None:
    from importlib.metadata import version

    done = repro("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"repro {version('repro')} from {REPO / 'repro'}"


def test_help_shows_whole_descriptions_and_plain_metavars() -> None:
    top = repro("--help").stdout
    commands = top.split("Commands:")[1].splitlines()
    assert not [line for line in commands if line.endswith("...")], top
    assert "<list" not in top and "--install-completion" in top
    for command in ("run", "sweep", "papers", "show", "check", "report", "new"):
        text = repro(command, "--help").stdout
        assert "<list" not in text and "[Path]" not in text, text
        assert "<path>" not in text, text  # `repro new --papers-dir <path>`: DIR elsewhere


def test_papers_help_says_the_order_the_table_has(tmp_path: Path) -> None:
    """`repro papers --help` said it lists plugins 'in the order they are searched', but the
    table is sorted by id: the search order decides which of two same-named plugins wins."""
    text = " ".join(repro("papers", "--help").stdout.split())
    assert "in the order they are searched" not in text, text
    assert "by id" in text and "first found wins" in text, text
    made = repro("new", "zzz_last", "--papers-dir", "plugins", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    listed = repro("papers", "--papers-dir", "plugins", cwd=tmp_path).stdout.splitlines()[1:]
    ids = [line.split()[0] for line in listed]
    assert ids == sorted(ids) and ids[-1] == "zzz_last", listed


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("papers", "repro papers [OPTIONS]"),
        ("show", "repro show [OPTIONS] PAPER"),
        ("new", "repro new [OPTIONS] PAPER_ID"),
        ("check", "repro check [OPTIONS] [PAPER]"),
        ("report", "repro report [OPTIONS] [paper=ID[,ID...]]"),
        ("sync", "repro sync [OPTIONS] [paper=ID]"),
    ],
)
def test_usage_lines_name_their_arguments_plainly(command: str, usage: str) -> None:
    """Typer 0.2x writes a required argument as `{paper}` on the usage line, which reads as an
    unrendered template placeholder (`repro show [OPTIONS] {paper}`)."""
    text = repro(command, "--help").stdout
    first = " ".join(text.split("\n\n")[0].split()).replace("python -m repro", "repro")
    assert first == f"Usage: {usage}", text
    assert "{" not in text and "}" not in text, text


@pytest.mark.parametrize(("command", "name"), [("show", "PAPER"), ("new", "PAPER_ID")])
def test_an_argument_has_one_name_in_usage_help_and_error(command: str, name: str) -> None:
    """The usage line said `PAPER` while the Arguments section said `paper <str>` and a
    missing one was refused as `'paper'`: three spellings of one word."""
    text = repro(command, "--help").stdout
    arguments = text.split("Arguments:")[1].split("Options:")[0]
    assert arguments.split()[0] == name, text
    done = repro(command)
    assert done.returncode == 2
    assert f"error: missing argument '{name}'" in done.stderr, done.stderr


@pytest.mark.parametrize("command", ["show", "check", "new"])
def test_an_arguments_help_row_names_it_without_a_type(command: str) -> None:
    """`repro new --help` listed `PAPER_ID <str>`: Typer's type tag, noise beside a name that
    says what to type (an id), where every option reads `--papers-dir DIR`."""
    text = repro(command, "--help").stdout
    arguments = text.split("Arguments:")[1].split("Options:")[0]
    assert "<" not in arguments and ">" not in arguments, arguments


def test_every_help_fits_an_80_column_terminal() -> None:
    """`repro sweep --help` ended with a block of sweep keys that Click does not rewrap, 90
    characters wide: each line broke mid-word in an 80-column terminal."""
    for command in ("", "papers", "show", "run", "sweep", "new", "check", "report", "sync"):
        text = repro(*command.split(), "--help", env={"COLUMNS": "80"}).stdout
        assert text.strip(), command
        wide = [line for line in text.splitlines() if len(line) > 80]
        assert not wide, (command, wide)


@pytest.mark.parametrize("columns", [60, 40])
def test_sweeps_table_of_keys_fits_a_narrow_terminal_and_names_every_key(columns: int) -> None:
    """The table of keys ending `repro sweep --help` was laid out by hand, 78 columns wide
    whatever the terminal: at 60 columns every row broke mid-word."""
    text = repro("sweep", "--help", env={"COLUMNS": str(columns)}).stdout
    table = text.split("Keys of `repro sweep`")[1]
    wide = [line for line in table.splitlines() if len(line) > columns]
    assert not wide, wide
    words = " ".join(table.split())
    for key in ("seeds=N", "max_seeds=N", "seeds_together=", "launcher=", "slurm_local"):
        assert key in words, words
    for key in ("partition", "time_min", "gpus", "cpus", "mem_gb", "account", "max_parallel"):
        assert f"slurm.{key}=" in words, words


def test_every_help_fits_a_40_column_terminal() -> None:
    """Click lays help out at least 50 columns wide, whatever the terminal: at 40 columns
    every long line of every `--help` was broken by the terminal mid-word (`Show tracebacks
    on erro|rs.`). Help now takes the terminal's width, sweep's table of keys too."""
    for command in ("", "papers", "show", "run", "sweep", "new", "check", "report", "sync"):
        text = repro(*command.split(), "--help", env={"COLUMNS": "40"}).stdout
        assert text.strip(), command
        wide = [line for line in text.splitlines() if len(line) > 40]
        assert not wide, (command, wide)


@pytest.mark.parametrize(
    "arguments",
    [
        ("-h",),
        ("papers", "-h"),
        ("show", "-h"),
        ("sweep", "-h"),
        ("report", "-h"),
        ("new", "-h"),
        ("run", "-h"),
    ],
)
def test_dash_h_is_help_except_where_hydra_owns_it(arguments: tuple[str, ...]) -> None:
    """`repro -h` was 'unknown option -h', `repro report -h` 'unexpected argument', `repro run
    -h` 'missing paper=<id>'; `repro run paper=X -h` stays Hydra's help of the composed config
    (the test above)."""
    done = repro(*arguments)
    assert done.returncode == 0, done.stderr
    assert done.stdout == repro(*arguments[:-1], "--help").stdout


def test_run_help_lists_dash_h_like_every_other_command() -> None:
    """`repro run -h` is run's help, yet its Options listed only `--help` while every other
    command's lists `-h, --help`."""
    done = repro("run", "--help")
    assert done.returncode == 0, done.stderr
    options = done.stdout.split("Options:")[1]
    assert "-h, --help" in options
    assert "Hydra" in options  # with paper=ID, `-h` is Hydra's help of that config


def test_a_table_fits_the_terminal_it_is_printed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables were at least 120 columns wide in any terminal: in an 80- or 100-column one each
    row of `repro papers` broke in two at the terminal's edge. They fold long cells instead."""
    import re

    from repro.cli import _print_table

    title = "Set Transformer: A Framework for Attention-based Permutation-Invariant Networks"
    for columns in (80, 100):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stdout", terminal)
        monkeypatch.setenv("COLUMNS", str(columns))
        _print_table(("paper", "title", "from"), [("set_transformer", title, "built-in")])
        lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
        assert max(len(line) for line in lines) <= columns, lines
        assert " ".join(" ".join(lines).split()).count("Permutation-Invariant") == 1, lines
        assert "set_transformer" in lines[1] and "built-in" in lines[1], lines  # names whole


def test_papers_and_show_keep_every_id_whole_at_80_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 80 columns `repro papers` folded `set_transfor|mer` and `repro show mnist1d` folded
    every claim id (`logistic|_acc`) and its headers (`experime|nt`, `toleranc|e`): an id read
    or copied off the screen was wrong. Names stay whole; text wraps, or goes below the table."""
    import re

    from repro.cli import papers, show
    from repro.plugins.registry import get_paper

    monkeypatch.setenv("COLUMNS", "80")
    for command, names in (
        (papers, ["set_transformer", "perm_optim", "experiments"]),
        (
            lambda: show("mnist1d"),
            [c.id for c in get_paper("mnist1d").spec().claims] + ["experiment", "within"],
        ),
    ):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stdout", terminal)
        command()
        lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
        words = {word.rstrip(":") for line in lines if len(line) <= 80 for word in line.split()}
        assert not [name for name in names if name not in words], lines
        assert (
            "README table, greydanus/mnist1d (test accuracy, MLP)"
            in " ".join(" ".join(lines).split())
            or command is papers
        ), lines


def test_shows_claims_table_keeps_claim_and_experiment_names_whole_at_80_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 80 columns `repro show amsgrad` folded every claim id (`adam_online_|x`, its empty
    `within` column taking room) and `repro show set_transformer` every experiment name
    (`deepsets_me|an`, a comparison's rival named twice): copied off the screen, wrong."""
    import re

    from repro.cli import show
    from repro.plugins.registry import get_paper

    monkeypatch.setenv("COLUMNS", "80")
    for paper in ("amsgrad", "set_transformer", "mnist1d"):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stdout", terminal)
        show(paper)
        lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
        table = lines[next(i for i, line in enumerate(lines) if line.startswith("claims")) :]
        table = table[: next(i for i, line in enumerate(table) if not line.strip())]
        assert max(len(line) for line in table) <= 80, table
        words = {word for line in table for word in line.split()}
        for claim in get_paper(paper).spec().claims:
            names = [claim.id, claim.metric, *claim.experiments()]
            assert not [name for name in names if name not in words], (paper, table)


def test_a_name_as_wide_as_the_terminal_stays_on_one_line_at_40_columns(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """At 40 columns a 40-character experiment (and run) name was indented under its label
    (`    experiment_...`): 44 columns, which the terminal broke at its edge (`..._nam|e`). A
    name that fits the line only unindented goes whole, at the line's start."""
    import re

    from repro.cli import _print_table

    name = "baseline_with_a_longer_experiment_name_x"
    assert len(name) == 40
    monkeypatch.setenv("COLUMNS", "40")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    _print_table(
        ("claim", "experiment", "metric", "claimed"),
        [("short_claim", name, "test/mse", "0.25"), (name, "wide", "test/mse", "0.5")],
    )
    lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
    assert max(len(line) for line in lines) <= 40, lines
    assert lines.count(name) == 2, lines


def test_papers_and_show_keep_every_name_whole_at_60_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 60 columns (a split terminal) `repro show mnist1d` folded every claim id, metric and
    experiment name mid-name (`logisti|c_acc`, `test/ac|c`, `claime|d`): the names left for
    the text columns were already wider than the terminal. Such a table prints one block per
    row instead, each name whole."""
    import re

    from repro.cli import papers, show
    from repro.plugins.registry import discover, get_paper

    monkeypatch.setenv("COLUMNS", "60")
    commands = [(papers, ["set_transformer", "perm_optim", "mnist1d"])]
    for paper in sorted(discover()):
        spec = get_paper(paper).spec()
        names = [n for c in spec.claims for n in (c.id, c.metric, *c.experiments())]
        commands.append((lambda paper=paper: show(paper), [*names, *spec.experiments]))
    for command, names in commands:
        terminal = Terminal()
        monkeypatch.setattr(sys, "stdout", terminal)
        command()
        lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
        words = {w.strip(":,;()") for line in lines if len(line) <= 60 for w in line.split()}
        assert not [name for name in names if name not in words], lines


def test_shows_to_reproduce_commands_fit_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """`repro show set_transformer`'s title (86 characters) and `To reproduce:` lines were cut by an
    80-column terminal inside a word (`complete|d runs`, `reports/set_trans|former/`). Each
    command stays whole on its line; its comment wraps onto `#` lines a shell also takes."""
    import re

    from repro.cli import show

    monkeypatch.setenv("COLUMNS", "80")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    show("set_transformer")
    lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    below = lines[lines.index("To reproduce:") + 1 :]
    assert [line.split("#")[0].strip() for line in below if not line.strip().startswith("#")] == [
        "repro sweep paper=set_transformer",
        "repro report paper=set_transformer",
    ], below
    text = " ".join(" ".join(line.strip().lstrip("#") for line in below).split())
    assert "skips completed runs" in text and "in reports/set_transformer/" in text, below


def test_usage_and_internal_error_lines_wrap_at_whole_words_at_80_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`error:` lines of a command's own errors wrapped at whole words on a terminal, but a
    usage error found before the command ran (`_refuse`: a mistyped option, Click's message
    with its hint) and an internal error's one line were printed whole, and an 80-column
    terminal cut them inside words."""

    import typer

    from repro.cli import _refuse, reports_errors
    from repro.errors import UsageError

    words = "no such option: --formats (did you mean --format?); see `repro report --help` now"

    @reports_errors
    def command() -> None:
        raise RuntimeError(words)

    monkeypatch.setenv("COLUMNS", "80")
    for call in (lambda: _refuse(UsageError(words)), command):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        with pytest.raises(typer.Exit):
            call()
        lines = terminal.getvalue().splitlines()
        assert max(len(line) for line in lines) <= 80, lines
        assert lines[0].startswith("error: ") and words in " ".join(" ".join(lines).split())


def test_show_of_a_paper_without_claims_says_what_its_sweep_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`repro show dspn` (no claims) said `repro sweep paper=dspn  # 0 experiments × 5 seeds`
    and `verdict per claim` under an empty claims table, while that sweep trains all 3 of its
    experiments (15 runs of a GPU week each): the comment names what the sweep runs."""
    from repro.cli import show

    show("dspn")
    out = capsys.readouterr().out
    assert "0 experiments" not in out and "3 experiments × 5 seeds" in out, out
    assert "verdict per claim" not in out and " claim  experiment " not in out, out
    assert "no claims" in out, out


def test_an_error_line_wraps_at_whole_words_at_80_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every command's `error:` line (reports_errors), often over 80 characters (`repro report
    paper=mnist1d` with no records: `... make them with `repro s|weep paper=mnist1d``), was
    cut inside words by an 80-column terminal; it wraps at whole words there, whole in a pipe."""

    import typer

    from repro.cli import reports_errors
    from repro.errors import ReproError

    message = (
        "no run records for paper 'mnist1d' under results: make them with "
        "`repro sweep paper=mnist1d` and then run this command again please"
    )

    @reports_errors
    def command() -> None:
        raise ReproError(message)

    monkeypatch.setenv("COLUMNS", "80")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with pytest.raises(typer.Exit):
        command()
    lines = terminal.getvalue().splitlines()
    assert len(lines) > 1 and max(len(line) for line in lines) <= 80, lines
    assert " ".join(" ".join(lines).split()) == f"error: {message}", lines


def test_papers_wraps_titles_at_whole_words_at_80_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 80 columns `repro papers` gave the titles 12 columns while the venue and origin kept
    theirs whole, so Rich cut the titles' longer words (`Representati|ons`, `Attention-ba|sed`);
    a column of text gets at least its longest word where the names leave room for that."""
    import re

    from repro.cli import papers
    from repro.plugins.registry import BUILTIN_PAPERS, get_paper

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("REPRO_PAPERS_PATH", "")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    papers()
    lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
    assert max(len(line) for line in lines) <= 80, lines
    words = {word for line in lines for word in line.split()}
    for folder in sorted(BUILTIN_PAPERS.iterdir()):
        if (folder / "paper.yaml").is_file():
            title = get_paper(folder.name).spec().title
            assert not [w for w in title.split() if w not in words], (title, lines)


def test_show_wraps_its_notes_and_sources_at_whole_words_at_80_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 80 columns `repro show mnist1d` printed its notes as one line, and each source below
    the claims table as one, which the terminal then cut inside words (`repo|rt`,
    `regress|ion`); they are wrapped at whole words to the terminal's width."""
    import re

    from repro.cli import show
    from repro.plugins.registry import get_paper

    monkeypatch.setenv("COLUMNS", "80")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    show("mnist1d")
    lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    text = " ".join(" ".join(lines).split())
    spec = get_paper("mnist1d").spec()
    assert " ".join(spec.notes.split()) in text  # every word whole, in order
    for claim in spec.claims:
        assert f"{claim.id}: {' '.join(claim.source.split())}" in text


def test_a_dry_runs_lines_wrap_at_whole_words_at_80_columns(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """At 80 columns `repro sweep --dry-run`'s plan line (`... 3 to run, 0 already comp|leted`)
    and its other plain lines were printed whole, which the terminal cut inside words; they
    wrap at whole words, as `repro show`'s notes do."""
    import re

    from repro.cli import app

    write_toy_paper(tmp_path / "plugins")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("REPRO_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.chdir(tmp_path)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    plugins = str(tmp_path / "plugins")
    app(
        ["sweep", "--papers-dir", plugins, "paper=toy", "seeds=3", "--dry-run"],
        standalone_mode=False,
    )
    lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    text = " ".join(" ".join(lines).split())
    assert "3 to run, 0 already completed" in text, lines
    assert "seeds together: off (seeds_together=true to train a setting's seeds at once)" in text


def test_a_sweeps_max_time_warning_wraps_at_whole_words_at_80_columns(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The warning of a completed run trainer.max_time ended short, below a sweep's table
    (whose `already completed`
    says nothing of it), was one 230-character line on stderr, cut
    inside words by an 80-column terminal."""
    import re

    from repro.cli import _warn_stopped_short

    folder = tmp_path / "results" / "toy" / "small" / "aa6d817486" / "seed0"
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text("trainer: {max_steps: 20, max_time: '00:00:00:03'}\n")
    record = {"paper": "toy", "experiment": "small", "seed": 0, "config_hash": "aa6d817486"}
    record |= {"status": "completed", "timing": {"steps": 10, "stopped_by": "max_time"}}
    (folder / "record.json").write_text(json.dumps(record))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    _warn_stopped_short([folder])
    lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
    assert max(len(line) for line in lines) <= 80, lines
    text = " ".join(" ".join(lines).split())
    assert text.startswith("warning: results/toy/small/aa6d817486/seed0: trainer.max_time="), text
    assert "a report leaves this run out of every verdict" in text, text


def test_a_sweeps_record_paths_stay_whole_at_80_columns(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """At 80 columns the sweep's table folded each record path inside its column
    (`results/mnist1d/logist` / `ic/e07871121a/seed0`): no path could be read or copied. Now
    a table too wide for the terminal has its folders below it, each whole on one line."""
    import re
    from types import SimpleNamespace

    from repro.cli import _print_results

    monkeypatch.chdir(tmp_path)
    base = tmp_path / "results" / "mnist1d"
    results = [
        SimpleNamespace(
            run=SimpleNamespace(
                experiment=experiment,
                seed=seed,
                fixed=(),
                record_dir=base / experiment / "e07871121a" / f"seed{seed}",
            ),
            result="trained",
            wall_s=0.1,
            detail="test/acc=0.236, test/loss=1.91, train/loss=1.976",
        )
        for experiment in ("logistic", "logistic_shuffled")
        for seed in (0, 1)
    ]
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("COLUMNS", "80")
    _print_results(results)
    text = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue())
    lines = text.splitlines()  # the table, its folders, then the counts
    assert max(len(line) for line in lines) <= 80, lines
    counts = "4 trained, 0 already completed, 0 failed, 0 missing"
    assert counts in " ".join(" ".join(lines).split()), lines  # wrapped at whole words
    for experiment in ("logistic", "logistic_shuffled"):  # each setting's folder, one line
        assert f"  results/mnist1d/{experiment}/e07871121a/ seed0 seed1" in lines, text
    assert "e078711" not in lines[1], text  # not in the rows, folded


def test_record_folders_below_a_table_say_which_setting_each_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Below a grid's table at 80 columns, `results/cc/baseline/611ce56f77/ seed0 seed1` and
    five more of baseline were listed with nothing saying which setting (overrides) each
    held: the rows' experiment and seed no longer told them apart. Each line names its own."""
    import re

    from repro.cli import _print_table

    settings = {"a1b2c3d4e5": "data.samples=64 optimizer.lr=0.01", "f6a7b8c9d0": ""}
    rows = [
        (
            "baseline",
            str(seed),
            overrides,
            "to run",
            "unknown",
            f"results/cc/baseline/{h}/seed{seed}",
        )
        for h, overrides in settings.items()
        for seed in (0, 1)
    ]
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("COLUMNS", "80")
    header = ("experiment", "seed", "overrides", "state", "estimate", "record")
    _print_table(header, rows, "record")
    lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
    assert max(len(line) for line in lines) <= 80, lines
    below = " ".join(" ".join(lines[lines.index("records:") :]).split())
    for folder, overrides in settings.items():
        assert (
            f"results/cc/baseline/{folder}/ seed0 seed1 ({overrides or 'no overrides'})" in below
        ), lines


def test_run_and_sweep_usage_lines_show_the_overrides() -> None:
    run_help = repro("run", "--help").stdout
    assert "repro run [OPTIONS] paper=ID [experiment=NAME] [KEY=VALUE]..." in run_help
    sweep_help = " ".join(repro("sweep", "--help").stdout.split())
    assert "repro sweep [OPTIONS] paper=ID" in sweep_help
    for key in (
        "seeds=N",
        "seeds=auto",
        "max_seeds=N",
        "launcher=NAME local (one after another), joblib (parallel processes), slurm (submitit),",
        "slurm_local (a local submitit), ray",
        "slurm.partition",
        "slurm.time_min",
        "slurm.gpus",
        "slurm.cpus",
        "slurm.mem_gb",
        "slurm.account",
    ):
        assert key in sweep_help, key


@pytest.mark.parametrize(
    ("flag", "code", "expected"),
    [
        ("--hydra-help", 0, "Hydra (1."),
        ("--info", 0, "Config search path"),
        ("--shell-completion", 2, "error: --shell-completion completes Hydra's own scripts"),
    ],
)
def test_bare_hydra_flags_work_or_get_one_line(flag: str, code: int, expected: str) -> None:
    done = repro("run", "paper=mnist1d", flag)
    assert done.returncode == code, (done.stdout, done.stderr)
    assert expected in done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    if code:
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize(
    "rerun", [["--experimental-rerun", "old/config.pickle"], ["--experimental-rerun=x.pickle"]]
)
def test_experimental_rerun_is_refused_with_what_reruns_a_setting(
    rerun: list[str], isolated_env: Path
) -> None:
    # its value was read as an override ("bad override 'old/config.pickle'"), and with `=`
    # Hydra's loader ended in "internal error: ValueError": repro writes no config.pickle
    done = repro("run", "paper=mnist1d", "experiment=cnn", *rerun)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("error: --experimental-rerun reruns Hydra's "), done.stderr
    assert "rerun=true" in done.stderr and "record.json" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not list(isolated_env.rglob("record.json"))


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_an_experiment_file_paper_yaml_does_not_list_is_named_with_the_fix(
    command: str, tmp_path: Path
) -> None:
    # a new experiment/big.yaml said only "unknown experiment 'big' (known: small, wide)",
    # though the file was there: nothing said that paper.yaml's experiments: must list it
    folder = write_toy_paper(tmp_path / "mine")
    (folder / "experiment" / "big.yaml").write_text("# @package _global_\n{}\n")
    extra = ["--dry-run"] if command == "sweep" else []
    done = repro(command, "paper=toy", "experiment=big", "--papers-dir", str(folder.parent), *extra)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.strip() == (
        "error: unknown experiment 'big' for paper 'toy' (known: small, wide): "
        f"{folder / 'experiment' / 'big.yaml'} exists, but paper.yaml's experiments: does not "
        "list it: add `big: <description>` there"
    ), done.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ("run", "paper=mnist1d", "experiment=cnnn"),
            "error: unknown experiment 'cnnn' for paper 'mnist1d' (did you mean 'cnn'?; known: ",
        ),
        (
            ("sweep", "paper=mnist1d", "experiment=mpl"),
            "error: unknown experiment 'mpl' for paper 'mnist1d' (did you mean 'mlp'?; known: ",
        ),
        (
            ("run", "paper=mnist1d", "experiment=cnn", "trainer.max_step=3"),
            "error: unknown config key 'trainer.max_step' (did you mean 'trainer.max_steps'?; "
            "to add a new key, write +trainer.max_step=...)",
        ),
        (("show", "mnist"), "error: unknown paper 'mnist' (did you mean 'mnist1d'?; known: "),
        (
            ("sweep", "paper=mnist1d", "trainer.max_step=3", "--dry-run"),
            "error: unknown config key 'trainer.max_step' (did you mean 'trainer.max_steps'?; ",
        ),
        (
            ("sweep", "paper=mnist1d", "lancher=joblib", "--dry-run"),
            "error: unknown config key 'lancher' (did you mean 'launcher'?; ",
        ),
        (  # run printed Hydra's "Could not find 'experiment/'" with an empty list
            ("run", "paper=mnist1d", "experiment="),
            "error: unknown experiment '' for paper 'mnist1d' (known: ",
        ),
        (("sweep", "paper=mnist1d", "experiment="), "error: unknown experiment '' for paper "),
        (  # a list read as one name: `did you mean 'mlp'?` offered one of the two asked
            ("sweep", "paper=mnist1d", "experiment=[cnn,mlp]", "--dry-run"),
            "error: experiment=[cnn,mlp] is one value, a list: a sweep of several is "
            "experiment=cnn,mlp",
        ),
        (
            ("sweep", "paper=mnist1d", "seed=[0,1]", "--dry-run"),
            "error: seed=[0,1] is one value, a list: a sweep of several is seed=0,1",
        ),
    ],
)
def test_unknown_names_suggest_the_closest(arguments: tuple[str, ...], message: str) -> None:
    done = repro(*arguments)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(message) and len(done.stderr.strip().splitlines()) == 1


def _complete(*words: str) -> list[str]:
    """What the shell gets when the user presses TAB after `repro <words>` (bash)."""
    line = ["repro", *words]
    done = subprocess.run(
        [str(Path(sys.executable).parent / "repro")],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "_REPRO_COMPLETE": "complete_bash",
            "COMP_WORDS": " ".join(line),
            "COMP_CWORD": str(len(line) - 1),
        },
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_completion_of_commands_papers_experiments_and_keys() -> None:
    assert "sweep" in _complete("sw")
    assert "paper=mnist1d" in _complete("run", "paper=mn")
    assert "experiment=cnn" in _complete("sweep", "paper=mnist1d", "experiment=c")
    keys = _complete("run", "paper=mnist1d", "")
    assert "experiment=" in keys and "trainer." in keys and "seed=" in keys, keys
    assert "trainer.max_steps=" in _complete("run", "paper=mnist1d", "trainer.max_s")
    assert "--papers-dir" in _complete("run", "--pa")
    # bash splits words at '=': `paper=<TAB>` and `paper=mn<TAB>` arrive as separate words
    assert "mnist1d" in _complete("run", "paper", "=")
    assert _complete("run", "paper", "=", "mn") == ["mnist1d"]


def test_run_multirun_ends_with_the_sweep_summary_table(tmp_path: Path) -> None:
    write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    args = ("run", "-m", "paper=toy", "experiment=small", "seed=0,1", "logger=none")
    first = repro(*args, env=env)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.strip().splitlines()
    assert lines[-4].split()[:3] == ["experiment", "seed", "result"], first.stdout
    assert lines[-3].split()[:3] == ["small", "0", "trained"], first.stdout
    assert lines[-1].startswith("2 trained, 0 already completed"), first.stdout
    again = repro(*args, env=env)
    assert again.stdout.strip().splitlines()[-1].startswith("0 trained, 2 already completed")


def test_final_weights_stay_in_the_record_unless_too_large(tmp_path: Path) -> None:
    import torch

    write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    run = ("run", "paper=toy", "experiment=small", "logger=none")
    done = repro(*run, env=env)
    assert done.returncode == 0, done.stderr
    folder, record = _only_record(tmp_path / "results")
    checkpoint = folder / "checkpoints" / "last.ckpt"
    state = torch.load(checkpoint, weights_only=True, map_location="cpu")
    assert state["global_step"] == record["timing"]["steps"] == 20  # the final weights
    assert record["checkpoint"]["kept"] is True
    assert record["checkpoint"]["file"] == "checkpoints/last.ckpt"

    small = repro(*run, "rerun=true", "checkpoint.max_keep_mb=0.000001", env=env)
    assert small.returncode == 0, small.stderr
    _, record = _only_record(tmp_path / "results")
    assert not checkpoint.exists()
    assert record["checkpoint"]["kept"] is False
    assert " > checkpoint.max_keep_mb=1e-06" in record["checkpoint"]["reason"]
    assert f"warning: final weights not kept: {record['checkpoint']['reason']}" in small.stderr


def test_a_failed_rerun_keeps_the_completed_runs_final_weights(tmp_path: Path) -> None:
    import torch

    folder = write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    run = ("run", "paper=toy", "experiment=small", "logger=none")
    assert repro(*run, env=env).returncode == 0
    (checkpoint,) = (tmp_path / "results").rglob("last.ckpt")
    before = torch.load(checkpoint, weights_only=True, map_location="cpu")["state_dict"]
    model = folder / "model.py"  # other weights, then a failure after training
    code = model.read_text().replace('get("lr", 0.05)', 'get("lr", 0.05) * 3')
    broken = code.replace('self.log("test/mse"', 'raise RuntimeError("x"); self.log("test/mse"')
    model.write_text(broken)
    failed = repro(*run, "rerun=true", env=env)
    assert failed.returncode == 1, failed.stderr
    after = torch.load(checkpoint, weights_only=True, map_location="cpu")["state_dict"]
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_show_says_how_to_reproduce_and_which_claims_have_records(tmp_path: Path) -> None:
    write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    before = repro("show", "toy", env=env)
    assert before.returncode == 0, before.stderr
    assert "To reproduce:" in before.stdout
    assert "repro sweep paper=toy" in before.stdout and "repro report paper=toy" in before.stdout
    row = next(line for line in before.stdout.splitlines() if "small_mse" in line)
    assert row.split()[-1] == "0/2", before.stdout
    assert repro("run", "paper=toy", "experiment=small", "logger=none", env=env).returncode == 0
    after = repro("show", "toy", env=env).stdout
    row = next(line for line in after.splitlines() if "small_mse" in line)
    assert row.split()[-1] == "1/2", after


def test_show_names_the_records_it_could_not_count(tmp_path: Path, isolated_env: Path) -> None:
    """a seed's record.json left empty (a disk that filled) or a dead link was simply not
    counted: `repro show` said 0/2 with no word of the record it passed over, which the
    report names and the sweep trains again."""
    write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    from repro.config.app import plugin_overrides
    from repro.config.compose import compose_run_config, hydra_compose_session
    from repro.plugins.registry import get_paper
    from repro.records import store

    wiring = plugin_overrides(get_paper("toy", [tmp_path / "plugins"]).folder)
    with hydra_compose_session():
        config = compose_run_config(["paper=toy", *wiring, "seed=0"], "small")
    hash_dir = store.run_dir(isolated_env, config).parent
    (hash_dir / "seed0").mkdir(parents=True)
    (hash_dir / "seed0" / store.RECORD_FILE).write_text("")
    (hash_dir / "seed1").mkdir()
    (hash_dir / "seed1" / store.RECORD_FILE).symlink_to(tmp_path / "gone.json")
    shown = repro("show", "toy", env=env)
    assert shown.returncode == 0, shown.stderr
    row = next(line for line in shown.stdout.splitlines() if "small_mse" in line)
    assert row.split()[-1] == "0/2", shown.stdout
    assert shown.stderr.splitlines() == [
        f"warning: record not counted: {hash_dir / 'seed0' / store.RECORD_FILE}: corrupt "
        "(Expecting value: line 1 column 1 (char 0))",
        f"warning: record not counted: {hash_dir / 'seed1'}: blocked "
        f"({store.RECORD_FILE} is a link that leads nowhere)",
    ]


@pytest.mark.parametrize("args", [["show", "mnist1d"], ["sweep", "paper=mnist1d", "--dry-run"]])
def test_a_reader_that_stops_early_gets_no_error(args: list[str]) -> None:
    """`repro report ... | head -2` closed the pipe before the report's file list was printed:
    'error: internal error: BrokenPipeError' was printed below the output the user asked for.
    Now every command ends as `repro papers` and `--help` did (Click's rule): silently, exit 1."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `head` that has already exited
    done = subprocess.run(
        [sys.executable, "-m", "repro", *args], stdout=write_end, stderr=subprocess.PIPE, text=True
    )
    os.close(write_end)
    assert (done.stderr, done.returncode) == ("", 1)


SKIP_PROBE = """
import atexit, sys
atexit.register(lambda: print("lightning loaded:", "lightning" in sys.modules))  # main() exits
from repro.cli import main
sys.argv = ["repro", *sys.argv[1:]]
main()
"""


def test_skipping_a_completed_run_loads_neither_lightning_nor_the_plugin(
    isolated_env: Path,
) -> None:
    """`repro run` of a setting already done took 5-8 s to say so: validating the overrides
    imported Lightning and the plugin first. A config identical to the completed run's (which
    was validated when it ran) skips that check."""
    assert repro(*FAST_CNN).returncode == 0
    again = subprocess.run(
        [sys.executable, "-c", SKIP_PROBE, *FAST_CNN], capture_output=True, text=True
    )
    assert "already completed, skipped" in again.stdout, again.stderr
    assert "lightning loaded: False" in again.stdout


def test_a_bad_key_the_hash_ignores_is_refused_although_the_run_is_done(
    isolated_env: Path,
) -> None:
    """`data.cache_dir` is a location key (outside the config hash): the record folder is the
    completed one, but the data module takes no such key, so it is still an error."""
    assert repro(*FAST_CNN).returncode == 0
    bad = repro(*FAST_CNN, "+data.cache_dir=/tmp")
    assert bad.returncode == 2 and "cache_dir" in bad.stderr, bad.stderr


@pytest.mark.parametrize(
    ("stop", "line", "code"),
    [
        ("Terminated", "error: interrupted by SIGTERM", 143),
        ("KeyboardInterrupt", "error: interrupted", 130),
    ],
)
def test_a_stop_that_library_code_wrapped_is_still_a_stop(
    capsys: pytest.CaptureFixture[str], stop: str, line: str, code: int
) -> None:
    """SIGTERM or Ctrl-C while matplotlib was imported (`repro report`): Python 3.11 wraps
    what a class's `__set_name__` raises in a RuntimeError, which came out as `error:
    internal error: RuntimeError: Error calling __set_name__ ...`, exit 1."""
    import typer

    from repro import errors
    from repro.cli import reports_errors

    @reports_errors
    def command() -> None:
        try:
            raise getattr(errors, stop, KeyboardInterrupt)()
        except BaseException as signal_raised:
            raise RuntimeError("Error calling __set_name__ on 'x'") from signal_raised

    with pytest.raises(typer.Exit) as done:
        command()
    assert done.value.exit_code == code
    assert capsys.readouterr().err == line + "\n"


@pytest.mark.parametrize(
    ("stop", "line", "code"),
    [
        ("Terminated", "error: interrupted by SIGTERM", 143),
        ("KeyboardInterrupt", "error: interrupted", 130),
    ],
)
def test_a_stop_that_became_a_usage_error_is_still_a_stop(
    capsys: pytest.CaptureFixture[str], stop: str, line: str, code: int
) -> None:
    """A Ctrl-C as a joblib sweep's workers started (ci85, loaded) ended `error: ` with
    nothing after it, exit 2: code that turns what it catches into a UsageError turned the
    stop's empty text into one. What the signal caused is the signal's line and exit code."""
    import typer

    from repro import errors
    from repro.cli import reports_errors

    @reports_errors
    def command() -> None:
        try:
            raise getattr(errors, stop, KeyboardInterrupt)()
        except BaseException as signal_raised:
            raise errors.UsageError(str(signal_raised)) from None

    with pytest.raises(typer.Exit) as done:
        command()
    assert done.value.exit_code == code
    assert capsys.readouterr().err == line + "\n"


def test_a_stopped_rerun_sweep_does_not_say_it_resumes() -> None:
    """a stopped `rerun=true` sweep said 'sweep again to resume' while its records
    said, and the same sweep did, 'rerun=true starts over'."""
    from repro.cli import interrupted_sweep_line

    line = interrupted_sweep_line("SIGTERM", 2, rerun=True)
    assert line.endswith("2 run(s) not started; the same sweep again starts every run over")
    assert "resume" not in line
    assert interrupted_sweep_line("SIGINT", 1, rerun=False).endswith("; sweep again to resume")


@pytest.mark.parametrize("grid", [True, False])
def test_sweep_results_show_the_overrides_that_tell_settings_apart(
    grid: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, a grid `optimizer.lr=inf,1e-2` ended with two `logistic 0` rows, one failed,
    one trained, and nothing to say which was which."""
    from repro.cli import _print_results
    from repro.sweeping.launch import RunResult
    from repro.sweeping.plan import PlannedRun

    lrs = ["inf", "1e-2"] if grid else ["1e-2"]
    results = [
        RunResult(
            PlannedRun("logistic", 0, ("logger=none", f"optimizer.lr={lr}"), Path(lr), "to run"),
            "failed" if lr == "inf" else "trained",
            "",
            None,
        )
        for lr in lrs
    ]
    _print_results(results)
    lines = capsys.readouterr().out.splitlines()
    if grid:
        assert lines[0].split()[:3] == ["experiment", "seed", "overrides"]
        assert lines[1].split()[:4] == ["logistic", "0", "optimizer.lr=inf", "failed"]
        assert lines[2].split()[:4] == ["logistic", "0", "optimizer.lr=1e-2", "trained"]
    else:  # one setting per experiment: no column
        assert "overrides" not in lines[0] and "optimizer.lr" not in lines[1]


def test_no_time_under_a_tenth_of_a_second_reads_as_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A run that took 0.04 s (one refused at fit start) had `0.0 s` in the sweep's wall
    column, and an estimate of 0.03 s read `0.0 s` too: as if no time passed. Both are
    `<0.1 s`; the report's times, GPU time included, keep their digits."""
    from repro.cli import _print_results
    from repro.reporting.render import gpu_hours, seconds
    from repro.sweeping.launch import RunResult, format_seconds
    from repro.sweeping.plan import PlannedRun

    run = PlannedRun("logistic", 0, ("logger=none",), Path("r"), "to run")
    _print_results([RunResult(run, "failed", "", 0.04)])
    row = capsys.readouterr().out.splitlines()[1]
    assert "<0.1 s" in row and "0.0 s" not in row, row
    assert format_seconds(0.03) == "<0.1 s"
    assert format_seconds(0.4) == "0.4 s" and format_seconds(0) == "0 s"
    shown = [seconds(0.0004), gpu_hours(0.01 / 3600)]
    assert not [text for text in shown if text.startswith("0.0 ")], shown


def test_a_dry_runs_overrides_column_shows_only_what_tells_settings_apart(
    isolated_env: Path,
) -> None:
    """The dry run's `overrides` column listed every override (`logger=none seeds...`) even
    with one setting per experiment, while the table the sweep ends with shows the column
    only when an experiment has several settings, and then only what differs between them."""
    one = repro(*SWEEP_DRY, "experiment=logistic", "logger=none", "trainer.max_steps=10")
    assert one.returncode == 0, one.stderr
    assert "overrides" not in one.stdout and "logger=none" not in one.stdout, one.stdout
    grid = repro(*SWEEP_DRY, "experiment=logistic", "logger=none", "optimizer.lr=0.1,0.2")
    assert grid.returncode == 0, grid.stderr
    lines = grid.stdout.splitlines()
    assert lines[1].split()[:3] == ["experiment", "seed", "overrides"], lines
    assert [line.split()[2] for line in lines[2:4]] == ["optimizer.lr=0.1", "optimizer.lr=0.2"]
    assert "logger=none" not in grid.stdout


def test_an_experiment_glob_sweeps_the_experiments_it_matches(isolated_env: Path) -> None:
    # Hydra's glob() of a config group ended in 'internal error: HydraException: ConfigLoader
    # is not set' (repro read the sweep's values without Hydra's config loader)
    done = repro(*SWEEP_DRY, "experiment=glob(logistic*)")
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "2 runs (2 experiments" in done.stdout
    assert " logistic_shuffled " in done.stdout
    done = repro(*SWEEP_DRY, "experiment=glob(resnet*)")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("error: experiment=glob(resnet*) matches no experiment (known: ")


def test_a_dry_run_refuses_the_parallel_job_count_the_sweep_refuses() -> None:
    """`hydra.launcher.n_jobs=0` printed a plan with exit 0 under --dry-run while
    the same sweep without it said the count must be >= 1 or -1, exit 2."""
    done = repro(
        "sweep", "paper=amsgrad", "launcher=joblib", "hydra.launcher.n_jobs=0", "--dry-run"
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("error: the number of parallel jobs must be >= 1")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("check", "--badopt"), "error: unknown option --badopt for repro check"),
        (("new", "--papers_dir", "x", "y"), "error: unknown option --papers_dir (did you mean "),
        (("show", "--badopt", "mnist1d"), "error: unknown option --badopt for repro show"),
        (("--badopt", "papers"), "error: unknown option --badopt for repro"),
        (("papers", "extra"), "error: got unexpected extra argument(s) (extra) (see `repro papers"),
        (("pappers",), "error: no such command 'pappers' (did you mean 'papers'?)"),
    ],
)
def test_click_usage_errors_are_one_error_line(arguments: tuple[str, ...], message: str) -> None:
    """Click's own refusals were three lines (`Usage: ...`, `Try ...`, `Error: No such option`)."""
    done = repro(*arguments)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(message) and len(done.stderr.strip().splitlines()) == 1, (
        done.stderr
    )
    assert done.stdout == ""


SWEEP_DRY = ("sweep", "paper=mnist1d", "seeds=1", "--dry-run")  # trains nothing even before


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((*SWEEP_DRY, "--dryrun"), "error: unknown option --dryrun (did you mean --dry-run?)"),
        ((*SWEEP_DRY, "--dry_run"), "error: unknown option --dry_run (did you mean --dry-run?)"),
        ((*SWEEP_DRY, "-dry-run"), "error: unknown option -dry-run (did you mean --dry-run?)"),
        ((*SWEEP_DRY, "--dry-rn"), "error: unknown option --dry-rn (did you mean --dry-run?)"),
        ((*SWEEP_DRY, "--verbose"), "error: unknown option --verbose for repro sweep (its "),
        ((*SWEEP_DRY, "--cfg", "job"), "error: unknown option --cfg for repro sweep (Hydra's"),
        (
            ("run", "paper=mnist1d", "experiment=cnn", "--dry-run"),
            "error: unknown option --dry-run: repro run has no dry run (",
        ),
        (
            ("run", "paper=mnist1d", "experiment=cnn", "-n"),
            "error: unknown option -n: repro run has no dry run (",
        ),
        (
            ("run", "paper=mnist1d", "experiment=cnn", "--papers_dir", "plugins"),
            "error: unknown option --papers_dir (did you mean --papers-dir?)",
        ),
        (
            ("run", "paper=my_paper", "experiment=baseline", "--papers_dir", "plugins"),
            "error: unknown option --papers_dir (did you mean --papers-dir?)",
        ),
        (
            ("run", "paper=mnist1d", "experiment=cnn", "--quiet"),
            "error: unknown option --quiet for repro run (its options: --papers-dir, ",
        ),
    ],
)
def test_unknown_options_of_run_and_sweep_are_refused_by_name(
    arguments: tuple[str, ...], message: str
) -> None:
    """A sweep passed them on unread and trained (exit 0); run printed Hydra's usage, or
    read `--papers_dir plugins` as an unknown paper or a bad override `plugins`."""
    done = repro(*arguments)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith(message) and len(done.stderr.strip().splitlines()) == 1, (
        done.stderr
    )
    assert done.stdout == ""


@pytest.mark.parametrize("key", ["launcher", "hydra/launcher"])
def test_repro_run_names_a_missing_launcher_as_the_sweep_does(key: str) -> None:
    # `repro run ... launcher=ray -m` said "unknown hydra/launcher 'ray' (known: basic, ...)",
    # as if repro had no ray launcher; `repro sweep` said it is not installed, and how to
    import importlib.util

    if importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is not None:
        pytest.skip("the ray launcher is installed here")
    # Hydra's own spelling, hydra/launcher=ray, got Hydra's "unknown hydra/launcher" too
    done = repro("run", "paper=mnist1d", "experiment=logistic", f"{key}=ray", "-m", "seed=0")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("error: launcher 'ray' is not installed: pip install"), done


@pytest.mark.parametrize(
    ("launcher", "checkout", "hint"),
    [
        ("ray", True, "pip install -c constraints.txt -e '.[ray]'"),
        ("joblib", True, "pip install -c constraints.txt -e ."),
        ("ray", False, "pip install hydra-ray-launcher==1.2.2 'joblib<1.6'"),
        ("slurm", False, "pip install hydra-submitit-launcher==1.2.0"),
    ],
)
def test_a_missing_launcher_gets_an_install_command_that_works_here(
    monkeypatch: pytest.MonkeyPatch, launcher: str, checkout: bool, hint: str
) -> None:
    """It said `pip install -c constraints.txt -e '.[core]'` for joblib and slurm (repro has
    no extra 'core'), and the checkout's command to a wheel install, which has no `.`."""
    import importlib.util

    from repro import cli, resources
    from repro.errors import UsageError

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(resources, "checkout_root", lambda: REPO if checkout else None)
    with pytest.raises(UsageError) as error:
        cli._check_launcher_installed(launcher)
    assert str(error.value) == f"launcher {launcher!r} is not installed: {hint}"


def test_an_empty_aside_column_in_a_narrow_terminal_is_no_internal_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A too-wide table drops its empty columns; an empty `aside` column (claims whose
    `source: ""`) was then looked up to move below the table: `ValueError: tuple.index`."""
    import re

    from repro.cli import _print_table

    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("COLUMNS", "40")
    long = "a description long enough to need wrapping in a narrow terminal"
    _print_table(("claim", "text", "source"), [("acc", long, "")], aside="source")
    lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
    assert "acc" in lines[1], lines


def test_a_run_refused_at_fit_start_names_no_record_in_the_table(tmp_path: Path) -> None:
    """Before, its row's record column named the seed's folder, where its start's files had
    been taken back: no record was there to read."""
    write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}
    args = ("sweep", "paper=toy", "experiment=small", "seeds=1", "logger=none")
    done = repro(*args, "+trainer.limit_test_batches=0.00001", env=env)
    assert "no batch of the" in done.stderr, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.split()[:2] == ["small", "0"])
    assert not list((tmp_path / "results").rglob("record*.json"))
    assert "seed0" not in row and row.split()[-1] == "-", done.stdout


def test_a_records_column_of_runs_without_records_says_nothing_below_a_narrow_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sweep whose every run was refused at fit start names no record (`-`): a terminal too
    narrow for its long error moved the records column below the table, where `records:` was
    printed over no line at all."""
    import re

    from repro.cli import _print_table

    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("COLUMNS", "40")
    error = "trainer.limit_test_batches=1e-05: no batch of the 1 test batch (1 x 1e-05 < 1)"
    _print_table(
        ("run", "result", "detail", "record"),
        [("toy/small s0", "failed", error, "-")],
        paths="record",
    )
    lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).splitlines()
    assert lines and not lines[-1].startswith("record"), lines


def test_a_missing_metric_names_the_claim_in_paper_yaml_as_a_cause_too() -> None:
    """A claim's metric like no logged one (claim `test/r2`, module logs `test/mse`) said only
    'fix the plugin's self.log names': a wrong metric in the claim is just as likely."""
    from repro.cli import metric_missing_line

    for missing in (["toy small_r2 (test/r2)"], ["toy small_r2 (test/r2; logged test/r2_)"]):
        line = metric_missing_line(missing)
        assert "self.log names" in line and "claim's metric in paper.yaml" in line, line
