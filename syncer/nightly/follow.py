"""Follow: fetch the records a run has not seen and follow conversions and merges to a live one."""

from __future__ import annotations

from collections.abc import Iterator

from simple_salesforce import format_soql

from . import reconcile
from .reconcile import Followed
from .records import Record, field_names, select_list
from .remote import RETRIEVE_LIMIT
from .state import RunState

ID_QUERY_SIZE = 300  # Ids per `Id IN (...)` query: keeps the GET URL well under 16 KB
FOLLOW_HOPS = 5


def follow(run: RunState, ids: list[str], known: dict[str, Record | None]) -> dict[str, Followed]:
    """Where each Id leads, fetching (queryAll by Id) the records not known yet."""
    for _ in range(FOLLOW_HOPS + 1):
        wanted = sorted({u for i in ids if (u := _next_unknown(i, known)) is not None})
        if not wanted:
            break
        fetched = _fetch(run, wanted)
        for sfid in wanted:
            known[sfid] = fetched.get(sfid)

    def lookup(sfid: str) -> dict | None:
        record = known.get(sfid)
        return record.as_lookup() if record is not None else None

    return {i: reconcile.follow(i, lookup, max_hops=FOLLOW_HOPS) for i in ids}


def query_all(run: RunState, soql: str, sobject: str) -> Iterator[Record]:
    """Every record of a queryAll query (deleted ones too), page by page within the budget."""
    run.budget.need(1, run.phase)
    page = run.remote.query_page(soql, include_deleted=True)
    while True:
        for raw in page["records"]:
            yield Record.parse(raw, sobject, run.field)
        if page.get("done", True):
            return
        run.budget.need(1, run.phase)
        page = run.remote.query_more(page["nextRecordsUrl"])


def _fetch(run: RunState, ids: list[str]) -> dict[str, Record]:
    """Records by Id: Collections retrieve (2,000 a call) for live ones, then queryAll by
    Id for the rest, so deleted and merged records are seen too."""
    found: dict[str, Record] = {}
    for sobject, prefix in (("Contact", "003"), ("Lead", "00Q")):
        wanted = [i for i in ids if i.startswith(prefix)]
        names = field_names(sobject, run.field)
        for start in range(0, len(wanted), RETRIEVE_LIMIT):
            chunk = wanted[start:start + RETRIEVE_LIMIT]
            run.budget.need(1, run.phase)
            for raw in run.remote.retrieve(sobject, chunk, names):
                if raw is not None:
                    record = Record.parse(raw, sobject, run.field)
                    found[record.id] = record
        gone = [i for i in wanted if i not in found]
        for start in range(0, len(gone), ID_QUERY_SIZE):
            soql = format_soql(f"SELECT {select_list(sobject, run.field)} FROM {sobject}"
                               " WHERE Id IN {ids}", ids=gone[start:start + ID_QUERY_SIZE])
            for record in query_all(run, soql, sobject):
                found[record.id] = record
    return found


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
