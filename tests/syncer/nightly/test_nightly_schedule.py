"""The schedule: 20:00 Pacific across DST, a missed run caught up once, one run per slot."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from syncer.nightly import SyncBusy, run_nightly
from syncer.nightly.lock import sync_lock
from syncer.nightly.schedule import (
    PACIFIC,
    Service,
    fire_times,
    latest_slot,
    missed_slot,
    nightly_trigger,
)
from syncer.store import Store


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("after", "expected"), [
    # DST starts on Sunday 2026-03-08: 20:00 PST is 04:00 UTC, 20:00 PDT is 03:00 UTC.
    (utc(2026, 3, 7, 12), [utc(2026, 3, 8, 4), utc(2026, 3, 9, 3), utc(2026, 3, 10, 3)]),
    # DST ends on Sunday 2026-11-01.
    (utc(2026, 10, 31, 12), [utc(2026, 11, 1, 3), utc(2026, 11, 2, 4), utc(2026, 11, 3, 4)]),
])
def test_fire_times_are_20_00_pacific_across_dst(after, expected):
    times = fire_times(after, 3)
    assert times == expected
    assert all(t.astimezone(PACIFIC).hour == 20 and t.minute == 0 for t in times)


def test_the_trigger_is_a_cron_in_the_pacific_zone():
    trigger = nightly_trigger()
    assert str(trigger.timezone) == "America/Los_Angeles"
    on_dst_day = trigger.get_next_fire_time(None, utc(2026, 3, 8, 12))
    assert on_dst_day.utcoffset() == timedelta(hours=-7)
    assert on_dst_day.astimezone(UTC) == utc(2026, 3, 9, 3)


@pytest.mark.parametrize(("now", "slot"), [
    (utc(2026, 3, 9, 2, 59), utc(2026, 3, 8, 4)),  # before 20:00 PDT on the DST day
    (utc(2026, 3, 9, 3, 0), utc(2026, 3, 9, 3)),
    (utc(2026, 11, 2, 3, 30), utc(2026, 11, 1, 3)),  # 19:30 PST: yesterday's 20:00 PDT
    (utc(2026, 11, 2, 4, 0), utc(2026, 11, 2, 4)),
])
def test_latest_slot(now, slot):
    assert latest_slot(now) == slot


class QuietRemote:
    """A Salesforce org with nothing in it, slow enough for two runs to overlap."""

    def __init__(self, delay=0.0):
        self.calls = 0
        self.delay = delay

    def limits(self):
        self.calls += 1
        return 0, 100_000

    def usage(self):
        return None

    def query_pages(self, soqls):
        self.calls += 1
        time.sleep(self.delay)
        return [{"totalSize": 0, "done": True, "records": []} for _ in soqls]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "syncer.db"
    with Store(path) as store:
        store.update_settings(nightly_sync=True)
    return path


def test_missed_slot_only_when_on_and_not_served(db):
    now = utc(2026, 11, 28, 12)  # 04:00 Pacific: yesterday's 20:00 was missed
    with Store(db) as store:
        assert missed_slot(store, now) == utc(2026, 11, 28, 4)
        store.update_settings(nightly_sync=False)
        assert missed_slot(store, now) is None
        store.update_settings(nightly_sync=True)
        run_nightly(store, QuietRemote(), trigger="manual")
        assert missed_slot(store, now) is None  # the manual run served the slot


def test_a_failed_run_does_not_serve_its_slot(db):
    now = utc(2026, 11, 28, 12)
    with Store(db) as store:
        run_id = store.start_run("incremental")
        store.finish_run(run_id, "failed", errors=["Salesforce was unreachable"])
        assert missed_slot(store, now) == utc(2026, 11, 28, 4)


def test_a_missed_run_runs_once_on_start_up(db):
    clock = lambda: utc(2026, 11, 28, 12)  # noqa: E731
    served = []
    done = threading.Event()
    with Store(db) as store:
        def run_slot(slot, trigger):
            served.append(run_nightly(store, QuietRemote(), slot=slot, trigger=trigger))
            done.set()

        service = Service(store, run_slot, clock=clock)
        assert service.start() == utc(2026, 11, 28, 4)
        try:
            assert done.wait(10)
            assert service.next_run_time().astimezone(PACIFIC).hour == 20
        finally:
            service.stop()
        assert [r.status for r in served] == ["ok"]
        assert store.list_runs()[0].details["trigger"] == "catch-up"
        again = Service(store, run_slot, clock=clock)
        assert again.start() is None  # a second start-up finds the slot served
        again.stop()
        assert len(store.list_runs()) == 1


def test_two_services_on_one_database_make_one_run(db):
    slot = utc(2026, 11, 28, 4)
    clock = lambda: slot + timedelta(seconds=2)  # noqa: E731
    reports = []
    stores = [Store(db), Store(db)]
    try:
        services = [Service(s, lambda t, why, s=s: reports.append(
            run_nightly(s, QuietRemote(delay=0.2), slot=t, trigger=why)), clock=clock)
            for s in stores]
        threads = [threading.Thread(target=s.scheduled_run) for s in services]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        services[0].scheduled_run()  # a late third firing for the same slot
        assert len(stores[0].list_runs()) == 1
        assert sorted(r.status for r in reports if r is not None) == ["ok", "skipped"]
    finally:
        for store in stores:
            store.close()


def test_two_services_one_busy_raises_sync_busy_for_a_manual_run(db):
    with Store(db) as first, Store(db) as second, sync_lock(first):
        with pytest.raises(SyncBusy, match="another sync is running .*pid"):
            run_nightly(second, QuietRemote())


def test_the_pusher_loop_wakes_on_a_capture(db):
    pushes = []
    woke = threading.Event()
    with Store(db) as store:
        def push():
            pushes.append(time.monotonic())
            if len(pushes) == 2:
                woke.set()

        service = Service(store, lambda slot, trigger: None, push, push_interval=60)
        service.start(catch_up=False)
        try:
            time.sleep(0.1)
            service.wake()
            assert woke.wait(5)
        finally:
            service.stop()
        assert pushes[1] - pushes[0] < 5


def test_a_disabled_nightly_sync_is_not_run(db):
    with Store(db) as store:
        store.update_settings(nightly_sync=False)
        called = []
        service = Service(store, lambda slot, trigger: called.append(slot))
        assert service.run_for_slot(utc(2026, 11, 28, 4)) is None
        assert called == []
