"""What a sweep must run: the grid of experiments × seeds × user values, and what is done.

Planning composes each setting once (seeds only change the record's last folder), maps it to
its record folder, and groups the missing runs into as few Hydra multiruns as possible.
"""

from __future__ import annotations

import itertools
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repro.errors import ReproError, UsageError
from repro.plugins.paper_spec import PaperSpec
from repro.records import store
from repro.wording import plural

TO_RUN = "to run"
BLOCKED = "blocked"  # something in the way of its record: its run stops, naming it
NOWHERE = "a link that leads nowhere"  # `store.DEAD_LINK` short enough for a plan's cell
DONE = "done"
STALE = "stale"
"""A completed run made by other plugin code: `stale (<changed files>)`, trained again."""
CORRUPT = "redo (corrupt record)"  # a record that could not be read: trained again
HELD = "held by another process"
"""A run another process is training (its record `running`, its lock held): the sweep finds
it busy, so it is neither to run nor in the time this sweep takes."""
RERUN = "rerun (rerun=true)"
"""A completed run the sweep trains again because the command says `rerun=true`."""


@dataclass(frozen=True)
class PlannedRun:
    experiment: str
    seed: int
    fixed: tuple[str, ...]  # the other overrides of this grid point, `key=value`
    record_dir: Path
    state: str  # "to run", "done", "redo (failed)", "stale (model.py)", "rerun (rerun=true)"
    max_steps: int | None = None
    group: tuple[int, ...] | None = None  # resumes with these seeds from their group's checkpoint
    alone: bool = False  # resumes its own checkpoint, so trains alone
    tests_only: bool = False  # its group trained it and left it to test: only tested
    resume_step: int | None = None  # the step its checkpoint (or its group's) resumes from
    rerun: bool = False  # the sweep says rerun=true: it never resumes, whatever its state
    # not started: its group's checkpoint also holds a seed another process runs (why, as
    # the group's outcome says it: `together.HELD_BACK`), for a multirun sweep's table
    held_back: str | None = None

    @property
    def needs_training(self) -> bool:
        return self.state != DONE

    @property
    def held(self) -> bool:
        """Another process trains it: the sweep tries it (it may have ended by then) and
        finds it busy; the plan neither counts nor times it as this sweep's."""
        return self.state.startswith(HELD)

    @property
    def blocked(self) -> bool:
        """Something is in the way of its record: its run stops at once, naming it, and
        trains nothing; the plan neither counts nor times it as a run to train."""
        return self.state.startswith(BLOCKED)

    @property
    def job_key(self) -> tuple[Any, ...]:
        """What a seeds-together job of its setting shares: the group it resumes with, or
        training alone (its own checkpoint), or the setting's new group."""
        return self.group or (("alone", self.seed) if self.alone else ())


@dataclass
class SweepGrid:
    experiments: list[str]
    seeds: list[int]
    fixed_variants: list[tuple[str, ...]] = field(default_factory=lambda: [()])


def _values(override: str) -> tuple[str, list[str]]:
    from repro.config.overrides import sweep_values

    key, _, raw = override.partition("=")
    return key, sweep_values(raw)


def build_grid(spec: PaperSpec, overrides: list[str], seeds: int | None) -> SweepGrid:
    """Experiments (given, else those the claims need), seeds (given, else `seeds` or the
    paper's default), and the cartesian product of every other swept key."""
    experiments: list[str] = []
    seed_values: list[int] = []
    axes: list[list[str]] = []
    for override in overrides:
        if "=" not in override:  # `seeds 3`: swept as `3=`, Hydra's lexer spoke; `~key` is whole
            from repro.config.overrides import first_of_each_sweep

            first_of_each_sweep([override])  # a word without its value: as `repro run` says
            axes.append([override])
            continue
        key, values = _values(override)
        name = key.lstrip("+~")
        if name == "experiment":
            experiments = values
        elif name == "seed":
            from repro.config.overrides import refuse_a_list_for_a_sweep

            refuse_a_list_for_a_sweep("seed", override.partition("=")[2])
            try:
                seed_values = [int(v) for v in values]
            except ValueError:
                raise UsageError(f"seed must be integers, got {override!r}") from None
        elif name != "paper":
            axes.append([f"{key}={v}" for v in values])
    if not experiments:
        experiments = spec.claimed_experiments() or list(spec.experiments)
    unknown = [e for e in experiments if e not in spec.experiments]
    if unknown:
        known = ", ".join(spec.experiments)
        raise UsageError(
            f"unknown experiment {unknown[0]!r} for paper {spec.id!r} (known: {known})"
        )
    if not seed_values:
        count = seeds if seeds is not None else spec.default_seeds
        if count < 1:
            raise UsageError(f"seeds must be >= 1, got {count}")
        seed_values = list(range(count))
    # a value written twice (seed=0,0,1) is one run: twice, it raced itself for the folder
    once = [list(dict.fromkeys(axis)) for axis in axes]
    variants = [tuple(v) for v in itertools.product(*once)]
    return SweepGrid(list(dict.fromkeys(experiments)), list(dict.fromkeys(seed_values)), variants)


