"""One run: resolve its record folder, skip it if done, train (resuming if it was cut
short), and write the run record."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import shlex
import shutil
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repro.errors import ReproError, Terminated, UsageError, metric_hint
from repro.plugins.registry import plugin_from_folder
from repro.records import store
from repro.records.lookup import completed_run
from repro.running import progress

RERUN_RECORD_FILE = "record.rerun.json"
ABANDONED_KEYS = (
    "abandoned_wall_s",
    "abandoned_groups",
    "abandoned_runs",
    "abandoned_untimed",
    "abandoned_to_save",
    "abandoned_seen",
)
"""What `abandoned_attempts` writes in a record's timing."""
"""The record of a `rerun=true` of a completed run while it trains (the completed one stays)."""
RERUN_CONFIG_FILE = "config.rerun.yaml"
"""The config of a `rerun=true` of a completed run, until it completes and replaces config.yaml."""
RERUN_DROPPED = "this rerun's files are removed; the completed record stands, unchanged"
"""How a rerun of a completed run that cannot write its record (a full disk) ends its line."""


@dataclass
class RunOutcome:
    """What happened to one run, for the CLI's exit code and the sweep summary."""

    status: str  # completed | skipped | failed | interrupted
    record_dir: Path | None
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    exit_code: int = 0


def _now(timespec: str = "seconds") -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec=timespec)


def _validated_seed(value: Any) -> int:
    from repro.config.checks import check_seed

    return check_seed(value)  # an int numpy accepts, in [0, 2**32-1]


def resolve_config(cfg: Any) -> dict[str, Any]:
    """Plain resolved dict of a Hydra config (interpolations evaluated once)."""
    from omegaconf import OmegaConf

    return OmegaConf.to_container(cfg, resolve=True)


def save_record(record_dir: Path, record: dict[str, Any], name: str = store.RECORD_FILE) -> None:
    """Write the record atomically; a full or read-only disk becomes one clear error."""
    try:
        store.write_record(record_dir, record, name)
    except OSError as error:
        raise ReproError(
            f"cannot write run record in {record_dir}: {error.strerror or error}"
        ) from None


def unexpected_failure(error: Exception) -> RunOutcome:
    """A failed outcome for an error no layer below expected, met outside a run's record
    (before its lock, composing its config): one line, as the CLI says any bug, where it
    went up as Hydra's `Error executing job` traceback, ended a local sweep, or killed a
    joblib worker with its traceback. A plugin's malformed YAML is the user's to fix (exit
    2); a stop wrapped in another error is re-raised, for the callers' stop handling."""
    from repro.config.compose import malformed_yaml
    from repro.errors import stop_within
    from repro.plugins.failures import print_if_debugging

    if stop_within(error) is not None:
        raise error
    print_if_debugging(error)
    if problem := malformed_yaml(error):
        return RunOutcome("failed", None, error=problem, exit_code=2)
    said = f"internal error: {type(error).__name__}: {' '.join(str(error).split())}"
    said += " (rerun with --debug for the traceback)"
    return RunOutcome("failed", None, error=said, exit_code=1)


def run_one(
    config: dict[str, Any],
    command: list[str] | None = None,
    as_group_of_one: Callable[[dict[str, Any], list[str]], RunOutcome] | None = None,
) -> RunOutcome:
    """Train the setting `config` describes unless a completed record of it exists. A seed
    its group trained, stopped before it was tested, goes to `as_group_of_one` (given by the
    callers above: `together.only_test_as_group_of_one`), which only tests it from the group's
    final weights; the group itself hands back seeds that cannot be one without it."""
    seed = _validated_seed(config.get("seed"))
    if not config.get("experiment_name"):
        raise UsageError("choose an experiment: experiment=<name> (see `repro show <paper>`)")
    from repro.config.checks import check_names

    check_names(config)  # folder names: nothing lands outside the results folder
    record_dir, record, stale = completed_run(config)
    if record is not None and stale is None:
        if store.group_file_left(record_dir):  # a group killed as it recorded it left one
            from repro.running.group_checkpoint import tidy_completed_seed

            tidy_completed_seed(record_dir)
        if note := unfinished_rerun_note(record_dir):
            print(f"note: {note}", file=sys.stderr, flush=True)
        return RunOutcome("skipped", record_dir, record.get("metrics", {}))
    if not progress.started_as_worker_rank():  # first, before Lightning's slow import
        # stdout: stderr stays for progress and errors, so a failure is one line there
        from repro.wording import wrap_for  # whole words (and the path whole) on a terminal

        for line in wrap_for(sys.stdout, progress.start_line(config, record_dir), rest="  "):
            print(line, flush=True)
    if as_group_of_one is not None and not config.get("rerun") and record is None:
        from repro.running.group_checkpoint import left_to_test, resumes_share, split_off_to_test

        if (
            left_to_test(record_dir, seed)
            or split_off_to_test(record_dir, seed)
            or resumes_share(record_dir, seed)  # its share of a group cut short: resumed
        ):
            return as_group_of_one(config, command or sys.argv)
    elif as_group_of_one is not None and config.get("rerun"):
        from repro.running.group_checkpoint import split_off_to_test

        # trained again, as asked; the other seeds of its trained group keep their share of
        # its final weights (its record would take the file holding them: they trained again)
        split_off_to_test(record_dir, seed)
    from repro.running.distributed import is_worker_rank

    if is_worker_rank():  # a SLURM task of a multi-process run: rank 0 locks and records
        return train_as_rank(config, record_dir, _worker_resume_checkpoint(config, record_dir))
    try:
        record_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReproError(
            f"cannot create run folder {record_dir}: {_in_the_way(record_dir, error)}"
        ) from None
    with _locked_after_any_split(record_dir):
        if stale:  # made by other plugin code: retrained as rerun=true retrains a completed run
            _refuse_what_blocks_keeping_aside(record_dir)
            print(stale_line(config, stale), file=sys.stderr)
        return _train_locked(config, seed, record_dir, command)


def _refuse_what_blocks_keeping_aside(record_dir: Path) -> None:
    """A ReproError when a stale run cannot be kept in `.superseded/` (a file or a link that
    leads nowhere there): its retrain replaced it after one warning, the completed result
    it promised to keep lost."""
    kept = record_dir / store.SUPERSEDED_DIR
    if kept.is_symlink() and not kept.exists():
        what = store.DEAD_LINK
    elif kept.exists() and not kept.is_dir():
        what = "a file"
    else:
        return
    raise ReproError(
        f"{kept} is {what}, where the stale run it retrains is kept aside: move it away "
        "(nothing was trained or written)"
    )


def _in_the_way(record_dir: Path, error: OSError) -> str:
    """Why a run folder cannot be made: the file lying at it or above it, named (a sync
    tool's leftover at `seed0` read `File exists`, of the folder the user sees) or the link
    that leads nowhere, else the OS's words."""
    return store.what_blocks_folder(record_dir) or str(error.strerror or error)


def _refuse_folders_in_the_way(record_dir: Path) -> None:
    """A ReproError naming a folder (or anything else but a file) where the run keeps one of
    its files, before anything is written: found as the run wrote there, it failed after
    training, and a `rerun=true` after it had replaced the completed record, its weights
    left in rerun.ckpt and its record.rerun.json `running` for good."""
    from repro.running.checkpointing import checkpoint_path

    found = what_is_in_the_way(record_dir)
    if found is None:
        return
    path, what = found
    if path == checkpoint_path(record_dir).parent:  # training ended in a bare `File exists`
        raise ReproError(
            f"{path} is {what}, where the run keeps its checkpoints: move it away (nothing "
            "was trained or written)"
        )
    raise ReproError(
        f"{path} is {what}, where the run keeps a file: move it away (nothing was "
        "trained or written)"
    )


def what_is_in_the_way(record_dir: Path) -> tuple[Path, str] | None:
    """The path where the run keeps a file (or its checkpoints/ folder) and what lies there
    instead (a link that leads nowhere, a folder, a file): its run stops before it trains
    (`_refuse_folders_in_the_way`), which a sweep's plan says; None when nothing does."""
    from repro.running.checkpointing import GROUP_CHECKPOINT, RERUN_CHECKPOINT, checkpoint_path

    last = checkpoint_path(record_dir)
    names = (store.RECORD_FILE, store.CONFIG_FILE, RERUN_RECORD_FILE, RERUN_CONFIG_FILE)
    files = [record_dir / name for name in (*names, store.FAILED_RERUN_FILE)]
    # a group's together.ckpt a dead link: the group trained from step 0 without a word
    group = last.with_name(GROUP_CHECKPOINT)
    for path in (*files, last, last.with_name(RERUN_CHECKPOINT), group):
        if path.is_symlink() and not path.exists():
            return path, store.DEAD_LINK
        if path.is_dir():
            return path, "a folder"
        if path.exists() and not path.is_file():
            return path, "not a regular file"
    folder = last.parent
    dead = folder.is_symlink() and not folder.exists()
    if dead or (folder.exists() and not folder.is_dir()):
        return folder, store.DEAD_LINK if dead else "a file"
    return None


@contextlib.contextmanager
def _locked_after_any_split(record_dir: Path) -> Iterator[None]:
    """The run's lock, taken under its setting's split lock where seeds of it trained
    together: a process splitting or tidying a group's files there holds both for a file
    copy or removal, and this run waits for it instead of failing as `already running`."""
    from repro.running.group_checkpoint import SPLIT_LOCK, split_lock
    from repro.running.lock import run_lock

    with contextlib.ExitStack() as stack:
        if (record_dir.parent / SPLIT_LOCK).is_file():
            with split_lock(record_dir.parent):
                stack.enter_context(run_lock(record_dir))
        else:
            stack.enter_context(run_lock(record_dir))
        yield


