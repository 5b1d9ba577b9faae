"""In headless Chromium: the pages read well. Timestamps in the viewer's time zone (readable UTC
without JavaScript), a run's details as words, a favicon, a named settings gear, and People
listing the first page before any search."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from syncer.cli import State, main
from tests.skip_policy import missing_tool

from .test_web_browser import sign_in

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api",
                             reason=missing_tool("playwright", "pip install -e '.[test]'")).expect

ZONE = "Asia/Tokyo"


@pytest.fixture
def tokyo(browser, live):
    """A page whose browser lives in Tokyo, reading English."""
    context = browser.new_context(base_url=live.url, timezone_id=ZONE, locale="en-US")
    context.set_default_timeout(5000)
    yield context.new_page()
    context.close()


@pytest.fixture
def run(live):
    """One finished nightly run."""
    person = live.add_person("readable@example.com")
    live.org.update("Contact", person.contact_id, {"HasOptedOutOfEmail": True})
    live.syncer.store.update_settings(nightly_sync=True)
    try:
        done = CliRunner().invoke(main, ["nightly"], obj=State(syncer=live.syncer))
        assert done.exit_code == 0, done.output
    finally:
        live.syncer.store.update_settings(nightly_sync=False)
    return live.syncer.store.list_runs(limit=1)[0]


def _in_tokyo(stamp: str) -> str:
    """What en-US Intl (dateStyle and timeStyle medium) shows for `stamp` in Tokyo."""
    moment = datetime.fromisoformat(stamp).astimezone(ZoneInfo(ZONE))
    hour = moment.hour % 12 or 12
    return (f"{moment:%b} {moment.day}, {moment.year}, {hour}:{moment:%M:%S}"
            f" {'AM' if moment.hour < 12 else 'PM'}")


def _spaces(text: str) -> str:
    return re.sub(r"[\u202f\u00a0]", " ", text)


def test_timestamps_show_in_the_viewers_time_zone_with_utc_in_the_tooltip(tokyo, run):
    sign_in(tokyo)
    tokyo.get_by_role("link", name="Run history").click()
    row = tokyo.get_by_role("row").filter(has=tokyo.get_by_role("link", name=f"Run {run.id}"))
    shown = row.locator("time")
    expect(shown).to_have_attribute("data-local", "true")
    assert _spaces(shown.inner_text()) == _in_tokyo(run.started_at)
    utc = datetime.fromisoformat(run.started_at)
    expect(shown).to_have_attribute("title", f"{utc:%Y-%m-%d %H:%M:%S} UTC")


def test_without_javascript_timestamps_read_as_utc(browser, live, run):
    context = browser.new_context(base_url=live.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page)
        page.goto(f"/admin/runs/{run.id}")
        started = page.locator("dl.facts time").first
        utc = datetime.fromisoformat(run.started_at)
        expect(started).to_have_text(f"{utc:%Y-%m-%d %H:%M:%S} UTC")
        assert started.get_attribute("datetime") == f"{utc:%Y-%m-%dT%H:%M:%S}Z"
    finally:
        context.close()


def test_a_runs_details_read_as_a_list_not_json(tokyo, run):
    sign_in(tokyo)
    tokyo.goto(f"/admin/runs/{run.id}")
    details = tokyo.locator("h2:has-text('Details') + dl")
    expect(details.locator("dt").first).to_be_visible()
    text = details.inner_text()
    assert "Trigger" in text and "{" not in text and '"' not in text
    assert not [key for key in details.locator("dt").all_inner_texts() if "_" in key]
    for key in run.details:
        assert key.replace("_", " ").lower() in text.lower()


def test_favicon_and_a_named_settings_gear(tokyo, live):
    sign_in(tokyo)
    icon = tokyo.locator("link[rel=icon]")
    answer = tokyo.request.get(live.url + icon.get_attribute("href"))
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    assert tokyo.request.get(live.url + "/favicon.ico").status == 200
    gear = tokyo.locator("a.gear")
    expect(gear).to_have_accessible_name("Settings")
    gear.click()
    expect(tokyo).to_have_url(re.compile(r"/admin/settings"))


def test_people_lists_the_first_page_before_any_search(tokyo, live):
    for n in range(3):
        live.add_person(f"listed{n}@example.com")
    sign_in(tokyo)
    tokyo.get_by_role("link", name="People", exact=True).click()
    table = tokyo.get_by_role("table")
    expect(table).to_contain_text("listed0@example.com")
    expect(table).to_contain_text("listed2@example.com")
    table.get_by_role("link", name="listed1@example.com").click()
    expect(tokyo.get_by_role("heading", name="listed1@example.com", level=1)).to_be_visible()
