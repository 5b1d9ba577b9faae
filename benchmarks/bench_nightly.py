"""The nightly sync at volume against sfmock: API calls, wall time, peak memory.

Scenarios:
- steady (in-process): an org in agreement (10,000, 100,000 or 1,000,000 people); 1% changed
  on each side; one run converges it; the next night re-reads what it pushed; and, in a fresh
  process on a fresh copy, a night with nothing changed, which must stay within 5 API calls;
- first: a first sync (no watermark, no baselines) over Bulk API 2.0 against
  `sfmock serve --tls` in another process, so the peak RSS measured is the syncer's own.

Each measured scenario runs in its own process (peak RSS from resource.getrusage is the
scenario's own); the org and the store are SQLite files, built once in another process with
bulk inserts and cached under benchmarks/results/cache/ (keyed by the size and the builders'
source), then copied for each scenario.

Run: .venv/bin/python -m benchmarks.bench_nightly [steady|first|all] [people]
or through the runner (python -m benchmarks --only nightly): `run(quick)` and `smoke()`.
The builders here are also used by tests/syncer/nightly/test_nightly_volume.py.
"""

from __future__ import annotations

import hashlib
import json
import resource
import shutil
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
from syncer.nightly.remote import ClientRemote
from syncer.salesforce import SalesforceClient
from syncer.store import Store

# A Friday, 20:00 in Los Angeles.
START = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
FIELD = "HasOptedOutOfEmail"
FIRST_COUNTER = 20_000_000
CACHE = Path(__file__).resolve().parent / "results" / "cache"
ROOT = Path(__file__).resolve().parents[1]
# Steps run in a child process as `python -m benchmarks.bench_nightly STEP ...` from the root.
SELF = (sys.executable, "-m", "benchmarks.bench_nightly")
BUILDERS = ("benchmarks/bench_nightly.py", "sfmock/models/org.py", "syncer/store/schema.py")


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
    for person in store.iter_people(batch=20_000):
        if values.get(person.salesforce_id) != person.opted_out:
            count += 1
    return count


@dataclass
class Measure:
    label: str
    api_calls: int
    seconds: float
    status: str
    rss_mb: float
    local_s: float | None = None  # outside the Remote: the syncer's own work
    floor_s: float | None = None  # SQLite writing and reading the same rows

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


def build_steady(people: int, folder: Path) -> None:
    """A converged org (org.db) and store (steady.db) of `people`, as of the last run."""
    clock = Clock()
    org = Org(folder / "org.db", clock=clock)
    org.add_user(USERNAME, PASSWORD, TOKEN, last_name="Integration")
    org.set_api_limit(10_000_000)
    built = START - timedelta(days=2)
    build_org(org, people, opted_out_every=10, stamp=built)
    org.close()
    with Store(folder / "steady.db", clock=clock) as store:
        build_store(store, _Ids(_pod(folder / "org.db")), people, opted_out_every=10,
                    converged=True)
        record_previous_run(store, built + timedelta(hours=1))


