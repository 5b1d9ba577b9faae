"""People: their email, Salesforce record, opt-out, baseline and the state of their record."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping

from ..salesforce import ids as sfids
from .base import UPDATE_ROWS, StoreBase
from .errors import InvalidValue, NotFound, SalesforceIdInUse
from .records import Person, columns
from .values import check_source, normalise_email, validate_salesforce_id

PERSON_COLUMNS = columns(Person)


def _no_person(person_id: int) -> NotFound:
    return NotFound(f"no person has id {person_id}: look the person up by email first")


# set_baseline's and set_baselines' UPDATE, up to the people it names (`= ?` or `IN (...)`).
_SET_BASELINE = ("UPDATE people SET baseline = ?, baseline_field = ?, baseline_at = ?,"
                 " updated_at = ? WHERE id")


def _steps(people: list[int]) -> Iterator[str]:
    """The people's ids as JSON arrays of UPDATE_ROWS at most, one a multi-row UPDATE."""
    for start in range(0, len(people), UPDATE_ROWS):
        yield json.dumps(people[start:start + UPDATE_ROWS])


class PeopleTable(StoreBase):
    def _find_row(self, column: str, value: int | str) -> dict | None:
        return self._row(f"SELECT {PERSON_COLUMNS} FROM people WHERE {column} = ?", (value,))

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
        check_source(source)
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
        check_source(source)
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
            f"SELECT {PERSON_COLUMNS} FROM people WHERE salesforce_id IS NULL"
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

    def people_page(self, after: int = 0, limit: int = 50) -> list[Person]:
        """Up to `limit` people with ids above `after`, in id order (one page of a listing)."""
        rows = self._rows(f"SELECT {PERSON_COLUMNS} FROM people WHERE id > ? ORDER BY id LIMIT ?",
                          (after, limit))
        return [Person.from_row(row) for row in rows]

    def iter_people(self, batch: int = 1000) -> Iterator[Person]:
        """Every person in id order, read `batch` rows at a time."""
        last_id = 0
        while rows := self._rows(
            f"SELECT {PERSON_COLUMNS} FROM people WHERE id > ? ORDER BY id LIMIT ?",
            (last_id, batch),
        ):
            yield from (Person.from_row(row) for row in rows)
            last_id = rows[-1]["id"]

    def set_baseline(self, person_id: int, value: bool, field: str) -> None:
        """Record that both sides agreed on `value` for the Salesforce field `field`."""
        now = self.now()  # one statement: atomic without a savepoint (one per push confirmed)
        if self._write(f"{_SET_BASELINE} = ?",
                       (int(value), field, now, now, person_id)).rowcount == 0:
            raise _no_person(person_id)

    def set_baselines(self, values: Iterable[tuple[int, bool]], *, field: str) -> int:
        """set_baseline for many (person_id, value) pairs in one transaction; return how many
        people it set. One UPDATE per value and UPDATE_ROWS people (a statement per row was 3x
        slower a row)."""
        latest = dict(values)  # a person named twice keeps the last value, as one by one
        now = self.now()
        changed = 0
        with self.transaction():
            for value in (True, False):
                people = [person_id for person_id, wanted in latest.items()
                          if bool(wanted) is value]
                for ids in _steps(people):
                    changed += self._write(f"{_SET_BASELINE} IN (SELECT value FROM json_each(?))",
                                           (int(value), field, now, now, ids)).rowcount
        return changed

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

    def set_opted_out(self, person_id: int, opted_out: bool, *, source: str,
                      reason: str | None = None, details: dict | None = None) -> None:
        """Set the person's opt-out here without queueing a push, logging why.

        For a value that came from elsewhere (Salesforce, an import): the nightly run
        reconciles it with Salesforce.
        """
        check_source(source)
        with self.transaction():
            previous = bool(self._person_row(person_id)["opted_out"])
            self._write("UPDATE people SET opted_out = ?, updated_at = ? WHERE id = ?",
                        (int(opted_out), self.now(), person_id))
            self.record_event("unsubscribe" if opted_out else "resubscribe", source=source,
                              person_id=person_id, reason=reason,
                              details={"previous": previous, **(details or {})})

    def set_opted_out_many(self, values: Iterable[tuple[int, bool]], *,
                           baselines: Mapping[int, bool] | None = None,
                           field: str | None = None) -> None:
        """Set many people's opt-out here in one statement, for a caller that logs each
        change itself (record_person_events, in the same transaction): a run's page.
        `baselines`: people among them whose baseline for `field` is recorded by the same
        statement, as set_baselines would (a run's opt-out that agrees with Salesforce)."""
        latest = dict(values)  # a person named twice keeps the last value, as one by one
        agreed = baselines or {}
        now = self.now()
        groups: dict[tuple[bool, bool | None], list[int]] = {}
        for person_id, wanted in latest.items():
            baseline = agreed.get(person_id)
            groups.setdefault((bool(wanted), None if baseline is None else bool(baseline)),
                              []).append(person_id)
        with self._lock:
            # One UPDATE per value and UPDATE_ROWS people, as set_baselines (a statement per
            # row cost twice as much: a first sync opts out 85,714 people here, and sets the
            # baseline of each).
            for (value, baseline), people in groups.items():
                if baseline is None:
                    sets, written = "opted_out = ?, updated_at = ?", (int(value), now)
                else:
                    sets = ("opted_out = ?, baseline = ?, baseline_field = ?, baseline_at = ?,"
                            " updated_at = ?")
                    written = (int(value), int(baseline), field, now, now)
                for ids in _steps(people):
                    self.db.conn.execute(f"UPDATE people SET {sets}"
                                         " WHERE id IN (SELECT value FROM json_each(?))",
                                         (*written, ids))

    def change_email(self, person_id: int, email: str, *, source: str = "manual",
                     actor: str | None = None) -> None:
        """Give the person a new email address (logged 'email', with the old and new)."""
        check_source(source)
        new = normalise_email(email)
        with self.transaction():
            old = self._person_row(person_id)["email"]
            if old == new:
                return
            owner = self._find_row("email", new)
            if owner is not None:
                raise InvalidValue(f"{new} is already the address of person {owner['id']}:"
                                   " merge the two people or choose another address")
            self._write("UPDATE people SET email = ?, updated_at = ? WHERE id = ?",
                        (new, self.now(), person_id))
            self.record_event("email", source=source, person_id=person_id, actor=actor,
                              details={"old": old, "new": new})
