"""Schema migrations of the syncer store, applied in order and counted in PRAGMA user_version.

A migration is a function of the database; migration N (1-based) takes the schema from
version N-1 to N. Never edit a released migration: append a new one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]

_APPEND_ONLY = "events are append-only: record a new event instead of changing one"

_INITIAL_SCHEMA = (
    """
    CREATE TABLE people (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        first_name TEXT,
        last_name TEXT,
        salesforce_id TEXT UNIQUE CHECK (length(salesforce_id) = 18),
        salesforce_type TEXT CHECK (salesforce_type IN ('Contact', 'Lead')),
        opted_out INTEGER NOT NULL DEFAULT 0 CHECK (opted_out IN (0, 1)),
        baseline INTEGER CHECK (baseline IN (0, 1)),
        baseline_field TEXT,
        baseline_at TEXT,
        sf_state TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK ((salesforce_id IS NULL) = (salesforce_type IS NULL))
    )
    """,
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        person_id INTEGER REFERENCES people(id),
        email TEXT,
        action TEXT NOT NULL,
        source TEXT NOT NULL,
        reason TEXT,
        actor TEXT,
        occurred_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}'
    )
    """,
    "CREATE INDEX events_by_person ON events(person_id, id)",
    f"""
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END
    """,
    f"""
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END
    """,
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        person_id INTEGER NOT NULL UNIQUE REFERENCES people(id),
        desired INTEGER NOT NULL CHECK (desired IN (0, 1)),
        field TEXT,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        fix TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX outbox_due ON outbox(state, next_attempt_at)",
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE sync_runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
        mode TEXT NOT NULL,
        pulled INTEGER NOT NULL DEFAULT 0,
        pushed_local INTEGER NOT NULL DEFAULT 0,
        pushed_remote INTEGER NOT NULL DEFAULT 0,
        conflicts INTEGER NOT NULL DEFAULT 0,
        errors TEXT NOT NULL DEFAULT '[]',
        api_calls INTEGER NOT NULL DEFAULT 0,
        watermark TEXT,
        details TEXT NOT NULL DEFAULT '{}'
    )
    """,
    """
    CREATE TABLE capture_keys (
        key TEXT PRIMARY KEY,
        person_id INTEGER NOT NULL REFERENCES people(id),
        event_id INTEGER NOT NULL REFERENCES events(id),
        outbox_id INTEGER,
        request TEXT NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
)


def create_tables(db: sqlite_utils.Database) -> None:
    """Version 1: people, the append-only event log, the outbox, settings, runs, capture keys.

    Outbox ids are AUTOINCREMENT so an id is never reused: a late confirmation of a push can
    only ever match the row it was sent for.
    """
    for statement in _INITIAL_SCHEMA:
        db.execute(statement)


_RECORD_OUTBOX = """
    CREATE TABLE outbox_v2 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        person_id INTEGER UNIQUE REFERENCES people(id),
        salesforce_id TEXT UNIQUE CHECK (length(salesforce_id) = 18),
        salesforce_type TEXT CHECK (salesforce_type IN ('Contact', 'Lead')),
        email TEXT,
        desired INTEGER NOT NULL CHECK (desired IN (0, 1)),
        field TEXT,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        fix TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK ((person_id IS NULL) = (salesforce_id IS NOT NULL)),
        CHECK ((salesforce_id IS NULL) = (salesforce_type IS NULL))
    )
"""
_OUTBOX_V1_COLUMNS = ("id, person_id, desired, field, state, attempts, next_attempt_at,"
                      " last_error, fix, created_at, updated_at")


def record_pushes(db: sqlite_utils.Database) -> None:
    """Version 2: outbox rows for records no person is linked to (the nightly's fan-out).

    The nightly run used to push those directly and keep failed ones in its run's details
    ('retry'); they move into the outbox. The id sequence carries over, so no id is reused.
    """
    sequence = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    db.execute(_RECORD_OUTBOX)
    db.execute(f"INSERT INTO outbox_v2 ({_OUTBOX_V1_COLUMNS})"
               f" SELECT {_OUTBOX_V1_COLUMNS} FROM outbox")
    db.execute("DROP TABLE outbox")
    db.execute("ALTER TABLE outbox_v2 RENAME TO outbox")
    db.execute("CREATE INDEX outbox_due ON outbox(state, next_attempt_at)")
    if sequence is not None:
        db.execute("DELETE FROM sqlite_sequence WHERE name = 'outbox'")
        db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', ?)", sequence)
    last = db.execute("SELECT details, finished_at FROM sync_runs WHERE status != 'running'"
                      " AND json_extract(details, '$.watermarks') IS NOT NULL"
                      " ORDER BY id DESC LIMIT 1").fetchone()
    if last is None:
        return
    details = json.loads(last[0])
    for sobject, sfid, value in details.get("retry", []):
        db.execute("INSERT INTO outbox (salesforce_id, salesforce_type, desired, field, state,"
                   " attempts, next_attempt_at, created_at, updated_at)"
                   " VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT DO NOTHING",
                   [sfid, sobject, int(value), details.get("field"), last[1], last[1], last[1]])


MIGRATIONS: tuple[Migration, ...] = (create_tables, record_pushes)


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Apply the migrations the database lacks, one transaction each; return its version.

    The connection must be in autocommit mode (isolation_level=None). A database newer than
    `migrations` is left alone and its version returned, for the caller to refuse.
    """
    while True:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            version = schema_version(db)
            if version >= len(migrations):
                db.conn.execute("ROLLBACK")
                return version
            migrations[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")
