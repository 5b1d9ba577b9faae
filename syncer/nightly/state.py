"""What the steps of one run share: the store, Salesforce, settings, budget, report, watermarks."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from json.encoder import encode_basestring_ascii as _str

from ..push import Pusher
from ..store import Settings, Store
from ..store.events import PersonEvent
from ..store.values import to_json
from .budget import Budget
from .reconcile import Decision
from .records import Record
from .remote import Remote
from .report import Change, Progress, RunReport


class RunState:
    """One run in progress. A dry run reads as a real one does and writes nothing."""

    def __init__(self, store: Store, remote: Remote, pusher: Pusher | None, *, dry_run: bool,
                 progress: Progress | None, trigger: str, source: str = "salesforce"):
        self.store = store
        self.remote = remote
        self._pusher = pusher
        self.dry = dry_run
        # People reconciled so far, in a dry run only: it writes no baselines, so this keeps
        # the local check from counting a person the pull has settled a second time (a real
        # run's baselines say so, and a million ids would cost ~60 MB).
        self.settled: set[int] = set()
        self.progress = progress
        self.trigger = trigger
        # Who the events of this run's Salesforce-side changes name: the nightly's are
        # 'salesforce' (decisions 'sync'); the stream's name their road (salesforce-cdc, -poll).
        self.source = source
        self.decision_source = "sync" if source == "salesforce" else source
        self.settings: Settings = store.get_settings()
        self.field = self.settings.field_api_name
        self.threshold = self.settings.bulk_threshold
        self.report = RunReport(status="running")
        self.previous = store.previous_state()
        self.watermarks: dict[str, str] = dict(self.previous.get("watermarks", {}))
        self.fanout: dict | None = None  # the fan-out cursor this run leaves for the next
        self.phase = "start"
        self.started: datetime | None = None
        self.budget: Budget | None = None
        self.bulk_pull = False
        self.queued = 0  # outbox rows queued since the last drain
        # What decide.settle does for each combination of a live record's value and a plain
        # person's, made once a run (decide._plan).
        self.plans: dict[tuple, tuple] = {}
        self._last_progress = 0.0
        # Inside a transaction, events, opt-outs and pushes wait here and are written together
        # (in order) when it ends, or before any other write that logs an event or queues one.
        self._events: list[PersonEvent] | None = None
        self._opt_outs: list[tuple[int, bool]] = []
        self._agreed: dict[int, bool] = {}  # baselines written with those opt-outs
        self._pushes: list[tuple[int, bool]] = []  # queued in the outbox at the same points

    @property
    def pusher(self) -> Pusher:
        """The pusher that drains the outbox; made on first use with the remote's retry policy."""
        if self._pusher is None:
            self._pusher = Pusher(self.store, self.remote.client, self.remote.policy)
        return self._pusher

    def tick(self, force: bool = False) -> None:
        """Report progress, at most once a second unless forced."""
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_progress >= 1.0:
            self._last_progress = now
            self.progress(self.report.pulled, self.report.pushed_remote)

    def change(self, side: str, action: str, person: Mapping | None, sfid: str | None,
               reason: str) -> None:
        """List a change in a dry run's report."""
        if self.dry:
            self.report.changes.append(
                Change(side, action, person["email"] if person else None, sfid, reason))

    @property
    def batch(self) -> tuple[list[PersonEvent], list[tuple[int, bool]],
                             list[tuple[int, bool]], dict[int, bool]] | None:
        """Inside a real run's transaction: the events, opt-outs, pushes and the baselines of
        people opted out (by id) waiting to be written at its end, for a caller that appends
        to them in order; else None."""
        if self._events is None:
            return None
        return self._events, self._opt_outs, self._pushes, self._agreed

    def decision_details(self, person: Mapping, decision: Decision,
                         target: Record | None) -> dict:
        """A decision event's details (decision_event logs them)."""
        return {
            "run_id": self.report.run_id, "kind": decision.kind, "field": self.field,
            "salesforce_id": target.id if target else person["salesforce_id"],
            "local": bool(person["opted_out"]),
            "salesforce": target.value if target else None,
            "baseline": person["baseline"] if person["baseline_field"] == self.field else None,
            "mode": "three-way" if self.settings.honour_salesforce_resubscribes else "sticky"}

    def decision_event(self, person: Mapping, decision: Decision, target: Record | None,
                       extra: dict | None = None) -> None:
        """Log why the run decided what it did for this person."""
        if self.dry:
            return
        details = {**self.decision_details(person, decision, target), **(extra or {})}
        if self._events is not None and extra is None:
            # Batched: encoded here, as to_json would, a few times faster (a first sync logs
            # hundreds of thousands).
            self._events.append((person["id"], person["email"], "sync_decision",
                                 self.decision_source, decision.reason,
                                 decision_json(details)))
            return
        self._event(person, "sync_decision", self.decision_source, decision.reason, details)

    def set_opted_out(self, person: Mapping, opted_out: bool, reason: str,
                      details: dict) -> None:
        """The store's set_opted_out for a person read in this transaction, batched."""
        if self._events is None:
            self.store.set_opted_out(person["id"], opted_out, source=self.source,
                                     reason=reason, details=details)
            return
        self._opt_outs.append((person["id"], opted_out))
        self._events.append((person["id"], person["email"],
                             "unsubscribe" if opted_out else "resubscribe", self.source, reason,
                             opt_out_json(self.opt_out_details(person, details))))

    @staticmethod
    def opt_out_details(person: Mapping, details: dict) -> dict:
        """An opt-out's event details (set_opted_out logs them): the previous value too."""
        return {"previous": bool(person["opted_out"]), **details}

    def queue_push(self, person: Mapping, value: bool) -> None:
        """The store's queue_push for a person read in this transaction, batched."""
        if self._events is None:
            self.store.queue_push(person["id"], value)
        else:
            self._pushes.append((person["id"], value))
        self.queued += 1

    def _event(self, person: Mapping, action: str, source: str, reason: str,
               details: dict) -> None:
        if self._events is None:
            self.store.record_event(action, source=source, person_id=person["id"],
                                    reason=reason, details=details)
        else:
            self._events.append((person["id"], person["email"], action, source, reason,
                                 details))

    def flush(self) -> None:
        """Write the events, opt-outs and pushes waiting in this transaction (before another
        write that logs an event or queues a push, so the log and the outbox keep their order)."""
        if self._opt_outs:
            self.store.set_opted_out_many(self._opt_outs, baselines=self._agreed,
                                          field=self.field)
            self._opt_outs, self._agreed = [], {}
        if self._events:
            self.store.record_person_events(self._events)
            self._events = []
        if self._pushes:
            self.store.queue_pushes(self._pushes)
            self._pushes = []

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A store transaction (nothing in a dry run) whose events and opt-outs are written
        together at its end."""
        if self.dry:
            yield
            return
        with self.store.transaction():
            self._events, self._opt_outs, self._pushes, self._agreed = [], [], [], {}
            try:
                yield
                self.flush()
            finally:
                self._events, self._opt_outs, self._pushes, self._agreed = None, [], [], {}

    def queue_record_push(self, record: Record, value: bool, email: str | None) -> None:
        """Queue `field` = `value` for a record no person here is linked to (the outbox)."""
        self.flush()
        self.store.queue_record_push(record.id, record.type, value, field=self.field,
                                     email=email)
        self.queued += 1


_FLAGS = {True: "true", False: "false", None: "null"}
_FLAG_TYPES = (bool, type(None))


def decision_json(details: dict) -> str:
    """A decision event's details (decision_event's eight keys) as to_json writes them (keys
    sorted, ', ' and ': ' between, strings ASCII-escaped), a few times faster; any other
    shape or type goes through to_json itself."""
    baseline, local, salesforce = details["baseline"], details["local"], details["salesforce"]
    field, kind, mode = details["field"], details["kind"], details["mode"]
    sfid, run_id = details["salesforce_id"], details["run_id"]
    if not (len(details) == 8 and type(baseline) in _FLAG_TYPES and type(local) in _FLAG_TYPES
            and type(salesforce) in _FLAG_TYPES and type(field) is str and type(kind) is str
            and type(mode) is str and type(sfid) is str
            and (run_id is None or type(run_id) is int)):
        return to_json(details)
    return (f'{{"baseline": {_FLAGS[baseline]}, "field": {_str(field)}, "kind": {_str(kind)},'
            f' "local": {_FLAGS[local]}, "mode": {_str(mode)},'
            f' "run_id": {"null" if run_id is None else run_id},'
            f' "salesforce": {_FLAGS[salesforce]}, "salesforce_id": {_str(sfid)}}}')


_OPT_OUT_KEYS = frozenset(("field", "previous", "run_id", "salesforce_id"))


def opt_out_json(details: dict) -> str:
    """An opt-out applied by a run: its event's details (set_opted_out's four keys) as to_json
    writes them, as decision_json does; any other shape or type goes through to_json."""
    field, previous = details.get("field"), details.get("previous")
    run_id, sfid = details.get("run_id"), details.get("salesforce_id")
    if not (details.keys() == _OPT_OUT_KEYS and type(field) is str and type(previous) is bool
            and type(sfid) is str and (run_id is None or type(run_id) is int)):
        return to_json(details)
    return (f'{{"field": {_str(field)}, "previous": {_FLAGS[previous]},'
            f' "run_id": {"null" if run_id is None else run_id},'
            f' "salesforce_id": {_str(sfid)}}}')
