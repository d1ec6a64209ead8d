from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from repro.errors import UsageError
from repro.plugins.registry import get_paper, load_object
from tests.conftest import plugin_module, repro


@pytest.fixture(scope="module")
def plugin():
    return get_paper("dspn")


@pytest.fixture(scope="module")
def layers(plugin):
    return plugin_module(plugin, "set_layers", "chamfer_loss")


def test_chamfer_loss_on_a_hand_computed_example(layers):
    # one set of two 1-D points {0, 3} against the target {0, 1}; smooth-L1 with beta 1:
    # d(0,0)=0, d(0,1)=0.5, d(3,0)=2.5, d(3,1)=1.5
    prediction = torch.tensor([[[0.0, 3.0]]])
    target = torch.tensor([[[0.0, 1.0]]])
    # targets → nearest prediction: 0 and 0.5 (mean 0.25); predictions → nearest target: 0 and 1.5
    expected = 0.25 + 0.75
    assert torch.allclose(layers.chamfer_loss(prediction, target), torch.tensor([expected]))
    # permutation invariant, zero on identical sets, channels averaged
    assert torch.allclose(
        layers.chamfer_loss(prediction.flip(-1), target), torch.tensor([expected])
    )
    two = torch.tensor([[[0.0, 1.0], [0.2, 0.4]]])
    assert layers.chamfer_loss(two, two.flip(-1)).item() == 0.0


def test_fspool_weights_sorted_features_by_relative_rank(layers):
    pool = layers.FSPool(channels=1, pieces=1)
    with torch.no_grad():
        pool.weight.copy_(torch.tensor([[1.0, 3.0]]))
    x = torch.tensor([[[2.0, 5.0, 1.0]]])  # sorted descending: 5, 2, 1 at ranks 0, 0.5, 1
    assert torch.allclose(pool(x), torch.tensor([[5 * 1.0 + 2 * 2.0 + 1 * 3.0]]))
    assert torch.allclose(pool(x[..., [2, 0, 1]]), pool(x))


def test_model_matches_the_authors_sizes_and_is_permutation_invariant(plugin):
    model_cls = load_object(plugin, "model:SetAutoEncoder")
    torch.manual_seed(0)
    model = model_cls()
    # encoder 3·256+256 + 256·256+256 + 256·64+64 + FSPool 64·21; DSPN start set 2·342 + mask 342
    assert sum(p.numel() for p in model.parameters()) == 1024 + 65792 + 16448 + 1344 + 1026
    small = model_cls(dim=16, latent=8, max_set_size=20).eval()
    points, mask = torch.rand(2, 2, 20), (torch.rand(2, 20) > 0.3).float()
    order = torch.randperm(20)
    first = small.encoder(points, mask)
    assert torch.allclose(first, small.encoder(points[..., order], mask[:, order]), atol=1e-6)
    sets, masks = small(points, mask)
    assert len(sets) == 11 and sets[-1].shape == (2, 2, 20) and masks[-1].shape == (2, 20)
    assert masks[-1].min() >= 0.0 and masks[-1].max() <= 1.0


def _write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_reads_raw_mnist_files_without_torchvision(plugin, tmp_path: Path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    images[:, 0, 27] = 34  # just above the mean after normalisation: a point
    images[:, 5, 5] = 33  # just below: not a point
    images[1, 27, 0] = 255
    for image_file, label_file in (
        ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    ):
        _write_idx(raw / f"{image_file}.gz", images)
        _write_idx(raw / f"{label_file}.gz", np.arange(3))
    data = load_object(plugin, "data:MNISTSetDataModule")(data_dir=str(tmp_path), test_size=2)
    data.setup()
    assert data.dataset_sizes() == {"train": 3, "test": 2}
    points, mask = data.tensors["train"]
    assert points.shape == (3, 2, 342) and mask.shape == (3, 342)
    assert mask.sum(1).tolist() == [1.0, 2.0, 1.0]
    assert points[0, :, 0].tolist() == [0.0, 1.0]  # (row 0, column 27) / 27
    assert points[1, :, 1].tolist() == [1.0, 0.0]
    assert (points * (1 - mask[:, None]) == 0).all()  # padding is zero


def test_missing_mnist_is_a_usage_error(plugin, tmp_path: Path):
    data = load_object(plugin, "data:MNISTSetDataModule")(data_dir=str(tmp_path / "none"))
    with pytest.raises(UsageError, match=r"MNIST not found in .*none: run .*urlretrieve"):
        data.setup()


def test_missing_mnist_stops_the_run_with_one_line(tmp_path: Path):
    done = repro(
        "run",
        "paper=dspn",
        "experiment=mnist",
        "debug=fast",
        "logger=none",
        f"paths.data_dir={tmp_path / 'empty'}",
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: MNIST not found in "), lines
    assert "Traceback" not in done.stderr


def test_synthetic_sets_are_digit_like_and_seeded(plugin):
    data_cls = load_object(plugin, "data:MNISTSetDataModule")
    first, second = data_cls(synthetic=True), data_cls(synthetic=True)
    first.setup()
    second.setup()
    assert first.dataset_sizes() == {"train": 256, "test": 64}
    assert torch.equal(first.tensors["train"][0], second.tensors["train"][0])
    sizes = first.tensors["train"][1].sum(1)
    assert sizes.min() >= 20 and sizes.max() <= 342


def test_synthetic_run_end_to_end(isolated_env: Path):
    shown = repro("show", "dspn")
    assert shown.returncode == 0 and "mnist_mlp" in shown.stdout
    for experiment in ("mnist", "mnist_mlp"):
        done = repro(
            "run",
            "paper=dspn",
            f"experiment={experiment}",
            "debug=fast",
            "logger=none",
            "data.synthetic=true",
            "model.dim=32",
            "model.latent=16",
            "num_threads=1",
        )
        assert done.returncode == 0, done.stderr
    records = [json.loads(p.read_text()) for p in isolated_env.rglob("record.json")]
    assert len(records) == 2
    for record in records:
        assert record["status"] == "completed"
        assert record["metrics"]["test/chamfer"] > 0 and record["timing"]["steps"] == 5
        assert record["data"] == {"train": 256, "test": 64}
