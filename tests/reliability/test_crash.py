"""Crash safety: SIGKILL the syncer mid-push and mid-nightly, and the emulator mid-write.

Everything runs as real processes: `sfmock serve --tls --db FILE` on port 0 and the `syncer`
console script. After each kill the process is started again; after the last restart both
sides agree, every capture is in the event log exactly once, and the org is intact.
"""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from sfmock.models.fixtures import DEFAULT_FIXTURES, load_fixtures
from sfmock.models.org import Org
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.store import Store

BIN = Path(sys.executable).parent
FIELD = "HasOptedOutOfEmail"
# Every record a Collections call writes costs 2 ms, and a few calls fail: a drain of a few
# hundred rows takes long enough to be killed in the middle.
# Per-record latency makes each push take seconds, so a random kill lands mid-drain even where
# the CLI starts fast (a clean CI machine); the earliest kills land before any work is done.
SLOW = json.dumps([{"fault": "latency", "ms": 5, "scope": "record"},
                   {"fault": "503", "probability": 0.1}])


@dataclass
class Emulator:
    """A running `sfmock serve` subprocess."""

    process: subprocess.Popen
    url: str
    ca: str

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process.stdout.close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()


def start_emulator(db: Path, certs: Path, faults: str = SLOW, seed: int = 1) -> Emulator:
    process = subprocess.Popen(
        [str(BIN / "sfmock"), "serve", "--tls", "--port", "0", "--exit-after", "600",
         "--db", str(db), "--cert-dir", str(certs), "--faults", faults, "--seed", str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    found: dict[str, str] = {}

    def read() -> None:
        for line in process.stdout:
            if match := re.search(r"serving .* at (https://\S+)", line):
                found["url"] = match.group(1)
            if match := re.search(r"CA certificate: (\S+)", line):
                found["ca"] = match.group(1)
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=30)
    if "ca" not in found:
        process.kill()
        pytest.fail("sfmock serve did not start")
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    return Emulator(process, found["url"], found["ca"])


class World:
    """An org file, a store file, and the commands run against them."""

    def __init__(self, tmp_path: Path, people: int, seed: int):
        self.tmp = tmp_path
        self.rand = random.Random(seed)
        self.org_db, self.store_db, self.certs = (tmp_path / "org.db", tmp_path / "syncer.db",
                                                  tmp_path / "certs")
        org = Org(self.org_db)
        load_fixtures(org, DEFAULT_FIXTURES)
        self.contacts = [org.insert("Contact", {"LastName": f"C{i}", "Email": f"c{i}@crash.test"})
                         for i in range(people)]
        self.org_counts = {name: org.db[name].count for name in ("Contact", "Lead", "Account")}
        org.close()
        with Store(self.store_db) as store:
            store.update_settings(nightly_sync=True)
            self.people = [store.upsert_person(f"c{i}@crash.test", salesforce_id=contact,
                                               source="import")
                           for i, contact in enumerate(self.contacts)]
        self.emulator = start_emulator(self.org_db, self.certs)
        self.kills = {"push": 0, "nightly": 0, "sfmock": 0, "finished_first": 0}

    def env(self) -> dict:
        return {"PATH": str(BIN), "HOME": str(self.tmp), "SYNCER_DB": str(self.store_db),
                "SF_LOGIN_URL": self.emulator.url, "SF_CA_BUNDLE": self.emulator.ca,
                "SF_USERNAME": USERNAME, "SF_PASSWORD": PASSWORD, "SF_SECURITY_TOKEN": TOKEN}

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([str(BIN / "syncer"), *args], env=self.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        done = subprocess.run([str(BIN / "syncer"), *args], env=self.env(),
                              capture_output=True, text=True, timeout=timeout)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def kill_during(self, kind: str, *args: str, low: float, high: float) -> None:
        """Start `syncer ARGS` and SIGKILL it after a random delay (if still running)."""
        process = self.start(*args)
        try:
            process.wait(timeout=self.rand.uniform(low, high))
            self.kills["finished_first"] += 1
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            self.kills[kind] += 1
        process.communicate()

    def restart_emulator(self, *, kill: bool) -> None:
        if kill:
            self.emulator.kill()
            self.kills["sfmock"] += 1
        else:
            self.emulator.stop()
        self.emulator = start_emulator(self.org_db, self.certs, seed=self.rand.randrange(1000))

    def converge(self, *args: str, attempts: int = 6) -> subprocess.CompletedProcess:
        """Run `syncer ARGS` until it exits 0 (retries are allowed after faults)."""
        for _ in range(attempts):
            done = self.run(*args)
            if done.returncode == 0:
                return done
        pytest.fail(f"syncer {' '.join(args)} never finished: {done.stdout}{done.stderr}")

    def org_values(self) -> dict[str, bool]:
        """Each Contact's opt-out, read from the org file with the emulator stopped."""
        self.emulator.stop()
        org = Org(self.org_db)
        try:
            values = {cid: bool(org.get("Contact", cid)[FIELD]) for cid in self.contacts}
            counts = {name: org.db[name].count for name in ("Contact", "Lead", "Account")}
            assert counts == self.org_counts  # the org is intact after every kill
            assert org.check_password(USERNAME, PASSWORD, TOKEN)
        finally:
            org.close()
        self.emulator = start_emulator(self.org_db, self.certs)
        return values


def crash_cycle(tmp_path: Path, people: int, kills: int, seed: int) -> dict:
    started = time.monotonic()
    world = World(tmp_path, people, seed)
    try:
        # 1. captures queued (not pushed): a push drain is killed again and again
        unsubscribed = world.people[: people * 2 // 3]
        with Store(world.store_db) as store:
            for n, pid in enumerate(unsubscribed):
                store.capture(store.get_person(pid).email, opted_out=True, source="api",
                              actor="crash", idempotency_key=f"u{n}")
        for _ in range(kills):
            world.kill_during("push", "push", "--wait", "0", low=0.3, high=2.0)
        world.restart_emulator(kill=True)  # the emulator dies too; its org must survive
        world.kill_during("push", "push", "--wait", "0", low=0.3, high=2.0)
        world.converge("push", "--retry-failed", "--wait", "2")
        values = world.org_values()
        for pid, cid in zip(world.people, world.contacts, strict=True):
            assert values[cid] is (pid in unsubscribed), cid

        # 2. both sides change; a nightly run is killed again and again
        world.emulator.stop()
        org = Org(world.org_db)
        sf_opt_outs = set(world.contacts[people * 2 // 3:][::2])
        for cid in sf_opt_outs:
            org.update("Contact", cid, {FIELD: True})
        org.close()
        world.emulator = start_emulator(world.org_db, world.certs)
        resubscribed = unsubscribed[::3]
        with Store(world.store_db) as store:
            for n, pid in enumerate(resubscribed):
                store.capture(store.get_person(pid).email, opted_out=False, source="api",
                              reason="crash test", actor="crash", idempotency_key=f"r{n}")
        for _ in range(kills):
            world.kill_during("nightly", "nightly", low=0.3, high=1.4)
        world.restart_emulator(kill=True)
        world.converge("nightly")
        world.converge("push", "--retry-failed", "--wait", "2")
        values = world.org_values()
        with Store(world.store_db) as store:
            for pid, cid in zip(world.people, world.contacts, strict=True):
                want = (pid in unsubscribed and pid not in resubscribed) or cid in sf_opt_outs
                person = store.get_person(pid)
                assert person.opted_out is want, (pid, person)
                assert values[cid] is want, (cid, values[cid], want)
            captured = Counter(event["action"] for event in store.list_events(actor="crash"))
            assert dict(captured) == {
                "unsubscribe": len(unsubscribed), "resubscribe": len(resubscribed)}
            assert store.list_outbox("pending") == [] and store.list_outbox("failed") == []
            assert store._scalar("PRAGMA integrity_check") == "ok"
            runs = store.list_runs(limit=100)
            assert runs[0].status == "ok"
            assert all(run.status != "running" for run in runs)
        return {**world.kills, "seconds": round(time.monotonic() - started, 1)}
    finally:
        world.emulator.stop()


@pytest.mark.slow  # a few dozen processes: ~20 s
def test_crashes_small(tmp_path):
    figures = crash_cycle(tmp_path, people=600, kills=2, seed=7)
    assert figures["push"] + figures["nightly"] >= 1
    print(figures)


@pytest.mark.soak
def test_crashes_full(tmp_path):
    figures = crash_cycle(tmp_path, people=3000, kills=6, seed=8)
    assert figures["push"] + figures["nightly"] >= 6
    print(figures)
