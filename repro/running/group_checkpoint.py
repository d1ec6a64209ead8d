"""A group of seeds trained together, saved and resumed: weights, optimizer, each seed's data
position and RNG stream, curves, in one file, so SIGTERM, Ctrl-C or kill -9 cost at most
`checkpoint.every_s` of training."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

import torch

if TYPE_CHECKING:
    from repro.running.seed_group import SeedGroup


def save_file(obj: Any, path: Any) -> None:
    """torch.save through an open file: given a path, torch writes it in C++ and a full disk
    is a RuntimeError ('unexpected pos'); through a file it is the OSError (ENOSPC) every
    caller here takes for a failed save."""
    with open(path, "wb") as stream:
        torch.save(obj, stream)


class GroupStopped(Exception):
    """A stop (SIGINT, SIGTERM) reached a group between two steps."""

    def __init__(self, signum: int, saved_step: int | None) -> None:
        super().__init__(signum)
        self.signum = signum
        self.saved_step = saved_step


UNREADABLE = "unreadable"
"""Why a group's checkpoint is not resumed when torch cannot load it: its training is lost,
said as a warning."""
ALIVE_EVERY_S = 5.0
"""How often a training group notes, in its first seed's `running` record, that it is still
training (`timing.alive_at`): a kill -9 before its next checkpoint save then costs the
report's Compute at most this much of the killed attempt's time, never more than ran."""


class GroupCheckpoint:
    """Saves a group's state (weights, optimizer, data positions, RNG streams, curves) to
    one file every `every_s` seconds and when a stop is asked for, so that SIGTERM, Ctrl-C or
    kill -9 lose at most `every_s` of training: the next sweep resumes the group from it."""

    def __init__(
        self,
        path: Any,
        identity: dict[str, Any],
        every_s: float,
        enabled: bool,
        stops: list[int] | None = None,
    ):
        self.path = path
        self.identity = identity
        self.every_s = every_s
        self.enabled = enabled
        self.stops = [] if stops is None else stops  # SIGINT/SIGTERM noted by the caller
        self.saved_step: int | None = None
        self.testing_only = False  # resumed from a trained group's final state: only tests
        # where the trained group's final state for its seeds not yet tested is on disk (saved
        # once trained, before any test): moved on to the next seed's folder as each is
        # recorded, so a kill -9 as they are tested never costs their training
        self.trained_at: Any = None
        # what a group resumed only to test was trained as (seeds, step, rate): its records
        # say so, never that this attempt trained them
        self.training: dict[str, Any] | None = None
        # why the trained group's final weights could not be kept for its seeds left to test
        # (a full disk): said once, then its seeds are tested without that safety net
        self.unsaved: str | None = None
        # the group files kept for seeds whose records could not be written, or whose test
        # failed: their next attempt tests them from these
        self.unrecorded: list[Any] = []
        self._next = time.monotonic() + every_s
        # notes the group still training (`ALIVE_EVERY_S`): set by the caller, who owns records
        self.alive: Any = None
        self._next_alive = time.monotonic() + ALIVE_EVERY_S

    @property
    def stop_signal(self) -> int | None:
        """The first signal noted: the cause (a sweep stopped by Ctrl-C then sends SIGTERM)."""
        return self.stops[0] if self.stops else None

    def due(self, group: SeedGroup) -> bool:
        """A save of `group` is due: a stop was asked for, or `every_s` has passed. Any
        step's end will do, mid-epoch too: a loader that keeps no position (a plain
        DataLoader) has its pass replayed on resume (`SeedLoader.replay_from`), so the group
        never waits for an epoch's end (which may outlast SLURM's grace period) nor stops
        from an older save."""
        if self.alive is not None and time.monotonic() >= self._next_alive:
            self.alive()
            self._next_alive = time.monotonic() + ALIVE_EVERY_S
        return self.stop_signal is not None or (self.enabled and time.monotonic() >= self._next)

    def save(self, group: SeedGroup) -> None:
        if self.enabled:
            import os

            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp = self.path.with_name(self.path.name + ".tmp")
            try:
                save_file({"identity": self.identity, "state": group.state_dict()}, temp)
                os.replace(temp, self.path)
            except OSError as error:  # a full disk: its part goes (it kept the disk full)
                from repro.running.checkpointing import SaveFailed  # a stop's: interrupted

                with contextlib.suppress(OSError):
                    temp.unlink(missing_ok=True)
                why = error.strerror or str(error)
                raise SaveFailed(f"cannot save checkpoint {self.path}: {why}") from error
            self.saved_step = group.state.global_step
        self._next = time.monotonic() + self.every_s
        if self.stop_signal is not None:
            raise GroupStopped(self.stop_signal, self.saved_step)

    def save_to_test(
        self, group: SeedGroup, seeds: list[int], path: Any, training: dict[str, Any]
    ) -> int | None:
        """A group stopped once trained, as its seeds were tested: its final weights (and
        curves, streams) for the `seeds` not yet tested, saved as a group of those seeds
        in `path` (their first's folder), so their next attempt only tests them; with
        `training` (the seeds trained at once, their rate), which their records then give.
        Returns the step saved at; None when checkpoints are off (they train again)."""
        if not self.enabled:
            return None
        import os

        only = [k for k, o in enumerate(group.state.outcomes) if o.seed in seeds]
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(path.name + ".tmp")
        identity = {**self.identity, "seeds": [group.state.outcomes[k].seed for k in only]}
        state = group.state_dict(only)
        saved = {"identity": identity, "state": state, "trained": True, "training": training}
        save_file(saved, temp)
        os.replace(temp, path)
        return group.state.global_step

    def load(self, device: torch.device) -> tuple[dict[str, Any] | None, str | None]:
        """(the saved state, None) when this group can resume from the file; else (None,
        why not), or (None, None) when there is no file."""
        if not self.path.is_file():
            return None, None
        try:
            saved = torch.load(self.path, map_location=device, weights_only=True)
        except Exception as error:
            return None, f"{UNREADABLE} ({type(error).__name__})"
        identity = saved.get("identity") or {}
        for key, value in self.identity.items():
            if identity.get(key) != value and key == "seeds":  # said as seeds, both sides
                return None, f"saved for seeds {_listed(identity.get(key))}, not {_listed(value)}"
            if identity.get(key) != value:
                return None, f"written by another {key.replace('_', ' ')} ({identity.get(key)})"
        training = saved.get("training")
        self.training = dict(training) if isinstance(training, dict) else None
        return saved["state"], None

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def _listed(seeds: Any) -> str:
    """Seeds as a line names them (`0, 1, 2`); anything else as it is."""
    return ", ".join(map(str, seeds)) if isinstance(seeds, list) else str(seeds)


class SavedGroup(NamedTuple):
    identity: dict[str, Any]  # what it was saved for: seeds, config hash, plugin code
    trained: bool  # saved once the group had trained, for its seeds left to test
    step: int | None  # the group's step when saved


def saved_identity(path: Any) -> SavedGroup | None:
    """What a group checkpoint was saved for, whether its group had trained, and at which
    step, read without loading its tensors; None when it is absent or unreadable."""
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        step = (saved.get("state") or {}).get("global_step")
        return SavedGroup(dict(saved["identity"]), bool(saved.get("trained")), step)
    except Exception:
        return None


def unreadable_why(path: Any) -> str | None:
    """`unreadable (<error>)` for a group checkpoint file that cannot be read (garbled), as
    its group says as it starts over (`GroupCheckpoint.load`); None for any other: absent,
    or read fine (a file read in full only when read without its tensors failed)."""
    import os

    if saved_identity(path) is not None or not os.path.isfile(path):
        return None
    try:
        torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        return f"{UNREADABLE} ({type(error).__name__})"
    return None


def discarded_training_line(
    seeds: list[int], path: Any, step: int | None, old: Any, code: Any, files: str = ""
) -> str:
    """The line that says a group checkpoint of other plugin code is thrown away (never
    resumed: the safety rule): the group's own (`together`) and the sweep's dry run's."""
    whose = f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"
    at = "" if step is None else f", step {step}"
    they, their = ("they train", "their") if len(seeds) > 1 else ("it trains", "its")
    return (
        f"stale: discarding the training of {whose} ({their} group's checkpoint {path}{at}): "
        f"the plugin's code changed since it was saved ({files}code {old} -> {code}); "
        f"{they} again from the start"
    )


def left_to_test(record_dir: Any, seed: int) -> bool:
    """A seed whose group trained and was stopped before testing it: its folder holds the
    group's final weights for it alone, tested as a group of one (never trained again)."""
    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT

    saved = saved_identity(record_dir / CHECKPOINT_DIR / GROUP_CHECKPOINT)
    return saved is not None and saved.trained and saved.identity.get("seeds") == [seed]


def split_off_to_test(record_dir: Any, seed: int) -> bool:
    """A seed its group of two or more trained and left untested, run on its own (`repro
    run`, the command its record names): its slice of the group's final state moves to its
    own folder, a group of one that is only tested (`left_to_test`), and the other seeds
    keep theirs in the first one's folder. Without this it trained from the start and its
    group could no longer resume: the others trained again too. True when the seed is now
    left to test alone; never split while a seed of the group is locked (a process is
    testing it). Seeds of one group run alone at once (a joblib sweep) split one at a time:
    each then finds its own share, split by the first."""
    hash_dir = record_dir.parent
    if not hash_dir.is_dir():
        return False
    with split_lock(hash_dir):  # held for a file copy or two
        return left_to_test(record_dir, seed) or _split_off(record_dir, seed)


SPLIT_LOCK = ".group-split.lock"
"""In a setting's folder: one process at a time splits its trained groups' checkpoints, or
locks the seeds of a group (which then reads its checkpoint: never one split meanwhile)."""


@contextmanager
def split_lock(hash_dir: Any) -> Iterator[None]:
    """`SPLIT_LOCK` of this setting's folder (`hash_dir`), held in this block: a split finds
    no seed of its group locked and rewrites its files, or a group locks its seeds, never
    both at once (a group locking its seeds as a split rewrote their file found another
    group's file and trained them all again)."""
    import fcntl
    import os

    from repro.running.lock import open_lock_file

    handle = open_lock_file(hash_dir, SPLIT_LOCK)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _trained_groups(hash_dir: Any) -> Iterator[tuple[Any, list[int]]]:
    """(file, its seeds) of each trained group's checkpoint filed in this
    setting's folder (`hash_dir`), made for this setting."""
    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT

    for path in sorted(hash_dir.glob(f"seed*/{CHECKPOINT_DIR}/{GROUP_CHECKPOINT}")):
        found = saved_identity(path)
        if found is None or not found.trained:
            continue
        try:
            seeds = [int(s) for s in found.identity.get("seeds") or []]
        except (TypeError, ValueError):
            continue
        if found.identity.get("config_hash") == hash_dir.name:
            yield path, seeds


def _write_share(
    target: Any,
    saved: dict[str, Any],
    seeds: list[int],
    keep: list[int],
    saved_at: float,
    kept: bool = False,
) -> None:
    """The seeds at `keep` of a trained group's saved checkpoint, as a group of their own at
    `target` (written whole, then moved into place), dated `saved_at`, when the group saved
    it: a killed attempt's time counts up to that save (`runner.earlier_attempts`), never to
    the split, which may come days later. `kept`: its state is the share already."""
    import os

    target.parent.mkdir(parents=True, exist_ok=True)
    identity = {**saved["identity"], "seeds": [seeds[k] for k in keep]}
    temp = target.with_name(target.name + ".tmp")
    state = saved["state"] if kept else _kept(saved["state"], keep)
    save_file({**saved, "identity": identity, "state": state}, temp)
    os.utime(temp, (saved_at, saved_at))
    os.replace(temp, target)


def _split_off(record_dir: Any, seed: int) -> bool:
    from repro.records import store
    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT
    from repro.running.lock import is_locked

    hash_dir = record_dir.parent
    for path, seeds in _trained_groups(hash_dir):
        if seed not in seeds or len(seeds) < 2:
            continue
        if any(is_locked(hash_dir / f"seed{s}") for s in seeds):
            return False
        left = [s for s in seeds if not store.is_completed(hash_dir / f"seed{s}")]
        if left and _moved_on(path, hash_dir / f"seed{left[0]}", left):
            path.unlink(missing_ok=True)  # its seeds' share is there, newer: split from it
            continue
        try:
            saved_at = path.stat().st_mtime
            saved = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:
            return False
        own = seeds.index(seed)
        # a seed completed since (run alone after a split killed halfway): no share, which
        # would stay beside its record for good
        rest = [
            k
            for k in range(len(seeds))
            if k != own and not store.is_completed(hash_dir / f"seed{seeds[k]}")
        ]
        parts = [(record_dir / CHECKPOINT_DIR / GROUP_CHECKPOINT, [own])]
        if rest:
            first = hash_dir / f"seed{seeds[rest[0]]}" / CHECKPOINT_DIR / GROUP_CHECKPOINT
            parts.insert(0, (first, rest))
        parts.sort(key=lambda part: part[0] == path)  # the file replaced last: no seed lost
        for target, keep in parts:
            _write_share(target, saved, seeds, keep, saved_at)
        if all(target != path for target, _ in parts):
            path.unlink(missing_ok=True)
        return True
    return False


def _done(folder: Any) -> bool:
    """A seed whose last record is final: completed, or failed (its next attempt trains it
    from the start, never from a group's weights: `together._resume_or_start`), unless it
    failed as it was tested, its group's final weights kept for it (`store.failed_testing`):
    it is only tested again."""
    from repro.records import store

    try:
        record = store.read_record(folder)
    except (OSError, ValueError):
        return False
    if store.failed_testing(record):
        return False
    return bool(record) and record.get("status") in (store.STATUS_COMPLETED, store.STATUS_FAILED)


def drop_completed_seeds(hash_dir: Any) -> None:
    """A trained group's checkpoint in this setting that still holds a seed completed since
    (tested alone after a split of it was killed halfway), one that failed (kill -9 once
    its failed record was written, the share of the rest moved on), or one whose own share is
    in its folder (a split killed once that share was written: a sweep tests that seed alone
    and holds the rest as a group, which would not match this file): rewritten without it, in
    its first seed left's folder. Else the seeds left, held by a sweep as a group, were not
    the file's group: it was discarded and they trained from the start. Never while a seed
    of the group is locked (a process is testing it)."""
    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT
    from repro.running.lock import is_locked

    if not hash_dir.is_dir():
        return
    with split_lock(hash_dir):
        for path, seeds in _trained_groups(hash_dir):
            folders = [hash_dir / f"seed{s}" for s in seeds]
            kept = _kept_seeds(path, seeds)
            if kept == seeds or any(is_locked(folder) for folder in folders):
                continue
            keep = [k for k, s in enumerate(seeds) if s in kept]
            if keep:
                try:
                    saved_at = path.stat().st_mtime
                    saved = torch.load(path, map_location="cpu", weights_only=True)
                except Exception:
                    continue
                target = folders[keep[0]] / CHECKPOINT_DIR / GROUP_CHECKPOINT
                _write_share(target, saved, seeds, keep, saved_at)
                if target == path:
                    continue
            path.unlink(missing_ok=True)


def _kept_seeds(path: Any, seeds: list[int]) -> list[int]:
    """The seeds of the trained group's checkpoint `path` (saved for `seeds`, in its order)
    that `drop_completed_seeds` keeps it for: not done, not holding their own share; none
    when the share of those left is in their first one's folder already (it is removed)."""
    hash_dir = path.parent.parent.parent  # <setting>/seedN/checkpoints/together.ckpt
    kept = [
        s
        for s in seeds
        if not _done(hash_dir / f"seed{s}") and not _moved_on(path, hash_dir / f"seed{s}", [s])
    ]
    if kept and kept != seeds and _moved_on(path, hash_dir / f"seed{kept[0]}", kept):
        return []  # the share it holds is there already, newer
    return kept


def seeds_left_in(path: Any) -> list[int] | None:
    """The seeds a trained group's checkpoint holds once `drop_completed_seeds` has tidied
    it (those it tests as a group; [] when it is removed), read without loading its
    tensors, for a sweep's plan to say what the run does; None when it is unreadable."""
    saved = saved_identity(path)
    try:
        seeds = [int(s) for s in (saved.identity.get("seeds") or [])] if saved else None
    except (TypeError, ValueError):
        return None
    return None if seeds is None else _kept_seeds(path, seeds)


def _moved_on(path: Any, folder: Any, seeds: list[int]) -> bool:
    """Whether `folder` already holds the share of `seeds` of the trained group saved in
    `path` (a group moves it on before each seed's record: a kill -9 after that record
    leaves both): that share is kept, dated as its later save, so the killed attempt counts
    up to it (`runner.earlier_attempts`), never only to the older file's save."""
    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT

    target = folder / CHECKPOINT_DIR / GROUP_CHECKPOINT
    if target == path:
        return False
    old, there = saved_identity(path), saved_identity(target)
    if old is None or there is None or not there.trained or there.step != old.step:
        return False
    return there.identity == {**old.identity, "seeds": seeds}


def _kept(state: dict[str, Any], keep: list[int]) -> dict[str, Any]:
    """A trained group's saved state (`SeedGroup.state_dict`) for the seeds at `keep`."""
    kept = dict(state)
    for key in ("params", "buffers"):
        kept[key] = {name: tensor[keep].clone() for name, tensor in state[key].items()}
    for key in ("loaders", "rng", "pass_rng", "generators", "last_logged", "outcomes"):
        if state.get(key) is not None:  # pass_rng, generators: none from an older repro
            kept[key] = [state[key][k] for k in keep]
    return kept


def tidy_completed_seed(record_dir: Any) -> None:
    """A completed seed's folder still holding a group's checkpoint (`together.ckpt`, or its
    `.tmp`): the group was killed once that seed's record was written, before its weights
    were put in place (`runner.put_weights_in_place`). Every later attempt finds the seed
    completed and skips it, so the file stayed for good: removed here, under the split lock
    and the seed's lock (a process holding either is left to it), records untouched. A
    trained group's file that still holds a seed not completed is left for that seed's run
    (`drop_completed_seeds`, `split_off_to_test` move its share on)."""
    from repro.records import store
    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT
    from repro.running.lock import RunBusy, run_lock

    path = record_dir / CHECKPOINT_DIR / GROUP_CHECKPOINT
    temp = path.with_name(path.name + ".tmp")
    if not (path.is_file() or temp.is_file()) or not record_dir.parent.is_dir():
        return
    try:
        with split_lock(record_dir.parent), run_lock(record_dir):
            if not store.is_completed(record_dir):
                return
            temp.unlink(missing_ok=True)
            saved = saved_identity(path)
            if saved is None and path.is_file():  # unreadable here (another torch?): it may
                return  # hold the training of seeds still to test
            seeds = [] if saved is None or not saved.trained else saved.identity.get("seeds")
            others = [s for s in seeds or [] if record_dir.parent / f"seed{s}" != record_dir]
            if any(not store.is_completed(record_dir.parent / f"seed{s}") for s in others):
                return
            path.unlink(missing_ok=True)
            if not any(path.parent.iterdir()):
                path.parent.rmdir()
    except (RunBusy, OSError, TypeError, ValueError):  # busy, or unreadable: left as it is
        return


def split_off_done_seeds(
    hash_dir: Any, held: list[int] | None
) -> list[tuple[list[int], list[int]]]:
    """A group's checkpoint of this setting cut short mid-training, holding seeds done since
    (a `repro run seed=1 rerun=true` that failed or completed alone) beside seeds still cut
    short, all `held` (locked by this process): the share of the seeds cut short (weights,
    optimizer state, data positions, random streams: each seed's own slice of the stacked
    tensors, the optimizer being elementwise) is written in their first one's folder, so
    they resume as a group of their own, exactly; the seeds done train again from the start
    (a failed one) or stay done. Without it the held seeds did not match the file, which was
    deleted (`not resuming ...: a seed's last attempt was not cut short`), losing the
    others' training. Callers hold the split lock; `held` None: any seeds (a seed alone has
    just completed: `hand_on_share`).
    Returns (seeds cut short, seeds done) of each file split."""
    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT

    found = []
    for path in sorted(hash_dir.glob(f"seed*/{CHECKPOINT_DIR}/{GROUP_CHECKPOINT}")):
        saved_group = saved_identity(path)
        if saved_group is None or saved_group.trained:
            continue
        if saved_group.identity.get("config_hash") != hash_dir.name:
            continue
        try:
            seeds = [int(s) for s in saved_group.identity.get("seeds") or []]
        except (TypeError, ValueError):
            continue
        if not seeds or path.parent.parent.name != f"seed{seeds[0]}":
            continue
        done = [s for s in seeds if _done(hash_dir / f"seed{s}")]
        keep = [k for k, s in enumerate(seeds) if s not in done]
        if not done or not keep or (held is not None and not {seeds[k] for k in keep} <= set(held)):
            continue
        if not all(_cut_short(hash_dir / f"seed{seeds[k]}") for k in keep):
            continue
        try:
            saved_at = path.stat().st_mtime
            saved = torch.load(path, map_location="cpu", weights_only=True)
            state = _kept(saved["state"], keep)
            state["optimizer"] = _kept_optimizer(saved["state"]["optimizer"], keep, len(seeds))
        except Exception:  # unreadable, or an optimizer state not per seed: as before
            continue
        target = hash_dir / f"seed{seeds[keep[0]]}" / CHECKPOINT_DIR / GROUP_CHECKPOINT
        _write_share(target, {**saved, "state": state}, seeds, keep, saved_at, kept=True)
        if target != path:
            path.unlink(missing_ok=True)
        found.append(([seeds[k] for k in keep], done))
    return found


def _cut_short(folder: Any) -> bool:
    """The seed's last attempt was cut short (`store.cut_short`; a corrupt record is not)."""
    from repro.records import store

    return store.cut_short(folder) is not None


def _kept_optimizer(optimizer: dict[str, Any], keep: list[int], count: int) -> dict[str, Any]:
    """An elementwise optimizer's saved state over the stacked tensors (seed first) for the
    seeds at `keep`: each tensor shaped as its parameter sliced, scalars (its step) kept;
    anything else raises (not known to be per seed)."""
    kept_state = {}
    for index, values in optimizer["state"].items():
        kept_values = {}
        for name, value in values.items():
            if isinstance(value, torch.Tensor) and value.dim() > 0:
                if value.shape[0] != count:
                    raise ValueError(f"optimizer state {name} is not per seed")
                value = value[keep].clone()
            kept_values[name] = value
        kept_state[index] = kept_values
    return {**optimizer, "state": kept_state}


def hand_on_share(record_dir: Any) -> None:
    """A seed run alone has just completed (`repro run seed=0 rerun=true`) where its group's
    checkpoint, cut short mid-training, lies in its folder: the share of the group's seeds
    still cut short moves to the first one's folder (`split_off_done_seeds`), where the next
    sweep resumes them. Before, the completed seed's folder was tidied and the file went,
    the others' training with it, silently."""
    hash_dir = record_dir.parent
    with split_lock(hash_dir):
        split_off_done_seeds(hash_dir, None)


def resumes_share(record_dir: Any, seed: int) -> bool:
    """The seed's folder holds its share of a group cut short mid-training (the group's other
    seeds done since: `split_off_done_seeds`) and it was cut short too: it resumes as a
    group of one, exactly where the group stopped, never alone from the start."""
    from repro.running.checkpointing import CHECKPOINT_DIR, GROUP_CHECKPOINT

    saved = saved_identity(record_dir / CHECKPOINT_DIR / GROUP_CHECKPOINT)
    if saved is None or saved.trained or saved.identity.get("seeds") != [seed]:
        return False
    return saved.identity.get("config_hash") == record_dir.parent.name and _cut_short(record_dir)
