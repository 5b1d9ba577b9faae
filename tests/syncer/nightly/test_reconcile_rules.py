"""The reconciler's rules, as a table: sticky opt-outs by default, a three-way merge on request."""

import pytest

from syncer.nightly.reconcile import Followed, baseline_for, decide, follow

T, F = True, False

# (local, salesforce, baseline) -> (kind, new local, new salesforce, new baseline)
STICKY = [
    ((T, T, T), ("in_sync", None, None, T)),
    ((F, F, F), ("in_sync", None, None, F)),
    ((T, T, None), ("agree", None, None, T)),
    ((F, F, None), ("agree", None, None, F)),
    ((T, T, F), ("moved", None, None, T)),
    ((F, F, T), ("moved", None, None, F)),
    # opted out here, not in Salesforce: push, whatever the baseline
    ((T, F, None), ("push", None, T, T)),
    ((T, F, F), ("push", None, T, T)),
    # unchecked in Salesforce alone: set again (sticky)
    ((T, F, T), ("push", None, T, T)),
    # opted out in Salesforce: apply here
    ((F, T, None), ("apply", T, None, T)),
    ((F, T, F), ("apply", T, None, T)),
    ((F, T, T), ("apply", T, None, T)),
]

THREE_WAY = [
    ((T, T, T), ("in_sync", None, None, T)),
    ((F, F, None), ("agree", None, None, F)),
    ((T, T, F), ("moved", None, None, T)),
    ((F, F, T), ("moved", None, None, F)),
    # only the local side changed: push it (either way)
    ((T, F, F), ("push", None, T, T)),
    ((F, T, T), ("push", None, F, F)),
    # only Salesforce changed: apply it here (either way)
    ((T, F, T), ("apply", F, None, F)),
    ((F, T, F), ("apply", T, None, T)),
    # no baseline and the sides disagree: the opt-out wins on both sides
    ((T, F, None), ("conflict", None, T, T)),
    ((F, T, None), ("conflict", T, None, T)),
]


def _outcome(decision):
    return decision.kind, decision.local, decision.remote, decision.baseline


@pytest.mark.parametrize(("sides", "expected"), STICKY)
def test_sticky_rules(sides, expected):
    local, remote, baseline = sides
    decision = decide(local, remote, baseline, honour_resubscribes=False)
    assert _outcome(decision) == expected
    assert decision.reason


@pytest.mark.parametrize(("sides", "expected"), THREE_WAY)
def test_three_way_rules(sides, expected):
    local, remote, baseline = sides
    decision = decide(local, remote, baseline, honour_resubscribes=True)
    assert _outcome(decision) == expected
    assert decision.reason


def test_sticky_never_clears_an_opt_out_on_either_side():
    for local in (T, F):
        for remote in (T, F):
            for baseline in (T, F, None):
                decision = decide(local, remote, baseline)
                assert decision.local is not False and decision.remote is not False


def test_unchecking_in_salesforce_is_set_again_with_the_reason_logged():
    decision = decide(True, False, True, field="HasOptedOutOfEmail")
    assert decision.remote is True
    assert "sticky" in decision.reason and "syncer resubscribe" in decision.reason


def test_honoured_resubscribe_from_salesforce_says_why():
    decision = decide(True, False, True, honour_resubscribes=True)
    assert decision.local is False
    assert "honour_salesforce_resubscribes" in decision.reason


def test_deleted_record_keeps_the_person_state():
    for local in (T, F):
        decision = decide(local, None, T, honour_resubscribes=True)
        assert decision.kind == "deleted"
        assert decision.local is None and decision.remote is None and decision.baseline is None


def test_only_changes_and_moved_baselines_are_logged():
    assert not decide(T, T, T).logged
    assert not decide(T, T, None).logged
    assert decide(T, T, F).logged
    assert decide(T, F, None).logged
    assert decide(F, T, None, honour_resubscribes=True).conflict


def test_a_baseline_of_another_field_is_no_baseline():
    assert baseline_for(True, "HasOptedOutOfEmail", "HasOptedOutOfEmail") is True
    assert baseline_for(True, "HasOptedOutOfEmail", "ToutApp__MSE_Opt_Out__c") is None
    assert baseline_for(None, None, "HasOptedOutOfEmail") is None


def _records(**records):
    return lambda sfid: records.get(sfid)


def test_follow_live_converted_merged_deleted_and_missing():
    lookup = _records(
        L1={"IsDeleted": False, "IsConverted": True, "ConvertedContactId": "C1"},
        C1={"IsDeleted": False},
        C2={"IsDeleted": True, "MasterRecordId": "C1"},
        C3={"IsDeleted": True, "MasterRecordId": None},
        C4={"IsDeleted": "true", "MasterRecordId": "C2"},
    )
    assert follow("C1", lookup) == Followed("live", "C1", ("C1",))
    assert follow("L1", lookup) == Followed("converted", "C1", ("L1", "C1"))
    assert follow("C2", lookup) == Followed("merged", "C1", ("C2", "C1"))
    assert follow("C4", lookup) == Followed("merged", "C1", ("C4", "C2", "C1"))
    assert follow("C3", lookup) == Followed("deleted", None, ("C3",))
    assert follow("C9", lookup) == Followed("missing", None, ())


def test_follow_stops_on_a_cycle():
    lookup = _records(A={"IsDeleted": True, "MasterRecordId": "B"},
                      B={"IsDeleted": True, "MasterRecordId": "A"})
    assert follow("A", lookup).target is None
