"""Shared fixtures: an emulated org in-process, a logged-in client, a TLS server, a browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import requests
from simple_salesforce import Salesforce

from sfmock import Org, load_fixtures, mock_salesforce
from sfmock.server import Server
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from tests.skip_policy import missing_tool, pytest_runtest_makereport  # noqa: F401 (the hook)
from tests.suite_split import pytest_collection_modifyitems  # noqa: F401 (the hook)

pytest_plugins = ("tests.session_speed",)


class Clock:
    """A settable clock for an org (`Org(clock=...)`) or a store: sleeping advances it, so
    waits cost no time."""

    def __init__(self, moment: datetime = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)

    def sleep(self, seconds: float) -> None:
        self.advance(seconds=seconds)


@pytest.fixture
def org():
    """A fresh default org served in-process to every `requests` call for Salesforce hosts."""
    with mock_salesforce() as org:
        yield org


@pytest.fixture
def empty_org():
    with mock_salesforce(fixtures=None) as org:
        yield org


@pytest.fixture
def sf(org) -> Salesforce:
    """simple-salesforce logged in (SOAP) as the integration user of the in-process org."""
    return Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)


def trusting_session(ca_path) -> requests.Session:
    """A requests session that trusts only the emulator's CA (env CA bundles ignored)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca_path)
    return session


@contextmanager
def serving(org: Org, cert_dir) -> Iterator[Server]:
    """`org` behind a real HTTPS server on a free loopback port until the block ends.

    The server thread polls for its stop every 20 ms, not the default 500: a test's teardown
    waits for it (half a second a test over the suite's ~60 server tests)."""
    running = Server(org, "127.0.0.1", 0, tls=True, cert_dir=cert_dir).start(poll_interval=0.02)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def server(tmp_path):
    """A default org behind a real HTTPS server on a free loopback port; stops after the test."""
    org = Org()
    load_fixtures(org)
    with serving(org, tmp_path / "certs") as running:
        yield running
    org.close()


@pytest.fixture
def server_sf(server) -> Salesforce:
    """simple-salesforce logged in against the HTTPS server through the domain trick."""
    host = server.url.removeprefix("https://")
    return Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN,
                      domain=f"{host}/login", session=trusting_session(server.ca_path))


CHROMIUM = os.environ.get("SFMOCK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (the system binary); skips only when no browser can be had."""
    sync_api = pytest.importorskip("playwright.sync_api", reason=missing_tool(
        "playwright", "pip install -e '.[test]'"))
    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if executable is None:
        pytest.skip(missing_tool(f"Chromium (none at {CHROMIUM} or on PATH)",
                                 "apt-get install chromium (or set SFMOCK_CHROMIUM)"))
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
