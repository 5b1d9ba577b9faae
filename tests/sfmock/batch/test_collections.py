"""sObject Collections through unmodified simple-salesforce (`sf.restful`), both front doors."""

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from sfmock import ids, mock_salesforce
from sfmock.testing import PASSWORD, TOKEN, USERNAME

ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was "
               "using AllOrNone header",
    "fields": [],
}


def contact(**fields) -> dict:
    return {"attributes": {"type": "Contact"}, **fields}


def post(sf, records, all_or_none=False):
    return sf.restful("composite/sobjects", method="POST",
                      json={"allOrNone": all_or_none, "records": records})


def patch(sf, records, all_or_none=False):
    return sf.restful("composite/sobjects", method="PATCH",
                      json={"allOrNone": all_or_none, "records": records})


def live_ids(org, n=3) -> list[str]:
    return [row["Id"] for row in org.records("Contact")][:n]


def test_create_answers_each_record_in_request_order(sf, org):
    results = post(sf, [
        contact(LastName="First"),
        {"attributes": {"type": "Lead"}, "LastName": "Lead", "Company": "Acme"},
        contact(FirstName="No last name"),
        contact(LastName="Last", Email="last@example.com"),
    ])
    assert [r["success"] for r in results] == [True, True, False, True]
    assert results[0]["id"].startswith("003") and len(results[0]["id"]) == 18
    assert results[1]["id"].startswith("00Q")
    assert results[2] == {"success": False, "errors": [{
        "statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: "
        "[LastName]", "fields": ["LastName"]}]}
    assert list(results[0]) == ["id", "success", "errors"]
    assert org.get("Contact", results[3]["id"])["Email"] == "last@example.com"


