"""Schema changes through the Tooling API: `CustomObject` and `CustomField` creates, visible in
describe at once.

The request is the Tooling API's: `{"FullName": "Invoice__c", "Metadata": {...}}` for an
object and `{"FullName": "Invoice__c.Amount__c", "Metadata": {"type": "Currency", ...}}` for a
field, Metadata keyed as the Metadata API's CustomObject and CustomField (a recorded create
sends every key, most of them null). The answer is `{"id", "success", "errors"}` with a 201,
as recorded for `POST tooling/sobjects/CustomField`.
"""

from __future__ import annotations

from .. import errors
from .custom_objects import SchemaSpecError, custom_field_from_spec
from .org import Org

CUSTOM_OBJECT_PREFIX = "01I"
CUSTOM_FIELD_PREFIX = "00N"
DuplicateDeveloperName = type("DuplicateDeveloperName", (errors.SalesforceError,),
                              {"error_code": "DUPLICATE_DEVELOPER_NAME"})


def _request(body: object) -> tuple[str, dict]:
    if not isinstance(body, dict) or not isinstance(body.get("FullName"), str):
        raise errors.RequiredFieldMissing(
            'Required fields are missing: [FullName]: send {"FullName": "Invoice__c", '
            '"Metadata": {...}}', ["FullName"])
    metadata = body.get("Metadata") or {}
    if not isinstance(metadata, dict):
        raise errors.JsonParserError("Metadata must be a JSON object of the component's keys")
    # A client sends every Metadata key, null where unset: null means "not given".
    return body["FullName"], {k: v for k, v in metadata.items() if v is not None}


def _values(metadata: dict) -> list[str]:
    """Picklist values from `valueSet.valueSetDefinition.value[].fullName` (or `picklist`)."""
    definition = (metadata.get("valueSet") or {}).get("valueSetDefinition") or {}
    entries = definition.get("value") or (metadata.get("picklist") or {}).get("picklistValues")
    return [e["fullName"] for e in entries or []]


def create_custom_object(org: Org, body: object) -> dict:
    """POST tooling/sobjects/CustomObject."""
    name, metadata = _request(body)
    if name.lower() in {t.lower() for t in org.types}:
        raise DuplicateDeveloperName(f"There is already an object named {name}: choose "
                                     "another FullName", ["FullName"])
    name_field = metadata.get("nameField") or {}
    spec = {"name": name, "label": metadata.get("label"),
            "label_plural": metadata.get("pluralLabel"),
            "name_field": {"label": name_field.get("label"), "type": name_field.get("type"),
                           "format": name_field.get("displayFormat")}}
    try:
        org.add_custom_object(spec)
    except SchemaSpecError as exc:
        raise errors.InvalidField(str(exc), ["FullName"]) from None
    return {"id": org.new_id(CUSTOM_OBJECT_PREFIX), "success": True, "errors": []}


def create_custom_field(org: Org, body: object) -> dict:
    """POST tooling/sobjects/CustomField: `FullName` is `Object.Field__c`."""
    full_name, metadata = _request(body)
    object_name, _, field_name = full_name.rpartition(".")
    if not object_name:
        raise errors.InvalidField(f"FullName {full_name!r} names no object: write it as "
                                  "Object.Field__c, e.g. Invoice__c.Amount__c", ["FullName"])
    sobject = org.sobject(object_name)
    if sobject.field(field_name):
        raise DuplicateDeveloperName(f"There is already a field named {field_name} on "
                                     f"{sobject.name}: choose another FullName", ["FullName"])
    spec = {**metadata, "name": field_name, "values": _values(metadata),
            "default": metadata.get("defaultValue")}
    try:
        f = custom_field_from_spec(spec, sobject.name)
    except SchemaSpecError as exc:
        raise errors.InvalidField(str(exc), ["Metadata"]) from None
    if f.type == "reference" and not set(f.reference_to) <= set(org.types):
        raise errors.InvalidField(f"{full_name} refers to {', '.join(f.reference_to)}, which "
                                  "is not an object of this org", ["Metadata"])
    org.add_custom_field(sobject.name, f)
    return {"id": org.new_id(CUSTOM_FIELD_PREFIX), "success": True, "errors": []}
