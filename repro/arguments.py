"""How repro reads the words of its command line before a command runs: a command's options
may come before its name (`repro --papers-dir D papers`), and the commands that take
`paper=ID` take the paper as their first bare word too (`repro run mnist1d experiment=cnn`)."""

from __future__ import annotations

import difflib
import itertools
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from typer._click import exceptions as click  # typer vendors its own click
from typer.core import TyperCommand, TyperGroup

from repro.errors import ReproError, UsageError


def _raise(error: ReproError) -> NoReturn:
    raise error


PAPER_WORD_COMMANDS = ("run", "sweep", "report", "sync")  # their paper is a `paper=ID` word
_COMMAND_NAME = "repro.command"  # ctx.meta: the command being parsed, as typed


class ReproGroup(TyperGroup):
    """The `repro` group, lenient where habits differ: a command's options may come before its
    name (`repro --papers-dir D papers`), and the commands that take `paper=ID` take the paper
    as their first bare word too (`repro run mnist1d experiment=cnn`)."""

    refuse: Callable[[ReproError], NoReturn] = staticmethod(lambda error: _raise(error))
    """How a mistake found here ends: the CLI sets its one-line `error:` and exit code."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _command_options_after_name(self, ctx, list(args)))

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("terminal_width", help_width())  # every command's help inherits it
        try:  # `repro --badopt papers`: refused while repro's own options are parsed
            return super().make_context(*args, **kwargs)
        except click.NoArgsIsHelpError:  # bare `repro`: its help, as Click shows it
            raise
        except click.UsageError as error:
            type(self).refuse(UsageError(click_error_line(error, "repro")))

    def invoke(self, ctx: Any) -> Any:
        try:  # a command's options are parsed here, every command's refusals said alike
            return super().invoke(ctx)
        except click.UsageError as error:
            command = " ".join(["repro", *ctx.meta.get(_COMMAND_NAME, [])])
            type(self).refuse(UsageError(click_error_line(error, command)))

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[Any, Any, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta[_COMMAND_NAME] = [name] if name else []  # for a refusal without its context
        # not while completing: bash hands `paper=<TAB>` over as the words `paper`, `=`
        if name in PAPER_WORD_COMMANDS and command is not None and not ctx.resilient_parsing:
            try:
                rest = _paper_word_as_override(name, command, rest)
            except ReproError as error:  # before any command runs: said as a command says it
                type(self).refuse(error)
        return name, command, rest


class PlainUsageCommand(TyperCommand):
    """A command whose usage line names its arguments as Click always did (`PAPER`,
    `[PAPER]`): Typer 0.2x writes a required one as `{paper}`, which reads as a placeholder
    left unrendered (`repro show [OPTIONS] {paper}`). The same name is the argument's in the
    help's Arguments section and in Click's `missing argument 'PAPER'`, which otherwise say
    `paper`. Its help row has no Typer type tag either (`PAPER_ID <str>`): the name says
    what to type, as an option's `DIR` does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.param_type_name != "argument":
                continue
            if param.metavar is None:
                param.metavar = (param.name or "").upper()
            param.display_type_rich = _no_type_tag

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name != "argument":
                continue
            name = param.metavar or (param.name or "").upper()
            piece = name if param.required else f"[{name}]"
            pieces.append(piece if param.nargs == 1 else f"{piece}...")
        return pieces


def help_width() -> int:
    """The width `--help` is laid out in: Click's (the terminal's less 2, at most 78) without
    Click's floor of 50 columns, past which a 40-column terminal broke every long line
    mid-word; 20 at the least."""
    import shutil

    return max(min(shutil.get_terminal_size().columns, 80) - 2, 20)


def _no_type_tag(ctx: Any) -> None:
    """No `<str>` after an argument's name in its help row (Typer's `display_type_rich`)."""
    return None


