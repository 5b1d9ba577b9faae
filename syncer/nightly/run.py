"""One nightly sync run: drain the outbox, pull what changed, reconcile, push, record the run.

A run, in order:
1. takes the store's sync lock (one run at a time, across processes sharing the database);
2. reads the API allocation (one /limits call) and keeps a reserve it never spends;
3. drains the outbox, so a resubscribe waiting there reaches Salesforce before the sides are
   compared; a person whose push is still waiting afterwards is left alone this run;
4. pulls Contacts and Leads changed since each type's watermark (queryAll, so deletions and
   merges are seen; SystemModstamp order, so a stop keeps its progress), or everything on the
   first run; above `bulk_threshold` rows the pull is a Bulk API 2.0 query read page by page;
5. reconciles each person met (reconcile.decide), following converted Leads and merged
   records (reconcile.follow); local changes are written at once, Salesforce changes are
   queued in the outbox (durable) and pushed in Collections batches of 200, or as a Bulk API
   2.0 ingest job above `bulk_threshold`;
6. reconciles the people whose local value differs from their baseline and who were not met
   in the pull, fetching their records by Id in batches;
7. with `fan_out_by_email`, opts out every Contact and Lead sharing the email of a person
   opted out since the last run;
8. records the run: counts each way, conflicts, errors, API calls, watermarks.

Watermarks (one per type, in the run's details) only move to what was fully processed and to
no later than the run's start minus a 5-minute overlap, so a write landing mid-run is pulled
again next time. When the API reserve is reached the run stops, records 'partial' with where it
stopped, and the next run resumes from there: pushes wait in the outbox, local candidates are
found again from the store, and pulls restart at the recorded watermark.
"""

from __future__ import annotations

import csv
import io
import math
import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ..push import Pusher
from ..salesforce import LimitError, SalesforceError
from ..store import OutboxItem, SalesforceIdInUse, Settings, Store
from . import db, reconcile
from .db import NightlyError, sync_lock
from .reconcile import Decision, Followed
from .remote import Remote

OVERLAP = timedelta(minutes=5)
TYPES = ("Contact", "Lead")
COLLECTION_SIZE = 200
RETRIEVE_SIZE = 2000  # Ids per Collections retrieve (POST), as Salesforce allows
ID_QUERY_SIZE = 300  # Ids per `Id IN (...)` query: keeps the GET URL well under 16 KB
EMAIL_QUERY_CHARS = 6000  # characters of quoted emails per `Email IN (...)` query
FOLLOW_HOPS = 5


# -- errors --------------------------------------------------------------------------------------


class ReserveReached(NightlyError):
    pass


# -- records as pulled ---------------------------------------------------------------------------


@dataclass(slots=True)
class Record:
    """The fields of a Contact or Lead a run reads, from REST JSON or Bulk CSV."""

    id: str
    type: str
    email: str | None
    value: bool
    deleted: bool
    master: str | None
    converted_to: str | None
    stamp: str | None

    @classmethod
    def parse(cls, raw: Mapping, sobject: str, field_name: str) -> Record:
        return cls(
            id=raw["Id"],
            type=sobject,
            email=(raw.get("Email") or "").strip().lower() or None,
            value=_checkbox(raw.get(field_name)),
            deleted=_checkbox(raw.get("IsDeleted")),
            master=raw.get("MasterRecordId") or None,
            converted_to=(raw.get("ConvertedContactId") or None)
            if _checkbox(raw.get("IsConverted")) else None,
            stamp=raw.get("SystemModstamp") or None,
        )

    def as_lookup(self) -> dict:
        return {"IsDeleted": self.deleted, "MasterRecordId": self.master,
                "IsConverted": self.converted_to is not None,
                "ConvertedContactId": self.converted_to}


