"""`syncer serve` in production: waitress, /healthz, an access log, a clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time

import requests

from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.cli.serve import _web_app
from syncer.nightly.schedule import Service
from syncer.store import Store
from tests.syncer.cli.conftest import SYNCER


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 30) -> requests.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"syncer serve did not answer at {url} (exit {process.poll()})")


def test_serve_answers_healthz_logs_access_and_stops_cleanly_on_sigterm(server, tmp_path):
    contact = server.org.insert("Contact", {"LastName": "S", "Email": "s@example.com"})
    db = tmp_path / "serve.db"
    with Store(db) as store:
        store.upsert_person("s@example.com", salesforce_id=contact)
        store.update_settings(nightly_sync=True)
    env = {**os.environ, "SYNCER_DB": str(db), "SF_LOGIN_URL": server.url,
           "SF_USERNAME": USERNAME, "SF_PASSWORD": PASSWORD, "SF_SECURITY_TOKEN": TOKEN,
           "SF_CA_BUNDLE": str(server.ca_path), "SYNCER_CONFIG": ""}
    port = _free_port()
    process = subprocess.Popen(
        [str(SYNCER), "serve", "--port", str(port), "--threads", "2", "--link-days", "7",
         "--push-interval", "0.5"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/healthz", process)
        assert health.status_code == 200
        body = health.json()
        assert body["ok"] is True and body["problems"] == []
        assert body["database"] == {"path": str(db), "writable": True}
        assert body["outbox"] == {"pending": 0, "waiting_for_id": 0, "failed": 0}
        assert body["nightly"]["sync"] is True and body["nightly"]["next"].endswith(("-08:00",
                                                                                     "-07:00"))
        assert set(body["salesforce"]) == {"last_contact", "last_status"}
        with Store(db) as store:  # a capture by another process: the pusher sends it
            store.capture("s@example.com", None, opted_out=True, source="manual")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not server.org.get("Contact", contact)[
                "HasOptedOutOfEmail"]:
            time.sleep(0.2)
        assert server.org.get("Contact", contact)["HasOptedOutOfEmail"] == 1
        after = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
        assert after["salesforce"]["last_status"] == 200 and after["salesforce"]["last_contact"]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=40)
    assert process.returncode == 0, out + err
    assert f"web app at http://127.0.0.1:{port}/" in out and out.rstrip().endswith("stopped")
    assert "development server" not in out + err and "Traceback" not in out + err
    assert '"GET /healthz HTTP/1.1" 200' in err  # the access log, one line per request
    with Store(db) as store:
        assert store.count_pending() == 0 and store.get_person("s@example.com").opted_out


def test_serve_says_in_one_line_when_its_port_is_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(SYNCER), "serve", "--port", str(port)], capture_output=True, text=True,
            timeout=60, env={**os.environ, "SYNCER_DB": str(tmp_path / "s.db"),
                             "SYNCER_CONFIG": ""})
    assert result.returncode == 1
    assert f"Error: cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "choose another --port" in result.stderr and "Traceback" not in result.stderr


def test_healthz_is_503_with_the_reason_when_the_service_has_stopped_working(syncer):
    service = Service(syncer.store, lambda slot, trigger: None)  # never started: no scheduler
    answer = _web_app(syncer, service).test_client().get("/healthz")
    assert answer.status_code == 503
    assert json.loads(answer.data)["problems"] == ["the nightly scheduler is not running"]


def test_sigterm_during_a_push_lets_the_call_finish_and_records_it(server, tmp_path):
    """The pusher's call is in flight (Salesforce answers slowly) when SIGTERM arrives: the
    service waits for the answer, records the confirmation, and exits 0."""
    from sfmock.models.faults import install_faults

    contact = server.org.insert("Contact", {"LastName": "T", "Email": "t@example.com"})
    db = tmp_path / "serve.db"
    with Store(db) as store:
        store.upsert_person("t@example.com", salesforce_id=contact)
    install_faults(server.org, [{"fault": "latency", "ms": 1500, "method": "PATCH",
                                 "path": "/composite/sobjects"}])
    env = {**os.environ, "SYNCER_DB": str(db), "SF_LOGIN_URL": server.url,
           "SF_USERNAME": USERNAME, "SF_PASSWORD": PASSWORD, "SF_SECURITY_TOKEN": TOKEN,
           "SF_CA_BUNDLE": str(server.ca_path), "SYNCER_CONFIG": ""}
    port = _free_port()
    process = subprocess.Popen([str(SYNCER), "serve", "--port", str(port), "--push-interval",
                                "0.5"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", process)
        with Store(db) as store:
            store.capture("t@example.com", None, opted_out=True, source="manual")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not server.org.faults.log:
            time.sleep(0.02)  # until the slow PATCH has started (SIGTERM comes well inside it)
        assert server.org.faults.log, "the pusher never called Salesforce"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=40)
    assert process.returncode == 0, out + err
    assert server.org.get("Contact", contact)["HasOptedOutOfEmail"] == 1
    with Store(db) as store:  # the confirmation was recorded before the exit
        assert store.count_pending() == 0 and store.count_failed() == 0
        assert store.get_person("t@example.com").baseline is True


def test_syncer_web_serves_on_waitress_too_and_stops_on_sigterm(tmp_path):
    port = _free_port()
    process = subprocess.Popen(
        [str(SYNCER), "web", "--port", str(port)], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        env={**os.environ, "SYNCER_DB": str(tmp_path / "w.db"), "SYNCER_CONFIG": ""})
    try:
        assert _wait_for(f"http://127.0.0.1:{port}/healthz", process).json()["ok"] is True
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"web app at http://127.0.0.1:{port}/" in out
    assert "development server" not in err and '"GET /healthz HTTP/1.1" 200' in err
