"""Shared fixtures: an isolated results folder, offline W&B, and a CLI runner."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.warm_repro import WarmRepro

REPO = Path(__file__).resolve().parent.parent
# one matplotlib folder a worker, set before any test: the warm interpreter reads it as it starts
os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="repro-tests-mpl-")
WARM = WarmRepro()


@pytest.fixture(scope="session", autouse=True)
def warm_repro_server() -> Iterator[None]:
    """The warm interpreter `repro()` forks from lives as long as this worker's session."""
    yield
    WARM.stop()


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder for the whole session: generated datasets are cached once, and no test
    writes into the user's ~/.cache/repro/data."""
    return tmp_path_factory.mktemp("repro-data")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session_data_dir: Path) -> Path:
    """Every test writes under its own tmp folder and never reaches W&B's servers."""
    results = tmp_path / "results"
    monkeypatch.setenv("REPRO_RESULTS_DIR", str(results))
    monkeypatch.setenv("REPRO_DATA_DIR", str(session_data_dir))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "wandb"))
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "wandb-cache"))
    monkeypatch.delenv("REPRO_PAPERS_PATH", raising=False)
    # Lightning's seed_everything, called in-process by a test, sets these for the process:
    # undone after each test, so no later test (or the runs it starts) inherits a seed
    for name in ("PL_GLOBAL_SEED", "PL_SEED_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return results


def repro(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 900,
    cwd: Path | None = None,
    patched_by: str | None = None,
    cold: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run the real `repro` CLI in its own process, as a user would; `patched_by`: a script
    that replaces some of repro's functions (to signal at an exact point), then calls
    `repro.cli.main()` with these arguments. The process is forked from a warm interpreter
    that has torch and Lightning imported (tests/warm_repro.py); `cold=True` starts a new
    interpreter, for a test of what a command imports."""
    full_env = {**os.environ, **(env or {})}
    if not cold and WARM.serves(full_env):
        return WARM.run(list(args), full_env, str(cwd or Path.cwd()), timeout, patched_by)
    start = ["-c", patched_by] if patched_by else ["-m", "repro"]
    return subprocess.run(
        [sys.executable, *start, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=cwd,
    )


def repro_in_own_group(
    *args: str,
    env: dict[str, str],
    ctrl_c_when: Callable[[], bool] | None = None,
    timeout: float = 300,
) -> tuple[int, str]:
    """`repro *args` as its own process group, as a terminal runs a command, so a Ctrl-C
    (SIGINT to the group: sent here once `ctrl_c_when()` holds, or by the plugin itself)
    reaches the sweep and its workers only. Returns the exit code and stderr; nothing of
    the group outlives the call."""
    process = subprocess.Popen(
        [sys.executable, "-m", "repro", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        if ctrl_c_when is not None:
            deadline = time.monotonic() + timeout
            while not ctrl_c_when() and time.monotonic() < deadline:
                assert process.poll() is None, process.communicate()
                time.sleep(0.01)
            os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return process.returncode, stderr


TOY_PAPER = {
    "paper.yaml": """\
        id: {paper_id}
        title: A toy regression paper
        authors: [Test Author]
        venue: Nowhere 2026
        year: 2026
        paper_url: https://example.org/paper
        module: model:ToyModule
        datamodule: data:ToyData
        default_seeds: 2
        experiments:
          small: a linear model
          wide: a wider input
        claims:
          - {id: small_mse, experiment: small, metric: test/mse, value: 0.0, tolerance: 0.5,
             higher_is_better: false, source: "Table 1"}
        """,
    "settings.yaml": """\
        # @package _global_
        data:
          features: 4
          samples: 64
        model:
          features: 4
          explode: false
        optimizer:
          lr: 0.05
        trainer:
          max_steps: 20
        """,
    "experiment/small.yaml": "# @package _global_\n{}\n",
    "experiment/wide.yaml": "# @package _global_\ndata:\n  features: 8\nmodel:\n  features: 8\n",
    "model.py": """\
        import lightning.pytorch as pl
        import torch
        from torch import nn


        class ToyModule(pl.LightningModule):
            def __init__(self, features, explode=False, optimizer=None):
                super().__init__()
                self.explode = explode
                self.net = nn.Linear(features, 1)
                self.lr = (optimizer or {}).get("lr", 0.05)

            def training_step(self, batch, batch_idx):
                x, y = batch
                loss = nn.functional.mse_loss(self.net(x).squeeze(-1), y)
                if self.explode and self.global_step == 3:
                    loss = loss * float("nan")
                self.log("train/loss", loss)
                return loss

            def test_step(self, batch, batch_idx):
                x, y = batch
                self.log("test/mse", nn.functional.mse_loss(self.net(x).squeeze(-1), y))

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=self.lr)
        """,
    "data.py": """\
        import lightning.pytorch as pl
        import torch

        from repro.plugins.batches import InMemoryBatches


        class ToyData(pl.LightningDataModule):
            def __init__(self, features, samples):
                super().__init__()
                g = torch.Generator().manual_seed(0)
                self.x = torch.randn(samples, features, generator=g)
                self.y = self.x.sum(-1)

            def train_dataloader(self):
                return InMemoryBatches(self.x, self.y, 16)

            def test_dataloader(self):
                return InMemoryBatches(self.x, self.y, 64)
        """,
}


class Terminal(io.StringIO):
    """Captured output that says it is a terminal, so what is printed is wrapped to COLUMNS
    and coloured as a person's terminal would show it."""

    def isatty(self) -> bool:
        return True


def fast_run_record(results: Path, paper: str, experiment: str) -> dict[str, Any]:
    """`repro run paper=<paper> experiment=<experiment> debug=fast` through the CLI; the one
    completed record it wrote."""
    done = repro("run", f"paper={paper}", f"experiment={experiment}", "debug=fast", "logger=none")
    assert done.returncode == 0, done.stderr
    (record_file,) = results.rglob("record.json")
    record = json.loads(record_file.read_text())
    assert record["status"] == "completed"
    return record


def plugin_module(plugin: Any, module: str, attribute: str) -> ModuleType:
    """A built-in plugin's submodule, for unit tests of its parts (imported the way repro
    imports plugins: loading `module:attribute` imports the plugin's package)."""
    from repro.plugins.registry import load_object

    load_object(plugin, f"{module}:{attribute}")
    return importlib.import_module(f"repro_plugin_{plugin.id}.{module}")


def write_toy_paper(root: Path, paper_id: str = "toy") -> Path:
    """A complete small plugin in `root/paper_id`, outside the repository."""
    folder = root / paper_id
    for name, text in TOY_PAPER.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).replace("{paper_id}", paper_id))
    return folder


