"""Web app fixtures: a Syncer over an in-process org, the app's test client, a live server."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import pytest
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from sfmock import mock_salesforce
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.config import Config
from syncer.service import Syncer
from syncer.web import auth, create_app

ADMIN_PASSWORD = "correct horse battery staple"
# The signed-in fixtures' stored hash: a werkzeug hash that verifies in microseconds, where
# the product's scrypt takes ~100 ms a sign-in (about 60 sign-ins a run). The product stores
# scrypt: test_web_cli_commands.py pins it, and test_security.py signs in against it.
ADMIN_HASH = generate_password_hash(ADMIN_PASSWORD, method="pbkdf2:sha256:1000")


def make_syncer(path, **config) -> Syncer:
    """A Syncer with its store at `path`, logging in to the in-process org."""
    settings = {"username": USERNAME, "password": PASSWORD, "security_token": TOKEN, **config}
    return Syncer(Config(db=str(path), **settings))


@dataclass
class Person:
    """A person in the store linked to a fresh Contact in the org."""

    id: int
    email: str
    contact_id: str


def add_person(syncer: Syncer, org, email: str) -> Person:
    contact_id = org.insert("Contact", {"LastName": email.split("@")[0].title(), "Email": email})
    person_id = syncer.store.upsert_person(email, salesforce_id=contact_id, source="import")
    return Person(person_id, email, contact_id)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def sforg():
    with mock_salesforce() as org:
        yield org


@pytest.fixture
def syncer(tmp_path, sforg):
    with make_syncer(tmp_path / "syncer.db") as opened:
        opened.store.put_value(auth.PASSWORD_HASH, ADMIN_HASH)
        yield opened


@pytest.fixture
def app(syncer):
    return create_app(syncer)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ada(syncer, sforg) -> Person:
    return add_person(syncer, sforg, "ada@example.com")


@pytest.fixture
def new_person(syncer, sforg):
    """Make a person linked to a new Contact: new_person(email) -> Person."""
    return lambda email: add_person(syncer, sforg, email)


class Admin:
    """A test client signed in as the admin, posting forms with the session's CSRF token."""

    def __init__(self, client):
        self.client = client
        page = client.get("/admin/login").get_data(as_text=True)
        self.token = csrf_of(page)
        response = client.post("/admin/login", data={"csrf_token": self.token,
                                                     "password": ADMIN_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.token = csrf_of(client.get("/admin/").get_data(as_text=True))  # a new one

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict | None = None, **kw):
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kw)


@pytest.fixture
def admin(client) -> Admin:
    return Admin(client)


# -- a live server and a browser (module-scoped: one of each per test module) ------------------


@dataclass
class Live:
    url: str
    org: object
    syncer: Syncer
    db: str

    def add_person(self, email: str) -> Person:
        return add_person(self.syncer, self.org, email)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The web app on a real loopback socket, its Syncer talking to an in-process org."""
    db = tmp_path_factory.mktemp("web") / "syncer.db"
    with mock_salesforce() as org, make_syncer(db) as served:
        auth.set_admin_password(served.store, ADMIN_PASSWORD)
        server = make_server("127.0.0.1", 0, create_app(served), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Live(f"http://127.0.0.1:{server.server_port}", org, served, str(db))
        finally:
            server.shutdown()
            thread.join(5)


@pytest.fixture
def page(browser, live):
    """A fresh browser page with its own cookies, pointed at the live app."""
    context = browser.new_context(base_url=live.url)
    context.set_default_timeout(5000)
    yield context.new_page()
    context.close()
