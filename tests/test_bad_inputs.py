"""The bad-input catalogue of docs/errors.md: one row, one case, one clear line each."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, repro, write_toy_paper


@dataclass(frozen=True)
class Case:
    id: str
    arguments: tuple[str, ...]
    exit_code: int
    message: str
    prepare: Callable[[Path], dict[str, str]] | None = None  # returns extra environment


def _toy(tmp: Path, edit: Callable[[Path], None] | None = None) -> dict[str, str]:
    folder = write_toy_paper(tmp / "plugins", "toy")
    if edit:
        edit(folder)
    return {"REPRO_PAPERS_PATH": str(tmp / "plugins")}


def _replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        text = (folder / name).read_text()
        assert old in text, (name, old)
        (folder / name).write_text(text.replace(old, new))

    return edit


def _duplicate_claim(folder: Path) -> None:
    lines = (folder / "paper.yaml").read_text().splitlines(keepends=True)
    (folder / "paper.yaml").write_text("".join(lines) + "".join(lines[-2:]))


def _with_a_record(tmp: Path) -> dict[str, str]:
    """A results folder holding one mnist1d record (`repro report` of every paper reads it)."""
    from tests.records.test_table import write_run

    write_run(tmp / "results", "cnn", 0, {"test/acc": 0.9})
    return {"REPRO_RESULTS_DIR": str(tmp / "results")}


def _results_under_a_file(tmp: Path) -> dict[str, str]:
    (tmp / "a_file").write_text("not a folder")
    return {**_toy(tmp), "REPRO_RESULTS_DIR": str(tmp / "a_file" / "results")}


def _full_disk(tmp: Path) -> dict[str, str]:
    disk = tmp / "full_disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tiny tmpfs here (needs root)")
    (disk / "filler").write_bytes(b"x" * 4096)
    return {**_toy(tmp), "REPRO_RESULTS_DIR": str(disk), "_UNMOUNT": str(disk)}


def _corrupt_record(tmp: Path) -> dict[str, str]:
    env = _toy(tmp)
    results = tmp / "results"
    done = repro(
        "run",
        "paper=toy",
        "experiment=small",
        "logger=none",
        env={**env, "REPRO_RESULTS_DIR": str(results)},
    )
    assert done.returncode == 0, done.stderr
    next(results.rglob("record.json")).write_text('{"status": "compl')
    return env


def _seed_folder_is_a_file(tmp: Path) -> dict[str, str]:
    """A sync tool's conflict copy left a file where the run's seed folder was."""
    env = _corrupt_record(tmp)
    folder = next((tmp / "results").rglob("record.json")).parent
    shutil.rmtree(folder)
    folder.write_text("a file in the way")
    return env


def _seed_folder_is_a_link_loop(tmp: Path) -> dict[str, str]:
    """A seed folder replaced by a link to itself (a sync tool, a hand-made `ln -s`)."""
    env = _corrupt_record(tmp)
    folder = next((tmp / "results").rglob("record.json")).parent
    shutil.rmtree(folder)
    folder.symlink_to(folder.name)
    return env


def _no_wandb_key(tmp: Path) -> dict[str, str]:
    return {**_toy(tmp), "WANDB_MODE": "online", "WANDB_API_KEY": "", "HOME": str(tmp)}


def _offline_wandb_run(tmp: Path) -> dict[str, str]:
    """A record with one offline W&B run to upload, and a W&B server that refuses at once."""
    folder = tmp / "results" / "toy" / "small" / "abc" / "seed0"
    run = folder / "wandb" / "offline-run-20260101_000000-toy-small-abc-s0-a1"
    run.mkdir(parents=True)
    (run / "run-toy-small-abc-s0-a1.wandb").write_bytes(b":W&B")
    (folder / "record.json").write_text('{"paper": "toy", "experiment": "small", "seed": 0}')
    fake_key = "x" * 40
    return {"WANDB_API_KEY": fake_key, "WANDB_BASE_URL": "http://127.0.0.1:9"}


def _dspn_without_mnist(tmp: Path) -> dict[str, str]:
    if not (REPO / "papers" / "dspn").is_dir():
        pytest.skip("no dspn plugin")
    return {"REPRO_DATA_DIR": str(tmp / "no-data-here")}


def _plugin_with_a_name_error(tmp: Path) -> dict[str, str]:
    """A typo in the plugin's training_step, line 14 of model.py."""
    typo = _replace("model.py", "x, y = batch\n        loss", "x, y = hiden\n        loss")
    return _toy(tmp, typo)


RUN_TOY = ("run", "paper=toy", "experiment=small", "logger=none")


def _swap_classes(folder: Path) -> None:
    text = (folder / "paper.yaml").read_text().replace("model:ToyModule", "SWAP")
    text = text.replace("data:ToyData", "model:ToyModule").replace("SWAP", "data:ToyData")
    (folder / "paper.yaml").write_text(text)


def _unbalanced_bibtex(folder: Path) -> None:
    entry = "@article{x2026,\n  title = {A {Title},\n  year = {2026}\n}\n"
    with (folder / "paper.yaml").open("a") as paper:
        paper.write("bibtex: |\n" + "".join(f"  {line}\n" for line in entry.splitlines()))


def _experiment_file(text: str) -> Callable[[Path], dict[str, str]]:
    def prepare(tmp: Path) -> dict[str, str]:
        def edit(folder: Path) -> None:
            (folder / "experiment" / "wide.yaml").write_text(text)

        return _toy(tmp, edit)

    return prepare


