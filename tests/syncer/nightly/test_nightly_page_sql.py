"""A page's agreeing people are settled in SQL (SyncReads.settle_agreeing): the same writes as
settling every person in Python, for every state a person and their record can be in."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from sfmock import ids
from syncer.nightly import decide, pull
from syncer.nightly.records import Record
from syncer.nightly.state import RunState
from syncer.store import Store
from syncer.store import sync as sync_module

FIELD = "HasOptedOutOfEmail"
NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
READ_AT = "2026-11-28T03:59:00.000000Z"
# Each person's state and their record's value: opted out here, the record's value, the
# baseline, its field, when it was agreed (vs the page's read time), the record's state, and
# whether a push waits in the outbox.
STATES = list(itertools.product(
    (False, True), (False, True), (None, False, True), (None, FIELD, "DoNotCall"),
    (None, "2026-11-28T03:00:00.000000Z", "2026-11-28T03:59:30.000000Z"),
    (None, "deleted"), (False, True)))


def _people_in_python(run: RunState, records: list[Record], read_at: str | None) -> dict:
    return run.store.people_by_sfid([r.id for r in records])


def _page(store: Store, honour: bool, read_at: str | None) -> list[Record]:
    """A person per state, linked to a Contact; the page of their records."""
    store.update_settings(nightly_sync=True, honour_salesforce_resubscribes=honour)
    records = []
    for n, (here, there, baseline, field, agreed_at, sf_state, waiting) in enumerate(STATES):
        sfid = ids.make_id("003", "Ab", 1000 + n)
        person = store.upsert_person(f"p{n}@example.com", salesforce_id=sfid)
        store.db.execute(
            "UPDATE people SET opted_out = ?, baseline = ?, baseline_field = ?, baseline_at = ?,"
            " sf_state = ? WHERE id = ?",
            (int(here), None if baseline is None else int(baseline), field, agreed_at,
             sf_state, person))
        if waiting:
            store.queue_push(person, not here)
        records.append(Record(sfid, "Contact", f"p{n}@example.com", there, False, None, None,
                              None))
    # An Id JSON escapes (Salesforce's never need it; the store only checks its length).
    odd = '003Ab"000\\00\u00e900001'
    person = store.upsert_person("odd@example.com", salesforce_id=ids.make_id("003", "Ab", 999))
    store.db.execute("UPDATE people SET opted_out = 1, salesforce_id = ? WHERE id = ?",
                     (odd, person))
    records.append(Record(odd, "Contact", "odd@example.com", False, False, None, None, None))
    return records


def _reconciled(monkeypatch, in_sql: bool, honour: bool, read_at: str | None,
                planned: bool = True) -> dict:
    with Store(":memory:", clock=lambda: NOW) as store:
        records = _page(store, honour, read_at)
        run = RunState(store, None, None, dry_run=False, progress=None, trigger="test")
        run.bulk_pull = True  # no drain: this page only
        run.report.run_id = 7
        with monkeypatch.context() as patch:
            if not in_sql:
                patch.setattr(pull, "_people", _people_in_python)
            if not planned:
                patch.setattr(decide, "_settled_plainly", lambda *args: False)
            pull.reconcile_page(run, "Contact", records, read_at=read_at)
        tables = {table: [tuple(row) for row in store.db.execute(
            f"SELECT * FROM {table} ORDER BY id")] for table in ("people", "events", "outbox")}
        return {**tables, "report": vars(run.report)}


@pytest.mark.parametrize("honour", [False, True], ids=["sticky", "three-way"])
@pytest.mark.parametrize("read_at", [READ_AT, None], ids=["read-at", "no-read-time"])
def test_settling_agreeing_people_in_sql_writes_what_settling_each_in_python_does(
        monkeypatch, honour, read_at):
    in_python = _reconciled(monkeypatch, False, honour, read_at)
    in_sql = _reconciled(monkeypatch, True, honour, read_at)
    assert in_sql == in_python
    # The page did decide and write, so the comparison is not between two empty runs.
    assert len(in_python["events"]) > 50
    assert sum(1 for row in in_python["people"] if row[9] == "2026-11-28T04:00:00.000000Z") > 50


@pytest.mark.parametrize("honour", [False, True], ids=["sticky", "three-way"])
@pytest.mark.parametrize("read_at", [READ_AT, None], ids=["read-at", "no-read-time"])
def test_settling_from_each_combinations_plan_writes_what_settling_each_person_does(
        monkeypatch, honour, read_at):
    one_by_one = _reconciled(monkeypatch, False, honour, read_at, planned=False)
    planned = _reconciled(monkeypatch, False, honour, read_at)
    assert planned == one_by_one
    assert planned == _reconciled(monkeypatch, True, honour, read_at)
    decided = [row for row in one_by_one["events"] if row[3] == "sync_decision"]
    assert len(decided) > 50 and any(row[3] == "unsubscribe" for row in one_by_one["events"])
    # The odd Id's push is logged with the Id escaped, as to_json writes it.
    assert any('"salesforce_id": "003Ab\\"000\\\\00\\u00e900001"' in row[9] for row in decided)


def test_a_page_whose_baselines_take_several_statements_writes_the_same(monkeypatch):
    in_python = _reconciled(monkeypatch, False, False, READ_AT)
    monkeypatch.setattr(sync_module, "UPDATE_ROWS", 7)  # the page's 432 records: 62 statements
    assert _reconciled(monkeypatch, True, False, READ_AT) == in_python


def test_settle_agreeing_returns_only_the_people_it_cannot_settle(store):
    agreeing = store.upsert_person("a@example.com", salesforce_id=ids.make_id("003", "Ab", 1))
    differing = store.upsert_person("d@example.com", salesforce_id=ids.make_id("003", "Ab", 2))
    store.set_opted_out(differing, True, source="import")
    others = store.settle_agreeing([ids.make_id("003", "Ab", n) for n in (1, 2, 3)], False,
                                   field=FIELD, read_at=None)
    assert [person["id"] for person in others.values()] == [differing]
    assert store.get_person(agreeing).baseline is False
    assert store.get_person(agreeing).baseline_field == FIELD
    assert store.get_person(differing).baseline is None
