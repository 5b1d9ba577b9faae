"""The floors the benchmarks compare with answer exactly what sfmock answered, and nothing else."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce

from sfmock import mock_salesforce
from sfmock.testing import PASSWORD, TOKEN, USERNAME

FLOORS = Path(__file__).resolve().parents[2] / "benchmarks" / "floors.py"
spec = importlib.util.spec_from_file_location("bench_floors", FLOORS)
floors = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = floors  # dataclasses look their module up there
spec.loader.exec_module(floors)

SOQL = "SELECT Id, LastName FROM Contact ORDER BY LastName LIMIT 3"


@pytest.fixture
def recorded():
    """A query and a failing get against sfmock, recorded: (recording, first response)."""
    with mock_salesforce():
        sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
        recording = floors.Recording()
        with recording.on(sf.session):
            first = sf.session.get(f"{sf.base_url}query", params={"q": SOQL},
                                   headers=sf.headers)
            sf.session.get(f"{sf.base_url}sobjects/Contact/003000000000000AAA",
                           headers=sf.headers)
        return sf, recording, first


def test_replay_answers_the_recorded_bytes_with_no_emulator(recorded):
    sf, recording, first = recorded
    assert [e.status for e in recording.exchanges] == [200, 404]
    with floors.replayed(recording):
        again = sf.session.get(f"{sf.base_url}query", params={"q": SOQL}, headers=sf.headers)
        missing = sf.session.get(f"{sf.base_url}sobjects/Contact/003000000000000AAA")
    assert again.content == first.content and again.status_code == 200
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"


def test_replay_refuses_a_request_the_recording_does_not_hold(recorded):
    sf, recording, _ = recorded
    with floors.replayed(recording), pytest.raises(AssertionError, match="floor replay: got"):
        sf.session.get(f"{sf.base_url}limits")


def test_the_wsgi_floor_serves_the_recorded_bytes_over_tls(recorded, tmp_path):
    sf, recording, first = recorded
    with floors.WsgiFloor(tmp_path / "certs") as floor:
        floor.load(recording)
        path = first.request.path_url
        again = requests.get(floor.url + path, verify=str(floor.ca_path), timeout=10)
        assert (again.status_code, again.content) == (200, first.content)
        assert again.headers["Content-Type"] == first.headers["Content-Type"]
        missing = requests.get(f"{floor.url}{recording.exchanges[1].target}",
                               verify=str(floor.ca_path), timeout=10)
        assert missing.status_code == 404 and missing.content == recording.exchanges[1].body


def test_a_floor_row_reports_the_ratio_and_whether_the_target_is_met():
    row = floors.floor_row("b", "c", "wall time", 3.0, 2.0, "ms", target=1.5, floor_is="x")
    assert (row["baseline"], row["ratio"], row["target"], row["met"]) == \
        (2.0, 1.5, "ratio <= 1.5x", True)
    assert not floors.floor_row("b", "c", "m", 3.1, 2.0, "ms", target=1.5, floor_is="x")["met"]
