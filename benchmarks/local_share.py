"""The syncer's local share of a run, and SQLite's own floor for the same rows.

`TimedRemote` wraps a run's `Remote` (syncer.nightly.remote) and adds up the time spent inside
it, iterators it hands back included, and in its client's calls made outside it (the pusher's
sObject Collections updates): that is the Salesforce side (the client, the wire, the server). The rest of the run's wall time is the syncer's local work: its store, its decisions,
the CSV it writes. `sqlite_floor` times SQLite writing and reading the same rows in one
transaction each, in a table of the same schema and page size, so the local share has a floor
to compare with.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path


class TimedRemote:
    """A Remote that counts the seconds spent inside it (`seconds`), and inside its client's
    `call` when the run uses the client directly (the pusher drains the outbox through it)."""

    def __init__(self, remote):
        self._remote = remote
        self.seconds = 0.0
        self._depth = 0  # inside a timed call: nested ones are not counted twice
        client, call = remote.client, remote.client.call
        client.call = lambda *args, **kwargs: self._timed(call, args, kwargs)

    def _timed(self, function, args, kwargs):
        if self._depth:
            return function(*args, **kwargs)
        self._depth += 1
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started
            self._depth -= 1

    def __getattr__(self, name: str):
        value = getattr(self._remote, name)
        if not callable(value):
            return value

        def timed(*args, **kwargs):
            result = self._timed(value, args, kwargs)
            return self._iterate(result) if isinstance(result, Iterator) else result

        return timed

    def _iterate(self, items: Iterator) -> Iterator:
        while True:
            try:
                item = self._timed(next, (items,), {})
            except StopIteration:
                return
            yield item


def sqlite_floor(db: Path, table: str, scratch: Path) -> dict[str, float]:
    """Seconds for SQLite to write `table`'s rows (from `db`) into a fresh file with the same
    schema, indexes and page size, in one transaction, and to read them all back."""
    with sqlite3.connect(db) as source:
        page_size = source.execute("PRAGMA page_size").fetchone()[0]
        schema = [sql for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
            "ORDER BY type = 'index'", (table,))]
        rows = source.execute(f'SELECT * FROM "{table}"').fetchall()
    target = scratch / "sqlite-floor.db"
    target.unlink(missing_ok=True)
    connection = sqlite3.connect(target, isolation_level=None)
    try:
        connection.execute(f"PRAGMA page_size = {int(page_size)}")  # the store's own
        for sql in schema:
            connection.execute(sql)
        marks = ", ".join("?" * len(rows[0])) if rows else ""
        started = time.perf_counter()
        connection.execute("BEGIN")
        connection.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
        connection.execute("COMMIT")
        wrote = time.perf_counter() - started
        started = time.perf_counter()
        count = sum(1 for _ in connection.execute(f'SELECT * FROM "{table}"'))
        read = time.perf_counter() - started
    finally:
        connection.close()
        target.unlink(missing_ok=True)
    assert count == len(rows)
    return {"write": wrote, "read": read, "rows": count}