def _checkbox(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _field_names(sobject: str, field_name: str) -> list[str]:
    names = ["Id", "Email", field_name, "IsDeleted", "MasterRecordId", "SystemModstamp"]
    if sobject == "Lead":
        names += ["IsConverted", "ConvertedContactId"]
    return list(dict.fromkeys(names))


def _fields(sobject: str, field_name: str) -> str:
    return ", ".join(_field_names(sobject, field_name))


def soql_datetime(moment: datetime) -> str:
    """A SOQL datetime literal in UTC, e.g. 2026-11-28T20:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(text: str) -> datetime:
    """A Salesforce datetime (2026-11-28T20:00:00.000+0000 or ...Z) as an aware datetime."""
    value = text.strip().replace("Z", "+00:00")
    if len(value) > 5 and value[-5] in "+-" and value[-3] != ":":
        value = value[:-2] + ":" + value[-2:]
    return datetime.fromisoformat(value)


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# -- what a run reports --------------------------------------------------------------------------


@dataclass
class Change:
    """One change a run made (or, in a dry run, would make) on one side."""

    side: str  # 'salesforce' or 'local'
    action: str  # 'opt out', 'resubscribe', 'relink', 'mark deleted', ...
    email: str | None
    salesforce_id: str | None
    reason: str

    def line(self) -> str:
        where = "Salesforce" if self.side == "salesforce" else "here"
        who = ", ".join(x for x in (self.email, self.salesforce_id) if x)
        return f"{where}: {self.action} {who}: {self.reason}"


@dataclass
class RunReport:
    status: str  # ok, partial, failed, skipped, dry-run
    mode: str = "incremental"
    run_id: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float = 0.0
    pulled: int = 0
    pushed_local: int = 0
    pushed_remote: int = 0
    conflicts: int = 0
    deleted: int = 0
    relinked: int = 0
    waiting: int = 0
    bulk: list[str] = field(default_factory=list)
    api_calls: int = 0
    errors: list[str] = field(default_factory=list)
    stopped: dict | None = None
    watermarks: dict = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    message: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def to_json(self) -> dict:
        data = asdict(self)
        data["changes"] = [asdict(c) for c in self.changes]
        return data

    def summary(self) -> str:
        """A few lines for a terminal."""
        if self.status == "skipped":
            return f"nightly sync skipped: {self.message}"
        head = {"dry-run": "dry run (nothing changed)"}.get(self.status, self.status)
        lines = [
            f"nightly sync {head}: {self.mode}, {self.seconds:.1f}s, {self.api_calls} API calls",
            f"  pulled {self.pulled} records; pushed {self.pushed_remote} to Salesforce;"
            f" applied {self.pushed_local} here; {self.conflicts} conflicts",
        ]
        extra = [f"{n} {what}" for n, what in ((self.deleted, "deleted in Salesforce"),
                                               (self.relinked, "relinked"),
                                               (self.waiting, "left for the pusher")) if n]
        if self.bulk:
            extra.append("Bulk API 2.0 for " + ", ".join(self.bulk))
        if extra:
            lines.append("  " + "; ".join(extra))
        if self.stopped:
            lines.append(f"  stopped at {self.stopped['phase']}: {self.stopped['reason']}")
        lines += [f"  error: {e}" for e in self.errors[:20]]
        if len(self.errors) > 20:
            lines.append(f"  ... and {len(self.errors) - 20} more errors")
        return "\n".join(lines)


class Progress(Protocol):
    def __call__(self, pulled: int, pushed: int) -> None: ...


# -- the stale-opt-out alert --------------------------------------------------------------------


def stale_opt_outs(store: Store, now: datetime | None = None) -> list[OutboxItem]:
    """Opt-outs that have waited longer than `stale_hours` for Salesforce to confirm them.

    For `syncer doctor` (fails when any) and `syncer status` (lists them), oldest first.
    """
    moment = (now or store.clock()).astimezone(UTC)
    limit = moment - timedelta(hours=store.get_settings().stale_hours)
    return [item for item in store.list_outbox()
            if item.desired and datetime.fromisoformat(item.created_at) < limit]


# -- the run -------------------------------------------------------------------------------------


class _Budget:
    """The daily API allocation: never spend into the reserve."""

    def __init__(self, remote: Remote, percent: float):
        self.remote = remote
        used, self.maximum = remote.limits()
        self.reserve = math.ceil(self.maximum * percent / 100)
        self.percent = percent
        self.base_used, self.base_calls = used, remote.calls

    def used(self) -> int:
        mine = self.base_used + (self.remote.calls - self.base_calls)
        seen = self.remote.usage()
        return max(mine, seen[0]) if seen else mine

    def need(self, calls: int, phase: str) -> None:
        left = self.maximum - self.used()
        if left - calls < self.reserve:
            raise ReserveReached(
                f"API reserve reached at {phase}: {left} of {self.maximum} daily calls left,"
                f" {self.reserve} ({self.percent:g}%) kept in reserve; the next run resumes here"
            )


class _Run:
    def __init__(self, store: Store, remote: Remote, *, dry_run: bool,
                 progress: Progress | None, trigger: str, pusher: Pusher | None):
        self.store = store
        self.remote = remote
        self.dry = dry_run
        self.progress = progress
        self.trigger = trigger
        self.settings: Settings = store.get_settings()
        self.field = self.settings.field_api_name
        self.threshold = self.settings.bulk_threshold
        self.report = RunReport(status="running")
        self.previous = db.previous_state(store)
        self.watermarks: dict[str, str] = dict(self.previous.get("watermarks", {}))
        self.direct: list[tuple[Record, bool, dict | None]] = []  # pushes outside the outbox
        self.fanout: dict | None = None
        self.direct_retry: list[list] = list(self.previous.get("retry", []))
        self.phase = "start"
        self.pusher: Pusher | None = pusher
        self.bulk_pull = False
        self._queued = 0
        self._last_progress = 0.0

    # -- bookkeeping ------------------------------------------------------------------------

    def _tick(self, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_progress >= 1.0:
            self._last_progress = now
            self.progress(self.report.pulled, self.report.pushed_remote)

    def _change(self, side: str, action: str, person: Mapping | None, sfid: str | None,
                reason: str) -> None:
        if self.dry:
            self.report.changes.append(
                Change(side, action, person["email"] if person else None, sfid, reason))

    def _decision_event(self, person: Mapping, decision: Decision, target: Record | None,
                        extra: dict | None = None) -> None:
        if self.dry:
            return
        self.store.record_event(
            "sync_decision", source="sync", person_id=person["id"], reason=decision.reason,
            details={"run_id": self.report.run_id, "kind": decision.kind, "field": self.field,
                     "salesforce_id": target.id if target else person["salesforce_id"],
                     "local": bool(person["opted_out"]),
                     "salesforce": target.value if target else None,
                     "baseline": person["baseline"] if person["baseline_field"] == self.field
                     else None,
                     "mode": "three-way" if self.settings.honour_salesforce_resubscribes
                     else "sticky", **(extra or {})},
        )

    # -- the whole run ----------------------------------------------------------------------

    def execute(self) -> RunReport:
        report = self.report
        clock_start = time.monotonic()
        self.started = self.store.clock().astimezone(UTC)
        report.started_at = self.started.isoformat()
        cursor = self.previous.get("fanout")
        full = (not all(t in self.watermarks for t in TYPES)
                or (self.settings.fan_out_by_email and (cursor or {}).get("field") != self.field)
                or db.count_local_candidates(self.store, self.field) > self.threshold)
        report.mode = "full" if full else "incremental"
        if not self.dry:
            report.run_id = self.store.start_run(report.mode)
        status = "ok"
        self._calls_at_start = self.remote.calls
        if full and self.settings.fan_out_by_email:
            # The full pull checks every record against the opt-outs as of now; later ones
            # are fanned out by the next run.
            self.fanout = {"field": self.field, "event_id": db.max_event_id(self.store)}
        if self.dry:
            self._preview_outbox()
        try:
            self.budget = _Budget(self.remote, self.settings.api_reserve_percent)
            self._retry_direct()
            if not self.dry:
                self.phase = "draining the outbox"
                self._drain()
            self.phase = "pulling changes"
            soqls = [self._pull_soql(t, None if full else parse_stamp(self.watermarks[t]))
                     for t in TYPES]
            self.budget.need(1, self.phase)
            firsts = self.remote.query_pages(soqls)  # both first pages in one call
            for sobject, soql, page in zip(TYPES, soqls, firsts, strict=True):
                self.phase = f"pulling {sobject}s"
                self._pull(sobject, soql, page)
            self.phase = "checking people changed here"
            self._local_phase()
            if self.settings.fan_out_by_email and not full:
                self.phase = "opting out records that share an email"
                upto = db.max_event_id(self.store)  # includes opt-outs this run applied
                self._fanout_phase(cursor["event_id"], upto)
                self._flush_direct()
                self.fanout = {"field": self.field, "event_id": upto}
            self.phase = "pushing"
            self._flush_direct()
            if not self.dry:
                self._drain()
        except (ReserveReached, LimitError) as stop:
            status = "partial"
            report.stopped = {"phase": self.phase, "reason": str(stop)}
        except (NightlyError, SalesforceError) as problem:
            status = "failed"
            report.errors.append(f"{self.phase}: {problem}")
        except Exception as problem:  # anything else is recorded with the run, not raised
            status = "failed"
            report.errors.append(_describe(problem, self.phase))
        report.status = "dry-run" if self.dry else status
        report.api_calls = self.remote.calls - self._calls_at_start
        report.watermarks = dict(self.watermarks)
        report.seconds = time.monotonic() - clock_start
        report.finished_at = self.store.clock().astimezone(UTC).isoformat()
        self._tick(force=True)
        if not self.dry:
            self._record(status)
        return report

    def _record(self, status: str) -> None:
        report = self.report
        details: dict[str, Any] = {
            "watermarks": self.watermarks, "trigger": self.trigger, "field": self.field,
            "deleted": report.deleted, "relinked": report.relinked, "waiting": report.waiting,
            "bulk": report.bulk, "seconds": round(report.seconds, 3),
            # direct pushes that failed or were not sent yet: the next run sends them first
            "retry": self.direct_retry + [[r.type, r.id, v] for r, v, _ in self.direct],
        }
        fanout = self.fanout or self.previous.get("fanout")
        if fanout:
            details["fanout"] = fanout
        if report.stopped:
            details["stopped"] = report.stopped
        marks = [parse_stamp(v) for v in self.watermarks.values()]
        self.store.finish_run(
            report.run_id, status, pulled=report.pulled, pushed_local=report.pushed_local,
            pushed_remote=report.pushed_remote, conflicts=report.conflicts,
            errors=report.errors, api_calls=report.api_calls,
            watermark=soql_datetime(min(marks)) if len(marks) == len(TYPES) else None,
            details=details,
        )

    # -- pulling ----------------------------------------------------------------------------

    def _pull_soql(self, sobject: str, since: datetime | None) -> str:
        where = f" WHERE SystemModstamp >= {soql_datetime(since)}" if since else ""
        return (f"SELECT {_fields(sobject, self.field)} FROM {sobject}{where}"
                " ORDER BY SystemModstamp, Id")

    def _pull(self, sobject: str, soql: str, page: dict) -> None:
        """Reconcile every record of the query (queryAll) whose first page is `page`."""
        if page.get("totalSize", 0) > self.threshold:
            self.bulk_pull = True
            try:
                self._pull_bulk(sobject, soql)
            finally:
                self.bulk_pull = False
        else:
            while True:
                records = [Record.parse(r, sobject, self.field) for r in page["records"]]
                self._page(sobject, records)
                if page.get("done", True):
                    break
                self.budget.need(1, self.phase)
                page = self.remote.query_more(page["nextRecordsUrl"])
        self._flush_direct()
        if not self.dry:
            self._drain()
            self.watermarks[sobject] = soql_datetime(self.started - OVERLAP)

    def _pull_bulk(self, sobject: str, soql: str) -> None:
        """The same query as a Bulk API 2.0 job, read one result page (CSV) at a time."""
        self.report.bulk.append(f"{sobject} query")
        pages = self.remote.bulk_query(sobject, soql, include_deleted=True)
        self.budget.need(4, self.phase)  # create, poll, first page, and a spare
        while True:
            text = next(pages, None)
            if text is None:
                return
            batch: list[Record] = []
            for row in csv.DictReader(io.StringIO(text)):
                batch.append(Record.parse(row, sobject, self.field))
                if len(batch) == 2000:
                    self._page(sobject, batch)
                    batch = []
            if batch:
                self._page(sobject, batch)
            self.budget.need(1, self.phase)

    def _page(self, sobject: str, records: list[Record]) -> None:
        """Reconcile the people these records belong to, in one transaction."""
        if not records:
            return
        self.report.pulled += len(records)
        ids = [r.id for r in records]
        linked = db.people_by_sfid(self.store, ids)
        known: dict[str, Record | None] = {r.id: r for r in records}
        moved = [known[r.id] for r in records
                 if r.id in linked and (r.deleted or r.converted_to)]
        followed = self._follow([r.id for r in moved], known) if moved else {}
        baselines: list[tuple[int, bool]] = []
        pushing: set[str] = set()
        with self._transaction():
            # Read the people again under the write lock: a capture made while this page was
            # being followed must be seen (it is waiting in the outbox), never overwritten.
            linked = db.people_by_sfid(self.store, ids)
            owners: dict[str, dict] = {}
            if self.settings.fan_out_by_email:
                emails = sorted({r.email for r in records if r.email})
                owners = db.opted_out_by_email(self.store, emails) if emails else {}
            for record in records:
                person = linked.get(record.id)
                if person is not None:
                    how = followed.get(record.id, Followed("live", record.id, (record.id,)))
                    target = known.get(how.target) if how.target else None
                    self._settle(person, how, target, baselines, pushing)
            for record in records:
                owner = owners.get(record.email) if record.email else None
                if owner is not None:
                    self._fan_out(owner, record, pushing)
            if baselines and not self.dry:
                self.store.set_baselines(baselines, field=self.field)
        self._tick()
        if not self.dry and self._queued >= COLLECTION_SIZE and not self.bulk_pull:
            self._drain()
        if len(self.direct) >= COLLECTION_SIZE:
            self._flush_direct()
        if records[-1].stamp and not self.direct and not self.dry:
            # Records come in SystemModstamp order and every decision so far is durable
            # (written here or queued in the outbox): a stop resumes after this page.
            mark = min(parse_stamp(records[-1].stamp), self.started) - OVERLAP
            previous = self.watermarks.get(sobject)
            if previous is None or parse_stamp(previous) < mark:
                self.watermarks[sobject] = soql_datetime(mark)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self.dry:
            yield
        else:
            with self.store.transaction():
                yield

    # -- following conversions and merges ----------------------------------------------------

    def _follow(self, ids: list[str], known: dict[str, Record | None]) -> dict[str, Followed]:
        """Where each Id leads, fetching (queryAll by Id) the records not known yet."""
        for _ in range(FOLLOW_HOPS + 1):
            wanted = sorted({u for i in ids if (u := _next_unknown(i, known)) is not None})
            if not wanted:
                break
            fetched = self._fetch(wanted)
            for sfid in wanted:
                known[sfid] = fetched.get(sfid)

        def lookup(sfid: str) -> dict | None:
            record = known.get(sfid)
            return record.as_lookup() if record is not None else None

        return {i: reconcile.follow(i, lookup, max_hops=FOLLOW_HOPS) for i in ids}

    def _fetch(self, ids: list[str]) -> dict[str, Record]:
        """Records by Id: Collections retrieve (2,000 a call) for live ones, then queryAll by
        Id for the rest, so deleted and merged records are seen too."""
        found: dict[str, Record] = {}
        for sobject, prefix in (("Contact", "003"), ("Lead", "00Q")):
            wanted = [i for i in ids if i.startswith(prefix)]
            names = _field_names(sobject, self.field)
            for start in range(0, len(wanted), RETRIEVE_SIZE):
                chunk = wanted[start:start + RETRIEVE_SIZE]
                self.budget.need(1, self.phase)
                for raw in self.remote.retrieve(sobject, chunk, names):
                    if raw is not None:
                        record = Record.parse(raw, sobject, self.field)
                        found[record.id] = record
            gone = [i for i in wanted if i not in found]
            for start in range(0, len(gone), ID_QUERY_SIZE):
                chunk = gone[start:start + ID_QUERY_SIZE]
                soql = (f"SELECT {_fields(sobject, self.field)} FROM {sobject} WHERE Id IN"
                        f" ({', '.join(_quote(i) for i in chunk)})")
                for record in self._query_all(soql, sobject):
                    found[record.id] = record
        return found

    def _query_all(self, soql: str, sobject: str) -> Iterator[Record]:
        self.budget.need(1, self.phase)
        page = self.remote.query_page(soql, include_deleted=True)
        while True:
            for raw in page["records"]:
                yield Record.parse(raw, sobject, self.field)
            if page.get("done", True):
                return
            self.budget.need(1, self.phase)
            page = self.remote.query_more(page["nextRecordsUrl"])

    # -- one person -------------------------------------------------------------------------

    def _settle(self, person: dict, how: Followed, target: Record | None,
                baselines: list[tuple[int, bool]], pushing: set[str]) -> None:
        """Reconcile one person against where their Salesforce ID leads."""
        if person["waiting"]:
            self.report.waiting += 1
            return
        person = dict(person)
        direct = False
        if target is None:
            self._gone(person, "missing" if how.fate == "missing" else "deleted")
            return
        if how.fate in ("converted", "merged"):
            direct = not self._relink(person, how, target)
        elif person["sf_state"] is not None and not self.dry:
            self.store.mark_sf_state(person["id"], None)
        baseline = None if how.fate != "live" else reconcile.baseline_for(
            person["baseline"], person["baseline_field"], self.field)
        decision = reconcile.decide(
            person["opted_out"], target.value, baseline,
            honour_resubscribes=self.settings.honour_salesforce_resubscribes, field=self.field)
        self._carry_out(person, target, decision, baselines, pushing, direct=direct)

    def _gone(self, person: dict, state: str) -> None:
        if person["sf_state"] == state:
            return
        self.report.deleted += 1
        decision = reconcile.decide(bool(person["opted_out"]), None, None)
        self._change("local", f"mark {state}", person, person["salesforce_id"], decision.reason)
        if not self.dry:
            self.store.mark_sf_state(person["id"], state)
            self._decision_event(person, decision, None, {"sf_state": state})

    def _relink(self, person: dict, how: Followed, target: Record) -> bool:
        """Link the person to the record their old one became; False if another person has it."""
        old = person["salesforce_id"]
        if how.fate == "converted":
            why = f"Lead {old} was converted into Contact {target.id}: following it"
        else:
            why = f"{old} was merged into {target.id}: following the surviving record"
        self._change("local", "relink", person, target.id, why)
        if self.dry:
            return True
        try:
            self.store.set_salesforce_id(person["id"], target.id, source="salesforce", reason=why)
        except SalesforceIdInUse:
            self.store.mark_sf_state(person["id"], how.fate)
            return False
        self.report.relinked += 1
        person.update(salesforce_id=target.id, salesforce_type=target.type, baseline=None,
                      baseline_field=None, sf_state=None)
        return True

    def _carry_out(self, person: dict, target: Record, decision: Decision,
                   baselines: list[tuple[int, bool]], pushing: set[str], *, direct: bool) -> None:
        if decision.logged:
            self._decision_event(person, decision, target)
        if decision.conflict:
            self.report.conflicts += 1
        if decision.local is not None:
            self.report.pushed_local += 1
            action = "opt out" if decision.local else "resubscribe"
            self._change("local", action, person, target.id, decision.reason)
            if not self.dry:
                self.store.apply_salesforce_value(
                    person["id"], decision.local, previous=person["opted_out"],
                    reason=decision.reason, details={"run_id": self.report.run_id,
                                                     "salesforce_id": target.id,
                                                     "field": self.field})
        if decision.remote is not None:
            pushing.add(target.id)
            action = f"set {self.field} to {str(decision.remote).lower()} on {target.type}"
            self._change("salesforce", action, person, target.id, decision.reason)
            if self.dry:
                self.report.pushed_remote += 1
            elif direct:
                self.direct.append((target, decision.remote, person))
            else:
                self.store.queue_push(person["id"], decision.remote)
                self._queued += 1
        elif decision.baseline is not None and not (
                person["baseline"] == decision.baseline
                and person["baseline_field"] == self.field):
            baselines.append((person["id"], decision.baseline))

    def _fan_out(self, owner: dict, record: Record, pushing: set[str]) -> None:
        """Opt out a record sharing an opted-out person's email (fan_out_by_email)."""
        if record.deleted or record.converted_to or record.value or record.id in pushing:
            return
        if record.id == owner["salesforce_id"]:
            return  # the person's own record: reconciled with them
        pushing.add(record.id)
        reason = (f"{record.type} {record.id} shares the email {owner['email']}, which is opted"
                  f" out here: setting {self.field} (fan_out_by_email)")
        self._change("salesforce", f"set {self.field} to true on {record.type}", owner,
                     record.id, reason)
        if self.dry:
            self.report.pushed_remote += 1
            return
        self._decision_event(owner, Decision("push", reason, remote=True), record,
                             {"fan_out": True})
        self.direct.append((record, True, None))

    # -- people changed here -----------------------------------------------------------------

    def _local_phase(self) -> None:
        after = 0
        while True:
            people = db.local_candidates(self.store, self.field, after, 2000)
            if not people:
                return
            after = people[-1]["id"]
            known: dict[str, Record | None] = {}
            followed = self._follow([p["salesforce_id"] for p in people], known)
            baselines: list[tuple[int, bool]] = []
            pushing: set[str] = set()
            with self._transaction():
                # Fresh under the write lock, as in _page: a capture made meanwhile wins.
                fresh = db.people_by_sfid(self.store, [p["salesforce_id"] for p in people])
                for person in people:
                    current = fresh.get(person["salesforce_id"])
                    if current is None or current["id"] != person["id"]:
                        continue  # relinked meanwhile: the next run looks again
                    how = followed[person["salesforce_id"]]
                    target = known.get(how.target) if how.target else None
                    self._settle(current, how, target, baselines, pushing)
                if baselines and not self.dry:
                    self.store.set_baselines(baselines, field=self.field)
            if not self.dry and self._queued >= COLLECTION_SIZE:
                self._drain()
            if len(self.direct) >= COLLECTION_SIZE:
                self._flush_direct()

    # -- fan-out by email --------------------------------------------------------------------

    def _fanout_phase(self, after_event: int, upto_event: int) -> None:
        """Opt out the records sharing the email of people opted out since the last run."""
        after = 0
        while True:
            people = db.opted_out_since(self.store, after_event, upto_event, after, 200)
            if not people:
                return
            after = people[-1]["id"]
            by_email = {p["email"]: p for p in people}
            for chunk in _email_chunks(sorted(by_email)):
                for sobject in TYPES:
                    soql = (f"SELECT {_fields(sobject, self.field)} FROM {sobject} WHERE"
                            f" Email IN ({', '.join(_quote(e) for e in chunk)})"
                            f" AND {self.field} = false")
                    records = list(self._query_all(soql, sobject))
                    self.report.pulled += len(records)
                    pushing: set[str] = set()
                    with self._transaction():
                        for record in records:
                            owner = by_email.get(record.email or "")
                            if owner is not None:
                                self._fan_out(owner, record, pushing)
                    if len(self.direct) >= COLLECTION_SIZE:
                        self._flush_direct()

    # -- pushing ----------------------------------------------------------------------------

    def _drain(self) -> None:
        """Push every due outbox row: as a Bulk API 2.0 job above the threshold, then through
        the pusher (Collections batches of 200, retries, following moved records)."""
        self._queued = 0
        now = self.store.now()
        due = db.due_outbox_count(self.store, now)
        if due > self.threshold:
            self._drain_bulk(now)
            due = db.due_outbox_count(self.store, self.store.now())
        if not due:
            return
        self.budget.need(math.ceil(due / COLLECTION_SIZE) + 1, self.phase)
        pushed = self._pusher().drain()
        self.report.pushed_remote += pushed.pushed
        self.report.relinked += len(pushed.relinked)
        self.report.errors += [f"push to {f.salesforce_id} ({f.email}): {f.error}; fix: {f.fix}"
                               for f in pushed.failed]
        if pushed.paused_until:
            raise ReserveReached(pushed.error or "the org's daily API allocation is spent")
        if pushed.error:
            self.report.errors.append(f"pushing: {pushed.error}")
        self._tick()

    def _pusher(self) -> Pusher:
        if self.pusher is None:
            self.pusher = Pusher(self.store, self.remote.client)
        return self.pusher

    def _confirm(self, done: list[tuple[int, bool]]) -> None:
        self.report.pushed_remote += len(done)
        if done:
            self.store.outbox_done(done, field=self.field,
                                   details={"run_id": self.report.run_id, "via": "bulk"})

    def _drain_bulk(self, now: str) -> None:
        """One Bulk API 2.0 update job per type, streamed from the outbox through CSV files."""
        for sobject in TYPES:
            with tempfile.TemporaryDirectory(prefix="syncer-bulk-") as folder:
                upload = os.path.join(folder, "upload.csv")
                rows_path = os.path.join(folder, "rows.csv")
                count = 0
                with open(upload, "w", newline="") as up, open(rows_path, "w", newline="") as ro:
                    up_csv, ro_csv = csv.writer(up, lineterminator="\n"), csv.writer(ro)
                    up_csv.writerow(["Id", self.field])
                    after = 0
                    while rows := db.due_outbox_after(self.store, now, after, 5000):
                        after = rows[-1]["id"]
                        for r in rows:
                            if r["salesforce_type"] == sobject:
                                up_csv.writerow([r["salesforce_id"], str(bool(r["desired"])).lower()])
                                ro_csv.writerow([r["id"], r["salesforce_id"], r["desired"]])
                                count += 1
                if not count:
                    continue
                self.report.bulk.append(f"{sobject} update of {count}")
                self.budget.need(6, self.phase)
                failed = _failures(self.remote.bulk_update(sobject, upload, folder))
                with open(rows_path, newline="") as ro:
                    done: list[tuple[int, bool]] = []
                    for oid, sfid, desired in csv.reader(ro):
                        if sfid in failed:  # sent again through the pusher, which sorts it out
                            self.store.outbox_retry(int(oid), failed[sfid], self.store.now())
                        else:
                            done.append((int(oid), desired == "1"))
                        if len(done) >= 5000:
                            self._confirm(done)
                            done = []
                    self._confirm(done)
                self._tick()

    def _flush_direct(self) -> None:
        """Push the changes that have no outbox row (fan-out, records another person owns)."""
        if self.dry:
            self.direct.clear()
            return
        while self.direct:
            batch = sorted(self.direct[:COLLECTION_SIZE], key=lambda d: d[0].type)
            self.budget.need(1, self.phase)
            results = self.remote.update([
                {"attributes": {"type": r.type}, "id": r.id, self.field: value}
                for r, value, _ in batch])
            del self.direct[:COLLECTION_SIZE]
            for (record, value, _), result in zip(batch, results, strict=True):
                if result.get("success"):
                    self.report.pushed_remote += 1
                else:
                    error = _result_error(result)
                    self.report.errors.append(f"push to {record.id}: {error}")
                    self.direct_retry.append([record.type, record.id, value])
            self._tick()

    def _retry_direct(self) -> None:
        """Push again the direct changes a previous run could not make."""
        retry, self.direct_retry = self.direct_retry, []
        for sobject, sfid, value in retry:
            self.direct.append((Record(sfid, sobject, None, not value, False, None, None, None),
                                value, None))
        self.phase = "retrying earlier pushes"
        self._flush_direct()

    def _preview_outbox(self) -> None:
        """A dry run lists the pushes waiting in the outbox, which a run sends first."""
        for item in self.store.list_outbox("pending"):
            if item.salesforce_id is not None:
                self.report.changes.append(Change(
                    "salesforce", f"set {self.field} to {str(item.desired).lower()} on"
                    f" {item.salesforce_type}", item.email, item.salesforce_id,
                    "waiting in the outbox: pushed before the sides are compared"))


def _next_unknown(record_id: str, known: dict[str, Record | None]) -> str | None:
    """The first Id along the chain from `record_id` that has not been fetched yet."""
    current = record_id
    for _ in range(FOLLOW_HOPS + 1):
        if current not in known:
            return current
        record = known[current]
        if record is None:
            return None
        if record.deleted and record.master:
            current = record.master
        elif record.converted_to:
            current = record.converted_to
        else:
            return None
    return None


def _email_chunks(emails: list[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    size = 0
    for email in emails:
        if chunk and size + len(email) + 4 > EMAIL_QUERY_CHARS:
            yield chunk
            chunk, size = [], 0
        chunk.append(email)
        size += len(email) + 4
    if chunk:
        yield chunk


def _result_error(result: Mapping) -> str:
    errors = result.get("errors") or [{}]
    first = errors[0]
    return f"{first.get('statusCode', 'UNKNOWN_ERROR')}: {first.get('message', 'no message')}"


def _failures(paths: list[str]) -> dict[str, str]:
    """Failed rows of Bulk ingest jobs: Id -> Salesforce's `CODE:message:fields --` text."""
    failed: dict[str, str] = {}
    for path in paths:
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                sfid = row.get("sf__Id") or row.get("Id") or ""
                failed[sfid] = (row.get("sf__Error") or "UNKNOWN_ERROR").strip()
    return failed


def _describe(problem: Exception, phase: str) -> str:
    text = " ".join(str(problem).split())
    return f"{phase}: {type(problem).__name__}: {text[:300]}"


# -- entry point ---------------------------------------------------------------------------------


def _close_abandoned_runs(store: Store) -> None:
    """Runs still 'running' while we hold the lock died with their process: record that."""
    for run in store.list_runs(limit=20):
        if run.status == "running":
            store.finish_run(run.id, "failed", errors=[
                "the run ended without finishing (its process stopped); the next run resumed"])


def run_nightly(
    store: Store,
    remote: Remote,
    *,
    dry_run: bool = False,
    slot: datetime | None = None,
    progress: Progress | None = None,
    trigger: str = "manual",
    pusher: Pusher | None = None,
) -> RunReport:
    """Run one sync now and return its report; the run is recorded unless dry_run.

    With `slot` (a scheduled time), the run is skipped when another run already started at or
    after it. Raises SyncBusy when another run holds the lock.
    """
    if not dry_run and not store.get_settings().nightly_sync:
        raise NightlyError("the nightly sync is off in settings: turn it on with"
                           " `syncer settings --nightly-sync on` (or preview with --dry-run)")
    with sync_lock(store):
        if slot is not None and db.served_since(store, slot):
            return RunReport(status="skipped", message=f"a run already started after the"
                             f" {slot.isoformat()} slot")
        if not dry_run:
            _close_abandoned_runs(store)
        run = _Run(store, remote, dry_run=dry_run, progress=progress, trigger=trigger,
                   pusher=pusher)
        return run.execute()

