"""Query pages written straight from the rows (sfmock/soql/render.py) carry the very bytes the
dict path gives through Flask's jsonify: every kind of value, parents, the Name object, TYPEOF,
child subqueries (which keep the dict path) and the page around the records."""

from __future__ import annotations

import json

import pytest

from sfmock.api.query import _page
from sfmock.app import create_app
from sfmock.models.schema import custom_field
from sfmock.soql import QueryEngine, render
from sfmock.soql.compiler import compile_query
from sfmock.soql.parser import parse
from sfmock.soql.render import RecordsJson

AWKWARD_TEXT = ['plain', 'quote " and backslash \\', "new\nline\ttab\r\x01\x1f", "del \x7f",
                "café ünïcode", "emoji \U0001f600 and \u2028", "", "/slashes/ <b>&amp;</b>"]
NUMBERS = [0.0, -0.0, 1.0, 0.1 + 0.2, 1e20, 1.5e-7, -123456.789, 2.0**53 + 1, None]


@pytest.fixture
def varied(clocked_org, csf) -> dict[str, str]:
    """Contacts holding every kind of value, some under an Account, one with an address."""
    clocked_org.add_custom_field("Contact", custom_field("Score__c", "Score", "double"))
    clocked_org.add_custom_field("Contact", custom_field(
        "Source__c", "Source", "reference", length=18, reference_to=("Account", "Lead"),
        relationship_name="Source__r"))
    account = csf.Account.create({"Name": "Acme \u00e9 \"Q\"", "Industry": "Retail"})["id"]
    lead = csf.Lead.create({"LastName": "Lead \U0001f600", "Company": "Co\n"})["id"]
    for i, text in enumerate(AWKWARD_TEXT):
        csf.Contact.create({
            "LastName": f"Render {i} {text}", "Email": f"r{i}@example.com",
            "Title": text or None, "Score__c": NUMBERS[i % len(NUMBERS)],
            "HasOptedOutOfEmail": i % 2 == 0, "AccountId": account if i % 3 else None,
            "Source__c": [account, lead, None][i % 3], "Birthdate": f"1990-01-0{i % 9 + 1}",
            "MailingCity": text or None, "MailingLatitude": NUMBERS[i % len(NUMBERS)],
        })
    contact = csf.Contact.create({"LastName": "Who"})["id"]
    csf.Task.create({"Subject": "Call", "WhatId": account, "WhoId": contact})
    csf.Task.create({"Subject": "Email", "WhoId": lead})
    return {"account": account, "lead": lead}


QUERIES = [
    "SELECT Id, LastName, Email, Title, HasOptedOutOfEmail, Score__c, Birthdate FROM Contact",
    "SELECT FIELDS(STANDARD) FROM Contact",
    "SELECT Name, MailingAddress, MailingLatitude FROM Contact WHERE LastName LIKE 'Render%'",
    "SELECT LastName, Account.Name, Account.Industry, Account.Owner.Name FROM Contact",
    "SELECT Subject, What.Name, What.Type, Who.Name, Who.Email, Owner.Name FROM Task",
    "SELECT LastName, TYPEOF Source__r WHEN Account THEN Name, Industry WHEN Lead THEN Company "
    "ELSE Name END FROM Contact",
    "SELECT Name, (SELECT LastName, Title FROM Contacts) FROM Account",
    "SELECT COUNT() FROM Contact",
    "SELECT HasOptedOutOfEmail, COUNT(Id) n, MAX(Score__c) FROM Contact GROUP BY HasOptedOutOfEmail",
    "SELECT Id FROM Contact WHERE LastName = 'nobody'",
    "SELECT Id FROM Contact",
    "SELECT Email, Title FROM Contact",
    "SELECT Title, Id, Account.Id, Account.Name FROM Contact",
]


@pytest.fixture(autouse=True)
def every_page_written(monkeypatch):
    """Write pages of any size (small ones normally take the dict path)."""
    monkeypatch.setattr(render, "MIN_ROWS", 0)


def compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


@pytest.mark.parametrize("soql", QUERIES)
def test_written_records_are_the_bytes_of_the_built_ones(clocked_org, varied, soql):
    engine = QueryEngine.for_org(clocked_org)
    for version in ("59.0", "42.0"):
        built = engine.query(soql, include_deleted=False, batch_size=200, version=version)
        written = engine.query(soql, include_deleted=False, batch_size=200, version=version,
                               as_json=True)
        expected = compact(built["records"])
        got = written["records"]
        assert (got.text() if isinstance(got, RecordsJson) else compact(got)) == expected


def test_plain_records_are_written_and_subqueries_keep_the_dict_path(clocked_org, varied,
                                                                      monkeypatch):
    engine = QueryEngine.for_org(clocked_org)
    flat = engine.query(QUERIES[3], include_deleted=False, version="59.0", as_json=True)
    nested = engine.query(QUERIES[6], include_deleted=False, version="59.0", as_json=True)
    assert isinstance(flat["records"], RecordsJson)
    assert isinstance(nested["records"], list)
    monkeypatch.setattr(render, "MIN_ROWS", 1000)
    small = engine.query(QUERIES[3], include_deleted=False, version="59.0", as_json=True)
    assert isinstance(small["records"], list)


def test_a_page_response_is_the_bytes_jsonify_writes(clocked_org, varied):
    """The page around the records (totalSize, done, nextRecordsUrl) and the trailing newline;
    the next page (queryMore) too."""
    engine = QueryEngine.for_org(clocked_org)
    app = create_app(clocked_org)
    with app.app_context():
        for as_json in (False, True):
            first = engine.query(QUERIES[0], include_deleted=False, batch_size=200,
                                 version="59.0", as_json=as_json)
            assert first["done"] is True
        built = engine.query(QUERIES[0], include_deleted=False, version="59.0")
        written = engine.query(QUERIES[0], include_deleted=False, version="59.0", as_json=True)
        assert _page(written).get_data() == app.json.response(built).get_data()
        assert _page(written).mimetype == "application/json"


