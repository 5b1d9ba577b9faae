"""API calls and wall time to push queued unsubscribes, in-process against sfmock; against a
naive baseline; and the latency of lone unsubscribes from capture to the Salesforce field.

Scenario: N people (half Contacts, half Leads, interleaved) each have an unsubscribe waiting
in the outbox (captured with push=False, e.g. while Salesforce was unreachable); one
`Syncer.push()` drains them. The floor is N/200 calls (sObject Collections, 200 records a call;
Contacts and Leads share calls). With `--faults 0.2` a fifth of the data calls fail (5xx,
dropped connections, expired sessions) and a few records are locked; every record is checked
to be written exactly once.

Baseline: the same queue pushed naively, one simple-salesforce `sf.Contact.update` /
`sf.Lead.update` PATCH per record. Latency: lone unsubscribes one after another, each timed
from `Syncer.unsubscribe` (capture and push) until the org's record has the field set, both
in-process (mock_salesforce) and over HTTPS (`sfmock.server.Server` in a thread).

Run: .venv/bin/python benchmarks/bench_push.py [people] [--faults FRACTION]
or through the runner (python -m benchmarks --only push): `run(quick)` and `smoke()`.
The builders here are also used by tests/syncer/core/test_push_volume.py.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from simple_salesforce import Salesforce

from sfmock import mock_salesforce
from sfmock.models.faults import install_faults
from sfmock.models.org import Org
from sfmock.server import Server
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.config import Config
from syncer.retry import RetryPolicy
from syncer.service import Syncer
from syncer.store import Store

FAST = RetryPolicy(call_wait=0.001, call_wait_max=0.005, retry_wait=0.001,
                   retry_wait_max=0.005, capture_wait=0.05)


def build_people(org: Org, store: Store, people: int) -> list[str]:
    """`people` Contacts and Leads in the org, linked people in the store; their IDs."""
    record_ids = []
    with org.lock, org.db.atomic():
        for i in range(people):
            email = f"person{i}@example.com"
            if i % 2 == 0:
                data = {"LastName": f"Person {i}", "Email": email}
                record_ids.append(org.insert("Contact", data, check=False))
            else:
                data = {"LastName": f"Person {i}", "Company": "Volume Inc", "Email": email}
                record_ids.append(org.insert("Lead", data, check=False))
    with store.transaction():
        for i, record_id in enumerate(record_ids):
            store.upsert_person(f"person{i}@example.com", salesforce_id=record_id,
                                source="import")
    return record_ids


def queue_unsubscribes(syncer: Syncer, people: int) -> None:
    """An unsubscribe per person, captured without pushing (they wait in the outbox)."""
    with syncer.store.transaction():
        for i in range(people):
            syncer.unsubscribe(f"person{i}@example.com", source="link", push=False)


def fault_rules(fraction: float) -> list[dict]:
    """Rules that fail about `fraction` of data calls: 5xx, dropped connections, expired
    sessions, plus a locked row now and then."""
    share = 1 - (1 - fraction) ** (1 / 4)  # four rules tried in turn fail `fraction` in all
    return [
        {"fault": "503", "probability": share},
        {"fault": "500", "probability": share},
        {"fault": "drop", "probability": share},
        {"fault": "INVALID_SESSION_ID", "probability": share},
        {"fault": "UNABLE_TO_LOCK_ROW", "scope": "record", "probability": 0.01},
    ]


@dataclass
class Result:
    people: int
    api_calls: int
    batches: int
    seconds: float
    writes: Counter

    @property
    def floor(self) -> int:
        return math.ceil(self.people / 200)


def measure(people: int, faults: float = 0.0, seed: int = 7,
            folder: str | None = None) -> Result:
    with tempfile.TemporaryDirectory() as scratch, mock_salesforce(fixtures=None) as org:
        org.add_user(USERNAME, PASSWORD, TOKEN)
        db = Path(folder or scratch) / "syncer.db"
        config = Config(db=str(db), username=USERNAME, password=PASSWORD,
                        security_token=TOKEN)
        with Syncer(config, policy=FAST) as syncer:
            build_people(org, syncer.store, people)
            queue_unsubscribes(syncer, people)
            writes: Counter = Counter()
            org.on_change(lambda sobject, record_id, action, *_: writes.update(
                [record_id] if action == "update" else []))
            if faults:
                install_faults(org, fault_rules(faults), seed=seed)
            started = time.perf_counter()
            report = syncer.push(wait=60.0)
            seconds = time.perf_counter() - started
            if report.pending or report.failed or report.error:
                raise SystemExit(f"push did not finish: {report}")
            return Result(people, report.api_calls, report.batches, seconds, writes)


def naive(people: int) -> tuple[int, float]:
    """The baseline: each record PATCHed on its own (`sf.Contact.update`); (API calls, s)."""
    with tempfile.TemporaryDirectory() as scratch, mock_salesforce(fixtures=None) as org:
        org.add_user(USERNAME, PASSWORD, TOKEN)
        with Store(Path(scratch) / "syncer.db") as store:
            record_ids = build_people(org, store, people)
        sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
        before = org.api_usage()[0]
        started = time.perf_counter()
        for i, record_id in enumerate(record_ids):
            sobject = sf.Contact if i % 2 == 0 else sf.Lead
            sobject.update(record_id, {"HasOptedOutOfEmail": True})
        seconds = time.perf_counter() - started
        calls = org.api_usage()[0] - before
        done = sum(1 for i, record_id in enumerate(record_ids)
                   if org.get("Contact" if i % 2 == 0 else "Lead", record_id)
                   ["HasOptedOutOfEmail"])
        if done != people:
            raise SystemExit(f"the naive baseline wrote {done} of {people} records")
        return calls, seconds


def latencies(people: int, server_mode: bool) -> list[float]:
    """Milliseconds from capture to the field being set in the org, per lone unsubscribe."""
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        folder = Path(scratch)
        settings = {}
        if server_mode:
            org = Org(folder / "org.db")
            stack.callback(org.close)
            server = stack.enter_context(Server(org, "127.0.0.1", 0, tls=True,
                                                cert_dir=folder / "certs", log_requests=False))
            settings = {"login_url": server.url, "ca_bundle": str(server.ca_path)}
        else:
            org = stack.enter_context(mock_salesforce(fixtures=None))
        org.add_user(USERNAME, PASSWORD, TOKEN)
        config = Config(db=str(folder / "syncer.db"), username=USERNAME, password=PASSWORD,
                        security_token=TOKEN, **settings)
        with Syncer(config, policy=FAST) as syncer:
            record_ids = build_people(org, syncer.store, people + 1)
            syncer.unsubscribe(f"person{people}@example.com", source="link")  # log in
            out = []
            for i in range(people):
                started = time.perf_counter()
                outcome = syncer.unsubscribe(f"person{i}@example.com", source="link")
                record = org.get("Contact" if i % 2 == 0 else "Lead", record_ids[i])
                out.append((time.perf_counter() - started) * 1000)
                if not (outcome.reached_salesforce and record["HasOptedOutOfEmail"]):
                    raise SystemExit(f"unsubscribe {i} did not reach Salesforce: {outcome}")
            return out


def percentile(values: list[float], p: int) -> float:
    """The p-th percentile (inclusive method); the largest value for p=100."""
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def baseline_rows(people: int, lone: int) -> list[dict]:
    """The batched pusher against the naive one, and lone-unsubscribe latency."""
    result = measure(people)
    calls, seconds = naive(people)
    case = f"{people:,} queued unsubscribes, naive baseline vs batched pusher"
    out = [
        {"benchmark": "push", "case": case, "metric": "API calls (batched)",
         "value": result.api_calls, "unit": "calls", "baseline": calls,
         "ratio": round(calls / result.api_calls, 1),
         "note": "baseline: one sf.Contact/Lead.update PATCH per record (org-side count); "
                 "ratio = baseline/batched"},
        {"benchmark": "push", "case": case, "metric": "wall time (batched)",
         "value": round(result.seconds, 3), "unit": "s", "baseline": round(seconds, 3),
         "ratio": round(seconds / result.seconds, 1),
         "note": "in-process; ratio = baseline/batched"},
    ]
    for mode, server_mode in (("in-process", False), ("server mode (HTTPS)", True)):
        values = latencies(lone, server_mode)
        for p in (50, 99):
            out.append({"benchmark": "push",
                        "case": f"{lone:,} lone unsubscribes, {mode}",
                        "metric": f"p{p} capture to Salesforce field",
                        "value": round(percentile(values, p), 2), "unit": "ms",
                        "note": "Syncer.unsubscribe then the org's record checked"})
    return out


def rows(people: int, faulty: int) -> list[dict]:
    """The runner's rows: a clean queue of `people`, and `faulty` through 20% failing calls."""
    out = []
    for size, faults in ((people, 0.0), (faulty, 0.2)):
        result = measure(size, faults)
        once = sum(1 for n in result.writes.values() if n == 1)
        case = f"{size:,} queued unsubscribes" + (", 20% of calls failing" if faults else "")
        out += [
            {"benchmark": "push", "case": case, "metric": "API calls", "value": result.api_calls,
             "unit": "calls", "baseline": result.floor,
             "ratio": round(result.api_calls / result.floor, 3),
             "note": f"baseline: the floor of {size:,}/200 Collections calls; ratio = calls/floor",
             **({} if faults else {"target": "ratio <= 1.02x",
                                   "met": result.api_calls <= 1.02 * result.floor})},
            {"benchmark": "push", "case": case, "metric": "records written exactly once",
             "value": once, "unit": "records", "baseline": size,
             "note": "counted on the org's side (Org.on_change); must equal the baseline"},
            {"benchmark": "push", "case": case, "metric": "wall time",
             "value": round(result.seconds, 3), "unit": "s"},
        ]
    return out


def run(quick: bool) -> list[dict]:
    if quick:
        return rows(2_000, 2_000) + baseline_rows(1_000, 100)
    return rows(10_000, 2_000) + baseline_rows(10_000, 300)


def smoke() -> list[dict]:
    return rows(400, 200) + baseline_rows(100, 10)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("people", nargs="?", type=int, default=10_000)
    parser.add_argument("--faults", type=float, default=0.0,
                        help="fraction of data calls that fail (e.g. 0.2)")
    args = parser.parse_args(argv)
    result = measure(args.people, args.faults)
    once = sum(1 for n in result.writes.values() if n == 1)
    print(f"{result.people} queued unsubscribes pushed in {result.api_calls} API calls"
          f" ({result.batches} Collections calls; floor {result.floor}),"
          f" {result.seconds:.1f} s; written exactly once: {once}/{result.people}")


if __name__ == "__main__":
    main(sys.argv[1:])
