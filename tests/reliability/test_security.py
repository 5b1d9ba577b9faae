"""Who may do what: sfmock's sessions, the syncer's admin pages and API, secrets, file modes."""

from __future__ import annotations

import json
import logging
import os
import re
import stat

import pytest
import requests
from click.testing import CliRunner
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

from sfmock import mock_salesforce
from sfmock.app import create_app as sfmock_app
from sfmock.models.fixtures import DEFAULT_FIXTURES, load_fixtures
from sfmock.models.org import Org
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.cli import main
from syncer.service import Syncer
from syncer.store import Store
from syncer.web import auth, create_app

CLIENT_SECRET = "sfmock-client-secret"
SECRETS = (PASSWORD, TOKEN, CLIENT_SECRET)
VERSION = "59.0"
DATA = re.compile(r"^/services/data/v<version>")


def _org() -> tuple[Org, dict]:
    org = Org()
    load_fixtures(org, DEFAULT_FIXTURES)
    contact = next(iter(org.db["Contact"].rows))["Id"]
    return org, {"version": VERSION, "sobject": "Contact", "record_id": contact,
                 "field_name": "Id", "value": contact, "locator": "01gxx0000000001-2000",
                 "job_id": "750xx0000000001AAA", "which": "successfulResults",
                 "record_type_id": "012000000000000AAA", "view_id": "00Bxx0000000001AAA"}


