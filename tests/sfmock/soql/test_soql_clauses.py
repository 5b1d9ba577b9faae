"""toLabel(), WITH SECURITY_ENFORCED / USER_MODE / SYSTEM_MODE, FOR VIEW / FOR REFERENCE and
aliasing, as the SOQL reference describes them ("toLabel()", "WITH SECURITY_ENFORCED",
"FOR VIEW", "FOR REFERENCE", "Using Aliases with GROUP BY").
"""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock.models.security import HIDDEN


def refused(sf, soql: str) -> dict:
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.query(soql)
    return failure.value.content[0]


def test_tolabel_answers_the_label_under_the_field_name(csf, clocked_org):
    # sfmock's picklist values are their own labels (the org has no translations).
    plain = csf.query("SELECT Id, LeadSource FROM Contact WHERE LeadSource != null "
                      "ORDER BY Id")["records"]
    labelled = csf.query("SELECT Id, toLabel(LeadSource) FROM Contact WHERE "
                         "toLabel(LeadSource) != null ORDER BY Id")["records"]
    assert labelled == plain and list(labelled[0]) == ["attributes", "Id", "LeadSource"]


@pytest.mark.parametrize("mode", ["SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE"])
def test_with_security_modes_are_accepted_after_where(csf, clocked_org, mode):
    every = csf.query("SELECT COUNT() FROM Contact WHERE LastName != null")["totalSize"]
    result = csf.query(f"SELECT COUNT() FROM Contact WHERE LastName != null WITH {mode}")
    assert result["totalSize"] == every


def test_with_security_enforced_still_hides_what_the_user_can_not_read(csf, clocked_org):
    clocked_org.field_security.set("Contact", "Email", HIDDEN)
    error = refused(csf, "SELECT Email FROM Contact WITH SECURITY_ENFORCED")
    assert "No such column 'Email' on entity 'Contact'." in error["message"]


@pytest.mark.parametrize("clause", ["FOR VIEW", "FOR REFERENCE"])
def test_for_view_and_for_reference_are_accepted_at_the_end(csf, clause):
    # They update LastViewedDate / LastReferencedDate, which sfmock's objects do not carry.
    result = csf.query(f"SELECT Id FROM Contact ORDER BY Id LIMIT 2 {clause}")
    assert result["totalSize"] == 2


def test_for_update_is_refused(csf):
    # "FOR UPDATE locking mechanism is only available server-side Apex code, not in API"
    # (jsforce maintainer, jsforce/jsforce#158).
    error = refused(csf, "SELECT Id FROM Contact LIMIT 1 FOR UPDATE")
    assert error["message"].endswith("\nunexpected token: 'UPDATE'")


def test_aliases_belong_to_aggregate_queries(csf):
    # Real orgs: "only aggregate expressions use field aliasing" (quoted by many clients).
    error = refused(csf, "SELECT Id, LastName n FROM Contact")
    assert error["errorCode"] == "MALFORMED_QUERY"
    assert error["message"].endswith("\nonly aggregate expressions use field aliasing")


def test_child_subqueries_take_no_aggregates(csf):
    error = refused(csf, "SELECT Id, (SELECT COUNT(Id) FROM Contacts) FROM Account")
    assert error["message"].endswith("\nonly root queries support aggregate expressions")


def test_format_is_refused_with_the_fix(csf):
    error = refused(csf, "SELECT FORMAT(CreatedDate) FROM Contact")
    assert error["errorCode"] == "MALFORMED_QUERY"
    assert error["message"].endswith(
        "\nsfmock does not implement FORMAT(): select the field itself and format it in the "
        "client")


def test_having_needs_an_aggregate_query(csf):
    error = refused(csf, "SELECT Id FROM Contact HAVING LastName = 'x'")
    assert error["message"].endswith("\nHAVING needs a GROUP BY or aggregate query")
