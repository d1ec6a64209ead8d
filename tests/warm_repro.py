"""`python -m repro ARGS` for the tests, in a process forked from a warm interpreter.

Most of a test's `repro` subprocess went on importing torch and Lightning (about 3 s on the
2-core CI machine, several hundred times a suite). A server, one per pytest worker, imports
them once and forks a child per call. The child is a real process, as a user's: its own pid,
signals and exit code; its output through pipes read to their end (a process it leaves behind
holding them keeps the call waiting, as with `subprocess.run`); the call's folder and
environment; `sys.argv`, `sys.orig_argv`, `sys.path[0]` and a fresh `__main__` as
`python -m repro` (or `python -c SCRIPT`) sets them; random generators reseeded. Only
third-party libraries are warm: `repro` and the plugins are imported by the child, as in a
cold start. A call the test gives up on (timeout, exception, Ctrl-C) is killed.

What stays shared: the hash seed of every call in one worker (str hashes, set order), and the
warnings filters the warm imports installed first. A call whose environment changes how the
interpreter or the warm libraries start (STARTUP_PREFIXES, STARTUP_NAMES), or a test that looks
at what a run imports, runs cold (`subprocess.run`): `conftest.repro(cold=True)`.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

WARM_MODULES = ("torch", "lightning.pytorch", "hydra", "omegaconf", "pandas")
"""Imported once by the server."""

STARTUP_PREFIXES = (
    *("PYTHON", "TORCH", "PYTORCH", "PL_", "OMP_", "MKL_", "KMP_", "CUDA", "LD_", "LC_"),
    *("MPL", "MATPLOTLIB", "XDG_", "FSSPEC_", "PANDAS_", "SYMPY_", "NPY_", "NUMPY_"),
    *("OPENBLAS_", "SCIPY_", "MALLOC_"),
)
STARTUP_NAMES = frozenset(
    {"LANG", "LANGUAGE", "TZ", "RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK"}
    | {"POSSIBLE_USER_WARNINGS", "GLIBC_TUNABLES"}
)
"""Environment variables read while the interpreter or the warm modules start (traced): a
call that sets them otherwise than the server's start runs cold."""


SET_BY_TORCH_AS_IT_RUNS = frozenset({"PYTORCH_NVML_BASED_CUDA_CHECK", "TORCHINDUCTOR_CACHE_DIR"})
"""Set in the pytest worker by torch itself once a test has used it in-process, and read when
used, not at import: not a reason to run cold (else every later call of the worker was)."""


def startup_environment(env: dict[str, str]) -> dict[str, str]:
    return {
        k: v
        for k, v in env.items()
        if (k.startswith(STARTUP_PREFIXES) or k in STARTUP_NAMES)
        and k not in SET_BY_TORCH_AS_IT_RUNS
    }


def _send(connection: socket.socket, message: dict) -> None:
    connection.sendall(json.dumps(message).encode() + b"\n")


# --- the server side ---------------------------------------------------------------------


def _become_the_call(request: dict, output: list[int]) -> None:
    """In the forked child: take on the call's pipes, folder, environment and arguments."""
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    os.close(stdin)
    for fd, pipe in zip((1, 2), output, strict=True):
        os.dup2(pipe, fd)
        os.close(pipe)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    tempfile.tempdir = None  # TMPDIR as the call's environment says
    script = request["script"]
    start = ["-c", script] if script else ["-m", "repro"]
    sys.orig_argv = [sys.executable, *start, *request["args"]]
    sys.argv = [start[0], *request["args"]]
    sys.path[0] = "" if script else os.getcwd()
    import multiprocessing.process
    import random

    import numpy
    import torch

    multiprocessing.process.ORIGINAL_DIR = os.getcwd()
    random.seed()
    numpy.random.seed()
    torch.seed()


def _run_as_main(script: str | None) -> None:
    """Run the call as the interpreter would from its command line, in a `__main__` as fresh
    as a cold start's: uncaught exceptions and SystemExit end the process the usual way."""
    import builtins
    import importlib.machinery
    import runpy

    import __main__

    namespace = vars(__main__)
    namespace.clear()  # the server's names are gone from here on: locals only
    namespace.update(
        __name__="__main__",
        __doc__=None,
        __package__=None,
        __spec__=None,
        __loader__=importlib.machinery.BuiltinImporter,
        __annotations__={},
        __builtins__=builtins,
    )
    if script:
        exec(compile(script, "<string>", "exec", dont_inherit=True), namespace)
    else:
        runpy._run_module_as_main("repro")  # what `python -m repro` calls


def _middle(connection: socket.socket) -> tuple[dict, list[int]] | None:
    """Fork the call's process, tell the client its pid, then its exit code; kill it if the
    client hangs up first. Returns in the call's process (which runs it), never in this one."""
    _, output, _, _ = socket.recv_fds(connection, 1, 2)
    request = json.loads(connection.makefile("rb").readline())
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        connection.close()
        return request, output
    for pipe in output:
        os.close(pipe)
    _send(connection, {"pid": pid})
    process = os.pidfd_open(pid)
    while True:
        ready, _, _ = select.select([process, connection], [], [])
        if process in ready:
            break
        if not connection.recv(1):  # the test gave up on the call: as subprocess.run, kill it
            os.kill(pid, signal.SIGKILL)  # not reaped yet, so still this call's pid
            break
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        _send(connection, {"returncode": os.waitstatus_to_exitcode(status)})
    os._exit(0)


