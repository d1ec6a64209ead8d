"""A plugin's failure is one line, whatever its exception says."""

from __future__ import annotations

from pathlib import Path

from repro.plugins.failures import MESSAGE_CHARS, failure_message
from tests.conftest import repro, write_toy_paper


def test_a_multi_line_exception_is_one_line_for_the_terminal_and_the_record(
    tmp_path: Path,
) -> None:
    """`self.log("test/mse", vector)` failed with Lightning's message holding the
    whole tensor: 85 lines in `repro run` and in `repro check`'s table."""
    tensor = "tensor([" + ",\n        ".join(f"{i}.0000" for i in range(400)) + "])"
    error = ValueError(
        f"`self.log(test/mse, {tensor})` was called, but the tensor must have a single element"
    )
    line = failure_message(error, tmp_path)
    assert "\n" not in line and line.startswith(
        "ValueError: `self.log(test/mse, tensor([0.0000, 1.0000"
    )
    assert len(line) <= MESSAGE_CHARS and line.endswith("…")
    assert failure_message(ValueError("short"), tmp_path) == "ValueError: short"


def _with_instructions(tmp_path: Path) -> Path:
    folder = write_toy_paper(tmp_path, "toy_data")
    paper = folder / "paper.yaml"
    paper.write_text(
        paper.read_text() + "data_instructions: >\n  Run scripts/get_data.sh\n  (2 GB).\n"
    )
    return folder


def test_missing_data_says_how_to_obtain_it(tmp_path: Path) -> None:
    """paper.yaml's data_instructions were validated but never shown, not even when
    the data module failed on a missing file."""
    folder = _with_instructions(tmp_path)
    try:
        open(tmp_path / "nope.npz")  # noqa: SIM115
    except FileNotFoundError as error:
        line = failure_message(error, folder)
    assert line.startswith("FileNotFoundError: [Errno 2]"), line
    assert line.endswith(
        f"nope.npz' (to obtain the data, from {folder / 'paper.yaml'}: Run "
        "scripts/get_data.sh (2 GB).)"
    ), line
    assert failure_message(ValueError("x"), folder) == "ValueError: x"


def test_show_prints_the_data_instructions(tmp_path: Path) -> None:
    folder = _with_instructions(tmp_path / "plugins")
    shown = repro("show", "toy_data", "--papers-dir", str(folder.parent))
    assert shown.returncode == 0, shown.stderr
    assert "\ndata: Run scripts/get_data.sh (2 GB).\n" in shown.stdout, shown.stdout
