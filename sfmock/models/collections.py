"""sObject Collections: create, update, upsert, delete and retrieve up to 200 records a call,
in one transaction with a savepoint per record (docs/emulator.md)."""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter

from .. import errors, ids
from . import batch
from .org import Org
from .schema import SObjectType

MAX_RECORDS = 200
MAX_RETRIEVE = 2000
MAX_CHUNKS = 10
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was "
               "using AllOrNone header",
    "fields": [],
}

RecordHook = Callable[[str | None], None]  # called per record; raises to fail that record
Attempt = Callable[[int], dict]


class _NoErrors(list):
    """The `errors` of every successful result: one empty list that cannot be filled, not a
    new list a record (200 of them a call were a third of a Collections update's work for
    the garbage collector: benchmarks/README.md, "Session 4")."""

    __slots__ = ()

    def _refuse(self, *args, **kwargs):
        raise TypeError("a successful result's errors stay empty")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse


NO_ERRORS = _NoErrors()


def create(org: Org, body: object, *, user_id: str, all_or_none: bool | None = None,
           on_record: RecordHook | None = None) -> list[dict]:
    """POST /composite/sobjects: insert each record; `{id, success, errors}` per record."""
    records, flag = _parse(body)
    types = _types(org, records)

    def attempt(i: int) -> dict:
        data = _fields(records[i])
        if any(k.lower() == "id" for k in data):
            raise errors.InvalidFieldForInsertUpdate("cannot specify Id in an insert call",
                                                     ["Id"])
        _hook(on_record, None)
        return {"id": org.insert(types[i].name, data, user_id=user_id), "success": True,
                "errors": NO_ERRORS}

    return _run(org, len(records), attempt, _flag(all_or_none, flag), lambda i: None)


def update(org: Org, body: object, *, user_id: str, all_or_none: bool | None = None,
           on_record: RecordHook | None = None) -> list[dict]:
    """PATCH /composite/sobjects: update each record by its `id`."""
    records, flag = _parse(body)
    types = _types(org, records)
    given = [_record_id(r) for r in records]

    def attempt(i: int) -> dict:
        if not given[i]:
            raise errors.MissingArgument("Id not specified in an update call", [])
        data = batch.update_fields(records[i])
        _hook(on_record, ids.normalise(given[i]))
        record_id = org.update(types[i].name, given[i], data, user_id=user_id)
        return {"id": record_id, "success": True, "errors": NO_ERRORS}

    def together() -> list[dict] | None:
        return _update_together(org, records, types, given, user_id, on_record)

    return _run(org, len(records), attempt, _flag(all_or_none, flag), lambda i: given[i],
                together)


def _update_together(org: Org, records: list[dict], types: list[SObjectType],
                     given: list[str | None], user_id: str,
                     on_record: RecordHook | None) -> list[dict] | None:
    """The update's records written a run of one type at a time (sfmock/models/batch.py), with
    the same checks and outcomes as one by one; None when a record is named twice."""
    canonical = ids.normalise_many(given)  # once a record (a missing Id: None)
    named = canonical if None not in canonical else \
        [c or g for c, g in zip(canonical, given, strict=True) if g]
    if len(set(named)) != len(named):
        return None  # the second update of a record sees the first: one by one
    results: list[dict | None] = []
    start = 0
    while start < len(records):
        end = start
        if start == 0 and len(set(map(id, types))) == 1:
            end = len(records)  # the usual call: one type
        while end < len(records) and types[end] is types[start]:
            end += 1
        if on_record is None and all(given[start:end]):  # the usual run: nothing to refuse
            slots: range | list[int] = range(start, end)
            work = list(zip(given[start:end], records[start:end], strict=True))
            resolved = canonical[start:end]
            results.extend([None] * (end - start))
        else:
            slots, work, resolved = _hooked(records, given, canonical, start, end, on_record,
                                            results)
        # batch leaves out each record's attributes and Id
        outcomes = batch.update_many(org, types[start], work, user_id=user_id,
                                     canonical=resolved, whole=True)
        assert outcomes is not None, "no record is named twice"
        if type(slots) is range and set(map(type, outcomes)) == {str}:  # all written
            results[start:end] = [{"id": outcome, "success": True, "errors": NO_ERRORS}
                                  for outcome in outcomes]
            start = end
            continue
        for i, outcome in zip(slots, outcomes, strict=True):
            results[i] = _failure(given[i], outcome.collection_error()) \
                if isinstance(outcome, errors.SalesforceError) else \
                {"id": outcome, "success": True, "errors": NO_ERRORS}
        start = end
    return results