def unfinished_rerun_note(record_dir: Path) -> str | None:
    """What a `rerun=true` of the completed run in `record_dir` left when it was killed (its
    `record.rerun.json`, never counted), for the commands that skip that run; None when it
    left nothing, it is running now, or it had completed (then finished here:
    `finish_a_completed_rerun`)."""
    from repro.running.lock import is_locked

    if not (record_dir / RERUN_RECORD_FILE).is_file() or is_locked(record_dir):
        return None
    if finish_a_completed_rerun(record_dir):
        return None
    if not (record_dir / RERUN_RECORD_FILE).is_file() or is_locked(record_dir):
        return None  # a rerun finished, or started, meanwhile
    return (
        f"a rerun=true of it did not finish (killed?) and left {RERUN_RECORD_FILE}: not "
        "counted, the completed record stands; rerun=true starts over"
    )


def stale_line(config: dict[str, Any], stale: str) -> str:
    """What a retrain of a completed run made by other plugin code says as it starts: that
    run stays the record until the retrain completes (a failed one never costs it)."""
    return (
        f"stale: {config['paper']}/{config['experiment_name']}/seed{config['seed']} was made "
        f"by other plugin code ({stale}); retraining, the completed record stays until the "
        f"retrain completes, then is kept in {store.SUPERSEDED_DIR}/"
    )


def train_as_rank(
    config: dict[str, Any],
    record_dir: Path,
    resume_from: Path | None,
    config_file: str = store.CONFIG_FILE,
) -> RunOutcome:
    """Rank k > 0 of a multi-process run: trains `config` alongside rank 0, which holds the
    lock and writes the record, logs and checkpoints; this rank writes nothing."""
    from repro.running.checkpointing import ResumableCheckpoint, checkpoint_path, stop_on_signals
    from repro.running.training import train_and_test

    plugin = plugin_from_folder(Path(config["paper_dir"]))
    checkpoint_cfg = dict(config.get("checkpoint") or {})
    checkpoint = ResumableCheckpoint(  # in step with rank 0's: its saves are collectives
        checkpoint_path(record_dir),
        float(checkpoint_cfg.get("every_s", 30)),
        save_at_end=bool(checkpoint_cfg.get("keep", True)),
        enabled=bool(checkpoint_cfg.get("enabled", True)),
    )
    with stop_on_signals(checkpoint):
        result = train_and_test(
            config,
            plugin,
            plugin.spec(),
            record_dir,
            [],
            extra_callbacks=[checkpoint],  # also off: a signal stops cleanly
            ckpt_path=resume_from,
            config_file=config_file,  # a rerun's: its profile goes aside, as rank 0's
        )
    return RunOutcome("completed", record_dir, result.metrics)


def _worker_resume_checkpoint(config: dict[str, Any], record_dir: Path) -> Path | None:
    """The checkpoint rank 0 resumes from, decided the same way from the same files."""
    from repro.running.checkpointing import checkpoint_path

    last = checkpoint_path(record_dir)
    if config.get("rerun") or not last.is_file() or not (record_dir / store.RECORD_FILE).is_file():
        return None
    if store.is_completed(record_dir):  # a stale run's final weights: never resumed
        return None
    if checkpoint_step(last) is None or _why_not_resumed(config, last):
        return None  # rank 0 trains from the start too
    return last


@dataclass
class Attempt:
    """One attempt at a run inside its locked folder: what it resumes from, the record it
    keeps up to date, and where it writes while a completed run's files must stay intact."""

    config: dict[str, Any]
    record_dir: Path
    plugin: Any
    record: dict[str, Any]
    resume_from: Path | None
    previous: dict[str, Any] | None
    started: float = 0.0
    corrupt_record: str | None = None  # its record was corrupt: what was set aside, in words
    started_at_s: float = 0.0  # wall clock, for what this attempt wrote
    # the killed group attempt before it: when it was last known to run (`together`)
    alive_until: float | None = None
    wrote_record: bool = False  # its own record is on disk: it must end, never stay `running`
    # the folder's entries before this attempt wrote any: what a refused start takes back
    entries_before: frozenset[str] | None = None

    @property
    def rerunning_completed(self) -> bool:
        """`rerun=true` of a completed run: until this attempt completes, it writes beside
        the completed record and its final weights, never over them."""
        return bool(self.previous and self.previous.get("status") == store.STATUS_COMPLETED)

    @property
    def retraining_stale(self) -> bool:
        """A completed run made by other plugin code, trained again without rerun=true (a
        completed run of the current code is skipped): it is kept in `.superseded/` once
        this attempt has completed."""
        return self.rerunning_completed and not self.config.get("rerun")

    @property
    def completed_unchanged(self) -> str:
        """How a stopped attempt's message ends when it replaces a completed run."""
        from repro.running.checkpointing import COMPLETED_UNCHANGED, STALE_UNCHANGED

        return STALE_UNCHANGED if self.retraining_stale else COMPLETED_UNCHANGED

    @property
    def progress_file(self) -> str:
        return RERUN_RECORD_FILE if self.rerunning_completed else store.RECORD_FILE

    @property
    def config_file(self) -> str:
        """The config this attempt trains: a rerun's goes beside the completed run's until
        it completes (its non-setting keys differ: `rerun`, loggers, the device)."""
        return RERUN_CONFIG_FILE if self.rerunning_completed else store.CONFIG_FILE

    @property
    def unfinished_file(self) -> str:
        return store.FAILED_RERUN_FILE if self.rerunning_completed else store.RECORD_FILE

    @property
    def last_checkpoint(self) -> Path:
        from repro.running.checkpointing import checkpoint_path

        return checkpoint_path(self.record_dir)

    @property
    def checkpoint_file(self) -> Path:
        from repro.running.checkpointing import RERUN_CHECKPOINT

        last = self.last_checkpoint
        return last.with_name(RERUN_CHECKPOINT) if self.rerunning_completed else last

    @property
    def csv_folder(self) -> str:
        from repro.running.loggers import CSV_FOLDER, RERUN_CSV_FOLDER

        return RERUN_CSV_FOLDER if self.rerunning_completed else CSV_FOLDER

    def save(self, name: str | None = None) -> None:
        save_record(self.record_dir, self.record, name or self.progress_file)
        self.wrote_record = True

    def failed(self, error: Exception, show_traceback: bool = True) -> RunOutcome:
        """The plugin's code raised: the failed record (its traceback kept for the author,
        with or without --debug) and the one line the caller reports. `show_traceback`:
        print it under --debug (a group's seeds share one error: shown once)."""
        from repro.plugins.failures import failure_message, full_traceback, print_if_debugging

        message = failure_message(error, self.plugin.folder)
        if show_traceback:
            print_if_debugging(error)
        self.record["traceback"] = full_traceback(error)
        self.end(store.STATUS_FAILED, message)
        code = error.exit_code if isinstance(error, ReproError) else 1
        return RunOutcome("failed", self.record_dir, error=message, exit_code=code)

    def end(self, status: str, error: str | None) -> None:
        _finish(self.record, status, self.started, error)
        completed = status == store.STATUS_COMPLETED
        if status == store.STATUS_COMPLETED and self.rerunning_completed:
            self.record["timing"].update(replaced_attempts(self.previous, self.record["timing"]))
        if status == store.STATUS_COMPLETED and self.retraining_stale:
            self.keep_stale_run_aside()
        try:
            self.save(store.RECORD_FILE if completed else self.unfinished_file)
        except ReproError as unwritten:  # a full disk: a rerun's files are only its own
            if not self.rerunning_completed:
                raise
            self.drop_rerun_files()
            raise ReproError(f"{unwritten}; {RERUN_DROPPED}") from None
        if self.rerunning_completed:  # the completed run's config stays until this one's
            # record has replaced it (a kill between the two: `finish_a_completed_rerun`)
            rerun_config = self.record_dir / RERUN_CONFIG_FILE
            if status == store.STATUS_COMPLETED:
                os.replace(rerun_config, self.record_dir / store.CONFIG_FILE)
            else:
                rerun_config.unlink(missing_ok=True)
        if self.rerunning_completed and status != store.STATUS_COMPLETED:  # in the file just
            # written; a completed one's goes once its weights are in place (`_record_result`)
            (self.record_dir / self.progress_file).unlink(missing_ok=True)
        if status == store.STATUS_COMPLETED:
            from repro.running.profiling import remove_stale_reports

            (self.record_dir / store.FAILED_RERUN_FILE).unlink(missing_ok=True)  # superseded
            remove_stale_reports(self.record_dir, self.started_at_s)
        if self.rerunning_completed:
            from repro.running.profiling import settle_rerun_reports

            settle_rerun_reports(self.record_dir, completed=status == store.STATUS_COMPLETED)
        if status == store.STATUS_COMPLETED and self.rerunning_completed:
            from repro.running.loggers import replace_csv_log

            replace_csv_log(self.record_dir)  # the record now is this attempt's: so is its log

    def drop_rerun_files(self) -> None:
        """Remove what this rerun of a completed run wrote beside it (its `running` record,
        config, weights, CSV log, reports), once its own record cannot be written: left, they
        held space on a full disk and said for good that a rerun was killed. Its W&B run stays,
        ended failed, for `repro sync`; the completed run's files are not touched."""
        from repro.running.checkpointing import RERUN_CHECKPOINT
        from repro.running.loggers import RERUN_CSV_FOLDER
        from repro.running.profiling import clear_rerun_reports

        weights = self.checkpoint_file
        for path in (
            self.record_dir / RERUN_RECORD_FILE,
            self.record_dir / RERUN_CONFIG_FILE,
            weights,
            weights.with_name(f".{RERUN_CHECKPOINT}.tmp"),  # a save the full disk cut short
        ):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        shutil.rmtree(self.record_dir / RERUN_CSV_FOLDER, ignore_errors=True)
        clear_rerun_reports(self.record_dir)
        if weights.parent.name not in (self.entries_before or {weights.parent.name}):
            with contextlib.suppress(OSError):
                weights.parent.rmdir()  # made by this rerun, and now empty

    def keep_stale_run_aside(self) -> None:
        """The stale run this attempt replaces, kept in `.superseded/` (linked, so it costs
        no space) before this attempt's files take its place. A failure is one warning:
        bookkeeping must never cost the result just trained."""
        from repro.running.profiling import RERUN_REPORTS

        checkpoint = str(self.checkpoint_file.relative_to(self.record_dir))
        own = [self.progress_file, self.config_file, store.FAILED_RERUN_FILE, RERUN_REPORTS]
        own += [self.csv_folder, checkpoint, "wandb"]  # W&B runs stay for `repro sync`
        try:
            kept = store.supersede(self.record_dir, self.previous or {}, copy=True, leave=own)
        except OSError as error:
            print(
                f"warning: the stale run replaced in {self.record_dir} was not kept aside: "
                f"{error.strerror or error}",
                file=sys.stderr,
            )
            return
        print(f"stale run replaced, kept in {progress.shown_path(kept)}", file=sys.stderr)


