"""Query paging: batch sizes, locators, queryMore, cursor limits and a 100,000-row query_all."""

from __future__ import annotations

import time
from array import array

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock.soql import engine
from sfmock.soql.compiler import compile_query
from sfmock.soql.engine import QueryEngine, clamp_batch_size
from sfmock.soql.parser import parse

from .conftest import bulk_contacts


def batch(size: int) -> dict:
    return {"headers": {"Sforce-Query-Options": f"batchSize={size}"}}


def locator_of(page: dict) -> str:
    return page["nextRecordsUrl"].rsplit("/", 1)[1]


@pytest.fixture
def contacts_1200(clocked_org) -> list[str]:
    return bulk_contacts(clocked_org, 1200)


def test_batch_size_pages_the_answer_and_locators_count_rows(clocked_org, csf, contacts_1200):
    total = clocked_org.count("Contact")
    first = csf.query("SELECT Id FROM Contact", **batch(500))
    assert first["totalSize"] == total and first["done"] is False and len(first["records"]) == 500
    assert list(first) == ["totalSize", "done", "nextRecordsUrl", "records"]
    cursor_id, _, shown = locator_of(first).partition("-")
    assert first["nextRecordsUrl"] == f"/services/data/v59.0/query/{cursor_id}-500"
    assert cursor_id.startswith("01g") and len(cursor_id) == 18 and shown == "500"
    second = csf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert second["nextRecordsUrl"].endswith(f"{cursor_id}-1000")
    assert second["totalSize"] == total and len(second["records"]) == 500
    third = csf.query_more(locator_of(second))
    assert third["done"] is True and "nextRecordsUrl" not in third
    assert len(third["records"]) == total - 1000
    seen = [r["Id"] for page in (first, second, third) for r in page["records"]]
    assert len(set(seen)) == total


def test_default_batch_is_2000_and_query_all_follows_every_page(clocked_org, csf):
    bulk_contacts(clocked_org, 4500)
    first = csf.query("SELECT Id FROM Contact")
    assert len(first["records"]) == 2000 and locator_of(first).endswith("-2000")
    everything = csf.query_all("SELECT Id, Email FROM Contact")
    assert everything["totalSize"] == len(everything["records"]) == clocked_org.count("Contact")


@pytest.mark.parametrize(("asked", "served"), [(100, 200), (200, 200), (1234, 1234),
                                               (2000, 2000), (5000, 2000)])
def test_batch_size_is_clamped_to_200_through_2000(clocked_org, csf, contacts_1200, asked, served):
    bulk_contacts(clocked_org, 2000, first=5000)
    page = csf.query("SELECT Id FROM Contact", **batch(asked))
    assert len(page["records"]) == served and locator_of(page).endswith(f"-{served}")


def test_clamp_without_header():
    assert clamp_batch_size(None) == 2000


def test_a_locator_can_be_read_again(csf, contacts_1200):
    first = csf.query("SELECT Id FROM Contact ORDER BY Email", **batch(200))
    again = csf.query_more(locator_of(first))
    assert csf.query_more(locator_of(first)) == again


def test_query_all_pages_use_the_query_path_and_keep_deleted_rows(clocked_org, csf):
    bulk_contacts(clocked_org, 1000, deleted_every=4)
    soql = "SELECT Id, IsDeleted FROM Contact"
    page = csf.query(soql, include_deleted=True, **batch(200))
    assert "/query/01g" in page["nextRecordsUrl"]
    everything = csf.query_all(soql, include_deleted=True)
    assert sum(r["IsDeleted"] for r in everything["records"]) == 250
    assert csf.query_all(soql)["totalSize"] == clocked_org.count("Contact")


def test_pages_keep_the_snapshot_of_rows_taken_at_query_time(clocked_org, csf, contacts_1200):
    first = csf.query("SELECT Id, Email FROM Contact", **batch(1000))
    total = first["totalSize"]
    newcomer = csf.Contact.create({"LastName": "Late arrival"})["id"]
    rest = csf.query_more(locator_of(first))
    assert rest["totalSize"] == total and rest["done"] is True
    assert newcomer not in {r["Id"] for r in rest["records"]}


def test_unknown_or_malformed_locators_are_invalid(csf, contacts_1200):
    first = csf.query("SELECT Id FROM Contact", **batch(200))
    cursor_id = locator_of(first).split("-")[0]
    for locator in ("01g000000000000AAA-200", "nonsense", f"{cursor_id}-999999"):
        with pytest.raises(SalesforceMalformedRequest) as failure:
            csf.query_more(locator)
        assert failure.value.content == [{"message": "invalid query locator",
                                          "errorCode": "INVALID_QUERY_LOCATOR"}]


