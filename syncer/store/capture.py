"""Captures: an unsubscribe or resubscribe recorded, logged and queued for Salesforce at once."""

from __future__ import annotations

from datetime import datetime

from .base import StoreBase
from .errors import IdempotencyConflict, InvalidValue, NotFound
from .records import CaptureResult
from .values import check_source, iso_utc, normalise_email, to_json, validate_salesforce_id


class CaptureTable(StoreBase):
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
        check_source(source)
        email = normalise_email(email) if email is not None else None
        sfid = validate_salesforce_id(salesforce_id) if salesforce_id is not None else None
        if email is None and sfid is None:
            raise InvalidValue("a capture needs an email or a Salesforce ID: pass at least one")
        if idempotency_key is not None and not idempotency_key.strip():
            raise InvalidValue("idempotency_key is empty: send a new key per capture, or none")
        occurred = iso_utc(occurred_at) if occurred_at is not None else None
        request = to_json({"email": email, "salesforce_id": sfid, "opted_out": opted_out})
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