def _state_of(record_dir: Path, plugin_folder: Path) -> str:
    """done, to run, redo (<status>), held by another process (running: a live process
    holds its lock), or stale (<changed files>): completed by other code."""
    from repro.records.fingerprint import stale_reason

    if record_dir.is_symlink() and not record_dir.exists():  # read as none, as below
        return f"{BLOCKED} ({record_dir.name} is {NOWHERE})"
    if record_dir.exists() and not record_dir.is_dir():
        return f"{BLOCKED} ({record_dir.name} is a file)"
    record_file = record_dir / store.RECORD_FILE
    if record_file.is_symlink() and not record_file.exists():  # its run stops, naming it
        return f"{BLOCKED} ({store.RECORD_FILE} is {NOWHERE})"
    if (record_dir / store.RECORD_FILE).is_dir():  # read as none: planned `to run`, though
        return f"{BLOCKED} ({store.RECORD_FILE} is a folder)"  # its run stops, naming it
    try:
        record = store.read_record(record_dir)
    except (OSError, ValueError):
        return _blocked_in(record_dir) or CORRUPT
    if record is None:
        return _blocked_in(record_dir) or TO_RUN
    status = record.get("status")
    if status == store.STATUS_RUNNING:
        from repro.running.lock import is_locked

        if is_locked(record_dir):  # not redone: the sweep finds it busy (`--dry-run` said so)
            return f"{HELD} ({status})"
    if status != store.STATUS_COMPLETED:
        return _blocked_in(record_dir) or f"redo ({status})"
    stale = stale_reason(record, plugin_folder)
    if stale is None:
        return DONE
    return _blocked_in(record_dir) or f"{STALE} ({stale.removeprefix('changed: ')})"


def _blocked_in(record_dir: Path) -> str | None:
    """`blocked (<name> is ...)` when a link that leads nowhere, a folder or a file lies
    where the seed's run keeps a file (config.yaml, a checkpoint, checkpoints/): its run
    stops at once, naming it (`runner.what_is_in_the_way`), where the plan said `to run`."""
    from repro.running.runner import what_is_in_the_way

    found = what_is_in_the_way(record_dir)
    if found is None:
        return None
    path, what = found
    return f"{BLOCKED} ({path.name} is {what.replace(store.DEAD_LINK, NOWHERE)})"


def plan_sweep(
    paper_id: str, plugin_overrides: list[str], grid: SweepGrid
) -> tuple[list[PlannedRun], Path]:
    """Every run of the grid with its record folder and state; also the results folder."""
    from repro.config.compose import compose_run_config, hydra_compose_session

    planned: list[PlannedRun] = []
    results_dir = Path("results")
    settings: dict[Path, tuple[str, ...]] = {}  # record folder of a setting -> its overrides
    with hydra_compose_session():
        for fixed in grid.fixed_variants:
            for experiment in grid.experiments:
                overrides = [f"paper={paper_id}", *fixed, *plugin_overrides]
                config = compose_run_config(overrides, experiment)
                results_dir = store.resolved_results_dir(config)
                _check_results_folder(results_dir)
                max_steps = config.get("trainer", {}).get("max_steps")
                steps = max_steps if isinstance(max_steps, int) and max_steps > 0 else None
                # Seeds share the config hash: hash once, list the seed folders once, and
                # read only the records that exist (100,000 seeds must not mean 100,000 stats).
                hash_dir = store.run_dir(results_dir, {**config, "seed": 0}).parent
                _one_setting_per_folder(settings.setdefault(hash_dir, fixed), fixed, hash_dir)
                existing = _seed_folders(hash_dir)
                legacy = _legacy_seed_folders(results_dir, config)
                above = _blocked_above(hash_dir)
                for seed in grid.seeds:
                    folder, state = _seed_state(
                        hash_dir, f"seed{seed}", existing, legacy, Path(config["paper_dir"])
                    )
                    if above and state == TO_RUN and folder.parent == hash_dir:
                        state = above  # its run stops: 'cannot create run folder'
                    rerun = bool(config.get("rerun"))
                    if state == DONE and rerun:
                        state = RERUN
                    run = PlannedRun(experiment, seed, fixed, folder, state, steps, rerun=rerun)
                    planned.append(run)
    return planned, results_dir


def _blocked_above(hash_dir: Path) -> str | None:
    """`blocked (<folder> is ...)` when the setting's folder, or one above it (results/<paper>
    linked to a disk not mounted now), is a dead link or a file: its seeds were planned `to
    run`, and each run stopped at its folder. None when nothing is in the way."""
    blocked = store.what_blocks_folder(hash_dir)
    if blocked is None:
        return None
    return f"{BLOCKED} ({blocked.replace(store.DEAD_LINK, NOWHERE)})"


