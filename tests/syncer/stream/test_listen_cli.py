"""`syncer listen` and the stream's settings through the CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from syncer.cli import main


@pytest.fixture
def env(config) -> dict:
    return {"SYNCER_DB": config.db, "SF_USERNAME": config.username,
            "SF_PASSWORD": config.password, "SF_SECURITY_TOKEN": config.security_token,
            "SF_PUBSUB_ENDPOINT": config.pubsub_endpoint, "SF_CA_BUNDLE": config.ca_bundle}


def test_listen_without_a_configured_stream_names_the_settings_that_start_one(env):
    result = CliRunner().invoke(main, ["listen"], env=env)
    assert result.exit_code == 1
    assert "syncer settings --cdc on" in result.stderr
    assert "syncer settings --poll-minutes 5" in result.stderr
    assert "Traceback" not in result.output


def test_listen_streams_until_its_time_is_up_and_exits_cleanly(env):
    runner = CliRunner()
    assert runner.invoke(main, ["settings", "--cdc", "on"], env=env).exit_code == 0
    result = runner.invoke(main, ["listen", "--exit-after", "1"], env=env)
    assert result.exit_code == 0, result.output
    assert "streaming Contact and Lead change events (CDC)" in result.stderr
    assert result.stderr.rstrip().endswith("stopped")


def test_the_settings_show_and_check_the_stream(env):
    runner = CliRunner()
    shown = runner.invoke(main, ["settings", "--poll-minutes", "5"], env=env)
    assert "polling: every 5 minutes" in shown.stdout
    assert "change data capture: off" in shown.stdout
    refused = runner.invoke(main, ["settings", "--poll-minutes", "-1"], env=env)
    assert refused.exit_code == 1
    assert "use minutes between polls, from 0.01 to 1440 (0 turns polling off)" in refused.stderr


def test_a_pubsub_endpoint_without_a_port_is_refused_with_the_fix(env):
    result = CliRunner().invoke(main, ["status"], env={**env,
                                                       "SF_PUBSUB_ENDPOINT": "pubsub.example"})
    assert result.exit_code == 1
    assert "SF_PUBSUB_ENDPOINT 'pubsub.example' is not host:port" in result.stderr
