"""Many records written at once (sObject Collections, Bulk API ingest): each record checked
exactly as `Org.insert` / `Org.update` check it, the survivors written with one SELECT and one
executemany per run of rows with the same fields, instead of a savepoint and statements per
record (benchmarks/README.md: 5-6 SQLite statements a record were most of the write path).
An update of a plain type writes the records whose checks SQL can make without reading them
first, one UPDATE per set of values (`_update_unread`; README, "Session 4").

Every record's outcome is its 18-char Id or the SalesforceError it met; a failed record
writes nothing. Call under the org's lock, inside a transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from itertools import repeat
from operator import itemgetter

from .. import errors, ids
from . import values, write_plan
from .org import Org
from .schema import SObjectType

Outcome = str | errors.SalesforceError
# _update_unread's plan of each shape: its UPDATE and SELECT, prepare, its required fields.
Plans = dict[tuple, tuple[tuple[str, str] | None, Callable[[dict], dict], list[str]]]
SQL_VARIABLES = 500  # Ids per SELECT ... IN (...), well under SQLite's limit
# Value types whose equal values are the same value (not True and 1, not 0.0 and -0.0).
EXACT_TYPES = (str, bool, int, type(None))


def insert_many(org: Org, sobject: SObjectType, records: list[dict], *,
                user_id: str | None) -> list[Outcome]:
    """Create `records` as `Org.insert` would, in order."""
    unique = write_plan.unique(sobject)
    if plain(org, sobject):
        return _insert_plain(org, sobject, records, unique, user_id)
    return _insert_each(org, sobject, records, unique,
                        lambda data: org._new_row(sobject, data, check=True, user_id=user_id),
                        serial=_has_duplicate_rules(org, sobject))


def _insert_each(org: Org, sobject: SObjectType, records: list[dict], unique: list[str],
                 new_row: Callable[[dict], dict], *, serial: bool = False) -> list[Outcome]:
    """Make each record's row with `new_row`, check its unique fields against the rows before
    it, and write them together (one by one when `serial`: duplicate rules see each)."""
    out: list[Outcome] = []
    pending: list[tuple[dict, dict | None, dict]] = []
    for data in records:
        try:
            if serial:
                _flush(org, sobject, pending, "insert")
            row = new_row(data)
            if unique and any(row.get(name) not in (None, "") for name in unique):
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
                user_id: str | None, canonical: list[str | None] | None = None,
                whole: bool = False) -> list[Outcome] | None:
    """Update records as `Org.update` would, in order: (record Id as given, fields) each;
    `canonical`, when the caller has them, each Id's `ids.normalise`; `whole`: the fields are
    whole sObject Collections records, whose `attributes` and Id keys are not fields (as
    `collections.update` strips them). None when a record is named twice (the caller then
    updates one by one)."""
    prefix = sobject.key_prefix
    wanted: list[str | errors.SalesforceError]
    if canonical is not None and None not in canonical \
            and all(map(str.startswith, canonical, repeat(prefix))):
        wanted = named = list(canonical)  # the usual call: every Id valid and of this type
    else:
        wanted = []
        for i, (given, _) in enumerate(changes):
            known = canonical[i] if canonical is not None else None
            if known is not None and known.startswith(prefix):
                wanted.append(known)  # what resolve_id answers; its errors need the Id given
                continue
            try:
                wanted.append(org.resolve_id(sobject, given))
            except errors.SalesforceError as exc:
                wanted.append(exc)
        named = [w for w in wanted if type(w) is str]
    if len(set(named)) != len(named):
        return None
    unique = write_plan.unique(sobject)
    if plain(org, sobject):
        return _update_plain(org, sobject, changes, wanted, named, unique, user_id, whole)
    if whole:
        changes = [(given, update_fields(data)) for given, data in changes]
    return _update_each(
        org, sobject, changes, wanted, _fetch_many(org, sobject, named), unique,
        lambda data, record_id, current: org._changed_row(sobject, current, data, check=True,
                                                          user_id=user_id),
        serial=_has_duplicate_rules(org, sobject))


def _not_fields(keys: tuple) -> frozenset[str]:
    """The keys of a Collections record that are not its fields: `attributes` and its Id,
    however cased."""
    return frozenset(k for k in keys if k == "attributes" or k.lower() == "id")


def update_fields(record: dict) -> dict:
    """The fields a Collections update record sets: not `attributes`, not its Id."""
    skipped = _not_fields(tuple(record))
    return {k: v for k, v in record.items() if k not in skipped}


def _update_each(org: Org, sobject: SObjectType, changes: list[tuple[str, dict]],
                 wanted: list[str | errors.SalesforceError], stored: dict[str, dict],
                 unique: list[str], changed_row: Callable[[dict, str, dict], tuple[dict, dict]],
                 *, serial: bool = False) -> list[Outcome]:
    """Make each update's (row, merged) with `changed_row(data, record_id, stored row)`, check
    its unique fields against the rows before it, and write them together (one by one when
    `serial`: duplicate rules see each)."""
    out: list[Outcome] = []
    pending: list[tuple[dict, dict | None, dict]] = []
    for (_, data), record_id in zip(changes, wanted, strict=True):
        try:
            if serial:
                _flush(org, sobject, pending, "update")
            current = _live(stored, record_id)
            row, merged = changed_row(data, record_id, current)
            if unique and any(merged.get(name) not in (None, "") for name in unique):
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


def plain(org: Org, sobject: SObjectType) -> bool:
    """Whether writes of this type meet only the checks every org makes: no change listener
    (CDC), no validation, duplicate or field-update rule, no read-only records, no formula or
    auto-number field. Then `_insert_plain` / `_update_plain` write a batch in one tight loop,
    and an update reads only the stored columns those checks use."""
    behaviours, name = org.behaviours, sobject.name
    return not (org._listeners or write_plan.computed(sobject) or any(
        rule.type == name for rule in (*org.rules.validations, *behaviours.field_updates,
                                       *behaviours.read_only_records,
                                       *behaviours.duplicate_rules)))


def _insert_plain(org: Org, sobject: SObjectType, records: list[dict], unique: list[str],
                  user_id: str | None) -> list[Outcome]:
    """`insert_many` for a plain type: `Org._new_row` (check=True) step for step, with each
    shape of record's columns, defaults and derived fields worked out once
    (`write_plan.Shape`); the other checks are no-ops for a plain type."""
    shapes: dict[tuple, write_plan.Shape] = {}
    actor = user_id or org.integration_user_id()
    status = sobject.fields.get("Status")
    owned = "OwnerId" in sobject.fields
    meta, prefix = org.meta, sobject.key_prefix  # Org.new_id's counter, under the org's lock

    def new_row(data: dict) -> dict:
        keys = tuple(data)
        shape = shapes.get(keys)
        if shape is None:
            shape = shapes[keys] = write_plan.Shape(org, sobject, keys, creating=True)
        row = shape.columns.prepare(data)
        for name in shape.required:
            if row.get(name) in (None, ""):
                org._required_missing(sobject, row)  # raises, naming every missing field
        row.update(shape.defaults)
        if status is not None and not row.get("Status"):
            row["Status"] = status.picklist[0]
        if shape.references:
            org._check_references(sobject, row)
        stamp = org.stamp()
        meta["counter"] += 1
        row["Id"] = ids.make_id(prefix, meta["pod"], meta["counter"])
        row["IsDeleted"] = 0
        row["CreatedDate"] = row["LastModifiedDate"] = row["SystemModstamp"] = stamp
        row.setdefault("CreatedById", actor)
        row.setdefault("LastModifiedById", actor)
        if owned:
            row.setdefault("OwnerId", actor)
        if shape.derived_name:
            row["Name"] = _full_name(row.get("FirstName"), row.get("LastName"))
        for name, parts in shape.built:
            row[name] = values.compound_address(parts, row) if parts else None
        return row

    return _insert_each(org, sobject, records, unique, new_row)


def _live(stored: dict[str, dict], record_id: str | errors.SalesforceError) -> dict:
    """The stored row of a record an update names, or Salesforce's error for it."""
    if isinstance(record_id, errors.SalesforceError):
        raise record_id
    current = stored.get(record_id)
    if current is None:
        raise errors.NotFound("The requested resource does not exist")
    if current["IsDeleted"]:
        raise errors.EntityIsDeleted("entity is deleted", [])
    return current


