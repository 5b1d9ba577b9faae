"""Custom objects and fields declared in fixtures (org.json) or created through the Tooling API.

A declaration names fields with the Metadata API's `CustomField.type` (Text, LongTextArea,
Number, Currency, Percent, Checkbox, Date, DateTime, Email, Phone, Url, Picklist,
MultiselectPicklist, Lookup, MasterDetail), so the same spec serves org.json and a Tooling API
`CustomField` create. A custom object gets the system fields a real one has (Id, OwnerId,
IsDeleted, Name, the audit fields, LastViewedDate, LastReferencedDate); a master-detail child
has no OwnerId (its master's owner owns it).
"""

from __future__ import annotations

import re

import sqlite_utils

from .. import ids
from .schema import Field, SObjectType

# Metadata API CustomField.type -> (describe type, default length).
FIELD_TYPES: dict[str, tuple[str, int]] = {
    "text": ("string", 255), "textarea": ("textarea", 255), "longtextarea": ("textarea", 32768),
    "html": ("textarea", 32768), "number": ("double", 0), "currency": ("currency", 0),
    "percent": ("percent", 0), "checkbox": ("boolean", 0), "date": ("date", 0),
    "datetime": ("datetime", 0), "email": ("email", 80), "phone": ("phone", 40),
    "url": ("url", 255), "picklist": ("picklist", 255), "multiselectpicklist": ("multipicklist", 4099),
    "lookup": ("reference", 18), "masterdetail": ("reference", 18), "autonumber": ("string", 30),
}
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*__c$")
PREFIX_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class SchemaSpecError(ValueError):
    """A custom object or field declaration that cannot be built; the message names the fix."""


def _label(api_name: str) -> str:
    return api_name.removesuffix("__c").replace("_", " ")


def custom_field_from_spec(spec: dict, object_name: str = "") -> Field:
    """A custom field from its declaration: `{"name", "type", "label", ...}` (Metadata API
    type names, any case; a `formula` makes it a read-only formula of that return type)."""
    name = spec.get("name") or spec.get("fullName", "").split(".")[-1]
    if not NAME_RE.match(name or ""):
        raise SchemaSpecError(f"custom field name {name!r} on {object_name or 'an object'} must "
                              "be an API name ending in __c, e.g. Amount__c")
    kind = str(spec.get("type", "Text")).replace("_", "").lower()
    if kind not in FIELD_TYPES:
        raise SchemaSpecError(f"field {name}: unknown type {spec.get('type')!r}; use one of "
                              "Text, LongTextArea, Number, Currency, Percent, Checkbox, Date, "
                              "DateTime, Email, Phone, Url, Picklist, MultiselectPicklist, "
                              "Lookup, MasterDetail")
    describe_type, length = FIELD_TYPES[kind]
    formula = spec.get("formula")
    reference_to: tuple[str, ...] = ()
    relationship = child = None
    master = kind == "masterdetail"
    if describe_type == "reference":
        target = spec.get("reference_to") or spec.get("referenceTo")
        if not target:
            raise SchemaSpecError(f"field {name}: a {spec.get('type')} names its parent object "
                                  "in reference_to, e.g. \"Account\"")
        reference_to = (target,) if isinstance(target, str) else tuple(target)
        relationship = name.removesuffix("__c") + "__r"
        child = spec.get("child_relationship_name") or spec.get("relationshipName")
        if child and not child.endswith("__r"):
            child += "__r"  # describe shows a custom child relationship with its __r suffix
    values = spec.get("values") or spec.get("picklist") or ()
    values = tuple(v if isinstance(v, str) else v.get("fullName") or v["value"] for v in values)
    required = bool(spec.get("required")) or master
    boolean = describe_type == "boolean"
    return Field(
        name, spec.get("label") or _label(name), describe_type,
        int(spec.get("length") or length),
        createable=not formula, updateable=not formula and not (master and not spec.get("reparentable")),
        nillable=not required and not boolean,
        required=required and not formula, custom=True,
        default=bool(spec.get("default", spec.get("defaultValue", False)) in (True, "true"))
        if boolean else None,
        reference_to=reference_to, relationship_name=relationship,
        external_id=bool(spec.get("external_id", spec.get("externalId", False))),
        unique=bool(spec.get("unique", False)), picklist=values, calculated=bool(formula),
        child_relationship_name=child, cascade_delete=master, formula=formula,
        precision=int(spec.get("precision") or 0), scale=int(spec.get("scale") or 0),
    )


