"""Batched events' details are encoded by hand (decision_json, opt_out_json, push_json): byte
for byte what the store's to_json writes, for every value they can hold, and to_json itself
otherwise."""

from __future__ import annotations

import itertools

import pytest

from syncer.nightly.state import decision_json, opt_out_json
from syncer.store.outbox import push_json
from syncer.store.values import to_json

FLAGS = (True, False, None)


@pytest.mark.parametrize("field", ["HasOptedOutOfEmail", 'Opt "Out" é__c', "Back\\slash\n"])
def test_decision_json_writes_what_to_json_writes(field):
    for baseline, local, salesforce, run_id, kind, sfid in itertools.product(
            FLAGS, (True, False), FLAGS, (None, 7, 123456), ("push", "apply", "moved"),
            ("003Ab0000012345AAA", "ünïcode\u2028")):
        details = {"run_id": run_id, "kind": kind, "field": field, "salesforce_id": sfid,
                   "local": local, "salesforce": salesforce, "baseline": baseline,
                   "mode": "sticky"}
        assert decision_json(details) == to_json(details)


@pytest.mark.parametrize("change", [
    {"fan_out": True},  # an extra key
    {"baseline": 1},  # an int where a checkbox was expected: to_json writes 1
    {"run_id": True},
    {"salesforce_id": None},
    {"local": 0.0},
])
def test_any_other_shape_or_type_is_encoded_by_to_json(change):
    details = {"run_id": 3, "kind": "push", "field": "HasOptedOutOfEmail",
               "salesforce_id": "003Ab0000012345AAA", "local": True, "salesforce": False,
               "baseline": None, "mode": "sticky", **change}
    assert decision_json(details) == to_json(details)


@pytest.mark.parametrize("field", ["HasOptedOutOfEmail", 'Opt "Out" é__c', "Back\\slash\n"])
def test_opt_out_json_writes_what_to_json_writes(field):
    for previous, run_id, sfid in itertools.product(
            (True, False), (None, 7, 123456), ("003Ab0000012345AAA", "ünïcode\u2028")):
        details = {"previous": previous, "run_id": run_id, "salesforce_id": sfid,
                   "field": field}
        assert opt_out_json(details) == to_json(details)


@pytest.mark.parametrize("change", [
    {"fan_out": True},  # an extra key
    {"previous": 1},  # an int where a checkbox was expected
    {"run_id": False},
    {"salesforce_id": None},
    {"field": None},
])
def test_any_other_opt_out_shape_is_encoded_by_to_json(change):
    details = {"previous": False, "run_id": 3, "salesforce_id": "003Ab0000012345AAA",
               "field": "HasOptedOutOfEmail", **change}
    assert opt_out_json(details) == to_json(details)


@pytest.mark.parametrize("extra", [{"run_id": None, "via": "bulk"}, {"run_id": 42, "via": "bulk"},
                                   {"via": "collections"}, {"via": 'é "quoted"'}])
def test_push_json_writes_what_to_json_writes(extra):
    for field, outbox_id, sfid, value, superseded in itertools.product(
            ("HasOptedOutOfEmail", 'Opt "Out" é__c'), (1, 987654321),
            ("00QAb0000012345AAA", None, "ünïcode\u2028"), (True, False), (True, False)):
        details = {**extra, "outbox_id": outbox_id, "field": field, "salesforce_id": sfid,
                   "value": value, "superseded": superseded}
        assert push_json(details) == to_json(details)


@pytest.mark.parametrize("change", [
    {"note": "x"},  # an extra key
    {"value": 1},  # an int where a checkbox was expected
    {"superseded": None},
    {"outbox_id": True},
    {"outbox_id": "7"},
    {"run_id": "7"},
    {"via": None},
])
def test_any_other_push_shape_is_encoded_by_to_json(change):
    details = {"run_id": 3, "via": "bulk", "outbox_id": 7, "field": "HasOptedOutOfEmail",
               "salesforce_id": "003Ab0000012345AAA", "value": True, "superseded": False,
               **change}
    assert push_json(details) == to_json(details)


def test_a_push_missing_a_key_is_encoded_by_to_json():
    details = {"via": "bulk", "outbox_id": 7, "field": "HasOptedOutOfEmail", "value": True,
               "superseded": False, "note": "in place of salesforce_id"}
    assert push_json(details) == to_json(details)
