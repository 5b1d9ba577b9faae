"""The syncer's local store: people, the append-only event log, the push outbox, settings, runs.

SQLite through sqlite-utils. One connection per Store, shared by the web app's and the pusher's
threads (a lock serialises every use of it). WAL lets other processes read while one writes,
and writers open BEGIN IMMEDIATE transactions that wait up to 30 s for each other, so a busy
database makes a caller wait instead of failing with "database is locked".

Timestamps are ISO-8601 UTC text, 'YYYY-MM-DDTHH:MM:SS.ffffffZ', which sorts as time does.

Event sources (who or what caused an event):
    link        the unsubscribe link in an email
    manual      an admin, in the web app or the CLI
    import      a CSV import
    api         the capture API
    salesforce  a change read from Salesforce
    sync        the nightly reconciler
    system      the syncer itself (the pusher)

Event actions (free text; these are the ones the syncer writes):
    unsubscribe, resubscribe  the person's opt-out was set or cleared
    link, relink, unlink      the person's Salesforce ID was set, replaced or removed
    push                      Salesforce confirmed a pushed value
    push_failed               a push failed for good; the outbox row shows the fix
    requeue                   an admin queued a failed push again
    sf_state                  the Salesforce record changed state (e.g. 'deleted')
    sync_decision             the reconciler chose a side, and why
    settings                  an admin changed settings
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import sqlite_utils

from ..salesforce import ids as sfids
from .schema import MIGRATIONS, migrate

BUSY_TIMEOUT_MS = 30_000
SOURCES = ("link", "manual", "import", "api", "salesforce", "sync", "system")
OUTBOX_STATES = ("pending", "failed")
FINISHED_RUN_STATUSES = ("ok", "partial", "failed")
EMAIL_OPT_OUT_FIELD = "HasOptedOutOfEmail"

Clock = Callable[[], datetime]


# -- errors ------------------------------------------------------------------------------------


class StoreError(Exception):
    """Base of the store's errors; every message is one line that names the fix."""


class InvalidValue(StoreError):
    """An argument the store cannot accept."""


class InvalidEmail(InvalidValue):
    pass


class InvalidSalesforceId(InvalidValue):
    pass


class SettingsError(StoreError):
    pass


class NotFound(StoreError):
    pass


class SalesforceIdInUse(StoreError):
    pass


class IdempotencyConflict(StoreError):
    pass


# -- values --------------------------------------------------------------------------------------

# The WHATWG (HTML) definition of a valid email address, which also requires a dot in the domain.
_EMAIL = re.compile(
    r"[a-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+"
)


def normalise_email(value: str) -> str:
    """The stored form of an email address: trimmed and lower-cased. Raises InvalidEmail."""
    if not isinstance(value, str):
        raise InvalidEmail(f"email must be text, not {type(value).__name__}: pass the address")
    email = value.strip().lower()
    if not email:
        raise InvalidEmail("email address is empty: fill in an address such as name@example.com")
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise InvalidEmail(
            f"{value.strip()!r} is not a valid email address: use the form name@example.com"
        )
    return email


def validate_salesforce_id(value: str) -> str:
    """The 18-character form of a 15- or 18-character Contact or Lead ID.

    Raises InvalidSalesforceId.
    """
    sfid = value.strip() if isinstance(value, str) else ""
    if len(sfid) not in (15, 18) or not (sfid.isascii() and sfid.isalnum()):
        raise InvalidSalesforceId(
            f"{value!r} is not a Salesforce ID: copy the 15- or 18-character ID"
            " from the record's address in Salesforce"
        )
    if sfids.record_type(sfid) is None:
        raise InvalidSalesforceId(
            f"{sfid} is not a Contact (003...) or Lead (00Q...) ID:"
            " use the ID of the person's Contact or Lead"
        )
    full = sfids.to18(sfid[:15])
    if len(sfid) == 18 and sfid[15:].upper() != full[15:]:
        raise InvalidSalesforceId(
            f"{sfid} has a wrong checksum (its last 3 characters should be {full[15:]}):"
            " copy the ID again from Salesforce"
        )
    return full


