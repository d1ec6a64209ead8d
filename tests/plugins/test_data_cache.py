from __future__ import annotations

from pathlib import Path

import pytest
import torch

from repro.plugins.data_cache import cache_key, cached_tensors


class CountingGenerator:
    """Stands in for a slow dataset generator; counts how often it really ran."""

    def __init__(self, value: float = 1.0) -> None:
        self.calls = 0
        self.value = value

    def __call__(self) -> dict[str, torch.Tensor]:
        self.calls += 1
        return {"x": torch.full((3, 2), self.value), "y": torch.arange(3)}


def test_second_call_loads_instead_of_generating(tmp_path: Path):
    generate = CountingGenerator()
    first = cached_tensors(tmp_path, "toy", {"n": 3}, generate)
    second = cached_tensors(tmp_path, "toy", {"n": 3}, generate)
    assert generate.calls == 1
    assert torch.equal(first["x"], second["x"]) and torch.equal(first["y"], second["y"])
    assert [p.name for p in tmp_path.iterdir()] == [cache_key("toy", {"n": 3})]


def test_other_arguments_never_read_another_settings_file(tmp_path: Path):
    cached_tensors(tmp_path, "toy", {"n": 3}, CountingGenerator(1.0))
    other = cached_tensors(tmp_path, "toy", {"n": 4}, CountingGenerator(2.0))
    assert float(other["x"][0, 0]) == 2.0
    assert cache_key("toy", {"a": 1, "b": 2}) == cache_key("toy", {"b": 2, "a": 1})


def test_corrupt_file_is_regenerated_and_replaced(tmp_path: Path):
    (tmp_path / cache_key("toy", {"n": 3})).write_bytes(b"not a torch file")
    generate = CountingGenerator()
    assert float(cached_tensors(tmp_path, "toy", {"n": 3}, generate)["x"][0, 0]) == 1.0
    cached_tensors(tmp_path, "toy", {"n": 3}, generate)
    assert generate.calls == 1  # the rewritten file was read the second time


def test_unwritable_cache_still_returns_the_data(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    generate = CountingGenerator()
    tensors = cached_tensors(blocker / "cache", "toy", {"n": 3}, generate)
    assert generate.calls == 1 and tensors["y"].tolist() == [0, 1, 2]


def test_no_cache_dir_always_generates(tmp_path: Path):
    generate = CountingGenerator()
    cached_tensors(None, "toy", {"n": 3}, generate)
    cached_tensors(None, "toy", {"n": 3}, generate)
    assert generate.calls == 2


@pytest.mark.parametrize("payload", [[1, 2], {"x": "text"}])
def test_a_file_of_the_wrong_shape_is_not_trusted(tmp_path: Path, payload: object):
    torch.save(payload, tmp_path / cache_key("toy", {"n": 3}))
    generate = CountingGenerator()
    cached_tensors(tmp_path, "toy", {"n": 3}, generate)
    assert generate.calls == 1


def _flip_a_bit_inside(path: Path, pattern: bytes) -> None:
    """Damage the stored tensor data itself, as a failing disk would (the file still loads)."""
    data = bytearray(path.read_bytes())
    where = data.find(pattern)
    assert where >= 0
    data[where + len(pattern) - 1] ^= 0x01
    path.write_bytes(bytes(data))


def test_flipped_bits_in_cached_tensors_are_caught_and_regenerated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    generate = CountingGenerator(value=1.0)
    cached_tensors(tmp_path, "toy", {"n": 3}, generate)
    _flip_a_bit_inside(tmp_path / cache_key("toy", {"n": 3}), torch.tensor(1.0).numpy().tobytes())
    again = cached_tensors(tmp_path, "toy", {"n": 3}, generate)
    assert generate.calls == 2 and torch.equal(again["x"], torch.full((3, 2), 1.0))
    warnings = capsys.readouterr().err.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("warning: ") and "hash" in warnings[0]
    cached_tensors(tmp_path, "toy", {"n": 3}, generate)
    assert generate.calls == 2  # the regenerated file is trusted again