def prepared(kind: str, people: int, folder: Path, cache: Path | None) -> None:
    """`kind`'s files for `people` in `folder`: copied from the cache, else built (in a child
    process, so the measuring process's peak RSS is not the build's) and cached."""
    source = CACHE if cache is None else cache
    digest = hashlib.sha1(b"".join((ROOT / name).read_bytes() for name in BUILDERS))
    cached = source / f"{kind}-{people}-{digest.hexdigest()[:10]}"
    if not cached.is_dir():
        building = cached.with_name(cached.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        subprocess.run([*SELF, f"build-{kind}", str(building), str(people)],
                       check=True, cwd=ROOT)
        for stale in source.glob(f"{kind}-{people}-*"):  # built by older builders
            if stale != building:
                shutil.rmtree(stale, ignore_errors=True)
        building.rename(cached)
    for path in cached.glob("*.db"):
        shutil.copyfile(path, folder / path.name)


def steady_changed(people: int, folder: Path) -> list[Measure]:
    """1% changed on each side, one run, then the next night: on copies in `folder`."""
    clock = Clock()
    with mock_salesforce(fixtures=None, db_path=folder / "org.db", clock=clock) as org, \
            Store(folder / "steady.db", clock=clock) as store:
        clock.advance(hours=-2)
        change_both_sides(org, store, people, 0.01)
        clock.moment = START
        remote = login()
        runs = []
        for label in ("1% changed on each side", "the next night (re-reads what it pushed)"):
            measure, report = measured_run(label, org, store, remote)
            print(measure.line())
            print("  ", report.summary().replace("\n", "\n   "))
            runs.append(measure)
            clock.advance(days=1)
        assert disagreements(org, store) == 0, "the run did not converge"
        return runs


def steady_unchanged(people: int, folder: Path) -> list[Measure]:
    """A night with nothing changed since the last run, on copies in `folder`."""
    clock = Clock()
    with mock_salesforce(fixtures=None, db_path=folder / "org.db", clock=clock) as org, \
            Store(folder / "steady.db", clock=clock) as store:
        measure, report = measured_run("nothing changed", org, store, login())
        print(measure.line())
        if report.status != "ok" or report.pulled or report.pushed_local \
                or report.pushed_remote:
            raise RuntimeError(f"a night with nothing changed did work: {report.summary()}")
        return [measure]


def steady(people: int, folder: Path) -> list[Measure]:
    """Both steady scenarios (no cache, one process): the command line's `steady`."""
    runs = []
    for scenario in (steady_changed, steady_unchanged):
        prepared("steady", people, folder, folder / "cache")
        runs += scenario(people, folder)
    return runs


def in_child(scenario: str, people: int, cache: Path | None) -> list[dict]:
    """Run a scenario in a fresh process on fresh copies; its Measures as dicts."""
    with tempfile.TemporaryDirectory(prefix="bench-nightly-") as scratch:
        folder = Path(scratch)
        if scenario.startswith("steady"):
            prepared("steady", people, folder, cache)
        out = folder / "measures.json"
        subprocess.run([*SELF, scenario, str(people), str(folder),
                        str(out)], check=True, cwd=ROOT)
        return json.loads(out.read_text())


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
    from benchmarks.local_share import TimedRemote, sqlite_floor  # not importable in tests

    db = folder / "org.db"
    if not db.exists():  # built in a child process, so this one's peak RSS is the syncer's
        subprocess.run([*SELF, "build-first", str(folder), str(people)],
                       check=True, cwd=ROOT)
    pod = _pod(db)
    process, url, ca = serve(db, folder)
    try:
        remote = TimedRemote(login(login_url=url, ca_bundle=ca))
        with Store(folder / "first.db") as store:
            # Locally a different ~14% is opted out: the union has to reach both sides.
            build_store(store, _Ids(pod), people, opted_out_every=10,
                        converged=False, local_opted_out_every=7)
            rss_before = peak_rss_mb()
            calls_before = remote.limits()[0]
            remote.seconds = 0.0
            started = time.perf_counter()
            report = run_nightly(store, remote, trigger="benchmark")
            elapsed = time.perf_counter() - started
            calls = remote.limits()[0] - calls_before - 1
            measure = Measure(f"first sync of {people:,} rows over sfmock serve --tls", calls,
                              elapsed, report.status, peak_rss_mb(),
                              local_s=elapsed - remote.seconds)
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
    floor = sqlite_floor(folder / "first.db", "people", folder)
    measure.floor_s = floor["write"] + floor["read"]
    print(f"  local share {measure.local_s:.2f} s; SQLite's floor for the same "
          f"{floor['rows']:,} rows: write {floor['write']:.2f} s + read {floor['read']:.2f} s")
    return [measure]


def _pod(db: Path) -> str:
    org = Org(db)
    try:
        return org.meta["pod"]
    finally:
        org.close()


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


def rows(sizes: tuple[int, ...], first: int, cache: Path | None = None) -> list[dict]:
    """The runner's rows: steady nights at each size, then a first sync of `first` rows."""
    out: list[dict] = []
    smallest: dict[str, dict] = {}
    for people in sizes:
        changed = in_child("steady-changed", people, cache)
        unchanged = in_child("steady-unchanged", people, cache)
        changes = round(people * 0.01) * 2
        cases = [(f"{people:,} people, 1% changed on each side ({changes:,} changes)",
                  changed[0]),
                 (f"{people:,} people, the next night (re-reads what it pushed)", changed[1]),
                 (f"{people:,} people, nothing changed", unchanged[0])]
        for (case, m), key in zip(cases, ("changed", "next", "unchanged"), strict=True):
            first_size = smallest.setdefault(key, {**m, "people": people})
            scale = f"the {first_size['people']:,}-person org (this org is " \
                    f"{people // first_size['people']:,}x)"
            for metric, value, unit in (("API calls", m["api_calls"], "calls"),
                                        ("wall time", round(m["seconds"], 3), "s"),
                                        ("peak memory", round(m["rss_mb"]), "MiB")):
                if key == "next" and metric == "peak memory":
                    continue  # the same process as the 1% run: its peak is that run's
                row = {"benchmark": "nightly", "case": case, "metric": metric, "value": value,
                       "unit": unit}
                if metric == "API calls" and people != first_size["people"]:
                    base = first_size["api_calls"]
                    row.update(baseline=base, ratio=round(value / base, 2),
                               note=f"baseline: {scale}")
                if metric == "API calls" and key == "unchanged":  # issue 18: one call
                    row.update(target="<= 1 call", met=value <= 1)
                if metric == "peak memory":
                    row["note"] = "process RSS (getrusage): syncer and in-process org, " \
                                  "SQLite files"
                out.append(row)
        out.append({"benchmark": "nightly", "case": cases[0][0],
                    "metric": "API calls per 1,000 changes",
                    "value": round(changed[0]["api_calls"] * 1000 / changes, 2),
                    "unit": "calls", "note": "compare across sizes: the cost follows the changes"})
    with tempfile.TemporaryDirectory(prefix="bench-first-") as scratch:
        folder = Path(scratch)
        prepared("first", first, folder, cache)
        out_file = folder / "measures.json"
        subprocess.run([*SELF, "first-measure", str(first), str(folder),
                        str(out_file)], check=True, cwd=ROOT)
        m = json.loads(out_file.read_text())[0]
    from benchmarks.floors import floor_row  # not importable in tests

    case = f"first sync of {first:,} rows, Bulk API 2.0, sfmock serve --tls in its own process"
    wall = {"benchmark": "nightly", "case": case, "metric": "wall time",
            "value": round(m["seconds"], 2), "unit": "s"}
    memory = {"benchmark": "nightly", "case": case, "metric": "peak memory",
              "value": round(m["rss_mb"]), "unit": "MiB",
              "note": "the syncer's process RSS (getrusage)"}
    if first >= 1_000_000:  # issue 18's targets are for the 1,000,000-row sync
        wall.update(target="< 15 s", met=m["seconds"] < 15)
        memory.update(target="< 256 MiB", met=m["rss_mb"] < 256)
    out += [
        wall,
        {"benchmark": "nightly", "case": case, "metric": "API calls", "value": m["api_calls"],
         "unit": "calls"},
        memory,
        floor_row("nightly", case, "the syncer's local share (wall time outside its Remote)",
                  m["local_s"], m["floor_s"], "s", target=2.0,
                  floor_is="SQLite writing the same people rows (same schema, indexes and "
                           "page size, one transaction) and reading them back"),
    ]
    return out


def run(quick: bool) -> list[dict]:
    if quick:
        return rows((10_000, 100_000), 100_000)
    return rows((10_000, 100_000, 1_000_000), 1_000_000)


def smoke() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-nightly-smoke-") as cache:
        return rows((1_000,), 500, cache=Path(cache))


def _measured(scenario, people: int, folder: Path, out: Path) -> None:
    measures = scenario(people, folder)
    out.write_text(json.dumps([vars(m) for m in measures]))


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "all"
    if scenario in ("build-org", "build-first"):
        target = Path(sys.argv[2])
        build_org_file(target / "org.db" if scenario == "build-first" else target,
                       int(sys.argv[3]))
        return
    if scenario == "build-steady":
        build_steady(int(sys.argv[3]), Path(sys.argv[2]))
        return
    measured = {"steady-changed": steady_changed, "steady-unchanged": steady_unchanged,
                "first-measure": first_sync}
    if scenario in measured:
        _measured(measured[scenario], int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
        return
    with tempfile.TemporaryDirectory() as folder:
        if scenario in ("steady", "all"):
            people = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
            steady(people, Path(folder))
        if scenario in ("first", "all"):
            people = int(sys.argv[2]) if len(sys.argv) > 2 and scenario == "first" else 1_000_000
            (Path(folder) / "first").mkdir()
            first_sync(people, Path(folder) / "first")


if __name__ == "__main__":
    main()