def _train_locked(
    config: dict[str, Any], seed: int, record_dir: Path, command: list[str] | None
) -> RunOutcome:
    """The story of a run inside its lock: resume or start, record, train, finish. Any
    error before training is one failed outcome (`failed_as_it_starts`), never an exception
    that leaves this attempt's `running` record behind."""
    from repro.running.checkpointing import stop_on_signals

    _refuse_folders_in_the_way(record_dir)
    plugin = plugin_from_folder(Path(config["paper_dir"]))
    attempt: Attempt | None = None
    try:
        previous = _previous_record(record_dir)
        resumed_from = _resume_point(config, record_dir, previous)
        record = _new_record(config, seed, command, plugin, previous, resumed_from)
        record["timing"].update(abandoned_attempts(previous, resumed_from, record_dir))
        attempt = Attempt(
            config,
            record_dir,
            plugin,
            record,
            Path(resumed_from["checkpoint"]) if resumed_from else None,
            previous,
        )
        _drop_unresumed_checkpoint(attempt)
        _drop_share_of_a_trained_group(attempt)
        _say_the_group_is_not_resumed(attempt)
        checkpoint = _run_checkpoint(attempt)
    except Exception as error:
        return failed_as_it_starts(error, plugin, attempt)
    # SIGINT/SIGTERM from the moment the `running` record is written until the outcome is on
    # disk are noted, not acted on: training stops at its next step and the record says so
    with stop_on_signals(checkpoint):
        try:
            _start(attempt)
        except Exception as error:
            return failed_as_it_starts(error, plugin, attempt)
        return _train(attempt, checkpoint)


def failed_as_it_starts(
    error: Exception, plugin: Any, attempt: Attempt | None, show_traceback: bool = True
) -> RunOutcome:
    """An error between taking a run's lock and training (repro's own bookkeeping, the disk,
    paper.yaml read again): one failed outcome, as an error of the plugin's code is. Before,
    it went up as Hydra's traceback, and a `running` record this attempt had written stayed
    so for good (a later sweep or report took it for a killed run). That record now ends
    `failed` with the error; without one, the folder's earlier record stands untouched.
    `show_traceback`: under --debug (a group's seeds share one error: shown once)."""
    from repro.plugins.failures import failure_message, print_if_debugging

    if attempt is not None and attempt.wrote_record:
        if not attempt.started:  # failed before its clock started: from its record's start
            attempt.started = _clock_at_start(attempt.record)
        try:
            return attempt.failed(error, show_traceback)
        except ReproError as unwritten:  # its record cannot say so (a read-only disk)
            message = failure_message(error, plugin.folder)
            said = f"{message}; its record still says running: {unwritten}"
            if attempt.rerunning_completed:  # its `running` record is gone: `drop_rerun_files`
                said = f"{message}; {unwritten}"
            return RunOutcome("failed", attempt.record_dir, error=said, exit_code=1)
    if show_traceback:
        print_if_debugging(error)
    code = error.exit_code if isinstance(error, ReproError) else 1
    return RunOutcome("failed", None, error=failure_message(error, plugin.folder), exit_code=code)


def _run_checkpoint(attempt: Attempt) -> Any:
    """The run's ResumableCheckpoint: saves while training, turns a signal into a clean stop."""
    from repro.running.checkpointing import ResumableCheckpoint, run_identity

    checkpoint_cfg = dict(attempt.config.get("checkpoint") or {})
    resumed = attempt.record.get("resumed_from") or {}
    return ResumableCheckpoint(
        attempt.checkpoint_file,
        float(checkpoint_cfg.get("every_s", 30)),
        save_at_end=bool(checkpoint_cfg.get("keep", True)),
        enabled=bool(checkpoint_cfg.get("enabled", True)),
        identity=run_identity(attempt.config),  # a rerun resumes only what this run wrote
        resumed_step=resumed.get("step") if attempt.resume_from else None,
        completed_unchanged=attempt.completed_unchanged,
    )