def _update_plain(org: Org, sobject: SObjectType, changes: list[tuple[str, dict]],
                  wanted: list[str | errors.SalesforceError], named: list[str],
                  unique: list[str], user_id: str | None, whole: bool) -> list[Outcome]:
    """`update_many` for a plain type: `Org._changed_row` (check=True) step for step. The
    records whose checks SQL can make (`_update_unread`) are written without being read;
    the rest are read (only the stored columns their checks use, as tuples) and checked here
    one by one, and written by rowid. The call's records share one stamp, as one
    transaction's do."""
    keys_of = list(map(tuple, map(itemgetter(1), changes)))  # each record's keys, in order
    shapes: dict[tuple, write_plan.Shape] = {}
    for keys in dict.fromkeys(keys_of):
        fields = tuple(k for k in keys if k not in _not_fields(keys)) if whole else keys
        shapes[keys] = write_plan.shape(org, sobject, fields, creating=False)
    system = (org.stamp(), user_id or org.integration_user_id())
    out: list[Outcome | None] = [None] * len(changes)
    left = range(len(changes))
    # Unread, the records are written before those read; that cannot change what a check of
    # another record reads when no record sets a unique field or (a User's) IsActive.
    if sobject.name != "User" and all(shape.names.isdisjoint(unique)
                                      for shape in shapes.values()):
        left = _update_unread(org, sobject, changes, keys_of, wanted, shapes, unique, system,
                              out)
    if left:
        _update_read(org, sobject, [changes[i] for i in left], [wanted[i] for i in left],
                     shapes, unique, system, out, list(left))
    return out  # every slot filled


