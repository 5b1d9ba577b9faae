"""The stream benchmark at smoke size: the three modes side by side, in the order they promise."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_stream.py"


def test_cdc_beats_polling_beats_nightly_and_idle_polling_costs_288_calls_a_day():
    spec = importlib.util.spec_from_file_location("bench_smoke_stream", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    rows = {(r["case"], r["metric"]): r["value"] for r in module.smoke()}
    cdc, polling, nightly = "CDC (Pub/Sub API)", "polling every 5 min", "nightly only"
    assert rows[cdc, "API calls per idle day"] == 0
    assert rows[polling, "API calls per idle day"] == 288  # one Composite call a poll
    assert rows[cdc, "latency p99"] < 2.0
    assert 150 <= rows[polling, "latency p50"] < 151
    for metric in ("latency p50", "latency p99"):
        assert rows[cdc, metric] < rows[polling, metric] < rows[nightly, metric]