def _resume_point(
    config: dict[str, Any], record_dir: Path, previous: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The checkpoint an earlier, unfinished attempt left, when it can be resumed, as the
    record's `resumed_from` tells it: where, at which step, and whether the result is the
    uninterrupted run's. Said once."""
    from repro.running.checkpointing import checkpoint_path, resume_exactness

    last_checkpoint = checkpoint_path(record_dir)
    if not (last_checkpoint.is_file() and previous and not config.get("rerun")):
        return None
    if previous.get("status") == store.STATUS_COMPLETED:  # its final weights: a stale run's
        return None  # retrain starts over, as rerun=true does
    step = checkpoint_step(last_checkpoint)
    if step is None:
        print(
            f"warning: unreadable checkpoint {last_checkpoint}; training from the start",
            file=sys.stderr,
        )
        return None
    why_not = _why_not_resumed(config, last_checkpoint)
    if why_not:  # its steps ran other code, seed or setting: kept aside, never built on
        kept = store.supersede(record_dir, previous)
        print(
            f"not resuming {progress.shown_path(last_checkpoint)}: {why_not}; training from the "
            f"start, the earlier attempt kept in {progress.shown_path(kept)}",
            file=sys.stderr,
            flush=True,
        )
        return None
    # Lightning's own words about this ("will be deleted") are silenced
    print(progress.resume_line(step, last_checkpoint), file=sys.stderr, flush=True)
    exact, why = resume_exactness(last_checkpoint)
    if why:
        how = "not exactly" if exact is False else "perhaps not exactly"
        print(f"warning: resuming, but {how}: it was {why}", file=sys.stderr)
    resumed = {"checkpoint": str(last_checkpoint), "step": step, "exact": exact}
    return {**resumed, **({"why_inexact": why} if why else {})}


def _drop_share_of_a_trained_group(attempt: Attempt) -> None:
    """rerun=true of a seed its group trained and left to test (its share of the group's
    final weights split off to its folder): it trains from the start, so that share goes
    now, said in one line; a stop before the end then starts over too, as asked."""
    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT
    from repro.running.group_checkpoint import left_to_test, saved_identity

    seed = int(attempt.config["seed"])
    if not attempt.config.get("rerun") or not left_to_test(attempt.record_dir, seed):
        return
    share = attempt.record_dir / CHECKPOINT_DIR / GROUP_CHECKPOINT
    saved = saved_identity(share)
    step = f", step {saved.step}" if saved and saved.step is not None else ""
    share.unlink(missing_ok=True)
    print(
        f"rerun=true: seed {seed}'s share of its group's final weights "
        f"({progress.shown_path(share)}{step}) removed; training from the start",
        file=sys.stderr,
        flush=True,
    )


def _say_the_group_is_not_resumed(attempt: Attempt) -> None:
    """A seed last stopped in a group, run alone (`repro run`, the command its record
    names): the group's checkpoint, in its folder or in the group's first seed's, is not
    this run's to resume."""
    how = "resuming its own checkpoint" if attempt.resume_from else "from the start"
    seed = int(attempt.config["seed"])
    for group_checkpoint in groups_holding(attempt.record_dir, seed):
        print(
            f"not resuming the group's checkpoint {progress.shown_path(group_checkpoint)}: "
            f"seed {seed} trains alone, {how} (the group's other seeds resume their share "
            "of it)",
            file=sys.stderr,
            flush=True,
        )


def groups_holding(record_dir: Path, seed: int) -> list[Path]:
    """The checkpoints of groups (seeds trained together) in this setting that hold `seed`:
    its own folder's, and those in its group's first seed's folder."""
    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT
    from repro.running.group_checkpoint import saved_identity

    found = []
    for path in sorted(record_dir.parent.glob(f"seed*/{CHECKPOINT_DIR}/{GROUP_CHECKPOINT}")):
        saved = saved_identity(path)
        in_own_folder = path.parent.parent == record_dir
        if in_own_folder or (saved and seed in (saved.identity.get("seeds") or [])):
            found.append(path)
    return found


CORRUPT_RECORD_CHECKPOINT = "last.corrupt.ckpt"
"""The checkpoint of a run whose record was corrupt (`record.corrupt.json`), kept beside it."""


def _drop_unresumed_checkpoint(attempt: Attempt) -> None:
    """The checkpoint an unfinished earlier attempt left, when this one trains from the start
    instead (rerun=true, unreadable): its first save would overwrite it. Removed now, so that
    a stop before then says, and does, what the next run does: start over. A completed run's
    final weights are never removed (its rerun saves beside them; those of a run whose record
    is corrupt are kept aside with that record)."""
    leftover = attempt.checkpoint_file
    finished = (attempt.previous or {}).get("status") == store.STATUS_COMPLETED
    if attempt.resume_from or finished or not leftover.is_file():
        return
    if keep_weights_of_a_corrupt_record(attempt):
        return
    leftover.unlink(missing_ok=True)
    if attempt.config.get("rerun"):
        print(
            f"rerun=true: the earlier attempt's {progress.shown_path(leftover)} removed; "
            "training from the start",
            file=sys.stderr,
            flush=True,
        )


def keep_weights_of_a_corrupt_record(attempt: Attempt) -> bool:
    """Move aside the checkpoint of a folder whose record was corrupt (kept aside) or is gone:
    perhaps a completed run's final weights, which this attempt's saves would overwrite (alone
    or in a group). True when moved."""
    leftover = attempt.checkpoint_file
    if attempt.previous is not None or attempt.resume_from or not leftover.is_file():
        return False
    aside = store.free_name_beside(attempt.record_dir / CORRUPT_RECORD_CHECKPOINT)
    os.replace(leftover, aside)
    print(  # the warning about its record came just before
        f"its checkpoint {progress.shown_path(leftover)} kept as {aside.name}",
        file=sys.stderr,
        flush=True,
    )
    return True


def _why_not_resumed(config: dict[str, Any], checkpoint: Path) -> str | None:
    """Why `checkpoint` is not this run's to resume: written by other plugin code, another
    seed or config, or it does not say, or saved as training ended early; None when it is.
    Rank 0 and ranks > 0 both ask."""
    from repro.running.checkpointing import (
        ENDED_EARLY,
        checkpoint_identity,
        ended_early,
        run_identity,
        why_not_resumable,
    )

    if ended_early(checkpoint):
        return ENDED_EARLY
    written, current = checkpoint_identity(checkpoint), run_identity(config)
    if written and written.get("config_hash") in store.older_hashes(config):
        written = {**written, "config_hash": current["config_hash"]}  # an older repro's hash
    return why_not_resumable(written, current)


def _new_record(
    config: dict[str, Any],
    seed: int,
    command: list[str] | None,
    plugin: Any,
    previous: dict[str, Any] | None,
    resumed_from: dict[str, Any] | None,
) -> dict[str, Any]:
    """The record of this attempt as it starts: identity, command, environment, code."""
    from repro.plugins.registry import imported_code
    from repro.records.environment import capture_environment
    from repro.records.fingerprint import code_section

    code = imported_code(plugin)  # imports it now (again if edited): the code this run runs
    environment = capture_environment()
    record: dict[str, Any] = {
        "schema": store.SCHEMA_VERSION,
        "paper": config["paper"],
        "experiment": config["experiment_name"],
        "seed": seed,
        "seeds": {"python": seed, "numpy": seed, "torch": seed, "dataloader_workers": seed},
        "config_hash": store.config_hash(config),
        "status": store.STATUS_RUNNING,
        "error": None,
        "metrics": {},
        "command": shlex.join(command or sys.argv),  # reruns it from "cwd" (finds this record)
        "cwd": os.getcwd(),
        "attempts": (previous or {}).get("attempts", 0) + 1,
        "resumed_from": resumed_from,
        # to the millisecond: a killed attempt counts from it (`_until_saved`), never from
        # the second before it started
        "timing": {
            "started_at": _now("milliseconds"),
            **earlier_attempts(previous, resumed_from),
        },
        "environment": environment,
        "code": code_section(plugin.folder, environment["git"]["sha"], code),  # other: stale
    }
    if os.environ.get("REPRO_SWEEP_ID"):  # which `repro sweep` trained it, for its summary
        record["sweep_id"] = os.environ["REPRO_SWEEP_ID"]
    seeds_auto = store.seeds_auto_section(record["experiment"], record["config_hash"])
    if not seeds_auto and resumed_from:  # goes on from a stage's training (`repro run`)
        seeds_auto = _resumed_stage(previous, record)
    if seeds_auto:  # trained by a seeds=auto stage: a report can tell its plan is missing
        record["seeds_auto"] = seeds_auto
    record["code"]["plugin"]["built_in"] = _is_built_in(plugin.folder)  # the report says so
    return record


def _resumed_stage(
    previous: dict[str, Any] | None, record: dict[str, Any]
) -> dict[str, Any] | None:
    """The `seeds_auto` section of the attempt a resume goes on from, when it is this
    setting's: the run the record's command resumes (`repro run`, not the sweep) was trained
    by that stage up to its checkpoint, and its result is the stage's seed. Without it a plan
    whose stage-two seeds were all resumed so could be lost (or raised) without a word."""
    section = (previous or {}).get("seeds_auto")
    setting = f"{record['experiment']}@{record['config_hash']}"
    if isinstance(section, dict) and section.get("setting") == setting:
        return dict(section)
    return None


def earlier_attempts(
    previous: dict[str, Any] | None,
    resumed_from: dict[str, Any] | None,
    alive_until: float | None = None,
) -> dict[str, float]:
    """`earlier_wall_s`: the wall time of the attempts a resumed attempt goes on from (the one
    it resumes, and those that one went on from), so that the compute a result took is
    counted whole, though each attempt's own `wall_s` is its alone. An attempt killed before
    it recorded a time (kill -9, an OOM kill) counts up to the checkpoint it saved, which is
    what the result goes on from, or up to `alive_until` (a time it is known to have run to:
    the last record a killed group attempt wrote for another seed) where that is later.
    Empty when this attempt starts over (`resumed_from` None).

    `earlier_groups`: the part of that time spent in attempts of a group of seeds trained
    together, by the group attempt's key (`table.together_key`): another seed's record may
    carry the same attempt (tested before the group stopped), so the report counts each once.
    `earlier_to_save`: how many of those attempts were killed and timed so, to a save or a
    note (a lower bound), so the report can say the result's time is one."""
    from repro.records.table import earlier_groups, together_key

    timing = (previous or {}).get("timing")
    if not resumed_from or not isinstance(timing, dict):
        return {}
    own = _seconds(timing.get("wall_s"))
    to_save = _attempt_number(timing, "earlier_to_save") or 0  # of those, lower bounds
    if own is None:  # killed: from its start to the save this attempt resumes
        started = timing.get("started_at")
        own = _until_saved(started, resumed_from.get("checkpoint"))
        ran = None if alive_until is None else _until_saved(started, "", alive_until)
        if ran is not None and (own is None or ran > own):  # it ran on after that save
            own = ran
        to_save += int(bool(own))  # a lower bound: it ran on after, unrecorded
    total = (own or 0.0) + (_seconds(timing.get("earlier_wall_s")) or 0.0)
    if total <= 0:
        return {}
    groups = earlier_groups(timing.get("earlier_groups"))
    key = together_key(previous, timing) if isinstance(previous, dict) else None
    if key is not None and own:
        groups[key] = round(own, 3)
    shared = {"earlier_groups": groups} if groups else {}
    bound = {"earlier_to_save": to_save} if to_save else {}
    return {"earlier_wall_s": round(total, 3), **shared, **bound}


def abandoned_attempts(
    previous: dict[str, Any] | None,
    resumed_from: dict[str, Any] | None,
    record_dir: Path | None = None,
    alive_until: float | None = None,
) -> dict[str, Any]:
    """`abandoned_wall_s`: the wall time of unsuccessful attempts of this seed that no
    attempt goes on from (one that failed, then this one started over), which the record
    they were in loses when this attempt's replaces it; carried on from attempt to attempt,
    so a report counts it with the unsuccessful runs. `abandoned_groups`: its part spent in
    group attempts, by key, as `earlier_groups` (another seed may name the same attempt).
    A completed previous record's time is its own result's (a stale run, kept aside), and a
    killed attempt's unrecorded time is not guessed: it counts up to `alive_until`, a time it
    is known to have run to (a killed group's last `timing.alive_at`), where given. Beside a
    completed record (`rerun=true`), the reruns before this one that did not complete
    (`record.failed.json` in `record_dir`, each carrying those before it) are what this
    attempt carries: the file it writes if it does not complete replaces theirs, and one
    that completes removes it."""
    from repro.records.table import earlier_groups, together_key

    if (previous or {}).get("status") == store.STATUS_COMPLETED:
        failed = _failed_rerun(record_dir)
        if failed is not None and not _after(failed, previous):
            failed = None  # older: the completed record carries it (killed before removing it)
        carried = abandoned_attempts(failed, None) if failed else {}
        counts = ("abandoned_runs", "abandoned_untimed")  # of the folder's: the reruns' below
        carried = {key: value for key, value in carried.items() if key not in counts}
        since = _reruns_since(previous, failed, record_dir)
        ran, key = _killed_rerun_ran(failed or previous, record_dir) if since else (None, None)
        if ran is not None:  # this attempt's saves replace its files: counted now or never
            total = (_seconds(carried.get("abandoned_wall_s")) or 0.0) + ran
            carried["abandoned_wall_s"] = round(total, 3)
            if key is not None:  # a group's: each seed's record names it, counted once
                groups = earlier_groups(carried.get("abandoned_groups"))
                carried["abandoned_groups"] = {**groups, key: round(ran, 3)}
            since["abandoned_untimed"] = max(since["abandoned_untimed"] - 1, 0)
            carried["abandoned_to_save"] = (_attempt_number(carried, "abandoned_to_save") or 0) + 1
        return {**carried, **since}
    timing = (previous or {}).get("timing")
    if not isinstance(timing, dict):
        return {}
    total = _seconds(timing.get("abandoned_wall_s")) or 0.0
    groups = earlier_groups(timing.get("abandoned_groups"))
    seen = None  # the killed group attempt's note this attempt replaces: (attempt, when)
    runs, untimed = abandoned_counts(previous)
    to_save = _attempt_number(timing, "abandoned_to_save") or 0  # of those, lower bounds
    if not resumed_from:  # started over: the attempt before and those it went on from
        own = _seconds(timing.get("wall_s"))
        if own is None and alive_until is not None:  # a group killed: up to when it was seen
            own = _until_saved(timing.get("started_at"), "", alive_until)
        if own is None and record_dir is not None and isinstance(previous, dict):
            own = _killed_ran(previous, record_dir)  # this attempt's saves replace its files
        if own is not None and _seconds(timing.get("wall_s")) is None:
            to_save += 1  # killed: timed to its last save or note, a lower bound
            seen = _seen_note(previous, record_dir, alive_until)
        total += (own or 0.0) + (_seconds(timing.get("earlier_wall_s")) or 0.0)
        to_save += _attempt_number(timing, "earlier_to_save") or 0  # lower bounds it went on from
        groups.update(earlier_groups(timing.get("earlier_groups")))
        key = together_key(previous, timing) if isinstance(previous, dict) else None
        if key is not None and own:
            groups[key] = round(own, 3)
        number = _attempt_number(previous)  # none completed in its folder: every attempt
        runs = max(number or 0, runs + 1)
        untimed += int(own is None)  # killed: its time is not guessed
    out: dict[str, Any] = {}
    if total > 0:
        out["abandoned_wall_s"] = round(total, 3)
        if groups:
            out["abandoned_groups"] = groups
    if runs:
        out.update(abandoned_runs=runs, abandoned_untimed=untimed)
    if to_save and total > 0:
        out["abandoned_to_save"] = to_save
    notes = _seen_notes(timing)
    if seen is not None:
        notes[seen[0]] = max(notes.get(seen[0], seen[1]), seen[1])
    if notes:  # the other seeds of that attempt find it here (`_group_alive`)
        out["abandoned_seen"] = {
            key: dt.datetime.fromtimestamp(at, dt.timezone.utc).isoformat(timespec="milliseconds")
            for key, at in notes.items()
        }
    return out


def _seen_note(
    killed: Any, record_dir: Path | None, alive_until: float | None
) -> tuple[str, float] | None:
    """A killed group attempt's key (`together.attempt`) and when it was last known to
    train, which `killed`'s seed counted its time up to: kept in the record that replaces
    it (`timing.abandoned_seen`), as the note in the first seed's `running` record goes
    with it, and the group's other seeds, started over after it, count up to there too."""
    attempt = ((killed or {}).get("together") or {}).get("attempt")
    if not isinstance(attempt, str):
        return None
    at = alive_until
    if at is None and record_dir is not None:
        at = _group_alive(killed, record_dir)
    return (attempt, at) if at is not None and math.isfinite(at) else None


def _seen_notes(timing: Any) -> dict[str, float]:
    """A record's `timing.abandoned_seen` (group attempt -> when last known to train)."""
    notes = (timing or {}).get("abandoned_seen") if isinstance(timing, dict) else None
    found: dict[str, float] = {}
    for key, when in (notes if isinstance(notes, dict) else {}).items():
        try:
            at = dt.datetime.fromisoformat(str(when)).timestamp()
        except (ValueError, TypeError):
            continue
        if isinstance(key, str) and math.isfinite(at):
            found[key] = at
    return found


def abandoned_counts(record: dict[str, Any] | None) -> tuple[int, int]:
    """How many attempts a record's `abandoned_wall_s` is of, and how many of them have no
    recorded time (killed): `abandoned_runs` / `abandoned_untimed`, or, in a record made
    before they were kept, what its attempt number tells (every attempt before it, when none
    was resumed or replaced; else one where it carries time)."""
    timing = (record or {}).get("timing")
    timing = timing if isinstance(timing, dict) else {}
    runs, untimed = (
        _attempt_number(timing, key) for key in ("abandoned_runs", "abandoned_untimed")
    )
    if runs is not None:
        return runs, untimed or 0
    started_over = (_seconds(timing.get("abandoned_wall_s")) or 0.0) > 0
    number = _attempt_number(record)
    chained = any(_seconds(timing.get(k)) for k in ("earlier_wall_s", "replaced_wall_s"))
    if number and not chained:
        before = max(number - 1, int(started_over))
        return before, 0 if started_over else before  # none left time: killed
    return int(started_over), 0


def _reruns_since(
    completed: dict[str, Any], failed: dict[str, Any] | None, record_dir: Path | None
) -> dict[str, int]:
    """The reruns of a completed run before this one that did not complete: the last one's
    attempt number less the completed record's (a killed rerun's `record.rerun.json` is
    replaced by the next one's: only the numbers still tell of it); those without a recorded
    time: the ones after the failed rerun's record (killed), its own if it has none, and
    those it counts so."""
    after = _attempt_number(completed)
    killed = None
    if record_dir is not None:
        try:
            killed = store.read_record(record_dir, RERUN_RECORD_FILE)
        except (OSError, ValueError):
            killed = None
    numbers = [_attempt_number(r) or 0 for r in (failed, killed) if isinstance(r, dict)]
    last = max(numbers, default=0)
    if not after or last <= after:
        return {}
    since, untimed = after, 0
    if failed is not None and (number := _attempt_number(failed)):
        since = number
        timing = failed.get("timing") or {}
        untimed += int(_seconds(timing.get("wall_s")) is None)
        before = number - after - 1  # the reruns before it, which it carries
        runs, carried = (
            _attempt_number(timing, k) for k in ("abandoned_runs", "abandoned_untimed")
        )
        if runs is not None:  # and those it does not: killed
            untimed += (carried or 0) + max(before - runs, 0)
        elif not _seconds(timing.get("abandoned_wall_s")):
            untimed += before  # none left time: killed
    untimed += max(last - since, 0)  # after the failed one, or every one: killed
    return {"abandoned_runs": last - after, "abandoned_untimed": untimed}


def _killed_ran(killed: dict[str, Any], record_dir: Path) -> float | None:
    """Seconds a killed attempt (its `running` record, `killed`) ran up to the last checkpoint
    or CSV log line it saved in `record_dir`, or, trained in a group (whose saves are the
    group's), up to when the group last said it was training (`_group_alive`): a lower
    bound, None when it saved none since it started."""
    from repro.running.checkpointing import checkpoint_path
    from repro.running.loggers import CSV_FOLDER

    if killed.get("status") != store.STATUS_RUNNING:
        return None
    if killed.get("together"):
        started = (killed.get("timing") or {}).get("started_at")
        return _until_saved(started, "", _group_alive(killed, record_dir))
    return _last_save(killed, [checkpoint_path(record_dir)], record_dir / CSV_FOLDER)


def _group_alive(killed: dict[str, Any], record_dir: Path) -> float | None:
    """When the group attempt a killed seed trained in (`together.attempt`) last said it was
    training: the latest `timing.alive_at` of a `running` record of that attempt among the
    setting's seed folders (its first seed's record.json, or its record.rerun.json for a
    `rerun=true`), which only the first seed's record holds, or the note a seed's record
    that replaced it kept (`timing.abandoned_seen`); None when none does."""

    def _mapping(value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    attempt = _mapping(killed.get("together")).get("attempt")
    if not isinstance(attempt, str):
        return None
    found = []
    for folder in sorted(record_dir.parent.glob("seed*")):
        for name in (store.RECORD_FILE, RERUN_RECORD_FILE):
            try:
                record = store.read_record(folder, name)
            except (OSError, ValueError):
                continue
            if not isinstance(record, dict):
                continue
            if attempt in (noted := _seen_notes(record.get("timing"))):  # replaced since
                found.append(noted[attempt])
            if record.get("status") != store.STATUS_RUNNING:
                continue
            if _mapping(record.get("together")).get("attempt") != attempt:
                continue
            timing = _mapping(record.get("timing"))
            try:
                at = dt.datetime.fromisoformat(str(timing["alive_at"])).timestamp()
            except (ValueError, TypeError, KeyError):
                continue
            if math.isfinite(at):
                found.append(at)
    return max(found, default=None)


def _last_save(attempt: dict[str, Any], files: list[Path], log: Path) -> float | None:
    """Seconds from `attempt`'s start to the latest of `files` and the files under `log`
    saved after it; None when none was."""
    started = (attempt.get("timing") or {}).get("started_at")
    files = files + ([f for f in log.rglob("*") if f.is_file()] if log.is_dir() else [])
    saved = [ran for f in files if (ran := _until_saved(started, f)) is not None]
    return max(saved, default=None)


def _killed_rerun_ran(
    before: dict[str, Any], record_dir: Path | None
) -> tuple[float | None, str | None]:
    """Seconds a killed rerun (its `record.rerun.json`, after the record `before`: the failed
    rerun's, else the completed one's) ran up to the last checkpoint or CSV log line it saved,
    or, trained in a group, up to when the group last said it was training (`_group_alive`):
    a lower bound, as a killed attempt that is resumed counts; None when it saved none since
    it started. With its group attempt's key (`together_key`), None when alone."""
    from repro.records.table import together_key
    from repro.running.checkpointing import RERUN_CHECKPOINT, checkpoint_path
    from repro.running.loggers import RERUN_CSV_FOLDER

    if record_dir is None:
        return None, None
    try:
        killed = store.read_record(record_dir, RERUN_RECORD_FILE)
    except (OSError, ValueError):
        return None, None
    if not isinstance(killed, dict) or not _after(killed, before):
        return None, None
    if killed.get("together"):
        timing = killed.get("timing") if isinstance(killed.get("timing"), dict) else {}
        started = timing.get("started_at")
        ran = _until_saved(started, "", _group_alive(killed, record_dir))
        return ran, together_key(killed, timing) if ran is not None else None
    rerun_checkpoint = checkpoint_path(record_dir).with_name(RERUN_CHECKPOINT)
    return _last_save(killed, [rerun_checkpoint], record_dir / RERUN_CSV_FOLDER), None


def _after(rerun: dict[str, Any], completed: dict[str, Any] | None) -> bool:
    """Whether a rerun's record is of an attempt after the completed record's (or either
    does not say)."""
    mine, theirs = _attempt_number(rerun), _attempt_number(completed)
    return mine is None or theirs is None or mine > theirs


def _attempt_number(record: dict[str, Any] | None, key: str = "attempts") -> int | None:
    """A recorded count (`attempts`, or one of the timing's), None where there is none."""
    value = (record or {}).get(key)
    return value if type(value) is int and value >= 0 else None


def replaced_attempts(previous: dict[str, Any] | None, timing: dict[str, Any]) -> dict[str, Any]:
    """What a completed `rerun=true` (or stale retrain) carries of the completed record it
    replaces, whose time would else be in no record: `replaced_wall_s` (its wall time with
    the attempts it went on from, and what it carried as replaced itself; `replaced_groups`
    its part in group attempts, by key, as `earlier_groups`; `replaced_runs` how many,
    `replaced_to_save` how many of them resumed a killed attempt timed to its last save, so
    their time is a lower bound) and
    its `abandoned_wall_s` / `abandoned_groups` added to this attempt's (its failed attempts
    stay unsuccessful). Only on completion: a rerun that does not complete leaves that
    record counting all of it."""
    from repro.records.table import earlier_groups, together_key

    before = (previous or {}).get("timing")
    if not isinstance(before, dict):
        return {}
    out: dict[str, Any] = {}
    own = _seconds(before.get("wall_s")) or 0.0
    replaced = own + (_seconds(before.get("earlier_wall_s")) or 0.0)
    replaced += _seconds(before.get("replaced_wall_s")) or 0.0
    groups = earlier_groups(before.get("replaced_groups"))
    groups.update(earlier_groups(before.get("earlier_groups")))
    key = together_key(previous, before) if isinstance(previous, dict) else None
    if key is not None and own:
        groups[key] = round(own, 3)
    if replaced > 0:
        out["replaced_wall_s"] = round(replaced, 3)
        carried = before.get("replaced_runs")
        carried = carried if type(carried) is int and carried > 0 else 0
        if not carried and _seconds(before.get("replaced_wall_s")):
            carried = 1  # carried without a count: one run at least
        out["replaced_runs"] = carried + 1
        # of those runs, how many resumed a killed attempt timed to its last save: a lower bound
        bounded = (_attempt_number(before, "replaced_to_save") or 0) + bool(
            _attempt_number(before, "earlier_to_save")
        )
        if bounded:
            out["replaced_to_save"] = bounded
    if groups:
        out["replaced_groups"] = groups
    abandoned = _seconds(before.get("abandoned_wall_s")) or 0.0
    if abandoned > 0:
        mine = _seconds(timing.get("abandoned_wall_s")) or 0.0
        out["abandoned_wall_s"] = round(mine + abandoned, 3)
        shared = earlier_groups(timing.get("abandoned_groups"))
        shared.update(earlier_groups(before.get("abandoned_groups")))
        if shared:
            out["abandoned_groups"] = shared
    runs, untimed = abandoned_counts(previous)
    if runs:
        mine_runs, mine_untimed = abandoned_counts({"timing": timing})
        out["abandoned_runs"] = mine_runs + runs
        out["abandoned_untimed"] = mine_untimed + untimed
    to_save = sum(_attempt_number(t, "abandoned_to_save") or 0 for t in (timing, before))
    if to_save and abandoned > 0:
        out["abandoned_to_save"] = to_save
    return out


def _failed_rerun(record_dir: Path | None) -> dict[str, Any] | None:
    """The last `rerun=true` in `record_dir` that did not complete (`record.failed.json`),
    less the attempts it went on from (a rerun starts over: any are the completed run's)."""
    if record_dir is None:
        return None
    try:
        failed = store.read_record(record_dir, store.FAILED_RERUN_FILE)
    except (OSError, ValueError):
        return None
    if not isinstance(failed, dict) or failed.get("status") == store.STATUS_COMPLETED:
        return None
    timing = failed.get("timing")
    if not isinstance(timing, dict):
        return None
    earlier = ("earlier_wall_s", "earlier_groups", "earlier_to_save")
    own = {k: v for k, v in timing.items() if k not in earlier}
    return {**failed, "timing": own}


def _seconds(value: Any) -> float | None:
    """A recorded duration, or None when there is none (absent, not a number, not finite)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _clock_at_start(record: dict[str, Any]) -> float:
    """`time.perf_counter()` as it was at the record's `started_at` (now, when that is
    unknown or ahead): its `wall_s` runs from there, so that `started_at` plus `wall_s` is
    when it ended. Timed from after setup (a group's seeds' records all written first), it
    ended before the records after it began, and a killed group attempt's time up to there
    was counted nowhere (`together._last_recorded`)."""
    now = time.perf_counter()
    try:
        started = (record.get("timing") or {}).get("started_at")
        elapsed = time.time() - dt.datetime.fromisoformat(str(started)).timestamp()
    except (ValueError, TypeError, AttributeError):
        return now
    return now - elapsed if math.isfinite(elapsed) and elapsed > 0 else now


def _until_saved(started_at: Any, checkpoint: Any, at: float | None = None) -> float | None:
    """Seconds from an attempt's start to its checkpoint's last save (or to the time `at`);
    None when either is unknown or the checkpoint is older (saved by an attempt before it)."""
    try:
        start = dt.datetime.fromisoformat(str(started_at)).timestamp()
        saved = float(at) if at is not None else Path(str(checkpoint)).stat().st_mtime
    except (ValueError, OSError, TypeError):
        return None
    return saved - start if saved > start else None


def _is_built_in(folder: Path) -> bool:
    """Whether the plugin is one of repro's own papers (its code ships with repro's version)."""
    from repro.resources import builtin_dir

    try:
        return Path(folder).resolve().is_relative_to(builtin_dir("papers").resolve())
    except OSError:
        return False


def _start(attempt: Attempt) -> None:
    """Write the config and the `running` record, then set the process up to train."""
    with contextlib.suppress(OSError):
        attempt.entries_before = frozenset(os.listdir(attempt.record_dir))
    if attempt.rerunning_completed:  # one killed as it completed is the record this one
        # replaces: its files first, before this attempt's config.rerun.yaml is written (else
        # that went over config.yaml, in place of the config that made the killed one's record)
        finish_a_completed_rerun(attempt.record_dir, attempt.previous, locked=True)
        _refuse_over_unmoved_weights(attempt)
    try:
        store.keep_filed_config(attempt.record_dir, attempt.config)  # an older folder's
        store.atomic_write_text(attempt.record_dir / attempt.config_file, _to_yaml(attempt.config))
    except OSError as error:
        said = f"cannot write {attempt.record_dir}: {error.strerror or error}"
        raise ReproError(
            f"{said}; {RERUN_DROPPED}" if attempt.rerunning_completed else said
        ) from None
    if attempt.rerunning_completed:  # a stopped or killed rerun's record counts it too
        from repro.running.profiling import clear_rerun_reports

        counts = [(attempt.previous or {}).get("attempts")] + [
            _attempts_in(attempt.record_dir, name)
            for name in (store.FAILED_RERUN_FILE, attempt.progress_file)
        ]
        before = max([n for n in counts if type(n) is int], default=0)
        attempt.record["attempts"] = before + 1
        clear_rerun_reports(attempt.record_dir)  # a killed rerun's
    try:
        attempt.save()
    except ReproError as unwritten:  # a full disk: the config just written goes too
        if not attempt.rerunning_completed:
            raise
        with contextlib.suppress(OSError):
            (attempt.record_dir / attempt.config_file).unlink(missing_ok=True)
        raise ReproError(f"{unwritten}; {RERUN_DROPPED}") from None
    attempt.started = _clock_at_start(attempt.record)
    attempt.started_at_s = time.time()
    warnings.filterwarnings("ignore", message=".*The `srun` command is available.*")
    if attempt.config.get("num_threads"):
        import torch

        torch.set_num_threads(int(attempt.config["num_threads"]))


def _refuse_over_unmoved_weights(attempt: Attempt) -> None:
    """A ReproError, before anything is written, when the completed record is a rerun's whose
    final weights could not be put in place (still in rerun.ckpt, where this rerun saves):
    trained on, this rerun saved over them, and stopped, deleted them; the record named as
    kept weights it no longer had."""
    from repro.running.checkpointing import RERUN_CHECKPOINT

    try:
        pending = store.read_record(attempt.record_dir, RERUN_RECORD_FILE)
    except (OSError, ValueError):
        return
    if not (pending and attempt.previous and _same_attempt(pending, attempt.previous)):
        return
    weights = progress.shown_path(attempt.last_checkpoint.with_name(RERUN_CHECKPOINT))
    raise ReproError(
        f"the completed record's final weights, in {weights}, could not be put in place (see "
        "the warning above): fix that and run again (nothing was trained or written)"
    )


def _train(attempt: Attempt, checkpoint: Any) -> RunOutcome:
    """Train and test (the caller has the signal handlers in place); every way out ends in
    a record."""
    # SIGTERMException: Lightning's SystemExit(0) for a SIGTERM its own handler caught; a
    # safety net, should one land where repro's handler is not yet in place
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    from repro.running.checkpointing import RunInterrupted
    from repro.running.distributed import when_rank_dies
    from repro.running.loggers import build_loggers, finish_wandb, wandb_record, wandb_run_for
    from repro.running.training import LimitOfNoBatches, Untrained, train_and_test

    config, record, record_dir = attempt.config, attempt.record, attempt.record_dir
    checkpoint_cfg = dict(config.get("checkpoint") or {})

    def record_dead_rank(message: str) -> None:  # a dead rank left this one stuck; exits next
        attempt.end(store.STATUS_FAILED, message)

    trained = False  # not `sys.exc_info()` in `finally`: it also sees an error the caller
    # is handling (`repro.run` in an `except` block), and ended a completed run's W&B failed
    try:
        spec = attempt.plugin.spec()  # read again: a paper.yaml broken since fails the run
        claim_ids = [c.id for c in spec.claims if config["experiment_name"] in c.experiments()]
        wandb_run = wandb_run_for(
            config,
            record,
            claim_ids,
            record_dir,
            attempt.previous if attempt.resume_from else None,
        )
        with when_rank_dies(record_dead_rank):  # W&B starts here
            loggers = build_loggers(
                dict(config.get("logger") or {}), record_dir, wandb_run, attempt.csv_folder
            )
            if wandb_info := wandb_record(loggers, record_dir):  # for `repro sync`, resumes
                record["wandb"] = wandb_info
                attempt.save()
            result = train_and_test(
                config,
                attempt.plugin,
                spec,
                record_dir,
                loggers,
                extra_callbacks=[checkpoint],  # also off: a signal stops cleanly
                ckpt_path=attempt.resume_from,
                config_file=attempt.config_file,
            )
        trained = True
    except (RunInterrupted, KeyboardInterrupt, SIGTERMException) as error:
        progress.end_open_lines()  # `error: interrupted ...` then starts a line of its own
        message, code = _interruption(error, checkpoint)
        attempt.end(store.STATUS_INTERRUPTED, message)
        return RunOutcome("interrupted", record_dir, error=message, exit_code=code)
    except Exception as error:  # recorded, then reported as one line by the caller
        if checkpoint.stop_signal is not None:  # the stop came first; what failed is its doing
            return _stopped_in_setup(attempt, checkpoint, error)
        if isinstance(error, LimitOfNoBatches) and _take_back_refused_start(attempt):
            return RunOutcome("failed", None, error=str(error), exit_code=error.exit_code)
        if isinstance(error, Untrained):  # the fit's end saved untrained weights: a rerun
            # resumed them (`resuming from step 0`; all steps lossless: tested, `completed`)
            attempt.checkpoint_file.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # its folder too, if nothing else is in it
                attempt.checkpoint_file.parent.rmdir()
        return attempt.failed(error)
    except SystemExit as error:  # not SIGTERMException (above): the plugin's own exit
        if checkpoint.stop_signal is not None:
            return _stopped_in_setup(attempt, checkpoint)
        return attempt.failed(_exit_in_training(error, attempt.plugin.folder))
    finally:  # still `running` here: trained and tested, its result recorded next
        if not trained:  # failed, stopped, or an error on its way out
            finish_wandb(exit_code=1, error=record.get("error"))
        if attempt.rerunning_completed and record["status"] != store.STATUS_RUNNING:
            attempt.checkpoint_file.unlink(missing_ok=True)  # failed: rerun=true never resumes
    if checkpoint.found_inexact and record.get("resumed_from"):  # seen once loaders were built
        record["resumed_from"].update(exact=False, why_inexact=checkpoint.found_inexact)
    recorded = False
    try:  # W&B says `finished` only once the completed record is on disk: a kill between
        # (a time limit during an online finish's upload) leaves it crashed, never finished
        # beside a record still `running`
        unsettled = _record_result(attempt, result, checkpoint_cfg, checkpoint.final_unsaved)
        recorded = True
    finally:
        finish_wandb(exit_code=0 if recorded else 1)
    _warn_missing_claim_metrics(spec, config["experiment_name"], result.metrics)
    if unsettled is not None:
        return RunOutcome("completed", record_dir, result.metrics, error=unsettled, exit_code=1)
    if checkpoint.stop_signal is not None:  # came after the last point that could act on it
        return _completed_but_stopped(record_dir, result.metrics, checkpoint.stop_signal)
    return RunOutcome("completed", record_dir, result.metrics)


def _take_back_refused_start(attempt: Attempt) -> bool:
    """A first attempt refused before its first step (`training.LimitOfNoBatches`): what its
    start wrote (the `running` record, the config, the W&B run, the loggers' folders) is
    removed, as for any other refusal of a config; before, a run that never started stayed
    `failed` in the sweep's table and the report, with an offline W&B run for `repro sync`.
    False, leaving the failed record, for a folder with an earlier record (its files are not
    this attempt's alone) or one this attempt's files cannot all leave."""
    from repro.running.loggers import finish_wandb

    if attempt.previous is not None or attempt.entries_before is None:
        return False
    finish_wandb(exit_code=1)  # its files closed before they go; online, W&B says failed
    try:
        new = set(os.listdir(attempt.record_dir)) - attempt.entries_before
        (attempt.record_dir / attempt.progress_file).unlink()  # first: it says the run began
    except OSError:
        return False
    attempt.wrote_record = False
    for name in sorted(new - {attempt.progress_file}):
        path = attempt.record_dir / name
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    return True


def _record_result(
    attempt: Attempt, result: Any, checkpoint_cfg: dict[str, Any], unsaved: str | None = None
) -> str | None:
    """The completed record: metrics, model, data, timing, and the final weights kept or not
    (`unsaved`: why their save failed). Returns None, or what failed once the completed
    record was written (`_unsettled`)."""
    record = attempt.record
    record["metrics"] = result.metrics
    record["model"] = {"parameters": result.parameters, "device": result.device}
    if result.world_size > 1:  # one record for all ranks; metrics are over all of them
        record["model"]["world_size"] = result.world_size
    record["data"] = result.dataset_sizes
    record["timing"].update(result.timing)
    if record["resumed_from"]:
        _account_for_resume(record, attempt.record_dir)
    record["checkpoint"] = kept_checkpoint(attempt.checkpoint_file, checkpoint_cfg, unsaved)
    try:
        attempt.end(store.STATUS_COMPLETED, None)  # a record it cannot write: ReproError
        put_weights_in_place(attempt.record_dir, record, attempt.rerunning_completed)
    except OSError as error:
        if attempt.record.get("status") != store.STATUS_COMPLETED:
            raise
        return _unsettled(attempt, error)
    return None


def _unsettled(attempt: Attempt, error: OSError) -> str:
    """The one line of a run whose completed record is written, and whose files could not
    all follow it (a full disk as a rerun's final weights replace the earlier run's): the
    record is true, the exit code non-zero. Before, the OSError went up as a `failed` run
    saying only `No space left on device`, beside its `completed` record."""
    why = str(error.strerror or error) + (f": {error.filename}" if error.filename else "")
    said = f"its record is complete, but its files could not all follow it ({why})"
    if attempt.rerunning_completed and (attempt.record_dir / RERUN_RECORD_FILE).is_file():
        said += (
            f"; its final weights stay in {progress.shown_path(attempt.checkpoint_file)}, put "
            "in place of the earlier run's by the next run or sweep of this setting"
        )
    return said


def put_weights_in_place(record_dir: Path, record: dict[str, Any], rerun: bool) -> None:
    """The final weights of the completed `record` just written go where it says they are (a
    rerun's replace the earlier run's); then a rerun's progress record goes, so that one left
    beside a record of the same attempt says that a kill came in between
    (`finish_a_completed_rerun`)."""
    from repro.running.checkpointing import (
        GROUP_CHECKPOINT,
        LAST_CHECKPOINT,
        RERUN_CHECKPOINT,
        checkpoint_path,
    )

    last_checkpoint = checkpoint_path(record_dir)
    checkpoint_file = last_checkpoint.with_name(RERUN_CHECKPOINT) if rerun else last_checkpoint
    # a group with a completed seed never resumes: its checkpoint would stay here for good (one
    # in another seed's folder goes when that seed runs, which says it is not resumed)
    if not record.get("together") and last_checkpoint.with_name(GROUP_CHECKPOINT).is_file():
        from repro.running.group_checkpoint import hand_on_share

        hand_on_share(record_dir)  # the share of its group's seeds cut short: kept, moved on
    last_checkpoint.with_name(GROUP_CHECKPOINT).unlink(missing_ok=True)
    last_checkpoint.with_name(f"{GROUP_CHECKPOINT}.tmp").unlink(missing_ok=True)  # split, killed
    for name in (LAST_CHECKPOINT, RERUN_CHECKPOINT):  # a save killed midway: its part, as large
        last_checkpoint.with_name(f".{name}.tmp").unlink(missing_ok=True)  # as the weights
    if (record.get("checkpoint") or {}).get("kept"):  # the weights of the record just written
        if checkpoint_file.is_file():
            os.replace(checkpoint_file, last_checkpoint)
    else:  # deleted only once the record says why
        checkpoint_file.unlink(missing_ok=True)
        last_checkpoint.unlink(missing_ok=True)  # a rerun's: not the weights of this record
        if last_checkpoint.parent.is_dir() and not any(last_checkpoint.parent.iterdir()):
            last_checkpoint.parent.rmdir()
    if rerun:
        (record_dir / RERUN_RECORD_FILE).unlink(missing_ok=True)


def finish_a_completed_rerun(
    record_dir: Path, record: dict[str, Any] | None = None, locked: bool = False
) -> bool:
    """A rerun killed after its completed record was written, before its CSV log, profiler
    reports and final weights replaced the earlier run's: its progress record (same attempt,
    same start) is still beside it. Finished now, said in one line; True when done.
    `locked`: the caller holds the run's lock (an attempt starting: the next rerun would
    throw those files away or save over them); else it is taken here, and a process that
    holds it is left to finish (or start over): the records are read under it."""
    from repro.running.lock import RunBusy, run_lock

    if not (record_dir / RERUN_RECORD_FILE).is_file():
        return False
    if locked:
        return _finish_locked(record_dir, record)
    try:
        with run_lock(record_dir):
            return _finish_locked(record_dir, None)
    except RunBusy:
        return False
    except OSError:  # a folder it cannot lock: said by whoever reads it next
        return False


def _finish_locked(record_dir: Path, record: dict[str, Any] | None) -> bool:
    try:
        rerun = store.read_record(record_dir, RERUN_RECORD_FILE)
        record = store.read_record(record_dir) if record is None else record
    except (OSError, ValueError):
        return False
    if not rerun or not record or not _same_attempt(rerun, record):
        return False
    from repro.running.loggers import RERUN_CSV_FOLDER, replace_csv_log
    from repro.running.profiling import settle_rerun_reports

    try:
        if (record_dir / RERUN_CONFIG_FILE).is_file():  # the config that made the record
            os.replace(record_dir / RERUN_CONFIG_FILE, record_dir / store.CONFIG_FILE)
        settle_rerun_reports(record_dir, completed=True)  # what `Attempt.end` did not get to
        if (record_dir / RERUN_CSV_FOLDER).is_dir():  # else moved, or none: nothing to redo
            replace_csv_log(record_dir)
        put_weights_in_place(record_dir, record, rerun=True)
    except OSError as error:  # the file too: the refusal that follows says to fix it
        where = f": {error.filename}" if error.filename else ""
        print(
            f"warning: {record_dir}: its rerun's files could not be put in place: "
            f"{error.strerror or error}{where}",
            file=sys.stderr,
        )
        return False
    print(
        f"note: {progress.shown_path(record_dir)}: its rerun was killed as it completed; "
        "its final weights are now in place",
        file=sys.stderr,
        flush=True,
    )
    return True


def _same_attempt(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether two records are of one attempt (a rerun's progress record and its completed
    record): same attempt number, same start."""
    started = [(r.get("timing") or {}).get("started_at") for r in (one, other)]
    same_start = started[0] is not None and started[0] == started[1]
    return same_start and one.get("attempts") == other.get("attempts")


