"""httpx clients, sync and async, are served in-process by `mock_salesforce()` with no socket."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from sfmock import mock_salesforce
from sfmock.models.faults import install_faults
from sfmock.testing import CLIENT_ID, CLIENT_SECRET, PASSWORD, TOKEN, USERNAME

LOGIN = "https://login.salesforce.com/services/oauth2/token"
CREDENTIALS = {"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
               "username": USERNAME, "password": PASSWORD + TOKEN}


def test_a_sync_httpx_client_logs_in_and_queries(org):
    with httpx.Client() as client:
        token = client.post(LOGIN, data=CREDENTIALS).json()
        page = client.get(f"{token['instance_url']}/services/data/v59.0/query",
                          params={"q": "SELECT COUNT() FROM Contact"},
                          headers={"Authorization": f"Bearer {token['access_token']}"})
    assert page.json()["totalSize"] == org.count("Contact")


def test_an_async_httpx_client_writes_a_record(org):
    async def create() -> str:
        async with httpx.AsyncClient() as client:
            token = (await client.post(LOGIN, data=CREDENTIALS)).json()
            created = await client.post(
                f"{token['instance_url']}/services/data/v59.0/sobjects/Lead",
                json={"LastName": "Async", "Company": "Event Loop"},
                headers={"Authorization": f"Bearer {token['access_token']}"})
            return created.json()["id"]

    lead_id = asyncio.run(create())
    assert org.get("Lead", lead_id)["Company"] == "Event Loop"


def test_a_dropped_call_is_a_transport_error_for_httpx(org):
    install_faults(org, [{"fault": "drop", "path": "/limits"}])
    with httpx.Client() as client:
        token = client.post(LOGIN, data=CREDENTIALS).json()
        with pytest.raises(httpx.TransportError):
            client.get(f"{token['instance_url']}/services/data/v59.0/limits",
                       headers={"Authorization": f"Bearer {token['access_token']}"})


def test_other_hosts_are_not_reached(org):
    with pytest.raises(respx.models.AllMockedAssertionError):
        httpx.get("https://example.org/")


def test_the_innermost_block_serves_httpx_as_it_serves_requests():
    def instance() -> str:
        return httpx.post(LOGIN, data=CREDENTIALS).json()["instance_url"]

    with mock_salesforce():
        outer = instance()
        with mock_salesforce(instance_url="https://inner-dev-ed.my.salesforce.com"):
            assert instance() == "https://inner-dev-ed.my.salesforce.com"
        assert instance() == outer
