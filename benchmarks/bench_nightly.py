"""The nightly sync at volume against sfmock: API calls, wall time, peak memory.

Scenarios:
- steady (in-process): a 100,000-person org in agreement; 1% changed on each side; one run
  converges it; the next night re-reads what it pushed; a night with nothing changed must
  stay within 5 API calls;
- first: a 1,000,000-row first sync (no watermark, no baselines) over Bulk API 2.0 against
  `sfmock serve --tls` in another process, so the peak RSS measured is the syncer's own.

Run: .venv/bin/python benchmarks/bench_nightly.py [steady|first|all] [people]
The builders here are also used by tests/syncer/nightly/test_nightly_volume.py.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sfmock import ids, mock_salesforce
from sfmock.models.org import Org
from sfmock.models.values import format_datetime
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.config import Config
from syncer.nightly import TYPES, run_nightly, soql_datetime
from syncer.nightly_remote import ClientRemote
from syncer.salesforce import SalesforceClient
from syncer.store import Store

# A Friday, 20:00 in Los Angeles.
START = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
FIELD = "HasOptedOutOfEmail"
FIRST_COUNTER = 20_000_000


class Clock:
    """One settable clock shared by the org and the store."""

    def __init__(self, moment: datetime = START):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def record_id(org: Org, index: int) -> str:
    """The Id of person `index`'s record: even people are Contacts, odd ones Leads."""
    prefix = "003" if index % 2 == 0 else "00Q"
    return ids.make_id(prefix, org.meta["pod"], FIRST_COUNTER + index)


def email(index: int) -> str:
    return f"person{index}@example.com"


def build_org(org: Org, people: int, *, opted_out_every: int, stamp: datetime) -> None:
    """`people` Contacts and Leads straight into the tables (the storage contract)."""
    owner = org.integration_user_id()
    text = format_datetime(stamp)
    batch: dict[str, list[dict]] = {"Contact": [], "Lead": []}
    for i in range(people):
        sobject = "Contact" if i % 2 == 0 else "Lead"
        row = {
            "Id": record_id(org, i), "IsDeleted": 0, "OwnerId": owner, "CreatedDate": text,
            "CreatedById": owner, "LastModifiedDate": text, "LastModifiedById": owner,
            "SystemModstamp": text, "FirstName": "Volume", "LastName": f"Person {i}",
            "Name": f"Volume Person {i}", "Email": email(i),
            FIELD: int(i % opted_out_every == 0), "HasOptedOutOfFax": 0, "DoNotCall": 0,
        }
        if sobject == "Lead":
            row.update(Company="Volume Inc", Status="Open - Not Contacted", IsConverted=0)
        batch[sobject].append(row)
        if len(batch[sobject]) == 20_000:
            _flush(org, sobject, batch[sobject])
    for sobject in TYPES:
        _flush(org, sobject, batch[sobject])
    with org.lock:
        org.meta["counter"] = max(org.meta["counter"], FIRST_COUNTER + people + 1)
        org._save()


def _flush(org: Org, sobject: str, rows: list[dict]) -> None:
    with org.lock:
        org.db[sobject].insert_all(rows, batch_size=5000)
    rows.clear()


def build_store(store: Store, org: Org, people: int, *, opted_out_every: int,
                converged: bool, local_opted_out_every: int | None = None) -> None:
    """The same people in the store: in agreement with a baseline, or unsynced."""
    store.update_settings(nightly_sync=True)
    now = store.now()
    every = local_opted_out_every or opted_out_every
    rows = []
    for i in range(people):
        opted = int(i % every == 0)
        rows.append({
            "email": email(i), "salesforce_id": record_id(org, i),
            "salesforce_type": "Contact" if i % 2 == 0 else "Lead", "opted_out": opted,
            "baseline": opted if converged else None, "baseline_field": FIELD if converged
            else None, "baseline_at": now if converged else None,
            "created_at": now, "updated_at": now,
        })
        if len(rows) == 20_000:
            _insert_people(store, rows)
    _insert_people(store, rows)


def _insert_people(store: Store, rows: list[dict]) -> None:
    with store.transaction():
        store.db["people"].insert_all(rows, batch_size=5000)
    rows.clear()


def record_previous_run(store: Store, watermark: datetime) -> None:
    """A finished run whose watermarks make the next run incremental."""
    run_id = store.start_run("full")
    mark = soql_datetime(watermark)
    store.finish_run(run_id, "ok", watermark=mark,
                     details={"watermarks": {sobject: mark for sobject in TYPES}})