def serve(address: str) -> tuple[dict, list[int]]:
    """Import the warm modules, then fork per connection. Returns only in a call's process."""
    import importlib

    for name in WARM_MODULES:
        importlib.import_module(name)
    gc.freeze()  # a call's exit then leaves these objects' pages shared: 0.5 s, not 3-4 s
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address + ".tmp")
    listener.listen(64)
    listener.settimeout(2)
    parent = os.getppid()
    os.rename(address + ".tmp", address)  # the client waits for this name: ready
    while True:
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:  # reap finished middles
                pass
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            if os.getppid() != parent:  # the pytest worker is gone, whatever way it ended
                os._exit(0)
            continue
        connection.settimeout(None)
        if os.fork() == 0:
            listener.close()
            call = _middle(connection)
            if call is not None:
                return call
        connection.close()


# --- the client side ---------------------------------------------------------------------


class WarmRepro:
    """One server per pytest worker process, started at the first call."""

    def __init__(self) -> None:
        self.server: subprocess.Popen | None = None
        self.folder: Path | None = None
        # the worker's own, before any test changes it: a server started inside a test that
        # set (say) XDG_CACHE_HOME would have sent every later call of the worker cold
        self.environment = startup_environment(dict(os.environ))
        self.lock = threading.Lock()
        self.calls = {"warm": 0, "cold": 0}

    @property
    def address(self) -> str:
        assert self.folder is not None
        return str(self.folder / "socket")

    def _running(self) -> bool:
        return self.server is not None and self.server.poll() is None

    def _start(self) -> None:
        self.stop()
        self.folder = Path(tempfile.mkdtemp(prefix="repro-warm-"))
        others = {k: v for k, v in os.environ.items() if k not in startup_environment(os.environ)}
        with open(self.folder / "server.log", "wb") as log:
            self.server = subprocess.Popen(
                [sys.executable, __file__, self.address],
                env={**others, **self.environment},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self.folder,
            )
        deadline = time.monotonic() + 120
        while not os.path.exists(self.address):
            if self.server.poll() is not None or time.monotonic() > deadline:
                log_text = (self.folder / "server.log").read_text()
                raise RuntimeError(f"the warm repro server did not start:\n{log_text}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._running():
            assert self.server is not None
            self.server.kill()
            self.server.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.server = self.folder = None

    def serves(self, env: dict[str, str]) -> bool:
        """Whether a call with this environment starts as it would cold."""
        startup = startup_environment(env)
        warm = startup == self.environment
        self.calls["warm" if warm else "cold"] += 1
        if not warm and os.environ.get("REPRO_WARM_LOG"):  # which variables sent it cold
            differ = sorted(set(startup.items()) ^ set(self.environment.items()))
            with open(os.environ["REPRO_WARM_LOG"], "a") as log:
                log.write(f"cold {os.environ.get('PYTEST_CURRENT_TEST')}: {differ}\n")
        return warm

    def _connect(self) -> socket.socket:
        with self.lock:
            for attempt in (1, 2):
                if not self._running():
                    self._start()
                connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    connection.connect(self.address)
                    return connection
                except OSError:
                    connection.close()
                    if attempt == 2:
                        raise
                    self.stop()
        raise AssertionError("unreachable")

    def run(
        self, args: list[str], env: dict[str, str], cwd: str, timeout: float, script: str | None
    ) -> subprocess.CompletedProcess[str]:
        """The call, as `subprocess.run(capture_output=True, text=True, timeout=...)`."""
        if not os.path.isdir(cwd):
            raise FileNotFoundError(f"no such folder: {cwd!r}")  # as Popen(cwd=...) raises
        command = [sys.executable, *(["-c", script] if script else ["-m", "repro"]), *args]
        request = {"args": args, "env": env, "cwd": cwd, "script": script}
        deadline = time.monotonic() + timeout
        output = {"stdout": bytearray(), "stderr": bytearray()}
        replies = bytearray()
        connection = self._connect()
        with connection, selectors.DefaultSelector() as waiting:
            (out_read, out_write), (err_read, err_write) = os.pipe(), os.pipe()
            try:
                socket.send_fds(connection, [b"F"], [out_write, err_write])
            finally:
                os.close(out_write)
                os.close(err_write)
            _send(connection, request)
            waiting.register(out_read, selectors.EVENT_READ, "stdout")
            waiting.register(err_read, selectors.EVENT_READ, "stderr")
            waiting.register(connection, selectors.EVENT_READ, "replies")
            try:
                while waiting.get_map():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise subprocess.TimeoutExpired(
                            command, timeout, _text(output["stdout"]), _text(output["stderr"])
                        )
                    for key, _ in waiting.select(left):
                        chunk = (
                            connection.recv(4096)
                            if key.data == "replies"
                            else os.read(key.fd, 65536)
                        )
                        if not chunk:
                            waiting.unregister(key.fileobj)
                        elif key.data == "replies":
                            replies += chunk
                        else:
                            output[key.data] += chunk
            finally:  # closing the connection first: the server kills a call still running
                connection.close()
                os.close(out_read)
                os.close(err_read)
        lines = [json.loads(line) for line in bytes(replies).splitlines()]
        codes = [line["returncode"] for line in lines if "returncode" in line]
        if not codes:
            raise ConnectionError(f"the warm repro server lost the call {command}")
        return subprocess.CompletedProcess(
            command, codes[0], _text(output["stdout"]), _text(output["stderr"])
        )


def _text(data: bytes | bytearray) -> str:
    """Output as `subprocess.run(text=True)` gives it (universal newlines)."""
    return bytes(data).decode().replace("\r\n", "\n").replace("\r", "\n")


if __name__ == "__main__":
    sys.path[0] = ""  # not tests/: each call's sys.path[0] is set as its command line sets it
    _request, _output = serve(sys.argv[1])
    _become_the_call(_request, _output)
    _run_as_main(_request["script"])
