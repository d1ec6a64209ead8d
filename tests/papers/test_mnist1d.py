from __future__ import annotations

import pytest
import torch

from repro.plugins.registry import get_paper, load_object


@pytest.fixture(scope="module")
def plugin():
    return get_paper("mnist1d")


@pytest.mark.parametrize(
    ("arch", "parameters"), [("logistic", 410), ("mlp", 15210), ("cnn", 5210), ("gru", 5134)]
)
def test_architectures_match_the_authors_parameter_counts(plugin, arch: str, parameters: int):
    classifier = load_object(plugin, "model:MNIST1DClassifier")(arch=arch)
    assert sum(p.numel() for p in classifier.parameters()) == parameters
    assert classifier(torch.zeros(3, 40)).shape == (3, 10)


def test_data_is_generated_offline_and_deterministic(plugin):
    data_cls = load_object(plugin, "data:MNIST1DDataModule")
    first, second = data_cls(), data_cls()
    first.setup()
    second.setup()
    assert first.dataset_sizes() == {"train": 4000, "test": 1000}
    assert torch.equal(first.tensors["x_train"], second.tensors["x_train"])
    batches = list(first.train_dataloader())
    assert len(batches) == 40 and batches[0][0].shape == (100, 40)


def test_shuffled_variant_permutes_positions(plugin):
    data_cls = load_object(plugin, "data:MNIST1DDataModule")
    plain, shuffled = data_cls(), data_cls(shuffle_seq=True)
    plain.setup()
    shuffled.setup()
    assert not torch.equal(plain.tensors["x_train"], shuffled.tensors["x_train"])
    assert torch.equal(plain.tensors["y_train"], shuffled.tensors["y_train"])


def test_cached_data_is_the_generated_data(plugin, tmp_path):
    data_cls = load_object(plugin, "data:MNIST1DDataModule")
    fresh, stored = data_cls(), data_cls(cache_dir=str(tmp_path))
    fresh.setup()
    stored.setup()  # generates and writes the cache
    assert len(list(tmp_path.glob("mnist1d-*.pt"))) == 1
    loaded = data_cls(cache_dir=str(tmp_path))
    loaded.setup()  # reads it back
    for key, tensor in fresh.tensors.items():
        assert torch.equal(tensor, loaded.tensors[key])
        assert tensor.dtype == loaded.tensors[key].dtype
    shuffled = data_cls(cache_dir=str(tmp_path), shuffle_seq=True)
    shuffled.setup()  # another setting: its own file, never the plain one
    assert len(list(tmp_path.glob("mnist1d-*.pt"))) == 2
    assert not torch.equal(shuffled.tensors["x_train"], fresh.tensors["x_train"])


def _authors_forward(net: torch.nn.Module, arch: str, x: torch.Tensor) -> torch.Tensor:
    """The forward passes of the authors' notebooks/models.py, written out from its layers."""
    if arch == "mlp":  # MLPBase: a residual connection around the second hidden layer
        h = net.linear1(x).relu()
        h = h + net.linear2(h).relu()
        return net.linear3(h)
    if arch == "cnn":  # ConvBase
        h = x.view(-1, 1, x.shape[-1])
        h = net.conv3(net.conv2(net.conv1(h).relu()).relu()).relu()
        return net.linear(h.view(h.shape[0], -1))
    if arch == "gru":  # GRUBase, bidirectional, zero initial state
        states, _ = net.gru(x.view(*x.shape[:2], 1), torch.zeros(2, x.shape[0], 6))
        return net.linear(states.reshape(states.shape[0], -1))
    return net(x)  # LinearBase


@pytest.mark.parametrize("arch", ["logistic", "mlp", "cnn", "gru"])
def test_forward_passes_match_the_authors_models(plugin, arch: str):
    torch.manual_seed(0)
    classifier = load_object(plugin, "model:MNIST1DClassifier")(arch=arch)
    x = torch.randn(7, 40)
    assert torch.allclose(classifier(x), _authors_forward(classifier.net, arch, x), atol=1e-6)