def _exit_in_training(error: BaseException, plugin_folder: Path) -> ReproError:
    """A SystemExit out of training that no signal caused: the plugin's code (or a library
    it calls) called sys.exit, or raised KeyboardInterrupt, which Lightning's fit turns into
    sys.exit(1) (seeds trained together see it raw). Uncaught, it ended the process without a
    line and left the record `running`, as if killed -9 (and sys.exit(0) exited 0). Named
    where it was raised."""
    from repro.plugins.failures import plugin_frame

    cause = error.__context__ if isinstance(error.__context__, KeyboardInterrupt) else error
    if isinstance(cause, SystemExit):
        what = f"SystemExit: sys.exit({error.code!r}) inside training"
    else:
        what = "KeyboardInterrupt raised inside training, not by a Ctrl-C"
        if cause is not error:
            what += " (Lightning exits for it)"
    where = plugin_frame(cause, plugin_folder)
    failure = ReproError(f"{where + ': ' if where else ''}{what}: the run has no result")
    failure.__cause__ = cause
    return failure


def _stopped_in_setup(
    attempt: Attempt, checkpoint: Any, error: BaseException | None = None
) -> RunOutcome:
    """A SIGTERM or Ctrl-C noted before training could act on it, then an error: srun's
    SIGTERM of a cancelled job also ends wandb-core, whose `define_metric` then fails with
    `ConnectionResetError: Connection lost`. The run was stopped, not broken: `interrupted`
    (resumable), not `failed`. The stop's own save failing (a full disk) is named: else
    the line gave only the older save, and the full disk went unsaid."""
    from repro.running.checkpointing import SaveFailed

    stop = KeyboardInterrupt() if checkpoint.stop_signal == signal.SIGINT else Terminated()
    progress.end_open_lines()
    message, code = _interruption(stop, checkpoint)
    if isinstance(error, SaveFailed):
        message = f"{message} (its save at the stop failed: {error})"
    attempt.end(store.STATUS_INTERRUPTED, message)
    return RunOutcome("interrupted", attempt.record_dir, error=message, exit_code=code)


