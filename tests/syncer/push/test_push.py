"""The pusher: captured changes reach Salesforce at once, in batches, through faults, or stay
visible with the reason and the fix."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sfmock import ids
from sfmock.models.faults import install_faults
from syncer.push import push_field
from syncer.retry import RetryPolicy
from syncer.service import Syncer
from syncer.store import Settings

MARKETO = "ToutApp__MSE_Opt_Out__c"


def _outbox(syncer: Syncer, state: str | None = None):
    return syncer.store.list_outbox(state)


def _bulk_people(org, syncer: Syncer, count: int) -> list[str]:
    """`count` more records (alternately Contacts and Leads), linked in the store."""
    record_ids = []
    with org.lock, org.db.atomic():
        for i in range(count):
            email = f"bulk{i}@example.com"
            if i % 2:
                data = {"LastName": f"Bulk {i}", "Company": "Bulk Inc", "Email": email}
                record_ids.append(org.insert("Lead", data, check=False))
            else:
                record_ids.append(org.insert("Contact", {"LastName": f"Bulk {i}", "Email": email},
                                             check=False))
    with syncer.store.transaction():
        for i, record_id in enumerate(record_ids):
            syncer.store.upsert_person(f"bulk{i}@example.com", salesforce_id=record_id)
    return record_ids


# -- the happy path ------------------------------------------------------------------------------


def test_a_lone_unsubscribe_goes_out_at_once_in_one_call(org, syncer, people):
    contact = people.link(people.contacts(1))[0]
    outcome = syncer.unsubscribe(contact["Email"], source="link", reason="clicked the link")
    assert outcome.reached_salesforce and outcome.state == "confirmed"
    assert outcome.salesforce_id == contact["Id"]
    assert syncer.client.calls == 1 and outcome.push.batches == 1
    assert org.get("Contact", contact["Id"])["HasOptedOutOfEmail"] == 1
    assert _outbox(syncer) == []
    person = syncer.store.get_person(contact["Email"])
    assert (person.baseline, person.baseline_field) == (True, "HasOptedOutOfEmail")
    actions = [e["action"] for e in syncer.store.person_history(person.id)]
    assert actions == ["link", "unsubscribe", "push"]


@pytest.mark.parametrize("nightly, field, written, untouched", [
    (False, "email-opt-out", "HasOptedOutOfEmail", MARKETO),
    (False, "marketo-sales-opt-out", "HasOptedOutOfEmail", MARKETO),
    (True, "marketo-sales-opt-out", MARKETO, "HasOptedOutOfEmail"),
    (True, "email-opt-out", "HasOptedOutOfEmail", MARKETO),
])
def test_the_field_written_in_each_mode(org, syncer, people, nightly, field, written, untouched):
    """Nightly sync on: the chosen field only. Off: Email Opt Out only, whatever is chosen."""
    org.install_package("marketo-sales-connect")
    syncer.settings(nightly_sync=nightly, field=field)
    assert push_field(syncer.settings()) == written
    contact, lead = people.link(people.contacts(1) + people.leads(1))
    for record in (contact, lead):
        assert syncer.unsubscribe(record["Email"]).reached_salesforce
    for sobject, record in (("Contact", contact), ("Lead", lead)):
        row = org.get(sobject, record["Id"])
        assert (row[written], row[untouched]) == (1, 0)
    assert syncer.store.get_person(lead["Email"]).baseline_field == written


def test_a_resubscribe_clears_the_field(org, syncer, people):
    lead = people.link(people.leads(1))[0]
    syncer.unsubscribe(lead["Email"])
    outcome = syncer.resubscribe(lead["Email"], reason="asked to rejoin", actor="avery")
    assert outcome.reached_salesforce and not outcome.opted_out
    assert org.get("Lead", lead["Id"])["HasOptedOutOfEmail"] == 0
    person = syncer.store.get_person(lead["Email"])
    assert person.baseline is False and not person.opted_out


def test_queued_changes_go_out_200_per_call_with_contacts_and_leads_sharing(org, syncer,
                                                                          writes):
    record_ids = _bulk_people(org, syncer, 450)
    for i in range(450):
        syncer.unsubscribe(f"bulk{i}@example.com", push=False)
    report = syncer.push(wait=0)
    assert (report.pushed, report.batches, report.api_calls) == (450, 3, 3)
    assert report.ok and report.pending == 0
    assert sorted(writes) == sorted(record_ids) and set(writes.values()) == {1}


def test_a_capture_carries_the_waiting_backlog_in_its_call(org, syncer, people):
    records = people.link(people.contacts(3) + people.leads(3))
    for record in records[:5]:
        syncer.unsubscribe(record["Email"], push=False)
    outcome = syncer.unsubscribe(records[5]["Email"])
    assert outcome.reached_salesforce and syncer.client.calls == 1
    assert outcome.push.pushed == 6 and _outbox(syncer) == []


def test_the_captured_change_rides_the_first_call_even_behind_a_long_queue(org, syncer, people):
    _bulk_people(org, syncer, 250)
    for i in range(250):
        syncer.unsubscribe(f"bulk{i}@example.com", push=False)
    contact = people.link(people.contacts(1))[0]
    outcome = syncer.unsubscribe(contact["Email"])
    assert outcome.reached_salesforce
    assert syncer.client.calls == 1 and outcome.push.pushed == 200
    assert outcome.push.pending == 51


def test_people_without_an_id_wait_and_go_out_once_linked(org, syncer, people):
    contact = people.contacts(1)[0]
    outcome = syncer.unsubscribe(contact["Email"].upper(), reason="replied STOP")
    assert outcome.state == "waiting_for_id" and outcome.salesforce_id is None
    assert "syncer people link" in outcome.fix
    assert syncer.client.calls == 0
    assert syncer.push(wait=0).waiting_for_id == 1
    linked = syncer.link()
    assert [link.salesforce_id for link in linked.link.linked] == [contact["Id"]]
    assert linked.push.pushed == 1
    assert org.get("Contact", contact["Id"])["HasOptedOutOfEmail"] == 1


def test_one_push_at_a_time_over_https(server, server_config):
    """The same push through the server front door (real TLS, the syncer's own login)."""
    org = server.org
    lead = next(r for r in org.records("Lead") if not r["IsConverted"])
    with Syncer(server_config) as syncer:
        syncer.store.upsert_person(lead["Email"], salesforce_id=lead["Id"])
        outcome = syncer.unsubscribe(lead["Email"], source="api")
        assert outcome.reached_salesforce and syncer.client.calls == 1
    assert org.get("Lead", lead["Id"])["HasOptedOutOfEmail"] == 1


# -- transient faults ----------------------------------------------------------------------------


def test_failed_and_dropped_calls_are_retried_at_once(org, syncer, people, writes):
    contact = people.link(people.contacts(1))[0]
    install_faults(org, [{"fault": "503", "calls": [1]}, {"fault": "drop", "calls": [2]},
                         {"fault": "500", "calls": [3]}])
    outcome = syncer.unsubscribe(contact["Email"])
    assert outcome.reached_salesforce and syncer.client.calls == 4
    assert writes[contact["Id"]] == 1


def test_a_lasting_outage_leaves_the_change_queued_with_a_later_attempt(org, syncer, people):
    contact = people.link(people.contacts(1))[0]
    install_faults(org, [{"fault": "503"}])
    outcome = syncer.unsubscribe(contact["Email"])
    assert outcome.state == "pending" and "SERVER_UNAVAILABLE" in outcome.error
    assert syncer.client.calls == syncer.policy.call_attempts
    [row] = _outbox(syncer, "pending")
    assert row.attempts == 1 and row.next_attempt_at > row.updated_at
    assert "SERVER_UNAVAILABLE" in row.last_error
    org.faults.clear()
    report = syncer.push(wait=1)
    assert report.pushed == 1 and report.ok
    assert org.get("Contact", contact["Id"])["HasOptedOutOfEmail"] == 1


def test_a_locked_record_is_retried_without_holding_up_the_others(org, syncer, people, writes):
    contact, other = people.link(people.contacts(2))
    syncer.unsubscribe(other["Email"], push=False)
    org.rules.lock(contact["Id"], calls=2)
    outcome = syncer.unsubscribe(contact["Email"])
    assert outcome.reached_salesforce
    assert outcome.push.batches == 3 and outcome.push.pushed == 2
    assert writes == {contact["Id"]: 1, other["Id"]: 1}


def test_a_lock_that_outlasts_the_wait_stays_queued(org, syncer, people):
    contact, other = people.link(people.contacts(2))
    org.rules.lock(contact["Id"])
    syncer.unsubscribe(other["Email"], push=False)
    outcome = syncer.unsubscribe(contact["Email"])
    assert outcome.state == "pending" and "UNABLE_TO_LOCK_ROW" in outcome.error
    assert org.get("Contact", other["Id"])["HasOptedOutOfEmail"] == 1
    [row] = _outbox(syncer)
    assert row.email == contact["Email"].lower() and row.attempts >= 2
    org.rules.release(contact["Id"])
    assert syncer.push().pushed == 1


def test_an_expired_session_is_renewed(org, syncer, people):
    contact = people.link(people.contacts(1))[0]
    syncer.client.limits()
    org.expire_sessions()
    assert syncer.unsubscribe(contact["Email"]).reached_salesforce
    assert syncer.client.logins == 2


def test_a_spent_allocation_pauses_pushes_until_it_recovers(org, clocked_syncer, clock):
    syncer = clocked_syncer
    records = [r for r in org.records("Contact")][:3]
    for record in records:
        syncer.store.upsert_person(record["Email"], salesforce_id=record["Id"])
        syncer.unsubscribe(record["Email"], push=False)
    org.set_api_limit(org.api_usage()[0])
    report = syncer.push(wait=0)
    assert report.paused_until == (clock() + timedelta(seconds=600)).isoformat(
        timespec="seconds")
    assert "daily API allocation is spent" in report.error and not report.ok
    assert syncer.client.calls == 1
    rows = _outbox(syncer, "pending")
    assert len(rows) == 3 and {row.next_attempt_at for row in rows} == {
        syncer.store.now().replace("20:00:00", "20:10:00")}
    assert syncer.push(wait=60).api_calls == 0  # nothing is due: no call spent
    org.set_api_limit(100_000)
    clock.sleep(600)
    report = syncer.push(wait=0)
    assert report.pushed == 3 and report.api_calls == 1


def test_a_capture_during_the_pause_is_kept_without_spinning(org, clocked_syncer, clock):
    syncer = clocked_syncer
    contact, other = list(org.records("Contact"))[:2]
    for record in (contact, other):
        syncer.store.upsert_person(record["Email"], salesforce_id=record["Id"])
    org.set_api_limit(org.api_usage()[0])
    first = syncer.unsubscribe(contact["Email"])
    assert first.state == "pending" and "allocation is spent" in first.error
    calls = syncer.client.calls
    second = syncer.unsubscribe(other["Email"])  # the last answer showed the limit reached
    assert second.state == "pending" and syncer.client.calls == calls


# -- moved records -------------------------------------------------------------------------------


def test_a_converted_leads_unsubscribe_goes_to_its_contact(org, syncer, people):
    lead = people.link(people.leads(1))[0]
    converted = org.convert_lead(lead["Id"])
    outcome = syncer.unsubscribe(lead["Email"])
    assert outcome.reached_salesforce and outcome.salesforce_id == converted["contactId"]
    assert org.get("Contact", converted["contactId"])["HasOptedOutOfEmail"] == 1
    person = syncer.store.get_person(lead["Email"])
    assert (person.salesforce_id, person.salesforce_type) == (converted["contactId"], "Contact")
    relink = [e for e in syncer.store.person_history(person.id) if e["action"] == "relink"]
    assert relink[0]["source"] == "salesforce"
    assert relink[0]["details"] == {"old": lead["Id"], "new": converted["contactId"]}
    assert "was converted to Contact" in relink[0]["reason"]
    [move] = outcome.push.relinked
    assert (move.old, move.new) == (lead["Id"], converted["contactId"])


@pytest.mark.parametrize("sobject", ["Contact", "Lead"])
def test_a_merged_away_records_unsubscribe_goes_to_the_survivor(org, syncer, people, sobject):
    pick = people.contacts if sobject == "Contact" else people.leads
    loser, survivor = pick(2)
    people.link([loser])
    org.merge(sobject, survivor["Id"], [loser["Id"]])
    outcome = syncer.unsubscribe(loser["Email"])
    assert outcome.reached_salesforce and outcome.salesforce_id == survivor["Id"]
    assert org.get(sobject, survivor["Id"])["HasOptedOutOfEmail"] == 1
    assert f"was merged into {survivor['Id']}" in outcome.push.relinked[0].why


def test_a_converted_lead_whose_contact_was_merged_is_followed_twice(org, syncer, people):
    lead = people.link(people.leads(1))[0]
    survivor = people.contacts(1, start=5)[0]
    converted = org.convert_lead(lead["Id"])
    org.merge("Contact", survivor["Id"], [converted["contactId"]])
    outcome = syncer.unsubscribe(lead["Email"])
    assert outcome.reached_salesforce and outcome.salesforce_id == survivor["Id"]
    assert len(outcome.push.relinked) == 2


# -- permanent failures --------------------------------------------------------------------------


def test_a_deleted_record_fails_visibly_and_others_go_on(org, syncer, people):
    gone, fine = people.link(people.contacts(2))
    org.delete("Contact", gone["Id"])
    syncer.unsubscribe(fine["Email"], push=False)
    outcome = syncer.unsubscribe(gone["Email"])
    assert outcome.state == "failed"
    assert "ENTITY_IS_DELETED" in outcome.error and "Recycle Bin" in outcome.error
    assert "restore the record from the Recycle Bin" in outcome.fix
    assert "syncer push --retry-failed" in outcome.fix
    assert org.get("Contact", fine["Id"])["HasOptedOutOfEmail"] == 1
    person = syncer.store.get_person(gone["Email"])
    assert person.sf_state == "deleted"
    assert syncer.store.person_history(person.id)[-1]["action"] == "push_failed"
    assert syncer.status().failed_count == 1


def test_an_id_unknown_to_salesforce_fails(org, syncer):
    unknown = ids.make_id("003", org.meta["pod"], 8_888_888)
    syncer.store.upsert_person("ghost@example.com", salesforce_id=unknown)
    outcome = syncer.unsubscribe("ghost@example.com")
    assert outcome.state == "failed" and "not found, even in the Recycle Bin" in outcome.error
    assert syncer.store.get_person("ghost@example.com").sf_state == "missing"


def test_a_missing_custom_field_names_the_package(org, syncer, people):
    syncer.settings(nightly_sync=True, field="marketo-sales-opt-out")
    contact = people.link(people.contacts(1))[0]
    outcome = syncer.unsubscribe(contact["Email"])
    assert outcome.state == "failed" and outcome.error.startswith("INVALID_FIELD")
    assert outcome.fix.startswith("install the Marketo Sales Connect package or switch the"
                                  " field to Email Opt Out")
    org.install_package("marketo-sales-connect")
    assert syncer.push(retry_failed=True).pushed == 1
    assert org.get("Contact", contact["Id"])[MARKETO] == 1


def test_no_edit_access_names_the_field_level_security(org, syncer, people):
    contact = people.link(people.contacts(1))[0]
    org.field_security.set("Contact", "HasOptedOutOfEmail", "read")
    outcome = syncer.unsubscribe(contact["Email"])
    assert outcome.error.startswith("INVALID_FIELD_FOR_INSERT_UPDATE")
    assert outcome.fix.startswith("grant the integration user edit access (field-level"
                                  " security) to HasOptedOutOfEmail on Contact")


def test_a_validation_rule_failure_is_kept_until_retried(org, syncer, people):
    lead = people.link(people.leads(1))[0]
    org.rules.add_validation("Lead", "No_Opt_Out", ("HasOptedOutOfEmail", "=", True),
                             "Opt-outs need a reason code")
    outcome = syncer.unsubscribe(lead["Email"])
    assert outcome.state == "failed"
    assert outcome.error == "FIELD_CUSTOM_VALIDATION_EXCEPTION: Opt-outs need a reason code"
    assert "validation rule on Lead" in outcome.fix
    assert syncer.push().pushed == 0  # failed rows wait for an admin
    org.rules.remove_validation("Lead", "No_Opt_Out")
    report = syncer.push(retry_failed=True)
    assert report.pushed == 1 and syncer.status().failed_count == 0


def test_push_field_follows_the_settings():
    assert push_field(Settings()) == "HasOptedOutOfEmail"
    assert push_field(Settings(field="marketo-sales-opt-out")) == "HasOptedOutOfEmail"
    assert push_field(Settings(nightly_sync=True, field="marketo-sales-opt-out",
                               marketo_field_api_name="Acme__Opt__c")) == "Acme__Opt__c"



def test_backoff_is_exponential_with_jitter_and_capped():
    policy = RetryPolicy(retry_wait=2.0, retry_wait_max=3600.0)
    assert [policy.row_delay(n, rand=lambda: 0.0) for n in range(4)] == [1.0, 2.0, 4.0, 8.0]
    assert policy.row_delay(3, rand=lambda: 1.0) == 16.0
    assert policy.row_delay(40, rand=lambda: 0.5) == 2700.0  # 3600 capped, 3/4 of it


def test_a_failing_call_is_retried_after_growing_jittered_waits(org, config, people):
    waits: list[float] = []
    policy = RetryPolicy(call_attempts=4, call_wait=0.5, call_wait_max=8.0)
    with Syncer(config, policy=policy, sleep=waits.append) as syncer:
        contact = people.contacts(1)[0]
        syncer.store.upsert_person(contact["Email"], salesforce_id=contact["Id"])
        install_faults(org, [{"fault": "503", "calls": "1-3"}])
        assert syncer.unsubscribe(contact["Email"]).reached_salesforce
    assert len(waits) == 3 and all(0 <= wait <= cap for wait, cap in zip(waits, (0.5, 1, 2), strict=True))


def test_a_record_push_whose_record_is_gone_fails_and_shows_in_the_status(org, syncer, people):
    contact = people.contacts(1)[0]  # no person here is linked to it (a fan-out target)
    org.delete("Contact", contact["Id"])
    syncer.store.queue_record_push(contact["Id"], "Contact", True, field="HasOptedOutOfEmail",
                                   email=contact["Email"].lower())
    report = syncer.push(wait=0)
    [failure] = report.failed
    assert failure.salesforce_id == contact["Id"] and "Recycle Bin" in failure.fix
    status = syncer.status()
    assert status.failed_count == 1 and status.failed[0]["salesforce_id"] == contact["Id"]


def test_a_record_push_to_a_converted_lead_is_not_relinked(org, syncer, people):
    lead = people.leads(1)[0]
    org.convert_lead(lead["Id"])
    syncer.store.queue_record_push(lead["Id"], "Lead", True, field="HasOptedOutOfEmail")
    report = syncer.push(wait=0)
    assert report.relinked == [] and report.failed[0].error.startswith(
        "CANNOT_UPDATE_CONVERTED_LEAD")
    assert "the next nightly run pushes to the record it became" in report.failed[0].fix
