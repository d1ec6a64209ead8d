from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from repro.plugins.data_cache import Tensors, cache_key, cached_tensors, generator_digest


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
    assert [p.name for p in tmp_path.iterdir()] == [cache_key("toy", {"n": 3}, generate)]


def test_other_arguments_never_read_another_settings_file(tmp_path: Path):
    cached_tensors(tmp_path, "toy", {"n": 3}, CountingGenerator(1.0))
    other = cached_tensors(tmp_path, "toy", {"n": 4}, CountingGenerator(2.0))
    assert float(other["x"][0, 0]) == 2.0
    assert cache_key("toy", {"a": 1, "b": 2}) == cache_key("toy", {"b": 2, "a": 1})


def test_corrupt_file_is_regenerated_and_replaced(tmp_path: Path):
    generate = CountingGenerator()
    (tmp_path / cache_key("toy", {"n": 3}, generate)).write_bytes(b"not a torch file")
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
    generate = CountingGenerator()
    torch.save(payload, tmp_path / cache_key("toy", {"n": 3}, generate))
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
    _flip_a_bit_inside(
        tmp_path / cache_key("toy", {"n": 3}, generate), torch.tensor(1.0).numpy().tobytes()
    )
    again = cached_tensors(tmp_path, "toy", {"n": 3}, generate)
    assert generate.calls == 2 and torch.equal(again["x"], torch.full((3, 2), 1.0))
    warnings = capsys.readouterr().err.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("warning: ") and "hash" in warnings[0]
    cached_tensors(tmp_path, "toy", {"n": 3}, generate)
    assert generate.calls == 2  # the regenerated file is trusted again


GENERATOR_MODULE = """
import torch


def make():
    return {"x": torch.ones(3, 2) * SCALE}


SCALE = 1.0
"""


def _import_generator(folder: Path, source: str, name: str) -> Callable[[], Tensors]:
    """`make` from a fresh import of `source` written to `folder/<name>.py`, as a plugin's
    data.py would be after a user edited it."""
    path = folder / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make


class CountingCalls:
    """Wraps a generator and counts how often it really ran."""

    def __init__(self, generate: Callable[[], Tensors]) -> None:
        self.calls = 0
        self.__wrapped__ = generate

    def __call__(self) -> Tensors:
        self.calls += 1
        return self.__wrapped__()


@pytest.fixture
def code_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # no .pyc: an edit of the same size within the same second would load the stale one
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    folder = tmp_path / "code"
    folder.mkdir()
    return folder


def test_edited_generator_code_is_not_served_the_old_data(tmp_path: Path, code_dir: Path):
    cache = tmp_path / "cache"
    old = cached_tensors(
        cache, "toy", {"n": 3}, _import_generator(code_dir, GENERATOR_MODULE, "g1")
    )
    assert float(old["x"][0, 0]) == 1.0
    edited = GENERATOR_MODULE.replace("* SCALE", "* SCALE * 0")
    new = cached_tensors(cache, "toy", {"n": 3}, _import_generator(code_dir, edited, "g2"))
    assert float(new["x"][0, 0]) == 0.0
    assert len(list(cache.iterdir())) == 2  # the old file stays, harmless, under its own key


def test_a_helper_edited_in_the_generators_file_is_a_new_key(tmp_path: Path, code_dir: Path):
    cache = tmp_path / "cache"
    cached_tensors(cache, "toy", {"n": 3}, _import_generator(code_dir, GENERATOR_MODULE, "g1"))
    edited = GENERATOR_MODULE.replace("SCALE = 1.0", "SCALE = 2.0")
    new = cached_tensors(cache, "toy", {"n": 3}, _import_generator(code_dir, edited, "g2"))
    assert float(new["x"][0, 0]) == 2.0


