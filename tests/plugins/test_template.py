"""The `repro new` template, which every new plugin copies: it tests on held-out data."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import torch
import yaml

from repro.errors import UsageError
from repro.plugins.scaffold import create_plugin
from tests.conftest import repro


def _template_data(tmp_path: Path) -> object:
    """The template's data module as `repro new` creates it, built from its settings."""
    folder = create_plugin(tmp_path, "new_paper")
    spec = importlib.util.spec_from_file_location("new_paper_data", folder / "data.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    settings = yaml.safe_load((folder / "settings.yaml").read_text())
    return module.PaperData(**settings["data"])


def _inputs(loader: object) -> torch.Tensor:
    return torch.cat([x for x, _ in loader])  # type: ignore[attr-defined]


def test_template_tests_on_data_it_never_trains_on(tmp_path: Path) -> None:
    data = _template_data(tmp_path)
    train = _inputs(data.train_dataloader())  # type: ignore[attr-defined]
    test = _inputs(data.test_dataloader())  # type: ignore[attr-defined]
    assert len(test) > 0
    assert torch.cdist(test, train).min() > 1e-4  # no test sample is a training sample
    sizes = data.dataset_sizes()  # type: ignore[attr-defined]
    assert sizes == {"train": len(train), "test": len(test)}


def _template_built(tmp_path: Path, *overrides: str) -> tuple:
    """The template's module and data module as `repro run paper=new_paper <overrides>` builds
    them, in-process (composed, then constructed; nothing trains)."""
    from repro.config.app import plugin_overrides
    from repro.config.compose import compose_run_config, hydra_compose_session
    from repro.plugins.registry import PaperPlugin
    from repro.running.training import build_module_and_data

    folder = create_plugin(tmp_path, "new_paper").resolve()
    plugin = PaperPlugin("new_paper", folder, "test")
    with hydra_compose_session():
        config = compose_run_config(
            ["paper=new_paper", *plugin_overrides(folder), *overrides], "baseline"
        )
    return build_module_and_data(config, plugin, plugin.spec())


def test_the_guides_override_example_builds_on_the_template(tmp_path: Path) -> None:
    """docs/writing-a-plugin.md's `repro run ... model.features=8 ...` failed on the template
    with Lightning's 'Error while merging hparams': the data module saves `features` too."""
    page = (Path(__file__).parents[2] / "docs" / "writing-a-plugin.md").read_text()
    example = re.search(r"`repro run paper=my_paper\s+experiment=baseline([^`]*)`", page)
    assert example, "the guide shows no override example"
    overrides = example.group(1).split(" --papers-dir ")[0]  # as the walkthrough, in plugins/
    module, data = _template_built(tmp_path, *overrides.split())
    assert module.hparams["features"] == data.hparams["features"]


def test_one_key_saved_differently_by_module_and_data_is_named_before_training(
    tmp_path: Path,
) -> None:
    """Lightning refuses it only when it logs hyperparameters, as a RuntimeError naming no
    config key; repro names both keys, their values and the fix."""
    with pytest.raises(UsageError) as raised:
        _template_built(tmp_path, "model.features=8")
    message = str(raised.value)
    assert "model.features=8 but data.features=4" in message, message
    assert "save_hyperparameters" in message and "set both" in message, message
    assert "\n" not in message


def test_new_refuses_the_id_of_a_built_in_paper(tmp_path: Path) -> None:
    """`repro new amsgrad` made papers/amsgrad, which the built-in amsgrad hides: `repro run
    paper=amsgrad experiment=baseline` then said 'unknown experiment'."""
    with pytest.raises(UsageError) as raised:
        create_plugin(tmp_path / "papers", "amsgrad")
    message = str(raised.value)
    assert "'amsgrad' is already a paper (built-in" in message, message
    assert "choose another id" in message, message
    assert not (tmp_path / "papers").exists()


@pytest.mark.parametrize("paper_id", ["2x", "_x", "My_paper"])
def test_new_refusing_an_id_states_the_whole_rule(tmp_path: Path, paper_id: str) -> None:
    """`repro new 2x` said 'use lowercase letters, digits and _', which 2x is: the rule
    that an id starts with a letter was in the docs only."""
    with pytest.raises(UsageError) as raised:
        create_plugin(tmp_path / "papers", paper_id)
    assert "starting with a letter" in str(raised.value), raised.value


@pytest.mark.parametrize(
    ("paper_id", "meant"), [("My-Paper", "my_paper"), ("Attention Is All", "attention_is_all")]
)
def test_new_refusing_an_id_offers_the_id_it_would_take(
    tmp_path: Path, paper_id: str, meant: str
) -> None:
    """`repro new My-Paper` stated the rule and left the user to work out `my_paper`."""
    with pytest.raises(UsageError) as raised:
        create_plugin(tmp_path / "papers", paper_id)
    assert f"e.g. '{meant}'" in str(raised.value), raised.value


def test_new_that_cannot_write_says_so_and_leaves_no_half_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder it could not create (`--papers-dir /proc/x`) or a write that failed midway
    (a full disk) was 'internal error: FileNotFoundError', and a half-copied plugin then made
    the next `repro new` say 'already exists'."""
    from repro.errors import ReproError
    from repro.plugins import scaffold

    def full_disk(source: Path, target: Path, *args: object, **kwargs: object) -> None:
        (Path(target) / "model.py").parent.mkdir(parents=True)
        (Path(target) / "model.py").write_text("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scaffold.shutil, "copytree", full_disk)
    with pytest.raises(ReproError) as raised:
        create_plugin(tmp_path / "papers", "half_paper")
    assert str(raised.value) == (
        f"cannot create {tmp_path / 'papers' / 'half_paper'}: No space left on device"
    )
    assert not (tmp_path / "papers" / "half_paper").exists()


def test_the_templates_seeds_give_different_results(tmp_path: Path, isolated_env: Path) -> None:
    """A new user's first sweep of the template showed test/mse 1e-13 for every seed (a
    noise-free linear fit that every seed solves exactly, in a fixed batch order): a report
    with no seed spread, teaching that seeds do not matter. The seeds now differ as in a real
    paper (the initial weights and the order of the training batches), and the test error is
    the noise the model cannot fit, not zero."""
    from repro.records import load_records

    made = repro("new", "new_paper", "--papers-dir", "plugins", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    swept = repro("sweep", "paper=new_paper", "seeds=3", "--papers-dir", "plugins", cwd=tmp_path)
    assert swept.returncode == 0, swept.stdout + swept.stderr
    records = load_records(isolated_env, paper="new_paper")
    mse = records[records["metric"] == "test/mse"]["value"]
    assert len(mse) == 3, records
    assert mse.min() > 1e-3, mse.tolist()  # not a perfect fit
    assert mse.std() > 1e-3 * mse.mean(), mse.tolist()  # the seeds differ


def test_a_plugin_made_elsewhere_names_its_check_command_whole(tmp_path: Path) -> None:
    """`repro new x --papers-dir plugins` printed `repro check x --papers-dir plugins`, while
    paper.yaml's first line still said `repro check x`: 'unknown paper' if copied from there."""
    made = repro("new", "elsewhere", "--papers-dir", "plugins", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    command = "`repro check elsewhere --papers-dir plugins`"
    assert command in made.stdout, made.stdout
    first = (tmp_path / "plugins" / "elsewhere" / "paper.yaml").read_text().splitlines()[0]
    assert command in first, first
    made = repro("new", "here", cwd=tmp_path)  # ./papers: found without the flag
    first = (tmp_path / "papers" / "here" / "paper.yaml").read_text().splitlines()[0]
    assert "`repro check here`" in first, first


def test_new_of_an_id_made_before_says_what_to_do_next(tmp_path: Path) -> None:
    """A second `repro new my_paper --papers-dir plugins` said only 'plugins/my_paper already
    exists': no word of the plugin it is, nor of the command that checks it from here."""
    assert repro("new", "my_paper", "--papers-dir", "plugins", cwd=tmp_path).returncode == 0
    again = repro("new", "my_paper", "--papers-dir", "plugins", cwd=tmp_path)
    assert again.returncode == 2, again.stderr
    line = " ".join(again.stderr.split())
    assert line.startswith("error: plugins/my_paper already exists"), line
    assert "`repro check my_paper --papers-dir plugins`" in line, line
    assert "choose another id" in line, line
    (tmp_path / "plugins" / "other").mkdir()  # a folder of the id that is no plugin
    taken = " ".join(repro("new", "other", "--papers-dir", "plugins", cwd=tmp_path).stderr.split())
    assert "no paper.yaml" in taken and "choose another id" in taken, taken
    assert "repro check" not in taken, taken