SIGNALLING_MODULE = '''

import os
import signal


class SignallingModule(ToyModule):
    """Sends itself a signal once, at the hook named by `REPRO_TEST_SIGNAL_AT`."""

    def _signal_once(self, hook, in_epoch_1=True):
        if os.environ.get("REPRO_TEST_SIGNAL_AT") == hook and (
            self.current_epoch == 1 or not in_epoch_1
        ):
            os.environ["REPRO_TEST_SIGNAL_AT"] = "sent"
            os.kill(os.getpid(), getattr(signal, os.environ["REPRO_TEST_SIGNAL"]))

    def training_step(self, batch, batch_idx):
        batches = self.trainer.num_training_batches
        if batch_idx == batches - 1:  # the stop is then acted on at the epoch's last batch end
            self._signal_once("last_train_batch")
        if batch_idx == batches // 2 - 1:
            self._signal_once("mid_train_batch")
        self._signal_once(f"train_batch_{batch_idx}")
        return super().training_step(batch, batch_idx)

    def on_train_epoch_end(self):
        self._signal_once("train_epoch_end")

    def validation_step(self, batch, batch_idx):
        if self.trainer.sanity_checking:
            self._signal_once("sanity_check", in_epoch_1=False)
        else:
            self._signal_once("validation")
        x, y = batch
        self.log("val/mse", nn.functional.mse_loss(self.net(x).squeeze(-1), y))

    def test_step(self, batch, batch_idx):
        self._signal_once("test", in_epoch_1=False)
        super().test_step(batch, batch_idx)

    def on_test_end(self):  # after the last test batch: no batch end follows to act on it
        self._signal_once("test_end", in_epoch_1=False)
'''