def click_error_line(error: click.UsageError, command: str) -> str:
    """Click's refusal (`Usage: ...`, `Try ...`, `Error: No such option: --x`: three lines,
    not repro's one `error:` line) said as one line that names the option or argument;
    `command`: the words of the command refusing it, when Click's error has no context."""
    command = _command_words(error.ctx) if error.ctx is not None else command
    if isinstance(error, click.NoSuchOption) and error.ctx is not None:
        known = [n for p in error.ctx.command.get_params(error.ctx) for n in _option_names(p)]
        return unknown_option_line(error.option_name, command, known)
    message, _, guess = error.format_message().strip().rstrip(".?").partition(". Did you mean ")
    hint = f"did you mean {guess}?" if guess else f"see `{command} --help`"
    return f"{message[:1].lower()}{message[1:]} ({hint})"


def unknown_option_line(name: str, command: str, known: list[str]) -> str:
    """`unknown option --dryrun (did you mean --dry-run?)`, or the options `command` has."""
    close = difflib.get_close_matches(name.partition("=")[0], known, n=1)
    if close:
        return f"unknown option {name} (did you mean {close[0]}?)"
    return f"unknown option {name} for {command} (its options: {', '.join(known)})"


SWEEP_HYDRA_FLAGS = ("-m", "--multirun")
"""The Hydra flags `repro sweep` takes: it is a multirun already. Others (`--cfg job`,
`--info`) would be passed on unread, and the sweep would train as if they were not there."""
DRY_RUN_HABITS = ("--dry-run", "-n")  # what `repro run` is given by someone wanting a dry run


def refuse_unknown_options(arguments: list[str], command: str, own: list[str]) -> None:
    """Refuse by name an option that `repro run` / `repro sweep` would not act on: Click
    leaves every unknown `-word` among the Hydra overrides, where a sweep dropped it unread
    and trained, and a run gave it to Hydra's argparse (an 8-line usage) or read the value
    of a mistyped `--papers_dir DIR` as an override. `own`: the command's options."""
    from repro.config.overrides import HYDRA_FLAGS, HYDRA_FLAGS_WITH_VALUE, INFO_FLAGS

    hydra = HYDRA_FLAGS if command == "run" else SWEEP_HYDRA_FLAGS
    words = iter(arguments)
    for word in words:
        if not word.startswith("-") or word == "--":
            continue
        name = word.partition("=")[0]
        if name in own or name in hydra:
            if name == word and (name in HYDRA_FLAGS_WITH_VALUE or name in INFO_FLAGS):
                next(words, None)  # its value (`--cfg job`; `--info` is made `--info all`)
            continue
        raise UsageError(_unknown_option(word, command, own, hydra))


def _unknown_option(word: str, command: str, own: list[str], hydra: tuple[str, ...]) -> str:
    from repro.config.overrides import HYDRA_FLAGS

    name, typed = word.partition("=")[0], f"repro {command}"
    passed_on = [flag for flag in hydra if flag.startswith("--")] if command == "run" else []
    longs = list(dict.fromkeys([*own, *passed_on]))  # sweep's `-m` says nothing new: not offered
    if command == "run" and (name == "-n" or difflib.get_close_matches(name, DRY_RUN_HABITS)):
        return (
            f"unknown option {word}: repro run has no dry run (`--cfg job` prints the run's "
            "config without training; `repro sweep ... --dry-run` shows a sweep's plan)"
        )
    if command == "sweep" and name in HYDRA_FLAGS:
        return (
            f"unknown option {word} for {typed} (Hydra's flags are for `repro run`; "
            f"{typed} takes {', '.join(own)})"
        )
    return unknown_option_line(word, typed, longs)


def command_options(ctx: Any) -> list[str]:
    """The option names of the command `ctx` parses (`--papers-dir`, `--help`)."""
    return [name for param in ctx.command.get_params(ctx) for name in _option_names(param)]


def _command_words(ctx: Any) -> str:
    """`repro check` whatever the program was called (`python -m repro`, a console script)."""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name)
        ctx = ctx.parent
    return " ".join(["repro", *reversed(names)])


def _option_names(param: Any) -> tuple[str, ...]:
    return (*param.opts, *param.secondary_opts) if param.param_type_name == "option" else ()


def _takes_value(param: Any) -> bool:
    return not (getattr(param, "is_flag", False) or getattr(param, "count", False))


