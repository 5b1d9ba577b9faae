"""The benchmark suite at tiny sizes (so its code cannot rot), and the runner's contract."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"


def load(name: str):
    """A module of benchmarks/ by file (the folder is not an installed package)."""
    spec = importlib.util.spec_from_file_location(f"bench_smoke_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


runner = load("__main__")
peer = load("peer_mockforce")


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmarks", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow  # every benchmark module in its own process
def test_every_benchmark_runs_at_smoke_size(tmp_path):
    out = tmp_path / "smoke.json"
    done = bench("--smoke", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())
    assert report["size"] == "smoke" and report["machine"]["cpus"] >= 1
    modules = {m["name"]: m for m in report["modules"]}
    assert set(modules) == {p.stem for p in BENCHMARKS.glob("bench_*.py")}
    for module in modules.values():
        assert module["status"] == "ok", module
        assert module["peak_rss_mib"] > 0
    emulator = modules["bench_emulator"]
    assert emulator["status"] == "ok"
    peer_rows = [r for r in emulator["rows"] if r["metric"].startswith("throughput")]
    assert [r["case"].split(" ")[0] for r in peer_rows] == ["query_all", "query_all", "update"]
    for name in ("bulk2", "emulator", "hotpaths", "nightly", "push", "soql"):  # issue 18's
        assert any("target" in r for r in modules[f"bench_{name}"]["rows"]), name
    floors = [r for m in modules.values() for r in m["rows"]
              if r.get("note", "").startswith("floor:")]
    assert {r["benchmark"] for r in floors} >= {"emulator", "soql", "hotpaths", "bulk2",
                                                "nightly"}
    for row in floors:
        assert row["value"] > 0 and row["baseline"] > 0
        assert row["ratio"] == pytest.approx(row["value"] / row["baseline"], rel=0.02)
    hotpaths = {r["case"].split(":")[0] for r in modules["bench_hotpaths"]["rows"]}
    assert hotpaths == {"in-process", "server mode"}
    for row in peer_rows:
        assert row["value"] > 0 and row["unit"] in ("rows/s", "records/s")
        assert "simple-mockforce" in row["note"]
        if "baseline" in row:  # the peer's venv exists on this machine
            assert row["ratio"] == pytest.approx(row["value"] / row["baseline"], rel=0.02)
    assert "| emulator | query_all 400 rows" in done.stdout
    push = {(r["case"], r["metric"]): r for r in modules["bench_push"]["rows"]}
    calls = push["100 queued unsubscribes, naive baseline vs batched pusher",
                 "API calls (batched)"]
    assert calls["baseline"] >= 100 > calls["value"]
    for mode in ("in-process", "server mode (HTTPS)"):
        p50, p99 = (push[f"10 lone unsubscribes, {mode}", f"p{p} capture to Salesforce field"]
                    for p in (50, 99))
        assert 0 < p50["value"] <= p99["value"]
    nightly = {(r["case"], r["metric"]): r["value"] for r in modules["bench_nightly"]["rows"]}
    assert nightly["1,000 people, nothing changed", "API calls"] < 5
    assert nightly["1,000 people, nothing changed", "peak memory"] > 0
    assert any(case.startswith("first sync of 500 rows") for case, _ in nightly)


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / f"bench_{name}.py"
    path.write_text(source)
    return path


ROW = '{"benchmark": "b", "case": "c", "metric": "m", "value": 1.5, "unit": "s"}'


@pytest.mark.parametrize(("source", "status", "detail"), [
    (f"def run(quick):\n    return [{ROW}]\n", "ok", ""),
    ("X = 1\n", "not runnable", "no run(quick: bool)"),
    ("def run(rows):\n    return []\n", "not runnable", "its run(rows) is not run(quick: bool)"),
    ("def run(quick):\n    raise ValueError('no org')\n", "failed", "ValueError: no org"),
    ("def run(quick):\n    raise SystemExit('push did not finish')\n", "failed",
     "SystemExit: push did not finish"),
    ("def run(quick):\n    return [{'benchmark': 'b'}]\n", "failed", "row 0 has no str 'case'"),
    (f"def run(quick):\n    return [{{**{ROW}, 'value': '1'}}]\n", "failed",
     "row 0: 'value' must be a number"),
    ("import os\ndef run(quick):\n    os._exit(7)\n", "failed", "exited with code 7"),
])
def test_the_runner_reports_each_module_without_stopping(tmp_path, source, status, detail):
    outcome = runner.run_module(write(tmp_path, "case", source), "quick", timeout=60)
    assert outcome.status == status
    assert detail in outcome.detail
    assert outcome.rows == ([json.loads(ROW)] if status == "ok" else [])


def test_smoke_size_calls_smoke_and_a_module_without_it_is_not_runnable(tmp_path):
    with_smoke = write(tmp_path, "tiny", f"def run(quick):\n    return []\n"
                                         f"def smoke():\n    return [{ROW}]\n")
    assert runner.run_module(with_smoke, "smoke", timeout=60).rows == [json.loads(ROW)]
    without = write(tmp_path, "big", "def run(quick):\n    return []\n")
    outcome = runner.run_module(without, "smoke", timeout=60)
    assert (outcome.status, outcome.detail.split(":")[0]) == ("not runnable", "no smoke()")


def test_a_module_that_runs_too_long_is_stopped(tmp_path):
    pid_file = tmp_path / "server.pid"
    source = ("import subprocess, sys, time\ndef run(quick):\n"
              "    server = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
              f"    open({str(pid_file)!r}, 'w').write(str(server.pid))\n    time.sleep(60)\n")
    outcome = runner.run_module(write(tmp_path, "slow", source), "quick", timeout=1.5)
    assert outcome.status == "timed out" and outcome.rows == []
    assert not alive(int(pid_file.read_text())), "what the benchmark started was left running"


def alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie awaiting its reaper does not count), after 2 s."""
    status = Path(f"/proc/{pid}/status")
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            if "\nState:\tZ" in status.read_text():
                return False
        except FileNotFoundError:
            return False
        time.sleep(0.05)
    return True


