"""When the nightly sync runs: 20:00 America/Los_Angeles, once per slot even with two services.

A slot missed while the service was down runs once at start-up (docs/syncer.md, "The schedule").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from ..store import Store
from .errors import SyncBusy

PACIFIC = ZoneInfo("America/Los_Angeles")
NIGHTLY_AT = time(20, 0)
PUSH_INTERVAL_SECONDS = 5.0
# A scheduler that was busy or asleep at 20:00 still runs the slot if it wakes within this.
MISFIRE_GRACE_SECONDS = 6 * 3600

log = logging.getLogger(__name__)


def nightly_trigger() -> CronTrigger:
    """The nightly job's trigger: every day at 20:00 Pacific time."""
    return CronTrigger(hour=NIGHTLY_AT.hour, minute=NIGHTLY_AT.minute, timezone=PACIFIC)


def fire_times(after: datetime, count: int) -> list[datetime]:
    """The next `count` scheduled times after `after` (aware), as the trigger computes them."""
    trigger = nightly_trigger()
    times: list[datetime] = []
    moment = after
    while len(times) < count:
        moment = trigger.get_next_fire_time(None, moment + timedelta(seconds=1))
        times.append(moment)
    return times


def latest_slot(now: datetime) -> datetime:
    """The most recent scheduled time at or before `now` (aware), in UTC."""
    local = now.astimezone(PACIFIC)
    slot = datetime.combine(local.date(), NIGHTLY_AT, tzinfo=PACIFIC)
    if slot > local:
        slot = datetime.combine(local.date() - timedelta(days=1), NIGHTLY_AT, tzinfo=PACIFIC)
    return slot.astimezone(UTC)


def missed_slot(store: Store, now: datetime) -> datetime | None:
    """The scheduled time that no run has served, if the nightly sync is on and one was missed.

    Only the most recent slot counts, so a service down for a week catches up once; a run
    that failed does not serve its slot, so the next start-up tries again.
    """
    if not store.get_settings().nightly_sync:
        return None
    slot = latest_slot(now)
    return None if store.served_since(slot) else slot


class Service:
    """The long-lived part of `syncer serve`: the nightly scheduler and the pusher loop.

    `run_slot(slot, trigger)` runs the nightly sync for a scheduled time (`Syncer.nightly` with
    slot=..., trigger 'schedule' or 'catch-up'); `push()` drains due outbox rows once. Both are
    injected, so this module needs no Salesforce.
    """

    def __init__(
        self,
        store: Store,
        run_slot: Callable[[datetime, str], object],
        push: Callable[[], object] | None = None,
        *,
        push_interval: float = PUSH_INTERVAL_SECONDS,
        clock: Callable[[], datetime] | None = None,
    ):
        self.store = store
        self._run_slot = run_slot
        self._push = push
        self.push_interval = push_interval
        self.clock = clock or (lambda: datetime.now(UTC))
        self.scheduler = BackgroundScheduler(timezone=PACIFIC)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._syncing = threading.Lock()
        self._pusher: threading.Thread | None = None

    def start(self, *, catch_up: bool = True) -> datetime | None:
        """Start the scheduler and the pusher; return the missed slot being caught up, if any."""
        self.scheduler.add_job(
            self.scheduled_run, nightly_trigger(), id="nightly", name="nightly sync",
            coalesce=True, max_instances=1, misfire_grace_time=MISFIRE_GRACE_SECONDS,
            replace_existing=True,
        )
        missed = missed_slot(self.store, self.clock()) if catch_up else None
        if missed is not None:
            self.scheduler.add_job(self.run_for_slot, "date", args=[missed, "catch-up"],
                                   id="catch-up",
                                   name="missed nightly sync", replace_existing=True,
                                   misfire_grace_time=None)
        self.scheduler.start()
        if self._push is not None:
            self._pusher = threading.Thread(target=self._push_loop, name="pusher", daemon=True)
            self._pusher.start()
        return missed

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self._pusher is not None:
            self._pusher.join(timeout=30)

    def problems(self) -> list[str]:
        """What has stopped that should be running (empty while the service is healthy)."""
        found = []
        if not self._stop.is_set():
            if not self.scheduler.running:
                found.append("the nightly scheduler is not running")
            if self._pusher is not None and not self._pusher.is_alive():
                found.append("the pusher thread has stopped")
        return found

    def next_run_time(self) -> datetime | None:
        job = self.scheduler.get_job("nightly")
        return job.next_run_time if job else None

    def stopping(self) -> bool:
        """True once stop() was called: long passes end after the call in flight."""
        return self._stop.is_set()

    def wake(self) -> None:
        """Push due outbox rows now (called after a capture in this process)."""
        self._wake.set()

    def scheduled_run(self) -> None:
        """The cron job: serve the slot that just came due."""
        self.run_for_slot(latest_slot(self.clock()))

    def run_for_slot(self, slot: datetime, trigger: str = "schedule") -> object:
        """Run the nightly sync for `slot`; the pusher loop pauses meanwhile."""
        if not self.store.get_settings().nightly_sync:
            log.info("nightly sync is off in settings: skipping the %s run", slot.isoformat())
            return None
        with self._syncing:
            try:
                return self._run_slot(slot, trigger)
            except SyncBusy as busy:
                log.info("the %s run is left to the other service: %s", slot.isoformat(), busy)
                return None
            except Exception:  # the service keeps running; the run records its own failure
                log.exception("the nightly sync for %s failed", slot.isoformat())
                return None

    def _push_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # a wake-up during the push below makes the next one at once
            if self._syncing.acquire(blocking=False):  # the nightly run drains the outbox itself
                try:
                    self._push()
                except Exception:  # a failed drain is retried on the next tick
                    log.exception("the real-time push failed; retrying")
                finally:
                    self._syncing.release()
            self._wake.wait(self.push_interval)
