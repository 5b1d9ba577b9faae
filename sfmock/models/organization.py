"""The `Organization` sObject: the org's own single record, read by every tool that connects.

The sf CLI runs `SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix,
OrganizationType FROM Organization` after each login. Fields per the Object Reference; none is
writable through the API, and the record can be neither created nor deleted. A production
Developer Edition org: `IsSandbox` false, no trial expiration, no namespace.
"""

from __future__ import annotations

from .schema import Field, SObjectType

INSTANCE_NAME = "NA224"
ORGANIZATION_TYPE = "Developer Edition"


class OrganizationType(SObjectType):
    """Queryable and retrievable, never created, updated or deleted through the API."""

    def summary(self, version: str) -> dict:
        out = super().summary(version)
        for flag in ("activateable", "createable", "deletable", "feedEnabled", "layoutable",
                     "mergeable", "mruEnabled", "searchable", "triggerable", "undeletable",
                     "updateable"):
            out[flag] = False
        return out


def organization_type() -> OrganizationType:
    ro = {"createable": False, "updateable": False}
    text = {"type": "string", **ro}
    fields = [
        Field("Id", "Organization ID", "id", 18, nillable=False, **ro),
        Field("Name", "Name", length=80, nillable=False, name_field=True, **text),
        Field("Division", "Division", length=80, **text),
        Field("Street", "Street", "textarea", 255, **ro),
        Field("City", "City", length=40, **text),
        Field("State", "State/Province", length=80, **text),
        Field("PostalCode", "Zip/Postal Code", length=20, **text),
        Field("Country", "Country", length=80, **text),
        Field("Phone", "Phone", "phone", 40, **ro),
        Field("PrimaryContact", "Primary Contact", length=80, **text),
        Field("DefaultLocaleSidKey", "Locale", "picklist", 40, nillable=False,
              picklist=("en_US",), **ro),
        Field("TimeZoneSidKey", "Default Time Zone", "picklist", 40, nillable=False,
              picklist=("America/Los_Angeles",), **ro),
        Field("LanguageLocaleKey", "Language", "picklist", 40, nillable=False,
              picklist=("en_US",), **ro),
        Field("IsSandbox", "Is Sandbox", "boolean", nillable=False, default=False, **ro),
        Field("InstanceName", "Instance Name", length=5, **text),
        Field("OrganizationType", "Edition", "picklist", 40,
              picklist=("Developer Edition", "Enterprise Edition", "Unlimited Edition"), **ro),
        Field("NamespacePrefix", "Namespace Prefix", length=15, **text),
        Field("TrialExpirationDate", "Trial Expiration Date", "datetime", **ro),
        Field("CreatedDate", "Created Date", "datetime", nillable=False, **ro),
        Field("CreatedById", "Created By ID", "reference", 18, nillable=False,
              reference_to=("User",), relationship_name="CreatedBy", **ro),
        Field("LastModifiedDate", "Last Modified Date", "datetime", nillable=False, **ro),
        Field("LastModifiedById", "Last Modified By ID", "reference", 18, nillable=False,
              reference_to=("User",), relationship_name="LastModifiedBy", **ro),
        Field("SystemModstamp", "System Modstamp", "datetime", nillable=False, **ro),
    ]
    return OrganizationType("Organization", "Organization", "Organizations", "00D",
                            {f.name: f for f in fields})