def _interruption(error: BaseException, checkpoint: Any) -> tuple[str, int]:
    """The one-line message and exit code of a run stopped by a signal."""
    from repro.running.checkpointing import EXIT_CODES, RunInterrupted

    if isinstance(error, RunInterrupted):
        return str(error), error.exit_code
    if isinstance(error, KeyboardInterrupt) and not isinstance(error, Terminated):
        if checkpoint.replaces_a_completed_run:
            return f"interrupted; {checkpoint.what_a_rerun_does()}", EXIT_CODES[signal.SIGINT]
        return "interrupted", EXIT_CODES[signal.SIGINT]
    from repro.running.slurm_stop import stop_name

    name = stop_name(signal.SIGTERM)
    return f"interrupted by {name}; {checkpoint.what_a_rerun_does()}", EXIT_CODES[signal.SIGTERM]


def _completed_but_stopped(record_dir: Path, metrics: dict[str, float], signum: int) -> RunOutcome:
    """The run finished and its record says so; the exit code still tells the caller (a
    sweep, a shell loop) that a stop was asked for."""
    from repro.running.checkpointing import EXIT_CODES

    name = signal.Signals(signum).name
    return RunOutcome(
        "completed",
        record_dir,
        metrics,
        error=f"{name} arrived as the run ended; its record is complete",
        exit_code=EXIT_CODES.get(signum, 1),
    )


