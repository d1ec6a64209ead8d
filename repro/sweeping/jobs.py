"""A sweep's jobs run by repro itself (local: in this process; joblib: worker processes).

Why not Hydra's joblib launcher: one loky `Parallel` call per batch breaks as a whole when
one worker dies (a 36-line traceback, the healthy workers SIGKILLed), and its workers outlive
a `kill -9` of the sweep and go on training the queued runs. Here each worker has its own
pipe, so the sweep knows which run a dead worker had and the other runs go on; each worker
watches its parent and stops (checkpoint, record `interrupted`) when the sweep is gone; and
the sweep stops launching when runs fail the same way before any succeeds.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from repro.config.app import COMMAND_CONTEXT_ENV
from repro.errors import ReproError
from repro.records import store
from repro.running.fast_exit import STOP_SIGNALS, exit_now, hold_signals_to_exit
from repro.running.progress import SweepProgress
from repro.running.runner import RunOutcome
from repro.sweeping.plan import PlannedRun

SWEEP_PID_ENV = "REPRO_SWEEP_PID"
ORPHAN_POLL_S = 0.5
STOP_POLL_S = 0.5  # a stopping sweep looks again this often for workers that did not stop
ORPHAN_GRACE_S = 120.0  # time an orphaned worker's run gets to save its checkpoint


@dataclass(frozen=True)
class Job:
    run: PlannedRun
    overrides: tuple[str, ...]  # everything but the experiment: `repro run` would take these
    group: tuple[tuple[PlannedRun, tuple[str, ...]], ...] = ()  # seeds trained together

    @property
    def runs(self) -> list[PlannedRun]:
        return [run for run, _ in self.group] if self.group else [self.run]


def jobs_for(planned: list[PlannedRun], common: list[str], together: bool = False) -> list[Job]:
    """One job per run to train; with `together`, one job per setting (experiment and fixed
    overrides) holding its seeds, trained as one vectorized model where they qualify (a group
    it resumes, or a seed resuming alone, is a job of its own: `plan.plan_resumes`)."""
    single = [
        Job(run, (*common, *run.fixed, f"seed={run.seed}")) for run in planned if run.needs_training
    ]
    if not together:
        return _interleaved(single)
    settings: dict[tuple[str, tuple[str, ...]], list[Job]] = {}
    for job in single:
        key = (job.run.experiment, tuple(job.run.fixed), job.run.job_key)
        settings.setdefault(key, []).append(job)
    return _interleaved(
        [  # a group it resumes stays one, even of one seed left to test
            jobs[0]
            if len(jobs) == 1 and not jobs[0].run.group
            else Job(jobs[0].run, jobs[0].overrides, tuple((j.run, j.overrides) for j in jobs))
            for jobs in (sorted(group, key=lambda j: j.run.seed) for group in settings.values())
        ]
    )


def _interleaved(jobs: list[Job]) -> list[Job]:
    """The first job of every setting, then the second, ...: a failure that every setting
    shares (a broken plugin) shows in the first runs, which `SystematicFailure` stops on,
    and one bad setting of a grid does not hold back the others' first results."""
    by_setting: dict[tuple[str, tuple[str, ...]], list[Job]] = {}
    for job in jobs:
        by_setting.setdefault(setting_of(job.run), []).append(job)
    rounds = itertools.zip_longest(*by_setting.values())
    return [job for round_ in rounds for job in round_ if job is not None]


def run_job(job: Job, alone: bool = True) -> list[RunOutcome]:
    """Compose and train a job's runs; every expected failure becomes an outcome, one line
    each. A group job trains its seeds together (`running.together`); when its setting does
    not qualify, its seeds train one after another here, or with `alone=False` come back
    UNGROUPED for the scheduler to spread over workers (`split_ungrouped`)."""
    from repro.running.hydra_task import print_outcomes
    from repro.running.together import HELD_BACK, UNGROUPED

    outcomes = _run_group(job, alone) if job.group else [_run_single(job.run, job.overrides)]
    for outcome in outcomes:
        if outcome.status == "busy" and not str(outcome.error).startswith(HELD_BACK):
            # no failure: that process may well complete it (one held back: its group's
            # line said why, once for the seeds held back)
            print(
                f"warning: {outcome.error}; this sweep leaves it to that process", file=sys.stderr
            )
    # a group's seeds failed with one error: one line (`print_outcomes`)
    print_outcomes([o for o in outcomes if o.status not in (UNGROUPED, "busy")])
    return outcomes


