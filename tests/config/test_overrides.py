from __future__ import annotations

from pathlib import Path

import pytest

from repro.config.overrides import (
    each_swept_value,
    expand_glob,
    explain_hydra_error,
    first_of_each_sweep,
    override_value,
    path_override,
    split_overrides,
    sweep_values,
)
from repro.errors import UsageError
from tests.conftest import repro, write_toy_paper


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


def test_a_glob_of_another_group_is_one_error_line() -> None:
    # `repro sweep ... logger=glob(c*)` ended in 'internal error: HydraException: ConfigLoader
    # is not set' (only experiment=glob(...) is written out, against the paper's experiments)
    with pytest.raises(UsageError, match=r"^glob\(c\*\): a glob sweeps experiment= only"):
        sweep_values("glob(c*)")


def test_a_glob_of_another_group_in_a_multirun_is_the_same_error_line() -> None:
    # `repro run ... launcher=glob(b*) -m` said only 'error: ConfigLoader is not set' (the
    # composing check read the glob's values without Hydra's config loader)
    for read in (first_of_each_sweep, each_swept_value):
        with pytest.raises(UsageError, match=r"^glob\(b\*\): a glob sweeps experiment= only"):
            read(["experiment=logistic", "launcher=glob(b*)"])


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


@pytest.mark.parametrize(
    ("key", "line"),
    [
        # `lr=0.1` said "write +lr=...", and `+lr=0.1` was then refused as an unknown
        # top-level key: a key without its section is named with the section
        ("lr", "unknown config key 'lr' (did you mean 'optimizer.lr'?; repro reads no other "),
        ("features", "unknown config key 'features' (did you mean 'model.features' or "),
        ("zzz", "unknown config key 'zzz' (repro reads no other top-level key)"),
    ],
)
def test_explain_unknown_top_level_key(key: str, line: str) -> None:
    message = f"Could not override '{key}'.\nTo append to your config use +{key}=1\n"
    known = ["seed", "optimizer", "optimizer.lr", "model.features", "data.features"]
    assert explain_hydra_error(message, lambda unknown: known).startswith(line)


def test_explain_unknown_group_option() -> None:
    message = (
        "In 'run': Could not find 'launcher/nope'\n\nAvailable options in 'launcher':\n"
        "\tjoblib\n\tlocal\nConfig search path:\n"
    )
    assert explain_hydra_error(message) == "unknown launcher 'nope' (known: joblib, local)"


ODD_NAMES = ["rés'ults,a=b[c", "${oc.env:HOME}/x", "a\\", "a\\'b", "a\\${x}b\\\\c", "x y]", "$HOME"]


@pytest.mark.parametrize("value", ODD_NAMES)
def test_hydra_literal_survives_hydra_and_omegaconf(value: str) -> None:
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    parsed = OverridesParser.create().parse_override(path_override("x", value)).value()
    assert OmegaConf.create({"x": parsed}).x == value


@pytest.mark.parametrize(
    "results_name", ["rés'ults,a=b[c", "${oc.env:HOME}/x"], ids=["odd characters", "interpolation"]
)
def test_sweep_and_run_agree_on_a_literal_results_folder(tmp_path: Path, results_name: str) -> None:
    """REPRO_RESULTS_DIR is a literal folder (relative to the cwd) in `repro run` and in every
    job of `repro sweep`, whatever its characters: no run goes "missing"."""
    write_toy_paper(tmp_path / "plugins")
    env = {"REPRO_PAPERS_PATH": str(tmp_path / "plugins"), "REPRO_RESULTS_DIR": results_name}
    common = ("paper=toy", "experiment=small", "logger=none", "trainer.max_steps=3")
    swept = repro("sweep", *common, "seeds=2", env=env)
    assert swept.returncode == 0, swept.stderr
    assert "2 trained, 0 already completed" in swept.stdout
    folder = tmp_path / results_name
    assert len(list(folder.rglob("record.json"))) == 2
    ran = repro("run", *common, "seed=1", env=env)
    assert ran.returncode == 0, ran.stderr
    assert "already completed, skipped" in ran.stdout
    assert f"-> {folder.relative_to(tmp_path)}/" in ran.stdout  # relative to the cwd, as run


