"""Describe as a current org answers it: object and field keys, childRelationships, 304."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

EMULATED = {"Account", "Contact", "Lead", "User"}


def emulated_describe(stored: dict):
    """Both sides within what sfmock models: the recorded fields, lookups among its objects."""
    names = [f["name"] for f in stored["body"]["fields"] if not f["custom"]]

    def scope(view: dict) -> dict:
        body = dict(view["body"])
        by_name = {f["name"]: f for f in body["fields"]}
        body["fields"] = [by_name.get(name, {"name": name, "missing": True}) for name in names]
        body["childRelationships"] = [r for r in body["childRelationships"]
                                      if r["childSObject"] in EMULATED]
        return {**view, "body": body}

    return scope


@pytest.mark.parametrize("sobject", ["Contact", "Lead"])
def test_describe_matches_a_recorded_current_describe(target, snapshot, recorded, sobject):
    name = f"describe_{sobject.lower()}"
    answer = target.call("GET", f"sobjects/{sobject}/describe")
    snapshot(name, answer, scope=emulated_describe(recorded(name)))


def test_global_describe_entries_carry_the_current_keys(target, snapshot):
    def scope(view: dict) -> dict:
        body = dict(view["body"])
        # The recording's Lead entry was edited (keyPrefix null); Lead is pinned by its describe.
        body["sobjects"] = [s for s in body["sobjects"] if s["name"] in EMULATED - {"Lead"}]
        return {**view, "body": body}

    snapshot("describe_global", target.call("GET", "sobjects"), scope=scope)


@pytest.mark.parametrize("path", ["sobjects/Contact/describe", "sobjects"])
def test_describe_answers_304_when_the_schema_has_not_changed_since(target, snapshot, path):
    tomorrow = format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
    answer = target.call("GET", path, headers={"If-Modified-Since": tomorrow})
    snapshot("describe_not_modified", answer)
