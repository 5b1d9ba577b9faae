"""The benchmark runner: python -m benchmarks [--quick | --smoke] [--json PATH] [--only NAME].

Contract for every `benchmarks/bench_*.py` module:

- `def run(quick: bool) -> list[dict]` (required). `quick=False` is the full size (the whole
  suite runs in under 10 minutes on 2 cores); `quick=True` a CI smoke size (the whole suite in
  well under 2 minutes).
- `def smoke() -> list[dict]` (expected): the same code at tiny sizes, in a few seconds; the
  test suite runs it (tests/benchmarks/test_bench_smoke.py) so the benchmarks cannot rot.
- Each row is a dict with `benchmark` (str: which benchmark), `case` (str: the workload and
  its size), `metric` (str: what is measured), `value` (number, or None when it could not be
  measured: say why in `note`) and `unit` (str); optionally `baseline` (number: the same metric
  for the baseline or peer, from the same run), `ratio` (number: how this compares with the
  baseline, stated in `note`), `note` (str: what the baseline is, caveats), `target` (str:
  the goal, e.g. "ratio <= 1.5x" against a floor, see benchmarks/floors.py) and `met` (bool:
  whether this run meets it).
- Each module runs in a fresh Python process (so peak memory is per benchmark), imported as
  `benchmarks.<name>` with the repository root as the working directory. Print progress if you
  like; return rows; raise to fail. A module without `run(quick)` (or, with --smoke, without
  `smoke()`) is reported as "not runnable", one that raises (SystemExit included) as
  "failed", one that runs past --timeout as "timed out" (with what it started), and the rest
  still run.

The table is printed (a Markdown table) and written as JSON, by default to
benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_JSON = HERE / "results" / "latest.json"
REQUIRED = {"benchmark": str, "case": str, "metric": str, "unit": str}
SIZES = ("full", "quick", "smoke")
COLUMNS = ("benchmark", "case", "metric", "value", "baseline", "ratio", "target", "note")


@dataclass
class Outcome:
    """What one module's run gave: its rows, or why there are none."""

    name: str
    status: str  # ok | not runnable | failed | timed out
    seconds: float = 0.0
    peak_rss_mib: float | None = None
    detail: str = ""
    rows: list[dict] = field(default_factory=list)


def discover(folder: Path = HERE) -> list[Path]:
    """The benchmark modules: bench_*.py, by name."""
    return sorted(folder.glob("bench_*.py"))


def short_name(path: Path) -> str:
    return path.stem.removeprefix("bench_")


def run_module(path: Path, size: str, timeout: float) -> Outcome:
    """Run one module in a fresh process; never raises for the module's own faults."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "outcome.json"
        started = time.perf_counter()
        command = [sys.executable, "-m", "benchmarks", "--child", str(path), "--size", size,
                   "--out", str(out)]
        # Its own process group, so a timeout also stops what it started (a server, say).
        process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            return Outcome(path.stem, "timed out", time.perf_counter() - started,
                           detail=f"stopped after {timeout:.0f} s")
        except BaseException:
            _stop(process)
            raise
        elapsed = time.perf_counter() - started
        if not out.exists():
            return Outcome(path.stem, "failed", elapsed,
                           detail=f"the process exited with code {code}")
        outcome = Outcome(**json.loads(out.read_text()))
        outcome.seconds = elapsed
        return outcome


def _stop(process: subprocess.Popen) -> None:
    """Kill a benchmark's process group (the benchmark and anything it started)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def child(path: Path, size: str, out: Path) -> None:
    """Inside the fresh process: import the module, run it, write its Outcome to `out`."""
    name = path.stem
    try:
        spec = importlib.util.spec_from_file_location(f"benchmarks.{name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        entry = getattr(module, "smoke" if size == "smoke" else "run", None)
        problem = contract_problem(entry, size)
        if problem:
            outcome = Outcome(name, "not runnable",
                              detail=f"{problem}: see the contract in benchmarks/__main__.py")
        else:
            rows = entry() if size == "smoke" else entry(size == "quick")
            problem = invalid_rows(rows)
            outcome = Outcome(name, "failed", detail=problem) if problem else \
                Outcome(name, "ok", rows=rows)
    except (Exception, SystemExit) as exc:  # a failing benchmark is reported, not fatal
        traceback.print_exc()
        outcome = Outcome(name, "failed", detail=f"{type(exc).__name__}: {exc}")
    outcome.peak_rss_mib = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out.write_text(json.dumps(asdict(outcome)))


def contract_problem(entry: object, size: str) -> str:
    """Why `entry` (the module's run or smoke) cannot be called as the contract says, or ""."""
    wanted = "smoke()" if size == "smoke" else "run(quick: bool)"
    if not callable(entry):
        return f"no {wanted}"
    signature = inspect.signature(entry)
    args = () if size == "smoke" else (True,)
    try:
        bound = signature.bind(*args).arguments
    except TypeError:
        bound = None
    if bound is None or (args and "quick" not in bound):
        return f"its {entry.__name__}{signature} is not {wanted}"
    return ""


def invalid_rows(rows: object) -> str:
    """Why `rows` breaks the contract, or "" when it keeps it."""
    if not isinstance(rows, list):
        return f"run() returned {type(rows).__name__}, not a list of dicts"
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            return f"row {i} is a {type(row).__name__}, not a dict"
        for key, kind in REQUIRED.items():
            if not isinstance(row.get(key), kind):
                return f"row {i} has no {kind.__name__} {key!r}"
        for key in ("value", "baseline", "ratio"):
            if not isinstance(row.get(key), int | float | type(None)) \
                    or isinstance(row.get(key), bool):
                return f"row {i}: {key!r} must be a number"
        if not isinstance(row.get("target", ""), str) \
                or not isinstance(row.get("met", False), bool):
            return f"row {i}: 'target' must be a string and 'met' a bool"
        try:
            json.dumps(row)
        except (TypeError, ValueError) as exc:
            return f"row {i} is not JSON: {exc}"
    return ""


def number(value: float | int | None, unit: str = "") -> str:
    """A figure for the table: thousands separators, few decimals, the unit after it."""
    if value is None:
        return "n/a"
    if isinstance(value, int) or abs(value) >= 100:
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".") if value else "0"
    return f"{text} {unit}".strip()


