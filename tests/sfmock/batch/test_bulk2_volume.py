"""Bulk API 2.0 at volume: a server's memory stays flat while it streams a large job."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "bench_bulk2.py"
ROWS = 150_000


def run(rows: int) -> dict:
    """benchmarks/bench_bulk2.py's `measure` (a script, not an installed module)."""
    spec = importlib.util.spec_from_file_location("bench_bulk2", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.measure(rows)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for memory")
def test_a_large_ingest_and_query_job_keep_server_memory_flat():
    figures = run(ROWS)
    assert figures["failed"] == 0
    assert figures["query_rows"] >= ROWS
    # Holding the rows in Python would cost ~60 MiB at this size (and 400 MiB at 1,000,000);
    # spooled files and chunks of 500 and 2,000 rows keep the growth to a few MiB.
    assert figures["peak_after_ingest_mib"] - figures["peak_before_mib"] < 32
    assert figures["peak_after_query_mib"] - figures["peak_before_mib"] < 40
