"""The push outbox: every write to Salesforce waits here until Salesforce confirms it.

A row pushes either a person's opt-out to their linked record (person_id set: one row per
person) or a value to a record no person here is linked to (salesforce_id set: one row per
record), e.g. the nightly run's fan-out by email.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from json.encoder import encode_basestring_ascii as _str

from .base import StoreBase
from .errors import InvalidValue
from .records import OutboxItem
from .values import iso_utc, to_json

OUTBOX_STATES = ("pending", "failed")
# The record a row writes: its own for a record row, else its person's (None until linked).
_TARGET = "coalesce(o.salesforce_id, p.salesforce_id)"
_FROM = "FROM outbox o LEFT JOIN people p ON p.id = o.person_id"
_SELECT = (
    f"SELECT o.id, o.person_id, coalesce(p.email, o.email) AS email, {_TARGET} AS salesforce_id,"
    " coalesce(o.salesforce_type, p.salesforce_type) AS salesforce_type, o.desired, o.field,"
    " o.state, o.attempts, o.next_attempt_at, o.last_error, o.fix, o.created_at, o.updated_at"
    f" {_FROM}"
)
# Pending rows that can go out (their record is known), and those of them due at `?`.
_SENDABLE = f"o.state = 'pending' AND {_TARGET} IS NOT NULL"
_DUE = f"{_SENDABLE} AND o.next_attempt_at <= ?"
_TYPE = "coalesce(o.salesforce_type, p.salesforce_type)"
# Re-queueing a row with a new value resets it; created_at keeps the age of an unchanged value.
_REQUEUE_SET = (
    " DO UPDATE SET desired = excluded.desired, field = excluded.field, email = excluded.email,"
    " state = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at,"
    " last_error = NULL, fix = NULL, updated_at = excluded.updated_at,"
    " created_at = CASE WHEN outbox.desired = excluded.desired"
    " THEN outbox.created_at ELSE excluded.created_at END"
)
_REQUEUE = f"{_REQUEUE_SET} RETURNING id"
# A person's push, queued or re-queued (queue_push returns its id; queue_pushes writes many).
_QUEUE_PERSON = (
    "INSERT INTO outbox (person_id, desired, state, attempts, next_attempt_at, created_at,"
    f" updated_at) VALUES (?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT(person_id) {_REQUEUE_SET}"
)

# queue_pushes' rows, from a JSON array of [person_id, desired] in order: one statement, not a
# statement per row (its AUTOINCREMENT counter read and written once, not per row). `WHERE
# true` lets the upsert clause follow a SELECT (SQLite's parsing rule).
_QUEUE_PEOPLE = (
    "INSERT INTO outbox (person_id, desired, state, attempts, next_attempt_at, created_at,"
    " updated_at) SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), 'pending',"
    " 0, :now, :now, :now FROM json_each(:pushes) WHERE true"
    f" ON CONFLICT(person_id) {_REQUEUE_SET}"
)

_FLAGS = {True: "true", False: "false"}
_PUSH_KEYS = frozenset(("field", "outbox_id", "salesforce_id", "superseded", "value", "via"))
_PUSH_RUN_KEYS = _PUSH_KEYS | {"run_id"}  # a run's Bulk job


def push_json(details: dict) -> str:
    """A 'push' event's details as to_json writes them (keys sorted, ', ' and ': ' between,
    strings ASCII-escaped), a few times faster for the shapes outbox_done writes (a Bulk job
    confirms a hundred thousand); any other shape or type goes through to_json itself."""
    get = details.get
    run_id, via, field, outbox_id = get("run_id"), get("via"), get("field"), get("outbox_id")
    sfid, value, superseded = get("salesforce_id"), get("value"), get("superseded")
    if not ((details.keys() == _PUSH_KEYS or details.keys() == _PUSH_RUN_KEYS)
            and type(via) is str
            and type(field) is str and type(outbox_id) is int
            and (sfid is None or type(sfid) is str) and type(value) is bool
            and type(superseded) is bool and (run_id is None or type(run_id) is int)):
        return to_json(details)
    run = "" if "run_id" not in details else \
        f' "run_id": {"null" if run_id is None else run_id},'
    return (f'{{"field": {_str(field)}, "outbox_id": {outbox_id},{run}'
            f' "salesforce_id": {"null" if sfid is None else _str(sfid)},'
            f' "superseded": {_FLAGS[superseded]}, "value": {_FLAGS[value]},'
            f' "via": {_str(via)}}}')


# Stand for an outbox id and a record's Id in _push_template's details.
_OUTBOX_ID, _RECORD = 918273645546372819, "0STANDINRECORDID00"


def _push_template(extra: dict, field: str, value: bool,
                   superseded: bool) -> tuple[str, str, str] | None:
    """push_json's text for outbox_done's details around the outbox id and the record's Id
    (written as push_json writes them: the id as is, the Id escaped or null), made once per
    confirmation's value; None unless push_json writes that shape itself."""
    details = {**extra, "outbox_id": _OUTBOX_ID, "field": field, "salesforce_id": _RECORD,
               "value": value, "superseded": superseded}
    if not (details.keys() == _PUSH_KEYS or details.keys() == _PUSH_RUN_KEYS):
        return None
    head, *rest = push_json(details).split(str(_OUTBOX_ID))
    parts = rest[0].split(_str(_RECORD)) if len(rest) == 1 else []
    return (head, *parts) if len(parts) == 2 else None