def _unread_sql(sobject: SObjectType, shape: write_plan.Shape,
                unique: list[str]) -> tuple[str, str] | None:
    """`_make_unread_sql`, made once a shape (`unique` is the type's, as the shape's are)."""
    if shape.unread is None:
        shape.unread = (_make_unread_sql(sobject, shape, unique),)
    return shape.unread[0]


def _make_unread_sql(sobject: SObjectType, shape: write_plan.Shape,
                     unique: list[str]) -> tuple[str, str] | None:
    """The UPDATE that writes records of this shape (its values and the system fields, by a
    JSON list of Ids) where `_update_read` would find nothing wrong with the stored record
    and write just those, what it checks being in its WHERE; and the SELECT of the Ids that
    WHERE takes, which it still takes after the UPDATE (it reads no column the shape sets).
    None when the checks need the record read (lookups, addresses, a Name from names it
    sets)."""
    if shape.references or shape.addresses or shape.columns.error is not None \
            or (shape.derived_name and not shape.names.isdisjoint(("FirstName", "LastName"))):
        return None
    conditions = ['+"IsDeleted" = 0']  # unary +: the Id index, never IsDeleted's
    conditions += [f'"{name}" IS NOT NULL AND "{name}" != \'\'' for name in shape.required
                   if name not in shape.names]  # the shape's own are checked in Python
    if sobject.name == "Lead":
        conditions.append('"IsConverted" = 0')
    for name in unique:  # Org._check_unique finds no other live record with its value
        conditions.append(
            f'(coalesce("{name}", \'\') = \'\' OR NOT EXISTS (SELECT 1 FROM "{sobject.name}" AS '
            f'other WHERE other."{name}" = "{sobject.name}"."{name}" COLLATE NOCASE AND '
            f'other.IsDeleted = 0 AND other.Id IS NOT "{sobject.name}".Id))')
    if shape.derived_name:  # the stored Name is _full_name's of the stored names
        conditions.append(
            "\"Name\" IS CASE WHEN coalesce(\"FirstName\", '') != '' AND "
            "coalesce(\"LastName\", '') != '' THEN \"FirstName\" || ' ' || \"LastName\" "
            "WHEN coalesce(\"FirstName\", '') != '' THEN \"FirstName\" "
            "ELSE coalesce(\"LastName\", '') END")
    columns = dict.fromkeys(name for _, name, _ in shape.columns.steps)  # a prepared row's
    sets = ", ".join(f'"{name}" = ?' for name in (*columns, "LastModifiedDate",
                                                   "SystemModstamp", "LastModifiedById"))
    where = f'"Id" IN (SELECT value FROM json_each(?)) AND {" AND ".join(conditions)}'
    return (f'UPDATE "{sobject.name}" SET {sets} WHERE {where}',
            f'SELECT "Id" FROM "{sobject.name}" WHERE {where}')


