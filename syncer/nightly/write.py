"""Write: drain the outbox to Salesforce, through the pusher, or a Bulk API 2.0 job when large.

Every write of a run goes through the outbox (the person's pushes, the fan-out, records
another person owns), so a failure shows in `syncer status` and on the outbox page.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from array import array
from collections.abc import Iterator

from ..push.lock import PushBusy
from ..push.pusher import BUSY
from ..salesforce import COLLECTION_LIMIT
from .errors import ReserveReached
from .records import TYPES
from .state import RunState

# Outbox rows confirmed per transaction after a Bulk job. Their people are scattered (in a
# first sync, every seventh), and a transaction that dirties more pages than the page cache
# holds (Store.bulk_writing: 32 MiB) writes them twice, spilled mid-transaction then committed:
# at 25,000 a 1,000,000-person sync wrote 590 MB more (8,000 rows: at most 8,000 pages).
BULK_CONFIRM_ROWS = 8_000
BULK_LOCK_WAIT = 60.0  # seconds a Bulk write waits for another pusher's call to finish


def drain(run: RunState) -> None:
    """Push every due outbox row: as a Bulk API 2.0 job above the threshold, then through
    the pusher (Collections batches of 200, retries, following moved records)."""
    run.queued = 0
    now = run.store.now()
    due = run.store.count_due(now, at_most=run.threshold + 1)  # exact up to the threshold
    if due > run.threshold:
        try:
            with run.pusher.push_lock.hold(BULK_LOCK_WAIT):  # as the pusher's calls (push/lock.py)
                _drain_bulk(run, now)
        except PushBusy:
            run.report.errors.append(f"pushing: {BUSY}; the next run pushes the rest")
            return
        due = run.store.count_due()
    if not due:
        return
    run.budget.need(math.ceil(due / COLLECTION_LIMIT) + 1, run.phase)
    pushed = run.pusher.drain()
    report = run.report
    report.pushed_remote += pushed.pushed
    report.relinked += len(pushed.relinked)
    report.errors += [f"push to {f.salesforce_id} ({f.email}): {f.error}; fix: {f.fix}"
                      for f in pushed.failed]
    if pushed.paused_until:
        raise ReserveReached(pushed.error or "the org's daily API allocation is spent")
    if pushed.error:
        report.errors.append(f"pushing: {pushed.error}")
    run.tick()


def drain_if_full(run: RunState) -> None:
    """Drain once a Collections call's worth of rows is queued (not during a Bulk pull)."""
    if not run.dry and run.queued >= COLLECTION_LIMIT and not run.bulk_pull:
        drain(run)


def _confirm(run: RunState, done: list[tuple[int, bool]]) -> None:
    run.report.pushed_remote += len(done)
    if done:
        run.store.outbox_done(done, field=run.field,
                              details={"run_id": run.report.run_id, "via": "bulk"})


def _drain_bulk(run: RunState, now: str) -> None:
    """One Bulk API 2.0 update job per type, streamed from the outbox through a CSV file."""
    for sobject in TYPES:
        with tempfile.TemporaryDirectory(prefix="syncer-bulk-") as folder:
            upload = os.path.join(folder, "upload.csv")
            # Each uploaded row's outbox id and value, in the upload's order (9 bytes a row;
            # the file holds its record): confirmed from here when no row failed.
            sent, values = array("q"), bytearray()
            with open(upload, "w", newline="") as up:
                up_csv = csv.writer(up, lineterminator="\n")
                up_csv.writerow(["Id", run.field])
                for outbox_id, record, _, desired in run.store.due_pushes(now, sobject):
                    up_csv.writerow([record, str(desired).lower()])
                    sent.append(outbox_id)
                    values.append(desired)
            if not sent:
                continue
            run.report.bulk.append(f"{sobject} update of {len(sent)}")
            run.budget.need(6, run.phase)
            failed = _failures(run.remote.bulk_update(sobject, upload, folder))
            records = _uploaded_ids(upload) if failed else [None] * len(sent)
            done: list[tuple[int, bool]] = []
            for outbox_id, desired, sfid in zip(sent, values, records, strict=True):
                if sfid in failed:  # sent again through the pusher, which sorts it out
                    run.store.outbox_retry(outbox_id, failed[sfid], run.store.now())
                else:
                    done.append((outbox_id, bool(desired)))
                if len(done) >= BULK_CONFIRM_ROWS:
                    _confirm(run, done)
                    done = []
            _confirm(run, done)
            run.tick()


def _uploaded_ids(upload: str) -> Iterator[str]:
    """The record Id of each row of an upload file, in order (its header skipped)."""
    with open(upload, newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        for row in rows:
            yield row[0]


def _failures(paths: list[str]) -> dict[str, str]:
    """Failed rows of Bulk ingest jobs: Id -> Salesforce's `CODE:message:fields --` text."""
    failed: dict[str, str] = {}
    for path in paths:
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                sfid = row.get("sf__Id") or row.get("Id") or ""
                failed[sfid] = (row.get("sf__Error") or "UNKNOWN_ERROR").strip()
    return failed
