"""The standard field catalogue and what rests on it: describe keys, 304, lookups, stamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock import Org, ids
from sfmock.models.schema import STANDARD_TYPES, Field, load_catalogue


def _describe(sf, since: datetime | str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {sf.session_id}"}
    if since is not None:
        headers["If-Modified-Since"] = (since if isinstance(since, str)
                                        else format_datetime(since, usegmt=True))
    return sf.session.get(f"{sf.base_url}sobjects/Contact/describe", headers=headers)


@pytest.mark.parametrize("name", STANDARD_TYPES)
def test_every_catalogue_names_its_source_and_loads(name):
    sobject = load_catalogue(name)
    assert sobject.fields["Id"].describe()["defaultedOnCreate"] is True
    assert sobject.recorded["sobjectDescribeOption"] == "FULL"


def test_contact_carries_the_object_references_standard_fields(sf):
    fields = {f["name"]: f for f in sf.Contact.describe()["fields"]}
    for name in ("IsEmailBounced", "EmailBouncedDate", "EmailBouncedReason", "MobilePhone",
                 "HomePhone", "Salutation", "Department", "Description", "Birthdate",
                 "LastActivityDate", "Jigsaw", "IndividualId", "MailingAddress", "OtherAddress"):
        assert name in fields, name
    assert fields["MailingAddress"]["type"] == "address"
    assert fields["MailingCity"]["compoundFieldName"] == "MailingAddress"
    assert fields["OwnerId"]["referenceTo"] == ["User"]


def test_lead_and_user_fields_follow_the_reference(sf):
    lead = {f["name"]: f for f in sf.Lead.describe()["fields"]}
    assert lead["ConvertedOpportunityId"]["referenceTo"] == ["Opportunity"]
    assert lead["Industry"]["type"] == "picklist" and lead["Address"]["type"] == "address"
    assert lead["OwnerId"]["referenceTo"] == ["Group", "User"]
    assert lead["OwnerId"]["polymorphicForeignKey"] is True
    user = {f["name"]: f for f in sf.User.describe()["fields"]}
    assert (user["Alias"]["length"], user["Alias"]["nillable"]) == (8, False)
    assert user["Username"]["unique"] and user["ManagerId"]["relationshipName"] == "Manager"
    assert "IsDeleted" not in user  # users are deactivated, never deleted


def test_custom_fields_describe_with_the_same_keys_as_recorded_ones(org, sf):
    org.add_custom_field("Contact", Field("Tier__c", "Tier", "string", 20, custom=True))
    keys = {frozenset(f) for f in sf.Contact.describe()["fields"]}
    assert len(keys) == 1


def test_child_relationships_come_from_the_schemas_lookups(sf):
    children = {(r["childSObject"], r["field"]): r for r in sf.Account.describe()["childRelationships"]}
    assert children["Contact", "AccountId"]["relationshipName"] == "Contacts"
    assert children["Contact", "AccountId"]["cascadeDelete"] is True
    assert ("Lead", "ConvertedAccountId") in children


def test_describe_is_304_until_the_schema_changes(org, sf):
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert _describe(sf, later).status_code == 304
    earlier = datetime.now(UTC) - timedelta(days=1)
    org.add_custom_field("Contact", Field("Tier__c", "Tier", "string", 20, custom=True))
    assert _describe(sf, earlier).status_code == 200
    assert _describe(sf, "not a date").status_code == 200


def test_field_security_changes_count_as_schema_changes(org, sf):
    before = datetime.now(UTC) - timedelta(seconds=5)
    org.meta["schema_modified"] = "2020-01-01T00:00:00.000+0000"
    assert _describe(sf, before).status_code == 304
    org.field_security.set("Contact", "Title", "hidden")
    assert _describe(sf, before).status_code == 200


def test_a_lookup_to_a_deleted_record_is_entity_is_deleted(sf):
    account = sf.Account.create({"Name": "Gone"})["id"]
    sf.Account.delete(account)
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Contact.create({"LastName": "Orphan", "AccountId": account})
    assert refused.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


def test_collections_refuse_a_dangling_lookup_per_record(sf):
    account = sf.Account.create({"Name": "Real"})["id"]
    missing = ids.to18(account[:14] + ("Z" if account[14] != "Z" else "Y"))
    results = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [
        {"attributes": {"type": "Contact"}, "LastName": "Ok", "AccountId": account},
        {"attributes": {"type": "Contact"}, "LastName": "Bad", "AccountId": missing},
    ]})
    assert results[0]["success"] is True
    assert results[1]["errors"] == [{"statusCode": "INVALID_CROSS_REFERENCE_KEY",
                                     "message": "invalid cross reference id", "fields": []}]


def test_the_server_front_door_refuses_a_lookup_of_the_wrong_object(server_sf):
    contact = server_sf.Contact.create({"LastName": "Other"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as refused:
        server_sf.Contact.create({"LastName": "Wrong", "AccountId": contact})
    assert refused.value.content[0] == {
        "message": f"Account ID: id value of incorrect type: {contact}",
        "errorCode": "FIELD_INTEGRITY_EXCEPTION", "fields": ["AccountId"]}


def test_duplicate_value_on_update_names_the_15_character_id(sf):
    first = sf.Contact.create({"LastName": "One", "External_Id__c": "dup-1"})["id"]
    second = sf.Contact.create({"LastName": "Two", "External_Id__c": "dup-2"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Contact.update(second, {"External_Id__c": "dup-1"})
    assert refused.value.content[0]["message"].endswith(f"with id: {first[:15]}")


def test_stamps_drop_the_milliseconds_of_the_clock():
    org = Org(clock=lambda: datetime(2026, 11, 30, 3, 40, 22, 987000, tzinfo=UTC))
    org.add_user("u@example.com", "pw", "tok")
    contact = org.insert("Contact", {"LastName": "Stamp"}, check=False)
    assert org.get("Contact", contact)["SystemModstamp"] == "2026-11-30T03:40:22.000+0000"
    org.close()


def test_an_address_is_null_until_a_component_is_set(sf):
    contact = sf.Contact.create({"LastName": "Nowhere"})["id"]
    assert sf.Contact.get(contact)["MailingAddress"] is None
    sf.Contact.update(contact, {"MailingCity": "Lyon"})
    assert sf.Contact.get(contact)["MailingAddress"]["city"] == "Lyon"


def test_a_saved_org_from_before_a_field_existed_gains_its_column(tmp_path):
    path = tmp_path / "org.db"
    org = Org(path)
    org.db["Contact"].transform(drop={"Jigsaw", "IsEmailBounced"})
    org.close()
    reopened = Org(path)
    assert {"Jigsaw", "IsEmailBounced"} <= set(reopened.db["Contact"].columns_dict)
    reopened.close()


def test_a_version_after_the_current_release_is_not_found(sf):
    response = sf.session.get(f"https://{sf.sf_instance}/services/data/v69.0/sobjects",
                              headers={"Authorization": f"Bearer {sf.session_id}"})
    assert response.status_code == 404


def test_user_lists_the_users_who_report_to_it(sf):
    children = {(r["childSObject"], r["field"]): r for r in sf.User.describe()["childRelationships"]}
    assert children["User", "ManagerId"]["relationshipName"] == "ManagedUsers"


def test_a_record_cannot_be_given_to_a_deactivated_owner(org, sf):
    leaver = org.add_user("leaver@sfmock.dev", "pw", "tok", last_name="Leaver")
    org.update("User", leaver, {"IsActive": False}, check=False)
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Contact.create({"LastName": "Orphan", "OwnerId": leaver})
    assert refused.value.content[0] == {"message": "owner or user is inactive",
                                        "errorCode": "INACTIVE_OWNER_OR_USER", "fields": []}


def test_orgs_share_the_parsed_catalogue_but_not_what_an_org_changes():
    first, second = Org(), Org()
    first.types["Contact"].children["Mentor__c"] = {"relationshipName": "Mentees"}
    third = Org()
    for other in (second, third):
        assert "Mentor__c" not in other.types["Contact"].children
        assert other.types["Contact"].fields is not first.types["Contact"].fields
    for org in (first, second, third):
        org.close()