def _one_setting_per_folder(first: tuple[str, ...], again: tuple[str, ...], folder: Path) -> None:
    """Two points of a grid with one record folder (keys that do not change what a run
    computes: num_threads, trainer.accelerator, ...) would train each seed twice at once."""
    if first == again:
        return
    only_first = " ".join(o for o in first if o not in again)
    only_again = " ".join(o for o in again if o not in first)
    raise UsageError(
        f"{only_first} and {only_again} make one setting (record folder {folder.name}: the "
        "same config, or keys that say where and how a run executes, which are not part of "
        "what it computes): sweep one of them"
    )


def completed_seeds(
    paper_id: str,
    plugin_overrides: list[str],
    experiments: list[str],
    not_counted: list[str] | None = None,
) -> dict[str, int]:
    """Completed seeds of each experiment's default setting (what `repro sweep paper=X`
    plans), for `repro show`: one folder listing per experiment, no grid. `not_counted`
    gets a line per seed whose record could not be read (corrupt, a dead link), which the
    count passes over: `show` names them, as the report does, not a silent 0/5."""
    from repro.config.compose import compose_run_config, hydra_compose_session

    counts = {}
    with hydra_compose_session():
        for experiment in experiments:
            config = compose_run_config([f"paper={paper_id}", *plugin_overrides], experiment)
            results_dir = store.resolved_results_dir(config)
            hash_dir = store.run_dir(results_dir, {**config, "seed": 0}).parent
            blocked = store.what_blocks_folder(hash_dir)  # results/<paper> a dead link
            if blocked and not_counted is not None and blocked not in not_counted:
                not_counted.append(blocked)
            existing = _seed_folders(hash_dir)
            legacy = _legacy_seed_folders(results_dir, config)
            paper_dir = Path(config["paper_dir"])
            counts[experiment] = 0
            for name in sorted(existing | set(legacy)):
                if not store.SEED_FOLDER.fullmatch(name):
                    continue
                folder, state = _seed_state(hash_dir, name, existing, legacy, paper_dir)
                counts[experiment] += state == DONE
                unread = state == CORRUPT or state.startswith(BLOCKED)
                if unread and not_counted is not None:
                    not_counted.append(_why_unread(folder, state))
    return counts


def _why_unread(folder: Path, state: str) -> str:
    """`<record.json>: corrupt (<why>)`, or `<seed folder>: blocked (<what>)`: one line
    naming a record a count passed over and why."""
    if state != CORRUPT:
        return f"{folder}: {state}"
    try:
        store.read_record(folder)
    except OSError as error:
        return f"{folder / store.RECORD_FILE}: unreadable ({error.strerror or error})"
    except ValueError as error:
        return f"{folder / store.RECORD_FILE}: corrupt ({error})"
    return f"{folder / store.RECORD_FILE}: corrupt"  # read fine now: changed meanwhile


def _seed_state(
    hash_dir: Path, name: str, existing: set[str], legacy: dict[str, Path], paper_dir: Path
) -> tuple[Path, str]:
    """The folder a seed's run reads and writes, and its state: its setting's folder unless
    that holds no completed record and a legacy hash folder does (then that one, done or
    stale), as `lookup.completed_run` decides for the job: the plan names the folder the job
    writes, so the sweep's table reads what the job wrote."""
    folder = hash_dir / name
    state = _state_of(folder, paper_dir) if name in existing else TO_RUN
    if state == DONE or state.startswith(STALE) or name not in legacy:
        return folder, state
    return legacy[name], _state_of(legacy[name], paper_dir)


def _legacy_seed_folders(results_dir: Path, config: dict[str, Any]) -> dict[str, Path]:
    """Seed name -> the folder of each seed of this setting completed under a legacy hash (an
    older `trainer.accelerator=gpu` run), whatever code made it: the latest finished, as
    `store.completed_record_dir` takes it (a stale one is trained again there); else one cut
    short there with its checkpoint, which its job resumes (`store.unfinished_record_dir`)."""
    names: dict[str, list[Path]] = defaultdict(list)
    for hash_dir in store.legacy_hash_dirs(results_dir, config):
        for name in sorted(_seed_folders(hash_dir)):
            if name.startswith("seed"):
                names[name].append(hash_dir / name)
    found = {name: store.latest_completed(folders) for name, folders in names.items()}
    for name in [n for n, folder in found.items() if folder is None and not config.get("rerun")]:
        seed = store.SEED_FOLDER.fullmatch(name)  # one cut short there resumes there
        if seed:
            at = {**config, "seed": int(seed.group(1))}
            found[name] = store.unfinished_record_dir(results_dir, at)
    return {name: folder for name, folder in found.items() if folder is not None}


def _seed_folders(hash_dir: Path) -> set[str]:
    try:
        return {entry.name for entry in os.scandir(hash_dir)}
    except OSError:  # absent (nothing run yet), or unreadable: every record reads as absent
        return set()