def _compose(run: PlannedRun, overrides: tuple[str, ...]) -> tuple[dict, list[str]]:
    from repro.config.app import recorded_command
    from repro.config.compose import compose_run_config, hydra_compose_session

    with hydra_compose_session():
        config = compose_run_config(list(overrides), run.experiment)
    return config, recorded_command([*overrides, f"experiment={run.experiment}"])


def _run_single(run: PlannedRun, overrides: tuple[str, ...]) -> RunOutcome:
    from repro.running.hydra_task import only_test_left_seed
    from repro.running.lock import RunBusy
    from repro.running.runner import run_one, unexpected_failure

    try:
        config, command = _compose(run, overrides)
        return run_one(config, command=command, as_group_of_one=only_test_left_seed)
    except RunBusy as busy:
        return RunOutcome("busy", busy.record_dir, error=str(busy), exit_code=1)
    except ReproError as error:
        return RunOutcome("failed", None, error=str(error), exit_code=error.exit_code)
    except OSError as error:  # a full or failing disk outside the record writes
        where = f": {error.filename}" if error.filename else ""
        return RunOutcome("failed", None, error=f"{error.strerror or error}{where}", exit_code=1)
    except Exception as error:  # one line; the sweep goes on (a joblib worker lives on)
        return unexpected_failure(error)


def split_ungrouped(job: Job, outcomes: list[RunOutcome]) -> list[Job]:
    """One job per seed a group handed back untrained (its setting does not qualify)."""
    from repro.running.together import UNGROUPED

    return [
        Job(run, overrides)
        for (run, overrides), outcome in zip(job.group, outcomes, strict=True)
        if outcome.status == UNGROUPED
    ]


def _run_group(job: Job, alone: bool) -> list[RunOutcome]:
    from repro.running.runner import unexpected_failure
    from repro.running.together import run_together

    try:
        composed = [_compose(run, overrides) for run, overrides in job.group]
        return run_together([c for c, _ in composed], [cmd for _, cmd in composed], alone=alone)
    except ReproError as error:
        return _group_failed(job, str(error), error.exit_code)
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        return _group_failed(job, f"{error.strerror or error}{where}", 1)
    except Exception as error:  # one line; the sweep goes on (a joblib worker lives on)
        failed = unexpected_failure(error)
        return _group_failed(job, str(failed.error), failed.exit_code)


def _group_failed(job: Job, error: str, exit_code: int) -> list[RunOutcome]:
    """Each seed of a group stopped by one error (a read-only results folder, met at its
    first seed's folder): the error is its group's, never said as if of its own folder."""
    seeds = ", ".join(str(run.seed) for run, _ in job.group)
    said = f"its group (seeds {seeds}, trained together): {error}" if len(job.group) > 1 else error
    return [RunOutcome("failed", None, error=said, exit_code=exit_code) for _ in job.group]