def iso_utc(value: datetime | str) -> str:
    """The store's form of an aware datetime or ISO-8601 string. Raises InvalidValue."""
    parsed = value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    if not isinstance(parsed, datetime):
        raise InvalidValue(
            f"{value!r} is not a timestamp: use ISO-8601 such as 2026-11-28T20:00:00Z"
        )
    if parsed.utcoffset() is None:
        raise InvalidValue(f"timestamp {value} has no time zone: add Z or an offset such as -08:00")
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def system_clock() -> datetime:
    return datetime.now(UTC)


def utcnow_iso(clock: Clock = system_clock) -> str:
    """The current time, from `clock`, in the store's timestamp form."""
    return iso_utc(clock())


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise InvalidValue(f"unknown event source {source!r}: use one of {', '.join(SOURCES)}")


def _to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


# -- settings ------------------------------------------------------------------------------------

FieldChoice = Literal["email-opt-out", "marketo-sales-opt-out"]
FIELD_CHOICES: tuple[FieldChoice, ...] = ("email-opt-out", "marketo-sales-opt-out")


@dataclass(frozen=True)
class Settings:
    """The admin's choices; a setting never changed keeps its default."""

    nightly_sync: bool = False
    field: FieldChoice = "email-opt-out"
    # The Marketo Sales Connect package does not document the API name of its "Marketo Sales
    # Opt Out" checkbox; this default is a guess. Admins can set the real name here.
    marketo_field_api_name: str = "ToutApp__MSE_Opt_Out__c"
    honour_salesforce_resubscribes: bool = False
    fan_out_by_email: bool = False
    bulk_threshold: int = 10_000
    api_reserve_percent: float = 10.0
    stale_hours: float = 24.0

    @property
    def field_api_name(self) -> str:
        """API name of the Salesforce checkbox that the sync reads and writes."""
        if self.field == "email-opt-out":
            return EMAIL_OPT_OUT_FIELD
        return self.marketo_field_api_name


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
# A custom field's API name: optional namespace, letters/digits/single underscores, then __c.
_CUSTOM_FIELD = re.compile(r"(?:[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*__)?"
                           r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*__c")


def _boolean(name: str, value: Any) -> bool:
    text = str(value).strip().lower()
    if text not in _TRUE | _FALSE:
        raise SettingsError(f"{name} must be true or false, not {value!r}: use true or false")
    return text in _TRUE


def _field_choice(name: str, value: Any) -> str:
    if value not in FIELD_CHOICES:
        raise SettingsError(f"{name} cannot be {value!r}: use {' or '.join(FIELD_CHOICES)}")
    return value


def _custom_field_name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not _CUSTOM_FIELD.fullmatch(value.strip()):
        raise SettingsError(
            f"{name} {value!r} is not a custom field API name:"
            " copy it from Setup > Object Manager > Contact > Fields (it ends in __c)"
        )
    return value.strip()


def _number(name: str, value: Any, accept: Callable[[float], bool], hint: str) -> float:
    try:
        number = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and accept(number)):
        raise SettingsError(f"{name} cannot be {value!r}: use {hint}")
    return number


SETTING_VALIDATORS: dict[str, Callable[[str, Any], Any]] = {
    "nightly_sync": _boolean,
    "field": _field_choice,
    "marketo_field_api_name": _custom_field_name,
    "honour_salesforce_resubscribes": _boolean,
    "fan_out_by_email": _boolean,
    "bulk_threshold": lambda name, value: int(_number(
        name, value, lambda x: x >= 1 and x.is_integer(), "a whole number of records, 1 or more"
    )),
    "api_reserve_percent": lambda name, value: _number(
        name, value, lambda x: 0 <= x < 100, "a percentage from 0 to under 100"
    ),
    "stale_hours": lambda name, value: _number(
        name, value, lambda x: x > 0, "a number of hours above 0"
    ),
}


def validate_setting(name: str, value: Any) -> Any:
    """The typed value of one setting (text from a form or CLI accepted). Raises SettingsError."""
    if name not in SETTING_VALIDATORS:
        raise SettingsError(
            f"unknown setting {name!r}: use one of {', '.join(SETTING_VALIDATORS)}"
        )
    return SETTING_VALIDATORS[name](name, value)