def _command_options_after_name(group: Any, ctx: Any, args: list[str]) -> list[str]:
    """`repro --papers-dir D papers` as `repro papers --papers-dir D`: options before the
    command's name that are the commands' (not repro's own) move after it. An option no
    command has, or one the named command lacks, is left for Click to refuse."""
    own = {name for param in group.get_params(ctx) for name in _option_names(param)}
    options = {
        name: _takes_value(param)
        for command in group.commands.values()
        for param in command.params
        for name in _option_names(param)
    }
    rest, moved, index = list(args), [], 0
    while index < len(rest) and rest[index].startswith("-") and rest[index] != "--":
        name = rest[index].partition("=")[0]
        if name in own:
            index += 1
            continue
        if name not in options:
            return args
        width = 2 if options[name] and "=" not in rest[index] else 1
        moved += rest[index : index + width]
        del rest[index : index + width]
    if not moved or index >= len(rest) or group.get_command(ctx, rest[index]) is None:
        return args
    return [*rest[: index + 1], *moved, *rest[index + 1 :]]


def _paper_word_as_override(command_name: str, command: Any, args: list[str]) -> list[str]:
    """`repro run mnist1d experiment=cnn` as `repro run paper=mnist1d experiment=cnn`: a first
    bare word before any key=value is the paper when it is a paper id. One that is not an id
    is refused with the command probably meant."""
    from repro.config.overrides import override_value
    from repro.plugins.paper_spec import ID_PATTERN

    hydra = command_name in ("run", "sweep")
    valued = {n for p in command.params if _takes_value(p) for n in _option_names(p)}
    index = paper_word_index(args, valued, hydra)
    if index is None:
        return args
    word, before, after = args[index], args[:index], args[index + 1 :]
    given = override_value([a for a in after if not a.startswith("-")], "paper")
    if ID_PATTERN.match(word) and given in (None, word):
        return [*before, *([] if given else [f"paper={word}"]), *after]
    if given is not None:
        raise UsageError(f"two papers, {word!r} and paper={given}: give one")
    guess = _closest_paper(word, _option_values(args, "--papers-dir"))
    typed = " ".join(shlex.quote(a) for a in ["repro", command_name, *before])
    rest = "".join(f" {shlex.quote(a)}" for a in after)
    if guess:
        meant = f"{typed} paper={guess}{rest}"
        raise UsageError(f"{word!r} is not a paper id: did you mean `{meant}`?")
    raise UsageError(
        f"{word!r} is not a paper id: name the paper as `{typed} paper=<id>{rest}` "
        "(`repro papers` lists them)"
    )


def paper_word_index(args: list[str], valued: set[str], hydra: bool) -> int | None:
    """Where a paper given as a bare word is in `args`: the first word after the leading options
    (and their values: `valued` options, and Hydra's own for `run` / `sweep`) when it is no
    key=value. Shell completion reads `repro run mnist1d <TAB>` by the same rule."""
    from repro.config.overrides import HYDRA_FLAGS_WITH_VALUE, INFO_CHOICES, INFO_FLAGS

    valued = valued | (HYDRA_FLAGS_WITH_VALUE if hydra else set())
    index = 0
    while index < len(args) and args[index] != "--" and args[index].startswith("-"):
        following = args[index + 1] if index + 1 < len(args) else None
        info = hydra and args[index] in INFO_FLAGS and following in INFO_CHOICES
        index += 2 if args[index] in valued or info else 1
    if index >= len(args) or args[index] == "--" or "=" in args[index]:
        return None
    return index


def _option_values(args: list[str], option: str) -> list[Path]:
    """The values of a repeatable option among raw arguments (`--opt V` and `--opt=V`)."""
    spaced = [value for name, value in itertools.pairwise(args) if name == option]
    joined = [a.partition("=")[2] for a in args if a.startswith(f"{option}=")]
    return [Path(value) for value in spaced + joined]


def _closest_paper(word: str, papers_dir: list[Path]) -> str | None:
    """The installed paper id a mistyped one (`MNIST1D`, `mnist-1d`) most likely means."""
    from repro.plugins.registry import discover

    try:
        known = list(discover(papers_dir))
    except ReproError:
        return None
    close = difflib.get_close_matches(word.lower().replace("-", "_"), known, n=1)
    return close[0] if close else None
