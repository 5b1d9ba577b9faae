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
RAM_DISK_FREE = 2 * 1024**3  # a run writes ~40 MB (pytest keeps 3 runs); a container's is 64 MB


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """`tmp_path` on a RAM disk where there is one. The syncer's store commits with an fsync
    (WAL, synchronous=FULL) and the suite makes thousands of commits in `tmp_path`: on a busy
    disk the fsyncs took longer than the tests' own work (tests/syncer/push and store: 12.6 s
    on disk, 6.6 s here). An explicit --basetemp or PYTEST_DEBUG_TEMPROOT wins; xdist's
    workers get their basetemp from the controller, under this root. A small RAM disk (a
    container's default) is left alone."""
    if (config.option.basetemp is None and "PYTEST_DEBUG_TEMPROOT" not in os.environ
            and _roomy(RAM_DISK)):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(RAM_DISK)


def _roomy(folder: Path) -> bool:
    """Whether `folder` is a writable directory with RAM_DISK_FREE bytes free."""
    try:
        free = os.statvfs(folder)
    except (OSError, AttributeError):  # no such folder; no statvfs (Windows)
        return False
    return os.access(folder, os.W_OK) and free.f_bavail * free.f_frsize >= RAM_DISK_FREE


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
