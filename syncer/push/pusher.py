"""The pusher: sends the outbox's due rows to Salesforce, 200 per sObject Collections call.

Which field it writes, and how it meets each fault, are in docs/syncer.md ("The pusher").
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from ..config import ConfigError
from ..retry import RetryPolicy
from ..salesforce import (
    COLLECTION_LIMIT,
    TRANSIENT_CODES,
    LimitError,
    SalesforceClient,
    SalesforceError,
    TransientError,
    result_error,
)
from ..store import (
    EMAIL_OPT_OUT_FIELD,
    OutboxItem,
    SalesforceIdInUse,
    Settings,
    Store,
)
from .fixes import CONVERTED_CODE, GONE_CODES, RETRY_FAILED, fix_for
from .follow import follow_records
from .lock import PushBusy, PushLock

BUSY = ("another syncer (the service, the web app or a command) is pushing to Salesforce"
        " from this database right now")


def push_field(settings: Settings) -> str:
    """The Salesforce field a push writes under these settings (see the module doc)."""
    return settings.field_api_name if settings.nightly_sync else EMAIL_OPT_OUT_FIELD


@dataclass(frozen=True)
class PushFailure:
    email: str
    salesforce_id: str | None
    error: str
    fix: str


@dataclass(frozen=True)
class Relink:
    email: str
    old: str
    new: str
    why: str


@dataclass
class PushReport:
    """What one push did.

    `pending` rows (with a Salesforce ID) still wait afterwards, e.g. for a retry;
    `error` is a problem that stopped the push (e.g. Salesforce unreachable), `error_kind`
    its kind: 'transient', 'limit', 'login', 'session', 'permanent', 'config' or 'busy'
    (another pusher on the database held the push lock for longer than this one could wait).
    """

    pushed: int = 0
    failed: list[PushFailure] = field(default_factory=list)
    pending: int = 0
    waiting_for_id: int = 0
    relinked: list[Relink] = field(default_factory=list)
    paused_until: str | None = None
    error: str | None = None
    error_kind: str | None = None
    api_calls: int = 0
    batches: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and self.error is None

    def to_json(self) -> dict:
        return {**asdict(self), "ok": self.ok}


class _Stop(Exception):  # noqa: N818  (control flow: the pass ends here)
    pass


class Pusher:
    """Pushes outbox rows through one client; one call at a time per database (lock.py)."""

    def __init__(self, store: Store, client: SalesforceClient,
                 policy: RetryPolicy | None = None, *,
                 sleep: Callable[[float], None] = time.sleep,
                 rand: Callable[[], float] = random.random):
        self.store = store
        self.client = client
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.rand = rand
        self._lock = threading.Lock()
        self.push_lock = PushLock(store.path)
        self._paused: tuple[datetime, str] | None = None  # REQUEST_LIMIT_EXCEEDED: until, why

    # -- the two ways in --------------------------------------------------------------------

    def push_person(self, person_id: int, *, wait: float | None = None) -> PushReport:
        """Push this person's pending change now (with other due rows riding along).

        Keeps retrying a transient failure for up to `wait` seconds (policy.capture_wait).
        """
        wait = self.policy.capture_wait if wait is None else wait
        return self._run(lambda: self._person_batch(person_id), wait,
                         lambda: self._person_next(person_id))

    def drain(self, *, wait: float = 0.0,
              stop: Callable[[], bool] | None = None) -> PushReport:
        """Push every due row, 200 per call; wait up to `wait` seconds for retries coming due.

        `stop()` is asked before each call: when it says True (the service is stopping), the
        pass ends after the call in flight, its results recorded.
        """
        def stopped() -> bool:
            return stop is not None and stop()

        return self._run(
            lambda: [] if stopped() else self.store.due_outbox(limit=COLLECTION_LIMIT), wait,
            lambda: None if stopped() else self.store.next_due())

    # -- the loop ---------------------------------------------------------------------------

    def _run(self, batch_of: Callable[[], list[OutboxItem]], wait: float,
             next_due: Callable[[], datetime | None]) -> PushReport:
        report = PushReport()
        with self._lock:
            calls = self.client.calls
            deadline = time.monotonic() + wait
            try:
                while True:
                    # Reading the batch and recording its answer under the push lock keeps
                    # every person's values in order across pushers.
                    with self.push_lock.hold(max(deadline - time.monotonic(),
                                                 self.policy.capture_wait)):
                        batch = batch_of()
                        if batch:
                            self._send(batch, report)
                            continue
                    due = next_due()
                    if due is None:
                        break
                    delay = (due - self._now()).total_seconds()
                    if time.monotonic() + delay > deadline:
                        break
                    self.sleep(max(delay, 0.0))
            except PushBusy:
                report.error, report.error_kind = BUSY, "busy"
            except _Stop:
                pass
            report.api_calls = self.client.calls - calls
            report.pending = self.store.count_pending()
            report.waiting_for_id = self.store.count_pending_without_sfid()
        return report

    def _person_batch(self, person_id: int) -> list[OutboxItem]:
        mine = self.store.outbox_for_person(person_id)
        if (mine is None or mine.state != "pending" or mine.salesforce_id is None
                or mine.next_attempt_at > self.store.now()):
            return []
        others = [item for item in self.store.due_outbox(limit=COLLECTION_LIMIT)
                  if item.id != mine.id]
        return [mine, *others[:COLLECTION_LIMIT - 1]]

    def _person_next(self, person_id: int) -> datetime | None:
        mine = self.store.outbox_for_person(person_id)
        if mine is None or mine.state != "pending" or mine.salesforce_id is None:
            return None
        return datetime.fromisoformat(mine.next_attempt_at)

    def _now(self) -> datetime:
        return self.store.clock()

    # -- one call ---------------------------------------------------------------------------

    def _send(self, batch: list[OutboxItem], report: PushReport) -> None:
        """One Collections call for the batch, then settle each row by its result."""
        if self._paused is not None and self._now() < self._paused[0]:
            self._pause(report, self._paused[1], self._paused[0])
        default_field = push_field(self.store.get_settings())
        batch = sorted(batch, key=lambda item: item.salesforce_type or "")
        fields = [item.field or default_field for item in batch]
        records = [{"attributes": {"type": item.salesforce_type}, "id": item.salesforce_id,
                    name: item.desired} for item, name in zip(batch, fields, strict=True)]
        try:
            results = self._call(records)
        except LimitError as problem:
            self._pause(report, str(problem))
        except TransientError as problem:
            report.error, report.error_kind = str(problem), problem.kind
            self._later(batch, problem.what)
            raise _Stop from None
        except (SalesforceError, ConfigError) as problem:
            report.error, report.error_kind = str(problem), _kind(problem)
            self.store.outbox_note([item.id for item in batch], report.error)
            raise _Stop from None
        report.batches += 1
        done: dict[str, list[tuple[int, bool]]] = {}
        retry, follow = [], []
        for item, name, result in zip(batch, fields, results, strict=True):
            code, message = result_error(result)
            if code is None:
                done.setdefault(name, []).append((item.id, item.desired))
            elif code in TRANSIENT_CODES:
                retry.append((item, f"{code}: {message}"))
            elif code in GONE_CODES or code == CONVERTED_CODE:
                follow.append((item, code, message))
            else:
                self._fail(item, report, f"{code}: {message}",
                           fix_for(code, message, name, item.salesforce_type))
        for name, sent in done.items():
            self.store.outbox_done(sent, field=name, details={"via": "collections"})
            report.pushed += len(sent)
        for item, error in retry:
            self._retry(item, error)
        if follow:
            self._follow(follow, report)

    def _call(self, records: list[dict]) -> list[dict]:
        """The Collections update, tried again on transient faults (backoff with jitter)."""
        return self.policy.call(self.client.collections_update, records, sleep=self.sleep)

    # -- settling rows ----------------------------------------------------------------------

    def _retry(self, item: OutboxItem, error: str) -> None:
        at = self._now() + timedelta(seconds=self.policy.row_delay(item.attempts, self.rand))
        self.store.outbox_retry(item.id, error, at)

    def _later(self, batch: Iterable[OutboxItem], error: str) -> None:
        with self.store.transaction():
            for item in batch:
                self._retry(item, error)

    def _pause(self, report: PushReport, error: str, until: datetime | None = None) -> None:
        """Every due row waits out the limit pause; no call is made until it ends."""
        until = until or self._now() + timedelta(seconds=self.policy.limit_pause)
        self._paused = (until, error)
        with self.store.transaction():
            for item in self.store.due_outbox(limit=-1):
                self.store.outbox_retry(item.id, error, until)
        report.paused_until = _iso(until)
        report.error = f"{error} (pushes resume after {report.paused_until})"
        report.error_kind = "limit"
        raise _Stop

    def _fail(self, item: OutboxItem, report: PushReport, error: str, fix: str) -> None:
        self.store.outbox_fail(item.id, error, fix)
        report.failed.append(PushFailure(item.email, item.salesforce_id, error, fix))

    # -- converted and merged records -------------------------------------------------------

    def _follow(self, rows: list[tuple[OutboxItem, str, str]], report: PushReport) -> None:
        """Relink people whose record was converted or merged away; fail the rest."""
        try:
            moves = follow_records(self.client, [item.salesforce_id for item, _, _ in rows])
        except LimitError as problem:
            self._pause(report, str(problem))
        except (SalesforceError, ConfigError) as problem:
            report.error, report.error_kind = str(problem), _kind(problem)
            self._later([item for item, _, _ in rows], f"following moved records: {problem}")
            raise _Stop from None
        for item, code, message in rows:
            move = moves[item.salesforce_id]
            if item.person_id is None and move.state != "live":
                # No person to relink: the next nightly run reaches the record it became.
                self._fail(item, report, f"{code}: {item.salesforce_type} {item.salesforce_id}"
                           f" {move.why}", f"restore the record from the Recycle Bin, {RETRY_FAILED};"
                           " or leave it: the next nightly run pushes to the record it became")
            elif move.state == "moved":
                self._relink(item, move.target, move.why, report)
            elif move.state in ("deleted", "missing"):
                self.store.mark_sf_state(item.person_id, move.state)
                self._fail(item, report, f"{code}: {item.salesforce_type} {item.salesforce_id}"
                           f" {move.why}", "restore the record from the Recycle Bin, or link the"
                           f" person to their current Salesforce record (import its ID),"
                           f" {RETRY_FAILED}")
            else:
                self._fail(item, report, f"{code}: {message}",
                           "check that the integration user can see and edit this record"
                           f" (sharing rules), {RETRY_FAILED}")

    def _relink(self, item: OutboxItem, target: str, why: str, report: PushReport) -> None:
        try:
            self.store.set_salesforce_id(item.person_id, target, source="salesforce",
                                         reason=why)
        except SalesforceIdInUse:
            self._fail(item, report, f"{why}, and {target} is already linked to another person",
                       f"Salesforce now keeps {item.email} and another person in one record:"
                       " link one of them to another record (import its Salesforce ID),"
                       f" {RETRY_FAILED}")
            return
        report.relinked.append(Relink(item.email, item.salesforce_id or "", target, why))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _kind(problem: SalesforceError | ConfigError) -> str:
    return problem.kind if isinstance(problem, SalesforceError) else "config"
