"""What three nights leave in the store, pinned row for row: every event (its order, reason and
details), every person, every outbox row and every run, over the REST path and the Bulk API 2.0
path (a threshold of 3). The nightly writes a page's decisions in batches; this is the guard
that batching changed nothing a run records. The expected rows are in pinned_nights.json
(Salesforce IDs as labels: an org's IDs carry its random pod); after a deliberate change,
`python -m tests.syncer.nightly.test_nightly_pinned` writes them again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sfmock import mock_salesforce
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.nightly import run_nightly
from syncer.store import Store

from .conftest import client_remote

FIELD = "HasOptedOutOfEmail"
PINNED = Path(__file__).with_name("pinned_nights.json")
# (label, type, email, opted out in Salesforce, person's email or None, opted out here)
RECORDS = [
    ("c1", "Contact", "ann@example.com", True, "ann@example.com", False),  # apply
    ("c2", "Contact", "bob@example.com", False, "bob@example.com", True),  # push
    ("c3", "Contact", "cy@example.com", True, "cy@example.com", True),  # agree
    ("c4", "Contact", "dee@example.com", False, "dee@example.com", False),  # agree
    ("l1", "Lead", "eve@example.com", True, "eve@example.com", False),
    ("l2", "Lead", "fay@example.com", False, "fay@example.com", True),
    ("l3", "Lead", "gil@example.com", False, "gil@example.com", True),  # converted night 2
    ("c5", "Contact", "gil.new@example.com", False, None, False),  # l3's Contact
    ("c6", "Contact", "hal.old@example.com", False, "hal.old@example.com", True),  # merged
    ("c7", "Contact", "hal@example.com", False, "hal@example.com", False),  # survivor
    ("c8", "Contact", "ida@example.com", True, "ida@example.com", True),  # deleted night 2
    ("l4", "Lead", "BOB@example.com", False, None, False),  # shares bob's email: fan-out
    *[(f"p{i}", "Contact" if i % 2 else "Lead", f"pad{i}@example.com", i % 3 == 0,
       f"pad{i}@example.com", i % 4 == 0) for i in range(12)],
]


def _snapshot(store: Store, labels: dict[str, str]) -> dict:
    tables = {}
    for table, order in (("people", "id"), ("events", "id"), ("outbox", "id"),
                         ("sync_runs", "id")):
        rows = [dict(row) for row in store.db.query(f"SELECT * FROM {table} ORDER BY {order}")]
        for row in rows:
            if table == "sync_runs":
                details = json.loads(row["details"])
                details.pop("seconds", None)  # wall time
                row["details"] = details
        tables[table] = rows
    text = json.dumps(tables, sort_keys=True)
    for sfid, label in labels.items():
        text = text.replace(sfid, label).replace(sfid[:15], label)
    return json.loads(text)


def _nights(threshold: int, clock) -> list[dict]:
    snapshots = []
    with mock_salesforce(fixtures=None, clock=clock) as org, \
            Store(":memory:", clock=clock) as store:
        org.add_user(USERNAME, PASSWORD, TOKEN, last_name="Integration")
        store.update_settings(nightly_sync=True, bulk_threshold=threshold,
                              fan_out_by_email=True)
        sfids, labels = {}, {}
        for label, sobject, email, opted, person, here in RECORDS:
            data = {"LastName": label, "Email": email, FIELD: opted}
            if sobject == "Lead":
                data["Company"] = "Acme"
            sfids[label] = org.insert(sobject, data)
            labels[sfids[label]] = label
            if person is not None:
                person_id = store.upsert_person(person, salesforce_id=sfids[label])
                if here:
                    store.set_opted_out(person_id, True, source="import")
        store.upsert_person("nobody@example.com")  # not linked: never synced
        remote = client_remote()

        def night() -> None:
            clock.advance(hours=1)
            report = run_nightly(store, remote, trigger="test")
            assert report.status == "ok", report.summary()
            snapshots.append(_snapshot(store, labels))
            clock.advance(days=1)

        night()
        org.convert_lead(sfids["l3"], contact_id=sfids["c5"])
        org.merge("Contact", sfids["c7"], [sfids["c6"]])
        org.delete("Contact", sfids["c8"])
        org.update("Contact", sfids["c3"], {FIELD: False})  # sticky: set again
        org.update("Lead", sfids["p2"], {FIELD: True})
        store.capture("dee@example.com", opted_out=True, source="link")
        store.resubscribe("ann@example.com", source="manual", reason="fresh consent")
        clock.advance(minutes=30)
        night()
        store.update_settings(honour_salesforce_resubscribes=True)
        org.update("Contact", sfids["c3"], {FIELD: False})
        org.update("Lead", sfids["p4"], {FIELD: True})
        store.capture("pad5@example.com", opted_out=True, source="link")
        sfids["c9"] = org.insert("Contact", {"LastName": "c9", "Email": "jo@example.com",
                                             FIELD: True})
        labels[sfids["c9"]] = "c9"
        store.upsert_person("jo@example.com", salesforce_id=sfids["c9"])  # a conflict
        clock.advance(minutes=30)
        night()
    return snapshots


def _without_bulk_polls(nights: list[dict]) -> list[dict]:
    """A Bulk job's polls depend on when the org's worker finishes it: runs' API calls vary."""
    for tables in nights:
        for run in tables["sync_runs"]:
            run.pop("api_calls")
    return nights


@pytest.mark.parametrize("path,threshold", [("rest", 10_000), ("bulk", 3)])
def test_three_nights_leave_exactly_the_pinned_rows(path, threshold, clock):
    nights, pinned = _nights(threshold, clock), json.loads(PINNED.read_text())[path]
    if path == "bulk":
        nights, pinned = _without_bulk_polls(nights), _without_bulk_polls(pinned)
    assert nights == pinned


if __name__ == "__main__":  # re-pin after a deliberate change of what a night records
    from datetime import UTC, datetime

    from tests.conftest import Clock

    nights = {path: _nights(threshold, Clock(datetime(2026, 11, 28, 4, 0, tzinfo=UTC)))
              for path, threshold in (("rest", 10_000), ("bulk", 3))}
    PINNED.write_text(json.dumps(nights, indent=1, sort_keys=True) + "\n")
