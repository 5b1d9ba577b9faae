"""Error answers of the org behaviours an integration must survive, as real orgs word them.

sfmock switches each behaviour on for the test (sfmock/models/behaviours.py). A real org needs
it arranged in Setup first; a test whose arrangement a real org lacks says what to arrange and
skips. A fresh Developer Edition has the standard Contact duplicate rule active, so that test
runs against a real org as it is.
"""

from __future__ import annotations

import uuid

import pytest

INTEGRATION_USER = "integration@sfmock.dev"


def arrange(target, behaviours: dict, on_a_real_org: str) -> None:
    """Switch `behaviours` on in sfmock; on a real org, skip unless arranged as described."""
    if target.org is None:
        pytest.skip(f"arrange this in the org's Setup, then run it by itself: {on_a_real_org}")
    target.org.behaviours.add(behaviours)
    target.cleanup.append(target.org.behaviours.clear)


def test_a_duplicate_rule_answers_with_its_duplicate_result(target, snapshot):
    if target.org is not None:  # as the standard rule of a new org is set up
        target.org.behaviours.add({"duplicate_rules": [{
            "type": "Contact", "name": "Standard_Contact_Duplicate_Rule", "action": "allow",
            "match": ["FirstName", "LastName", "Email"], "message": "Use one of these records?",
            "matchingRule": "Standard_Contact_Match_Rule_v1_1",
            "matchEngine": "FuzzyMatchEngine"}]})
    person = {"FirstName": "Parity", "LastName": f"Twin {uuid.uuid4().hex[:8]}",
              "Email": f"parity-{uuid.uuid4().hex[:8]}@example.com"}
    target.create("Contact", person)
    answer = target.call("POST", "sobjects/Contact", json=person)
    if answer.status == 201:
        target.cleanup.append(lambda: target.call(
            "DELETE", f"sobjects/Contact/{answer.body['id']}"))
        pytest.skip("this org saved a duplicate Contact: activate the Standard Contact "
                    "Duplicate Rule (Setup > Duplicate Rules)")
    snapshot("duplicates_detected", answer)


def test_a_validation_rule_answers_with_its_message_and_error_field(target, snapshot):
    arrange(target, {}, "a Contact validation rule Parity_Title_Not_Parity, error condition "
            "Title = 'parity', message 'Title may not be parity', error location Title")
    target.org.rules.add_validation("Contact", "Parity_Title_Not_Parity",
                                    ("Title", "=", "parity"), "Title may not be parity", "Title")
    target.cleanup.append(lambda: target.org.rules.remove_validation(
        "Contact", "Parity_Title_Not_Parity"))
    answer = target.call("POST", "sobjects/Contact", json={"LastName": "Parity",
                                                            "Title": "parity"})
    snapshot("field_custom_validation_exception", answer)


def test_a_record_the_user_may_not_edit_is_insufficient_access(target, snapshot):
    contact = target.create("Contact", {"LastName": "Parity", "Title": "not yours"})
    arrange(target, {"read_only_records": [{
        "user": INTEGRATION_USER, "type": "Contact",
        "condition": {"field": "Title", "op": "=", "value": "not yours"}}]},
        "a Contact the API user may read but not edit (Private sharing, owned by another "
        "user, shared Read Only)")
    answer = target.call("PATCH", f"sobjects/Contact/{contact}",
                         json={"HasOptedOutOfEmail": True})
    snapshot("insufficient_access_or_readonly", answer)


def test_a_user_without_api_access_is_refused_on_a_data_call(target, snapshot):
    arrange(target, {"api_disabled_users": [INTEGRATION_USER]},
            "remove 'API Enabled' from the API user's profile (its session stays live)")
    snapshot("api_disabled_for_org", target.call("GET", "query?q=SELECT+Id+FROM+Contact"))


def test_a_query_that_runs_too_long_is_query_timeout(target, snapshot):
    arrange(target, {"query_timeouts": [r"FROM\s+Contact\s+WHERE\s+Description"]},
            "a Contact table large enough that a filter on Description runs over 120 s")
    answer = target.call("GET", "query?q=SELECT+Id+FROM+Contact+WHERE+Description+LIKE+'%25x%25'")
    snapshot("query_timeout", answer)