def test_small_answers_open_no_cursor(clocked_org, csf):
    csf.query("SELECT Id FROM Contact")
    assert len(QueryEngine.for_org(clocked_org).cursors) == 0


def test_oldest_cursors_are_dropped_past_the_limit(clocked_org, csf, contacts_1200):
    engine = QueryEngine.for_org(clocked_org)
    engine.cursors.max_cursors = 3
    pages = [csf.query("SELECT Id FROM Contact", **batch(200)) for _ in range(4)]
    assert len(engine.cursors) == 3
    with pytest.raises(SalesforceMalformedRequest):
        csf.query_more(locator_of(pages[0]))
    assert csf.query_more(locator_of(pages[1]))["records"]


def test_cursor_snapshots_are_bounded_in_ids(clocked_org, csf, contacts_1200):
    engine = QueryEngine.for_org(clocked_org)
    engine.cursors.max_ids = 2500
    pages = [csf.query("SELECT Id FROM Contact", **batch(200)) for _ in range(3)]
    assert len(engine.cursors) == 2
    with pytest.raises(SalesforceMalformedRequest):
        csf.query_more(locator_of(pages[0]))


def test_idle_cursors_expire(clocked_org, csf, contacts_1200):
    engine = QueryEngine.for_org(clocked_org)
    now = [1000.0]
    engine.cursors.clock = lambda: now[0]
    first = csf.query("SELECT Id FROM Contact", **batch(200))
    now[0] += 14 * 60
    second = csf.query_more(locator_of(first))  # reading resets the idle time
    now[0] += 14 * 60
    csf.query_more(locator_of(second))
    now[0] += 15 * 60 + 1
    with pytest.raises(SalesforceMalformedRequest):
        csf.query_more(locator_of(second))


def test_count_query_never_pages(clocked_org, csf, contacts_1200):
    result = csf.query("SELECT COUNT() FROM Contact", **batch(200))
    assert result == {"totalSize": clocked_org.count("Contact"), "done": True, "records": []}


@pytest.mark.slow  # volume: 100,000 rows
def test_query_all_over_100000_rows(clocked_org, csf):
    made = bulk_contacts(clocked_org, 100_000, opted_out_every=2, deleted_every=10)
    opted_out_live = [i for n, i in enumerate(made) if n % 2 == 0 and n % 10 != 0]
    started = time.perf_counter()
    result = csf.query_all("SELECT Id, Email, HasOptedOutOfEmail FROM Contact "
                           "WHERE HasOptedOutOfEmail = true AND Email LIKE 'bulk%'")
    elapsed = time.perf_counter() - started
    assert result["totalSize"] == len(result["records"]) == len(opted_out_live) == 40_000
    assert [r["Id"] for r in result["records"]] == opted_out_live  # creation order, no gaps
    assert all(r["HasOptedOutOfEmail"] is True for r in result["records"])
    everything = csf.query_all("SELECT Id FROM Contact WHERE Email LIKE 'bulk%'",
                               include_deleted=True)
    assert [r["Id"] for r in everything["records"]] == made
    assert elapsed < 20  # about 1 s on a laptop; the figure is in benchmarks/bench_soql.py


def test_paging_over_the_https_server(server, server_sf):
    bulk_contacts(server.org, 450)
    first = server_sf.query("SELECT Id FROM Contact", **batch(200))
    assert locator_of(first).endswith("-200")
    everything = server_sf.query_all("SELECT Id FROM Contact", **batch(200))
    assert everything["totalSize"] == len(everything["records"]) == server.org.count("Contact")


@pytest.mark.parametrize("order", ["Email DESC", "HasOptedOutOfEmail, Email DESC",
                                   "Title DESC NULLS LAST, LastName", "Id DESC"])
