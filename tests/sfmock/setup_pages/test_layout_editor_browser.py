"""In Chromium: an admin adds Email Opt Out to the Lead page layout, as the setup guide says."""

import pytest
import requests
from simple_salesforce import Salesforce

from sfmock.testing import PASSWORD, TOKEN, USERNAME
from tests.skip_policy import missing_tool

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api",
                             reason=missing_tool("playwright", "pip install -e '.[test]'")).expect


def layout_fields(layout: dict) -> list[str]:
    return [c["value"] for s in layout["detailLayoutSections"] for r in s["layoutRows"]
            for i in r["layoutItems"] for c in i["layoutComponents"]]


@pytest.fixture(scope="module")
def live_sf(live) -> Salesforce:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(live.ca_path)
    host = live.url.removeprefix("https://")
    return Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN,
                      domain=f"{host}/login", session=session)


def test_admin_drags_email_opt_out_onto_the_lead_layout(page, live, live_sf):
    lead = live.org.insert("Lead", {"LastName": "Lovelace", "Company": "Engines",
                                    "HasOptedOutOfEmail": True})
    page.goto("/setup")
    page.get_by_label("Username").fill("admin@sfmock.dev")
    page.get_by_label("Password").fill("sfmock-admin-password")
    page.get_by_role("button", name="Log In").click()

    page.get_by_label("Quick Find").fill("Leads")
    menu = page.locator("#setup-menu")
    expect(menu.get_by_role("link", name="Contacts")).to_be_hidden()
    menu.get_by_role("link", name="Leads", exact=True).click()
    page.get_by_role("link", name="Page Layouts").click()
    page.get_by_role("link", name="Edit Lead Layout").click()

    target = page.get_by_role("list", name="Lead Information, column 2")
    page.locator('#palette li[data-field="HasOptedOutOfEmail"]').drag_to(target)
    expect(target.locator('li[data-field="HasOptedOutOfEmail"]')).to_have_count(1)
    expect(page.locator("#editor-status")).to_contain_text("Save to keep the change")
    assert not live.org.layouts.has_field("Lead", "HasOptedOutOfEmail")  # not saved yet
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Lead Layout saved.")

    page.goto(f"/lightning/r/Lead/{lead}/view")
    shown = page.locator('[data-field="HasOptedOutOfEmail"]')
    expect(shown.get_by_role("checkbox", name="Email Opt Out: Checked")).to_be_checked()
    described = live_sf.Lead.describe_layout("")["layouts"][0]
    assert "HasOptedOutOfEmail" in layout_fields(described)


def test_keyboard_only_admin_adds_a_field_with_the_button(signed_in, live):
    page = signed_in
    page.goto("/setup/objects/Contact/layouts/edit")
    page.get_by_label("Section for Fax Opt Out").select_option(label="System Information")
    page.get_by_role("button", name="Add Fax Opt Out to section").focus()
    page.keyboard.press("Enter")
    section = page.locator(".layout-section", has_text="System Information")
    expect(section.locator('li[data-field="HasOptedOutOfFax"]')).to_have_count(1)
    expect(page.get_by_role("button", name="Remove Fax Opt Out from the layout")).to_be_focused()
    page.get_by_role("button", name="Save", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Contact Layout saved.")
    saved = live.org.layouts.get("Contact").section("System Information").fields()
    assert saved.count("HasOptedOutOfFax") == 1


def test_editor_fits_a_phone_screen(signed_in):
    page = signed_in
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/setup/objects/Lead/layouts/edit")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    palette, layout = page.locator(".palette"), page.locator(".layout")
    assert layout.bounding_box()["y"] > palette.bounding_box()["y"]  # stacked, not side by side
