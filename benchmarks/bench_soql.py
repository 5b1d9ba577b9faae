"""SOQL throughput in-process: paging 100,000 opted-out Contacts through simple-salesforce
query_all, and a 1,000-Id `WHERE Id IN (...)` lookup in queries of 300 Ids (as the syncer
sends them: one URI of 1,000 Ids is over Salesforce's 16,384 bytes and answered 414).

Run: .venv/bin/python -m benchmarks.bench_soql [rows]
or through the runner (python -m benchmarks --only soql): `run(quick)` and `smoke()`.
"""

from __future__ import annotations

import sys
import time

from simple_salesforce import Salesforce

from benchmarks.floors import Recording, floor_row, replayed
from sfmock import mock_salesforce
from sfmock.testing import PASSWORD, TOKEN, USERNAME, seed_opted_out_contacts

IDS_PER_QUERY = 300  # syncer.nightly.ID_QUERY_SIZE: each GET URI stays well under 16 KB


def seed(org, count: int) -> list[str]:
    """`count` opted-out Contacts written straight to the table (the storage contract)."""
    return seed_opted_out_contacts(org, count, first=10_000_000)


def timed(label: str, rows: int, action) -> tuple[object, float]:
    """The action's result and its rate in rows per second (printed too)."""
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    print(f"{label}: {rows:,} rows in {elapsed:.2f} s = {rows / elapsed:,.0f} rows/s")
    return result, rows / elapsed


def measure(count: int) -> dict[str, float]:
    """Rows per second for the paged query_all and the 1,000-Id lookup on `count` Contacts."""
    with mock_salesforce() as org:
        made = seed(org, count)
        sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
        expected = sum(1 for row in org.records("Contact") if row["HasOptedOutOfEmail"])
        result, paged = timed(
            "query_all HasOptedOutOfEmail = true (2,000-row pages)", expected,
            lambda: sf.query_all("SELECT Id, Email, HasOptedOutOfEmail FROM Contact "
                                 "WHERE HasOptedOutOfEmail = true"))
        assert len(result["records"]) == expected
        wanted = made[::max(1, count // 1000)][:1000]
        id_lists = [", ".join(f"'{i}'" for i in wanted[start:start + IDS_PER_QUERY])
                    for start in range(0, len(wanted), IDS_PER_QUERY)]
        found, lookup = timed(
            f"WHERE Id IN ({len(wanted):,} ids)", len(wanted),
            lambda: sum(sf.query(f"SELECT Id, Email FROM Contact WHERE Id IN ({ids})")[
                "totalSize"] for ids in id_lists))
        assert found == len(wanted)
        floors = {}
        for name, count, action in (
                ("paged", expected, lambda: sf.query_all(
                    "SELECT Id, Email, HasOptedOutOfEmail FROM Contact "
                    "WHERE HasOptedOutOfEmail = true")),
                ("lookup", len(wanted), lambda: [
                    sf.query(f"SELECT Id, Email FROM Contact WHERE Id IN ({ids})")
                    for ids in id_lists])):
            recording = Recording()
            with recording.on(sf.session):
                action()
            with replayed(recording):
                _, floors[name] = timed(f"{name}, its floor", count, action)
        return {"paged": paged, "lookup": lookup, "ids": len(wanted), "floors": floors}


def rows(count: int) -> list[dict]:
    figures = measure(count)
    floor_is = "sfmock's recorded bodies replayed by a responses callback (the same client and URLs)"
    return [
        {"benchmark": "soql", "case": f"query_all {count:,} opted-out Contacts, 2,000-row pages",
         "metric": "throughput", "value": round(figures["paged"]), "unit": "rows/s",
         "note": "in-process, simple-salesforce; WHERE HasOptedOutOfEmail = true"},
        {"benchmark": "soql", "case": f"WHERE Id IN ({figures['ids']:,} ids) on {count:,} rows",
         "metric": "throughput", "value": round(figures["lookup"]), "unit": "rows/s",
         "note": f"sf.query calls of {IDS_PER_QUERY} ids"},
        *(floor_row("soql", case, "wall time", 1000 * rows / figures[name],
                    1000 * rows / figures["floors"][name], "ms", target=1.5,
                    floor_is=floor_is)
          for name, case, rows in (
              ("paged", f"query_all {count:,} opted-out Contacts, 2,000-row pages", count),
              ("lookup", f"WHERE Id IN ({figures['ids']:,} ids) on {count:,} rows",
               figures["ids"]))),
    ]


def run(quick: bool) -> list[dict]:
    return rows(20_000 if quick else 100_000)


def smoke() -> list[dict]:
    return rows(2_000)


if __name__ == "__main__":
    measure(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