def test_comment_only_edit_keeps_the_cache_hit(tmp_path: Path, code_dir: Path):
    cache = tmp_path / "cache"
    first = CountingCalls(_import_generator(code_dir, GENERATOR_MODULE, "g1"))
    cached_tensors(cache, "toy", {"n": 3}, first)
    commented = "# a note\n" + GENERATOR_MODULE.replace("def make():", "def make():  # why\n\n")
    second = CountingCalls(_import_generator(code_dir, commented, "g2"))
    cached_tensors(cache, "toy", {"n": 3}, second)
    assert (first.calls, second.calls) == (1, 0)


def test_same_generator_code_is_a_cache_hit(tmp_path: Path, code_dir: Path):
    cache = tmp_path / "cache"
    generate = CountingCalls(_import_generator(code_dir, GENERATOR_MODULE, "g1"))
    cached_tensors(cache, "toy", {"n": 3}, generate)
    cached_tensors(cache, "toy", {"n": 3}, generate)
    reimported = CountingCalls(_import_generator(code_dir, GENERATOR_MODULE, "g2"))
    cached_tensors(cache, "toy", {"n": 3}, reimported)
    assert (generate.calls, reimported.calls) == (1, 0)


def test_lambda_partial_and_method_are_keyed_on_their_defining_files(code_dir: Path):
    make = _import_generator(code_dir, GENERATOR_MODULE, "g1")
    here = generator_digest(lambda: make())  # the lambda's code is in this file
    assert here == generator_digest(CountingGenerator().__call__)
    assert here == generator_digest(functools.partial(_import_generator, code_dir))
    assert generator_digest(functools.partial(make)) == generator_digest(make) != here


def test_generator_without_a_source_file_is_keyed_on_its_bytecode():
    namespace: dict[str, Any] = {}
    exec(compile("def make():\n    return {'x': 1}\n", "<no file>", "exec"), namespace)
    exec(compile("def other():\n    return {'x': 0}\n", "<no file>", "exec"), namespace)
    assert generator_digest(namespace["make"]).startswith("bytecode:")
    assert generator_digest(namespace["make"]) != generator_digest(namespace["other"])


def test_a_helper_in_another_file_of_the_plugin_is_part_of_the_key(tmp_path: Path) -> None:
    """The generator in data.py calls gen.py: editing gen.py must not serve the old data."""
    import importlib
    import sys

    from repro.plugins.data_cache import cache_key

    plugin = tmp_path / "toyplugin"
    plugin.mkdir()
    (plugin / "paper.yaml").write_text("id: toyplugin\n")
    (plugin / "gen.py").write_text("def make():\n    return 1\n")
    (plugin / "data.py").write_text("from gen import make\n\ndef generate():\n    return make()\n")
    sys.path.insert(0, str(plugin))
    try:
        data = importlib.import_module("data")
        before = cache_key("toy", {}, data.generate)
        (plugin / "gen.py").write_text("def make():\n    return 2\n")
        after = cache_key("toy", {}, data.generate)
    finally:
        sys.path.remove(str(plugin))
        sys.modules.pop("data", None)
        sys.modules.pop("gen", None)
    assert before != after


@pytest.mark.parametrize("where", ["a_file", "a_file/below"])
def test_a_cache_dir_that_cannot_be_a_folder_says_so_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
):
    """`paths.data_dir` naming a file (or a path under one): the data was generated again on
    every run without a word, the folder the user named never used."""
    (tmp_path / "a_file").write_text("not a folder")
    generate = CountingGenerator()
    first = cached_tensors(tmp_path / where, "toy", {"n": 3}, generate)
    assert torch.equal(first["x"], generate()["x"])  # the run goes on with generated data
    warnings = capsys.readouterr().err.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("warning: "), warnings
    assert str(tmp_path / where) in warnings[0] and "not kept" in warnings[0]
    assert (tmp_path / "a_file").read_text() == "not a folder"
    cached_tensors(tmp_path / where, "toy", {"n": 3}, generate)  # a group's next seed
    assert not capsys.readouterr().err
