"""Limits: the record counts the Salesforce CLI reads (`sf org list sobject record-counts`)."""

from __future__ import annotations


def test_record_counts_name_each_object_asked_for(target, snapshot):
    target.create("Account", {"Name": "Parity Count"})

    def scope(view: dict) -> dict:  # how many is the org's own business
        counted = [{**entry, "count": isinstance(entry["count"], int) and entry["count"] > 0}
                   for entry in view["body"]["sObjects"]]
        return {**view, "body": {"sObjects": counted}}

    answer = target.call("GET", "limits/recordCount", params={"sObjects": "Account"})
    snapshot("record_count", answer, scope=scope)