def test_create_all_or_none_rolls_everything_back(sf, org):
    before = org.count("Contact")
    results = post(sf, [contact(LastName="Kept?"), contact(Email="not-an-email"),
                        contact(LastName="Also kept?")], all_or_none=True)
    assert results[0] == {"success": False, "errors": [ROLLED_BACK]}
    assert results[2] == {"success": False, "errors": [ROLLED_BACK]}
    assert results[1]["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
    assert org.count("Contact") == before
    assert not any(row["LastName"] in ("Kept?", "Also kept?")
                   for row in org.records("Contact", include_deleted=True))


def test_all_or_none_rollback_restores_updated_values_in_a_file_backed_org(tmp_path):
    with mock_salesforce(db_path=tmp_path / "org.db") as org:
        sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
        first, second = live_ids(org, 2)
        results = patch(sf, [contact(id=first, LastName="Changed"),
                             contact(id=second, Email="broken")], all_or_none=True)
        assert results[0] == {"id": first, "success": False, "errors": [ROLLED_BACK]}
        assert org.get("Contact", first)["LastName"] != "Changed"
        assert not org.db.conn.in_transaction
        # and nothing half-done was left for a later commit to pick up
        sf.Contact.update(second, {"Title": "Later"})
    from sfmock import Org

    reopened = Org(tmp_path / "org.db")
    assert reopened.get("Contact", first)["LastName"] != "Changed"
    assert reopened.get("Contact", second)["Title"] == "Later"


def test_create_refuses_an_id(sf):
    results = post(sf, [contact(LastName="X", Id="003000000000000AAA")])
    assert results == [{"success": False, "errors": [{
        "statusCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
        "message": "cannot specify Id in an insert call", "fields": ["Id"]}]}]


def test_two_hundred_records_is_the_cap(sf, org):
    before = org.count("Contact")
    assert all(r["success"] for r in post(sf, [contact(LastName=f"N{i}") for i in range(200)]))
    assert org.count("Contact") == before + 200
    with pytest.raises(SalesforceMalformedRequest) as caught:
        post(sf, [contact(LastName=f"M{i}") for i in range(201)])
    assert caught.value.content == [{
        "message": "record limit reached. cannot submit more than 200 records into this call",
        "errorCode": "EXCEEDED_ID_LIMIT"}]
    assert org.count("Contact") == before + 200


def test_every_record_needs_a_known_attributes_type(sf, org):
    before = org.count("Contact")
    with pytest.raises(SalesforceMalformedRequest) as caught:
        post(sf, [contact(LastName="Fine"), {"LastName": "Typeless"}])
    error = caught.value.content[0]
    assert error["errorCode"] == "JSON_PARSER_ERROR"
    assert "Record 1 has no attributes.type" in error["message"]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        post(sf, [{"attributes": {"type": "Contactz"}, "LastName": "X"}])
    assert caught.value.content[0]["errorCode"] == "INVALID_TYPE"
    assert org.count("Contact") == before


def test_update_reports_missing_ids_and_locked_rows_per_record(sf, org):
    first, second, third = live_ids(org)
    org.rules.lock(third)
    results = patch(sf, [contact(id=first, HasOptedOutOfEmail=True),
                         contact(HasOptedOutOfEmail=True),
                         contact(id=third, HasOptedOutOfEmail=True),
                         contact(id=second[:15], Title="Short id")])
    assert results[0] == {"id": first, "success": True, "errors": []}
    assert results[1] == {"success": False, "errors": [{
        "statusCode": "MISSING_ARGUMENT", "message": "Id not specified in an update call",
        "fields": []}]}
    assert results[2]["id"] == third
    assert results[2]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"
    assert results[3] == {"id": second, "success": True, "errors": []}
    assert org.get("Contact", first)["HasOptedOutOfEmail"] == 1
    assert org.get("Contact", third)["HasOptedOutOfEmail"] == 0


def test_delete_by_ids_with_and_without_all_or_none(sf, org):
    first, second, third = live_ids(org)
    results = sf.restful("composite/sobjects", method="DELETE",
                         params={"ids": f"{first},{first}", "allOrNone": "false"})
    assert results[0] == {"id": first, "success": True, "errors": []}
    assert results[1] == {"id": first, "success": False, "errors": [{
        "statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}]}
    results = sf.restful("composite/sobjects", method="DELETE",
                         params={"ids": f"{second},{first},{third}", "allOrNone": "true"})
    assert results[0] == {"id": second, "success": False, "errors": [ROLLED_BACK]}
    assert results[1]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"
    assert not org.get("Contact", second)["IsDeleted"]
    assert not org.get("Contact", third)["IsDeleted"]


def test_retrieve_by_get_and_post_keeps_order_and_nulls(sf, org):
    first, second = live_ids(org, 2)
    missing = ids.make_id("003", org.meta["pod"], 999_999)
    got = sf.restful("composite/sobjects/Contact", params={
        "ids": f"{second},{missing},{first}", "fields": "Id,email,HasOptedOutOfEmail"})
    assert [r and r["Id"] for r in got] == [second, None, first]
    assert list(got[0]) == ["attributes", "Id", "Email", "HasOptedOutOfEmail"]
    assert got[0]["attributes"]["type"] == "Contact"
    posted = sf.restful("composite/sobjects/Contact", method="POST",
                        json={"ids": [first], "fields": ["LastName"]})
    assert posted[0]["LastName"] == org.get("Contact", first)["LastName"]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful("composite/sobjects/Contact", params={"ids": first, "fields": "Nope__c"})
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_upsert_by_external_id_creates_and_updates(sf, ext_org):
    org = ext_org
    existing = live_ids(org, 1)[0]
    org.update("Contact", existing, {"Ext_Id__c": "EXT-1"})
    results = sf.restful("composite/sobjects/Contact/Ext_Id__c", method="PATCH", json={
        "allOrNone": False, "records": [
            contact(Ext_Id__c="EXT-1", Title="Updated"),
            contact(Ext_Id__c="EXT-2", LastName="Brand New"),
            contact(LastName="No key"),
            contact(Ext_Id__c="dup", LastName="A"),
            contact(Ext_Id__c="DUP", LastName="B"),
        ]})
    assert results[0] == {"id": existing, "success": True, "errors": [], "created": False}
    assert results[1]["created"] is True and results[1]["success"] is True
    assert org.get("Contact", results[1]["id"])["Ext_Id__c"] == "EXT-2"
    assert results[2]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert [r["errors"][0]["statusCode"] for r in results[3:]] == ["DUPLICATE_EXTERNAL_ID"] * 2
    assert org.get("Contact", existing)["Title"] == "Updated"


def test_upsert_on_a_field_that_is_not_an_external_id_is_refused(sf):
    # Email would do: it is described idLookup (tests/parity/test_upsert.py); LastName is not.
    with pytest.raises(SalesforceResourceNotFound):
        sf.restful("composite/sobjects/Contact/LastName", method="PATCH",
                   json={"records": [contact(Email="a@example.com", LastName="A")]})


def test_one_collection_call_is_one_api_call(sf, org):
    used_before, _ = org.api_usage()
    post(sf, [contact(LastName=f"C{i}") for i in range(50)])
    assert org.api_usage()[0] == used_before + 1


def test_collections_over_https(server, server_sf):
    created = post(server_sf, [contact(LastName="Over TLS"), contact(Email="bad")])
    assert created[0]["success"] and not created[1]["success"]
    updated = patch(server_sf, [contact(id=created[0]["id"], HasOptedOutOfEmail=True)],
                    all_or_none=True)
    assert updated == [{"id": created[0]["id"], "success": True, "errors": []}]
    assert server.org.get("Contact", created[0]["id"])["HasOptedOutOfEmail"] == 1
