"""Single-record REST: create, get, update, delete and upsert, with Salesforce's errors."""

import pytest
import requests
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

from sfmock import ids


@pytest.fixture
def contact(sf):
    return sf.Contact.create({"FirstName": "Ada", "LastName": "Lovelace",
                              "Email": "ada@example.com"})["id"]


def error_of(excinfo) -> dict:
    return excinfo.value.content[0]


def test_create_answers_201_with_an_18_char_id(sf, contact):
    assert len(contact) == 18 and contact.startswith("003")
    assert ids.normalise(contact) == contact


def test_get_returns_attributes_then_every_field(sf, contact):
    record = sf.Contact.get(contact)
    assert list(record)[0] == "attributes"
    assert record["attributes"] == {"type": "Contact",
                                    "url": f"/services/data/v59.0/sobjects/Contact/{contact}"}
    assert record["Name"] == "Ada Lovelace"
    assert record["HasOptedOutOfEmail"] is False
    assert record["CreatedDate"].endswith("+0000") and record["Phone"] is None


def test_get_with_fields_limits_the_answer(sf, contact):
    record = sf.Contact.get(contact, params={"fields": "Email,hasoptedoutofemail"})
    assert list(record) == ["attributes", "Email", "HasOptedOutOfEmail"]


def test_get_accepts_the_15_char_form_and_answers_18(sf, contact):
    assert sf.Contact.get(contact[:15])["Id"] == contact


def test_update_is_204_and_moves_the_stamps(org, sf, contact):
    before = sf.Contact.get(contact)
    assert sf.Contact.update(contact, {"HasOptedOutOfEmail": True}) == 204
    after = sf.Contact.get(contact)
    assert after["HasOptedOutOfEmail"] is True
    assert after["SystemModstamp"] >= before["SystemModstamp"]


def test_boolean_field_rejects_yes(sf, contact):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Contact.update(contact, {"HasOptedOutOfEmail": "yes"})
    assert error_of(failure)["errorCode"] == "JSON_PARSER_ERROR"


def test_unknown_field_is_invalid_field(sf, contact):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Contact.update(contact, {"Favourite_Colour__c": "blue"})
    assert error_of(failure) == {
        "message": "No such column 'Favourite_Colour__c' on sobject of type Contact",
        "errorCode": "INVALID_FIELD"}


def test_read_only_field_is_invalid_field_for_insert_update(sf, contact):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Contact.update(contact, {"SystemModstamp": "2026-01-01T00:00:00Z"})
    assert error_of(failure)["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert error_of(failure)["fields"] == ["SystemModstamp"]


def test_required_field_missing(sf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Lead.create({"LastName": "NoCompany"})
    assert error_of(failure) == {"message": "Required fields are missing: [Company]",
                                 "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Company"]}


def test_invalid_email_is_refused(sf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Contact.create({"LastName": "X", "Email": "not-an-email"})
    assert error_of(failure)["errorCode"] == "INVALID_EMAIL_ADDRESS"


def test_wrong_checksum_is_malformed_id(sf, contact):
    bad = contact[:15] + ("AAB" if contact[15:] != "AAB" else "AAC")
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Contact.get(bad)
    assert error_of(failure)["errorCode"] == "MALFORMED_ID"
    assert error_of(failure)["fields"] == ["Id"]


@pytest.mark.parametrize("record_id", ["nonsense", "00Q8d0000000001AAA"])
def test_unknown_or_wrong_object_id_is_not_found(sf, record_id):
    with pytest.raises(SalesforceResourceNotFound) as failure:
        sf.Contact.get(record_id)
    assert error_of(failure) == {
        "errorCode": "NOT_FOUND",
        "message": f"Provided external ID field does not exist or is not accessible: {record_id}"}


def test_unknown_sobject_is_not_found(sf):
    with pytest.raises(SalesforceResourceNotFound):
        sf.Spaceship__c.describe()


def test_delete_then_get_and_delete_again(sf, contact):
    assert sf.Contact.delete(contact) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get(contact)
    with pytest.raises(SalesforceResourceNotFound) as failure:
        sf.Contact.delete(contact)
    assert error_of(failure)["errorCode"] == "ENTITY_IS_DELETED"


def test_upsert_creates_then_updates_by_external_id(sf):
    assert sf.Contact.upsert("External_Id__c/sc-1", {"LastName": "Hopper"}) == 201
    assert sf.Contact.upsert("External_Id__c/sc-1", {"FirstName": "Grace"}) == 200
    record = sf.Contact.get_by_custom_id("External_Id__c", "sc-1")
    assert record["Name"] == "Grace Hopper"


def test_upsert_value_with_a_slash(sf):
    sf.Contact.upsert("External_Id__c/a%2Fb", {"LastName": "Slash"})
    assert sf.Contact.get_by_custom_id("External_Id__c", "a/b")["LastName"] == "Slash"


def test_duplicate_external_ids_answer_300(org, sf):
    for name in ("One", "Two"):
        org.insert("Contact", {"LastName": name, "External_Id__c": f"dup-{name}"}, check=False)
    org.db.execute('UPDATE Contact SET External_Id__c = \'dup\' WHERE External_Id__c LIKE \'dup-%\'')
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Contact.get_by_custom_id("External_Id__c", "dup")


def test_limit_info_header_on_success_and_errors(org, sf, contact):
    url = f"{sf.base_url}sobjects/Contact/{contact}"
    headers = {"Authorization": f"Bearer {sf.session_id}"}
    ok = requests.get(url, headers=headers)
    missing = requests.get(url[:-3] + "XYZ", headers=headers)
    used, maximum = org.api_usage()
    assert ok.headers["Sforce-Limit-Info"] == f"api-usage={used - 1}/{maximum}"
    assert missing.headers["Sforce-Limit-Info"] == f"api-usage={used}/{maximum}"


def test_api_calls_are_counted(org, sf, contact):
    before, _ = org.api_usage()
    sf.Contact.get(contact)
    sf.Contact.update(contact, {"Title": "Countess"})
    assert org.api_usage()[0] == before + 2


def test_versions_and_resources(sf):
    versions = requests.get(sf.base_url.split("/v59.0")[0]).json()
    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in versions
    resources = sf.restful("")
    assert resources["sobjects"] == "/services/data/v59.0/sobjects"


def test_unknown_api_version_is_not_found(sf):
    response = requests.get(sf.base_url.replace("v59.0", "v12.0") + "limits",
                            headers={"Authorization": f"Bearer {sf.session_id}"})
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"
