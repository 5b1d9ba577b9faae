"""Requirement checks: one line per requirement with its fix; failures decide the outcome."""

from __future__ import annotations

from datetime import timedelta

from sfmock.models.schema import custom_field
from syncer.config import Config
from syncer.doctor import FAIL, PASS, WARN, DoctorReport
from syncer.service import Syncer

MARKETO = "ToutApp__MSE_Opt_Out__c"


def _by_name(report: DoctorReport) -> dict:
    return {check.name: check for check in report.checks}


def _healthy(org, syncer, people) -> None:
    """Everything in order: nightly sync on, field on both layouts, everyone linked."""
    org.layouts.add_field("Lead", "HasOptedOutOfEmail")
    syncer.settings(nightly_sync=True)
    people.link(people.contacts(2) + people.leads(2))


def test_a_healthy_setup_passes_every_check(org, syncer, people):
    _healthy(org, syncer, people)
    report = syncer.doctor()
    assert report.ok
    assert [(c.name, c.status) for c in report.checks] == [
        ("Salesforce login", PASS), ("unsubscribe sync", PASS),
        ("Contact.HasOptedOutOfEmail", PASS), ("Lead.HasOptedOutOfEmail", PASS),
        ("Salesforce IDs", PASS), ("unconfirmed opt-outs", PASS), ("Contact page layout", PASS),
        ("Lead page layout", PASS), ("API allocation", PASS), ("change stream", PASS),
    ]
    assert _by_name(report)["Salesforce login"].message.startswith(
        f"logged in to {org.instance_url} as integration@sfmock.dev (soap)")


def test_nightly_sync_off_is_a_warning_with_the_command(org, syncer, people):
    _healthy(org, syncer, people)
    syncer.settings(nightly_sync=False)
    check = _by_name(syncer.doctor())["unsubscribe sync"]
    assert check.status == WARN and check.fix == "syncer settings --nightly-sync on"
    assert syncer.doctor().ok


def test_a_missing_custom_field_fails_naming_the_package(org, syncer, people):
    _healthy(org, syncer, people)
    syncer.settings(field="marketo-sales-opt-out")
    report = syncer.doctor()
    checks = _by_name(report)
    for sobject in ("Contact", "Lead"):
        check = checks[f"{sobject}.{MARKETO}"]
        assert check.status == FAIL
        assert "install the Marketo Sales Connect package" in check.fix
        assert "syncer settings --field email-opt-out" in check.fix
    assert "Contact page layout" not in checks  # no layout check for a field that is missing
    assert not report.ok
    org.install_package("marketo-sales-connect")
    checks = _by_name(syncer.doctor())
    assert checks[f"Lead.{MARKETO}"].status == PASS
    assert checks["Lead page layout"].status == WARN  # the new field is on no layout yet


def test_the_custom_field_is_found_by_its_label(org, syncer, people):
    _healthy(org, syncer, people)
    syncer.settings(field="marketo-sales-opt-out")
    for sobject in ("Contact", "Lead"):
        org.add_custom_field(sobject, custom_field("Acme__Sales_OO__c", "Marketo Sales Opt Out"))
    check = _by_name(syncer.doctor())[f"Contact.{MARKETO}"]
    assert check.status == FAIL and "Acme__Sales_OO__c is labelled" in check.message
    assert check.fix == "syncer settings --marketo-field-api-name Acme__Sales_OO__c"


def test_pushes_field_is_checked_too_when_nightly_sync_is_off(org, syncer, people):
    _healthy(org, syncer, people)
    org.install_package("marketo-sales-connect")
    syncer.settings(nightly_sync=False, field="marketo-sales-opt-out")
    names = [c.name for c in syncer.doctor().checks]
    assert f"Contact.{MARKETO}" in names and "Contact.HasOptedOutOfEmail" in names


def test_field_level_security_is_named(org, syncer, people):
    _healthy(org, syncer, people)
    org.field_security.set("Contact", "HasOptedOutOfEmail", "read")
    org.field_security.set("Lead", "HasOptedOutOfEmail", "hidden")
    checks = _by_name(syncer.doctor())
    contact, lead = checks["Contact.HasOptedOutOfEmail"], checks["Lead.HasOptedOutOfEmail"]
    assert contact.status == lead.status == FAIL
    assert contact.fix == ("grant the integration user edit access (field-level security) to"
                           " Email Opt Out (HasOptedOutOfEmail) on Contact")
    assert "read and edit access (field-level security) to Email Opt Out on Lead" in lead.fix


