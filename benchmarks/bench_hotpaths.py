"""sfmock's hot paths against their floors, in one run, through unmodified simple-salesforce.

Each workload runs against sfmock and against its floor, alternately, and the medians are
compared (the machine is shared: the ratio is the figure, not the times):

- in-process (`mock_salesforce`): the floor is the same client and URLs answered by a
  `responses` callback returning the very bodies sfmock produced (recorded on a first run),
  so it is the client's own work plus the transport hook, with zero emulator work;
- server mode (`sfmock.server.Server` over TLS in a thread): the floor is a bare WSGI app
  serving the same recorded bodies on the same keep-alive server class and certificate.

Workloads, on an org of `rows` opted-out Contacts: `query_all` of every row in 2,000-row pages;
`updates` records flipped through sObject Collections, 200 a PATCH; and single small calls
(`sf.Contact.get`, `sf.Contact.update`, a one-row `sf.query`), timed per call over `calls`.
Targets (issue 18): query pages <= 1.5x the floor, Collections updates <= 3x, one small call
<= 1.5x in-process; every server-mode workload within 1.5x of the bare WSGI floor.

Run: .venv/bin/python -m benchmarks --only hotpaths [--quick]
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import requests
from simple_salesforce import Salesforce

from benchmarks.floors import Recording, WsgiFloor, floor_row, median_pair, replayed
from sfmock import mock_salesforce
from sfmock.models.org import Org
from sfmock.server import Server
from sfmock.testing import (
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    TOKEN,
    USERNAME,
    seed_opted_out_contacts,
)

QUERY = "SELECT Id, Email, HasOptedOutOfEmail FROM Contact"
BATCH = 200
SIZES = {  # name: (rows, updates, small calls per timing, repeats: medians of these)
    "full": (20_000, 2_000, 100, 7),
    "quick": (20_000, 2_000, 50, 5),
    "smoke": (400, 400, 10, 2),
}
TARGETS = {"in-process": {"query": 1.5, "update": 3.0, "get": 1.5, "small update": 1.5,
                          "small query": 1.5},
           "server mode": dict.fromkeys(("query", "update", "get", "small update",
                                         "small query"), 1.5)}


def workloads(sf: Salesforce, made: list[str], updates: int,
              calls: int) -> dict[str, tuple[Callable[[], object], int]]:
    """{name: (action, how many units it handles)}."""
    targets = (made * (1 + updates // len(made)))[:updates]
    few = made[:calls]

    def query() -> None:
        got = sf.query_all(QUERY)["records"]
        assert len(got) == len(made), len(got)

    def update() -> None:
        for first in range(0, len(targets), BATCH):
            records = [{"attributes": {"type": "Contact"}, "id": record_id,
                        "HasOptedOutOfEmail": False} for record_id in targets[first:first + BATCH]]
            result = sf.restful("composite/sobjects", method="PATCH",
                                json={"allOrNone": False, "records": records})
            assert all(r["success"] for r in result)

    def get() -> None:
        for record_id in few:
            sf.Contact.get(record_id)

    def small_update() -> None:
        for record_id in few:
            sf.Contact.update(record_id, {"HasOptedOutOfEmail": True})

    def small_query() -> None:
        for record_id in few:
            sf.query(f"SELECT Id, Email FROM Contact WHERE Id = '{record_id}'")

    return {"query": (query, len(made)), "update": (update, len(targets)), "get": (get, calls),
            "small update": (small_update, calls), "small query": (small_query, calls)}


def describe(name: str, count: int) -> tuple[str, str, int]:
    """(case, metric, calls the time is divided by) for a workload's row."""
    if name == "query":
        return f"query_all {count:,} Contacts, 2,000-row pages", "wall time", 1
    if name == "update":
        return (f"{count:,} records updated through sObject Collections, 200 a call",
                "wall time", 1)
    what = {"get": "sf.Contact.get", "small update": "sf.Contact.update",
            "small query": "sf.query of one row by Id"}[name]
    return f"one {what} (timed over {count:,} calls)", "time per call", count


