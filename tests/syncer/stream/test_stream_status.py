"""What `syncer doctor`, `syncer status` and the web app's home say about the stream."""

from __future__ import annotations

import json
from dataclasses import replace

from click.testing import CliRunner

from syncer.cli import main
from syncer.service import Syncer
from syncer.web import auth, create_app

from ..conftest import FAST
from ..web.conftest import ADMIN_HASH, Admin
from .conftest import streaming, wait_for


def stream_check(syncer: Syncer):
    [check] = [c for c in syncer.doctor().checks if c.name == "change stream"]
    return check


def test_doctor_says_nightly_only_when_no_stream_is_configured(syncer):
    check = stream_check(syncer)
    assert check.status == "pass" and check.message.startswith("nightly only")
    assert "syncer settings --cdc on" in check.message


def test_doctor_checks_the_pubsub_api_with_the_session_and_is_honest_about_selection(syncer):
    syncer.settings(cdc=True)
    check = stream_check(syncer)
    assert check.status == "pass"
    assert "GetTopic /data/ChangeEvents" in check.message
    assert "cannot be read through the API" in check.message


def test_doctor_fails_when_cdc_is_unreachable_and_polling_is_off(config, tmp_path):
    unreachable = replace(config, pubsub_endpoint="127.0.0.1:9")
    with Syncer(unreachable, policy=FAST) as other:
        other.settings(cdc=True)
        assert stream_check(other).status == "fail"
        other.settings(poll_minutes=5)
        check = stream_check(other)
    assert check.status == "warn" and "polling every 5 min runs instead" in check.message


def test_status_shows_the_mode_the_lag_and_the_last_event(org, syncer, config):
    record = next(r for r in org.records("Contact") if not r["HasOptedOutOfEmail"])
    syncer.store.upsert_person(record["Email"], salesforce_id=record["Id"], source="import")
    syncer.settings(cdc=True)
    with streaming(syncer):
        org.update("Contact", record["Id"], {"HasOptedOutOfEmail": True})
        wait_for(lambda: syncer.store.stream_state().get("last_event"))
    env = {"SYNCER_DB": config.db, "SF_USERNAME": config.username,
           "SF_PASSWORD": config.password, "SF_SECURITY_TOKEN": config.security_token}
    text = CliRunner().invoke(main, ["status"], env=env).stdout
    assert "stream: cdc; alive at" in text and f"last event UPDATE Contact {record['Id']}" in text
    data = json.loads(CliRunner().invoke(main, ["status", "--json"], env=env).stdout)
    assert data["stream"]["mode"] == "cdc" and data["stream"]["lag_seconds"] < 2
    syncer.store.put_value(auth.PASSWORD_HASH, ADMIN_HASH)
    home = Admin(create_app(syncer).test_client()).get("/admin/").get_data(as_text=True)
    assert "Change Data Capture (streaming)" in home and record["Id"] in home
