"""The nightly run against sfmock in-process: every reconciliation rule, both modes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sfmock.models.faults import install_faults
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.config import Config
from syncer.nightly import run_nightly
from syncer.push import Pusher
from syncer.retry import RetryPolicy
from syncer.service import Syncer
from syncer.store import Store

FIELD = "HasOptedOutOfEmail"
MARKETO = "ToutApp__MSE_Opt_Out__c"
# Rows due again at once, so a drain can retry a locked record without a clock.
FAST_ROWS = RetryPolicy(call_wait=0.001, call_wait_max=0.002, retry_wait=0.001,
                        retry_wait_max=0.002)


def make(org, sobject, email, opted=False, field=FIELD):
    data = {"LastName": "Person", "Email": email, field: opted}
    if sobject == "Lead":
        data["Company"] = "Acme"
    return org.insert(sobject, data)


def value(org, sfid, field=FIELD):
    sobject = "Contact" if sfid.startswith("003") else "Lead"
    return bool(org.get(sobject, sfid, include_deleted=True)[field])


def set_value(org, sfid, opted, field=FIELD):
    sobject = "Contact" if sfid.startswith("003") else "Lead"
    org.update(sobject, sfid, {field: opted})


def link(store, email, sfid, opted=False):
    """A person linked to `sfid`, opted out or not here, with nothing queued."""
    person_id = store.upsert_person(email, salesforce_id=sfid)
    if opted:
        store.set_opted_out(person_id, True, source="import")
    return person_id


def local(store, email):
    return store.get_person(email).opted_out


def decisions(store, email):
    person = store.get_person(email)
    return [e for e in store.person_history(person.id) if e["action"] == "sync_decision"]


def ok(report):
    assert report.status == "ok", report.summary()
    return report


@pytest.fixture(params=["Contact", "Lead"])
def sobject(request):
    return request.param


# -- sticky (the default) ------------------------------------------------------------------------


def test_an_opt_out_in_salesforce_comes_here_with_source_salesforce(sforg, remote, store,
                                                                    sobject):
    sfid = make(sforg, sobject, "ann@example.com")
    link(store, "ann@example.com", sfid)
    ok(run_nightly(store, remote))
    set_value(sforg, sfid, True)
    report = ok(run_nightly(store, remote))
    assert local(store, "ann@example.com") and report.pushed_local == 1
    history = store.person_history(store.get_person("ann@example.com").id)
    applied = [e for e in history if e["action"] == "unsubscribe"]
    assert applied[-1]["source"] == "salesforce"
    assert "checked in Salesforce" in decisions(store, "ann@example.com")[-1]["reason"]
    assert store.get_person("ann@example.com").baseline is True


def test_an_unsubscribe_here_is_pushed_and_becomes_the_baseline(sforg, remote, store, sobject):
    sfid = make(sforg, sobject, "bo@example.com")
    link(store, "bo@example.com", sfid)
    ok(run_nightly(store, remote))
    store.capture("bo@example.com", opted_out=True, source="link")
    report = ok(run_nightly(store, remote))
    assert value(sforg, sfid) is True and report.pushed_remote == 1
    person = store.get_person("bo@example.com")
    assert person.baseline is True and person.baseline_field == FIELD
    assert store.list_outbox() == []


def test_unchecking_in_salesforce_alone_is_set_again_and_says_why(sforg, remote, store, sobject):
    sfid = make(sforg, sobject, "cy@example.com", opted=True)
    link(store, "cy@example.com", sfid, opted=True)
    ok(run_nightly(store, remote))
    set_value(sforg, sfid, False)
    ok(run_nightly(store, remote))
    assert value(sforg, sfid) is True and local(store, "cy@example.com")
    reason = decisions(store, "cy@example.com")[-1]["reason"]
    assert "sticky" in reason and "syncer resubscribe" in reason
    ok(run_nightly(store, remote))
    assert value(sforg, sfid) is True


def test_a_resubscribe_clears_both_sides_and_no_run_undoes_it(sforg, remote, store):
    sfid = make(sforg, "Contact", "di@example.com", opted=True)
    link(store, "di@example.com", sfid, opted=True)
    ok(run_nightly(store, remote))
    store.resubscribe("di@example.com", source="manual", reason="signed up again")
    ok(run_nightly(store, remote))  # the waiting resubscribe is pushed before comparing
    assert value(sforg, sfid) is False and not local(store, "di@example.com")
    ok(run_nightly(store, remote))
    assert value(sforg, sfid) is False and not local(store, "di@example.com")


def test_a_push_confirmed_after_the_pull_read_its_record_is_not_undone(sforg, remote, tmp_path):
    """The run reads the record (opted out); then another syncer on the database pushes the
    person's resubscribe and Salesforce confirms it. The run's older copy of the record must
    not opt the person out here again: the next run decides, from a fresh read."""
    config = Config(db=str(tmp_path / "syncer.db"), username=USERNAME, password=PASSWORD,
                    security_token=TOKEN)
    sfid = make(sforg, "Contact", "fay@example.com", opted=True)
    with Syncer(config) as other:
        other.settings(nightly_sync=True)
        link(other.store, "fay@example.com", sfid, opted=True)
        ok(run_nightly(other.store, remote))
        read_pages = remote.query_pages

        def read_then_resubscribe_elsewhere(soqls):
            pages = read_pages(soqls)
            outcome = other.resubscribe("fay@example.com", reason="signed up again")
            assert outcome.reached_salesforce
            return pages

        remote.query_pages = read_then_resubscribe_elsewhere
        with Store(config.db) as night:
            report = run_nightly(night, remote)
        assert report.status == "ok" and report.waiting == 1
        assert value(sforg, sfid) is False and not local(other.store, "fay@example.com")
        remote.query_pages = read_pages
        ok(run_nightly(other.store, remote))
        assert value(sforg, sfid) is False and not local(other.store, "fay@example.com")


def test_a_resubscribe_that_cannot_be_pushed_yet_is_left_alone(sforg, remote, store):
    from sfmock.models.faults import install_faults

    sfid = make(sforg, "Contact", "ed@example.com", opted=True)
    link(store, "ed@example.com", sfid, opted=True)
    ok(run_nightly(store, remote))
    store.resubscribe("ed@example.com", source="manual", reason="signed up again")
    install_faults(sforg, [{"fault": "UNABLE_TO_LOCK_ROW", "method": "PATCH",
                            "path": "/composite/sobjects", "scope": "record"}])
    report = run_nightly(store, remote)
    assert report.status == "ok" and report.waiting == 1
    assert not local(store, "ed@example.com")  # not opted out again by the comparison
    [waiting] = store.list_outbox()
    assert waiting.desired is False and "UNABLE_TO_LOCK_ROW" in waiting.last_error


def test_contacts_and_leads_in_one_run(sforg, remote, store):
    c = make(sforg, "Contact", "c@example.com", opted=True)
    lead = make(sforg, "Lead", "l@example.com")
    link(store, "c@example.com", c)
    link(store, "l@example.com", lead, opted=True)
    report = ok(run_nightly(store, remote))
    assert report.mode == "full"
    assert local(store, "c@example.com") and value(sforg, lead) is True


# -- Salesforce's own moves ------------------------------------------------------------------


def test_a_lead_converted_into_an_existing_contact_is_followed(sforg, remote, store):
    lead = make(sforg, "Lead", "fay@example.com", opted=True)
    contact = make(sforg, "Contact", "fay@example.com")
    link(store, "fay@example.com", lead, opted=True)
    ok(run_nightly(store, remote))
    sforg.convert_lead(lead, contact_id=contact)
    assert value(sforg, contact) is False  # Salesforce did not carry the opt-out across
    report = ok(run_nightly(store, remote))
    person = store.get_person("fay@example.com")
    assert person.salesforce_id == contact and person.salesforce_type == "Contact"
    assert value(sforg, contact) is True and report.relinked == 1
    relink = [e for e in store.person_history(person.id) if e["action"] == "relink"][-1]
    assert relink["source"] == "salesforce" and "converted" in relink["reason"]


def test_a_merged_record_follows_its_survivor(sforg, remote, store):
    survivor = make(sforg, "Contact", "gus@example.com")
    loser = make(sforg, "Contact", "gus.old@example.com", opted=True)
    link(store, "gus@example.com", loser, opted=True)
    ok(run_nightly(store, remote))
    sforg.merge("Contact", survivor, [loser])
    ok(run_nightly(store, remote))
    person = store.get_person("gus@example.com")
    assert person.salesforce_id == survivor and value(sforg, survivor) is True


def merge_into_anothers_record(sforg, remote, store, owner, opted_out):
    """Two linked people; `opted_out` opts out here, then their Contact is merged into
    `owner`'s. Returns (survivor, loser)."""
    survivor = make(sforg, "Contact", owner)
    loser = make(sforg, "Contact", opted_out)
    link(store, owner, survivor)
    link(store, opted_out, loser)
    ok(run_nightly(store, remote))
    store.set_opted_out(store.get_person(opted_out).id, True, source="import")
    sforg.merge("Contact", survivor, [loser])
    return survivor, loser


