"""Checkpoints that make a run resumable after kill -9, Ctrl-C or a SLURM preemption.

Saved atomically (temp file + rename) into `<record>/checkpoints/last.ckpt`: at epoch ends
(at most every `every_s` seconds), and at once when SIGINT/SIGTERM arrives. They carry the
RNG states and the training dataloader's position, so a resumed run ends with the same
metrics as an uninterrupted one. They also name the plugin code, config and seed that wrote
them (`repro_identity`): a checkpoint is resumed only by that same run, never across a code
change, by another seed, or by another setting.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.fabric.utilities.types import _Stateful

from repro.errors import ReproError
from repro.records.store import CHECKPOINT_DIR, GROUP_CHECKPOINT, LAST_CHECKPOINT  # noqa: F401
from repro.running.distributed import agreed_stop, rank_zero_decides
from repro.running.fast_exit import hold_signals_to_exit

COMPLETED_UNCHANGED = "the completed record is unchanged, rerun=true starts over"
"""How a stopped `rerun=true` of a completed run ends its message (alone or in a group)."""
STALE_UNCHANGED = (
    "the completed record (made by other plugin code) is unchanged, running again retrains it "
    "from the start"
)
"""How a stopped retrain of a stale completed run ends its message: its record stays."""
RERUN_CHECKPOINT = "rerun.ckpt"  # a rerun of a completed run: beside its last.ckpt, never resumed
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
IDENTITY_KEY = "repro_identity"
INEXACT_KEY = "repro_inexact"  # why a resume from this checkpoint differs from no stop ("")
ENDED_EARLY_KEY = "repro_ended_early"  # saved as training ended before its bounds: no resume
LOADER_GENERATORS_KEY = "repro_loader_generators"  # each train loader's own generators' states
ENDED_EARLY = (
    "it was saved as training ended early (trainer.should_stop: early stopping, max_time), "
    "which Lightning does not keep, so a resume would train on"
)
OLDER_REPRO = (
    "saved by an older repro, which also saved where Lightning does not resume exactly (an "
    "epoch's end after a pass cut short, or in epoch-based training): it may differ from an "
    "uninterrupted run"
)
LAST_RESORT = (
    "saved at a batch end as a last resort: this run reaches no point Lightning resumes "
    "exactly (as with one-batch epochs that each validate or that limit_train_batches cuts "
    "from a longer pass, or a step accumulating a whole epoch), so its batches, curve and "
    "epoch-counted validations may differ from an uninterrupted run's"
)
EPOCH_VALUES = (
    "saved while the epoch's values logged with on_epoch=True ({names}) were being gathered; "
    "Lightning keeps none of that in a checkpoint, so on resume that epoch's value covers only "
    "its later batches, or is missing"
)
MODULE_HOOKS = (
    "saved where the module's own {hooks} had not run, or will not run "
    "again on resume, for the batch or epoch of the save (Lightning runs them after repro's "
    "callback, and does not repeat them when it resumes)"
)
SHOULD_STOP = (
    "saved while trainer.should_stop was set (early stopping held back by min_epochs or "
    "min_steps), which Lightning does not keep: the resumed run trains on"
)
PLATEAU = (
    "saved where Lightning, on resume, skips the ReduceLROnPlateau step at the end of the "
    "epoch it resumed into"
)
REBUILT_GENERATOR = (
    "saved with a train loader rebuilt every reload_dataloaders_every_n_epochs that shuffles "
    "with its own generator: Lightning starts a later epoch's pass from a rebuilt loader's "
    "generator after drawing from it once more than the resumed epoch's (and a loader rebuilt "
    "on resume has none of the saved state), so the resumed run's order differs from an "
    "uninterrupted run's"
)
UNSAVED_GENERATORS = (
    "saved by a repro that kept no train loader's own generator (before it saved them), and "
    "a train loader shuffles with its own: it starts anew on resume, so the resumed run's "
    "orders repeat earlier epochs' where an uninterrupted run's go on"
)
PLAIN_LOADER = (
    "saved with a train loader that cannot resume mid-pass (no state_dict, as a DataLoader), "
    "which Lightning resumes exactly only at the end of an epoch in epoch-based training: the "
    "resumed run's batches differ from an uninterrupted run's"
)


class SaveFailed(ReproError):
    """A checkpoint save that failed (a full disk), named: a stop whose save this was still
    ends `interrupted`, its line saying that save failed (`runner._stopped_in_setup`)."""


class RunInterrupted(ReproError):
    """Training stopped on a signal; running again resumes from the checkpoint, if any."""

    def __init__(self, signum: int, step: int, then: str) -> None:
        from repro.running.slurm_stop import stop_name

        super().__init__(f"interrupted by {stop_name(signum)} at step {step}; {then}")
        self.exit_code = EXIT_CODES.get(signum, 1)
        self.step = step


def signal_name_for_exit_code(exit_code: int) -> str:
    """SIGINT for 130, SIGTERM for 143: the signal an interrupted run's exit code stands for."""
    names = {code: signal.Signals(signum).name for signum, code in EXIT_CODES.items()}
    return names.get(exit_code, "a signal")


