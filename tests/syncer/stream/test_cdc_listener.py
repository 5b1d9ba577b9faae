"""The CDC listener: opt-outs ticked in Salesforce reach the store in seconds, exactly once."""

from __future__ import annotations

import pytest

from sfmock.models.cdc import cdc

from .conftest import silently, streaming, unsubscribes, wait_for


@pytest.fixture
def contact(org, syncer) -> dict:
    """A Contact whose person is in the store, linked, subscribed on both sides."""
    record = next(r for r in org.records("Contact") if not r["HasOptedOutOfEmail"])
    syncer.store.upsert_person(record["Email"], salesforce_id=record["Id"], source="import")
    syncer.settings(cdc=True)
    return record


def opted_out(syncer, record) -> bool:
    return syncer.store.get_person(record["Email"]).opted_out


def test_an_opt_out_ticked_in_salesforce_is_applied_within_two_seconds(org, syncer, contact):
    with streaming(syncer):
        org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": True})
        assert wait_for(lambda: opted_out(syncer, contact)) < 2.0
    assert unsubscribes(syncer, "salesforce-cdc") == 1
    status = syncer.status().stream
    assert status["mode"] == "cdc"
    assert status["last_event"]["record_ids"] == [contact["Id"]]
    assert 0 <= status["lag_seconds"] < 2.0


def test_a_change_to_another_field_is_not_applied(org, syncer, contact):
    with streaming(syncer):
        org.update("Contact", contact["Id"], {"Title": "CFO"})
        org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": True})
        wait_for(lambda: opted_out(syncer, contact))
    assert [e["source"] for e in syncer.store.list_events("unsubscribe")] == ["salesforce-cdc"]


def test_a_restart_resumes_after_the_last_applied_batch(org, syncer, contact):
    with streaming(syncer):
        pass
    org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": True})  # while stopped
    with streaming(syncer):
        wait_for(lambda: opted_out(syncer, contact))
    with streaming(syncer):
        pass
    assert unsubscribes(syncer, "salesforce-cdc") == 1


def test_a_gap_event_reads_the_records_it_names(org, syncer, contact):
    with streaming(syncer):
        with silently(org):
            org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": True})
        cdc(org).gap("Contact", [contact["Id"]])
        wait_for(lambda: opted_out(syncer, contact))
    assert unsubscribes(syncer, "salesforce-cdc") == 1


def test_an_overflow_event_pulls_everything_since_the_watermark(org, syncer, contact):
    with streaming(syncer):
        with silently(org):
            org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": True})
        cdc(org).overflow("Contact")
        wait_for(lambda: opted_out(syncer, contact))


def test_an_expired_replay_id_pulls_everything_since_the_watermark(org, syncer, contact):
    with streaming(syncer):
        pass
    syncer.store.save_stream_state(replay_id=(10**9).to_bytes(8, "big").hex())
    with silently(org):
        org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": True})
    with streaming(syncer, subscribed=False):
        wait_for(lambda: opted_out(syncer, contact))


def test_an_expired_session_logs_in_again_and_resubscribes(org, syncer, contact):
    with streaming(syncer):
        pass
    org.expire_sessions()  # the syncer still holds the old token
    with streaming(syncer) as running:
        org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": True})
        wait_for(lambda: opted_out(syncer, contact))
    assert running.stream.cdc.logins == 1


def test_an_unreachable_pubsub_api_falls_back_to_polling(org, tmp_path, contact):
    from syncer.config import Config
    from syncer.service import Syncer

    from ..conftest import FAST

    config = Config(db=str(tmp_path / "syncer.db"), username="integration@sfmock.dev",
                    password="sfmock-password", security_token="sfmock-token",
                    pubsub_endpoint="127.0.0.1:9")  # nothing listens on the discard port
    with Syncer(config, policy=FAST) as other:
        other.store.upsert_person(contact["Email"], salesforce_id=contact["Id"],
                                  source="import")
        other.settings(cdc=True, poll_minutes=0.01)
        with streaming(other, subscribed=False) as running:
            wait_for(lambda: other.store.stream_state().get("mode") == "polling")
            org.update("Contact", contact["Id"], {"HasOptedOutOfEmail": True})
            wait_for(lambda: opted_out(other, contact))
        assert any("polling instead" in line for line in running.lines)
        assert unsubscribes(other, "salesforce-poll") == 1
        assert "127.0.0.1:9" in other.status().stream["cdc_error"]
