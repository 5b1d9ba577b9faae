"""A real org's schema, loaded as it is from the describe JSON of each object.

A folder holds one file per object: what `sf sobject describe --sobject Invoice__c --json`
prints (the describe under `result`) or the REST describe body itself
(`GET /services/data/vXX.X/sobjects/Invoice__c/describe`). Each object replaces the catalogue's
definition of the same name or joins the org; its describe is served back as it was read (the
`urls` follow the instance the client calls), and its `childRelationships` name the child
relationships SOQL subqueries use. The documents are kept in the org's `_schema` table, so an
org saved to a file and a reset org keep them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

import sqlite_utils

from .schema import SObjectType, _catalogue_field


class Org(Protocol):  # the parts of models.org.Org used here (importing it would be a circle)
    types: dict[str, SObjectType]
    db: sqlite_utils.Database
    lock: object

    def _create_table(self, sobject: SObjectType) -> None: ...

    def _add_missing_columns(self) -> None: ...

    def _schema_changed(self) -> None: ...

TABLE = "_schema"
NOT_RECORDED = ("fields", "urls")  # fields are rebuilt one by one, urls follow the instance


class SchemaImportError(ValueError):
    """A describe file that cannot be loaded; the message names the file and the fix."""


def read_describe(path: Path) -> dict:
    """The describe document in `path`: a REST describe body or `sf ... --json` output."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaImportError(f"{path}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise SchemaImportError(f"{path} is not valid JSON (line {exc.lineno}): save the "
                                "output of `sf sobject describe --json` as it is") from None
    if isinstance(doc, dict) and "result" in doc and "status" in doc:
        doc = doc["result"]  # the Salesforce CLI wraps its answer in {"status", "result"}
    if not isinstance(doc, dict) or not isinstance(doc.get("fields"), list) or not doc.get("name"):
        raise SchemaImportError(f"{path} is not an sObject describe (no name and fields): "
                                "capture it with `sf sobject describe --sobject NAME --json`")
    return doc


def read_directory(directory: str | Path) -> list[dict]:
    """Every describe document in `directory` (*.json), in name order."""
    folder = Path(directory)
    if not folder.is_dir():
        raise SchemaImportError(f"{folder} is not a folder: point --schema at the folder that "
                                "holds one describe JSON file per object")
    docs = [read_describe(path) for path in sorted(folder.glob("*.json"))]
    if not docs:
        raise SchemaImportError(f"{folder} holds no *.json describe files: see the README, "
                                "\"Bring your org's schema\"")
    return docs


def sobject_from_describe(doc: dict) -> SObjectType:
    """An sObject type exactly as a describe document records it."""
    entries = doc["fields"]
    derived_name = any(e.get("compoundFieldName") == "Name" and e["name"] != "Name"
                       for e in entries)
    try:
        fields = [_catalogue_field(e, derived_name) for e in entries]
    except KeyError as exc:
        raise SchemaImportError(f"{doc['name']}: a field entry lacks {exc}: load the full "
                                "describe, not a trimmed one") from None
    recorded = {k: v for k, v in doc.items() if k not in NOT_RECORDED}
    return SObjectType(doc["name"], doc.get("label") or doc["name"],
                       doc.get("labelPlural") or doc["name"], doc.get("keyPrefix") or "",
                       {f.name: f for f in fields}, recorded=recorded)


def apply(org: Org, docs: list[dict]) -> None:
    """Put the described types into `org.types` (with their tables) and link their children."""
    loaded = {doc["name"]: sobject_from_describe(doc) for doc in docs}
    for sobject in loaded.values():
        org.types[sobject.name] = sobject
    for doc in docs:
        for rel in doc.get("childRelationships") or []:
            child = org.types.get(rel["childSObject"])
            if child is not None and rel.get("relationshipName"):
                child.children[rel["field"]] = {
                    "relationshipName": rel["relationshipName"],
                    "cascadeDelete": rel.get("cascadeDelete", False),
                    "restrictedDelete": rel.get("restrictedDelete", False)}
    for sobject in loaded.values():
        if not org.db[sobject.name].exists():
            org._create_table(sobject)
    org._add_missing_columns()


def load_schema(org: Org, directory: str | Path) -> list[str]:
    """Load every describe in `directory` into `org` and keep it: the names of the types."""
    docs = read_directory(directory)
    with org.lock:
        table = org.db[TABLE]
        for doc in docs:
            table.upsert({"name": doc["name"], "doc": json.dumps(doc)}, pk="name")
        apply(org, stored(org))
        org._schema_changed()
    return [doc["name"] for doc in docs]


def stored(org: Org) -> list[dict]:
    """The describe documents this org has loaded, oldest first."""
    if not org.db[TABLE].exists():
        return []
    return [json.loads(row["doc"]) for row in org.db[TABLE].rows]
