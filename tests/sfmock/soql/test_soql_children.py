"""Parent-to-child subqueries, as the SOQL reference describes them ("Using Relationship
Queries"): `SELECT Name, (SELECT LastName FROM Contacts) FROM Account` nests each parent's
children as `{totalSize, done, records}`, or null when it has none, under the child
relationship name.
"""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock.models.schema import custom_field


def by_account(org) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in org.records("Contact"):
        if row["AccountId"] and not row["IsDeleted"]:
            out.setdefault(row["AccountId"], []).append(row)
    return out


def test_each_parent_nests_its_children_under_the_relationship_name(clocked_org, csf):
    expected = by_account(clocked_org)
    result = csf.query_all("SELECT Id, Name, (SELECT Id, LastName FROM Contacts) FROM Account")
    assert result["totalSize"] == clocked_org.count("Account")
    for account in result["records"]:
        assert list(account) == ["attributes", "Id", "Name", "Contacts"]
        kids = expected.get(account["Id"], [])
        if not kids:
            assert account["Contacts"] is None
            continue
        nested = account["Contacts"]
        assert list(nested) == ["totalSize", "done", "records"]
        assert nested["totalSize"] == len(kids) and nested["done"] is True
        assert {r["Id"] for r in nested["records"]} == {r["Id"] for r in kids}
        first = nested["records"][0]
        assert list(first) == ["attributes", "Id", "LastName"]
        assert first["attributes"] == {
            "type": "Contact", "url": f"/services/data/v59.0/sobjects/Contact/{first['Id']}"}


def test_a_parent_without_children_gets_null(csf):
    lonely = csf.Account.create({"Name": "Lonely Co"})["id"]
    record = csf.query(f"SELECT Name, (SELECT Id FROM Contacts) FROM Account "
                       f"WHERE Id = '{lonely}'")["records"][0]
    assert record == {"attributes": record["attributes"], "Name": "Lonely Co", "Contacts": None}


def test_subqueries_filter_sort_and_limit_per_parent(clocked_org, csf):
    account = csf.Account.create({"Name": "Order Co"})["id"]
    for name, opted in (("Cole", True), ("Abel", False), ("Baker", True), ("Dunn", True)):
        csf.Contact.create({"LastName": name, "AccountId": account, "HasOptedOutOfEmail": opted})
    record = csf.query(
        "SELECT Name, (SELECT LastName, Account.Name FROM Contacts WHERE HasOptedOutOfEmail = true "
        f"ORDER BY LastName DESC LIMIT 2) FROM Account WHERE Id = '{account}'")["records"][0]
    nested = record["Contacts"]
    assert nested["totalSize"] == 2
    assert [r["LastName"] for r in nested["records"]] == ["Dunn", "Cole"]
    assert nested["records"][0]["Account"]["Name"] == "Order Co"


def test_deleted_children_only_in_query_all(clocked_org, csf):
    account = csf.Account.create({"Name": "Deleting Co"})["id"]
    kept = csf.Contact.create({"LastName": "Kept", "AccountId": account})["id"]
    gone = csf.Contact.create({"LastName": "Gone", "AccountId": account})["id"]
    csf.Contact.delete(gone)
    soql = f"SELECT (SELECT Id FROM Contacts) FROM Account WHERE Id = '{account}'"
    live = csf.query(soql)["records"][0]["Contacts"]["records"]
    every = csf.query_all(soql, include_deleted=True)["records"][0]["Contacts"]["records"]
    assert [r["Id"] for r in live] == [kept]
    assert {r["Id"] for r in every} == {kept, gone}


def test_children_ride_along_on_every_page(clocked_org, csf):
    for i in range(250):
        account = clocked_org.insert("Account", {"Name": f"Paged {i:03d}"})
        if i % 3 == 0:
            clocked_org.insert("Contact", {"LastName": f"Child {i}", "AccountId": account})
    expected = by_account(clocked_org)
    first = csf.query("SELECT Id, (SELECT Id FROM Contacts) FROM Account",
                      headers={"Sforce-Query-Options": "batchSize=200"})
    assert first["done"] is False and len(first["records"]) == 200
    result = csf.query_all("SELECT Id, (SELECT Id FROM Contacts) FROM Account",
                           headers={"Sforce-Query-Options": "batchSize=200"})
    assert len(result["records"]) == clocked_org.count("Account")
    for account in result["records"]:
        nested = account["Contacts"]
        assert (nested or {"totalSize": 0})["totalSize"] == len(expected.get(account["Id"], []))


def test_a_custom_lookup_makes_a_child_relationship(clocked_org, csf):
    # A custom lookup's child relationship defaults to the child's plural label plus __r.
    clocked_org.add_custom_field("Contact", custom_field(
        "Referrer__c", "Referrer", "reference", length=18, reference_to=("Account",),
        relationship_name="Referrer__r"))
    account = csf.Account.create({"Name": "Referring Co"})["id"]
    referred = csf.Contact.create({"LastName": "Referred", "Referrer__c": account})["id"]
    record = csf.query("SELECT Name, (SELECT Id FROM Contacts__r), (SELECT Id FROM Contacts) "
                       f"FROM Account WHERE Id = '{account}'")["records"][0]
    assert [r["Id"] for r in record["Contacts__r"]["records"]] == [referred]
    assert record["Contacts"] is None


def test_an_unknown_child_relationship_is_invalid_type(csf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT Id, (SELECT Id FROM Shipments) FROM Account")
    error = failure.value.content[0]
    assert error["errorCode"] == "INVALID_TYPE"
    assert error["message"] == (
        "\nSELECT Id, (SELECT Id FROM Shipments) FROM Account\n" + " " * 27 + "^\n"
        "ERROR at Row:1:Column:28\nDidn't understand relationship 'Shipments' in FROM part "
        "of query call. If you are attempting to use a custom relationship, be sure to append "
        "the '__r' after the custom relationship name. Please reference your WSDL or the "
        "describe call for the appropriate names.")


def test_bulk_query_jobs_refuse_child_subqueries(csf):
    # Bulk API 2.0 query jobs take no parent-to-child subqueries (shared API reference, 2.10).
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.restful("jobs/query", method="POST", json={
            "operation": "query", "query": "SELECT Id, (SELECT Id FROM Contacts) FROM Account"})
    assert failure.value.content[0]["errorCode"] == "API_ERROR"
    assert "Parent-to-child subqueries and TYPEOF are not supported" in failure.value.content[0]["message"]
