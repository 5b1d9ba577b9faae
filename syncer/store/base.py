"""The store's connection, clock, lock and transactions, shared by every table's methods."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from .connection import connect
from .errors import StoreError
from .schema import MIGRATIONS, migrate
from .values import Clock, system_clock, utcnow_iso


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
        with self._lock:
            return list(self.db.query(sql, tuple(params)))

    def _row(self, sql: str, params: Iterable[Any] = ()) -> dict | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        with self._lock:
            return self.db.execute(sql, tuple(params)).fetchone()[0]

    def _write(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self.db.execute(sql, tuple(params))
