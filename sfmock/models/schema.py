"""sObject types and their fields, with Salesforce's describe shapes."""

from __future__ import annotations

from dataclasses import dataclass, field

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
}
TEXT_TYPES = {"id", "reference", "string", "email", "phone", "url", "textarea", "picklist"}


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
    calculated: bool = False
    name_field: bool = False

    @property
    def sql_type(self) -> type:
        return {"boolean": int, "int": int, "double": float}.get(self.type, str)

    def describe(self) -> dict:
        """The field entry of an sObject describe, every key present as Salesforce sends it."""
        text = self.type in TEXT_TYPES
        length = self.length if text else 0
        byte_length = 18 if self.type in ("id", "reference") else length * 3
        return {
            "aggregatable": self.type not in ("textarea", "boolean"),
            "autoNumber": False,
            "byteLength": byte_length,
            "calculated": self.calculated,
            "calculatedFormula": None,
            "cascadeDelete": False,
            "caseSensitive": False,
            "compoundFieldName": "Name" if self.name in ("FirstName", "LastName") else None,
            "controllerName": None,
            "createable": self.createable,
            "custom": self.custom,
            "defaultValue": self.default if self.type == "boolean" else None,
            "defaultValueFormula": None,
            "defaultedOnCreate": self.type == "boolean" or self.name in AUDIT_FIELDS,
            "dependentPicklist": False,
            "deprecatedAndHidden": False,
            "digits": 9 if self.type == "int" else 0,
            "displayLocationInDecimal": False,
            "encrypted": False,
            "externalId": self.external_id,
            "extraTypeInfo": "personname" if self.name_field else None,
            "filterable": self.type != "textarea",
            "filteredLookupInfo": None,
            "groupable": self.type not in ("textarea", "datetime", "double"),
            "highScaleNumber": False,
            "htmlFormatted": False,
            "idLookup": self.type == "id" or self.external_id or self.type == "email",
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
            "precision": 18 if self.type == "double" else 0,
            "queryByDistance": False,
            "referenceTargetField": None,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "relationshipOrder": None,
            "restrictedDelete": False,
            "restrictedPicklist": False,
            "scale": 2 if self.type == "double" else 0,
            "soapType": SOAP_TYPES[self.type],
            "sortable": self.type != "textarea",
            "type": self.type,
            "unique": self.unique,
            "updateable": self.updateable,
            "writeRequiresMasterRead": False,
        }


AUDIT_FIELDS = ("CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp")


@dataclass
class SObjectType:
    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: dict[str, Field] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lower = {name.lower(): f for name, f in self.fields.items()}

    def add_field(self, f: Field) -> None:
        self.fields[f.name] = f
        self._lower[f.name.lower()] = f

    def remove_field(self, name: str) -> None:
        f = self.fields.pop(name)
        del self._lower[f.name.lower()]

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
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {
            "compactLayouts": f"{base}/describe/compactLayouts",
            "rowTemplate": f"{base}/{{ID}}",
            "defaultValues": f"{base}/defaultValues?recordTypeId&fields",
            "describe": f"{base}/describe",
            "sobject": base,
            "layouts": f"{base}/describe/layouts",
        }

    def summary(self, version: str) -> dict:
        """The global-describe entry for this type."""
        return {
            "activateable": False,
            "createable": True,
            "custom": False,
            "customSetting": False,
            "deletable": True,
            "deprecatedAndHidden": False,
            "feedEnabled": True,
            "hasSubtypes": False,
            "isSubtype": False,
            "keyPrefix": self.key_prefix,
            "label": self.label,
            "labelPlural": self.label_plural,
            "layoutable": True,
            "mergeable": self.name in ("Account", "Contact", "Lead"),
            "mruEnabled": True,
            "name": self.name,
            "queryable": True,
            "replicateable": True,
            "retrieveable": True,
            "searchable": True,
            "triggerable": True,
            "undeletable": True,
            "updateable": True,
            "urls": self.urls(version),
        }


def _audit_fields(type_name: str, with_master: bool = True, with_owner: bool = True) -> list[Field]:
    ro = {"createable": False, "updateable": False}
    fields = [
        Field("Id", f"{type_name} ID", "id", 18, nillable=False, **ro),
        Field("IsDeleted", "Deleted", "boolean", nillable=False, default=False, **ro),
    ]
    if with_master:
        fields.append(Field("MasterRecordId", "Master Record ID", "reference", 18,
                            reference_to=(type_name,), relationship_name="MasterRecord", **ro))
    if with_owner:
        fields.append(
            Field("OwnerId", "Owner ID", "reference", 18, nillable=False,
                  reference_to=("User",), relationship_name="Owner")
        )
    fields += [
        Field("CreatedDate", "Created Date", "datetime", nillable=False, **ro),
        Field("CreatedById", "Created By ID", "reference", 18, nillable=False,
              reference_to=("User",), relationship_name="CreatedBy", **ro),
        Field("LastModifiedDate", "Last Modified Date", "datetime", nillable=False, **ro),
        Field("LastModifiedById", "Last Modified By ID", "reference", 18, nillable=False,
              reference_to=("User",), relationship_name="LastModifiedBy", **ro),
        Field("SystemModstamp", "System Modstamp", "datetime", nillable=False, **ro),
    ]
    return fields


