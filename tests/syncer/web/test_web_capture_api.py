"""The capture API (POST /api/unsubscribes, /api/resubscribes): auth, validation, idempotency."""

from __future__ import annotations

import json

import pytest

from syncer.web import auth, create_app


@pytest.fixture
def key(syncer) -> str:
    return auth.create_api_key(syncer.store, "sales-connect")


def post(client, body, key=None, *, path="/api/unsubscribes", headers=None, **kw):
    sent = {"Authorization": f"Bearer {key}"} if key else {}
    sent.update(headers or {})
    if body is not None and "data" not in kw:
        kw["json"] = body
    return client.post(path, headers=sent, **kw)


def opted_out(org, record_id: str) -> bool:
    return bool(org.get("Contact", record_id)["HasOptedOutOfEmail"])


def error_of(response) -> str:
    assert response.mimetype == "application/json"
    message = response.get_json()["error"]
    assert "\n" not in message and ":" in message  # one line, naming the fix after the colon
    return message


def test_unsubscribe_is_accepted_pushed_and_recorded(client, key, syncer, sforg, ada):
    response = post(client, {"email": "Ada@Example.com", "reason": "clicked unsubscribe",
                             "occurred_at": "2026-11-20T19:00:00-08:00"}, key)
    assert response.status_code == 202
    answer = response.get_json()
    assert answer["status"] == "accepted"
    assert answer["duplicate"] is False
    assert answer["state"] == "confirmed" and answer["reached_salesforce"] is True
    assert answer["salesforce_id"] == ada.contact_id
    assert opted_out(sforg, ada.contact_id) is True
    event = [e for e in syncer.store.person_history(ada.id) if e["action"] == "unsubscribe"][0]
    assert (event["source"], event["reason"], event["actor"]) == (
        "api", "clicked unsubscribe", "api key sales-connect")
    assert event["occurred_at"] == "2026-11-21T03:00:00.000000Z"


def test_capture_by_salesforce_id_alone(client, key, sforg, ada):
    response = post(client, {"salesforce_id": ada.contact_id[:15], "source": "link"}, key)
    assert response.status_code == 202
    assert response.get_json()["email"] == ada.email
    assert opted_out(sforg, ada.contact_id) is True


def test_same_idempotency_key_answers_the_same_and_writes_once(client, key, syncer, ada):
    headers = {"Idempotency-Key": "unsub-ada-1"}
    first = post(client, {"email": ada.email}, key, headers=headers)
    again = post(client, {"email": ada.email}, key, headers=headers)
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.get_json()["duplicate"] is False
    assert again.get_json()["duplicate"] is True
    actions = [e["action"] for e in syncer.store.person_history(ada.id)]
    assert actions.count("unsubscribe") == 1


def test_reusing_an_idempotency_key_for_another_change_is_422(client, key, new_person, ada):
    other = new_person("grace@example.com")
    headers = {"Idempotency-Key": "k-1"}
    assert post(client, {"email": ada.email}, key, headers=headers).status_code == 202
    response = post(client, {"email": other.email}, key, headers=headers)
    assert response.status_code == 422
    assert "send a new key" in error_of(response)


def test_idempotency_keys_belong_to_their_api_key(client, key, syncer, ada):
    second = auth.create_api_key(syncer.store, "importer")
    headers = {"Idempotency-Key": "same"}
    assert post(client, {"email": ada.email}, key, headers=headers).get_json()[
        "duplicate"] is False
    response = post(client, {"email": "grace@example.com"}, second, headers=headers)
    assert response.status_code == 202 and response.get_json()["duplicate"] is False


def test_a_failed_push_never_loses_the_capture(tmp_path, sforg, ada, syncer):
    from syncer.config import Config
    from syncer.service import Syncer

    wrong = Syncer(Config(db=syncer.config.db, username="integration@sfmock.dev",
                          password="not-the-password", security_token="x"))
    client = create_app(wrong).test_client()
    key = auth.create_api_key(wrong.store, "sales-connect")
    response = post(client, {"email": ada.email}, key)
    assert response.status_code == 202
    answer = response.get_json()
    assert answer["state"] == "pending" and "refused the login" in answer["error"]
    assert wrong.store.get_person(ada.email).opted_out is True
    assert [item.person_id for item in wrong.store.list_outbox("pending")] == [ada.id]
    assert opted_out(sforg, ada.contact_id) is False
    wrong.close()


def test_resubscribe_needs_a_reason_and_clears_both_sides(client, key, sforg, ada):
    post(client, {"email": ada.email}, key)
    refused = post(client, {"email": ada.email}, key, path="/api/resubscribes")
    assert refused.status_code == 400
    assert "needs a reason" in error_of(refused)
    response = post(client, {"email": ada.email, "reason": "asked to rejoin by phone"}, key,
                    path="/api/resubscribes")
    assert response.status_code == 202 and response.get_json()["opted_out"] is False
    assert opted_out(sforg, ada.contact_id) is False


