"""Bulk API 2.0 at volume against `sfmock serve`: time and the server's peak memory.

One ingest job inserts `rows` Contacts from a CSV file streamed off disk, then one query job
reads every Contact back in pages of 250,000 rows. The server runs in its own process with
its org in a SQLite file (so the records live on disk, not in the process), and its peak
resident memory (VmHWM) is read from /proc before and after: the growth is what processing
costs, and it stays flat however big the job, because uploads and results are spooled to
temporary files and rows are handled 500 (ingest) or 2,000 (query) at a time.

Run: .venv/bin/python -m benchmarks.bench_bulk2 [rows]   (default 1,000,000; Linux only)
or through the runner (python -m benchmarks --only bulk2): `run(quick)` and `smoke()`.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from benchmarks.floors import floor_row
from benchmarks.local_share import sqlite_floor
from sfmock.testing import CLIENT_ID, CLIENT_SECRET, PASSWORD, TOKEN, USERNAME

PAGE = 250_000
SERVING = re.compile(r"serving .* at (http://\S+)")


def memory(pid: int) -> dict[str, int]:
    """The process's VmRSS and VmHWM (peak) in MiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) // 1024
    return out


def write_csv(path: Path, rows: int) -> int:
    """`rows` Contacts as an ingest CSV; its size in bytes."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["LastName", "FirstName", "Email", "HasOptedOutOfEmail"])
        for i in range(rows):
            writer.writerow([f"Bulk {i:07d}", "Volume", f"bulk{i}@example.com",
                             "true" if i % 3 == 0 else "false"])
    return path.stat().st_size


def start_server(workdir: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "sfmock", "serve", "--port", "0", "--db",
         str(workdir / "org.db")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True)
    assert process.stdout is not None
    for line in process.stdout:
        match = SERVING.search(line)
        if match:
            return process, match.group(1)
    raise RuntimeError("sfmock serve did not start")


def measure(rows: int) -> dict:
    """Run both jobs; the figures as a dict."""
    with tempfile.TemporaryDirectory(prefix="bench-bulk2-") as tmp:
        workdir = Path(tmp)
        source = workdir / "contacts.csv"
        csv_bytes = write_csv(source, rows)
        process, url = start_server(workdir)
        try:
            figures = _jobs(process, url, source, rows, csv_bytes)
        finally:
            process.terminate()
            process.wait(timeout=30)
        floor = sqlite_floor(workdir / "org.db", "Contact", workdir)
        return {**figures, "floor_write_s": floor["write"], "floor_rows": floor["rows"]}


def _jobs(process: subprocess.Popen, url: str, source: Path, rows: int,
          csv_bytes: int) -> dict:
    http = requests.Session()
    http.trust_env = False
    token = http.post(f"{url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "username": USERNAME, "password": PASSWORD + TOKEN}, timeout=30).json()
    http.headers["Authorization"] = f"Bearer {token['access_token']}"
    api = f"{url}/services/data/v59.0/jobs"
    before = memory(process.pid)

    began = time.perf_counter()
    job = http.post(f"{api}/ingest", json={"object": "Contact", "operation": "insert"},
                    timeout=30).json()
    with source.open("rb") as body:
        upload = http.put(f"{api}/ingest/{job['id']}/batches", data=body,
                          headers={"Content-Type": "text/csv"}, timeout=600)
    upload.raise_for_status()
    uploaded = time.perf_counter()
    http.patch(f"{api}/ingest/{job['id']}", json={"state": "UploadComplete"}, timeout=30)
    info = _wait(http, f"{api}/ingest/{job['id']}")
    ingested = time.perf_counter()
    after_ingest = memory(process.pid)
    if info["state"] != "JobComplete" or info["numberRecordsProcessed"] != rows:
        raise RuntimeError(f"ingest job ended {info}")

    query = http.post(f"{api}/query", json={"operation": "query",
                                            "query": "SELECT Id, Email FROM Contact"},
                      timeout=30).json()
    _wait(http, f"{api}/query/{query['id']}")
    queried = time.perf_counter()
    read, locator, pages = 0, None, 0
    while locator != "null":
        params = {"maxRecords": PAGE, **({"locator": locator} if locator else {})}
        with http.get(f"{api}/query/{query['id']}/results", params=params, stream=True,
                      timeout=600) as page:
            for _ in page.iter_content(1 << 16):
                pass
            read += int(page.headers["Sforce-NumberOfRecords"])
            locator = page.headers["Sforce-Locator"]
            pages += 1
    downloaded = time.perf_counter()
    after_query = memory(process.pid)
    return {
        "rows": rows, "csv_mib": csv_bytes / 2**20, "failed": info["numberRecordsFailed"],
        "upload_s": uploaded - began, "ingest_s": ingested - uploaded,
        "ingest_rows_per_s": rows / (ingested - uploaded),
        "query_s": queried - ingested, "download_s": downloaded - queried,
        "query_rows": read, "pages": pages,
        "rss_before_mib": before["VmRSS"], "peak_before_mib": before["VmHWM"],
        "peak_after_ingest_mib": after_ingest["VmHWM"], "peak_after_query_mib":
        after_query["VmHWM"],
    }


def _wait(http: requests.Session, url: str) -> dict:
    while True:
        info = http.get(url, timeout=30).json()
        if info["state"] in ("JobComplete", "Failed", "Aborted"):
            return info
        time.sleep(0.05)  # fine-grained, so the processing time is not rounded up


def table_rows(rows: int) -> list[dict]:
    """The runner's rows for one ingest and one query job of `rows` Contacts."""
    f = measure(rows)
    if f["failed"] or f["query_rows"] < rows:
        raise RuntimeError(f"bulk jobs lost rows: {f}")
    case = f"{rows:,} Contacts, sfmock serve (HTTP, own process)"
    server = "the server process's VmHWM"
    rate = f["ingest_rows_per_s"]
    return [
        {"benchmark": "bulk2", "case": f"ingest {case}", "metric": "throughput",
         "value": round(rate), "unit": "rows/s", "target": ">= 50,000 rows/s",
         "met": rate >= 50_000,
         "note": f"after a {f['csv_mib']:.1f} MiB CSV upload of {f['upload_s']:.2f} s"},
        floor_row("bulk2", f"ingest {case}", "processing time (UploadComplete to JobComplete)",
                  f["ingest_s"], f["floor_write_s"], "s", target=None,
                  floor_is=f"SQLite inserting the same {f['floor_rows']:,} Contact rows into a "
                           "table of the same schema and indexes, one transaction"),
        {"benchmark": "bulk2", "case": f"query {case}", "metric": "wall time",
         "value": round(f["query_s"] + f["download_s"], 2), "unit": "s",
         "note": f"job and {f['pages']} result pages of up to {PAGE:,} rows"},
        {"benchmark": "bulk2", "case": f"ingest {case}", "metric": "server peak memory",
         "value": f["peak_after_ingest_mib"], "unit": "MiB",
         "baseline": f["peak_before_mib"], "note": f"{server}; baseline: before the jobs"},
        {"benchmark": "bulk2", "case": f"query {case}", "metric": "server peak memory",
         "value": f["peak_after_query_mib"], "unit": "MiB",
         "baseline": f["peak_before_mib"], "note": f"{server}; baseline: before the jobs"},
    ]


def run(quick: bool) -> list[dict]:
    return table_rows(100_000 if quick else 1_000_000)


def smoke() -> list[dict]:
    return table_rows(2_000)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    figures = measure(rows)
    width = max(map(len, figures))
    for key, value in figures.items():
        shown = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
        print(f"{key:<{width}}  {shown}")


if __name__ == "__main__":
    main()
