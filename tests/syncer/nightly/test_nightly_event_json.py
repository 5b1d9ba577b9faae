"""A batched decision event's details are encoded by hand (decision_json): byte for byte what
the store's to_json writes, for every value a decision can hold, and to_json itself otherwise."""

from __future__ import annotations

import itertools

import pytest

from syncer.nightly.state import decision_json
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
