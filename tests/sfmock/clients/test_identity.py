"""OAuth identity: the token's identity URL, UserInfo, revoke and introspect, JWT audiences."""

from __future__ import annotations

import time

import jwt
import pytest
import requests
import trustme

from sfmock.testing import CLIENT_ID, CLIENT_SECRET, USERNAME

IDENTITY_KEYS = [
    "id", "asserted_user", "user_id", "organization_id", "username", "nick_name", "display_name",
    "email", "email_verified", "first_name", "last_name", "timezone", "photos", "addr_street",
    "addr_city", "addr_state", "addr_country", "addr_zip", "mobile_phone",
    "mobile_phone_verified", "is_lightning_login_user", "status", "urls", "active", "user_type",
    "language", "locale", "utcOffset", "last_modified_date", "is_app_installed",
]
URL_KEYS = ["enterprise", "metadata", "partner", "rest", "sobjects", "search", "query", "recent",
            "tooling_soap", "tooling_rest", "profile", "feeds", "groups", "users", "feed_items",
            "feed_elements", "custom_domain"]


def test_the_token_names_an_identity_url_on_the_host_that_issued_it(front):
    body = front.token()
    user_id = front.org.users[USERNAME].user_id
    assert body["id"] == f"{front.login_url}/id/{front.org.org_id}/{user_id}"


def test_the_identity_url_answers_the_users_identity(front):
    body = front.token()
    identity = front.http.get(body["id"], headers={
        "Authorization": f"Bearer {body['access_token']}"}).json()
    assert list(identity) == IDENTITY_KEYS
    assert list(identity["urls"]) == URL_KEYS
    assert identity["id"] == body["id"]
    assert identity["username"] == USERNAME and identity["organization_id"] == front.org.org_id
    assert identity["urls"]["rest"] == f"{body['instance_url']}/services/data/v{{version}}/"
    assert identity["timezone"] == "America/Los_Angeles" and identity["utcOffset"] == -28800000


def test_the_identity_url_fills_in_a_requested_version(front):
    body = front.token()
    identity = front.http.get(body["id"], params={"version": "59.0"}, headers={
        "Authorization": f"Bearer {body['access_token']}"}).json()
    assert identity["urls"]["query"].endswith("/services/data/v59.0/query/")


def test_the_identity_url_refuses_a_dead_token(front):
    body = front.token()
    response = front.http.get(body["id"], headers={"Authorization": "Bearer nope"})
    assert (response.status_code, response.text) == (403, "Bad_OAuth_Token")


def test_userinfo_answers_the_openid_shape(front):
    body = front.token()
    info = front.http.get(f"{body['instance_url']}/services/oauth2/userinfo",
                          headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert info["sub"].endswith(f"/id/{front.org.org_id}/{info['user_id']}")
    assert info["preferred_username"] == USERNAME
    assert info["organization_id"] == front.org.org_id
    assert {"email", "given_name", "family_name", "zoneinfo", "urls", "updated_at"} <= set(info)


def test_a_revoked_token_stops_working(front):
    token = front.token()["access_token"]
    revoked = front.http.post(f"{front.login_url}/services/oauth2/revoke", data={"token": token})
    assert revoked.status_code == 200
    after = front.call("GET", "limits", token=token)
    assert after.status_code == 401
    assert after.json() == [{"message": "Session expired or invalid",
                             "errorCode": "INVALID_SESSION_ID"}]


def test_revoking_an_unknown_token_is_an_oauth_error(front):
    response = front.http.post(f"{front.login_url}/services/oauth2/revoke",
                               data={"token": "not-a-token"})
    assert response.status_code == 400
    assert response.json() == {"error": "unsupported_token_type",
                               "error_description": "this token type is not supported"}


def test_revoking_a_refresh_token_ends_its_sessions(org):
    refresh = org.create_refresh_token(USERNAME, CLIENT_ID)
    url = "https://login.salesforce.com/services/oauth2"
    body = requests.post(f"{url}/token", data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "refresh_token": refresh}).json()
    assert requests.post(f"{url}/revoke", data={"token": refresh}).status_code == 200
    assert body["access_token"] not in org.sessions
    again = requests.post(f"{url}/token", data={
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "refresh_token": refresh})
    assert again.json()["error"] == "invalid_grant"


def test_introspect_tells_a_live_token_from_a_revoked_one(front):
    token = front.token()["access_token"]
    client = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    url = f"{front.login_url}/services/oauth2/introspect"
    live = front.http.post(url, data={"token": token, **client}).json()
    assert live["active"] is True and live["username"] == USERNAME
    assert live["token_type"] == "access_token" and live["exp"] > time.time()
    front.http.post(f"{front.login_url}/services/oauth2/revoke", data={"token": token})
    assert front.http.post(url, data={"token": token, **client}).json() == {"active": False}


def test_introspect_needs_the_client_credentials(front):
    response = front.http.post(f"{front.login_url}/services/oauth2/introspect",
                               data={"token": "x", "client_id": CLIENT_ID,
                                     "client_secret": "wrong"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("audience", ["https://login.salesforce.com",
                                      "https://login.salesforce.com/"])
def test_a_jwt_audience_is_accepted_with_or_without_a_trailing_slash(org, tmp_path, audience):
    leaf = trustme.CA(key_type=trustme.KeyType.RSA).issue_cert(
        "sales-connect-sync.example", key_type=trustme.KeyType.RSA)
    org.apps[CLIENT_ID].certificate = leaf.cert_chain_pems[0].bytes().decode()
    claims = {"iss": CLIENT_ID, "sub": USERNAME, "aud": audience, "exp": int(time.time()) + 180}
    assertion = jwt.encode(claims, leaf.private_key_pem.bytes(), algorithm="RS256")
    response = requests.post("https://login.salesforce.com/services/oauth2/token", data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion})
    assert response.status_code == 200 and response.json()["access_token"] in org.sessions