CONFIG_CASE_IDS = {  # caught before anything starts: nothing may be written
    "mandatory value not given",
    "module and datamodule swapped in paper.yaml",
    "paper.yaml names a file the plugin lacks",
    "negative seed",
    "num_nodes as a float",
    "batch limit neither a fraction nor a count",
    "batch limit as text",
    "val_check_interval past the epoch",
    "validation every 0 batches",
    "validation at wall-clock times",
    "validation at no fraction",
    "max_time of no time",
    "deterministic as a number",
    "gradient accumulation not a positive count",
    "zero training batches",
    "zero check_val_every_n_epoch",
    "all devices on a cpu",
    "devices as a float",
    "fraction val_check_interval across epochs",
    "seed too large",
    "negative max_steps",
    "non-integer max_steps",
    "zero max_steps",
    "run without an end",
    "typo'd trainer key",
    "seed interpolated into data",
    "unknown W&B mode",
    "typo in settings.yaml",
    "typo'd trainer key in a sweep",
    "unknown option",
    "optimizer value of the wrong type",
    "optimizer key the optimizer does not take",
    "zero devices",
    "negative devices",
    "unknown precision",
    "unknown accelerator",
    "accelerator not on this machine",
    "zero batch size",
    "experiment_name given",
    "experiment_name given to a sweep",
    "malformed experiment YAML",
    "experiment YAML without its package line",
    "a section given one value",
    "optimizer section given one value",
    "a section given one value in a sweep",
    "a run section given one value",
    "a config group given null",
    "a config group given no value",
    "hydra.job.chdir given",
    "hydra.job.chdir given no value",
    "a Lightning trainer key given without +",
    "num_threads not a count",
    "checkpoint interval not a number",
    "checkpoint switch not true or false",
    "a section removed",
    "a section removed in a sweep",
    "a plugin section given null",
    "a paths key removed",
}
CASES = [
    Case("unknown paper", ("run", "paper=nope", "experiment=x"), 2, "unknown paper 'nope' (known:"),
    Case("missing paper", ("run", "experiment=cnn"), 2, "missing paper=<id>"),
    Case(
        "unknown experiment",
        ("run", "paper=mnist1d", "experiment=vit"),
        2,
        "unknown experiment 'vit' for paper 'mnist1d' (known: logistic",
    ),
    Case("no experiment", ("run", "paper=mnist1d"), 2, "choose an experiment"),
    Case(
        "unknown launcher",
        ("sweep", "paper=mnist1d", "launcher=k8s", "--dry-run"),
        2,
        "unknown launcher 'k8s' (known:",
    ),
    Case(
        "unknown override key",
        ("run", "paper=mnist1d", "experiment=cnn", "model.depth=3"),
        2,
        "unknown config key 'model.depth'",
    ),
    Case(
        "malformed override",
        ("run", "paper=mnist1d", "experiment=cnn", "seed=[1"),
        2,
        "bad override",
    ),
    Case(
        "wrong type",
        ("run", "paper=mnist1d", "experiment=cnn", "seed=abc"),
        2,
        "seed must be an integer, got 'abc'",
    ),
    Case(  # it said `seed must be an integer, got None`, not that the key was removed
        "seed removed",
        ("run", "paper=mnist1d", "experiment=cnn", "~seed"),
        2,
        "seed: removed (~seed); give seed=N",
    ),
    Case(
        "seed removed in sweep",
        ("sweep", "paper=mnist1d", "~seed", "--dry-run"),
        2,
        "seed: removed (~seed); give seed=N",
    ),
    Case(  # it said Hydra's "Config group override must be a string or a list"
        "override without a key",
        ("run", "paper=mnist1d", "experiment=cnn", "=3"),
        2,
        "'=3': no key before '=': write <key>=<value> (seed=3, trainer.max_steps=100)",
    ),
    Case(
        "wrong type in sweep",
        ("sweep", "paper=mnist1d", "seeds=three"),
        2,
        "seeds must be an integer or auto, got 'three'",
    ),
    Case(
        "rerun that is not true or false",
        ("sweep", "paper=mnist1d", "rerun=no", "--dry-run"),
        2,
        "rerun must be true or false, got 'no'",
    ),
    Case(  # 'unknown config key ... write +seeds_together=...', which fails too
        "a sweep key given to repro run",
        ("run", "paper=mnist1d", "experiment=logistic", "seeds_together=true"),
        2,
        "seeds_together is a `repro sweep` key: `repro sweep paper=mnist1d seeds_together=true`",
    ),
    Case(  # a sweep dropped it unread and trained, exit 0
        "unknown option",
        ("sweep", "paper=mnist1d", "--dryrun"),
        2,
        "unknown option --dryrun (did you mean --dry-run?)",
    ),
    Case(
        "seeds=auto with seed=",
        ("sweep", "paper=mnist1d", "seeds=auto", "seed=10,11,12", "--dry-run"),
        2,
        "seeds=auto chooses the seeds (0, 1, ...): leave out seed=",
    ),
    Case(  # it planned seed 5 alone, seeds=2 dropped without a word
        "seeds=N with seed=",
        ("sweep", "paper=mnist1d", "seeds=2", "seed=5", "--dry-run"),
        2,
        "seeds=2 and seed=5 both choose the seeds: give one (seeds=2 is seed=0,1)",
    ),
    Case(
        "max_seeds below the pilot",
        ("sweep", "paper=mnist1d", "seeds=auto", "max_seeds=4", "--dry-run"),
        2,
        "max_seeds must be >= the pilot's 5 seeds",
    ),
    Case(  # it planned ~1e10 seeds (a flat pilot runs max_seeds), no word
        "max_seeds past any plan",
        ("sweep", "paper=mnist1d", "seeds=auto", "max_seeds=1000000000000", "--dry-run"),
        2,
        "max_seeds must be <= 10000",
    ),
    Case(  # range(1e12) ended in 'internal error: MemoryError'
        "seeds past any sweep",
        ("sweep", "paper=mnist1d", "seeds=1000000000000", "--dry-run"),
        2,
        "seeds must be <= 10000",
    ),
    Case(
        "several values without -m",
        ("run", "paper=mnist1d", "experiment=cnn,gru"),
        2,
        "has several values",
    ),
    Case(
        "paper id with path characters",
        ("run", "paper=../x", "experiment=a"),
        2,
        "invalid paper id '../x'",
    ),
    Case(
        "malformed YAML",
        RUN_TOY,
        2,
        "paper.yaml: line",
        lambda t: _toy(t, _replace("paper.yaml", "title: A toy", "title: [oops")),
    ),
    Case(
        "wrong field type",
        RUN_TOY,
        2,
        "paper.yaml: claims.0 (small_mse).value: Input should be a valid number",
        lambda t: _toy(t, _replace("paper.yaml", "value: 0.0", "value: high")),
    ),
    Case(
        "claim field its kind does not judge",
        RUN_TOY,
        2,
        "claims.0 (small_mse): a comparison claim does not use `value`, `tolerance`",
        lambda t: _toy(
            t,
            _replace(
                "paper.yaml",
                "value: 0.0, tolerance: 0.5,",
                "kind: comparison, versus: wide, direction: '<', value: 0.1, tolerance: 0.05,",
            ),
        ),
    ),
    Case(
        "claim names a missing experiment",
        RUN_TOY,
        2,
        "unknown experiment 'large'",
        lambda t: _toy(t, _replace("paper.yaml", "experiment: small", "experiment: large")),
    ),
    Case(
        "claim names a metric never logged",
        ("check", "toy"),
        1,
        "claims need test/r2 but the run logged only",
        lambda t: _toy(t, _replace("paper.yaml", "metric: test/mse", "metric: test/r2")),
    ),
    Case(
        "duplicate claim ids",
        RUN_TOY,
        2,
        "duplicate claim id 'small_mse'",
        lambda t: _toy(t, _duplicate_claim),
    ),
    Case(
        "plugin import fails",
        RUN_TOY,
        2,
        "paper 'toy': cannot import model.py: ModuleNotFoundError",
        lambda t: _toy(
            t, _replace("model.py", "import torch\n", "import torch\nimport nonexistent\n")
        ),
    ),
    Case(  # it said `cannot import models.py: ModuleNotFoundError: No module named
        # 'repro_plugin_toy.models'`, as if model.py had imported something missing
        "paper.yaml names a file the plugin lacks",
        RUN_TOY,
        2,
        "paper.yaml: module: models:ToyModule: the plugin folder has no models.py "
        "(did you mean 'model'?; its files: data.py, model.py)",
        lambda t: _toy(t, _replace("paper.yaml", "model:ToyModule", "models:ToyModule")),
    ),
    Case(
        "plugin data needs a download that is absent",
        ("run", "paper=dspn", "experiment=mnist", "logger=none"),
        2,
        "MNIST not found",
        _dspn_without_mnist,
    ),
    Case("non-finite loss", (*RUN_TOY, "optimizer.lr=1e30"), 1, "non-finite loss at step", _toy),
    Case(
        "no optimizer",
        RUN_TOY,
        1,
        "configure_optimizers returned no optimizer, so training changed none of",
        lambda t: _toy(t, _replace("model.py", "return torch.optim.SGD", "torch.optim.SGD")),
    ),
    Case(
        "unwritable results folder", RUN_TOY, 1, "cannot create run folder", _results_under_a_file
    ),
    Case("failed write (disk full)", RUN_TOY, 1, "No space left on device", _full_disk),
    Case(
        "corrupt run record",
        ("sweep", "paper=toy", "--dry-run"),
        0,
        "redo (corrupt record)",
        _corrupt_record,
    ),
    Case(  # `cannot create run folder <seed0>: File exists`, seed0 being no folder
        "a seed folder that is a file",
        RUN_TOY,
        1,
        "seed0 is a file, not a folder",
        _seed_folder_is_a_file,
    ),
    Case(  # Hydra printed a traceback (RuntimeError: Symlink loop), a sweep
        # `internal error`
        "a seed folder that is a link loop",
        RUN_TOY,
        1,
        "seed0 is a link that leads nowhere (a loop, or its target is gone)",
        _seed_folder_is_a_link_loop,
    ),
    Case(
        "exception in plugin code",
        RUN_TOY,
        1,
        "model.py:14: NameError: name 'hiden' is not defined",
        _plugin_with_a_name_error,
    ),
    Case(
        "W&B online without a key",
        ("run", "paper=toy", "experiment=small", "logger=wandb"),
        2,
        "W&B mode is online but no API key",
        _no_wandb_key,
    ),
    Case(
        "W&B upload without a key",
        ("sync",),
        2,
        "uploading needs a W&B API key",
        lambda tmp: {**_offline_wandb_run(tmp), "WANDB_API_KEY": "", "HOME": str(tmp)},
    ),
    Case(
        "W&B upload without network",
        ("sync",),
        1,
        "cannot reach http://127.0.0.1:9: Connection refused; nothing uploaded",
        _offline_wandb_run,
    ),
    *[
        Case(name, (*RUN_TOY, *values), 2, message, _toy)
        for name, values, message in (
            ("negative seed", ("seed=-1",), "seed must be in [0, 4294967295] (2**32-1), got -1"),
            ("seed too large", ("seed=99999999999",), "seed must be in [0, 4294967295]"),
            (
                "negative max_steps",
                ("trainer.max_steps=-5",),
                "trainer.max_steps must be a positive integer or -1 (unbounded), got -5",
            ),
            (
                "non-integer max_steps",
                ("trainer.max_steps=abc",),
                "trainer.max_steps must be an integer, got 'abc'",
            ),
            ("zero max_steps", ("trainer.max_steps=0",), "trainer.max_steps=0 trains nothing"),
            (
                "run without an end",
                ("trainer.max_steps=-1", "trainer.max_epochs=-1"),
                "the run has no end: set trainer.max_steps or trainer.max_epochs",
            ),
            (
                "typo'd trainer key",
                ("+trainer.max_step=3",),
                "unknown trainer key 'max_step' in trainer (did you mean 'max_steps'?)",
            ),
            (
                "seed interpolated into data",
                ("data.samples=${seed}",),
                "data.samples depends on ${seed}: the record folder would change with the seed",
            ),
        )
    ],
    Case(
        "unknown W&B mode",
        ("run", "paper=toy", "experiment=small"),
        2,
        "W&B mode 'garbage' (WANDB_MODE or logger.wandb.mode) is not one of online, offline",
        lambda tmp: {**_toy(tmp), "WANDB_MODE": "garbage"},
    ),
    Case(
        "typo in settings.yaml",
        RUN_TOY,
        2,
        "unknown top-level key 'num_thread' in the config (did you mean 'num_threads'?)",
        lambda tmp: _toy(tmp, _replace("settings.yaml", "data:", "num_thread: 1\ndata:")),
    ),
    Case(
        "mandatory value not given",
        RUN_TOY,
        2,
        "data.samples has no value (??? in the config): give data.samples=<value>",
        lambda tmp: _toy(tmp, _replace("settings.yaml", "samples: 64", "samples: ???")),
    ),
    Case(
        "typo'd trainer key in a sweep",
        ("sweep", "paper=toy", "+trainer.max_step=3", "--dry-run"),
        2,
        "unknown trainer key 'max_step' in trainer (did you mean 'max_steps'?)",
        _toy,
    ),
]


