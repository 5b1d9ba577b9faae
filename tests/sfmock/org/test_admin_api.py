"""The emulator's admin API: key, packages, reset, sessions and API usage."""

import pytest
import requests
from click.testing import CliRunner
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock.api.admin import ADMIN_HEADER
from sfmock.cli import main
from sfmock.models.faults import install_faults
from sfmock.models.packages import MARKETO_OPT_OUT

MARKETO = MARKETO_OPT_OUT.name


def error_of(excinfo) -> dict:
    return excinfo.value.content[0]


@pytest.mark.parametrize("key, message", [(None, "Missing X-Sfmock-Admin-Key"),
                                          ("wrong", "Wrong X-Sfmock-Admin-Key")])
def test_admin_calls_need_the_admin_key(org, key, message):
    headers = {ADMIN_HEADER: key} if key else {}
    answer = requests.get(f"{org.instance_url}/sfmock/api/usage", headers=headers)
    assert answer.status_code == 401
    assert answer.json()[0]["errorCode"] == "INVALID_ADMIN_KEY"
    assert message in answer.json()[0]["message"]


def test_admin_calls_need_no_session_and_are_not_counted(org, admin, sf):
    sf.Contact.describe()
    before = admin.get("/usage").json()
    for _ in range(3):
        admin.get("/packages")
    after = admin.get("/usage").json()
    assert after == before and after["used"] == org.api_usage()[0] == 1
    assert after["remaining"] == after["max"] - after["used"]


def test_usage_limit_can_be_lowered(admin, sf):
    used = admin.get("/usage").json()["used"]
    assert admin.post("/usage", json={"max": used + 1}).json()["max"] == used + 1
    sf.Contact.describe()
    with pytest.raises(Exception) as failure:
        sf.Contact.describe()
    assert failure.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert admin.post("/usage", json={"max": "lots"}).status_code == 400


def test_custom_field_is_unknown_until_the_package_is_installed(admin, sf):
    contact = sf.Contact.create({"LastName": "Byron"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Contact.update(contact, {MARKETO: True})
    assert error_of(failure)["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.query(f"SELECT Id, {MARKETO} FROM Contact")
    assert error_of(failure)["errorCode"] == "INVALID_FIELD"
    listed = admin.get("/packages").json()
    assert listed["installed"] == [] and listed["available"][0]["name"] == "marketo-sales-connect"

    installed = admin.post("/packages/marketo-sales-connect")
    assert installed.status_code == 201 and installed.json()["installed"] is True
    assert installed.json()["fields"] == {"Contact": [MARKETO], "Lead": [MARKETO]}
    assert admin.post("/packages/marketo-sales-connect").status_code == 200
    assert sf.Contact.update(contact, {MARKETO: True}) == 204
    assert sf.query(f"SELECT {MARKETO} FROM Contact WHERE Id = '{contact}'")["records"][0][MARKETO]

    removed = admin.delete("/packages/marketo-sales-connect")
    assert removed.status_code == 200 and removed.json()["installed"] is False
    assert MARKETO not in {f["name"] for f in sf.Contact.describe()["fields"]}
    assert admin.get("/packages").json()["installed"] == []


def test_unknown_package_names_the_known_ones(admin):
    answer = admin.post("/packages/nope")
    assert answer.status_code == 404
    assert "available packages: marketo-sales-connect" in answer.json()[0]["message"]


def test_reset_restores_the_default_org_in_place(org, admin, sf):
    contacts = org.count("Contact")
    sf.Contact.create({"LastName": "Extra"})
    admin.post("/packages/marketo-sales-connect")
    admin.post("/layouts/Lead/fields", json={"field": "HasOptedOutOfEmail"})
    admin.post("/field-security", json={"type": "Contact", "field": "Title", "access": "hidden"})
    org.rules.lock("003000000000000AAA")
    answer = admin.post("/reset")
    assert answer.status_code == 200 and answer.json()["records"]["Contact"] == contacts
    assert answer.json()["orgId"] == org.org_id
    assert org.installed_packages() == [] and org.rules.locks == {}
    assert not org.layouts.has_field("Lead", "HasOptedOutOfEmail")
    assert "Title" in {f["name"] for f in sf.Contact.describe()["fields"]}  # same session works
    assert admin.get("/usage").json()["used"] == 1


def test_reset_clears_fault_rules(org, admin, sf):
    install_faults(org, [{"fault": "503", "path": "/sobjects"}])
    admin.post("/reset")
    assert org.faults.rules == [] and sf.Contact.describe()["name"] == "Contact"


def test_reset_to_an_empty_org_or_bad_fixtures(org, admin, tmp_path):
    assert admin.post("/reset", json={"empty": True}).json()["records"]["Contact"] == 0
    assert org.users == {}
    bad = admin.post("/reset", json={"fixtures": str(tmp_path)})
    assert bad.status_code == 400 and "org.json not found" in bad.json()[0]["message"]


def test_expired_sessions_make_clients_log_in_again(org, admin, sf):
    token = sf.session_id
    assert admin.post("/sessions/expire").json()["expired"] >= 1
    stale = requests.get(f"{org.instance_url}/services/data/v59.0/sobjects",
                         headers={"Authorization": f"Bearer {token}"})
    assert stale.status_code == 401 and stale.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    assert sf.query("SELECT Id FROM Contact LIMIT 1")["totalSize"] == 1  # re-logged in
    assert sf.session_id != token


def test_bad_json_body_is_a_clear_error(admin):
    answer = admin.post("/layouts/Lead/fields", data="[1]",
                        headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and "JSON object" in answer.json()[0]["message"]


def test_serve_prints_the_admin_key():
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--empty", "--exit-after", "0.2"])
    assert result.exit_code == 0, result.output
    assert "Admin key (header X-Sfmock-Admin-Key for /sfmock/api): " in result.output
