"""`bash setup.sh` is quiet: pip's warnings go to a log, its errors still reach the user."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO

NOISE = "WARNING: Location 'file:///opt/pypi/simple/pip/' is ignored: it is neither a file"


def _setup(folder: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(folder / "setup.sh"), "--no-run"],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **(env or {})},
    )


def _fake_checkout(tmp_path: Path, failing: str = "") -> tuple[Path, dict[str, str]]:
    """setup.sh next to a fake .venv whose pip prints screens of warnings and fails when
    installing `failing`, and a PATH whose apt-get does nothing."""
    checkout = tmp_path / "checkout"
    (checkout / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(REPO / "setup.sh", checkout / "setup.sh")
    pip = f"""#!/usr/bin/env bash
for i in $(seq 200); do echo "{NOISE}" >&2; done
case " $* " in *" {failing or "-none-"} "*)
  echo "ERROR: No matching distribution found for {failing}" >&2; exit 3;; esac
"""
    scripts = {"pip": pip, "python": "#!/bin/sh\n", "repro": "#!/bin/sh\n"}
    for name, text in scripts.items():
        path = checkout / ".venv" / "bin" / name
        path.write_text(text)
        path.chmod(0o755)
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "apt-get").write_text("#!/bin/sh\n")
    (shims / "apt-get").chmod(0o755)
    return checkout, {"PATH": f"{shims}:{os.environ['PATH']}"}


def test_setup_hides_pip_noise(tmp_path: Path) -> None:
    checkout, env = _fake_checkout(tmp_path)
    done = _setup(checkout, env)
    assert done.returncode == 0, done.stderr
    output = (done.stdout + done.stderr).splitlines()
    assert "WARNING" not in done.stdout + done.stderr
    assert len(output) <= 4, output
    assert output[-1] == "setup: installed repro into .venv"
    assert NOISE in (checkout / ".venv" / "setup-pip.log").read_text()  # kept, not lost


def test_setup_shows_why_pip_failed(tmp_path: Path) -> None:
    checkout, env = _fake_checkout(tmp_path, failing="torch")
    done = _setup(checkout, env)
    assert done.returncode == 3
    assert "ERROR: No matching distribution found for torch" in done.stderr
    assert "setup: pip install" in done.stderr and "failed (exit 3)" in done.stderr
    assert "installed repro" not in done.stdout


def test_setup_on_this_checkout_prints_a_few_lines() -> None:
    """The real script on the real .venv (already installed: pip only checks, fast)."""
    done = _setup(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    output = (done.stdout + done.stderr).splitlines()
    assert len(output) <= 4, output
    assert "WARNING" not in done.stdout + done.stderr
