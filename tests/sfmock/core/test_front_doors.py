"""Both front doors serve one backend: in-process and a real HTTPS server."""

import subprocess
import sys

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceResourceNotFound

from sfmock import Org, active_org, load_fixtures, mock_salesforce
from sfmock.testing import PASSWORD, TOKEN, USERNAME, ServeProcess
from tests.conftest import serving, trusting_session


def test_server_over_https_serves_simple_salesforce(server, server_sf):
    created = server_sf.Contact.create({"LastName": "Over TLS"})
    assert server.org.get("Contact", created["id"])["LastName"] == "Over TLS"
    assert server_sf.sf_instance == server.url.removeprefix("https://")


def test_server_soap_and_oauth_point_back_at_itself(server):
    session = trusting_session(server.ca_path)
    body = session.post(f"{server.url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": "sfmock-client-id",
        "client_secret": "sfmock-client-secret", "username": USERNAME,
        "password": PASSWORD + TOKEN}).json()
    assert body["instance_url"] == server.url
    sf = Salesforce(instance_url=body["instance_url"], session_id=body["access_token"],
                    session=session)
    assert sf.Lead.describe()["name"] == "Lead"


def test_server_expired_session_is_renewed(server, server_sf):
    server.org.expire_sessions()
    assert server_sf.Contact.describe()["name"] == "Contact"


def test_server_refuses_plain_http_clients_without_a_session(server):
    session = trusting_session(server.ca_path)
    response = session.get(f"{server.url}/services/data/v59.0/limits")
    assert response.status_code == 401


def test_each_block_starts_from_a_fresh_org():
    with mock_salesforce() as first:
        sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
        sf.Contact.create({"LastName": "Leaky"})
        count = first.count("Contact")
    with mock_salesforce() as second:
        assert second.count("Contact") == count - 1


def test_empty_org_on_request():
    with mock_salesforce(fixtures=None) as org:
        assert org.count("Contact") == 0 and not org.users


@mock_salesforce()
def test_works_as_a_decorator():
    sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
    sf.Lead.create({"LastName": "Deco", "Company": "Rator"})
    assert active_org().count("Lead") == 31


def test_non_salesforce_hosts_are_not_served(org):
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("https://example.com/services/data/")


def test_db_file_keeps_the_org_across_restarts(tmp_path):
    db = tmp_path / "org.db"
    with mock_salesforce(db_path=db) as org:
        org.install_package("marketo-sales-connect")
        sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
        created = sf.Contact.create({"LastName": "Durable", "ToutApp__MSE_Opt_Out__c": True})
    reopened = Org(db)
    assert reopened.get("Contact", created["id"])["ToutApp__MSE_Opt_Out__c"] == 1
    assert reopened.installed_packages() == ["marketo-sales-connect"]
    assert reopened.users["integration@sfmock.dev"].password == PASSWORD
    reopened.close()


def test_sfmock_serve_command_prints_url_ca_and_admin_key(tmp_path):
    with ServeProcess(tmp_path, exit_after=30) as serving:
        assert serving.url.startswith("https://127.0.0.1:")
        assert serving.ca_path == str(tmp_path / "certs" / "ca.pem")
        versions = serving.session().get(f"{serving.url}/services/data").json()
        assert versions[-1]["version"] == "68.0"
        usage = serving.session().get(f"{serving.url}/sfmock/api/usage",
                                      headers={"X-Sfmock-Admin-Key": serving.admin_key})
        assert usage.status_code == 200


def test_sfmock_serve_reports_a_busy_port(server):
    result = subprocess.run(
        [sys.executable, "-m", "sfmock", "serve", "--port", str(server.port)],
        capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Error: cannot listen on 127.0.0.1:")
    assert "Traceback" not in result.stderr


def test_one_orgs_session_and_ids_mean_nothing_to_another(tmp_path):
    first, second = Org(), Org()
    for org in (first, second):
        load_fixtures(org)
    with serving(first, tmp_path) as a, serving(second, tmp_path) as b:
        session = trusting_session(a.ca_path)
        sf_a = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN,
                          domain=f"{a.url.removeprefix('https://')}/login", session=session)
        record = sf_a.Contact.create({"LastName": "Only In A"})["id"]
        stolen = Salesforce(instance_url=b.url, session_id=sf_a.session_id, session=session)
        with pytest.raises(SalesforceExpiredSession):
            stolen.Contact.get(record)
        sf_b = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN,
                          domain=f"{b.url.removeprefix('https://')}/login", session=session)
        with pytest.raises(SalesforceResourceNotFound):
            sf_b.Contact.get(record)
    first.close()
    second.close()