def test_a_survivor_linked_to_someone_else_still_gets_the_opt_out(sforg, remote, store):
    survivor, loser = merge_into_anothers_record(sforg, remote, store, "hal@example.com",
                                                 "hal2@example.com")
    ok(run_nightly(store, remote))
    other = store.get_person("hal2@example.com")
    assert other.salesforce_id == loser and other.sf_state == "merged"
    assert value(sforg, survivor) is True
    ok(run_nightly(store, remote))
    assert local(store, "hal@example.com")  # the survivor's owner follows, sticky


def test_a_deleted_record_is_reported_and_the_person_keeps_their_state(sforg, remote, store):
    sfid = make(sforg, "Contact", "ida@example.com", opted=True)
    link(store, "ida@example.com", sfid, opted=True)
    ok(run_nightly(store, remote))
    sforg.delete("Contact", sfid)
    report = ok(run_nightly(store, remote))
    person = store.get_person("ida@example.com")
    assert report.deleted == 1 and "1 deleted in Salesforce" in report.summary()
    assert person.sf_state == "deleted" and person.opted_out
    assert decisions(store, "ida@example.com")[-1]["details"]["kind"] == "deleted"
    assert ok(run_nightly(store, remote)).deleted == 0  # reported once
    sforg.undelete("Contact", sfid)
    ok(run_nightly(store, remote))
    assert store.get_person("ida@example.com").sf_state is None