def _update_unread(org: Org, sobject: SObjectType, changes: list[tuple[str, dict]],
                   keys_of: list[tuple], wanted: list[str | errors.SalesforceError],
                   shapes: dict[tuple, write_plan.Shape], unique: list[str],
                   system: tuple[str, str], out: list[Outcome | None]) -> list[int]:
    """Write the records that need nothing read: their values are good, their record is not
    locked, and SQL finds the stored record live and complete (`_unread_sql`), in one UPDATE
    per set of values. Fills `out` for them and for Ids that name no record of the type;
    answers the indexes of the rest, in order."""
    plans = {keys: (_unread_sql(sobject, shape, unique), shape.columns.prepare,
                    [name for name in shape.required if name in shape.names])
             for keys, shape in shapes.items()}
    left: list[int] = []
    writes = _uniform_writes(plans, shapes, changes, keys_of, wanted, org.rules.locks)
    if writes is None:
        writes = _unread_writes(plans, changes, keys_of, wanted, org.rules.locks, out, left)
    stamp, actor = system
    for (keys, *changed), indexes in writes.items():
        update, select = plans[keys][0]
        # A JSON list of the Ids, written as JSON writes letters and digits.
        named = '["' + '","'.join([wanted[i] for i in indexes]) + '"]'
        if org.db.conn.execute(update, [*changed, stamp, stamp, actor, named]).rowcount \
                == len(indexes):
            if len(indexes) == len(out):
                out[:] = wanted  # every record, as in _uniform_writes' group
                continue
            for i in indexes:
                out[i] = wanted[i]
            continue
        # Not every record: the same WHERE names those written (RETURNING would cost a
        # quarter of the UPDATE every time).
        done = {found for (found,) in org.db.conn.execute(select, [named])}
        for i in indexes:
            if wanted[i] in done:
                out[i] = wanted[i]
            else:
                left.append(i)
    left.sort()
    return left


def _unread_writes(plans: Plans, changes: list[tuple[str, dict]], keys_of: list[tuple],
                   wanted: list[str | errors.SalesforceError], locks: dict,
                   out: list[Outcome | None], left: list[int]) -> dict[tuple, list[int]]:
    """The records `_update_unread` can write, grouped by the values they set: {(shape's
    keys, values): indexes}. Fills `out` for Ids that name no record of the type and `left`
    with the records to read."""
    writes: dict[tuple, list[int]] = {}
    for i, ((_, data), record_id) in enumerate(zip(changes, wanted, strict=True)):
        if type(record_id) is not str:
            out[i] = record_id  # what _live raises first
            continue
        keys = keys_of[i]
        sql, prepare, required = plans[keys]
        if sql is None or record_id in locks:
            left.append(i)
            continue
        try:
            row = prepare(data)
        except errors.SalesforceError:
            left.append(i)  # read first: a missing or deleted record says so instead
            continue
        if required and any(row[name] in (None, "") for name in required):
            left.append(i)
            continue
        alike = writes.get(key := (keys, *row.values()))
        if alike is None:
            writes[key] = [i]
        else:
            alike.append(i)
    return writes


def _uniform_writes(plans: Plans, shapes: dict[tuple, write_plan.Shape],
                    changes: list[tuple[str, dict]], keys_of: list[tuple],
                    wanted: list[str | errors.SalesforceError],
                    locks: dict) -> dict[tuple, list[int]] | None:
    """`_unread_writes`' answer when it is one group of every record, worked out a column at a
    time (C-level passes, no Python loop a record): one shape the UPDATE can write, every Id
    good and unlocked, every field given the same value of the same type, which prepares and
    passes the required check once. None otherwise (then the loop decides record by record).
    A batch flipping one flag on 200 records is the usual call."""
    if len(plans) != 1 or set(map(type, wanted)) != {str} \
            or (locks and not locks.keys().isdisjoint(wanted)):
        return None
    keys = keys_of[0]
    sql, prepare, required = plans[keys]
    if sql is None:
        return None
    records = list(map(itemgetter(1), changes))
    for key, _, _ in shapes[keys].columns.steps:
        column = list(map(itemgetter(key), records))
        first = column[0]
        if type(first) not in EXACT_TYPES or column.count(first) != len(column) \
                or len(set(map(type, column))) != 1:
            return None
    try:
        row = prepare(records[0])
    except errors.SalesforceError:
        return None
    if required and any(row[name] in (None, "") for name in required):
        return None
    return {(keys, *row.values()): list(range(len(changes)))}