@pytest.mark.parametrize(
    "override", ["experiment_name=foo", "+experiment_name=foo", "~experiment_name"]
)
def test_experiment_name_is_refused_as_an_override(override: str) -> None:
    """`repro run ... experiment_name=foo` wrote under amsgrad/foo/ while
    `repro sweep` set it back to the experiment's name: neither found the other's records."""
    from repro.config.overrides import refuse_derived_keys

    with pytest.raises(UsageError, match=r"^experiment_name is set by experiment=<name>"):
        refuse_derived_keys(["paper=amsgrad", "experiment=adam_online", override])
    refuse_derived_keys(["paper=amsgrad", "experiment=adam_online", "model.experiment_name=x"])


@pytest.mark.parametrize(
    "value", ["false", "False", "0", "off", "no", "null", "'false'", '"False"', "'0'", "'00'"]
)
def test_hydra_job_chdir_off_in_any_spelling_is_taken(value: str) -> None:
    """`hydra.job.chdir=0` (or off, no: OmegaConf's false) keeps the working directory, as
    repro does, yet was refused as if it moved the records elsewhere."""
    from repro.config.overrides import refuse_derived_keys

    refuse_derived_keys(["paper=amsgrad", f"hydra.job.chdir={value}"])
    with pytest.raises(UsageError, match=r"^hydra.job.chdir=on: repro keeps the working"):
        refuse_derived_keys(["paper=amsgrad", "hydra.job.chdir=on"])
    for moving in ("'true'", "'1'", "false,true"):  # quoted true, or a sweep over it
        with pytest.raises(UsageError, match=r"^hydra.job.chdir=.*repro keeps the working"):
            refuse_derived_keys(["paper=amsgrad", f"hydra.job.chdir={moving}"])


@pytest.mark.parametrize("value", ["''", '""', ""])
def test_hydra_job_chdir_of_no_value_is_one_clear_line(value: str) -> None:
    """`hydra.job.chdir=''` was taken as keeping the working directory, then Hydra refused it
    with only 'Error merging override hydra.job.chdir=\'\'': no truth value, said so."""
    from repro.config.overrides import refuse_derived_keys

    with pytest.raises(UsageError, match=r"^hydra.job.chdir=.*: true or false, not empty"):
        refuse_derived_keys(["paper=amsgrad", f"hydra.job.chdir={value}"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("glob(cnn*),mlp", "experiment=cnn,cnn_shuffled,mlp"),
        ("mlp,glob(log*)", "experiment=mlp,logistic,logistic_shuffled"),
        ("glob(cnn),cnn", "experiment=cnn"),
    ],
)
def test_a_glob_beside_names_in_a_sweep_is_written_out_too(raw: str, expected: str) -> None:
    """`experiment=glob(cnn),mlp` reached the paper as an experiment named
    '{include:[cnn],exclude:[]}': only a glob alone was written out."""
    names = ["logistic", "mlp", "cnn", "logistic_shuffled", "mlp_shuffled", "cnn_shuffled"]
    assert expand_glob([f"experiment={raw}"], "experiment", names) == [expected]


def test_a_glob_in_a_sweep_that_matches_nothing_is_named() -> None:
    with pytest.raises(UsageError, match=r"glob\(zz\*\) matches no experiment"):
        expand_glob(["experiment=mlp,glob(zz*)"], "experiment", ["mlp", "cnn"])


def test_removing_a_key_at_null_is_not_called_a_key_that_does_not_exist() -> None:
    """`~trainer.gradient_clip_val` (null in repro's trainer config) was refused with Hydra's
    'Could not delete from config. 'trainer.gradient_clip_val' does not exist.', a key every
    config has: Hydra removes no key at null. A key that is not there gets a did-you-mean."""
    from repro.config.overrides import explain_hydra_error

    known = ["trainer", "trainer.gradient_clip_val", "trainer.max_steps"]
    message = "Could not delete from config. 'trainer.gradient_clip_val' does not exist."
    line = explain_hydra_error(message, lambda key: known)
    assert line.startswith("~trainer.gradient_clip_val: the key is null"), line
    typo = "Could not delete from config. 'trainer.gradient_clipval' does not exist."
    line = explain_hydra_error(typo, lambda key: known)
    assert line.startswith("unknown config key 'trainer.gradient_clipval'"), line
    assert "trainer.gradient_clip_val" in line, line
