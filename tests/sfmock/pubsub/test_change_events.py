"""Record changes of selected entities become change events with Salesforce's header and body."""

from sfmock.models import collections
from sfmock.models.cdc import cdc
from sfpubsub import field_names, pb2

from .conftest import first_contact


def _events(subscriber, topic="/data/ContactChangeEvent", **kw) -> list[dict]:
    responses = subscriber.fetch(topic, preset=pb2.EARLIEST, **kw)
    return [subscriber.decode(e) for r in responses for e in r.events]


def test_an_update_carries_only_the_changed_fields_and_last_modified_date(org, subscriber):
    contact = first_contact(org)
    org.update("Contact", contact, {"HasOptedOutOfEmail": True})
    [event] = _events(subscriber)
    header = event["ChangeEventHeader"]
    assert header["entityName"] == "Contact"
    assert header["recordIds"] == [contact]
    assert header["changeType"] == "UPDATE"
    assert header["commitUser"] == org.integration_user_id()
    assert event["HasOptedOutOfEmail"] is True
    assert event["LastModifiedDate"] is not None
    assert event["Email"] is None  # unchanged fields are absent (null) in an update
    schema = subscriber.schema(subscriber.fetch("/data/ContactChangeEvent",
                                                preset=pb2.EARLIEST)[0].events[0].event.schema_id)
    assert set(field_names(schema, header["changedFields"])) == {
        "HasOptedOutOfEmail", "LastModifiedDate"}


def test_a_field_set_to_null_is_named_in_nulled_fields(org, subscriber):
    contact = first_contact(org)
    org.update("Contact", contact, {"Title": None})
    [event] = _events(subscriber)
    response = subscriber.fetch("/data/ContactChangeEvent", preset=pb2.EARLIEST)[0]
    real = subscriber.schema(response.events[0].event.schema_id)
    assert field_names(real, event["ChangeEventHeader"]["nulledFields"]) == ["Title"]


def test_create_delete_and_undelete_each_publish_their_change_type(org, subscriber):
    lead = org.insert("Lead", {"LastName": "Stream", "Company": "Acme", "Email": "s@acme.test"})
    org.delete("Lead", lead)
    org.undelete("Lead", lead)
    events = _events(subscriber, "/data/LeadChangeEvent")
    assert [e["ChangeEventHeader"]["changeType"] for e in events] == [
        "CREATE", "DELETE", "UNDELETE"]
    created, deleted, undeleted = events
    assert created["Email"] == "s@acme.test" and created["CreatedDate"] is not None
    assert deleted["Email"] is None and deleted["LastModifiedDate"] is None  # no body fields
    assert undeleted["Email"] == "s@acme.test"
    assert created["ChangeEventHeader"]["changedFields"] == []  # only updates list them


def test_lead_conversion_is_an_update_of_the_lead(org, subscriber):
    lead = next(r for r in org.records("Lead") if not r["IsConverted"])["Id"]
    org.convert_lead(lead)
    [event] = _events(subscriber, "/data/LeadChangeEvent")
    assert event["ChangeEventHeader"]["changeType"] == "UPDATE"
    assert event["IsConverted"] is True


def test_the_all_changes_channel_carries_every_selected_entity(org, subscriber):
    org.update("Contact", first_contact(org), {"Title": "CTO"})
    org.insert("Lead", {"LastName": "Both", "Company": "Acme"})
    events = _events(subscriber, "/data/ChangeEvents")
    assert [e["ChangeEventHeader"]["entityName"] for e in events] == ["Contact", "Lead"]


def test_entities_not_selected_publish_nothing(org, subscriber):
    cdc(org).select(["Lead"])
    org.update("Contact", first_contact(org), {"Title": "Unseen"})
    assert _events(subscriber, timeout=1.5) == []


def test_a_rolled_back_all_or_none_call_publishes_nothing(org, subscriber):
    contact = first_contact(org)
    results = collections.update(org, {"allOrNone": True, "records": [
        {"attributes": {"type": "Contact"}, "id": contact, "Title": "Kept?"},
        {"attributes": {"type": "Contact"}, "id": contact[:3] + "0" * 15, "Title": "Missing"},
    ]}, user_id=org.integration_user_id())
    assert not any(r["success"] for r in results)
    assert _events(subscriber, timeout=1.5) == []
    assert org.get("Contact", contact)["Title"] != "Kept?"


def test_a_change_through_rest_names_the_rest_api_as_its_origin(org, subscriber):
    from sfmock import create_app

    client = create_app(org).test_client()
    token = org.open_session(org.integration_user_id()).token
    contact = first_contact(org)
    answered = client.patch(f"/services/data/v60.0/sobjects/Contact/{contact}",
                            json={"Title": "Via REST"},
                            headers={"Authorization": f"Bearer {token}"})
    assert answered.status_code == 204
    [event] = _events(subscriber)
    assert event["ChangeEventHeader"]["changeOrigin"] == "com/salesforce/api/rest/60.0"


def test_gap_and_overflow_events_tell_subscribers_to_read_the_records(org, subscriber):
    contact = first_contact(org)
    cdc(org).gap("Contact", [contact], "GAP_UPDATE")
    cdc(org).overflow("Contact")
    gap, overflow = _events(subscriber)
    assert gap["ChangeEventHeader"]["changeType"] == "GAP_UPDATE"
    assert gap["ChangeEventHeader"]["recordIds"] == [contact]
    assert overflow["ChangeEventHeader"]["changeType"] == "GAP_OVERFLOW"
    assert overflow["ChangeEventHeader"]["recordIds"] == []
