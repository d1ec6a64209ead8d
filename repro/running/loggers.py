"""Experiment loggers of one run: W&B (offline unless the user chose) and CSV.

A W&B run is browsable on its own: it carries the full resolved config (seed, config hash,
git SHA, trainer settings), tags (paper, experiment, claim ids), one group per setting
(paper/experiment/config hash, so a group is that setting's seeds) and one id per attempt.
Online W&B never blocks a run: an unreachable server is noticed within seconds, the run
logs offline instead (saying so, in one line and in the record), and the rest of the
process or sweep does not ask the network again.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repro.errors import error_line
from repro.records import store

CSV_FOLDER = "csv"
RERUN_CSV_FOLDER = "csv-rerun"  # a rerun of a completed run logs here until it completes
WANDB_FOLDER = "wandb"
UNREACHABLE_ENV = "REPRO_WANDB_UNREACHABLE"  # why online W&B failed, once known in this process
PROBE_TIMEOUT_S = 5.0  # how long W&B's server gets to accept a connection
INIT_TIMEOUT_S = 20.0  # bound on wandb.init once the server answered (wandb's default: 90 s)


@dataclass(frozen=True)
class WandbRun:
    """Who one attempt of a run is on W&B, and what it logs up front."""

    run_id: str
    name: str
    group: str
    tags: tuple[str, ...] = ()
    config: dict[str, Any] = field(default_factory=dict)
    resume: bool = False
    memo_dir: Path | None = None  # where a sweep's processes share "W&B is unreachable"


WARNING_LIMIT = 160  # characters of an error a W&B warning shows (its middle cut beyond)
WANDB_TAG_LIMIT = 64  # characters W&B allows in a run tag


def wandb_run_for(
    config: dict[str, Any],
    record: dict[str, Any],
    claim_ids: list[str],
    record_dir: Path,
    resumed: dict[str, Any] | None,
) -> WandbRun:
    """The W&B identity of this attempt. `resumed` is the record of the attempt it resumes
    from a checkpoint (None for a fresh attempt, a failed retry or a rerun)."""
    paper, experiment, seed = record["paper"], record["experiment"], record["seed"]
    git = (record.get("environment") or {}).get("git") or {}
    results_dir = Path(
        config.get("paths", {}).get("results_dir") or store.results_dir_of(record_dir)
    )
    return WandbRun(
        run_id=attempt_run_id(
            f"{paper}-{experiment}-{record['config_hash']}-s{seed}",
            record_dir,
            record.get("attempts", 1),
            resumed,
        ),
        name=f"{paper}/{experiment}/seed{seed}",
        group=f"{paper}/{experiment}/{record['config_hash']}",
        tags=tuple(dict.fromkeys(wandb_tag(tag) for tag in [paper, experiment, *claim_ids])),
        config={
            **config,
            "experiment": experiment,
            "config_hash": record["config_hash"],
            "git_sha": git.get("sha"),
            "git_dirty": git.get("dirty"),
            "attempt": record.get("attempts", 1),
        },
        resume=resumed is not None,
        memo_dir=results_dir / ".sweeps",
    )


def wandb_tag(name: str) -> str:
    """`name` as a W&B run tag. W&B refuses a tag over 64 characters (and with it the run), so
    a longer name is cut and ends with a hash of the whole: two claims alike in their first
    64 characters would otherwise share one tag, each claim's filter showing the other's runs."""
    if len(name) <= WANDB_TAG_LIMIT:
        return name
    import hashlib

    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{name[: WANDB_TAG_LIMIT - len(digest) - 1]}-{digest}"


def attempt_run_id(
    base: str, record_dir: Path, attempt: int, resumed: dict[str, Any] | None = None
) -> str:
    """A resumed attempt continues the W&B run of the attempt it resumes; any other attempt
    gets its own id, never one already used in this record folder, so that `wandb sync`
    does not merge a rerun into the run it repeats."""
    resumed_id = ((resumed or {}).get("wandb") or {}).get("run_id")
    if resumed_id:
        return str(resumed_id)
    runs = record_dir / WANDB_FOLDER
    while any(runs.glob(f"*-{base}-a{attempt}")):
        attempt += 1
    return f"{base}-a{attempt}"


def build_loggers(
    logger_cfg: dict[str, Any],
    record_dir: Path,
    wandb_run: WandbRun,
    csv_folder: str = CSV_FOLDER,
) -> list[Any]:
    """The Lightning loggers the `logger` config group asked for, writing into the record.
    The CSV log goes to `csv_folder`: `RERUN_CSV_FOLDER` for a rerun of a completed run,
    whose own log stays in place until the rerun completes (`replace_csv_log`)."""
    from lightning.pytorch.loggers import CSVLogger

    loggers: list[Any] = []
    if wandb_run.resume:
        set_aside_csv_log(record_dir)
    if csv_folder != CSV_FOLDER:  # an earlier rerun's, which never completed: not this one's
        shutil.rmtree(record_dir / csv_folder, ignore_errors=True)
    if "csv" in logger_cfg:
        loggers.append(CSVLogger(save_dir=str(record_dir), name=csv_folder, version=""))
    if "wandb" in logger_cfg:
        loggers.append(start_wandb_logger(dict(logger_cfg["wandb"]), record_dir, wandb_run))
    return loggers


def wandb_record(loggers: list[Any], record_dir: Path) -> dict[str, Any] | None:
    """The record's `wandb` section: run id, mode, the run folder (relative to the record,
    for `repro sync`) and, after a fallback, the mode asked for and why it failed."""
    for logger in loggers:
        if hasattr(logger, "repro_fallback"):
            run = logger.experiment  # on DDP ranks other than 0: a dummy whose fields are not str
            fields = {name: getattr(run, name, None) for name in ("id", "dir", "group")}
            fields = {name: v if isinstance(v, str) else None for name, v in fields.items()}
            mode = logger.repro_mode
            info: dict[str, Any] = {"run_id": fields["id"], "mode": mode}
            if mode != "disabled" and fields["dir"]:
                info["dir"] = os.path.relpath(Path(fields["dir"]).parent, record_dir)
            info["group"] = fields["group"]
            if logger.repro_fallback:
                info.update(logger.repro_fallback)
            return info
    return None


def wandb_start_problem(cfg: dict[str, Any]) -> str | None:
    """Why `start_wandb_logger` would refuse these W&B settings (None: it would start, or
    meet only a failure that needs wandb.init to show): the logger is built as for a run,
    without starting it, and what it would pass to wandb.init is checked against wandb's
    own signature and settings. For work that logs to W&B only once it ends (seeds trained
    together), so a settings mistake stops it first, as it stops a run alone."""
    import inspect

    import wandb

    cfg = dict(cfg)
    mode = cfg.pop("mode", None) or os.environ.get("WANDB_MODE") or "offline"
    if mode not in ("offline", "disabled", "dryrun") and not has_wandb_api_key():
        return f"W&B mode is {mode} but no API key is configured"
    try:
        logger = _unstarted(cfg, Path.cwd(), WandbRun("check", "check", "check"), mode)
        init = dict(getattr(logger, "_wandb_init", {}))
        unknown = sorted(set(init) - set(inspect.signature(wandb.init).parameters))
        if unknown:
            return f"wandb.init() takes no {', '.join(unknown)}"
        if isinstance(init.get("settings"), dict):
            wandb.Settings(**init["settings"])
        named = {k: init[k] for k in ("project", "entity") if init.get(k) is not None}
        wandb.Settings(mode=mode, **named)
    except Exception as error:  # the logger's arguments, or wandb's validation of them
        return error_line(error)  # whole: the reason seeds together is off
    return None


def start_wandb_logger(cfg: dict[str, Any], record_dir: Path, wandb_run: WandbRun) -> Any:
    """A started W&B logger. Online start-up is bounded: an unreachable server or a failed
    wandb.init falls back to offline with one warning, and the run goes on."""
    mode = cfg.pop("mode", None) or os.environ.get("WANDB_MODE") or "offline"
    os.environ.setdefault("WANDB_SILENT", "true")
    if mode == "online" and not has_wandb_api_key():
        from repro.errors import UsageError

        raise UsageError(
            "W&B mode is online but no API key is configured (set WANDB_API_KEY, "
            "run `wandb login`, or use logger.wandb.mode=offline)"
        )
    if mode != "online":
        return _started(cfg, record_dir, wandb_run, mode)
    reason = online_blocked_reason(wandb_run.memo_dir)
    if reason is None:
        try:
            return _started(cfg, record_dir, wandb_run, "online")
        except Exception as error:  # wandb.init failed or timed out: keep the run's evidence
            _stop_wandb_service()
            first_line = (str(error).strip().splitlines() or [""])[0]
            reason = f"wandb.init failed: {type(error).__name__}: {first_line}"
            _remember_unreachable(reason, wandb_run.memo_dir)
    logger = _started(cfg, record_dir, wandb_run, "offline")
    logger.repro_fallback = {"fallback_from": "online", "fallback_reason": reason}
    run_dir = getattr(logger.experiment, "dir", None)
    folder = f" to {os.path.relpath(Path(run_dir).parent)}" if isinstance(run_dir, str) else ""
    print(
        f"warning: W&B online unavailable ({reason}); logging offline{folder} "
        "(upload it later with `repro sync`)",
        file=sys.stderr,
        flush=True,
    )
    return logger


def _started(cfg: dict[str, Any], record_dir: Path, wandb_run: WandbRun, mode: str) -> Any:
    """A W&B logger whose run has started (so that failures happen here, not mid-fit)."""
    logger = _unstarted(cfg, record_dir, wandb_run, mode)
    run = logger.experiment
    if mode == "offline" and isinstance(getattr(run, "dir", None), str):  # not a DDP dummy
        write_offline_config(run)  # now, should the run never finish; again at the end
    return logger


def _unstarted(cfg: dict[str, Any], record_dir: Path, wandb_run: WandbRun, mode: str) -> Any:
    """The W&B logger of a run, its run not yet started (wandb.init comes with .experiment)."""
    cfg = dict(cfg)
    extra: dict[str, Any] = {}
    if mode == "online" and not os.environ.get("WANDB_INIT_TIMEOUT"):
        import wandb

        extra["settings"] = wandb.Settings(init_timeout=INIT_TIMEOUT_S)
    logger = _wandb_logger_class()(
        name=wandb_run.name,
        group=wandb_run.group,
        id=wandb_run.run_id,
        tags=list(wandb_run.tags),
        config=wandb_run.config,
        save_dir=str(record_dir),
        mode=mode,
        project=cfg.pop("project", "repro"),
        entity=cfg.pop("entity", None),
        job_type=cfg.pop("job_type", "train"),
        resume="allow" if wandb_run.resume else None,
        **extra,
        **cfg,
    )
    # Lightning always passes anonymous=None, which wandb >= 0.19 answers with a deprecation
    # warning on every run; leaving the key out means the same (no anonymous logging).
    if cfg.get("anonymous") is None:
        getattr(logger, "_wandb_init", {}).pop("anonymous", None)
    logger.repro_mode = mode
    logger.repro_fallback = None
    return logger


def _stop_wandb_service() -> None:
    """Drop what a failed online start left behind: wandb's service still holds the run id
    and would refuse the offline run that replaces it."""
    import wandb

    finish_wandb(exit_code=1)
    wandb.teardown()


def _wandb_logger_class() -> type:
    """Lightning's WandbLogger, keeping the module's hyperparameters under `module` so they
    neither overwrite nor mix with the run's full config."""
    from argparse import Namespace

    from lightning.pytorch.loggers import WandbLogger

    class ReproWandbLogger(WandbLogger):  # type: ignore[misc]
        def log_hyperparams(self, params: dict[str, Any] | Namespace) -> None:
            module = vars(params) if isinstance(params, Namespace) else dict(params)
            super().log_hyperparams({"module": module})

    return ReproWandbLogger