# -- settings ----------------------------------------------------------------------------------


def test_only_the_chosen_field_is_synced_and_switching_it_is_safe(sforg, remote, store):
    sforg.install_package("marketo-sales-connect")
    a = make(sforg, "Contact", "jo@example.com", opted=True)
    b = make(sforg, "Lead", "kim@example.com")
    link(store, "jo@example.com", a, opted=True)
    link(store, "kim@example.com", b)
    ok(run_nightly(store, remote))
    set_value(sforg, b, True, MARKETO)  # the other field: ignored while syncing Email Opt Out
    ok(run_nightly(store, remote))
    assert not local(store, "kim@example.com") and value(sforg, a, MARKETO) is False
    store.update_settings(field="marketo-sales-opt-out", honour_salesforce_resubscribes=True)
    report = ok(run_nightly(store, remote))
    # No baseline for the new field: the sides disagree, so the opt-out wins on both.
    assert value(sforg, a, MARKETO) is True and local(store, "kim@example.com")
    assert report.conflicts == 2
    assert store.get_person("jo@example.com").baseline_field == MARKETO
    assert value(sforg, b, FIELD) is False  # Email Opt Out untouched


def test_fan_out_opts_out_every_record_sharing_the_email(sforg, remote, store):
    store.update_settings(fan_out_by_email=True)
    own = make(sforg, "Contact", "lee@example.com")
    twin = make(sforg, "Lead", "LEE@example.com")
    other = make(sforg, "Contact", "someone@example.com")
    link(store, "lee@example.com", own, opted=True)
    ok(run_nightly(store, remote))
    assert value(sforg, own) and value(sforg, twin) and not value(sforg, other)
    later = make(sforg, "Contact", "lee@example.com")  # created after the opt-out
    ok(run_nightly(store, remote))
    assert value(sforg, later)
    reasons = [e["reason"] for e in decisions(store, "lee@example.com")]
    assert any("fan_out_by_email" in r and later in r for r in reasons)
    # A new opt-out here fans out on the next incremental run.
    mia = make(sforg, "Contact", "mia@example.com")
    mia_twin = make(sforg, "Lead", "mia@example.com")
    link(store, "mia@example.com", mia)
    ok(run_nightly(store, remote))
    store.capture("mia@example.com", opted_out=True, source="link")
    report = ok(run_nightly(store, remote))
    assert report.mode == "incremental" and value(sforg, mia_twin) and value(sforg, mia)
    # An opt-out that arrives from Salesforce fans out in the same run.
    zed = make(sforg, "Contact", "zed@example.com")
    zed_twin = make(sforg, "Lead", "zed@example.com")
    link(store, "zed@example.com", zed)
    ok(run_nightly(store, remote))
    set_value(sforg, zed, True)
    ok(run_nightly(store, remote))
    assert local(store, "zed@example.com") and value(sforg, zed_twin)


