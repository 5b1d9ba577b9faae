"""Many records written at once (sObject Collections, Bulk API ingest): each record checked
exactly as `Org.insert` / `Org.update` check it, the survivors written with one SELECT and one
executemany per run of rows with the same fields, instead of a savepoint and statements per
record (benchmarks/README.md: 5-6 SQLite statements a record were most of the write path).

Every record's outcome is its 18-char Id or the SalesforceError it met; a failed record
writes nothing. Call under the org's lock, inside a transaction.
"""

from __future__ import annotations

from .. import errors
from .org import Org
from .schema import SObjectType

Outcome = str | errors.SalesforceError
SQL_VARIABLES = 500  # Ids per SELECT ... IN (...), well under SQLite's limit


def insert_many(org: Org, sobject: SObjectType, records: list[dict], *,
                user_id: str | None) -> list[Outcome]:
    """Create `records` as `Org.insert` would, in order."""
    out: list[Outcome] = []
    unique = [f.name for f in sobject.fields.values() if f.unique]
    serial = _has_duplicate_rules(org, sobject)
    pending: list[tuple[dict, dict | None, dict]] = []
    for data in records:
        try:
            if serial:
                _flush(org, sobject, pending, "insert")
            row = org._new_row(sobject, data, check=True, user_id=user_id)
            if any(row.get(name) not in (None, "") for name in unique):
                _flush(org, sobject, pending, "insert")  # so the check sees them
                org._check_unique(sobject, row, None)
        except errors.SalesforceError as exc:
            out.append(exc)
            continue
        pending.append((row, None, row))
        out.append(row["Id"])
    _flush(org, sobject, pending, "insert")
    return out


def update_many(org: Org, sobject: SObjectType, changes: list[tuple[str, dict]], *,
                user_id: str | None) -> list[Outcome] | None:
    """Update records as `Org.update` would, in order: (record Id as given, fields) each.
    None when a record is named twice (the caller then updates one by one)."""
    wanted: list[str | errors.SalesforceError] = []
    for given, _ in changes:
        try:
            wanted.append(org.resolve_id(sobject, given))
        except errors.SalesforceError as exc:
            wanted.append(exc)
    named = [w for w in wanted if isinstance(w, str)]
    if len(set(named)) != len(named):
        return None
    stored = _fetch_many(org, sobject, named)
    unique = [f.name for f in sobject.fields.values() if f.unique]
    out: list[Outcome] = []
    serial = _has_duplicate_rules(org, sobject)
    pending: list[tuple[dict, dict | None, dict]] = []
    for (_, data), record_id in zip(changes, wanted, strict=True):
        try:
            if serial:
                _flush(org, sobject, pending, "update")
            if isinstance(record_id, errors.SalesforceError):
                raise record_id
            current = stored.get(record_id)
            if current is None:
                raise errors.NotFound("The requested resource does not exist")
            if current["IsDeleted"]:
                raise errors.EntityIsDeleted("entity is deleted", [])
            row, merged = org._changed_row(sobject, current, data, check=True, user_id=user_id)
            if any(merged.get(name) not in (None, "") for name in unique):
                _flush(org, sobject, pending, "update")
                org._check_unique(sobject, merged, record_id)
        except errors.SalesforceError as exc:
            out.append(exc)
            continue
        row["Id"] = record_id  # the WHERE's parameter, last
        pending.append((row, current, merged))  # merged holds row's every value
        out.append(record_id)
    _flush(org, sobject, pending, "update")
    return out


def _has_duplicate_rules(org: Org, sobject: SObjectType) -> bool:
    """Whether a duplicate rule matches records of this type against the stored ones: then
    each record is written before the next is checked, as one by one."""
    return any(rule.type == sobject.name for rule in org.behaviours.duplicate_rules)


def _fetch_many(org: Org, sobject: SObjectType, record_ids: list[str]) -> dict[str, dict]:
    """The stored rows with these 18-char Ids, by Id."""
    found: dict[str, dict] = {}
    for start in range(0, len(record_ids), SQL_VARIABLES):
        chunk = record_ids[start:start + SQL_VARIABLES]
        cursor = org.db.conn.execute(
            f'SELECT * FROM "{sobject.name}" WHERE "Id" IN ({", ".join("?" * len(chunk))})',
            chunk)
        names = [c[0] for c in cursor.description]
        for values in cursor:
            row = dict(zip(names, values, strict=True))
            found[row["Id"]] = row
    return found


def _flush(org: Org, sobject: SObjectType, pending: list[tuple[dict, dict | None, dict]],
           action: str) -> None:
    """Write the pending rows in order, an executemany per run of the same fields; then tell
    the org's listeners, as each single write does."""
    start = 0
    while start < len(pending):
        keys = pending[start][0].keys()
        end = start + 1
        while end < len(pending) and pending[end][0].keys() == keys:
            end += 1
        if action == "insert":
            names = ", ".join(f'"{k}"' for k in keys)
            sql = f'INSERT INTO "{sobject.name}" ({names}) VALUES ({", ".join("?" * len(keys))})'
        else:
            sets = ", ".join(f'"{k}" = ?' for k in keys if k != "Id")
            sql = f'UPDATE "{sobject.name}" SET {sets} WHERE "Id" = ?'
        org.db.conn.executemany(sql, [list(row.values()) for row, _, _ in pending[start:end]])
        start = end
    for row, before, after in pending:
        org._notify(sobject.name, row["Id"], action, before, after)
    pending.clear()