def goal(row: dict) -> str:
    """The target cell: the goal and whether this run met it."""
    if "target" not in row:
        return ""
    return f"{row['target']}: {'met' if row.get('met') else 'NOT met'}"


def table(outcomes: list[Outcome]) -> str:
    """The rows as a Markdown table, then one line per module that gave no rows."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for outcome in outcomes:
        for row in outcome.rows:
            ratio = row.get("ratio")
            cells = [row["benchmark"], row["case"], row["metric"],
                     number(row.get("value"), row["unit"]),
                     number(row["baseline"], row["unit"]) if "baseline" in row else "",
                     f"{number(ratio)}x" if ratio is not None else "", goal(row),
                     row.get("note", "")]
            lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
    lines.append("")
    for outcome in outcomes:
        rss = f", peak RSS {outcome.peak_rss_mib:,.0f} MiB" if outcome.peak_rss_mib else ""
        detail = f": {outcome.detail}" if outcome.detail else ""
        lines.append(f"- {outcome.name}: {outcome.status} in {outcome.seconds:.1f} s{rss}{detail}")
    return "\n".join(lines)


def machine() -> dict:
    """Where the figures were taken."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "commit": commit or None,
            "load_average": [round(n, 2) for n in os.getloadavg()]}


def select(paths: list[Path], only: list[str]) -> list[Path]:
    """The modules named by --only (`emulator` or `bench_emulator`); all when none is named."""
    if not only:
        return paths
    known = {short_name(p): p for p in paths}
    unknown = [n for n in only if n.removeprefix("bench_") not in known]
    if unknown:
        raise SystemExit(f"error: no benchmark named {', '.join(unknown)}: "
                         f"choose from {', '.join(known)}")
    return [known[n.removeprefix("bench_")] for n in only]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run the benchmarks (benchmarks/bench_*.py), each in a fresh process; "
                    "print a table and write it as JSON.")
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="CI smoke sizes (well under 2 min)")
    sizes.add_argument("--smoke", action="store_true",
                       help="tiny sizes, what the test suite runs (seconds)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, metavar="PATH",
                        help=f"where to write the JSON (default {DEFAULT_JSON.relative_to(ROOT)})")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this benchmark (repeatable), e.g. --only emulator")
    parser.add_argument("--timeout", type=float, default=900, metavar="SECONDS",
                        help="stop a benchmark that runs longer than this (default 900)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", choices=SIZES, default="full", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.size, args.out)
        return 0
    size = "smoke" if args.smoke else "quick" if args.quick else "full"
    try:  # refuse an unwritable --json before the benchmarks run, not after
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.touch()
    except OSError as exc:
        parser.error(f"cannot write {args.json} ({exc.strerror}): pass --json PATH "
                     "somewhere writable")
    started, where = datetime.now(UTC), machine()
    outcomes = []
    for path in select(discover(), args.only):
        print(f"== {path.stem} ({size}) ==", file=sys.stderr, flush=True)
        outcomes.append(run_module(path, size, args.timeout))
    report = {"started": started.isoformat(timespec="seconds"), "size": size,
              "machine": where, "modules": [asdict(o) for o in outcomes]}
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(table(outcomes))
    load = ", ".join(str(n) for n in report["machine"]["load_average"])
    print(f"\n{report['machine']['cpus']} CPUs, load average at the start {load}; "
          f"JSON: {args.json}")
    return 1 if any(o.status in ("failed", "timed out") for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
