"""Semi-joins (`Id IN (SELECT ...)`) and anti-joins (`NOT IN`), as the SOQL reference describes
them ("Comparison Operators": semi-joins and anti-joins on ID and reference fields) with its
restrictions (one Id or reference field of the same object type, another object, no COUNT,
ORDER BY or LIMIT, no nesting, at most two, no OR or NOT around them); the wording of the
id-field rule is a real org's (recorded below), the others are sfmock's.
"""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest


def ids_of(result: dict) -> set[str]:
    return {r["Id"] for r in result["records"]}


def refused(sf, soql: str) -> dict:
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.query(soql)
    return failure.value.content[0]


def live(org, type_name: str) -> list[dict]:
    return [r for r in org.records(type_name) if not r["IsDeleted"]]


def test_parent_to_child_semi_join(clocked_org, csf):
    opted = {r["AccountId"] for r in live(clocked_org, "Contact")
             if r["HasOptedOutOfEmail"] and r["AccountId"]}
    found = csf.query_all("SELECT Id FROM Account WHERE Id IN "
                          "(SELECT AccountId FROM Contact WHERE HasOptedOutOfEmail = true)")
    assert ids_of(found) == opted and opted


def test_anti_join_keeps_the_rest(clocked_org, csf):
    lonely = csf.Account.create({"Name": "No Contacts"})["id"]
    with_contacts = {r["AccountId"] for r in live(clocked_org, "Contact") if r["AccountId"]}
    found = csf.query_all("SELECT Id FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact)")
    assert ids_of(found) == {r["Id"] for r in live(clocked_org, "Account")} - with_contacts
    assert lonely in ids_of(found)


def test_a_reference_field_joins_child_to_parent_and_deleted_rows_do_not_count(clocked_org, csf):
    account = csf.Account.create({"Name": "Joined Co"})["id"]
    contact = csf.Contact.create({"LastName": "Joined", "AccountId": account})["id"]
    soql = ("SELECT Id FROM Contact WHERE AccountId IN "
            "(SELECT Id FROM Account WHERE Name = 'Joined Co')")
    assert ids_of(csf.query(soql)) == {contact}
    csf.Account.delete(account)
    assert ids_of(csf.query(soql)) == set()


def test_semi_joins_combine_with_and_and_other_filters(clocked_org, csf):
    found = csf.query_all(
        "SELECT Id FROM Account WHERE Name != null AND Id IN (SELECT AccountId FROM Contact) "
        "AND Id NOT IN (SELECT AccountId FROM Contact WHERE HasOptedOutOfEmail = true)")
    people = live(clocked_org, "Contact")
    with_any = {r["AccountId"] for r in people if r["AccountId"]}
    with_opted = {r["AccountId"] for r in people if r["AccountId"] and r["HasOptedOutOfEmail"]}
    assert ids_of(found) == with_any - with_opted


def test_the_subquery_must_select_an_id_field(csf):
    # A real org: "semi join sub selects can only query id fields, cannot use:
    # 'ACCT_OWNER_ID__c'" (a public paste of the error).
    error = refused(csf, "SELECT Id FROM Account WHERE Id IN (SELECT Email FROM Contact)")
    assert error["errorCode"] == "MALFORMED_QUERY"
    assert error["message"].endswith(
        "\nsemi join sub selects can only query id fields, cannot use: 'Email'")


@pytest.mark.parametrize(("soql", "message"), [
    ("SELECT Id FROM Account WHERE Name = 'x' OR Id IN (SELECT AccountId FROM Contact)",
     "Semi join sub-selects are not allowed with the 'OR' operator"),
    ("SELECT Id FROM Contact WHERE Id IN (SELECT Id FROM Contact)",
     "The inner and outer selects should not be on the same object type"),
    ("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE OwnerId IN "
     "(SELECT Id FROM User))", "Nesting of semi join sub-selects is not supported"),
    ("SELECT Id FROM Account WHERE NOT Id IN (SELECT AccountId FROM Contact)",
     "Semi join sub-selects can not be negated with NOT: use NOT IN"),
    ("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact LIMIT 5)",
     "COUNT, ORDER BY, LIMIT and OFFSET are not supported in semi join sub-selects"),
    ("SELECT Id FROM Account WHERE Id IN (SELECT OwnerId FROM Contact)",
     "semi join sub select field OwnerId does not reference the same object type as Id"),
    ("SELECT Id FROM Lead WHERE ConvertedAccountId IN (SELECT Account.Id FROM Contact)",
     "semi join sub selects can only query id fields, cannot use: 'Account.Id'"),
    ("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact) AND Id IN "
     "(SELECT ConvertedAccountId FROM Lead) AND Id NOT IN (SELECT AccountId FROM Contact)",
     "No more than 2 semi join or anti join sub-selects are allowed in a WHERE clause"),
])
def test_restrictions(csf, soql, message):
    error = refused(csf, soql)
    assert error["errorCode"] == "MALFORMED_QUERY"
    assert error["message"].endswith("\n" + message)