def online_blocked_reason(memo_dir: Path | None = None) -> str | None:
    """Why online W&B cannot start here (None if it can). The network is asked at most once
    per process, and once per sweep when `memo_dir` is shared by its processes."""
    known = os.environ.get(UNREACHABLE_ENV)
    if known:
        return known
    marker = _sweep_marker(memo_dir)
    if marker is not None and marker.is_file():
        reason = f"{marker.read_text().strip() or 'unreachable'} (found earlier in this sweep)"
        os.environ[UNREACHABLE_ENV] = reason
        return reason
    url = wandb_base_url()
    problem = server_unreachable_reason(url, PROBE_TIMEOUT_S)
    if problem is None:
        return None
    reason = f"cannot reach {url}: {problem}"
    _remember_unreachable(reason, memo_dir)
    return reason


def _remember_unreachable(reason: str, memo_dir: Path | None) -> None:
    os.environ[UNREACHABLE_ENV] = reason
    marker = _sweep_marker(memo_dir)
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(reason + "\n")
        except OSError:
            pass  # only a shortcut for the sweep's other processes


def _sweep_marker(memo_dir: Path | None) -> Path | None:
    sweep_id = os.environ.get("REPRO_SWEEP_ID")
    if memo_dir is None or not sweep_id:
        return None
    return Path(memo_dir) / f"wandb-unreachable.{sweep_id}"