def change_both_sides(org: Org, store: Store, people: int, fraction: float) -> dict:
    """Change `fraction` of the people in Salesforce and another `fraction` here.

    Salesforce: the field flips on every n-th record (alternately an opted-out and a subscribed
    one, so both opt-outs and un-checks happen). Here: every n-th person, offset by half a step,
    is captured as an unsubscribe or resubscribed by an admin.
    """
    step = max(1, round(1 / fraction))
    remote = local = 0
    for k, base in enumerate(range(0, people - 10, step)):
        i = base + (k % 2) * 3
        sobject = "Contact" if i % 2 == 0 else "Lead"
        current = org.get(sobject, record_id(org, i))[FIELD]
        org.update(sobject, record_id(org, i), {FIELD: not current}, check=False)
        remote += 1
    for k, base in enumerate(range(step // 2, people - 10, step)):
        i = base + (k % 2) * 5
        if store.get_person(email(i)).opted_out:
            store.resubscribe(email(i), source="manual", reason="fresh consent on file")
        else:
            store.capture(email(i), opted_out=True, source="link")
        local += 1
    return {"salesforce": remote, "local": local}


def disagreements(org: Org, store: Store) -> int:
    """People whose local value differs from their Salesforce record's."""
    values: dict[str, int] = {}
    for sobject in TYPES:
        with org.lock:
            for sfid, value in org.db.execute(f'SELECT Id, "{FIELD}" FROM "{sobject}"'):
                values[sfid] = value
    count = 0
    for row in store.db.query("SELECT salesforce_id, opted_out FROM people"):
        if values.get(row["salesforce_id"]) != row["opted_out"]:
            count += 1
    return count


@dataclass
class Measure:
    label: str
    api_calls: int
    seconds: float
    status: str
    rss_mb: float

    def line(self) -> str:
        return (f"{self.label}: {self.status}, {self.api_calls} API calls (org-side),"
                f" {self.seconds:.2f} s, peak RSS {self.rss_mb:.0f} MB")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured_run(label: str, org: Org, store: Store, remote) -> tuple[Measure, object]:
    before = org.api_usage()[0]
    started = time.perf_counter()
    report = run_nightly(store, remote, trigger="benchmark")
    elapsed = time.perf_counter() - started
    return Measure(label, org.api_usage()[0] - before, elapsed, report.status,
                   peak_rss_mb()), report


def login(**config) -> ClientRemote:
    """The run's Salesforce side through the syncer's own client."""
    client = SalesforceClient(Config(username=USERNAME, password=PASSWORD, security_token=TOKEN,
                                     **config))
    return ClientRemote(client, bulk_wait=0)


def steady(people: int, folder: Path) -> list[Measure]:
    clock = Clock()
    with mock_salesforce(fixtures=None, clock=clock) as org, \
            Store(folder / "steady.db", clock=clock) as store:
        org.add_user(USERNAME, PASSWORD, TOKEN, last_name="Integration")
        built = START - timedelta(days=2)
        build_org(org, people, opted_out_every=10, stamp=built)
        build_store(store, org, people, opted_out_every=10, converged=True)
        record_previous_run(store, built + timedelta(hours=1))
        clock.advance(hours=-2)
        change_both_sides(org, store, people, 0.01)
        clock.moment = START
        remote = login()
        runs = []
        for label in (f"{people:,} people, 1% changed on each side",
                      "the next night (re-reads the records it pushed)",
                      "a night with nothing changed"):
            measure, report = measured_run(label, org, store, remote)
            print(measure.line())
            print("  ", report.summary().replace("\n", "\n   "))
            assert disagreements(org, store) == 0, "the run did not converge"
            runs.append(measure)
            clock.advance(days=1)
        return runs


def serve(db: Path, folder: Path) -> tuple[subprocess.Popen, str, str]:
    """`sfmock serve --tls` on an org file, in its own process: (process, url, CA path)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sfmock", "serve", "--db", str(db), "--tls", "--port", "0",
         "--cert-dir", str(folder / "certs")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = ca = ""
    while not (url and ca):
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("sfmock serve stopped before it listened")
        url = url or (line.split(" at ", 1)[1].strip() if " serving " in line else "")
        ca = ca or (line.split(":", 1)[1].strip() if line.startswith("CA certificate") else "")
    return process, url, ca


def first_sync(people: int, folder: Path) -> list[Measure]:
    """A first sync over `sfmock serve --tls` in another process, so RSS is the syncer's own."""
    db = folder / "org.db"
    # Built in a child process, so this one's peak RSS is the syncer's alone.
    subprocess.run([sys.executable, __file__, "build-org", str(db), str(people)], check=True)
    pod = Org(db).meta["pod"]
    process, url, ca = serve(db, folder)
    try:
        remote = login(login_url=url, ca_bundle=ca)
        with Store(folder / "first.db") as store:
            # Locally a different ~14% is opted out: the union has to reach both sides.
            build_store(store, _Ids(pod), people, opted_out_every=10,
                        converged=False, local_opted_out_every=7)
            rss_before = peak_rss_mb()
            calls_before = remote.limits()[0]
            started = time.perf_counter()
            report = run_nightly(store, remote, trigger="benchmark")
            elapsed = time.perf_counter() - started
            calls = remote.limits()[0] - calls_before - 1
            measure = Measure(f"first sync of {people:,} rows over sfmock serve --tls", calls,
                              elapsed, report.status, peak_rss_mb())
            print(measure.line(), f"(RSS before the run {rss_before:.0f} MB)")
            print("  ", report.summary().replace("\n", "\n   "))
            remote.client.http.close()
    finally:
        process.terminate()
        process.wait(30)
    check = Org(db)
    try:
        with Store(folder / "first.db") as store:
            assert disagreements(check, store) == 0, "the first sync did not converge"
    finally:
        check.close()
    return [measure]


class _Ids:
    """What record_id needs of an org once the org itself is closed: its pod."""

    def __init__(self, pod: str):
        self.meta = {"pod": pod}


def build_org_file(db: Path, people: int) -> None:
    org = Org(db)
    org.add_user(USERNAME, PASSWORD, TOKEN, last_name="Integration")
    org.set_api_limit(1_000_000)
    build_org(org, people, opted_out_every=10, stamp=datetime.now(UTC) - timedelta(days=30))
    org.close()


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "all"
    if scenario == "build-org":
        build_org_file(Path(sys.argv[2]), int(sys.argv[3]))
        return
    with tempfile.TemporaryDirectory() as folder:
        if scenario in ("steady", "all"):
            people = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
            steady(people, Path(folder))
        if scenario in ("first", "all"):
            people = int(sys.argv[2]) if len(sys.argv) > 2 and scenario == "first" else 1_000_000
            first_sync(people, Path(folder))


if __name__ == "__main__":
    main()


