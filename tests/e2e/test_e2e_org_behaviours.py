"""The end-to-end suite once more with each org behaviour real orgs have turned on.

For each behaviour (switched on through the emulator's admin API, as a Salesforce admin would
in Setup) a person unsubscribes through the `syncer` CLI: the capture is kept whatever
Salesforce answers, `syncer status` and the push output name Salesforce's error code and the
fix, and once the admin lifts the behaviour `syncer push --retry-failed` delivers it, so
nothing captured is lost. Behaviours that let the write through (a before-save field update)
are shown not to disturb the sync.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tests.syncer.conftest import FAST

if TYPE_CHECKING:  # the door classes live in this folder's conftest.py
    from conftest import Door, Run

EMAIL_OPT_OUT = "HasOptedOutOfEmail"
INTEGRATION_USER = "integration@sfmock.dev"


def ok(run: Run) -> Run:
    assert run.exit_code == 0, run
    assert "Traceback" not in run.stdout + run.stderr, run
    return run


def first_contact(door: Door) -> tuple[str, str]:
    """The email and Contact ID of the first linked, subscribed Contact."""
    for line in ok(door.syncer("people", "list")).stdout.splitlines():
        email, salesforce_id, kind, state, _ = line.split("\t")
        if kind == "Contact" and state == "subscribed":
            return email, salesforce_id
    raise AssertionError("no linked Contact")


def status(door: Door) -> dict:
    return json.loads(ok(door.syncer("status", "--json")).stdout)


@dataclass(frozen=True)
class Refusal:
    """A behaviour that refuses the push: how to switch it on and off, what must be said."""

    code: str
    fix: str

    def on(self, door: Door, email: str, contact_id: str) -> None:
        raise NotImplementedError

    def off(self, door: Door) -> None:
        door.admin_api("DELETE", "behaviours")


class ValidationRule(Refusal):
    def on(self, door, email, contact_id):
        door.admin_api("POST", "validation-rules", {
            "type": "Contact", "name": "Opt_Out_Needs_Reason",
            "message": "Record why the contact opted out in Description",
            "errorField": "Description",
            "condition": {"all": [{"field": EMAIL_OPT_OUT, "op": "=", "value": True},
                                  {"field": "Description", "op": "blank"}]}})

    def off(self, door):
        door.admin_api("DELETE", "validation-rules/Contact/Opt_Out_Needs_Reason")


class DuplicateRule(Refusal):
    def on(self, door, email, contact_id):
        door.admin_sf.Contact.create({"LastName": "Duplicate", "Email": email})
        door.admin_api("POST", "behaviours", {"duplicate_rules": [{
            "type": "Contact", "name": "Contact_Email_Duplicates", "match": ["Email"],
            "on": "update"}]})


class FieldSecurity(Refusal):
    access: str = "read"

    def on(self, door, email, contact_id):
        door.admin_api("POST", "field-security", {"type": "Contact", "field": EMAIL_OPT_OUT,
                                                  "access": self.access})

    def off(self, door):
        door.admin_api("POST", "field-security", {"type": "Contact", "field": EMAIL_OPT_OUT,
                                                  "access": "edit"})


class HiddenField(FieldSecurity):
    access = "hidden"


class ReadOnlyRecord(Refusal):
    def on(self, door, email, contact_id):
        door.admin_api("POST", "behaviours", {"read_only_records": [{
            "user": INTEGRATION_USER, "type": "Contact",
            "condition": {"field": "Email", "op": "=", "value": email}}]})


class ApiDisabled(Refusal):
    def on(self, door, email, contact_id):
        door.admin_api("POST", "behaviours", {"api_disabled_users": [INTEGRATION_USER]})


REFUSALS = {
    "validation-rule": ValidationRule("FIELD_CUSTOM_VALIDATION_EXCEPTION",
                                      "a validation rule on Contact refused the change"),
    "duplicate-rule": DuplicateRule("DUPLICATES_DETECTED", "merge the duplicate records"),
    "read-only-field": FieldSecurity("INVALID_FIELD_FOR_INSERT_UPDATE",
                                     "grant the integration user edit access"),
    "hidden-field": HiddenField("INVALID_FIELD", "grant the integration user read and edit"),
    "record-not-editable": ReadOnlyRecord("INSUFFICIENT_ACCESS_OR_READONLY",
                                          "share the record with the integration user"),
    "api-disabled": ApiDisabled("API_CURRENTLY_DISABLED", "'API Enabled' permission"),
}


# The behaviours live in the models both doors share: each runs in-process, and the ones that
# touch the wire differently (a SOAP login fault, retried queries) over HTTPS too.
TLS = pytest.param("tls_server", marks=pytest.mark.slow)
IN_PROCESS = pytest.mark.parametrize("door", ["inprocess"], indirect=True)
BOTH_DOORS = pytest.mark.parametrize("door", ["inprocess", TLS], indirect=True)


@pytest.mark.parametrize("door, name", [
    *(("inprocess", name) for name in REFUSALS),
    pytest.param("tls_server", "api-disabled", marks=pytest.mark.slow),
], indirect=["door"])
def test_a_refused_push_is_kept_reported_with_its_fix_and_delivered_once_lifted(linked, name):
    refusal = REFUSALS[name]
    email, contact_id = first_contact(linked)
    refusal.on(linked, email, contact_id)

    captured = linked.syncer("unsubscribe", email, "--reason", "clicked the link")
    assert captured.exit_code == 3, captured  # saved here, not in Salesforce (README: exit statuses)
    assert f"unsubscribed {email}; saved, not in Salesforce yet" in captured.stdout
    assert refusal.code in captured.stderr and refusal.fix in captured.stderr, captured

    state = status(linked)
    assert state["opted_out"] == 1
    if state["failed"]:  # refused for good: the row waits as failed, with the fix
        failure = next(f for f in state["failed"] if f["email"] == email)
        assert refusal.code in failure["error"] and refusal.fix in failure["fix"], failure
    else:  # Salesforce refused the session: the row is still pending, and says why
        assert state["pending"] == 1, state
        waiting = next(w for w in state["retrying"] if w["email"] == email)
        assert refusal.code in waiting["error"] and refusal.fix in waiting["error"], waiting
        shown = ok(linked.syncer("status")).stdout
        assert f"pending {email}: " in shown and refusal.code in shown, shown

    pushed = linked.syncer("push", "--retry-failed", "--wait", "0")
    assert pushed.exit_code == 3 and refusal.code in pushed.stderr, pushed
    assert refusal.fix in pushed.stderr, pushed

    refusal.off(linked)
    delivered = ok(linked.syncer("push", "--retry-failed", "--wait", "0"))
    assert "pushed 1 change(s)" in delivered.stdout, delivered
    assert linked.admin_sf.Contact.get(contact_id)[EMAIL_OPT_OUT] is True
    after = status(linked)
    assert (after["opted_out"], after["pending"], after["failed_count"]) == (1, 0, 0)


@IN_PROCESS
def test_a_before_update_rule_changing_the_record_does_not_disturb_the_sync(linked):
    email, contact_id = first_contact(linked)
    ok(linked.syncer("settings", "--nightly-sync", "on"))
    linked.admin_api("POST", "behaviours", {"field_updates": [{
        "type": "Contact", "name": "Stamp_Opt_Outs",
        "when": {"field": EMAIL_OPT_OUT, "op": "=", "value": True},
        "set": {"Description": "Opted out of email"}}]})

    run = ok(linked.syncer("unsubscribe", email, "--reason", "clicked the link"))
    assert f"Salesforce {contact_id} has {EMAIL_OPT_OUT} = true" in run.stdout
    record = linked.admin_sf.Contact.get(contact_id)
    assert (record[EMAIL_OPT_OUT], record["Description"]) == (True, "Opted out of email")

    nightly = ok(linked.syncer("nightly"))
    assert "pushed 0 to Salesforce" in nightly.stdout, nightly
    state = status(linked)
    assert state["last_run"]["status"] == "ok"
    assert (state["pending"], state["failed_count"]) == (0, 0)
    assert linked.admin_sf.Contact.get(contact_id)[EMAIL_OPT_OUT] is True


@BOTH_DOORS
def test_a_query_timeout_fails_the_nightly_run_with_its_fix_and_loses_nothing(linked,
                                                                            monkeypatch):
    if linked.name == "inprocess":  # its retries of the timed-out query in ms, not seconds
        monkeypatch.setattr("syncer.service.RetryPolicy", lambda: FAST)
    email, contact_id = first_contact(linked)
    ok(linked.syncer("settings", "--nightly-sync", "on"))
    linked.admin_api("POST", "behaviours", {"query_timeouts": [r"FROM\s+Contact"]})
    ok(linked.syncer("unsubscribe", email, "--reason", "clicked the link"))
    linked.admin_sf.Contact.update(contact_id, {EMAIL_OPT_OUT: False})  # and back in SF

    failed = linked.syncer("nightly")
    assert failed.exit_code == 1, failed
    assert "QUERY_TIMEOUT" in failed.stdout + failed.stderr, failed
    assert "lower the bulk threshold" in failed.stdout + failed.stderr, failed
    last = status(linked)["last_run"]
    assert last["status"] != "ok" and "QUERY_TIMEOUT" in json.dumps(last), last

    linked.admin_api("DELETE", "behaviours/query_timeouts")
    ok(linked.syncer("nightly"))
    assert linked.admin_sf.Contact.get(contact_id)[EMAIL_OPT_OUT] is True  # sticky opt-out
    assert status(linked)["last_run"]["status"] == "ok"