@pytest.mark.parametrize("header, why", [
    (None, "no API key"),
    ("Bearer syk_not-a-real-key", "not known"),
    ("Bearer not-even-our-format", "not known"),
    ("Basic dXNlcjpwYXNz", "not 'Bearer <key>'"),
    ("Bearer ", "not 'Bearer <key>'"),
])
def test_missing_or_wrong_api_key_is_401(client, key, ada, header, why):
    response = post(client, {"email": ada.email}, headers={"Authorization": header} if header
                    else {})
    assert response.status_code == 401
    assert why in error_of(response)
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="syncer"')


def test_a_revoked_key_is_refused(client, key, syncer, ada):
    assert auth.revoke_api_key(syncer.store, "sales-connect")
    assert post(client, {"email": ada.email}, key).status_code == 401


def test_non_json_is_415(client, key):
    response = post(client, None, key, data="email=ada@example.com",
                    content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert "Content-Type: application/json" in error_of(response)


def test_oversize_body_is_413(client, key):
    body = json.dumps({"email": "ada@example.com", "reason": "x" * 70_000})
    response = post(client, None, key, data=body, content_type="application/json")
    assert response.status_code == 413
    assert "64 KiB" in error_of(response)


@pytest.mark.parametrize("body, fragment", [
    ('{"email": ', "not valid JSON"),
    ('["ada@example.com"]', "must be a JSON object"),
    ("{}", "send an email or a salesforce_id"),
    ('{"email": null}', "send an email or a salesforce_id"),
    ('{"email": "ada@example.com", "mail": 1}', "unknown field 'mail'"),
    ('{"email": 7}', "email is not a JSON string"),
    ('{"email": "not-an-address"}', "use the form name@example.com"),
    ('{"salesforce_id": "001000000000001"}', "not a Contact (003...) or Lead (00Q...) ID"),
    ('{"salesforce_id": "003000000000001AAX"}', "wrong checksum"),
    ('{"email": "ada@example.com", "source": "salesforce"}', "use one of api, link"),
    ('{"email": "ada@example.com", "reason": 5}', "reason is not text"),
    ('{"email": "ada@example.com", "occurred_at": "2026-11-28 20:00"}', "no time zone"),
    ('{"email": "ada@example.com", "occurred_at": "yesterday"}', "use ISO-8601"),
    ('{"email": "ada@example.com", "occurred_at": "2999-01-01T00:00:00Z"}', "in the future"),
])
def test_bad_input_is_400_with_one_line_naming_the_fix(client, key, body, fragment):
    response = post(client, None, key, data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert fragment in error_of(response)


def test_unknown_salesforce_id_asks_for_the_email(client, key, sforg):
    unknown = sforg.insert("Contact", {"LastName": "Nobody"})
    response = post(client, {"salesforce_id": unknown}, key)
    assert response.status_code == 400
    assert "capture by email" in error_of(response)


def test_bad_idempotency_key_is_400(client, key, ada):
    response = post(client, {"email": ada.email}, key, headers={"Idempotency-Key": "é" * 3})
    assert response.status_code == 400
    assert "a UUID" in error_of(response)


def test_wrong_method_and_unknown_path_answer_json(client, key):
    wrong = client.get("/api/unsubscribes", headers={"Authorization": f"Bearer {key}"})
    assert wrong.status_code == 405 and "POST" in wrong.headers["Allow"]
    assert "not allowed" in error_of(wrong)
    missing = client.post("/api/nothing", headers={"Authorization": f"Bearer {key}"})
    assert missing.status_code == 404
    assert "no such page" in error_of(missing)


def test_capture_reaches_an_org_served_over_https(tmp_path, server):
    """The other front door: the syncer logs in to a real TLS server, trusting only its CA."""
    from syncer.config import Config
    from syncer.service import Syncer

    contact_id = server.org.insert("Contact", {"LastName": "Tls", "Email": "tls@example.com"})
    config = Config(db=str(tmp_path / "tls.db"), login_url=server.url,
                    ca_bundle=str(server.ca_path), username="integration@sfmock.dev",
                    password="sfmock-password", security_token="sfmock-token")
    with Syncer(config) as over_tls:
        over_tls.store.upsert_person("tls@example.com", salesforce_id=contact_id,
                                     source="import")
        client = create_app(over_tls).test_client()
        key = auth.create_api_key(over_tls.store, "sales-connect")
        response = post(client, {"email": "tls@example.com"}, key,
                        headers={"Idempotency-Key": "tls-1"})
        assert response.status_code == 202
        assert response.get_json()["state"] == "confirmed"
    assert opted_out(server.org, contact_id) is True
