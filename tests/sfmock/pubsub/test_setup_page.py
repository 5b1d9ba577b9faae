"""Setup > Change Data Capture selects entities as an admin does in a real org."""

from sfmock.models.cdc import cdc
from tests.sfmock.setup_pages.conftest import Pages


def test_an_admin_selects_entities_on_the_setup_page(org):
    pages = Pages(org)
    pages.login()
    page = pages.get("/setup/cdc").get_data(as_text=True)
    assert "Selected Entities" in page and 'value="Contact" checked' in page
    saved = pages.post("/setup/cdc", {"entity": ["Lead"]}, follow_redirects=True)
    assert "selection saved" in saved.get_data(as_text=True)
    assert cdc(org).selected() == ["Lead"]


def test_setup_search_finds_change_data_capture(org):
    pages = Pages(org)
    pages.login()
    assert "/setup/cdc" in pages.get("/setup?q=change data").get_data(as_text=True)
