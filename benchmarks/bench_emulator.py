"""The emulator's own speed, in-process, against simple-mockforce (the peer) from the same run.

Workloads, on an org of `rows` opted-out Contacts:
- query: simple-salesforce `query_all` pages every row (2,000-row pages), once with no filter
  and once filtered on `HasOptedOutOfEmail = true` (every row matches, so both return the same
  rows and the difference is the cost of the filter);
- update: `updates` records flipped through sObject Collections, 200 a PATCH call.
The peer runs the same workloads in its own virtualenv (see peer_mockforce.py).

Run: .venv/bin/python -m benchmarks --only emulator [--quick]
"""

from __future__ import annotations

from simple_salesforce import Salesforce

from benchmarks import peer_mockforce
from benchmarks.floors import Recording, floor_row, replayed
from benchmarks.peer_mockforce import QUERIES, timed
from sfmock import mock_salesforce
from sfmock.testing import PASSWORD, TOKEN, USERNAME, seed_opted_out_contacts

BATCH = 200  # records per sObject Collections call
FIRST = 40_000_000  # the ID counter of the first seeded Contact
SIZES = {  # name: (rows, updates, peer updates, repeats: the best run counts)
    "full": (100_000, 10_000, 200, 3),
    "quick": (20_000, 2_000, 200, 2),
    "smoke": (400, 400, 20, 1),
}


def seed(org, count: int) -> list[str]:
    """`count` opted-out Contacts written straight to the table (the storage contract)."""
    return seed_opted_out_contacts(org, count, first=FIRST)


def measure(rows: int, updates: int, repeats: int) -> dict[str, dict]:
    """sfmock's figures: {workload: {"value": per second, "count": n, "seconds": s}}."""
    out: dict[str, dict] = {}
    with mock_salesforce(fixtures=None) as org:
        org.add_user(USERNAME, PASSWORD, TOKEN, last_name="Integration")
        made = seed(org, rows)
        sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
        for name, soql in QUERIES.items():
            def query(soql=soql) -> int:
                return len(sf.query_all(soql)["records"])

            out[f"query, {name}"] = alternately(sf, rows, query, repeats)
        targets = (made[::max(1, rows // updates)] * (1 + updates // rows))[:updates]

        def update() -> int:
            done = 0
            for first in range(0, len(targets), BATCH):
                records = [{"attributes": {"type": "Contact"}, "id": record_id,
                            "HasOptedOutOfEmail": False}
                           for record_id in targets[first:first + BATCH]]
                result = sf.restful("composite/sobjects", method="PATCH",
                                    json={"allOrNone": False, "records": records})
                done += sum(1 for r in result if r["success"])
            return done

        out["update"] = alternately(sf, len(targets), update, repeats)
    return out


def alternately(sf: Salesforce, count: int, action, repeats: int) -> dict:
    """sfmock's best of `repeats` runs of `action` and its floor's (as `timed` gives them,
    the floor under "floor"), the two run in turn, so that the machine's load falls on both
    alike (timed one after the other, a floor moved by 1.5x between runs)."""
    recording = Recording()
    with recording.on(sf.session):
        action()

    def replay() -> int:
        with replayed(recording):
            return action()

    ours: dict = {}
    theirs: dict = {}
    for _ in range(repeats):
        for best, run in ((ours, action), (theirs, replay)):
            figure = timed(count, run, 1)
            if not best or figure["seconds"] < best["seconds"]:
                best.update(figure)
    return {**ours, "floor": theirs}


def rows_for(size: str) -> list[dict]:
    """The benchmark's rows at one of SIZES."""
    rows, updates, peer_updates, repeats = SIZES[size]
    ours = measure(rows, updates, repeats)
    peer = peer_mockforce.measure(rows, peer_updates, repeats, build=size != "smoke")
    table = []
    for workload, figure in ours.items():
        kind, _, variant = workload.partition(", ")
        if kind == "query":
            case = f"query_all {rows:,} rows, 2,000-row pages, {variant}"
            unit, how = "rows/s", "no paging (one response holds every row)"
        else:
            case = f"update {figure['count']:,} records, sObject Collections (200 a call)"
            unit = "records/s"
            how = (f"no Collections endpoint: per-record sf.Contact.update, timed on "
                   f"{peer_updates:,} records of the same {rows:,}-row org")
        metric = f"throughput, best of {repeats}" if repeats > 1 else "throughput"
        row = {"benchmark": "emulator", "case": case, "metric": metric,
               "value": round(figure["value"], 1), "unit": unit}
        theirs = peer.get("results", {}).get(workload)
        if theirs:
            row.update(baseline=round(theirs["value"], 1),
                       ratio=float(f"{figure['value'] / theirs['value']:.3g}"),
                       note=f"baseline: simple-mockforce {peer['version']}, same run, ratio = "
                            f"sfmock / peer; the peer has {how}")
        else:
            row["note"] = f"baseline: simple-mockforce not measured: {peer.get('error')}"
        table.append(row)
        mine, floor = figure["seconds"], figure["floor"]["seconds"]
        table.append(floor_row("emulator", case, f"wall time, best of {repeats}", mine * 1000,
                               floor * 1000, "ms", target=1.5 if kind == "query" else 3.0,
                               floor_is="sfmock's recorded bodies replayed by a responses "
                                        "callback (the same client and URLs)"))
    return table


def run(quick: bool) -> list[dict]:
    """The runner's entry point (see benchmarks/__main__.py)."""
    return rows_for("quick" if quick else "full")


def smoke() -> list[dict]:
    """Tiny sizes, for tests/benchmarks/test_bench_smoke.py."""
    return rows_for("smoke")
