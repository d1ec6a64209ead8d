"""The `repro` command line: papers, show, run (and the commands built on run).

Heavy libraries (torch, Lightning, W&B, pandas) are imported inside the commands that need
them, so `repro --help` and `repro papers` stay fast.
"""

from __future__ import annotations

import dataclasses
import functools
import shlex
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from repro.arguments import (
    PlainUsageCommand,
    ReproGroup,
    command_options,
    refuse_unknown_options,
)
from repro.completion import (
    OverrideCompletingCommand,
    PaperCompletingCommand,
    RunCommand,
    complete_paper_id,
)
from repro.errors import (
    NothingToReport,
    ReproError,
    UnknownPaper,
    UsageError,
    did_you_mean,
    stop_within,
)


def _refuse(error: ReproError) -> NoReturn:
    """An error found before a command runs, said as `reports_errors` says it: one line and
    its exit code (raised as is when called from Python)."""
    if _state.get("raise_errors"):
        raise error
    _echo_wrapped(f"error: {error}", rest="  ", err=True)  # whole words on a terminal
    raise typer.Exit(error.exit_code)


ReproGroup.refuse = staticmethod(_refuse)


app = typer.Typer(
    name="repro",
    cls=ReproGroup,
    help="Reproduce published ML results and say, with evidence, whether each claim holds.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion; run/sweep complete their overrides too
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},  # every command's, but run's
)
HYDRA_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True}
# `repro run paper=X -h` is Hydra's help: the composed config and its groups
RUN_ARGS = {**HYDRA_ARGS, "help_option_names": ["--help"]}
PapersDirOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--papers-dir",
        metavar="DIR",
        help="Extra folder of paper plugins (repeatable); also REPRO_PAPERS_PATH.",
    ),
]
OVERRIDES_METAVAR = "paper=ID [experiment=NAME] [KEY=VALUE]..."
SWEEP_KEYS_TITLE = "Keys of `repro sweep` besides the config's:"
SWEEP_KEYS = (
    ("seeds=N", "seeds 0..N-1 per setting (default: paper.yaml's default_seeds)"),
    ("seeds=auto max_seeds=N", "a pilot, then as many seeds as the claims need (at most N)"),
    (
        "seeds_together=auto|true|false",
        "train a setting's seeds as one vectorized model in one process (auto: on a GPU when "
        "the plugin qualifies; SLURM, Ray: one job per setting when slurm.gpus >= 1 or "
        "trainer.accelerator=gpu)",
    ),
    (
        "launcher=NAME",
        "local (one after another), joblib (parallel processes), slurm (submitit), "
        "slurm_local (a local submitit), ray",
    ),
    (
        "slurm.KEY=VALUE",
        "SLURM resources of each job: slurm.partition=NAME slurm.time_min=N (minutes) "
        "slurm.gpus=N slurm.cpus=N slurm.mem_gb=N slurm.account=NAME "
        "slurm.max_parallel=N (jobs at once)",
    ),
)
"""Rows, not a block laid out by hand: a 78-column block broke mid-word in a narrower
terminal. Each key is short, as Click never wraps a row's first column."""


