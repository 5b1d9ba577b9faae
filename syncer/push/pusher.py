"""The pusher: sends queued opt-out changes from the outbox to Salesforce.

A captured unsubscribe goes out at once (`push_person`): one sObject Collections call carries
it, plus up to 199 other due changes so a backlog drains for free. `drain` sends everything
due, 200 records per call; Contacts and Leads share calls (each record names its type).

Which field is written (the decision, after domain.md §1.2):
- nightly sync on: only the chosen field (`Settings.field_api_name`: Email Opt Out
  `HasOptedOutOfEmail`, or the Marketo Sales Opt Out custom field);
- nightly sync off: only Email Opt Out, whatever field is chosen ("when unsubscribe sync is
  disabled, the push still sets Email Opt Out"). The chosen custom field is then left to the
  nightly sync once it is switched on.
A resubscribe clears the same field.

Faults:
- a call that fails transiently (5xx, timeout, dropped connection) is tried again at once, up
  to `RetryPolicy.call_attempts` times with exponential backoff and jitter; then its rows wait
  in the outbox (next attempt later, backing off per row) and the pass stops;
- a record that fails transiently (UNABLE_TO_LOCK_ROW...) waits in the outbox the same way;
- an expired session is renewed by the client (one new login per call);
- REQUEST_LIMIT_EXCEEDED pauses pushes: every due row waits `limit_pause`, and this Pusher
  makes no call before then (a capture meanwhile is stored and waits too);
- a converted Lead is followed to its ConvertedContactId, a merged-away record to its
  MasterRecordId (queryAll): the person is relinked (a logged 'relink' event) and pushed again;
- a record that failed for good (deleted, field missing, no edit access, validation rule)
  is marked failed with the reason and the fix; other people's pushes go on.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from simple_salesforce import format_soql

from ..config import ConfigError
from ..retry import RetryPolicy
from ..salesforce import (
    COLLECTION_LIMIT,
    TRANSIENT_CODES,
    LimitError,
    SalesforceClient,
    SalesforceError,
    TransientError,
)
from ..store import (
    EMAIL_OPT_OUT_FIELD,
    OutboxItem,
    SalesforceIdInUse,
    Settings,
    Store,
)

log = logging.getLogger(__name__)

GONE_CODES = frozenset({"ENTITY_IS_DELETED", "NOT_FOUND", "INVALID_CROSS_REFERENCE_KEY",
                        "INVALID_ID_FIELD"})
CONVERTED_CODE = "CANNOT_UPDATE_CONVERTED_LEAD"
RETRY_FAILED = "then run `syncer push --retry-failed`"


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
    `error` is a problem that stopped the push (e.g. Salesforce unreachable).
    """

    pushed: int = 0
    failed: list[PushFailure] = field(default_factory=list)
    pending: int = 0
    waiting_for_id: int = 0
    relinked: list[Relink] = field(default_factory=list)
    paused_until: str | None = None
    error: str | None = None
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
    """Pushes outbox rows through one client; one push at a time per Pusher (thread-safe)."""

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
        self._paused: tuple[datetime, str] | None = None  # REQUEST_LIMIT_EXCEEDED: until, why

    # -- the two ways in --------------------------------------------------------------------

    def push_person(self, person_id: int, *, wait: float | None = None) -> PushReport:
        """Push this person's pending change now (with other due rows riding along).

        Keeps retrying a transient failure for up to `wait` seconds (policy.capture_wait).
        """
        wait = self.policy.capture_wait if wait is None else wait
        return self._run(lambda: self._person_batch(person_id), wait,
                         lambda: self._person_next(person_id))

    def drain(self, *, wait: float = 0.0) -> PushReport:
        """Push every due row, 200 per call; wait up to `wait` seconds for retries coming due."""
        return self._run(lambda: self.store.due_outbox(limit=COLLECTION_LIMIT), wait,
                         self._next_due)

    # -- the loop ---------------------------------------------------------------------------

    def _run(self, batch_of: Callable[[], list[OutboxItem]], wait: float,
             next_due: Callable[[], datetime | None]) -> PushReport:
        report = PushReport()
        with self._lock:
            calls = self.client.calls
            deadline = time.monotonic() + wait
            try:
                while True:
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
            except _Stop:
                pass
            report.api_calls = self.client.calls - calls
            report.pending = _count(self.store, "o.state = 'pending'"
                                     " AND p.salesforce_id IS NOT NULL")
            report.waiting_for_id = self.store.count_pending_without_sfid()
        return report

    def _person_batch(self, person_id: int) -> list[OutboxItem]:
        mine = outbox_for_person(self.store, person_id)
        if (mine is None or mine.state != "pending" or mine.salesforce_id is None
                or mine.next_attempt_at > self.store.now()):
            return []
        others = [item for item in self.store.due_outbox(limit=COLLECTION_LIMIT)
                  if item.id != mine.id]
        return [mine, *others[:COLLECTION_LIMIT - 1]]

    def _person_next(self, person_id: int) -> datetime | None:
        mine = outbox_for_person(self.store, person_id)
        if mine is None or mine.state != "pending" or mine.salesforce_id is None:
            return None
        return datetime.fromisoformat(mine.next_attempt_at)

    def _next_due(self) -> datetime | None:
        with self.store.transaction():
            earliest = self.store.db.execute(
                "SELECT min(o.next_attempt_at) FROM outbox o JOIN people p ON p.id = o.person_id"
                " WHERE o.state = 'pending' AND p.salesforce_id IS NOT NULL").fetchone()[0]
        return datetime.fromisoformat(earliest) if earliest else None

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
            report.error = str(problem)
            self._later(batch, problem.what)
            raise _Stop from None
        except (SalesforceError, ConfigError) as problem:
            report.error = str(problem)
            raise _Stop from None
        report.batches += 1
        done: dict[str, list[tuple[int, bool]]] = {}
        retry, follow = [], []
        for item, name, result in zip(batch, fields, results, strict=True):
            code, message = _result_error(result)
            if code is None:
                done.setdefault(name, []).append((item.id, item.desired))
            elif code in TRANSIENT_CODES:
                retry.append((item, f"{code}: {message}"))
            elif code in GONE_CODES or code == CONVERTED_CODE:
                follow.append((item, code, message))
            else:
                self._fail(item, report, f"{code}: {message}",
                           _fix(code, message, name, item.salesforce_type))
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
            report.error = str(problem)
            self._later([item for item, _, _ in rows], f"following moved records: {problem}")
            raise _Stop from None
        for item, code, message in rows:
            move = moves[item.salesforce_id]
            if move.state == "moved":
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