def wandb_base_url() -> str:
    """The W&B server runs go to: WANDB_BASE_URL, `wandb login --host`, or wandb's default."""
    if os.environ.get("WANDB_BASE_URL"):
        return os.environ["WANDB_BASE_URL"].rstrip("/")
    try:
        from wandb.sdk import wandb_setup

        return str(wandb_setup.singleton().settings.base_url).rstrip("/")
    except Exception:  # an older or newer wandb: its public default
        return "https://api.wandb.ai"


def server_unreachable_reason(url: str, timeout_s: float = PROBE_TIMEOUT_S) -> str | None:
    """None if W&B's server (or the proxy in front of it) accepts a TCP connection within
    timeout_s, else why not. No DNS or a refused port answers at once; wandb.init itself
    would retry for its whole init_timeout (90 s) before failing."""
    import socket
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    if parts.scheme in proxies and not urllib.request.proxy_bypass(parts.hostname or ""):
        parts = urlsplit(proxies[parts.scheme])
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout_s):
            return None
    except OSError as error:
        return error.strerror or str(error) or type(error).__name__


def has_wandb_api_key() -> bool:
    """Whether an API key is configured (WANDB_API_KEY or `wandb login`'s ~/.netrc entry)."""
    return bool(os.environ.get("WANDB_API_KEY")) or _has_netrc_key()