def test_without_fan_out_only_the_linked_record_changes(sforg, remote, store):
    own = make(sforg, "Contact", "ned@example.com")
    twin = make(sforg, "Lead", "ned@example.com")
    link(store, "ned@example.com", own, opted=True)
    ok(run_nightly(store, remote))
    assert value(sforg, own) and not value(sforg, twin)


# -- three-way merge (honour_salesforce_resubscribes) -------------------------------------------


@pytest.fixture
def honour(store):
    store.update_settings(honour_salesforce_resubscribes=True)
    return store


def test_three_way_only_salesforce_changed_is_applied_here(sforg, remote, honour):
    store = honour
    a = make(sforg, "Contact", "oz@example.com", opted=True)
    b = make(sforg, "Lead", "pam@example.com")
    link(store, "oz@example.com", a, opted=True)
    link(store, "pam@example.com", b)
    ok(run_nightly(store, remote))
    set_value(sforg, a, False)  # resubscribed in Salesforce
    set_value(sforg, b, True)
    ok(run_nightly(store, remote))
    assert not local(store, "oz@example.com") and local(store, "pam@example.com")
    history = store.person_history(store.get_person("oz@example.com").id)
    resub = [e for e in history if e["action"] == "resubscribe"][-1]
    assert resub["source"] == "salesforce" and "honour_salesforce_resubscribes" in resub["reason"]
    assert value(sforg, a) is False  # nothing pushed back


def test_three_way_only_local_changed_is_pushed(sforg, remote, honour):
    store = honour
    a = make(sforg, "Contact", "quin@example.com", opted=True)
    link(store, "quin@example.com", a, opted=True)
    ok(run_nightly(store, remote))
    # Changed here without a push (e.g. an import): the run pushes it.
    store.set_opted_out(store.get_person("quin@example.com").id, False, source="import")
    ok(run_nightly(store, remote))
    assert value(sforg, a) is False
    assert decisions(store, "quin@example.com")[-1]["details"]["kind"] == "push"


def test_three_way_both_changed_the_same_way_moves_the_baseline(sforg, remote, honour):
    store = honour
    a = make(sforg, "Contact", "rae@example.com")
    link(store, "rae@example.com", a)
    ok(run_nightly(store, remote))
    set_value(sforg, a, True)
    store.set_opted_out(store.get_person("rae@example.com").id, True, source="import")
    report = ok(run_nightly(store, remote))
    assert store.get_person("rae@example.com").baseline is True
    assert report.pushed_local == report.pushed_remote == 0
    assert decisions(store, "rae@example.com")[-1]["details"]["kind"] == "moved"


def test_three_way_without_a_baseline_the_opt_out_wins(sforg, remote, honour):
    store = honour
    a = make(sforg, "Contact", "sal@example.com", opted=True)
    b = make(sforg, "Lead", "tom@example.com")
    link(store, "sal@example.com", a)
    link(store, "tom@example.com", b, opted=True)
    report = ok(run_nightly(store, remote))
    assert local(store, "sal@example.com") and value(sforg, b) is True
    assert report.conflicts == 2
    assert all(d["details"]["kind"] == "conflict"
               for email in ("sal@example.com", "tom@example.com")
               for d in decisions(store, email))


# -- the run itself ----------------------------------------------------------------------------


def test_every_run_is_recorded_with_counts_and_api_calls(sforg, remote, store):
    sfid = make(sforg, "Contact", "uma@example.com", opted=True)
    link(store, "uma@example.com", sfid)
    report = ok(run_nightly(store, remote, trigger="manual"))
    [run] = store.list_runs()
    assert run.status == "ok" and run.mode == "full" and run.pushed_local == 1
    assert run.api_calls == report.api_calls > 0 and run.finished_at
    assert run.watermark and set(run.details["watermarks"]) == {"Contact", "Lead"}
    assert run.details["trigger"] == "manual"


def test_a_run_with_nothing_changed_costs_one_call(sforg, remote, store):
    """Both first pages in one Composite Batch call; the allocation read from its header."""
    for i in range(30):
        sfid = make(sforg, "Contact" if i % 2 else "Lead", f"v{i}@example.com", opted=i % 3 == 0)
        link(store, f"v{i}@example.com", sfid, opted=i % 5 == 0)
    ok(run_nightly(store, remote))
    ok(run_nightly(store, remote))
    before = sforg.api_usage()[0]
    report = ok(run_nightly(store, remote))
    assert sforg.api_usage()[0] - before == report.api_calls == 1


