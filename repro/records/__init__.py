"""What is on disk: run record folders (`store`), the long table of records (`table`), the code
fingerprint that is part of a run's identity (`fingerprint`) and the machine a run ran on
(`environment`). The bottom of the house: it imports no other repro package."""

_TABLE = ("load_records", "RecordTable", "default_results_dir", "record_papers")


def __getattr__(name: str) -> object:
    """`repro.records.load_records(...)` as before the move, imported on first use."""
    if name in _TABLE:
        from repro.records import table

        return getattr(table, name)
    raise AttributeError(f"module 'repro.records' has no attribute {name!r}")
