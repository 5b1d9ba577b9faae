"""One nightly run: lock, budget, write, pull (follow, decide), local, fan out, write, record.

Each step is a module of this package; docs/syncer.md ("The nightly run") draws the whole.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from ..push import Pusher
from ..salesforce import LimitError, SalesforceError
from ..store import Store
from .budget import Budget
from .errors import NightlyError, ReserveReached
from .fanout import fan_out_since
from .local import check_local_changes
from .lock import sync_lock
from .pull import pull_changes
from .records import TYPES, parse_stamp, soql_datetime
from .remote import Remote
from .report import Change, Progress, RunReport
from .state import RunState
from .write import drain


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
    after it. Raises SyncBusy when another run holds the lock. `Syncer.nightly()` calls this
    with the syncer's pusher; without one, the run makes one with the remote's retry policy.
    """
    if not dry_run and not store.get_settings().nightly_sync:
        raise NightlyError("the nightly sync is off in settings: turn it on with"
                           " `syncer settings --nightly-sync on` (or preview with --dry-run)")
    with sync_lock(store):
        if slot is not None and store.served_since(slot):
            return RunReport(status="skipped", message=f"a run already started after the"
                             f" {slot.isoformat()} slot")
        if not dry_run:
            store.close_abandoned_runs()
        run = RunState(store, remote, pusher, dry_run=dry_run, progress=progress,
                       trigger=trigger)
        return _execute(run)


def _execute(run: RunState) -> RunReport:
    report, store, settings = run.report, run.store, run.settings
    clock_start = time.monotonic()
    run.started = store.clock().astimezone(UTC)
    report.started_at = run.started.isoformat()
    cursor = run.previous.get("fanout")
    fan_out = settings.fan_out_by_email
    full = (not all(t in run.watermarks for t in TYPES)
            or (fan_out and (cursor or {}).get("field") != run.field)
            or store.count_local_candidates(run.field) > run.threshold)
    report.mode = "full" if full else "incremental"
    if not run.dry:
        report.run_id = store.start_run(report.mode)
    calls_at_start = run.remote.calls
    if full and fan_out:
        # The full pull checks every record against the opt-outs as of now; later ones
        # are fanned out by the next run.
        run.fanout = {"field": run.field, "event_id": store.max_event_id()}
    if run.dry:
        _preview_outbox(run)
    status = "ok"
    try:
        run.budget = Budget(run.remote, settings.api_reserve_percent)
        if not run.dry:
            run.phase = "draining the outbox"
            drain(run)
        pull_changes(run, full)
        check_local_changes(run)
        if fan_out and not full:
            run.phase = "opting out records that share an email"
            upto = store.max_event_id()  # includes opt-outs this run applied
            fan_out_since(run, cursor["event_id"], upto)
            run.fanout = {"field": run.field, "event_id": upto}
        run.phase = "pushing"
        if not run.dry:
            drain(run)
    except (ReserveReached, LimitError) as stop:
        status = "partial"
        report.stopped = {"phase": run.phase, "reason": str(stop)}
    except (NightlyError, SalesforceError) as problem:
        status = "failed"
        report.errors.append(f"{run.phase}: {problem}")
    except Exception as problem:  # anything else is recorded with the run, not raised
        status = "failed"
        report.errors.append(_describe(problem, run.phase))
    report.status = "dry-run" if run.dry else status
    report.api_calls = run.remote.calls - calls_at_start
    report.watermarks = dict(run.watermarks)
    report.seconds = time.monotonic() - clock_start
    report.finished_at = store.clock().astimezone(UTC).isoformat()
    run.tick(force=True)
    if not run.dry:
        _record(run, status)
    return report


def _record(run: RunState, status: str) -> None:
    report = run.report
    details: dict[str, Any] = {
        "watermarks": run.watermarks, "trigger": run.trigger, "field": run.field,
        "deleted": report.deleted, "relinked": report.relinked, "waiting": report.waiting,
        "bulk": report.bulk, "seconds": round(report.seconds, 3),
    }
    fanout = run.fanout or run.previous.get("fanout")
    if fanout:
        details["fanout"] = fanout
    if report.stopped:
        details["stopped"] = report.stopped
    marks = [parse_stamp(v) for v in run.watermarks.values()]
    run.store.finish_run(
        report.run_id, status, pulled=report.pulled, pushed_local=report.pushed_local,
        pushed_remote=report.pushed_remote, conflicts=report.conflicts,
        errors=report.errors, api_calls=report.api_calls,
        watermark=soql_datetime(min(marks)) if len(marks) == len(TYPES) else None,
        details=details,
    )


def _preview_outbox(run: RunState) -> None:
    """A dry run lists the pushes waiting in the outbox, which a run sends first."""
    for item in run.store.list_outbox("pending"):
        if item.salesforce_id is not None:
            run.report.changes.append(Change(
                "salesforce", f"set {run.field} to {str(item.desired).lower()} on"
                f" {item.salesforce_type}", item.email, item.salesforce_id,
                "waiting in the outbox: pushed before the sides are compared"))


def _describe(problem: Exception, phase: str) -> str:
    text = " ".join(str(problem).split())
    return f"{phase}: {type(problem).__name__}: {text[:300]}"
