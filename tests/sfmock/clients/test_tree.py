"""sObject Tree: nested records in one all-or-nothing call."""

from __future__ import annotations


def account(ref: str, name: str, *contacts: dict) -> dict:
    record = {"attributes": {"type": "Account", "referenceId": ref}, "Name": name}
    if contacts:
        record["Contacts"] = {"records": list(contacts)}
    return record


def contact(ref: str, last_name: str, **fields) -> dict:
    return {"attributes": {"type": "Contact", "referenceId": ref}, "LastName": last_name, **fields}


def post_tree(front, *records):
    return front.call("POST", "composite/tree/Account", json={"records": list(records)})


def test_trees_are_created_roots_first_with_children_linked(front):
    response = post_tree(front, account("ref1", "Tree One", contact("ref2", "Hopper"),
                                        contact("ref3", "Turing")),
                         account("ref4", "Tree Two"))
    assert response.status_code == 201
    body = response.json()
    assert body["hasErrors"] is False
    assert [r["referenceId"] for r in body["results"]] == ["ref1", "ref4", "ref2", "ref3"]
    ids = {r["referenceId"]: r["id"] for r in body["results"]}
    assert front.org.get("Contact", ids["ref2"])["AccountId"] == ids["ref1"]
    assert front.org.get("Account", ids["ref4"])["Name"] == "Tree Two"


def test_one_bad_record_rolls_the_whole_request_back(front):
    before = front.org.count("Account"), front.org.count("Contact")
    response = post_tree(front, account("ref1", "Tree One", contact("ref2", "Ok"),
                                        contact("ref3", "Bad", Email="not-an-email")))
    assert response.status_code == 400
    assert response.json() == {"hasErrors": True, "results": [{"referenceId": "ref3", "errors": [{
        "statusCode": "INVALID_EMAIL_ADDRESS", "message": "Email: invalid email address: "
        "not-an-email", "fields": ["Email"]}]}]}
    assert (front.org.count("Account"), front.org.count("Contact")) == before


def test_reference_ids_must_be_unique_and_well_formed(front):
    duplicate = post_tree(front, account("ref1", "A"), account("ref1", "B")).json()
    assert duplicate["results"][0]["errors"][0] == {
        "statusCode": "INVALID_INPUT", "message": "Duplicate ReferenceId provided in the request.",
        "fields": []}
    badly = post_tree(front, account("-ref", "A")).json()
    assert "must start with a letter or a number" in badly["results"][0]["errors"][0]["message"]


def test_an_unknown_field_fails_the_request_as_invalid_field(front):
    response = post_tree(front, account("ref1", "A", contact("ref2", "X", Nope__c="1")))
    assert response.status_code == 400
    assert response.json() == [{"message": "No such column 'Nope__c' on sobject of type Contact",
                                "errorCode": "INVALID_FIELD"}]


def test_more_than_200_records_are_refused_whole(front):
    before = front.org.count("Account")
    response = post_tree(front, *[account(f"ref{i}", f"A{i}") for i in range(201)])
    assert response.status_code == 400
    assert response.json() == [{"message": "record limit reached. cannot submit more than 200 "
                                           "records into this call",
                                "errorCode": "EXCEEDED_ID_LIMIT"}]
    assert front.org.count("Account") == before
