"""`repro check`: "code ok" means the module and datamodule were built, not only imported."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from repro.plugins.registry import PaperPlugin
from repro.running.check import check_paper
from tests.conftest import write_toy_paper


def _code_row(folder: Path):
    rows = check_paper(PaperPlugin(folder.name, folder.resolve(), "test"))
    return next(r for r in rows if r.subject == "code")


def test_a_module_whose_constructor_fails_is_not_code_ok(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path / "plugins", "toy_ctor")
    model = folder / "model.py"
    model.write_text(
        model.read_text().replace(
            "self.explode = explode", "self.explode = explode\n        self.width = featurs"
        )
    )
    row = _code_row(folder)
    assert not row.ok
    assert "model.py:10: NameError: name 'featurs' is not defined" in row.detail, row.detail


def test_a_datamodule_whose_constructor_fails_is_not_code_ok(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path / "plugins", "toy_data_ctor")
    data = folder / "data.py"
    data.write_text(data.read_text().replace("self.y = self.x.sum(-1)", "self.y = 1 / 0"))
    row = _code_row(folder)
    assert not row.ok and "ZeroDivisionError" in row.detail and "data.py:" in row.detail


def test_a_settings_key_the_constructor_does_not_take_is_named_with_its_fix(
    tmp_path: Path,
) -> None:
    # the row said "TypeError: ToyData.__init__() got an unexpected keyword argument", while
    # `repro run` said "unknown data key ... (and 1 more: see `repro check`)", which it never was
    folder = write_toy_paper(tmp_path / "plugins", "toy_key")
    settings = folder / "settings.yaml"
    settings.write_text(settings.read_text().replace("  samples: 64", "  sample: 64"))
    row = _code_row(folder)
    assert not row.ok
    assert row.detail == (
        "unknown data key 'sample' in data (did you mean 'samples'?); "
        "missing data key 'samples': data:ToyData requires it"
    )


def test_a_sound_plugin_is_code_ok(tmp_path: Path) -> None:
    folder = write_toy_paper(tmp_path / "plugins", "toy_ok")
    row = _code_row(folder)
    assert row.ok and "built" in row.detail


def test_a_claimed_metric_of_a_second_test_dataloader_passes_the_check(tmp_path: Path) -> None:
    from tests.running.test_training import with_two_test_dataloaders

    folder = with_two_test_dataloaders(write_toy_paper(tmp_path / "plugins", "toy_two"))
    paper = folder / "paper.yaml"
    paper.write_text(paper.read_text().replace("metric: test/mse", "metric: test/shifted_mse"))
    rows = check_paper(PaperPlugin(folder.name, folder.resolve(), "test"))
    small = next(r for r in rows if r.subject == "small")
    assert small.ok, small.detail


def test_a_plugin_whose_weights_never_change_does_not_pass_the_check(tmp_path: Path) -> None:
    """`repro check` runs the same fit as `repro run`: before, its row said `ok`."""
    folder = write_toy_paper(tmp_path / "plugins", "toy_untrained")
    model = folder / "model.py"
    model.write_text(model.read_text().replace("return torch.optim.SGD", "torch.optim.SGD"))
    rows = check_paper(PaperPlugin(folder.name, folder.resolve(), "test"))
    small = next(r for r in rows if r.subject == "small")
    assert not small.ok and "configure_optimizers returned no optimizer" in small.detail


def test_classes_that_are_not_lightning_ones_are_not_code_ok(tmp_path: Path) -> None:
    """`datamodule:` naming a plain class (or `module:` a plain nn.Module) was
    'code ok'; every run then failed with Lightning's AttributeError ('PaperData' object has
    no attribute 'on_exception') or TypeError."""
    folder = write_toy_paper(tmp_path / "plugins", "toy_plain")
    data = folder / "data.py"
    data.write_text(
        data.read_text().replace("(pl.LightningDataModule)", "").replace("super().__init__()", "")
    )
    row = _code_row(folder)
    assert not row.ok and "data:ToyData is not a LightningDataModule" in row.detail, row.detail


def test_check_names_the_plugins_keys_the_config_hash_leaves_out_as_locations(
    tmp_path: Path,
) -> None:
    """A `*_dir` key is not hashed (a plugin's `model.pretrained_dir` that chose the starting
    weights put two results in one folder): before, nothing told the author; now `repro check`
    names such keys in one row, and a plugin without one gets no row."""
    from repro.plugins.paper_spec import load_paper_spec
    from repro.running.check import _location_rows

    folder = write_toy_paper(tmp_path / "plugins", "toy_dirs")
    plugin = PaperPlugin(folder.name, folder.resolve(), "test")
    assert _location_rows(plugin, load_paper_spec(folder)) == []
    settings = folder / "settings.yaml"
    settings.write_text(settings.read_text().replace("explode: false", "pretrained_dir: null"))
    wide = folder / "experiment" / "wide.yaml"
    wide.write_text("# @package _global_\ndata:\n  features: 8\n  cache:\n    shard_dir: /tmp\n")
    (row,) = _location_rows(plugin, load_paper_spec(folder))
    assert row.ok and row.subject == "config hash"
    assert "data.cache.shard_dir, model.pretrained_dir" in row.detail, row.detail
    assert "paths." not in row.detail and "paper_dir" not in row.detail


def test_a_key_module_and_data_save_differently_is_the_code_rows_failure(tmp_path: Path) -> None:
    """settings.yaml with model.features 8, data.features 4 (the template saves both): the
    code row said ok, then the fast run failed with a shape error naming neither key."""
    from repro.plugins.scaffold import create_plugin

    folder = create_plugin(tmp_path / "plugins", "clash")
    settings = folder / "settings.yaml"
    text = settings.read_text()
    settings.write_text(text.replace("model:\n  features: 4", "model:\n  features: 8"))
    row = _code_row(folder)
    assert not row.ok and "model.features=8 but data.features=4" in row.detail, row.detail


def test_a_malformed_experiment_file_is_that_experiments_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tab in experiment/wide.yaml aborted `repro check` (exit 2, no table) after the other
    experiment's fast run; it is wide's FAIL row, and the others still get theirs."""
    import repro.running.runner

    done = SimpleNamespace(status="completed", metrics={"test/mse": 1.0}, error=None)
    monkeypatch.setattr(repro.running.runner, "run_one", lambda *a, **k: done)  # no training
    folder = write_toy_paper(tmp_path / "plugins", "toy_tab")
    (folder / "experiment" / "wide.yaml").write_text(
        "# @package _global_\ndata:\n\tfeatures: 8\nmodel:\n  features: 8\n"
    )
    rows = {r.subject: r for r in check_paper(PaperPlugin(folder.name, folder.resolve(), "t"))}
    assert rows["small"].ok, rows["small"].detail
    assert not rows["wide"].ok
    assert "experiment/wide.yaml: line 3: malformed YAML (found character '\\t'" in (
        rows["wide"].detail
    ), rows["wide"].detail


