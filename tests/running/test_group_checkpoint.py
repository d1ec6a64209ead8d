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
