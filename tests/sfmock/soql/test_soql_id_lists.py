"""`WHERE Id IN (...)` of many Ids (the syncer's lookups): the Ids drive the statement
(sfmock/soql/compiler.py, `_Compiler.filters`), and the answer is the one the list gives
anywhere else in a filter: each matching record once, in the table's order unless ORDER BY
says otherwise, deleted records only for queryAll, and the same errors."""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock.soql.compiler import DRIVING_IDS

from .conftest import bulk_contacts

COUNT = DRIVING_IDS + 8


def listed(record_ids: list[str]) -> str:
    return ", ".join(f"'{record_id}'" for record_id in record_ids)


def ids_of(result: dict) -> list[str]:
    return [r["Id"] for r in result["records"]]


@pytest.fixture
def backwards(clocked_org) -> list[str]:
    """Contacts written one at a time, the highest Id first: in the table's (rowid) order,
    which answers follow, their Ids descend. Every third one is deleted."""
    made = []
    for i in reversed(range(COUNT)):
        made += bulk_contacts(clocked_org, 1, first=i, deleted_every=3 if i % 3 == 0 else 0)
    return made


def live(record_ids: list[str]) -> list[str]:
    """The Ids of `backwards` not deleted (the fixture deletes every third, from Id 0)."""
    return [record_id for i, record_id in enumerate(reversed(record_ids)) if i % 3][::-1]


def test_records_come_in_the_tables_order_not_the_lists_or_the_ids(csf, backwards):
    asked = sorted(backwards)
    assert asked != backwards  # the Ids ascend the other way from the table
    got = csf.query(f"SELECT Id FROM Contact WHERE Id IN ({listed(asked)})")
    assert ids_of(got) == live(backwards) and got["totalSize"] == len(live(backwards))


def test_an_id_listed_twice_or_in_its_15_character_form_is_one_record(csf, backwards):
    first, second, *rest = live(backwards)
    asked = [first, first, first[:15], second[:15], *rest]
    assert ids_of(csf.query(f"SELECT Id FROM Contact WHERE Id IN ({listed(asked)})")) \
        == live(backwards)


@pytest.mark.parametrize("template", [
    "SELECT Id, Name, Email FROM Contact WHERE {ids}",
    "SELECT Id FROM Contact WHERE FirstName = 'Bulk' AND {ids} AND Email != null",
    "SELECT Id, LastName FROM Contact WHERE {ids} ORDER BY LastName DESC LIMIT 5 OFFSET 2",
    "SELECT Id, Account.Name, Owner.Alias FROM Contact WHERE {ids} AND Owner.IsActive = true",
    "SELECT COUNT() FROM Contact WHERE {ids}",
    "SELECT LastName, COUNT(Id) FROM Contact WHERE {ids} GROUP BY LastName ORDER BY LastName",
])
@pytest.mark.parametrize("deleted_too", [False, True])
def test_a_list_of_ids_answers_as_the_same_list_under_an_or_does(csf, backwards, template,
                                                                 deleted_too):
    """`(Id IN (...) OR Id = null)` matches the same records (an Id is never null), and
    nothing drives a statement from a list under an OR."""
    ids = f"Id IN ({listed(backwards + ['003000000000001AAA'])})"
    driven = csf.query(template.format(ids=ids), include_deleted=deleted_too)
    plain = csf.query(template.format(ids=f"({ids} OR Id = null)"), include_deleted=deleted_too)
    assert driven == plain and driven["totalSize"] > 0


def test_a_long_list_pages_in_the_tables_order(clocked_org, csf):
    made = bulk_contacts(clocked_org, 450)[::-1]  # their Ids in descending order
    batch = {"headers": {"Sforce-Query-Options": "batchSize=200"}}
    first = csf.query(f"SELECT Id FROM Contact WHERE Id IN ({listed(made[:250])})", **batch)
    assert first["totalSize"] == 250 and len(first["records"]) == 200
    rest = csf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert rest["done"] is True
    assert ids_of(first) + ids_of(rest) == sorted(made[:250])  # bulk Ids ascend with rowids


@pytest.mark.parametrize(("where", "code", "words"), [
    ("Id IN ({ids}, 'abc') AND Nope__c = 1", "INVALID_QUERY_FILTER_OPERATOR",
     "invalid ID field: abc"),
    ("Nope__c = 1 AND Id IN ({ids}, 'abc')", "INVALID_FIELD", "No such column 'Nope__c'"),
    ("Id IN ({ids}, 42)", "INVALID_QUERY_FILTER_OPERATOR", "must be of type string"),
])
def test_a_long_list_fails_as_a_short_one_does_first_error_first(csf, backwards, where, code,
                                                                  words):
    for ids in (listed(backwards), listed(backwards[:1])):
        with pytest.raises(SalesforceMalformedRequest) as failure:
            csf.query(f"SELECT Id FROM Contact WHERE {where.format(ids=ids)}")
        error = failure.value.content[0]
        assert error["errorCode"] == code and words in error["message"]


@pytest.mark.parametrize("template", [
    "SELECT Id, Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE {ids})",
    "SELECT Name, (SELECT Id FROM Contacts WHERE {ids}) FROM Account WHERE Id IN ({accounts})",
])
def test_a_list_of_ids_in_a_subquery_answers_as_under_an_or(csf, template):
    """Only the query's own filter is driven by its Ids."""
    known = csf.query("SELECT Id, AccountId FROM Contact WHERE AccountId != null")["records"]
    contacts = [r["Id"] for r in known[:len(known) // 2]]  # some of each
    accounts = listed(sorted({r["AccountId"] for r in known}))
    padding = [f"003000000000{i:03d}AAA" for i in range(DRIVING_IDS)]  # Ids of no record
    ids = f"Id IN ({listed(contacts + padding)})"
    driven = csf.query(template.format(ids=ids, accounts=accounts))
    plain = csf.query(template.format(ids=f"({ids} OR Id = null)", accounts=accounts))
    assert driven == plain and driven["totalSize"] > 0


def test_null_in_a_long_list_matches_a_record_stored_without_an_id(clocked_org, csf, backwards):
    """Written straight to the table, a row may lack an Id: `IN (..., null)` matches it (its
    record is null), as `Id = null` would."""
    with clocked_org.lock:
        clocked_org.db.conn.execute(
            "INSERT INTO Contact (Id, IsDeleted, LastName) VALUES (NULL, 0, 'Nobody')")
    got = csf.query(f"SELECT Id, LastName FROM Contact WHERE Id IN ({listed(backwards)}, null)")
    assert got["totalSize"] == len(live(backwards)) + 1 and got["records"][-1] is None
