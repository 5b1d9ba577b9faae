"""The store's connection, clock, lock and transactions, shared by every table's methods."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.utils import dedupe_keys

from .connection import connect
from .errors import StoreError
from .schema import MIGRATIONS, migrate
from .values import Clock, system_clock, utcnow_iso

# bulk_writing's settings: a 32 MiB page cache (negative: KiB); a WAL checkpoint at most every
# 1 GiB of WAL (a first sync of 1,000,000 people checkpoints once, after its pull); temporary
# data (statement journals, a join's scratch tables) in memory.
BULK_CACHE_KIB = -32_768
BULK_CHECKPOINT_BYTES = 1 << 30
# The most rows one multi-row UPDATE of people names. SQLite keeps a copy of every page such a
# statement changes (its statement journal, to undo it alone), in memory in bulk_writing: rows
# scattered over the table would copy a page each, so at most 2,000 pages (8 MiB).
UPDATE_ROWS = 2_000


class StoreBase:
    def __init__(self, path: str | Path, *, clock: Clock | None = None):
        self.path = str(path)
        self.clock = clock or system_clock
        self._lock = threading.RLock()
        self.db = sqlite_utils.Database(connect(self.path))
        try:
            version = migrate(self.db)
        except BaseException:
            self.db.close()
            raise
        if version > len(MIGRATIONS):
            self.db.close()
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this syncer"
                f" ({len(MIGRATIONS)}): upgrade the syncer"
            )

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._scalar("PRAGMA user_version")

    def now(self) -> str:
        """The current time from the store's clock, in the store's timestamp form."""
        return utcnow_iso(self.clock)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make the writes in the block atomic: BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error.

        Nested blocks become savepoints, so an inner failure undoes only the inner writes.
        """
        with self._lock:
            conn = self.db.conn
            nested = conn.in_transaction
            conn.execute("SAVEPOINT nested" if nested else "BEGIN IMMEDIATE")
            try:
                yield
                conn.execute("RELEASE nested" if nested else "COMMIT")
            except BaseException:
                if nested and conn.in_transaction:
                    conn.execute("ROLLBACK TO nested")
                    conn.execute("RELEASE nested")
                elif conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def bulk_writing(self) -> Iterator[None]:
        """A larger page cache, the WAL checkpointed rarely and temporary data in memory, for
        a block that writes hundreds of thousands of rows (a Bulk pull and its drain).

        SQLite's defaults (2 MB, a checkpoint every 1,000 pages, temporary files) made a first
        sync of 1,000,000 people write 2.5 GB for a 410 MB store: a pull and its confirmations
        rewrite most pages of `people` once per type, and each checkpoint copied them to the
        database again; a multi-row UPDATE's statement journal went to a temporary file. The
        WAL's pages are copied to the database at most every 1 GiB and at the first commit
        after the block (its file shrinks to the connection's journal_size_limit when next
        reused); multi-row UPDATEs of people name at most UPDATE_ROWS rows, so a statement
        journal in memory stays small. Foreign keys are not checked in the block: every write
        of this store (the run's, and other threads' sharing the connection) names a person it
        read or created in the same transaction, and people are never deleted, so the check,
        a lookup in people per event and outbox row, cannot fail (it was 0.3 s of a
        1,000,000-row first sync's CPU). These are this
        connection's settings, put back after the block; durability is unchanged (every commit
        is in the WAL, synced as before)."""
        with self._lock:
            conn = self.db.conn
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            settings = {"cache_size": BULK_CACHE_KIB,
                        "wal_autocheckpoint": BULK_CHECKPOINT_BYTES // page_size,
                        "temp_store": 2,  # 2: MEMORY
                        "foreign_keys": 0}
            before = {name: conn.execute(f"PRAGMA {name}").fetchone()[0] for name in settings}
            for name, value in settings.items():
                conn.execute(f"PRAGMA {name} = {value}")
        try:
            yield
        finally:
            with self._lock:
                for name, value in before.items():
                    conn.execute(f"PRAGMA {name} = {int(value)}")

    def writable(self) -> str | None:
        """None when a write could start now, else why not (takes the write lock, writes nothing)."""
        with self._lock:
            conn = self.db.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
            except sqlite3.Error as problem:
                return str(problem)
        return None

    # -- low-level access, always under the lock ----------------------------------------------

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict]:
        # Not sqlite-utils' query(): it wraps every statement in a savepoint (three statements
        # for one), most of a person lookup's time (benchmarks/README.md).
        with self._lock:
            cursor = self.db.execute(sql, tuple(params))
            if cursor.description is None:
                raise ValueError(f"this statement returns no rows: {sql}")
            names = [column[0] for column in cursor.description]
            if len(set(names)) != len(names):
                names = dedupe_keys(names)  # as sqlite-utils names them: id, id_2
            return [dict(zip(names, row, strict=True)) for row in cursor]

    def _row(self, sql: str, params: Iterable[Any] = ()) -> dict | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        with self._lock:
            return self.db.execute(sql, tuple(params)).fetchone()[0]

    def _write(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self.db.execute(sql, tuple(params))
