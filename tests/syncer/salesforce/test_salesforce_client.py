"""The Salesforce client: every login flow, both front doors, re-login, call counts, errors."""

from __future__ import annotations

import functools

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sfmock import ids
from sfmock.models.faults import install_faults
from sfmock.testing import CLIENT_ID, CLIENT_SECRET, PASSWORD, TOKEN, USERNAME
from syncer.config import Config, ConfigError
from syncer.salesforce import (
    LimitError,
    LoginError,
    PermanentError,
    SalesforceClient,
    TransientError,
)


@functools.cache
def _app_key() -> rsa.RSAPrivateKey:
    """One 2048-bit key for the module's JWT apps (each takes ~100 ms to generate)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwt_app(org, tmp_path) -> str:
    """Register a connected app holding the key's public half; return the key file."""
    key = _app_key()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    org.add_connected_app("jwt-client", "unused-secret", certificate=public.decode())
    path = tmp_path / "app-key.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return str(path)


CREDENTIALS = {
    "soap": {"username": USERNAME, "password": PASSWORD, "security_token": TOKEN},
    "oauth-password": {"username": USERNAME, "password": PASSWORD, "security_token": TOKEN,
                       "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    "client-credentials": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    "jwt": {"username": USERNAME, "client_id": "jwt-client"},
}


@pytest.mark.parametrize("method", sorted(CREDENTIALS))
def test_each_login_flow_in_process(org, tmp_path, method):
    values = dict(CREDENTIALS[method])
    if method == "jwt":
        values["private_key_file"] = _jwt_app(org, tmp_path)
    client = SalesforceClient(Config(**values))
    assert client.config.auth_method == method
    records = client.query_all("SELECT Id, Email FROM Contact")
    assert len(records) == org.count("Contact")
    assert client.instance_url == org.instance_url
    assert client.logins == 1


@pytest.mark.parametrize("method", sorted(CREDENTIALS))
def test_each_login_flow_over_https(server, tmp_path, method):
    values = dict(CREDENTIALS[method])
    if method == "jwt":
        values["private_key_file"] = _jwt_app(server.org, tmp_path)
    client = SalesforceClient(Config(login_url=server.url, ca_bundle=str(server.ca_path),
                                     **values))
    assert len(client.query_all("SELECT Id FROM Lead")) == server.org.count("Lead")
    assert client.instance_url == server.url


def test_the_ca_bundle_wins_over_requests_ca_bundle(server, monkeypatch):
    """REQUESTS_CA_BUNDLE (set on many machines) must not override SF_CA_BUNDLE."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    client = SalesforceClient(Config(login_url=server.url, ca_bundle=str(server.ca_path),
                                     **CREDENTIALS["soap"]))
    assert client.limits()["DailyApiRequests"]["Max"] == server.org.api_usage()[1]


def test_an_untrusted_certificate_names_sf_ca_bundle(server):
    client = SalesforceClient(Config(login_url=server.url, **CREDENTIALS["soap"]))
    with pytest.raises(LoginError, match="is not trusted .*certificate verify failed.*"
                                         "set SF_CA_BUNDLE"):
        client.connect()


def test_calls_are_counted_and_the_allocation_read(org):
    client = SalesforceClient(Config(**CREDENTIALS["soap"]))
    used_before = org.api_usage()[0]
    client.query_all("SELECT Id FROM Contact")
    client.describe("Contact")
    client.limits()
    assert client.calls == 3
    assert org.api_usage()[0] - used_before == 3
    assert client.allocation() == org.api_usage()


def test_an_expired_session_logs_in_again_once(org):
    client = SalesforceClient(Config(**CREDENTIALS["soap"]))
    client.limits()
    org.expire_sessions()
    assert client.describe("Lead")["name"] == "Lead"
    assert client.logins == 2
    install_faults(org, [{"fault": "INVALID_SESSION_ID", "calls": [1]}])
    assert client.query_all("SELECT Id FROM Lead LIMIT 1")
    assert client.logins == 3


def test_bad_credentials_raise_a_login_error_naming_the_variables(org):
    client = SalesforceClient(Config(username=USERNAME, password="wrong", security_token=TOKEN))
    with pytest.raises(LoginError, match="INVALID_LOGIN.*check SF_USERNAME, SF_PASSWORD and"
                                         " SF_SECURITY_TOKEN") as caught:
        client.limits()
    assert "wrong" not in str(caught.value)
    bad_app = SalesforceClient(Config(client_id=CLIENT_ID, client_secret="nope"))
    with pytest.raises(LoginError, match="invalid_client.*check SF_CLIENT_ID and"
                                         " SF_CLIENT_SECRET"):
        bad_app.limits()


def test_missing_credentials_and_key_files_are_config_errors(org, tmp_path):
    with pytest.raises(ConfigError, match="no Salesforce credentials"):
        SalesforceClient(Config()).connect()
    missing = Config(username=USERNAME, client_id="c", private_key_file=str(tmp_path / "k"))
    with pytest.raises(ConfigError, match="cannot read SF_PRIVATE_KEY_FILE"):
        SalesforceClient(missing).connect()
    (tmp_path / "k").write_text("not a key")
    with pytest.raises(ConfigError, match="is not a usable RSA private key"):
        SalesforceClient(missing).connect()


def test_an_unreachable_salesforce_is_transient():
    client = SalesforceClient(Config(login_url="https://127.0.0.1:9", **CREDENTIALS["soap"]),
                              timeout=2)
    with pytest.raises(TransientError, match="cannot reach Salesforce at https://127.0.0.1:9"
                                             ".*check SF_LOGIN_URL"):
        client.connect()


def test_a_login_url_that_is_no_salesforce_fails_clearly(server):
    client = SalesforceClient(Config(login_url=f"{server.url}/nothing-here",
                                     ca_bundle=str(server.ca_path), **CREDENTIALS["soap"]))
    with pytest.raises(LoginError, match="refused the login at .*/nothing-here"):
        client.connect()


def test_errors_are_mapped_to_one_kind_each(org):
    client = SalesforceClient(Config(**CREDENTIALS["soap"]))
    install_faults(org, [{"fault": "503", "calls": [1]}, {"fault": "500", "calls": [2]},
                         {"fault": "drop", "calls": [3]},
                         {"fault": "UNABLE_TO_LOCK_ROW", "calls": [4]}])
    for code in ("SERVER_UNAVAILABLE", "UNKNOWN_EXCEPTION", "NETWORK", "UNABLE_TO_LOCK_ROW"):
        with pytest.raises(TransientError) as caught:
            client.limits()
        assert caught.value.code == code and caught.value.kind == "transient"
    with pytest.raises(PermanentError) as caught:
        client.query_all("SELECT Nope__c FROM Contact")
    assert caught.value.code == "INVALID_FIELD" and caught.value.status == 400
    org.set_api_limit(org.api_usage()[0])
    with pytest.raises(LimitError, match="daily API allocation is spent") as caught:
        client.limits()
    assert caught.value.kind == "limit" and caught.value.status == 403


def test_org_behaviours_map_to_their_kind_and_fix(org):
    client = SalesforceClient(Config(**CREDENTIALS["soap"]))
    org.behaviours.add({"query_timeouts": ["FROM Lead"]})
    with pytest.raises(TransientError, match="QUERY_TIMEOUT.*lower the bulk threshold"):
        client.query_all("SELECT Id FROM Lead")
    org.behaviours.add({"api_disabled_users": [USERNAME]})
    with pytest.raises(PermanentError, match="API_DISABLED_FOR_ORG.*'API Enabled'") as caught:
        client.limits()  # the session opened before the permission was taken away
    assert caught.value.status == 403
    with pytest.raises(LoginError, match="API_CURRENTLY_DISABLED.*'API Enabled'"):
        SalesforceClient(Config(**CREDENTIALS["soap"])).connect()


def test_query_all_iter_follows_pages(org):
    with org.lock, org.db.atomic():
        for i in range(2100):
            org.insert("Contact", {"LastName": f"Bulk {i}", "Email": f"bulk{i}@example.com"},
                       check=False)
    client = SalesforceClient(Config(**CREDENTIALS["soap"]))
    rows = list(client.query_all_iter("SELECT Id FROM Contact WHERE Email LIKE 'bulk%'"))
    assert len(rows) == 2100
    assert client.calls == 2  # two pages of at most 2,000


def test_collections_update_retrieve_describe_and_layouts_over_https(server):
    org = server.org
    client = SalesforceClient(Config(login_url=server.url, ca_bundle=str(server.ca_path),
                                     **CREDENTIALS["soap"]))
    contact = next(org.records("Contact"))
    lead = next(r for r in org.records("Lead") if not r["IsConverted"])
    results = client.collections_update([
        {"attributes": {"type": "Contact"}, "id": contact["Id"], "HasOptedOutOfEmail": True},
        {"attributes": {"type": "Lead"}, "id": lead["Id"], "HasOptedOutOfEmail": True},
    ])
    assert [r["success"] for r in results] == [True, True]
    missing = ids.make_id("003", org.meta["pod"], 9_999_999)
    found = client.retrieve("Contact", [contact["Id"], missing], ["Id", "HasOptedOutOfEmail"])
    assert found[0]["HasOptedOutOfEmail"] is True and found[1] is None
    assert any(f["name"] == "HasOptedOutOfEmail" for f in client.describe("Lead")["fields"])
    assert client.describe_layouts("Contact")["layouts"][0]["detailLayoutSections"]
    assert client.calls == 4


def test_collections_update_takes_at_most_200_records(org):
    client = SalesforceClient(Config(**CREDENTIALS["soap"]))
    with pytest.raises(ValueError, match="1 to 200 records, not 201"):
        client.collections_update([{}] * 201)