def _hooked(records: list[dict], given: list[str | None], canonical: list[str | None],
            start: int, end: int, on_record: RecordHook | None,
            results: list[dict | None]) -> tuple[list[int], list, list[str | None]]:
    """A run's records that name an Id and pass the fault hook: their indexes, (Id, record)
    and canonical Ids; the failures go into `results`, the rest hold a None to fill."""
    slots, work, resolved = [], [], []
    for i in range(start, end):
        try:
            if not given[i]:
                raise errors.MissingArgument("Id not specified in an update call", [])
            if on_record is not None:
                on_record(canonical[i])
        except errors.SalesforceError as exc:
            results.append(_failure(given[i], exc.collection_error()))
            continue
        results.append(None)
        slots.append(i)
        work.append((given[i], records[i]))
        resolved.append(canonical[i])
    return slots, work, resolved


def upsert(org: Org, type_name: str, field_name: str, body: object, *, user_id: str,
           all_or_none: bool | None = None, on_record: RecordHook | None = None) -> list[dict]:
    """PATCH /composite/sobjects/<type>/<external ID field>: update or create each record."""
    records, flag = _parse(body)
    sobject = org.sobject(type_name)
    for i, sobject_i in enumerate(_types(org, records)):
        if sobject_i.name != sobject.name:
            raise errors.InvalidType(
                f"Record {i} is a {sobject_i.name} but this upsert is for {sobject.name}: "
                f"send each type to its own /composite/sobjects/<type>/{field_name}")
    ext = sobject.field(field_name)
    if ext is None or not ext.id_lookup:
        raise errors.NotFound(
            f"Provided external ID field does not exist or is not accessible: {field_name}")
    values = [_value(r, ext.name) for r in records]
    seen: dict[str, int] = {}
    for value in values:
        if value not in (None, ""):
            seen[str(value).lower()] = seen.get(str(value).lower(), 0) + 1

    def attempt(i: int) -> dict:
        value = values[i]
        data = {k: v for k, v in _fields(records[i]).items() if k.lower() != ext.name.lower()}
        if value in (None, "") and ext.type != "id":
            raise errors.MissingArgument(f"{ext.name} not specified", [ext.name])
        if value not in (None, "") and seen[str(value).lower()] > 1:
            raise errors.DuplicateExternalId(f"Duplicate external id specified: {value}", [ext.name])
        _hook(on_record, ids.normalise(str(value)) if ext.type == "id" else None)
        if value in (None, ""):
            created = {"id": org.insert(sobject.name, data, user_id=user_id), "created": True}
        else:
            created = org.upsert(sobject.name, ext.name, str(value), data, user_id=user_id)
        if created.get("matches"):
            found = ", ".join(row["Id"] for row in created["matches"])
            raise errors.DuplicateExternalId(
                f"{ext.name}: more than one record found for external id field: [{found}]",
                [ext.name])
        return {"id": created["id"], "success": True, "errors": NO_ERRORS,
                "created": created["created"]}

    results = _run(org, len(records), attempt, _flag(all_or_none, flag), lambda i: None)
    for item in results:
        item.setdefault("created", False)
    return results


def delete(org: Org, record_ids: list[str], *, all_or_none: bool,
           on_record: RecordHook | None = None) -> list[dict]:
    """DELETE /composite/sobjects?ids=...: move each record to the recycle bin."""
    if not record_ids:
        # Worded as a real org answers it (restforce's recorded
        # composite_sobjects_destroy_bad_request_response.json), with no `fields` key.
        raise errors.RequiredFieldMissing("At least 1 Id is required.")
    if len(record_ids) > MAX_RECORDS:
        raise _too_many()

    def attempt(i: int) -> dict:
        given = record_ids[i]
        sobject = org.type_for_id(given) if ids.looks_like_id(given) else None
        if sobject is None or ids.normalise(given) is None:
            raise errors.MalformedId(f"malformed id {given}", [])
        _hook(on_record, ids.normalise(given))
        return {"id": org.delete(sobject.name, given), "success": True, "errors": NO_ERRORS}

    return _run(org, len(record_ids), attempt, all_or_none, lambda i: record_ids[i])


def retrieve(org: Org, type_name: str, record_ids: list[str], fields: list[str],
             version: str) -> list[dict | None]:
    """GET (or POST) /composite/sobjects/<type>: the records, or null where one is missing."""
    sobject = org.sobject(type_name)
    if not record_ids:
        raise errors.MissingArgument("ids: give the record IDs to retrieve, separated by commas")
    if not fields:
        raise errors.MissingArgument("fields: name the fields to retrieve, separated by commas")
    if len(record_ids) > MAX_RETRIEVE:
        raise errors.ExceededIdLimit(
            f"record limit reached. cannot submit more than {MAX_RETRIEVE} records into this "
            "call")
    names = check_fields(org, sobject, fields)
    found: list[dict | None] = []
    for given in record_ids:
        try:
            found.append(org.to_api(sobject, org.get(sobject.name, given), version, names))
        except errors.NotFound:
            found.append(None)
    return found