def checkpoint_path(record_dir: Path) -> Path:
    return record_dir / CHECKPOINT_DIR / LAST_CHECKPOINT


def rng_states() -> dict[str, Any]:
    """RNG states as plain types and tensors, loadable with torch.load(weights_only=True)."""
    kind, keys, position, has_gauss, cached = np.random.get_state()
    version, internal, gauss = random.getstate()
    states = {
        "python": [version, list(internal), gauss],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict[str, Any]) -> None:
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached))
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def run_identity(config: dict[str, Any]) -> dict[str, Any]:
    """Which run a checkpoint belongs to: the plugin code (digest and per-file digests, to
    name what changed), the config hash and the seed. Computed as the run starts, so a file
    edited while it trains does not relabel the code that is running."""
    from repro.records.fingerprint import code_identity
    from repro.records.store import config_hash

    code = code_identity(Path(config["paper_dir"]))
    return {
        "code_digest": code["digest"],
        "code_files": code["files"],
        "classes": code["classes"],  # paper.yaml's module and datamodule classes
        "config_hash": config_hash(config),
        "seed": int(config["seed"]),
    }


def checkpoint_identity(path: Path) -> dict[str, Any] | None:
    """The identity a checkpoint was saved with; None if it has none (saved before
    checkpoints carried one) or cannot be read."""
    identity = _saved_entry(path, IDENTITY_KEY)
    return identity if isinstance(identity, dict) else None


def resume_exactness(path: Path) -> tuple[bool | None, str | None]:
    """Whether resuming this checkpoint ends as a run never stopped would (None: unknown,
    saved by an older repro), and why not: the checkpoint's own word, or that of one its
    run resumed before."""
    why = _saved_entry(path, INEXACT_KEY)
    if not isinstance(why, str):
        return None, OLDER_REPRO
    if why == OLDER_REPRO:  # resumed from such a checkpoint earlier
        return None, why
    return (False, why) if why else (True, None)


