"""The Name object: what a polymorphic relationship (Task.Who, Task.What, a custom object's
Owner) reaches without TYPEOF.

The Object Reference's "Name" page: the object "is used to retrieve information from related
records where the related record may be from more than one object type"; its fields are those
every such parent can answer (Name, Type, FirstName, LastName, Alias, Email...), `Name` being
the parent's name field (a Case's CaseNumber). A real org answers such a parent with
`"attributes": {"type": "Name", "url": ".../sobjects/User/005..."}`: the type is Name and the
url names the record's own object (recorded in a Veeva CRM REST response,
`"Owner": {"attributes": {"type": "Name", "url": "/services/data/v29.0/sobjects/User/005U..."}`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models.schema import Field, SObjectType

_READ = {"createable": False, "updateable": False}
NAME_FIELDS = (
    Field("Id", "Name ID", "id", 18, nillable=False, **_READ),
    Field("Name", "Name", "string", 255, **_READ),
    Field("Type", "Type", "picklist", 40, **_READ),
    Field("FirstName", "First Name", "string", 40, **_READ),
    Field("LastName", "Last Name", "string", 80, **_READ),
    Field("Alias", "Alias", "string", 8, **_READ),
    Field("Email", "Email", "email", 80, **_READ),
    Field("Title", "Title", "string", 80, **_READ),
    Field("Phone", "Phone", "phone", 40, **_READ),
    Field("Username", "Username", "string", 80, **_READ),
    Field("IsActive", "Active", "boolean", **_READ),
)


@dataclass
class NameObject(SObjectType):
    """The Name object of one polymorphic lookup; `source` is its rows as a SQL subquery."""

    source: str = ""


def _column(sobject: SObjectType, f: Field) -> str:
    if f.name == "Name":
        named = next((g for g in sobject.fields.values() if g.name_field), None)
        named = named or sobject.fields.get("Name")
        return f'"{named.name}"' if named else "NULL"
    if f.name == "Type":
        return f"'{sobject.name}'"
    return f'"{f.name}"' if f.name in sobject.fields else "NULL"


def name_object(types: dict[str, SObjectType], ref: Field) -> NameObject:
    """The Name object over the types `ref` can point to that this org has."""
    selects = []
    for target in ref.reference_to:
        sobject = types.get(target)
        if sobject is not None:
            columns = ", ".join(f'{_column(sobject, f)} AS "{f.name}"' for f in NAME_FIELDS)
            selects.append(f'SELECT {columns} FROM "{sobject.name}"')
    if not selects:
        selects.append("SELECT " + ", ".join(f'NULL AS "{f.name}"' for f in NAME_FIELDS)
                       + " WHERE 0")
    return NameObject("Name", "Name", "Names", "", {f.name: f for f in NAME_FIELDS},
                      source="(" + " UNION ALL ".join(selects) + ")")


def parent_type(types: dict[str, SObjectType], ref: Field) -> SObjectType | None:
    """The object a relationship reaches: its one parent type, or the Name object."""
    if len(ref.reference_to) > 1:
        return name_object(types, ref)
    return types.get(ref.reference_to[0]) if ref.reference_to else None
