"""Unit tests of repro/running/group_checkpoint.py."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from repro.errors import ReproError
from repro.running.group_checkpoint import GroupCheckpoint


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_real_full_disk_in_a_group_save_is_named_and_leaves_no_part(tmp_path: Path) -> None:
    """On a real full disk torch.save(obj, path) raises RuntimeError ('[enforce fail at
    inline_container.cc] unexpected pos'), not the OSError the save catches: the group failed
    as an internal error. The part is written through a file, whose ENOSPC is an OSError."""
    path = tmp_path / "checkpoints" / "together.ckpt"
    path.parent.mkdir()
    (path.parent / "together.ckpt.tmp").symlink_to("/dev/full")  # every write: ENOSPC
    group = SimpleNamespace(
        state_dict=lambda: {"w": torch.zeros(100_000)}, state=SimpleNamespace(global_step=3)
    )
    saver = GroupCheckpoint(path, {"seeds": [0, 1]}, every_s=0.0, enabled=True)
    with pytest.raises(ReproError, match=r"cannot save checkpoint .*No space left on device"):
        saver.save(group)  # type: ignore[arg-type]
    assert not os.path.lexists(path.parent / "together.ckpt.tmp")
    assert not path.exists()


@pytest.mark.parametrize("lock", ["split_lock", "run_lock"])
def test_a_results_folder_that_cannot_be_written_is_named_not_its_lock_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lock: str
) -> None:
    """Before, a read-only results folder ended a seed (of a setting whose seeds trained
    together) in `Read-only file system: .../<hash>/.group-split.lock`, an internal file's
    name, where a folder that cannot be written is `cannot create run folder ...`."""
    import errno

    from repro.running import group_checkpoint
    from repro.running import lock as run_locks

    def read_only(path: object, *args: object) -> int:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    monkeypatch.setattr(os, "open", read_only)
    held = getattr(group_checkpoint if lock == "split_lock" else run_locks, lock)
    with pytest.raises(ReproError) as raised, held(tmp_path):
        pass
    assert str(raised.value) == f"cannot write in {tmp_path}: Read-only file system"