def _has_netrc_key() -> bool:
    from urllib.parse import urlsplit

    netrc = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
    if not netrc.is_file():
        return False
    text = netrc.read_text(errors="ignore")
    hosts = {"api.wandb.ai", urlsplit(wandb_base_url()).hostname or "api.wandb.ai"}
    return any(host in text for host in hosts)


def replace_csv_log(record_dir: Path) -> None:
    """A rerun of a completed run has completed: its CSV log (`RERUN_CSV_FOLDER`) replaces
    the earlier run's, which no longer belongs to the record (dropped too when the rerun
    logged no CSV). Bookkeeping after training: a failure is one warning line."""
    old, new = record_dir / CSV_FOLDER, record_dir / RERUN_CSV_FOLDER
    aside = record_dir / f".{CSV_FOLDER}.replaced"
    try:
        shutil.rmtree(aside, ignore_errors=True)
        if old.exists():
            old.rename(aside)
        if new.is_dir():
            new.rename(old)
        shutil.rmtree(aside, ignore_errors=True)
    except OSError as error:
        _warn(f"warning: CSV log of the rerun not moved to {old}: {error.strerror or error}")


def set_aside_csv_log(record_dir: Path) -> None:
    """Keep the interrupted attempt's CSV log: Lightning's CSVLogger replaces metrics.csv."""
    current = record_dir / CSV_FOLDER / "metrics.csv"
    if current.is_file():
        attempt = len(list(current.parent.glob("metrics.part*.csv")))
        current.rename(current.with_name(f"metrics.part{attempt}.csv"))


def merge_csv_logs(record_dir: Path, resumed_at_step: int) -> None:
    """One metrics.csv for a resumed run: earlier attempts' rows up to the resume step, then
    the final attempt's rows.

    A part a crash damaged (random bytes, trailing NULs) is renamed `*.damaged` with one
    warning line and left out: this runs after training, and must never cost the result.
    """
    import csv

    folder = record_dir / CSV_FOLDER
    parts = sorted(folder.glob("metrics.part*.csv"))
    final = folder / "metrics.csv"
    if not parts or not final.is_file():
        return
    final_log = _read_csv_log(final)
    if isinstance(final_log, str):
        _warn(f"warning: {final} is damaged ({final_log}); CSV logs of earlier attempts not merged")
        return
    rows: list[dict[str, str]] = []
    fields: list[str] = []
    for path in parts:
        log = _read_csv_log(path)
        if isinstance(log, str):
            aside = path.with_name(path.name + ".damaged")
            path.replace(aside)
            _warn(f"warning: damaged CSV log {path} ({log}) set aside as {aside.name}")
            continue
        fields += [f for f in log[0] if f not in fields]
        rows += [row for row in log[1] if _step(row) < resumed_at_step]
    fields += [f for f in final_log[0] if f not in fields]
    rows += final_log[1]
    temp = final.with_name(".metrics.csv.tmp")
    with temp.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    temp.replace(final)


def _step(row: dict[str, str]) -> int:
    return int(float(row.get("step") or 0))


def _read_csv_log(path: Path) -> tuple[list[str], list[dict[str, str]]] | str:
    """(fields, rows) of a Lightning CSV log, or why it cannot be trusted."""
    import csv
    import io

    try:
        data = path.read_bytes()
        if b"\0" in data:
            return "NUL bytes"
        reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
        rows = list(reader)
        fields = list(reader.fieldnames or [])
        if "step" not in fields:
            return "no step column"
        for row in rows:
            _step(row)
    except (OSError, UnicodeDecodeError, csv.Error, ValueError, TypeError) as error:
        return f"{type(error).__name__}: {error}"[:120]
    return fields, rows


