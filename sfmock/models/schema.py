"""sObject types and their fields, with Salesforce's describe shapes."""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "string": "xsd:string",
    "email": "xsd:string",
    "phone": "xsd:string",
    "url": "xsd:string",
    "textarea": "xsd:string",
    "picklist": "xsd:string",
    "boolean": "xsd:boolean",
    "datetime": "xsd:dateTime",
    "date": "xsd:date",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "multipicklist": "xsd:string",
    "combobox": "xsd:string",
    "encryptedstring": "xsd:string",
    "time": "xsd:time",
    "anyType": "xsd:anyType",
    "address": "urn:address",
    "location": "urn:location",
}
TEXT_TYPES = {"id", "reference", "string", "email", "phone", "url", "textarea", "picklist",
              "multipicklist", "combobox", "encryptedstring"}
NUMBER_TYPES = {"double", "currency", "percent"}


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str = "string"
    length: int = 0
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    required: bool = False
    custom: bool = False
    default: object = None
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    external_id: bool = False
    unique: bool = False
    picklist: tuple[str, ...] = ()
    calculated: bool = False  # sfmock derives the value (a compound Name, an address)
    name_field: bool = False
    compound: str | None = None  # the compound field this one is part of (Name, MailingAddress)
    child_relationship_name: str | None = None  # how a lookup shows in its parent (Invoices__r)
    cascade_delete: bool = False  # a master-detail field: deleting the master deletes this record
    auto_number: str | None = None  # an auto-number's display format, e.g. "INV-{0000}"
    formula: str | None = None  # a read-only formula field's expression
    precision: int = 0
    scale: int = 0
    # The describe entry as recorded from a real org (standard fields, models/catalogue/).
    recorded: dict | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def id_lookup(self) -> bool:
        """Whether upsert may match on this field: Id, external IDs, and the standard fields
        described `idLookup` (Contact.Email, Lead.Email: CumulusCI recorded a real upsert on
        composite/sobjects/Contact/Email answering `"created" : true`)."""
        if self.recorded is not None:
            return bool(self.recorded["idLookup"])
        return self.type == "id" or self.external_id

    @property
    def sql_type(self) -> type:
        return {"boolean": int, "int": int, "double": float, "currency": float,
                "percent": float}.get(self.type, str)

    def describe(self) -> dict:
        """The field entry of an sObject describe, every key present as Salesforce sends it."""
        if self.recorded is not None:
            return copy.deepcopy(self.recorded)
        text = self.type in TEXT_TYPES
        length = self.length if text else 0
        byte_length = 18 if self.type in ("id", "reference") else length * 3
        return {
            "aggregatable": self.type not in ("textarea", "boolean"),
            "aiPredictionField": False,
            "autoNumber": self.auto_number is not None,
            "byteLength": byte_length,
            "calculated": self.calculated,
            "calculatedFormula": self.formula,
            "cascadeDelete": self.cascade_delete,
            "caseSensitive": False,
            "compoundFieldName": "Name" if self.name in ("FirstName", "LastName") else None,
            "controllerName": None,
            "createable": self.createable,
            "custom": self.custom,
            "defaultValue": self.default if self.type == "boolean" else None,
            "defaultValueFormula": None,
            "defaultedOnCreate": (self.type in ("boolean", "id") or self.name in AUDIT_FIELDS
                                  or self.name == "OwnerId"
                                  or self.auto_number is not None),
            "dependentPicklist": False,
            "deprecatedAndHidden": False,
            "digits": 9 if self.type == "int" else 0,
            "displayLocationInDecimal": False,
            "encrypted": False,
            "externalId": self.external_id,
            "extraTypeInfo": "personname" if self.name_field else None,
            "filterable": self.type != "textarea",
            "filteredLookupInfo": None,
            "formulaTreatNullNumberAsZero": False,
            "groupable": self.type not in ("textarea", "datetime", "multipicklist", *NUMBER_TYPES),
            "highScaleNumber": False,
            "htmlFormatted": False,
            "idLookup": self.id_lookup,
            "inlineHelpText": None,
            "label": self.label,
            "length": length,
            "mask": None,
            "maskType": None,
            "name": self.name,
            "nameField": self.name_field,
            "namePointing": False,
            "nillable": self.nillable,
            "permissionable": self.nillable and not self.required and self.type != "id",
            "picklistValues": [
                {"active": True, "defaultValue": i == 0, "label": v, "validFor": None, "value": v}
                for i, v in enumerate(self.picklist)
            ],
            "polymorphicForeignKey": len(self.reference_to) > 1,
            "precision": (self.precision or 18) if self.type in NUMBER_TYPES else 0,
            "queryByDistance": False,
            "referenceTargetField": None,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "relationshipOrder": 0 if self.cascade_delete else None,
            "restrictedDelete": False,
            "restrictedPicklist": False,
            "scale": (self.scale if self.precision else 2) if self.type in NUMBER_TYPES else 0,
            "searchPrefilterable": self.type == "reference",
            "soapType": SOAP_TYPES[self.type],
            "sortable": self.type not in ("textarea", "multipicklist"),
            "type": self.type,
            "unique": self.unique,
            "updateable": self.updateable,
            "writeRequiresMasterRead": self.cascade_delete,
        }


