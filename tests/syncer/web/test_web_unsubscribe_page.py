"""The public unsubscribe page: confirm on GET, unsubscribe on POST or RFC 8058 one-click,
clear pages for used, expired and forged links."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import pytest

from syncer.web.tokens import LinkTokens


@pytest.fixture
def link_for(app, syncer):
    """The unsubscribe link path of a person (made now, or `days_ago`)."""
    def make(person, days_ago: float = 0) -> str:
        tokens = LinkTokens(app.config["SECRET_KEY"],
                            clock=lambda: time.time() - days_ago * 86400)
        return tokens.url("", syncer.store.get_person(person.id))
    return make


@pytest.fixture
def sf_opted_out(sforg):
    return lambda person: bool(sforg.get("Contact", person.contact_id)["HasOptedOutOfEmail"])


def unsubscribes(syncer, person) -> list[dict]:
    return [e for e in syncer.store.person_history(person.id) if e["action"] == "unsubscribe"]


def test_get_only_asks_so_link_scanners_change_nothing(client, syncer, ada, link_for,
                                                       sf_opted_out):
    link = link_for(ada)
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Unsubscribe from our sales emails?" in html and ada.email in html
    assert html.count("<button") == 1 and 'method="post"' in html
    assert client.head(link).status_code == 200
    assert not syncer.store.get_person(ada.id).opted_out
    assert not unsubscribes(syncer, ada) and not sf_opted_out(ada)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"


def test_pressing_the_button_unsubscribes_and_pushes_at_once(client, syncer, ada, link_for,
                                                             sf_opted_out):
    response = client.post(link_for(ada), data={"reason": "too-many", "details": " weekly  "})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "You are unsubscribed" in html and "will get no more sales emails" in html
    assert sf_opted_out(ada)
    [event] = unsubscribes(syncer, ada)
    assert (event["source"], event["reason"]) == ("link", "I get too many emails: weekly")


@pytest.mark.parametrize("as_multipart", [False, True])
def test_rfc8058_one_click_post_unsubscribes_directly(app, syncer, ada, link_for,
                                                      sf_opted_out, as_multipart):
    fresh = app.test_client(use_cookies=False)
    body = {"List-Unsubscribe": "One-Click"}
    response = (fresh.post(link_for(ada), data=body, content_type="multipart/form-data")
                if as_multipart else fresh.post(link_for(ada), data=body))
    assert response.status_code == 200
    assert sf_opted_out(ada)
    [event] = unsubscribes(syncer, ada)
    assert "RFC 8058" in event["reason"]


def test_a_used_link_says_already_unsubscribed(client, syncer, ada, link_for):
    link = link_for(ada)
    client.post(link, data={"List-Unsubscribe": "One-Click"})
    for response in (client.get(link), client.post(link, data={})):
        assert response.status_code == 200
        assert "You are already unsubscribed" in response.get_data(as_text=True)
    assert len(unsubscribes(syncer, ada)) == 1


def test_an_expired_link_says_so_and_what_to_do(client, syncer, ada, link_for, sf_opted_out):
    link = link_for(ada, days_ago=61)
    for response in (client.get(link), client.post(link, data={"List-Unsubscribe":
                                                                "One-Click"})):
        html = response.get_data(as_text=True)
        assert response.status_code == 410
        assert "This unsubscribe link has expired" in html
        assert "work for 60 days" in html and "reply to this email" in html
    assert not syncer.store.get_person(ada.id).opted_out and not sf_opted_out(ada)
    assert client.get(link_for(ada, days_ago=59)).status_code == 200


def test_max_age_is_configurable(syncer, ada):
    from syncer.web import create_app

    app = create_app(syncer, link_max_age=timedelta(days=7))
    link = LinkTokens(app.config["SECRET_KEY"], clock=lambda: time.time() - 8 * 86400).url(
        "", syncer.store.get_person(ada.id))
    response = app.test_client().get(link)
    assert response.status_code == 410 and "work for 7 days" in response.get_data(as_text=True)


def test_an_expired_link_of_someone_already_out_says_already(client, syncer, ada, link_for):
    syncer.unsubscribe(ada.email, source="manual")
    response = client.get(link_for(ada, days_ago=90))
    assert "You are already unsubscribed" in response.get_data(as_text=True)


def _forgeries(link: str, victim_id: int, syncer) -> list[str]:
    """Ways to edit a genuine link, all of which must be refused."""
    token = link.rsplit("/", 1)[1]
    payload, stamp, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    swapped = base64.urlsafe_b64encode(json.dumps(
        {**decoded, "p": victim_id}, separators=(",", ":")).encode()).decode().rstrip("=")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    other_secret = LinkTokens("not-the-secret").make(syncer.store.get_person(victim_id))
    return [
        f"/unsubscribe/{swapped}.{stamp}.{signature}",  # someone else's id, old signature
        f"/unsubscribe/{payload}.{stamp}.{flipped}",  # a changed signature
        f"/unsubscribe/{payload}.{stamp}",  # cut off
        f"/unsubscribe/{other_secret}",  # signed with another key
        f"/unsubscribe/{victim_id}",  # a guessable id
        "/unsubscribe/" + "x" * 40,
    ]


def test_forged_or_tampered_links_are_refused(client, syncer, ada, new_person, link_for,
                                              sf_opted_out):
    grace = new_person("grace@example.com")
    for forged in _forgeries(link_for(ada), grace.id, syncer):
        for response in (client.get(forged),
                         client.post(forged, data={"List-Unsubscribe": "One-Click"})):
            html = response.get_data(as_text=True)
            assert response.status_code == 400, forged
            assert "This unsubscribe link does not work" in html
            assert "Nobody has been unsubscribed" in html
    assert not any(syncer.store.get_person(p.id).opted_out for p in (ada, grace))
    assert not sf_opted_out(grace)


def test_a_link_stops_working_when_the_persons_email_changes(client, syncer, ada, link_for):
    link = link_for(ada)
    syncer.store.change_email(ada.id, "ada.new@example.com")
    assert client.get(link).status_code == 400
