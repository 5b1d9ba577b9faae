"""Fixtures for the nightly sync: a store, an org in-process, and the run's Salesforce side."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sfmock import mock_salesforce
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.config import Config
from syncer.nightly.remote import ClientRemote
from syncer.salesforce import SalesforceClient
from syncer.store import Store


def client_remote(**config) -> ClientRemote:
    """The run's Salesforce side, logged in as the integration user (SOAP)."""
    settings = {"username": USERNAME, "password": PASSWORD, "security_token": TOKEN, **config}
    return ClientRemote(SalesforceClient(Config(**settings)), bulk_wait=0)


@pytest.fixture
def store():
    """A store in memory (the file-backed ones are in the lock and service tests)."""
    with Store(":memory:") as store:
        store.update_settings(nightly_sync=True)
        yield store


@pytest.fixture
def sforg():
    """An in-process org with the integration user and no records."""
    with mock_salesforce(fixtures=None) as org:
        org.add_user(USERNAME, PASSWORD, TOKEN, last_name="Integration")
        yield org


@pytest.fixture
def remote(sforg):
    return client_remote()


@pytest.fixture
def make_remote():
    """client_remote, for tests that log in elsewhere (e.g. the HTTPS server)."""
    return client_remote


@pytest.fixture
def clock(clock):
    """The syncer tests' clock, set to 04:00 UTC (20:00 Pacific, the nightly slot)."""
    clock.moment = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
    return clock


@pytest.fixture
def clocked(clock):
    """(org, store, remote) sharing `clock`."""
    with mock_salesforce(fixtures=None, clock=clock) as org, \
            Store(":memory:", clock=clock) as store:
        org.add_user(USERNAME, PASSWORD, TOKEN, last_name="Integration")
        store.update_settings(nightly_sync=True)
        yield org, store, client_remote()
