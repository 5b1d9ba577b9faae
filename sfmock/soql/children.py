"""Child relationships (Account -> Contacts), derived from the lookups of the org's schema.

A parent-to-child subquery names the child relationship (`SELECT Id, (SELECT Id FROM Contacts)
FROM Account`). Standard lookups carry the names Salesforce gives them; a custom lookup's child
relationship is the child object's plural label with `__r`, as Setup proposes by default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models.org import Org
from ..models.schema import Field, SObjectType

# (child object, lookup field) -> child relationship name, per the Object Reference.
STANDARD = {("Contact", "AccountId"): "Contacts"}


@dataclass(frozen=True)
class ChildRelationship:
    name: str
    child: SObjectType
    field: Field


def relationship_name(child: SObjectType, f: Field) -> str | None:
    """The child relationship name of lookup `f` on `child`, or None if it has none."""
    explicit = f.child_relationship_name or child.children.get(f.name, {}).get("relationshipName")
    if explicit:
        return explicit
    if f.custom:
        return re.sub(r"[^A-Za-z0-9]", "", child.label_plural) + "__r"
    return STANDARD.get((child.name, f.name))


def find(org: Org, parent: SObjectType, name: str) -> ChildRelationship | None:
    """The child relationship `name` (any case) of `parent`, or None."""
    lowered = name.lower()
    for child in org.types.values():
        for f in child.fields.values():
            if f.type != "reference" or parent.name not in f.reference_to:
                continue
            found = relationship_name(child, f)
            if found and found.lower() == lowered:
                return ChildRelationship(found, child, f)
    return None
