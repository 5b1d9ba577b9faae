"""Fan out (fan_out_by_email): opt out every Contact and Lead sharing an opted-out email."""

from __future__ import annotations

from simple_salesforce import format_soql

from ..salesforce.soql import in_chunks
from .follow import query_all
from .reconcile import Decision
from .records import TYPES, Record, select_list
from .state import RunState
from .write import drain_if_full

EMAIL_QUERY_CHARS = 6000  # characters of quoted emails per `Email IN (...)` query
PEOPLE_PER_PASS = 200


def fan_out(run: RunState, owner: dict, record: Record, pushing: set[str]) -> None:
    """Opt out a record sharing an opted-out person's email."""
    if record.deleted or record.converted_to or record.value or record.id in pushing:
        return
    if record.id == owner["salesforce_id"]:
        return  # the person's own record: reconciled with them
    pushing.add(record.id)
    reason = (f"{record.type} {record.id} shares the email {owner['email']}, which is opted"
              f" out here: setting {run.field} (fan_out_by_email)")
    run.change("salesforce", f"set {run.field} to true on {record.type}", owner, record.id,
               reason)
    if run.dry:
        run.report.pushed_remote += 1
        return
    run.decision_event(owner, Decision("push", reason, remote=True), record, {"fan_out": True})
    run.queue_record_push(record, True, owner["email"])


def fan_out_since(run: RunState, after_event: int, upto_event: int) -> None:
    """Fan out the emails of people opted out since the last run (events after the cursor)."""
    after = 0
    while people := run.store.opted_out_since(after_event, upto_event, after, PEOPLE_PER_PASS):
        after = people[-1]["id"]
        by_email = {p["email"]: p for p in people}
        for chunk in in_chunks(sorted(by_email), EMAIL_QUERY_CHARS):
            for sobject in TYPES:
                soql = format_soql(f"SELECT {select_list(sobject, run.field)} FROM {sobject}"
                                   f" WHERE Email IN {{emails}} AND {run.field} = false",
                                   emails=chunk)
                records = list(query_all(run, soql, sobject))
                run.report.pulled += len(records)
                pushing: set[str] = set()
                with run.transaction():
                    for record in records:
                        owner = by_email.get(record.email or "")
                        if owner is not None:
                            fan_out(run, owner, record, pushing)
                drain_if_full(run)
