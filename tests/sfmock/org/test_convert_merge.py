"""Lead conversion and merges, from the org handle and the admin API."""

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound


@pytest.fixture
def lead(sf):
    return sf.Lead.create({"FirstName": "Grace", "LastName": "Hopper", "Company": "Navy",
                           "Email": "grace@example.com", "HasOptedOutOfEmail": True})["id"]


def error_of(excinfo) -> dict:
    return excinfo.value.content[0]


def test_converted_lead_refuses_updates(org, sf, lead):
    result = org.convert_lead(lead)
    converted = sf.Lead.get(lead)
    assert converted["IsConverted"] is True
    assert converted["ConvertedContactId"] == result["contactId"]
    assert sf.Contact.get(result["contactId"])["HasOptedOutOfEmail"] is True
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Lead.update(lead, {"HasOptedOutOfEmail": False})
    assert failure.value.content == [{"message": "cannot reference converted lead",
                                      "errorCode": "CANNOT_UPDATE_CONVERTED_LEAD", "fields": []}]


def test_convert_endpoint_creates_contact_and_account(admin, sf, lead):
    answer = admin.post(f"/leads/{lead}/convert")
    assert answer.status_code == 200
    result = answer.json()
    assert result["leadId"] == lead and result["success"] is True
    assert result["contactId"].startswith("003") and result["accountId"].startswith("001")
    assert sf.Account.get(result["accountId"])["Name"] == "Navy"


def test_convert_into_an_existing_contact_keeps_its_opt_out(admin, sf, lead):
    contact = sf.Contact.create({"LastName": "Hopper", "Email": "grace@example.com"})["id"]
    result = admin.post(f"/leads/{lead[:15]}/convert", json={"contactId": contact}).json()
    assert result["contactId"] == contact
    assert sf.Contact.get(contact)["HasOptedOutOfEmail"] is False
    assert sf.Lead.get(lead)["ConvertedContactId"] == contact


def test_converting_twice_is_refused(admin, lead):
    admin.post(f"/leads/{lead}/convert")
    again = admin.post(f"/leads/{lead}/convert")
    assert again.status_code == 400 and "already converted" in again.json()[0]["message"]


def test_merge_endpoint_deletes_losers_with_master_record_id(admin, sf):
    master, loser = (sf.Contact.create({"LastName": n})["id"] for n in ("Master", "Loser"))
    answer = admin.post("/merge", json={"masterRecordId": master, "recordIds": [loser]})
    assert answer.json() == {"id": master, "mergedRecordIds": [loser], "updatedRelatedIds": [],
                             "success": True, "errors": []}
    rows = sf.query_all(f"SELECT Id, IsDeleted, MasterRecordId FROM Contact WHERE Id = '{loser}'",
                        include_deleted=True)["records"]
    assert (rows[0]["IsDeleted"], rows[0]["MasterRecordId"]) == (True, master)
    assert sf.query(f"SELECT Id FROM Contact WHERE Id = '{loser}'")["totalSize"] == 0
    with pytest.raises(SalesforceResourceNotFound) as failure:
        sf.Contact.update(loser, {"LastName": "Back"})
    assert error_of(failure)["errorCode"] == "ENTITY_IS_DELETED"


def test_merge_from_the_handle_takes_two_losers(org, sf):
    master, *losers = (sf.Lead.create({"LastName": n, "Company": "X"})["id"] for n in "ABC")
    org.merge("Lead", master, losers)
    assert all(org.get("Lead", i, include_deleted=True)["MasterRecordId"] == master
               for i in losers)


@pytest.mark.parametrize("body, status, message", [
    ({"masterRecordId": "003000000000000AAA"}, 400, "Missing recordIds"),
    ({"masterRecordId": "xyz", "recordIds": []}, 400, "not an ID of a known type"),
    ({"masterRecordId": "003000000000000AAA", "recordIds": "003"}, 400, "list of record IDs"),
])
def test_merge_endpoint_refuses_bad_input(admin, body, status, message):
    answer = admin.post("/merge", json=body)
    assert answer.status_code == status and message in answer.json()[0]["message"]