AUDIT_FIELDS = ("CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp")


@dataclass
class SObjectType:
    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: dict[str, Field] = field(default_factory=dict)
    # Object-level describe keys as recorded (label, supportedScopes, sobjectDescribeOption...).
    recorded: dict = field(default_factory=dict, repr=False)
    # Per lookup field of this type: how it shows in its parent's childRelationships.
    children: dict = field(default_factory=dict, repr=False)
    # The keys of `urls` in a global describe (User has its own: namedLayouts, passwordUtilities).
    url_keys: tuple[str, ...] = ("compactLayouts", "rowTemplate", "approvalLayouts", "listviews",
                                 "describe", "quickActions", "layouts", "sobject")

    def __post_init__(self) -> None:
        self._lower = {name.lower(): f for name, f in self.fields.items()}
        self._compounds: dict[str, list[tuple[str, str]]] | None = None
        self._kinds: dict[str, Any] = {}  # fields by a trait, for every record written

    def add_field(self, f: Field) -> None:
        self.fields[f.name] = f
        self._lower[f.name.lower()] = f
        self._compounds = None
        self._kinds = {}

    def required_fields(self) -> list[Field]:
        if "required" not in self._kinds:
            self._kinds["required"] = [f for f in self.fields.values() if f.required]
        return self._kinds["required"]

    def cache(self, kind: str) -> dict:
        """A cache of what writes derive from the fields (models/write_plan.py), emptied when
        a field is added or removed."""
        return self._kinds.setdefault(kind, {})

    def fields_with_defaults(self) -> list[Field]:
        if "defaults" not in self._kinds:
            self._kinds["defaults"] = [f for f in self.fields.values() if f.default is not None]
        return self._kinds["defaults"]

    def remove_field(self, name: str) -> None:
        f = self.fields.pop(name)
        del self._lower[f.name.lower()]
        self._compounds = None
        self._kinds = {}

    def addresses(self) -> dict[str, list[tuple[str, str]]]:
        """Each compound address field with its parts: `{"MailingAddress": [("city",
        "MailingCity"), ...]}`, keys as the API names them (the part without the prefix)."""
        if self._compounds is None:
            found: dict[str, list[tuple[str, str]]] = {}
            for f in self.fields.values():
                if f.type != "address":
                    continue
                prefix = f.name.removesuffix("Address")
                parts = []
                for part in self.fields.values():
                    if part.compound == f.name:
                        key = part.name.removeprefix(prefix)
                        parts.append((key[:1].lower() + key[1:], part.name))
                found[f.name] = sorted(parts)
            self._compounds = found
        return self._compounds

    def field(self, name: str) -> Field | None:
        """The field named `name`, matched case-insensitively as Salesforce does."""
        return self._lower.get(name.lower())

    def relationship(self, name: str) -> Field | None:
        """The reference field whose relationship name is `name` (e.g. Account -> AccountId)."""
        lowered = name.lower()
        for f in self.fields.values():
            if f.relationship_name and f.relationship_name.lower() == lowered:
                return f
        return None

    def urls(self, version: str) -> dict:
        """The `urls` of a global-describe entry, in the order real orgs send them."""
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {key: URL_TEMPLATES[key].format(base=base) for key in self.url_keys}

    def summary(self, version: str) -> dict:
        """The global-describe entry for this type, keys as a current org sends them."""
        out = {key: self.recorded.get(key, default) for key, default in SUMMARY_DEFAULTS.items()}
        out.update(keyPrefix=self.key_prefix, label=self.label, labelPlural=self.label_plural,
                   name=self.name, urls=self.urls(version))
        return out


