"""Two pushers on one database (the service, the web app, a command) send each person's values
in the order they were captured: one Salesforce write at a time per database."""

from __future__ import annotations

import multiprocessing

import pytest

from sfmock.models.faults import install_faults
from syncer.push.lock import PushBusy, PushLock
from syncer.service import Syncer
from syncer.store import StoreError
from tests.syncer.conftest import FAST

FIELD = "HasOptedOutOfEmail"


def test_a_retried_stale_value_never_lands_after_a_newer_one(org, config, people):
    """A's call fails and waits to retry True; meanwhile the person resubscribes through B.
    B must wait for A, so Salesforce sees True and then False, never False and then True."""
    contact = people.link(people.contacts(1))[0]
    written: list[int] = []
    org.on_change(lambda sobject, record_id, action, *_: written.append(
        org.get(sobject, record_id)[FIELD]) if action == "update" else None)
    later = []

    def resubscribe_during_the_backoff(seconds: float) -> None:
        if not later:
            later.append(other.resubscribe(contact["Email"], reason="asked to rejoin"))

    with Syncer(config, policy=FAST) as other, \
            Syncer(config, policy=FAST, sleep=resubscribe_during_the_backoff) as first:
        first.unsubscribe(contact["Email"], push=False)
        install_faults(org, [{"fault": "503", "method": "PATCH", "times": 1}])
        report = first.push(wait=0)
        outcome = later[0]
        assert outcome.state == "pending" and outcome.push.error_kind == "busy"
        assert "another syncer" in outcome.fix
        assert report.ok and report.batches == 2  # the stale value, then the newer one
        assert written == [1, 0]
        assert org.get("Contact", contact["Id"])[FIELD] == 0
        assert first.store.list_outbox() == []
        assert first.store.get_person(contact["Email"]).opted_out is False


def _hold(path: str, ready, release) -> None:
    with PushLock(path).hold(timeout=5):
        ready.set()
        release.wait(10)


def test_the_lock_holds_across_processes_and_is_freed_when_its_holder_ends(tmp_path):
    path = str(tmp_path / "syncer.db")
    spawn = multiprocessing.get_context("spawn")
    ready, release = spawn.Event(), spawn.Event()
    holder = spawn.Process(target=_hold, args=(path, ready, release))
    holder.start()
    try:
        assert ready.wait(20)
        with pytest.raises(PushBusy), PushLock(path).hold(timeout=0.1):
            pass
    finally:
        release.set()
        holder.join(20)
    with PushLock(path).hold(timeout=5):
        pass


def test_a_private_database_has_a_lock_of_its_own():
    lock = PushLock(":memory:")
    with lock.hold(timeout=0.1):
        with pytest.raises(PushBusy), lock.hold(timeout=0.05):
            pass
    with lock.hold(timeout=0.1):
        pass


def test_a_lock_file_we_may_not_open_is_one_clear_error(tmp_path):
    (tmp_path / "syncer.db.push-lock").mkdir()  # not a file: opening it fails as a foreign one would
    with pytest.raises(StoreError, match="cannot use the push lock .*remove that file"), \
            PushLock(str(tmp_path / "syncer.db")).hold(timeout=0.1):
        pass