def test_the_table_lists_rows_then_every_module():
    ok = runner.Outcome("bench_a", "ok", 1.0, 50.0, rows=[{
        "benchmark": "a", "case": "x", "metric": "throughput", "value": 12345.678,
        "unit": "rows/s", "baseline": 1234.5, "ratio": 10.0, "note": "peer | v1"}])
    skipped = runner.Outcome("bench_b", "not runnable", 0.2, detail="no run(quick: bool)")
    lines = runner.table([ok, skipped]).splitlines()
    assert lines[2] == ("| a | x | throughput | 12,346 rows/s | 1,234 rows/s | 10x |  "
                        "| peer / v1 |")
    assert lines[-1] == "- bench_b: not runnable in 0.2 s: no run(quick: bool)"


def test_a_target_shows_whether_the_run_met_it():
    rows = [{"benchmark": "a", "case": "x", "metric": "wall time", "value": 3.0, "unit": "s",
             "baseline": 1.0, "ratio": 3.0, "target": "ratio <= 1.5x", "met": False},
            {"benchmark": "a", "case": "y", "metric": "calls", "value": 1, "unit": "calls",
             "target": "<= 1 call", "met": True}]
    lines = runner.table([runner.Outcome("bench_a", "ok", rows=rows)]).splitlines()
    assert lines[2] == "| a | x | wall time | 3 s | 1 s | 3x | ratio <= 1.5x: NOT met |  |"
    assert lines[3] == "| a | y | calls | 1 calls |  |  | <= 1 call: met |  |"
    assert runner.invalid_rows([{**rows[1], "met": "yes"}]) == \
        "row 0: 'target' must be a string and 'met' a bool"


def test_bad_arguments_get_a_one_line_error_before_anything_runs(tmp_path):
    done = bench("--only", "nosuch")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "no benchmark named nosuch: choose from" in done.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = bench("--json", str(blocker / "out.json"), "--only", "emulator")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"cannot write {blocker / 'out.json'} (File exists): pass --json PATH" \
        in done.stderr
    assert "== bench_emulator" not in done.stderr


def test_the_peer_row_says_why_when_its_virtualenv_cannot_be_made(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = peer.measure(10, 5, venv=blocker / "venv")
    assert result["error"].startswith("no peer virtualenv (python -m venv failed")
    assert not (blocker / "venv").exists()
    unbuilt = peer.measure(10, 5, venv=tmp_path / "venv", build=False)
    assert "not built yet" in unbuilt["error"] and not (tmp_path / "venv").exists()
