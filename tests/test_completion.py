"""Completion of the free `key=value` words of `repro run` / `repro sweep`."""

from __future__ import annotations

from repro.completion import complete_override


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
