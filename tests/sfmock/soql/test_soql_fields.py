"""FIELDS(ALL | STANDARD | CUSTOM), as the SOQL reference's FIELDS() page describes it: the
field groups, field-level security, duplicates, and the LIMIT of at most 200 that FIELDS(ALL)
and FIELDS(CUSTOM) need ("The SOQL FIELDS function must have a LIMIT of at most 200",
MALFORMED_QUERY, as clients quote real orgs).
"""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock.models.schema import custom_field
from sfmock.models.security import HIDDEN


@pytest.fixture
def with_custom(clocked_org):
    clocked_org.add_custom_field("Contact", custom_field("Tier__c", "Tier", "string"))
    return clocked_org


def keys(sf, soql: str) -> list[str]:
    return [k for k in sf.query(soql)["records"][0] if k != "attributes"]


def test_standard_custom_and_all_select_their_groups_in_schema_order(with_custom, csf):
    fields = list(with_custom.sobject("Contact").fields.values())
    standard = [f.name for f in fields if not f.custom]
    custom = [f.name for f in fields if f.custom]
    assert "Tier__c" in custom
    assert keys(csf, "SELECT FIELDS(STANDARD) FROM Contact") == standard
    assert keys(csf, "SELECT FIELDS(CUSTOM) FROM Contact LIMIT 200") == custom
    assert keys(csf, "SELECT FIELDS(ALL) FROM Contact LIMIT 1") == standard + custom


def test_fields_mix_with_named_fields_and_parents(with_custom, csf):
    custom = [f.name for f in with_custom.sobject("Contact").fields.values() if f.custom]
    assert keys(csf, "SELECT Account.Name, FIELDS(CUSTOM) FROM Contact "
                     "WHERE AccountId != null LIMIT 5") == ["Account", *custom]


@pytest.mark.parametrize("soql", [
    "SELECT FIELDS(ALL) FROM Contact",
    "SELECT FIELDS(CUSTOM) FROM Contact",
    "SELECT FIELDS(ALL) FROM Contact LIMIT 201",
])
def test_all_and_custom_need_a_limit_of_at_most_200(csf, soql):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query(soql)
    assert failure.value.content == [{
        "message": "The SOQL FIELDS function must have a LIMIT of at most 200",
        "errorCode": "MALFORMED_QUERY"}]


def test_a_field_named_twice_is_a_duplicate(csf):
    # The reference's own example: SELECT Id, FIELDS(ALL) FROM User LIMIT 200.
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT Id, FIELDS(ALL) FROM User LIMIT 200")
    assert failure.value.content == [{"message": "duplicate field selected: Id",
                                       "errorCode": "INVALID_FIELD"}]


def test_fields_hidden_by_field_level_security_are_left_out(clocked_org, csf):
    clocked_org.field_security.set("Contact", "Email", HIDDEN)
    assert "Email" not in keys(csf, "SELECT FIELDS(STANDARD) FROM Contact")
