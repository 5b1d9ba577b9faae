"""One database, many writers at once: the capture endpoint (several threads), the pusher,
a nightly run, CLI captures in other processes, and a writer holding a long transaction.

SQLite runs in WAL mode with a busy timeout, so writers wait for each other: every capture
is accepted, and `database is locked` never reaches a user (answers, stderr, logs).
"""

from __future__ import annotations

import logging
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sfmock import mock_salesforce
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.nightly import run_nightly
from syncer.nightly.remote import ClientRemote
from syncer.service import Syncer
from syncer.store import Store
from syncer.web import auth, create_app

BIN = Path(sys.executable).parent
LOCKED = "database is locked"
PEOPLE = 120
WEB_THREADS = 4
PER_THREAD = 40
CLI_CAPTURES = 3


def _cli_capture(db: Path, tmp: Path, n: int) -> subprocess.Popen:
    """`syncer unsubscribe` in its own process; Salesforce is unreachable, so it only stores."""
    env = {"PATH": str(BIN), "HOME": str(tmp), "SYNCER_DB": str(db),
           "SF_LOGIN_URL": "https://127.0.0.1:9", "SF_USERNAME": USERNAME,
           "SF_PASSWORD": PASSWORD, "SF_SECURITY_TOKEN": TOKEN}
    return subprocess.Popen([str(BIN / "syncer"), "unsubscribe", f"cli{n}@example.com"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow  # three CLI processes alongside the threads: ~6 s
def test_web_pusher_nightly_and_cli_share_one_database(tmp_path, make_config, fast, caplog):
    caplog.set_level(logging.WARNING)
    db = tmp_path / "syncer.db"
    config = make_config(db)
    with mock_salesforce(fixtures=None) as org:
        org.add_user(USERNAME, PASSWORD, TOKEN, last_name="Integration")
        contacts = [org.insert("Contact", {"LastName": f"W{i}", "Email": f"w{i}@example.com"})
                    for i in range(PEOPLE)]
        with Syncer(config, policy=fast) as web_syncer, Syncer(config, policy=fast) as pusher, \
                Syncer(config, policy=fast) as nightly:
            store = web_syncer.store
            store.update_settings(nightly_sync=True)
            for i, contact in enumerate(contacts):
                store.upsert_person(f"w{i}@example.com", salesforce_id=contact, source="import")
            bearer = {"Authorization": f"Bearer {auth.create_api_key(store, 'load')}"}
            app = create_app(web_syncer)
            answers: list[tuple[int, str]] = []
            problems: list[BaseException] = []
            last: dict[int, bool] = {}
            done = threading.Event()

            def web(thread: int) -> None:
                client = app.test_client()
                rand = random.Random(thread)
                mine = range(thread, PEOPLE, WEB_THREADS)  # each person has one writer thread
                for n in range(PER_THREAD):
                    who = rand.choice(mine)
                    opt_out = n % 3 != 2
                    answer = client.post(
                        "/api/unsubscribes" if opt_out else "/api/resubscribes",
                        json={"email": f"w{who}@example.com", "reason": "load"},
                        headers={**bearer, "Idempotency-Key": f"{thread}-{n}"})
                    last[who] = opt_out
                    answers.append((answer.status_code, answer.get_data(as_text=True)))

            def guarded(work):
                def run() -> None:
                    try:
                        work()
                    except BaseException as problem:  # noqa: BLE001 - asserted below
                        problems.append(problem)
                return run

            def push_loop() -> None:
                while not done.is_set():
                    pusher.push(wait=0)

            def nightly_runs() -> None:
                for _ in range(2):
                    run_nightly(nightly.store, ClientRemote(nightly.client, bulk_wait=0),
                                pusher=nightly.pusher)

            def long_writer() -> None:
                with Store(db) as other, other.transaction():  # BEGIN IMMEDIATE: the write lock
                    time.sleep(1.0)  # everyone else waits on the busy timeout

            started = time.monotonic()
            processes = [_cli_capture(db, tmp_path, n) for n in range(CLI_CAPTURES)]
            threads = [threading.Thread(target=guarded(lambda t=t: web(t)))
                       for t in range(WEB_THREADS)]
            threads += [threading.Thread(target=guarded(push_loop)),
                        threading.Thread(target=guarded(nightly_runs)),
                        threading.Thread(target=guarded(long_writer))]
            for thread in threads:
                thread.start()
            for thread in threads[:WEB_THREADS] + threads[WEB_THREADS + 1:]:
                thread.join()
            done.set()
            threads[WEB_THREADS].join()
            outputs = [process.communicate(timeout=60) for process in processes]
            seconds = time.monotonic() - started

            assert not problems, problems
            assert [status for status, _ in answers] == [202] * (WEB_THREADS * PER_THREAD)
            for out, err in outputs:
                assert LOCKED not in out + err and "Traceback" not in err, err
            assert LOCKED not in caplog.text and LOCKED not in " ".join(t for _, t in answers)
            for n in range(CLI_CAPTURES):
                assert store.get_person(f"cli{n}@example.com").opted_out is True
            events = len(store.list_events(actor="api key load"))
            assert events == WEB_THREADS * PER_THREAD
            pusher.push(wait=2, retry_failed=True)
            for who, opt_out in last.items():
                person = store.get_person(f"w{who}@example.com")
                assert person.opted_out is opt_out
                assert bool(org.get("Contact", contacts[who])["HasOptedOutOfEmail"]) is opt_out
            assert store._scalar("PRAGMA journal_mode") == "wal"
            assert seconds < 60