def test_pages_follow_order_by_from_the_first_row_to_the_last(clocked_org, csf, order):
    """The snapshot keeps ORDER BY, OFFSET and LIMIT across every page of a cursor."""
    made = bulk_contacts(clocked_org, 1100)
    for n, record_id in enumerate(made[::7]):
        clocked_org.update("Contact", record_id, {"Title": f"T{n % 5}"})
    rows = [dict(row) for row in clocked_org.records("Contact")]
    keys = {"Email DESC": lambda r: r["Email"],
            "HasOptedOutOfEmail, Email DESC": lambda r: (-r["HasOptedOutOfEmail"], r["Email"]),
            "Title DESC NULLS LAST, LastName": lambda r: (
                r["Title"] is not None, r["Title"] or "", [-ord(c) for c in r["LastName"]]),
            "Id DESC": lambda r: r["Id"]}
    expected = [r["Id"] for r in sorted(rows, key=keys[order], reverse=True)][7:1007]
    first = csf.query(f"SELECT Id FROM Contact ORDER BY {order} LIMIT 1000 OFFSET 7",
                      **batch(200))
    pages = [first]
    while "nextRecordsUrl" in pages[-1]:
        pages.append(csf.query_more(locator_of(pages[-1])))
    assert len(pages) == 5 and first["totalSize"] == 1000
    assert [r["Id"] for page in pages for r in page["records"]] == expected


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_the_snapshot_reads_its_rowids_a_chunk_at_a_time_in_order(clocked_org, chunk,
                                                                   monkeypatch):
    bulk_contacts(clocked_org, 1100)
    monkeypatch.setattr(engine, "SNAPSHOT_CHUNK", chunk)
    conn = clocked_org.db.conn
    for soql in ("SELECT Id FROM Contact ORDER BY Email DESC", "SELECT Id FROM Contact LIMIT 1",
                 "SELECT Id FROM Contact WHERE HasOptedOutOfEmail = true",
                 "SELECT Id FROM Contact WHERE Email = 'nobody'"):
        plan = compile_query(parse(soql), clocked_org, include_deleted=False,
                             now=clocked_org.now())
        one_by_one = [rowid for (rowid,) in conn.execute(plan.sql, plan.params)]
        assert list(engine.snapshot(conn, plan)) == one_by_one


def rowids_of(org, soql: str, *, include_deleted: bool = False) -> tuple[object, list[int]]:
    """(the snapshot a query takes, its rowids read one by one)."""
    plan = compile_query(parse(soql), org, include_deleted=include_deleted, now=org.now())
    conn = org.db.conn
    return engine.snapshot(conn, plan), [rowid for (rowid,) in conn.execute(plan.sql, plan.params)]


@pytest.mark.parametrize("soql", [
    "SELECT Id FROM Contact",  # no filter: told by its count and ends
    "SELECT Id FROM Contact WHERE FirstName = 'Bulk'",  # filtered: told by the array's text
    "SELECT Id FROM Contact WHERE FirstName = 'Bulk' AND LastName = 'Person 000007'",  # one
    "SELECT Id FROM Contact LIMIT 900",
])
def test_a_run_of_consecutive_rowids_is_held_as_a_range(clocked_org, soql):
    bulk_contacts(clocked_org, 1100, deleted_every=4)
    held, one_by_one = rowids_of(clocked_org, soql, include_deleted=True)
    assert isinstance(held, range) and list(held) == one_by_one


def test_no_rowids_are_an_empty_array(clocked_org):
    for soql in ("SELECT Id FROM Campaign", "SELECT Id FROM Contact WHERE Email = 'nobody'"):
        held, one_by_one = rowids_of(clocked_org, soql)  # none in the org, none matching
        assert not isinstance(held, range) and not held and not one_by_one


@pytest.mark.parametrize("soql, include_deleted", [
    ("SELECT Id FROM Contact", False),  # every fourth bulk row is deleted: gaps
    ("SELECT Id FROM Contact WHERE HasOptedOutOfEmail = true", True),  # every other row
    ("SELECT Id FROM Contact ORDER BY LastName", True),  # not ordered by rowid alone
])
def test_rowids_that_make_no_run_or_no_rowid_order_are_held_as_an_array(
        clocked_org, soql, include_deleted):
    bulk_contacts(clocked_org, 1100, deleted_every=4)
    held, one_by_one = rowids_of(clocked_org, soql, include_deleted=include_deleted)
    assert not isinstance(held, range) and list(held) == one_by_one


@pytest.mark.parametrize("include_deleted", [True, False])
def test_pages_give_the_snapshot_rows_in_order_whether_read_by_range_or_by_rowid(
        clocked_org, csf, include_deleted):
    """With deleted rows counted the rowids make one run, read by range; without them, an
    array whose first page is a run (read by range) and whose later pages have gaps (read
    by rowid). Either way every page holds the snapshot's rows, in order, with their values
    as they are when the page is read."""
    bulk_contacts(clocked_org, 300)
    made = bulk_contacts(clocked_org, 900, deleted_every=4, first=300)
    soql = "SELECT Id, Email FROM Contact"
    held, one_by_one = rowids_of(clocked_org, soql, include_deleted=include_deleted)
    assert isinstance(held, range) == include_deleted
    first = csf.query(soql, include_deleted=include_deleted, **batch(200))
    clocked_org.update("Contact", made[-1], {"Email": "renamed@example.com"})
    clocked_org.delete("Contact", made[-3])  # still in the snapshot: it was there
    pages = [first]
    while "nextRecordsUrl" in pages[-1]:
        pages.append(csf.query_more(locator_of(pages[-1]), include_deleted=include_deleted))
    ids_by_rowid = dict(clocked_org.db.execute('SELECT rowid, "Id" FROM "Contact"').fetchall())
    assert [r["Id"] for page in pages for r in page["records"]] == \
        [ids_by_rowid[rowid] for rowid in one_by_one]
    assert pages[-1]["records"][-1] == {**pages[-1]["records"][-1], "Id": made[-1],
                                        "Email": "renamed@example.com"}


