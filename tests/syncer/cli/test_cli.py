"""The `syncer` command: every behaviour through click, one real run of the console script
against `sfmock serve --tls`, and every error as one line naming the fix."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from simple_salesforce import Salesforce, format_soql

from sfmock.testing import PASSWORD, TOKEN, USERNAME, ServeProcess
from syncer.cli import main, pass_syncer
from syncer.service import Syncer
from syncer.store import Store

BIN = Path(sys.executable).parent
PEOPLE_CSV = Path(__file__).resolve().parents[3] / "sfmock" / "default_org" / "people.csv"


@pytest.fixture
def env(tmp_path) -> dict:
    return {"SYNCER_DB": str(tmp_path / "syncer.db"), "SF_USERNAME": USERNAME,
            "SF_PASSWORD": PASSWORD, "SF_SECURITY_TOKEN": TOKEN, "SYNCER_CONFIG": "",
            "SF_LOGIN_URL": "", "SF_CLIENT_ID": "", "SF_CLIENT_SECRET": ""}


@pytest.fixture
def cli(env):
    """Run `syncer ARGS` in-process; no run may end in a traceback."""

    def run(*args: str, code: int = 0, **overrides: str):
        result = CliRunner().invoke(main, list(args), env={**env, **overrides})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return result

    return run


def _error_line(result) -> str:
    """The one `Error: ...` line of a failed command."""
    [line] = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    return line


def test_settings_show_and_change(org, cli):
    shown = cli("settings").output
    assert "nightly sync: off" in shown and "real-time pushes write: HasOptedOutOfEmail" in shown
    changed = cli("settings", "--nightly-sync", "on", "--field", "marketo-sales-opt-out",
                  "--marketo-field-api-name", "Acme__Opt_Out__c").output
    assert "field: marketo-sales-opt-out (Acme__Opt_Out__c)" in changed
    assert "real-time pushes write: Acme__Opt_Out__c" in changed
    bad = cli("settings", "--marketo-field-api-name", "Opt Out", code=1)
    assert _error_line(bad).startswith("Error: marketo_field_api_name 'Opt Out' is not a custom"
                                       " field API name: copy it from Setup")


def test_import_link_list_unsubscribe_push_and_status(org, cli, tmp_path):
    assert "imported 60 new, updated 0" in cli("people", "import", str(PEOPLE_CSV)).output
    linked = cli("people", "link").output
    assert "looked up 60, linked 58 (30 Contacts, 28 Leads) in 2 API calls" in linked
    assert "not found in Salesforce: 2 (jordan.blake@newprospect.example," in linked
    listed = cli("people", "list", "--without-id").output.splitlines()
    assert listed == ["jordan.blake@newprospect.example\t-\t-\tsubscribed\t-",
                      "sam.rivera@newprospect.example\t-\t-\tsubscribed\t-", "2 people"]
    contact = next(org.records("Contact"))
    done = cli("unsubscribe", contact["Email"], "--source", "link", "--reason", "clicked").output
    assert done.strip() == (f"unsubscribed {contact['Email'].lower()}; Salesforce"
                            f" {contact['Id']} has HasOptedOutOfEmail = true")
    assert org.get("Contact", contact["Id"])["HasOptedOutOfEmail"] == 1
    waiting = cli("unsubscribe", "sam.rivera@newprospect.example", code=3).output
    assert "saved, not in Salesforce yet" in waiting
    assert "why: the person has no Salesforce ID yet\nwhat to do: syncer people link" in waiting
    pushed = json.loads(cli("push", "--json").output)
    assert pushed["ok"] is True and pushed["waiting_for_id"] == 1 and pushed["api_calls"] == 0
    status = json.loads(cli("status", "--json").output)
    assert (status["people"], status["opted_out"], status["waiting_for_id"]) == (60, 2, 1)
    text = cli("status").output
    assert "pushes: 0 pending, 1 waiting for a Salesforce ID, 0 failed" in text
    back = cli("resubscribe", contact["Email"], "--reason", "asked to rejoin").output
    assert back.startswith(f"resubscribed {contact['Email'].lower()}; Salesforce")
    assert org.get("Contact", contact["Id"])["HasOptedOutOfEmail"] == 0


def test_resubscribe_needs_a_reason(org, cli):
    result = cli("resubscribe", "ann@example.com", code=2)
    assert "Missing option '--reason'" in result.output


def test_a_bad_csv_reports_lines_and_keeps_good_rows(org, cli, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("email,salesforce_id\nann@example.com,\nnot-an-email,\n"
                    "bob@example.com,003000000000001\n")
    result = cli("people", "import", str(path), code=1)
    assert "line 3: 'not-an-email' is not a valid email address" in result.output
    assert "line 4: 003000000000001 has a wrong checksum" not in result.output
    assert "imported 2 new, updated 0" in result.output
    assert _error_line(result) == ("Error: 1 row(s) skipped: fix them and import the file"
                                   " again (good rows were kept)")
    missing = cli("people", "import", str(tmp_path / "nope.csv"), code=1)
    assert _error_line(missing).endswith("nope.csv does not exist: check the file name and"
                                         " folder")
    (tmp_path / "semi.csv").write_text("email;first_name\nann@example.com;Ann\n")
    semi = cli("people", "import", str(tmp_path / "semi.csv"), code=1)
    assert "separate columns with commas" in _error_line(semi)


def test_push_and_doctor_exit_codes_and_json(org, cli):
    record = next(org.records("Contact"))
    cli("people", "import", str(PEOPLE_CSV))
    cli("people", "link")
    org.delete("Contact", record["Id"])
    cli("unsubscribe", record["Email"], code=3)
    failed = cli("push", "--json", "--retry-failed", code=3)
    report = json.loads(failed.output)
    assert report["ok"] is False and report["failed"][0]["email"] == record["Email"].lower()
    assert "Recycle Bin" in report["failed"][0]["fix"]
    doctor = json.loads(cli("doctor", "--json").output)
    statuses = {check["name"]: check["status"] for check in doctor["checks"]}
    assert doctor["ok"] is True and statuses["Salesforce IDs"] == "warn"
    cli("settings", "--nightly-sync", "on", "--field", "marketo-sales-opt-out")
    lines = cli("doctor", code=1).output.splitlines()
    assert "[FAIL] Contact.ToutApp__MSE_Opt_Out__c: the field does not exist" in lines[2]
    assert "-> fix: install the Marketo Sales Connect package" in lines[2]


@pytest.mark.parametrize("overrides, command, expected", [
    ({"SF_LOGIN_URL": "https://127.0.0.1:9"}, ("people", "link"),
     "Error: cannot reach Salesforce at https://127.0.0.1:9 (ConnectionError): check"
     " SF_LOGIN_URL and the network"),
    ({"SF_PASSWORD": "wrong"}, ("people", "link"),
     "Error: Salesforce refused the login at https://login.salesforce.com (INVALID_LOGIN:"),
    ({"SF_USERNAME": "", "SF_PASSWORD": ""}, ("people", "link"),
     "Error: no Salesforce credentials: set SF_USERNAME, SF_PASSWORD and SF_SECURITY_TOKEN"),
    ({"SF_LOGIN_URL": "http://127.0.0.1:8765"}, ("status",),
     "Error: SF_LOGIN_URL 'http://127.0.0.1:8765' is not an https:// URL: use"),
    ({}, ("unsubscribe", "nobody"), "Error: 'nobody' is not a valid email address"),
])
def test_errors_are_one_line_naming_the_fix(org, cli, overrides, command, expected):
    cli("unsubscribe", "ann@example.com", code=3)  # someone to link (no ID yet: no call)
    result = cli(*command, code=1, **overrides)
    assert _error_line(result).startswith(expected)
    assert PASSWORD not in result.output and "wrong" not in result.output.replace(
        "wrong checksum", "")


def test_an_unreachable_salesforce_keeps_the_unsubscribe(org, cli, env):
    result = cli("unsubscribe", "ann@example.com", code=3, SF_LOGIN_URL="https://127.0.0.1:9")
    assert "unsubscribed ann@example.com; saved, not in Salesforce yet" in result.output
    doctor = cli("doctor", code=1, SF_LOGIN_URL="https://127.0.0.1:9").output
    assert doctor.startswith("[FAIL] Salesforce login: cannot reach Salesforce at"
                             " https://127.0.0.1:9")


def test_a_bad_config_file_is_one_line(org, cli, tmp_path):
    path = tmp_path / "syncer.toml"
    path.write_text("passwrd = 'x'\n")
    result = cli("--config", str(path), "status", code=1)
    assert _error_line(result).startswith(f"Error: config file {path}: unknown key 'passwrd'")


def test_a_config_file_is_read(org, cli, tmp_path, env):
    path = tmp_path / "syncer.toml"
    path.write_text(f'username = "{USERNAME}"\npassword = "{PASSWORD}"\n'
                    f'security_token = "{TOKEN}"\ndb = "from-file.db"\n')
    result = cli("--config", str(path), "doctor", SF_USERNAME="", SF_PASSWORD="",
                 SF_SECURITY_TOKEN="", SYNCER_DB="")
    assert result.output.startswith("[PASS] Salesforce login")
    assert (tmp_path / "from-file.db").exists()


def test_an_unexpected_error_is_one_line(org, cli, monkeypatch):
    def broken(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(Syncer, "status", broken)
    result = cli("status", code=1)
    assert _error_line(result) == ("Error: unexpected error (RuntimeError: boom): please report"
                                   " it; rerun with SYNCER_DEBUG=1 to see the details")


def test_commands_from_other_modules_get_the_syncer(org, cli):
    @click.command("count-people")
    @pass_syncer
    def count_people(syncer: Syncer) -> None:
        click.echo(f"{syncer.store.count_people()} people")

    main.add_command(count_people)
    try:
        cli("unsubscribe", "ann@example.com", code=3)
        assert cli("count-people").output == "1 people\n"
    finally:
        main.commands.pop("count-people")


# -- the console script against a real emulator process --------------------------------------


@pytest.fixture
def sfmock_process(tmp_path):
    """`sfmock serve --tls` on a free port; yields (url, ca path)."""
    with ServeProcess(tmp_path / "sfmock", exit_after=120) as serving:
        yield serving.url, serving.ca_path


@pytest.mark.slow  # five processes that each import the syncer: a few seconds
def test_the_console_script_against_sfmock_serve_tls(sfmock_process, tmp_path):
    url, ca = sfmock_process
    env = {"PATH": str(BIN), "HOME": str(tmp_path), "SYNCER_DB": str(tmp_path / "s.db"),
           "SF_LOGIN_URL": url, "SF_CA_BUNDLE": ca, "SF_USERNAME": USERNAME,
           "SF_PASSWORD": PASSWORD, "SF_SECURITY_TOKEN": TOKEN,
           "REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"}

    def syncer(*args: str, code: int = 0) -> str:
        done = subprocess.run([str(BIN / "syncer"), *args], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == code, done.stdout + done.stderr
        assert "Traceback" not in done.stderr and PASSWORD not in done.stdout + done.stderr
        return done.stdout

    syncer("people", "import", str(PEOPLE_CSV))
    assert "linked 58" in syncer("people", "link")
    email = "emily.smith@acmerobotics.com"
    assert "has HasOptedOutOfEmail = true" in syncer("unsubscribe", email, "--source", "link")
    assert json.loads(syncer("push", "--json"))["ok"] is True
    assert json.loads(syncer("doctor", "--json"))["ok"] is True
    session = __import__("requests").Session()
    session.trust_env = False
    session.verify = ca
    sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN,
                    domain=f"{url.removeprefix('https://')}/login", session=session)
    [row] = sf.query(format_soql("SELECT HasOptedOutOfEmail FROM Contact WHERE Email = {}",
                                 email))["records"]
    assert row["HasOptedOutOfEmail"] is True


def test_status_and_doctor_show_opt_outs_waiting_past_stale_hours(org, cli, env):
    cli("unsubscribe", "nobody@example.com", code=3)  # no Salesforce ID: it cannot be confirmed
    assert "STALE" not in cli("status").output
    with Store(env["SYNCER_DB"], clock=lambda: datetime(2026, 1, 1, tzinfo=UTC)) as store:
        person = store.get_person("nobody@example.com").id
        store.queue_push(person, False)
        store.queue_push(person, True)  # a new value, queued as of the clock: 2026-01-01
    text = cli("status").output
    assert "STALE: 1 opt-out(s) waited more than 24 hours" in text and "syncer push" in text
    assert "waiting since 2026-01-01T00:00:00+00:00: nobody@example.com" in text
    state = json.loads(cli("status", "--json").output)
    assert state["stale"] is True and state["stale_count"] == 1
    assert state["stale_opt_outs"][0]["email"] == "nobody@example.com"
    doctor = cli("doctor", code=1).output
    assert "[FAIL] unconfirmed opt-outs: 1 opt-out(s) have waited more than 24 hours" in doctor


def test_settings_change_every_setting(org, cli, env):
    shown = cli("settings", "--honour-salesforce-resubscribes", "on", "--fan-out-by-email", "on",
                "--bulk-threshold", "500", "--api-reserve-percent", "12.5",
                "--stale-hours", "6").output
    assert "honour Salesforce resubscribes: on" in shown and "fan out by email: on" in shown
    assert "bulk threshold: 500 records" in shown and "API reserve: 12.5%" in shown
    assert "stale after: 6 hours" in shown
    with Store(env["SYNCER_DB"]) as store:
        kept = store.get_settings()
    assert (kept.honour_salesforce_resubscribes, kept.fan_out_by_email, kept.bulk_threshold,
            kept.api_reserve_percent, kept.stale_hours) == (True, True, 500, 12.5, 6.0)
    assert "fan out by email: off" in cli("settings", "--fan-out-by-email", "off").output


@pytest.mark.parametrize("option, value, expected", [
    ("--bulk-threshold", "lots", "bulk_threshold cannot be 'lots': use a whole number"),
    ("--bulk-threshold", "0", "bulk_threshold cannot be '0': use a whole number"),
    ("--api-reserve-percent", "100", "api_reserve_percent cannot be '100': use a percentage"),
    ("--stale-hours", "-1", "stale_hours cannot be '-1': use a number of hours above 0"),
    ("--fan-out-by-email", "maybe", "Invalid value for '--fan-out-by-email'"),
])
def test_a_bad_setting_is_one_line_naming_the_fix(org, cli, option, value, expected):
    result = cli("settings", option, value, code=2 if option == "--fan-out-by-email" else 1)
    assert expected in _error_line(result)