@pytest.mark.parametrize(
    ("appended", "expected"),
    [
        ("optimizer:\n  lr: 0.1\n", "settings.yaml: line 12: key 'optimizer' written twice"),
        (
            "extra:\n\tlr: 0.1\n",
            "settings.yaml: line 13: malformed YAML (found character '\\t' that cannot start "
            "any token): indent with spaces",
        ),
    ],
    ids=["duplicate key", "tab"],
)
def test_a_malformed_settings_file_is_named_by_line_in_the_code_row(
    tmp_path: Path, appended: str, expected: str
) -> None:
    """The code row showed PyYAML's raw `ScannerError: while scanning ...`, and a duplicate
    key as the line its mapping starts (line 2), not the line it is written again."""
    folder = write_toy_paper(tmp_path / "plugins", "toy_settings")
    settings = folder / "settings.yaml"
    settings.write_text(settings.read_text() + appended)
    row = _code_row(folder)
    assert not row.ok and expected in row.detail, row.detail
    assert "Error:" not in row.detail, row.detail


def test_a_claim_metric_close_to_a_logged_one_is_suggested(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """a claim naming test/mes (the module logs test/mse) got only 'claims need
    test/mes but the run logged only test/mse, ...' from check, and the like from run."""
    import repro.running.runner
    from repro.plugins.paper_spec import load_paper_spec

    done = SimpleNamespace(status="completed", metrics={"test/mse": 1.0}, error=None)
    monkeypatch.setattr(repro.running.runner, "run_one", lambda *a, **k: done)  # no training
    folder = write_toy_paper(tmp_path / "plugins", "toy_mes")
    paper = folder / "paper.yaml"
    paper.write_text(paper.read_text().replace("metric: test/mse", "metric: test/mes"))
    rows = {r.subject: r for r in check_paper(PaperPlugin(folder.name, folder.resolve(), "t"))}
    assert rows["paper.yaml"].detail == "2 experiments, 1 claim"  # was `1 claims`
    hint = "did you mean 'test/mse'? (fix the claim's metric in paper.yaml)"
    assert hint in rows["small"].detail, rows["small"].detail
    repro.running.runner._warn_missing_claim_metrics(
        load_paper_spec(folder), "small", {"test/mse": 1.0}
    )
    assert hint in capsys.readouterr().err


def test_an_experiment_no_claim_names_says_its_fast_run_completed(tmp_path: Path) -> None:
    """The row of an experiment without claims read 'fast run logged no claimed metric
    needed'; it says what was checked: the fast run completed, and no claim needs a metric."""
    folder = write_toy_paper(tmp_path / "plugins", "toy_rows")
    rows = check_paper(PaperPlugin(folder.name, folder.resolve(), "test"))
    wide = next(r for r in rows if r.subject == "wide")
    assert wide.ok and wide.detail == "fast run completed (no claim on this experiment)"
    small = next(r for r in rows if r.subject == "small")
    assert small.ok and small.detail == "fast run logged test/mse", small.detail


def test_a_plugin_set_for_fp16_on_a_gpu_passes_the_check_on_a_cpu(tmp_path: Path) -> None:
    """A check's fast run keeps no record, so Lightning's bf16 in place of fp16 on a CPU
    claims nothing: refusing it (35c99e8, for runs whose record would say fp16) failed every
    experiment row of a GPU paper checked on a laptop, its fix rewriting the paper's setting."""
    folder = write_toy_paper(tmp_path / "plugins", "toy_fp16")
    settings = folder / "settings.yaml"
    settings.write_text(
        settings.read_text().replace("  max_steps: 20", "  max_steps: 20\n  precision: 16-mixed")
    )
    rows = check_paper(PaperPlugin(folder.name, folder.resolve(), "test"))
    assert all(r.ok for r in rows), [(r.subject, r.detail) for r in rows if not r.ok]


def test_check_fails_a_hashed_key_that_holds_the_data_folder(tmp_path: Path) -> None:
    """`data.root: ${paths.data_dir}/toy` is hashed (its name does not end in _dir), so the
    record folder, and the paper's setting the report judges, depend on each machine's data
    folder (REPRO_DATA_DIR): runs made on a cluster were 'not run' in a report on a laptop.
    `repro check` names such a key as a failure."""
    from repro.plugins.paper_spec import load_paper_spec
    from repro.running.check import _location_rows

    folder = write_toy_paper(tmp_path / "plugins", "toy_root")
    plugin = PaperPlugin(folder.name, folder.resolve(), "test")
    settings = folder / "settings.yaml"
    root = "  samples: 64\n  root: ${paths.data_dir}/toy"
    settings.write_text(settings.read_text().replace("  samples: 64", root))
    rows = _location_rows(plugin, load_paper_spec(folder))
    failed = [row for row in rows if not row.ok]
    assert len(failed) == 1 and failed[0].subject == "config hash", rows
    assert "data.root" in failed[0].detail and "_dir" in failed[0].detail


def test_check_passes_a_hashed_text_that_only_contains_a_relative_data_folders_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With REPRO_DATA_DIR=data (relative, as the docs allow), every hashed text holding the
    letters `data` (`source: metadata_v2`) failed `repro check` as a path in the data
    folder; a path below it (`${paths.data_dir}/toy`) is still named."""
    from repro.plugins.paper_spec import load_paper_spec
    from repro.running.check import _location_rows

    monkeypatch.setenv("REPRO_DATA_DIR", "data")
    folder = write_toy_paper(tmp_path / "plugins", "toy_words")
    plugin = PaperPlugin(folder.name, folder.resolve(), "test")
    settings = folder / "settings.yaml"
    words = "  samples: 64\n  source: metadata_v2"
    settings.write_text(settings.read_text().replace("  samples: 64", words))
    rows = _location_rows(plugin, load_paper_spec(folder))
    assert all(row.ok for row in rows), [row.detail for row in rows]
    rooted = "  samples: 64\n  source: metadata_v2\n  root: ${paths.data_dir}/toy"
    settings.write_text(settings.read_text().replace(words, rooted))
    failed = [row for row in _location_rows(plugin, load_paper_spec(folder)) if not row.ok]
    assert len(failed) == 1 and "data.root" in failed[0].detail, failed
    assert "data.source" not in failed[0].detail


def test_a_setting_repro_run_refuses_is_not_passed_by_the_fast_run(tmp_path: Path) -> None:
    # settings.yaml without a step bound: the fast run's own 5 steps hid it, so every row
    # said ok while `repro run` answered "the run has no end"
    folder = write_toy_paper(tmp_path / "plugins", "toy_endless")
    settings = folder / "settings.yaml"
    settings.write_text(settings.read_text().replace("trainer:\n  max_steps: 20\n", ""))
    rows = check_paper(PaperPlugin(folder.name, folder.resolve(), "test"))
    for experiment in ("small", "wide"):
        row = next(r for r in rows if r.subject == experiment)
        assert not row.ok, row
        assert row.detail.startswith("the run has no end: set trainer.max_steps"), row.detail


def test_an_experiment_file_paper_yaml_does_not_list_fails_the_paper_row(tmp_path: Path) -> None:
    # experiment/big.yaml without `big:` under paper.yaml's experiments: every row said ok,
    # and `repro run experiment=big` then answered "unknown experiment 'big'"
    folder = write_toy_paper(tmp_path / "plugins", "toy_unlisted")
    (folder / "experiment" / "big.yaml").write_text("# @package _global_\n{}\n")
    rows = check_paper(PaperPlugin(folder.name, folder.resolve(), "test"))
    paper = next(r for r in rows if r.subject == "paper.yaml")
    assert not paper.ok
    assert paper.detail == (
        "2 experiments, 1 claim; experiment/big.yaml is listed under no experiment: add "
        "`big: <description>` to paper.yaml's experiments:, or remove the file"
    )
    assert next(r for r in rows if r.subject == "small").ok  # the others are still checked


def test_an_experiment_base_the_listed_experiments_compose_is_no_unlisted_file(
    tmp_path: Path,
) -> None:
    folder = write_toy_paper(tmp_path / "plugins", "toy_base")
    (folder / "experiment" / "base.yaml").write_text("# @package _global_\n{}\n")
    small = folder / "experiment" / "small.yaml"
    small.write_text("# @package _global_\ndefaults:\n  - base\n")
    rows = check_paper(PaperPlugin(folder.name, folder.resolve(), "test"))
    assert next(r for r in rows if r.subject == "paper.yaml").ok


@pytest.mark.parametrize(
    "entry",
    [
        "- base@_here_",  # with a package, as Hydra takes it
        "- /experiment@_here_: base",
        "- optional /experiment: base",
        "- /experiment/mid",  # a base of a base: mid.yaml takes in base
        "- sub/mid",  # one in a subfolder of experiment/ that takes in base
    ],
)
def test_every_form_of_a_composed_experiment_base_is_no_unlisted_file(
    tmp_path: Path, entry: str
) -> None:
    # `- base@_here_` or a base taken in by another base (as `repro run` composes them) was
    # called unlisted, failing a plugin every command runs
    from repro.running.check import _unlisted_experiment_files

    folder = write_toy_paper(tmp_path / "plugins", "toy_bases")
    experiment = folder / "experiment"
    (experiment / "base.yaml").write_text("# @package _global_\n{}\n")
    (experiment / "sub").mkdir()
    for mid in (experiment / "mid.yaml", experiment / "sub" / "mid.yaml"):
        mid.write_text("# @package _global_\ndefaults:\n  - /experiment/base\n")
    (experiment / "small.yaml").write_text(f"# @package _global_\ndefaults:\n  {entry}\n")
    (experiment / "other.yaml").write_text("# @package _global_\n{}\n")
    spec = PaperPlugin(folder.name, folder.resolve(), "test").spec()
    unlisted = _unlisted_experiment_files(folder, spec)
    named = {"other.yaml"} | ({"mid.yaml"} if "/experiment/mid" not in entry else set())
    assert {line.split()[0].removeprefix("experiment/") for line in unlisted} == named


def test_a_mandatory_value_check_overrides_give_passes_and_one_nothing_gives_is_named(
    tmp_path: Path,
) -> None:
    # `features: ???` with `model.features: ${data.features}`, given by check_overrides (as a
    # user gives it to repro run): each experiment row failed with OmegaConf's
    # 'InterpolationToMissingValueError: MissingMandatoryValue while resolving ...'
    folder = write_toy_paper(tmp_path / "plugins", "toy_mandatory")
    settings = folder / "settings.yaml"
    text = settings.read_text().replace("  features: 4\n  samples", "  features: ???\n  samples")
    settings.write_text(
        text.replace("  features: 4\n  explode", "  features: ${data.features}\n  explode")
    )
    (folder / "experiment" / "wide.yaml").write_text("# @package _global_\ndata:\n  features: 8\n")
    paper = folder / "paper.yaml"
    listed = paper.read_text()
    paper.write_text(listed + 'check_overrides: ["data.features=4"]\n')
    rows = check_paper(PaperPlugin(folder.name, folder.resolve(), "test"))
    assert all(r.ok for r in rows), rows
    paper.write_text(listed)  # nothing gives it: named, as repro run names it
    rows = check_paper(PaperPlugin(folder.name, folder.resolve(), "test"))
    code = next(r for r in rows if r.subject == "code")
    assert not code.ok
    assert code.detail == (
        "data.features has no value (??? in the config): give data.features=<value>"
    )
