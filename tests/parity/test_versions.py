"""API versions: the list a current (Winter '27) org serves, labelled by release."""

from __future__ import annotations


def test_versions_list_runs_from_summer_14_to_winter_27(target, snapshot):
    snapshot("versions", target.call("GET", "/services/data"))


def test_the_current_version_serves_data_calls(target):
    resources = target.call("GET", "/services/data/v68.0")
    assert resources.status == 200
    assert resources.body["sobjects"] == "/services/data/v68.0/sobjects"