def _update_read(org: Org, sobject: SObjectType, changes: list[tuple[str, dict]],
                 wanted: list[str | errors.SalesforceError],
                 shapes: dict[tuple, write_plan.Shape], unique: list[str],
                 system: tuple[str, str], out: list[Outcome | None], slots: list[int]) -> None:
    """`Org._changed_row` for each record, reading only the stored columns its checks use, as
    tuples; a record's dicts are built only when a check needs the whole record (a unique
    field, an address, a required field left blank). Fills `out[slots[i]]`."""
    columns = {"Id", "IsDeleted", *unique}
    for keys in {tuple(data) for _, data in changes}:
        shape = shapes[keys]
        columns.update(shape.required)
        if shape.derived_name:
            columns.update(("Name", "FirstName", "LastName"))
        for name, parts in shape.addresses:
            columns.add(name)
            columns.update(part for _, part in parts)
    lead = sobject.name == "Lead"
    if lead:
        columns.add("IsConverted")
    names = ["rowid", *sorted(columns)]
    at = {name: i for i, name in enumerate(names)}
    stored = _fetch_rows(org, sobject, [w for w in wanted if type(w) is str], names)
    deleted, converted = at["IsDeleted"], at.get("IsConverted")
    first, last, full = at.get("FirstName"), at.get("LastName"), at.get("Name")
    required = {keys: [(name, at[name]) for name in shape.required]
                for keys, shape in shapes.items()}
    unique_at = [(name, at[name]) for name in unique]
    locks = org.rules.locks
    stamp, actor = system
    writes: dict[tuple, dict[tuple, list[int]]] = {}  # columns -> values -> rowids

    def whole_record(current: tuple, row: dict) -> dict:
        return {**dict(zip(names[1:], current[1:], strict=True)), **row}

    for slot, (_, data), record_id in zip(slots, changes, wanted, strict=True):
        try:
            if type(record_id) is not str:
                raise record_id
            current = stored.get(record_id)
            if current is None:
                raise errors.NotFound("The requested resource does not exist")
            if current[deleted]:
                raise errors.EntityIsDeleted("entity is deleted", [])
            keys = tuple(data)
            shape = shapes[keys]
            row = shape.columns.prepare(data)
            if record_id in locks:
                org.rules.check_lock(record_id)
            if lead and current[converted]:
                raise errors.CannotUpdateConvertedLead("cannot reference converted lead", [])
            if shape.references:
                org._check_references(sobject, row)
            for name, i in required[keys]:
                if (row[name] if name in row else current[i]) in (None, ""):
                    org._required_missing(sobject, whole_record(current, row))  # raises
            row["LastModifiedDate"] = row["SystemModstamp"] = stamp
            row["LastModifiedById"] = actor
            # Derived values are written when they change (the same stored row as writing
            # them always, and a batch flipping one flag then sets the same values on all).
            if shape.derived_name:
                name = _full_name(row["FirstName"] if "FirstName" in row else current[first],
                                  row["LastName"] if "LastName" in row else current[last])
                if name != current[full]:
                    row["Name"] = name
            if shape.addresses:
                merged = whole_record(current, row)
                for name, parts in shape.addresses:
                    merged[name] = values.compound_address(parts, merged)
                    if merged[name] != current[at[name]]:
                        row[name] = merged[name]
            if unique and any((row[name] if name in row else current[i]) not in (None, "")
                              for name, i in unique_at):
                _write_plain(org, sobject, writes)  # so the check sees them
                org._check_unique(sobject, whole_record(current, row), record_id)
        except errors.SalesforceError as exc:
            out[slot] = exc
            continue
        writes.setdefault(tuple(row), {}).setdefault(tuple(row.values()), []).append(current[0])
        out[slot] = record_id
    _write_plain(org, sobject, writes)