def _data_routes(app, params: dict) -> list[tuple[str, str]]:
    """(method, path) of every data route of the app, its placeholders filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not DATA.match(rule.rule):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: params[m.group(1)], rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


def _login(client, username: str = USERNAME) -> str:
    answer = client.post("/services/oauth2/token", data={
        "grant_type": "password", "client_id": "sfmock-client-id",
        "client_secret": CLIENT_SECRET, "username": username, "password": PASSWORD + TOKEN})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["access_token"]


def test_every_data_route_refuses_calls_without_a_valid_session():
    org, params = _org()
    app = sfmock_app(org)
    client = app.test_client()
    expired = _login(client)
    org.expire_sessions(expired)
    other_org, _ = _org()
    foreign = _login(sfmock_app(other_org).test_client())
    routes = _data_routes(app, params)
    assert len(routes) > 35  # sobjects, query, composite, bulk 2.0, layouts ...
    before = org.api_usage()[0]
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Bearer "},
                    {"Authorization": f"Bearer {expired}"}, {"X-SFDC-Session": "x"},
                    {"Authorization": f"Bearer {foreign}"}, {"Authorization": foreign}):
        for method, path in routes:
            answer = client.open(path, method=method, headers=headers,
                                 json={"records": [], "allOrNone": False})
            assert answer.status_code == 401, (method, path, headers, answer.status_code)
            assert answer.get_json() == [{"message": "Session expired or invalid",
                                          "errorCode": "INVALID_SESSION_ID"}], (method, path)
    assert org.api_usage()[0] == before  # refused calls were never served nor counted


def test_the_https_front_door_refuses_calls_without_a_session(server, server_sf):
    http = requests.Session()
    http.trust_env = False
    http.verify = str(server.ca_path)
    base = f"{server.url}/services/data/v{VERSION}"
    for method, path in (("GET", "/query/?q=SELECT+Id+FROM+Contact"), ("GET", "/limits"),
                         ("POST", "/composite/batch"), ("PATCH", "/composite/sobjects"),
                         ("POST", "/jobs/query"), ("GET", "/sobjects/Contact/describe")):
        for headers in ({}, {"Authorization": "Bearer forged"}):
            answer = http.request(method, base + path, headers=headers, json={})
            assert answer.status_code == 401, (method, path)
            assert answer.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    assert server_sf.query("SELECT Id FROM Contact LIMIT 1")["totalSize"] == 1
    forged = Salesforce(instance_url=server.url, session_id="00D000000000001!AQforged",
                        session=http)
    with pytest.raises(SalesforceExpiredSession):
        forged.query("SELECT Id FROM Contact")


def test_a_session_of_one_org_never_reads_another_orgs_records():
    mine, params = _org()
    theirs, _ = _org()
    secret = theirs.insert("Contact", {"LastName": "Secret", "Email": "secret@theirs.test"})
    token = _login(sfmock_app(mine).test_client())
    client = sfmock_app(theirs).test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    for path in (f"/services/data/v{VERSION}/sobjects/Contact/{secret}",
                 f"/services/data/v{VERSION}/query/?q=SELECT+Id+FROM+Contact",
                 f"/services/data/v{VERSION}/composite/sobjects/Contact?ids={secret}&fields=Id"):
        answer = client.get(path, headers=bearer)
        assert answer.status_code == 401 and "secret" not in answer.get_data(as_text=True)
    # and in its own org the session does not find the other org's record
    own = sfmock_app(mine).test_client().get(
        f"/services/data/v{VERSION}/sobjects/Contact/{secret}", headers=bearer)
    assert own.status_code == 404


def test_composite_subrequests_run_as_the_callers_session_only():
    org, params = _org()
    client = sfmock_app(org).test_client()
    body = {"batchRequests": [{"method": "GET", "url": f"v{VERSION}/sobjects/Contact/"
                               f"{params['record_id']}"}]}
    refused = client.post(f"/services/data/v{VERSION}/composite/batch", json=body)
    assert refused.status_code == 401
    token = _login(client)
    served = client.post(f"/services/data/v{VERSION}/composite/batch", json=body,
                         headers={"Authorization": f"Bearer {token}"})
    assert served.status_code == 200
    assert served.get_json()["results"][0]["statusCode"] == 200


def test_sfmock_admin_api_needs_its_key():
    org, _ = _org()
    client = sfmock_app(org).test_client()
    for headers in ({}, {"X-Sfmock-Admin-Key": "wrong"}):
        assert client.post("/sfmock/api/reset", headers=headers).status_code in (401, 403)
        assert client.get("/sfmock/api/usage", headers=headers).status_code in (401, 403)
    ok = client.get("/sfmock/api/usage", headers={"X-Sfmock-Admin-Key": org.meta["admin_key"]})
    assert ok.status_code == 200


# -- the syncer ---------------------------------------------------------------------------------


@pytest.fixture
def web(tmp_path, make_config):
    with mock_salesforce(), Syncer(make_config(tmp_path / "syncer.db")) as syncer:
        auth.set_admin_password(syncer.store, "admin password 1")
        yield create_app(syncer), syncer


def test_admin_pages_need_a_signed_in_admin(web):
    app, syncer = web
    client = app.test_client()
    pid = syncer.store.upsert_person("ann@example.com", source="import")
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin") and rule.endpoint != "admin.login":
            path = rule.rule.replace("<int:run_id>", "1").replace("<int:outbox_id>", "1")
            path = path.replace("<int:person_id>", str(pid))
            path = path.replace("<any(unsubscribe, resubscribe):action>", "unsubscribe")
            paths.extend((method, path) for method in rule.methods - {"HEAD", "OPTIONS"})
    assert len(paths) >= 12
    for method, path in paths:
        answer = client.open(path, method=method, data={"reason": "x"})
        assert answer.status_code in (302, 400, 403), (method, path, answer.status_code)
        assert answer.status_code != 200
    assert not syncer.store.get_person(pid).opted_out  # nothing changed anonymously
    wrong = client.post("/admin/login", data={"password": "guess"})
    assert wrong.status_code != 302 or "/admin/login" in wrong.headers["Location"]


def test_capture_api_needs_a_known_key(web):
    app, syncer = web
    client = app.test_client()
    key = auth.create_api_key(syncer.store, "sales-connect")
    auth.revoke_api_key(syncer.store, "sales-connect")
    live = auth.create_api_key(syncer.store, "live")
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {key}"},
                   {"Authorization": f"Basic {live}"}, {"Authorization": live}):
        for path in ("/api/unsubscribes", "/api/resubscribes"):
            answer = client.post(path, json={"email": "ann@example.com", "reason": "x"},
                                 headers=header)
            assert answer.status_code == 401, (header, path)
            assert list(answer.get_json()) == ["error"]
    assert syncer.store.count_people() == 0
    ok = client.post("/api/unsubscribes", json={"email": "ann@example.com"},
                     headers={"Authorization": f"Bearer {live}"})
    assert ok.status_code == 202


def test_secrets_never_reach_cli_output_status_or_logs(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    env = {"SYNCER_DB": str(tmp_path / "syncer.db"), "SF_USERNAME": USERNAME,
           "SF_PASSWORD": PASSWORD, "SF_SECURITY_TOKEN": TOKEN, "SYNCER_CONFIG": "",
           "SF_LOGIN_URL": "", "SF_CLIENT_ID": "sfmock-client-id",
           "SF_CLIENT_SECRET": CLIENT_SECRET}
    outputs = []
    with mock_salesforce() as org:
        runner = CliRunner()
        for args in (["settings", "--nightly-sync", "on"], ["unsubscribe", "ann@example.com"],
                     ["push", "--json"], ["status", "--json"], ["status"], ["doctor", "--json"],
                     ["nightly", "--json"], ["people", "list"]):
            result = runner.invoke(main, args, env=env)
            assert "Traceback" not in result.output, (args, result.output)
            outputs.append(result.output)
        status = json.loads(runner.invoke(main, ["status", "--json"], env=env).output)
        wrong = runner.invoke(main, ["doctor"], env={**env, "SF_PASSWORD": "Wrong-Pa55word!"})
        outputs.append(wrong.output)
        sessions = list(org.sessions)
    assert sessions, "the CLI logged in"
    text = "\n".join([*outputs, json.dumps(status), caplog.text])
    for secret in (*SECRETS, "Wrong-Pa55word!", *sessions):
        assert secret not in text
    assert "Traceback" not in wrong.output and wrong.exit_code != 0


def test_config_repr_and_summary_hide_secrets(make_config, tmp_path):
    config = make_config(tmp_path / "s.db", client_id="id", client_secret=CLIENT_SECRET)
    for shown in (repr(config), str(config), json.dumps(config.summary())):
        for secret in SECRETS:
            assert secret not in shown


def test_database_files_are_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "syncer.db"
        with Store(path) as store:
            store.upsert_person("ann@example.com", source="import")
            with store.transaction():
                store.update_settings(nightly_sync=True)
            for name in ("syncer.db", "syncer.db-wal", "syncer.db-shm"):
                if (tmp_path / name).exists():
                    mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
                    assert mode & 0o077 == 0, (name, oct(mode))
    finally:
        os.umask(old)
