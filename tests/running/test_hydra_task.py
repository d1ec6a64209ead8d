"""The task a Hydra job runs (repro.running.hydra_task): its line per run, and a group job's
seeds (`group_seeds=[...]`, as SLURM and Ray jobs are given them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from repro.running.hydra_task import describe
from repro.running.runner import RunOutcome
from tests.conftest import Terminal, repro, write_toy_paper


def test_a_seed_held_by_another_process_is_not_called_completed(tmp_path: Path) -> None:
    """A group job whose seed another process is training said `completed:` for it."""
    held = RunOutcome("busy", tmp_path, error="another process is running it", exit_code=1)
    assert describe(held).startswith("error: another process is running it")


def test_a_sweeps_run_max_time_stopped_short_says_so_beside_completed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """the warning of a run `trainer.max_time` ended short (above) came only from
    `repro run`'s task; `repro sweep` (local, SLURM watch, a group job) prints each run with
    `print_outcome`, so a sweep of seeds all stopped at step 10 of 20 said `completed` and
    `trained` for each, and only a later report told. print_outcome reads the setting from
    the run's config.yaml."""
    import json

    import yaml

    from repro.running.hydra_task import print_outcome

    folder = tmp_path / "toy" / "small" / "aa6d817486" / "seed0"
    folder.mkdir(parents=True)
    config = {"trainer": {"max_steps": 20, "max_epochs": -1, "max_time": "00:00:00:03"}}
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    record = {
        "paper": "toy",
        "experiment": "small",
        "seed": 0,
        "config_hash": "aa6d817486",
        "status": "completed",
        "metrics": {"test/mse": 0.7},
        "timing": {"steps": 10, "epochs": 3, "stopped_by": "max_time"},
    }
    (folder / "record.json").write_text(json.dumps(record))
    for status in ("completed", "skipped"):  # skipped: `repro run` of it again
        print_outcome(RunOutcome(status, folder, {"test/mse": 0.7}))
        err = capsys.readouterr().err
        assert "warning: trainer.max_time=00:00:00:03 ended training at step 10" in err, err
        assert "trainer.max_steps=20" in err and err.count("warning:") == 1, err


@pytest.mark.parametrize(
    "config_yaml",
    [
        None,
        "",
        "dir",
        "garbage",
        "dangling",
        "trainer: abc\n",
        "trainer: [1, 2]\n",
        "trainer: 5\n",
        "- 1\n",
        "[" * 3000 + "]" * 3000,
    ],
)
def test_a_skipped_max_time_run_with_a_bad_config_yaml_is_one_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config_yaml: str | None
) -> None:
    """A completed run's config.yaml missing, a folder, binary, a dangling link, or with a
    `trainer:` that is not a mapping: `repro run` of it again (skipped) ended in Hydra's
    traceback, exit 1 (`dict('abc')`), or warned `trainer.max_time=None`. One warning line
    with what the record knows; the record is left as it was."""
    import json

    from repro.running.hydra_task import print_outcome

    folder = tmp_path / "toy" / "small" / "aa6d817486" / "seed0"
    folder.mkdir(parents=True)
    record = {
        "paper": "toy",
        "experiment": "small",
        "seed": 0,
        "config_hash": "aa6d817486",
        "status": "completed",
        "metrics": {"test/mse": 0.7},
        "timing": {"steps": 10, "stopped_by": "max_time"},
    }
    (folder / "record.json").write_text(json.dumps(record))
    config = folder / "config.yaml"
    if config_yaml == "dir":
        config.mkdir()
    elif config_yaml == "dangling":
        config.symlink_to(folder / "nowhere.yaml")
    elif config_yaml == "garbage":
        config.write_bytes(bytes(range(256)) * 4)
    elif config_yaml is not None:
        config.write_text(config_yaml)
    before = (folder / "record.json").read_bytes()
    print_outcome(RunOutcome("skipped", folder, {"test/mse": 0.7}))
    captured = capsys.readouterr()
    assert captured.out.startswith("already completed, skipped"), captured
    assert captured.err.count("\n") == 1 and captured.err.startswith("warning: "), captured.err
    assert "trainer.max_time ended training at step 10" in captured.err, captured.err
    assert "None" not in captured.err, captured.err
    assert (folder / "record.json").read_bytes() == before