def _check_results_folder(results_dir: Path) -> None:
    """A results folder that is, or lies under, a regular file: one line before planning."""
    for folder in (results_dir, *results_dir.parents):
        if folder.exists():
            if not folder.is_dir():
                raise ReproError(f"results folder {results_dir}: {folder} is a file, not a folder")
            return


def _found_by_group(checkpoint: Path, seeds: tuple[int, ...], missing: dict[int, int]) -> bool:
    """Whether the group of the `missing` seeds finds `checkpoint` as its own (in its first
    seed's folder, saved for exactly these seeds): it then says why it does not resume it."""
    first = checkpoint.parent.parent.parent / f"seed{min(missing)}"
    return set(seeds) == set(missing) and checkpoint.parent.parent == first


def _unreadable_for_group(checkpoint: Path, missing: dict[int, int]) -> str | None:
    """The plan's line for a group of the `missing` seeds that finds `checkpoint`, its own
    (in its first seed's folder), unreadable (garbled): the group warns `not resuming ...:
    unreadable (...); training from the start`, and its dry run said nothing of the training
    thrown away (as it says when a seed's record was removed)."""
    from repro.running.group_checkpoint import unreadable_why

    first = checkpoint.parent.parent.parent / f"seed{min(missing)}"
    if len(missing) < 2 or checkpoint.parent.parent != first:
        return None
    why = unreadable_why(checkpoint)
    seeds = ", ".join(map(str, sorted(missing)))
    return (
        f"seeds {seeds} do not resume their group's checkpoint {checkpoint}: {why}; they train "
        "from the start"
        if why
        else None
    )


def _record_or_none(record_dir: Path) -> dict | None:
    try:
        return store.read_record(record_dir)
    except (OSError, ValueError):
        return None


