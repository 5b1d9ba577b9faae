"""The syncer's change-event subscriber against the Pub/Sub API that sfmock serves."""

import threading

import pytest

from sfmock import Org, load_fixtures
from sfmock.models.cdc import cdc
from sfmock.pubsub import PubSubServer
from syncer.stream.pubsub import ChangeEventSubscriber, StreamError


@pytest.fixture
def org():
    made = Org()
    load_fixtures(made)
    cdc(made).select(["Contact", "Lead"])
    yield made
    made.close()


@pytest.fixture
def subscriber(org, tmp_path):
    with PubSubServer(org, cert_dir=tmp_path, keepalive=0.3) as server:
        client = ChangeEventSubscriber(
            server.target, access_token=org.open_session(org.integration_user_id()).token,
            instance_url="https://sfmock.my.salesforce.com", tenant_id=org.org_id,
            ca_path=str(server.ca_path))
        yield client
        client.close()


def _first_batches(subscriber, replay_id, count):
    stop = threading.Event()
    got = []
    for batch in subscriber.batches("/data/ContactChangeEvent", replay_id, stop):
        got.append(batch)
        if len(got) == count:
            stop.set()
    return got


def test_events_are_decoded_with_changed_field_names(org, subscriber):
    contact = next(org.records("Contact"))["Id"]
    timer = threading.Timer(0.2, org.update, args=("Contact", contact,
                                                   {"HasOptedOutOfEmail": True}))
    timer.start()
    batches = _first_batches(subscriber, None, 1)
    timer.join()
    [event] = batches[0].events
    assert (event.entity, event.change_type, event.record_ids) == ("Contact", "UPDATE", [contact])
    assert "HasOptedOutOfEmail" in event.changed_fields
    assert event.values["HasOptedOutOfEmail"] is True
    assert batches[0].latest_replay_id == event.replay_id


def test_resuming_from_a_replay_id_delivers_what_came_after(org, subscriber):
    contact = next(org.records("Contact"))["Id"]
    org.update("Contact", contact, {"Title": "One"})
    first = _first_batches(subscriber, None, 1)  # LATEST: a keep-alive with the tip
    assert first[0].keepalive
    org.update("Contact", contact, {"Title": "Two"})
    [batch] = _first_batches(subscriber, first[0].latest_replay_id, 1)
    assert [e.values["Title"] for e in batch.events] == ["Two"]


def test_an_expired_replay_id_is_reported_as_such(subscriber):
    with pytest.raises(StreamError) as raised:
        _first_batches(subscriber, (10**9).to_bytes(8, "big"), 1)
    assert raised.value.replay_expired


def test_a_revoked_session_is_reported_as_unauthenticated(org, subscriber):
    org.expire_sessions()
    with pytest.raises(StreamError) as raised:
        subscriber.topic("/data/ContactChangeEvent")
    assert raised.value.unauthenticated
