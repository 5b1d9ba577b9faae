"""The stored stamps' indexes: SystemModstamp is indexed (with Id, the keyset order sync
tools read by), LastModifiedDate is not (as in Salesforce); what a query answers never
depended on either, and an org file saved with the indexes it used to have answers the
same."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from sfmock.models import collections
from sfmock.models.org import Org
from sfmock.soql import QueryEngine
from sfmock.soql.compiler import compile_query
from sfmock.soql.parser import parse
from tests.conftest import Clock

ORDERED = "SELECT Id FROM Contact ORDER BY LastModifiedDate DESC LIMIT 8"


def written(org: Org, clock: Clock) -> list[str]:
    """Six Contacts made in one second, then two of them (the 2nd and 5th) updated through
    sObject Collections a minute later: the stamps tie in twos and fours."""
    user = org.add_user("ada@example.com", "pw", "token")
    made = [org.insert("Contact", {"LastName": f"Tie {i}"}, user_id=user) for i in range(6)]
    clock.advance(minutes=1)
    body = {"records": [{"attributes": {"type": "Contact"}, "id": made[i], "Title": "Later"}
                        for i in (4, 1)]}
    assert all(r["success"] for r in collections.update(org, body, user_id=user))
    return made


def ordered(org: Org) -> list[str]:
    page = QueryEngine.for_org(org).query(ORDERED, include_deleted=False, version="59.0")
    return [record["Id"] for record in page["records"]]


def indexes(org: Org) -> set[str]:
    return {name for (name,) in org.db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'Contact'")}


def test_order_by_last_modified_date_breaks_ties_in_the_order_records_were_made():
    clock = Clock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    org = Org(clock=clock)
    made = written(org, clock)
    assert "idx_Contact_SystemModstamp_Id" in indexes(org)
    assert "idx_Contact_LastModifiedDate" not in indexes(org)
    assert ordered(org) == [made[1], made[4], made[0], made[2], made[3], made[5]]


KEYSET = "SELECT Id FROM Contact WHERE SystemModstamp >= 2026-11-30T09:00:00Z " \
         "ORDER BY SystemModstamp, Id"


def keyset(org: Org) -> list[str]:
    page = QueryEngine.for_org(org).query(KEYSET, include_deleted=True, version="59.0")
    return [record["Id"] for record in page["records"]]


def test_the_keyset_order_sorts_nothing_and_breaks_stamp_ties_by_id():
    clock = Clock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    org = Org(clock=clock)
    made = written(org, clock)
    plan = compile_query(parse(KEYSET), org, include_deleted=True, now=org.now())
    steps = [step for *_, step in org.db.execute(f"EXPLAIN QUERY PLAN {plan.sql}", plan.params)]
    assert not [step for step in steps if "TEMP B-TREE" in step], steps
    first, later = sorted(made[i] for i in (0, 2, 3, 5)), sorted(made[i] for i in (1, 4))
    assert keyset(org) == first + later


def test_an_org_file_saved_with_the_old_stamp_indexes_answers_the_same(tmp_path):
    """sfmock's org files used to index SystemModstamp alone and LastModifiedDate."""
    answers = []
    for name, old in (("old.db", True), ("new.db", False)):
        path = tmp_path / name
        clock = Clock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
        Org(path, clock=clock).close()
        if old:
            with sqlite3.connect(path) as conn:
                conn.execute('DROP INDEX "idx_Contact_SystemModstamp_Id"')
                conn.execute('CREATE INDEX "idx_Contact_SystemModstamp" ON "Contact" '
                             '("SystemModstamp")')
                conn.execute('CREATE INDEX "idx_Contact_LastModifiedDate" ON "Contact" '
                             '("LastModifiedDate")')
        org = Org(path, clock=clock)
        assert ("idx_Contact_LastModifiedDate" in indexes(org)) is old
        made = written(org, clock)
        answers.append([[made.index(record_id) for record_id in read(org)]
                        for read in (ordered, keyset)])
        org.close()
    assert answers[0] == answers[1]
    assert answers[0][0] == [1, 4, 0, 2, 3, 5] and sorted(answers[0][1]) == list(range(6))