@pytest.mark.parametrize("rows, cursors", [(200, 0), (201, 1)])
def test_one_page_of_answer_opens_no_cursor_and_a_row_more_opens_one(clocked_org, csf, rows,
                                                                     cursors):
    bulk_contacts(clocked_org, 300)
    soql = f"SELECT Id FROM Contact WHERE FirstName = 'Bulk' LIMIT {rows}"
    page = csf.query(soql, **batch(200))
    assert (page["totalSize"], len(page["records"]), page["done"]) == (rows, 200, not cursors)
    assert len(QueryEngine.for_org(clocked_org).cursors) == cursors


def test_a_limit_past_the_first_page_is_kept_by_the_cursor(clocked_org, csf):
    made = bulk_contacts(clocked_org, 600)
    soql = "SELECT Id FROM Contact WHERE FirstName = 'Bulk' ORDER BY LastName DESC LIMIT 450"
    first = csf.query(soql, **batch(200))
    pages = [first]
    while "nextRecordsUrl" in pages[-1]:
        pages.append(csf.query_more(locator_of(pages[-1])))
    assert [len(p["records"]) for p in pages] == [200, 200, 50]
    assert {p["totalSize"] for p in pages} == {450}
    assert [r["Id"] for p in pages for r in p["records"]] == made[::-1][:450]


def runs_and_stragglers(org) -> str:
    """Contacts whose opted-out rowids make two long runs, each after a few stragglers."""
    bulk_contacts(org, 40)  # every other one opted out
    bulk_contacts(org, 1500, opted_out_every=1, first=40)
    bulk_contacts(org, 11, first=1540)
    bulk_contacts(org, 700, opted_out_every=1, first=1551)
    return "SELECT Id, Email FROM Contact WHERE HasOptedOutOfEmail = true"


def test_long_runs_among_a_few_stragglers_are_held_as_runs(clocked_org, monkeypatch):
    monkeypatch.setattr(engine, "RUN_PARSED", 64)  # stretches of 64 characters are parsed
    held, one_by_one = rowids_of(clocked_org, runs_and_stragglers(clocked_org))
    assert isinstance(held, engine.Runs) and list(held) == one_by_one
    assert [type(piece) for piece in held.pieces] == [array, range, array, range]
    assert len(held.pieces[1]) > 1400 and len(held.pieces[3]) > 600


def test_runs_past_their_limit_are_one_array(clocked_org, monkeypatch):
    monkeypatch.setattr(engine, "RUN_PARSED", 64)
    monkeypatch.setattr(engine, "RUN_PIECES", 3)
    held, one_by_one = rowids_of(clocked_org, runs_and_stragglers(clocked_org))
    assert isinstance(held, array) and list(held) == one_by_one


def test_a_slice_of_runs_is_the_slice_of_their_rowids():
    pieces = [array("q", [1, 3, 5]), range(7, 20), array("q", [22]), range(30, 34)]
    held, every = engine.Runs(pieces), [r for piece in pieces for r in piece]
    assert len(held) == len(every) == 21
    for start in range(23):
        for stop in range(start, 24):
            assert list(held[start:stop]) == every[start:stop]
    assert held[4:10] == range(8, 14)  # inside one run: a range, read by range
    assert isinstance(held[2:4], array)


def test_pages_of_runs_give_the_snapshot_rows_in_order(clocked_org, csf, monkeypatch):
    monkeypatch.setattr(engine, "RUN_PARSED", 64)
    soql = runs_and_stragglers(clocked_org)
    _, one_by_one = rowids_of(clocked_org, soql)
    pages = [csf.query(soql, **batch(200))]
    while "nextRecordsUrl" in pages[-1]:
        pages.append(csf.query_more(locator_of(pages[-1])))
    ids_by_rowid = dict(clocked_org.db.execute('SELECT rowid, "Id" FROM "Contact"').fetchall())
    assert [r["Id"] for page in pages for r in page["records"]] == \
        [ids_by_rowid[rowid] for rowid in one_by_one]


def test_a_stretch_is_halved_at_a_comma_on_either_side_of_its_middle(monkeypatch):
    monkeypatch.setattr(engine, "RUN_PARSED", 24)
    rowids = [1, 3, 5, 9 * 10**18]  # "1,3,5,9000000000000000000": no comma after its middle
    assert list(engine._runs("[" + ",".join(map(str, rowids)) + "]")) == rowids