class SystematicFailure:
    """Stops the sweep when runs fail the same way before any succeeds: a plugin that does
    not import or a module that cannot be built fails every run, so the rest would only
    repeat the error. A UsageError (bad plugin/config: exit code 2) stops at once; another
    error when it has failed two runs of different settings (two runs of the one setting,
    when the sweep has only one), so one bad setting of a grid (`optimizer.lr=10,1e-2`)
    does not stop the healthy ones. A non-finite loss never stops it: it is the setting's
    training outcome (a learning rate too high), not a broken plugin; nor does a run planned
    blocked (its own dead link in the way: the caller leaves it out), which trains nothing."""

    def __init__(self, settings: int = 1) -> None:
        self.settings = settings  # how many settings the sweep trains
        self.succeeded = False
        self.failed_in: dict[
            str | None, list[Hashable]
        ] = {}  # error's shape -> settings it failed, in order
        self.first_error: dict[str | None, str | None] = {}  # shape -> its first wording
        self.reason: str | None = None

    def stops_after(self, outcome: RunOutcome, setting: Hashable = None) -> bool:
        """`setting`: what tells the run's setting from the others (its experiment and
        fixed overrides); None counts as one setting."""
        from repro.errors import NonFiniteLossError

        if outcome.status in ("completed", "skipped"):
            self.succeeded = True
        if outcome.status != "failed" or self.succeeded or self.reason:
            return bool(self.reason)
        if NonFiniteLossError.describes(outcome.error):
            return False
        shape = error_shape(outcome.error)
        hit = self.failed_in.setdefault(shape, [])
        hit.append(setting)
        self.first_error.setdefault(shape, outcome.error)
        spans = len(set(hit)) > 1 or (self.settings <= 1 and len(hit) > 1)
        if outcome.exit_code == 2 or spans:
            self.reason = self.first_error[shape]
            return True
        return False


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def error_shape(error: str | None) -> str | None:
    """An error with its numbers and quoted names blanked: a broken plugin's error often
    quotes the setting's own value (`negative dimension -1` / `-2`), and is still one error."""
    if error is None:
        return None
    return _NUMBER.sub("#", _QUOTED.sub("'…'", error))


def setting_of(run: PlannedRun) -> tuple[str, tuple[str, ...]]:
    """A run's setting: its seeds share it."""
    return run.experiment, tuple(run.fixed)


def settings_in(jobs: list[Job]) -> int:
    return len({setting_of(run) for job in jobs for run in job.runs})


@dataclass
class SweepOutcomes:
    by_run: dict[Path, RunOutcome]
    not_started: list[PlannedRun]
    stopped_because: str | None
    interrupted_by: RunOutcome | None = None  # a run stopped by SIGINT/SIGTERM: so is the sweep


def _interrupted(outcome: RunOutcome) -> bool:
    """A run stopped by a signal: the user (Ctrl-C) or the system (SIGTERM) wants the sweep
    to stop too, not to go on to the next run."""
    return outcome.status == "interrupted" or outcome.exit_code in (130, 143)  # SIGINT, SIGTERM


def run_in_process(jobs: list[Job]) -> SweepOutcomes:
    """The local launcher: one run after another in this process."""
    rule = SystematicFailure(settings_in(jobs))
    by_run: dict[Path, RunOutcome] = {}
    counter = SweepProgress(sum(len(job.runs) for job in jobs))
    for index, job in enumerate(jobs):
        rest = [run for j in jobs[index + 1 :] for run in j.runs]
        outcomes = run_job(job)
        for n, (run, outcome) in enumerate(zip(job.runs, outcomes, strict=True), 1):
            by_run[run.record_dir] = outcome
            # a group's seeds end together: one `k/N done, ETA ...` for them
            counter.finished(outcome.status, say=n == len(job.runs))
        for outcome in outcomes:
            if _interrupted(outcome):
                return SweepOutcomes(by_run, rest, None, interrupted_by=outcome)
        for run, outcome in zip(job.runs, outcomes, strict=True):
            if not run.blocked and rule.stops_after(outcome, setting_of(run)):
                return SweepOutcomes(by_run, rest, rule.reason)
    return SweepOutcomes(by_run, [], None)


