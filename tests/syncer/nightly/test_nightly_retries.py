"""A nightly run rides out one transient fault on any of its calls, Bulk API 2.0 included."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from sfmock import mock_salesforce
from sfmock.models.bulk2 import Bulk2
from sfmock.models.faults import install_faults
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.nightly import run_nightly
from syncer.retry import RetryPolicy
from syncer.store import Store

FAST = RetryPolicy(call_wait=0.001, call_wait_max=0.002)
FIELD = "HasOptedOutOfEmail"


def bulk_run(make_remote, rules: list[dict]):
    """A run above the bulk threshold (query and ingest jobs) on a new org with `rules`.

    Returns the run's report, its API calls, and the org's ingest job states and Contacts.
    """
    with mock_salesforce(fixtures=None) as org, Store(":memory:") as store:
        org.add_user(USERNAME, PASSWORD, TOKEN, last_name="Integration")
        store.update_settings(nightly_sync=True, bulk_threshold=2)
        ids = []
        for i in range(6):
            sfid = org.insert("Contact", {"LastName": "P", "Email": f"r{i}@example.com",
                                          FIELD: False})
            person = store.upsert_person(f"r{i}@example.com", salesforce_id=sfid)
            store.set_opted_out(person, True, source="import")
            ids.append(sfid)
        install_faults(org, rules)
        remote = make_remote()
        remote.policy, remote.sleep = FAST, jobs_settled(org)
        report = run_nightly(store, remote)
        states = sorted(job.state for job in Bulk2.for_org(org).list("ingest"))
        return report, remote.calls, states, [org.get("Contact", sfid)[FIELD] for sfid in ids]


def jobs_settled(org) -> Callable[[float], None]:
    """The run's pause: no time, but until no Bulk job of the org is queued or processing, so
    every poll finds its job done and a run makes the same calls however busy the machine is
    (a pause of no time let a loaded machine's run poll dozens of times, and this file's
    loop over every call ran as many runs)."""
    bulk = Bulk2.for_org(org)

    def pause(_seconds: float) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
                job.state in ("UploadComplete", "InProgress")
                for kind in ("query", "ingest") for job in bulk.list(kind)):
            time.sleep(0.001)

    return pause


@pytest.mark.parametrize("fault", ["503", "UNABLE_TO_LOCK_ROW", "drop"])
def test_one_transient_fault_on_any_call_is_retried(make_remote, fault):
    report, calls, states, values = bulk_run(make_remote, [])
    assert report.status == "ok" and states == ["JobComplete"] and all(values)
    assert "Contact update of 6" in report.bulk
    for call in range(1, calls + 1):
        report, _, states, values = bulk_run(make_remote, [{"fault": fault, "calls": [call]}])
        assert report.status == "ok", (call, report.errors)
        assert all(values), call
        assert states.count("JobComplete") == 1 and set(states) <= {"JobComplete", "Open",
                                                                   "Aborted"}, (call, states)


def test_a_failed_upload_is_aborted_and_a_new_job_runs(make_remote):
    rules = [{"fault": "503", "method": "PUT", "path": "/batches", "times": 1}]
    report, _, states, values = bulk_run(make_remote, rules)
    assert report.status == "ok", report.errors
    assert all(values) and states == ["Aborted", "JobComplete"]


def test_a_lasting_fault_fails_the_run_after_the_policy_attempts(make_remote):
    report, _, _, values = bulk_run(make_remote, [{"fault": "503", "path": "/jobs/ingest"}])
    assert report.status == "failed" and not any(values)
    assert any("SERVER_UNAVAILABLE" in error for error in report.errors), report.errors


def test_a_dropped_upload_whose_abort_fails_too_runs_one_job_over_https(server, make_remote):
    org = server.org
    install_faults(org, [{"fault": "drop", "method": "PUT", "path": "/batches", "times": 1},
                         {"fault": "503", "method": "PATCH", "path": "/jobs/ingest/",
                          "times": 1}])
    with Store(":memory:") as store:
        store.update_settings(nightly_sync=True, bulk_threshold=2)
        ids = []
        for i in range(4):
            sfid = org.insert("Contact", {"LastName": "H", "Email": f"h{i}@example.com"})
            person = store.upsert_person(f"h{i}@example.com", salesforce_id=sfid)
            store.set_opted_out(person, True, source="import")
            ids.append(sfid)
        remote = make_remote(login_url=server.url, ca_bundle=str(server.ca_path))
        remote.policy, remote.sleep = FAST, jobs_settled(org)
        report = run_nightly(store, remote)
    assert report.status == "ok", report.errors
    assert all(org.get("Contact", sfid)[FIELD] for sfid in ids)
    states = [job.state for job in Bulk2.for_org(org).list("ingest")]
    assert sorted(states) == ["JobComplete", "Open"]  # the Open one never runs


def test_a_bulk_update_row_salesforce_refuses_is_retried_and_the_others_confirmed(make_remote):
    """A Bulk job's failed rows go back to the outbox (the pusher sends them again); every
    other row is confirmed, each with the value it sent."""
    with mock_salesforce(fixtures=None) as org, Store(":memory:") as store:
        org.add_user(USERNAME, PASSWORD, TOKEN, last_name="Integration")
        store.update_settings(nightly_sync=True, bulk_threshold=2)
        people = {}
        for i in range(5):
            sfid = org.insert("Contact", {"LastName": "Q", "Email": f"q{i}@example.com",
                                          FIELD: i == 3})
            people[sfid] = store.upsert_person(f"q{i}@example.com", salesforce_id=sfid)
            store.queue_push(people[sfid], i != 3)  # 3 pushes False, the others True
        gone = list(people)[2]
        org.delete("Contact", gone)
        remote = make_remote()
        remote.policy, remote.sleep = FAST, jobs_settled(org)
        report = run_nightly(store, remote)
        pushes = {(event["details"]["salesforce_id"], event["details"]["value"],
                   event["details"].get("via")) for event in store.list_events("push")}
        assert pushes == {(sfid, sfid != list(people)[3], "bulk")
                          for sfid in people if sfid != gone}
        assert "Contact update of 5" in report.bulk
        [failed] = [item for item in store.list_outbox() if item.person_id == people[gone]]
        assert failed.attempts >= 1 and failed.last_error
        assert [org.get("Contact", sfid)[FIELD] for sfid in people if sfid != gone] == \
            [True, True, False, True]
