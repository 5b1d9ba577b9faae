"""sObject XML as the Partner API writes and reads it.

Written (recorded query responses, e.g. WWW::Salesforce's and salesforce-python-toolkit's
fixtures): `<records xsi:type="sf:sObject"><sf:type>Contact</sf:type><sf:Id>003..</sf:Id>
<sf:Id>003..</sf:Id><sf:Email>..</sf:Email></records>`. The first `sf:Id` is the sObject's own
Id element; a selected Id comes again as a field, so it appears twice, and an unselected one is
`<sf:Id xsi:nil="true"/>`. Parents nest as `<sf:Account xsi:type="sf:sObject">`, a null one as
`<sf:Account xsi:nil="true"/>`, and datetimes end in `Z`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from .. import errors
from ..models.org import Org
from ..models.schema import SObjectType
from .envelope import child, children, is_nil, local, text, texts


def _value(kind: str | None, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == "datetime" and isinstance(value, str) and value.endswith("+0000"):
        return value[:-5] + "Z"
    return escape(str(value))


def record_xml(org: Org, record: dict | None, tag: str = "records",
               record_id: str | None = None) -> str:
    """A record (the REST API's dict: `attributes` then fields) as Partner sObject XML."""
    if record is None:
        return f'<{tag} xsi:nil="true"/>'
    type_name = record["attributes"]["type"]
    sobject = org.types.get(type_name)
    own_id = record_id or record.get("Id")
    parts = [f"<sf:type>{escape(type_name)}</sf:type>",
             f"<sf:Id>{own_id}</sf:Id>" if own_id else '<sf:Id xsi:nil="true"/>']
    for key, value in record.items():
        if key == "attributes":
            continue
        if isinstance(value, dict):
            parts.append(record_xml(org, value, f"sf:{key}"))
        elif value is None:
            parts.append(f'<sf:{key} xsi:nil="true"/>')
        elif sobject is None:  # an AggregateResult: its values carry their type
            kind = "xsd:int" if isinstance(value, int) else "xsd:string"
            parts.append(f'<sf:{key} xsi:type="{kind}">{_value(None, value)}</sf:{key}>')
        else:
            f = sobject.field(key)
            parts.append(f"<sf:{key}>{_value(f.type if f else None, value)}</sf:{key}>")
    return f'<{tag} xsi:type="sf:sObject">{"".join(parts)}</{tag}>'


@dataclass
class SObjectIn:
    """An sObject a client sent: its type, Id and field values (None for fieldsToNull)."""

    type: str | None
    id: str | None
    fields: dict[str, str | None] = field(default_factory=dict)


def read(element: ET.Element) -> SObjectIn:
    """The sObject in `element`; its fields are matched by local name, whatever the namespace."""
    values: dict[str, str | None] = {}
    for item in element:
        name = local(item.tag)
        if name in ("type", "Id", "fieldsToNull"):
            continue
        if len(item) and not is_nil(item):
            raise errors.InvalidField(
                f"sfmock does not resolve the relationship '{name}' in a write: set its lookup "
                f"field (e.g. {name}Id) to the parent's Id instead", [name])
        values[name] = text(item)
    for name in texts(element, "fieldsToNull"):
        for one in name.split(","):
            if one.strip():
                values[one.strip()] = None
    type_name = text(child(element, "type"))
    record_id = text(child(element, "Id"))
    return SObjectIn(type_name.strip() if type_name else None,
                     record_id.strip() if record_id else None, values)


def read_all(parent: ET.Element, name: str) -> list[SObjectIn]:
    return [read(e) for e in children(parent, name)]


def sobject_type(org: Org, name: str | None) -> SObjectType:
    """The type an sObject names, or INVALID_TYPE as the Partner API answers an unknown one."""
    if not name:
        raise errors.InvalidType("Must send a concrete entity type.")
    try:
        return org.sobject(name)
    except errors.NotFound:
        raise errors.InvalidType(f"sObject type '{name}' is not supported.") from None


def typed(sobject: SObjectType, values: dict[str, str | None]) -> dict[str, object]:
    """Field values with XML text made the model's types; a bad one is the per-record error
    INVALID_TYPE_ON_FIELD_IN_RECORD, as the Partner API reports it."""
    out: dict[str, object] = {}
    for name, value in values.items():
        f = sobject.field(name)
        if f is None or value is None:
            out[name] = value
            continue
        if f.type == "boolean":
            lowered = value.strip().lower()
            if lowered not in ("true", "false", "1", "0"):
                raise errors.InvalidTypeOnFieldInRecord(
                    f"{f.label}: value not of required type: {value}", [f.name])
            out[name] = lowered in ("true", "1")
        elif f.type in ("int", "double"):
            try:
                out[name] = float(value) if f.type == "double" else int(value)
            except ValueError:
                raise errors.InvalidTypeOnFieldInRecord(
                    f"{f.label}: value not of required type: {value}", [f.name]) from None
        else:
            out[name] = value
    return out
