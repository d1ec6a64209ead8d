"""MNIST as point sets (DSPN's set auto-encoding experiment), or generated digit-like sets.

Real data: the four raw MNIST idx files, read with numpy from `data_dir` (the layout
torchvision's `MNIST(root, download=True)` leaves, `<root>/MNIST/raw/`, or the files directly in
`data_dir`; gzipped or not). Nothing is ever downloaded here; when the files are absent the run
stops with a one-line UsageError saying which command fetches them.
"""

from __future__ import annotations

import gzip
import json
import shlex
import sys
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import torch

from repro.batches import InMemoryBatches
from repro.errors import UsageError

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist"  # the mirror torchvision downloads from
MEAN, STD = 0.1307, 0.3081  # the normalisation the authors apply before thresholding
SIDE = 28


def download_command(data_dir: Path) -> str:
    """A one-line command that puts the raw MNIST files where `find_idx_file` looks."""
    raw = data_dir / "MNIST" / "raw"
    names = [name for pair in FILES.values() for name in pair]
    script = (
        "import os, urllib.request as u; "
        f"d = {json.dumps(str(raw))}; os.makedirs(d, exist_ok=True); "
        f'[u.urlretrieve("{MIRROR}/" + f + ".gz", os.path.join(d, f + ".gz")) '
        f"for f in {json.dumps(names)}]"
    )
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}"


def find_idx_file(data_dir: Path, name: str) -> Path | None:
    for folder in (data_dir / "MNIST" / "raw", data_dir):
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


def read_idx(path: Path) -> np.ndarray:
    """An idx file (the MNIST format: big-endian header, then uint8 data) as an array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise UsageError(f"{path}: not an idx file of unsigned bytes")
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims)
    if data.size != int(np.prod(shape)):
        raise UsageError(f"{path}: truncated ({data.size} of {int(np.prod(shape))} bytes)")
    return data.reshape(shape)


def load_mnist_images(data_dir: Path, split: str) -> np.ndarray:
    """uint8 images (n, 28, 28) of one split, or a UsageError naming the fetch command."""
    images_name, _ = FILES[split]
    path = find_idx_file(data_dir, images_name)
    if path is None:
        raise UsageError(
            f"MNIST not found in {data_dir}: run {download_command(data_dir)} "
            "(or point paths.data_dir / REPRO_DATA_DIR at a folder holding MNIST/raw)"
        )
    return read_idx(path)


def foreground(images: np.ndarray, threshold: float) -> np.ndarray:
    """Pixels whose normalised value (x / 255 − 0.1307) / 0.3081 exceeds `threshold`
    (float32, as torchvision's ToTensor + Normalize compute it)."""
    scaled = images.astype(np.float32) / np.float32(255)
    return (scaled - np.float32(MEAN)) / np.float32(STD) > np.float32(threshold)


def images_to_sets(pixels: np.ndarray, max_set_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean images → (points, mask): each foreground pixel becomes the point
    (row, column) / 27; sets are padded with zeros to `max_set_size`, mask 1 on real points."""
    count = len(pixels)
    points = np.zeros((count, 2, max_set_size), dtype=np.float32)
    mask = np.zeros((count, max_set_size), dtype=np.float32)
    for i, image in enumerate(pixels):
        rows, cols = np.nonzero(image)
        if len(rows) > max_set_size:
            raise ValueError(f"image {i} has {len(rows)} points, more than {max_set_size}")
        points[i, 0, : len(rows)] = rows / (SIDE - 1)
        points[i, 1, : len(rows)] = cols / (SIDE - 1)
        mask[i, : len(rows)] = 1.0
    return torch.from_numpy(points), torch.from_numpy(mask)


def synthetic_digits(count: int, seed: int) -> np.ndarray:
    """Boolean 28×28 images of 2–3 random thick quadratic-Bézier strokes: digit-like point
    sets of about 40 to 150 points (MNIST digits have up to 342), for tests and smoke runs."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, SIDE, SIDE), dtype=bool)
    t = np.linspace(0.0, 1.0, 40)[:, None]
    for image in images:
        for _ in range(rng.integers(2, 4)):
            a, b, c = rng.uniform(4, 23, size=(3, 2))
            while np.linalg.norm(c - a) < 10:  # strokes at least 10 pixels long
                c = rng.uniform(4, 23, size=2)
            curve = (1 - t) ** 2 * a + 2 * (1 - t) * t * b + t**2 * c
            cells = np.rint(curve).astype(int)
            for dr, dc in ((0, 0), (0, 1), (1, 0), (1, 1)):  # two pixels thick
                image[
                    np.clip(cells[:, 0] + dr, 0, SIDE - 1), np.clip(cells[:, 1] + dc, 0, SIDE - 1)
                ] = True
    return images


class MNISTSetDataModule(pl.LightningDataModule):
    """MNIST digits as sets of at most 342 (x, y) points with a presence mask.

    Training reshuffles every epoch (order depends on the run's seed) and drops the last
    partial batch, as the authors' loader does. Like the authors' default (no `--full-eval`),
    the test set is the first `test_size` test images (null: all 10,000); it doubles as the
    validation set for learning curves. The order of points inside a set is irrelevant: the
    encoder sorts and the Chamfer loss matches, so sets are not shuffled internally.
    """

    def __init__(
        self,
        data_dir: str = "data",
        synthetic: bool = False,
        synthetic_train: int = 256,
        synthetic_test: int = 64,
        synthetic_seed: int = 0,
        threshold: float = 0.0,
        max_set_size: int = 342,
        batch_size: int = 32,
        eval_batch_size: int = 32,
        test_size: int | None = 1000,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.shuffle_seed = torch.initial_seed()  # repro seeds torch before building the data
        self.tensors: dict[str, tuple[torch.Tensor, torch.Tensor]] | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.tensors is not None:
            return
        h = self.hparams
        if h.synthetic:
            pixels = {
                "train": synthetic_digits(h.synthetic_train, h.synthetic_seed),
                "test": synthetic_digits(h.synthetic_test, h.synthetic_seed + 1),
            }
        else:
            data_dir = Path(h.data_dir).expanduser().resolve()
            pixels = {
                split: foreground(load_mnist_images(data_dir, split), h.threshold)
                for split in FILES
            }
            if h.test_size is not None:
                pixels["test"] = pixels["test"][: h.test_size]
        self.tensors = {split: images_to_sets(p, h.max_set_size) for split, p in pixels.items()}

    def dataset_sizes(self) -> dict[str, int]:
        """Sizes recorded in the run record."""
        self.setup()
        return {split: len(points) for split, (points, _) in self.tensors.items()}

    def train_dataloader(self) -> InMemoryBatches:
        points, mask = self.tensors["train"]
        return InMemoryBatches(
            points,
            mask,
            self.hparams.batch_size,
            shuffle=True,
            seed=self.shuffle_seed,
            drop_last=True,
        )

    def val_dataloader(self) -> InMemoryBatches:
        return self.test_dataloader()

    def test_dataloader(self) -> InMemoryBatches:
        points, mask = self.tensors["test"]
        return InMemoryBatches(points, mask, self.hparams.eval_batch_size)
