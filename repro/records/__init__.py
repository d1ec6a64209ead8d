"""What is on disk: run record folders (`store`), the long table of records (`table`), the code
fingerprint that is part of a run's identity (`fingerprint`) and the machine a run ran on
(`environment`). The bottom of the house: it imports no other repro package."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_TABLE = ("RecordTable", "default_results_dir", "record_papers")


def load_records(results: str | Path | None = None, paper: str | None = None) -> pd.DataFrame:
    """Every run record under the results folder (default as the CLI's: REPRO_RESULTS_DIR,
    else ./results), or one paper's, as one long pandas DataFrame: a row per run × metric.
    `repro.load_records` is this function. (The report reads `repro.records.table`'s loader,
    which also lists the records it could not read.) A record it could not read is a
    warning naming the file (and in `frame.attrs["skipped"]`), as the report names it, and a
    paper without records says which papers have them: an empty or short table is never
    left unexplained."""
    import warnings

    from repro.errors import UsageError, did_you_mean
    from repro.records import store
    from repro.records.table import default_results_dir, record_papers
    from repro.records.table import load_records as load_table

    if paper is not None and (paper in ("", ".", "..") or "/" in paper or "\\" in paper):
        # one folder's name: `mnist1d/cnn` read an experiment's rows as the paper's
        raise UsageError(f"invalid paper {paper!r}: a paper's name, not a path")
    root = default_results_dir(Path(results) if results else None)
    # `results.zip`, or the paper's folder a dead link: an error, as the report's
    blocked = store.what_blocks_folder(root / paper if paper else root)
    if blocked:
        raise UsageError(f"results folder {root}: {blocked}")
    if not root.exists():  # a mistyped path read as 'no runs yet': say so
        warnings.warn(f"no results folder at {root}", stacklevel=2)
    table = load_table(root, paper)
    frame = table.frame
    said = [skipped.warning().removeprefix("warning: ") for skipped in table.skipped]
    frame.attrs["skipped"] = said
    for line in [*said, *table.config_warnings]:
        warnings.warn(line.removeprefix("warning: "), stacklevel=2)
    if paper is not None and frame.empty and not said and root.exists():  # a typo: say so
        known = record_papers(root)  # a warning: `toy2` may be new beside toy's records
        if paper not in known:
            hint = did_you_mean(paper, known) or ""
            warnings.warn(
                f"no records of paper {paper!r} under {root} ({hint}papers with records: "
                f"{', '.join(known) or 'none'})",
                stacklevel=2,
            )
    return frame


def __getattr__(name: str) -> object:
    """`repro.records.RecordTable` and friends from `table`, imported on first use."""
    if name in _TABLE:
        from repro.records import table

        return getattr(table, name)
    raise AttributeError(f"module 'repro.records' has no attribute {name!r}")
