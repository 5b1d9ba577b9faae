"""The peer, simple-mockforce, on the emulator benchmark's workloads, in its own virtualenv.

simple-mockforce 0.8.1 pins `responses<0.21`, which conflicts with ours, so it runs in
`benchmarks/.peer-venv`, created once (`python -m venv`, then pip installs it with the same
simple-salesforce version as ours) and reused. This file is both halves: `measure()` is the
launcher, imported by bench_emulator.py (standard library only); run as a script inside the
venv, it runs the workloads and prints JSON.

The peer has no query paging (one response holds every row) and no sObject Collections
endpoint: the closest it has to a batched update is a per-record `sf.Contact.update`.
Rows are seeded straight into its virtual store, as the emulator's are into its tables.

Run (inside the venv): python benchmarks/peer_mockforce.py ROWS UPDATES REPEATS
"""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

PEER = "simple-mockforce==0.8.1"
VENV = Path(__file__).resolve().parent / ".peer-venv"
MARKER = "sfsync-peer-requirements.txt"  # written in the venv once pip has succeeded
QUERIES = {
    "no filter": "SELECT Id, Email, HasOptedOutOfEmail FROM Contact",
    "filtered": "SELECT Id, Email, HasOptedOutOfEmail FROM Contact WHERE HasOptedOutOfEmail = true",
}
INSTALL_SECONDS = 300
RUN_SECONDS = 600


def requirements() -> list[str]:
    """What the venv holds: the peer and our simple-salesforce version, so clients match."""
    return [PEER, f"simple-salesforce=={metadata.version('simple-salesforce')}"]


def venv_python(venv: Path = VENV) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def ensure_venv(venv: Path = VENV) -> Path:
    """The peer venv's python, creating the venv first if it is missing or out of date."""
    wanted = "\n".join(requirements()) + "\n"
    marker = venv / MARKER
    if marker.exists() and marker.read_text() == wanted and venv_python(venv).exists():
        return venv_python(venv)
    shutil.rmtree(venv, ignore_errors=True)
    try:
        _step([sys.executable, "-m", "venv", str(venv)], "python -m venv")
        _step([str(venv_python(venv)), "-m", "pip", "install", "--quiet",
               "--disable-pip-version-check", "--retries", "1", "--timeout", "20",
               *requirements()], "pip install " + " ".join(requirements()))
    except RuntimeError:
        shutil.rmtree(venv, ignore_errors=True)
        raise
    marker.write_text(wanted)
    return venv_python(venv)


def _step(command: list[str], label: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_SECONDS)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{label} took over {INSTALL_SECONDS} s") from exc
    if done.returncode:
        lines = (done.stderr or done.stdout).strip().splitlines()
        errors = [line for line in lines if line.startswith("ERROR")] or lines[-1:]
        raise RuntimeError(f"{label} failed: {errors[0] if errors else done.returncode}")


def measure(rows: int, updates: int, repeats: int = 1, venv: Path = VENV, *,
            build: bool = True) -> dict:
    """The peer's figures, or {"error": why} when its venv cannot be made or the run fails.

    With `build=False` a missing venv is not created (the test suite's smoke run).
    """
    if not build and not (venv / MARKER).exists():
        return {"error": "its virtualenv is not built yet (python -m benchmarks builds it)"}
    try:
        python = ensure_venv(venv)
    except (RuntimeError, OSError) as exc:
        return {"error": f"no peer virtualenv ({exc})"}
    try:
        done = subprocess.run([str(python), __file__, str(rows), str(updates), str(repeats)],
                              capture_output=True, text=True, timeout=RUN_SECONDS)
    except subprocess.TimeoutExpired:
        return {"error": f"the peer run took over {RUN_SECONDS} s"}
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"the peer run failed: {last}"}
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": f"the peer run printed no JSON: {done.stdout.strip()[-200:]!r}"}


def workloads(rows: int, updates: int, repeats: int) -> dict:
    """Inside the venv: seed `rows` opted-out Contacts, query them both ways, update some."""
    import logging

    from simple_mockforce import mock_salesforce
    from simple_mockforce.virtual import virtual_salesforce
    from simple_salesforce import Salesforce

    logging.disable(logging.WARNING)  # it logs a warning on every query
    results: dict[str, dict] = {}

    @mock_salesforce
    def measured() -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        made = [f"003{i:015d}" for i in range(rows)]
        virtual_salesforce.data["Contact"] = [{
            "Id": record_id, "IsDeleted": False, "CreatedDate": stamp,
            "LastModifiedDate": stamp, "SystemModstamp": stamp, "LastName": f"Bench {i}",
            "Email": f"bench{i}@example.com", "HasOptedOutOfEmail": True,
        } for i, record_id in enumerate(made)]
        sf = Salesforce(username="bench", password="bench", security_token="bench")
        for name, soql in QUERIES.items():
            results[f"query, {name}"] = timed(
                rows, lambda soql=soql: len(sf.query_all(soql)["records"]), repeats)
        targets = made[::max(1, rows // updates)][:updates]

        def update() -> int:
            for record_id in targets:
                sf.Contact.update(record_id, {"HasOptedOutOfEmail": False})
            return len(targets)

        results["update"] = timed(len(targets), update, repeats)

    measured()
    return {"version": metadata.version("simple-mockforce"), "results": results}


def timed(expected: int, action: Callable[[], int], repeats: int) -> dict:
    """The best of `repeats` runs of `action` (it returns how many records it handled) as
    {"value": records per second, "count", "seconds"}: the machines are shared and noisy."""
    best: dict = {}
    for _ in range(repeats):
        gc.collect()
        gc.disable()  # as timeit times: a full collection lands on whichever run it likes
        try:
            started = time.perf_counter()
            count = action()
            seconds = time.perf_counter() - started
        finally:
            gc.enable()
        if count != expected:
            raise RuntimeError(f"expected {expected:,} records, got {count:,}")
        if not best or seconds < best["seconds"]:
            best = {"value": count / seconds, "count": count, "seconds": seconds}
    return best


if __name__ == "__main__":
    print(json.dumps(workloads(*(int(arg) for arg in sys.argv[1:4]))))
