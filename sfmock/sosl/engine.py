"""Running SOSL against an org: which fields each search group covers, limits, the REST shape.

Each RETURNING target is compiled by the SOQL compiler (its field list, WHERE and ORDER BY),
so field checks, filters and sort order behave exactly as in SOQL; the search terms then keep
the rows whose searched fields match, in the compiled order, before OFFSET and LIMIT apply.
Salesforce orders unsorted results by relevance; sfmock's order without ORDER BY is the order
records were created in, which is stable and which tests can rely on.
"""

from __future__ import annotations

import json
from dataclasses import replace

from ..models.org import Org
from ..models.schema import Field, SObjectType
from ..soql.compiler import compile_query
from ..soql.parser import Path, Query
from ..soql.parser import parse as parse_soql
from . import terms
from .parser import Search, Target, parse

TEXT_TYPES = ("string", "email", "phone", "textarea", "url")
# Besides Name, IN NAME FIELDS searches these (SOSL reference, "IN SearchGroup"); Contact's
# AccountName is its Account's Name.
NAME_EXTRAS = {"Account": ("Website",), "Lead": ("Company",), "Contact": ("Account.Name",)}
SEARCH_RECORDS_SINCE = 37.0  # Summer '16 wrapped the list in {"searchRecords": [...]}


def search(org: Org, sosl: str, *, version: str) -> list[dict]:
    """The records `sosl` finds, in RETURNING order, shaped as the REST API returns them."""
    parsed = parse(sosl)
    if len(parsed.search_text) > terms.MAX_LENGTH:
        return []
    targets = parsed.targets or tuple(
        Target(t.name, 0, ()) for t in org.types.values() if t.summary(version)["searchable"])
    plans = [compile_query(_query(parsed, target), org, include_deleted=False, now=org.now())
             for target in targets]
    conn = org.db.conn
    with org.lock:
        found: list[list[int]] = []
        for target, plan in zip(targets, plans, strict=True):
            hits = _matching_rowids(org, plan.sobject, parsed)
            ordered = [r for (r,) in conn.execute(plan.sql, plan.params) if r in hits] if hits else []
            ordered = ordered[target.offset or 0:]
            found.append(ordered if target.limit is None else ordered[:target.limit])
        shares = share([len(rows) for rows in found], parsed.limit)
        records: list[dict] = []
        for plan, rows, count in zip(plans, found, shares, strict=True):
            if count:
                page = conn.execute(plan.page_sql, [json.dumps(rows[:count])]).fetchall()
                records.extend(plan.shape.build(row, version) for row in page)
    return records


def response(records: list[dict], version: str) -> dict | list:
    """The Search resource's body: a bare list before API 37.0, `{"searchRecords"}` since."""
    if float(version) < SEARCH_RECORDS_SINCE:
        return records
    return {"searchRecords": records}


def share(demands: list[int], total: int) -> list[int]:
    """Split an overall LIMIT evenly among objects (SOSL reference, "LIMIT n"): with LIMIT 20,
    19 Accounts and 35 Contacts give 10 of each; what one object cannot use goes to the rest."""
    given = [0] * len(demands)
    active = [i for i, d in enumerate(demands) if d > 0]
    remaining = total
    while remaining > 0 and active:
        each = max(remaining // len(active), 1)
        for i in list(active):
            take = min(each, demands[i] - given[i], remaining)
            given[i] += take
            remaining -= take
            if given[i] == demands[i]:
                active.remove(i)
            if remaining == 0:
                break
    return given


def _query(parsed: Search, target: Target) -> Query:
    """The SOQL query of one RETURNING target, without its window (applied after matching)."""
    # Start from a parsed query so any clause SOQL adds later keeps its default.
    plain = parse_soql(f"SELECT Id FROM {target.sobject}")
    return replace(plain, text=parsed.text, select=target.fields or (Path(("Id",), target.pos),),
                   sobject_pos=target.pos, where=target.where, order_by=target.order_by)


def searched_fields(org: Org, sobject: SObjectType, group: str) -> list[tuple[str, Field]]:
    """(path, field) pairs a search group covers on `sobject`; paths may name a parent's field."""
    security = org.field_security
    own = [f for f in sobject.fields.values()
           if f.type in TEXT_TYPES and security.readable(sobject, f)]
    if group == "EMAIL":
        return [(f.name, f) for f in own if f.type == "email"]
    if group == "PHONE":
        return [(f.name, f) for f in own if f.type == "phone"]
    extras = NAME_EXTRAS.get(sobject.name, ())
    # SIDEBAR FIELDS searches what the sidebar's search does: the name fields.
    names = [f for f in own if f.name_field or f.name in ("FirstName", "LastName") or f.name in extras]
    chosen = own if group == "ALL" else names
    pairs = [(f.name, f) for f in chosen]
    for extra in extras:
        if "." not in extra:
            continue
        relationship, name = extra.split(".")
        ref = sobject.relationship(relationship)
        parent = org.types.get(ref.reference_to[0]) if ref else None
        f = parent.field(name) if parent else None
        if f is not None and security.readable(sobject, ref) and security.readable(parent, f):
            pairs.append((extra, f))
    return pairs


def _matching_rowids(org: Org, sobject: SObjectType, parsed: Search) -> set[int]:
    """Rowids of live records whose searched fields match the search terms."""
    pairs = searched_fields(org, sobject, parsed.group)
    if not pairs:
        return set()
    columns, joins = [], []
    for path, f in pairs:
        if "." in path:
            ref = sobject.relationship(path.split(".")[0])
            alias = f"p{len(joins)}"
            joins.append(f'LEFT JOIN "{ref.reference_to[0]}" AS {alias} '
                         f'ON {alias}."Id" = t0."{ref.name}"')
            columns.append(f'{alias}."{f.name}"')
        else:
            columns.append(f't0."{f.name}"')
    phones = [f.type == "phone" for _, f in pairs]
    sql = (f'SELECT t0.rowid, {", ".join(columns)} FROM "{sobject.name}" AS t0 '
           f'{" ".join(joins)} WHERE t0."IsDeleted" = 0')
    hits = set()
    for rowid, *cells in org.db.conn.execute(sql):
        fields = [(terms.tokens(value), terms.digits(value) if phone else "")
                  for value, phone in zip(cells, phones, strict=True) if value]
        if fields and terms.matches(parsed.terms, fields):
            hits.add(rowid)
    return hits