def _fetch_rows(org: Org, sobject: SObjectType, record_ids: list[str],
                columns: list[str]) -> dict[str, tuple]:
    """These columns of the stored rows with these 18-char Ids, by Id (`columns` name "Id")."""
    chosen = ", ".join(name if name == "rowid" else f'"{name}"' for name in columns)
    at = columns.index("Id")
    return {stored[at]: stored for cursor in _select_by_ids(org, sobject, record_ids, chosen)
            for stored in cursor}


def _write_plain(org: Org, sobject: SObjectType,
                 writes: dict[tuple, dict[tuple, list[int]]]) -> None:
    """UPDATE the pending rows of a plain type by rowid ({columns: {values: [rowids]}}); no
    listener is told (a plain type has none)."""
    for columns, rows in writes.items():
        _update_alike(org, sobject, columns, rows, "rowid")
    writes.clear()


def _fetch_many(org: Org, sobject: SObjectType, record_ids: list[str]) -> dict[str, dict]:
    """The stored rows with these 18-char Ids, by Id."""
    found: dict[str, dict] = {}
    for cursor in _select_by_ids(org, sobject, record_ids, "*"):
        names = [c[0] for c in cursor.description]
        for stored in cursor:
            row = dict(zip(names, stored, strict=True))
            found[row["Id"]] = row
    return found


def _select_by_ids(org: Org, sobject: SObjectType, record_ids: list[str],
                   chosen: str) -> Iterator[sqlite3.Cursor]:
    """`SELECT chosen ... WHERE Id IN (...)`, a cursor per SQL_VARIABLES Ids."""
    for start in range(0, len(record_ids), SQL_VARIABLES):
        chunk = record_ids[start:start + SQL_VARIABLES]
        yield org.db.conn.execute(f'SELECT {chosen} FROM "{sobject.name}" WHERE "Id" IN '
                                  f'({", ".join("?" * len(chunk))})', chunk)


def _full_name(first: str | None, last: str | None) -> str:
    """`Org._derive`'s Name: the non-blank of FirstName and LastName, space-separated."""
    if first and last:
        return f"{first} {last}"
    return first or last or ""


def _update_rows(org: Org, sobject: SObjectType, keys: tuple, rows: list[tuple]) -> None:
    """UPDATE rows of these keys, the Id last."""
    alike: dict[tuple, list[str]] = {}
    for row in rows:
        alike.setdefault(row[:-1], []).append(row[-1])
    _update_alike(org, sobject, keys[:-1], alike, '"Id"')


def _update_alike(org: Org, sobject: SObjectType, columns: tuple,
                  groups: dict[tuple, list], key: str) -> None:
    """UPDATE `columns` of rows grouped by the values they set ({values: [keys]}, each key a
    `key` column's value): the rows that set the same values (a flag flipped on 200 records,
    the same stamp) in one statement over their keys, which costs SQLite half of one
    statement a row; the rest with one executemany. The keys are distinct, so the order of
    the writes does not matter."""
    sets = ", ".join(f'"{k}" = ?' for k in columns)
    single = []
    for changes, keys in groups.items():
        if len(keys) == 1:
            single.append((*changes, keys[0]))
        else:
            org.db.conn.execute(f'UPDATE "{sobject.name}" SET {sets} WHERE {key} IN '
                                "(SELECT value FROM json_each(?))", [*changes, json.dumps(keys)])
    if single:
        org.db.conn.executemany(f'UPDATE "{sobject.name}" SET {sets} WHERE {key} = ?', single)


def _flush(org: Org, sobject: SObjectType, pending: list[tuple[dict, dict | None, dict]],
           action: str) -> None:
    """Write the pending rows in order, an executemany per run of the same fields; then tell
    the org's listeners, as each single write does."""
    start = 0
    while start < len(pending):
        keys = tuple(pending[start][0])  # in order: the rows' values are the parameters
        end = start + 1
        while end < len(pending) and tuple(pending[end][0]) == keys:
            end += 1
        rows = [tuple(row.values()) for row, _, _ in pending[start:end]]
        if action == "insert":
            names = ", ".join(f'"{k}"' for k in keys)
            org.db.conn.executemany(f'INSERT INTO "{sobject.name}" ({names}) VALUES '
                                    f'({", ".join("?" * len(keys))})', rows)
        else:
            _update_rows(org, sobject, keys, rows)
        start = end
    if org._listeners:
        for row, before, after in pending:
            org._notify(sobject.name, row["Id"], action, before, after)
    pending.clear()
