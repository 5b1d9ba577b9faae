"""The nightly run's reads of the syncer store (its writes are Store methods), and its lock.

Reads go through `store.transaction()` (which holds the store's lock) and return plain rows;
people rows carry `waiting`: whether an outbox row (a push not yet confirmed) exists for them.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from ..store import Store


class NightlyError(Exception):
    """A run could not start or had to stop; the message is one line naming the fix."""


class SyncBusy(NightlyError):
    pass


_PERSON = ("p.id, p.email, p.salesforce_id, p.salesforce_type, p.opted_out, p.baseline,"
           " p.baseline_field, p.sf_state,"
           " EXISTS (SELECT 1 FROM outbox o WHERE o.person_id = p.id) AS waiting")


def query(store: Store, sql: str, params: Iterable[Any] = ()) -> list[dict]:
    """Rows of a read, under the store's lock."""
    with store.transaction():
        return list(store.db.query(sql, tuple(params)))


def people(store: Store, sql: str, params: Iterable[Any] = ()) -> list[dict]:
    """People rows with their checkboxes as Python booleans (baseline None when unset)."""
    rows = query(store, sql, params)
    for row in rows:
        row["opted_out"] = bool(row["opted_out"])
        row["baseline"] = None if row["baseline"] is None else bool(row["baseline"])
        row["waiting"] = bool(row["waiting"])
    return rows


def people_by_sfid(store: Store, sfids: list[str]) -> dict[str, dict]:
    rows = people(store, f"SELECT {_PERSON} FROM people p WHERE p.salesforce_id IN"
                  " (SELECT value FROM json_each(?))", [json.dumps(sfids)])
    return {row["salesforce_id"]: row for row in rows}


def opted_out_by_email(store: Store, emails: list[str]) -> dict[str, dict]:
    rows = people(store, f"SELECT {_PERSON} FROM people p WHERE p.opted_out = 1 AND p.email IN"
                  " (SELECT value FROM json_each(?))", [json.dumps(emails)])
    return {row["email"]: row for row in rows}


def local_candidates(store: Store, field_name: str, after: int, limit: int) -> list[dict]:
    """Linked people whose value differs from their baseline for `field_name` (or have none)."""
    return people(
        store,
        f"SELECT {_PERSON} FROM people p WHERE p.id > ? AND p.salesforce_id IS NOT NULL"
        " AND (p.baseline IS NULL OR p.baseline_field IS NOT ? OR p.baseline != p.opted_out)"
        " AND (p.sf_state IS NULL OR p.sf_state NOT IN ('deleted', 'missing'))"
        " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.person_id = p.id)"
        " ORDER BY p.id LIMIT ?",
        [after, field_name, limit],
    )


def count_local_candidates(store: Store, field_name: str) -> int:
    return query(
        store,
        "SELECT count(*) AS n FROM people p WHERE p.salesforce_id IS NOT NULL"
        " AND (p.baseline IS NULL OR p.baseline_field IS NOT ? OR p.baseline != p.opted_out)"
        " AND (p.sf_state IS NULL OR p.sf_state NOT IN ('deleted', 'missing'))"
        " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.person_id = p.id)",
        [field_name],
    )[0]["n"]


def max_event_id(store: Store) -> int:
    return query(store, "SELECT coalesce(max(id), 0) AS n FROM events")[0]["n"]


def opted_out_since(store: Store, after_event: int, upto_event: int, after_person: int,
                     limit: int) -> list[dict]:
    """Opted-out people with an unsubscribe event in (after_event, upto_event], by id."""
    return people(
        store,
        f"SELECT {_PERSON} FROM people p WHERE p.opted_out = 1 AND p.id > ? AND EXISTS"
        " (SELECT 1 FROM events e WHERE e.person_id = p.id AND e.action = 'unsubscribe'"
        " AND e.id > ? AND e.id <= ?) ORDER BY p.id LIMIT ?",
        [after_person, after_event, upto_event, limit],
    )


def due_outbox_count(store: Store, now: str) -> int:
    return query(
        store,
        "SELECT count(*) AS n FROM outbox o JOIN people p ON p.id = o.person_id"
        " WHERE o.state = 'pending' AND o.next_attempt_at <= ? AND p.salesforce_id IS NOT NULL",
        [now],
    )[0]["n"]


def due_outbox_after(store: Store, now: str, after: int, limit: int) -> list[dict]:
    """Due outbox rows of linked people with ids above `after`, in id order."""
    return query(
        store,
        "SELECT o.id, o.desired, p.salesforce_id, p.salesforce_type"
        " FROM outbox o JOIN people p ON p.id = o.person_id WHERE o.state = 'pending'"
        " AND o.next_attempt_at <= ? AND p.salesforce_id IS NOT NULL AND o.id > ?"
        " ORDER BY o.id LIMIT ?",
        [now, after, limit],
    )


def previous_state(store: Store) -> dict:
    """Watermarks and the fan-out cursor left by the latest finished run that recorded them."""
    for run in store.list_runs(limit=50):
        if run.status in ("ok", "partial", "failed") and "watermarks" in run.details:
            return run.details
    return {}


# -- one run at a time ---------------------------------------------------------------------------

_memory_locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_memory_guard = threading.Lock()


@contextmanager
def sync_lock(store: Store) -> Iterator[None]:
    """Hold the store's sync lock, or raise SyncBusy naming the holder.

    A file lock (fcntl) next to the database, so two processes on one database exclude each
    other and a crashed holder frees it; an in-memory store uses a process-local lock.
    """
    if store.path == ":memory:":
        with _memory_guard:
            lock = _memory_locks.setdefault(store, threading.Lock())
        if not lock.acquire(blocking=False):
            raise SyncBusy("another sync is running on this store: wait for it to finish")
        try:
            yield
        finally:
            lock.release()
        return
    path = store.path + ".sync-lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as problem:
        raise NightlyError(f"cannot open the sync lock {path} ({problem.strerror}):"
                           " check the database folder's permissions") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 512, 0).decode(errors="replace").strip() or "unknown"
            raise SyncBusy(f"another sync is running ({holder}): wait for it to finish") from None
        owner = f"pid {os.getpid()} on {socket.gethostname()} since {store.now()}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, owner.encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def served_since(store: Store, slot: datetime) -> bool:
    """Whether a run that did not fail started at or after `slot` (a failed run serves nothing)."""
    return any(run.status != "failed" and datetime.fromisoformat(run.started_at) >= slot
               for run in store.list_runs(limit=50))
