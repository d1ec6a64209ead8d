"""Seeds trained together, as runs: lock each seed's folder, resume or start the group, train
it (`running.seed_group`), and write one ordinary record per seed, as `repro run` would; a
setting that does not qualify trains one seed at a time, or goes back to the sweep."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import os
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

import torch

from repro.errors import ReproError, error_line
from repro.running.group_checkpoint import UNREADABLE, GroupCheckpoint, GroupStopped
from repro.running.group_wandb import hyperparameters, write_seed_run
from repro.running.loggers import CSV_FOLDER, finish_wandb, wandb_start_problem
from repro.running.seed_group import (
    SMALL_MODEL,
    GroupResult,
    NotTogether,
    SeedGroup,
    SeedOutcome,
)

UNGROUPED = "ungrouped"
"""The outcome of a seed handed back untrained because its setting does not qualify (only
with `alone=False`: a sweep's scheduler then gives each seed a worker of its own)."""


def run_together(
    configs: list[dict[str, Any]],
    commands: list[list[str]],
    say: Any = print,
    alone: bool = True,
) -> list[Any]:
    """Train these seeds of one setting together and write one ordinary record per seed;
    returns one RunOutcome per config. Seeds already completed are skipped, seeds another
    process holds are left to it; when the setting does not qualify, one line says why and
    each seed trains alone (`run_one`), as without seeds together, or, with `alone=False`,
    comes back untrained as UNGROUPED for the caller to schedule."""
    import contextlib
    import sys
    from pathlib import Path

    from repro.plugins.registry import plugin_from_folder
    from repro.records.lookup import completed_run
    from repro.running.group_checkpoint import split_lock, tidy_completed_seed
    from repro.running.lock import RunBusy, run_lock
    from repro.running.runner import RunOutcome, run_one, stale_line

    outcomes: dict[int, Any] = {}
    todo: list[tuple[int, dict[str, Any], list[str], Path, dict | None, str | None]] = []
    for index, (config, command) in enumerate(zip(configs, commands, strict=True)):
        record_dir, record, stale = completed_run(config)
        if record is not None and stale is None:
            tidy_completed_seed(record_dir)  # a group killed as it recorded it left its file
            outcomes[index] = RunOutcome("skipped", record_dir, record.get("metrics", {}))
        else:
            todo.append((index, config, command, record_dir, record, stale))
    if not todo:
        return [outcomes[i] for i in range(len(configs))]
    if not any(entry[1].get("rerun") for entry in todo):
        # a trained group's checkpoint holding a seed completed since: the seeds left's
        from repro.running.group_checkpoint import drop_completed_seeds

        drop_completed_seeds(todo[0][3].parent)
    if len(todo) == 1 and (todo[0][4] is None or todo[0][1].get("rerun")):
        # the one seed of its group left to run (the others completed, tested alone after a
        # split killed halfway): its share of the group's checkpoint, split off before it
        # is locked, is only tested (with rerun=true: trained again, the others' share kept)
        from repro.running.group_checkpoint import split_off_to_test

        split_off_to_test(todo[0][3], int(todo[0][1]["seed"]))
    blocked = _folders_in_the_way(todo)  # before anything is written
    if blocked and _a_group_holds(blocked, todo):  # none trains: see _folders_in_the_way
        (seed, why), *_ = blocked.items()
        seeds = ", ".join(str(entry[1]["seed"]) for entry in todo)
        group = f"its group (seeds {seeds}, trained together) waits for seed {seed}"
        error = f"{group}: seed {seed}: {why}" if len(todo) > 1 else why
        for index, _, _, record_dir, *_ in todo:
            outcomes[index] = RunOutcome("failed", record_dir, error=error, exit_code=1)
        return [outcomes[i] for i in range(len(configs))]
    for index, config, _, record_dir, *_ in todo:  # no group's file holds them: they alone fail
        if int(config["seed"]) in blocked:
            why = blocked[int(config["seed"])]
            outcomes[index] = RunOutcome("failed", record_dir, error=why, exit_code=1)
    todo = [entry for entry in todo if int(entry[1]["seed"]) not in blocked]
    if not todo:
        return [outcomes[i] for i in range(len(configs))]
    plugin = plugin_from_folder(Path(todo[0][1]["paper_dir"]))
    spec = plugin.spec()
    with contextlib.ExitStack() as locks:
        held = []
        todo[0][3].parent.mkdir(parents=True, exist_ok=True)
        # under the split lock: a lone `repro run` of a seed splitting the group's trained
        # checkpoint (`split_off_to_test`) has done so, or finds the seeds locked
        with split_lock(todo[0][3].parent):
            for entry in todo:
                index, config, _, record_dir, record, stale = entry
                try:
                    record_dir.mkdir(parents=True, exist_ok=True)
                    locks.enter_context(run_lock(record_dir))
                except RunBusy as busy:
                    error = str(busy)
                    outcomes[index] = RunOutcome("busy", busy.record_dir, error=error, exit_code=1)
                    continue
                if stale:  # retrained as rerun=true retrains a completed run: it stays till then
                    print(stale_line(config, stale), file=sys.stderr)
                held.append(entry)
        held = _hold_back_for_busy_seeds(held, outcomes, say)
        if held and not any(entry[1].get("rerun") for entry in held):
            _split_off_done_seeds(held, say)
        if (
            len(held) > 1
            and not any(entry[1].get("rerun") for entry in held)
            and not _resumes_whole(held)
        ):
            # a seed split off from its group (run alone, then stopped as it was tested)
            # holds its own share, as the seeds a group left to test beside one that failed
            # hold theirs: each share tested as its own group, else the held seeds would not
            # match the files and train every seed from the start
            for share in _shares_left_to_test(held):
                if any(entry not in held for entry in share):  # tested with a share before
                    continue
                try:
                    tested = _train_held(share, plugin, spec, say)
                except NotTogether:
                    continue
                outcomes.update(tested)
                held = [entry for entry in held if entry not in share]
                stopped = [o for o in tested.values() if o.status == "interrupted"]
                if stopped:  # a stop: the rest are left as they were, as a group leaves them
                    tested_seeds = ", ".join(str(entry[1]["seed"]) for entry in share)
                    for index, _, _, record_dir, *_ in held:
                        outcomes[index] = RunOutcome(
                            "interrupted",
                            record_dir,
                            error=_not_started(stopped[0], tested_seeds),
                            exit_code=stopped[0].exit_code,
                        )
                    held = []
                    break
        one = held and not held[0][1].get("rerun") and (_left_to_test(held) or _share(held))
        if len(held) > 1 or one:
            try:
                results = _train_held(held, plugin, spec, say)
            except NotTogether as why:
                say(f"seeds together: off for {_label(held[0][1])}: {why}; one seed at a time")
                results = None
            if results is not None:
                outcomes.update(results)
                held = []
    for index, config, command, record_dir, *_ in held:  # alone, as `repro run` (unlocked)
        if alone:
            outcomes[index] = run_one(config, command=command)
        else:
            outcomes[index] = RunOutcome(UNGROUPED, record_dir)
    return [outcomes[i] for i in range(len(configs))]


HELD_BACK = "not started: its group's checkpoint also holds seed"
"""How the outcome of a seed held back for its group's busy seed starts
(`_hold_back_for_busy_seeds`): the sweep's table gives it, and prints no second line."""


def _folders_in_the_way(todo: list[tuple]) -> dict[int, str]:
    """Why a seed cannot start, by seed: its folder a link that leads nowhere or a file (as
    `repro run` of it says; the group failed with a bare 'File exists'), or a folder, or such
    a link, where it keeps a file (`runner._refuse_folders_in_the_way`), found only as the
    group wrote there: a `rerun=true` had then replaced that seed's completed record and
    failed with its weights left in rerun.ckpt."""
    from repro.records import store
    from repro.running.runner import _refuse_folders_in_the_way, _refuse_what_blocks_keeping_aside

    blocked: dict[int, str] = {}
    for _, config, _, record_dir, _, stale in todo:
        if in_the_way := store.what_blocks_folder(record_dir):  # a bare 'File exists' later
            blocked[int(config["seed"])] = f"cannot create run folder {record_dir}: {in_the_way}"
            continue
        try:
            _refuse_folders_in_the_way(record_dir)
            if stale:  # kept in .superseded/ as it is replaced
                _refuse_what_blocks_keeping_aside(record_dir)
        except ReproError as error:
            blocked[int(config["seed"])] = str(error)
    return blocked


def _a_group_holds(blocked: dict[int, str], todo: list[tuple]) -> bool:
    """Whether a group's checkpoint in this setting holds a blocked seed: then the whole
    group waits, so that the file is never resumed without that seed (its training thrown
    away). Otherwise the blocked seeds alone fail and the others train: a dead link in one
    seed's folder failed every seed of the group, though they could train."""
    import os

    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT
    from repro.running.runner import groups_holding

    by_seed = {int(entry[1]["seed"]): entry[3] for entry in todo}
    return any(
        groups_holding(by_seed[seed], seed)
        # its own, unreadable (a dead link): which seeds it holds cannot be told
        or os.path.lexists(by_seed[seed] / CHECKPOINT_DIR / GROUP_CHECKPOINT)
        for seed in blocked
    )


def _hold_back_for_busy_seeds(held: list[tuple], outcomes: dict[int, Any], say: Any) -> list:
    """The held seeds minus those of a group's checkpoint (cut short mid-training, or trained
    and left to test) that also holds a seed another process has locked (`repro run seed=1
    rerun=true`, started beside the sweep): without it, the held seeds would not match the
    file, which was discarded (or, one seed left, it trained alone from step 0), losing its
    training. Left as they are, not started this time (one line says so, each seed's
    outcome too): the next sweep resumes the whole group."""
    from pathlib import Path

    from repro.records.fingerprint import code_fingerprint
    from repro.running.group_checkpoint import saved_identity
    from repro.running.lock import is_locked
    from repro.running.runner import RunOutcome, groups_holding

    if not held or any(entry[1].get("rerun") for entry in held):
        return held  # rerun=true starts over, never resumes a group's file
    by_seed = {int(entry[1]["seed"]): entry for entry in held}
    hash_dir = held[0][3].parent
    # a file of other plugin code is never resumed (discarded, said so): it holds none back
    code = code_fingerprint(Path(held[0][1]["paper_dir"])).get("digest")
    back: dict[int, str] = {}  # seed -> why it is not started
    for seed, entry in by_seed.items():
        for path in groups_holding(entry[3], seed):
            saved = saved_identity(path)
            if saved is None or saved.identity.get("code") not in (None, code):
                continue
            try:
                seeds = [int(s) for s in saved.identity.get("seeds") or []]
            except (TypeError, ValueError):
                continue
            busy = [s for s in seeds if s not in by_seed and is_locked(hash_dir / f"seed{s}")]
            if seed not in seeds or not busy:
                continue
            mine = [s for s in seeds if s in by_seed]
            words = ", ".join(map(str, mine))
            others = ", ".join(map(str, busy))
            why = (
                f"their group's checkpoint {path} (step {saved.step}) also holds seed"
                f"{'s' if len(busy) > 1 else ''} {others}, which another process is running; "
                "left as it is, the same sweep again resumes the group"
            )
            if not any(s in back for s in mine):
                say(
                    f"seeds together: {_label(entry[1])} seed{'s' if len(mine) > 1 else ''} "
                    f"{words} not started: {why}"
                )
            plural = "s" if len(busy) > 1 else ""
            for s in mine:
                back[s] = f"{HELD_BACK}{plural} {others}, which another process is running; " + (
                    "the same sweep again resumes the group"
                )
    for seed, why in back.items():
        index, _, _, record_dir, *_ = by_seed[seed]
        outcomes[index] = RunOutcome("busy", record_dir, error=why, exit_code=1)
    return [entry for entry in held if int(entry[1]["seed"]) not in back]


def _not_started(stopped: Any, tested: str) -> str:
    """What a seed left as it was says when a stop came as a share of other seeds of its
    setting was tested: never that share's words (`tests it from the group's final
    weights`), which are not this seed's: its record is unchanged, and so is its next
    attempt."""
    stop = str(stopped.error or "interrupted").split(" while ")[0].split(";")[0]
    seeds = f"seed{'s' if ',' in tested else ''} {tested} {'were' if ',' in tested else 'was'}"
    return f"{stop} before it started (as {seeds} tested); its record is unchanged"


def _resumes_whole(held: list[tuple]) -> bool:
    """The held seeds are exactly those of the trained group's checkpoint in the first one's
    folder: it resumes them all, though the last of them may hold its own share too (a kill
    -9 once the share of the seeds after one was written, before that one was recorded)."""
    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT
    from repro.running.group_checkpoint import saved_identity

    saved = saved_identity(held[0][3] / CHECKPOINT_DIR / GROUP_CHECKPOINT)
    seeds = [int(entry[1]["seed"]) for entry in held]
    return saved is not None and saved.trained and saved.identity.get("seeds") == seeds


def _shares_left_to_test(held: list[tuple]) -> list[list[tuple]]:
    """The held seeds that a trained group left to test, share by share (the seeds of each
    checkpoint, in its order), where they are not all the held seeds: a seed split off
    alone, or the seeds left beside one that failed (which trains again, without them)."""
    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT
    from repro.running.group_checkpoint import saved_identity

    by_seed = {int(entry[1]["seed"]): entry for entry in held}
    # a save of all the held seeds together in the first one's folder (a rerun=true of them
    # stopped as it trained) newer than a share: that share's training was replaced, the
    # group resumes from the newer save (testing the share threw that progress away)
    whole_path = held[0][3] / CHECKPOINT_DIR / GROUP_CHECKPOINT
    whole = saved_identity(whole_path)
    since = _mtime(whole_path) if whole and whole.identity.get("seeds") == list(by_seed) else None
    shares = []
    for entry in held:
        path = entry[3] / CHECKPOINT_DIR / GROUP_CHECKPOINT
        saved = saved_identity(path)
        if saved is None or not (saved.trained or _all_cut_short(saved, held[0][3].parent)):
            continue  # a share cut short mid-training: `_split_off_done_seeds`
        if since is not None and (_mtime(path) or 0.0) < since:
            continue
        try:
            seeds = [int(s) for s in saved.identity.get("seeds") or []]
        except (TypeError, ValueError):
            continue
        whole = sorted(seeds) == sorted(by_seed)
        if seeds and seeds[0] == int(entry[1]["seed"]) and set(seeds) <= set(by_seed) and not whole:
            shares.append([by_seed[s] for s in seeds])
    return shares


def _split_off_done_seeds(held: list[tuple], say: Any) -> None:
    """A group's checkpoint cut short mid-training that holds a seed done since (failed or
    completed alone, `repro run seed=1 rerun=true`) beside held seeds cut short: their
    share is split off to resume as a group of its own (`_shares_left_to_test` finds it);
    one line says so. Before, the file was deleted: `a seed's last attempt was not cut
    short; training from the start`, the others' training lost."""
    from repro.running.group_checkpoint import split_lock, split_off_done_seeds

    hash_dir = held[0][3].parent
    with split_lock(hash_dir):
        split = split_off_done_seeds(hash_dir, [int(entry[1]["seed"]) for entry in held])
    for kept, done in split:
        words = ", ".join(map(str, kept))
        gone = ", ".join(map(str, done))
        say(
            f"seeds together: {_label(held[0][1])} seed{'s' if len(kept) > 1 else ''} {words} "
            f"resume their share of their group's checkpoint: seed{'s' if len(done) > 1 else ''}"
            f" {gone} of it ended since (failed or completed alone; a failed one trains from"
            " the start)"
        )


def _all_cut_short(saved: Any, hash_dir: Any) -> bool:
    """Every seed of a group's checkpoint saved mid-training was cut short since: it resumes."""
    from repro.records import store

    try:
        seeds = [int(s) for s in saved.identity.get("seeds") or []]
    except (TypeError, ValueError):
        return False
    return bool(seeds) and all(store.cut_short(hash_dir / f"seed{s}", in_group=True) for s in seeds)


def _mtime(path: Any) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _left_to_test(held: list[tuple]) -> bool:
    (_, config, _, record_dir, _, _), *_ = held
    from repro.running.group_checkpoint import left_to_test

    return left_to_test(record_dir, int(config["seed"]))


def _share(held: list[tuple]) -> bool:
    """The one held seed's folder holds its share of a group cut short mid-training (its
    group's other seeds done since: `_split_off_done_seeds`): it resumes as a group of one,
    exactly where the group stopped, never alone from the start."""
    from repro.running.group_checkpoint import resumes_share

    (_, config, _, record_dir, _, _), *_ = held
    return len(held) == 1 and resumes_share(record_dir, int(config["seed"]))


def only_test_as_group_of_one(config: dict[str, Any], command: list[str]) -> Any:
    """A seed its group trained and left untested, run on its own (`repro run`, a sweep's
    job): only tested, from the group's final weights (`runner.run_one` calls this)."""
    return run_together([config], [command])[0]


def _label(config: dict[str, Any]) -> str:
    return f"{config['paper']}/{config['experiment_name']}"


def _train_held(held: list[tuple], plugin: Any, spec: Any, say: Any) -> dict[int, Any]:
    """The locked seeds trained as one group, each ending in its own record: resume the
    group's checkpoint or start, train, record every seed."""
    import lightning.pytorch  # noqa: F401  (its import sets its loggers to INFO: quiet after)

    from repro.running.training import quiet_lightning

    quiet_lightning()
    configs = [entry[1] for entry in held]
    logger_cfg = dict(configs[0].get("logger") or {})
    if "wandb" in logger_cfg and (problem := wandb_start_problem(dict(logger_cfg["wandb"] or {}))):
        # the group writes W&B only once trained: each seed alone meets this at its start
        raise NotTogether(f"W&B would not start ({problem})")
    try:  # NotTogether before any record is touched
        group = SeedGroup(configs, plugin, spec)
    except NotTogether:
        raise
    except Exception as error:  # the plugin fails to build: each seed alone records how
        # its first line whole: cut, it loses what the seeds' records then say (a usage
        # error's remedy comes last)
        raise NotTogether(f"the seeds could not be built together ({error_line(error)})") from None
    if logger_cfg:  # Lightning merges the hyperparameters it logs as the fit starts
        try:
            hyperparameters(group.modules[0], group.datamodules[0])
        except RuntimeError as clash:  # each seed alone fails on it, with Lightning's words
            raise NotTogether(str(clash)) from None
    seeds = [int(c["seed"]) for c in configs]
    setting = " ".join([_label(configs[0]), *setting_overrides(held[0][2])])
    label = f"{setting} seed{'s' if len(seeds) > 1 else ''} {','.join(map(str, seeds))}"
    # SIGINT/SIGTERM from the first `running` record until the last record is written are
    # noted, never raised: the group stops at its next step, or its seeds' records and exit
    # codes say the stop came as they were tested (as `repro run` does for one seed)
    with _stops_noted() as stops:
        attempts: list = []
        try:
            _start_attempts(held, plugin, seeds, group, attempts)
            saver = _group_checkpoint(attempts, seeds, stops)
            saver.alive = lambda: _note_alive(attempts[0][1])
            _resume_or_start(group, saver, attempts, say)
        except NotTogether:
            raise
        except Exception as error:  # before training: each seed fails, none stays `running`
            return _failed_as_they_start(error, held, attempts, plugin)

        def announce() -> None:  # once resumed: whether it trains or only tests is known
            say(_start_line(label, saver, group.device))

        result = _fit(group, saver, attempts, announce=announce)
        if not isinstance(result, GroupResult):
            return result  # every seed's outcome: interrupted or failed
        if not saver.testing_only:  # durable before any test: a kill -9 then only tests
            pairs = zip(attempts, result.seeds, strict=True)
            left = [(attempt, seed.seed) for (_, attempt), seed in pairs]
            _keep_to_test(group, saver, left, _training_of(result, saver))
        outcomes = _record_seeds(attempts, result, stops, group, saver)
        if not any(o.status == "interrupted" for o in outcomes.values()):
            if saver.path not in saver.unrecorded:  # a seed without its record tests from it
                saver.discard()  # every seed has its record (else: kept for those left to test)
            if saver.trained_at is not None:  # the last seed's, failed: no record took it
                _remove_group_file(saver.trained_at)
    # the handlers are the caller's again: a stop noted up to here is in the exit codes
    return {index: _stopped_after(outcome, stops) for index, outcome in outcomes.items()}


def _note_alive(attempt: Any) -> None:
    """The group is still training: its first seed's `running` record says when
    (`timing.alive_at`), so a kill -9 before its next save is counted up to there
    (`_last_recorded`), never lost nor guessed."""
    from repro.running.runner import _now

    attempt.record["timing"]["alive_at"] = _now("milliseconds")
    attempt.save()


def _start_line(label: str, saver: GroupCheckpoint, device: Any) -> str:
    """What the group does: trains its seeds at once, or (resumed from its trained final
    state) only tests them: then it never says they train together. It names the setting
    (`label`: experiment and overrides) and its folder, as `repro run` names a run's."""
    from repro.running.progress import shown_path

    folder = f" -> {shown_path(saver.path.parent.parent.parent)}"  # <setting>/seedN/checkpoints
    if saver.testing_only:
        step = saver.saved_step
        return f"repro run: {label}, trained in a group (step {step}), tested on {device}{folder}"
    count = len(saver.identity["seeds"])
    return f"repro run: {label} together on {device} ({count} seeds, one process){folder}"


NOT_SETTING_WORDS = frozenset({"paper", "experiment", "seed", "group_seeds", "paths.results_dir"})
"""Keys of a recorded command that say which paper, seed or folder, not which setting."""


def setting_overrides(command: list[str]) -> list[str]:
    """The overrides of a seed's recorded command (`repro run ...`) that make its setting
    (`optimizer.lr=0.1`): a group's start line names them, as the sweep's table does, so
    a grid's groups can be told apart."""
    words = command[2:] if command[:2] == ["repro", "run"] else []
    kept: list[str] = []
    option = False
    for word in words:
        if option or word.startswith("-"):  # --papers-dir FOLDER: where, not what
            option = word.startswith("-") and "=" not in word
            continue
        key = word.partition("=")[0].lstrip("+~")
        if "=" in word and key not in NOT_SETTING_WORDS:
            kept.append(word)
    return kept


def _training_of(result: GroupResult, saver: GroupCheckpoint) -> dict[str, Any]:
    """How the group's seeds were trained, for the seeds it leaves to test: the seeds
    trained at once, the step and the rate measured as they trained (a group resumed only
    to test passes on what its checkpoint said)."""
    if saver.testing_only:
        return dict(saver.training or {})
    trained_steps = result.timing.get("trained_steps", result.steps)
    rate = round(trained_steps / result.fit_s, 3) if result.fit_s and trained_steps else None
    return {
        "seeds": [seed.seed for seed in result.seeds],
        "step": result.steps,
        "steps_per_s": rate,
    }


def _record_seeds(
    attempts: list, result: GroupResult, stops: list[int], group: SeedGroup, saver: GroupCheckpoint
) -> dict[int, Any]:
    """Test and record each seed in turn; once a stop is noted, the seeds not yet tested are
    recorded interrupted (the one being tested ends as it would), the group's final weights
    kept for them: their next attempt only tests them. A group resumed only to test moves
    those weights on to the next seed's folder as each seed's record takes its own (a kill -9
    then leaves them where the rest finds them)."""
    outcomes = {}
    pairs = list(zip(attempts, result.seeds, strict=True))
    training = _training_of(result, saver)
    then = None
    for n, ((index, attempt), seed) in enumerate(pairs):
        if not stops:
            before = saver.trained_at  # in this seed's folder, which its record empties
            if before is not None and n + 1 < len(pairs):  # on to the next first: a kill -9
                # as this seed is recorded leaves the rest their share (or two: the same)
                left = [(a, s.seed) for (_, a), s in pairs[n + 1 :]]
                _keep_to_test(group, saver, left, training, superseded=False)
            try:
                outcomes[index] = _record_seed(
                    attempt,
                    seed,
                    result,
                    saver,
                    functools.partial(_keep_failed_test, group, saver, attempt, before, training),
                )
                # a failed seed's, unless kept for it (its test failed)
                if before is not None and before not in (saver.trained_at, *saver.unrecorded):
                    _remove_group_file(before)
                continue
            except ReproError as error:  # its record cannot be written: the others can be
                outcomes[index] = _unrecorded(attempt, error, before, saver)
                continue
            except (KeyboardInterrupt, SystemExit):  # a stop that reached Lightning first
                stops.append(signal.SIGINT)
        if then is None:
            left = [(a, s.seed) for (_, a), s in pairs[n:]]
            then = _keep_to_test(group, saver, left, training)
        outcomes[index] = _interrupted(attempt, stops[0], then)
    return outcomes


def _keep_failed_test(
    group: SeedGroup, saver: GroupCheckpoint, attempt: Any, path: Any, training: dict[str, Any]
) -> None:
    """A seed whose test failed once its group trained it (the plugin's test code raised):
    its share of the group's final weights is kept in its folder (`path`, which held the
    seeds from it on; the share of those after it has moved on), its record says so
    (`together.failed_testing`), and its next attempt only tests it, as a seed alone resumes
    its last.ckpt. Its error line is the one it gets alone. Before, the file went as its
    failed record was written: the next sweep trained every such seed again from step 0.
    Nothing is kept with checkpoints off, for a rerun=true of a completed seed, or on a full
    disk: it trains again, as before."""
    if path is None or attempt.rerunning_completed:
        return
    seed = int(attempt.config["seed"])
    try:
        step = saver.save_to_test(group, [seed], path, training)
    except OSError:  # a full disk: it trains again, as before
        with contextlib.suppress(OSError):
            path.with_name(path.name + ".tmp").unlink(missing_ok=True)
        return
    if step is None:
        return
    saver.unrecorded.append(path)  # never removed as the group ends
    if saver.trained_at == path:  # the last seed's
        saver.trained_at = None
    attempt.record["together"]["failed_testing"] = {"checkpoint": str(path), "step": step}


def _unrecorded(attempt: Any, error: ReproError, kept: Any, saver: GroupCheckpoint) -> Any:
    """A seed whose record cannot be written (its folder turned read-only): failed, in one
    line, and the group's final weights in its folder (`kept`, holding it) stay for its next
    attempt, which only tests it. Before, the error went up out of the group: the seeds
    after it were never tested, their records left `running`."""
    from repro.running.runner import RunOutcome

    with contextlib.suppress(OSError):  # its weights saved as it was tested, of no record
        attempt.checkpoint_file.unlink(missing_ok=True)
    then = "a rerun trains it"
    if kept is not None and kept.is_file():
        then = "the same sweep again tests it from the group's final weights"
        saver.unrecorded.append(kept)  # never removed as the group ends
        if saver.trained_at == kept:  # the last seed's
            saver.trained_at = None
    return RunOutcome("failed", attempt.record_dir, error=f"{error}; {then}", exit_code=1)


def _keep_to_test(
    group: SeedGroup,
    saver: GroupCheckpoint,
    left: list[tuple],
    training: dict[str, Any],
    superseded: bool = True,
) -> str:
    """The trained group's final state for the seeds `left` (attempt, seed) untested, in
    their first's folder, with how they were trained (`training`); what their records then
    say a rerun does. `superseded`: the files it replaces go now (else the caller removes
    them once the seed before `left` is recorded)."""
    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT

    first = left[0][0]
    before = saver.trained_at
    path = first.record_dir / CHECKPOINT_DIR / GROUP_CHECKPOINT
    step = None
    if not first.rerunning_completed and saver.unsaved is None:  # rerun=true never resumes
        try:
            step = saver.save_to_test(group, [seed for _, seed in left], path, training)
        except OSError as error:  # only a kill's safety net: the seeds are tested all the same
            _not_kept_to_test(saver, path, error)
    saver.trained_at = path if step is not None else None
    # superseded only once the new file is in place: a kill in between loses nothing
    for old in (saver.path, before) if superseded else ():  # the last save in training,
        # the seeds' before
        if old is not None and (step is None or old != path):
            _remove_group_file(old)
    if step is None:
        return "a rerun trains it"
    return f"the same sweep again tests it from the group's final weights (step {step})"


def _not_kept_to_test(saver: GroupCheckpoint, path: Any, error: OSError) -> None:
    """The group's final weights could not be saved for its seeds left to test (a full
    disk, a read-only folder): said once, and the seeds are tested and recorded from memory
    as if checkpoints were off. Before, the OSError went up out of the group and left every
    seed's record `running` for good."""
    with contextlib.suppress(OSError):  # a partial file: never read as a checkpoint
        path.with_name(path.name + ".tmp").unlink(missing_ok=True)
    saver.unsaved = str(error.strerror or error)
    print(
        f"warning: the group's final weights could not be saved in {path} ({saver.unsaved}); "
        "its seeds are tested now, and a stop before one is recorded trains it again",
        file=sys.stderr,
        flush=True,
    )


def _remove_group_file(path: Any) -> None:
    """A group checkpoint moved on or done with, and its `checkpoints` folder once empty (a
    failed seed's folder held it only while the group's seeds were tested). One it cannot
    remove (a read-only folder) stays: raised, it left the seeds' records `running`."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty: a seed's own weights
        path.parent.rmdir()


@contextlib.contextmanager
def _stops_noted() -> Iterator[list[int]]:
    """SIGINT and SIGTERM noted (not raised) while a group's records are open, in the order
    they came: the group acts on the first at a point where its records can say what
    happened, as `repro run` defers a stop."""
    stops: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield stops
        return
    from repro.running.fast_exit import STOP_SIGNALS, hold_signals_to_exit

    previous = {
        number: signal.signal(number, lambda signum, frame: stops.append(signum))
        for number in STOP_SIGNALS
    }
    handed_back = False  # the seeds go back to train alone: the caller's handlers act
    try:
        yield stops
    except NotTogether:
        handed_back = True
        raise
    finally:
        if stops and not handed_back:  # the records name a stop: so will the exit code
            hold_signals_to_exit()
        else:
            for number, handler in previous.items():
                signal.signal(number, handler)
            if stops:  # came as the seeds were handed back: acted on as if it came now
                signal.raise_signal(stops[0])


def _stopped_after(outcome: Any, stops: list[int]) -> Any:
    """A seed whose test ended after a stop arrived: completed, and its exit code says stop."""
    from repro.running.runner import _completed_but_stopped

    if not stops or outcome.status != "completed":
        return outcome
    return _completed_but_stopped(outcome.record_dir, outcome.metrics, stops[0])


def _interrupted(attempt: Any, signum: int, then: str) -> Any:
    """A seed whose group stopped before it was recorded: interrupted, never `running`."""
    from repro.records import store
    from repro.running.runner import RunOutcome
    from repro.running.slurm_stop import stop_name

    name = stop_name(signum)
    message = f"interrupted by {name} while the group's seeds were tested; {then}"
    attempt.end(store.STATUS_INTERRUPTED, message)
    return RunOutcome("interrupted", attempt.record_dir, error=message, exit_code=128 + signum)


def _failed_as_they_start(
    error: Exception, held: list[tuple], attempts: list, plugin: Any
) -> dict[int, Any]:
    """Every held seed of a group that failed before training (`runner.failed_as_it_starts`):
    those whose `running` record was written end `failed`, the others keep what they had."""
    from repro.running.runner import failed_as_it_starts

    started = dict(attempts)
    return {
        index: failed_as_it_starts(error, plugin, started.get(index), show_traceback=n == 0)
        for n, (index, *_) in enumerate(held)
    }


def _start_attempts(
    held: list[tuple], plugin: Any, seeds: list[int], group: SeedGroup, attempts: list
) -> list:
    """Each seed's `running` record, naming the group it trains in, added to `attempts` as
    it is written (a failure partway leaves those written to be ended)."""
    import uuid

    from repro.running.runner import (
        Attempt,
        _new_record,
        _previous_record,
        _start,
        abandoned_attempts,
        keep_weights_of_a_corrupt_record,
        set_aside_corrupt_record,
    )

    attempt_id = uuid.uuid4().hex[:12]  # one per group attempt: its seeds share one process
    # read before these seeds' records are replaced: how long each killed attempt ran
    ran = _last_recorded(held[0][3].parent)
    for index, config, command, record_dir, _, _ in held:
        corrupt = set_aside_corrupt_record(record_dir)  # said once the group knows what follows
        previous = _previous_record(record_dir)
        record = _new_record(config, int(config["seed"]), command, plugin, previous, None)
        alive_until = ran.get(((previous or {}).get("together") or {}).get("attempt"))
        # starts over until it resumes (`_resume_or_start`): a failed attempt's time stays,
        # a killed one's up to the last time it is known to have run (`alive_until`)
        record["timing"].update(abandoned_attempts(previous, None, record_dir, alive_until))
        record["together"] = {
            "seeds": seeds,
            "engine": "torch.func.vmap",
            "device": str(group.device),
            "attempt": attempt_id,  # the report counts the shared time once per attempt
        }
        attempt = Attempt(config, record_dir, plugin, record, None, previous)
        attempt.corrupt_record = corrupt
        attempt.alive_until = alive_until  # a resume counts the killed attempt up to it too
        keep_weights_of_a_corrupt_record(attempt)  # the group's end saves over last.ckpt
        attempts.append((index, attempt))  # before its record: `wrote_record` tells if it is
    for _, attempt in attempts:  # once every seed has read the killed attempt's records
        _start(attempt)
    return attempts


def _group_checkpoint(attempts: list, seeds: list[int], stops: list[int]) -> GroupCheckpoint:
    """The group's checkpoint, in its first seed's folder, keyed on what trained it."""
    from repro.records import store
    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT

    first = attempts[0][1]
    config = first.config
    checkpoint_cfg = dict(config.get("checkpoint") or {})
    identity = {
        "seeds": seeds,
        "config_hash": store.config_hash(config),
        "code": ((first.record.get("code") or {}).get("plugin") or {}).get("digest"),
    }
    # A group that replaces a completed seed never resumes (rerun=true starts over, as for a
    # seed alone), so its saves would only cost time and leave a file behind.
    replaces = any(attempt.rerunning_completed for _, attempt in attempts)
    return GroupCheckpoint(
        first.record_dir / CHECKPOINT_DIR / GROUP_CHECKPOINT,
        identity,
        float(checkpoint_cfg.get("every_s", 30)),
        bool(checkpoint_cfg.get("enabled", True)) and not replaces,
        stops,
    )


def _resume_or_start(group: SeedGroup, saver: GroupCheckpoint, attempts: list, say: Any) -> None:
    """Continue from the group's checkpoint when every seed's last attempt was cut short
    (interrupted, or still `running` after kill -9), the checkpoint is this group's, and
    rerun=true does not ask to start over."""
    import sys

    from repro.records import store
    from repro.running.runner import (
        ABANDONED_KEYS,
        _resumed_stage,
        abandoned_attempts,
        earlier_attempts,
    )

    unfinished = (store.STATUS_INTERRUPTED, store.STATUS_RUNNING)
    stale = _say_training_discarded_for_code(attempts, saver)
    # a seed whose record was corrupt (set aside): the group's checkpoint, saved for this very
    # group, holds its state as it holds the others'
    # ...as one that failed as it was tested, its group's final weights kept for it: only tested
    not_cut_short = [
        store.not_cut_short(int(a.config["seed"]), a.previous)
        for _, a in attempts
        if not (
            (a.previous or {}).get("status") in unfinished
            or a.corrupt_record
            or store.failed_testing(a.previous)
        )
    ]
    cut_short = not not_cut_short
    saved, why_not = saver.load(group.device)
    if attempts[0][1].config.get("rerun"):  # never resumes, as for a seed alone
        saved, why_not = None, "rerun=true starts over"
    if saved is not None and cut_short:
        group.load_state_dict(saved)
        step = group.state.global_step
        saver.saved_step = step  # the file on disk, until the group saves again
        if saved["optimizer"] is None:  # saved once trained, for the seeds left to test
            saver.testing_only = True
            saver.trained_at = saver.path
            what = f"trained to step {step}, testing seed {', '.join(map(str, seeds_of(group)))}"
            print(f"resuming the group: {what} ({saver.path})", file=sys.stderr, flush=True)
        else:
            where = f"from step {step} ({saver.path})"
            if any(loader.replays for loader in group.loaders):  # a slow start: say why
                where += (
                    f"; its train loader keeps no position: its pass is drawn again to batch "
                    f"{group.state.batch} first"
                )
            print(f"resuming the group {where}", file=sys.stderr, flush=True)
        recorded = _last_recorded(attempts[0][1].record_dir.parent)
        for _, attempt in attempts:
            resumed = {"checkpoint": str(saver.path), "step": step, "exact": True}
            attempt.record["resumed_from"] = resumed  # a group saves only where it resumes exactly
            killed = ((attempt.previous or {}).get("together") or {}).get("attempt")
            ran = max(recorded.get(killed, 0.0), attempt.alive_until or 0.0) or None
            attempt.record["timing"].update(earlier_attempts(attempt.previous, resumed, ran))
            for key in ABANDONED_KEYS:  # as if started over: not now
                attempt.record["timing"].pop(key, None)
            attempt.record["timing"].update(abandoned_attempts(attempt.previous, resumed))
            if not attempt.record.get("seeds_auto"):  # resumed by a sweep not of its stage
                stage = _resumed_stage(attempt.previous, attempt.record)
                if stage:
                    attempt.record["seeds_auto"] = stage
            attempt.save()
            if attempt.corrupt_record:
                seed = attempt.config["seed"]
                print(
                    f"warning: {attempt.corrupt_record}; seed {seed} resumes with its group",
                    file=sys.stderr,
                )
        _say_own_checkpoints_are_not_resumed(attempts, f"from the group's step {step}")
        return
    for _, attempt in attempts:
        if attempt.corrupt_record:
            print(f"warning: {attempt.corrupt_record}; training again", file=sys.stderr)
    if saver.path.is_file():
        reason = why_not or not_cut_short[0]  # the seed, and what its record says
        if saver.path not in stale:  # else said: discarded for the code
            # its training lost to a damaged file: a warning, as a seed's own (`_resume_point`)
            said = "warning: " if reason.startswith(UNREADABLE) else ""
            line = f"{said}not resuming {saver.path}: {reason}; training from the start"
            print(line, file=sys.stderr)
        saver.discard()
    _say_own_checkpoints_are_not_resumed(attempts, "from the start")


def _last_recorded(hash_dir: Any) -> dict[str, float]:
    """Each group attempt (`together.attempt`) of this setting's records -> when the last
    record it finished was written (its start plus its wall time, never later than that),
    or when a record it left `running` last said it was training (`timing.alive_at`), if
    later, or the note a record that replaced such a one kept (`timing.abandoned_seen`): a
    seed that attempt was killed on (kill -9 as it trained, or as it tested the next seed)
    ran at least that long, though the file it resumes from was saved before (or none was,
    and the next attempt starts over)."""
    from repro.records import store
    from repro.running.runner import _seen_notes

    found: dict[str, float] = {}
    for folder in sorted(hash_dir.glob("seed*")):
        try:
            record = store.read_record(folder) or {}
            timing = record.get("timing") or {}
            for noted, at in _seen_notes(timing).items():  # a seed's, replaced since
                found[noted] = max(found.get(noted, 0.0), at)
            key = (record.get("together") or {}).get("attempt")
            if isinstance(key, str) and (alive := _alive_at(record)) is not None:
                found[key] = max(found.get(key, 0.0), alive)
                continue
            start = dt.datetime.fromisoformat(str(timing.get("started_at"))).timestamp()
            wall = float(timing["wall_s"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            continue
        if isinstance(key, str) and wall >= 0 and math.isfinite(wall):
            found[key] = max(found.get(key, 0.0), start + wall)
    return found


def _alive_at(record: Any) -> float | None:
    """When a group attempt's `running` record (killed: no wall time) last said it trained."""
    from repro.records import store

    timing = record.get("timing") or {}
    if record.get("status") != store.STATUS_RUNNING or "wall_s" in timing:
        return None
    try:
        at = dt.datetime.fromisoformat(str(timing["alive_at"])).timestamp()
    except (ValueError, TypeError, KeyError):
        return None
    return at if math.isfinite(at) else None


def _say_training_discarded_for_code(attempts: list, saver: GroupCheckpoint) -> set[Any]:
    """Group checkpoints of this setting holding these seeds, saved by other plugin code:
    never resumed (the safety rule), so their seeds' training is lost. One line each says
    whose training, where, and why (the files changed, the digests): a `stale:` line about
    another seed's record left it unsaid. Returns those checkpoints."""
    import sys
    from pathlib import Path

    from repro.records.fingerprint import stale_reason
    from repro.running.group_checkpoint import discarded_training_line, saved_identity
    from repro.running.runner import groups_holding

    code = saver.identity.get("code")
    found: dict[Any, Any] = {}
    if not code:  # the current code unknown: nothing to tell it from
        return set()
    for _, attempt in attempts:
        for path in groups_holding(attempt.record_dir, int(attempt.config["seed"])):
            saved = found.get(path) or saved_identity(path)
            old = saved.identity if saved else {}
            if old.get("config_hash") == saver.identity["config_hash"] and old.get("code") != code:
                found[path] = saved
    for path, saved in sorted(found.items()):
        seeds = [int(s) for s in saved.identity.get("seeds") or []]
        previous = [
            a.previous for _, a in attempts if a.previous and int(a.config["seed"]) in seeds
        ]
        folder = Path(attempts[0][1].config["paper_dir"])
        changed = stale_reason(previous[0], folder) if previous else None
        files = f"{changed}; " if changed and changed != "unknown code" else ""
        old = saved.identity.get("code")
        line = discarded_training_line(seeds, path, saved.step, old, code, files)
        print(line, file=sys.stderr)
    return set(found)


def _say_own_checkpoints_are_not_resumed(attempts: list, how: str) -> None:
    """A seed stopped while it trained alone (its own last.ckpt), now trained in a group
    (`group_seeds=[...]`; a sweep resumes it alone instead): its own progress is not
    resumed, and the group's end replaces that checkpoint. Said, never silent."""
    import sys

    from repro.records import store
    from repro.running.runner import checkpoint_step

    unfinished = (store.STATUS_INTERRUPTED, store.STATUS_RUNNING)
    for _, attempt in attempts:
        own = attempt.last_checkpoint
        if (attempt.previous or {}).get("status") in unfinished and own.is_file():
            print(
                f"not resuming seed {attempt.config['seed']}'s own checkpoint {own} (step "
                f"{checkpoint_step(own)}, trained alone): it trains in this group, {how}",
                file=sys.stderr,
            )


def seeds_of(group: SeedGroup) -> list[int]:
    return [outcome.seed for outcome in group.state.outcomes]


def _fit(group: SeedGroup, saver: GroupCheckpoint, attempts: list, announce: Any) -> Any:
    """Train the group under its checkpoint (the caller notes signals); returns the GroupResult, or
    every seed's outcome when the group stopped (signal) or the plugin's code failed.
    `announce()` says the seeds train together, once the probe has found that they can."""
    from repro.running.progress import ProgressLine

    config = attempts[0][1].config
    trainer = dict(config.get("trainer") or {})
    every_s = float(dict(config.get("progress") or {}).get("every_s", 30))
    seeds = ",".join(str(o.seed) for o in group.state.outcomes)
    line = ProgressLine(f"{_label(config)} seeds{seeds}", every_s, seeds=len(group.state.outcomes))
    saved_threads = torch.get_num_threads()
    first_step = group.state.global_step
    if config.get("num_threads") is None and group.parameters_per_seed <= SMALL_MODEL:
        torch.set_num_threads(1)  # as SmallModelThreads does for one small model alone
    try:  # the caller notes SIGINT/SIGTERM in `saver.stops`: the group stops at its next step
        return group.fit(
            every_n_steps=int(trainer.get("log_every_n_steps") or 50),
            max_steps=_bound(trainer.get("max_steps")),
            max_epochs=_bound(trainer.get("max_epochs")),
            check_every=int(trainer.get("check_val_every_n_epoch") or 1),
            line=None if saver.testing_only else line,  # no step to show: it only tests
            saver=saver,
            announce=announce,
        )
    except NotTogether:
        saver.discard()  # a group that cannot be leaves nothing to resume
        if saver.stop_signal is not None:  # a stop came too: it wins, the seeds stop
            return _stopped_group(GroupStopped(saver.stop_signal, None), attempts, line)
        trained = group.state.global_step > first_step  # else the probe said no at once
        for _, attempt in attempts:  # these seeds train alone instead
            _hand_back(attempt, trained)
        raise
    except GroupStopped as stop:
        failed = {o.seed: o.error for o in group.state.outcomes if o.error is not None}
        return _stopped_group(stop, attempts, line, failed)
    except Exception as error:  # the plugin's code failed: every seed of the group says so
        if saver.stop_signal is not None:  # the stop came first: as alone, interrupted
            from repro.running.checkpointing import SaveFailed

            unsaved = str(error) if isinstance(error, SaveFailed) else None
            failed = {o.seed: o.error for o in group.state.outcomes if o.error is not None}
            stop = GroupStopped(saver.stop_signal, saver.saved_step)
            return _stopped_group(stop, attempts, line, failed, unsaved)
        return {
            index: attempt.failed(error, show_traceback=n == 0)  # --debug: shown once
            for n, (index, attempt) in enumerate(attempts)
        }
    except (KeyboardInterrupt, SystemExit) as error:  # signals are noted, not raised, here:
        # the plugin's own sys.exit or KeyboardInterrupt, which left every record `running`
        from repro.running.runner import _exit_in_training

        if saver.stop_signal is not None:  # a stop came too: it wins, the seeds stop
            return _stopped_group(GroupStopped(saver.stop_signal, None), attempts, line)
        failure = _exit_in_training(error, attempts[0][1].plugin.folder)
        return {
            index: attempt.failed(failure, show_traceback=n == 0)
            for n, (index, attempt) in enumerate(attempts)
        }
    finally:
        torch.set_num_threads(saved_threads)


def _hand_back(attempt: Any, trained: bool) -> None:
    """A seed the group hands back to train alone (`NotTogether`): its record is as before
    the group. Found mid-run (`trained`: the group trained steps), that record carries the
    group's time so far as an unsuccessful attempt (`abandoned_wall_s`, by the group's key in
    `abandoned_groups`), which the seed's next attempt carries on; a seed with no record
    before keeps the group's, ended so. Before, that time was in no record, and the report's
    Compute left it out. The probe's no, before any step, costs only the setup: as before."""
    import time

    from repro.records import store
    from repro.records.table import earlier_groups, together_key
    from repro.running.runner import _seconds, abandoned_counts, save_record

    previous = attempt.previous
    completed = (previous or {}).get("status") == store.STATUS_COMPLETED
    if not trained or attempt.rerunning_completed or completed:
        # a completed run rerun or retrained: its record and files stay, as before
        attempt.record_dir.joinpath(store.RECORD_FILE).unlink(missing_ok=True)
        if previous:
            save_record(attempt.record_dir, previous)
        return
    wall = round(time.perf_counter() - attempt.started, 3)
    if not previous:
        why = "its group could not train its seeds together; each trains alone from the start"
        attempt.end(store.STATUS_FAILED, f"seeds together: {why}")
        return
    timing = dict(previous.get("timing") or {})
    key = together_key(attempt.record, attempt.record["timing"])
    groups = earlier_groups(timing.get("abandoned_groups"))
    if key is not None and wall > 0:
        groups[key] = wall
        timing["abandoned_groups"] = groups
    timing["abandoned_wall_s"] = round((_seconds(timing.get("abandoned_wall_s")) or 0.0) + wall, 3)
    runs, untimed = abandoned_counts(previous)  # and one attempt more: the group's, timed
    timing.update(abandoned_runs=runs + 1, abandoned_untimed=untimed)
    save_record(attempt.record_dir, {**previous, "timing": timing})


def _stopped_group(
    stop: GroupStopped,
    attempts: list,
    line: Any,
    failed: dict[int, str] | None = None,
    unsaved: str | None = None,
) -> dict[int, Any]:
    """Every seed of a group stopped by SIGINT/SIGTERM: interrupted, saying what a rerun does.
    `failed`: seed -> why, for seeds whose loss had turned non-finite: the group's resume
    only records them failed (alone, each would have failed at once), never trains them on.
    `unsaved`: why the save at the stop failed (a full disk), named as a seed alone names it."""

    from repro.records import store
    from repro.running.runner import RunOutcome
    from repro.running.slurm_stop import stop_name

    line.close()
    name = stop_name(stop.signum)  # asked once for the group's seeds
    then = (
        f"the same sweep again resumes the group from step {stop.saved_step}"
        if stop.saved_step is not None
        else "no checkpoint yet: a rerun starts the group over"
    )
    code = 128 + stop.signum

    def message(attempt: Any) -> str:
        if attempt.rerunning_completed:
            return f"interrupted by {name}; {attempt.completed_unchanged}"
        why = (failed or {}).get(int(attempt.config["seed"]))
        if why is None:
            return f"interrupted by {name}; {then}"
        if stop.saved_step is None:
            return f"interrupted by {name} after it failed ({why}); {then}"
        return (
            f"interrupted by {name} after it failed ({why}); the same sweep again records it "
            f"failed as it resumes the group from step {stop.saved_step}"
        )

    messages = {i: message(a) for i, a in attempts}
    if unsaved is not None:
        messages = {i: f"{m} (its save at the stop failed: {unsaved})" for i, m in messages.items()}
    for i, attempt in attempts:
        attempt.end(store.STATUS_INTERRUPTED, messages[i])
    return {
        i: RunOutcome("interrupted", a.record_dir, error=messages[i], exit_code=code)
        for i, a in attempts
    }


def _null_as(value: Any, default: Any) -> Any:
    """A Trainer argument as a run alone passes it: null left out, so Lightning's default."""
    return default if value is None else value


def _bound(value: Any) -> int:
    return -1 if value is None else int(value)


def _record_seed(
    attempt: Any, seed: SeedOutcome, result: GroupResult, saver: GroupCheckpoint, keep: Any = None
) -> Any:
    """One seed's record: failed alone (a non-finite loss, its test failing), or tested and
    completed. A group resumed only to test says its training came from its checkpoint
    (`together.trained`), at the rate measured then: this attempt trained nothing. `keep()`:
    a seed whose test failed keeps its trained weights (said in its record)."""

    from repro.records import store
    from repro.running.runner import RunOutcome

    attempt.record["together"].update(  # the group's, as the rest of `together`
        aligned_steps=result.aligned_steps, aligned_checks=result.aligned_checks
    )
    trained = None
    if saver.testing_only:
        trained = {"checkpoint": str(saver.path), "step": result.steps, **(saver.training or {})}
        attempt.record["together"]["trained"] = trained
    if seed.error is None:
        try:
            return _finish_seed(attempt, seed, result, trained)
        except Exception as error:  # as `repro run` records a run whose test fails
            if _recorded_completed(attempt):  # it failed after: the record stands
                return _after_its_record(attempt, error)
            if keep is not None:  # before its record: a kill -9 then leaves its training
                keep()
            return attempt.failed(error)
    _keep_curves(attempt, seed.curves)  # up to its failure, as a failed run alone keeps them
    if wandb_info := write_seed_run(
        attempt, seed.module, seed.datamodule, seed.curves, "failed", seed.error
    ):
        attempt.record["wandb"] = wandb_info
    attempt.end(store.STATUS_FAILED, seed.error)  # its one line: the caller's print_outcome
    return RunOutcome("failed", attempt.record_dir, error=seed.error, exit_code=1)


def _recorded_completed(attempt: Any) -> bool:
    """Whether the seed's completed record is on disk (this attempt's, just written)."""
    from repro.records import store

    if attempt.record.get("status") != store.STATUS_COMPLETED:
        return False
    try:
        saved = store.read_record(attempt.record_dir)
    except (OSError, ValueError):
        return False
    started = (saved or {}).get("timing", {}).get("started_at")
    return (saved or {}).get("status") == store.STATUS_COMPLETED and started == (
        attempt.record.get("timing", {}).get("started_at")
    )


def _after_its_record(attempt: Any, error: Exception) -> Any:
    """A seed whose code failed once its completed record was written (its paper.yaml
    broken since, read again for the claims' metrics): completed, as its record says, with
    one error line and exit 1. Before, `attempt.failed` rewrote that record `failed`."""
    from repro.plugins.failures import failure_message
    from repro.running.runner import RunOutcome

    said = f"its record is complete, but then: {failure_message(error, attempt.plugin.folder)}"
    metrics = dict(attempt.record.get("metrics") or {})
    return RunOutcome("completed", attempt.record_dir, metrics, error=said, exit_code=1)


def _finish_seed(
    attempt: Any, seed: SeedOutcome, result: GroupResult, trained: dict[str, Any] | None = None
) -> Any:
    """Test one seed's weights with Lightning, then record it as `repro run` records a run;
    `trained`: how an earlier attempt trained it (this one only tests), whose rate and
    seeds at once the record gives, not this attempt's zero steps."""
    import lightning.pytorch as pl

    from repro.running.callbacks import SmallModelThreads
    from repro.running.distributed import EvaluatedSamples
    from repro.running.runner import RunOutcome, _warn_missing_claim_metrics
    from repro.running.training import (
        _every_dataloader,
        _scalar_metrics,
        require_tested,
        warn_step_only_test_metrics,
    )

    config = attempt.config
    trainer = dict(config.get("trainer") or {})
    evaluated = EvaluatedSamples()
    if seed.streams is not None:  # the test goes on in the seed's random streams, as alone
        seed.streams.install()
    tester = pl.Trainer(
        accelerator="gpu" if result.device.startswith("cuda") else "cpu",
        devices=1,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        default_root_dir=str(attempt.record_dir),
        limit_test_batches=trainer.get("limit_test_batches"),
        inference_mode=_null_as(trainer.get("inference_mode"), True),  # as a seed alone
        callbacks=[
            evaluated,
            *([SmallModelThreads()] if config.get("num_threads") is None else []),
        ],
    )
    try:
        tested = tester.test(seed.module, datamodule=seed.datamodule, verbose=False)
        require_tested(tester, evaluated)  # an empty test pass fails the seed, as alone
    except Exception:
        with contextlib.suppress(OSError):  # its training's, as a run alone keeps them
            _keep_curves(attempt, seed.curves)
        raise
    warn_step_only_test_metrics(tester, tested)
    test_metrics = _scalar_metrics(_every_dataloader(tested))
    metrics = {**seed.metrics, **test_metrics}
    # the test's row closes the curves, as Lightning's CSV logger writes it for a seed alone
    last = {"epoch": result.timing.get("epochs", 0), "step": result.steps, **test_metrics}
    rows = [*seed.curves, last]
    _keep_curves(attempt, rows)
    info = write_seed_run(attempt, seed.module, seed.datamodule, rows, "success", keep_open=True)
    recorded = False
    try:  # its W&B run says `finished` only once its completed record is on disk
        unsettled = _record_tested(attempt, seed, result, tester, metrics, info, trained)
        recorded = True
    finally:
        finish_wandb(exit_code=0 if recorded else 1)
    spec = attempt.plugin.spec()
    _warn_missing_claim_metrics(spec, config["experiment_name"], metrics)
    if unsettled is not None:
        return RunOutcome("completed", attempt.record_dir, metrics, error=unsettled, exit_code=1)
    return RunOutcome("completed", attempt.record_dir, metrics)


def _record_tested(
    attempt: Any,
    seed: SeedOutcome,
    result: GroupResult,
    tester: Any,
    metrics: dict[str, float],
    wandb_info: dict[str, Any] | None,
    trained: dict[str, Any] | None,
) -> str | None:
    """A tested seed's final weights saved and its completed record written, as `repro run`
    records a run (`runner._record_result`: None, or what failed once it was written)."""
    from repro.running.runner import _record_result
    from repro.running.training import TrainingResult, dataset_sizes_of

    config = attempt.config
    if wandb_info:
        attempt.record["wandb"] = wandb_info
    checkpoint_cfg = dict(config.get("checkpoint") or {})
    unsaved = None
    if checkpoint_cfg.get("enabled", True) and checkpoint_cfg.get("keep", True):
        unsaved = _save_final_weights(tester, attempt.checkpoint_file)
    sizes = dataset_sizes_of(seed.datamodule)
    timing = {
        "fit_s": round(result.fit_s, 4),
        "steps": result.steps,
        "steps_per_s": (
            round(result.timing.get("trained_steps", result.steps) / result.fit_s, 3)
            if result.fit_s
            else None
        ),
        "epochs": result.timing.get("epochs"),
        "seeds_together": len(result.seeds),
        "stopped_by": result.timing.get("stopped_by"),
    }
    if trained is not None:  # trained by an earlier attempt: its rate, or none known
        timing["steps_per_s"] = trained.get("steps_per_s")
        # the seeds trained at once, not those tested now; None from a checkpoint saved
        # before it said (seeds tested are not the seeds that trained)
        timing["seeds_together"] = len(trained["seeds"]) if trained.get("seeds") else None
    training = TrainingResult(metrics, timing, result.parameters, sizes, result.device, 1)
    return _record_result(attempt, training, checkpoint_cfg, unsaved)


def _keep_curves(attempt: Any, rows: list[dict[str, Any]]) -> None:
    """The seed's CSV log, where a seed alone logs it: the logger config's csv folder (a
    rerun's aside, an earlier rerun's never completed dropped first)."""
    if attempt.csv_folder != CSV_FOLDER:  # an earlier rerun's, never completed: not ours
        shutil.rmtree(attempt.record_dir / attempt.csv_folder, ignore_errors=True)
    if "csv" in dict(attempt.config.get("logger") or {}):  # as a seed alone logs
        _write_curves(attempt.record_dir / attempt.csv_folder, rows)


def _save_final_weights(tester: Any, path: Any) -> str | None:
    """A tested seed's final weights, written whole or not at all (temp file + rename);
    returns None, or why they could not be saved (a full disk): the seed is recorded
    completed all the same, its record saying they were not kept, as a run alone
    (`ResumableCheckpoint.final_unsaved`). Before, the error failed the tested seed and
    left the part written as its last.ckpt."""
    temp = path.with_name(f".{path.name}.tmp")  # removed by `put_weights_in_place` if killed
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tester.save_checkpoint(temp, weights_only=True)
        os.replace(temp, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        return f"cannot save checkpoint {path}: {error.strerror or error}"
    return None


def _write_curves(folder: Any, rows: list[dict[str, Any]]) -> None:
    """The seed's training curves as Lightning's CSV logger lays them out (csv/metrics.csv;
    a rerun of a completed run writes beside it until its record replaces the old one)."""
    import csv

    if not rows:
        return
    names = ["epoch", "step", *sorted({k for row in rows for k in row} - {"epoch", "step"})]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "metrics.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)
