"""Records written together (sObject Collections updates, Bulk API 2.0 inserts and updates) end
exactly as when written one by one: the same outcomes, rows, stamps, Ids and change
notifications, failures included (sfmock/models/batch.py)."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime

import pytest

from sfmock.models import bulk2 as bulk2_model
from sfmock.models import collections
from sfmock.models.bulk2 import Bulk2
from sfmock.models.fixtures import load_fixtures
from sfmock.models.org import Org
from sfmock.models.schema import custom_field

MOMENT = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return MOMENT


def prepared(path) -> Org:
    """The default org with a unique external-ID field, a validation rule and a locked row."""
    org = Org(path, clock=fixed_clock)
    org.rules.add_validation("Contact", "No_Test_Names", ("LastName", "=", "Invalid"),
                             "Last name cannot be Invalid", "LastName")
    contacts = [r["Id"] for r in org.records("Contact")]
    org.rules.lock(contacts[3])
    return org


@pytest.fixture
def twins(tmp_path):
    """Two identical orgs (one file, copied): (to write together, to write one by one, events)."""
    seed = Org(tmp_path / "seed.db", clock=fixed_clock)
    load_fixtures(seed)
    seed.add_custom_field("Contact", custom_field("Ext_Id__c", "Ext Id", "string", length=40,
                                                  external_id=True, unique=True))
    contacts = [r["Id"] for r in seed.records("Contact")]
    seed.delete("Contact", contacts[4])
    seed.close()
    orgs, events = [], []
    for name in ("together.db", "one_by_one.db"):
        shutil.copyfile(tmp_path / "seed.db", tmp_path / name)
        org = prepared(tmp_path / name)
        seen: list = []
        org.on_change(lambda *event, seen=seen: seen.append(event))
        orgs.append(org)
        events.append(seen)
    yield orgs[0], orgs[1], events
    for org in orgs:
        org.close()


def state(org: Org) -> dict:
    return {t: org.db.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall()
            for t in ("Contact", "Lead")}


def record(record_id: str | None, **fields) -> dict:
    """A Contact for an sObject Collections body (no `id` key when `record_id` is None)."""
    return {"attributes": {"type": "Contact"}, **({"id": record_id} if record_id else {}),
            **fields}


def test_a_collections_update_with_every_kind_of_failure_ends_as_one_by_one(twins, monkeypatch):
    together, one_by_one, events = twins
    contacts = [r["Id"] for r in together.records("Contact", include_deleted=True)]
    lead = next(iter(together.records("Lead")))["Id"]

    body = {"allOrNone": False, "records": [
        record(contacts[0], HasOptedOutOfEmail=True, Ext_Id__c="A-1"),
        record(contacts[1], Ext_Id__c="a-1"),  # duplicates the first, written in this call
        record("003000000000000AAA", Title="not found"),
        record("003xyz", Title="malformed"),
        record(None, Title="no Id"),
        record(contacts[2], LastName="Invalid"),  # the validation rule
        record(contacts[3], Title="locked"),
        record(contacts[4], Title="deleted"),
        record(contacts[5], NoSuchField__c=1),
        record(contacts[6][:15], FirstName="Fifteen"),  # 15-character Id
        {"attributes": {"type": "Lead"}, "id": lead, "HasOptedOutOfEmail": True},
        record(contacts[7], Email="new@example.com"),
    ]}
    answer = collections.update(together, body, user_id=together.integration_user_id())
    monkeypatch.setattr(collections, "_update_together", lambda *args: None)
    expected = collections.update(one_by_one, body, user_id=one_by_one.integration_user_id())

    assert answer == expected
    assert [r["success"] for r in answer] == [True, False, False, False, False, False, False,
                                              False, False, True, True, True]
    assert answer[1]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert state(together) == state(one_by_one)
    assert events[0] == events[1] and len(events[0]) == 4


def test_all_or_none_rolls_a_batched_update_back_as_one_by_one(twins, monkeypatch):
    together, one_by_one, events = twins
    contacts = [r["Id"] for r in together.records("Contact")]
    body = {"allOrNone": True, "records": [
        {"attributes": {"type": "Contact"}, "id": contacts[0], "Title": "kept?"},
        {"attributes": {"type": "Contact"}, "id": contacts[1], "LastName": "Invalid"}]}
    before = state(together)
    answer = collections.update(together, body, user_id=together.integration_user_id())
    monkeypatch.setattr(collections, "_update_together", lambda *args: None)
    assert answer == collections.update(one_by_one, body,
                                        user_id=one_by_one.integration_user_id())
    assert answer[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert state(together) == before == state(one_by_one)


def ingest(org: Org, operation: str, csv_text: str) -> dict[str, bytes]:
    """Run one Bulk API 2.0 ingest job to its end, in this thread: its three result files."""
    bulk = Bulk2.for_org(org)
    info = bulk.create_ingest({"object": "Contact", "operation": operation},
                              user_id=org.integration_user_id(), version="59.0")
    job = bulk.get(info["id"], "ingest")
    bulk.upload(job, io.BytesIO(csv_text.encode()))
    bulk._ingest(job)
    job.state = "JobComplete"
    return {which: b"".join(bulk.ingest_results(job, which))
            for which in ("successfulResults", "failedResults", "unprocessedrecords")}


@pytest.mark.parametrize("operation", ["insert", "update"])
def test_a_bulk_ingest_chunk_written_together_ends_as_one_by_one(twins, monkeypatch, operation):
    together, one_by_one, events = twins
    contacts = [r["Id"] for r in together.records("Contact", include_deleted=True)]
    if operation == "insert":
        csv_text = ("LastName,Email,Ext_Id__c\nNew One,one@example.com,X-1\n"
                    "Invalid,two@example.com,\nNew Three,three@example.com,x-1\n"
                    "New Four,,\n,nolastname@example.com,\n")
    else:
        csv_text = ("Id,Title,Ext_Id__c\n" + f"{contacts[0]},First,B-2\n"
                    f"{contacts[1]},Second,b-2\n003000000000000AAA,Missing,\n"
                    f"{contacts[3]},Locked,\n{contacts[4]},Deleted,\n,No Id,\n"
                    f"{contacts[6][:15]},Fifteen,\n")
    got = ingest(together, operation, csv_text)
    monkeypatch.setattr(bulk2_model._Applier, "_batch_chunk", lambda *args: None)
    assert got == ingest(one_by_one, operation, csv_text)
    assert got["successfulResults"].count(b"\n") == 3
    assert b"DUPLICATE_VALUE" in got["failedResults"]
    assert state(together) == state(one_by_one)
    assert events[0] == events[1] and events[0]


def test_a_duplicate_rule_sees_the_rows_written_before_it_in_the_same_chunk(twins, monkeypatch):
    together, one_by_one, events = twins
    for org in (together, one_by_one):
        org.behaviours.add_duplicate_rule({"type": "Contact", "match": ["Email"],
                                           "name": "Same_Email", "action": "block"})
    csv_text = ("LastName,Email\nFirst,same@example.com\nSecond,SAME@example.com\n"
                "Third,other@example.com\n")
    got = ingest(together, "insert", csv_text)
    monkeypatch.setattr(bulk2_model._Applier, "_batch_chunk", lambda *args: None)
    assert got == ingest(one_by_one, "insert", csv_text)
    assert b"DUPLICATES_DETECTED" in got["failedResults"]
    assert got["successfulResults"].count(b"\n") == 3
    assert state(together) == state(one_by_one)
