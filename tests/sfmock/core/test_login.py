"""Logging in: SOAP partner login and every OAuth grant, through unmodified simple-salesforce."""

import time

import jwt
import pytest
import requests
import trustme
from simple_salesforce import Salesforce, SalesforceAuthenticationFailed
from simple_salesforce.exceptions import SalesforceExpiredSession

from sfmock.testing import CLIENT_ID, CLIENT_SECRET, PASSWORD, TOKEN, USERNAME

TOKEN_URL = "https://login.salesforce.com/services/oauth2/token"


def test_soap_login_returns_session_and_instance(org):
    sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
    assert sf.sf_instance == "sfmock-dev-ed.my.salesforce.com"
    assert sf.session_id.startswith(org.org_id[:15] + "!")
    assert sf.Contact.describe()["name"] == "Contact"


def test_soap_login_with_bad_password_is_invalid_login(org):
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(username=USERNAME, password="wrong", security_token=TOKEN)
    assert failure.value.code == "INVALID_LOGIN"
    assert "Invalid username, password, security token" in failure.value.auth_message


def test_soap_login_on_test_domain(org):
    sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN, domain="test")
    assert sf.Contact.describe()["name"] == "Contact"


def test_oauth_password_grant(org):
    sf = Salesforce(username=USERNAME, password=PASSWORD + TOKEN, consumer_key=CLIENT_ID,
                    consumer_secret=CLIENT_SECRET)
    assert sf.Lead.describe()["keyPrefix"] == "00Q"


def test_oauth_password_grant_with_bad_secret(org):
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(username=USERNAME, password=PASSWORD + TOKEN, consumer_key=CLIENT_ID,
                   consumer_secret="nope")
    assert failure.value.code == "invalid_client"


@pytest.mark.parametrize(("form", "error"), [
    ({"grant_type": "password", "client_id": "who", "client_secret": "x"}, "invalid_client_id"),
    ({"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
      "username": USERNAME, "password": "bad"}, "invalid_grant"),
    ({"grant_type": "magic"}, "unsupported_grant_type"),
    ({"grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": "stale"},
     "invalid_grant"),
])
def test_oauth_errors_have_salesforce_shape(org, form, error):
    response = requests.post(TOKEN_URL, data=form)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert set(response.json()) == {"error", "error_description"}


def test_oauth_client_credentials_runs_as_the_apps_user(org):
    sf = Salesforce(consumer_key=CLIENT_ID, consumer_secret=CLIENT_SECRET,
                    domain="sfmock-dev-ed.my")
    assert sf.limits()["DailyApiRequests"]["Max"] == org.api.max


def test_oauth_refresh_token_grant(org):
    refresh = org.create_refresh_token(USERNAME, CLIENT_ID)
    body = requests.post(TOKEN_URL, data={"grant_type": "refresh_token", "client_id": CLIENT_ID,
                                          "client_secret": CLIENT_SECRET,
                                          "refresh_token": refresh}).json()
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == "https://sfmock-dev-ed.my.salesforce.com"
    sf = Salesforce(instance_url=body["instance_url"], session_id=body["access_token"])
    assert sf.Contact.describe()["name"] == "Contact"


@pytest.fixture
def signing_key(org, tmp_path):
    """A key pair whose certificate is configured on the connected app."""
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    leaf = ca.issue_cert("sales-connect-sync.example", key_type=trustme.KeyType.RSA)
    org.apps[CLIENT_ID].certificate = leaf.cert_chain_pems[0].bytes().decode()
    key_file = tmp_path / "server.key"
    leaf.private_key_pem.write_to_path(str(key_file))
    return key_file


def test_jwt_bearer_grant_verifies_signature(org, signing_key):
    sf = Salesforce(username=USERNAME, consumer_key=CLIENT_ID, privatekey_file=str(signing_key))
    assert sf.Contact.describe()["name"] == "Contact"


def test_jwt_signed_by_another_key_is_refused(org, signing_key):
    rsa = trustme.KeyType.RSA
    other = trustme.CA(key_type=rsa).issue_cert("intruder.example", key_type=rsa)
    other = other.private_key_pem.bytes()
    claims = {"iss": CLIENT_ID, "sub": USERNAME, "aud": "https://login.salesforce.com",
              "exp": int(time.time()) + 180}
    assertion = jwt.encode(claims, other, algorithm="RS256")
    response = requests.post(TOKEN_URL, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}


def test_expired_jwt_is_refused(org, signing_key):
    claims = {"iss": CLIENT_ID, "sub": USERNAME, "aud": "https://login.salesforce.com",
              "exp": int(time.time()) - 10}
    assertion = jwt.encode(claims, signing_key.read_bytes(), algorithm="RS256")
    response = requests.post(TOKEN_URL, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion})
    assert response.json()["error"] == "invalid_grant"


def test_data_call_without_session_is_invalid_session_id(org):
    response = requests.get("https://sfmock-dev-ed.my.salesforce.com/services/data/v59.0/sobjects")
    assert response.status_code == 401
    assert response.json() == [{"message": "Session expired or invalid",
                                "errorCode": "INVALID_SESSION_ID"}]


def test_expired_session_is_renewed_by_a_client_that_logged_in(org, sf):
    contacts = sf.Contact
    before = len(org.sessions)
    org.expire_sessions()
    assert contacts.describe()["name"] == "Contact"
    assert len(org.sessions) == 1 and before >= 1


def test_expired_session_reaches_a_direct_session_client(org, sf):
    direct = Salesforce(instance_url=sf.base_url.split("/services")[0], session_id=sf.session_id)
    org.expire_sessions(sf.session_id)
    with pytest.raises(SalesforceExpiredSession):
        direct.Contact.describe()