def _system_fields(detail: bool, name_field: Field) -> list[Field]:
    """The standard fields every custom object has, in a real describe's order."""
    audit = {"createable": False, "updateable": False, "nillable": False}
    out = [Field("Id", "Record ID", "id", 18, **audit)]
    if not detail:
        out.append(Field("OwnerId", "Owner ID", "reference", 18, createable=True, updateable=True,
                         nillable=False, reference_to=("Group", "User"), relationship_name="Owner"))
    out += [
        Field("IsDeleted", "Deleted", "boolean", **audit, default=False),
        name_field,
        Field("CreatedDate", "Created Date", "datetime", **audit),
        Field("CreatedById", "Created By ID", "reference", 18, **audit, reference_to=("User",),
              relationship_name="CreatedBy"),
        Field("LastModifiedDate", "Last Modified Date", "datetime", **audit),
        Field("LastModifiedById", "Last Modified By ID", "reference", 18, **audit,
              reference_to=("User",), relationship_name="LastModifiedBy"),
        Field("SystemModstamp", "System Modstamp", "datetime", **audit),
        Field("LastViewedDate", "Last Viewed Date", "datetime", createable=False,
              updateable=False),
        Field("LastReferencedDate", "Last Referenced Date", "datetime", createable=False,
              updateable=False),
    ]
    return out


def next_key_prefix(taken: set[str]) -> str:
    """The next free custom-object key prefix, `a00`, `a01`... as an org hands them out."""
    for second in PREFIX_DIGITS:
        for third in PREFIX_DIGITS:
            if "a" + second + third not in taken:
                return "a" + second + third
    raise SchemaSpecError("no custom-object key prefix is left")


def custom_object_from_spec(spec: dict, taken_prefixes: set[str], template: dict) -> SObjectType:
    """A custom object from its declaration: `{"name": "Invoice__c", "label", "label_plural",
    "key_prefix", "name_field": {"label", "type": "Text"|"AutoNumber", "format"}, "fields"}`;
    `template` is a standard object's recorded describe keys, taken in their order."""
    name = spec.get("name") or spec.get("fullName")
    if not NAME_RE.match(name or ""):
        raise SchemaSpecError(f"custom object name {name!r} must be an API name ending in __c, "
                              "e.g. Invoice__c")
    label = spec.get("label") or _label(name)
    plural = spec.get("label_plural") or spec.get("pluralLabel") or label + "s"
    prefix = spec.get("key_prefix") or next_key_prefix(taken_prefixes)
    if len(prefix) != 3 or not set(prefix) <= ids.ID_CHARS or prefix in taken_prefixes:
        raise SchemaSpecError(f"{name}: key prefix {prefix!r} must be 3 letters or digits not "
                              "used by another object, e.g. a0A")
    name_spec = spec.get("name_field") or spec.get("nameField") or {}
    auto = str(name_spec.get("type", "Text")).lower() == "autonumber"
    name_field = Field(
        "Name", name_spec.get("label") or f"{label} Name", "string", 80 if not auto else 30,
        createable=not auto, updateable=not auto, nillable=auto, name_field=True,
        auto_number=(name_spec.get("format") or name_spec.get("displayFormat") or "{0}")
        if auto else None,
    )
    fields = [custom_field_from_spec(f, name) for f in spec.get("fields", [])]
    detail = any(f.cascade_delete for f in fields)
    all_fields = _system_fields(detail, name_field) + fields
    children = {f.name: {"relationshipName": f.child_relationship_name,
                         "cascadeDelete": f.cascade_delete, "restrictedDelete": False}
                for f in fields if f.type == "reference"}
    scopes = [{"label": f"All {plural.lower()}", "name": "everything"},
              {"label": f"My {plural.lower()}", "name": "mine"}]
    recorded = {**template, "custom": True, "mergeable": False, "feedEnabled": False,
                "deepCloneable": False, "supportedScopes": scopes, "label": label,
                "labelPlural": plural, "keyPrefix": prefix, "name": name}
    return SObjectType(name, label, plural, prefix, {f.name: f for f in all_fields},
                       recorded=recorded, children=children)


AUTO_NUMBERS = "_auto_numbers"


def next_number(db: sqlite_utils.Database, key: str) -> int:
    """The next value of the auto-number `key` (`Invoice__c.Name`), counted in the org's own
    database (in the caller's transaction) so a restarted org goes on from where it was."""
    with db.atomic():
        db.execute(f'CREATE TABLE IF NOT EXISTS "{AUTO_NUMBERS}" (key TEXT PRIMARY KEY, '
                   "n INTEGER)")
        return db.execute(f'INSERT INTO "{AUTO_NUMBERS}" (key, n) VALUES (?, 1) ON CONFLICT(key) '
                          "DO UPDATE SET n = n + 1 RETURNING n", [key]).fetchone()[0]


def auto_number(f: Field, number: int) -> str:
    """An auto-number's value: `INV-{0000}` with 7 is `INV-0007`; `{YYYY}`, `{MM}`, `{DD}` are
    left to the caller's date (the format's other text is kept as written)."""
    def digits(match: re.Match) -> str:
        return str(number).zfill(len(match.group(1)))

    return re.sub(r"\{(0+)\}", digits, f.auto_number or "{0}")
