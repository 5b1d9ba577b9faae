"""TYPEOF, as the SOQL reference describes it ("TYPEOF"): on a polymorphic relationship field,
each WHEN names a referenced type and the fields to return for it, ELSE the fields for the
others. sfmock's standard objects have no polymorphic field yet, so these tests define one.
"""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock.models.schema import custom_field


@pytest.fixture
def sources(clocked_org, csf) -> dict[str, str]:
    clocked_org.add_custom_field("Contact", custom_field(
        "Source__c", "Source", "reference", length=18, reference_to=("Account", "Lead"),
        relationship_name="Source__r"))
    account = csf.Account.create({"Name": "Source Account", "Industry": "Retail"})["id"]
    lead = csf.Lead.create({"LastName": "Source", "Company": "Lead Co",
                            "Email": "lead@source.io"})["id"]
    return {
        "account": account, "lead": lead,
        "by_account": csf.Contact.create({"LastName": "ByAccount", "Source__c": account})["id"],
        "by_lead": csf.Contact.create({"LastName": "ByLead", "Source__c": lead})["id"],
        "none": csf.Contact.create({"LastName": "NoSource"})["id"],
    }


def by_name(sf, soql: str) -> dict[str, dict]:
    return {r["LastName"]: r for r in sf.query(soql)["records"]}


def test_each_when_shapes_its_own_type(csf, sources):
    found = by_name(csf, "SELECT LastName, TYPEOF Source__r WHEN Account THEN Name, Industry "
                         "WHEN Lead THEN Company, Email END FROM Contact "
                         "WHERE LastName IN ('ByAccount', 'ByLead', 'NoSource')")
    account = found["ByAccount"]["Source__r"]
    assert account == {"attributes": {
        "type": "Account", "url": f"/services/data/v59.0/sobjects/Account/{sources['account']}"},
        "Name": "Source Account", "Industry": "Retail"}
    lead = found["ByLead"]["Source__r"]
    assert lead["attributes"]["type"] == "Lead"
    assert {k: lead[k] for k in ("Company", "Email")} == {"Company": "Lead Co",
                                                          "Email": "lead@source.io"}
    assert found["NoSource"]["Source__r"] is None
    assert list(found["ByLead"]) == ["attributes", "LastName", "Source__r"]


def test_else_covers_the_other_types(csf, sources):
    found = by_name(csf, "SELECT LastName, TYPEOF Source__r WHEN Account THEN Name "
                         "ELSE Email END FROM Contact WHERE Source__c != null")
    assert found["ByLead"]["Source__r"]["Email"] == "lead@source.io"
    assert list(found["ByAccount"]["Source__r"]) == ["attributes", "Name"]


def test_typeof_on_a_lookup_to_one_type_is_refused(csf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT TYPEOF Account WHEN Account THEN Name END FROM Contact")
    assert failure.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    assert failure.value.content[0]["message"].endswith(
        "TYPEOF can only be used with a polymorphic relationship field; Account always "
        "references Account: select Account.field instead")


def test_a_when_type_the_field_can_not_reference_is_refused(csf, sources):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT TYPEOF Source__r WHEN User THEN Name END FROM Contact")
    assert failure.value.content[0]["message"].endswith(
        "\nUser is not a type that Source__r can reference")