# -- records -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    first_name: str | None
    last_name: str | None
    salesforce_id: str | None
    salesforce_type: str | None
    opted_out: bool
    baseline: bool | None
    baseline_field: str | None
    baseline_at: str | None
    sf_state: str | None
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: dict) -> Person:
        baseline = row["baseline"]
        return cls(**{**row, "opted_out": bool(row["opted_out"]),
                      "baseline": None if baseline is None else bool(baseline)})


@dataclass(frozen=True)
class OutboxItem:
    """A push waiting for Salesforce's confirmation, with the person's ID and email."""

    id: int
    person_id: int
    email: str
    salesforce_id: str | None
    salesforce_type: str | None
    desired: bool
    field: str | None
    state: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    fix: str | None
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: dict) -> OutboxItem:
        return cls(**{**row, "desired": bool(row["desired"])})


@dataclass(frozen=True)
class SyncRun:
    id: int
    started_at: str
    finished_at: str | None
    status: str
    mode: str
    pulled: int
    pushed_local: int
    pushed_remote: int
    conflicts: int
    errors: list
    api_calls: int
    watermark: str | None
    details: dict

    @classmethod
    def from_row(cls, row: dict) -> SyncRun:
        return cls(**{**row, "errors": json.loads(row["errors"]),
                      "details": json.loads(row["details"])})


@dataclass(frozen=True)
class CaptureResult:
    person_id: int
    event_id: int
    outbox_id: int
    duplicate: bool


def _columns(record: type, prefix: str = "") -> str:
    return ", ".join(prefix + f.name for f in fields(record))


_PERSON_COLUMNS = _columns(Person)
_RUN_COLUMNS = _columns(SyncRun)
_OUTBOX_SELECT = (
    "SELECT o.id, o.person_id, p.email, p.salesforce_id, p.salesforce_type, o.desired, o.field,"
    " o.state, o.attempts, o.next_attempt_at, o.last_error, o.fix, o.created_at, o.updated_at"
    " FROM outbox o JOIN people p ON p.id = o.person_id"
)


def _no_person(person_id: int) -> NotFound:
    return NotFound(f"no person has id {person_id}: look the person up by email first")


# -- opening -------------------------------------------------------------------------------------


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


def _connect(path: str) -> sqlite3.Connection:
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


# -- the store -----------------------------------------------------------------------------------