def test_dry_run_prints_both_sides_and_changes_nothing(sforg, remote, store):
    a = make(sforg, "Contact", "vi@example.com", opted=True)
    b = make(sforg, "Lead", "wu@example.com")
    link(store, "vi@example.com", a)
    link(store, "wu@example.com", b, opted=True)
    c = make(sforg, "Contact", "xu@example.com")
    link(store, "xu@example.com", c)
    store.capture("xu@example.com", opted_out=True, source="link")  # waiting in the outbox
    events = store.count_events()
    report = run_nightly(store, remote, dry_run=True)
    assert report.status == "dry-run" and report.run_id is None
    lines = [c.line() for c in report.changes]
    assert any(line.startswith("here: opt out vi@example.com") for line in lines)
    assert any(line.startswith(f"Salesforce: set {FIELD} to true on Lead wu@example.com")
               for line in lines)
    assert any(line.startswith(f"Salesforce: set {FIELD} to true on Contact xu@example.com")
               and "waiting in the outbox" in line for line in lines)
    assert not local(store, "vi@example.com") and value(sforg, b) is False
    assert value(sforg, c) is False and len(store.list_outbox()) == 1
    assert store.list_runs() == []
    assert store.count_events() == events


def test_the_api_reserve_stops_the_run_and_the_next_run_resumes(sforg, remote, store):
    people = []
    for i in range(450):
        sfid = make(sforg, "Contact", f"w{i}@example.com")
        link(store, f"w{i}@example.com", sfid, opted=True)
        people.append(sfid)
    used = sforg.api_usage()[0]
    sforg.set_api_limit(used + 40)  # a 10% reserve of ~4 calls; the run needs ~6
    store.update_settings(api_reserve_percent=90)
    report = run_nightly(store, remote)
    assert report.status == "partial" and "API reserve" in report.stopped["reason"]
    [run] = store.list_runs()
    assert run.status == "partial" and run.details["stopped"]["phase"]
    assert sforg.api_usage()[0] <= used + 40 - 36  # the reserve was not spent
    store.update_settings(api_reserve_percent=10)
    ok(run_nightly(store, remote))
    assert all(value(sforg, sfid) for sfid in people)


def test_a_write_landing_mid_run_is_pulled_by_the_next_run(clocked, clock):
    org, store, remote = clocked
    sfid = make(org, "Contact", "xia@example.com")
    link(store, "xia@example.com", sfid)
    ok(run_nightly(store, remote))
    # Committed after the run read Contacts, but stamped a minute before the run started.
    clock.advance(minutes=-1)
    set_value(org, sfid, True)
    clock.advance(days=1, minutes=1)
    ok(run_nightly(store, remote))
    assert local(store, "xia@example.com")


# -- volume: Bulk API 2.0 ------------------------------------------------------------------------


def test_above_the_threshold_the_run_uses_bulk_query_and_ingest(sforg, remote, store):
    store.update_settings(bulk_threshold=20)
    ids = {}
    for i in range(100):
        sobject = "Contact" if i % 2 else "Lead"
        ids[i] = make(sforg, sobject, f"y{i}@example.com", opted=i % 4 == 0)
        link(store, f"y{i}@example.com", ids[i], opted=i % 4 != 1)
    report = ok(run_nightly(store, remote))
    assert "Contact query" in report.bulk and "Lead query" in report.bulk
    assert any(b.startswith("Contact update of") for b in report.bulk)
    for i, sfid in ids.items():
        expected = i % 4 != 1
        assert value(sforg, sfid) is expected and local(store, f"y{i}@example.com") is expected
    assert store.list_outbox() == []
    assert all(p.baseline is not None for p in store.iter_people())


# -- the alert and the progress line ---------------------------------------------------------


def test_stale_opt_outs_are_those_waiting_more_than_24_hours(clocked, clock):
    _, store, _ = clocked
    store.capture("old@example.com", opted_out=True, source="link")  # no Salesforce ID yet
    store.capture("resub@example.com", opted_out=False, source="manual")
    clock.advance(hours=23)
    store.capture("new@example.com", opted_out=True, source="link")
    assert store.stale_opt_outs() == []
    clock.advance(hours=1, seconds=1)
    assert [item.email for item in store.stale_opt_outs()] == ["old@example.com"]
    store.update_settings(stale_hours=48)
    assert store.stale_opt_outs() == []
    assert store.stale_opt_outs(clock() + timedelta(hours=25)) != []


