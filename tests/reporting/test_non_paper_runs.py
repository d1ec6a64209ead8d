"""A report of runs not at the paper's setting (smoke runs, short runs) tells the truth: it
labels their hyperparameters as deviations, its commands recreate exactly the runs shown,
and smoke runs (`debug=fast`) are kept in results/ but never judged."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from repro.plugins.registry import get_paper
from repro.records import store
from tests.records.test_table import _composed
from tests.reporting.test_report import CNN, MLP, report, table_row, write_run

FAST = {"debug": "fast"}  # composed as `debug=fast`, exactly what `repro run ... debug=fast` makes


def section(markdown: str, title: str) -> str:
    start = markdown.index(f"## {title}")
    end = markdown.find("\n## ", start + 3)
    return markdown[start : end if end >= 0 else None]


def sweep_lines(markdown: str) -> list[str]:
    block = section(markdown, "Provenance").split("```bash\n", 1)[1].split("```", 1)[0]
    # without the REPRO_RESULTS_DIR=<tmp folder> before each: what is left is the command
    return [
        line[line.index("repro sweep") :] for line in block.splitlines() if "repro sweep" in line
    ]


def seeds_of(word: str) -> list[int]:
    key, _, value = word.partition("=")
    if key == "seeds":
        return list(range(int(value)))
    found = re.fullmatch(r"range\((\d+),(\d+)\)", value)
    if found:
        return list(range(int(found[1]), int(found[2])))
    return [int(s) for s in value.split(",")]


def recreated(commands: list[str]) -> set[tuple[str, str, int]]:
    """(experiment, config hash, seed) of every run the `repro sweep` lines would train."""
    claimed = get_paper("mnist1d").spec().claimed_experiments()
    runs = set()
    for command in commands:
        words = shlex.split(command)
        words = words[words.index("sweep") + 1 :]
        experiments, seeds, overrides = list(claimed), [0], []
        for word in words:
            key = word.partition("=")[0]
            if key == "paper":
                continue
            if key == "experiment":
                experiments = word.partition("=")[2].split(",")
            elif key in ("seed", "seeds"):
                seeds = seeds_of(word)
            else:
                overrides.append(word)
        for experiment in experiments:
            config = json.loads(_composed("mnist1d", experiment, None, tuple(sorted(overrides))))
            runs |= {(experiment, store.config_hash(config), seed) for seed in seeds}
    return runs


def recorded(results: Path) -> set[tuple[str, str, int]]:
    return {
        (folder.parent.parent.name, folder.parent.name, int(folder.name.removeprefix("seed")))
        for folder in (results / "mnist1d").glob("*/*/seed*")
    }


def smoke_and_short_runs(results: Path) -> None:
    """The issue's folder: one `debug=fast` run and two `trainer.max_steps=200` runs of cnn."""
    write_run(
        results, "cnn", 0, {"test/acc": 0.179}, finished_at="2026-02-01T00:00:00+00:00", **FAST
    )
    for seed in range(2):
        write_run(
            results, "cnn", seed, {"test/acc": 0.80 + seed / 100}, **{"trainer.max_steps": 200}
        )


def test_hyperparameters_of_no_paper_setting_are_labelled_as_a_deviation(tmp_path: Path) -> None:
    results = tmp_path / "results"
    smoke_and_short_runs(results)
    _, markdown = report(results, tmp_path / "out", formats=frozenset({"md", "html"}))
    assert "not run" in table_row(markdown, "cnn_acc")
    hyper = section(markdown, "Hyperparameters")
    row = next(line for line in hyper.splitlines() if line.startswith("| `cnn` |"))
    assert "not the paper's setting" in row
    assert "trainer.max\\_steps=200 (paper: 6000)" in row
    # a value the runs changed is not "shared by every experiment" as if it were the setting
    assert "| `trainer.max_steps` |" not in hyper
    html = (tmp_path / "out" / "report.html").read_text()
    html_hyper = html.split("<h2>Hyperparameters</h2>", 1)[1].split("<h2>", 1)[0]
    assert "not the paper&#39;s setting" in html_hyper or "not the paper's setting" in html_hyper