def _results_folder_is_a_file(tmp: Path) -> dict[str, str]:
    (tmp / "results_file").write_text("not a folder")
    return {**_toy(tmp), "REPRO_RESULTS_DIR": str(tmp / "results_file")}


def _results_folder_is_a_link_loop(tmp: Path) -> dict[str, str]:
    (tmp / "results_loop").symlink_to("results_loop")
    return {**_toy(tmp), "REPRO_RESULTS_DIR": str(tmp / "results_loop")}


def _paper_folder_is_a_file(tmp: Path) -> dict[str, str]:
    (tmp / "results").mkdir()
    (tmp / "results" / "toy").write_text("a sync tool's conflict copy")
    return {**_toy(tmp), "REPRO_RESULTS_DIR": str(tmp / "results")}


def _record_file_is_a_folder(tmp: Path) -> dict[str, str]:
    folder = tmp / "results" / "toy" / "small" / "1d5d204d47" / "seed0" / "record.json"
    folder.mkdir(parents=True)
    return {**_toy(tmp), "REPRO_RESULTS_DIR": str(tmp / "results")}


def _record_file_is_a_dead_link(tmp: Path) -> dict[str, str]:
    """The only record linked to a disk not mounted now: a sweep is blocked by it."""
    record = tmp / "results" / "toy" / "small" / "1d5d204d47" / "seed0" / "record.json"
    record.parent.mkdir(parents=True)
    record.symlink_to(tmp / "unmounted" / "record.json")
    return {**_toy(tmp), "REPRO_RESULTS_DIR": str(tmp / "results")}