def test_progress_is_reported_while_running(sforg, remote, store):
    for i in range(5):
        link(store, f"p{i}@example.com", make(sforg, "Contact", f"p{i}@example.com"), opted=True)
    seen = []
    ok(run_nightly(store, remote, progress=lambda pulled, pushed: seen.append((pulled, pushed))))
    assert seen[-1] == (5, 5)


def test_over_https_against_the_server(server, make_remote, tmp_path):
    """The same run through `sfmock serve --tls` (the server fixture) instead of in-process."""
    org = server.org
    contact = make(org, "Contact", "tls@example.com", opted=True)
    lead = make(org, "Lead", "tls2@example.com")
    with Store(tmp_path / "tls.db") as store:
        store.update_settings(nightly_sync=True)
        link(store, "tls@example.com", contact)
        link(store, "tls2@example.com", lead, opted=True)
        remote = make_remote(login_url=server.url, ca_bundle=str(server.ca_path))
        ok(run_nightly(store, remote))
        assert local(store, "tls@example.com") and value(org, lead) is True
        before = org.api_usage()[0]
        report = ok(run_nightly(store, remote))
        assert org.api_usage()[0] - before == report.api_calls == 1


# -- every write through the outbox ---------------------------------------------------------------


def test_a_fan_out_push_refused_for_good_is_a_failed_outbox_row(sforg, remote, store):
    store.update_settings(fan_out_by_email=True)
    own = make(sforg, "Contact", "una@example.com")
    twin = make(sforg, "Lead", "una@example.com")
    link(store, "una@example.com", own, opted=True)
    sforg.rules.add_validation("Lead", "No_Opt_Out", (FIELD, "=", True),
                               "Opt-outs need a reason code")
    report = run_nightly(store, remote)
    assert report.status == "ok" and value(sforg, own) and not value(sforg, twin)
    assert any(twin in error and "FIELD_CUSTOM_VALIDATION_EXCEPTION" in error
               for error in report.errors), report.errors
    [failed] = store.list_outbox("failed")
    assert (failed.person_id, failed.salesforce_id, failed.email) == (None, twin,
                                                                     "una@example.com")
    assert "validation rule on Lead" in failed.fix and failed.field == FIELD


def test_a_fan_out_push_that_meets_a_lock_waits_in_the_outbox(sforg, remote, store):
    store.update_settings(fan_out_by_email=True)
    own = make(sforg, "Contact", "vic@example.com")
    twin = make(sforg, "Lead", "vic@example.com")
    link(store, "vic@example.com", own, opted=True)
    install_faults(sforg, [{"fault": "UNABLE_TO_LOCK_ROW", "scope": "record",
                            "path": "/composite/sobjects", "calls": [2]}])
    pusher = Pusher(store, remote.client, FAST_ROWS)  # its retry due in ms, not seconds
    report = ok(run_nightly(store, remote, pusher=pusher))
    [waiting] = store.list_outbox("pending")
    assert waiting.salesforce_id == twin and waiting.attempts == 1
    assert waiting.last_error.startswith("UNABLE_TO_LOCK_ROW") and not value(sforg, twin)
    assert report.pushed_remote == 1  # the person's own record
    pusher.drain(wait=5)
    assert value(sforg, twin) and store.list_outbox() == []


def test_a_push_to_a_survivor_another_person_owns_fails_visibly(sforg, remote, store):
    survivor, _ = merge_into_anothers_record(sforg, remote, store, "wes@example.com",
                                             "wes2@example.com")
    sforg.field_security.set("Contact", FIELD, "read")
    report = run_nightly(store, remote)
    assert any("INVALID_FIELD_FOR_INSERT_UPDATE" in error for error in report.errors)
    [failed] = store.list_outbox("failed")
    assert (failed.person_id, failed.salesforce_id) == (None, survivor)
    assert failed.email == "wes2@example.com" and "field-level security" in failed.fix


def test_a_dry_run_queues_no_fan_out(sforg, remote, store):
    store.update_settings(fan_out_by_email=True)
    own = make(sforg, "Contact", "xia@example.com")
    twin = make(sforg, "Lead", "xia@example.com")
    link(store, "xia@example.com", own, opted=True)
    report = run_nightly(store, remote, dry_run=True)
    assert any(c.salesforce_id == twin for c in report.changes)
    assert store.list_outbox() == [] and not value(sforg, twin)