def plan_resumes(
    planned: list[PlannedRun], code: str | None = None, together: bool = True
) -> tuple[list[PlannedRun], list[str]]:
    """Seeds trained together: a setting's seeds cut short with a group's checkpoint resume
    as that group (its seeds this sweep did not ask for train with them: they were started),
    and a seed cut short with its own checkpoint (trained alone before) resumes alone; the
    rest form a new group. Without this, another seed count or `seeds_together` threw the
    saved progress away. Only a checkpoint of this setting and of the plugin's current `code`
    (digest) counts, as the group's own check does. Returns the runs (with those added) and
    one line per resume, with its step (the sweep's, and its dry run's). Without `together`,
    only the seeds that resume their own checkpoint (every seed trains alone)."""
    from dataclasses import replace

    from repro.records.store import CHECKPOINT_DIR, GROUP_CHECKPOINT, LAST_CHECKPOINT
    from repro.running.lock import is_locked

    runs, notes = list(planned), []
    settings: dict[tuple[str, tuple[str, ...]], dict[int, int]] = defaultdict(dict)
    for index, run in enumerate(runs):
        if run.needs_training:
            settings[(run.experiment, run.fixed)][run.seed] = index
    for (experiment, _), missing in settings.items():
        first = runs[next(iter(missing.values()))]
        if any(runs[i].state == RERUN or runs[i].rerun for i in missing.values()):
            # rerun=true starts over, alone or together: no seed it did not ask for (left to
            # test by its group) is pulled in, to be trained again from step 0
            continue
        hash_dir = first.record_dir.parent
        group_checkpoints = hash_dir.glob(f"seed*/{CHECKPOINT_DIR}/{GROUP_CHECKPOINT}")
        for checkpoint in sorted(group_checkpoints):
            discarded = _discarded_for_code(checkpoint, hash_dir.name, code, set(missing))
            # the group's own line, said before it trains; alone too (each seed's run says
            # only that it does not resume it), and no seeds_together=true would resume it
            if discarded:
                notes.append(f"{experiment}: {discarded}")
                continue
            if together and (unreadable := _unreadable_for_group(checkpoint, missing)):
                notes.append(f"{experiment}: {unreadable}")  # as the group warns, starting over
                continue
            seeds, trained, step = _group_seeds(checkpoint, hash_dir.name, code)
            saved_for = seeds or ()  # a seed of it locked holds the rest back, done or not
            if stuck := [s for s in saved_for if s in missing and runs[missing[s]].blocked]:
                # none of it runs: the file is never resumed without that seed
                notes += _held_back_by_blocked(runs, missing, saved_for, stuck[0], checkpoint)
                continue
            if seeds and trained:  # as the group tidies it: without seeds done or split off
                from repro.running.group_checkpoint import seeds_left_in

                left = seeds_left_in(checkpoint)
                seeds = tuple(sorted(left)) if left is not None else seeds
            elif seeds:  # cut short mid-training: a seed ended since leaves the rest a share
                seeds = _share_left(hash_dir, seeds, set(missing))
            if not seeds or not set(seeds) & set(missing):
                continue
            if not_cut := [s for s in seeds if not store.cut_short(hash_dir / f"seed{s}", True)]:
                if together and not trained and _found_by_group(checkpoint, seeds, missing):
                    # the group's own line as it starts its seeds over (a seed's folder
                    # removed, or trained alone since): the training it throws away
                    record = _record_or_none(hash_dir / f"seed{not_cut[0]}")
                    why = store.not_cut_short(not_cut[0], record)
                    notes.append(not_resumed_line(experiment, seeds, checkpoint, step, why))
                continue
            if not together:  # each seed alone: `repro run` tests those left to test
                notes += _alone_with_group(runs, missing, checkpoint, seeds, trained, step)
                continue
            for seed in seeds:
                if seed in missing:
                    run = runs[missing[seed]]
                    runs[missing[seed]] = replace(
                        run, group=seeds, tests_only=trained, resume_step=step
                    )
                else:  # started with the group: resumed with it
                    folder = hash_dir / f"seed{seed}"
                    state = f"redo ({store.cut_short(folder, in_group=True)})"
                    runs.append(
                        replace(
                            first,
                            seed=seed,
                            record_dir=folder,
                            state=state,
                            group=seeds,
                            tests_only=trained,
                            resume_step=step,
                        )
                    )
            extra = sorted(set(seeds) - set(missing))
            also = f" (with seed {', '.join(map(str, extra))}, started with them)" if extra else ""
            names = f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"
            if busy := [s for s in saved_for if is_locked(hash_dir / f"seed{s}")]:
                # another process holds a seed of it: the run leaves the file and starts none
                # of its seeds (`together._hold_back_for_busy_seeds`), so the plan says that
                from repro.running.together import HELD_BACK

                rest = [s for s in seeds if s not in busy]
                plural = "s" if len(busy) > 1 else ""
                why = (
                    f"{HELD_BACK}{plural} {', '.join(map(str, busy))}, which another process "
                    "is running; the same sweep again resumes the group"
                )
                back = {hash_dir / f"seed{s}" for s in rest}
                runs = [replace(r, held_back=why) if r.record_dir in back else r for r in runs]
                notes.append(
                    f"{experiment}: seed{'s' if len(rest) > 1 else ''} "
                    f"{', '.join(map(str, rest))} not started: their group's checkpoint "
                    f"{checkpoint}{_at(step, ' (step {})')} also holds seed{plural} "
                    f"{', '.join(map(str, busy))}, which another process is running; the same "
                    "sweep again resumes the group"
                )
            elif trained:  # its training is done: only the tests of these seeds are left
                notes.append(
                    f"{experiment}: {names} trained in a group, left to test: tested from "
                    f"the group's final weights {checkpoint}{_at(step, ' (step {})')}{also}"
                )
            else:
                notes.append(
                    f"{experiment}: {names} resume{'s its' if len(seeds) == 1 else ' their'} "
                    f"group's checkpoint {checkpoint}"
                    f"{_at(step)}{also}"
                )
            notes += _own_checkpoints_not_resumed(experiment, hash_dir, seeds, step)
        for seed, index in missing.items():
            run = runs[index]
            own = run.record_dir / CHECKPOINT_DIR / LAST_CHECKPOINT
            if run.held:  # its own process resumes that checkpoint, not this sweep
                continue
            if run.group is None and own.is_file() and store.cut_short(run.record_dir):
                from repro.running.runner import checkpoint_step

                step = checkpoint_step(own)
                runs[index] = replace(run, alone=True, resume_step=step)
                at = _at(step)
                what = f"seed {seed} resumes its own checkpoint {own}{at}, alone"
                notes.append(f"{experiment}: {what}")
        if together:
            notes += _waiting_for_blocked(runs, missing)
    return runs, notes


def _waiting_for_blocked(runs: list[PlannedRun], missing: dict[int, int]) -> list[str]:
    """A blocked seed of the setting's new group whose own together.ckpt is what is in the
    way (a folder, a dead link): which seeds that file holds cannot be told, so the run fails
    every seed of its job, writing nothing (`together._a_group_holds`); the plan said the
    others `to run`, counted and timed them. They are planned blocked too; returns the line."""
    import os
    from dataclasses import replace

    from repro.records.store import CHECKPOINT_DIR, GROUP_CHECKPOINT

    def new_group(run: PlannedRun) -> bool:  # the job of the setting's seeds no file holds
        return run.group is None and not run.alone

    for seed, index in sorted(missing.items()):
        stuck = runs[index]
        own = stuck.record_dir / CHECKPOINT_DIR / GROUP_CHECKPOINT
        if not (stuck.blocked and new_group(stuck) and os.path.lexists(own)):
            continue
        what = stuck.state.removeprefix(f"{BLOCKED} (").removesuffix(")")
        why = f"{BLOCKED} (its group waits for seed {seed}, blocked: {what})"
        rest = [
            s
            for s, i in sorted(missing.items())
            if new_group(runs[i]) and not (runs[i].blocked or runs[i].held)
        ]
        for s in rest:
            runs[missing[s]] = replace(runs[missing[s]], state=why)
        if not rest:
            return []
        return [
            f"{stuck.experiment}: seed{'s' if len(rest) > 1 else ''} "
            f"{', '.join(map(str, rest))} not started: their group waits for seed {seed}, "
            f"blocked ({what}): which seeds {own} holds cannot be told; move it away, then "
            "the same sweep trains them"
        ]
    return []