def test_a_query_more_page_is_the_bytes_jsonify_writes(clocked_org):
    from tests.sfmock.soql.conftest import bulk_contacts

    bulk_contacts(clocked_org, 450)
    engine = QueryEngine.for_org(clocked_org)
    app = create_app(clocked_org)
    soql = "SELECT Id, Name, Email, HasOptedOutOfEmail FROM Contact"
    with app.app_context():
        written = engine.query(soql, include_deleted=False, batch_size=200, version="59.0",
                               as_json=True)
        assert written["nextRecordsUrl"]
        locator = written["nextRecordsUrl"].rsplit("/", 1)[1]
        built_more = engine.query_more(locator, version="59.0")
        written_more = engine.query_more(locator, version="59.0", as_json=True)
        assert isinstance(written_more["records"], RecordsJson)
        assert _page(written_more).get_data() == app.json.response(built_more).get_data()
        built_first = dict(written, records=json.loads(written["records"].text()))
        assert _page(written).get_data() == app.json.response(built_first).get_data()


def test_a_page_writes_each_row_as_its_record_writer_does(clocked_org):
    """The page writer (one comprehension) and the record writer agree on rows no query of
    an org makes too: a missing Id, an Id that is not text, escapes in the Id and the value."""
    plan = compile_query(parse("SELECT Id, Email, HasOptedOutOfEmail FROM Contact"),
                         clocked_org, include_deleted=False, now=clocked_org.now())
    record, page = render._writers(plan.shape)
    assert page is not None
    rows = [("003A", 'a"b\\c', 1), (None, "x", 0), (5, None, None), ("00\u00e9\n", "café", 1)]
    assert page(rows, "P/") == [record(row, "P/") for row in rows]
    assert json.loads(f"[{','.join(page(rows, 'P/'))}]")[2]["Id"] == 5


ESCAPED = ['quote "', "back\\slash", "tab\t", "new\nline", "nul \x00", "unit \x1f", "del \x7f",
           "café", "emoji \U0001f600", "line sep \u2028", "lone \ud800"]


@pytest.mark.parametrize("awkward", ESCAPED)
@pytest.mark.parametrize("column", [0, 1, 2])
def test_a_page_writes_unescaped_text_only_where_every_value_is_plain(clocked_org, column,
                                                                       awkward):
    """Text columns whose every value on the page needs no escape are written as they are;
    one value that needs one (or a null, or a number) sends its column the escaping way, and
    every record's bytes are those `json.dumps` gives."""
    plan = compile_query(parse("SELECT Id, Email, Title, HasOptedOutOfEmail FROM Contact"),
                         clocked_org, include_deleted=False, now=clocked_org.now())
    rows = [(f"003{i:015d}", f"p{i}@example.com", f"Plain <{i}> ~!#$%&'()*+,-./:;=?@[]^_`{{|}}",
             i % 2) for i in range(30)]
    page = render.write_records(plan.shape, rows, "59.0")
    assert page == [record(row) for row in rows]
    for odd in (awkward, None, 5):
        changed = [*rows[:7], (*rows[7][:column], odd, *rows[7][column + 1:]), *rows[8:]]
        assert render.write_records(plan.shape, changed, "59.0") == [
            record(row) for row in changed]


def record(row: tuple) -> str:
    """A row's record as json.dumps writes it (compact, ASCII escapes)."""
    return render.dumps(None if row[0] is None else {
        "attributes": {"type": "Contact",
                       "url": f"/services/data/v59.0/sobjects/Contact/{row[0]}"},
        "Id": row[0], "Email": row[1], "Title": row[2],
        "HasOptedOutOfEmail": None if row[3] is None else bool(row[3])})


def test_the_unescaped_writer_of_a_set_of_columns_is_made_once(clocked_org):
    plan = compile_query(parse("SELECT Id, Email FROM Contact"), clocked_org,
                         include_deleted=False, now=clocked_org.now())
    rows = [(f"003{i:015d}", f"p{i}@example.com") for i in range(25)]
    render.write_records(plan.shape, rows, "59.0")
    render.write_records(plan.shape, rows[::-1], "59.0")
    render.write_records(plan.shape, [*rows[1:], (rows[0][0], None)], "59.0")
    assert set(plan.shape.__dict__["_plain_pages"]) == {frozenset({0, 1}), frozenset({0})}


def test_long_text_areas_are_always_escaped_on_the_way(clocked_org):
    """Only short text is checked for the unescaped writer: a long text area's values would
    cost as much to check as to quote."""
    plan = compile_query(parse("SELECT Id, Description, Email, HasOptedOutOfEmail FROM Contact"),
                         clocked_org, include_deleted=False, now=clocked_org.now())
    rows = [(f"003{i:015d}", f"Plain note {i}", f"p{i}@example.com", 1) for i in range(25)]
    assert render.write_records(plan.shape, rows, "59.0") == [
        render.dumps({"attributes": {"type": "Contact",
                                     "url": f"/services/data/v59.0/sobjects/Contact/{row[0]}"},
                      "Id": row[0], "Description": row[1], "Email": row[2],
                      "HasOptedOutOfEmail": True}) for row in rows]
    assert set(plan.shape.__dict__["_plain_pages"]) == {frozenset({0, 2})}
