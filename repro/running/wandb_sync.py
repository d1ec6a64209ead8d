"""`repro sync`: upload the offline W&B runs of the run records with `wandb sync`.

Runs log offline by default, each attempt into its own folder `<record>/wandb/offline-run-*`
(a rerun has its own run id, a resumed attempt continues its run). The plan reads only the
records and those folders, so `--dry-run` needs no network and imports no W&B code; an
upload checks first that the server answers, so no network costs seconds, not minutes.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from repro.errors import ReproError, UsageError
from repro.records import store
from repro.records.table import record_files
from repro.wording import pack, plural, wrap_for

RUN_FOLDERS = "wandb/offline-run-*"
SYNCED_SUFFIX = ".synced"  # wandb sync's marker beside an uploaded run-<id>.wandb
UPLOAD_TIMEOUT_S = 1800  # one run's upload; a backstop, the server was reachable a moment ago


@dataclass(frozen=True)
class OfflineRun:
    """One offline W&B run folder of a run record."""

    paper: str
    experiment: str
    seed: str
    run_id: str
    folder: Path
    synced: bool


def offline_runs(
    results_dir: Path, paper: str | None = None, said: list[str] | None = None
) -> list[OfflineRun]:
    """Every offline run folder of the records under results_dir (one paper's if given),
    earlier attempts included. A record that cannot be read (damaged, a link to a disk not
    mounted now) keeps its runs, named by their folder, and a warning in `said`: passed
    over without a word, they were never uploaded, and nothing said so; so does a folder
    that could not be listed."""
    runs: list[OfflineRun] = []
    unlisted: list[tuple[Path, OSError]] = []
    for record_file in record_files(results_dir, paper, unlisted):
        try:
            record = store.parse_json(record_file.read_text())
        except (OSError, ValueError) as error:  # parse_json: nested too deeply is a ValueError
            record = None
            why = str(error) or type(error).__name__
            why = store.DEAD_LINK if not record_file.exists() else why
            if said is not None:
                said.append(f"warning: unreadable record {record_file} ({why})")
        if not isinstance(record, dict):
            record = _labels_of(record_file.parent)
        for folder in sorted(record_file.parent.glob(RUN_FOLDERS)):
            log = next(iter(sorted(folder.glob("run-*.wandb"))), None)
            if log is None:  # nothing was written: nothing to upload
                continue
            runs.append(
                OfflineRun(
                    paper=str(record.get("paper", "?")),
                    experiment=str(record.get("experiment", "?")),
                    seed=str(record.get("seed", "?")),
                    run_id=log.stem.removeprefix("run-"),
                    folder=folder,
                    synced=log.with_name(log.name + SYNCED_SUFFIX).exists(),
                )
            )
    if said is not None:
        for folder, error in unlisted:
            why = error.strerror or str(error)
            said.append(f"warning: could not list {folder} ({why}): its runs are not uploaded")
    return runs


def _labels_of(record_dir: Path) -> dict[str, str]:
    """Paper, experiment and seed of a record folder, from its place
    (`<paper>/<experiment>/<hash>/seed<N>`), for a record that cannot be read."""
    parts = record_dir.parts
    if len(parts) < store.RECORD_DEPTH:
        return {}
    seed = store.SEED_FOLDER.fullmatch(parts[-1])
    labels = {"paper": parts[-4], "experiment": parts[-3]}
    return {**labels, "seed": seed.group(1)} if seed else labels


def sync(results_dir: Path, paper: str | None, dry_run: bool) -> None:
    """List (dry run) or upload the offline runs not yet synced; one line per upload.
    Raises when the server cannot be reached or any upload failed."""
    said: list[str] = []
    runs = offline_runs(results_dir, paper, said)
    for line in said:
        print(line, file=sys.stderr)
    pending = [run for run in runs if not run.synced]
    if dry_run:
        _print_plan(runs, results_dir)
        counts = (
            f"{plural(len(runs), 'offline run')}: {len(pending)} to upload, "
            f"{len(runs) - len(pending)} already synced (dry run: nothing uploaded)"
        )
        print("\n".join(wrap_for(sys.stdout, counts, rest="  ")))  # whole words on a terminal
        return
    if not runs:
        of = f" of {paper}" if paper else ""
        print(f"no offline W&B runs{of} under {results_dir}: nothing to upload")
        return
    if not pending:
        synced = "already synced" if len(runs) == 1 else "all already synced"
        print(f"{plural(len(runs), 'offline run')}, {synced}: nothing to upload")
        return
    _require_api_key()
    problem = _server_problem()
    if problem:
        raise ReproError(f"{problem}; nothing uploaded ({len(pending)} runs stay offline)")
    failures = 0
    for run in pending:
        ok, detail = upload_folder(run.folder)
        failures += not ok
        where = _shown(run.folder, results_dir)
        status = "uploaded" if ok else "FAILED  "
        print(f"{status} {run.paper}/{run.experiment} seed {run.seed} {run.run_id} {where}", end="")
        print(f": {detail}" if not ok and detail else "", flush=True)
    if failures:
        raise ReproError(f"{failures} of {len(pending)} offline runs failed to upload")
    print(f"{plural(len(pending), 'offline run')} uploaded")


def upload_folder(folder: Path) -> tuple[bool, str]:
    """`wandb sync <folder>`: whether it worked, and the last line it printed if not."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "wandb", "sync", str(folder)],
            capture_output=True,
            text=True,
            timeout=UPLOAD_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return False, f"no answer within {UPLOAD_TIMEOUT_S} s"
    output = (done.stderr.strip() or done.stdout.strip()).splitlines()
    return done.returncode == 0, output[-1] if output else f"exit code {done.returncode}"


def _server_problem() -> str | None:
    """Why W&B's server cannot be reached now (None if it answers)."""
    from repro.running.loggers import server_unreachable_reason, wandb_base_url

    url = wandb_base_url()
    problem = server_unreachable_reason(url)
    return f"cannot reach {url}: {problem}" if problem else None


def _require_api_key() -> None:
    from repro.running.loggers import has_wandb_api_key

    if not has_wandb_api_key():
        raise UsageError(
            "uploading needs a W&B API key (set WANDB_API_KEY or run `wandb login`); "
            "`repro sync --dry-run` lists the runs without one"
        )


def _print_plan(runs: list[OfflineRun], results_dir: Path) -> None:
    header = ("paper", "experiment", "seed", "run id", "synced", "folder")
    rows = [
        (r.paper, r.experiment, r.seed, r.run_id, _yes_no(r.synced), _shown(r.folder, results_dir))
        for r in runs
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    if sys.stdout.isatty() and sum(widths) + 2 * len(widths) > _terminal_width():
        _print_blocks(header, rows)
        return
    for row in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())


def _terminal_width() -> int:
    from rich.console import Console

    return Console().width


def _print_blocks(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """The plan in a terminal too narrow for its table (a terminal folded its rows anywhere,
    `offline-ru|n-...`): each run's id on a line of its own, its other fields under it."""
    run_id, folder = header.index("run id"), header.index("folder")
    for row in rows:
        print(row[run_id])
        fields = [f"{name}: {cell}" for name, cell in zip(header, row, strict=True)]
        short = [f for i, f in enumerate(fields) if i not in (run_id, folder)]
        lines = pack(short, _terminal_width(), "  ", "    ")
        lines += wrap_for(sys.stdout, fields[folder], "  ", "    ")  # a path: on a line of its own
        print("\n".join(lines))


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _shown(folder: Path, results_dir: Path) -> str:
    try:
        return str(folder.relative_to(results_dir))
    except ValueError:
        return str(folder)


def parse_arguments(arguments: list[str]) -> str | None:
    """The paper of `repro sync [paper=X]` (None: every paper)."""
    from repro.plugins.paper_spec import ID_PATTERN, ID_RULE

    paper = None
    for argument in arguments:
        key, sep, value = argument.partition("=")
        if key != "paper" or not sep:
            raise UsageError(f"unknown argument {argument!r}: repro sync takes only paper=<id>")
        if not ID_PATTERN.match(value):
            raise UsageError(f"invalid paper id {value!r}: use {ID_RULE}")
        paper = value
    return paper
