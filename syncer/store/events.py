"""The append-only event log: who or what changed a person, and why."""

from __future__ import annotations

import json
from datetime import datetime

from .base import StoreBase
from .values import check_source, iso_utc, to_json


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
        with self.transaction():
            email = self._person_row(person_id)["email"] if person_id is not None else None
            return self._write(
                "INSERT INTO events (person_id, email, action, source, reason, actor,"
                " occurred_at, recorded_at, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (person_id, email, action, source, reason, actor, occurred, now,
                 to_json(details or {})),
            ).lastrowid

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
