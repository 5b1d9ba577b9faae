"""In headless Chromium: an admin signs in and changes the field, a person follows their
unsubscribe link (and Salesforce changes), a tampered link is refused, a nightly run shows up.

The web app runs on a real loopback socket; its Syncer talks to an in-process sfmock org
(mock_salesforce lets 127.0.0.1 traffic through, so browser -> app -> syncer -> org is one
process).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from simple_salesforce import Salesforce

from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.cli import State, main
from tests.skip_policy import missing_tool

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api",
                             reason=missing_tool("playwright", "pip install -e '.[test]'")).expect

ADMIN_PASSWORD = "correct horse battery staple"


def sign_in(page) -> None:
    page.goto("/")
    page.get_by_label("Admin password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Unsubscribe sync", level=1)).to_be_visible()


def syncer_cli(live, *args: str) -> str:
    result = CliRunner().invoke(main, list(args), obj=State(syncer=live.syncer))
    assert result.exit_code == 0, result.output
    return result.output


def test_admin_changes_the_field_choice_and_the_cli_sees_it(page, live):
    try:
        sign_in(page)
        page.get_by_role("link", name="Settings", exact=True).click()
        page.get_by_role("link", name="Unsubscribes").click()
        expect(page.get_by_role("heading", name="Sync to Salesforce")).to_be_visible()
        default = page.get_by_role("radio", name="Sync with Salesforce Email Opt Out field")
        expect(default).to_be_checked()
        checks = page.get_by_role("complementary", name="Requirement checks")
        expect(checks).to_contain_text("Contact.HasOptedOutOfEmail")
        expect(checks).to_contain_text("Salesforce IDs")

        switch = page.get_by_role("switch", name="Nightly sync")
        switch.focus()
        page.keyboard.press("Space")  # keyboard only
        expect(switch).to_be_checked()
        page.get_by_role("radio", name="Sync with Marketo Sales Opt Out field").check()
        page.get_by_role("button", name="Save").click()

        expect(page.get_by_role("status")).to_have_text("Settings saved.")
        expect(page.get_by_role("radio", name="Sync with Marketo Sales Opt Out field")
               ).to_be_checked()
        expect(checks.locator(".check.fail")).to_contain_text(
            ["Contact.ToutApp__MSE_Opt_Out__c", "Lead.ToutApp__MSE_Opt_Out__c"])
        shown = CliRunner().invoke(main, ["settings"], env={"SYNCER_DB": live.db})
        assert "nightly sync: on" in shown.output
        assert "field: marketo-sales-opt-out (ToutApp__MSE_Opt_Out__c)" in shown.output
    finally:
        live.syncer.store.update_settings(nightly_sync=False, field="email-opt-out")


def test_following_an_unsubscribe_link_changes_salesforce(page, live):
    person = live.add_person("lin@example.com")
    link = syncer_cli(live, "unsubscribe-link", person.email, "--base-url", live.url).strip()
    sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)

    page.goto(link)
    expect(page.get_by_role("heading", name="Unsubscribe from our sales emails?")
           ).to_be_visible()
    assert sf.Contact.get(person.contact_id)["HasOptedOutOfEmail"] is False  # GET changes nothing
    page.get_by_role("radio", name="The emails are not relevant to me").check()
    page.get_by_role("button", name="Unsubscribe").click()

    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("lin@example.com will get no more")
    assert sf.Contact.get(person.contact_id)["HasOptedOutOfEmail"] is True
    page.goto(link)
    expect(page.get_by_role("heading", name="You are already unsubscribed")).to_be_visible()


def test_a_tampered_link_is_refused(page, live):
    person = live.add_person("tam@example.com")
    link = syncer_cli(live, "unsubscribe-link", person.email, "--base-url", live.url).strip()
    tampered = link[:-3] + ("x" if link[-3] != "x" else "y") + link[-2:]
    response = page.goto(tampered)
    assert response.status == 400
    expect(page.get_by_role("heading", name="This unsubscribe link does not work")
           ).to_be_visible()
    expect(page.get_by_role("button")).to_have_count(0)
    assert not live.syncer.store.get_person(person.id).opted_out


def test_run_history_after_a_nightly_run(page, live):
    person = live.add_person("run@example.com")
    live.org.update("Contact", person.contact_id, {"HasOptedOutOfEmail": True})
    live.syncer.store.update_settings(nightly_sync=True)
    try:
        syncer_cli(live, "nightly")
    finally:
        live.syncer.store.update_settings(nightly_sync=False)
    [run] = live.syncer.store.list_runs(limit=1)

    sign_in(page)
    page.get_by_role("link", name="Run history").click()
    table = page.get_by_role("table", name="Nightly sync runs, newest first")
    row = table.get_by_role("row").filter(has=page.get_by_role("link", name=f"Run {run.id}"))
    expect(row.get_by_role("cell").nth(1)).to_have_text("ok")
    row.get_by_role("link", name=f"Run {run.id}").click()
    expect(page.get_by_role("heading", name=f"Run {run.id}: ok")).to_be_visible()
    expect(page.locator("dl.facts").first).to_contain_text("Changes made here")
    assert run.pushed_local >= 1 and live.syncer.store.get_person(person.id).opted_out


def test_pages_fit_a_phone_and_show_focus(page, live):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page)
    page.goto("/admin/settings/unsubscribes")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    form, checks = page.locator("form.settings"), page.locator("aside.checks")
    assert checks.bounding_box()["y"] > form.bounding_box()["y"]  # stacked on a phone
    page.keyboard.press("Tab")  # the skip link comes first
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    outline = skip.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"
