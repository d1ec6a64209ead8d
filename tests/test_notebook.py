"""notebooks/quickstart.ipynb runs top to bottom, headless, as a new user would run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO

nbclient = pytest.importorskip("nbclient", reason="notebook tests need the dev extra")
nbformat = pytest.importorskip("nbformat")


def test_quickstart_notebook_executes(tmp_path: Path) -> None:
    notebook = nbformat.read(REPO / "notebooks" / "quickstart.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors
    text = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )
    assert "adam_online" in text and "reproduced" in text
    assert any("text/html" in o.get("data", {}) for o in outputs)  # the report, inline
    assert (tmp_path / "reports" / "amsgrad" / "report.html").is_file()