def check_fields(org: Org, sobject: SObjectType, names: list[str]) -> list[str]:
    """The API names of `names`, or INVALID_FIELD for one that is unknown or hidden by FLS."""
    out = []
    for name in names:
        f = sobject.field(name)
        if f is None or not org.field_security.readable(sobject, f):
            raise errors.InvalidField(
                f"No such column '{name}' on entity '{sobject.name}'. If you are attempting to "
                "use a custom field, be sure to append the '__c' after the custom field name. "
                "Please reference your WSDL or the describe call for the appropriate names.")
        out.append(f.name)
    return out


# -- the shared machinery -------------------------------------------------------------


def _run(org: Org, count: int, attempt: Attempt, all_or_none: bool,
         id_of: Callable[[int], str | None],
         together: Callable[[], list[dict] | None] | None = None) -> list[dict]:
    """Attempt each record in one transaction; roll it all back when all-or-none failed.
    `together`, when given, writes them all at once instead (or answers None to decline)."""

    def attempt_each() -> list[dict]:
        done = together() if together is not None else None
        if done is not None:
            return done
        results: list[dict] = []
        for i in range(count):
            try:
                with org.db.atomic():  # a failed record leaves nothing behind
                    results.append(attempt(i))
            except errors.SalesforceError as exc:
                results.append(_failure(id_of(i), exc.collection_error()))
        return results

    results, kept = org.transaction(
        attempt_each, keep=lambda done: not all_or_none or all(r["success"] for r in done))
    if kept:
        return results
    return [r if not r["success"] else _failure(id_of(i), dict(ROLLED_BACK))
            for i, r in enumerate(results)]


def _failure(record_id: str | None, error: dict) -> dict:
    item: dict = {"id": record_id} if record_id else {}
    return {**item, "success": False, "errors": [error]}


def _parse(body: object) -> tuple[list[dict], bool]:
    if not isinstance(body, dict):
        raise errors.JsonParserError(
            'The request body is not a JSON object: send {"allOrNone": false, "records": [...]}')
    records = body.get("records")
    if not isinstance(records, list) or not records:
        raise errors.JsonParserError(
            'The request has no records: send {"allOrNone": false, "records": [...]}')
    if len(records) > MAX_RECORDS:
        raise _too_many()
    flag = body.get("allOrNone", False)
    if not isinstance(flag, bool):
        raise errors.JsonParserError("allOrNone must be true or false")
    return records, flag


def _types(org: Org, records: list) -> list[SObjectType]:
    """The type of each record from its `attributes.type`, checked before anything is written."""
    try:  # the usual call: every record of one type, read a column at a time
        names = set(map(itemgetter("type"), map(itemgetter("attributes"), records)))
    except (KeyError, TypeError):  # not a dict or no type somewhere: the loop says where
        names = set()
    if len(names) == 1 and isinstance(name := names.pop(), str) and name:
        return [_sobject(org, name)] * len(records)
    types = []
    known: dict[str, SObjectType] = {}  # a call's records are mostly of one type
    for i, record in enumerate(records):
        attributes = record.get("attributes") if isinstance(record, dict) else None
        name = attributes.get("type") if isinstance(attributes, dict) else None
        if not isinstance(name, str) or not name:
            raise errors.JsonParserError(
                f'Record {i} has no attributes.type: give each record '
                f'"attributes": {{"type": "Contact"}} (or its own sObject type)')
        if name in known:
            types.append(known[name])
            continue
        types.append(known.setdefault(name, _sobject(org, name)))
    chunks = 1 + sum(1 for a, b in zip(types, types[1:], strict=False) if a is not b)
    if chunks > MAX_CHUNKS:
        raise errors.ExceededMaxTypesLimit(
            "Cannot have more than 10 chunks in a single operation. Please rearrange the data "
            "to reduce chunking.")
    return types


def _sobject(org: Org, name: str) -> SObjectType:
    try:
        return org.sobject(name)
    except errors.NotFound:
        raise errors.InvalidType(
            f"sObject type '{name}' is not supported. If you are attempting to use a "
            "custom object, be sure to append the '__c' after the entity name. Please "
            "reference your WSDL or the describe call for the appropriate names.") from None


def _fields(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "attributes"}


def _record_id(record: dict) -> str | None:
    for key, value in record.items():
        if key.lower() == "id" and isinstance(value, str) and value:
            return value
    return None


def _value(record: dict, field_name: str) -> object:
    for key, value in record.items():
        if key.lower() == field_name.lower():
            return value
    return None


def _flag(forced: bool | None, requested: bool) -> bool:
    """A Composite call's allOrNone=true overrides the subrequest's own flag."""
    return True if forced else requested


def _hook(on_record: RecordHook | None, record_id: str | None) -> None:
    if on_record is not None:
        on_record(record_id)


def _too_many() -> errors.SalesforceError:
    return errors.ExceededIdLimit(
        f"record limit reached. cannot submit more than {MAX_RECORDS} records into this call")