def _held_back_by_blocked(
    runs: list[PlannedRun],
    missing: dict[int, int],
    seeds: tuple[int, ...],
    stuck: int,
    checkpoint: Path,
) -> list[str]:
    """A group's checkpoint holds a blocked seed (a dead link in the way of its record): the
    run fails every seed of it, naming the block (`together._a_group_holds`), so they are
    planned blocked too, in one job of their own (the setting's other seeds train apart),
    neither timed nor counted as runs to train. Returns the plan's line for them."""
    from dataclasses import replace

    what = runs[missing[stuck]].state.removeprefix(f"{BLOCKED} (").removesuffix(")")
    why = f"{BLOCKED} (its group's checkpoint also holds seed {stuck}, blocked: {what})"
    rest = [s for s in seeds if s in missing and s != stuck]
    for seed in (stuck, *rest):
        run = runs[missing[seed]]
        runs[missing[seed]] = replace(run, group=seeds, state=run.state if seed == stuck else why)
    if not rest:
        return []
    return [
        f"{runs[missing[stuck]].experiment}: seed{'s' if len(rest) > 1 else ''} "
        f"{', '.join(map(str, rest))} not started: their group's checkpoint {checkpoint} also "
        f"holds seed {stuck}, blocked ({what}); move that away, then the same sweep resumes "
        "the group"
    ]


def _own_checkpoint(record_dir: Path) -> Path | None:
    """The checkpoint a seed stopped while training alone left (its own last.ckpt), when its
    last attempt was cut short; else None."""
    from repro.records.store import CHECKPOINT_DIR, LAST_CHECKPOINT

    own = record_dir / CHECKPOINT_DIR / LAST_CHECKPOINT
    return own if own.is_file() and store.cut_short(record_dir) else None


def _own_checkpoints_not_resumed(
    experiment: str, hash_dir: Path, seeds: tuple[int, ...], step: int | None
) -> list[str]:
    """A group resumed whose seed also stopped training alone: the group's run says it does
    not resume that seed's own checkpoint (`together._say_own_checkpoints_are_not_resumed`);
    the plan and its dry run say it too, not only that the group resumes."""
    from repro.running.runner import checkpoint_step

    notes = []
    for seed in seeds:
        own = _own_checkpoint(hash_dir / f"seed{seed}")
        if own is not None:
            notes.append(
                f"{experiment}: not resuming seed {seed}'s own checkpoint {own} (step "
                f"{checkpoint_step(own)}, trained alone): it trains in the group, from the "
                f"group's{_at(step, ' step {}') or ' checkpoint'}"
            )
    return notes


def _alone_with_group(
    runs: list[PlannedRun],
    missing: dict[int, int],
    checkpoint: Path,
    seeds: tuple[int, ...],
    trained: bool,
    step: int | None,
) -> list[str]:
    """A group checkpoint met by a sweep that trains each seed alone (seeds_together off,
    as `auto` is on a CPU): a trained group's seeds left to test are only tested, each
    alone (`runner.run_one`); an unfinished group's training is not resumed, which one line
    says, with the way to resume it, before any seed trains from the start."""
    from dataclasses import replace

    names = f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"
    experiment = runs[next(iter(missing.values()))].experiment
    if trained:
        for seed in set(seeds) & set(missing):
            runs[missing[seed]] = replace(runs[missing[seed]], tests_only=True)
        return [
            f"{experiment}: {names} trained in a group, left to test: tested from the "
            f"group's final weights {checkpoint}{_at(step, ' (step {})')}"
        ]
    their = "their" if len(seeds) > 1 else "its"
    # a seed that stopped alone since resumes its own checkpoint (its own line says so)
    fresh = [
        s for s in seeds if s not in missing or _own_checkpoint(runs[missing[s]].record_dir) is None
    ]
    if fresh == list(seeds):
        tail = f"; {'they train' if len(seeds) > 1 else 'it trains'} alone from the start"
    elif fresh:
        words = f"seed{'s' if len(fresh) > 1 else ''} {', '.join(map(str, fresh))}"
        tail = f"; {words} train{'' if len(fresh) > 1 else 's'} alone from the start"
    else:
        tail = ""
    return [
        f"{experiment}: {names} do{'es' if len(seeds) == 1 else ''} not resume {their} "
        f"group's checkpoint {checkpoint}{_at(step, ' (step {})')}: seeds together is off "
        f"(seeds_together=true resumes it){tail}"
    ]


