"""Two costs of the test session itself, not of what the tests prove: fsyncs and the garbage
collector's walks over the suite's own objects (benchmarks/README.md, "The default suite's
time", measured both).
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

RAM_DISK = Path("/dev/shm")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """`tmp_path` on a RAM disk where there is one. The syncer's store commits with an fsync
    (WAL, synchronous=FULL) and the suite makes thousands of commits in `tmp_path`: on a busy
    disk the fsyncs took longer than the tests' own work (tests/syncer/push and store: 12.6 s
    on disk, 6.6 s here). An explicit --basetemp or PYTEST_DEBUG_TEMPROOT wins; xdist's
    workers get their basetemp from the controller, under this root."""
    if (config.option.basetemp is None and "PYTEST_DEBUG_TEMPROOT" not in os.environ
            and RAM_DISK.is_dir() and os.access(RAM_DISK, os.W_OK)):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(RAM_DISK)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """The suite's own objects frozen out of the collector. After collection a worker holds
    about 110,000 long-lived objects (modules, test items, fixture definitions), and every
    full collection walked them again: the ~1,000 orgs a run builds are reference cycles (a
    Flask app and its org) that only full collections free, so those ran about 150 times a
    run. `gc.freeze()` moves what exists now to a generation the collector skips; what the
    tests make is collected as before."""
    gc.collect()  # leave no garbage in what is frozen
    gc.freeze()
