"""Admin pages through the Flask client: sign-in, CSRF, settings, runs, outbox, people."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from syncer.cli import State, main
from syncer.web import auth, create_app


def text(response) -> str:
    return response.get_data(as_text=True)


def csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


# -- sign-in and sessions ----------------------------------------------------------------------


def test_admin_pages_need_a_sign_in(client):
    for path in ("/", "/admin/", "/admin/settings/unsubscribes", "/admin/runs",
                 "/admin/outbox", "/admin/people/1"):
        response = client.get(path, follow_redirects=True)
        assert response.request.path == "/admin/login", path
        assert "Admin password" in text(response)


def test_sign_in_goes_back_to_the_page_asked_for(client):
    client.get("/admin/runs")
    login = client.get("/admin/login?next=/admin/runs")
    token = csrf(text(login))
    wrong = client.post("/admin/login?next=/admin/runs",
                        data={"csrf_token": token, "password": "guess"})
    assert wrong.status_code == 401 and "That password is not right" in text(wrong)
    right = client.post("/admin/login?next=/admin/runs",
                        data={"csrf_token": token, "password": "correct horse battery staple"})
    assert right.status_code == 302 and right.location == "/admin/runs"


def test_password_guessing_is_slowed_down(app, client):
    now = [1000.0]
    app.extensions["syncer.logins"] = auth.LoginThrottle(limit=3, window=600,
                                                         clock=lambda: now[0])
    token = csrf(text(client.get("/admin/login")))

    def attempt(password: str):
        return client.post("/admin/login", data={"csrf_token": token, "password": password})

    assert [attempt("guess").status_code for _ in range(3)] == [401, 401, 401]
    locked = attempt("correct horse battery staple")
    assert locked.status_code == 429 and "Wait 10 minute(s)" in text(locked)
    now[0] += 601
    assert attempt("correct horse battery staple").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_sign_in_never_redirects_off_site(client, target):
    token = csrf(text(client.get("/admin/login")))
    response = client.post("/admin/login", query_string={"next": target},
                           data={"csrf_token": token, "password": "correct horse battery staple"})
    assert response.location == "/admin/"


def test_without_a_password_the_sign_in_page_says_how_to_set_one(tmp_path, sforg):
    from syncer.config import Config
    from syncer.service import Syncer

    with Syncer(Config(db=str(tmp_path / "fresh.db"))) as fresh:
        page = create_app(fresh).test_client().get("/admin/login")
        assert "syncer admin set-password" in text(page)
        assert 'type="password"' not in text(page)


def test_session_cookie_is_signed_httponly_and_samesite(client, syncer):
    response = client.get("/admin/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = create_app(syncer, secure_cookies=True).test_client().get("/admin/login")
    assert "Secure" in secure.headers["Set-Cookie"]


def test_a_forged_session_cookie_is_not_signed_in(client):
    client.set_cookie("syncer_session", "eyJhZG1pbiI6IngifQ.Zz.forged")
    assert client.get("/admin/").status_code == 302


def test_posts_need_the_sessions_csrf_token(admin):
    for data in ({}, {"csrf_token": "made-up"}):
        response = admin.client.post("/admin/settings/unsubscribes",
                                     data={**data, "field": "marketo-sales-opt-out"})
        assert response.status_code == 400
        assert "reload the page" in text(response)


def test_a_new_password_signs_every_admin_out(admin, syncer):
    assert admin.get("/admin/").status_code == 200
    auth.set_admin_password(syncer.store, "another long password")
    assert admin.get("/admin/").status_code == 302


def test_sign_out(admin):
    response = admin.post("/admin/logout", follow_redirects=True)
    assert "You are signed out" in text(response)
    assert admin.get("/admin/").status_code == 302


# -- settings ----------------------------------------------------------------------------------


def test_settings_page_shows_the_choices_and_live_checks(admin):
    html = text(admin.get("/admin/settings/unsubscribes"))
    assert "Sync to Salesforce" in html
    assert re.search(r'value="email-opt-out"[^>]*checked', html)
    assert not re.search(r'value="marketo-sales-opt-out"[^>]*checked', html)
    assert "Sync with Salesforce Email Opt Out field" in html
    assert "Sync with Marketo Sales Opt Out field" in html
    assert "keep sales unsubscribes apart from marketing" in html
    assert "Contact.HasOptedOutOfEmail</strong>: Email Opt Out exists" in html
    assert "Lead page layout" in html and "Salesforce IDs" in html


def test_saving_settings_writes_what_the_cli_shows(admin, syncer, sforg):
    response = admin.post("/admin/settings/unsubscribes",
                          {"nightly_sync": "on", "field": "marketo-sales-opt-out",
                           "marketo_field_api_name": "ToutApp__MSE_Opt_Out__c",
                           "stale_hours": "12", "api_reserve_percent": "10",
                           "bulk_threshold": "10000"}, follow_redirects=True)
    html = text(response)
    assert "Settings saved." in html
    assert "Contact.ToutApp__MSE_Opt_Out__c" in html and "Problem" in html  # not installed
    shown = CliRunner().invoke(main, ["settings"], env={"SYNCER_DB": syncer.config.db})
    assert shown.exit_code == 0, shown.output
    assert "nightly sync: on" in shown.output
    assert "field: marketo-sales-opt-out (ToutApp__MSE_Opt_Out__c)" in shown.output
    assert syncer.store.get_settings().stale_hours == 12.0
    sforg.install_package("marketo-sales-connect")
    html = text(admin.get("/admin/settings/unsubscribes"))
    assert "Marketo Sales Opt Out exists and the integration user can edit it" in html


def test_bad_settings_are_not_saved_and_say_why(admin, syncer):
    response = admin.post("/admin/settings/unsubscribes",
                          {"field": "marketo-sales-opt-out",
                           "marketo_field_api_name": "Not A Field", "stale_hours": "24",
                           "api_reserve_percent": "10", "bulk_threshold": "10000"})
    assert response.status_code == 400
    assert "Not saved: marketo_field_api_name" in text(response)
    assert 'value="Not A Field"' in text(response)
    assert syncer.store.get_settings().field == "email-opt-out"


def test_settings_path_from_the_gear(admin):
    html = text(admin.get("/admin/"))
    assert '<span class="visually-hidden">Settings</span>' in html
    index = text(admin.get("/admin/settings"))
    assert "Admin settings" in index and 'href="/admin/settings/unsubscribes"' in index


# -- runs --------------------------------------------------------------------------------------


def test_run_history_after_a_nightly_run(admin, syncer, sforg, ada):
    syncer.store.update_settings(nightly_sync=True)
    sforg.update("Contact", ada.contact_id, {"HasOptedOutOfEmail": True})
    ran = CliRunner().invoke(main, ["nightly"], obj=State(syncer=syncer))
    assert ran.exit_code == 0, ran.output
    [run] = syncer.store.list_runs()
    html = text(admin.get("/admin/runs"))
    assert f'href="/admin/runs/{run.id}">Run {run.id}</a>' in html
    assert '<span class="status ok">ok</span>' in html
    assert f"<td>{run.pulled}</td>" in html and run.pulled >= 1
    detail = text(admin.get(f"/admin/runs/{run.id}"))
    assert "Changes made here</dt><dd>1</dd>" in detail
    assert syncer.store.get_person(ada.id).opted_out


def test_a_run_shows_its_errors_and_conflicts(admin, syncer):
    run_id = syncer.store.start_run("incremental")
    syncer.store.finish_run(run_id, "partial", conflicts=2, errors=["UNABLE_TO_LOCK_ROW on 003x"])
    assert "<td>2</td>" in text(admin.get("/admin/runs"))
    detail = text(admin.get(f"/admin/runs/{run_id}"))
    assert "Run 1: partial" in detail and "UNABLE_TO_LOCK_ROW on 003x" in detail
    assert admin.get("/admin/runs/99").status_code == 404


# -- outbox ------------------------------------------------------------------------------------


def test_a_failed_push_shows_why_and_retry_pushes_it(admin, syncer, sforg, ada):
    sforg.delete("Contact", ada.contact_id)
    outcome = syncer.unsubscribe(ada.email, source="manual")
    assert outcome.state == "failed"
    html = text(admin.get("/admin/outbox"))
    assert "Failed (1)" in html and "Recycle Bin" in html
    assert f'aria-label="Retry the push for {ada.email}"' in html
    [failed] = syncer.store.list_outbox("failed")
    sforg.undelete("Contact", ada.contact_id)
    response = admin.post(f"/admin/outbox/{failed.id}/retry", follow_redirects=True)
    assert "Pushed 1 change(s); 0 still pending." in text(response)
    assert "No failed pushes." in text(response)
    assert bool(sforg.get("Contact", ada.contact_id)["HasOptedOutOfEmail"])
    again = admin.post(f"/admin/outbox/{failed.id}/retry", follow_redirects=True)
    assert "no longer failed" in text(again)


def test_a_failed_push_to_a_record_no_person_owns_is_listed_too(admin, syncer, sforg):
    lead = sforg.insert("Lead", {"LastName": "Twin", "Company": "Acme",
                                 "Email": "twin@example.com"})
    sforg.delete("Lead", lead)
    syncer.store.queue_record_push(lead, "Lead", True, field="HasOptedOutOfEmail",
                                   email="twin@example.com")
    assert syncer.push(wait=0).failed
    html = text(admin.get("/admin/outbox"))
    assert "Failed (1)" in html and "twin@example.com (a record no person here is linked to)" in html
    assert 'aria-label="Retry the push for twin@example.com"' in html


def test_pending_pushes_are_listed(admin, syncer):
    syncer.unsubscribe("nobody@example.com", source="manual")
    html = text(admin.get("/admin/outbox"))
    assert "Pending (1)" in html and "waiting for a Salesforce ID" in html


# -- people ------------------------------------------------------------------------------------


def test_find_a_person_and_see_every_event(admin, syncer, ada):
    syncer.unsubscribe(ada.email, source="api", reason="clicked unsubscribe", actor="api key x")
    found = admin.get("/admin/people", query_string={"q": "ADA@example.com"})
    assert found.location == f"/admin/people/{ada.id}"
    assert admin.get("/admin/people", query_string={"q": ada.contact_id}).location == \
        f"/admin/people/{ada.id}"
    html = text(admin.get(f"/admin/people/{ada.id}"))
    for shown in ("Unsubscribed", "link", "import", "unsubscribe", "clicked unsubscribe",
                  "api key x", "push", "system"):
        assert f"<td>{shown}</td>" in html or f'<th scope="row">{shown}</th>' in html \
            or f"<strong>{shown}</strong>" in html, shown
    missing = admin.get("/admin/people", query_string={"q": "who@example.com"})
    assert missing.status_code == 404 and "No person has who@example.com" in text(missing)
    bad = admin.get("/admin/people", query_string={"q": "003-bad"})
    assert bad.status_code == 400 and "is not a Salesforce ID" in text(bad)


def test_admin_resubscribe_needs_a_reason(admin, syncer, sforg, ada):
    syncer.unsubscribe(ada.email, source="manual")
    refused = admin.post(f"/admin/people/{ada.id}/resubscribe", {"reason": " "},
                         follow_redirects=True)
    assert "needs a reason" in text(refused)
    assert syncer.store.get_person(ada.id).opted_out
    done = admin.post(f"/admin/people/{ada.id}/resubscribe",
                      {"reason": "signed consent form 2026-11-28"}, follow_redirects=True)
    assert "ada@example.com is resubscribed. Salesforce has the change." in text(done)
    assert not bool(sforg.get("Contact", ada.contact_id)["HasOptedOutOfEmail"])
    event = syncer.store.person_history(ada.id)[-2]
    assert (event["action"], event["actor"]) == ("resubscribe", "admin (web)")


def test_home_shows_the_counts(admin, syncer, ada):
    syncer.unsubscribe(ada.email, source="manual")
    html = text(admin.get("/admin/"))
    assert "<dt>Unsubscribed</dt><dd>1</dd>" in html
    assert "pushes write <code>HasOptedOutOfEmail</code>" in html