def sweep_plan_line(
    paper_id: str, grid: SweepGrid, planned: list[PlannedRun], resumed: list[PlannedRun]
) -> str:
    """The line a sweep starts with: its runs, and what it runs once resumes are planned
    (`plan_resumes`): a group it resumes brings the seeds it started outside this count, and
    a trained group's seeds are only tested. Counted before resumes, the line said `1 to
    run` and the sweep then tested 2 seeds. A run another process trains is counted apart."""
    held = sum(run.held for run in resumed)
    todo = [run for run in resumed if run.needs_training and not run.held]
    # a blocked seed's run stops, naming what is in the way: not counted `to run`
    blocked = sum(run.state.startswith(BLOCKED) for run in todo)
    brought = len(resumed) - len(planned)
    extra = f" + {brought} started with a group it resumes" if brought else ""
    tests = sum(run.tests_only for run in todo)
    only = f" ({tests} only to test)" if tests else ""
    stops = (
        f", {blocked} blocked (its run stops: something is in the way of its record)"
        if blocked
        else ""
    )
    return (
        f"sweep {paper_id}: {plural(len(planned), 'run')} "
        f"({plural(len(grid.experiments), 'experiment')} × {plural(len(grid.seeds), 'seed')} × "
        f"{plural(len(grid.fixed_variants), 'setting')}){extra}: "
        f"{len(todo) - blocked} to run{only}, {len(resumed) - len(todo) - held} already "
        f"completed{stops}" + (f", {held} {HELD}" if held else "")
    )


def not_resumed_line(
    experiment: str, seeds: tuple[int, ...], checkpoint: Path, step: int | None, why: str
) -> str:
    """The plan's line for a group starting its seeds over: one seed in the singular."""
    names = ", ".join(map(str, seeds))
    if len(seeds) == 1:
        subject, verb = f"seed {names} does not resume its", "it trains"
    else:
        subject, verb = f"seeds {names} do not resume their", "they train"
    return (
        f"{experiment}: {subject} group's checkpoint {checkpoint}{_at(step, ' (step {})')}: "
        f"{why}; {verb} from the start"
    )


def _at(step: int | None, words: str = " from step {}") -> str:
    return "" if step is None else words.format(step)


def _group_seeds(
    checkpoint: Path, config_hash: str, code: str | None
) -> tuple[tuple[int, ...] | None, bool, int | None]:
    """The seeds a group checkpoint was saved for (read without loading its tensors), when it
    was saved for this setting (`config_hash`) by this plugin code; else None. One seed is a
    group when the group had trained and that seed is left to test (then True). Also its
    step."""
    from repro.running.group_checkpoint import saved_identity

    saved = saved_identity(checkpoint)
    try:
        identity, trained, step = saved  # type: ignore[misc]
        seeds = tuple(sorted(int(s) for s in identity["seeds"]))
    except Exception:  # unreadable: the group that finds it says so and starts over
        return None, False, None
    if identity.get("config_hash") != config_hash or (code and identity.get("code") != code):
        return None, False, None  # another setting's or other code's: starts over, says so
    return (seeds if len(set(seeds)) > 1 or (trained and seeds) else None), trained, step


def _share_left(hash_dir: Path, seeds: tuple[int, ...], missing: set[int]) -> tuple[int, ...]:
    """The seeds of a group's file cut short mid-training that resume from it: all, or, when
    some ended since (failed or completed alone) and the rest, still cut short, are all to
    run, those (their share is split off: `together._split_off_done_seeds`)."""
    from repro.running.group_checkpoint import _done

    left = tuple(s for s in seeds if store.cut_short(hash_dir / f"seed{s}", in_group=True))
    ended = [s for s in seeds if s not in left]
    if not left or not ended or not set(left) <= missing:
        return seeds
    return left if all(_done(hash_dir / f"seed{s}") for s in ended) else seeds


def _discarded_for_code(
    checkpoint: Path, config_hash: str, code: str | None, missing: set[int]
) -> str | None:
    """A group checkpoint of this setting holding seeds this sweep trains, saved by other
    plugin code: the group throws it away and says so (`stale: discarding the training of
    ...`); the dry run says the same line, as it does for the checkpoints that resume."""
    from repro.running.group_checkpoint import discarded_training_line, saved_identity

    saved = saved_identity(checkpoint)
    if not code or saved is None or saved.identity.get("config_hash") != config_hash:
        return None
    old = saved.identity.get("code")
    try:
        seeds = sorted(int(s) for s in saved.identity.get("seeds") or [])
    except (TypeError, ValueError):
        return None
    if old == code or not set(seeds) & missing:
        return None
    return discarded_training_line(seeds, checkpoint, saved.step, old, code)