class OutboxTable(StoreBase):
    def queue_push(self, person_id: int, desired: bool) -> int:
        """Make the person's one outbox row pending and due now with `desired`; return its id.

        created_at is when the row's current desired value was first queued; the staleness
        alert measures from it.
        """
        now = self.now()
        return self._write(f"{_QUEUE_PERSON} RETURNING id",
                           (person_id, int(desired), now, now, now)).fetchone()[0]

    def queue_pushes(self, pushes: Iterable[tuple[int, bool]]) -> None:
        """queue_push for many (person_id, desired) pairs, in order, in one statement (a run's
        page: its outbox ids and rows are those the calls one by one would give)."""
        with self._lock:
            self.db.conn.execute(_QUEUE_PEOPLE, {"now": self.now(), "pushes": json.dumps(
                [(person_id, int(desired)) for person_id, desired in pushes])})

    def queue_record_push(self, salesforce_id: str, salesforce_type: str, desired: bool, *,
                          field: str, email: str | None = None) -> int:
        """Queue `field` = `desired` for a record no person here is linked to; return the id.

        `email` is the address the record shares, shown on the outbox page.
        """
        now = self.now()
        return self._write(
            "INSERT INTO outbox (salesforce_id, salesforce_type, email, desired, field, state,"
            " attempts, next_attempt_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)"
            f" ON CONFLICT(salesforce_id) {_REQUEUE}",
            (salesforce_id, salesforce_type, email, int(desired), field, now, now, now),
        ).fetchone()[0]

    def due_outbox(self, now: datetime | str | None = None, limit: int = 200,
                   after: int = 0) -> list[OutboxItem]:
        """Pending pushes that are due (ids above `after`), oldest first."""
        at = self.now() if now is None else iso_utc(now)
        rows = self._rows(f"{_SELECT} WHERE {_DUE} AND o.id > ? ORDER BY o.created_at, o.id"
                          " LIMIT ?", (at, after, limit))
        return [OutboxItem.from_row(row) for row in rows]

    def due_pushes(self, now: str, sobject: str | None = None,
                   chunk: int = 10_000) -> Iterator[tuple[int, str, str, bool]]:
        """Every push due at `now` (to records of type `sobject`, if given) as (outbox id,
        record, its type, value), in id order: what a Bulk API 2.0 job sends. One query, read
        a chunk at a time (a query a page sorted every due row again for each page of a long
        queue). The outbox is read in id order, not through outbox_due: a Bulk job sends
        most of it, and the index's order would be sorted again by id (a temporary B-tree of
        every due row)."""
        with self._lock:
            cursor = self.db.execute(
                f"SELECT o.id, {_TARGET}, {_TYPE}, o.desired FROM outbox o NOT INDEXED"
                f" LEFT JOIN people p ON p.id = o.person_id WHERE {_SENDABLE}"
                f" AND o.next_attempt_at <= :now AND (:type IS NULL OR {_TYPE} = :type)"
                " ORDER BY o.id", {"now": now, "type": sobject})
        while True:
            with self._lock:
                rows = cursor.fetchmany(chunk)
            if not rows:
                return
            for outbox_id, record, record_type, desired in rows:
                yield outbox_id, record, record_type, bool(desired)

    def count_due(self, now: str | None = None, at_most: int | None = None) -> int:
        """Pushes due at `now`, counted up to `at_most` (a run only asks whether there are
        more than its Bulk threshold before it sends them)."""
        return self._scalar(f"SELECT count(*) FROM (SELECT 1 {_FROM} WHERE {_DUE} LIMIT ?)",
                            (self.now() if now is None else now,
                             -1 if at_most is None else at_most))

    def next_due(self) -> datetime | None:
        """When the earliest pending push that can go out comes due, if any."""
        earliest = self._scalar(f"SELECT min(o.next_attempt_at) {_FROM} WHERE {_SENDABLE}")
        return datetime.fromisoformat(earliest) if earliest else None

    def count_pending(self) -> int:
        """Pending pushes whose record is known (due now or later)."""
        return self._scalar(f"SELECT count(*) {_FROM} WHERE {_SENDABLE}")

    def count_failed(self) -> int:
        """Pushes refused for good, waiting for an admin's fix and retry."""
        return self._scalar("SELECT count(*) FROM outbox WHERE state = 'failed'")

    def count_pending_without_sfid(self) -> int:
        """Pending pushes that wait for their person to get a Salesforce ID."""
        return self._scalar(f"SELECT count(*) {_FROM} WHERE o.state = 'pending'"
                            f" AND {_TARGET} IS NULL")

    def list_outbox(self, state: str | None = None, limit: int | None = None) -> list[OutboxItem]:
        """Outbox rows (all, or in one state), oldest first."""
        if state is not None and state not in OUTBOX_STATES:
            raise InvalidValue(f"unknown outbox state {state!r}: use pending or failed")
        rows = self._rows(
            f"{_SELECT} WHERE ? IS NULL OR o.state = ? ORDER BY o.created_at, o.id LIMIT ?",
            (state, state, -1 if limit is None else limit),
        )
        return [OutboxItem.from_row(row) for row in rows]

    def outbox_for_person(self, person_id: int) -> OutboxItem | None:
        """The person's outbox row (pending or failed), or None when nothing waits."""
        row = self._row(f"{_SELECT} WHERE o.person_id = ?", (person_id,))
        return OutboxItem.from_row(row) if row else None

    def outbox_done(
        self, sent: Iterable[tuple[int, bool]], *, field: str, details: dict | None = None
    ) -> list[int]:
        """Record Salesforce's confirmation of pushed (outbox_id, value) pairs; return ids removed.

        Each confirmation appends a 'push' event. A row is removed, and the value becomes the
        person's baseline for `field`, only if it still wants the value that was sent; a row
        whose person changed again meanwhile stays pending, so a stale value never wins.
        """
        sent = list(sent)
        removed: list[int] = []
        baselines: list[tuple[int, bool]] = []
        events = []
        extra = details or {}
        templates: dict[tuple[bool, bool], tuple[str, str, str] | None] = {}
        with self.transaction():
            rows = self._outbox_rows([outbox_id for outbox_id, _ in sent])
            for outbox_id, value in sent:
                row = rows.get(outbox_id)
                if row is None:
                    continue
                _, person_id, desired, email, record = row
                current = desired == int(value)
                if current:
                    removed.append(outbox_id)
                    if person_id is not None:
                        baselines.append((person_id, value))
                key = (bool(value), not current)
                if key not in templates:
                    templates[key] = _push_template(extra, field, *key)
                template = templates[key]
                if template is not None and type(outbox_id) is int \
                        and (record is None or type(record) is str):
                    head, middle, tail = template
                    text = (f"{head}{outbox_id}{middle}"
                            f"{'null' if record is None else _str(record)}{tail}")
                else:
                    text = push_json({**extra, "outbox_id": outbox_id, "field": field,
                                      "salesforce_id": record, "value": bool(value),
                                      "superseded": not current})
                events.append((person_id, email, "push", "system", None, text))
            with self._lock:
                self.db.conn.execute("DELETE FROM outbox WHERE id IN"
                                     " (SELECT value FROM json_each(?))", (json.dumps(removed),))
            self.set_baselines(baselines, field=field)
            self.record_person_events(events)
        return removed

    def _outbox_rows(self, outbox_ids: list[int]) -> dict[int, tuple]:
        """The rows with these ids (those still there), by id: (id, person_id, desired,
        email, record), read in one statement (a Bulk job confirms thousands). The ids are
        joined, not tested with `IN (SELECT ...)`, which sorts them into a temporary index
        first."""
        with self._lock:
            return {row[0]: row for row in self.db.conn.execute(
                f"SELECT o.id, o.person_id, o.desired, p.email, {_TARGET}"
                " FROM json_each(?) AS sent JOIN outbox o ON o.id = sent.value"
                " LEFT JOIN people p ON p.id = o.person_id", (json.dumps(outbox_ids),))}

    def outbox_retry(self, outbox_id: int, error: str, next_attempt_at: datetime | str) -> bool:
        """Count a failed attempt and schedule the next one; False if the row is gone."""
        return self._write(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
            " updated_at = ? WHERE id = ? AND state = 'pending'",
            (error, iso_utc(next_attempt_at), self.now(), outbox_id),
        ).rowcount == 1

    def outbox_note(self, outbox_ids: list[int], error: str) -> int:
        """Keep why pending rows could not be sent (a refused login, no API access) without
        delaying them: they go with the next push. The number of rows noted."""
        if not outbox_ids:
            return 0
        marks = ", ".join("?" * len(outbox_ids))
        return self._write(
            f"UPDATE outbox SET last_error = ?, updated_at = ? WHERE id IN ({marks})"
            " AND state = 'pending'", (error, self.now(), *outbox_ids)).rowcount

    def outbox_fail(self, outbox_id: int, error: str, fix: str) -> bool:
        """Mark a push failed for good, with the fix for the admin; logs 'push_failed'."""
        with self.transaction():
            row = self._write(
                "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?,"
                " fix = ?, updated_at = ? WHERE id = ? RETURNING person_id, desired,"
                " salesforce_id",
                (error, fix, self.now(), outbox_id),
            ).fetchone()
            if row is None:
                return False
            person_id, desired, record = row
            details = {"outbox_id": outbox_id, "value": bool(desired), "fix": fix}
            if record is not None:
                details["salesforce_id"] = record
            self.record_event("push_failed", source="system", person_id=person_id, reason=error,
                              details=details)
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

    def stale_opt_outs(self, now: datetime | None = None) -> list[OutboxItem]:
        """Opt-outs that have waited longer than `stale_hours` for Salesforce, oldest first.

        `syncer doctor` fails when there are any; `syncer status` lists them.
        """
        limit = (now or self.clock()) - timedelta(hours=self.get_settings().stale_hours)
        rows = self._rows(f"{_SELECT} WHERE o.desired = 1 AND o.created_at < ?"
                          " ORDER BY o.created_at, o.id", (iso_utc(limit),))
        return [OutboxItem.from_row(row) for row in rows]
