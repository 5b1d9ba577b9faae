"""The change stream against the in-process org with its Pub/Sub API on a local port."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from sfmock import mock_salesforce
from sfmock.models.cdc import cdc
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.config import Config
from syncer.service import Syncer

from ..conftest import FAST


@pytest.fixture
def org():
    """The default org, CDC on for Contact and Lead, serving its Pub/Sub API (keep-alives
    every 0.1 s, so a subscription is seen to be open at once)."""
    mock = mock_salesforce(pubsub=True, pubsub_keepalive=0.1)
    with mock as made:
        cdc(made).select(["Contact", "Lead"])
        made.pubsub_server = mock.pubsub
        yield made


@pytest.fixture
def config(org, tmp_path) -> Config:
    return Config(db=str(tmp_path / "syncer.db"), username=USERNAME, password=PASSWORD,
                  security_token=TOKEN, pubsub_endpoint=org.pubsub_server.target,
                  ca_bundle=str(org.pubsub_server.ca_path))


@pytest.fixture
def syncer(config):
    with Syncer(config, policy=FAST) as running:
        yield running


def wait_for(condition: Callable[[], object], timeout: float = 5.0) -> float:
    """Seconds until `condition()` held; fails the test after `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(0.02)
    return time.monotonic() - start


class Running:
    """A stream running in a thread, and what it said."""

    def __init__(self, syncer: Syncer):
        self.lines: list[str] = []
        self.stream = syncer.stream(say=self.lines.append)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.stream.run, args=(self.stop,), daemon=True)


@contextmanager
def streaming(syncer: Syncer, *, subscribed: bool = True) -> Iterator[Running]:
    """Run the syncer's stream until the block ends; with `subscribed`, wait for CDC to be
    open (its first keep-alive saved a replay id)."""
    running = Running(syncer)
    before = syncer.store.stream_state().get("heartbeat_at")
    running.thread.start()
    try:
        if subscribed:
            wait_for(lambda: syncer.store.stream_state().get("heartbeat_at") not in (None, before))
        yield running
    finally:
        running.stop.set()
        running.thread.join(10)
        assert not running.thread.is_alive(), running.lines


def unsubscribes(syncer: Syncer, source: str) -> int:
    """How many unsubscribe events `source` logged."""
    return sum(1 for e in syncer.store.list_events("unsubscribe") if e["source"] == source)


@contextmanager
def silently(org) -> Iterator[None]:
    """Changes in the block publish no change event (as a change made where CDC cannot see,
    which Salesforce reports with a gap event)."""
    selected = cdc(org).selected()
    cdc(org).select([])
    try:
        yield
    finally:
        cdc(org).select(selected)
