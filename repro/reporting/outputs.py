"""The report folder's other outputs: what an earlier `repro report` wrote in formats this
one was not asked for (report.html, report.pdf, records.csv).

Such a file is a finished output the user asked for before, so it is never deleted. It is
kept silently when it still matches this report (made from the same records and notes), and
kept with a warning when it does not: it is then stale, and the warning names the option that
updates it. `.outputs.json` in the folder remembers which report each output was made from.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from repro.records import store
from repro.reporting.files import write_file

MANIFEST = ".outputs.json"
OPTIONS = {"report.html": "--format html", "report.pdf": "--format pdf", "records.csv": "--csv"}
"""Each optional output and the option of `repro report` that writes it."""


def report_digest(markdown: str, generated_at: str) -> str:
    """What a report says, less when it was generated: equal for reports of the same records
    and notes, so an output made from it is up to date."""
    return hashlib.sha256(markdown.replace(generated_at, "").encode("utf-8")).hexdigest()[:16]


def keep_earlier_outputs(out: Path, written: list[Path], digest: str) -> list[str]:
    """Record the outputs written now and warn about each earlier one this run did not
    rewrite that no longer matches the report (or whose report is unknown); none is removed.
    An unreadable or unwritable `.outputs.json` (a folder left there, no permission) counts as
    missing and is said in a warning: the report itself is written by then, so failing here
    would leave it reported as not written."""
    manifest = out / MANIFEST
    made = _read_manifest(manifest)
    warnings = []
    for name, option in OPTIONS.items():
        path = out / name
        if path in written or not path.is_file() or made.get(name) == digest:
            continue
        why = (
            "does not match this one (older records or notes)"
            if name in made
            else f"cannot tell whether it matches this one (not recorded in {MANIFEST})"
        )
        warnings.append(
            f"warning: {path} is from an earlier report and {why}: kept as it was; "
            f"add {option} to update it, or delete it"
        )
    made.update({path.name: digest for path in written})
    made = {name: value for name, value in made.items() if (out / name).is_file()}
    try:
        write_file(manifest, json.dumps(made, indent=2, sort_keys=True) + "\n")
    except OSError as error:
        warnings.append(
            f"warning: cannot record which report the outputs were made from in {manifest} "
            f"({error.strerror or error}): a later report cannot tell whether they match it"
        )
    return warnings


def _read_manifest(manifest: Path) -> dict[str, str]:
    """Output name -> the digest of the report it was made from; {} when unknown."""
    try:
        data = store.parse_json(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}
