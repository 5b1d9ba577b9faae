"""The append-only event log: who or what changed a person, and why."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .base import StoreBase
from .people import _no_person
from .values import check_source, iso_utc, to_json

_INSERT = ("INSERT INTO events (person_id, email, action, source, reason, actor, occurred_at,"
           " recorded_at, details)")
# (person_id, email, action, source, reason, details)
PersonEvent = tuple[int, str, str, str, "str | None", "dict[str, Any] | str"]


class EventsTable(StoreBase):
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
        check_source(source)
        now = self.now()
        occurred = now if occurred_at is None else iso_utc(occurred_at)
        values = (action, source, reason, actor, occurred, now, to_json(details or {}))
        if person_id is None:
            return self._write(f"{_INSERT} VALUES (NULL, NULL, ?, ?, ?, ?, ?, ?, ?)",
                               values).lastrowid
        # One statement, the person's email read in it: a run logs an event per decision.
        cursor = self._write(f"{_INSERT} SELECT id, email, ?, ?, ?, ?, ?, ?, ? FROM people"
                             " WHERE id = ?", (*values, person_id))
        if cursor.rowcount == 0:
            raise _no_person(person_id)
        return cursor.lastrowid

    def record_person_events(self, events: Iterable[PersonEvent]) -> None:
        """Append events about people read in this transaction, in order, in one statement.

        Each is (person_id, email, action, source, reason, details): a run's page of decisions,
        stamped with one time. Details are a dict, or its JSON as to_json writes it.
        """
        now = self.now()
        events = list(events)
        for source in {event[3] for event in events}:  # a few sources, checked once each
            check_source(source)
        rows = [(person_id, email, action, source, reason, None, now, now,
                 details if isinstance(details, str) else to_json(details))
                for person_id, email, action, source, reason, details in events]
        with self._lock:
            self.db.conn.executemany(f"{_INSERT} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def person_history(self, person_id: int) -> list[dict]:
        """The person's events, oldest first, with details decoded."""
        rows = self._rows("SELECT * FROM events WHERE person_id = ? ORDER BY id", (person_id,))
        return [{**row, "details": json.loads(row["details"])} for row in rows]

    def max_event_id(self) -> int:
        return self._scalar("SELECT coalesce(max(id), 0) FROM events")

    def count_events(self) -> int:
        return self._scalar("SELECT count(*) FROM events")

    def list_events(self, action: str | None = None, *,
                    actor: str | None = None) -> list[dict]:
        """Events (with this action, by this actor), oldest first, with details decoded."""
        rows = self._rows("SELECT * FROM events WHERE (? IS NULL OR action = ?)"
                          " AND (? IS NULL OR actor = ?) ORDER BY id",
                          (action, action, actor, actor))
        return [{**row, "details": json.loads(row["details"])} for row in rows]

    def run_decisions(self, run_id: int) -> list[dict]:
        """The 'sync_decision' events a run logged, oldest first, with details decoded."""
        rows = self._rows("SELECT * FROM events WHERE action = 'sync_decision'"
                          " AND json_extract(details, '$.run_id') = ? ORDER BY id", (run_id,))
        return [{**row, "details": json.loads(row["details"])} for row in rows]