def _records_and_a_file_in_the_way(tmp: Path) -> dict[str, str]:
    from tests.records.test_table import write_run

    write_run(tmp / "results", "cnn", 0, {"test/acc": 0.94})
    (tmp / "a_file").write_text("in the way")
    return {}


def _records_and_a_full_disk(tmp: Path) -> dict[str, str]:
    from tests.records.test_table import write_run

    write_run(tmp / "results", "cnn", 0, {"test/acc": 0.94})
    env = _full_disk(tmp)
    env.pop("REPRO_RESULTS_DIR")
    return env


def _damaged_seeds_auto_plan(tmp: Path) -> dict[str, str]:
    plan = tmp / "results" / "toy" / ".seeds_auto.json"
    plan.parent.mkdir(parents=True)
    plan.write_text('{"n0": 3, "seeds": {"sm')
    return _toy(tmp)


CASES += [  # the next sweep replaced it, every other setting's plan lost
    Case(
        "a damaged seeds=auto plan",
        ("sweep", "paper=toy", "seeds=auto", "--dry-run"),
        2,
        "toy/.seeds_auto.json: unreadable (JSONDecodeError): a seeds=auto sweep merges",
        _damaged_seeds_auto_plan,
    ),
]


CASES += [  # issue #11f: one line instead of a traceback or a misleading message
    Case(
        "results folder is a file",
        ("sweep", "paper=toy"),
        1,
        "is a file, not a folder",
        _results_folder_is_a_file,
    ),
    *[  # `internal error: RuntimeError: Symlink loop from ...`
        Case(
            f"results folder is a link loop, {arguments[0]}",
            arguments,
            1,
            "results_loop is a link that leads nowhere (a loop, or its target is gone)",
            _results_folder_is_a_link_loop,
        )
        for arguments in (RUN_TOY, ("sweep", "paper=toy", "--dry-run"))
    ],
    *[  # `no run records for paper 'toy'`, as if nothing had run
        Case(
            f"results folder {what}, report",
            ("report", "paper=toy"),
            1,
            message,
            prepare,
        )
        for what, message, prepare in (
            ("is a file", "results_file is a file, not a folder", _results_folder_is_a_file),
            (
                "is a link loop",
                "results_loop is a link that leads nowhere (a loop, or its target is gone)",
                _results_folder_is_a_link_loop,
            ),
            ("lies under a file", "a_file is a file, not a folder", _results_under_a_file),
            ("holds a paper folder that is a file", "toy is a file", _paper_folder_is_a_file),
        )
    ],
    Case(  # planned `to run`, as if the seed had never run; its run then stopped
        "a record that is a folder, sweep dry run",
        ("sweep", "paper=toy", "seed=0", "--dry-run"),
        0,
        "blocked (record.json is a folder)",
        _record_file_is_a_folder,
    ),
    *[  # planned `to run`; its run then stopped, naming it
        Case(
            f"a seed folder that {what}, sweep dry run",
            ("sweep", "paper=toy", "seed=0", "--dry-run"),
            0,
            f"blocked (seed0 is {said})",
            prepare,
        )
        for what, said, prepare in (
            ("is a file", "a file", _seed_folder_is_a_file),
            (
                "is a link loop",
                "a link that leads nowhere",
                _seed_folder_is_a_link_loop,
            ),
        )
    ],
    Case(  # `(1 unreadable skipped)`, which record, and why, unsaid
        "the only record is a folder, report",
        ("report", "paper=toy"),
        1,
        "1d5d204d47/seed0/record.json: unreadable (a folder, not a file))",
        _record_file_is_a_folder,
    ),
    Case(  # advised `make them with repro sweep`, which that record then blocked
        "the only record is a dead link, report",
        ("report", "paper=toy"),
        1,
        "a sweep stops at it: mount what it links to, or move it away; then make them with",
        _record_file_is_a_dead_link,
    ),
    Case(
        "a file in the way of report --out",
        ("report", "paper=mnist1d", "--out", "a_file/report"),
        1,
        "cannot write report to a_file/report: Not a directory",
        _records_and_a_file_in_the_way,
    ),
    Case(
        "report on a full disk",
        ("report", "paper=mnist1d", "--out", "full_disk/report"),
        1,
        "cannot write report to full_disk/report: No space left on device",
        _records_and_a_full_disk,
    ),
    Case(
        "optimizer value of the wrong type",
        ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "optimizer.lr=abc"),
        2,
        "optimizer.lr='abc': Adam does not accept it",
    ),
    Case(
        "optimizer key the optimizer does not take",
        ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "+optimizer.lrr=0.1"),
        2,
        "optimizer.lrr: not an argument of Adam (did you mean 'lr'?)",
    ),
    Case(
        "zero devices",
        ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "trainer.devices=0"),
        2,
        "trainer.devices=0: a positive number of devices",
    ),
    Case(
        "negative devices",
        ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "trainer.devices=-2"),
        2,
        "trainer.devices=-2: a positive number of devices",
    ),
    Case(  # Lightning's CPU takes no -1; the failed record went into the folder
        # a GPU machine's devices=-1 setting shares, as a bare TypeError
        "all devices on a cpu",
        ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "trainer.devices=-1"),
        2,
        "trainer.devices=-1: on this CPU a positive number of processes",
    ),
    Case(  # Lightning refuses a float device count on every accelerator
        "devices as a float",
        ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "trainer.devices=1.0"),
        2,
        "trainer.devices=1.0: a positive number of devices, -1 (all) or auto",
    ),
    Case(  # Lightning's `(epoch + 1) % 0` failed the run at its first batch
        "zero check_val_every_n_epoch",
        (
            "run",
            "paper=mnist1d",
            "experiment=logistic",
            "debug=fast",
            "trainer.check_val_every_n_epoch=0",
        ),
        2,
        "trainer.check_val_every_n_epoch=0: a positive integer or null",
    ),
    Case(  # Lightning refused it once the folder and a failed record existed
        "batch limit neither a fraction nor a count",
        (
            "run",
            "paper=mnist1d",
            "experiment=logistic",
            "debug=fast",
            "trainer.limit_val_batches=2.5",
        ),
        2,
        "trainer.limit_val_batches=2.5: a fraction in [0.0, 1.0] or a whole number of batches",
    ),
    Case(  # Lightning's bare TypeError once the folder and a failed record existed
        "batch limit as text",
        (
            "run",
            "paper=mnist1d",
            "experiment=logistic",
            "debug=fast",
            "trainer.limit_train_batches='5'",
        ),
        2,
        "trainer.limit_train_batches='5': a number, not text",
    ),
    Case(  # Lightning turned no deterministic algorithms on; the record said 1
        "deterministic as a number",
        ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "trainer.deterministic=1"),
        2,
        "trainer.deterministic=1: true, false, warn or null",
    ),
    Case(  # Lightning's fit refused it once the folder and a failed record existed
        "val_check_interval past the epoch",
        (
            "run",
            "paper=mnist1d",
            "experiment=logistic",
            "debug=fast",
            "+trainer.limit_train_batches=5",
            "+trainer.val_check_interval=50",
        ),
        2,
        "trainer.val_check_interval=50: more than the 5 batches of an epoch",
    ),
    Case(  # Lightning's `% 0` failed the run once the folder and a record existed
        "validation every 0 batches",
        (
            "run",
            "paper=mnist1d",
            "experiment=logistic",
            "debug=fast",
            "+trainer.val_check_interval=0",
        ),
        2,
        "trainer.val_check_interval=0: validation every 0 batches",
    ),
    Case(  # validated at steps that differ by machine, or not at all
        "validation at wall-clock times",
        (
            "run",
            "paper=mnist1d",
            "experiment=logistic",
            "debug=fast",
            "+trainer.val_check_interval={minutes:10}",
        ),
        2,
        "trainer.val_check_interval={'minutes': 10}: validation at wall-clock times",
    ),
    Case(  # Lightning validated after every batch, not never
        "validation at no fraction",
        (
            "run",
            "paper=mnist1d",
            "experiment=logistic",
            "debug=fast",
            "+trainer.val_check_interval=0.0",
        ),
        2,
        "trainer.val_check_interval=0.0: Lightning validates after every batch",
    ),
    Case(  # the Timer stopped the run before its first step ('trained zero steps')
        "max_time of no time",
        (
            "run",
            "paper=mnist1d",
            "experiment=logistic",
            "debug=fast",
            "+trainer.max_time=00:00:00:00",
        ),
        2,
        "trainer.max_time='00:00:00:00': no time, so the run trains nothing",
    ),
    Case(  # Lightning divided the loss by -1 (gradient ascent), filed as completed
        "gradient accumulation not a positive count",
        (
            "run",
            "paper=mnist1d",
            "experiment=logistic",
            "debug=fast",
            "+trainer.accumulate_grad_batches=-1",
        ),
        2,
        "trainer.accumulate_grad_batches=-1: a positive whole number of batches",
    ),
    Case(  # as max_steps=0, no result; it failed once the folder existed
        "zero training batches",
        (
            "run",
            "paper=mnist1d",
            "experiment=logistic",
            "debug=fast",
            "+trainer.limit_train_batches=0",
        ),
        2,
        "trainer.limit_train_batches=0 trains nothing",
    ),
    Case(  # 1.0 == 1 hashed as the valid setting; Lightning refused it in there
        "num_nodes as a float",
        ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "trainer.num_nodes=1.0"),
        2,
        "trainer.num_nodes=1.0: a positive integer (Lightning refuses any other)",
    ),
    Case(  # 1.0 is hashed as null, a valid setting; Lightning refused it in there
        "fraction val_check_interval across epochs",
        (
            "run",
            "paper=mnist1d",
            "experiment=logistic",
            "debug=fast",
            "trainer.check_val_every_n_epoch=null",
            "+trainer.val_check_interval=1.0",
        ),
        2,
        "trainer.val_check_interval=1.0: with trainer.check_val_every_n_epoch=null it counts "
        "batches across epochs: an integer",
    ),
    Case(
        "unknown precision",
        ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "trainer.precision=7"),
        2,
        "trainer.precision=7: not a precision Lightning knows (known: ",
    ),
    Case(  # Lightning ran bf16 on the CPU, filed as the setting a GPU runs in fp16
        "fp16 on a cpu",
        ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "trainer.precision=16"),
        2,
        "trainer.precision=16: fp16 mixed precision needs a GPU; on this CPU Lightning would "
        "run bf16-mixed",
    ),
    Case(  # 32.0 == 32 passed the check, then the Trainer raised 'No precision set'
        "precision as a float",
        ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "trainer.precision=32.0"),
        2,
        "trainer.precision=32.0: not a precision Lightning knows (known: ",
    ),
    Case(
        "unknown accelerator",
        (
            "run",
            "paper=mnist1d",
            "experiment=logistic",
            "debug=fast",
            "trainer.accelerator=quantum",
        ),
        2,
        "trainer.accelerator='quantum': unknown (known: auto, cpu, cuda, gpu, mps, tpu)",
    ),
    Case(
        "accelerator not on this machine",
        ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "trainer.accelerator=tpu"),
        2,
        "trainer.accelerator='tpu': no tpu on this machine",
    ),
    Case(
        "zero batch size",
        ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "data.batch_size=0"),
        2,
        "data.batch_size=0: must be a positive integer",
    ),
    Case(  # run wrote under experiment_name=foo, sweep set it back: never met
        "experiment_name given",
        ("run", "paper=mnist1d", "experiment=logistic", "debug=fast", "experiment_name=../../x"),
        2,
        "experiment_name is set by experiment=<name> (it names the record folder)",
    ),
    Case(  # with hydra.run.dir=D, records went to D/results, unseen by report
        "hydra.job.chdir given",
        ("run", "paper=mnist1d", "experiment=logistic", "hydra.job.chdir=true"),
        2,
        "hydra.job.chdir=true: repro keeps the working directory",
    ),
    Case(  # Hydra's only line was 'Error merging override hydra.job.chdir=\'\''
        "hydra.job.chdir given no value",
        ("run", "paper=mnist1d", "experiment=logistic", "hydra.job.chdir=''"),
        2,
        "hydra.job.chdir='': true or false, not empty",
    ),
    Case(
        "experiment_name given to a sweep",
        ("sweep", "paper=mnist1d", "experiment=logistic", "experiment_name=foo", "--dry-run"),
        2,
        "experiment_name is set by experiment=<name> (it names the record folder)",
    ),
    Case(
        "malformed experiment YAML",
        ("run", "paper=toy", "experiment=wide", "logger=none"),
        2,
        "experiment/wide.yaml: line 3: malformed YAML (expected ',' or ']'",
        _experiment_file("# @package _global_\ndata:\n  features: [8\n"),
    ),
    Case(
        "experiment YAML without its package line",
        ("run", "paper=toy", "experiment=wide", "logger=none"),
        2,
        "experiment/wide.yaml: its keys landed under 'experiment:'; start the file with "
        "`# @package _global_`",
        _experiment_file("data:\n  features: 8\nmodel:\n  features: 8\n"),
    ),
    Case(  # "unknown top-level key 'experiment' (did you mean 'experiment_name'?)"
        "experiment YAML that is a list",
        ("run", "paper=toy", "experiment=wide", "logger=none"),
        2,
        "experiment/wide.yaml: a list, not keys: a config file holds `section:` keys "
        "(data:, model:, ...)",
        _experiment_file("- data\n- model\n"),
    ),
    Case(  # "ConfigTypeError raised while composing config: Cannot merge ..."
        "experiment YAML that is a list under its package line",
        ("run", "paper=toy", "experiment=wide", "logger=none"),
        2,
        "experiment/wide.yaml: a list, not keys: a config file holds `section:` keys "
        "(data:, model:, ...)",
        _experiment_file("# @package _global_\n- data\n- model\n"),
    ),
    Case(  # 'internal error: NotADirectoryError', exit 1
        "repro new into a papers folder that is a file",
        ("new", "x", "--papers-dir", "/etc/hostname"),
        2,
        "papers folder /etc/hostname: /etc/hostname is a file, not a folder",
    ),
    Case(  # blamed the data module's keys: "unknown model key 'optimizer'"
        "module and datamodule swapped in paper.yaml",
        ("run", "paper=toy", "experiment=small", "logger=none"),
        2,
        "paper.yaml: module: data:ToyData is not a LightningModule (module: and datamodule: "
        "are swapped)",
        lambda tmp: _toy(tmp, _swap_classes),
    ),
    Case(  # exit 1 (a failure of repro's) for a folder the user chose
        "repro new into a papers folder that cannot be made",
        ("new", "x", "--papers-dir", "/proc/nope"),
        2,
        "cannot create /proc/nope/x: No such file or directory; choose another --papers-dir",
    ),
    Case(  # shown verbatim in every report: a reader's .bib then read the rest of it wrong
        "paper.yaml bibtex with unbalanced braces",
        ("show", "toy"),
        2,
        "{plugins}/toy/paper.yaml: bibtex: its braces do not balance (4 {, 3 }): fix the "
        "entry, or remove bibtex to have one built from the fields",
        lambda tmp: _toy(tmp, _unbalanced_bibtex),
    ),
    Case(  # papers/amsgrad was made, and hidden by the built-in amsgrad
        "repro new with the id of a built-in paper",
        ("new", "mnist1d"),
        2,
        "'mnist1d' is already a paper (built-in, ",
    ),
    Case(
        "papers folder missing, every paper's report",
        ("report", "--papers-dir", "/nonexistent"),
        2,
        "papers folder /nonexistent does not exist",
        lambda tmp: _with_a_record(tmp),
    ),
    Case(
        "a section given one value",
        ("run", "paper=mnist1d", "experiment=cnn", "model=3"),
        2,
        "model=3: model is a section of keys; set one of them: model.<key>=3",
    ),
    Case(
        "optimizer section given one value",
        ("run", "paper=mnist1d", "experiment=cnn", "optimizer=0.1"),
        2,
        "optimizer=0.1: optimizer is a section of keys; set one of them: optimizer.<key>=0.1",
    ),
    Case(
        "a section given one value in a sweep",
        ("sweep", "paper=mnist1d", "data=abc", "--dry-run"),
        2,
        "data='abc': data is a section of keys; set one of them: data.<key>=abc",
    ),
    Case(  # internal error: AttributeError ('int' object has no attribute 'get')
        "a run section given one value",
        ("run", "paper=mnist1d", "experiment=cnn", "checkpoint=3"),
        2,
        "checkpoint=3: checkpoint is a section of keys; set one of them: checkpoint.<key>=3",
    ),
    Case(
        "a config group given null",
        ("run", "paper=mnist1d", "experiment=cnn", "logger=null"),
        2,
        "logger=null: logger is a config group: choose one of its options (csv, default, none, "
        "wandb)",
    ),
    Case(  # "In 'run': Could not find 'logger/' Available options in 'logger':"
        "a config group given no value",
        ("run", "paper=mnist1d", "experiment=cnn", "logger="),
        2,
        "logger=: logger is a config group: choose one of its options (csv, default, none, wandb)",
    ),
    Case(  # it said "did you mean 'trainer.accelerator'?" before the + it needs
        "a Lightning trainer key given without +",
        ("run", "paper=mnist1d", "experiment=cnn", "trainer.val_check_interval=5"),
        2,
        "unknown config key 'trainer.val_check_interval' (a Lightning Trainer argument "
        "configs/trainer/default.yaml leaves out: write +trainer.val_check_interval=...)",
    ),
    Case(
        "a config group given a number in a sweep",
        ("sweep", "paper=mnist1d", "trainer=3", "--dry-run"),
        2,
        "trainer=3: trainer is a config group: choose one of its options (default)",
    ),
    Case(  # it trained after the record said running, then left it so with a traceback
        "num_threads not a count",
        ("run", "paper=mnist1d", "experiment=cnn", "num_threads=abc"),
        2,
        "num_threads must be a positive integer or null, got 'abc'",
    ),
    Case(
        "checkpoint interval not a number",
        ("run", "paper=mnist1d", "experiment=cnn", "checkpoint.every_s=abc"),
        2,
        "checkpoint.every_s must be a number >= 0, got 'abc'",
    ),
    Case(  # a word was taken as true
        "checkpoint switch not true or false",
        ("run", "paper=mnist1d", "experiment=cnn", "checkpoint.enabled=maybe"),
        2,
        "checkpoint.enabled must be true or false, got 'maybe'",
    ),
    Case(  # it trained the module's own defaults, and the record's config had no model:
        "a section removed",
        ("run", "paper=mnist1d", "experiment=cnn", "~model"),
        2,
        "~model removes the model section: the plugin's module would run with its own "
        "defaults, which the record's config would not name; change its keys instead "
        "(model.<key>=<value>, or ~model.<key> to leave one out)",
    ),
    Case(
        "a section removed in a sweep",
        ("sweep", "paper=mnist1d", "~optimizer", "--dry-run"),
        2,
        "~optimizer removes the optimizer section",
    ),
    Case(
        "a plugin section given null",
        ("run", "paper=mnist1d", "experiment=cnn", "data=null"),
        2,
        "data=null removes the data section: the plugin's data module would run with its own "
        "defaults",
    ),
    Case(  # it was 'internal error: KeyError'
        "a paths key removed",
        ("run", "paper=mnist1d", "experiment=cnn", "~paths.results_dir"),
        2,
        "~paths.results_dir: repro needs paths.results_dir (where it writes and reads); set it "
        "instead: paths.results_dir=<folder>",
    ),
    Case(
        "papers folder is a file",
        ("papers", "--papers-dir", "/etc/passwd"),
        2,
        "papers folder /etc/passwd is a file, not a folder",
    ),
    Case(
        "plugin folder without paper.yaml",
        RUN_TOY,
        2,
        "unknown paper 'toy': {plugins}/toy has no paper.yaml: rename its paper.yml to paper.yaml",
        lambda t: _toy(t, lambda folder: (folder / "paper.yaml").rename(folder / "paper.yml")),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    env = case.prepare(tmp_path) if case.prepare else {}
    unmount = env.pop("_UNMOUNT", None)
    try:
        done = repro(*case.arguments, env=env, timeout=600)
    finally:
        if unmount:
            subprocess.run(["umount", unmount], capture_output=True)
    assert done.returncode == case.exit_code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    if case.id in CONFIG_CASE_IDS:  # stopped before a record folder (`seed-1`, ...) exists
        assert not (tmp_path / "results").exists()
    if case.exit_code == 0:
        assert case.message in done.stdout
        return
    lines = [line for line in done.stderr.strip().splitlines() if line.startswith("error: ")]
    message = case.message.replace("{plugins}", str(tmp_path / "plugins"))
    assert len(lines) == 1 and message in lines[0], (done.stdout, done.stderr)


def test_debug_flag_shows_the_traceback() -> None:
    done = repro("--debug", "run", "paper=nope", "experiment=x")
    assert done.returncode == 2 and "Traceback" in done.stderr


def test_catalogue_documents_every_case() -> None:
    documented = set(
        re.findall(r"^\| ([^|]+?) \|", (REPO / "docs" / "errors.md").read_text(), flags=re.M)
    )
    missing = [c.id for c in CASES if c.id not in documented]
    assert not missing, f"docs/errors.md lacks rows for {missing}"


def test_finished_record_survives_a_failed_rerun(tmp_path: Path) -> None:
    env = _toy(tmp_path)
    assert repro(*RUN_TOY, env=env).returncode == 0
    record = next((tmp_path / "results").rglob("record.json"))
    before = json.loads(record.read_text())
    _replace(
        "model.py",
        "        x, y = batch\n        loss",
        "        raise RuntimeError('boom')\n        x, y = batch\n        loss",
    )(tmp_path / "plugins" / "toy")
    failed = repro(*RUN_TOY, "rerun=true", env=env)
    assert failed.returncode == 1 and "RuntimeError: boom" in failed.stderr
    assert json.loads(record.read_text()) == before
    assert json.loads(record.with_name("record.failed.json").read_text())["status"] == "failed"


def _files_of(record_dir: Path) -> dict[str, bytes]:
    """A run folder's files (its record, config, final weights), not those kept aside."""
    return {
        str(p.relative_to(record_dir)): p.read_bytes()
        for p in record_dir.rglob("*")
        if p.is_file() and p.name != ".lock" and ".superseded" not in p.parts
    }


def test_finished_record_survives_a_failed_stale_retrain(tmp_path: Path) -> None:
    """Code edited with a bug in test_step: the sweep retrains the stale run and fails. The
    completed record (other code's) stays the folder's, still reported; the edit reverted,
    it is current again and nothing retrains."""
    from repro.sweeping.plan import DONE, _state_of

    env = _toy(tmp_path)
    assert repro(*RUN_TOY, env=env).returncode == 0
    record = next((tmp_path / "results").rglob("record.json"))
    before = _files_of(record.parent)
    model = tmp_path / "plugins" / "toy" / "model.py"
    good = model.read_text()
    model.write_text(good.replace("self.net(x).squeeze(-1), y))", "self.net(x).squeeze(-1), yy))"))
    failed = repro(*RUN_TOY, env=env)
    assert failed.returncode == 1 and "NameError" in failed.stderr, failed.stderr
    assert "stale: toy/small/seed0 was made by other plugin code" in failed.stderr
    assert {n: f for n, f in _files_of(record.parent).items() if n in before} == before
    assert json.loads(record.with_name("record.failed.json").read_text())["status"] == "failed"
    assert not (record.parent / ".superseded").exists()
    report = repro("report", "paper=toy", env=env)
    assert report.returncode == 0, report.stderr
    assert "judged on runs of earlier plugin code" in report.stdout + report.stderr
    (claim,) = [
        line
        for line in (tmp_path / "reports/toy/report.md").read_text().splitlines()
        if "small_mse" in line and "|" in line
    ]
    assert "not run" not in claim and "no completed runs" not in claim, claim

    model.write_text(good)  # reverted: the completed record is the current code's again
    assert _state_of(record.parent, model.parent) == DONE


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_plugin_traceback_and_the_record_keeps_it(
    tmp_path: Path, where: str
) -> None:
    env = _plugin_with_a_name_error(tmp_path)
    arguments = ("--debug", *RUN_TOY) if where == "before" else ("run", "--debug", *RUN_TOY[1:])
    done = repro(*arguments, env=env)
    assert done.returncode == 1, done.stderr
    assert "Traceback" in done.stderr and 'model.py", line 14' in done.stderr, done.stderr
    (record,) = (tmp_path / "results").rglob("record.json")
    kept = json.loads(record.read_text())
    assert kept["status"] == "failed" and kept["error"].startswith("model.py:14: NameError")
    assert 'model.py", line 14' in kept["traceback"]


def test_without_debug_the_failed_record_still_keeps_the_traceback(tmp_path: Path) -> None:
    done = repro(*RUN_TOY, env=_plugin_with_a_name_error(tmp_path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (record,) = (tmp_path / "results").rglob("record.json")
    assert "NameError" in json.loads(record.read_text())["traceback"]


# Damaged records of a setting are set aside and the setting trained again (issue #11f).


def _with_plugin(record: dict, **changes: object) -> str:
    """The record, its `code.plugin` section changed, as JSON."""
    plugin = {**record["code"]["plugin"], **changes}
    return json.dumps({**record, "code": {**record["code"], "plugin": plugin}})


DAMAGED_RECORDS = {
    "a JSON list": lambda record: json.dumps([record]),
    "a non-numeric metric": lambda record: json.dumps({**record, "metrics": {"test/mse": "zero"}}),
    "a config hash that is a number": lambda record: json.dumps({**record, "config_hash": 5}),
    # an internal error, a traceback
    "code classes that are a list": lambda record: _with_plugin(record, classes=[5]),
    "a code digest that is a number": lambda record: _with_plugin(record, digest=5),
}


@pytest.mark.parametrize("damage", DAMAGED_RECORDS, ids=list(DAMAGED_RECORDS))
def test_a_damaged_record_is_set_aside_and_its_run_trained_again(
    tmp_path: Path, damage: str
) -> None:
    env = _toy(tmp_path)
    assert repro(*RUN_TOY, env=env).returncode == 0
    record_file = next((tmp_path / "results").rglob("record.json"))
    damaged = DAMAGED_RECORDS[damage](json.loads(record_file.read_text()))
    record_file.write_text(damaged)
    done = repro(*RUN_TOY, env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "record.corrupt.json" in warnings[0], done.stderr
    assert json.loads(record_file.read_text())["status"] == "completed"
    assert record_file.with_name("record.corrupt.json").read_text() == damaged


def test_a_plugin_hidden_by_another_of_its_id_is_named_once(tmp_path: Path) -> None:
    """./papers/toy (where `repro new` writes) was silently hidden by a toy in
    --papers-dir: edits to the one in papers/ never took effect, and nothing said why."""
    write_toy_paper(tmp_path / "mine")
    edited = write_toy_paper(tmp_path / "papers") / "model.py"
    edited.write_text(edited.read_text() + "\n# the user's edit\n")
    done = repro("show", "toy", "--papers-dir", str(tmp_path / "mine"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"warning: paper toy in {tmp_path / 'mine'} hides the one in ./papers"
    ], done.stderr


def test_a_copy_of_a_plugin_hidden_by_it_is_not_named(tmp_path: Path) -> None:
    """after a plain `pip install .`, every command run in the checkout warned that
    each built-in paper hides its copy in ./papers: true, and the same files, so noise."""
    write_toy_paper(tmp_path / "mine")
    shutil.copytree(tmp_path / "mine", tmp_path / "papers")
    done = repro("show", "toy", "--papers-dir", str(tmp_path / "mine"), cwd=tmp_path)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_a_papers_dir_plugin_named_like_a_built_in_one_warns_once(tmp_path: Path) -> None:
    write_toy_paper(tmp_path / "mine", "mnist1d")
    done = repro("show", "mnist1d", "--papers-dir", str(tmp_path / "mine"))
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"warning: paper mnist1d in {tmp_path / 'mine'} replaces the built-in paper mnist1d"
    ]
    assert "A toy regression paper" in done.stdout
