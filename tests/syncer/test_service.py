"""The Python API (`Syncer`), the front door the web app uses: captures are never lost."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from syncer.config import Config
from syncer.service import Syncer
from syncer.store import InvalidEmail, InvalidValue, SettingsError


def test_capture_by_salesforce_id_and_the_outcome_as_json(org, syncer, people):
    lead = people.link(people.leads(1))[0]
    outcome = syncer.unsubscribe(salesforce_id=lead["Id"], source="api", reason="form")
    data = json.loads(json.dumps(outcome.to_json()))
    assert data["reached_salesforce"] is True and data["state"] == "confirmed"
    assert data["email"] == lead["Email"].lower() and data["push"]["pushed"] == 1


def test_an_idempotency_key_captures_and_writes_once(org, syncer, people, writes):
    contact = people.link(people.contacts(1))[0]
    first = syncer.unsubscribe(contact["Email"], source="api", idempotency_key="req-1")
    again = syncer.unsubscribe(contact["Email"], source="api", idempotency_key="req-1")
    assert first.reached_salesforce and again.reached_salesforce and again.duplicate
    assert writes[contact["Id"]] == 1 and syncer.client.calls == 1


def test_bad_input_raises_store_errors_naming_the_fix(syncer):
    with pytest.raises(InvalidEmail, match="is not a valid email address: use the form"):
        syncer.unsubscribe("not-an-email")
    with pytest.raises(InvalidValue, match="a resubscribe needs a reason"):
        syncer.resubscribe("ann@example.com", reason="  ")
    with pytest.raises(SettingsError, match="use email-opt-out or marketo-sales-opt-out"):
        syncer.settings(field="fax")


@pytest.mark.parametrize("broken, error", [
    ({"login_url": "https://127.0.0.1:9"}, "cannot reach Salesforce at https://127.0.0.1:9"),
    ({"password": "wrong"}, "Salesforce refused the login"),
    ({"username": None, "password": None}, "no Salesforce credentials"),
])
def test_a_capture_survives_salesforce_trouble_and_goes_out_later(org, config, policy, people,
                                                                  broken, error):
    """Unreachable, refused or unconfigured: the unsubscribe is stored and pushed later."""
    contact = people.contacts(1)[0]
    values = {**config.__dict__, **broken}
    with Syncer(Config(**values), policy=policy) as offline:
        offline.store.upsert_person(contact["Email"], salesforce_id=contact["Id"])
        outcome = offline.unsubscribe(contact["Email"], reason="replied STOP")
        assert outcome.state == "pending" and error in outcome.error
        assert offline.store.get_person(contact["Email"]).opted_out
    with Syncer(config) as online:
        report = online.push()
        assert report.pushed == 1 and report.ok
    assert org.get("Contact", contact["Id"])["HasOptedOutOfEmail"] == 1


def test_status_counts_and_flags_stale_opt_outs(org, clocked_syncer, clock, people):
    syncer = clocked_syncer
    gone = people.contacts(1)[0]
    syncer.store.upsert_person(gone["Email"], salesforce_id=gone["Id"])
    org.delete("Contact", gone["Id"])
    syncer.unsubscribe(gone["Email"])
    syncer.unsubscribe("unlinked@example.com")
    status = syncer.status()
    assert (status.people, status.opted_out, status.without_salesforce_id) == (2, 2, 1)
    assert (status.pending, status.waiting_for_id, status.failed_count) == (0, 1, 1)
    assert status.failed[0]["email"] == gone["Email"].lower()
    assert "Recycle Bin" in status.failed[0]["fix"]
    assert status.push_field == "HasOptedOutOfEmail" and status.config["password"] == "set"
    assert not status.stale
    clock.sleep(timedelta(hours=25).total_seconds())
    assert syncer.status().stale
    assert json.dumps(syncer.status().to_json())


def test_import_people_settings_and_people_list(syncer, tmp_path):
    csv = tmp_path / "people.csv"
    csv.write_text("email,first_name\nann@example.com,Ann\nbad-email,Bob\nzoe@example.com,Zoe\n")
    report = syncer.import_people(csv)
    assert report.imported == 2 and [line for line, _ in report.errors] == [3]
    assert [p.email for p in syncer.people()] == ["ann@example.com", "zoe@example.com"]
    assert [p.email for p in syncer.people(without_id=True, limit=1)] == ["ann@example.com"]
    changed = syncer.settings(nightly_sync=True, field="marketo-sales-opt-out",
                              marketo_field_api_name="Acme__Opt_Out__c", actor="avery")
    assert changed.field_api_name == "Acme__Opt_Out__c" and syncer.settings() == changed


def test_resubscribe_over_https(server, server_config):
    org = server.org
    contact = next(org.records("Contact"))
    with Syncer(server_config) as syncer:
        syncer.store.upsert_person(contact["Email"], salesforce_id=contact["Id"])
        assert syncer.unsubscribe(contact["Email"]).reached_salesforce
        assert org.get("Contact", contact["Id"])["HasOptedOutOfEmail"] == 1
        assert syncer.resubscribe(contact["Email"], reason="asked to rejoin").reached_salesforce
    assert org.get("Contact", contact["Id"])["HasOptedOutOfEmail"] == 0