URL_TEMPLATES = {
    "compactLayouts": "{base}/describe/compactLayouts", "rowTemplate": "{base}/{{ID}}",
    "approvalLayouts": "{base}/describe/approvalLayouts", "listviews": "{base}/listviews",
    "namedLayouts": "{base}/describe/namedLayouts/{{LayoutName}}",
    "passwordUtilities": "{base}/{{ID}}/password", "describe": "{base}/describe",
    "quickActions": "{base}/quickActions", "layouts": "{base}/describe/layouts", "sobject": "{base}",
}

# The keys of a global-describe entry (a recorded current-version `GET /sobjects`, CumulusCI's
# GET_sobjects_Global_describe.yaml), with a standard object's values where none is recorded.
SUMMARY_DEFAULTS: dict = {
    "activateable": False, "associateEntityType": None, "associateParentEntity": None,
    "createable": True, "custom": False, "customSetting": False, "deepCloneable": False,
    "deletable": True, "deprecatedAndHidden": False, "feedEnabled": True, "hasSubtypes": False,
    "isInterface": False, "isSubtype": False, "keyPrefix": None, "label": None,
    "labelPlural": None, "layoutable": True, "mergeable": False, "mruEnabled": True,
    "name": None, "queryable": True, "replicateable": True, "retrieveable": True,
    "searchable": True, "triggerable": True, "undeletable": True, "updateable": True,
    "urls": None,
}


CATALOGUE = resources.files("sfmock.models") / "catalogue"
STANDARD_TYPES = ("Account", "Contact", "Lead", "User", "Opportunity", "OpportunityContactRole",
                  "Case", "Task", "Event", "Campaign", "CampaignMember", "Individual")


def _catalogue_field(entry: dict, derived_name: bool) -> Field:
    """A standard field from its recorded describe entry (models/catalogue/<type>.json)."""
    kind = entry["type"]
    required = (not entry["nillable"] and entry["createable"] and not entry["defaultedOnCreate"]
                and kind != "boolean")
    default = entry["defaultValue"] if kind == "boolean" else None
    if kind == "picklist" and entry["defaultedOnCreate"]:  # Task.Priority is Normal unless set
        default = next((v["value"] for v in entry["picklistValues"] if v["defaultValue"]), None)
    if kind == "boolean" and default is None and not entry["nillable"]:
        default = False
    return Field(
        entry["name"], entry["label"], kind, entry["length"],
        createable=entry["createable"], updateable=entry["updateable"],
        nillable=entry["nillable"], required=required, default=default,
        reference_to=tuple(entry["referenceTo"]), relationship_name=entry["relationshipName"],
        external_id=entry["externalId"], unique=entry["unique"],
        picklist=tuple(v["value"] for v in entry["picklistValues"]),
        calculated=kind == "address" or (entry["name"] == "Name" and derived_name),
        name_field=entry["nameField"], compound=entry["compoundFieldName"], recorded=entry,
        # An auto-number (Case.CaseNumber) counts up as 00001001 does in a real org.
        auto_number="{00000000}" if entry["autoNumber"] else None,
    )


@functools.cache
def _catalogue(name: str) -> dict:
    """The catalogue file of `name`, parsed once a process (half of an org's start-up before);
    read only: the types built from it copy what an org may change."""
    return json.loads((CATALOGUE / f"{name}.json").read_text(encoding="utf-8"))


def load_catalogue(name: str) -> SObjectType:
    """The standard type `name` as its catalogue records it: fields, object keys, children."""
    data = _catalogue(name)
    entries = data["fields"]
    derived_name = any(e["compoundFieldName"] == "Name" and e["name"] != "Name" for e in entries)
    fields = [_catalogue_field(e, derived_name) for e in entries]
    obj = data["object"]
    return SObjectType(obj["name"], obj["label"], obj["labelPlural"], obj["keyPrefix"],
                       {f.name: f for f in fields}, recorded=obj,
                       children=dict(data["childRelationships"]),
                       **({"url_keys": tuple(data["globalUrls"])} if "globalUrls" in data else {}))


def standard_types() -> dict[str, SObjectType]:
    """Fresh definitions of the standard objects an org starts with."""
    return {name: load_catalogue(name) for name in STANDARD_TYPES}


def custom_field(name: str, label: str, type_: str = "boolean", **options) -> Field:
    """A custom field definition (`custom: true`); `name` must end in `__c`."""
    if not name.endswith("__c"):
        raise ValueError(f"custom field name {name!r} must end in __c")
    defaults = {"boolean": {"nillable": False, "default": False}}.get(type_, {})
    return Field(name, label, type_, options.pop("length", 255 if type_ == "string" else 0),
                 custom=True, **{**defaults, **options})
