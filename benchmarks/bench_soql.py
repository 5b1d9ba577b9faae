"""SOQL throughput in-process: paging 100,000 opted-out Contacts through simple-salesforce
query_all, and a 1,000-Id `WHERE Id IN (...)` lookup in queries of 300 Ids (as the syncer
sends them: one URI of 1,000 Ids is over Salesforce's 16,384 bytes and answered 414).

Each workload and its floor (the recorded bodies replayed, see floors.py) run alternately,
REPEATS times each, and the medians are compared: one timing of each swung the ratio by 2x
on the shared machine.

Run: .venv/bin/python -m benchmarks.bench_soql [rows]
or through the runner (python -m benchmarks --only soql): `run(quick)` and `smoke()`.
"""

from __future__ import annotations

import sys

from simple_salesforce import Salesforce

from benchmarks.floors import Recording, floor_row, median_pair, replayed
from sfmock import mock_salesforce
from sfmock.testing import PASSWORD, TOKEN, USERNAME, seed_opted_out_contacts

IDS_PER_QUERY = 300  # syncer.nightly.ID_QUERY_SIZE: each GET URI stays well under 16 KB
REPEATS = 5  # alternate runs of each workload and its floor


def seed(org, count: int) -> list[str]:
    """`count` opted-out Contacts written straight to the table (the storage contract)."""
    return seed_opted_out_contacts(org, count, first=10_000_000)


def measure(count: int, repeats: int = REPEATS) -> dict[str, float]:
    """Rows per second for the paged query_all and the 1,000-Id lookup on `count` Contacts,
    and for their floors: medians of `repeats` alternate runs."""
    with mock_salesforce() as org:
        made = seed(org, count)
        sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
        expected = sum(1 for row in org.records("Contact") if row["HasOptedOutOfEmail"])
        wanted = made[::max(1, count // 1000)][:1000]
        id_lists = [", ".join(f"'{i}'" for i in wanted[start:start + IDS_PER_QUERY])
                    for start in range(0, len(wanted), IDS_PER_QUERY)]

        def paged() -> int:
            return len(sf.query_all("SELECT Id, Email, HasOptedOutOfEmail FROM Contact "
                                    "WHERE HasOptedOutOfEmail = true")["records"])

        def lookup() -> int:
            return sum(sf.query(f"SELECT Id, Email FROM Contact WHERE Id IN ({ids})")[
                "totalSize"] for ids in id_lists)

        assert paged() == expected and lookup() == len(wanted)
        figures: dict = {"ids": len(wanted), "seconds": {}}
        for name, rows, action in (
                ("paged", expected, paged),
                ("lookup", len(wanted), lookup)):
            recording = Recording()
            with recording.on(sf.session):
                action()

            def floor(recording=recording, action=action) -> None:
                with replayed(recording):
                    action()

            ours, theirs = median_pair(action, floor, repeats)
            figures[name], figures["seconds"][name] = rows / ours, (ours, theirs)
            print(f"{name}: {rows:,} rows in {ours:.3f} s = {rows / ours:,.0f} rows/s; "
                  f"its floor {theirs:.3f} s (medians of {repeats})")
        return figures


def rows(count: int, repeats: int = REPEATS) -> list[dict]:
    figures = measure(count, repeats)
    floor_is = "sfmock's recorded bodies replayed by a responses callback (the same client and URLs)"
    return [
        {"benchmark": "soql", "case": f"query_all {count:,} opted-out Contacts, 2,000-row pages",
         "metric": "throughput", "value": round(figures["paged"]), "unit": "rows/s",
         "note": "in-process, simple-salesforce; WHERE HasOptedOutOfEmail = true"},
        {"benchmark": "soql", "case": f"WHERE Id IN ({figures['ids']:,} ids) on {count:,} rows",
         "metric": "throughput", "value": round(figures["lookup"]), "unit": "rows/s",
         "note": f"sf.query calls of {IDS_PER_QUERY} ids"},
        *(floor_row("soql", case, f"wall time, median of {repeats}",
                    1000 * figures["seconds"][name][0], 1000 * figures["seconds"][name][1],
                    "ms", target=1.5, floor_is=floor_is)
          for name, case in (
              ("paged", f"query_all {count:,} opted-out Contacts, 2,000-row pages"),
              ("lookup", f"WHERE Id IN ({figures['ids']:,} ids) on {count:,} rows"))),
    ]


def run(quick: bool) -> list[dict]:
    return rows(20_000 if quick else 100_000)


def smoke() -> list[dict]:
    return rows(2_000, repeats=1)


if __name__ == "__main__":
    measure(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