def _saved_entry(path: Path, key: str) -> Any:
    """One top-level entry of a checkpoint file, read without loading its tensors; None if
    absent or the file cannot be read."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:
        return None
    return state.get(key) if isinstance(state, dict) else None


def why_not_resumable(written: dict[str, Any] | None, current: dict[str, Any]) -> str | None:
    """Why a checkpoint saved by run `written` must not be resumed by run `current` (both
    `run_identity`s); None when they are the same run."""
    from repro.records.fingerprint import changed_files

    if not written or not written.get("code_digest"):
        return "it does not say which code, config and seed wrote it (saved by an older repro)"
    reasons = []
    if written["code_digest"] != current["code_digest"]:
        changed = changed_files(written.get("code_files") or {}, current["code_files"])
        reasons.append(f"other plugin code (changed: {', '.join(changed) or 'unknown files'})")
    if written.get("classes", current.get("classes")) != current.get("classes"):
        reasons.append(f"other classes ({written.get('classes')})")
    if written.get("seed") != current["seed"]:
        reasons.append(f"another seed ({written.get('seed')})")
    if written.get("config_hash") != current["config_hash"]:
        reasons.append("another config")
    return f"written by {' and '.join(reasons)}" if reasons else None


class ResumableCheckpoint(pl.Callback):
    """Saves `last.ckpt` periodically and on a stop request, then stops training; with
    `save_at_end`, also once training ends, so the record keeps the final weights. Each
    checkpoint carries `identity` (`run_identity`), which a rerun checks before resuming."""

    def __init__(
        self,
        path: Path,
        every_s: float = 30.0,
        save_at_end: bool = False,
        enabled: bool = True,
        identity: dict[str, Any] | None = None,
        resumed_step: int | None = None,
        completed_unchanged: str = COMPLETED_UNCHANGED,
    ) -> None:
        self.enabled = enabled  # off: still turns a signal into a clean stop, saves nothing
        self.path = path
        self.identity = identity
        self.completed_unchanged = completed_unchanged  # what a stop says of a completed run
        self.every_s = every_s
        self.save_at_end = save_at_end
        self.stop_signal: int | None = None
        self._last_save = time.monotonic()
        # Where Lightning resumes exactly (`_act_if`): a stop or save asked for
        # elsewhere waits for such a point
        self._stop_agreed: int | None = None  # a stop all ranks agreed on, waiting
        self._save_postponed = False  # a periodic save due at an epoch end that validated
        self._waits = 0  # points passed while a stop or save waited
        self._saved_step = resumed_step  # global step of the file on disk, once known
        self._validated_at: int | None = None  # global step of the last validation in fit
        self.resumed_inexact: str | None = None  # resumed inexactly: so is every later save
        self._save_inexact: str | None = None  # why the save being written is inexact
        self._ending_early = False  # the save being written is of an early end (ENDED_EARLY)
        self._saved_ended_early = False  # the file on disk is such a save
        self._resumed_rng: dict[str, Any] | None = None  # the RNG states a resume restored
        self._trained = False  # the fit trained (Lightning skips it where training had ended)
        self._resumed_generators: list[Any] | None = None  # train loaders' own, as saved
        self._generators_unsaved = False  # resumed from a checkpoint that kept none
        # why this resume is inexact, found once the loaders are built (`UNSAVED_GENERATORS`):
        # the run's record says so (`runner._train`)
        self.found_inexact: str | None = None
        # why the final weights could not be saved (a full disk): the run is still tested
        # with the weights in memory, and its record says they were not kept
        self.final_unsaved: str | None = None
        self._epoch_loaders: list[Any] = []  # the train loaders as the last epoch started
        # whether rebuilt train loaders (reload_dataloaders_every_n_epochs) came with new
        # generators of their own: None until a rebuild is seen
        self._generators_renewed: bool | None = None

    def request_stop(self, signum: int, _frame: Any = None) -> None:
        """The signal handler: only set a flag, acted on at the next point Lightning resumes
        exactly (`_act_if`). The first signal is the cause: a sweep stopped by Ctrl-C then
        sends its workers SIGTERM."""
        if self.stop_signal is None:
            self.stop_signal = signum

    def take_signals(self) -> None:
        """Make `request_stop` the only SIGINT/SIGTERM handler. Lightning adds its own SIGTERM
        handler when fit/test starts; it raises SystemExit(0) wherever the signal lands outside
        a training batch (epoch end, validation), leaving an exit 0 and a `running` record."""
        if threading.current_thread() is threading.main_thread():
            for signum in EXIT_CODES:
                signal.signal(signum, self.request_stop)

    def what_a_rerun_does(self) -> str:
        """The end of an interruption's message: true to what is on disk (a file this attempt
        resumed counts, with checkpoint.enabled=false too: a rerun resumes it)."""
        if self.replaces_a_completed_run:  # its checkpoint is deleted as the attempt ends
            return self.completed_unchanged
        if self.path.is_file() and self._saved_step is not None:
            if self._saved_ended_early:  # refused on resume (ENDED_EARLY)
                return (
                    "training had ended early, which no checkpoint resumes: a rerun trains "
                    "again from the start"
                )
            return f"checkpoint saved at step {self._saved_step}, run again to resume"
        if not self.enabled:
            return "nothing saved (checkpoint.enabled=false), a rerun starts over"
        if self.path.is_file():  # not known here
            return "checkpoint saved, run again to resume"
        return "no checkpoint yet, a rerun starts over"

    @property
    def replaces_a_completed_run(self) -> bool:
        """Saves beside a completed run's final weights (`rerun=true` of it): never resumed,
        that run stays as it was until this attempt completes."""
        return self.path.name == RERUN_CHECKPOINT

    def interrupted(self, trainer: pl.Trainer, stop_signal: int) -> RunInterrupted:
        return RunInterrupted(stop_signal, trainer.global_step, self.what_a_rerun_does())

    def on_sanity_check_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.take_signals()  # Lightning's handler is in place from here on

    def on_train_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        """A signal during the sanity check stops before the first step."""
        self.take_signals()
        self._trained = True
        if trainer.ckpt_path is not None:  # resumed: the file holds this step
            self._saved_step = trainer.global_step
        if self._resumed_generators:  # a DataLoader's own: as they were at the save
            _restore_loader_generators(trainer, self._resumed_generators)
        elif self._generators_unsaved and trainer.ckpt_path is not None:
            self._say_generators_lost(trainer)
        stop_signal = agreed_stop(trainer, self.stop_signal)
        if stop_signal is not None:
            raise self.interrupted(trainer, stop_signal)

    def on_train_epoch_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        """Notes whether train loaders Lightning rebuilt came with generators of their own
        made anew (`_rebuilt_with_own_generator`) or the ones before (held by the data
        module: a resume restores them exactly)."""
        from repro.running.seed_data import own_generators

        loaders = _train_loaders(trainer) or []
        before = self._epoch_loaders
        rebuilt = len(loaders) != len(before) or any(
            a is not b for a, b in zip(loaders, before, strict=False)
        )
        if before and rebuilt:
            seen = [g for loader in before for g in own_generators(loader)]
            now = [g for loader in loaders for g in own_generators(loader)]
            renewed = any(all(g is not h for h in seen) for g in now)
            self._generators_renewed = bool(self._generators_renewed) or renewed
        self._epoch_loaders = loaders

    def on_test_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.take_signals()

    def on_test_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        """Training is over: stop without a new checkpoint (a rerun resumes from the last).
        Only in one process: ranks may test unequal numbers of batches, so a per-batch
        collective could wait forever; there a signal is acted on when the run ends."""
        if trainer.world_size == 1 and self.stop_signal is not None:
            raise self.interrupted(trainer, self.stop_signal)

    def save(self, trainer: pl.Trainer, inexact: str | None = None, again: bool = False) -> None:
        """Every rank calls this at the same point (Lightning's save is a collective); only
        rank 0 writes the file. `inexact`: why resuming this save differs from no stop;
        `again`: also when no step trained since the last save (its file must say more)."""
        self._save_postponed = False
        if not self.enabled or (trainer.global_step == self._saved_step and not again):
            return  # nothing trained since: the file (a resumed one too) stays as it is
        temp = self.path.with_name(f".{self.path.name}.tmp")
        if trainer.is_global_zero:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._save_inexact = inexact
        try:
            trainer.save_checkpoint(temp)
            if trainer.is_global_zero:
                os.replace(temp, self.path)
        except OSError as error:  # a full disk: its part goes (it kept the disk full), named
            if trainer.is_global_zero:  # its own failure must not hide the save's
                with suppress(OSError):
                    temp.unlink(missing_ok=True)
            why = error.strerror or str(error)
            raise SaveFailed(f"cannot save checkpoint {self.path}: {why}") from error
        finally:
            self._save_inexact = None
        self._last_save = time.monotonic()
        self._saved_step = trainer.global_step
        self._saved_ended_early = self._ending_early

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if _steps_done(trainer):
            return
        if self._agreed_stop(trainer) is not None or self._save_postponed:
            unsafe = _resumed_wrongly_after_batch(trainer) or not _loaders_resume_mid_pass(trainer)
            unsafe = unsafe or bool(_callbacks_after(trainer, "on_train_batch_end"))
            resumable = not rank_zero_decides(trainer, unsafe)
            accumulating = _accumulating(trainer)  # never, even as a last resort: grads lost
            self._act_if(trainer, resumable, last_resort=not accumulating, where="batch_end")

    def on_validation_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != "fit":
            return
        self._validated_at = trainer.global_step
        if _steps_done(trainer):
            return
        if self._agreed_stop(trainer) is not None or self._save_postponed:
            resumable = not _ends_an_epoch(trainer) and _loaders_resume_mid_pass(trainer)
            resumable = resumable and not _callbacks_after(trainer, "on_validation_end")
            self._act_if(trainer, resumable=resumable, last_resort=None, where="validation_end")

    def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        """Saves every `every_s` and acts on a stop, but not where the epoch's last batch was
        followed by a validation: Lightning cannot resume that (its rerun failed with "the
        train dataloader gave no batches"), nor where it would restore the train loader's own
        state wrongly (`_loader_resumed_wrongly_at_epoch_end`), nor before another callback's
        epoch end (`_callbacks_after`); the save then waits for the next resumable point. At
        the last epoch's end it waits for the end of the fit (`on_fit_end`): a rerun of a save
        here only tests, and never runs the module's and callbacks' `on_train_end` (measured:
        test/mse 1.0190 against 1.1853, said exact)."""
        if _steps_done(trainer) or _epochs_done(trainer, ending_one=True):
            return
        resumable = self._validated_at != trainer.global_step and not (
            _loader_resumed_wrongly_at_epoch_end(trainer)
            or _callbacks_after(trainer, "on_train_epoch_end")
        )
        if self._agreed_stop(trainer) is not None or self._save_postponed:
            self._act_if(trainer, resumable=resumable, last_resort=None, where="epoch_end")
            return
        due = time.monotonic() - self._last_save >= self.every_s and not trainer.should_stop
        if rank_zero_decides(trainer, due):
            if resumable:
                lost = _lost_on_resume(trainer, "epoch_end", self._generators_renewed)
                self.save(trainer, lost)
            else:
                self._save_postponed = True

    def _act_if(
        self,
        trainer: pl.Trainer,
        resumable: bool,
        last_resort: bool | None,
        where: str,
    ) -> None:
        """Save (and stop, if one was asked for) here if Lightning resumes this point exactly;
        else wait for the next. After `MAX_WAITS` points without one (one-batch epochs that
        each validate), a batch end acts anyway, and the checkpoint says that its resume is
        not exact (`LAST_RESORT`). `last_resort` is None away from a batch end (a
        validation's or epoch's end)."""
        stop_signal = self._agreed_stop(trainer)
        if not resumable and not (last_resort and self._waits >= MAX_WAITS):
            self._waits += 1
            self._stop_agreed = stop_signal  # kept: asked again, a rank might not say it
            return
        self._waits = 0
        lost = _lost_on_resume(trainer, where, self._generators_renewed)
        self.save(trainer, lost if resumable else _why_inexact_after_batch(trainer))
        if stop_signal is not None:
            if last_resort is not None and trainer.training:
                _log_this_batch(trainer)
            raise self.interrupted(trainer, stop_signal)

    def _agreed_stop(self, trainer: pl.Trainer) -> int | None:
        """The stop of any rank, the same on all ranks; once agreed, kept without asking."""
        if self._stop_agreed is not None:
            return self._stop_agreed
        return agreed_stop(trainer, self.stop_signal)

    def on_fit_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        """The final weights; and where a stop waited past the run's last step, its save and
        stop (a rerun then only tests). Here, after the module's and every callback's
        `on_train_end` (WeightAveraging swaps its average in there), which a rerun that only
        tests never runs: the file holds the weights the test uses. Lightning calls this
        after a fit it skipped too (resumed where training had ended): nothing changed."""
        if self._saved_step is None and trainer.ckpt_path is not None:
            self._saved_step = trainer.global_step  # resumed, no step since: the file's
        if self._resumed_rng is not None and not self._trained:
            # the skipped fit still started the train loader, whose iterator drew a seed
            restore_rng_states(self._resumed_rng)  # (else a sampling test differed)
        stop_signal = self._agreed_stop(trainer)
        self._ending_early = _ended_early(trainer)
        try:  # a save of the last step before an early end would resume into more training
            same_step = trainer.global_step == self._saved_step  # a save to mark as early
            done = _steps_done(trainer) or _epochs_done(trainer)
            due = (stop_signal and done) or (self._ending_early and same_step)
            if self.save_at_end or due:
                self.save(trainer, again=self._ending_early)
        except ReproError as error:  # a full disk: a stop needs the file, a test does not
            # (several ranks: rank 0 alone failed, before the save's barrier the others wait
            # in; testing on, its collectives would pair with the wrong ones)
            alone = trainer.world_size == 1
            if stop_signal is not None or not alone or not isinstance(error.__cause__, OSError):
                raise
            self.final_unsaved = str(error)  # tested from memory; the record says why
        finally:
            self._ending_early = False
        if stop_signal is not None:
            raise self.interrupted(trainer, stop_signal)

    def on_save_checkpoint(
        self, trainer: pl.Trainer, module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        if self.identity is not None:
            checkpoint[IDENTITY_KEY] = self.identity
        checkpoint[INEXACT_KEY] = self._inexact or ""
        if self._ending_early:
            checkpoint[ENDED_EARLY_KEY] = True
        from repro.running.seed_data import generator_states

        checkpoint[LOADER_GENERATORS_KEY] = [
            generator_states(loader) for loader in _train_loaders(trainer) or []
        ]

    def on_load_checkpoint(
        self, trainer: pl.Trainer, module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        """The train loaders' own generators are put back once Lightning has built the
        loaders (`on_train_start`), before their first pass draws its order."""
        self._resumed_generators = checkpoint.get(LOADER_GENERATORS_KEY)
        self._generators_unsaved = LOADER_GENERATORS_KEY not in checkpoint

    def _say_generators_lost(self, trainer: pl.Trainer) -> None:
        """A checkpoint of an older repro, which kept no train loader's own generator,
        resumed where a train loader shuffles with one: it starts anew and the orders repeat.
        Said as any inexact resume is, and every later save of this run carries it; before,
        the record said exact: true."""
        from repro.running.seed_data import own_generators

        if not any(own_generators(loader) for loader in _train_loaders(trainer) or []):
            return
        self.found_inexact = UNSAVED_GENERATORS
        self.resumed_inexact = self.resumed_inexact or UNSAVED_GENERATORS
        print(f"warning: resuming, but not exactly: it was {UNSAVED_GENERATORS}", file=sys.stderr)

    @property
    def _inexact(self) -> str | None:
        """Why resuming the save being written differs from no stop: this save's reason, or
        that of the inexact resume this run already made."""
        return self.resumed_inexact or self._save_inexact

    def state_dict(self) -> dict[str, Any]:
        return {"rng": rng_states(), "inexact": self._inexact}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if "rng" in state_dict:
            restore_rng_states(state_dict["rng"])
            self._resumed_rng = state_dict["rng"]
        self.resumed_inexact = state_dict.get("inexact", OLDER_REPRO) or None


def _restore_loader_generators(trainer: pl.Trainer, saved: list[Any]) -> None:
    """The train loaders' own generators (`seed_data.own_generators`) as the checkpoint
    saved them. Lightning built the loaders and started their first pass (`setup_data`)
    before any hook, and that pass drew its workers' seed from the fresh generator: the
    pass is started again from the restored state, as the uninterrupted run started it.
    Before, a loader shuffled by `generator=torch.Generator().manual_seed(s)` repeated its
    first epochs' orders after a resume, recorded as exact."""
    from repro.running.seed_data import own_generators, restore_generator_states

    loaders = _train_loaders(trainer) or []
    restored = False
    for loader, states in zip(loaders, saved, strict=False):
        restore_generator_states(loader, states)
        restored = restored or bool(states and len(states) == len(own_generators(loader)))
    fetcher = getattr(trainer.fit_loop, "_data_fetcher", None)
    if restored and getattr(fetcher, "iterator", None) is not None:
        iter(fetcher)  # its pass drawn anew, as Lightning starts each epoch's


def _ended_early(trainer: pl.Trainer) -> bool:
    """Training ended before `max_steps` / `max_epochs`: something set `should_stop`."""
    return bool(trainer.should_stop) and not _steps_done(trainer) and not _epochs_done(trainer)


def ended_early(path: Path) -> bool:
    """Whether a checkpoint was saved as training ended early (ENDED_EARLY)."""
    return _saved_entry(path, ENDED_EARLY_KEY) is True


def _steps_done(trainer: pl.Trainer) -> bool:
    """The step just taken was the run's last (`max_steps`): training ends here, and a save
    or stop waits for its end, where Lightning keeps the state it tests with."""
    return 0 < trainer.max_steps <= trainer.global_step


def _epochs_done(trainer: pl.Trainer, ending_one: bool = False) -> bool:
    """The run's last epoch (`max_epochs`) has ended; `ending_one`: at an epoch's end, before
    Lightning counts it, whether it is the last. Training ends there (max_epochs wins over
    min_steps), so a save or stop waits for its end, as after the last step."""
    epochs = trainer.max_epochs
    return epochs is not None and 0 < epochs <= trainer.current_epoch + int(ending_one)


MAX_WAITS = 6
"""Points a stop or save waits for one Lightning resumes exactly: two epochs of one batch."""


def _ends_an_epoch(trainer: pl.Trainer) -> bool:
    """Whether the batch just trained is its epoch's last (the loader's, or the last that
    `limit_train_batches` allows)."""
    loop = trainer.fit_loop.epoch_loop
    if loop.batch_progress.is_last_batch:
        return True
    try:
        return bool(loop._num_ready_batches_reached())
    except AttributeError:  # another Lightning
        return False


def _loader_resumed_wrongly_at_epoch_end(trainer: pl.Trainer) -> bool:
    """Whether Lightning (2.6) resumes a checkpoint saved at this epoch's end with a train
    loader in the wrong place. One that keeps its own state (`state_dict`, as InMemoryBatches
    does): in epoch-based training (no max_steps) Lightning restores no loader state at an
    epoch's end, so a reshuffling loader repeats its first pass's order; in step-based
    training a pass that `limit_train_batches` cut short goes on where it was cut instead of
    starting anew (mnist1d mlp, limit 0.5, killed after a save at step 1,740: test/acc 0.577
    against 0.560). One that keeps none (a DataLoader), in step-based training: Lightning
    trains one more batch, from a new pass, into the finished epoch."""
    epoch_based = trainer.max_steps == -1
    for loader in _train_loaders(trainer) or []:
        if not isinstance(loader, _Stateful):
            if not epoch_based:
                return True
        elif epoch_based or _cut_short(trainer, loader):
            return True
    return False


def _cut_short(trainer: pl.Trainer, loader: Any) -> bool:
    """Whether `limit_train_batches` ends the epoch before `loader`'s pass is over."""
    try:
        return trainer.num_training_batches < len(loader)
    except TypeError:  # no length: a pass ends only where a limit ends it
        return trainer.num_training_batches != float("inf")


def _loaders_resume_mid_pass(trainer: pl.Trainer) -> bool:
    """Whether every train loader keeps its position (`state_dict`, Lightning's own test): a
    DataLoader starts a new pass where Lightning resumes mid-epoch, which only an epoch end
    (its shuffle drawn from the restored torch RNG) resumes exactly."""
    loaders = _train_loaders(trainer)
    return loaders is None or all(isinstance(loader, _Stateful) for loader in loaders)


def _train_loaders(trainer: pl.Trainer) -> list[Any] | None:
    """The iterables Lightning draws training batches from; None in another Lightning, whose
    loops keep them elsewhere (then loaders are taken to resume as Lightning 2.6 does)."""
    try:
        combined = trainer.fit_loop._combined_loader
    except AttributeError:
        return None
    return list(combined.flattened) if combined is not None else []


def _lost_on_resume(
    trainer: pl.Trainer, where: str, generators_renewed: bool | None = None
) -> str | None:
    """What a checkpoint saved here (`where`: "batch_end", "validation_end" or "epoch_end")
    lacks that the resumed run needs, though Lightning resumes its loops and data
    exactly:
    - values the module logs with `on_epoch=True` while an epoch trains: Lightning saves none
      of what it gathered, so the resumed epoch's value covers only its later batches, or its
      row is missing;
    - a ReduceLROnPlateau schedule: Lightning does not step it at the end of an epoch it
      resumed into (measured: test/mse 0.7425 against 1.0788);
    - the module's own hooks that Lightning runs after this callback's, or not again on
      resume: `on_train_batch_end` / `on_validation_end` of the save's point (measured: a
      hook that scaled a bias gave test/mse 0.0028406759 against 0.0028406682),
      `on_train_epoch_start` of the epoch a mid-epoch save falls in, and, at an epoch's end
      in epoch-based training, `on_train_epoch_end` (measured: 0.003972 against 0.004003).
    State a module keeps outside its state_dict is its own to checkpoint
    (`on_save_checkpoint`); no repro check sees it."""
    epoch_based = trainer.max_steps == -1
    if trainer.should_stop:
        return SHOULD_STOP
    if generators_renewed is not False and _rebuilt_with_own_generator(trainer):
        return REBUILT_GENERATOR
    try:
        results = trainer.fit_loop.epoch_loop._results.result_metrics
        names = sorted(
            {r.meta.name for r in results if r.meta.on_epoch and r.meta.fx != "on_train_epoch_end"}
        )
        plateau = any(config.reduce_on_plateau for config in trainer.lr_scheduler_configs)
    except AttributeError:  # another Lightning
        names, plateau = [], False
    if names:
        return EPOCH_VALUES.format(names=", ".join(names))
    if plateau and not (where == "epoch_end" and epoch_based):
        return PLATEAU
    hooks = {
        "batch_end": ["on_train_batch_end", "on_train_epoch_start"],
        "validation_end": ["on_validation_end", "on_train_epoch_start"],
        "epoch_end": ["on_train_epoch_end"] if epoch_based else [],
    }[where]
    return _own_hooks(trainer, hooks)


def _rebuilt_with_own_generator(trainer: pl.Trainer) -> bool:
    """A train loader Lightning builds again (`reload_dataloaders_every_n_epochs`) that
    shuffles with its own generator (`seed_data.own_generators`). Lightning's epoch loop
    iterates a rebuilt loader twice at a later epoch's start (once as it builds it), a
    resumed epoch's once, and the resume rebuilds it after repro restored the saved
    generator (`_restore_loader_generators`): where each build makes a new generator the
    order differs (measured, also before loader generators were saved), so the record
    must not say exact. One the data module holds across builds, seen so
    (`on_train_epoch_start`), resumes exactly: restored, then drawn twice, as uninterrupted."""
    from repro.running.seed_data import own_generators

    if not trainer.reload_dataloaders_every_n_epochs:
        return False
    return any(own_generators(loader) for loader in _train_loaders(trainer) or [])


def _own_hooks(trainer: pl.Trainer, hooks: list[str]) -> str | None:
    """MODULE_HOOKS naming those of `hooks` the module overrides, or None."""
    module = type(trainer.lightning_module)
    own = [hook for hook in hooks if getattr(module, hook) is not getattr(pl.LightningModule, hook)]
    return MODULE_HOOKS.format(hooks=", ".join(own)) if own else None


def _callbacks_after(trainer: pl.Trainer, hook: str) -> list[str]:
    """`Class.hook` of each callback outside repro's that overrides `hook`: Lightning runs it
    after repro's (EarlyStopping's check at a validation's or an epoch's end), so a save there
    holds none of what it does, and a resume runs it again on nothing (every rerun of a stop
    at an epoch end failed: "Early stopping conditioned on metric ... which is not
    available"). Those that only note the time, save files or draw a bar do not count."""
    from lightning.pytorch.callbacks import Checkpoint, ProgressBar, Timer

    return [
        f"{type(c).__name__}.{hook}"
        for c in trainer.callbacks
        if not type(c).__module__.startswith("repro.")
        and not isinstance(c, (Timer, Checkpoint, ProgressBar))
        and getattr(type(c), hook) is not getattr(pl.Callback, hook)
    ]


def _why_inexact_after_batch(trainer: pl.Trainer) -> str:
    """What a last-resort save at this batch end costs a resumed run."""
    return LAST_RESORT if _loaders_resume_mid_pass(trainer) else PLAIN_LOADER


def _accumulating(trainer: pl.Trainer) -> bool:
    """Whether the batch just trained left gradients for the next to add to (no step yet)."""
    try:
        return bool(trainer.fit_loop.epoch_loop._should_accumulate())
    except AttributeError:  # another Lightning
        return False


def _log_this_batch(trainer: pl.Trainer) -> None:
    """What Lightning does right after `on_train_batch_end`: hand the step's logged values to
    the loggers. A stop raised there skipped it, and the resumed run never logs that step."""
    connector = trainer._logger_connector
    try:
        connector.on_batch_end()
        connector.update_train_step_metrics()
    except AttributeError:  # another Lightning: at worst the step's row is lost
        pass


def _resumed_wrongly_after_batch(trainer: pl.Trainer) -> bool:
    """Whether Lightning (2.6) resumes a checkpoint saved at this batch end wrongly: at an
    epoch's last batch it resumes one epoch ahead, moving every later epoch-counted validation
    (seen on mnist1d: val/loss 1.769 against 1.996 at step 1,200 after a stop at step 40);
    before a validation it skips that validation (a stop at step 1,000 lost its curve point and
    the record's val metrics); between batches that accumulate one step it loses their
    gradient. A validation's end is resumed exactly when it is not the epoch's."""
    if _ends_an_epoch(trainer):
        return True
    loop = trainer.fit_loop.epoch_loop
    try:
        validates_next = loop._should_check_val_fx(trainer.fit_loop._data_fetcher)
    except (AttributeError, TypeError):  # another Lightning: at worst a validation is skipped
        validates_next = False
    return _accumulating(trainer) or bool(validates_next)


@contextmanager
def stop_on_signals(checkpoint: ResumableCheckpoint) -> Iterator[None]:
    """Route SIGINT/SIGTERM to a checkpoint-and-stop request while training runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in EXIT_CODES}
    checkpoint.take_signals()
    try:
        yield
    finally:
        if checkpoint.stop_signal is None:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        else:  # the process now ends with the code of the signal its record names
            hold_signals_to_exit()
