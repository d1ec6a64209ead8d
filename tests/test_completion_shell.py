"""TAB completion in a real interactive bash (and zsh): the shell, not the test, splits words.

bash splits `paper=mnist1d` into `paper`, `=`, `mnist1d` (COMP_WORDBREAKS) and replaces only
the part after the `=`; a test that hands click whole words passes where the shell fails. Each
test types into a shell in tmux, presses TAB, then turns the line into `echo "[...]"` to read
it back exactly.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent  # the virtualenv's bin: `repro` lies next to python
SHELLS = {
    "bash": ["bash", "--norc", "--noprofile", "-i"],
    "zsh": ["zsh", "-f", "-i"],
}
SETUP = {
    "bash": 'eval "$(_REPRO_COMPLETE=source_bash repro)"',
    "zsh": "bindkey -e; autoload -Uz compinit && compinit -u -D; "
    'eval "$(_REPRO_COMPLETE=source_zsh repro)"',
}
READY = "READY-7f3c"
TIMEOUT = 8.0


class Shell:
    """An interactive shell in a detached tmux session."""

    def __init__(self, shell: str, home: Path) -> None:
        self.socket = str(home / "tmux.sock")  # its own server, removed with tmp_path
        env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(home),
            "ZDOTDIR": str(home),
            "INPUTRC": "/dev/null",
            "PS1": "$ ",
            "PROMPT": "$ ",
            "TERM": "xterm",
        }
        env.pop("EDITOR", None)
        env.pop("VISUAL", None)
        self._tmux("new-session", "-d", "-x", "250", "-y", "60", *SHELLS[shell], env=env)
        self.send(f"{SETUP[shell]}; echo {READY[:5]}''{READY[5:]}", "Enter")
        self._wait(lambda screen: READY in screen, "the shell to start")
        self._tmux("clear-history")
        self.send("clear", "Enter")

    def _tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            ["tmux", "-S", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=TIMEOUT,
            check=True,
        )
        return done.stdout

    def send(self, *keys: str) -> None:
        for key in keys:  # literal text, or a tmux key name such as Tab / Enter / C-a
            named = key in ("Tab", "Enter", "C-a", "C-e", "C-u")
            self._tmux("send-keys", *(() if named else ("-l",)), "-t", "0", key)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "0")

    def _wait(self, done: object, what: str) -> str:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            screen = self.screen()
            if done(screen):  # type: ignore[operator]
                return screen
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; screen:\n{self.screen()}")

    def complete(self, typed: str, tabs: int = 1) -> tuple[str, str]:
        """(the command line after TAB × tabs, everything the screen showed)."""
        self.send("C-u", typed, *["Tab"] * tabs)
        marker = uuid.uuid4().hex[:6]
        # keys after TAB wait until the completion has run: then echo the line back
        self.send("C-a", f'echo "{marker}[', "C-e", ']"', "Enter")
        pattern = re.compile(rf"^{marker}\[(.*)\]$", re.MULTILINE)
        screen = self._wait(pattern.search, "the completed line")
        match = pattern.search(screen)
        assert match is not None
        return match.group(1), screen

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)


def _shell(name: str, tmp_path: Path) -> Iterator[Shell]:
    if not shutil.which("tmux") or not shutil.which(name):
        pytest.skip(f"needs tmux and {name}")
    if not (BIN / "repro").exists():
        pytest.skip("needs the `repro` script of an installed repro next to python")
    shell = Shell(name, tmp_path)
    try:
        yield shell
    finally:
        shell.close()


@pytest.fixture
def bash(tmp_path: Path) -> Iterator[Shell]:
    yield from _shell("bash", tmp_path)


@pytest.fixture
def zsh(tmp_path: Path) -> Iterator[Shell]:
    yield from _shell("zsh", tmp_path)


def _listed(screen: str, typed: str) -> list[str]:
    """The words of the candidate list printed after the first line that shows `typed`."""
    lines = screen.splitlines()
    start = next(i for i, line in enumerate(lines) if typed in line)
    return [word for line in lines[start + 1 :] for word in line.split()]


def test_bash_first_key_value(bash: Shell) -> None:
    assert bash.complete("repro run pap")[0].rstrip() == "repro run paper="
    assert bash.complete("repro run paper=mn")[0] == "repro run paper=mnist1d "
    _, screen = bash.complete("repro run paper=", tabs=2)
    assert {"amsgrad", "mnist1d", "set_transformer"} <= set(_listed(screen, "paper="))


def test_bash_after_the_first_key_value(bash: Shell) -> None:
    line = "repro run paper=mnist1d "
    assert bash.complete(line + "experiment=c")[0] == line + "experiment=cnn"
    _, screen = bash.complete(line + "experiment=cnn", tabs=2)  # one TAB more: the list
    assert {"cnn", "cnn_shuffled"} <= set(_listed(screen, "experiment=cnn"))
    assert bash.complete(line + "model.h")[0].rstrip() == line + "model.hidden="
    assert bash.complete(line + "trainer.max_s")[0].rstrip() == line + "trainer.max_steps="
    assert bash.complete(line + "exp")[0].rstrip() == line + "experiment="
    assert bash.complete(line + "experiment=cnn trainer.max_s")[0].rstrip() == (
        line + "experiment=cnn trainer.max_steps="
    )
    assert bash.complete(line + "launcher=slurm_l")[0] == line + "launcher=slurm_local "


def test_bash_sweep_keys(bash: Shell) -> None:
    line = "repro sweep paper=mnist1d "
    assert bash.complete(line + "max_se")[0].rstrip() == line + "max_seeds="


def test_bash_paper_id_arguments(bash: Shell) -> None:
    assert bash.complete("repro show m")[0] == "repro show mnist1d "
    assert bash.complete("repro check a")[0] == "repro check amsgrad "


def test_bash_paper_words_of_report_and_sync(bash: Shell) -> None:
    assert bash.complete("repro report paper=a")[0] == "repro report paper=amsgrad "
    assert bash.complete("repro report pa")[0].rstrip() == "repro report paper="
    _, screen = bash.complete("repro sync paper=", tabs=2)
    assert {"amsgrad", "dspn", "mnist1d"} <= set(_listed(screen, "paper="))


def test_zsh_after_the_first_key_value(zsh: Shell) -> None:
    line = "repro run paper=mnist1d "
    assert zsh.complete("repro run paper=mn")[0].rstrip() == "repro run paper=mnist1d"
    assert zsh.complete(line + "trainer.max_s")[0].rstrip() == line + "trainer.max_steps="
    assert zsh.complete(line + "exp")[0].rstrip() == line + "experiment="
    assert zsh.complete(line + "experiment=gru_")[0].rstrip() == line + "experiment=gru_shuffled"


def test_zsh_paper_id_arguments(zsh: Shell) -> None:
    assert zsh.complete("repro show m")[0].rstrip() == "repro show mnist1d"
    assert zsh.complete("repro check a")[0].rstrip() == "repro check amsgrad"


def test_zsh_paper_words_of_report_and_sync(zsh: Shell) -> None:
    assert zsh.complete("repro report paper=a")[0].rstrip() == "repro report paper=amsgrad"
    assert zsh.complete("repro sync paper=m")[0].rstrip() == "repro sync paper=mnist1d"
