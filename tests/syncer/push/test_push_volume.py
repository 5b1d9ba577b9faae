"""Volume and faults: with a fifth of the calls failing, every unsubscribe reaches Salesforce
exactly once; a queue of 10,000 costs the floor of 50 calls (benchmarks/bench_push.py)."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from sfmock.models.faults import install_faults

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "bench_push.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_push", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _bench()


def test_2000_queued_unsubscribes_with_a_fifth_of_calls_failing_are_written_once():
    result = bench.measure(2000, faults=0.2, seed=3)
    assert len(result.writes) == 2000 and set(result.writes.values()) == {1}
    assert result.api_calls > result.batches >= result.floor == 10


@pytest.mark.slow
def test_2000_captured_unsubscribes_each_pushed_at_once_through_faults(empty_org, config):
    """The issue's acceptance test: 2,000 captures, each pushed at once, 20% of calls failing."""
    org = empty_org
    org.add_user(config.username, config.password, config.security_token)
    with bench.Syncer(config, policy=bench.FAST) as syncer:
        record_ids = bench.build_people(org, syncer.store, 2000)
        writes: Counter = Counter()
        org.on_change(lambda sobject, record_id, action, *_: writes.update(
            [record_id] if action == "update" else []))
        faults = install_faults(org, bench.fault_rules(0.2), seed=11)
        states = Counter(syncer.unsubscribe(f"person{i}@example.com", source="link").state
                         for i in range(2000))
        report = syncer.push(wait=5)
        assert syncer.store.list_outbox() == []
    # A capture whose own call kept failing rode along with a later one.
    assert states["failed"] == 0 and states["confirmed"] > 1900
    assert report.ok
    assert sorted(writes) == sorted(record_ids) and set(writes.values()) == {1}
    failed_calls = sum(1 for injected in faults.log if injected.record is None)
    assert 0.15 < failed_calls / faults.calls < 0.25
    assert all(row["HasOptedOutOfEmail"] for sobject in ("Contact", "Lead")
               for row in org.records(sobject))


@pytest.mark.slow
def test_10000_queued_unsubscribes_cost_the_floor_of_50_calls():
    result = bench.measure(10_000)
    assert result.api_calls == result.batches == result.floor == 50
    assert len(result.writes) == 10_000 and set(result.writes.values()) == {1}
