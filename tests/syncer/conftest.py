"""Fixtures for the syncer core: a config and a Syncer against the in-process org or the server."""

from __future__ import annotations

from collections import Counter

import pytest

from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.config import Config
from syncer.retry import RetryPolicy
from syncer.service import Syncer
from syncer.store import Store
from tests.conftest import Clock

# Retries that take milliseconds, so fault tests stay fast.
FAST = RetryPolicy(call_wait=0.001, call_wait_max=0.005, retry_wait=0.001, retry_wait_max=0.005,
                   limit_pause=600.0, capture_wait=0.5)




@pytest.fixture
def policy() -> RetryPolicy:
    return FAST


@pytest.fixture
def config(tmp_path) -> Config:
    """Credentials of the default org, logging in at login.salesforce.com (in-process)."""
    return Config(db=str(tmp_path / "syncer.db"), username=USERNAME, password=PASSWORD,
                  security_token=TOKEN)


@pytest.fixture
def syncer(org, config):
    """A Syncer on the in-process default org, with fast retries."""
    with Syncer(config, policy=FAST) as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def clocked_syncer(org, config, clock):
    """A Syncer whose store runs on `clock`; its waits advance the clock instead of sleeping."""
    with Syncer(config, store=Store(config.db, clock=clock), policy=FAST,
                sleep=clock.sleep) as running:
        yield running


@pytest.fixture
def server_config(server, tmp_path) -> Config:
    """Credentials of the HTTPS server's org, trusting its CA through SF_CA_BUNDLE."""
    return Config(db=str(tmp_path / "syncer.db"), login_url=server.url,
                  ca_bundle=str(server.ca_path), username=USERNAME, password=PASSWORD,
                  security_token=TOKEN)


@pytest.fixture
def writes(org) -> Counter:
    """How many times each record was updated, counted on the org's side."""
    counter: Counter = Counter()
    org.on_change(lambda sobject, record_id, action, *_: counter.update(
        [record_id] if action == "update" else []))
    return counter


class People:
    """Picks default-org records and links their people in a syncer's store."""

    def __init__(self, org, syncer: Syncer):
        self.org = org
        self.syncer = syncer

    def contacts(self, count: int, start: int = 0) -> list[dict]:
        return list(self.org.records("Contact"))[start:start + count]

    def leads(self, count: int, start: int = 0) -> list[dict]:
        live = [r for r in self.org.records("Lead") if not r["IsConverted"]]
        return live[start:start + count]

    def link(self, records: list[dict]) -> list[dict]:
        """Put these records' people in the store, linked by ID; return the records."""
        for record in records:
            self.syncer.store.upsert_person(record["Email"], salesforce_id=record["Id"],
                                            source="import")
        return records


@pytest.fixture
def people(org, syncer) -> People:
    return People(org, syncer)