def _person_fields() -> list[Field]:
    return [
        Field("FirstName", "First Name", "string", 40),
        Field("LastName", "Last Name", "string", 80, nillable=False, required=True),
        Field("Name", "Full Name", "string", 121, createable=False, updateable=False,
              calculated=True, name_field=True),
        Field("Title", "Title", "string", 128),
        Field("Email", "Email", "email", 80),
        Field("Phone", "Phone", "phone", 40),
        Field("LeadSource", "Lead Source", "picklist", 255,
              picklist=("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")),
        Field("HasOptedOutOfEmail", "Email Opt Out", "boolean", nillable=False, default=False),
        Field("HasOptedOutOfFax", "Fax Opt Out", "boolean", nillable=False, default=False),
        Field("DoNotCall", "Do Not Call", "boolean", nillable=False, default=False),
    ]


def _type(name: str, label: str, plural: str, prefix: str, fields: list[Field]) -> SObjectType:
    return SObjectType(name, label, plural, prefix, {f.name: f for f in fields})


def standard_types() -> dict[str, SObjectType]:
    """Fresh definitions of the standard objects an org starts with."""
    ro = {"createable": False, "updateable": False}
    account = _type("Account", "Account", "Accounts", "001", _audit_fields("Account") + [
        Field("Name", "Account Name", "string", 255, nillable=False, required=True, name_field=True),
        Field("Industry", "Industry", "picklist", 255,
              picklist=("Technology", "Finance", "Healthcare", "Manufacturing", "Retail", "Other")),
        Field("Phone", "Account Phone", "phone", 40),
        Field("Website", "Website", "url", 255),
        Field("BillingCity", "Billing City", "string", 40),
        Field("BillingCountry", "Billing Country", "string", 80),
    ])
    contact = _type("Contact", "Contact", "Contacts", "003", _audit_fields("Contact") + [
        Field("AccountId", "Account ID", "reference", 18, reference_to=("Account",),
              relationship_name="Account"),
        *_person_fields(),
    ])
    lead = _type("Lead", "Lead", "Leads", "00Q", _audit_fields("Lead") + [
        *_person_fields(),
        Field("Company", "Company", "string", 255, nillable=False, required=True),
        Field("Status", "Lead Status", "picklist", 255, nillable=False,
              picklist=("Open - Not Contacted", "Working - Contacted", "Closed - Converted",
                        "Closed - Not Converted")),
        Field("IsConverted", "Converted", "boolean", nillable=False, default=False, **ro),
        Field("ConvertedDate", "Converted Date", "date", **ro),
        Field("ConvertedAccountId", "Converted Account ID", "reference", 18,
              reference_to=("Account",), relationship_name="ConvertedAccount", **ro),
        Field("ConvertedContactId", "Converted Contact ID", "reference", 18,
              reference_to=("Contact",), relationship_name="ConvertedContact", **ro),
    ])
    user = _type("User", "User", "Users", "005", _audit_fields("User", with_master=False, with_owner=False) + [
        Field("Username", "Username", "string", 80, nillable=False, required=True, unique=True),
        Field("FirstName", "First Name", "string", 40),
        Field("LastName", "Last Name", "string", 80, nillable=False, required=True),
        Field("Name", "Full Name", "string", 121, calculated=True, name_field=True, **ro),
        Field("Email", "Email", "email", 128, nillable=False, required=True),
        Field("Alias", "Alias", "string", 8),
        Field("IsActive", "Active", "boolean", nillable=False, default=True),
        Field("TimeZoneSidKey", "Time Zone", "picklist", 40,
              picklist=("America/Los_Angeles", "America/New_York", "Europe/London", "GMT")),
    ])

    return {t.name: t for t in (account, contact, lead, user)}


def custom_field(name: str, label: str, type_: str = "boolean", **options) -> Field:
    """A custom field definition (`custom: true`); `name` must end in `__c`."""
    if not name.endswith("__c"):
        raise ValueError(f"custom field name {name!r} must end in __c")
    defaults = {"boolean": {"nillable": False, "default": False}}.get(type_, {})
    return Field(name, label, type_, options.pop("length", 255 if type_ == "string" else 0),
                 custom=True, **{**defaults, **options})
