"""A Bulk result page of live records is read column by column (records.live_page) and
reconciled without a Record per row (pull._reconcile_live): the same records, and the same
writes as reconcile_page makes from csv_records' records."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from syncer.nightly import pull
from syncer.nightly.records import csv_records, live_page
from syncer.nightly.state import RunState
from syncer.store import Store

from .test_nightly_page_sql import NOW, READ_AT, _page

FIELD = "HasOptedOutOfEmail"
COLUMNS = ["Id", "Email", FIELD, "IsDeleted", "MasterRecordId", "SystemModstamp",
           "IsConverted", "ConvertedContactId"]


def page_text(rows: list[list[str]], columns: list[str] = COLUMNS) -> str:
    """A result page as Salesforce (and sfmock) write it: every cell quoted."""
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows([columns, *rows])
    return out.getvalue()


def row(n: int, value: str = "false", **cells: str) -> list[str]:
    values = {"Id": f"00Q00000000000{n:02d}AA", "Email": f" P{n}@Example.com",
              FIELD: value, "IsDeleted": "false", "MasterRecordId": "",
              "SystemModstamp": f"2026-11-28T03:{n:02d}:00.000Z", "IsConverted": "false",
              "ConvertedContactId": "", **cells}
    return [values[name] for name in COLUMNS]


def test_a_live_pages_records_are_those_csv_records_reads():
    text = page_text([row(1, "true", Email=""), row(2, MasterRecordId="003000000000001AAA"),
                      row(3, Email='a "quoted", name@x.com\nnext line'), row(4, "true")])
    page = live_page(text, "Lead", FIELD)
    records = list(csv_records(text, "Lead", FIELD))
    assert list(page.ids) == [r.id for r in records]
    assert [page.record(r.id) for r in records] == records
    assert page.reading(True) == [records[0].id, records[3].id]
    assert page.reading(False) == [records[1].id, records[2].id]
    assert page.last_stamp == records[-1].stamp
    assert [list(part.ids) for part in page.parts(3)] == [
        [r.id for r in records[:3]], [records[3].id]]


def test_columns_the_page_lacks_read_as_csv_records_reads_them():
    columns = ["Id", FIELD]
    text = page_text([["003000000000001AAA", "true"]], columns)
    assert [live_page(text, "Contact", FIELD).record("003000000000001AAA")] == list(
        csv_records(text, "Contact", FIELD))


@pytest.mark.parametrize("text", [
    page_text([row(1), row(2, IsDeleted="true")]),
    page_text([row(1), row(2, IsConverted="true", ConvertedContactId="003000000000001AAA")]),
    page_text([row(1), row(2, IsConverted="true")]),
    page_text([row(1, "TRUE")]),
    page_text([row(1, " true")]),
    page_text([row(1), row(2, IsDeleted="")]),
    page_text([row(1), row(1)]),
    page_text([row(1)]) + "\n",
    page_text([row(1)]) + '"00Q0000000000002AA"\n',
    page_text([row(1)], [*COLUMNS[:-1], "Extra"]).replace('"Extra"', '"Extra","More"'),
    page_text([row(1)]) + '"00Q0000000000002AA",' * 9 + '"x"\n',
    page_text([["x@example.com", "true"]], ["Email", FIELD]),
    page_text([["00Q0000000000001AA", "x@example.com"]], ["Id", "Email"]),
    page_text([]),
    "",
], ids=["deleted", "converted", "converted-nowhere", "TRUE", "spaced", "blank-deleted",
        "twice", "blank-line", "short-row", "rows-short-of-the-header", "long-row", "no-id", "no-field", "header-only",
        "nothing"])
def test_a_page_that_is_not_plainly_live_is_left_to_csv_records(text):
    assert live_page(text, "Lead", FIELD) is None


def _reconciled(live: bool, honour: bool, read_at: str | None) -> dict:
    with Store(":memory:", clock=lambda: NOW) as store:
        records = _page(store, honour, read_at)
        text = page_text([[r.id, r.email, str(r.value).lower(), "false", "",
                           f"2026-11-28T03:00:{n % 60:02d}.000Z", "false", ""]
                          for n, r in enumerate(records)])
        run = RunState(store, None, None, dry_run=False, progress=None, trigger="test")
        run.bulk_pull = True  # no drain: this page only
        run.report.run_id = 7
        run.started = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
        if live:
            for part in live_page(text, "Contact", FIELD).parts(100):
                pull._reconcile_live(run, "Contact", part, read_at)
        else:
            records = list(csv_records(text, "Contact", FIELD))
            for start in range(0, len(records), 100):
                pull.reconcile_page(run, "Contact", records[start:start + 100],
                                    read_at=read_at)
        tables = {table: [tuple(row) for row in store.db.execute(
            f"SELECT * FROM {table} ORDER BY id")] for table in ("people", "events", "outbox")}
        return {**tables, "report": vars(run.report), "watermarks": run.watermarks}


@pytest.mark.parametrize("honour", [False, True], ids=["sticky", "three-way"])
@pytest.mark.parametrize("read_at", [READ_AT, None], ids=["read-at", "no-read-time"])
def test_a_live_page_writes_what_reconcile_page_writes_from_its_records(honour, read_at):
    from_records = _reconciled(False, honour, read_at)
    assert _reconciled(True, honour, read_at) == from_records
    assert len(from_records["events"]) > 50 and from_records["watermarks"]

