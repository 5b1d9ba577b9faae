"""The syncer's typed Python API; the CLI and the web app are thin layers over `Syncer`.

    >>> syncer = Syncer(load_config())
    >>> outcome = syncer.unsubscribe("ann@example.com", source="api", reason="asked by email")
    >>> outcome.reached_salesforce
    True

Errors: bad input raises a `StoreError` (or `ConfigError`) whose message names the fix.
A capture never fails because of Salesforce: it is stored first, and a push that cannot go out
now stays in the outbox (the outcome says why); `push()` sends it later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .config import Config
from .doctor import DoctorReport, run_doctor
from .nightly import RunReport, run_nightly
from .nightly.remote import ClientRemote
from .nightly.report import Progress
from .people import ImportReport, LinkReport, import_people_csv, link_people
from .push import Pusher, PushReport, push_field
from .retry import RetryPolicy
from .salesforce import SalesforceClient
from .store import InvalidValue, Person, Settings, Store
from .stream.doctor import stream_check
from .stream.listener import Stream, stream_status
from .write_test import write_test as run_write_test

PUSH_WAIT = 10.0  # seconds `push()` keeps retrying changes whose retry comes due
STATUS_EXAMPLES = 20


@dataclass(frozen=True)
class CaptureOutcome:
    """A captured change and how far it got.

    `state`: 'confirmed' (Salesforce has it), 'pending' (queued for a retry; see `error`),
    'waiting_for_id' (the person has no Salesforce ID yet) or 'failed' (see `fix`).
    """

    email: str
    salesforce_id: str | None
    opted_out: bool
    duplicate: bool
    state: str
    error: str | None = None
    fix: str | None = None
    push: PushReport | None = None

    @property
    def reached_salesforce(self) -> bool:
        return self.state == "confirmed"

    def to_json(self) -> dict:
        out = asdict(self)
        out["reached_salesforce"] = self.reached_salesforce
        out["push"] = self.push.to_json() if self.push else None
        return out


@dataclass(frozen=True)
class LinkOutcome:
    link: LinkReport
    push: PushReport | None

    def to_json(self) -> dict:
        return {"link": self.link.to_json(), "push": self.push.to_json() if self.push else None}


@dataclass
class Status:
    """The local picture (no Salesforce call): settings, people, the outbox, the last run."""

    config: dict
    settings: dict
    push_field: str
    people: int
    opted_out: int
    without_salesforce_id: int
    pending: int
    waiting_for_id: int
    failed_count: int
    failed: list[dict] = field(default_factory=list)
    retrying: list[dict] = field(default_factory=list)  # pending rows and why they wait
    oldest_unconfirmed_opt_out: str | None = None
    stale: bool = False
    stale_count: int = 0
    stale_opt_outs: list[dict] = field(default_factory=list)
    last_run: dict | None = None
    stream: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


class Syncer:
    """One store and one Salesforce client, opened on first use; share it between threads."""

    def __init__(self, config: Config, *, store: Store | None = None,
                 client: SalesforceClient | None = None, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.config = config
        self.policy = policy or RetryPolicy()
        self._store = store
        self._client = client
        self._sleep = sleep
        self._pusher: Pusher | None = None
        self._opening = threading.RLock()

    @property
    def store(self) -> Store:
        with self._opening:
            if self._store is None:
                self._store = Store(self.config.db)
            return self._store

    @property
    def client(self) -> SalesforceClient:
        with self._opening:
            if self._client is None:
                self._client = SalesforceClient(self.config)
            return self._client

    @property
    def pusher(self) -> Pusher:
        with self._opening:
            if self._pusher is None:
                self._pusher = Pusher(self.store, self.client, self.policy, sleep=self._sleep)
            return self._pusher

    def close(self) -> None:
        with self._opening:
            if self._store is not None:
                self._store.close()
                self._store = None
                self._pusher = None

    def __enter__(self) -> Syncer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- capture ----------------------------------------------------------------------------

    def unsubscribe(self, email: str | None = None, salesforce_id: str | None = None, *,
                    source: str = "manual", reason: str | None = None,
                    actor: str | None = None, occurred_at: datetime | str | None = None,
                    idempotency_key: str | None = None, push: bool = True) -> CaptureOutcome:
        """Record an unsubscribe and push it to Salesforce at once (unless push=False)."""
        return self._capture(True, email, salesforce_id, source=source, reason=reason,
                             actor=actor, occurred_at=occurred_at,
                             idempotency_key=idempotency_key, push=push)

    def resubscribe(self, email: str | None = None, salesforce_id: str | None = None, *,
                    reason: str, source: str = "manual", actor: str | None = None,
                    occurred_at: datetime | str | None = None,
                    idempotency_key: str | None = None, push: bool = True) -> CaptureOutcome:
        """Undo an opt-out on both sides: an explicit admin act that needs a reason."""
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidValue("a resubscribe needs a reason: say why the person may be"
                               " emailed again (e.g. 'asked to rejoin on 2026-11-28')")
        return self._capture(False, email, salesforce_id, source=source, reason=reason,
                             actor=actor, occurred_at=occurred_at,
                             idempotency_key=idempotency_key, push=push)

    def _capture(self, opted_out: bool, email: str | None, salesforce_id: str | None, *,
                 push: bool, **details: Any) -> CaptureOutcome:
        captured = self.store.capture(email, salesforce_id, opted_out=opted_out, **details)
        report = self.pusher.push_person(captured.person_id) if push else None
        person = self.store.get_person(captured.person_id)
        row = self.store.outbox_for_person(captured.person_id)
        if row is None:
            state, error, fix = "confirmed", None, None
        elif row.state == "failed":
            state, error, fix = "failed", row.last_error, row.fix
        elif person.salesforce_id is None:
            state, error = "waiting_for_id", "the person has no Salesforce ID yet"
            fix = "syncer people link, or import their ID: syncer people import FILE.csv"
        else:
            state = "pending"
            error = (report.error if report and report.error else row.last_error) or (
                "not pushed yet" if push is False else None)
            fix = _retry_fix(report.error_kind if report else None)
        return CaptureOutcome(person.email, person.salesforce_id, opted_out,
                              captured.duplicate, state, error, fix, report)

    # -- pushing and linking ------------------------------------------------------------------

    def push(self, *, wait: float = PUSH_WAIT, retry_failed: bool = False) -> PushReport:
        """Send every due change; with retry_failed, queue failed ones again first."""
        if retry_failed:
            for item in self.store.list_outbox("failed"):
                self.store.outbox_requeue(item.id, actor="syncer push --retry-failed")
        return self.pusher.drain(wait=wait)

    def link(self, *, push: bool = True) -> LinkOutcome:
        """Find unlinked people's Contacts/Leads by email, then push what they were waiting for."""
        report = link_people(self.store, self.client)
        pushed = self.pusher.drain(wait=0.0) if push and report.linked else None
        return LinkOutcome(report, pushed)

    # -- the nightly sync ---------------------------------------------------------------------

    def nightly(self, *, dry_run: bool = False, slot: datetime | None = None,
                trigger: str = "manual", progress: Progress | None = None) -> RunReport:
        """Run the nightly sync now, through this syncer's pusher and retry policy.

        With `slot`, skip it if a run already served it. Raises NightlyError (e.g. SyncBusy).
        """
        remote = ClientRemote(self.client, policy=self.policy, sleep=self._sleep)
        return run_nightly(self.store, remote, dry_run=dry_run, slot=slot, progress=progress,
                           trigger=trigger, pusher=self.pusher)

    # -- the change stream ------------------------------------------------------------------

    def stream(self, *, say: Callable[[str], None] = lambda line: None) -> Stream:
        """The change stream (CDC or polling, as the settings say); run it with `.run(stop)`."""
        return Stream(self.store, self.client, self.pusher, endpoint=self.config.pubsub_endpoint,
                      ca_path=self.config.ca_bundle, policy=self.policy, say=say)

    # -- the rest -----------------------------------------------------------------------------

    def doctor(self, *, write_test: bool = False) -> DoctorReport:
        """Check every requirement; `write_test` also writes synced values back unchanged."""
        report = run_doctor(self.store, self.client)
        if report.logged_in:  # the stream and the write test need a session
            report.checks.append(stream_check(self.store.get_settings(),
                                              self.store.stream_state(),
                                              lambda: self.stream().cdc.check()))
            if write_test:
                report.checks.extend(run_write_test(self.store, self.client))
        return report

    def import_people(self, path: str | Path) -> ImportReport:
        return import_people_csv(self.store, path)

    def settings(self, *, actor: str | None = None, **changes: Any) -> Settings:
        """The settings, after applying `changes` (validated; each change logged)."""
        if changes:
            return self.store.update_settings(actor=actor, **changes)
        return self.store.get_settings()

    def people(self, *, without_id: bool = False, limit: int | None = None) -> list[Person]:
        """People in id order (only those without a Salesforce ID, if asked)."""
        out = []
        for person in self.store.iter_people():
            if without_id and person.salesforce_id is not None:
                continue
            out.append(person)
            if limit is not None and len(out) >= limit:
                break
        return out

    def status(self) -> Status:
        store = self.store
        settings = store.get_settings()
        failed = store.list_outbox("failed")
        pending = store.list_outbox("pending")
        oldest = store.oldest_unconfirmed_opt_out()
        stale = store.stale_opt_outs()
        runs = store.list_runs(limit=1)
        return Status(
            config=self.config.summary(),
            settings=asdict(settings),
            push_field=push_field(settings),
            people=store.count_people(),
            opted_out=store.count_opted_out(),
            without_salesforce_id=store.count_without_sfid(),
            pending=sum(1 for item in pending if item.salesforce_id is not None),
            waiting_for_id=store.count_pending_without_sfid(),
            failed_count=len(failed),
            failed=[{"email": i.email, "salesforce_id": i.salesforce_id, "error": i.last_error,
                     "fix": i.fix} for i in failed[:STATUS_EXAMPLES]],
            retrying=[{"email": i.email, "salesforce_id": i.salesforce_id, "error": i.last_error}
                      for i in pending if i.last_error][:STATUS_EXAMPLES],
            oldest_unconfirmed_opt_out=oldest.isoformat(timespec="seconds") if oldest else None,
            stale=bool(stale),
            stale_count=len(stale),
            stale_opt_outs=[{"email": i.email, "salesforce_id": i.salesforce_id,
                             "waiting_since": _seconds(i.created_at), "state": i.state,
                             "error": i.last_error} for i in stale[:STATUS_EXAMPLES]],
            last_run=asdict(runs[0]) if runs else None,
            stream=stream_status(settings, store.stream_state()),
        )


def _retry_fix(error_kind: str | None) -> str:
    """What to do about a capture that is kept but did not reach Salesforce."""
    if error_kind in ("login", "session"):
        return ("Salesforce refused the syncer's credentials, so it waits in the outbox: fix"
                " them as the error says, then run `syncer push`")
    if error_kind == "config":
        return ("the syncer cannot log in to Salesforce as configured, so it waits in the"
                " outbox: fix the configuration as the error says, then run `syncer push`")
    if error_kind == "busy":
        return ("another syncer is pushing to Salesforce from this database, so it waits in the"
                " outbox: a running `syncer serve` sends it within seconds, or run `syncer push`")
    if error_kind == "permanent":
        return ("Salesforce refused it, so it waits in the outbox: fix what the error names,"
                " then run `syncer push`")
    return ("run `syncer push` once Salesforce answers again (a running `syncer serve`"
            " retries it every few seconds by itself)")


def _seconds(timestamp: str) -> str:
    """A stored timestamp as shown in the status: to the second, with its UTC offset."""
    return datetime.fromisoformat(timestamp).isoformat(timespec="seconds")