def in_process(rows: int, updates: int, calls: int, repeats: int) -> list[dict]:
    out = []
    with mock_salesforce(fixtures=None) as org:
        org.add_user(USERNAME, PASSWORD, TOKEN, last_name="Integration")
        made = seed_opted_out_contacts(org, rows, first=40_000_000)
        sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
        for name, (action, count) in workloads(sf, made, updates, calls).items():
            recording = Recording()
            with recording.on(sf.session):  # the first run records what sfmock answers
                action()

            def floor(recording=recording, action=action) -> None:
                with replayed(recording):
                    action()

            ours, theirs = median_pair(action, floor, repeats)
            out.append(row("in-process", name, count, ours, theirs, repeats,
                           "sfmock's recorded bodies replayed by a responses callback"))
    return out


def token(url: str, ca: Path) -> str:
    answer = requests.post(f"{url}/services/oauth2/token", verify=str(ca), timeout=30, data={
        "grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "username": USERNAME, "password": PASSWORD + TOKEN})
    answer.raise_for_status()
    return answer.json()["access_token"]


def client(url: str, session_id: str, ca: Path) -> Salesforce:
    """simple-salesforce on its own keep-alive session, trusting the local CA."""
    session = requests.Session()
    session.verify = str(ca)
    session.trust_env = False
    return Salesforce(instance_url=url, session_id=session_id, session=session)


def server_mode(rows: int, updates: int, calls: int, repeats: int) -> list[dict]:
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-hotpaths-") as scratch, ExitStack() as stack:
        certs = Path(scratch) / "certs"
        org = Org(Path(scratch) / "org.db")
        stack.callback(org.close)
        org.add_user(USERNAME, PASSWORD, TOKEN, last_name="Integration")
        org.add_connected_app(CLIENT_ID, CLIENT_SECRET)
        org.set_api_limit(10_000_000)
        made = seed_opted_out_contacts(org, rows, first=40_000_000)
        server = stack.enter_context(Server(org, tls=True, cert_dir=certs, log_requests=False))
        floor_server = stack.enter_context(WsgiFloor(certs))
        session_id = token(server.url, server.ca_path)
        sf = client(server.url, session_id, server.ca_path)
        bare = client(floor_server.url, session_id, server.ca_path)
        ours_all = workloads(sf, made, updates, calls)
        theirs_all = workloads(bare, made, updates, calls)
        for name, (action, count) in ours_all.items():
            recording = Recording()
            with recording.on(sf.session):
                action()
            floor_action = theirs_all[name][0]

            def floor(recording=recording, floor_action=floor_action) -> None:
                floor_server.load(recording)
                floor_action()

            ours, theirs = median_pair(action, floor, repeats)
            out.append(row("server mode", name, count, ours, theirs, repeats,
                           "a bare WSGI app replaying sfmock's recorded bodies, same "
                           "server class and TLS certificate"))
    return out


def row(mode: str, name: str, count: int, ours: float, theirs: float, repeats: int,
        floor_is: str) -> dict:
    case, metric, per = describe(name, count)
    return floor_row("hotpaths", f"{mode}: {case}", f"{metric}, median of {repeats}",
                     ours * 1000 / per, theirs * 1000 / per, "ms",
                     target=TARGETS[mode][name], floor_is=floor_is)


def rows_for(size: str) -> list[dict]:
    rows, updates, calls, repeats = SIZES[size]
    return in_process(rows, updates, calls, repeats) + server_mode(rows, updates, calls, repeats)


def run(quick: bool) -> list[dict]:
    """The runner's entry point (see benchmarks/__main__.py)."""
    return rows_for("quick" if quick else "full")


def smoke() -> list[dict]:
    """Tiny sizes, for tests/benchmarks/test_bench_smoke.py."""
    return rows_for("smoke")