def multirun_batches(planned: list[PlannedRun], together: bool = False) -> list[list[str]]:
    """Overrides of each Hydra multirun that together cover exactly the runs to train.

    Runs sharing their other overrides and their set of missing seeds become one cartesian
    multirun `experiment=a,b seed=0,1,2`, so a fresh sweep is a single multirun. With
    `together`, a setting's missing seeds are one job (`seed=0 group_seeds=[0,1,2]`): the
    job trains them as one vectorized model.
    """
    missing: dict[tuple[tuple[str, ...], str, tuple[Any, ...]], list[int]] = defaultdict(list)
    for run in planned:
        if run.needs_training:
            missing[(run.fixed, run.experiment, run.job_key if together else ())].append(run.seed)
    groups: dict[tuple[tuple[str, ...], tuple[int, ...], bool], list[str]] = defaultdict(list)
    for (fixed, experiment, key), seeds in missing.items():
        resumed = bool(key) and key[0] != "alone"  # a group it resumes, one seed left or more
        groups[(fixed, tuple(sorted(seeds)), resumed)].append(experiment)
    return [
        [*fixed, f"experiment={','.join(experiments)}", *_seed_words(seeds, together, resumed)]
        for (fixed, seeds, resumed), experiments in groups.items()
    ]


def _seed_words(seeds: tuple[int, ...], together: bool, resumed: bool = False) -> list[str]:
    if together and (len(seeds) > 1 or resumed):
        return [f"seed={seeds[0]}", f"group_seeds=[{','.join(map(str, seeds))}]"]
    return [f"seed={','.join(map(str, seeds))}"]


SUMMARY_ABOVE = 50
"""A dry run with more runs than this prints one row per setting, not one per run: 100,000
rows help nobody read a plan, and drawing them took minutes."""


def differing_overrides(runs: list[PlannedRun]) -> dict[int, str] | None:
    """Per run (by id), its overrides that not every run shares: what tells its setting from
    the others in a table; None when no experiment has more than one setting (the
    experiment and seed say it all)."""
    settings: dict[str, set[tuple[str, ...]]] = {}
    for run in runs:
        settings.setdefault(run.experiment, set()).add(tuple(run.fixed))
    if all(len(fixed) <= 1 for fixed in settings.values()):
        return None
    common = set.intersection(*(set(run.fixed) for run in runs))
    return {id(run): " ".join(o for o in run.fixed if o not in common) for run in runs}


@dataclass(frozen=True)
class SettingSummary:
    """The planned runs of one experiment under one setting (one config hash)."""

    experiment: str
    fixed: tuple[str, ...]
    seeds: str
    states: str
    estimate_s: float | None  # to train the runs still to do; None when unknown
    folder: Path
    to_train: int = 0


def setting_summaries(
    planned: list[PlannedRun], estimates: dict[Path, float | None], together: bool = False
) -> list[SettingSummary]:
    """One row per (experiment, setting), in plan order: seeds, runs per state, estimate
    (`together`: a group of seeds, one process, counts its time once)."""
    groups: dict[tuple[str, tuple[str, ...], Path], list[PlannedRun]] = {}
    for run in planned:
        groups.setdefault((run.experiment, run.fixed, run.record_dir.parent), []).append(run)
    rows = []
    for (experiment, fixed, folder), runs in groups.items():
        states: dict[str, int] = {}
        for run in runs:
            states[run.state] = states.get(run.state, 0) + 1
        # held: another process trains it; blocked: its run stops at once, training nothing
        todo = [
            estimates.get(r.record_dir)
            for r in runs
            if r.needs_training and not (r.held or r.blocked)
        ]
        total = None if any(e is None for e in todo) else float(sum(todo))  # type: ignore[arg-type]
        if together and total is not None:  # one job per group it resumes, or alone, or new
            jobs: dict[tuple[Any, ...], list[PlannedRun]] = defaultdict(list)
            for run in runs:
                if run.needs_training and not (run.held or run.blocked):
                    jobs[run.job_key].append(run)
            total = sum(job_estimate(job, estimates) or 0.0 for job in jobs.values())
        rows.append(
            SettingSummary(
                experiment,
                fixed,
                seeds_text([r.seed for r in runs]),
                ", ".join(f"{n} {state}" for state, n in sorted(states.items())),
                total,
                folder,
                len(todo),
            )
        )
    return rows


def job_estimate(runs: list[PlannedRun], estimates: dict[Path, float | None]) -> float | None:
    """Seconds for one job's runs (None: unknown). Seeds trained together are one process
    whose records each hold the group's time: the longest counts, once. Seeds only left to
    test are tested one after another, each a run's cost beside its training: they add up."""
    each = [estimates.get(run.record_dir) for run in runs]
    if any(e is None for e in each):
        return None
    known = [float(e) for e in each if e is not None]
    if runs and all(run.tests_only for run in runs):
        return sum(known)
    return max(known, default=0.0)


def seeds_text(seeds: list[int], max_ranges: int = 6) -> str:
    """`0–3, 7, 9–10`; many scattered seeds become `N seeds in lo–hi`."""
    ordered = sorted(set(seeds))
    ranges: list[tuple[int, int]] = []
    for seed in ordered:
        if ranges and seed == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], seed)
        else:
            ranges.append((seed, seed))
    if len(ranges) > max_ranges:
        return f"{len(ordered)} seeds in {ordered[0]}–{ordered[-1]}"
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in ranges)
