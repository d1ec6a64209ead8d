"""Shell completion of the Hydra overrides `repro run` / `repro sweep` take as free words.

Click completes options and declared arguments only; the overrides are extra arguments, so
these commands complete them themselves: `paper=<installed ids>`, `experiment=<the chosen
paper's experiments>`, config group choices (`launcher=`, `logger=`, `debug=`...) and config
keys (`trainer.`, `trainer.max_steps=`) from the composed config of the chosen paper.
Any failure completes nothing: a TAB must never print an error into the user's prompt.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand

SWEEP_KEYS = ("seeds=", "max_seeds=")


class OverrideCompletingCommand(TyperCommand):
    """A typer command whose free `key=value` words complete like options do."""

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        from typer._click.shell_completion import CompletionItem  # typer vendors click

        if incomplete.startswith("-"):
            return super().shell_complete(ctx, incomplete)
        try:
            words = complete_override(list(ctx.args), incomplete, self.name == "sweep", ctx)
        except Exception:  # a broken plugin or config: no suggestions rather than an error
            words = []
        return [CompletionItem(word, type="plain") for word in words]


def complete_override(
    previous: list[str], incomplete: str, sweep: bool = False, ctx: Any = None
) -> list[str]:
    """Candidates for the word being typed after `previous` overrides."""
    # bash splits `paper=mn` at '=' into `paper`, `=`, `mn`: complete the bare value then
    if previous[-1:] == ["="] and len(previous) >= 2:
        return _prefixed(_values(previous[-2], previous, ctx), incomplete)
    if previous and not incomplete and _bash_word_is_equals():  # `paper=` + TAB in bash
        return _values(previous[-1], previous, ctx)
    key, equals, value = incomplete.partition("=")
    if equals:
        return [f"{key}={v}" for v in _prefixed(_values(key, previous, ctx), value)]
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
    """Whether bash's word under the cursor is a lone '=' (click passes it on as '')."""
    import os

    words = os.environ.get("COMP_WORDS", "").split(" ")
    index = int(os.environ.get("COMP_CWORD", "-1") or -1)
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
    from repro.config.checks import repro_top_level_keys

    paper = _chosen(previous, "paper")
    if not paper:
        return sorted(f"{k}." for k in repro_top_level_keys() if k not in ("hydra", "paper"))
    from omegaconf import OmegaConf

    from repro.config.app import CONFIG_DIR, CONFIG_NAME, plugin_overrides
    from repro.config.overrides import check_overrides
    from repro.plugins.registry import get_paper

    plugin = get_paper(paper, _papers_dirs(ctx))
    chosen = [f"paper={paper}", *plugin_overrides(plugin.folder)]
    experiment = _chosen(previous, "experiment")
    if experiment and "," not in experiment:
        chosen.append(f"experiment={experiment}")
    ((cfg, _),) = check_overrides(CONFIG_DIR, CONFIG_NAME, chosen)
    tree = OmegaConf.to_container(cfg, resolve=False)
    hidden = ("paper", "paper_dir", "experiment_name")  # given, or filled in by repro
    return [key for key in _dotted(tree) if key.rstrip(".=").split(".")[0] not in hidden]


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
