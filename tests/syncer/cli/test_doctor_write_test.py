"""`syncer doctor --write-test` against an HTTPS emulator: the write-back changes no value
(through the console script), and a validation rule or read-only field security that would
block pushes fails the check with its fix (in-process, through click)."""

from __future__ import annotations

import subprocess

import pytest
import requests

FIELD = "HasOptedOutOfEmail"


@pytest.fixture
def doctor(linked_syncer):
    return lambda: linked_syncer("doctor", "--write-test")


@pytest.fixture
def doctor_cli(linked_cli):
    return lambda: linked_cli("doctor", "--write-test")


def _admin(server, path: str, body: dict) -> None:
    answer = requests.post(f"{server.url}/sfmock/api/{path}", json=body, verify=server.ca_path,
                           headers={"X-Sfmock-Admin-Key": server.org.meta["admin_key"]})
    assert answer.status_code in (200, 201), answer.text


def _lines(done: subprocess.CompletedProcess, sobject: str) -> str:
    [line] = [line for line in done.stdout.splitlines()
              if line.split("] ", 1)[-1].startswith(f"{sobject} write test")]
    return line


def test_the_write_test_writes_values_back_unchanged(doctor, server):
    before = {r["Id"]: r[FIELD] for r in server.org.records("Contact")}
    done = doctor()
    assert done.returncode == 0, done.stdout + done.stderr
    contact = _lines(done, "Contact")
    assert contact.startswith(f"[PASS] Contact write test: wrote {FIELD} = false back to Contact 003")
    assert contact.endswith("unchanged: pushes can write it")
    assert _lines(done, "Lead").startswith(f"[PASS] Lead write test: wrote {FIELD} = ")
    assert {r["Id"]: r[FIELD] for r in server.org.records("Contact")} == before


def test_a_validation_rule_and_read_only_field_security_fail_with_their_fixes(doctor_cli,
                                                                                 server):
    _admin(server, "validation-rules", {"type": "Lead", "name": "Company_Locked",
                                        "field": "Company", "op": "not blank",
                                        "message": "Leads are edited by the sales team only"})
    _admin(server, "field-security", {"type": "Contact", "field": FIELD, "access": "read"})
    done = doctor_cli()
    assert done.returncode == 1
    lead = _lines(done, "Lead")
    assert lead.startswith("[FAIL] Lead write test: Lead 00Q")
    assert "(FIELD_CUSTOM_VALIDATION_EXCEPTION: Leads are edited by the sales team only)" in lead
    assert "-> fix: a validation rule on Lead refuses the integration user's updates" in lead
    contact = _lines(done, "Contact")
    assert contact.startswith("[FAIL] Contact write test: Contact 003")
    assert (f"-> fix: grant the integration user edit access (field-level security) to {FIELD}"
            " on Contact") in contact
    assert "Traceback" not in done.stdout + done.stderr