VALIDATING_DATA = """

class ValidatingData(ToyData):
    def __init__(self, features, samples, shuffle=False, plain_loader=False, generator_seed=None):
        super().__init__(features, samples)
        self.shuffle = shuffle
        self.plain_loader = plain_loader  # a DataLoader: no state_dict, resumes no mid-pass
        self.generator_seed = generator_seed  # the DataLoader shuffles with its own generator

    def train_dataloader(self):
        if self.plain_loader:
            dataset = torch.utils.data.TensorDataset(self.x, self.y)
            generator = None
            if self.generator_seed is not None:
                generator = torch.Generator().manual_seed(self.generator_seed)
            return torch.utils.data.DataLoader(
                dataset, 16, shuffle=self.shuffle, generator=generator
            )
        return InMemoryBatches(self.x, self.y, 16, shuffle=self.shuffle, seed=3)

    def val_dataloader(self):
        return InMemoryBatches(self.x, self.y, 64)
"""


def write_signalling_paper(plugins: Path) -> Path:
    """The toy paper as `sig`, whose module sends itself the signal named by
    REPRO_TEST_SIGNAL once, at the hook named by REPRO_TEST_SIGNAL_AT (epoch 1): exact timing
    for tests of interruption, where waiting and sending from outside would race."""
    folder = write_toy_paper(plugins, "sig")
    (folder / "model.py").write_text((folder / "model.py").read_text() + SIGNALLING_MODULE)
    (folder / "data.py").write_text((folder / "data.py").read_text() + VALIDATING_DATA)
    spec = (folder / "paper.yaml").read_text()
    spec = spec.replace("model:ToyModule", "model:SignallingModule")
    (folder / "paper.yaml").write_text(spec.replace("data:ToyData", "data:ValidatingData"))
    return plugins


def run_signalling_paper(
    plugins: Path,
    results: Path | None,
    *overrides: str,
    logger: str = "none",
    patched_by: str | None = None,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """`repro run` of the signalling paper's 40-step experiment (validation every epoch), as
    the checkpoint, resume and rerun tests drive it; `env` sets REPRO_TEST_SIGNAL and friends,
    `patched_by` as `repro()` takes it."""
    if results is not None:
        env = {"REPRO_RESULTS_DIR": str(results), **env}
    return repro(
        "run",
        "--papers-dir",
        str(plugins),
        "paper=sig",
        "experiment=small",
        f"logger={logger}",
        "trainer.max_steps=40",
        "+trainer.val_check_interval=1.0",
        *overrides,
        env=env,
        patched_by=patched_by,
    )


@contextlib.contextmanager
def machine_lock(name: str) -> Iterator[None]:
    """Held by one test at a time on this machine, whichever pytest-xdist worker runs it:
    for what a machine has once (SLURM's controller ports)."""
    import fcntl
    import tempfile

    with open(Path(tempfile.gettempdir()) / f"repro-tests-{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, or the process ends
        yield


@pytest.fixture
def slurm_cluster(tmp_path: Path):
    """A real single-node SLURM (slurmctld + slurmd) on localhost, for this test only (one
    at a time on a machine: its ports are fixed)."""
    if shutil.which("slurmctld") is None:
        if os.environ.get("REPRO_REQUIRE_SLURM"):
            pytest.fail("SLURM is required here (REPRO_REQUIRE_SLURM) but slurmctld is missing")
        pytest.skip("slurmctld not installed (scripts/slurm_local.sh install)")
    with machine_lock("slurm"):
        yield from _slurm_cluster(tmp_path)


def slurm_folder(tmp_path: Path) -> Path:
    """Where the test cluster keeps its state, spool and logs: a short folder of the system's
    temp dir (slurmd's job sockets in its spool must fit Linux's 108 characters; pytest's
    `tmp_path` on a long-lived machine does not), named after the test's."""
    import hashlib

    tag = hashlib.sha256(str(tmp_path).encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"repro-slurm-{tag}"


def _slurm_cluster(tmp_path: Path) -> Iterator[dict[str, str]]:
    script = REPO / "scripts" / "slurm_local.sh"
    folder = slurm_folder(tmp_path)
    started = subprocess.run(
        [str(script), "start", str(folder)], capture_output=True, text=True, timeout=60, check=True
    )
    conf = started.stdout.strip().splitlines()[-1].split("=", 1)[1]
    yield {"SLURM_CONF": conf}
    env = {**os.environ, "SLURM_CONF": conf}
    for _ in range(100):  # stopping before its steps ended leaves their slurmstepd behind
        queue = subprocess.run(["squeue", "-h"], capture_output=True, text=True, env=env)
        if queue.returncode != 0 or not queue.stdout.strip():
            break
        time.sleep(0.3)
    subprocess.run([str(script), "stop", str(folder)], capture_output=True, timeout=60)
    shutil.rmtree(folder, ignore_errors=True)
