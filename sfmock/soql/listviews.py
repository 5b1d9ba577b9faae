"""List views: each object's standard views (All, My, New This Week, Recently Viewed), their
describe, and their results, run as SOQL.

Shapes follow a recorded org's answers (list views and results of Account, API 43.0, kept as
test data in a public Salesforce list-view client): the results' `id` is the 15-character
Id, and a datetime cell reads as Java's `Date.toString()`, `Thu Jun 21 17:39:11 GMT 2018`,
not as ISO 8601.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from .. import errors, ids
from ..models.org import Org
from ..models.schema import Field, SObjectType
from ..models.values import parse_datetime
from .engine import QueryEngine

HIDDEN = ("Id", "CreatedDate", "LastModifiedDate", "SystemModstamp", "OwnerId")
SORT_LABELS = {"phone": ("9-0", "0-9"), "int": ("9-0", "0-9"), "double": ("9-0", "0-9"),
               "currency": ("9-0", "0-9"), "percent": ("9-0", "0-9"),
               "picklist": ("Low to High", "High to Low"), "date": ("New to Old", "Old to New"),
               "datetime": ("New to Old", "Old to New"), "boolean": ("False First", "True First")}


@dataclass(frozen=True)
class ListView:
    id: str
    developer_name: str
    label: str
    sobject: SObjectType
    where: str
    order: str
    scope: str


def _name(sobject: SObjectType) -> Field | None:
    return next((f for f in sobject.fields.values() if f.name_field), sobject.fields.get("Name"))


def views(org: Org, sobject: SObjectType) -> list[ListView]:
    """The object's standard list views, in the order the API lists them."""
    plural = sobject.label_plural
    name = _name(sobject)
    order = f"{name.name} ASC NULLS FIRST, Id ASC" if name else "Id ASC"
    wanted = [("All" + plural.replace(" ", ""), f"All {plural}", "", order, "everything")]
    if "OwnerId" in sobject.fields:
        user = org.integration_user_id() or ""
        wanted.append(("My" + plural.replace(" ", ""), f"My {plural}",
                       f"OwnerId = '{user}'", order, "mine"))
    wanted.append(("NewThisWeek", "New This Week", "CreatedDate = THIS_WEEK", order,
                   "everything"))
    if "LastViewedDate" in sobject.fields:
        wanted.append(("RecentlyViewed" + plural.replace(" ", ""), f"Recently Viewed {plural}",
                       "LastViewedDate != NULL", "LastViewedDate DESC NULLS LAST, Id ASC",
                       "everything"))
    out = []
    for developer, label, where, sort, scope in wanted:
        number = zlib.crc32(f"{sobject.name}.{developer}".encode()) % (62 ** 6)
        out.append(ListView(ids.make_id("00B", org.meta["pod"], number), developer, label,
                            sobject, where, sort, scope))
    return out


def find(org: Org, sobject: SObjectType, view_id: str) -> ListView:
    canonical = ids.normalise(view_id) or view_id
    for view in views(org, sobject):
        if view.id == canonical:
            return view
    raise errors.NotFound("The requested resource does not exist")


def listing(org: Org, sobject: SObjectType, version: str) -> dict:
    """`sobjects/{type}/listviews`."""
    base = f"/services/data/v{version}/sobjects/{sobject.name}/listviews"
    found = [{"describeUrl": f"{base}/{v.id}/describe", "developerName": v.developer_name,
              "id": v.id, "label": v.label, "resultsUrl": f"{base}/{v.id}/results",
              "soqlCompatible": True, "url": f"{base}/{v.id}"} for v in views(org, sobject)]
    return {"done": True, "listviews": found, "nextRecordsUrl": None, "size": len(found),
            "sobjectType": sobject.name}


def _columns(org: Org, view: ListView) -> list[tuple[str, Field, bool]]:
    """(fieldNameOrPath, field, hidden) of each column."""
    sobject = view.sobject
    shown: list[tuple[str, Field, bool]] = []
    name = _name(sobject)
    if name:
        shown.append((name.name, name, False))
    owner = sobject.fields.get("OwnerId")
    user = org.types.get("User")
    if owner is not None and user is not None:
        shown.append(("Owner.Alias", user.fields["Alias"], False))
    for field_name in HIDDEN:
        f = sobject.fields.get(field_name)
        if f is not None:
            shown.append((field_name, f, True))
    return shown


def _column(sobject: SObjectType, path: str, f: Field, hidden: bool) -> dict:
    label = f"{sobject.label} Owner Alias" if path == "Owner.Alias" else f.label
    ascending, descending = (None, None) if hidden else SORT_LABELS.get(f.type, ("Z-A", "A-Z"))
    first = not hidden and f.name_field
    return {"ascendingLabel": ascending, "descendingLabel": descending, "fieldNameOrPath": path,
            "hidden": hidden, "label": label,
            "selectListItem": f"toLabel({path})" if f.type == "picklist" else path,
            "sortDirection": "ascending" if first else None, "sortIndex": 0 if first else None,
            "sortable": not hidden, "type": f.type}


def _soql(org: Org, view: ListView) -> str:
    fields = ", ".join(path for path, _, _ in _columns(org, view))
    where = f" WHERE {view.where}" if view.where else ""
    return f"SELECT {fields} FROM {view.sobject.name}{where} ORDER BY {view.order}"


def describe(org: Org, view: ListView) -> dict:
    """`listviews/{id}/describe`: its columns, query, order and scope."""
    name = _name(view.sobject)
    return {
        "columns": [_column(view.sobject, p, f, h) for p, f, h in _columns(org, view)],
        "id": view.id[:15],
        "orderBy": [{"fieldNameOrPath": name.name if name else "Id", "nullsPosition": "first",
                     "sortDirection": "ascending"}],
        "query": _soql(org, view), "relatedEntityId": None, "scope": view.scope,
        "scopeEntityId": None, "sobjectType": view.sobject.name,
        "whereCondition": {"conditions": [], "conjunction": "and"},
    }


def _cell(f: Field, value: object) -> object:
    if f.type == "datetime" and isinstance(value, str):
        moment = parse_datetime(value)
        return moment.strftime("%a %b %d %H:%M:%S GMT %Y") if moment else value
    return value


def results(org: Org, view: ListView, version: str, limit: int = 25, offset: int = 0) -> dict:
    """`listviews/{id}/results`: the view's records, `limit` (1-2000) from `offset`."""
    if not 1 <= limit <= 2000 or offset < 0:
        raise errors.MalformedQuery("limit must be between 1 and 2000, and offset 0 or more")
    columns = _columns(org, view)
    engine = QueryEngine.for_org(org)
    answer = engine.query(f"{_soql(org, view)} LIMIT {limit} OFFSET {offset}",
                          include_deleted=False, version=version)
    records = []
    for record in answer["records"]:
        cells = []
        for path, f, _ in columns:
            value = record
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            cells.append({"fieldNameOrPath": path, "value": _cell(f, value)})
        records.append({"columns": cells})
    return {"columns": [_column(view.sobject, p, f, h) for p, f, h in columns],
            "developerName": view.developer_name, "done": True, "id": view.id[:15],
            "label": view.label, "records": records, "size": len(records)}
