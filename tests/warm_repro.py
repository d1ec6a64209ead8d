"""`python -m repro ARGS` for the tests, in a process forked from a warm interpreter.

Most of a test's `repro` subprocess went on importing torch and Lightning (about 3 s on the
2-core CI machine, several hundred times a suite). A server, one per pytest worker, imports
them once and forks a child per call. The child is a real process, as a user's: its own pid,
signals, exit code and output, the call's folder and environment, `sys.argv`, `sys.path[0]`
and `sys.orig_argv` as `python -m repro` (or `python -c SCRIPT`) sets them, random generators
reseeded. Only the third-party libraries are warm: `repro` and the plugins are imported by the
child, as in a cold start.

A call whose environment changes how the interpreter or those libraries start (PYTHON*,
TORCH*, OMP/MKL, CUDA), or a test that looks at what a run imports, runs cold
(`subprocess.run`): `conftest.repro(cold=True)`.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WARM_MODULES = ("torch", "lightning.pytorch", "hydra", "omegaconf", "pandas")
"""Imported once by the server: their import reads no environment variable a test varies
(beyond STARTUP_PREFIXES)."""

STARTUP_PREFIXES = ("PYTHON", "TORCH", "OMP_", "MKL_", "KMP_", "CUDA", "LD_", "PL_")
"""Environment variables read while the interpreter or the warm modules start: a call that
sets them differently from the server's start runs cold."""


def _send(connection: socket.socket, message: dict) -> None:
    connection.sendall(json.dumps(message).encode() + b"\n")


def _receive(reader) -> dict:
    line = reader.readline()
    if not line:
        raise ConnectionError("the warm repro server closed the connection")
    return json.loads(line)


# --- the server side ---------------------------------------------------------------------


def _become_the_call(request: dict) -> None:
    """In the forked child: take on the call's files, folder, environment and arguments."""
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, fd)
        os.close(out)
    os.close(stdin)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    tempfile.tempdir = None  # TMPDIR as the call's environment says
    script = request.get("script")
    sys.orig_argv = [sys.executable, *(["-c", script] if script else ["-m", "repro"])]
    sys.orig_argv += request["args"]
    sys.argv = [*(["-c"] if script else ["-m"]), *request["args"]]
    sys.path[0] = "" if script else os.getcwd()
    import random

    import numpy
    import torch

    random.seed()
    numpy.random.seed()
    torch.seed()


def _run_as_main(request: dict) -> None:
    """Run the call as the interpreter would from its command line: uncaught exceptions and
    SystemExit end the process the usual way, at exit handlers included."""
    import runpy

    import __main__

    script = request.get("script")
    if script:
        for name in list(vars(__main__)):
            if not name.startswith("__"):
                delattr(__main__, name)
        exec(compile(script, "<string>", "exec", dont_inherit=True), vars(__main__))
    else:
        runpy._run_module_as_main("repro")  # what `python -m repro` calls


def _middle(connection: socket.socket) -> dict | None:
    """Fork the call's process, tell the client its pid, then its exit code. Returns the
    request in the call's process (which runs it), never in this one."""
    reader = connection.makefile("rb")
    request = _receive(reader)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        reader.close()
        connection.close()
        return request
    _send(connection, {"pid": pid})
    _, status = os.waitpid(pid, 0)
    _send(connection, {"returncode": os.waitstatus_to_exitcode(status)})
    os._exit(0)


def serve(address: str) -> dict:
    """Import the warm modules, then fork per connection. Returns only in a call's process."""
    import importlib

    for name in WARM_MODULES:
        importlib.import_module(name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address + ".tmp")
    listener.listen(64)
    listener.settimeout(2)
    parent = os.getppid()
    os.rename(address + ".tmp", address)  # the client waits for this name: ready
    while True:
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            if os.getppid() != parent:  # the pytest worker is gone, whatever way it ended
                os._exit(0)
            continue
        connection.settimeout(None)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:  # reap finished middles
                pass
        if os.fork() == 0:
            listener.close()
            request = _middle(connection)
            if request is not None:
                return request
        connection.close()


# --- the client side ---------------------------------------------------------------------


class WarmRepro:
    """One server per pytest worker process, started at the first call."""

    def __init__(self) -> None:
        self.server: subprocess.Popen | None = None
        self.folder = Path(tempfile.mkdtemp(prefix="repro-warm-"))
        self.address = str(self.folder / "socket")
        self.environment: dict[str, str] = {}

    def _start(self) -> None:
        self.environment = {k: v for k, v in os.environ.items() if k.startswith(STARTUP_PREFIXES)}
        self.server = subprocess.Popen(
            [sys.executable, __file__, self.address],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / "server.log", "wb"),  # noqa: SIM115
            cwd=self.folder,
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + 120
        while not os.path.exists(self.address):
            if self.server.poll() is not None or time.monotonic() > deadline:
                log = (self.folder / "server.log").read_text()
                raise RuntimeError(f"the warm repro server did not start:\n{log}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.kill()
            self.server.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def serves(self, env: dict[str, str]) -> bool:
        """Whether a call with this environment starts as it would cold."""
        if self.server is None:
            return True
        startup = {k: v for k, v in env.items() if k.startswith(STARTUP_PREFIXES)}
        return startup == self.environment

    def run(
        self, args: list[str], env: dict[str, str], cwd: str, timeout: float, script: str | None
    ) -> subprocess.CompletedProcess[str]:
        if self.server is None or self.server.poll() is not None:
            self._start()
        command = [sys.executable, *(["-c", script] if script else ["-m", "repro"]), *args]
        with tempfile.TemporaryDirectory(dir=self.folder) as files:
            stdout, stderr = Path(files) / "stdout", Path(files) / "stderr"
            request = {
                "args": args,
                "env": env,
                "cwd": cwd,
                "script": script,
                "stdout": str(stdout),
                "stderr": str(stderr),
            }
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.connect(self.address)
                _send(connection, request)
                reader = connection.makefile("rb")
                pid = _receive(reader)["pid"]
                connection.settimeout(timeout)
                try:
                    returncode = _receive(reader)["returncode"]
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                    raise subprocess.TimeoutExpired(
                        command, timeout, _text(stdout), _text(stderr)
                    ) from None
            return subprocess.CompletedProcess(command, returncode, _text(stdout), _text(stderr))


def _text(path: Path) -> str:
    """The output as `subprocess.run(text=True)` gives it (universal newlines)."""
    data = path.read_bytes() if path.exists() else b""
    return data.decode().replace("\r\n", "\n").replace("\r", "\n")


if __name__ == "__main__":
    sys.path[0] = ""  # not tests/: each call's sys.path[0] is set as its command line sets it
    _call = serve(sys.argv[1])
    _become_the_call(_call)
    _run_as_main(_call)
