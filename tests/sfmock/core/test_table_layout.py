"""How a type's table is laid out: Id, IsDeleted and the checkboxes first (the columns
filters read most: SQLite reaches a column by walking the row's header from the first); an org
file laid out in describe order, as sfmock's files used to be, answers the same."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import sqlite_utils

from sfmock.models import collections
from sfmock.models.org import Org
from sfmock.soql import QueryEngine
from tests.conftest import Clock

QUERY = ("SELECT Name, Email, Title, HasOptedOutOfEmail, DoNotCall FROM Contact "
         "WHERE HasOptedOutOfEmail = false ORDER BY Name")


def columns(org: Org | sqlite3.Connection, table: str) -> list[str]:
    return [name for _, name, *_ in org.execute(f'PRAGMA table_info("{table}")')]


def test_id_isdeleted_and_the_checkboxes_come_first_then_describe_order():
    org = Org()
    for sobject in ("Contact", "Lead", "Account"):
        fields = list(org.sobject(sobject).fields.values())
        checkboxes = [f.name for f in fields if f.type == "boolean" and f.name != "IsDeleted"]
        rest = [f.name for f in fields if f.type != "boolean" and f.name != "Id"]
        assert columns(org.db, sobject) == ["Id", "IsDeleted", *checkboxes, *rest,
                                            "_DeletedDate"]


def answers(org: Org, clock: Clock) -> list[dict]:
    user = org.add_user("ada@example.com", "pw", "token")
    made = [org.insert("Contact", {"LastName": f"Row {i}", "Email": f"row{i}@example.com",
                                   "HasOptedOutOfEmail": i % 3 == 0}, user_id=user)
            for i in range(7)]
    clock.advance(minutes=1)
    body = {"records": [{"attributes": {"type": "Contact"}, "id": made[i], "Title": "Later",
                         "DoNotCall": True, "HasOptedOutOfEmail": False} for i in (3, 4)]}
    assert all(r["success"] for r in collections.update(org, body, user_id=user))
    org.update("Contact", made[5], {"HasOptedOutOfEmail": True}, user_id=user)
    page = QueryEngine.for_org(org).query(QUERY, include_deleted=False, version="59.0")
    return [{k: v for k, v in record.items() if k != "attributes"} for record in page["records"]]


def test_an_org_file_in_describe_order_answers_the_same(tmp_path):
    got = []
    for name, old in (("old.db", True), ("new.db", False)):
        path = tmp_path / name
        clock = Clock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
        org = Org(path, clock=clock)
        described = ["Id", *(f for f in org.sobject("Contact").fields if f != "Id"),
                     "_DeletedDate"]
        org.close()
        if old:
            db = sqlite_utils.Database(path)
            db["Contact"].transform(column_order=described)  # keeps the key and indexes
            assert columns(db.conn, "Contact") == described
            db.close()
        org = Org(path, clock=clock)
        got.append(answers(org, clock))
        org.close()
    assert got[0] == got[1]
    assert [(r["Name"], r["Title"], r["DoNotCall"]) for r in got[0]] == [
        ("Row 1", None, False), ("Row 2", None, False), ("Row 3", "Later", True),
        ("Row 4", "Later", True)]
