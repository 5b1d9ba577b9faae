"""Salesforce-side opt-outs reach the syncer in seconds: `syncer listen` over CDC (the Pub/Sub
API) or polling, through both front doors; a SIGKILL mid-stream loses nothing and applies
nothing twice."""

from __future__ import annotations

import importlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock

import pytest

from sfmock import mock_salesforce
from sfmock.testing import ServeProcess
from syncer.store import Store

from .conftest import Door, InProcessDoor, ServerDoor

KEEPALIVE = "0.5"
POLL_MINUTES = 0.02  # 1.2 s


@pytest.fixture(params=["inprocess", pytest.param("tls_server", marks=pytest.mark.slow)])
def door(request, tmp_path) -> Iterator[Door]:
    """A front door whose org serves the Pub/Sub API, CDC on for Contact and Lead, and whose
    syncer store holds the fixture people, linked."""
    if request.param == "inprocess":
        mock = mock_salesforce(pubsub=True, pubsub_keepalive=float(KEEPALIVE))
        with mock as org:
            opened: Door = InProcessDoor(tmp_path, org)
            opened.env.update(SF_PUBSUB_ENDPOINT=mock.pubsub.target,
                              SF_CA_BUNDLE=str(mock.pubsub.ca_path))
            yield _ready(opened)
        return
    with ServeProcess(tmp_path / "sfmock", "--pubsub-port", "0", "--pubsub-keepalive",
                      KEEPALIVE) as server:
        found = re.search(r"Pub/Sub API \(gRPC\) at (\S+)", server.out.read_text())
        opened = ServerDoor(tmp_path, server)
        opened.env["SF_PUBSUB_ENDPOINT"] = found.group(1)
        yield _ready(opened)


def _ready(door: Door) -> Door:
    door.admin_api("PUT", "cdc", {"selectedEntities": ["Contact", "Lead"]})
    Door.import_and_link(door)  # not ServerDoor's copy: this server's org is its own
    return door


