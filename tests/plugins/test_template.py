"""The `repro new` template, which every new plugin copies: it tests on held-out data."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
import yaml

from repro.plugins.scaffold import create_plugin


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
