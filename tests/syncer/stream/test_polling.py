"""The fallback: an incremental pull every N minutes, one API call when nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncer.nightly.records import parse_stamp

from .conftest import streaming, unsubscribes, wait_for


@pytest.fixture
def contact(org, syncer) -> dict:
    record = next(r for r in org.records("Contact") if not r["HasOptedOutOfEmail"])
    syncer.store.upsert_person(record["Email"], salesforce_id=record["Id"], source="import")
    return record


def test_an_opt_out_is_applied_within_one_interval(org, syncer, contact):
    syncer.settings(poll_minutes=0.02)  # 1.2 s
    with streaming(syncer):
        org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": True})
        assert wait_for(lambda: syncer.store.get_person(contact["Email"]).opted_out) < 1.2 + 1
    assert unsubscribes(syncer, "salesforce-poll") == 1
    assert syncer.status().stream["mode"] == "polling"


def test_an_idle_poll_costs_exactly_one_api_call(org, syncer, contact):
    poller = syncer.stream().poller
    poller.poll()  # logs in
    used = org.api_usage()[0]
    for _ in range(3):
        poller.poll()
    assert org.api_usage()[0] - used == 3


def test_polls_apply_a_change_once_though_the_overlap_reads_it_again(org, syncer, contact):
    poller = syncer.stream().poller
    poller.poll()
    org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": True})
    poller.poll()
    poller.poll()  # reads it again: it changed inside the overlap
    assert unsubscribes(syncer, "salesforce-poll") == 1


def test_the_watermark_never_passes_the_polls_start_less_the_overlap(org, syncer, contact):
    before = datetime.now(UTC)
    syncer.stream().poller.poll()
    marks = syncer.store.stream_state()["watermarks"]
    assert set(marks) == {"Contact", "Lead"}
    for mark in marks.values():
        assert parse_stamp(mark) <= before - timedelta(minutes=5) + timedelta(seconds=1)


def test_sticky_opt_out_pushes_back_an_unticked_box(org, syncer, contact):
    poller = syncer.stream().poller
    poller.poll()
    org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": True})
    poller.poll()
    org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": False})
    poller.poll()  # sticky: the opt-out is set again through the outbox
    assert org.get("Contact", contact["Id"])["HasOptedOutOfEmail"]
    assert syncer.store.get_person(contact["Email"]).opted_out


def test_three_way_applies_a_resubscribe_from_salesforce(org, syncer, contact):
    syncer.settings(honour_salesforce_resubscribes=True)
    poller = syncer.stream().poller
    poller.poll()
    org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": True})
    poller.poll()
    org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": False})
    poller.poll()
    assert not syncer.store.get_person(contact["Email"]).opted_out
    assert [e["source"] for e in syncer.store.list_events("resubscribe")] == ["salesforce-poll"]


def test_a_failed_poll_is_said_and_tried_again(org, syncer, contact):
    syncer.settings(poll_minutes=0.01)
    org.expire_sessions()
    org.set_api_limit(0)  # every call refused: REQUEST_LIMIT_EXCEEDED
    with streaming(syncer, subscribed=False) as running:
        wait_for(lambda: any("daily API allocation is spent" in line for line in running.lines))
        org.set_api_limit(1_000_000)
        org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": True})
        wait_for(lambda: syncer.store.get_person(contact["Email"]).opted_out, timeout=10)
    assert any("trying again in 1 s" in line for line in running.lines)
