"""A fixture org declaring two related custom objects: Invoice__c (a lookup to Account, every
common field type) and Invoice_Line__c (master-detail to Invoice__c)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from simple_salesforce import Salesforce

from sfmock import Org, load_fixtures, mock_salesforce
from sfmock.models.fixtures import DEFAULT_FIXTURES
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from tests.conftest import serving, trusting_session

HERE = Path(__file__).parent


@pytest.fixture
def custom_fixtures(tmp_path) -> Path:
    """The default fixtures with `custom_objects` from custom_objects.json in their org.json."""
    spec = json.loads((DEFAULT_FIXTURES / "org.json").read_text())
    spec["custom_objects"] = json.loads((HERE / "custom_objects.json").read_text())
    (tmp_path / "org.json").write_text(json.dumps(spec))
    return tmp_path


@pytest.fixture
def custom_org(custom_fixtures):
    with mock_salesforce(fixtures=custom_fixtures) as org:
        yield org


@pytest.fixture
def csf(custom_org) -> Salesforce:
    return Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)


@pytest.fixture
def server_csf(custom_fixtures, tmp_path) -> Salesforce:
    """The custom-object org behind a real HTTPS server (the other front door)."""
    org = Org()
    load_fixtures(org, custom_fixtures)
    with serving(org, tmp_path / "certs") as running:
        host = running.url.removeprefix("https://")
        yield Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN,
                         domain=f"{host}/login", session=trusting_session(running.ca_path))
    org.close()
