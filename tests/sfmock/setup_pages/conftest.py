"""Setup-page fixtures: a signed-in Flask test client, and a real server with headless Chromium."""

from __future__ import annotations

import re

import pytest

from sfmock import Org, create_app, load_fixtures
from sfmock.server import Server

ADMIN_USER, ADMIN_PASSWORD = "admin@sfmock.dev", "sfmock-admin-password"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class Pages:
    """A Flask test client signed in to Setup, posting forms with the page's CSRF token."""

    def __init__(self, org: Org):
        self.org = org
        self.client = create_app(org).test_client()
        self.token = ""

    def get(self, path: str, **kw):
        response = self.client.get(path, **kw)
        if 'name="csrf_token"' in response.get_data(as_text=True):
            self.token = csrf_of(response.get_data(as_text=True))
        return response

    def post(self, path: str, data: dict | None = None, **kw):
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kw)

    def login(self, username: str = ADMIN_USER, password: str = ADMIN_PASSWORD):
        self.get("/setup/login")
        return self.post("/setup/login", {"username": username, "password": password})


@pytest.fixture
def pages(org) -> Pages:
    signed_in = Pages(org)
    signed_in.login()
    return signed_in


@pytest.fixture
def anonymous(org) -> Pages:
    return Pages(org)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A default org behind a real HTTPS server, for a browser and simple-salesforce at once."""
    org = Org()
    load_fixtures(org)
    with Server(org, "127.0.0.1", 0, tls=True,
                cert_dir=tmp_path_factory.mktemp("certs")) as running:
        yield running
    org.close()


@pytest.fixture
def page(browser, live):
    """A fresh browser page (its own cookies) that trusts the server's self-signed certificate."""
    context = browser.new_context(ignore_https_errors=True, base_url=live.url)
    context.set_default_timeout(5000)
    yield context.new_page()
    context.close()


@pytest.fixture
def signed_in(page):
    """A browser page signed in to Setup as the default org's admin."""
    page.goto("/setup")
    page.get_by_label("Username").fill(ADMIN_USER)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log In").click()
    page.wait_for_url("**/setup")
    return page