def _warn(line: str) -> None:
    import sys

    print(line, file=sys.stderr, flush=True)


ERROR_SUMMARY_KEY = "error"  # a failed run's one line, in its W&B summary


def finish_wandb(exit_code: int = 0, error: str | None = None) -> None:
    """End the W&B run so the next run of this process does not write into it, leaving its
    offline folder complete and self-contained: `files/config.yaml` written, and no link
    out of the results folder (write_offline_config, keep_core_logs_inside). It runs once the
    run's record is written (a kill before then leaves W&B's run crashed, never `finished`
    beside a record still `running`): a failure (wandb-core gone, as srun's SIGTERM ends it:
    `ConnectionResetError: Connection lost`) is one warning, the record kept as written.
    `exit_code` 1 for a run that did not complete or was not recorded (failed, interrupted,
    refused at fit start, its record unwritable): W&B then shows it failed, not finished;
    `error`, the line such a run ends with, goes in its summary: the run prints it only after
    this, so W&B's console log (output.log) never held it, and a failed run said no why."""
    import sys

    if "wandb" not in sys.modules:
        return
    import wandb

    try:
        run = wandb.run
        if run is not None:
            offline = bool(getattr(run, "offline", False))
            if offline:
                write_offline_config(run)
            wandb_dir = getattr(run.settings, "wandb_dir", None)
            if error:
                _put_error_in_summary(run, error)
            wandb.finish(exit_code=exit_code)
            if offline and wandb_dir:
                keep_core_logs_inside(Path(wandb_dir))
    except Exception as error:
        print(
            f"warning: W&B run not finished ({error_line(error, WARNING_LIMIT)}); "
            "the run's record is kept",
            file=sys.stderr,
            flush=True,
        )


def _put_error_in_summary(run: Any, error: str) -> None:
    """The failed run's line in its summary; a W&B failure here never stops its finish."""
    try:
        run.summary[ERROR_SUMMARY_KEY] = error
    except Exception as problem:  # wandb-core gone: finish says so, once
        _warn(f"warning: W&B summary not updated ({error_line(problem, WARNING_LIMIT)})")


def write_offline_config(run: Any) -> Path | None:
    """Write the run's `files/config.yaml` as W&B writes it for online runs (`wandb_version:
    1`, then each key as `{value: ...}`, readable by wandb's own config reader).

    wandb-core (checked with wandb 0.31) writes no standard run files in offline mode: the
    config is only in the `.wandb` transaction log, and `files/config.yaml` appears when the
    run is synced (wandb issues #9646, #4417; Lightning #20571), whether the config is passed
    at init, as here, or set through run.config. Users browsing an offline run expect it."""
    import json

    import yaml

    try:
        files = Path(run.dir)
        config = {key: value for key, value in run.config.as_dict().items() if key != "_wandb"}
        plain = json.loads(json.dumps(config, default=str))  # YAML-safe: no tensors, paths
        body = {key: {"value": value} for key, value in plain.items()}
        text = "wandb_version: 1\n"
        if body:
            text += "\n" + yaml.safe_dump(body, default_flow_style=False, sort_keys=False)
        files.mkdir(parents=True, exist_ok=True)
        temp = files / ".config.yaml.tmp"
        temp.write_text(text)
        temp.replace(files / "config.yaml")
        return files / "config.yaml"
    except (OSError, TypeError, ValueError, yaml.YAMLError) as error:  # never costs the run
        _warn(f"warning: W&B config.yaml not written ({type(error).__name__}: {error})")
        return None


def keep_core_logs_inside(wandb_dir: Path) -> None:
    """Replace each run's `logs/debug-core.log`, which wandb-core makes a symlink to its
    process-wide log in `~/.cache/wandb/logs/`, by a copy of that log: a record folder holds
    no link out of the results folder (copied or archived, it keeps its own log). Runs of
    earlier attempts that never finished (kill -9) are fixed here too."""
    import shutil

    for link in wandb_dir.glob("*/logs/debug-core.log"):
        if not link.is_symlink():
            continue
        target = Path(os.path.realpath(link))
        try:
            if target.is_relative_to(wandb_dir.resolve()):
                continue
            temp = link.with_name(".debug-core.log.tmp")
            if target.is_file():
                shutil.copyfile(target, temp)
                temp.replace(link)
            else:  # the cache was cleaned: a dangling link says nothing
                link.unlink()
        except OSError:
            pass  # a log file only; the run's results are already safe