def test_people_without_ids_are_counted_with_examples(org, syncer, people):
    _healthy(org, syncer, people)
    for i in range(7):
        syncer.store.upsert_person(f"unlinked{i}@example.com")
    check = _by_name(syncer.doctor())["Salesforce IDs"]
    assert check.status == WARN
    assert check.message.startswith("7 of 11 people have no Salesforce ID (unlinked0@example.com")
    assert check.message.count("@") == 5 and check.message.endswith(", ...)")
    assert "syncer people link" in check.fix
    syncer.unsubscribe("unlinked3@example.com")
    check = _by_name(syncer.doctor())["Salesforce IDs"]
    assert check.status == FAIL and "1 unsubscribe change(s) cannot reach Salesforce" in (
        check.message)


def test_a_field_missing_from_a_layout_is_only_a_warning(org, syncer, people):
    _healthy(org, syncer, people)
    org.layouts.remove_field("Contact", "HasOptedOutOfEmail")
    report = syncer.doctor()
    check = _by_name(report)["Contact page layout"]
    assert check.status == WARN and report.ok
    assert check.fix.startswith("Setup > Object Manager > Contact > Page Layouts")


def test_a_low_api_allocation_warns_and_a_spent_one_fails(org, syncer, people):
    _healthy(org, syncer, people)
    org.set_api_limit(1000)
    while org.api_usage()[0] < 940:  # other clients spent most of the day's calls
        org.count_api_call()
    check = _by_name(syncer.doctor())["API allocation"]
    assert check.status == WARN and "(under 10%)" in check.message
    org.set_api_limit(org.api_usage()[0] + 1)
    report = syncer.doctor()
    assert not report.ok
    assert _by_name(report)["API allocation"].status == FAIL


def test_bad_credentials_fail_and_skip_the_salesforce_checks(org, tmp_path):
    config = Config(db=str(tmp_path / "s.db"), username="integration@sfmock.dev",
                    password="wrong", security_token="x")
    with Syncer(config) as syncer:
        report = syncer.doctor()
    assert [(c.name, c.status) for c in report.checks] == [
        ("Salesforce login", FAIL), ("unsubscribe sync", WARN), ("Salesforce IDs", WARN),
        ("unconfirmed opt-outs", PASS)]
    assert "check SF_USERNAME, SF_PASSWORD and SF_SECURITY_TOKEN" in report.checks[0].fix
    assert report.to_json()["ok"] is False


def test_doctor_over_https(server, server_config):
    with Syncer(server_config) as syncer:
        checks = _by_name(syncer.doctor())
    assert checks["Salesforce login"].status == PASS
    assert checks["Contact.HasOptedOutOfEmail"].status == PASS
    assert checks["API allocation"].status == PASS


def test_an_opt_out_unconfirmed_past_stale_hours_fails_naming_push(org, clocked_syncer, clock,
                                                                    people):
    syncer = clocked_syncer
    _healthy(org, syncer, people)
    syncer.settings(stale_hours=2)
    confirmed, gone = people.link(people.contacts(2, start=5))
    syncer.unsubscribe(confirmed["Email"])  # pushed at once: nothing waits
    org.delete("Contact", gone["Id"])
    syncer.unsubscribe(gone["Email"])  # the push fails: it waits unconfirmed
    clock.sleep(timedelta(hours=1).total_seconds())
    assert _by_name(syncer.doctor())["unconfirmed opt-outs"].status == PASS
    clock.sleep(timedelta(hours=1, minutes=1).total_seconds())
    report = syncer.doctor()
    check = _by_name(report)["unconfirmed opt-outs"]
    assert check.status == FAIL and not report.ok
    assert "1 opt-out(s) have waited more than 2 hours" in check.message
    assert gone["Email"].lower() in check.message
    assert "run `syncer push`" in check.fix and "ENTITY_IS_DELETED" in check.fix