class SkippableClock:
    """`time` as `syncer listen` sees it in-process: real time plus what the test skipped,
    so its `--exit-after` deadline can be reached at once instead of waited out."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.skipped

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)


class Listener:
    """`syncer listen` running beside the test: a process (server door) or a thread
    running the CLI in-process (in-process door, which stops itself after `exit_after`:
    `stop()` skips its clock to that deadline)."""

    def __init__(self, door: Door, exit_after: float = 6.0):
        self.door = door
        self.code: int | None = None
        self.exit_after = exit_after
        if isinstance(door, ServerDoor):
            env = {k: v for k, v in os.environ.items() if not k.startswith(("SF_", "SYNCER_"))}
            self.process = subprocess.Popen(
                [*door.command, "listen"], env={**env, **door.env}, cwd=door.workdir,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                stdin=subprocess.DEVNULL)
        else:
            self.process = None
            self.clock = SkippableClock()
            self.thread = threading.Thread(target=self._in_process)
            self.thread.start()

    def _in_process(self) -> None:
        command = importlib.import_module("syncer.cli.listen")
        with mock.patch.object(command, "time", self.clock):
            self.code = self.door.syncer("listen", "--exit-after", str(self.exit_after)).exit_code

    def stop(self) -> int:
        """SIGTERM (or the end of --exit-after) and the exit code."""
        if self.process is None:
            self.clock.skipped = self.exit_after
            self.thread.join(30)
            return self.code
        self.process.send_signal(signal.SIGTERM)
        self.process.communicate(timeout=30)
        return self.process.returncode

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


def store(door: Door) -> Store:
    return Store(door.env["SYNCER_DB"])


def wait_for(condition: Callable[[], object], timeout: float = 20.0) -> float:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, f"not within {timeout} s"
        time.sleep(0.02)
    return time.monotonic() - start


def linked_contacts(door: Door, count: int) -> list[tuple[str, str]]:
    """(email, Contact Id) of `count` linked people subscribed on both sides."""
    subscribed = {r["Id"] for r in door.admin_sf.query_all(
        "SELECT Id FROM Contact WHERE HasOptedOutOfEmail = false")["records"]}
    with store(door) as db:
        found = [(p.email, p.salesforce_id) for p in db.iter_people()
                 if p.salesforce_id in subscribed and not p.opted_out]
    assert len(found) >= count
    return found[:count]


def opted_out(door: Door, email: str) -> bool:
    with store(door) as db:
        return db.get_person(email).opted_out


def unsubscribes(door: Door, source: str) -> list[str]:
    with store(door) as db:
        return [e["email"] for e in db.list_events("unsubscribe") if e["source"] == source]


@contextmanager
def listening(door: Door, *, cdc: bool = True) -> Iterator[Listener]:
    """`syncer listen`, once it is streaming (a keep-alive saved) or has polled once."""
    with store(door) as db:
        before = db.stream_state().get("heartbeat_at")
    listener = Listener(door)

    def alive() -> bool:
        with store(door) as db:
            state = db.stream_state()
        return state.get("heartbeat_at") not in (None, before) and state.get("mode") == (
            "cdc" if cdc else "polling")

    wait_for(alive)
    yield listener


def test_cdc_applies_an_opt_out_ticked_in_salesforce_within_two_seconds(door):
    assert door.syncer("settings", "--cdc", "on").exit_code == 0
    [(email, contact)] = linked_contacts(door, 1)
    with listening(door) as listener:
        door.admin_sf.Contact.update(contact, {"HasOptedOutOfEmail": True})
        took = wait_for(lambda: opted_out(door, email))
        assert listener.stop() == 0
    assert took < 2.0
    assert unsubscribes(door, "salesforce-cdc") == [email]


def test_polling_applies_an_opt_out_within_one_interval(door):
    assert door.syncer("settings", "--poll-minutes", str(POLL_MINUTES)).exit_code == 0
    [(email, contact)] = linked_contacts(door, 1)
    with listening(door, cdc=False) as listener:
        door.admin_sf.Contact.update(contact, {"HasOptedOutOfEmail": True})
        took = wait_for(lambda: opted_out(door, email))
        assert listener.stop() == 0
    assert took < POLL_MINUTES * 60 + 1.0  # one interval, and the apply
    # The first poll also read the fixture org's own opt-outs (made within its overlap).
    assert unsubscribes(door, "salesforce-poll").count(email) == 1


@pytest.mark.slow
def test_a_sigkill_mid_stream_and_a_restart_lose_nothing_and_apply_nothing_twice(tmp_path):
    with ServeProcess(tmp_path / "sfmock", "--pubsub-port", "0", "--pubsub-keepalive",
                      KEEPALIVE) as server:
        door = ServerDoor(tmp_path, server)
        door.env["SF_PUBSUB_ENDPOINT"] = re.search(
            r"Pub/Sub API \(gRPC\) at (\S+)", server.out.read_text()).group(1)
        _ready(door)
        assert door.syncer("settings", "--cdc", "on").exit_code == 0
        contacts = linked_contacts(door, 12)
        with listening(door) as listener:
            ticking = threading.Thread(target=lambda: [
                (door.admin_sf.Contact.update(c, {"HasOptedOutOfEmail": True}), time.sleep(0.1))
                for _, c in contacts])
            ticking.start()
            wait_for(lambda: len(unsubscribes(door, "salesforce-cdc")) >= 4)
            listener.kill()  # mid-stream: some ticks applied, some not yet
            applied_before = len(unsubscribes(door, "salesforce-cdc"))
            ticking.join()
        assert applied_before < len(contacts)
        with listening(door) as restarted:
            wait_for(lambda: all(opted_out(door, email) for email, _ in contacts))
            time.sleep(1.0)  # a redelivered batch would be applied by now
            assert restarted.stop() == 0
        applied = unsubscribes(door, "salesforce-cdc")
    assert sorted(applied) == sorted(email for email, _ in contacts)  # each exactly once