def kept_checkpoint(
    path: Path, checkpoint_cfg: dict[str, Any], unsaved: str | None = None
) -> dict[str, Any]:
    """Whether a completed run keeps its final weights (`<record>/checkpoints/last.ckpt`),
    for analysis after the run; when not, the reason, also said on stderr if it is size or
    a failed save (`unsaved`: a file there is an earlier save's, not the final weights)."""
    if not checkpoint_cfg.get("enabled", True):
        return {"kept": False, "reason": "checkpoint.enabled=false"}
    if not checkpoint_cfg.get("keep", True):
        return {"kept": False, "reason": "checkpoint.keep=false"}
    if unsaved is not None:
        print(f"warning: final weights not kept: {unsaved}", file=sys.stderr)
        return {"kept": False, "reason": unsaved}
    if not path.is_file():
        return {"kept": False, "reason": "no checkpoint was written"}
    size_mb = path.stat().st_size / 1e6
    limit = checkpoint_cfg.get("max_keep_mb")
    if limit is not None and size_mb > float(limit):
        reason = f"{_megabytes(size_mb)} > checkpoint.max_keep_mb={limit:g}"
        print(f"warning: final weights not kept: {reason}", file=sys.stderr)
        return {"kept": False, "reason": reason}
    from repro.running.checkpointing import CHECKPOINT_DIR, LAST_CHECKPOINT

    file = f"{CHECKPOINT_DIR}/{LAST_CHECKPOINT}"  # where it stays (a rerun's is moved there)
    return {"kept": True, "file": file, "mb": round(size_mb, 3)}


