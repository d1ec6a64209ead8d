from __future__ import annotations

import pytest

from repro.errors import UsageError
from repro.overrides import (
    explain_hydra_error,
    first_of_each_sweep,
    override_value,
    split_overrides,
    sweep_values,
)


def test_split_keeps_hydra_flags_with_their_values() -> None:
    overrides, flags = split_overrides(["paper=a", "--cfg", "job", "-m", "seed=1,2"])
    assert overrides == ["paper=a", "seed=1,2"]
    assert flags == ["--cfg", "job", "-m"]


def test_override_value_last_wins_and_ignores_prefixes() -> None:
    assert override_value(["paper=a", "+paper=b"], "paper") == "b"
    assert override_value(["seed=1"], "paper") is None


def test_sweep_values() -> None:
    assert sweep_values("cnn,gru") == ["cnn", "gru"]
    assert sweep_values("cnn") == ["cnn"]


def test_first_of_each_sweep() -> None:
    assert first_of_each_sweep(["seed=3,4", "model.h=1"]) == ["seed=3", "model.h=1"]


def test_unparseable_override() -> None:
    with pytest.raises(UsageError, match="bad override 'a=\\['"):
        first_of_each_sweep(["a=["])


def test_explain_unknown_key() -> None:
    message = (
        "Could not override 'model.foo'.\nTo append to your config use +model.foo=1\n"
        "Key 'foo' is not in struct\n    full_key: model.foo"
    )
    assert explain_hydra_error(message) == (
        "unknown config key 'model.foo' (to add a new key, write +model.foo=...)"
    )


def test_explain_unknown_group_option() -> None:
    message = (
        "In 'run': Could not find 'launcher/nope'\n\nAvailable options in 'launcher':\n"
        "\tjoblib\n\tlocal\nConfig search path:\n"
    )
    assert explain_hydra_error(message) == "unknown launcher 'nope' (known: joblib, local)"
