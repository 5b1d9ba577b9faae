"""The REST resources that describe an org's user interface: an object's compact layouts and
quick actions, the app's tabs and theme, and the records a user recently viewed."""

from __future__ import annotations

from typing import Protocol

import sqlite_utils

from .layouts import MASTER_RECORD_TYPE, _item
from .schema import SObjectType
from .security import FieldSecurity


class Org(Protocol):  # the parts of models.org.Org used here (importing it would be a circle)
    types: dict[str, SObjectType]
    db: sqlite_utils.Database
    lock: object
    field_security: FieldSecurity

    def stamp(self) -> str: ...

# The fields a System Default compact layout shows, after the name field (Object Manager >
# Compact Layouts: "System Default" lists the name field and a few key fields).
COMPACT_FIELDS = ("Title", "AccountId", "Phone", "Email", "Company", "StageName", "Amount",
                  "CloseDate", "Status", "Priority", "OwnerId")
# The standard actions an object with activities offers (New Task, New Event, Log a Call,
# Send Email); `type` is the QuickAction type a describe answers for each.
ACTIVITY_ACTIONS = (("NewTask", "New Task", "Create"), ("NewEvent", "New Event", "Create"),
                    ("LogACall", "Log a Call", "LogACall"), ("SendEmail", "Send Email",
                                                             "SendEmail"))
NO_ACTIVITIES = {"User", "Task", "Event", "OpportunityContactRole", "CampaignMember",
                 "Individual", "Organization"}
# The Lightning Design System's standard icon colours (its `standard:<name>` icons).
COLOURS = {"Account": "7F8DE1", "Contact": "A094ED", "Lead": "F88962", "Opportunity": "FCB95B",
           "Case": "F2CF5B", "Campaign": "F49756", "Task": "4BC076", "Event": "EB7092"}
CUSTOM_COLOUR = "8199AF"


def _name_field(sobject: SObjectType):
    return next((f for f in sobject.fields.values() if f.name_field), sobject.fields.get("Name"))


def compact_layouts(org: Org, sobject: SObjectType, version: str) -> dict:
    """`describe/compactLayouts`: the System Default compact layout and its mapping."""
    security = org.field_security
    chosen = [f for f in (_name_field(sobject), *(sobject.fields.get(n) for n in COMPACT_FIELDS))
              if f is not None and security.readable(sobject, f)][:5]
    base = f"/services/data/v{version}/sobjects/{sobject.name}/describe/compactLayouts"
    return {
        "compactLayouts": [{
            "actions": [], "fieldItems": [_item(sobject, f, i + 1, security)
                                          for i, f in enumerate(chosen)],
            "id": None, "imageItems": [], "label": "System Default", "name": "SYSTEM",
            "objectType": sobject.name,
        }],
        "defaultCompactLayoutId": None,
        "recordTypeCompactLayoutMappings": [{
            "available": True, "compactLayoutId": None, "compactLayoutName": "SYSTEM",
            "recordTypeId": MASTER_RECORD_TYPE, "recordTypeName": "Master",
            "urls": {"compactLayout": f"{base}/{MASTER_RECORD_TYPE}"},
        }],
        "urls": {"primary": f"{base}/primary"},
    }


def quick_actions(sobject: SObjectType, version: str) -> list[dict]:
    """`sobjects/{type}/quickActions`: the actions the object's page offers."""
    if sobject.name in NO_ACTIVITIES:
        return []
    base = f"/services/data/v{version}/sobjects/{sobject.name}/quickActions"
    return [{
        "actionEnumOrId": name, "label": label, "name": name, "type": kind,
        "urls": {"defaultValues": f"{base}/{name}/defaultValues",
                 "quickAction": f"{base}/{name}", "describe": f"{base}/{name}/describe",
                 "defaultValuesTemplate": f"{base}/{name}/defaultValues/{{ID}}"},
    } for name, label, kind in ACTIVITY_ACTIONS]


def _icon_name(sobject: SObjectType) -> str:
    return "custom" if sobject.name.endswith("__c") else sobject.name.lower()


def _colours(sobject: SObjectType) -> list[dict]:
    colour = COLOURS.get(sobject.name, CUSTOM_COLOUR)
    return [{"color": colour, "context": "primary", "theme": "theme4"},
            {"color": colour, "context": "primary", "theme": "theme3"}]


def _icons(instance: str, sobject: SObjectType) -> list[dict]:
    name = _icon_name(sobject)
    return [
        {"contentType": "image/svg+xml", "height": 0, "theme": "theme4",
         "url": f"{instance}/img/icon/t4v35/standard/{name}.svg", "width": 0},
        {"contentType": "image/png", "height": 120, "theme": "theme4",
         "url": f"{instance}/img/icon/t4v35/standard/{name}_120.png", "width": 120},
    ]


def tabbed(org: Org) -> list[SObjectType]:
    """The objects with a tab in the app: the layoutable ones users open records of."""
    return [t for t in org.types.values() if t.name not in NO_ACTIVITIES - {"User"}
            and t.name != "Organization" and t.key_prefix]


def tabs(org: Org, instance: str) -> list[dict]:
    """`/tabs`: one tab per object, as the app's navigation lists them."""
    return [{
        "colors": _colours(t), "custom": t.name.endswith("__c"),
        "iconUrl": f"{instance}/img/icon/{_icon_name(t)}32.png", "icons": _icons(instance, t),
        "label": t.label_plural,
        "miniIconUrl": f"{instance}/img/icon/{_icon_name(t)}16.png",
        "name": (t.name.removesuffix("__c") if t.name.endswith("__c")
                 else f"standard-{t.name}"),
        "sobjectName": t.name, "url": f"{instance}/{t.key_prefix}/o",
    } for t in tabbed(org)]


def theme(org: Org, instance: str) -> dict:
    """`/theme`: the colours and icons of each object."""
    return {"themeItems": [{"colors": _colours(t), "icons": _icons(instance, t), "name": t.name}
                           for t in tabbed(org)]}


def mark_viewed(org: Org, sobject: SObjectType, record_id: str) -> None:
    """A record page was opened: LastViewedDate and LastReferencedDate move (not
    SystemModstamp: viewing is not a change)."""
    changes = {n: org.stamp() for n in ("LastViewedDate", "LastReferencedDate")
               if n in sobject.fields}
    if changes:
        with org.lock:
            org.db[sobject.name].update(record_id, changes)


def recent(org: Org, version: str, limit: int = 200) -> list[dict]:
    """`/recent`: the records the user viewed or referenced, most recent first."""
    found: list[tuple[str, SObjectType, dict]] = []
    for sobject in org.types.values():
        if "LastViewedDate" not in sobject.fields:
            continue
        name = _name_field(sobject)
        columns = '"Id", "LastViewedDate"' + (f', "{name.name}" AS "Name"' if name else "")
        rows = org.db.execute(
            f'SELECT {columns} FROM "{sobject.name}" WHERE "LastViewedDate" IS NOT NULL '
            'AND IsDeleted = 0 ORDER BY "LastViewedDate" DESC LIMIT ?', [limit]).fetchall()
        for row in rows:
            found.append((row[1], sobject, {"Id": row[0], "Name": row[2] if name else None}))
    found.sort(key=lambda item: item[0], reverse=True)
    return [{"attributes": {"type": t.name,
                            "url": f"/services/data/v{version}/sobjects/{t.name}/{r['Id']}"},
             **r} for _, t, r in found[:limit]]
