"""Pull: read the Contacts and Leads changed since each type's watermark and reconcile them.

queryAll, so deletions and merges are seen; SystemModstamp order, so a stop keeps its
progress: the watermark moves after each page whose decisions are durable. Above
`bulk_threshold` rows the pull is a Bulk API 2.0 query read a page at a time.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from .decide import LIVE, Baselines, settle
from .fanout import fan_out
from .follow import follow
from .records import TYPES, Record, csv_records, parse_stamp, select_list, soql_datetime
from .state import RunState
from .write import drain, drain_if_full

# A write landing in Salesforce during a run is pulled again by the next one.
OVERLAP = timedelta(minutes=5)
# Bulk CSV rows reconciled per transaction: each commit writes the WAL's pages and waits for
# the disk, and a capture waits for the page: as long at this size, most of its people settled
# in SQL, as at 10,000 before (0.2-0.6 s on 2 loaded CPUs, benchmarks/README.md).
PAGE_RECORDS = 25_000


# Objects the cyclic garbage collector lets be allocated (and not freed) before it runs, during
# a Bulk pull: Python's 700 made a 1,000,000-row first sync collect 3,700 times, 22 of them
# full collections of 40-70 ms each (1.4 s of CPU in all; a page's 25,000 Records outlive
# several collections). A pull's objects are freed by reference counting; this only spaces
# out the search for cycles (1,000,000 rows: 14 collections, 0.04 s).
GC_ALLOCATIONS = 100_000


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """The garbage collector's first threshold at GC_ALLOCATIONS in the block, put back after."""
    before = gc.get_threshold()
    gc.set_threshold(max(GC_ALLOCATIONS, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def pull_changes(run: RunState, full: bool) -> None:
    """Pull both types: everything when `full`, else what changed since their watermarks."""
    run.phase = "pulling changes"
    soqls = [_soql(run, t, None if full else parse_stamp(run.watermarks[t])) for t in TYPES]
    run.budget.need(1, run.phase)
    read_at = run.store.now()  # no record of this pull is older (settle's guard)
    firsts = run.remote.query_pages(soqls)  # both first pages in one call
    # Every Bulk query job starts now, so Salesforce runs the Leads' while the Contacts are
    # reconciled (a 1,000,000-row first sync waited seconds for it).
    jobs = {}
    for sobject, soql, page in zip(TYPES, soqls, firsts, strict=True):
        if page.get("totalSize", 0) > run.threshold:
            run.phase = f"pulling {sobject}s"
            run.budget.need(4, run.phase)  # create, poll, first page, and a spare
            jobs[sobject] = run.remote.bulk_query(sobject, soql, include_deleted=True)
    for sobject, page in zip(TYPES, firsts, strict=True):
        run.phase = f"pulling {sobject}s"
        _pull(run, sobject, page, jobs.get(sobject), read_at)


def _soql(run: RunState, sobject: str, since: datetime | None) -> str:
    where = f" WHERE SystemModstamp >= {soql_datetime(since)}" if since else ""
    return (f"SELECT {select_list(sobject, run.field)} FROM {sobject}{where}"
            " ORDER BY SystemModstamp, Id")


def _pull(run: RunState, sobject: str, page: dict, bulk: Iterator[str] | None,
          read_at: str) -> None:
    """Reconcile every record of the query (queryAll) whose first page is `page`, or of its
    Bulk query job's result pages, `bulk`, all read after `read_at`."""
    # A Bulk pull writes hundreds of thousands of rows, and its drain as many again.
    with run.store.bulk_writing() if bulk is not None else contextlib.nullcontext(), \
            fewer_collections() if bulk is not None else contextlib.nullcontext():
        if bulk is not None:
            run.bulk_pull = True
            try:
                _pull_bulk(run, sobject, bulk, read_at)
            finally:
                run.bulk_pull = False
        else:
            while True:
                reconcile_page(run, sobject,
                               [Record.parse(r, sobject, run.field) for r in page["records"]],
                               read_at=read_at)
                if page.get("done", True):
                    break
                run.budget.need(1, run.phase)
                page = run.remote.query_more(page["nextRecordsUrl"])
        if not run.dry:
            drain(run)
            run.watermarks[sobject] = soql_datetime(run.started - OVERLAP)


def _pull_bulk(run: RunState, sobject: str, pages: Iterator[str], read_at: str) -> None:
    """The same query as a Bulk API 2.0 job, read one result page (CSV) at a time."""
    run.report.bulk.append(f"{sobject} query")
    run.budget.need(3, run.phase)  # polls, the first page, and a spare
    while (text := next(pages, None)) is not None:
        records = csv_records(text, sobject, run.field)
        while batch := list(itertools.islice(records, PAGE_RECORDS)):
            reconcile_page(run, sobject, batch, read_at=read_at)
        run.budget.need(1, run.phase)


def reconcile_page(run: RunState, sobject: str, records: list[Record],
                   inside: Callable[[], None] | None = None, read_at: str | None = None) -> None:
    """Reconcile the people these records belong to (and fan out), in one transaction;
    `inside` runs in that transaction too (the stream saves its position there). `read_at`:
    a store time before the records were read (settle skips people confirmed since)."""
    if not records:
        if inside is not None:
            with run.transaction():
                inside()
        return
    run.report.pulled += len(records)
    known: dict[str, Record | None] = {r.id: r for r in records}
    # Deleted and converted records that people here are linked to are followed first.
    moved = [r.id for r in records if r.deleted or r.converted_to]
    if moved:
        linked = run.store.people_by_sfid(moved)
        moved = [sfid for sfid in moved if sfid in linked]
    followed = follow(run, moved, known) if moved else {}
    baselines: Baselines = []
    pushing: set[str] = set()
    with run.transaction():
        # Read the people again under the write lock: a capture made while this page was
        # being followed must be seen (it is waiting in the outbox), never overwritten.
        linked = _people(run, records, read_at)
        owners: dict[str, dict] = {}
        if run.settings.fan_out_by_email:
            emails = sorted({r.email for r in records if r.email})
            owners = run.store.opted_out_by_email(emails) if emails else {}
        for record in records:
            person = linked.get(record.id)
            if person is None:
                continue
            how = followed.get(record.id)
            if how is None:
                settle(run, person, LIVE, known.get(record.id), baselines, pushing, read_at)
            else:
                settle(run, person, how, known.get(how.target) if how.target else None,
                       baselines, pushing, read_at)
        for record in records if owners else ():
            owner = owners.get(record.email) if record.email else None
            if owner is not None:
                fan_out(run, owner, record, pushing)
        if baselines and not run.dry:
            run.store.set_baselines(baselines, field=run.field)
        if inside is not None:
            inside()
    run.tick()
    drain_if_full(run)
    if records[-1].stamp and not run.dry:
        # Every decision so far is durable (written here or queued in the outbox), so a
        # stop resumes after this page.
        mark = min(parse_stamp(records[-1].stamp), run.started) - OVERLAP
        previous = run.watermarks.get(sobject)
        if previous is None or parse_stamp(previous) < mark:
            run.watermarks[sobject] = soql_datetime(mark)


def _people(run: RunState, records: list[Record], read_at: str | None) -> dict[str, dict]:
    """The people linked to these records, by record Id, read in the page's transaction. In a
    real run, those whose live record agrees with them get their baseline in SQL and are left
    out (store.settle_agreeing): settle would decide 'agree' or 'in_sync' and write only that
    (a first sync's page is mostly such people)."""
    if run.dry:
        return run.store.people_by_sfid([r.id for r in records])
    moved = [r.id for r in records if r.deleted or r.converted_to]
    linked = run.store.people_by_sfid(moved) if moved else {}
    live = [r for r in records if not (r.deleted or r.converted_to)] if moved else records
    for value in (True, False):
        sfids = [r.id for r in live if r.value] if value else [r.id for r in live if not r.value]
        if sfids:
            linked.update(run.store.settle_agreeing(sfids, value, field=run.field,
                                                    read_at=read_at))
    return linked
