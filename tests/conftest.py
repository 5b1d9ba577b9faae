"""Shared fixtures: an emulated org in-process, a logged-in client, and a TLS server."""

from __future__ import annotations

import pytest
import requests
from simple_salesforce import Salesforce

from sfmock import Org, load_fixtures, mock_salesforce
from sfmock.server import Server
from sfmock.testing import PASSWORD, TOKEN, USERNAME


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


@pytest.fixture
def server(tmp_path):
    """A default org behind a real HTTPS server on a free loopback port; stops after the test."""
    org = Org()
    load_fixtures(org)
    with Server(org, "127.0.0.1", 0, tls=True, cert_dir=tmp_path / "certs") as running:
        yield running
    org.close()


@pytest.fixture
def server_sf(server) -> Salesforce:
    """simple-salesforce logged in against the HTTPS server through the domain trick."""
    host = server.url.removeprefix("https://")
    return Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN,
                      domain=f"{host}/login", session=trusting_session(server.ca_path))
