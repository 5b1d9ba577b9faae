"""The nightly run's reads of people: by Salesforce record, by email, and the local candidates.

People come back as dicts (the run updates them as it relinks), with the checkboxes as
booleans and `waiting`: whether an outbox row (a push not yet confirmed) exists for them.
"""

from __future__ import annotations

import json

from .base import UPDATE_ROWS, StoreBase

_COLUMNS = ("p.id, p.email, p.salesforce_id, p.salesforce_type, p.opted_out, p.baseline,"
            " p.baseline_field, p.baseline_at, p.sf_state")
_PERSON = f"{_COLUMNS}, EXISTS (SELECT 1 FROM outbox o WHERE o.person_id = p.id) AS waiting"
# Linked people whose value differs from their baseline for the field `?` (or who have none),
# whose record is not gone and who have no push waiting: the run fetches their records.
_CANDIDATE = (
    "p.salesforce_id IS NOT NULL"
    " AND (p.baseline IS NULL OR p.baseline_field IS NOT ? OR p.baseline != p.opted_out)"
    " AND (p.sf_state IS NULL OR p.sf_state NOT IN ('deleted', 'missing'))"
    " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.person_id = p.id)"
)

# The person's record reads `:value`, as here, and nothing else is to be decided: no push
# waits, the record is not marked gone, no confirmation since `:read_at` (settle's guard), and
# the baseline for `:field`, if any, is that value. The decision is 'agree' or 'in_sync': the
# baseline is the only write (decide.py). Every term is true or false, never NULL. A waiting
# push is the outbox row `w` joined in _PAGE.
_AGREES = (
    "p.opted_out = :value AND p.sf_state IS NULL"
    " AND (p.baseline_field IS NOT :field OR p.baseline IS NULL OR p.baseline = :value)"
    " AND (:read_at IS NULL OR p.baseline_at IS NULL OR p.baseline_at <= :read_at)"
    " AND w.id IS NULL"
)
# The page's records, as a join (a fifth cheaper than `IN (SELECT ...)`, which sorts the Ids
# into a temporary index first); a page names each record once. Each person's outbox row, if
# any (one at most: person_id is unique there), is joined too: 7% cheaper than a correlated
# EXISTS per record.
_PAGE = ("json_each(:ids) AS page JOIN people p ON p.salesforce_id = page.value"
         " LEFT JOIN outbox w ON w.person_id = p.id")


def _person(row: tuple) -> dict:
    """A person as a run reads them, from a row of _PERSON."""
    person_id, email, sfid, sftype, opted_out, baseline, field, agreed_at, state, waiting = row
    return {"id": person_id, "email": email, "salesforce_id": sfid, "salesforce_type": sftype,
            "opted_out": bool(opted_out), "baseline": None if baseline is None else bool(baseline),
            "baseline_field": field, "baseline_at": agreed_at, "sf_state": state,
            "waiting": bool(waiting)}


class SyncReads(StoreBase):
    def _sync_people(self, where: str, params: tuple) -> list[dict]:
        # Built here rather than through _rows: a first sync reads a million people.
        with self._lock:
            cursor = self.db.execute(f"SELECT {_PERSON} FROM people p WHERE {where}", params)
            return [_person(row) for row in cursor]

    def people_by_sfid(self, sfids: list[str]) -> dict[str, dict]:
        rows = self._sync_people("p.salesforce_id IN (SELECT value FROM json_each(?))",
                                 (json.dumps(sfids),))
        return {row["salesforce_id"]: row for row in rows}

    def settle_agreeing(self, sfids: list[str], value: bool, *, field: str,
                        read_at: str | None) -> dict[str, dict]:
        """For live records whose `field` reads `value`: record the baseline of each person
        whose record agrees with them (see _AGREES), in SQL, and return the other
        people linked to these records, as people_by_sfid does, for the run to settle.

        A page of a first sync is mostly such people: their decision needs no Python.
        """
        others: list[dict] = []
        with self._lock:
            now = self.now()
            # UPDATE_ROWS records a step (a page names each record once: the steps' people are
            # distinct, so each step reads them as the whole page's statement would have).
            for start in range(0, len(sfids), UPDATE_ROWS):
                step = sfids[start:start + UPDATE_ROWS]
                params = {"ids": json.dumps(step), "value": int(value), "field": field,
                          "read_at": read_at, "now": now}
                found = [_person(row) for row in self.db.execute(
                    f"SELECT {_COLUMNS}, w.id IS NOT NULL AS waiting FROM {_PAGE}"
                    f" WHERE NOT ({_AGREES})", params)]
                others += found
                # The others' complement agrees: nothing is written between the two statements
                # (the transaction holds the store's lock), and a record names one person at
                # most (people.salesforce_id is UNIQUE), so the UPDATE names those records
                # rather than testing _AGREES again (a lookup in the outbox per person).
                if found:
                    unsettled = {person["salesforce_id"] for person in found}
                    params["ids"] = json.dumps([sfid for sfid in step if sfid not in unsettled])
                # `IN (SELECT ...)` here, not the join: an UPDATE ... FROM collects the joined
                # rows first, and ran 15% slower (200,000 records of a 1,000,000-person store,
                # CPU time, the two alternating).
                self.db.execute(
                    "UPDATE people AS p SET baseline = :value, baseline_field = :field,"
                    " baseline_at = :now, updated_at = :now"
                    " WHERE p.salesforce_id IN (SELECT value FROM json_each(:ids))"
                    " AND NOT (p.baseline IS :value AND p.baseline_field IS :field)", params)
        return {row["salesforce_id"]: row for row in others}

    def opted_out_by_email(self, emails: list[str]) -> dict[str, dict]:
        rows = self._sync_people("p.opted_out = 1 AND p.email IN (SELECT value FROM json_each(?))",
                                 (json.dumps(emails),))
        return {row["email"]: row for row in rows}

    def local_candidates(self, field_name: str, after: int, limit: int) -> list[dict]:
        """Candidates for `field_name` with ids above `after`, in id order."""
        return self._sync_people(f"p.id > ? AND {_CANDIDATE} ORDER BY p.id LIMIT ?",
                                 (after, field_name, limit))

    def count_local_candidates(self, field_name: str) -> int:
        return self._scalar(f"SELECT count(*) FROM people p WHERE {_CANDIDATE}", (field_name,))

    def opted_out_since(self, after_event: int, upto_event: int, after_person: int,
                        limit: int) -> list[dict]:
        """Opted-out people with an unsubscribe event in (after_event, upto_event], by id."""
        return self._sync_people(
            "p.opted_out = 1 AND p.id > ? AND EXISTS (SELECT 1 FROM events e"
            " WHERE e.person_id = p.id AND e.action = 'unsubscribe' AND e.id > ? AND e.id <= ?)"
            " ORDER BY p.id LIMIT ?",
            (after_person, after_event, upto_event, limit),
        )
