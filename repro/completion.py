"""Shell completion of the free `key=value` words of `repro run` / `sweep` / `report` / `sync`
and of paper-id arguments (`repro show ID`, `repro check ID`).

Click completes options and declared arguments only; the overrides are extra arguments, so
these commands complete them themselves: `paper=<installed ids>`, `experiment=<the chosen
paper's experiments>`, config group choices (`launcher=`, `logger=`, `debug=`...) and config
keys (`trainer.`, `trainer.max_steps=`) from the composed config of the chosen paper.
bash splits words at '=' (COMP_WORDBREAKS) and replaces only the part after it: the split
words are joined again here, and only that part is returned (see `complete_override`).
Any failure completes nothing: a TAB must never print an error into the user's prompt.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand

SWEEP_KEYS = ("seeds=", "max_seeds=", "seeds_together=")
HIDDEN_KEYS = ("paper", "paper_dir", "experiment_name")  # given, or filled in by repro


class OverrideCompletingCommand(TyperCommand):
    """A typer command whose free `key=value` words complete like options do."""

    paper_only = False  # True: the words are `paper=ID` alone (report, sync)

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        from typer._click.shell_completion import CompletionItem  # typer vendors click

        if incomplete.startswith("-"):
            return super().shell_complete(ctx, incomplete)
        try:
            words = complete_override(
                list(ctx.args),
                incomplete,
                self.name == "sweep",
                ctx,
                after_equals=_bash_word_is_equals(),
                paper_only=self.paper_only,
            )
        except Exception:  # a broken plugin or config: no suggestions rather than an error
            words = []
        return [CompletionItem(word, type="plain") for word in words]


class RunCommand(OverrideCompletingCommand):
    """`repro run`: `-h` is left to Hydra (its help of a paper's config) and so is no click
    option, yet without paper= it answers run's own help; the Options list says both, as
    every other command's lists `-h, --help`."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        help_option = self.get_help_option(ctx)
        rows = []
        for param in self.get_params(ctx):
            row = param.get_help_record(ctx)
            if param is help_option:
                row = ("-h, --help", "Show this message and exit; with paper=ID, Hydra's help.")
            if row is not None and param.param_type_name == "option":
                rows.append(row)
        if rows:
            with formatter.section("Options"):
                formatter.write_dl(rows)


class PaperCompletingCommand(OverrideCompletingCommand):
    """A typer command whose free words are `paper=ID[,ID...]` (report, sync)."""

    paper_only = True


def complete_paper_id(ctx: Any, param: Any, incomplete: str) -> list[str]:
    """`shell_complete=` of a paper-id argument (`repro show ID`, `repro check ID`)."""
    try:
        return _prefixed(_values("paper", [], ctx), incomplete)
    except Exception:  # a broken plugin folder: no suggestions rather than an error
        return []


def complete_override(
    previous: list[str],
    incomplete: str,
    sweep: bool = False,
    ctx: Any = None,
    *,
    after_equals: bool = False,
    paper_only: bool = False,
) -> list[str]:
    """What the shell should insert for the word being typed after the words `previous`.

    bash splits words at '=' (COMP_WORDBREAKS): `paper=mnist1d experiment=c` arrives as
    `paper`, `=`, `mnist1d`, `experiment`, `=` and the current word `c`, and bash replaces only
    that `c`. So the split words are joined again before matching, and the part of the joined
    word bash already has (`experiment=`) is cut off the candidates. `after_equals`: bash's
    current word is the '=' itself (`paper=` + TAB), which click hands on as ''.
    """
    words, current, kept = _rejoin(previous, incomplete, after_equals)
    words = _paper_word_as_key(words, hydra=not paper_only)
    if paper_only:
        candidates = _complete_paper_word(words, current, ctx)
    else:
        candidates = _complete_joined(words, current, sweep, ctx)
    return [c[len(kept) :] for c in candidates if c.startswith(kept) and c != kept]


def _rejoin(previous: list[str], incomplete: str, after_equals: bool) -> tuple[list[str], str, str]:
    """(previous words joined at '=', the whole current word, its part the shell keeps)."""
    words = list(previous)
    kept = ""
    if after_equals and words:  # `paper=|`: bash's word is the '=', readline's is empty
        kept = incomplete = f"{words.pop()}={incomplete}"
    elif len(words) >= 2 and words[-1] == "=":  # `experiment=c|`: bash's word is `c`
        kept = f"{words[-2]}="
        incomplete = kept + incomplete
        del words[-2:]
    joined: list[str] = []
    glue = False
    for word in words:
        if word == "=" and joined:
            joined[-1] += word
            glue = True
        elif glue:
            joined[-1] += word
            glue = False
        else:
            joined.append(word)
    return joined, incomplete, kept


def _paper_word_as_key(words: list[str], hydra: bool) -> list[str]:
    """`repro run mnist1d <TAB>` completes as `repro run paper=mnist1d <TAB>` does: the command
    reads a first bare word that is a paper id so (repro.arguments)."""
    from repro.arguments import paper_word_index
    from repro.plugins.paper_spec import ID_PATTERN

    index = paper_word_index(words, set(), hydra)
    if index is None or not ID_PATTERN.match(words[index]) or _chosen(words, "paper"):
        return words
    return [*words[:index], f"paper={words[index]}", *words[index + 1 :]]


def _complete_paper_word(previous: list[str], incomplete: str, ctx: Any) -> list[str]:
    """`paper=` and then installed paper ids, comma separated (`repro report paper=a,b`)."""
    key, equals, value = incomplete.partition("=")
    if not equals:
        return _prefixed(["paper="], incomplete)
    return _complete_values(key, value, previous, ctx) if key == "paper" else []


def _complete_values(key: str, value: str, previous: list[str], ctx: Any) -> list[str]:
    """`key=v...` for the values of `key` that start with `value`; after a comma (a Hydra
    sweep `experiment=cnn,g`) the last item completes."""
    done, comma, last = value.rpartition(",")
    head = f"{key}={done}{comma}"
    return [head + v for v in _prefixed(_values(key, previous, ctx), last)]


def _complete_joined(previous: list[str], incomplete: str, sweep: bool, ctx: Any) -> list[str]:
    """Whole-word candidates (`experiment=cnn`, `trainer.`) for unsplit words."""
    key, equals, value = incomplete.partition("=")
    if equals:
        return _complete_values(key, value, previous, ctx)
    given = "experiment=" if _chosen(previous, "paper") else "paper="
    keys = [given, *(SWEEP_KEYS if sweep else ()), *_config_keys(previous, ctx)]
    if given == "experiment=" and _chosen(previous, "experiment"):
        keys.remove(given)
    depth = incomplete.count(".")  # one level at a time: `trainer.`, then its keys
    return [
        k
        for k in _prefixed(list(dict.fromkeys(keys)), incomplete)
        if k.rstrip(".=").count(".") == depth
    ]


def _bash_word_is_equals() -> bool:
    """Whether bash's word under the cursor is a lone '=' (click passes it on as '').

    typer's bash script passes COMP_WORDS joined by newlines (its IFS) and COMP_CWORD; they
    are split the way click splits them."""
    import os

    from typer._click.shell_completion import split_arg_string

    if "COMP_WORDS" not in os.environ or "COMP_CWORD" not in os.environ:
        return False
    try:
        words = split_arg_string(os.environ["COMP_WORDS"])
        index = int(os.environ["COMP_CWORD"])
    except ValueError:
        return False
    return 0 <= index < len(words) and words[index] == "="


def _prefixed(words: list[str], prefix: str) -> list[str]:
    return [w for w in words if w.startswith(prefix)]


def _papers_dirs(ctx: Any) -> list[Any]:
    return list((ctx.params.get("papers_dir") if ctx is not None else None) or [])


def _chosen(previous: list[str], key: str) -> str | None:
    from repro.config.overrides import override_value

    return override_value([w for w in previous if "=" in w], key)


def _values(key: str, previous: list[str], ctx: Any) -> list[str]:
    """Values of `key`: paper ids, the chosen paper's experiments, a config group's options."""
    from repro.config.app import CONFIG_DIR
    from repro.plugins.registry import discover, get_paper

    if key == "paper":
        return sorted(discover(_papers_dirs(ctx)))
    if key == "experiment":
        paper = _chosen(previous, "paper")
        return list(get_paper(paper, _papers_dirs(ctx)).spec().experiments) if paper else []
    group = CONFIG_DIR / key
    if group.is_dir():
        return sorted(p.stem for p in group.glob("*.yaml"))
    return []


def _config_keys(previous: list[str], ctx: Any) -> list[str]:
    """`trainer.` for a section, `seed=` for a value: every key of the composed config of the
    chosen paper (its top-level keys alone before a paper is chosen)."""
    from omegaconf import OmegaConf

    from repro.config.app import CONFIG_DIR, CONFIG_NAME, plugin_overrides
    from repro.config.checks import repro_top_level_keys

    paper = _chosen(previous, "paper")
    if not paper:  # `seed=` for a value of run.yaml, `trainer.` for a section or a group
        base = OmegaConf.to_container(OmegaConf.load(CONFIG_DIR / f"{CONFIG_NAME}.yaml"))
        values = {k for k, v in base.items() if not isinstance(v, dict)}
        shown = sorted(set(repro_top_level_keys()) - {"hydra", *HIDDEN_KEYS})
        return [f"{k}=" if k in values else f"{k}." for k in shown]
    from repro.config.overrides import check_overrides
    from repro.plugins.registry import get_paper

    plugin = get_paper(paper, _papers_dirs(ctx))
    chosen = [f"paper={paper}", *plugin_overrides(plugin.folder)]
    experiment = _chosen(previous, "experiment")
    if experiment and "," not in experiment:
        chosen.append(f"experiment={experiment}")
    ((cfg, _),) = check_overrides(CONFIG_DIR, CONFIG_NAME, chosen)
    tree = OmegaConf.to_container(cfg, resolve=False)
    return [key for key in _dotted(tree) if key.rstrip(".=").split(".")[0] not in HIDDEN_KEYS]


def _dotted(node: Any, prefix: str = "") -> list[str]:
    """`trainer.` and `trainer.max_steps=` for {"trainer": {"max_steps": 1}}."""
    keys = []
    for name, value in node.items():
        if isinstance(value, dict) and value:
            keys.append(f"{prefix}{name}.")
            keys += _dotted(value, f"{prefix}{name}.")
        else:
            keys.append(f"{prefix}{name}=")
    return keys
