"""`syncer nightly` and `syncer serve`: exit codes, summary, --json, --dry-run, the service."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.cli import State, main
from syncer.config import Config
from syncer.service import Syncer
from syncer.store import Store

FIELD = "HasOptedOutOfEmail"


@pytest.fixture
def invoke(sforg, store):
    config = Config(username=USERNAME, password=PASSWORD, security_token=TOKEN, db=store.path)

    def run(*args):
        syncer = Syncer(config, store=store)
        return CliRunner().invoke(main, list(args), obj=State(syncer=syncer))

    return run


def seed(sforg, store):
    contact = sforg.insert("Contact", {"LastName": "A", "Email": "a@example.com", FIELD: True})
    lead = sforg.insert("Lead", {"LastName": "B", "Company": "C", "Email": "b@example.com"})
    store.upsert_person("a@example.com", salesforce_id=contact)
    store.upsert_person("b@example.com", salesforce_id=lead)
    store.set_opted_out(store.get_person("b@example.com").id, True, source="import")
    return contact, lead


def test_nightly_prints_a_summary_and_exits_0(invoke, sforg, store):
    _, lead = seed(sforg, store)
    result = invoke("nightly")
    assert result.exit_code == 0, result.output
    assert "nightly sync ok: full" in result.output
    assert "pushed 1 to Salesforce; applied 1 here" in result.output
    assert sforg.get("Lead", lead)[FIELD] == 1


def test_nightly_json(invoke, sforg, store):
    seed(sforg, store)
    result = invoke("nightly", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["status"] == "ok" and report["pushed_local"] == 1
    assert report["api_calls"] > 0 and report["run_id"] == store.list_runs()[0].id


def test_nightly_dry_run_lists_each_side_and_changes_nothing(invoke, sforg, store):
    _, lead = seed(sforg, store)
    result = invoke("nightly", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "here: opt out a@example.com" in result.output
    assert f"Salesforce: set {FIELD} to true on Lead b@example.com" in result.output
    assert "dry run (nothing changed)" in result.output
    assert sforg.get("Lead", lead)[FIELD] == 0 and store.list_runs() == []


def test_nightly_refuses_when_the_sync_is_off(invoke, store):
    store.update_settings(nightly_sync=False)
    result = invoke("nightly")
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: the nightly sync is off in settings: turn it on with"
                                     " `syncer settings --nightly-sync on` (or preview with"
                                     " --dry-run)")


def test_nightly_exits_1_when_the_run_fails(invoke, sforg, store):
    seed(sforg, store)
    store.update_settings(field="marketo-sales-opt-out")  # the package is not installed
    result = invoke("nightly")
    assert result.exit_code == 1
    assert "nightly sync failed" in result.output and "Traceback" not in result.output
    assert "ToutApp__MSE_Opt_Out__c" in result.output and "syncer doctor" in result.output
    assert store.list_runs()[0].status == "failed"


def test_nightly_exits_3_when_it_stops_at_the_api_reserve(invoke, sforg, store):
    seed(sforg, store)
    sforg.set_api_limit(sforg.api_usage()[0] + 2)  # the pull's one call fits; the push would not
    store.update_settings(api_reserve_percent=50)
    result = invoke("nightly")
    assert result.exit_code == 3, result.output
    assert "API reserve reached" in result.output


def test_serve_catches_up_a_missed_run_over_https(server, tmp_path):
    """`syncer serve` against `sfmock serve --tls`: the missed 20:00 run runs at start-up."""
    contact = server.org.insert("Contact", {"LastName": "S", "Email": "s@example.com", FIELD: True})
    db = tmp_path / "serve.db"
    with Store(db) as store:
        store.upsert_person("s@example.com", salesforce_id=contact)
        store.update_settings(nightly_sync=True)
    env = {**os.environ, "SYNCER_DB": str(db), "SF_LOGIN_URL": server.url,
           "SF_USERNAME": USERNAME, "SF_PASSWORD": PASSWORD, "SF_SECURITY_TOKEN": TOKEN,
           "SF_CA_BUNDLE": str(server.ca_path)}
    syncer = Path(sys.executable).with_name("syncer")  # the console script next to python
    process = subprocess.Popen([str(syncer), "serve", "--port", "0", "--push-interval", "1"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        deadline = time.monotonic() + 30
        runs = []
        while time.monotonic() < deadline and not runs:
            time.sleep(0.3)
            with Store(db) as store:
                runs = [r for r in store.list_runs() if r.status != "running"]
        assert runs and runs[0].status == "ok" and runs[0].details["trigger"] == "catch-up"
        with Store(db) as store:
            assert store.get_person("s@example.com").opted_out
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert "running the missed" in output and "next nightly sync" in output
    assert process.returncode == 0, output


def test_serve_wakes_the_pusher_after_each_post_to_the_web_app(sforg, store):
    from syncer.cli.serve import _web_app
    from syncer.nightly.schedule import Service

    config = Config(username=USERNAME, password=PASSWORD, security_token=TOKEN, db=store.path)
    service = Service(store, lambda slot, trigger: None)
    app = _web_app(Syncer(config, store=store), service)
    client = app.test_client()
    client.get("/")
    assert not service._wake.is_set()
    client.post("/", data={})
    assert service._wake.is_set()