def _signal_name(exit_code: int | None) -> str:
    if exit_code is not None and exit_code < 0:
        try:
            return signal.Signals(-exit_code).name
        except ValueError:
            return f"signal {-exit_code}"
    return f"exit code {exit_code}"


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """This process's Ctrl-C waits (blocked: pending, even while ignored) until the worker
    being spawned is in the pool, which the sweep's stop then reaches."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _start_without_ctrl_c(process: multiprocessing.process.BaseProcess) -> bool:
    """Start `process` with Ctrl-C ignored (an ignored signal stays ignored across exec), so
    a Ctrl-C during its Python start-up prints no traceback: the sweep stops it instead.
    Returns whether Ctrl-C was on here, for the worker to turn it back on."""
    if threading.current_thread() is not threading.main_thread():
        process.start()
        return signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        process.start()
    finally:
        signal.signal(signal.SIGINT, previous)
    return previous is not signal.SIG_IGN


class _Worker:
    def __init__(self, context: multiprocessing.context.SpawnContext) -> None:
        self.conn, child_end = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(child_end, os.getpid()), daemon=False
        )
        try:
            ctrl_c = _start_without_ctrl_c(self.process)
        finally:
            child_end.close()
        with contextlib.suppress(OSError):  # read before any job: whether to turn Ctrl-C on
            self.conn.send(ctrl_c)
        self.job: Job | None = None
        self.sent_at = 0.0
        self.asked = False

    def send(self, job: Job) -> None:
        """The job, with the parent's per-sweep environment as it is now: a worker kept
        from an earlier sweep (seeds=auto's pilot) was spawned with that sweep's."""
        self.job = job
        self.sent_at = time.time()
        with contextlib.suppress(OSError):  # it died idle: the wait sees it, the job is lost
            self.conn.send((job, {name: os.environ.get(name) for name in JOB_ENVIRONMENT}))

    def ask_to_stop(self) -> None:
        """A worker waiting for a job ends; one running a job checkpoints (SIGTERM, once:
        a second one would not wait for the checkpoint)."""
        if self.process.is_alive() and not self.asked:
            self.asked = True
            with contextlib.suppress(OSError):
                self.conn.send(None)
            if self.job is not None:
                self.process.terminate()

    def stop(self, grace_s: float) -> None:
        """Ask to stop, then make sure."""
        self.ask_to_stop()
        if self.process.is_alive():
            self.process.join(grace_s)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.conn.close()


JOB_ENVIRONMENT = ("REPRO_SWEEP_ID", COMMAND_CONTEXT_ENV, store.SEEDS_AUTO_ENV)
"""What each sweep sets in its environment for its jobs; sent with every job."""


class WorkerPool:
    """Worker processes that outlive one batch of jobs. Each new worker imports torch and
    Lightning again (about 4 s on a 2-core CPU, more with CUDA to start), so seeds=auto's
    stage two runs on the pilot's workers instead of spawning its own (`shared_workers`)."""

    def __init__(self) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []

    def take(self, count: int) -> list[_Worker]:
        """`count` idle workers: those still alive, and new ones for the rest."""
        for worker in [w for w in self.workers if not w.process.is_alive()]:
            worker.stop(1)
            self.workers.remove(worker)
        while len(self.workers) < count:
            with _ctrl_c_held():  # a Ctrl-C meanwhile arrives once the worker is listed
                self.workers.append(_Worker(self.context))
        return self.workers[:count]

    def replace(self, worker: _Worker) -> _Worker:
        """A new worker in place of one that died."""
        with _ctrl_c_held():
            fresh = _Worker(self.context)
            self.workers[self.workers.index(worker)] = fresh
        return fresh

    def close(self) -> None:
        """Every worker asked first, then waited for: they end side by side."""
        for worker in self.workers:
            worker.ask_to_stop()
        for worker in self.workers:
            worker.stop(ORPHAN_GRACE_S if worker.job is not None else 10)
        self.workers = []


_shared_pool: WorkerPool | None = None


def start_workers_early(count: int) -> None:
    """Spawn the shared pool's workers now, while this process still validates the sweep:
    each imports torch and Lightning (`_warm_up`) side by side with it instead of after it.
    At most one per core beside this process's own: more would slow its validation (a typo's
    error) as much as they save; the rest start with the first jobs, as before."""
    count = min(count, (os.cpu_count() or 1) - 1)
    if _shared_pool is not None and count > 0:
        _shared_pool.take(count)


@contextlib.contextmanager
def shared_workers() -> Iterator[None]:
    """While it lasts, every joblib batch of this process runs on the same workers."""
    global _shared_pool
    outer = _shared_pool
    _shared_pool = outer or WorkerPool()
    try:
        yield
    finally:
        if outer is None:
            _shared_pool.close()
        _shared_pool = outer


def run_in_workers(jobs: list[Job], workers: int) -> SweepOutcomes:
    """The joblib launcher: `workers` processes, each fed one job at a time over its pipe."""
    rule = SystematicFailure(settings_in(jobs))
    pool_owner = _shared_pool or WorkerPool()
    pending = list(jobs)
    by_run: dict[Path, RunOutcome] = {}
    runs = sum(len(job.runs) for job in jobs)  # a group may hand its seeds back, one job each
    counter = SweepProgress(sum(len(job.runs) for job in jobs))
    interrupted_by: RunOutcome | None = None
    with _stops_passed_on(pool_owner) as stops:
        try:
            pool = pool_owner.take(max(1, min(workers, runs)))
            while True:
                for worker in pool:
                    stopping = rule.reason or interrupted_by or stops  # a signal: too
                    if worker.job is None and pending and not stopping:
                        worker.send(pending.pop(0))
                running = [w for w in pool if w.job is not None]
                if not running:
                    break
                if stops:  # in case a worker's start-up ignored the signal passed on
                    for worker in running:
                        worker.ask_to_stop()
                waiting = [w.conn for w in running] + [w.process.sentinel for w in running]
                ready = wait(waiting, timeout=STOP_POLL_S)  # a signal noted meanwhile is seen
                for worker in running:
                    if worker.conn not in ready and worker.process.sentinel not in ready:
                        continue
                    job = worker.job
                    assert job is not None
                    outcomes = _receive(worker)
                    worker.job = None
                    if outcomes is None and stops and not _began(job, worker.sent_at):
                        worker.stop(1)  # the signal came before its run's handlers
                        pending.insert(0, job)  # not started: a rerun trains it
                        continue
                    if outcomes is None:  # the worker died with the job: only its runs are lost
                        outcomes = _lost_with(worker, job)
                        if pending and not (rule.reason or stops):
                            pool[pool.index(worker)] = pool_owner.replace(worker)
                    if job.group and outcomes is not None:
                        requeued = split_ungrouped(job, outcomes)
                        pending[:0] = requeued  # first: their workers start at once
                        ungrouped = {id(j.run) for j in requeued}
                        pairs = [(r, o) for r, o in zip(job.runs, outcomes, strict=True)]
                        outcomes = [o for r, o in pairs if id(r) not in ungrouped]
                        runs = [r for r, _ in pairs if id(r) not in ungrouped]
                    else:
                        runs = job.runs
                    for n, (run, outcome) in enumerate(zip(runs, outcomes, strict=True), 1):
                        by_run[run.record_dir] = outcome
                        # a group's seeds end together: one `k/N done, ETA ...` for them
                        counter.finished(outcome.status, say=n == len(runs))
                        if _interrupted(outcome):
                            interrupted_by = interrupted_by or outcome
                        if not run.blocked:  # its own link in the way: no broken plugin
                            rule.stops_after(outcome, setting_of(run))
                pool = [w for w in pool if w.process.is_alive() or w.job is not None]
        except BaseException:  # Ctrl-C here, or a bug: no worker outlives the sweep's stop
            pool_owner.close()
            raise
    if stops and interrupted_by is None:  # no run was training as it came
        name = signal.Signals(stops[0]).name
        interrupted_by = RunOutcome("interrupted", None, error=name, exit_code=128 + stops[0])
    if pool_owner is not _shared_pool or interrupted_by is not None:
        pool_owner.close()  # else every worker is idle: kept for the next batch
    not_started = [run for job in pending for run in job.runs]
    return SweepOutcomes(by_run, not_started, rule.reason, interrupted_by=interrupted_by)


def _began(job: Job, sent_at: float) -> bool:
    """Whether a run of the job wrote its config or record after it was sent: a run does so
    only with its signal handlers in place (before, a worker imports, composes and locks)."""
    since = sent_at - 0.05  # file times lag the clock by up to a kernel tick
    for run in job.runs:
        folder = run.record_dir
        with contextlib.suppress(OSError):
            for path in [*folder.glob("config*.yaml"), *folder.glob("record*.json")]:
                if path.stat().st_mtime >= since:
                    return True
    return False


def _lost_with(worker: _Worker, job: Job) -> list[RunOutcome]:
    """A worker died with its job: one line, its runs lost (the others go on), and the
    worker's process reaped."""
    worker.process.join(5)
    how = _signal_name(worker.process.exitcode)
    seeds = ",".join(str(run.seed) for run in job.runs)
    print(
        f"error: a worker process died ({how}) while running "
        f"{job.run.experiment} seed {seeds}; other runs go on",
        file=sys.stderr,
        flush=True,
    )
    worker.stop(1)
    return [
        RunOutcome("lost", run.record_dir, error=f"worker process died ({how})") for run in job.runs
    ]


@contextlib.contextmanager
def _stops_passed_on(pool: WorkerPool) -> Iterator[list[int]]:
    """A Ctrl-C or SIGTERM reaching the sweep is noted and passed on, as the same signal, to
    each worker with a job (a terminal's Ctrl-C has reached them already; a scheduler's
    SIGTERM, or a `kill -INT`, to the sweep's pid alone has not): its run checkpoints and
    records the signal. The sweep sends no further job, drains, prints its table and
    `sweep interrupted by <signal>`, and exits 130 / 143. Later signals change nothing: the
    exit code stays the one the records name. Before, a Ctrl-C raised where the sweep waited
    (no table) and a SIGTERM ended it at once (only the orphan watch stopped its runs)."""
    stops: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield stops
        return

    def pass_on(signum: int, frame: Any) -> None:
        stops.append(signum)
        hold_signals_to_exit()
        for worker in list(pool.workers):
            if worker.job is not None and worker.process.is_alive():
                with contextlib.suppress(ProcessLookupError):  # a kill(2): safe here
                    os.kill(worker.process.pid, signum)

    previous = {number: signal.signal(number, pass_on) for number in STOP_SIGNALS}
    try:
        yield stops
    finally:
        if not stops:
            for number, handler in previous.items():
                signal.signal(number, handler)


def _receive(worker: _Worker) -> list[RunOutcome] | None:
    """The job's outcomes, or None when the worker died before sending them."""
    try:
        if worker.conn.poll():
            return worker.conn.recv()
    except (EOFError, OSError):
        pass
    return None


def _warm_up() -> None:
    """Import what every job imports, while the worker waits for its first job (the sweep is
    still validating); a failure here is left for the job to meet and report. Not at a
    lower priority: the first job waits for it, and a starved import would hold that job."""
    with contextlib.suppress(Exception):
        import lightning.pytorch  # noqa: F401

        import repro.running.together  # noqa: F401
        from repro.config import compose  # noqa: F401


def _worker_main(conn: Connection, sweep_pid: int) -> None:
    """A worker's loop: one job per message until told to stop or the sweep is gone."""
    os.environ[SWEEP_PID_ENV] = str(sweep_pid)  # marks this process as a sweep's worker
    state = _OrphanWatch(sweep_pid)
    threading.Thread(target=state.watch, daemon=True, name="repro-orphan-watch").start()
    # daemon: a worker told to stop mid-import exits at once; a job waits for the imports
    # (never two threads importing the same modules at once)
    warm_up = threading.Thread(target=_warm_up, daemon=True, name="repro-warm-up")
    warm_up.start()
    try:
        if conn.recv():  # Ctrl-C was on in the sweep: ignored while this process started
            signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # the spawn may pass it on
        while (message := conn.recv()) is not None:
            warm_up.join()
            job, environment = message
            for name, value in environment.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            state.running.set()
            outcome = run_job(job, alone=False)
            state.running.clear()
            if state.orphaned:
                os._exit(143)
            conn.send(outcome)
    except (EOFError, OSError, KeyboardInterrupt):  # the sweep ended, or Ctrl-C while idle
        pass
    exit_now(0)  # the sweep waits for this: no second of teardown, no Ctrl-C traceback


class _OrphanWatch:
    """A worker whose sweep is gone (kill -9) stops: its run checkpoints on SIGTERM and is
    recorded `interrupted`, so the next sweep resumes it; no queued run is started."""

    def __init__(self, sweep_pid: int) -> None:
        self.sweep_pid = sweep_pid
        self.running = threading.Event()
        self.orphaned = False

    def watch(self) -> None:
        while os.getppid() == self.sweep_pid:
            time.sleep(ORPHAN_POLL_S)
        self.orphaned = True
        if self.running.is_set():
            os.kill(os.getpid(), signal.SIGTERM)
            deadline = time.monotonic() + ORPHAN_GRACE_S
            while self.running.is_set() and time.monotonic() < deadline:
                time.sleep(0.1)
        os._exit(143)