@dataclass(frozen=True)
class Move:
    """Where a Contact/Lead ID points now. state: live, moved, deleted or missing."""

    state: str
    target: str | None
    why: str


def follow_records(client: SalesforceClient, ids: list[str]) -> dict[str, Move]:
    """One step of where each Contact/Lead ID went (queryAll, so deleted records are seen).

    A converted Lead moved to its ConvertedContactId, a merged-away record to its
    MasterRecordId; a longer chain is followed one push at a time.
    """
    found = _lookup(client, sorted(set(ids)))
    moves: dict[str, Move] = {}
    for sfid in ids:
        row = found.get(sfid)
        if row is None:
            moves[sfid] = Move("missing", None, "was not found, even in the Recycle Bin")
        elif row.get("IsConverted") and row.get("ConvertedContactId"):
            contact = row["ConvertedContactId"]
            moves[sfid] = Move("moved", contact, f"Lead {sfid} was converted to Contact {contact}")
        elif row.get("MasterRecordId"):
            master = row["MasterRecordId"]
            moves[sfid] = Move("moved", master, f"{sfid} was merged into {master}")
        elif row.get("IsDeleted"):
            moves[sfid] = Move("deleted", None, "was deleted (it is in the Recycle Bin)")
        else:
            moves[sfid] = Move("live", sfid, "is live")
    return moves


def _lookup(client: SalesforceClient, ids: list[str]) -> dict[str, dict]:
    """The rows (deleted ones too) of these Contact and Lead IDs, by ID."""
    rows: dict[str, dict] = {}
    for sobject, prefix, extra in (("Contact", "003", ""),
                                   ("Lead", "00Q", ", IsConverted, ConvertedContactId")):
        chosen = [sfid for sfid in ids if sfid.startswith(prefix)]
        for start in range(0, len(chosen), COLLECTION_LIMIT):
            soql = format_soql(f"SELECT Id, IsDeleted, MasterRecordId{extra} FROM {sobject}"
                               " WHERE Id IN {ids}", ids=chosen[start:start + COLLECTION_LIMIT])
            for row in client.query_all_iter(soql, include_deleted=True):
                rows[row["Id"]] = row
    return rows


# -- reading the outbox -----------------------------------------------------------------------

_SELECT = (
    "SELECT o.id, o.person_id, p.email, p.salesforce_id, p.salesforce_type, o.desired, o.field,"
    " o.state, o.attempts, o.next_attempt_at, o.last_error, o.fix, o.created_at, o.updated_at"
    " FROM outbox o JOIN people p ON p.id = o.person_id"
)


def outbox_for_person(store: Store, person_id: int) -> OutboxItem | None:
    """The person's outbox row (pending or failed), or None when nothing waits."""
    with store.transaction():
        rows = list(store.db.query(f"{_SELECT} WHERE o.person_id = ?", [person_id]))
    return OutboxItem.from_row(rows[0]) if rows else None


def _count(store: Store, where: str) -> int:
    with store.transaction():
        return store.db.execute(
            f"SELECT count(*) FROM outbox o JOIN people p ON p.id = o.person_id WHERE {where}"
        ).fetchone()[0]


# -- results and fixes ------------------------------------------------------------------------


def _result_error(result: dict) -> tuple[str | None, str]:
    """(statusCode, message) of a failed Collections result; (None, '') on success."""
    if result.get("success"):
        return None, ""
    errors = result.get("errors") or [{}]
    first = errors[0]
    return (first.get("statusCode") or first.get("errorCode") or "UNKNOWN_EXCEPTION",
            " ".join(str(first.get("message", "")).split()))


def _fix(code: str, message: str, field_name: str, sobject: str | None) -> str:
    """What the admin does about a record Salesforce refused for good."""
    where = f"{field_name} on {sobject}"
    if code == "INVALID_FIELD":
        if field_name == EMAIL_OPT_OUT_FIELD:
            return (f"grant the integration user read and edit access (field-level security)"
                    f" to Email Opt Out ({where}), {RETRY_FAILED}")
        return ("install the Marketo Sales Connect package or switch the field to Email Opt"
                " Out (`syncer settings --field email-opt-out`; or set the field's real API"
                f" name with --marketo-field-api-name), {RETRY_FAILED}")
    if code == "INVALID_FIELD_FOR_INSERT_UPDATE":
        return (f"grant the integration user edit access (field-level security) to {where},"
                f" {RETRY_FAILED}")
    if code == "FIELD_CUSTOM_VALIDATION_EXCEPTION":
        return (f"a validation rule on {sobject} refused the change: correct the record or the"
                f" rule in Salesforce, {RETRY_FAILED}")
    if code in ("INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY", "INSUFFICIENT_ACCESS"):
        return f"share the record with the integration user, {RETRY_FAILED}"
    return f"correct the record in Salesforce, {RETRY_FAILED}"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