def test_the_papers_setting_is_labelled_as_the_papers(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for seed in range(2):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
    write_run(results, "cnn", 0, {"test/acc": 0.2}, **FAST)
    _, markdown = report(results, tmp_path / "out")
    hyper = section(markdown, "Hyperparameters")
    row = next(line for line in hyper.splitlines() if line.startswith("| `cnn` |"))
    assert "paper's setting" in row and "not the paper's" not in row
    assert "| `trainer.max_steps` | 6000 |" in hyper


def test_regenerate_commands_recreate_exactly_the_runs_shown(tmp_path: Path) -> None:
    results = tmp_path / "results"
    smoke_and_short_runs(results)
    _, markdown = report(results, tmp_path / "out")
    commands = sweep_lines(markdown)
    assert recreated(commands) == recorded(results), commands
    assert "debug=fast" in " ".join(commands)  # the smoke run as it was made: short
    assert all(len(command) < 120 for command in commands), commands


def test_regenerate_commands_cover_judged_and_other_settings(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
        write_run(results, "mlp", seed, {"test/acc": MLP[seed]})
    for seed in range(2):
        write_run(results, "mlp", seed, {"test/acc": 0.68}, **{"optimizer.lr": 0.003})
        write_run(results, "cnn", seed, {"test/acc": 0.7}, **{"optimizer.lr": 0.003})
    write_run(results, "cnn", 4, {"test/acc": 0.2}, **FAST)
    _, markdown = report(results, tmp_path / "out")
    commands = sweep_lines(markdown)
    assert recreated(commands) == recorded(results), commands
    # the paper's setting of both experiments is one command, the shared deviation another
    assert "repro sweep paper=mnist1d experiment=cnn,mlp seeds=3" in commands
    assert "repro sweep paper=mnist1d experiment=cnn,mlp seeds=2 optimizer.lr=0.003" in commands
    assert len(commands) == 3


def test_smoke_runs_are_kept_but_never_judged(tmp_path: Path) -> None:
    """More `debug=fast` seeds than paper's-setting seeds: the verdict rests on the paper's."""
    results = tmp_path / "results"
    for seed in range(3):
        write_run(results, "cnn", seed, {"test/acc": CNN[seed]})
    for seed in range(5):
        write_run(results, "cnn", seed, {"test/acc": 0.2}, **FAST)
        write_run(results, "mlp", seed, {"test/acc": 0.2}, **FAST)
    _, markdown = report(results, tmp_path / "out")
    assert "(n=3)" in table_row(markdown, "cnn_acc") and "✅" in table_row(markdown, "cnn_acc")
    assert "not run" in table_row(markdown, "mlp_acc")  # five smoke seeds judge nothing
    beyond = section(markdown, "Results beyond the original paper")
    assert "trainer.max\\_steps=5 (paper: 6000)" in beyond


def test_the_note_on_unjudged_settings_agrees_with_how_many_it_names(tmp_path: Path) -> None:
    """Two experiments run only off the paper's setting: the regenerate note read `The
    paper's setting of mlp, cnn has no runs, so its claims are not judged`."""
    results = tmp_path / "results"
    for experiment in ("cnn", "mlp"):
        write_run(results, experiment, 0, {"test/acc": 0.7}, **{"optimizer.lr": 0.003})
    _, markdown = report(results, tmp_path / "out")
    assert "The paper's settings of mlp, cnn have no completed runs, so their claims" in markdown
    write_run(results, "cnn", 0, {"test/acc": CNN[0]})
    _, markdown = report(results, tmp_path / "out")
    assert "The paper's setting of mlp has no completed runs, so its claims are not" in markdown