def _megabytes(size_mb: float) -> str:
    return f"{size_mb / 1000:.1f} GB" if size_mb >= 1000 else f"{size_mb:.3g} MB"


def _warn_missing_claim_metrics(spec: Any, experiment: str, metrics: dict[str, float]) -> None:
    """Say now, not at report time, when a claim of this experiment needs a metric the run
    did not log (a renamed self.log key, a forgotten test_step)."""
    logged = ", ".join(sorted(metrics)) or "nothing"
    for claim in spec.claims:
        if experiment in claim.experiments() and claim.metric not in metrics:
            print(
                f"warning: claim {claim.id} needs {claim.metric} but this run logged only {logged}"
                + metric_hint(claim.metric, metrics),
                file=sys.stderr,
            )


def checkpoint_step(path: Path) -> int | None:
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # unreadable checkpoint: Lightning reports it when loading
        return None
    return int(state.get("global_step", 0))


def _account_for_resume(record: dict[str, Any], record_dir: Path) -> None:
    """Steps/s of this attempt only, and one CSV log across attempts. A seed its group
    trained before (`together.trained`: this attempt only tested it) keeps the rate measured
    as it trained: 0 steps/s said it never trained."""
    from repro.running.loggers import merge_csv_logs

    start = record["resumed_from"]["step"] or 0
    timing = record["timing"]
    trained = (timing.get("steps") or 0) - start
    if timing.get("fit_s") and not (record.get("together") or {}).get("trained"):
        timing["steps_per_s"] = round(trained / timing["fit_s"], 3)
    try:
        merge_csv_logs(record_dir, start)
    except Exception as error:  # bookkeeping after training must never cost the trained result
        print(f"warning: CSV logs not merged: {type(error).__name__}: {error}", file=sys.stderr)


def _attempts_in(record_dir: Path, name: str) -> Any:
    """The attempt count a record file beside the record gives (None: absent or unreadable,
    counted, never trusted)."""
    try:
        return (store.read_record(record_dir, name) or {}).get("attempts")
    except (OSError, ValueError):
        return None


def _previous_record(record_dir: Path) -> dict[str, Any] | None:
    """The record an earlier, unfinished attempt left (None if absent). A corrupt one is kept
    aside as record.corrupt.json, not overwritten by this attempt. One the OS refuses to read
    (no permission, an I/O error) may be a completed run's: a ReproError, before anything is
    written (it was taken for none, and the run replaced it)."""
    try:
        return store.read_record(record_dir)
    except ValueError:
        if said := set_aside_corrupt_record(record_dir):
            print(f"warning: {said}; training again", file=sys.stderr)
        return None
    except FileNotFoundError:  # removed since it was seen
        return None
    except OSError as error:
        path = record_dir / store.RECORD_FILE
        raise ReproError(
            f"cannot read run record {path}: {error.strerror or error}; it may hold a completed "
            "run, so it is not overwritten: make it readable, or move it away to train again"
        ) from None


def set_aside_corrupt_record(record_dir: Path) -> str | None:
    """A corrupt record (unreadable, or not a record) moved to record.corrupt.json (or
    -2, ...), never overwritten; what was set aside, in words, or None when there was none."""
    corrupt = record_dir / store.RECORD_FILE
    try:
        store.read_record(record_dir)
        return None
    except OSError:
        return None
    except ValueError as error:
        aside = store.free_name_beside(corrupt.with_name("record.corrupt.json"))
        try:
            corrupt.replace(aside)
        except OSError:
            return None
        return f"corrupt run record {corrupt} ({error}) kept as {aside.name}"


def _finish(record: dict[str, Any], status: str, started: float, error: str | None) -> None:
    record["status"] = status
    record["error"] = error
    record["timing"]["finished_at"] = _now()
    record["timing"]["wall_s"] = round(time.perf_counter() - started, 3)
    record["timing"].pop("alive_at", None)  # a running group's note: its wall time says more


def _to_yaml(config: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(config, sort_keys=False)
