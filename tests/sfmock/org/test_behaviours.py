"""Switchable org behaviours: duplicate rules, read-only records, API access, field updates,
query timeouts and compound validation conditions, through the admin API and fixtures."""

from __future__ import annotations

import json
import shutil

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceMalformedRequest,
)

from sfmock import mock_salesforce
from sfmock.models.fixtures import DEFAULT_FIXTURES, FixtureError, load_fixtures
from sfmock.testing import PASSWORD, TOKEN, USERNAME

ADMIN = {"username": "admin@sfmock.dev", "password": "sfmock-admin-password",
         "security_token": "sfmock-admin-token"}


def first_error(excinfo) -> dict:
    return excinfo.value.content[0]


def two_contacts_sharing_an_email(sf) -> tuple[str, str]:
    first = sf.Contact.create({"LastName": "Twin", "Email": "twin@example.com"})["id"]
    second = sf.Contact.create({"LastName": "Twin", "Email": "TWIN@example.com"})["id"]
    return first, second


def test_a_blocking_duplicate_rule_refuses_an_edit_with_the_duplicate_result(org, admin, sf):
    first, second = two_contacts_sharing_an_email(sf)
    added = admin.post("/behaviours", json={"duplicate_rules": [
        {"type": "Contact", "name": "Contact_Email_Rule", "match": ["Email"], "on": "update"}]})
    assert added.status_code == 201, added.text
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Contact.update(second, {"HasOptedOutOfEmail": True})
    error = first_error(refused)
    assert list(error) == ["duplicateResult", "errorCode", "message"]
    assert (error["errorCode"], error["message"]) == ("DUPLICATES_DETECTED",
                                                      "Use one of these records?")
    result = error["duplicateResult"]
    assert (result["allowSave"], result["duplicateRule"]) == (False, "Contact_Email_Rule")
    match = result["matchResults"][0]
    assert [r["record"]["Id"] for r in match["matchRecords"]] == [first]
    assert match["size"] == 1 and match["success"] is True
    sf.Contact.create({"LastName": "Twin", "Email": "twin@example.com"})  # on update only


def test_a_duplicate_rule_fails_one_record_of_a_collections_update(org, admin, sf):
    _, second = two_contacts_sharing_an_email(sf)
    alone = sf.Contact.create({"LastName": "Alone", "Email": "alone@example.com"})["id"]
    admin.post("/behaviours", json={"duplicate_rules": [
        {"type": "Contact", "match": ["Email"], "action": "allow"}]})
    results = sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": False,
        "records": [{"attributes": {"type": "Contact"}, "id": i, "HasOptedOutOfEmail": True}
                    for i in (second, alone)]})
    assert results[0]["success"] is False and results[1]["success"] is True
    assert results[0]["errors"] == [{
        "statusCode": "DUPLICATES_DETECTED", "fields": [],
        "message": "You're creating a duplicate record. We recommend you use an existing "
                   "record instead."}]


def test_records_read_only_to_the_user_refuse_edits_by_that_user_only(org, admin, sf):
    theirs = sf.Contact.create({"LastName": "Owned", "LeadSource": "Partner"})["id"]
    mine = sf.Contact.create({"LastName": "Mine"})["id"]
    admin.post("/behaviours", json={"read_only_records": [{
        "user": USERNAME, "type": "Contact",
        "condition": {"field": "LeadSource", "op": "=", "value": "Partner"}}]})
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Contact.update(theirs, {"HasOptedOutOfEmail": True})
    assert first_error(refused) == {"message": "insufficient access rights on object id",
                                    "errorCode": "INSUFFICIENT_ACCESS_OR_READONLY",
                                    "fields": []}
    sf.Contact.update(mine, {"HasOptedOutOfEmail": True})
    Salesforce(**ADMIN).Contact.update(theirs, {"HasOptedOutOfEmail": True})
    assert sf.Contact.get(theirs)["HasOptedOutOfEmail"] is True  # still readable


def test_a_user_without_api_access_is_refused_at_login_and_on_every_call(org, admin, sf):
    admin.post("/behaviours", json={"api_disabled_users": [USERNAME]})
    with pytest.raises(SalesforceAuthenticationFailed) as login:
        Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
    assert login.value.code == "API_CURRENTLY_DISABLED"
    assert login.value.auth_message == "API is disabled for this User"
    with pytest.raises(SalesforceError) as call:  # a session opened before the change
        sf.query("SELECT Id FROM Contact LIMIT 1")
    assert call.value.status == 403
    assert first_error(call) == {"message": "The REST API is not enabled for this Organization.",
                                 "errorCode": "API_DISABLED_FOR_ORG"}
    Salesforce(**ADMIN).query("SELECT Id FROM Contact LIMIT 1")  # other users are not affected
    assert admin.delete("/behaviours/api_disabled_users").status_code == 204
    Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)


def test_a_before_update_rule_sets_a_field_when_its_condition_holds(org, admin, sf):
    contact = sf.Contact.create({"LastName": "Flowed"})["id"]
    admin.post("/behaviours", json={"field_updates": [{
        "type": "Contact", "name": "Stamp opt-outs",
        "when": {"field": "HasOptedOutOfEmail", "op": "=", "value": True},
        "set": {"Description": "Opted out by an integration"}}]})
    sf.Contact.update(contact, {"Title": "CTO"})
    assert sf.Contact.get(contact)["Description"] is None
    sf.Contact.update(contact, {"HasOptedOutOfEmail": True})
    assert sf.Contact.get(contact)["Description"] == "Opted out by an integration"


