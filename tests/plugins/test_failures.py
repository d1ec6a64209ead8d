"""A plugin's failure is one line, whatever its exception says."""

from __future__ import annotations

from pathlib import Path

from repro.plugins.failures import MESSAGE_CHARS, failure_message


def test_a_multi_line_exception_is_one_line_for_the_terminal_and_the_record(
    tmp_path: Path,
) -> None:
    """helper-40: `self.log("test/mse", vector)` failed with Lightning's message holding the
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
