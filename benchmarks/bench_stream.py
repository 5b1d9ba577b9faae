"""How fast a Salesforce-side opt-out reaches the syncer, and what an idle day costs in API
calls, for the three modes side by side: CDC (the Pub/Sub API), 5-minute polling, nightly only.

In-process (`mock_salesforce(pubsub=True)`), the default org plus one new Contact per change,
each with its person linked in the syncer's store.
Each change is an opt-out ticked on a Contact (`org.update`, a committed change that publishes
its change event); its latency runs from that commit to the person's opt-out being in the
store (polled every 5 ms).

- CDC: measured end to end, N changes one after another. Idle cost: the org's API counter
  over an idle window with the subscription open (keep-alives every 0.5 s), scaled to a day.
- Polling: the latency of a real poll is the wait for the next poll plus the poll's own apply
  time. A 5-minute wait cannot be run honestly in a benchmark, so the poll's apply time is
  measured (a poll that finds the change, N times) and the expected latency for a 5-minute
  interval is reported as interval/2 + measured apply time (p50) and 0.99 x interval + apply
  time (p99): a change lands at a uniformly random moment of the interval. Idle cost: the
  org's API counter for idle polls (one Composite call each, measured) x 288 polls a day.
- Nightly only: a change waits for the next 20:00 run; landing at a uniformly random moment of
  the day it waits 12 h (p50) or 23.76 h (p99), plus the measured run time of an incremental
  run that finds it. Idle cost: the measured calls of an incremental run with nothing changed.

Run: .venv/bin/python -m benchmarks --only stream, or `run(quick)` / `smoke()`.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

from sfmock import mock_salesforce
from sfmock.models.cdc import cdc
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.config import Config
from syncer.retry import RetryPolicy
from syncer.service import Syncer

DAY = 86_400.0
POLL = 300.0  # the polling interval reported on: 5 minutes
NAME = "stream"
FAST = RetryPolicy(call_wait=0.001, call_wait_max=0.005, retry_wait=0.001,
                   retry_wait_max=0.005, capture_wait=0.05)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _wait(condition, timeout: float = 10.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise RuntimeError("the change was not applied in time")
        time.sleep(0.005)


class Bench:
    """One in-process org with its Pub/Sub API, a syncer on it, and its subscribed people."""

    def __init__(self, folder: Path, people: int):
        self.mock = mock_salesforce(pubsub=True, pubsub_keepalive=0.5)
        self.org = self.mock.__enter__()
        cdc(self.org).select(["Contact", "Lead"])
        config = Config(db=str(folder / "syncer.db"), username=USERNAME, password=PASSWORD,
                        security_token=TOKEN, pubsub_endpoint=self.mock.pubsub.target,
                        ca_bundle=str(self.mock.pubsub.ca_path))
        self.syncer = Syncer(config, policy=FAST)
        self.free = []
        for i in range(people):
            email = f"stream{i}@example.com"
            self.free.append((email, self.org.insert(
                "Contact", {"LastName": f"Stream {i}", "Email": email}, check=False)))
        for email, record_id in self.free:
            self.syncer.store.upsert_person(email, salesforce_id=record_id, source="import")

    def close(self) -> None:
        self.syncer.close()
        self.mock.__exit__(None, None, None)

    def calls(self) -> int:
        return self.org.api_usage()[0]

    def tick(self) -> tuple[str, float]:
        """Opt out the next subscribed Contact in Salesforce: its email and commit time."""
        email, record_id = self.free.pop()
        self.org.update("Contact", record_id, {"HasOptedOutOfEmail": True})
        return email, time.perf_counter()

    def applied(self, email: str) -> bool:
        return self.syncer.store.get_person(email).opted_out


def _cdc(bench: Bench, changes: int, idle: float) -> dict:
    bench.syncer.settings(cdc=True, poll_minutes=0)
    stream = bench.syncer.stream()
    stop = threading.Event()
    worker = threading.Thread(target=stream.run, args=(stop,), daemon=True)
    worker.start()
    _wait(lambda: bench.syncer.store.stream_state().get("replay_id"))
    latencies = []
    for _ in range(changes):
        email, committed = bench.tick()
        _wait(lambda e=email: bench.applied(e))
        latencies.append(time.perf_counter() - committed)
    before = bench.calls()
    time.sleep(idle)
    idle_calls = bench.calls() - before
    stop.set()
    worker.join(10)
    bench.syncer.settings(cdc=False)
    return {"p50": _percentile(latencies, 0.5), "p99": _percentile(latencies, 0.99),
            "per_day": idle_calls * DAY / idle}


def _polling(bench: Bench, changes: int, idle_polls: int) -> dict:
    poller = bench.syncer.stream().poller
    poller.poll()  # logs in, sets the watermarks
    applies = []
    for _ in range(changes):
        email, committed = bench.tick()
        started = time.perf_counter()
        poller.poll()
        applies.append(time.perf_counter() - started)
        if not bench.applied(email):
            raise RuntimeError("a poll did not apply the change it read")
    before = bench.calls()
    for _ in range(idle_polls):
        poller.poll()
    per_poll = (bench.calls() - before) / idle_polls
    return {"p50": POLL / 2 + _percentile(applies, 0.5),
            "p99": 0.99 * POLL + _percentile(applies, 0.99),
            "per_day": per_poll * DAY / POLL, "per_poll": per_poll,
            "apply_p50": _percentile(applies, 0.5)}


def _nightly(bench: Bench) -> dict:
    bench.syncer.settings(nightly_sync=True)
    bench.syncer.nightly()  # the first run is full; the ones measured are incremental
    email, _ = bench.tick()
    started = time.perf_counter()
    report = bench.syncer.nightly()
    run_seconds = time.perf_counter() - started
    if not bench.applied(email) or report.mode != "incremental":
        raise RuntimeError(f"the nightly run did not apply the change ({report.status})")
    before = bench.calls()
    bench.syncer.nightly()
    idle_calls = bench.calls() - before
    return {"p50": DAY / 2 + run_seconds, "p99": 0.99 * DAY + run_seconds,
            "per_day": float(idle_calls), "run": run_seconds}


def measure(changes: int, idle: float, idle_polls: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as folder:
        bench = Bench(Path(folder), people=2 * changes + 1)
        try:
            modes = {"CDC (Pub/Sub API)": _cdc(bench, changes, idle),
                     "polling every 5 min": _polling(bench, changes, idle_polls),
                     "nightly only": _nightly(bench)}
        finally:
            bench.close()
    polling, nightly = modes["polling every 5 min"], modes["nightly only"]
    notes = {
        "CDC (Pub/Sub API)": f"measured end to end, {changes} changes; idle calls counted by"
                             f" sfmock over {idle:g} s with the subscription open, scaled to a"
                             " day",
        "polling every 5 min": f"interval/2 (p50) or 0.99 x interval (p99) plus the measured"
                               f" apply time of a poll ({polling['apply_p50'] * 1000:.1f} ms"
                               f" p50); idle calls measured per poll ({polling['per_poll']:g})"
                               " x 288 polls",
        "nightly only": f"12 h (p50) or 23.76 h (p99) of waiting for 20:00, plus the measured"
                        f" incremental run ({nightly['run']:.2f} s); idle calls of one"
                        " incremental run that found nothing",
    }
    rows = []
    for mode, figures in modes.items():
        for metric, key, unit in (("API calls per idle day", "per_day", "calls/day"),
                                  ("latency p50", "p50", "s"), ("latency p99", "p99", "s")):
            rows.append({"benchmark": NAME, "case": mode, "metric": metric,
                         "value": round(figures[key], 4), "unit": unit, "note": notes[mode]})
    return rows


def run(quick: bool) -> list[dict]:
    return measure(changes=10 if quick else 25, idle=2.0 if quick else 5.0,
                   idle_polls=3 if quick else 10)


def smoke() -> list[dict]:
    return measure(changes=3, idle=1.0, idle_polls=2)


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(f"{row['case']:<22} {row['metric']:<24} {row['value']:>14,.3f} {row['unit']}")