def test_a_field_update_runs_before_validation_rules(org, admin, sf):
    contact = sf.Contact.create({"LastName": "Ordered"})["id"]
    admin.post("/validation-rules", json={
        "type": "Contact", "name": "No_Opt_Out_Without_Reason", "message": "Say why",
        "condition": {"all": [{"field": "HasOptedOutOfEmail", "op": "=", "value": True},
                              {"field": "Description", "op": "blank"}]}})
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Contact.update(contact, {"HasOptedOutOfEmail": True})
    assert first_error(refused)["errorCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    admin.post("/behaviours", json={"field_updates": [{
        "type": "Contact", "when": {"field": "HasOptedOutOfEmail", "op": "=", "value": True},
        "set": {"Description": "unsubscribed"}}]})
    sf.Contact.update(contact, {"HasOptedOutOfEmail": True})
    assert sf.Contact.get(contact)["Description"] == "unsubscribed"


def test_a_query_matching_a_timeout_pattern_times_out(org, admin, sf):
    admin.post("/behaviours", json={"query_timeouts": [{"pattern": r"FROM\s+Lead"}]})
    with pytest.raises(SalesforceMalformedRequest) as timed_out:
        sf.query_all("SELECT Id FROM Lead WHERE IsConverted = false")
    assert first_error(timed_out) == {"message": "Your query request was running for too long.",
                                      "errorCode": "QUERY_TIMEOUT"}
    assert sf.query("SELECT Id FROM Contact LIMIT 1")["totalSize"] == 1


def test_behaviours_are_listed_cleared_and_gone_after_reset(org, admin):
    admin.post("/behaviours", json={"query_timeouts": ["Contact"],
                                    "api_disabled_users": [{"user": USERNAME}]})
    listed = admin.get("/behaviours").json()
    assert listed["query_timeouts"] == [{"pattern": "Contact"}]
    assert listed["api_disabled_users"] == [USERNAME]
    admin.delete("/behaviours/query_timeouts")
    assert admin.get("/behaviours").json()["query_timeouts"] == []
    admin.post("/reset", json={})
    assert admin.get("/behaviours").json()["api_disabled_users"] == []


@pytest.mark.parametrize("body, wording", [
    ({"duplicate_rules": [{"type": "Contact"}]}, 'needs "match"'),
    ({"read_only_records": [{"user": "nobody@x", "type": "Contact", "condition": {}}]},
     "No user 'nobody@x'"),
    ({"field_updates": [{"type": "Contact", "set": {"Nope__c": 1}, "when": {}}]},
     "No field 'Nope__c'"),
    ({"query_timeouts": [{"pattern": "("}]}, "not a valid regular expression"),
    ({"sharing": []}, "Unknown behaviour 'sharing'"),
])
def test_a_bad_behaviour_is_refused_with_the_fix(admin, body, wording):
    answer = admin.post("/behaviours", json=body)
    assert answer.status_code == 400
    assert answer.json()[0]["errorCode"] == "INVALID_ADMIN_REQUEST"
    assert wording in answer.json()[0]["message"]


def test_fixtures_switch_behaviours_field_security_and_validation_rules_on(tmp_path):
    folder = tmp_path / "org"
    shutil.copytree(DEFAULT_FIXTURES, folder)
    spec = json.loads((folder / "org.json").read_text())
    spec.update({
        "field_security": [{"type": "Lead", "field": "HasOptedOutOfEmail", "access": "read"}],
        "validation_rules": [{"type": "Contact", "name": "Title_Required", "message": "Title!",
                              "condition": {"field": "Title", "op": "blank"}}],
        "duplicate_rules": [{"type": "Contact", "match": ["Email"]}],
        "query_timeouts": ["FROM Account"],
    })
    (folder / "org.json").write_text(json.dumps(spec))
    with mock_salesforce(fixtures=folder) as org:
        summary = org.behaviours.summary()
        assert summary["duplicate_rules"][0]["match"] == ["Email"]
        assert summary["query_timeouts"] == [{"pattern": "FROM Account"}]
        assert org.field_security.entries() == [["Lead", "HasOptedOutOfEmail", "read"]]
        assert [r.name for r in org.rules.validations] == ["Title_Required"]

    spec["duplicate_rules"] = [{"type": "Contact", "match": ["Nope"]}]
    (folder / "org.json").write_text(json.dumps(spec))
    with mock_salesforce(fixtures=None) as org, pytest.raises(FixtureError, match="Nope"):
        load_fixtures(org, folder)


def test_without_a_condition_every_record_of_the_type_is_read_only(org, admin, sf):
    contact = sf.Contact.create({"LastName": "Anyone"})["id"]
    admin.post("/behaviours", json={"read_only_records": [{"user": USERNAME,
                                                           "type": "Contact"}]})
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Contact.update(contact, {"Title": "CEO"})
    assert first_error(refused)["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"
    sf.Lead.create({"LastName": "Other type", "Company": "Acme"})
