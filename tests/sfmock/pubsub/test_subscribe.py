"""Subscribe: replay presets, FetchRequest flow control, keep-alives and 72-hour retention."""

import grpc
import pytest

from sfmock.models.cdc import replay_bytes
from sfpubsub import pb2

from .conftest import first_contact


def _titles(org, count: int) -> None:
    contact = first_contact(org)
    for i in range(count):
        org.update("Contact", contact, {"Title": f"Title {i}"})


def _decoded_titles(subscriber, responses) -> list[str]:
    return [subscriber.decode(e)["Title"] for r in responses for e in r.events]


def test_earliest_replays_every_retained_event(org, subscriber):
    _titles(org, 3)
    got = subscriber.fetch("/data/ContactChangeEvent", preset=pb2.EARLIEST)
    assert _decoded_titles(subscriber, got) == ["Title 0", "Title 1", "Title 2"]
    assert got[-1].latest_replay_id == got[-1].events[-1].replay_id


def test_latest_starts_at_the_tip_and_delivers_only_new_events(org, subscriber):
    _titles(org, 2)
    got = subscriber.fetch("/data/ContactChangeEvent", preset=pb2.LATEST, responses=1,
                           timeout=3)
    assert got[0].events == []  # a keep-alive: nothing new since subscribing


def test_custom_resumes_right_after_the_given_replay_id(org, subscriber):
    _titles(org, 3)
    first = subscriber.fetch("/data/ContactChangeEvent", preset=pb2.EARLIEST, num=1)
    replay = first[0].events[0].replay_id
    rest = subscriber.fetch("/data/ContactChangeEvent", preset=pb2.CUSTOM, replay_id=replay)
    assert _decoded_titles(subscriber, rest) == ["Title 1", "Title 2"]


def test_flow_control_delivers_no_more_than_requested(org, subscriber):
    _titles(org, 5)
    got = subscriber.fetch("/data/ContactChangeEvent", preset=pb2.EARLIEST, num=2, more=[3],
                           responses=2)
    assert [len(r.events) for r in got] == [2, 3]
    assert got[0].pending_num_requested == 0


def test_an_idle_stream_gets_keep_alives_with_the_latest_replay_id(org, subscriber):
    _titles(org, 1)
    got = subscriber.fetch("/data/ContactChangeEvent", preset=pb2.EARLIEST, responses=2)
    assert len(got[0].events) == 1 and got[1].events == []
    assert got[1].latest_replay_id == got[0].events[0].replay_id


def test_events_older_than_72_hours_are_gone(org, clock, subscriber):
    _titles(org, 1)
    clock.advance(hours=72, seconds=1)
    subscriber.log_in_again(org)
    org.update("Contact", first_contact(org), {"Title": "Later"})
    got = subscriber.fetch("/data/ContactChangeEvent", preset=pb2.EARLIEST)
    assert _decoded_titles(subscriber, got) == ["Later"]  # the first one expired


def test_an_expired_replay_id_is_refused_with_the_corrupted_code(org, clock, subscriber):
    _titles(org, 2)
    old = subscriber.fetch("/data/ContactChangeEvent", preset=pb2.EARLIEST, num=1)
    clock.advance(hours=73)
    subscriber.log_in_again(org)
    org.update("Contact", first_contact(org), {"Title": "Later"})
    with pytest.raises(grpc.RpcError) as raised:
        subscriber.fetch("/data/ContactChangeEvent", preset=pb2.CUSTOM,
                         replay_id=old[0].events[0].replay_id)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(raised.value.trailing_metadata())["error-code"] == (
        "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted")


def test_a_replay_id_never_issued_is_refused(subscriber):
    with pytest.raises(grpc.RpcError) as raised:
        subscriber.fetch("/data/ContactChangeEvent", preset=pb2.CUSTOM,
                         replay_id=replay_bytes(10**9))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_request_for_no_events_is_refused(subscriber):
    with pytest.raises(grpc.RpcError) as raised:
        subscriber.fetch("/data/ContactChangeEvent", num=0)
    assert dict(raised.value.trailing_metadata())["error-code"] == (
        "sfdc.platform.eventbus.grpc.subscription.fetch.requested.events.invalid")


def test_events_arrive_while_the_stream_is_open(org, subscriber):
    import threading

    timer = threading.Timer(0.3, _titles, args=(org, 1))
    timer.start()
    got = subscriber.fetch("/data/ContactChangeEvent", preset=pb2.LATEST, responses=1)
    timer.join()
    assert _decoded_titles(subscriber, got) == ["Title 0"]