@pytest.mark.parametrize("value", ["[0,x]", "5", "[0,0]", "[0,1.5]", "[]", "0"])
def test_bad_group_seeds_are_one_line(tmp_path: Path, value: str) -> None:
    write_toy_paper(tmp_path / "plugins")
    done = repro(
        "run",
        "--papers-dir",
        str(tmp_path / "plugins"),
        "toy",
        "experiment=small",
        f"group_seeds={value}",
        env={"REPRO_RESULTS_DIR": str(tmp_path / "r")},
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert "group_seeds" in done.stderr.strip().splitlines()[-1]
    assert not list((tmp_path / "r").rglob("record*.json"))


def test_a_stopped_multirun_starts_no_further_job(tmp_path: Path) -> None:
    """`repro run -m seed=0,1` stopped (SIGTERM: preemption) during seed 0: seed 1 is not
    started, as in a sweep (it trained to completion, spending the grace period)."""
    from tests.conftest import run_signalling_paper, write_signalling_paper

    plugins = write_signalling_paper(tmp_path / "plugins")
    stopped = run_signalling_paper(
        plugins,
        tmp_path / "r",
        "-m",
        "seed=0,1",
        REPRO_TEST_SIGNAL_AT="train_epoch_end",
        REPRO_TEST_SIGNAL="SIGTERM",
    )
    assert stopped.returncode == 143, (stopped.stdout, stopped.stderr)
    assert [p.parent.name for p in (tmp_path / "r").rglob("record.json")] == ["seed0"]


def test_the_sweep_a_run_advises_finds_its_plugin(tmp_path: Path) -> None:
    """`repro run --papers-dir plugins paper=toy ...` ended with 'one seed — run
    `repro sweep paper=toy` for a verdict', which, pasted, said the paper was unknown."""
    from repro.config.app import command_context
    from repro.running.hydra_task import claims_of_run
    from tests.records.test_table import composed_config

    papers = tmp_path / "plugins"
    write_toy_paper(papers)
    config = composed_config("toy", "small", 0, papers)
    with command_context([papers], []):
        (line,) = claims_of_run(config, {"test/mse": 0.1}, overrides=[])
    assert f"`repro sweep --papers-dir {papers.resolve()} paper=toy` for a verdict" in line, line
    # a results folder given as an override was left out (pasted: ./results)
    config["paths"]["results_dir"] = str(tmp_path / "alt")
    with command_context([papers], []):
        (line,) = claims_of_run(config, {"test/mse": 0.1}, overrides=[])
    assert f"paper=toy paths.results_dir={tmp_path / 'alt'}` for a verdict" in line, line


def test_a_run_max_time_stopped_short_says_so_beside_completed(tmp_path: Path) -> None:
    """a run `trainer.max_time` ended at step 555 of max_steps=6000 printed only
    `completed: ...` (and its metric beside the paper's claim): nothing said it trained a
    tenth of its setting, which a report then leaves out of every verdict."""
    import json

    from repro.running.hydra_task import short_of_setting

    config = {"trainer": {"max_steps": 6000, "max_epochs": -1, "max_time": "00:00:00:01"}}
    folder = tmp_path / "mnist1d" / "logistic" / "eff6d7da28" / "seed0"
    folder.mkdir(parents=True)
    outcome = RunOutcome("completed", folder, {"test/acc": 0.3})
    for stopped_by in ("max_time", "max_steps"):
        record = {
            "paper": "mnist1d",
            "experiment": "logistic",
            "seed": 0,
            "config_hash": "eff6d7da28",
            "status": "completed",
            "metrics": {"test/acc": 0.3},
            "timing": {"steps": 555, "epochs": 14, "stopped_by": stopped_by},
        }
        (folder / "record.json").write_text(json.dumps(record))
        line = short_of_setting(outcome, config)
        if stopped_by == "max_steps":
            assert line is None
            continue
        assert line is not None and line.startswith("warning: trainer.max_time=00:00:00:01 ")
        assert "step 555" in line and "trainer.max_steps=6000" in line and "verdict" in line


def _stopped_by_max_time_at_step_5(tmp_path: Path) -> Path:
    """The folder of a completed mnist1d run whose record says trainer.max_time stopped it
    at step 5."""
    import json

    folder = tmp_path / "mnist1d" / "logistic" / "374f2d6ff9" / "seed0"
    folder.mkdir(parents=True)
    record = {
        **{"paper": "mnist1d", "experiment": "logistic", "seed": 0},
        **{"config_hash": "374f2d6ff9", "status": "completed", "metrics": {"test/acc": 0.3}},
        "timing": {"steps": 5, "epochs": 1, "stopped_by": "max_time"},
    }
    (folder / "record.json").write_text(json.dumps(record))
    return folder


def test_a_run_stopped_short_names_a_mapping_max_time_as_the_report_does(tmp_path: Path) -> None:
    """`+trainer.max_time={minutes: 1}`: `repro run`'s warning said
    `trainer.max_time={'minutes': 1}` (Python's dict), where the report (and the hash) say
    `00:00:01:00`; so did a sweep's, reading the run's config.yaml."""
    import yaml

    from repro.running.hydra_task import short_of_setting

    config = {"trainer": {"max_steps": 6000, "max_epochs": -1, "max_time": {"minutes": 1}}}
    folder = _stopped_by_max_time_at_step_5(tmp_path)
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    for given in (config, None):
        line = short_of_setting(RunOutcome("completed", folder), given)
        assert line is not None and line.startswith("warning: trainer.max_time=00:00:01:00 ")


def test_a_run_stopped_short_names_a_fraction_of_a_second_as_a_time_repro_takes(
    tmp_path: Path,
) -> None:
    """`+trainer.max_time={milliseconds: 60500}` stopped a run short: its warning said
    `trainer.max_time=00:00:01:00.5`, text `repro run` refuses as typed; it names the time as
    a mapping it takes, `{seconds: 60.5}`, the same setting."""
    from repro.running.hydra_task import short_of_setting

    config = {"trainer": {"max_steps": 6000, "max_epochs": -1, "max_time": {"milliseconds": 60500}}}
    folder = _stopped_by_max_time_at_step_5(tmp_path)
    line = short_of_setting(RunOutcome("completed", folder), config)
    assert line is not None and line.startswith("warning: trainer.max_time={seconds: 60.5} "), line


def test_repro_runs_max_time_warning_wraps_at_whole_words_at_80_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`repro run`'s own warning of a run trainer.max_time ended short (print_outcome) was one
    ~230-character line on stderr, cut inside words by an 80-column terminal, while the same
    warning below a sweep's table wrapped at whole words (cli._warn_stopped_short)."""
    import json
    import sys

    from repro.running.hydra_task import print_outcome

    folder = tmp_path / "toy" / "small" / "aa6d817486" / "seed0"
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text("trainer: {max_steps: 20, max_time: '00:00:00:03'}\n")
    record = {"paper": "toy", "experiment": "small", "seed": 0, "config_hash": "aa6d817486"}
    record |= {"status": "completed", "timing": {"steps": 10, "stopped_by": "max_time"}}
    (folder / "record.json").write_text(json.dumps(record))
    monkeypatch.setenv("COLUMNS", "80")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    print_outcome(RunOutcome("completed", folder, {"test/mse": 0.7}))
    lines = terminal.getvalue().splitlines()
    assert len(lines) > 1 and max(len(line) for line in lines) <= 80, lines
    text = " ".join(" ".join(lines).split())
    assert text.startswith("warning: trainer.max_time=00:00:00:03 ended training"), text
    assert "a report leaves this run out of every verdict" in text, text


def test_repro_runs_outcome_lines_wrap_at_whole_words_at_80_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`repro run`'s `error:` line of a failed run and its `completed: ... -> <record>` line
    (metrics and an absolute path, often over 80 characters) were printed whole, and an
    80-column terminal cut them inside a word or the path; they wrap at whole words there,
    each staying one line in a pipe."""
    import io
    import sys

    from repro.running.hydra_task import print_outcome

    folder = Path("results/mnist1d/logistic_shuffled/e07871121a/seed0")
    failed = RunOutcome("failed", folder, error="non-finite loss at step 3 (nan): lower the lr")
    done = RunOutcome("completed", folder, {"test/acc": 0.2361, "train/loss": 1.976})
    monkeypatch.setenv("COLUMNS", "80")
    for outcome, name in ((failed, "stderr"), (done, "stdout")):
        terminal = Terminal()
        monkeypatch.setattr(sys, name, terminal)
        print_outcome(outcome)
        lines = terminal.getvalue().splitlines()
        assert len(lines) > 1 and max(len(line) for line in lines) <= 80, lines
        assert " ".join(" ".join(lines).split()) == describe(outcome), lines
        assert any(str(folder) in line for line in lines), lines  # the path whole on a line
        piped = io.StringIO()
        monkeypatch.setattr(sys, name, piped)
        print_outcome(outcome)
        assert piped.getvalue() == describe(outcome) + "\n"


def test_a_runs_claim_lines_wrap_at_whole_words_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 60 columns `repro run` ended with `... trainer.max_steps=2` / `000; claimed 0.68 ±`:
    its claim lines, unlike the lines above them, were cut by the terminal inside a word."""
    import sys

    from repro.running import hydra_task

    line = (
        "test/acc 0.623 (not the paper's setting: trainer.max_steps=2000; claimed 0.68 ± 0.03 "
        "at the paper's, mlp_acc)"
    )
    monkeypatch.setattr(hydra_task, "claims_of_run", lambda config, metrics: [line])
    monkeypatch.setenv("COLUMNS", "60")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    hydra_task.print_claims({}, {})
    lines = terminal.getvalue().splitlines()
    assert max(len(shown) for shown in lines) <= 60, lines
    assert " ".join(" ".join(lines).split()) == line, lines


def test_the_completed_line_names_the_record_as_the_start_line_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`repro run: ... -> results/mnist1d/logistic/<hash>/seed0` was followed by
    `completed: ... -> /abs/path/results/mnist1d/logistic/<hash>/seed0`: one record, two
    spellings. Both say it relative to the folder run from (absolute only outside it)."""
    from repro.running.progress import start_line

    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "results" / "mnist1d" / "logistic" / "aa30302562" / "seed0"
    config = {"paper": "mnist1d", "experiment_name": "logistic", "seed": 0, "trainer": {}}
    shown = start_line(config, folder).split(" -> ")[-1]
    assert shown == "results/mnist1d/logistic/aa30302562/seed0"
    for outcome in (
        RunOutcome("completed", folder, {"test/acc": 0.294}),
        RunOutcome("skipped", folder, {"test/acc": 0.294}),
        RunOutcome("failed", folder, error="non-finite loss at step 3 (nan)"),
    ):
        assert str(tmp_path) not in describe(outcome), describe(outcome)
        assert shown in describe(outcome), describe(outcome)
    outside = RunOutcome("completed", Path("/elsewhere/results/x/seed0"), {"test/acc": 0.3})
    assert describe(outside).endswith("-> /elsewhere/results/x/seed0")
