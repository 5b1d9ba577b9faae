"""Batches of a plain org (no change listener, no rules, no formulas) take the tight loop of
sfmock/models/batch.py (`_insert_plain`, `_update_plain`), which reads only the stored columns
its checks use and writes rows that set the same values in one statement; they end exactly as
the same records written one by one: the same answers, result files and stored rows."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest

from sfmock.models import batch, collections
from sfmock.models import bulk2 as bulk2_model
from sfmock.models.fixtures import load_fixtures
from sfmock.models.org import Org
from sfmock.models.schema import custom_field
from tests.sfmock.batch.test_batched_writes import ingest, record, state

MOMENT = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def twin_orgs(tmp_path, *, unique: bool):
    """Two identical plain orgs: (to write together, to write one by one); with `unique`,
    Contact has a unique external-ID field."""
    seed = Org(tmp_path / "seed.db", clock=lambda: MOMENT)
    load_fixtures(seed)
    if unique:
        seed.add_custom_field("Contact", custom_field("Ext_Id__c", "Ext Id", "string",
                                                      length=40, external_id=True, unique=True))
    contacts = [r["Id"] for r in seed.records("Contact")]
    seed.delete("Contact", contacts[4])
    seed.close()
    orgs = []
    for name in ("together.db", "one_by_one.db"):
        shutil.copyfile(tmp_path / "seed.db", tmp_path / name)
        org = Org(tmp_path / name, clock=lambda: MOMENT)
        org.rules.lock(contacts[3])
        org.field_security.set("Contact", "Department", "read")
        orgs.append(org)
    assert batch.plain(orgs[0], orgs[0].sobject("Contact"))
    yield orgs[0], orgs[1]
    for org in orgs:
        org.close()


@pytest.fixture
def plain_twins(tmp_path):
    yield from twin_orgs(tmp_path, unique=True)


@pytest.fixture
def flag_twins(tmp_path):
    """Twin plain orgs with no unique field: a flag flip can go unread."""
    yield from twin_orgs(tmp_path, unique=False)


def both_states(org: Org) -> dict:
    return {**state(org), "Account": org.db.execute(
        'SELECT * FROM "Account" ORDER BY rowid').fetchall()}


def test_a_plain_collections_update_ends_as_one_by_one(plain_twins, monkeypatch):
    together, one_by_one = plain_twins
    contacts = [r["Id"] for r in together.records("Contact", include_deleted=True)]
    account = next(iter(together.records("Account")))["Id"]

    body = {"allOrNone": False, "records": [
        record(contacts[0], HasOptedOutOfEmail=True, Ext_Id__c="A-1"),
        record(contacts[1], Ext_Id__c="a-1"),  # duplicates the first, written in this call
        record("003000000000000AAA", Title="not found"),
        record("003xyz", Title="malformed"),
        record(None, Title="no Id"),
        record(contacts[2], LastName=""),  # a required field blanked
        record(contacts[3], Title="locked"),
        record(contacts[4], Title="deleted"),
        record(contacts[5], NoSuchField__c=1),
        record(contacts[15], Department="read-only by field-level security"),
        record(contacts[6][:15], FirstName="Fifteen"),  # 15-character Id; Name follows
        record(contacts[7], Email="new@example.com", Title="keys in one order"),
        record(contacts[8], Title="and the other", Email="other@example.com"),
        record(contacts[9], MailingCity="Leeds", AccountId=account),  # the address follows
        record(contacts[10], AccountId=contacts[0]),  # a Contact's Id in an Account lookup
        record(contacts[11], HasOptedOutOfEmail="maybe"),
        record(contacts[12], Email="not an email"),
        record(contacts[13], HasOptedOutOfEmail=True),
        record(contacts[14], HasOptedOutOfEmail=True),  # the same values as the one before
    ]}
    written = []
    monkeypatch.setattr(batch, "_update_plain", lambda *args, real=batch._update_plain:
                        written.append(len(args[2])) or real(*args))
    answer = collections.update(together, body, user_id=together.integration_user_id())
    assert written == [18]  # every record with an Id, in one plain batch
    monkeypatch.setattr(collections, "_update_together", lambda *args: None)
    expected = collections.update(one_by_one, body, user_id=one_by_one.integration_user_id())

    assert answer == expected
    assert [r["success"] for r in answer] == [
        True, False, False, False, False, False, False, False, False, False, True, True, True,
        True, False, False, False, True, True]
    assert both_states(together) == both_states(one_by_one)
    name, city = together.db.execute('SELECT Name, MailingAddress FROM "Contact" WHERE '
                                     'Id IN (?, ?) ORDER BY Id',
                                     [contacts[6], contacts[9]]).fetchall()
    assert name[0].startswith("Fifteen ") and "Leeds" in city[1]


def test_a_converted_lead_is_refused_in_a_plain_batch_as_one_by_one(plain_twins, monkeypatch):
    together, one_by_one = plain_twins
    leads = [r["Id"] for r in together.records("Lead")]
    for org in (together, one_by_one):
        org.convert_lead(leads[0])
    body = {"allOrNone": False, "records": [
        {"attributes": {"type": "Lead"}, "id": lead, "Company": "Renamed"} for lead in leads]}
    answer = collections.update(together, body, user_id=together.integration_user_id())
    monkeypatch.setattr(collections, "_update_together", lambda *args: None)
    assert answer == collections.update(one_by_one, body,
                                        user_id=one_by_one.integration_user_id())
    assert answer[0]["errors"][0]["statusCode"] == "CANNOT_UPDATE_CONVERTED_LEAD"
    assert both_states(together) == both_states(one_by_one)


@pytest.mark.parametrize("operation", ["insert", "update"])
def test_a_plain_bulk_ingest_ends_as_one_by_one(plain_twins, monkeypatch, operation):
    together, one_by_one = plain_twins
    contacts = [r["Id"] for r in together.records("Contact", include_deleted=True)]
    account = next(iter(together.records("Account")))["Id"]
    if operation == "insert":
        csv_text = ("LastName,FirstName,Email,Ext_Id__c,MailingCity,AccountId,HasOptedOutOfEmail\n"
                    f"New One,Ann,one@example.com,X-1,,{account},true\n"
                    "New Two,,two@example.com,,Paris,,FALSE\n"
                    "New Three,,three@example.com,x-1,,,\n"  # duplicates X-1
                    ",,nolastname@example.com,,,,\n"
                    "New Five,,not an email,,,,\n"
                    f"New Six,,,,,{contacts[0]},\n"  # a Contact's Id in an Account lookup
                    "New Seven,,,,,,yes\n"
                    "New Eight,Bo,eight@example.com,,,,true\n")
    else:
        csv_text = ("Id,Title,Ext_Id__c,FirstName\n" + f"{contacts[0]},First,B-2,\n"
                    f"{contacts[1]},Second,b-2,\n003000000000000AAA,Missing,,\n"
                    f"{contacts[3]},Locked,,\n{contacts[4]},Deleted,,\n,No Id,,\n"
                    f"{contacts[6][:15]},Fifteen,,Renamed\n{contacts[7]},Same,,\n"
                    f"{contacts[8]},Same,,\n")
    got = ingest(together, operation, csv_text)
    monkeypatch.setattr(bulk2_model._Applier, "_batch_chunk", lambda *args: None)
    assert got == ingest(one_by_one, operation, csv_text)
    assert got["failedResults"].count(b"\n") == 1 + (5 if operation == "insert" else 5)
    assert both_states(together) == both_states(one_by_one)


def test_records_sql_cannot_vouch_for_are_read_and_end_as_one_by_one(flag_twins, monkeypatch):
    """A flag flip goes unread (`batch._update_unread`) only where one UPDATE's WHERE can make
    every check; a stored record it does not vouch for is read and checked as one by one."""
    together, one_by_one = flag_twins
    contacts = [r["Id"] for r in together.records("Contact", include_deleted=True)]
    leads = [r["Id"] for r in together.records("Lead")]
    for org in (together, one_by_one):
        # Stored straight to the table: a blank required field, a Name its names disagree
        # with, a null Name; a converted Lead; a lock that lets one write through after one.
        org.db.execute('UPDATE "Contact" SET LastName = NULL, Name = FirstName WHERE Id = ?',
                       [contacts[0]])
        org.db.execute('UPDATE "Contact" SET Name = ? WHERE Id = ?', ["Stale", contacts[1]])
        org.db.execute('UPDATE "Contact" SET Name = NULL, FirstName = NULL WHERE Id = ?',
                       [contacts[2]])
        org.convert_lead(leads[0])
        org.rules.lock(contacts[6], calls=1)
        # The fixtures' unique External_Id__c: two records share a value, one has its own.
        for record_id, value in ((contacts[12], "dup"), (contacts[13], "DUP"),
                                 (contacts[14], "solo")):
            org.db.execute('UPDATE "Contact" SET External_Id__c = ? WHERE Id = ?',
                           [value, record_id])

    def flip(record_id, kind="Contact", **fields):
        return {"attributes": {"type": kind}, "id": record_id, **fields}

    body = {"allOrNone": False, "records": [
        flip(contacts[0], HasOptedOutOfEmail=True),
        flip(contacts[1], HasOptedOutOfEmail=True),
        flip(contacts[2], HasOptedOutOfEmail=False),
        flip(contacts[4], HasOptedOutOfEmail=True),  # deleted
        flip("003000000000000AAA", HasOptedOutOfEmail="maybe"),  # missing, and a bad value
        flip(contacts[6], HasOptedOutOfEmail=True),  # locked once
        flip(contacts[7], email="first@example.com", Email="second@example.com"),
        flip(contacts[8], HasOptedOutOfEmail=True, DoNotCall=True),
        flip(contacts[9], HasOptedOutOfEmail=False, DoNotCall=True),
        flip(contacts[10], HasOptedOutOfEmail="true", DoNotCall="true"),  # [8]'s, as text
        flip(contacts[11], Title=""),  # a blank that is not a required field
        flip(contacts[12], HasOptedOutOfEmail=True),  # a stored duplicate unique value
        flip(contacts[14], HasOptedOutOfEmail=True),
    ]}
    lead_body = {"allOrNone": False, "records": [
        flip(lead, "Lead", HasOptedOutOfEmail=True) for lead in leads[:3]]}
    answers = [collections.update(together, b, user_id=together.integration_user_id())
               for b in (body, body, lead_body)]
    monkeypatch.setattr(collections, "_update_together", lambda *args: None)
    expected = [collections.update(one_by_one, b, user_id=one_by_one.integration_user_id())
                for b in (body, body, lead_body)]

    assert answers == expected
    assert [r["success"] for r in answers[0]] == [
        False, True, True, False, False, False, True, True, True, True, True, False, True]
    assert [r["success"] for r in answers[1]][5] is True  # the lock let the second through
    assert [r["success"] for r in answers[2]] == [False, True, True]
    assert both_states(together) == both_states(one_by_one)
    row = together.get("Contact", contacts[7])
    assert row["Email"] == "second@example.com"
    assert together.get("Contact", contacts[1])["Name"] != "Stale"


def test_a_flag_flip_of_live_complete_records_reads_none_of_them(flag_twins, monkeypatch):
    together, _ = flag_twins
    contacts = [r["Id"] for r in together.records("Contact")]
    read = []
    monkeypatch.setattr(batch, "_update_read",
                        lambda *args, real=batch._update_read: read.append(args[2]) or
                        real(*args))
    body = {"allOrNone": False, "records": [
        {"attributes": {"type": "Contact"}, "id": record_id, "HasOptedOutOfEmail": True}
        for record_id in contacts if record_id != contacts[3]]}  # [3] is locked
    answer = collections.update(together, body, user_id=together.integration_user_id())
    assert all(r["success"] for r in answer) and read == []
    assert {r["HasOptedOutOfEmail"] for r in together.records("Contact")
            if r["Id"] != contacts[3]} == {1}


UNIFORM = {  # name: (type, the fields every record sets, whether one group stands for all)
    "a flag flip": ("Contact", {"HasOptedOutOfEmail": True}, True),
    "two fields": ("Contact", {"HasOptedOutOfEmail": False, "Title": "Same"}, True),
    "a null": ("Contact", {"Title": None}, True),
    "a bad value": ("Contact", {"HasOptedOutOfEmail": "maybe"}, False),
    "a number where the type differs": ("Contact", {"HasOptedOutOfEmail": 1}, False),
    "a required field blanked": ("Account", {"Name": ""}, False),
    "a required field set": ("Account", {"Name": "Same"}, True),
}


@pytest.mark.parametrize("name", list(UNIFORM))
@pytest.mark.parametrize("with_locked", [False, True])
def test_a_batch_setting_the_same_values_everywhere_ends_as_one_by_one(
        flag_twins, monkeypatch, name, with_locked):
    """Records of one shape setting the same values of the same types are grouped a column at
    a time (`batch._uniform_writes`), not record by record; missing, deleted and locked
    records, a value that fails, a required field blanked and a 1 among Trues end as one by
    one."""
    together, one_by_one = flag_twins
    kind, fields, grouped = UNIFORM[name]
    stored = [r["Id"] for r in together.records(kind)
              if r["Id"] not in together.rules.locks][:8]  # live, unlocked
    for org in (together, one_by_one):
        org.delete(kind, stored[1])
        org.rules.lock(stored[2])
    chosen = [c for i, c in enumerate(stored) if with_locked or i != 2]
    missing = stored[0][:3] + "000000000000AAA"
    records = [{"attributes": {"type": kind}, "id": c, **fields} for c in [*chosen, missing]]
    if name == "a number where the type differs":  # 1 == True, but not the same value
        records[0]["HasOptedOutOfEmail"] = True
    body = {"allOrNone": False, "records": records}
    groups = []
    monkeypatch.setattr(batch, "_uniform_writes", lambda *args, real=batch._uniform_writes:
                        groups.append(real(*args)) or groups[-1])
    answer = collections.update(together, body, user_id=together.integration_user_id())
    assert (groups[0] is not None) is (grouped and not with_locked)
    monkeypatch.setattr(collections, "_update_together", lambda *args: None)
    expected = collections.update(one_by_one, body, user_id=one_by_one.integration_user_id())

    assert answer == expected
    assert both_states(together) == both_states(one_by_one)
    failed = {i for i, r in enumerate(answer) if not r["success"]}
    assert {1, len(chosen)} <= failed  # deleted, missing
    assert (2 in failed) is with_locked or not grouped
