"""Query column metadata: what `/query?q=...&columns=true` answers, built without running it.

The sf CLI's `data query` and the Developer Console's Query Editor ask for it before the
records. Shape per the CLI's recorded fixtures (plugin-data `queryFields.exemplars`): one
column per selected field, a parent relationship as one column named for the relationship
with `foreignKeyName` set and its fields in `joinColumns`, and aggregates as `expr0`... with
`aggregate: true` and the function as written in `displayName`.
"""

from __future__ import annotations

from ..models.org import Org
from ..models.schema import TEXT_TYPES, Field, SObjectType
from .compiler import compile_query
from .names import parent_type
from .parser import Aliased, Call, Fields, Path, SubQuery, TypeOf, parse

APEX_TYPES = {"id": "Id", "reference": "Id", "boolean": "Boolean", "date": "Date",
              "datetime": "Datetime", "int": "Integer", "double": "Double"}
NUMBER_TYPES = ("int", "double")


def _column(name: str, display: str, **overrides: object) -> dict:
    column = {
        "aggregate": False, "apexType": None, "booleanType": False, "columnName": name,
        "custom": False, "displayName": display, "foreignKeyName": None, "insertable": False,
        "joinColumns": [], "numberType": False, "textType": False, "updatable": False,
    }
    column.update(overrides)
    return column


def _field_column(org: Org, sobject: SObjectType, f: Field) -> dict:
    security = org.field_security
    editable = security.editable(sobject, f)
    return _column(
        f.name, f.name, apexType=APEX_TYPES.get(f.type, "String"),
        booleanType=f.type == "boolean", custom=f.custom,
        insertable=f.createable and editable, numberType=f.type in NUMBER_TYPES,
        textType=f.type in TEXT_TYPES and f.type not in ("id", "reference"),
        updatable=f.updateable and editable,
    )


def column_metadata(soql: str, org: Org) -> dict:
    """The columns of `soql` as Salesforce describes them; the query's own errors otherwise."""
    query = parse(soql)
    # Compiling checks every type, field and relationship with the query's own error wording.
    compile_query(query, org, include_deleted=False, now=org.now())
    root = next(t for t in org.types.values() if t.name.lower() == query.sobject.lower())
    qualifiers = {root.name.lower(), (query.alias or "").lower()}
    columns: list[dict] = []
    aggregates = 0
    id_selected = False
    for item in query.select:
        if isinstance(item, Call) and item.name != "TOLABEL":
            if item.name == "COUNT" and item.arg is None:
                continue  # COUNT() answers a number, not columns
            name = item.alias or f"expr{aggregates}"
            aggregates += 1
            path = item.field_path
            # Recorded answers spell the function in lower case: `count(Email)`.
            display = item.alias or f"{item.name.lower()}({'.'.join(path.parts) if path else ''})"
            columns.append(_column(name, display, aggregate=True,
                                   numberType=item.name in ("COUNT", "COUNT_DISTINCT", "SUM",
                                                            "AVG")))
            continue
        if isinstance(item, Fields):
            for f in root.fields.values():
                if item.group == "ALL" or (item.group == "CUSTOM") == f.custom:
                    columns.append(_field_column(org, root, f))
            id_selected = id_selected or item.group != "CUSTOM"
            continue
        if isinstance(item, SubQuery | TypeOf):
            name = item.query.sobject if isinstance(item, SubQuery) else item.path.parts[-1]
            columns.append(_column(name, name))
            continue
        path = item.field_path if isinstance(item, Call) else (
            item.path if isinstance(item, Aliased) else item)
        parts = _unqualified(path, root, qualifiers)
        sobject, siblings = root, columns
        for part in parts[:-1]:
            ref = sobject.relationship(part)
            parent = next((c for c in siblings if c["foreignKeyName"] == ref.name), None)
            if parent is None:
                parent = _column(ref.relationship_name, ref.relationship_name,
                                 foreignKeyName=ref.name)
                siblings.append(parent)
            sobject, siblings = parent_type(org.types, ref), parent["joinColumns"]
        f = sobject.field(parts[-1])
        siblings.append(_field_column(org, sobject, f))
        id_selected = id_selected or (sobject is root and f.name == "Id")
    aggregate = aggregates > 0
    return {
        "columnMetadata": columns,
        # An aggregate query answers AggregateResult rows, which have no key prefix.
        "entityName": "AggregateResult" if aggregate else root.name,
        "groupBy": bool(query.group_by),
        "idSelected": id_selected,
        "keyPrefix": None if aggregate else root.key_prefix,
    }


def _unqualified(path: Path, root: SObjectType, qualifiers: set[str]) -> list[str]:
    """The path without a leading `Contact.` or alias, as the compiler reads it."""
    parts = list(path.parts)
    if len(parts) > 1 and parts[0].lower() in qualifiers and not root.relationship(parts[0]):
        parts = parts[1:]
    return parts