class SweepCommand(OverrideCompletingCommand):
    """`repro sweep`: its help ends with the table of its own keys, laid out to the help's
    width as the options are."""

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(SWEEP_KEYS_TITLE)
            formatter.write_paragraph()
            with formatter.indentation():  # narrow: the keys give the text more room
                col_max = max(8, min(22, formatter.width // 3))
                # Click wraps a row's text as if at the options' indent: 2 columns less
                formatter.width -= 2
                try:
                    formatter.write_dl(SWEEP_KEYS, col_max=col_max)
                finally:
                    formatter.width += 2


ResultsOption = Annotated[
    Path | None,
    typer.Option(
        "--results", metavar="DIR", help="Results folder (default $REPRO_RESULTS_DIR or results)."
    ),
]
_state: dict[str, Any] = {"debug": False}
UNLIMITED_WIDTH = 10_000  # table width when stdout is not a terminal: never cut a cell


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a ReproError into one stderr line and its exit code; tracebacks only with --debug."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ReproError as error:
            if _state.get("raise_errors"):  # called from Python (repro.api): keep the exception
                raise
            # one made of a Ctrl-C's empty text (`error: `, exit 2) is the stop's line; one
            # that says something (a record unwritable as the stop was handled) says it
            if not str(error).strip() and (stop := stop_within(error)) is not None:
                _exit_stopped(stop)
            if _state["debug"]:
                traceback.print_exc()
            _echo_wrapped(f"error: {error}", rest="  ", err=True)  # whole words on a terminal
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt as stop:
            _exit_stopped(stop)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BrokenPipeError:  # the reader left (`| head`): Click ends it silently, exit 1
            raise
        except Exception as error:  # a bug: still one line unless --debug
            if (stop := stop_within(error)) is not None:
                _exit_stopped(stop)
            if _state["debug"]:
                traceback.print_exc()
            from repro.config.compose import malformed_yaml

            if problem := malformed_yaml(error):  # a plugin's YAML file: the user's to fix
                if _state.get("raise_errors"):
                    raise UsageError(problem) from error
                _echo_wrapped(f"error: {problem}", rest="  ", err=True)
                raise typer.Exit(2) from None
            _echo_wrapped(
                f"error: internal error: {type(error).__name__}: {error} "
                "(rerun with --debug for the traceback)",
                rest="  ",
                err=True,
            )
            raise typer.Exit(1) from None

    return wrapper


def _print_version(asked: bool) -> None:
    """`repro 0.1.0 from <package folder>`: which copy answers matters when a checkout and a
    wheel install are both around."""
    if asked:
        from importlib.metadata import version

        typer.echo(f"repro {version('repro')} from {Path(__file__).resolve().parent}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Reproduce published ML results and say, with evidence, whether each claim holds.

    Examples: `repro papers`, `repro show mnist1d`,
    `repro run paper=mnist1d experiment=cnn seed=0`.
    """
    _state["debug"] = debug
    if debug:  # the run's own failure handler, in this process and in launcher workers
        import os

        from repro.plugins.failures import DEBUG_ENV

        os.environ[DEBUG_ENV] = "1"


def _debug_first(arguments: list[str]) -> list[str]:
    """`repro run --debug ...` means `repro --debug run ...`: the flag is the app's, and a
    command that passes its arguments on to Hydra must not receive it."""
    if "--debug" not in arguments[1:]:
        return arguments
    return ["--debug", *(a for a in arguments if a != "--debug")]


@app.command(short_help="List the installed paper plugins.")
@reports_errors
def papers(papers_dir: PapersDirOption = None) -> None:
    """List installed paper plugins by id, with where each is from. They are searched in
    --papers-dir, REPRO_PAPERS_PATH, packages, built-in, ./papers: the first found wins."""
    from repro.plugins.registry import code_syntax_problem, discover

    rows = []
    for paper_id, plugin in sorted(discover(papers_dir).items()):
        try:
            spec = plugin.spec()
        except ReproError as error:
            rows.append((paper_id, f"BROKEN: {error}", "", "", "", plugin.origin))
            continue
        if problem := code_syntax_problem(plugin, spec):
            rows.append((paper_id, f"BROKEN: {problem}", "", "", "", plugin.origin))
            continue
        rows.append(
            (
                paper_id,
                spec.title,
                f"{spec.venue}",
                str(len(spec.experiments)),
                str(len(spec.claims)),
                plugin.origin,
            )
        )
    _print_table(("paper", "title", "venue", "experiments", "claims", "from"), rows)


@app.command(
    short_help="Show a paper's experiments, claims and how to reproduce them.",
    cls=PlainUsageCommand,
)
@reports_errors
def show(
    paper: Annotated[
        str, typer.Argument(help="Paper id, e.g. mnist1d.", shell_complete=complete_paper_id)
    ],
    papers_dir: PapersDirOption = None,
) -> None:
    """Show a paper's metadata, experiments and claims (`repro show mnist1d`, or
    `paper=mnist1d` as the other commands take it)."""
    from repro.plugins.registry import code_syntax_problem, get_paper

    plugin = get_paper(_paper_id(paper), papers_dir)
    spec = plugin.spec()
    if problem := code_syntax_problem(plugin, spec):
        typer.echo(f"warning: {problem} (`repro check {plugin.id}` lists what to fix)", err=True)
    _echo_wrapped(spec.title, rest="  ")  # an 86-character title was cut inside a word
    _echo_wrapped(f"{', '.join(spec.authors)} — {spec.venue}", rest="  ")
    typer.echo(f"paper: {spec.paper_url}\ncode:  {spec.code_url or '-'}\nfolder: {plugin.folder}")
    if spec.data_instructions and spec.data_instructions.strip():
        _echo_wrapped(f"data: {' '.join(spec.data_instructions.split())}", rest="  ")
    if spec.notes:
        typer.echo("")
        for line in spec.notes.strip().splitlines():  # a `|` block keeps its lines
            _echo_wrapped(line)
    typer.echo("\nexperiments:")
    _print_table(("experiment", "description"), list(spec.experiments.items()))
    from repro.config.app import plugin_overrides
    from repro.sweeping.plan import completed_seeds

    not_counted: list[str] = []
    try:
        done = completed_seeds(
            plugin.id, plugin_overrides(plugin.folder), spec.claimed_experiments(), not_counted
        )
    except ReproError as error:  # the metadata above is still worth showing
        typer.echo(f"warning: records not counted: {error}", err=True)
        done = {}
    for line in not_counted:  # a damaged seed is no silent gap in `0/5`
        typer.echo(f"warning: record not counted: {line}", err=True)
    if not spec.claims:  # an empty table's header read as claims lost
        typer.echo("\nclaims: none; the plugin ships no claims to check")
    else:
        typer.echo("")
        _echo_wrapped("claims (records: completed seeds of the default setting / default_seeds):")
        _print_table(
            ("claim", "experiment", "metric", "claimed", "within", "source", "records"),
            [
                (
                    c.id + ("" if c.verified else " (unverified)"),
                    _claim_subject(c),
                    c.metric,
                    _claimed_text(c),
                    "" if c.tolerance is None else f"±{c.tolerance:g}",
                    c.source,
                    " ".join(f"{done.get(e, '?')}/{spec.default_seeds}" for e in c.experiments()),
                )
                for c in spec.claims
            ],
            aside="source",
        )
    from repro.wording import plural

    folders = "".join(f" --papers-dir {shlex.quote(str(d))}" for d in papers_dir or [])
    from rich.cells import cell_len
    from rich.console import Console

    typer.echo("\nTo reproduce:")
    # each command whole on its line, its comment wrapped onto `#` lines a shell takes too
    reports = f"reports/{plugin.id}/"
    # with no claims a sweep runs every experiment (sweeping.plan), not none of them
    swept = spec.claimed_experiments() or list(spec.experiments)
    sweep = (
        f"{plural(len(swept), 'experiment')} × "
        f"{plural(spec.default_seeds, 'seed')}; skips completed runs"
    )
    judged = "verdict per claim" if spec.claims else "its runs, no claims to judge"
    for command, comment in (
        (f"repro sweep{folders} paper={plugin.id}    ", sweep),
        (f"repro report{folders} paper={plugin.id}   ", f"{judged}, in {reports}"),
    ):
        if sys.stdout.isatty() and cell_len(f"  {command}# {comment}") > Console().width:
            typer.echo(f"  {command.rstrip()}")
            _echo_wrapped(comment, "    # ", "    # ")
        else:
            typer.echo(f"  {command}# {comment}")


def _paper_id(word: str) -> str:
    """`mnist1d` or `paper=mnist1d`: one way to name a paper, whichever command takes it."""
    key, sep, value = word.partition("=")
    return value if sep and key.lstrip("+") == "paper" else word


def _claim_subject(claim: Any) -> str:
    return (
        f"{claim.experiment} {claim.direction} {claim.versus}" if claim.versus else claim.experiment
    )


def _claimed_text(claim: Any) -> str:
    """What the claims table says is claimed: for a comparison only its direction, its
    experiment cell already saying `a < b` (twice, the rival took room that folded names)."""
    if claim.kind == "comparison":
        return claim.direction
    prefix = f"{claim.direction} " if claim.kind == "threshold" else ""
    spread = f" ± {claim.std:g}" if claim.std is not None else ""
    return f"{prefix}{claim.value:g}{spread}"


def _print_table(
    header: tuple[str, ...],
    rows: list[tuple[str, ...]],
    paths: str | None = None,
    aside: str | None = None,
) -> None:
    """`paths`: the header of a column of folders, which a terminal too narrow for the table
    gets below it, one folder a line, instead of folded inside the column; `aside`: a column
    of long text (a source) a narrow terminal gets below it too, after each row's first cell."""
    from rich.console import Console
    from rich.table import Table

    # Without a terminal (a log file, a pipe) nothing is cut or wrapped: paths stay whole.
    width = Console().width if sys.stdout.isatty() else UNLIMITED_WIDTH
    below: dict[str, list[str]] = {}
    # a grid's settings of one experiment share its rows' experiment and seed: below the
    # table, each folder says its setting (overrides) as its row did
    settings = [row[header.index("overrides")] for row in rows] if "overrides" in header else []
    if rows and _natural_width(header, rows) > width:  # a column with nothing in it says nothing
        kept = [i for i in range(len(header)) if any(str(row[i]).strip() for row in rows)]
        header = tuple(header[i] for i in kept)
        rows = [tuple(row[i] for i in kept) for row in rows]
    for name in (paths, aside):  # one dropped above for being empty has nothing to move
        if name in header and _natural_width(header, rows) > width:
            column = header.index(name)
            below[name] = [row[column] for row in rows]
            firsts = [row[0] for row in rows]
            header = header[:column] + header[column + 1 :]
            rows = [row[:column] + row[column + 1 :] for row in rows]
    # too wide: no space at the table's edges, two more columns for names to stay whole in
    edge = _natural_width(header, rows) <= width
    table = Table(*header, show_lines=False, box=None, header_style="bold", pad_edge=edge)
    for row in rows:
        table.add_row(*row)
    for column in table.columns:  # a narrow terminal wraps a long path, never cuts it
        column.overflow = "fold"
    if _fit_text(table, header, rows, width):
        Console(width=width).print(table)
    else:  # its names alone are wider than the terminal: Rich would fold them (`logisti|c_acc`)
        _print_blocks(header, rows, width)
    for name, values in below.items():
        lines = (
            _folder_lines(values, settings if any(settings) else None)
            if name == paths
            else [f"{first}: {value}" for first, value in zip(firsts, values, strict=True)]
        )
        if lines:  # rows with no record to name (`-`): no heading over nothing
            typer.echo(f"{name.removesuffix('s')}s:")
        for line in lines:
            _echo_wrapped(line, "  ", "    ")


def _echo_wrapped(text: str, first: str = "", rest: str = "", err: bool = False) -> None:
    """`text` wrapped at whole words to a terminal's width, whole in a pipe (wording.wrap_for)."""
    from repro.wording import wrap_for

    for line in wrap_for(sys.stderr if err else sys.stdout, text, first, rest):
        typer.echo(line, err=err)


def _say(line: str) -> None:
    """A line of `repro sweep`'s (the plan, --dry-run's estimates and stages) wrapped at whole
    words, its continuation indented: the terminal cut `already comp|leted` at 80 columns."""
    _echo_wrapped(line, rest="  ")


def _natural_width(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> int:
    """The width of the table with no cell wrapped: its widest cells and a space either side."""
    natural = _column_widths(header, rows)
    return sum(natural) + 2 * len(header)


def _column_widths(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[int]:
    """Each column's widest cell in the columns a terminal gives it (a CJK character: two)."""
    from rich.cells import cell_len

    return [
        max([cell_len(name), *(cell_len(str(row[i])) for row in rows)])
        for i, name in enumerate(header)
    ]


def _folder_lines(folders: list[str], settings: list[str] | None = None) -> list[str]:
    """The table's folders, those of one parent on one line (`results/p/cnn/ab12/ seed0
    seed1`): the rows' experiment and seed say which is whose; with `settings` (each row's
    overrides, when a grid has several settings of one experiment) each line ends with its
    own, `(optimizer.lr=0.1)` or `(no overrides)`."""
    children: dict[str, list[str]] = {}
    labels: dict[str, list[str]] = {}
    for index, folder in enumerate(folders):
        if folder == "-":  # a row without a record
            continue
        parent, _, name = folder.rpartition("/")
        key = f"{parent}/" if parent else ""
        children.setdefault(key, []).append(name)
        if settings is not None:
            labels.setdefault(key, []).append(settings[index] or "no overrides")
    experiments = [parent.rstrip("/").rpartition("/")[0] for parent in children]
    if len(set(experiments)) == len(experiments):  # one setting each: the rows tell them
        labels = {}
    return [
        f"{parent} {' '.join(dict.fromkeys(names))}".strip()
        + (f" ({' / '.join(dict.fromkeys(labels[parent]))})" if parent in labels else "")
        for parent, names in children.items()
    ]


def _print_blocks(header: tuple[str, ...], rows: list[tuple[str, ...]], width: int) -> None:
    """A table too wide for the terminal even with its text wrapped, one block per row: its
    first cell on a line of its own, then each other cell after its header, every name whole."""
    from repro.wording import pack

    for row in rows:
        typer.echo(row[0])
        cells = [f"{name}: {cell}" for name, cell in zip(header[1:], row[1:], strict=True)]
        for line in pack([cell for cell in cells if not cell.endswith(": ")], width, "  ", "    "):
            typer.echo(line)


def _fit_text(table: Any, header: tuple[str, ...], rows: list[tuple[str, ...]], width: int) -> bool:
    """In a terminal narrower than the table, wrap its columns of text (a title, a venue, a
    detail: those with a space) and keep the names beside them whole. Tables were printed at
    least 120 wide, so an 80- or 100-column terminal broke every row in two at its edge; Rich
    alone shrinks the names as much as the text (`set_transfor|mer`). The text columns share
    what the names leave, the narrow ones whole first. False when too little is left for
    that: no table of the terminal's width keeps its names whole."""
    natural = _column_widths(header, rows)
    if _natural_width(header, rows) <= width:
        return True
    padding = 2 * len(header) - 2  # a space either side of each cell, none at the edges
    texts = [i for i in range(len(header)) if any(" " in str(row[i]) for row in rows)]
    if not texts:
        return sum(natural) + padding <= width
    left = width - padding - sum(natural[i] for i in range(len(header)) if i not in texts)
    # each column's longest word whole (`Representati|ons` was cut while a venue kept its
    # whole width) where there is room for all of them; the rest shared, narrow ones first
    words = {
        i: max(
            len(w)
            for cell in [header[i], *(str(row[i]) for row in rows)]
            for w in cell.split() or [""]
        )
        for i in texts
    }
    if sum(words.values()) <= left:
        order = sorted(texts, key=lambda i: natural[i])
        for position, i in enumerate(order):
            others = sum(words[j] for j in order[position + 1 :])
            fair = left // (len(order) - position)
            share = min(natural[i], max(words[i], fair), left - others)
            table.columns[i].width = share
            left -= share
        return True
    if left >= MIN_TEXT_WIDTH * len(texts):
        for position, i in enumerate(sorted(texts, key=lambda i: natural[i])):
            share = min(natural[i], left // (len(texts) - position))
            table.columns[i].width = share
            left -= share
        return True
    return False  # the names alone leave the text too little room: no table fits


MIN_TEXT_WIDTH = 8  # the narrowest a wrapped column of text is still read at


def _resolve_paper(
    overrides: list[str], papers_dir: list[Path] | None
) -> tuple[Any, Any, list[str]]:
    """The plugin and its spec, its experiments checked; and the overrides with an
    `experiment=glob(...)` written out as the experiments it matches."""
    from repro.config.checks import refuse_removed_sections
    from repro.config.overrides import (
        expand_glob,
        override_value,
        refuse_a_list_for_a_sweep,
        refuse_derived_keys,
        sweep_values,
    )
    from repro.plugins.registry import discover, get_paper, known_papers

    refuse_derived_keys(overrides)
    refuse_removed_sections(overrides)
    raw = override_value(overrides, "paper")
    if raw is None:
        known = known_papers(discover(papers_dir), papers_dir)
        raise UsageError(f"missing paper=<id> (known: {known})")
    values = sweep_values(raw)
    if len(values) != 1:
        raise UsageError("one paper per command: give paper=<id> a single value")
    plugin = get_paper(values[0], papers_dir)
    spec = plugin.spec()
    for word in overrides:  # `repro run mnist1d cnn`: Hydra read `cnn` as a key
        if "=" not in word and word in spec.experiments:
            raise UsageError(f"{word!r} alone is no override: write experiment={word}")
    overrides = expand_glob(overrides, "experiment", list(spec.experiments))
    experiment = override_value(overrides, "experiment")
    if experiment is not None:
        refuse_a_list_for_a_sweep("experiment", experiment)
    # `experiment=` (empty) too: Hydra's answer names the group `experiment/` with no options
    for name in sweep_values(experiment) if experiment is not None else []:
        if name not in spec.experiments:
            known = ", ".join(spec.experiments)
            hint = did_you_mean(name, spec.experiments)
            raise UsageError(
                f"unknown experiment {name!r} for paper {plugin.id!r} ({hint}known: {known})"
                + _unlisted_experiment_file(plugin.folder, name)
            )
    return plugin, spec, overrides


def _unlisted_experiment_file(folder: Path, name: str) -> str:
    """The fix when experiment/<name>.yaml exists but paper.yaml does not list it: a user who
    just wrote the file otherwise reads "unknown experiment" with the file right there."""
    path = folder / "experiment" / f"{name}.yaml"
    if not name or Path(name).name != name or not path.is_file():  # not `../paper`
        return ""
    return (
        f": {path} exists, but paper.yaml's experiments: does not list it: "
        f"add `{name}: <description>` there"
    )


def _answer_hydra_help(arguments: list[str]) -> bool:
    """Hydra's own help flags: `--hydra-help` prints Hydra's help (it composes no paper, so
    the overrides are left out); `--shell-completion` installs completion for Hydra scripts,
    which repro is not, so it gets one line pointing at repro's own. `--experimental-rerun`
    loads a `.hydra/config.pickle`, which repro never writes (the config is in the record):
    its value was read as an override, or Hydra's loader failed as an internal error."""
    from repro.running.hydra_task import invoke

    if any(a.partition("=")[0] == "--experimental-rerun" for a in arguments):
        raise UsageError(
            "--experimental-rerun reruns Hydra's .hydra/config.pickle, which repro does not "
            "write: a setting's record.json keeps the command that reruns it (add rerun=true "
            "to train a completed setting again)"
        )
    if "--shell-completion" in arguments or "-sc" in arguments:
        raise UsageError(
            "--shell-completion completes Hydra's own scripts; for repro use "
            "`repro --install-completion` (bash, zsh, fish; completes paper=, experiment= "
            "and config keys)"
        )
    if "--hydra-help" in arguments:
        invoke(["--hydra-help"])
        return True
    return False


PRINT_ONLY_FLAGS = {"--cfg", "-c", "--info", "-i", "-h", "--help", "--version"}
"""Hydra flags that print the composed config (or the app's help) instead of running: no
experiment needed."""


def prepare_hydra_arguments(
    arguments: list[str], papers_dir: list[Path] | None
) -> tuple[list[str], Any, Any]:
    """Validate paper, experiments and overrides; return Hydra's argv with the plugin wired in."""
    from repro.config.app import CONFIG_DIR, CONFIG_NAME, plugin_overrides
    from repro.config.checks import validate
    from repro.config.overrides import (
        check_overrides,
        override_value,
        split_overrides,
        sweep_values,
    )

    overrides, flags = split_overrides(arguments)
    plugin, spec, overrides = _resolve_paper(overrides, papers_dir)
    # `launcher=ray -m`: Hydra's "unknown hydra/launcher 'ray'" read as no such launcher
    _check_launcher_installed(launcher_named(overrides))
    printing = {flag.partition("=")[0] for flag in flags} & PRINT_ONLY_FLAGS  # `--cfg=job` too
    if override_value(overrides, "experiment") is None and not printing:
        # the run said "(see `repro show <paper>`)", which for a --papers-dir plugin
        # answered "unknown paper"; with -m, each run failed on it in a table
        raise UsageError(
            f"choose an experiment of {plugin.id}: experiment=<name> "
            f"(known: {', '.join(spec.experiments)})"
        )
    multirun = "-m" in flags or "--multirun" in flags
    clashing = printing - {"-h", "--help", "--version"}  # no modes: they print, -m or not
    if multirun and clashing:  # Hydra's ValueError "Only one of --run, --multirun, --cfg..."
        shown = next(f.partition("=")[0] for f in flags if f.partition("=")[0] in clashing)
        raise UsageError(
            f"-m and {shown} do not go together: {shown} prints one run's config; "
            "drop -m and give each key one value"
        )
    if not multirun:
        for override in overrides:
            if len(sweep_values(override.partition("=")[2])) > 1:
                raise UsageError(f"{override!r} has several values: add -m, or use `repro sweep`")
    full = overrides + plugin_overrides(plugin.folder)
    for cfg, variant in check_overrides(CONFIG_DIR, CONFIG_NAME, full):
        experiment = override_value(variant, "experiment")
        if experiment:  # without one, the run itself says to choose one
            # before anything is written; printing writes no record to claim fp16 in
            validate(cfg, experiment, plugin, spec, recorded=not printing)
    return flags + full, plugin, spec


def _refuse_sweep_keys(args: list[str], papers_dir: list[Path] | None = None) -> None:
    """`seeds=`, `max_seeds=`, `seeds_together=` given to `repro run`: Hydra's answer
    ('unknown config key, write +seeds_together=...') leads nowhere; say whose key it is,
    with the --papers-dir the run was given, so the sweep it names finds the plugin."""
    from repro.config.overrides import override_value
    from repro.sweeping.execute import SWEEP_KEYS

    for arg in args:
        key, equals, value = arg.partition("=")
        if equals and key.lstrip("+~") in SWEEP_KEYS:
            paper = override_value(args, "paper") or "<id>"
            name = key.lstrip("+~")
            folders = "".join(f" --papers-dir {shlex.quote(str(d))}" for d in papers_dir or [])
            raise UsageError(
                f"{name} is a `repro sweep` key: "
                f"`repro sweep paper={paper} {name}={value}{folders}`"
            )


@app.command(
    context_settings=RUN_ARGS,
    cls=RunCommand,
    options_metavar=f"[OPTIONS] {OVERRIDES_METAVAR}",
    short_help="Train and test one setting; write its run record.",
)
@reports_errors
def run(ctx: typer.Context, papers_dir: PapersDirOption = None) -> None:
    """Train and test one setting, then write its run record under results/.

    Arguments are Hydra overrides: `repro run paper=mnist1d experiment=cnn seed=0
    trainer.max_steps=100`. Hydra flags work too (`--cfg job`, `-m`). A setting whose
    completed record exists is not trained again unless `rerun=true`.
    """
    from repro.config.app import command_context
    from repro.running.hydra_task import invoke

    refuse_unknown_options(list(ctx.args), "run", command_options(ctx))
    if "-h" in ctx.args and not any(a.startswith("paper=") for a in ctx.args):
        typer.echo(ctx.get_help())  # Hydra's -h helps with one paper's config; none is named
        return
    if _answer_hydra_help(list(ctx.args)):
        return
    _refuse_sweep_keys(list(ctx.args), papers_dir)
    arguments, _, _ = prepare_hydra_arguments(list(ctx.args), papers_dir)
    with command_context(papers_dir, []):  # what each run records as its command
        outcomes = invoke(arguments)
    printed = {a.partition("=")[0] for a in arguments} & {"--cfg", "-c"}
    if printed and "--resolve" not in arguments:  # `results_dir: ${oc.env:...}` read as set
        _echo_wrapped(
            "note: each ${...} above is printed unresolved, as written; add --resolve to "
            "print the values a run would use",
            rest="  ",
            err=True,
        )
    if outcomes and ("-m" in arguments or "--multirun" in arguments):
        from repro.sweeping.launch import results_of_outcomes

        _print_results(results_of_outcomes(outcomes))
    failed = [o for o in outcomes if o.status in ("failed", "interrupted") or o.exit_code]
    if failed:
        raise typer.Exit(max(o.exit_code for o in failed) or 1)


@app.command(
    context_settings=HYDRA_ARGS,
    cls=SweepCommand,
    options_metavar=f"[OPTIONS] {OVERRIDES_METAVAR}",
    short_help="Run every experiment the claims need × N seeds.",
)
@reports_errors
def sweep(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan and time estimate; run nothing.")
    ] = False,
    papers_dir: PapersDirOption = None,
) -> None:
    """Run every experiment the paper's claims need × N seeds; skip runs already completed.

    `repro sweep paper=mnist1d seeds=3 launcher=joblib`. Launchers: local (one after another),
    joblib (parallel processes), slurm (submitit; slurm.partition=... slurm.gpus=...),
    slurm_local, ray. A user grid uses Hydra's syntax: `experiment=cnn,gru optimizer.lr=1e-3,1e-2`.
    Failed or interrupted runs are redone; exits 1 unless every run ends completed.
    """
    from repro.config.app import plugin_overrides
    from repro.config.checks import validate_sweep
    from repro.config.overrides import override_value, split_overrides
    from repro.sweeping import stages
    from repro.sweeping.execute import SweepKeys, resumes_of, trains_together
    from repro.sweeping.jobs import shared_workers, start_workers_early
    from repro.sweeping.launch import joblib_workers
    from repro.sweeping.plan import build_grid, plan_sweep, sweep_plan_line

    refuse_unknown_options(list(ctx.args), "sweep", command_options(ctx))
    overrides, flags = split_overrides(list(ctx.args))
    keys, overrides = SweepKeys.parse(overrides)
    plugin, spec, overrides = _resolve_paper(overrides, papers_dir)
    seeds = keys.seeds
    if keys.auto:
        from repro.sweeping.two_stage import pilot_size

        seeds = pilot_size(spec.default_seeds)
        keys = dataclasses.replace(keys, max_seeds=stages.cap_for(keys.max_seeds, seeds))
    _check_launcher_installed(launcher_named(overrides))
    if override_value(overrides, "launcher") == "joblib":
        joblib_workers(overrides)  # a bad worker count is refused in a dry run too
    grid = build_grid(spec, overrides, seeds)
    if keys.auto:
        stages.require_one_setting(grid)
    wiring = plugin_overrides(plugin.folder)
    planned, results_dir = plan_sweep(plugin.id, wiring, grid)
    _state["results_dir"] = results_dir  # `repro.sweep` reads back the folder it swept
    if keys.auto:  # a damaged plan file: refused before the pilot, not after it
        from repro.records.fingerprint import code_fingerprint
        from repro.sweeping.auto_seeds import (
            readable_plan,
            refuse_a_first_plan_before_its_pilot,
            sized_by_claims,
        )

        readable_plan(results_dir, plugin.id)
        # seeds a fixed sweep ran past the pilot: refused now, not after training the pilot
        refuse_a_first_plan_before_its_pilot(
            results_dir,
            plugin.id,
            seeds,
            {
                run.experiment: run.record_dir.parent.name
                for run in planned
                if run.experiment in sized_by_claims(spec, list(grid.experiments))
            },
            code_fingerprint(plugin.folder)["digest"],
        )
    todo = [run for run in planned if run.needs_training]
    # joblib's workers: spawned before validation (they import torch and Lightning while it
    # runs) and kept for seeds=auto's stage two
    with shared_workers():
        if todo and not dry_run and override_value(overrides, "launcher") == "joblib":
            start_workers_early(min(joblib_workers(overrides), len(todo)))
        validate_sweep(plugin, spec, wiring, grid)  # a typo fails here, not in every run
        together = bool(todo or dry_run) and trains_together(keys, overrides)  # auto: torch
        # the line counts what runs: a group it resumes may bring seeds, or only test them
        resumes = resumes_of(planned, plugin.id, papers_dir, together)
        _say(sweep_plan_line(plugin.id, grid, planned, resumes[0]))
        if dry_run:
            _print_dry_run(planned, resumes, spec, grid, keys, plugin, together)
            return
        train = functools.partial(
            _train_planned,
            paper_id=plugin.id,
            wiring=wiring,
            overrides=overrides,
            flags=flags,
            results_dir=results_dir,
            papers_dir=papers_dir,
        )
        with stages.marking(keys.auto, seeds, keys.max_seeds):
            pilot_ok = train(planned, together=together, resumes=resumes)
        if keys.auto and pilot_ok:
            stage_two = stages.plan_after_pilot(
                plugin.id, spec, grid, planned, results_dir, keys.max_seeds, _say, _warn
            )
            if stage_two:
                more = stages.plan_stage_two(plugin.id, wiring, grid, stage_two)
                to_train = [run for run in more if run.needs_training]
                _say(
                    f"seeds=auto: stage two: {stages.describe(stage_two)}: "
                    f"{len(more)} runs, {len(to_train)} to run, "
                    f"{len(more) - len(to_train)} already completed"
                )
                together = bool(to_train) and trains_together(keys, overrides)
                values = getattr(stage_two, "pilot_values", None)
                with stages.marking(True, seeds, keys.max_seeds, stage_two, values):
                    trained = train(more, together=together)
                if not trained:
                    raise typer.Exit(1)
        elif keys.auto:
            _warn(stages.pilot_not_complete_line(planned))
    if not pilot_ok:
        raise typer.Exit(1)


def interrupted_sweep_line(signal_name: str, not_started: int, rerun: bool) -> str:
    """The last line of a stopped sweep: what the same sweep does when run again (rerun=true
    resumes nothing: it starts every run over, the interrupted ones too)."""
    again = "the same sweep again starts every run over" if rerun else "sweep again to resume"
    return f"error: sweep interrupted by {signal_name}: {not_started} run(s) not started; {again}"


def _train_planned(
    planned: list[Any],
    *,
    together: bool,
    paper_id: str,
    wiring: list[str],
    overrides: list[str],
    flags: list[str],
    results_dir: Path,
    papers_dir: list[Path] | None,
    resumes: tuple[list[Any], list[str]] | None = None,
) -> bool:
    """Train what the plan still needs and print the table; True when every run ended
    completed. A stop (Ctrl-C, SIGTERM) ends the command with its exit code. `resumes`:
    the plan with its resumes and their lines, when the caller planned them already."""
    from repro.sweeping.execute import run_planned
    from repro.sweeping.launch import ALREADY_COMPLETED, BUSY, COMPLETE_RESULTS

    jobs, results = run_planned(
        planned,
        paper_id,
        wiring,
        overrides,
        flags,
        results_dir,
        papers_dir,
        together,
        _warn,
        resumes=resumes,
    )
    counts = _print_results(results)
    _warn_stopped_short([r.run.record_dir for r in results if r.result == ALREADY_COMPLETED])
    if jobs is not None and jobs.interrupted_by is not None:
        from repro.config.overrides import override_value
        from repro.running.checkpointing import signal_name_for_exit_code

        code = jobs.interrupted_by.exit_code or 130
        rerun = (override_value(overrides, "rerun") or "").lower() == "true"  # a bool (checks)
        _warn(interrupted_sweep_line(signal_name_for_exit_code(code), len(jobs.not_started), rerun))
        raise typer.Exit(code)
    if counts.get(BUSY):
        from repro.running.together import HELD_BACK

        # a group's seeds held back for its busy seed: no process is running them
        back = sum(r.result == BUSY and r.detail.startswith(HELD_BACK) for r in results)
        waiting = f", {back} not started as their group waits for it" if back else ""
        _warn(
            f"error: {counts.get(BUSY, 0) - back} run(s) held by another process that is running "
            f"them{waiting}; sweep again once it ends"
        )
    # a run completed whose files could not all follow its record said so in an `error:`
    # line: the sweep's exit code says it too (it was 0, its table `trained`). A run found
    # busy is not: its row says what the other process left (completed: no failure)
    unsettled = jobs is not None and any(
        o.exit_code and o.status != "busy" for o in jobs.by_run.values()
    )
    return not unsettled and not any(r.result not in COMPLETE_RESULTS for r in results)


def _print_dry_run(
    planned: list[Any],
    resumes: tuple[list[Any], list[str]],
    spec: Any,
    grid: Any,
    keys: Any,
    plugin: Any,
    together: bool,
) -> None:
    """`repro sweep --dry-run`: the plan, its time estimate, seeds=auto's stages, which
    runs resume (as the sweep says it), and whether seeds train together."""
    from repro.sweeping import stages
    from repro.sweeping.jobs import jobs_for
    from repro.sweeping.launch import (
        estimate_notes,
        estimate_seconds,
        format_seconds,
        hardware_key,
        job_seconds,
    )
    from repro.sweeping.plan import DONE, SUMMARY_ABOVE, differing_overrides

    resumed, lines = resumes

    # with the seeds a group brings; a blocked seed's run stops at once, training nothing;
    # a run another process trains (or held back for its group's busy seed) is found busy
    def trains(run: Any) -> bool:
        return run.needs_training and not (run.blocked or run.held or run.held_back)

    todo = [run for run in resumed if trains(run)]
    jobs = [job for job in jobs_for(resumed, [], together) if any(map(trains, job.runs))]
    timed = jobs  # no time of this sweep's for runs it does not train
    estimates = estimate_seconds(resumed, hardware_key())
    if len(resumed) > SUMMARY_ABOVE:
        _print_plan_summary(resumed, estimates, together)
    else:
        # as the table the sweep ends with: what tells an experiment's settings apart, if any
        shown = differing_overrides(resumed)
        rows = [
            (
                r.experiment,
                str(r.seed),
                *([] if shown is None else [shown[id(r)]]),
                r.state,
                (
                    format_seconds(estimates[r.record_dir])
                    if r.needs_training and not (r.held or r.blocked)
                    else "-"
                ),
                _relative(r.record_dir),
            )
            for r in resumed  # with the seeds a group it resumes brings
        ]
        header = ("experiment", "seed", "state", "estimate", "record")
        if shown is not None:
            header = (*header[:2], "overrides", *header[2:])
        _print_table(header, rows, "record")
    _warn_stopped_short([r.record_dir for r in resumed if r.state == DONE])
    per_job = job_seconds(timed, estimates)  # a group of seeds: one process, its time once
    known = [seconds for seconds in per_job if seconds is not None]
    unknown = sorted(
        {r.experiment for job, s in zip(timed, per_job, strict=True) if s is None for r in job.runs}
    )
    total = f"estimated training time, one after another: {format_seconds(sum(known))}"
    if not timed:  # every run done or held: `0 s` read as an estimate of runs to come
        total = "estimated training time: nothing to train"
    elif unknown and not known:
        total = (
            "estimated training time, one after another: unknown (no completed runs of these "
            "experiments on this hardware yet)"
        )
    elif unknown:
        total = total.replace(": ", ": over ", 1) + (
            f", and unknown for {', '.join(unknown)} (no completed runs of "
            f"{'it' if len(unknown) == 1 else 'them'} on this hardware yet)"
        )
    if together and known:
        total += " (each group of seeds trained together counted once)"
    _say(total)
    for note in estimate_notes([r for r in resumed if not (r.held or r.blocked)], hardware_key()):
        _say(note)  # scaled from runs of another length: no measurement of this setting
    if keys.auto:
        for line in stages.dry_run_lines(
            spec, grid, planned, estimates, keys.max_seeds, plugin.folder, together
        ):
            _say(line)
    for line in lines:
        _say(line)
    if not timed:  # nothing to train: neither on nor off says anything true of it
        return
    _say(
        f"seeds together: on, {len(jobs)} job(s) for {len(todo)} run(s), each setting's seeds "
        "in one process where the plugin qualifies"
        if together
        else "seeds together: off (seeds_together=true to train a setting's seeds at once)"
    )


def _warn(line: str) -> None:
    """A warning on stderr, wrapped at whole words on a terminal (whole in a pipe)."""
    _echo_wrapped(line, rest="  ", err=True)


def _warn_stopped_short(folders: list[Path]) -> None:
    """The warning `repro run` gives a completed run trainer.max_time ended short (a report
    leaves it out of every verdict), for each such run a sweep found completed: its table
    says only `already completed` (`done` in --dry-run), and the sweep trains it no further."""
    from repro.running.hydra_task import short_of_setting
    from repro.running.runner import RunOutcome

    for folder in folders:
        if line := short_of_setting(RunOutcome("skipped", folder)):
            line = line.replace("warning: ", f"warning: {_relative(folder)}: ", 1)
            _echo_wrapped(line, rest="  ", err=True)  # 230 characters: whole words on a terminal


def _print_results(results: list[Any]) -> dict[str, int]:
    """The table `repro sweep` and `repro run -m` end with: one row per run, then counts."""
    from repro.sweeping.launch import summary_counts
    from repro.sweeping.plan import differing_overrides

    # a grid's settings of one experiment differ only there (optimizer.lr=inf,1e-2)
    shown = differing_overrides([r.run for r in results])
    rows = [
        (
            r.run.experiment,
            str(r.run.seed),
            r.result,
            _wall_text(r.wall_s),
            r.detail,
            _record_cell(r),
        )
        for r in results
    ]
    header = ("experiment", "seed", "result", "wall", "detail", "record")
    if shown is not None:
        header = (*header[:2], "overrides", *header[2:])
        rows = [
            (*row[:2], shown[id(r.run)], *row[2:]) for r, row in zip(results, rows, strict=True)
        ]
    _print_table(header, rows, "record")
    counts = summary_counts(results)
    _echo_wrapped(", ".join(f"{v} {k}" for k, v in counts.items()), rest="  ")  # 90+ characters
    return counts


def _wall_text(wall_s: float | None) -> str:
    """A run's wall time to a tenth of a second, as the table has always shown it."""
    from repro.sweeping.launch import tenths_of_seconds

    return "-" if wall_s is None else tenths_of_seconds(wall_s)


def _print_plan_summary(planned: list[Any], estimates: dict[Path, Any], together: bool) -> None:
    """A large plan as one row per experiment and setting (seeds, states, estimate)."""
    from repro.sweeping.launch import format_seconds
    from repro.sweeping.plan import setting_summaries

    summaries = setting_summaries(planned, estimates, together)
    experiments = [s.experiment for s in summaries]
    several = len(set(experiments)) < len(experiments)  # an experiment with several settings
    common = set.intersection(*(set(s.fixed) for s in summaries)) if summaries else set()
    rows = [
        (
            s.experiment,
            s.seeds,
            *([" ".join(o for o in s.fixed if o not in common)] if several else []),
            s.states,
            format_seconds(s.estimate_s) if s.to_train else "-",
            f"{_relative(s.folder)}/seed*",
        )
        for s in summaries
    ]
    header = ("experiment", "seeds", "runs", "estimate", "records")
    if several:  # as the per-run table: only what tells an experiment's settings apart
        header = (*header[:2], "overrides", *header[2:])
    _print_table(header, rows, "records")


def _record_cell(result: Any) -> str:
    """A failed run's folder, where it keeps a record: `-` where none is (a run refused at
    fit start: what its start wrote was taken back), as no record was there to read."""
    from repro.records import store
    from repro.sweeping.launch import FAILED

    folder = result.run.record_dir
    kept = (folder / name for name in (store.RECORD_FILE, store.FAILED_RERUN_FILE))
    if result.result == FAILED and not any(path.exists() for path in kept):
        return "-"
    return _relative(folder)


def _relative(path: Path) -> str:
    from repro.sweeping.stages import relative

    return relative(path)


def launcher_named(overrides: list[str]) -> str | None:
    """The launcher asked for, as `launcher=ray` or in Hydra's own `hydra/launcher=ray`."""
    from repro.config.overrides import override_value

    return override_value(overrides, "launcher") or override_value(overrides, "hydra/launcher")


def _check_launcher_installed(launcher: str | None) -> None:
    """Optional launchers get an install hint instead of Hydra's 'could not find'."""
    import importlib.util

    plugins = {
        "ray": "hydra_plugins.hydra_ray_launcher",
        "joblib": "hydra_plugins.hydra_joblib_launcher",
        "slurm": "hydra_plugins.hydra_submitit_launcher",
    }
    module = plugins.get(launcher or "")
    if module and importlib.util.find_spec(module) is None:
        raise UsageError(f"launcher {launcher!r} is not installed: {_launcher_install(module)}")


def _launcher_install(module: str) -> str:
    """The pip command that installs the launcher here: the checkout's pinned install (ray
    is its extra; joblib and submitit are core dependencies: repro has no extra 'core'), or,
    in a wheel install, which has no `.` nor constraints.txt, repro's own requirements."""
    import shlex
    from importlib.metadata import PackageNotFoundError, requires

    from repro import resources

    ray = module.endswith("ray_launcher")
    if resources.checkout_root() is not None:
        return "pip install -c constraints.txt -e " + ("'.[ray]'" if ray else ".")
    name = module.rpartition(".")[2].replace("_", "-")  # hydra-ray-launcher
    try:
        requirements = requires("repro") or []
    except PackageNotFoundError:
        requirements = []
    chosen = [r for r in requirements if ('extra == "ray"' in r if ray else r.startswith(name))]
    wanted = [r.partition(";")[0].replace(" ", "") for r in chosen]
    return "pip install " + " ".join(shlex.quote(r) for r in wanted or [name])


@app.command(short_help="Create a paper plugin folder from the template.", cls=PlainUsageCommand)
@reports_errors
def new(
    paper_id: Annotated[str, typer.Argument(help="Id of the new paper (lowercase, _).")],
    papers_dir: Annotated[
        Path,
        typer.Option("--papers-dir", metavar="DIR", help="Folder to create the plugin in."),
    ] = Path("papers"),
) -> None:
    """Create a paper plugin folder from the template; it passes `repro check` as is.
    The default folder, ./papers, is searched by every command run from this folder."""
    from repro.plugins.scaffold import check_command, create_plugin, name_check_command

    folder = create_plugin(papers_dir, paper_id)
    command = check_command(papers_dir, paper_id)
    if command != f"repro check {paper_id}":  # paper.yaml's first line names it too
        name_check_command(folder, paper_id, command)
    typer.echo(f"created {folder}\nnext: edit paper.yaml, model.py, data.py, then `{command}`")


@app.command(short_help="Check plugins: train each experiment a few steps.", cls=PlainUsageCommand)
@reports_errors
def check(
    paper: Annotated[
        str | None,
        typer.Argument(
            help="Paper id; all installed papers when omitted.", shell_complete=complete_paper_id
        ),
    ] = None,
    papers_dir: PapersDirOption = None,
) -> None:
    """Check plugins: the paper file, that the code imports and builds, then trains each
    experiment for a few steps (debug=fast: 5 steps, no loggers, a throwaway results folder,
    no record kept) and requires every metric the claims name to be logged. Exits 1 on any
    problem. `repro check mnist1d` or `paper=mnist1d`; all installed papers when omitted."""
    from repro.plugins.registry import discover, get_paper
    from repro.running.check import check_paper

    chosen = [get_paper(_paper_id(paper), papers_dir)] if paper else None
    plugins = chosen or list(discover(papers_dir).values())
    results = [row for plugin in plugins for row in check_paper(plugin)]
    _print_table(
        ("paper", "checked", "result", "detail"),
        [(r.paper, r.subject, "ok" if r.ok else "FAIL", r.detail) for r in results],
    )
    failures = sum(not r.ok for r in results)
    typer.echo(f"{len(results) - failures} ok, {failures} failed")
    for r in results:
        if not r.ok:
            _echo_wrapped(f"error: {r.paper} {r.subject}: {r.detail}", rest="  ", err=True)
    if failures:
        raise typer.Exit(1)


@app.command(
    context_settings=HYDRA_ARGS,
    cls=PaperCompletingCommand,
    options_metavar="[OPTIONS] [paper=ID[,ID...]]",
    short_help="Write the reproduction report from the records.",
)
@reports_errors
def report(
    ctx: typer.Context,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            metavar="md|html|pdf",
            help="Also write html or pdf (repeatable, or a comma list: html,pdf); md is "
            "always written; an earlier report's other outputs are kept.",
        ),
    ] = None,
    csv: Annotated[
        bool, typer.Option("--csv", help="Also write the long table (run × metric) as records.csv.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Report folder (default reports/<paper>); with several papers, their parent.",
        ),
    ] = None,
    results: ResultsOption = None,
    configs: Annotated[
        list[str] | None,
        typer.Option(
            "--config",
            metavar="HASH",
            help="Judge an experiment on this config hash instead of the paper's "
            "setting; marked as a deviation (repeatable).",
        ),
    ] = None,
    papers_dir: PapersDirOption = None,
) -> None:
    """Write a reproduction report from the run records: verdict per claim, figures,
    hyperparameters, compute, provenance.

    `repro report paper=mnist1d [--format html,pdf] [--csv]`; with no paper=, every
    paper that has records. Your notes go in reports/<paper>/notes.md (kept across runs).
    """
    from repro.reporting.aggregate import missing_metrics
    from repro.reporting.build import build_report, requests_from_cli

    requests, implicit = requests_from_cli(
        list(ctx.args), formats, csv, out, results, configs, papers_dir
    )
    if implicit:  # a papers folder that is wrong is the command's mistake, said once
        from repro.plugins.registry import discover

        discover(papers_dir)
    written = skipped = 0
    missing: list[str] = []
    failed: list[str] = []
    for request in requests:
        try:
            outcome = build_report(request)
        except ReproError as error:
            if isinstance(error, UsageError):
                error = _with_plugin_hint(error, request)
            if not implicit:
                raise error from None
            # every paper with records: one paper's problem does not stop the others' reports;
            # one without a plugin or readable records is skipped, a failed report (a broken
            # plugin, a failed write) still fails
            if isinstance(error, (UnknownPaper, NothingToReport)):
                _warn(f"warning: {request.paper}: {error} (skipped)")
                skipped += 1
            else:
                _warn(f"warning: {request.paper}: {error} (not written)")
                failed.append(request.paper)
            continue
        for line in outcome.warnings:
            _warn(line)  # `... is from an earlier report ...`: 200 characters
        # whole words on a terminal: the notes line is ~100 characters (`regen|erations`)
        _echo_wrapped(f"{outcome.paper}: {outcome.overall} ({outcome.summary})", rest="  ")
        for path in outcome.files:
            typer.echo(f"  {_relative(path.resolve())}")
        if outcome.notes_created:
            _echo_wrapped(
                f"{_relative(outcome.notes_path.resolve())}: new; write what was easy or "
                "difficult there (kept across regenerations)",
                "  ",
                "    ",
            )
        written += 1
        missing += [f"{outcome.paper} {claim}" for claim in missing_metrics(outcome.results)]
    if failed:
        above = "the warning above" if len(failed) == 1 else "the warnings above"
        raise ReproError(f"no report written for {', '.join(failed)} (see {above})")
    if not written:
        raise ReproError(
            "no report written: every paper with records was skipped (warnings above)"
            if skipped
            else "no report written: no installed paper matches the records"
        )
    if missing:  # the report is written, but a plugin logs under the wrong name: fix it
        raise ReproError(metric_missing_line(missing))


def metric_missing_line(missing: list[str]) -> str:
    """What `repro report` ends with (and `repro.report` warns) when completed runs did not
    log a claim's metric (`missing`: `<paper> <claim> (<metric>...)` each)."""
    return (
        f"metric missing: completed runs did not log the metric of {', '.join(missing)}; "
        "fix the plugin's self.log names (`repro check` lists what it logs), or the claim's "
        "metric in paper.yaml: either may be wrong"
    )


def _with_plugin_hint(error: UsageError, request: Any) -> UsageError:
    """Records of a paper whose plugin is not found: say how to point at the plugin."""
    from repro.plugins.registry import ELSEWHERE_HINT, PATH_ENV, discover
    from repro.records.store import paper_recorded_elsewhere

    records = Path(request.results_dir) / request.paper
    try:
        installed = request.paper in discover(request.papers_dir)
    except ReproError:
        return error
    if installed or not records.is_dir():
        return error
    known = str(error).removesuffix(ELSEWHERE_HINT)  # the hint below is the specific one
    if owner := paper_recorded_elsewhere(records):  # no plugin to look for: move the runs
        return type(error)(
            f"{known}; {records} holds records of paper {owner!r} (a folder renamed or "
            f"copied from {records.parent / owner}?): move them there to report them"
        )
    return type(error)(  # still an UnknownPaper, which `repro report` of every paper skips
        f"{known}; {records} holds its records: point at the folder holding the plugin "
        f"{request.paper}/ with `repro report --papers-dir DIR paper={request.paper}` or "
        f"{PATH_ENV}=DIR"
    )


@app.command(
    context_settings=HYDRA_ARGS,
    cls=PaperCompletingCommand,
    options_metavar="[OPTIONS] [paper=ID]",
    short_help="Upload the offline W&B runs.",
)
@reports_errors
def sync(
    ctx: typer.Context,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="List the offline runs and what would be uploaded."),
    ] = False,
    results: ResultsOption = None,
) -> None:
    """Upload the offline W&B runs of the run records with `wandb sync` (needs an API key and
    network); already synced runs are skipped.

    `repro sync [paper=X] [--dry-run]`: --dry-run lists them (paper, experiment, seed, run id,
    synced, folder) without network.
    """
    from repro.records.table import default_results_dir
    from repro.running.wandb_sync import parse_arguments
    from repro.running.wandb_sync import sync as sync_offline_runs

    sync_offline_runs(default_results_dir(results), parse_arguments(list(ctx.args)), dry_run)


def _stop_line(stop: KeyboardInterrupt) -> str:
    from repro.errors import Terminated

    return "interrupted by SIGTERM" if isinstance(stop, Terminated) else "interrupted"


def _stop_code(stop: KeyboardInterrupt) -> int:
    return int(getattr(stop, "exit_code", 130))


def _exit_stopped(stop: KeyboardInterrupt) -> NoReturn:
    """A command stopped by Ctrl-C or SIGTERM: one line, the signal's exit code."""
    typer.echo(f"error: {_stop_line(stop)}", err=True)
    raise typer.Exit(_stop_code(stop)) from None


def main() -> None:
    """Console-script entry point."""
    from repro.errors import raise_terminated
    from repro.running.fast_exit import code_of, exit_now

    signal.signal(signal.SIGTERM, raise_terminated)  # one line and exit 143, not a bare -15
    try:
        app(args=_debug_first(sys.argv[1:]))
        code = 0
    except KeyboardInterrupt as stop:
        print(f"error: {_stop_line(stop)}", file=sys.stderr)
        code = _stop_code(stop)
    except SystemExit as done:
        code = code_of(done)
    exit_now(code)  # the work is done and written: no second of interpreter teardown
