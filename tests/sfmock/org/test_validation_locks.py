"""Validation rules and record locks refuse writes on every API path."""

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock.models.rules import RuleError

LOCKED = "unable to obtain exclusive access to this record or 1 records: {}"


@pytest.fixture
def contact(sf):
    return sf.Contact.create({"LastName": "Curie", "Email": "marie@example.com"})["id"]


def error_of(excinfo) -> dict:
    return excinfo.value.content[0]


def test_spec_rule_refuses_create_with_the_rule_text(org, sf):
    org.rules.add_validation("Contact", "Email_Required", ("Email", "blank"),
                             "Enter an email address", error_field="email")
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Contact.create({"LastName": "Nobody"})
    assert failure.value.content == [{"message": "Enter an email address",
                                      "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                                      "fields": ["Email"]}]
    assert sf.Contact.create({"LastName": "Somebody", "Email": "a@example.com"})["success"]


def test_callable_rule_sees_the_record_as_it_would_be_saved(org, sf, contact):
    org.rules.add_validation("Contact", "No_Opt_Out_For_VIPs",
                             lambda r: r["HasOptedOutOfEmail"] and r["Title"] == "VIP",
                             "VIPs cannot opt out")
    assert sf.Contact.update(contact, {"HasOptedOutOfEmail": True}) == 204
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Contact.update(contact, {"Title": "VIP"})
    assert error_of(failure)["fields"] == [] and error_of(failure)["message"] == "VIPs cannot opt out"
    org.rules.remove_validation("Contact", "no_opt_out_for_vips")
    assert sf.Contact.update(contact, {"Title": "VIP"}) == 204


def test_rules_apply_to_collections_writes(org, sf, contact):
    org.rules.add_validation("Contact", "Keep_Email", ("Email", "blank"), "Keep the email")
    results = sf.restful("composite/sobjects", method="PATCH", json={"records": [
        {"attributes": {"type": "Contact"}, "id": contact, "Email": None},
    ]})
    assert results[0]["success"] is False
    assert results[0]["errors"][0]["statusCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"


def test_system_writes_skip_validation_rules(org):
    org.rules.add_validation("Lead", "Never", lambda r: True, "No leads")
    assert org.insert("Lead", {"LastName": "Seed", "Company": "X"}, check=False)


def test_bad_rules_are_refused_with_the_fix(org):
    with pytest.raises(RuleError, match="No field 'Emial' on Contact"):
        org.rules.add_validation("Contact", "R", ("Emial", "blank"), "x")
    with pytest.raises(RuleError, match="Unknown operator 'like'"):
        org.rules.add_validation("Contact", "R", ("Email", "like", "%"), "x")


def test_limited_lock_refuses_the_next_writes_then_frees(org, sf, contact):
    org.rules.lock(contact, calls=2)
    for _ in range(2):
        with pytest.raises(SalesforceMalformedRequest) as failure:
            sf.Contact.update(contact, {"Title": "Dr"})
        assert failure.value.content == [{"message": LOCKED.format(contact),
                                          "errorCode": "UNABLE_TO_LOCK_ROW", "fields": []}]
    assert sf.Contact.update(contact, {"Title": "Dr"}) == 204


def test_lock_until_released_covers_deletes(org, sf, contact):
    org.rules.lock(contact[:15])
    with pytest.raises(SalesforceMalformedRequest):
        sf.Contact.delete(contact)
    org.rules.release(contact)
    assert sf.Contact.delete(contact) == 204


def test_lock_applies_to_collections_writes(org, sf, contact):
    org.rules.lock(contact, calls=1)
    results = sf.restful("composite/sobjects", method="PATCH", json={"records": [
        {"attributes": {"type": "Contact"}, "id": contact, "Title": "Dr"},
    ]})
    assert results[0]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"


def test_admin_api_rules_and_locks_over_https(https_admin, server_sf):
    contact = server_sf.Contact.create({"LastName": "Locked"})["id"]
    rule = https_admin.post("/validation-rules", json={
        "type": "Contact", "name": "No_VIP", "field": "Title", "op": "=", "value": "VIP",
        "message": "No VIPs here", "errorField": "Title"})
    assert rule.status_code == 201 and rule.json()["condition"]["field"] == "Title"
    with pytest.raises(SalesforceMalformedRequest) as failure:
        server_sf.Contact.update(contact, {"Title": "VIP"})
    assert error_of(failure)["fields"] == ["Title"]
    assert https_admin.delete("/validation-rules/Contact/No_VIP").status_code == 204
    assert https_admin.post("/locks", json={"id": contact, "calls": 1}).status_code == 201
    with pytest.raises(SalesforceMalformedRequest) as failure:
        server_sf.Contact.update(contact, {"Title": "VIP"})
    assert error_of(failure)["errorCode"] == "UNABLE_TO_LOCK_ROW"
    assert server_sf.Contact.update(contact, {"Title": "VIP"}) == 204
    bad = https_admin.post("/locks", json={"id": "not-an-id"})
    assert bad.status_code == 400 and "15- or 18-character ID" in bad.json()[0]["message"]
