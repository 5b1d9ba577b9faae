"""sObject describe: the whole `GET sobjects/<type>/describe` answer, as a current org sends it.

Object keys and standard fields come from the recorded catalogue (models/catalogue/); the
`urls`, record type and child relationships are built for this org, so a custom field or a
package shows up as it would in a real org. `childRelationships` lists the lookups of the
org's own types that point here and that the catalogue names (Contact.AccountId is Account's
`Contacts`); objects sfmock does not model (Opportunity, Case...) are not listed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from .schema import SObjectType
from .security import FieldSecurity

MASTER_RECORD_TYPE = "012000000000000AAA"


def child_relationships(types: dict[str, SObjectType], parent: SObjectType) -> list[dict]:
    """The lookups pointing at `parent`, sorted as Salesforce sorts them (by child, then field)."""
    out = []
    for child in types.values():
        for f in child.fields.values():
            spec = child.children.get(f.name)
            if spec is None or parent.name not in f.reference_to:
                continue
            out.append({
                "cascadeDelete": spec["cascadeDelete"], "childSObject": child.name,
                "deprecatedAndHidden": False, "field": f.name, "junctionIdListNames": [],
                "junctionReferenceTo": [], "relationshipName": spec["relationshipName"],
                "restrictedDelete": spec["restrictedDelete"],
            })
    return sorted(out, key=lambda r: (r["childSObject"], r["field"]))


def urls(sobject: SObjectType, version: str, instance: str) -> dict:
    """The `urls` of a full describe; the ui* templates name the instance the client called."""
    base = f"/services/data/v{version}/sobjects/{sobject.name}"
    host = instance.rstrip("/")
    return {
        "compactLayouts": f"{base}/describe/compactLayouts",
        "rowTemplate": f"{base}/{{ID}}",
        "approvalLayouts": f"{base}/describe/approvalLayouts",
        "uiDetailTemplate": f"{host}/{{ID}}",
        "uiEditTemplate": f"{host}/{{ID}}/e",
        "listviews": f"{base}/listviews",
        "describe": f"{base}/describe",
        "uiNewRecord": f"{host}/{sobject.key_prefix}/e",
        "quickActions": f"{base}/quickActions",
        "layouts": f"{base}/describe/layouts",
        "sobject": base,
    }


def describe_sobject(types: dict[str, SObjectType], sobject: SObjectType, version: str,
                     security: FieldSecurity, instance: str) -> dict:
    """The full describe of a type as the integration user sees it (field-level security)."""
    out: dict = {}
    fields = [security.describe(sobject, f) for f in sobject.fields.values()]
    # A type with no recorded describe (Organization) takes Contact's keys, in their order,
    # with its own global-describe flags.
    recorded = sobject.recorded or {**types["Contact"].recorded, **sobject.summary(version)}
    for key, value in recorded.items():
        out[key] = value
        if key == "associateParentEntity":
            out["childRelationships"] = child_relationships(types, sobject)
        elif key == "feedEnabled":
            out["fields"] = [f for f in fields if f is not None]
        elif key == "queryable":
            out["recordTypeInfos"] = [{
                "active": True, "available": True, "defaultRecordTypeMapping": True,
                "developerName": "Master", "master": True, "name": "Master",
                "recordTypeId": MASTER_RECORD_TYPE,
                "urls": {"layout": f"/services/data/v{version}/sobjects/{sobject.name}"
                                   f"/describe/layouts/{MASTER_RECORD_TYPE}"},
            }]
    out.update(keyPrefix=sobject.key_prefix, label=sobject.label,
               labelPlural=sobject.label_plural, name=sobject.name)
    out["urls"] = urls(sobject, version, instance)
    return out


def not_modified_since(header: str | None, changed: datetime) -> bool:
    """True when an `If-Modified-Since` date is at or after the schema's last change (304)."""
    if not header:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as HTTP servers do
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return changed.replace(microsecond=0) <= since
