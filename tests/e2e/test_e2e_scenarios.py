"""End-to-end scenarios through the `syncer` CLI only, each run through both front doors.

Salesforce-side changes are made as an admin user with simple-salesforce, or through the
emulator's admin API (package install, lead convert), as a person would in Setup.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the door classes live in this folder's conftest.py
    from conftest import Door, Run

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

MARKETO = "ToutApp__MSE_Opt_Out__c"
EMAIL_OPT_OUT = "HasOptedOutOfEmail"
PACKAGE = "marketo-sales-connect"
WITHOUT_ID = "jordan.blake@newprospect.example"


def ok(run: Run) -> Run:
    assert run.exit_code == 0, run
    assert "Traceback" not in run.stdout + run.stderr, run
    return run


def people(door: Door) -> dict[str, dict[str, str]]:
    """`syncer people list`, by email."""
    rows = {}
    for line in ok(door.syncer("people", "list")).stdout.splitlines():
        email, salesforce_id, kind, state, push = line.split("\t")
        rows[email] = {"id": salesforce_id, "type": kind, "state": state, "push": push}
    return rows


def first(door: Door, kind: str, rows: dict | None = None) -> tuple[str, str]:
    """The email and Salesforce ID of the first linked, subscribed person of `kind`."""
    for email, row in (rows or people(door)).items():
        if row["type"] == kind and row["state"] == "subscribed":
            return email, row["id"]
    raise AssertionError(f"no linked {kind}")


def opt_outs(door: Door, kind: str, record_id: str) -> dict[str, bool]:
    """The opt-out checkboxes of a record, read by the admin in Salesforce."""
    record = getattr(door.admin_sf, kind).get(record_id)
    return {name: record[name] for name in (EMAIL_OPT_OUT, MARKETO) if name in record}


def status(door: Door) -> dict:
    return json.loads(ok(door.syncer("status", "--json")).stdout)


def test_import_link_and_doctor_exit_codes(door):
    imported = ok(door.syncer("people", "import", str(FIXTURES / "people.csv")))
    assert "imported 60 new, updated 0" in imported.stdout
    linked = ok(door.syncer("people", "link"))
    assert "looked up 60, linked 58 (30 Contacts, 28 Leads)" in linked.stdout
    assert WITHOUT_ID in linked.stdout
    doctor = ok(door.syncer("doctor"))
    assert "[PASS] Salesforce login" in doctor.stdout
    assert "[WARN] Salesforce IDs: 2 of 60 people have no Salesforce ID" in doctor.stdout

    ok(door.syncer("settings", "--field", "marketo-sales-opt-out"))
    missing = door.syncer("doctor")
    assert missing.exit_code == 1, missing
    assert f"[FAIL] Contact.{MARKETO}" in missing.stdout

    door.admin_api("POST", f"packages/{PACKAGE}")
    assert f"[PASS] Contact.{MARKETO}" in ok(door.syncer("doctor")).stdout


def test_unsubscribe_pushes_at_once_to_email_opt_out_with_sync_off(linked):
    email, contact_id = first(linked, "Contact")
    run = ok(linked.syncer("unsubscribe", email, "--reason", "clicked the link"))
    assert run.stdout.strip() == (f"unsubscribed {email}; Salesforce {contact_id} has"
                                  f" {EMAIL_OPT_OUT} = true")
    assert opt_outs(linked, "Contact", contact_id) == {EMAIL_OPT_OUT: True}
    state = status(linked)
    assert state["settings"]["nightly_sync"] is False
    assert (state["opted_out"], state["pending"], state["failed_count"]) == (1, 0, 0)


def test_marketo_field_chosen_pushes_land_on_it(linked):
    linked.admin_api("POST", f"packages/{PACKAGE}")
    chosen = ok(linked.syncer("settings", "--nightly-sync", "on",
                              "--field", "marketo-sales-opt-out"))
    assert f"real-time pushes write: {MARKETO}" in chosen.stdout
    email, lead_id = first(linked, "Lead")
    run = ok(linked.syncer("unsubscribe", email, "--source", "manual", "--reason", "phone"))
    assert f"Salesforce {lead_id} has {MARKETO} = true" in run.stdout
    assert opt_outs(linked, "Lead", lead_id) == {EMAIL_OPT_OUT: False, MARKETO: True}


def test_person_without_salesforce_id_is_kept_and_pushed_after_link(linked):
    run = linked.syncer("unsubscribe", WITHOUT_ID, "--reason", "replied STOP")
    assert run.exit_code == 3, run  # kept, not in Salesforce yet
    assert "saved, not in Salesforce yet" in run.stdout
    assert people(linked)[WITHOUT_ID] == {"id": "-", "type": "-", "state": "opted out",
                                          "push": "waiting for ID"}
    created = linked.admin_sf.Contact.create(
        {"LastName": "Blake", "FirstName": "Jordan", "Email": WITHOUT_ID})
    relinked = ok(linked.syncer("people", "link"))
    assert "pushed 1 change(s)" in relinked.stdout
    assert opt_outs(linked, "Contact", created["id"]) == {EMAIL_OPT_OUT: True}
    assert people(linked)[WITHOUT_ID]["id"] == created["id"]


def test_converted_leads_are_followed_to_their_contacts(linked):
    ok(linked.syncer("settings", "--nightly-sync", "on"))
    leads = [(email, row["id"]) for email, row in people(linked).items() if row["type"] == "Lead"]
    (pushed, pushed_lead), (pulled, pulled_lead) = leads[:2]
    contacts = {lead: linked.admin_api("POST", f"leads/{lead}/convert")["contactId"]
                for lead in (pushed_lead, pulled_lead)}

    run = ok(linked.syncer("unsubscribe", pushed, "--reason", "asked on a call"))
    assert f"Salesforce {contacts[pushed_lead]} has {EMAIL_OPT_OUT} = true" in run.stdout
    assert opt_outs(linked, "Contact", contacts[pushed_lead])[EMAIL_OPT_OUT] is True

    linked.admin_sf.Contact.update(contacts[pulled_lead], {EMAIL_OPT_OUT: True})
    ok(linked.syncer("nightly"))
    after = people(linked)
    assert (after[pushed]["id"], after[pushed]["type"], after[pushed]["state"]) == (
        contacts[pushed_lead], "Contact", "opted out")
    assert (after[pulled]["id"], after[pulled]["state"]) == (contacts[pulled_lead], "opted out")


def test_nightly_sticky_opt_out_is_set_again_in_salesforce(linked):
    ok(linked.syncer("settings", "--nightly-sync", "on"))
    before = people(linked)
    email, contact_id = first(linked, "Contact", before)
    other_email, other_id = first(linked, "Lead", before)
    ok(linked.syncer("unsubscribe", email, "--reason", "clicked the link"))
    linked.admin_sf.Contact.update(contact_id, {EMAIL_OPT_OUT: False})
    linked.admin_sf.Lead.update(other_id, {EMAIL_OPT_OUT: True})

    run = ok(linked.syncer("nightly"))
    assert "nightly sync ok" in run.stdout
    assert "pushed 1 to Salesforce" in run.stdout
    assert opt_outs(linked, "Contact", contact_id)[EMAIL_OPT_OUT] is True
    assert people(linked)[other_email]["state"] == "opted out"
    assert status(linked)["last_run"]["status"] == "ok"


def test_resubscribe_clears_both_sides_and_nightly_keeps_it(linked):
    ok(linked.syncer("settings", "--nightly-sync", "on"))
    email, contact_id = first(linked, "Contact")
    ok(linked.syncer("unsubscribe", email, "--reason", "clicked the link"))
    run = ok(linked.syncer("resubscribe", email, "--reason", "asked to hear from us again"))
    assert f"resubscribed {email}; Salesforce {contact_id} has {EMAIL_OPT_OUT} = false" in (
        run.stdout)
    assert opt_outs(linked, "Contact", contact_id)[EMAIL_OPT_OUT] is False

    ok(linked.syncer("nightly"))
    assert opt_outs(linked, "Contact", contact_id)[EMAIL_OPT_OUT] is False
    assert people(linked)[email]["state"] == "subscribed"


def test_json_outputs_have_their_documented_shapes(linked):
    state = status(linked)
    assert {"config", "settings", "push_field", "people", "opted_out", "without_salesforce_id",
            "pending", "waiting_for_id", "failed_count", "failed", "last_run"} <= state.keys()
    assert state["config"]["password"] == "set"
    assert (state["people"], state["without_salesforce_id"]) == (60, 2)

    doctor = json.loads(ok(linked.syncer("doctor", "--json")).stdout)
    assert doctor["ok"] is True
    assert doctor["checks"] and all(
        check.keys() == {"name", "status", "message", "fix"}
        and check["status"] in {"pass", "warn", "fail"} for check in doctor["checks"])

    push = json.loads(ok(linked.syncer("push", "--json")).stdout)
    assert {"pushed", "failed", "pending", "waiting_for_id", "api_calls", "batches", "ok"} <= (
        push.keys())
    assert (push["pushed"], push["ok"]) == (0, True)


def one_line_error(run: Run, *, exit_code: int = 1) -> str:
    """The run failed with exactly one line on stderr, no traceback; that line."""
    assert run.exit_code == exit_code, run
    assert "Traceback" not in run.stdout + run.stderr, run
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run
    return lines[0]


def test_bad_input_is_one_line_error(linked):
    missing = one_line_error(linked.syncer("people", "import", "no-such-file.csv"))
    assert missing.startswith("Error: ") and "no-such-file.csv" in missing

    wrong = one_line_error(linked.syncer("people", "link", env={"SF_PASSWORD": "wrong"}))
    assert "refused the login" in wrong

    no_reason = linked.syncer("resubscribe", "someone@example.com")
    assert no_reason.exit_code == 2 and "--reason" in no_reason.stderr, no_reason
    assert "Traceback" not in no_reason.stderr

    bad_email = one_line_error(linked.syncer("unsubscribe", "not-an-email", "--reason", "x"))
    assert "not-an-email" in bad_email
