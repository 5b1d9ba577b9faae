"""Batch API test helpers: an external-ID field, raw Bulk 2.0 and 1.0 calls and a fresh login."""

from __future__ import annotations

import json
import time

import pytest
import requests
from simple_salesforce import Salesforce

from sfmock.models.org import Org
from sfmock.models.schema import custom_field
from sfmock.testing import PASSWORD, TOKEN, USERNAME

API = "https://sfmock-dev-ed.my.salesforce.com/services/data/v59.0"


@pytest.fixture
def ext_org(org: Org) -> Org:
    """The default org with an external-ID text field `Ext_Id__c` on Contact."""
    org.add_custom_field("Contact", custom_field("Ext_Id__c", "Ext Id", "string", length=40,
                                                 external_id=True, unique=True))
    return org


@pytest.fixture
def login():
    """A function that logs in afresh (SOAP) as the integration user of the in-process org."""
    return lambda: Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)


class RawApi:
    """Plain `requests` calls with the session of a simple-salesforce client (in-process)."""

    def __init__(self, sf: Salesforce):
        self.sf = sf

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.sf.session_id}",
                   **kwargs.pop("headers", {})}
        return requests.request(method, f"{API}/{path}", headers=headers, timeout=10,
                                **kwargs)

    def wait(self, kind: str, job_id: str, until=("JobComplete", "Failed", "Aborted")) -> dict:
        """Poll a job until it reaches one of `until` (5 s at most)."""
        deadline = time.monotonic() + 5
        while True:
            info = self.call("GET", f"jobs/{kind}/{job_id}").json()
            if info["state"] in until or time.monotonic() > deadline:
                return info
            time.sleep(0.01)


@pytest.fixture
def raw(sf) -> RawApi:
    return RawApi(sf)


ASYNC = "https://sfmock-dev-ed.my.salesforce.com/services/async/59.0"
MEDIA = {"JSON": "application/json", "CSV": "text/csv", "XML": "application/xml"}


class AsyncApi:
    """Plain Bulk API 1.0 calls (`X-SFDC-Session`) with a simple-salesforce client's session."""

    def __init__(self, sf: Salesforce):
        self.sf = sf

    def call(self, method: str, path: str, body: object = None, *, media: str = "JSON",
             headers: dict | None = None) -> requests.Response:
        data = body.encode() if isinstance(body, str) else body
        sent = {"X-SFDC-Session": self.sf.session_id, "Content-Type": MEDIA.get(media, media),
                **(headers or {})}
        return requests.request(method, f"{ASYNC}/{path}", data=data, headers=sent, timeout=30)

    def job(self, operation: str, media: str = "JSON", **extra) -> dict:
        """Create a job in JSON (answered in JSON) and return its info."""
        spec = {"operation": operation, "object": "Contact", "contentType": media, **extra}
        made = self.call("POST", "job", json.dumps(spec))
        assert made.status_code == 201, made.text
        return made.json()

    def batch(self, job_id: str, body: str | bytes, media: str = "JSON") -> requests.Response:
        return self.call("POST", f"job/{job_id}/batch", body, media=media)


@pytest.fixture
def bulk1_api(sf) -> AsyncApi:
    return AsyncApi(sf)
