"""The store's file: the page size of a new one, an older file kept as it is, and the settings a
Bulk pull writes under (Store.bulk_writing) put back after it, the WAL cut back once reused."""

from __future__ import annotations

import sqlite3

from syncer.store import Store
from syncer.store.connection import PAGE_SIZE, WAL_SIZE_LIMIT


def _pragma(store: Store, name: str) -> int:
    return store.db.conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_a_new_store_has_16_kib_pages(tmp_path):
    with Store(tmp_path / "new.db") as store:
        assert _pragma(store, "page_size") == PAGE_SIZE == 16_384
        assert _pragma(store, "journal_mode") == "wal"


def test_an_existing_file_keeps_its_page_size_and_its_people(tmp_path):
    old = tmp_path / "old.db"
    with Store(old) as store:
        store.upsert_person("ann@example.com")
    source = sqlite3.connect(old)
    source.execute("PRAGMA journal_mode = DELETE")  # a page size changes outside WAL only
    source.execute("PRAGMA page_size = 4096")
    source.execute("VACUUM")  # rewritten with 4 KiB pages, as a store made before
    source.close()
    with Store(old) as store:
        assert _pragma(store, "page_size") == 4096
        assert store.get_person("ann@example.com") is not None
        store.upsert_person("bob@example.com")
    with Store(old) as store:
        assert [p.email for p in store.iter_people()] == ["ann@example.com", "bob@example.com"]


def test_bulk_writing_puts_the_connection_settings_back(tmp_path):
    with Store(tmp_path / "s.db") as store:
        before = {name: _pragma(store, name)
                  for name in ("cache_size", "wal_autocheckpoint", "temp_store")}
        with store.bulk_writing():
            assert _pragma(store, "cache_size") == -32_768
            assert _pragma(store, "wal_autocheckpoint") == (2 << 30) // PAGE_SIZE  # 2 GiB
            assert _pragma(store, "temp_store") == 2  # memory
        assert {name: _pragma(store, name) for name in before} == before


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
