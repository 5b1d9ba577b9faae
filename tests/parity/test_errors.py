"""Error answers as real orgs word them: DUPLICATE_VALUE, and lookups that point nowhere."""

from __future__ import annotations

import uuid

import pytest

from sfmock import ids


def _needs_unique_external_id(target) -> None:
    fields = target.call("GET", "sobjects/Contact/describe").body["fields"]
    if not any(f["name"] == "External_Id__c" and f["unique"] for f in fields):
        pytest.skip("this org has no Contact.External_Id__c: create it as Text(64), Unique, "
                    "External ID (sfmock's default org has it)")


def _missing_record_id(existing: str) -> str:
    """An Id of the same object and org that no record has (the last character changed)."""
    last = "Z" if existing[14] != "Z" else "Y"
    return ids.to18(existing[:14] + last)


def test_duplicate_value_names_the_other_record_by_its_15_character_id(target, snapshot):
    _needs_unique_external_id(target)
    key = f"parity-{uuid.uuid4().hex[:12]}"
    target.create("Contact", {"LastName": "Parity First", "External_Id__c": key})
    answer = target.call("POST", "sobjects/Contact",
                         json={"LastName": "Parity Second", "External_Id__c": key})
    snapshot("duplicate_value", answer)


def test_a_lookup_to_a_record_that_does_not_exist_is_refused(target, snapshot):
    account = target.create("Account", {"Name": "Parity Account"})
    answer = target.call("POST", "sobjects/Contact",
                         json={"LastName": "Parity", "AccountId": _missing_record_id(account)})
    snapshot("lookup_missing_record", answer)


def test_a_lookup_to_a_record_of_another_object_is_refused(target, snapshot):
    other = target.create("Contact", {"LastName": "Parity Other"})
    contact = target.create("Contact", {"LastName": "Parity"})
    answer = target.call("PATCH", f"sobjects/Contact/{contact}", json={"AccountId": other})
    snapshot("lookup_wrong_object", answer)


def test_a_collections_delete_without_ids_is_refused(target, snapshot):
    snapshot("collections_delete_without_ids", target.call("DELETE", "composite/sobjects"))


def test_a_record_path_that_is_no_id_is_not_found(target, snapshot):
    snapshot("record_path_not_an_id", target.call("DELETE", "sobjects/Contact/rid"))


def test_writing_a_field_the_object_lacks_is_invalid_field(target, snapshot):
    answer = target.call("POST", "sobjects/Contact", json={"LastName": "Parity", "foo": 1})
    snapshot("write_unknown_field", answer)


def test_describing_an_object_the_org_lacks_is_not_found(target, snapshot):
    snapshot("describe_unknown_object", target.call("GET", "sobjects/Whizbang/describe"))
