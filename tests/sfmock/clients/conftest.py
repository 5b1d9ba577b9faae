"""Both front doors for the client-compatibility endpoints: in-process and a real HTTPS server."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests
from simple_salesforce import Salesforce

from sfmock.models.org import Org
from sfmock.testing import CLIENT_ID, CLIENT_SECRET, PASSWORD, TOKEN, USERNAME
from tests.conftest import trusting_session


@dataclass
class Front:
    """One front door: its org, a logged-in client, where tokens come from, a raw session."""

    name: str
    org: Org
    sf: Salesforce
    login_url: str
    http: requests.Session

    def token(self, **overrides) -> dict:
        """A password-grant token response from this door."""
        data = {"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "username": USERNAME, "password": PASSWORD + TOKEN, **overrides}
        return self.http.post(f"{self.login_url}/services/oauth2/token", data=data).json()

    def call(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        """A raw REST call (`path` under /services/data/v59.0/) with a bearer token."""
        headers = {"Authorization": f"Bearer {token or self.sf.session_id}",
                   **kwargs.pop("headers", {})}
        return self.http.request(method, f"{self.sf.base_url}{path}", headers=headers, **kwargs)


@pytest.fixture(params=["inprocess", "tls_server"])
def front(request) -> Front:
    if request.param == "inprocess":
        return Front("inprocess", request.getfixturevalue("org"), request.getfixturevalue("sf"),
                     "https://login.salesforce.com", requests.Session())
    server = request.getfixturevalue("server")
    return Front("tls_server", server.org, request.getfixturevalue("server_sf"), server.url,
                 trusting_session(server.ca_path))
