"""Page layouts: which fields an org's record pages show, and their describe/layouts shape.

A layout changes only the UI (record pages, describe/layouts); the API reads and writes every
field whether or not it is on a layout. Layouts are kept as JSON in the org's `_layouts` table,
one row per sObject type, created from the defaults below the first time a type is asked for.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Protocol

import sqlite_utils

from .. import ids
from .schema import Field, SObjectType
from .security import FieldSecurity

MASTER_RECORD_TYPE = "012000000000000AAA"
TABLE = "_layouts"

# Default layouts, each section as (heading, left column, right column). Email Opt Out is on
# the Contact layout but not on the Lead one, so a tool that checks layouts has one to flag.
DEFAULTS: dict[str, list[tuple[str, list[str], list[str]]]] = {
    "Account": [
        ("Account Information", ["OwnerId", "Name", "Industry"], ["Phone", "Website"]),
        ("Address Information", ["BillingCity"], ["BillingCountry"]),
        ("System Information", ["CreatedById"], ["LastModifiedById"]),
    ],
    "Contact": [
        ("Contact Information", ["OwnerId", "Name", "AccountId", "Title", "LeadSource"],
         ["Phone", "Email", "HasOptedOutOfEmail", "DoNotCall"]),
        ("System Information", ["CreatedById"], ["LastModifiedById"]),
    ],
    "Lead": [
        ("Lead Information", ["OwnerId", "Name", "Company", "Title", "LeadSource"],
         ["Phone", "Email", "Status"]),
        ("System Information", ["CreatedById"], ["LastModifiedById"]),
    ],
    "User": [
        ("User Information", ["Name", "Alias", "Username"], ["Email", "IsActive", "TimeZoneSidKey"]),
        ("System Information", ["CreatedById"], ["LastModifiedById"]),
    ],
}
# Fields the layout editor never offers: they are not placeable on a real page layout.
NOT_PLACEABLE = {"Id", "IsDeleted", "MasterRecordId", "SystemModstamp"}
# Layout item labels that differ from the field label (as Salesforce shows them).
ITEM_LABELS = {"AccountId": "Account Name", "CreatedById": "Created By",
               "LastModifiedById": "Last Modified By", "Name": "Name"}


class LayoutError(ValueError):
    """A layout change that cannot be made; the message names the fix."""


@dataclass
class Section:
    id: str
    heading: str
    columns: list[list[str]]

    def fields(self) -> list[str]:
        return [name for column in self.columns for name in column]


@dataclass
class Layout:
    id: str
    type: str
    name: str
    sections: list[Section] = field(default_factory=list)

    def fields(self) -> list[str]:
        """Field API names on the layout, section by section, column by column."""
        return [name for section in self.sections for name in section.fields()]

    def has(self, field_name: str) -> bool:
        return field_name.lower() in {n.lower() for n in self.fields()}

    def section(self, heading_or_id: str | None) -> Section:
        """A section by heading (case-insensitive) or id; the first section when None."""
        if heading_or_id is None:
            return self.sections[0]
        wanted = heading_or_id.lower()
        for section in self.sections:
            if wanted in (section.heading.lower(), section.id.lower()):
                return section
        known = ", ".join(s.heading for s in self.sections)
        raise LayoutError(f"No section '{heading_or_id}' on the {self.name}; sections: {known}")

    def to_json(self) -> str:
        return json.dumps({"id": self.id, "type": self.type, "name": self.name, "sections": [
            {"id": s.id, "heading": s.heading, "columns": s.columns} for s in self.sections
        ]})

    @classmethod
    def from_json(cls, text: str) -> Layout:
        data = json.loads(text)
        return cls(data["id"], data["type"], data["name"],
                   [Section(s["id"], s["heading"], s["columns"]) for s in data["sections"]])


def locked(f: Field) -> bool:
    """Fields a layout must keep (the record's name and required fields), as Setup enforces."""
    return f.name_field or f.required


class LayoutOrg(Protocol):
    """What layouts need of their org (the Org of org.py, which holds a `Layouts`)."""

    lock: threading.RLock
    db: sqlite_utils.Database
    types: dict[str, SObjectType]
    meta: dict

    def sobject(self, name: str) -> SObjectType: ...


class Layouts:
    """The org's page layouts: one per type (the Master record type's layout)."""

    def __init__(self, org: LayoutOrg):
        self.org = org

    # -- reading --------------------------------------------------------------

    def get(self, type_name: str) -> Layout:
        """The layout of a type, with fields no longer in the schema left out."""
        sobject = self.org.sobject(type_name)
        with self.org.lock:
            row = None
            if TABLE in self.org.db.table_names():
                row = self.org.db.execute(
                    f"SELECT value FROM {TABLE} WHERE type = ?", [sobject.name]
                ).fetchone()
            layout = Layout.from_json(row[0]) if row else self._create_default(sobject)
        for section in layout.sections:
            section.columns = [[n for n in col if sobject.field(n)] for col in section.columns]
        return layout

    def has_field(self, type_name: str, field_name: str) -> bool:
        """True when the field is on the type's page layout."""
        return self.get(type_name).has(field_name)

    def palette(self, type_name: str) -> list[Field]:
        """Fields that could be added to the layout (not on it yet), by label."""
        sobject = self.org.sobject(type_name)
        on = {n.lower() for n in self.get(sobject.name).fields()}
        parts = {"firstname", "lastname"} if _has_compound_name(sobject) else set()
        return sorted(
            (f for f in sobject.fields.values()
             if f.name.lower() not in on and f.name not in NOT_PLACEABLE
             and f.name.lower() not in parts),
            key=lambda f: f.label.lower(),
        )

    # -- changing -------------------------------------------------------------

    def add_field(self, type_name: str, field_name: str, section: str | None = None) -> Layout:
        """Put a field on the layout (first section unless named), in its shorter column."""
        sobject = self.org.sobject(type_name)
        f = self._placeable(sobject, field_name)
        with self.org.lock:
            layout = self.get(sobject.name)
            if layout.has(f.name):
                return layout
            target = layout.section(section)
            min(target.columns, key=len).append(f.name)
            self._store(layout)
            return layout

    def remove_field(self, type_name: str, field_name: str) -> Layout:
        """Take a field off the layout; the record's name and required fields must stay."""
        sobject = self.org.sobject(type_name)
        f = sobject.field(field_name)
        if f is not None and locked(f):
            raise LayoutError(f"{f.label} ({f.name}) is required on the {sobject.label} layout "
                              "and cannot be removed")
        return self.forget_field(sobject.name, field_name)

    def forget_field(self, type_name: str, field_name: str) -> Layout:
        """Take a field off the layout unconditionally (its field is being deleted)."""
        with self.org.lock:
            layout = self.get(type_name)
            wanted = field_name.lower()
            for section in layout.sections:
                section.columns = [[n for n in col if n.lower() != wanted]
                                   for col in section.columns]
            self._store(layout)
            return layout

    def arrange(self, type_name: str, placement: dict[str, list[list[str]]]) -> Layout:
        """Save a whole arrangement from the editor: {section id: [[left...], [right...]]}."""
        sobject = self.org.sobject(type_name)
        with self.org.lock:
            layout = self.get(sobject.name)
            by_id = {s.id: s for s in layout.sections}
            unknown = set(placement) - set(by_id)
            if unknown:
                raise LayoutError(f"Unknown layout section(s): {', '.join(sorted(unknown))}; "
                                  "reload the layout editor")
            seen: set[str] = set()
            for section in layout.sections:
                if section.id not in placement:
                    seen.update(section.fields())
            for section_id, columns in placement.items():
                if not (isinstance(columns, list) and len(columns) == len(by_id[section_id].columns)
                        and all(isinstance(c, list) for c in columns)):
                    raise LayoutError(f"Section {section_id} needs "
                                      f"{len(by_id[section_id].columns)} lists of field names")
                names = []
                for column in columns:
                    names.append([])
                    for name in column:
                        f = self._placeable(sobject, str(name))
                        if f.name in seen:
                            raise LayoutError(f"{f.name} is placed twice; place it once")
                        seen.add(f.name)
                        names[-1].append(f.name)
                by_id[section_id].columns = names
            missing = [f.label for f in sobject.fields.values()
                       if locked(f) and f.name not in seen
                       and not (f.name == "LastName" and _has_compound_name(sobject))]
            if missing:
                raise LayoutError(f"Required on the layout: {', '.join(missing)}; put them back")
            self._store(layout)
            return layout

    def reset(self, type_name: str) -> Layout:
        """Back to the default layout of a type."""
        sobject = self.org.sobject(type_name)
        with self.org.lock:
            if TABLE in self.org.db.table_names():
                self.org.db[TABLE].delete_where("type = ?", [sobject.name])
            return self.get(sobject.name)

    def _placeable(self, sobject: SObjectType, field_name: str) -> Field:
        f = sobject.field(field_name)
        if f is None:
            raise LayoutError(f"No field '{field_name}' on {sobject.name}: use a field API name "
                              "from describe (install the package first for custom fields)")
        if f.name in NOT_PLACEABLE:
            raise LayoutError(f"{f.name} cannot be placed on a page layout")
        return f

    def _create_default(self, sobject: SObjectType) -> Layout:
        spec = DEFAULTS.get(sobject.name) or [
            ("Information", [f.name for f in sobject.fields.values() if locked(f)], []),
        ]
        # IDs numbered by the type's place in the schema: stable, and no record ID is used up.
        number = list(self.org.types).index(sobject.name) + 1
        pod = self.org.meta["pod"]
        layout = Layout(ids.make_id("00h", pod, number), sobject.name, f"{sobject.label} Layout", [
            Section(ids.make_id("01B", pod, number * 100 + i), heading, [list(left), list(right)])
            for i, (heading, left, right) in enumerate(spec, start=1)
        ])
        self._store(layout)
        return layout

    def _store(self, layout: Layout) -> None:
        self.org.db[TABLE].upsert({"type": layout.type, "value": layout.to_json()}, pk="type")

    # -- describe/layouts -----------------------------------------------------

    def describe(self, type_name: str, version: str, security: FieldSecurity) -> dict:
        """`GET sobjects/<type>/describe/layouts/`: the layouts and record type mappings."""
        sobject = self.org.sobject(type_name)
        layout = self.get(sobject.name)
        return {
            "layouts": [self.describe_layout(sobject.name, version, security)],
            "recordTypeMappings": [_record_type_mapping(sobject, layout, version, security)],
            "recordTypeSelectorRequired": [False],
        }

    def describe_layout(self, type_name: str, version: str, security: FieldSecurity) -> dict:
        """One layout as Salesforce describes it; fields hidden by field-level security drop out."""
        sobject = self.org.sobject(type_name)
        layout = self.get(sobject.name)
        sections = [_section(sobject, layout, s, security) for s in layout.sections]
        return {
            "buttonLayoutSection": {"detailButtons": []},
            "detailLayoutSections": sections,
            "editLayoutSections": sections,
            "feedView": None,
            "highlightsPanelLayoutSection": None,
            "id": layout.id,
            "multirowEditLayoutSections": [],
            "offlineLinks": [],
            "quickActionList": {"quickActionListItems": []},
            "relatedContent": None,
            "relatedLists": [],
            "saveOptions": [],
        }

    def visible_fields(self, type_name: str, security: FieldSecurity) -> list[Section]:
        """The layout's sections with only the fields the user may see (for record pages)."""
        sobject = self.org.sobject(type_name)
        out = []
        for section in self.get(sobject.name).sections:
            columns = [[n for n in col if security.readable(sobject, sobject.fields[n])]
                       for col in section.columns]
            out.append(Section(section.id, section.heading, columns))
        return out


def _has_compound_name(sobject: SObjectType) -> bool:
    name = sobject.fields.get("Name")
    return bool(name and name.calculated and "LastName" in sobject.fields)


def item_label(sobject: SObjectType, f: Field) -> str:
    """The label a layout shows for a field (e.g. OwnerId is "Contact Owner")."""
    if f.name == "OwnerId":
        return f"{sobject.label} Owner"
    return ITEM_LABELS.get(f.name, f.label)


def _section(sobject: SObjectType, layout: Layout, section: Section,
             security: FieldSecurity) -> dict:
    columns = [[sobject.fields[n] for n in col if security.readable(sobject, sobject.fields[n])]
               for col in section.columns]
    tab_orders: dict[str, int] = {}
    for f in (f for col in columns for f in col):  # TopToBottom: down the left column first
        tab_orders[f.name] = len(tab_orders) + 1
    depth = max((len(col) for col in columns), default=0)
    rows = []
    for i in range(depth):
        items = [_item(sobject, col[i], tab_orders[col[i].name], security)
                 if i < len(col) else _placeholder() for col in columns]
        rows.append({"layoutItems": items, "numItems": len(items)})
    return {
        "collapsed": False,
        "columns": len(section.columns),
        "heading": section.heading,
        "layoutRows": rows,
        "layoutSectionId": section.id,
        "parentLayoutId": layout.id,
        "rows": len(rows),
        "tabOrder": "TopToBottom",
        "useCollapsibleSection": False,
        "useHeading": True,
    }


def _item(sobject: SObjectType, f: Field, tab_order: int, security: FieldSecurity) -> dict:
    parts = ([sobject.fields["FirstName"], sobject.fields["LastName"]]
             if f.name == "Name" and _has_compound_name(sobject) else [])
    writable = parts or [f]
    editable = all(security.editable(sobject, p) for p in writable)
    return {
        "editableForNew": editable and all(p.createable for p in writable),
        "editableForUpdate": editable and all(p.updateable for p in writable),
        "label": item_label(sobject, f),
        "layoutComponents": [{
            "components": [
                {"details": security.describe(sobject, p), "displayLines": 1,
                 "tabOrder": tab_order, "type": "Field", "value": p.name}
                for p in parts if security.readable(sobject, p)
            ],
            "details": security.describe(sobject, f),
            "displayLines": 1,
            "tabOrder": tab_order,
            "type": "Field",
            "value": f.name,
        }],
        "placeholder": False,
        "required": f.required or any(p.required for p in parts),
    }


def _placeholder() -> dict:
    return {"editableForNew": False, "editableForUpdate": False, "label": "",
            "layoutComponents": [], "placeholder": True, "required": False}


def _record_type_mapping(sobject: SObjectType, layout: Layout, version: str,
                         security: FieldSecurity) -> dict:
    picklists = [f for f in sobject.fields.values()
                 if f.type == "picklist" and security.readable(sobject, f)]
    return {
        "active": True,
        "available": True,
        "defaultRecordTypeMapping": True,
        "developerName": "Master",
        "layoutId": layout.id,
        "master": True,
        "name": "Master",
        "picklistsForRecordType": [
            {"picklistName": f.name, "picklistValues": f.describe()["picklistValues"]}
            for f in picklists
        ],
        "recordTypeId": MASTER_RECORD_TYPE,
        "urls": {"layout": f"/services/data/v{version}/sobjects/{sobject.name}"
                           f"/describe/layouts/{MASTER_RECORD_TYPE}"},
    }
