"""Provenance of a run: code version, packages, interpreter and hardware."""

from __future__ import annotations

import platform
import socket
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from repro.resources import PROJECT_ROOT

TRACKED_PACKAGES = (
    "repro",
    "torch",
    "lightning",
    "hydra-core",
    "omegaconf",
    "wandb",
    "pandas",
    "numpy",
    "scipy",
    "typer",
    "pydantic",
)


def git_state(folder: Path = PROJECT_ROOT) -> dict[str, Any]:
    """Commit SHA and whether the work tree has uncommitted changes of the checkout repro runs
    from; both None unless git tracks `folder/repro/__init__.py`. A wheel install sits in
    site-packages, and a repository around it (a project holding the venv) is other code:
    its SHA would be false provenance."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    if git("ls-files", "--error-unmatch", "--", "repro/__init__.py") is None:
        return {"sha": None, "dirty": None}
    sha = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"sha": sha, "dirty": bool(status) if status is not None else None}


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware() -> dict[str, Any]:
    import os

    import torch

    gpus = (
        [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        if torch.cuda.is_available()
        else []
    )
    return {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "gpus": gpus,
        "cuda": torch.version.cuda if gpus else None,
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
    }


def capture_environment() -> dict[str, Any]:
    """Everything needed to say where and with what a run was produced."""
    import torch

    return {
        "git": git_state(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "packages": package_versions(),
        **hardware(),
    }
