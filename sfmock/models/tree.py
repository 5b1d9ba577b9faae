"""sObject Tree (`POST /composite/tree/<type>`): nested parent-child records, all or nothing.

Up to 200 records across all trees, five levels deep; each record names its type and a
`referenceId` in `attributes`, and children sit under their child relationship name
(`"Contacts": {"records": [...]}` on an Account). Records are created level by level (every
root first, then every second-level record...), which is also the order of the answer, as in
Salesforce's own example. A record that fails rolls the whole request back and the answer names
only that record: `{"hasErrors": true, "results": [{"referenceId", "errors": [...]}]}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import errors
from .org import Org
from .schema import Field, SObjectType

MAX_RECORDS = 200
MAX_DEPTH = 5
REFERENCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]*$")


@dataclass
class _Node:
    sobject: SObjectType
    reference_id: str
    fields: dict
    parent: _Node | None = None
    parent_field: Field | None = None
    id: str | None = None
    children: list[_Node] = field(default_factory=list)


class TreeError(Exception):
    """A record-level failure, answered in the tree's own `results` shape with HTTP 400."""

    def __init__(self, reference_id: str | None, error: dict):
        super().__init__(error["message"])
        self.body = {"hasErrors": True, "results": [{"referenceId": reference_id,
                                                     "errors": [error]}]}


def child_relationships(org: Org, parent: SObjectType) -> dict[str, tuple[SObjectType, Field]]:
    """Child relationship names of `parent` (lower-cased) -> (child type, its reference field).

    A standard lookup named `<Parent>Id` gives the relationship the child's plural label
    (Contact.AccountId -> Account.Contacts), as Salesforce names its standard relationships.
    """
    found: dict[str, tuple[SObjectType, Field]] = {}
    for child in org.types.values():
        for f in child.fields.values():
            if f.type != "reference" or parent.name not in f.reference_to:
                continue
            if f.name == f"{parent.name}Id":
                found[child.label_plural.replace(" ", "").lower()] = (child, f)
    return found


def create_trees(org: Org, type_name: str, body: object, *, user_id: str | None) -> dict:
    """Create every tree of the request or none; the success answer (raise TreeError else)."""
    root_type = org.sobject(type_name)
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise errors.JsonParserError(
            'The request body must be {"records": [{"attributes": {"type": ..., '
            '"referenceId": ...}, ...}]}')
    seen: set[str] = set()
    roots = [_node(org, root_type, r, None, None, 1, seen) for r in body["records"]]
    if len(seen) > MAX_RECORDS:
        # Refused whole (the sf CLI splits its imports to stay under it), in the platform's
        # wording for the 200-record limit of a call, as sObject Collections answer it.
        raise errors.ExceededIdLimit(
            f"record limit reached. cannot submit more than {MAX_RECORDS} records into this call")
    results: list[dict] = []
    with org.lock, org.db.atomic():
        level = roots
        while level:
            for node in level:
                _insert(org, node, user_id)
                results.append({"referenceId": node.reference_id, "id": node.id})
            level = [child for node in level for child in node.children]
    return {"hasErrors": False, "results": results}


def _insert(org: Org, node: _Node, user_id: str | None) -> None:
    data = dict(node.fields)
    if node.parent is not None:
        data[node.parent_field.name] = node.parent.id
    try:
        node.id = org.insert(node.sobject.name, data, user_id=user_id)
    except errors.SalesforceError as exc:
        raise TreeError(node.reference_id, exc.collection_error()) from None


def _node(org: Org, expected: SObjectType, record: object, parent: _Node | None,
          parent_field: Field | None, depth: int, seen: set[str]) -> _Node:
    attributes = record.get("attributes") if isinstance(record, dict) else None
    if not isinstance(attributes, dict):
        raise errors.JsonParserError(
            'Each record needs "attributes": {"type": "<sObject>", "referenceId": "<id>"}')
    reference_id = attributes.get("referenceId")
    if not isinstance(reference_id, str) or not reference_id:
        raise _invalid(None, "Include a referenceId in the attributes of every record")
    if not REFERENCE_ID.match(reference_id):
        raise _invalid(reference_id, f"Provided referenceId ('{reference_id}') must start with "
                       "a letter or a number, and it can contain only letters, numbers and "
                       "underscores ('_').")
    if reference_id in seen:
        raise _invalid(reference_id, "Duplicate ReferenceId provided in the request.")
    seen.add(reference_id)
    if str(attributes.get("type", "")).lower() != expected.name.lower():
        raise _invalid(reference_id, f"The record's type '{attributes.get('type')}' is not "
                       f"{expected.name}: the type in the URL (or the child relationship)")
    if depth > MAX_DEPTH:
        raise _invalid(reference_id, f"sObject trees can be at most {MAX_DEPTH} levels deep")
    node = _Node(expected, reference_id, {}, parent, parent_field)
    relationships = child_relationships(org, expected)
    for key, value in record.items():
        if key == "attributes":
            continue
        if key.lower() in relationships and isinstance(value, dict):
            child_type, ref = relationships[key.lower()]
            children = value.get("records")
            if not isinstance(children, list):
                raise errors.JsonParserError(f'"{key}" must be {{"records": [...]}}')
            node.children += [_node(org, child_type, c, node, ref, depth + 1, seen)
                              for c in children]
        elif expected.field(key) is None:
            # Deserialising the body fails first, for the whole request (the sf CLI reads
            # INVALID_FIELD from this error to explain field-level security).
            raise errors.InvalidField(f"No such column '{key}' on sobject of type {expected.name}")
        else:
            node.fields[key] = value
    return node


def _invalid(reference_id: str | None, message: str) -> TreeError:
    return TreeError(reference_id, {"statusCode": "INVALID_INPUT", "message": message,
                                    "fields": []})
