"""Opening the SQLite file: private to its owner, WAL, foreign keys, a 30 s busy wait."""

from __future__ import annotations

import os
import sqlite3

from .errors import StoreError

BUSY_TIMEOUT_MS = 30_000
# The WAL file is cut back to this size when it is next reused after a checkpoint (a Bulk pull
# lets it grow to hundreds of MB: Store.bulk_writing).
WAL_SIZE_LIMIT = 64 * 1024 * 1024


def _create_private(path: str) -> None:
    """Create the database file readable by its owner only, unless it exists."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as problem:
        raise StoreError(
            f"cannot create the database {path} ({problem.strerror}):"
            " create its folder or choose another path"
        ) from None


def connect(path: str) -> sqlite3.Connection:
    if path != ":memory:":
        _create_private(path)
    conn = None
    try:
        conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
    except sqlite3.DatabaseError as problem:
        if conn is not None:
            conn.close()
        if "not a database" in str(problem):
            raise StoreError(
                f"{path} is not a syncer database: point to the right file or move this one away"
            ) from None
        raise StoreError(
            f"cannot open {path} ({problem}): check the path and its permissions"
        ) from None
    return conn
