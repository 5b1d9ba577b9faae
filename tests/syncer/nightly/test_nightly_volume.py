"""A 100,000-person org: a night with 1% changed on each side converges; a quiet night is cheap."""

from __future__ import annotations

import importlib.util
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from syncer.nightly import run_nightly

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "bench_nightly.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_nightly", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_a_100k_org_converges_and_a_quiet_night_costs_at_most_5_calls(clocked, clock):
    bench = _bench()
    org, store, remote = clocked
    people = 100_000
    built = clock() - timedelta(days=2)
    bench.build_org(org, people, opted_out_every=10, stamp=built)
    bench.build_store(store, org, people, opted_out_every=10, converged=True)
    bench.record_previous_run(store, built + timedelta(hours=1))
    clock.advance(hours=-2)
    changed = bench.change_both_sides(org, store, people, 0.01)
    assert changed == {"salesforce": 1000, "local": 1000}
    clock.advance(hours=2)
    before = org.api_usage()[0]
    report = run_nightly(store, remote)
    assert report.status == "ok" and report.mode == "incremental", report.summary()
    assert bench.disagreements(org, store) == 0
    assert store.list_outbox() == []
    assert org.api_usage()[0] - before == report.api_calls < 20  # batches of 200, not per person
    for _ in range(2):  # the next night re-reads what it pushed; the one after has nothing
        clock.advance(days=1)
        before = org.api_usage()[0]
        report = run_nightly(store, remote)
        assert report.status == "ok" and report.pushed_remote == report.pushed_local == 0
        assert org.api_usage()[0] - before <= 5
    assert report.pulled == 0
