"""The store's file under a Bulk pull (Store.bulk_writing): its settings put back after it, and
the WAL it grew cut back once reused."""

from __future__ import annotations

import sqlite3

import pytest

from syncer.store import Store
from syncer.store.connection import WAL_SIZE_LIMIT


def _pragma(store: Store, name: str) -> int:
    return store.db.conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_bulk_writing_puts_the_connection_settings_back(tmp_path):
    with Store(tmp_path / "s.db") as store:
        before = {name: _pragma(store, name)
                  for name in ("cache_size", "wal_autocheckpoint", "temp_store", "foreign_keys")}
        with store.bulk_writing():
            assert _pragma(store, "cache_size") == -32_768
            page_size = _pragma(store, "page_size")
            assert _pragma(store, "wal_autocheckpoint") == (1 << 30) // page_size  # 1 GiB
            assert _pragma(store, "temp_store") == 2  # memory
            assert _pragma(store, "foreign_keys") == 0
        assert {name: _pragma(store, name) for name in before} == before
        assert before["foreign_keys"] == 1


def test_foreign_keys_are_checked_again_after_a_bulk_block(tmp_path):
    with Store(tmp_path / "s.db") as store:
        with store.bulk_writing():
            pass
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            store.record_person_events([(404, "nobody@example.com", "push", "system", None,
                                         {})])


def test_the_wal_grown_by_a_bulk_block_is_cut_back_when_reused(tmp_path):
    path = tmp_path / "s.db"
    wal = tmp_path / "s.db-wal"
    with Store(path) as store:
        with store.bulk_writing():
            for batch in range(4):
                with store.transaction():
                    store.db.conn.executemany(
                        "INSERT INTO settings (key, value) VALUES (?, ?)",
                        ((f"k{batch}-{i}", "x" * 2000) for i in range(12_000)))
        grown = wal.stat().st_size
        assert grown > WAL_SIZE_LIMIT  # no checkpoint inside the block
        with store.transaction():  # the first commit after it checkpoints the WAL
            store.db.conn.execute("INSERT INTO settings (key, value) VALUES ('a', 'b')")
        with store.transaction():  # the next write reuses the WAL from its start
            store.db.conn.execute("INSERT INTO settings (key, value) VALUES ('c', 'd')")
        assert wal.stat().st_size <= WAL_SIZE_LIMIT
        assert store.db.conn.execute("SELECT count(*) FROM settings").fetchone()[0] >= 48_002
