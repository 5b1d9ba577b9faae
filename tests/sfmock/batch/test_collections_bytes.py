"""An sObject Collections update's answer, pinned byte for byte on both front doors: recorded
before the update path was rewritten (the records flipped without being read, the rest read
and checked one by one: sfmock/models/batch.py), it must not move by a byte."""

from __future__ import annotations

import pytest
import requests
from flask import jsonify
from simple_salesforce import Salesforce

from sfmock.api.composite import _results
from sfmock.app import create_app
from sfmock.models.collections import NO_ERRORS
from sfmock.models.org import Org

# A success, then each kind of failure a flag flip can meet, as the answer's bytes; {c0}... are
# the org's Contacts in order, {l0}, {l1} its Leads (the Ids differ between orgs).
PINNED = (
    '[{{"id":"{c0}","success":true,"errors":[]}},'
    '{{"id":"{c1}","success":true,"errors":[]}},'
    '{{"id":"{c2}","success":true,"errors":[]}},'
    '{{"id":"003000000000000AAA","success":false,"errors":[{{"statusCode":"NOT_FOUND",'
    '"message":"The requested resource does not exist","fields":[]}}]}},'
    '{{"id":"003xyz","success":false,"errors":[{{"statusCode":"NOT_FOUND","message":'
    '"Provided external ID field does not exist or is not accessible: 003xyz","fields":[]}}]}},'
    '{{"id":"{c5}","success":false,"errors":[{{"statusCode":"ENTITY_IS_DELETED","message":'
    '"entity is deleted","fields":[]}}]}},'
    '{{"id":"{c3}","success":false,"errors":[{{"statusCode":"REQUIRED_FIELD_MISSING",'
    '"message":"Required fields are missing: [LastName]","fields":["LastName"]}}]}},'
    '{{"id":"{c4}","success":false,"errors":[{{"statusCode":"JSON_PARSER_ERROR","message":'
    '"Cannot deserialize instance of boolean from VALUE_STRING value maybe or request may be '
    'missing a required field at [line:1, column:1]","fields":[]}}]}},'
    '{{"id":"{c6}","success":false,"errors":[{{"statusCode":"INVALID_FIELD","message":'
    '"No such column \'NoSuchField__c\' on sobject of type Contact","fields":[]}}]}},'
    '{{"id":"{l0}","success":true,"errors":[]}},'
    '{{"id":"{l1_lower}","success":false,"errors":[{{"statusCode":"NOT_FOUND","message":'
    '"Provided external ID field does not exist or is not accessible: {l1_lower}",'
    '"fields":[]}}]}}]\n'
)


def flip_everything(sf: Salesforce, org: Org) -> tuple[bytes, str, requests.Response]:
    contacts = [r["Id"] for r in org.records("Contact")]
    leads = [r["Id"] for r in org.records("Lead")]
    org.delete("Contact", contacts[5])

    def contact(record_id, **fields):
        return {"attributes": {"type": "Contact"}, "id": record_id, **fields}

    body = {"allOrNone": False, "records": [
        contact(contacts[0], HasOptedOutOfEmail=True),
        contact(contacts[1], HasOptedOutOfEmail=True),
        contact(contacts[2][:15], HasOptedOutOfEmail=False),
        contact("003000000000000AAA", HasOptedOutOfEmail=True),
        contact("003xyz", HasOptedOutOfEmail=True),
        contact(contacts[5], HasOptedOutOfEmail=True),
        contact(contacts[3], LastName=""),
        contact(contacts[4], HasOptedOutOfEmail="maybe"),
        contact(contacts[6], NoSuchField__c=1),
        {"attributes": {"type": "Lead"}, "id": leads[0], "HasOptedOutOfEmail": True},
        {"attributes": {"type": "Lead"}, "Id": leads[1].lower(), "HasOptedOutOfEmail": True},
    ]}
    answer = sf.session.patch(f"{sf.base_url}composite/sobjects", json=body,
                              headers={"Authorization": f"Bearer {sf.session_id}"})
    expected = PINNED.format(**{f"c{i}": c for i, c in enumerate(contacts)}, l0=leads[0],
                             l1_lower=leads[1].lower())
    return answer.content, expected, answer


@pytest.mark.parametrize("door", ["in-process", "server"])
def test_a_collections_update_answers_the_pinned_bytes(door, request):
    if door == "in-process":
        sf, org = request.getfixturevalue("sf"), request.getfixturevalue("org")
    else:
        sf, org = request.getfixturevalue("server_sf"), request.getfixturevalue("server").org
    content, expected, answer = flip_everything(sf, org)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert content == expected.encode()
    assert org.get("Contact", [r["Id"] for r in org.records("Contact")][0])[
        "HasOptedOutOfEmail"] == 1


def test_the_answer_written_from_a_template_is_what_jsonify_writes(org):
    results = [
        {"id": "003b60000000009AAA", "success": True, "errors": NO_ERRORS},
        {"id": "003b60000000009AAA", "success": True, "errors": []},  # not the shared list
        {"id": 'x"é', "success": True, "errors": NO_ERRORS},  # not letters and digits
        {"id": "001", "success": True, "errors": NO_ERRORS, "created": False},
        {"success": False, "errors": [{"statusCode": "NOT_FOUND", "message": "Zoë's \"id\"",
                                       "fields": []}]},
    ]
    app = create_app(org)
    with app.test_request_context():
        assert _results(results).get_data() == jsonify(results).get_data()
        assert _results(results).mimetype == jsonify(results).mimetype