class Store:
    """The syncer's SQLite store. Share one per process between threads; close it when done.

    >>> store = Store(":memory:")
    >>> store.capture("Ann@Example.com", opted_out=True, source="link").duplicate
    False
    >>> store.get_person("ann@example.com").opted_out
    True
    """

    def __init__(self, path: str | Path, *, clock: Clock | None = None):
        self.path = str(path)
        self.clock = clock or system_clock
        self._lock = threading.RLock()
        self.db = sqlite_utils.Database(_connect(self.path))
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

    def __enter__(self) -> Store:
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

    # -- settings ---------------------------------------------------------------------------------

    def get_settings(self) -> Settings:
        stored = {}
        for row in self._rows("SELECT key, value FROM settings"):
            if row["key"] in SETTING_VALIDATORS:
                stored[row["key"]] = validate_setting(row["key"], json.loads(row["value"]))
        return Settings(**stored)

    def update_settings(self, *, actor: str | None = None, **changes: Any) -> Settings:
        """Validate and save some settings, logging a 'settings' event. Raises SettingsError."""
        values = {name: validate_setting(name, value) for name, value in changes.items()}
        with self.transaction():
            before = self.get_settings()
            changed = {name: {"old": getattr(before, name), "new": value}
                       for name, value in values.items() if getattr(before, name) != value}
            for name, change in changed.items():
                self._write(
                    "INSERT INTO settings (key, value) VALUES (?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (name, json.dumps(change["new"])),
                )
            if changed:
                self.record_event("settings", source="manual", actor=actor,
                                  details={"changes": changed})
            return self.get_settings()

    # -- events -----------------------------------------------------------------------------------

    def record_event(
        self,
        action: str,
        *,
        source: str,
        person_id: int | None = None,
        reason: str | None = None,
        actor: str | None = None,
        details: dict | None = None,
        occurred_at: datetime | str | None = None,
    ) -> int:
        """Append an event (e.g. a reconciler's 'sync_decision') and return its id."""
        _check_source(source)
        now = self.now()
        occurred = now if occurred_at is None else iso_utc(occurred_at)
        with self.transaction():
            email = self._person_row(person_id)["email"] if person_id is not None else None
            return self._write(
                "INSERT INTO events (person_id, email, action, source, reason, actor,"
                " occurred_at, recorded_at, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (person_id, email, action, source, reason, actor, occurred, now,
                 _to_json(details or {})),
            ).lastrowid

    def person_history(self, person_id: int) -> list[dict]:
        """The person's events, oldest first, with details decoded."""
        rows = self._rows("SELECT * FROM events WHERE person_id = ? ORDER BY id", (person_id,))
        return [{**row, "details": json.loads(row["details"])} for row in rows]

    # -- people -----------------------------------------------------------------------------------

    def _find_row(self, column: str, value: int | str) -> dict | None:
        return self._row(f"SELECT {_PERSON_COLUMNS} FROM people WHERE {column} = ?", (value,))

    def _person_row(self, person_id: int) -> dict:
        row = self._find_row("id", person_id)
        if row is None:
            raise _no_person(person_id)
        return row

    def _insert_person(self, email: str, first_name: str | None = None,
                       last_name: str | None = None) -> int:
        now = self.now()
        return self._write(
            "INSERT INTO people (email, first_name, last_name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (email, first_name, last_name, now, now),
        ).lastrowid

    def get_person(self, key: int | str) -> Person | None:
        """The person with this id (int) or email (str), or None."""
        if isinstance(key, str):
            row = self._find_row("email", normalise_email(key))
        else:
            row = self._find_row("id", key)
        return Person.from_row(row) if row else None

    def find_person_by_salesforce_id(self, salesforce_id: str) -> Person | None:
        row = self._find_row("salesforce_id", validate_salesforce_id(salesforce_id))
        return Person.from_row(row) if row else None

    def upsert_person(
        self,
        email: str,
        first_name: str | None = None,
        last_name: str | None = None,
        salesforce_id: str | None = None,
        *,
        source: str = "manual",
    ) -> int:
        """Create or update a person by email and return the id; never changes the opt-out.

        Names given replace stored ones, names left out are kept. A new Salesforce ID links
        or relinks the person (see set_salesforce_id).
        """
        _check_source(source)
        email = normalise_email(email)
        sfid = validate_salesforce_id(salesforce_id) if salesforce_id is not None else None
        with self.transaction():
            row = self._find_row("email", email)
            if row is None:
                person_id = self._insert_person(email, first_name, last_name)
            else:
                person_id = row["id"]
                names = {"first_name": first_name, "last_name": last_name}
                updates = {k: v for k, v in names.items() if v is not None and v != row[k]}
                if updates:
                    assignments = ", ".join(f"{column} = ?" for column in updates)
                    self._write(f"UPDATE people SET {assignments}, updated_at = ? WHERE id = ?",
                                (*updates.values(), self.now(), person_id))
            if sfid is not None:
                self.set_salesforce_id(person_id, sfid, source=source)
            return person_id

    def set_salesforce_id(
        self,
        person_id: int,
        salesforce_id: str | None,
        *,
        source: str,
        reason: str | None = None,
        actor: str | None = None,
    ) -> None:
        """Link (or with None, unlink) the person's Salesforce record, logging the change.

        Logs 'link', 'relink' or 'unlink' with the old and new ID. The baseline and sf_state
        belonged to the old record, so they are cleared, and the person's pending push is
        queued again for the new record. Raises SalesforceIdInUse.
        """
        _check_source(source)
        new = validate_salesforce_id(salesforce_id) if salesforce_id is not None else None
        with self.transaction():
            old = self._person_row(person_id)["salesforce_id"]
            if old == new:
                return
            owner = self._find_row("salesforce_id", new) if new else None
            if owner is not None:
                raise SalesforceIdInUse(
                    f"Salesforce ID {new} is already linked to {owner['email']}:"
                    " unlink it there first"
                )
            self._write(
                "UPDATE people SET salesforce_id = ?, salesforce_type = ?, baseline = NULL,"
                " baseline_field = NULL, baseline_at = NULL, sf_state = NULL, updated_at = ?"
                " WHERE id = ?",
                (new, new and sfids.record_type(new), self.now(), person_id),
            )
            action = "link" if old is None else "unlink" if new is None else "relink"
            self.record_event(action, source=source, person_id=person_id, reason=reason,
                              actor=actor, details={"old": old, "new": new})
            if new is not None:
                self.outbox_requeue_person(person_id)

    def people_without_salesforce_id(self, limit: int = 200) -> list[Person]:
        rows = self._rows(
            f"SELECT {_PERSON_COLUMNS} FROM people WHERE salesforce_id IS NULL"
            " ORDER BY id LIMIT ?",
            (limit,),
        )
        return [Person.from_row(row) for row in rows]

    def count_people(self) -> int:
        return self._scalar("SELECT count(*) FROM people")

    def count_opted_out(self) -> int:
        return self._scalar("SELECT count(*) FROM people WHERE opted_out = 1")

    def count_without_sfid(self) -> int:
        return self._scalar("SELECT count(*) FROM people WHERE salesforce_id IS NULL")

    def iter_people(self, batch: int = 1000) -> Iterator[Person]:
        """Every person in id order, read `batch` rows at a time."""
        last_id = 0
        while rows := self._rows(
            f"SELECT {_PERSON_COLUMNS} FROM people WHERE id > ? ORDER BY id LIMIT ?",
            (last_id, batch),
        ):
            yield from (Person.from_row(row) for row in rows)
            last_id = rows[-1]["id"]

    def set_baseline(self, person_id: int, value: bool, field: str) -> None:
        """Record that both sides agreed on `value` for the Salesforce field `field`."""
        if self.set_baselines([(person_id, value)], field=field) == 0:
            raise _no_person(person_id)

    def set_baselines(self, values: Iterable[tuple[int, bool]], *, field: str) -> int:
        """set_baseline for many (person_id, value) pairs in one transaction; return how many."""
        now = self.now()
        with self.transaction():
            return self.db.conn.executemany(
                "UPDATE people SET baseline = ?, baseline_field = ?, baseline_at = ?,"
                " updated_at = ? WHERE id = ?",
                ((int(value), field, now, now, person_id) for person_id, value in values),
            ).rowcount

    def mark_sf_state(self, person_id: int, state: str | None) -> None:
        """Note the Salesforce record's state (e.g. 'deleted'; None when live), logged."""
        with self.transaction():
            old = self._person_row(person_id)["sf_state"]
            if old == state:
                return
            self._write("UPDATE people SET sf_state = ?, updated_at = ? WHERE id = ?",
                        (state, self.now(), person_id))
            self.record_event("sf_state", source="salesforce", person_id=person_id,
                              details={"old": old, "new": state})

    # -- capture ----------------------------------------------------------------------------------

    def capture(
        self,
        email: str | None = None,
        salesforce_id: str | None = None,
        *,
        opted_out: bool,
        source: str,
        reason: str | None = None,
        actor: str | None = None,
        occurred_at: datetime | str | None = None,
        idempotency_key: str | None = None,
    ) -> CaptureResult:
        """Record an unsubscribe (or, with opted_out=False, a resubscribe) and queue its push.

        One transaction finds or creates the person (by email, else by Salesforce ID), sets
        the opt-out, appends the event and sets the person's pending push to this value.
        Repeating an idempotency key returns the first result and writes nothing.
        """
        if not isinstance(opted_out, bool):
            raise InvalidValue(f"opted_out must be True or False, not {opted_out!r}: pass a bool")
        _check_source(source)
        email = normalise_email(email) if email is not None else None
        sfid = validate_salesforce_id(salesforce_id) if salesforce_id is not None else None
        if email is None and sfid is None:
            raise InvalidValue("a capture needs an email or a Salesforce ID: pass at least one")
        if idempotency_key is not None and not idempotency_key.strip():
            raise InvalidValue("idempotency_key is empty: send a new key per capture, or none")
        occurred = iso_utc(occurred_at) if occurred_at is not None else None
        request = _to_json({"email": email, "salesforce_id": sfid, "opted_out": opted_out})
        with self.transaction():
            if idempotency_key is not None:
                earlier = self._earlier_capture(idempotency_key, request)
                if earlier is not None:
                    return earlier
            person, notes = self._capture_target(email, sfid, source)
            self._write("UPDATE people SET opted_out = ?, updated_at = ? WHERE id = ?",
                        (int(opted_out), self.now(), person["id"]))
            event_id = self.record_event(
                "unsubscribe" if opted_out else "resubscribe", source=source,
                person_id=person["id"], reason=reason, actor=actor, occurred_at=occurred,
                details={"previous": bool(person["opted_out"]), **notes},
            )
            outbox_id = self.queue_push(person["id"], opted_out)
            if idempotency_key is not None:
                self._write(
                    "INSERT INTO capture_keys (key, person_id, event_id, outbox_id, request,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (idempotency_key, person["id"], event_id, outbox_id, request, self.now()),
                )
            return CaptureResult(person["id"], event_id, outbox_id, duplicate=False)

    def resubscribe(
        self,
        email: str | None = None,
        salesforce_id: str | None = None,
        *,
        source: str,
        reason: str | None = None,
        actor: str | None = None,
        occurred_at: datetime | str | None = None,
        idempotency_key: str | None = None,
    ) -> CaptureResult:
        """capture(opted_out=False): an explicit opt-in; give the reason."""
        return self.capture(email, salesforce_id, opted_out=False, source=source, reason=reason,
                            actor=actor, occurred_at=occurred_at, idempotency_key=idempotency_key)

    def _earlier_capture(self, key: str, request: str) -> CaptureResult | None:
        row = self._row("SELECT * FROM capture_keys WHERE key = ?", (key,))
        if row is None:
            return None
        if row["request"] != request:
            raise IdempotencyConflict(
                f"idempotency key {key!r} was already used for another capture:"
                " send a new key for each capture"
            )
        return CaptureResult(row["person_id"], row["event_id"], row["outbox_id"], duplicate=True)

    def _capture_target(self, email: str | None, sfid: str | None,
                        source: str) -> tuple[dict, dict]:
        """The person a capture applies to, and notes on inputs that did not match them."""
        by_email = self._find_row("email", email) if email else None
        by_sfid = self._find_row("salesforce_id", sfid) if sfid else None
        person = by_email or by_sfid
        notes = {}
        if person is None:
            if email is None:
                raise NotFound(f"no person is linked to Salesforce ID {sfid}: capture by email")
            person = self._person_row(self._insert_person(email))
        elif email is not None and person["email"] != email:
            notes["email_given"] = email
        if sfid is not None and person["salesforce_id"] != sfid:
            if person["salesforce_id"] is None and by_sfid is None:
                self.set_salesforce_id(person["id"], sfid, source=source)
            else:
                notes["salesforce_id_given"] = sfid
        return person, notes

    def apply_salesforce_value(self, person_id: int, opted_out: bool, *, previous: bool,
                               reason: str, details: dict | None = None) -> None:
        """Set the person's opt-out to Salesforce's value: no push is queued; the logged
        'unsubscribe' or 'resubscribe' event (source salesforce) says why."""
        with self.transaction():
            self._write("UPDATE people SET opted_out = ?, updated_at = ? WHERE id = ?",
                        (int(opted_out), self.now(), person_id))
            self.record_event("unsubscribe" if opted_out else "resubscribe", source="salesforce",
                              person_id=person_id, reason=reason,
                              details={"previous": previous, **(details or {})})

    # -- outbox -----------------------------------------------------------------------------------

    def queue_push(self, person_id: int, desired: bool) -> int:
        """Make the person's one outbox row pending and due now with `desired`; return its id.

        created_at is when the row's current desired value was first queued; the staleness
        alert measures from it.
        """
        now = self.now()
        return self._write(
            "INSERT INTO outbox (person_id, desired, state, attempts, next_attempt_at,"
            " created_at, updated_at) VALUES (?, ?, 'pending', 0, ?, ?, ?)"
            " ON CONFLICT(person_id) DO UPDATE SET desired = excluded.desired, field = NULL,"
            " state = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at,"
            " last_error = NULL, fix = NULL, updated_at = excluded.updated_at,"
            " created_at = CASE WHEN outbox.desired = excluded.desired"
            " THEN outbox.created_at ELSE excluded.created_at END"
            " RETURNING id",
            (person_id, int(desired), now, now, now),
        ).fetchone()[0]

    def due_outbox(self, now: datetime | str | None = None, limit: int = 200) -> list[OutboxItem]:
        """Pending pushes that are due, for people with a Salesforce ID, oldest first."""
        at = self.now() if now is None else iso_utc(now)
        rows = self._rows(
            f"{_OUTBOX_SELECT} WHERE o.state = 'pending' AND o.next_attempt_at <= ?"
            " AND p.salesforce_id IS NOT NULL ORDER BY o.created_at, o.id LIMIT ?",
            (at, limit),
        )
        return [OutboxItem.from_row(row) for row in rows]

    def count_pending_without_sfid(self) -> int:
        """Pending pushes that wait for their person to get a Salesforce ID."""
        return self._scalar(
            "SELECT count(*) FROM outbox o JOIN people p ON p.id = o.person_id"
            " WHERE o.state = 'pending' AND p.salesforce_id IS NULL"
        )

    def list_outbox(self, state: str | None = None, limit: int | None = None) -> list[OutboxItem]:
        """Outbox rows (all, or in one state), oldest first."""
        if state is not None and state not in OUTBOX_STATES:
            raise InvalidValue(f"unknown outbox state {state!r}: use pending or failed")
        rows = self._rows(
            f"{_OUTBOX_SELECT} WHERE ? IS NULL OR o.state = ? ORDER BY o.created_at, o.id"
            " LIMIT ?",
            (state, state, -1 if limit is None else limit),
        )
        return [OutboxItem.from_row(row) for row in rows]

    def outbox_done(
        self, sent: Iterable[tuple[int, bool]], *, field: str, details: dict | None = None
    ) -> list[int]:
        """Record Salesforce's confirmation of pushed (outbox_id, value) pairs; return ids removed.

        Each confirmation appends a 'push' event. A row is removed, and the value becomes the
        person's baseline for `field`, only if it still wants the value that was sent; a row
        whose person changed again meanwhile stays pending, so a stale value never wins.
        """
        removed = []
        with self.transaction():
            for outbox_id, value in sent:
                row = self._row(
                    "SELECT o.person_id, o.desired, p.salesforce_id FROM outbox o"
                    " JOIN people p ON p.id = o.person_id WHERE o.id = ?",
                    (outbox_id,),
                )
                if row is None:
                    continue
                current = row["desired"] == int(value)
                if current:
                    self._write("DELETE FROM outbox WHERE id = ?", (outbox_id,))
                    self.set_baseline(row["person_id"], value, field)
                    removed.append(outbox_id)
                push = {**(details or {}), "outbox_id": outbox_id, "field": field,
                        "salesforce_id": row["salesforce_id"], "value": bool(value),
                        "superseded": not current}
                self.record_event("push", source="system", person_id=row["person_id"],
                                  details=push)
        return removed

    def outbox_retry(self, outbox_id: int, error: str, next_attempt_at: datetime | str) -> bool:
        """Count a failed attempt and schedule the next one; False if the row is gone."""
        return self._write(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
            " updated_at = ? WHERE id = ? AND state = 'pending'",
            (error, iso_utc(next_attempt_at), self.now(), outbox_id),
        ).rowcount == 1

    def outbox_fail(self, outbox_id: int, error: str, fix: str) -> bool:
        """Mark a push failed for good, with the fix for the admin; logs 'push_failed'."""
        with self.transaction():
            row = self._write(
                "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?,"
                " fix = ?, updated_at = ? WHERE id = ? RETURNING person_id, desired",
                (error, fix, self.now(), outbox_id),
            ).fetchone()
            if row is None:
                return False
            person_id, desired = row
            self.record_event("push_failed", source="system", person_id=person_id, reason=error,
                              details={"outbox_id": outbox_id, "value": bool(desired),
                                       "fix": fix})
            return True

    def outbox_requeue(self, outbox_id: int, *, actor: str | None = None) -> bool:
        """Queue a failed push again, due now (the retry button); False if it is not failed."""
        with self.transaction():
            now = self.now()
            row = self._write(
                "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?,"
                " last_error = NULL, fix = NULL, updated_at = ?"
                " WHERE id = ? AND state = 'failed' RETURNING person_id",
                (now, now, outbox_id),
            ).fetchone()
            if row is None:
                return False
            self.record_event("requeue", source="manual", person_id=row[0], actor=actor,
                              details={"outbox_id": outbox_id})
            return True

    def outbox_requeue_person(self, person_id: int) -> int | None:
        """Make the person's push pending and due now, under a new id; return it (or None).

        The new id means a push still in flight to the person's old Salesforce ID cannot
        confirm it.
        """
        now = self.now()
        with self.transaction():
            row = self._row("SELECT * FROM outbox WHERE person_id = ?", (person_id,))
            if row is None:
                return None
            self._write("DELETE FROM outbox WHERE id = ?", (row["id"],))
            return self._write(
                "INSERT INTO outbox (person_id, desired, field, state, attempts,"
                " next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)",
                (person_id, row["desired"], row["field"], now, row["created_at"], now),
            ).lastrowid

    def oldest_unconfirmed_opt_out(self) -> datetime | None:
        """When the oldest opt-out that Salesforce has not confirmed was queued, if any."""
        oldest = self._scalar("SELECT min(created_at) FROM outbox WHERE desired = 1")
        return datetime.fromisoformat(oldest) if oldest else None

    # -- sync runs --------------------------------------------------------------------------------

    def start_run(self, mode: str) -> int:
        """Record a sync run as running and return its id."""
        with self.transaction():
            return self._write(
                "INSERT INTO sync_runs (started_at, status, mode) VALUES (?, 'running', ?)",
                (self.now(), mode),
            ).lastrowid

    def finish_run(
        self,
        run_id: int,
        status: str,
        *,
        pulled: int = 0,
        pushed_local: int = 0,
        pushed_remote: int = 0,
        conflicts: int = 0,
        errors: Iterable[Any] = (),
        api_calls: int = 0,
        watermark: str | None = None,
        details: dict | None = None,
    ) -> None:
        """Record how a running sync run ended: status 'ok', 'partial' or 'failed', and counts."""
        if status not in FINISHED_RUN_STATUSES:
            raise InvalidValue(f"a run cannot finish as {status!r}: use ok, partial or failed")
        with self.transaction():
            updated = self._write(
                "UPDATE sync_runs SET finished_at = ?, status = ?, pulled = ?, pushed_local = ?,"
                " pushed_remote = ?, conflicts = ?, errors = ?, api_calls = ?, watermark = ?,"
                " details = ? WHERE id = ? AND status = 'running'",
                (self.now(), status, pulled, pushed_local, pushed_remote, conflicts,
                 _to_json(list(errors)), api_calls, watermark, _to_json(details or {}), run_id),
            ).rowcount
            if updated == 0:
                raise NotFound(f"no running sync run has id {run_id}: start one with start_run")

    def get_run(self, run_id: int) -> SyncRun | None:
        row = self._row(f"SELECT {_RUN_COLUMNS} FROM sync_runs WHERE id = ?", (run_id,))
        return SyncRun.from_row(row) if row else None

    def list_runs(self, limit: int = 20) -> list[SyncRun]:
        """The latest runs, newest first."""
        rows = self._rows(f"SELECT {_RUN_COLUMNS} FROM sync_runs ORDER BY id DESC LIMIT ?",
                          (limit,))
        return [SyncRun.from_row(row) for row in rows]

    def last_successful_run(self) -> SyncRun | None:
        """The newest run that finished 'ok'."""
        row = self._row(
            f"SELECT {_RUN_COLUMNS} FROM sync_runs WHERE status = 'ok' ORDER BY id DESC LIMIT 1"
        )
        return SyncRun.from_row(row) if row else None
