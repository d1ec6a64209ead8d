"""Completion of the free `key=value` words of `repro run` / `sweep` / `report` / `sync`,
as typer's scripts hand them over (bash: split at '='; see test_completion_shell.py)."""

from __future__ import annotations

import pytest

from repro.completion import _bash_word_is_equals, complete_override, complete_paper_id


def test_values_of_paper_and_experiment() -> None:
    assert complete_override([], "paper=mnist") == ["paper=mnist1d"]
    assert complete_override(["paper=mnist1d"], "experiment=gr") == [
        "experiment=gru",
        "experiment=gru_shuffled",
    ]
    assert complete_override(["paper=mnist1d"], "launcher=s") == [
        "launcher=slurm",
        "launcher=slurm_local",
    ]


def test_keys_one_level_at_a_time() -> None:
    top = complete_override(["paper=mnist1d"], "")
    assert "trainer." in top and "seed=" in top and "experiment=" in top
    assert not [k for k in top if k.startswith("trainer.") and k != "trainer."]
    assert "paper=" not in top and "paper_dir=" not in top  # given, or filled in by repro
    assert complete_override(["paper=mnist1d"], "model.ar") == ["model.arch="]
    assert "seeds=" in complete_override(["paper=mnist1d"], "see", sweep=True)
    assert "seeds=" not in complete_override(["paper=mnist1d"], "see")


def test_before_a_paper_only_top_level_keys() -> None:
    words = complete_override([], "")
    assert "paper=" in words and "trainer." in words


def test_bash_split_words() -> None:
    assert complete_override(["paper", "="], "mn") == ["mnist1d"]


def test_bash_split_words_after_the_first_key_value() -> None:
    """bash's words for `paper=mnist1d experiment=c`: it replaces only the `c`."""
    split = ["paper", "=", "mnist1d"]
    assert complete_override([*split, "experiment", "="], "c") == ["cnn", "cnn_shuffled"]
    assert complete_override(split, "model.h") == ["model.hidden="]
    assert complete_override(split, "trainer.max_s") == ["trainer.max_steps="]
    assert complete_override(split, "exp") == ["experiment="]
    assert complete_override([*split, "experiment", "=", "cnn"], "exp") == []


def test_bash_word_is_the_equals_sign(monkeypatch: pytest.MonkeyPatch) -> None:
    """`paper=` + TAB: bash's word is the '=' (click passes ''), readline's is empty."""
    assert "mnist1d" in complete_override(["paper"], "", after_equals=True)
    assert complete_override(["paper", "=", "mnist1d", "experiment"], "gru_", after_equals=True)
    monkeypatch.setenv("COMP_WORDS", "repro\nrun\npaper\n=")  # typer's script joins with \n
    monkeypatch.setenv("COMP_CWORD", "3")
    assert _bash_word_is_equals()
    monkeypatch.setenv("COMP_CWORD", "2")
    assert not _bash_word_is_equals()


def test_comma_lists_complete_their_last_item() -> None:
    assert complete_override(["paper=mnist1d"], "experiment=cnn,gru_") == [
        "experiment=cnn,gru_shuffled"
    ]


def test_before_a_paper_values_and_sections() -> None:
    words = complete_override([], "")
    assert "seed=" in words and "trainer." in words and "seed." not in words
    assert complete_override([], "pap") == ["paper="]  # not paper_dir, filled in by repro
    assert complete_override([], "exp") == []  # experiment_name is repro's; experiment= next


@pytest.mark.parametrize("before", [[], ["-m", "--cfg", "job"]])
def test_a_paper_given_as_a_bare_word_completes_as_paper_equals(before: list[str]) -> None:
    """`repro run mnist1d <TAB>` (the paper as a bare word, which `repro run`
    reads as paper=mnist1d) offered the keys of no paper: no experiment=, no model.hidden=."""
    words = [*before, "mnist1d"]
    assert complete_override(words, "exp") == ["experiment="]
    assert complete_override(words, "model.h") == ["model.hidden="]
    assert complete_override([*words, "experiment", "="], "c") == ["cnn", "cnn_shuffled"]
    assert "seeds=" in complete_override(words, "see", sweep=True)


def test_paper_words_alone() -> None:
    """`repro report` / `repro sync` take `paper=ID[,ID...]` only."""
    assert complete_override([], "", paper_only=True) == ["paper="]
    assert complete_override([], "paper=mnist1d,a", paper_only=True) == ["paper=mnist1d,amsgrad"]
    assert complete_override(["paper", "="], "mn", paper_only=True) == ["mnist1d"]
    assert complete_override([], "trainer.", paper_only=True) == []


def test_paper_id_arguments() -> None:
    assert complete_paper_id(None, None, "m") == ["mnist1d"]
    assert complete_paper_id(None, None, "zz") == []
