"""W&B runs you can browse: what an offline run holds (read back with wandb's own reader),
one run id per attempt, and a bounded start-up when W&B's server cannot be reached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from repro.running import loggers
from tests.conftest import repro, write_toy_paper

WANDB_CLI = Path(sys.executable).with_name("wandb")
FAKE_KEY = "x" * 40
UNREACHABLE_SERVER = "http://127.0.0.1:9"  # the discard port: nothing listens, refused at once


def _toy_env(tmp_path: Path) -> dict[str, str]:
    """The toy plugin, its module saving its hyperparameters as the built-in papers do."""
    model = write_toy_paper(tmp_path / "plugins", "toy") / "model.py"
    text = model.read_text()
    anchor = "super().__init__()\n"
    assert anchor in text
    model.write_text(text.replace(anchor, anchor + "        self.save_hyperparameters()\n"))
    return {"REPRO_PAPERS_PATH": str(tmp_path / "plugins")}


def _run_toy(tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> Any:
    return repro(
        "run",
        "paper=toy",
        "experiment=small",
        "logger=default",
        "trainer.max_steps=4",
        *extra,
        env={**_toy_env(tmp_path), **(env or {})},
        timeout=300,
    )


def _record(results: Path) -> dict[str, Any]:
    (record_file,) = results.rglob("record.json")
    return json.loads(record_file.read_text())


def _read_wandb_log(run_folder: Path) -> list[dict[str, Any]]:
    """The records of an offline run's .wandb transaction log, parsed by wandb itself
    (`wandb leet inspect --json`: wandb-core's reader, one JSON object per record)."""
    (log_file,) = run_folder.glob("run-*.wandb")
    probe = subprocess.run(
        [str(WANDB_CLI), "leet", "inspect", "--help"], capture_output=True, timeout=120
    )
    if probe.returncode != 0:  # wandb < 0.31 has a Python DataStore reader instead
        pytest.skip("this wandb has no `wandb leet inspect` to read .wandb files")
    done = subprocess.run(
        [str(WANDB_CLI), "leet", "inspect", str(log_file), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def _merged_config(records: list[dict[str, Any]]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for record in records:
        for source in (record.get("run", {}).get("config"), record.get("config")):
            config.update((source or {}).get("update") or {})
    return config


def test_offline_run_holds_full_config_tags_group_and_job_type(
    tmp_path: Path, isolated_env: Path
) -> None:
    done = _run_toy(tmp_path, "seed=3")
    assert done.returncode == 0, done.stderr
    record = _record(isolated_env)
    wandb_info = record["wandb"]
    folder = next(isolated_env.rglob("record.json")).parent
    run_folder = folder / wandb_info["dir"]
    assert run_folder.is_dir() and run_folder.name.startswith("offline-run-")
    assert wandb_info["mode"] == "offline"
    assert run_folder.name.endswith(wandb_info["run_id"])

    log = _read_wandb_log(run_folder)
    (run,) = [r["run"] for r in log if r["type"] == "run"]
    config = _merged_config(log)
    assert run["run_id"] == wandb_info["run_id"]
    assert run["run_group"] == f"toy/small/{record['config_hash']}"
    assert run["job_type"] == "train"
    assert set(run["tags"]) >= {"toy", "small", "small_mse"}
    assert config["seed"] == 3
    assert config["paper"] == "toy"
    assert config["experiment"] == config["experiment_name"] == "small"
    assert config["config_hash"] == record["config_hash"]
    assert config["git_sha"] == record["environment"]["git"]["sha"]
    assert config["trainer"]["max_steps"] == 4
    assert config["optimizer"]["lr"] == 0.05
    assert config["module"]["features"] == 4  # the module's own hyperparameters, kept apart
    assert "features" not in config and "explode" not in config


def test_offline_run_folder_has_config_yaml_and_no_link_out_of_results(
    tmp_path: Path, isolated_env: Path
) -> None:
    """wandb-core writes no files/config.yaml offline and links logs/debug-core.log to
    ~/.cache; repro writes the one and replaces the other with a copy of the log."""
    done = _run_toy(tmp_path, "seed=2")
    assert done.returncode == 0, done.stderr
    record = _record(isolated_env)
    run_folder = next(isolated_env.rglob("record.json")).parent / record["wandb"]["dir"]

    written = yaml.safe_load((run_folder / "files" / "config.yaml").read_text())
    assert written.pop("wandb_version") == 1
    config = {key: entry["value"] for key, entry in written.items()}  # W&B's layout
    assert config["seed"] == 2 and config["paper"] == "toy"
    assert config["config_hash"] == record["config_hash"]
    assert config["trainer"]["max_steps"] == 4
    assert config["module"]["features"] == 4  # logged after init, by Lightning

    core_log = run_folder / "logs" / "debug-core.log"
    assert core_log.is_file() and not core_log.is_symlink()
    results = isolated_env.resolve()
    leaving = [
        f"{path} -> {os.readlink(path)}"
        for path in isolated_env.rglob("*")
        if path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(results)
    ]
    assert not leaving


def test_rerun_writes_a_new_wandb_run(tmp_path: Path, isolated_env: Path) -> None:
    first = _run_toy(tmp_path)
    assert first.returncode == 0, first.stderr
    again = _run_toy(tmp_path, "rerun=true")
    assert again.returncode == 0, again.stderr
    record_dir = next(isolated_env.rglob("record.json")).parent
    ids = sorted(p.name.split("-", 3)[-1] for p in (record_dir / "wandb").glob("offline-run-*"))
    assert len(ids) == 2 and ids[0] != ids[1], ids
    assert _record(isolated_env)["wandb"]["run_id"] == ids[1]


def test_attempt_run_id_new_per_attempt_kept_on_resume(tmp_path: Path) -> None:
    base = "toy-small-abc-s0"
    assert loggers.attempt_run_id(base, tmp_path, attempt=1) == f"{base}-a1"
    previous = {"wandb": {"run_id": f"{base}-a1"}}
    assert loggers.attempt_run_id(base, tmp_path, 2, resumed=previous) == f"{base}-a1"
    # an id already used in this record folder (a failed rerun) is never reused
    (tmp_path / "wandb" / f"offline-run-20260101_000000-{base}-a2").mkdir(parents=True)
    assert loggers.attempt_run_id(base, tmp_path, attempt=2) == f"{base}-a3"


def test_online_without_network_falls_back_to_offline(tmp_path: Path, isolated_env: Path) -> None:
    done = _run_toy(
        tmp_path,
        env={
            "WANDB_MODE": "online",
            "WANDB_API_KEY": FAKE_KEY,
            "WANDB_BASE_URL": UNREACHABLE_SERVER,
        },
    )
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "W&B" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: "), done.stderr
    assert "offline" in warnings[0] and "repro sync" in warnings[0]
    wandb_info = _record(isolated_env)["wandb"]
    assert wandb_info["mode"] == "offline"
    assert wandb_info["fallback_from"] == "online"
    assert wandb_info["dir"].startswith("wandb/offline-run-")


def test_unreachable_server_is_probed_once_per_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probes: list[str] = []

    def refused(url: str, timeout_s: float) -> str:
        probes.append(url)
        return "connection refused"

    monkeypatch.setattr(loggers, "server_unreachable_reason", refused)
    monkeypatch.setenv("REPRO_SWEEP_ID", "sweep-1")
    monkeypatch.delenv(loggers.UNREACHABLE_ENV, raising=False)
    assert "connection refused" in (loggers.online_blocked_reason(tmp_path) or "")
    # another process of the same sweep (no inherited environment) reads the marker
    monkeypatch.delenv(loggers.UNREACHABLE_ENV)
    assert "connection refused" in (loggers.online_blocked_reason(tmp_path) or "")
    assert len(probes) == 1


def test_resumed_attempt_continues_its_wandb_run(tmp_path: Path, isolated_env: Path) -> None:
    first = _run_toy(tmp_path, "checkpoint.keep=true", "checkpoint.every_s=0")
    assert first.returncode == 0, first.stderr
    record_file = next(isolated_env.rglob("record.json"))
    interrupted = {**json.loads(record_file.read_text()), "status": "interrupted"}
    record_file.write_text(json.dumps(interrupted))  # as if cut short after its checkpoint
    resumed = _run_toy(tmp_path, "checkpoint.keep=true", "checkpoint.every_s=0")
    assert resumed.returncode == 0, resumed.stderr
    record = _record(isolated_env)
    assert record["resumed_from"] and record["attempts"] == 2
    assert record["wandb"]["run_id"] == interrupted["wandb"]["run_id"]
    folders = sorted((record_file.parent / "wandb").glob("offline-run-*"))
    assert len(folders) == 2
    assert {f.name.split("-", 3)[-1] for f in folders} == {record["wandb"]["run_id"]}


def _history(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The logged rows, without W&B's own clock fields (the rows' wall times)."""
    return [
        {k: v for k, v in r["history"]["item"].items() if k not in ("_runtime", "_timestamp")}
        for r in log
        if r["type"] == "history"
    ]


def test_seeds_trained_together_each_get_the_wandb_run_a_seed_alone_gets(
    tmp_path: Path,
) -> None:
    """A group runs no Lightning logger; each seed's W&B run is written from its curves once
    it is tested: the same id, group, tags, config, module hyperparameters and rows (at the
    same steps) as the seed trained alone, and the record names it for `repro sync`."""
    env = _toy_env(tmp_path)
    data = tmp_path / "plugins" / "toy" / "data.py"  # its hyperparameters are logged too
    anchor = "super().__init__()\n"
    data.write_text(
        data.read_text().replace(anchor, anchor + "        self.save_hyperparameters()\n")
    )
    logs = {}
    for mode in ("true", "false"):
        results = tmp_path / mode
        done = repro(
            "sweep",
            "paper=toy",
            "experiment=small",
            "seeds=2",
            "logger=default",
            f"seeds_together={mode}",
            env={**env, "REPRO_RESULTS_DIR": str(results)},
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert ("together on cpu" in done.stdout) == (mode == "true")
        for record_file in sorted(results.rglob("record.json")):
            record = json.loads(record_file.read_text())
            info = record["wandb"]
            assert info["mode"] == "offline" and info["run_id"].endswith(f"-s{record['seed']}-a1")
            log = _read_wandb_log(record_file.parent / info["dir"])
            (run,) = [r["run"] for r in log if r["type"] == "run"]
            config = _merged_config(log)
            config.pop("_wandb", None)
            config["paths"].pop("results_dir")  # the only key meant to differ: true/ or false/
            logs[mode, record["seed"]] = (info, run, config, _history(log))
    for seed in (0, 1):
        (info, run, config, rows), alone = logs["true", seed], logs["false", seed]
        assert info["run_id"] == alone[0]["run_id"] and info["group"] == alone[0]["group"]
        for key in ("run_group", "job_type", "tags", "display_name"):
            assert run.get(key) == alone[1].get(key), key
        assert config == alone[2]
        assert config["module"]["features"] == 4 and config["module"]["samples"] == 64
        assert [sorted(r) for r in rows] == [sorted(r) for r in alone[3]] and rows
        for row, alone_row in zip(rows, alone[3], strict=True):
            assert row == pytest.approx(alone_row, abs=1e-6)


def test_a_claim_id_longer_than_64_characters_is_a_tag_wandb_accepts(tmp_path: Path) -> None:
    """A claim id of 85 characters (which `repro check` accepts) became a W&B run tag as is;
    W&B refuses tags over 64 characters, so every run of its experiment failed at the start
    (`ValidationError ... Tags must be between 1 and 64 characters`)."""
    from repro.running.loggers import wandb_run_for

    long_id = "very_long_claim_name_" * 4 + "x"
    record = {"paper": "toy", "experiment": "small", "seed": 0, "config_hash": "aa6d817486"}
    run = wandb_run_for({}, record, [long_id, "small_mse"], tmp_path, None)
    assert all(1 <= len(tag) <= 64 for tag in run.tags), run.tags
    assert "small_mse" in run.tags, run.tags
    assert any(long_id.startswith(t.rpartition("-")[0]) for t in run.tags), run.tags


def test_two_long_claim_ids_sharing_their_first_64_characters_get_distinct_tags(
    tmp_path: Path,
) -> None:
    """Claim ids were cut to their first 64 characters: two claims (on two experiments) that
    differ only past them got one tag, so filtering W&B by one claim's tag showed the other's
    runs too. A cut tag ends with a hash of the whole id."""
    from repro.running.loggers import wandb_run_for

    stem = "very_long_claim_name_" * 4
    record = {"paper": "toy", "experiment": "small", "seed": 0, "config_hash": "aa6d817486"}
    first = wandb_run_for({}, record, [stem + "cnn"], tmp_path, None).tags[-1]
    second = wandb_run_for({}, record, [stem + "mlp"], tmp_path, None).tags[-1]
    assert first != second and len(first) <= 64 and len(second) <= 64, (first, second)
    again = wandb_run_for({}, record, [stem + "cnn"], tmp_path, None).tags[-1]
    assert again == first  # the same claim's runs share their tag


def test_why_wandb_would_not_start_keeps_the_whole_first_line_of_its_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reason seeds together is off (`W&B would not start (...)`) was cut at 160
    characters: a settings error naming a long folder first lost what was wrong with it."""
    message = f"wandb dir /{'deep/' * 40}wandb is not writable: permission denied"

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(message)

    monkeypatch.setattr(loggers, "_unstarted", refuse)
    assert loggers.wandb_start_problem({"project": "p"}) == f"PermissionError: {message}"


def test_a_wandb_finish_warning_is_bounded_but_keeps_the_end_of_its_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A terminal warning stays one bounded line, but the cut was at its end: a long path
    first, and the cause (the part after it) was lost. Its middle is cut instead."""
    import types

    import wandb

    message = f"cannot write /{'deep/' * 60}config.yaml: No space left on device"

    def finish(exit_code: int = 0) -> None:
        raise OSError(message)

    run = types.SimpleNamespace(offline=False, settings=types.SimpleNamespace(wandb_dir=None))
    monkeypatch.setattr(wandb, "run", run, raising=False)
    monkeypatch.setattr(wandb, "finish", finish)
    loggers.finish_wandb()
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("warning: W&B run not finished (OSError: cannot write /deep/"), line
    assert line.endswith("config.yaml: No space left on device); the run's record is kept"), line
    assert len(line) < 260, len(line)


@pytest.mark.parametrize(
    "override",
    [
        "trainer.limit_test_batches=0.01",  # refused at fit start, its W&B run already begun
        "model.explode=true",  # fails: a NaN loss at step 3
    ],
)
def test_a_run_that_did_not_complete_ends_its_wandb_run_failed(
    tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch, override: str
) -> None:
    """An online W&B run is created as the run starts, before the refusals at fit start: a
    run refused there (or one that failed) finished its W&B run with exit code 0, which W&B
    shows as `finished`, a run that trained; on the server it stays after the record of the
    refused one is taken back."""
    import wandb

    import repro
    from repro.errors import ReproError

    ends: list[Any] = []
    real = wandb.finish

    def finish(*args: Any, **kwargs: Any) -> Any:
        ends.append(kwargs.get("exit_code", args[0] if args else None))
        return real(*args, **kwargs)

    monkeypatch.setattr(wandb, "finish", finish)
    monkeypatch.setenv("REPRO_PAPERS_PATH", _toy_env(tmp_path)["REPRO_PAPERS_PATH"])
    with pytest.raises(ReproError):
        repro.run("toy", "small", overrides=["logger=wandb", override])
    assert ends and all(code == 1 for code in ends), ends


def test_a_completed_runs_wandb_run_is_finished_only_once_its_completed_record_is_on_disk(
    tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """W&B was told `finished` before the completed record was written: a kill between (a
    slurm time limit during an online finish's upload) left W&B saying the run finished while
    its record said `running`. The record comes first; a kill between then leaves W&B's run
    unfinished (crashed), which claims less than happened, never more."""
    import wandb

    import repro

    seen: list[tuple[Any, str | None]] = []
    real = wandb.finish

    def finish(*args: Any, **kwargs: Any) -> Any:
        files = list(isolated_env.rglob("record.json"))
        status = json.loads(files[0].read_text())["status"] if files else None
        seen.append((kwargs.get("exit_code", args[0] if args else None), status))
        return real(*args, **kwargs)

    monkeypatch.setattr(wandb, "finish", finish)
    monkeypatch.setenv("REPRO_PAPERS_PATH", _toy_env(tmp_path)["REPRO_PAPERS_PATH"])
    repro.run("toy", "small", overrides=["logger=wandb", "trainer.max_steps=4"])
    assert seen == [(0, "completed")]


def test_a_run_started_while_the_caller_handles_an_error_is_finished_once_as_completed(
    tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether the training failed was read from `sys.exc_info()`, which in a `finally` also
    sees an error the caller is handling: `repro.run` in a notebook's `except` block ended
    its W&B run failed before its completed record was written."""
    import wandb

    import repro

    seen: list[tuple[Any, str | None]] = []
    real = wandb.finish

    def finish(*args: Any, **kwargs: Any) -> Any:
        files = list(isolated_env.rglob("record.json"))
        status = json.loads(files[0].read_text())["status"] if files else None
        seen.append((kwargs.get("exit_code", args[0] if args else None), status))
        return real(*args, **kwargs)

    monkeypatch.setattr(wandb, "finish", finish)
    monkeypatch.setenv("REPRO_PAPERS_PATH", _toy_env(tmp_path)["REPRO_PAPERS_PATH"])
    try:
        raise LookupError("the caller's own error, handled")
    except LookupError:
        repro.run("toy", "small", overrides=["logger=wandb", "trainer.max_steps=4"])
    assert seen == [(0, "completed")]


def test_a_run_whose_completed_record_cannot_be_written_ends_its_wandb_run_failed(
    tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk as the completed record is written: the run is not recorded, so its W&B
    run must not say `finished` either."""
    import errno

    import wandb

    import repro
    from repro.errors import ReproError
    from repro.records import store

    ends: list[Any] = []
    real_finish, real_write = wandb.finish, store.write_record

    def finish(*args: Any, **kwargs: Any) -> Any:
        ends.append(kwargs.get("exit_code", args[0] if args else None))
        return real_finish(*args, **kwargs)

    def write_record(record_dir: Path, record: dict[str, Any], *args: Any) -> Any:
        if record.get("status") == store.STATUS_COMPLETED:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(record_dir, record, *args)

    monkeypatch.setattr(wandb, "finish", finish)
    monkeypatch.setattr(store, "write_record", write_record)
    monkeypatch.setenv("REPRO_PAPERS_PATH", _toy_env(tmp_path)["REPRO_PAPERS_PATH"])
    with pytest.raises(ReproError):
        repro.run("toy", "small", overrides=["logger=wandb", "trainer.max_steps=4"])
    assert ends and all(code == 1 for code in ends), ends


def test_a_failed_runs_offline_wandb_run_says_why_it_failed(
    tmp_path: Path, isolated_env: Path
) -> None:
    """A run that failed printed its error only once its W&B run had ended: the offline run
    (and the one `wandb sync` uploads) showed `failed` with no console output, no output.log
    and no word of why. Its summary now holds the one line the run ends with."""
    done = _run_toy(tmp_path, "model.explode=true")
    assert done.returncode == 1, done.stderr
    record = _record(isolated_env)
    assert record["status"] == "failed" and "non-finite loss" in record["error"]
    log = _read_wandb_log(next(isolated_env.rglob("record.json")).parent / record["wandb"]["dir"])
    (exit_record,) = [r["exit"] for r in log if r["type"] == "exit"]
    assert exit_record["exit_code"] == 1
    summary: dict[str, Any] = {}
    for entry in log:
        if entry["type"] == "summary":
            summary.update(entry["summary"].get("update") or {})
    assert record["error"] in json.dumps(summary), summary


def test_a_failed_seed_trained_together_says_why_in_its_wandb_run_as_one_alone(
    tmp_path: Path,
) -> None:
    """The W&B run a group writes for a seed that failed carries its line too."""
    results = tmp_path / "results"
    done = repro(
        "sweep",
        "paper=toy",
        "experiment=small",
        "seeds=2",
        "logger=default",
        "seeds_together=true",
        "model.explode=true",
        env={**_toy_env(tmp_path), "REPRO_RESULTS_DIR": str(results)},
        timeout=300,
    )
    assert done.returncode != 0 and "together on cpu" in done.stdout, done.stdout
    records = [(p, json.loads(p.read_text())) for p in sorted(results.rglob("record.json"))]
    assert len(records) == 2
    for record_file, record in records:
        assert record["status"] == "failed" and record["error"]
        log = _read_wandb_log(record_file.parent / record["wandb"]["dir"])
        summaries = [r["summary"].get("update") or {} for r in log if r["type"] == "summary"]
        assert record["error"] in json.dumps(summaries), summaries
