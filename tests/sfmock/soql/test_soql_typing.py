"""SOQL literal typing and size limits, as real orgs refuse them.

Sources: the SOQL and SOSL Reference ("Date Formats and Date Literals": a dateTime field takes
a dateTime or relative literal, a date field a date or relative literal); recorded real
messages cited beside each test.
"""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest
import requests
from simple_salesforce.exceptions import SalesforceError, SalesforceMalformedRequest

from sfmock.uri_limit import MAX_BYTES


def error_of(excinfo) -> dict:
    return excinfo.value.content[0]


def refused(sf, soql: str) -> dict:
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.query(soql)
    return error_of(failure)


# -- literal types ------------------------------------------------------------------------------


def test_a_date_literal_against_a_datetime_field_is_refused(csf):
    # The words a real org answers, quoted in public client code that hit it (for example the
    # EventLogFile readers filtering `CreatedDate > 2020-01-01`).
    error = refused(csf, "SELECT Id FROM Contact WHERE CreatedDate > 2020-01-01")
    assert error == {
        "message": "\nSELECT Id FROM Contact WHERE CreatedDate > 2020-01-01\n" + " " * 43 + "^\n"
                   "ERROR at Row:1:Column:44\nvalue of filter criterion for field 'CreatedDate' "
                   "must be of type dateTime and should not be enclosed in quotes",
        "errorCode": "INVALID_QUERY_FILTER_OPERATOR"}


def test_a_datetime_literal_against_a_date_field_is_refused(csf):
    error = refused(csf, "SELECT Id FROM Lead WHERE ConvertedDate = 2026-11-25T00:00:00Z")
    assert error["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"
    assert error["message"].endswith(
        "value of filter criterion for field 'ConvertedDate' must be of type date and should "
        "not be enclosed in quotes")


def test_relative_literals_still_serve_datetime_fields(csf):
    assert csf.query("SELECT COUNT() FROM Contact WHERE CreatedDate = LAST_N_DAYS:3")[
        "totalSize"] == csf.query("SELECT COUNT() FROM Contact")["totalSize"]


@pytest.mark.parametrize(("where", "field", "kind", "quotes"), [
    ("HasOptedOutOfEmail = 1", "HasOptedOutOfEmail", "boolean", "should not"),
    ("HasOptedOutOfEmail = 'false'", "HasOptedOutOfEmail", "boolean", "should not"),
    ("LastName = 42", "LastName", "string", "should"),
    ("LastName = false", "LastName", "string", "should"),
    ("AccountId = 1", "AccountId", "string", "should"),
    ("CreatedDate = 'TODAY'", "CreatedDate", "dateTime", "should not"),
])
def test_a_literal_of_the_wrong_kind_is_refused(csf, where, field, kind, quotes):
    error = refused(csf, f"SELECT Id FROM Contact WHERE {where}")
    assert error["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"
    assert error["message"].endswith(
        f"value of filter criterion for field '{field}' must be of type {kind} and {quotes} be "
        "enclosed in quotes")


@pytest.mark.parametrize("literal", ["003xyz", "003000000000000AAAA", "not an id"])
def test_a_malformed_id_literal_is_invalid_query_filter_operator(csf, literal):
    # restforce/restforce#557: a malformed Id in a filter answers INVALID_QUERY_FILTER_OPERATOR.
    error = refused(csf, f"SELECT Id FROM Contact WHERE AccountId IN ('{literal}')")
    assert error["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"
    assert error["message"].endswith(f"\ninvalid ID field: {literal}")


# -- dateTime literals name a whole second ------------------------------------------------------


def test_a_datetime_literal_matches_every_stamp_in_its_second(clock, clocked_org, csf):
    # Real orgs store dateTimes to the second, so `= ...T20:00:00Z` finds a record stamped in
    # that second even where sfmock's store still holds milliseconds.
    clock.advance(milliseconds=457)
    made = csf.Contact.create({"LastName": "Stamped"})["id"]
    ids = lambda where: [r["Id"] for r in csf.query(  # noqa: E731
        f"SELECT Id FROM Contact WHERE LastName = 'Stamped' AND {where}")["records"]]
    assert ids("CreatedDate = 2026-11-25T20:00:00Z") == [made]
    assert ids("CreatedDate = 2026-11-25T12:00:00-08:00") == [made]
    assert ids("CreatedDate >= 2026-11-25T20:00:00Z") == [made]
    assert ids("CreatedDate <= 2026-11-25T20:00:00Z") == [made]
    assert ids("CreatedDate > 2026-11-25T20:00:00Z") == []
    assert ids("CreatedDate < 2026-11-25T20:00:00Z") == []
    assert ids("CreatedDate > 2026-11-25T19:59:59Z") == [made]
    assert ids("CreatedDate != 2026-11-25T20:00:00Z") == []


# -- size limits ----------------------------------------------------------------------------------


def test_a_statement_over_100000_characters_is_refused(clocked_org):
    # Recorded real answer (django-salesforce/django-salesforce#164): MALFORMED_QUERY "SOQL
    # statements can not be longer than 100000 characters". Through the engine: a URI that
    # long would be refused first (414), as it is by a real org.
    from sfmock import errors
    from sfmock.soql.engine import QueryEngine

    engine = QueryEngine.for_org(clocked_org)
    padding = " " * (100_001 - len("SELECT Id FROM Contact"))
    with pytest.raises(errors.MalformedQuery) as failure:
        engine.query("SELECT Id FROM Contact" + padding, include_deleted=False, version="59.0")
    assert failure.value.body() == [{
        "message": "SOQL statements can not be longer than 100000 characters",
        "errorCode": "MALFORMED_QUERY"}]
    exactly = "SELECT Id FROM Contact" + padding[:-1]
    assert engine.query(exactly, include_deleted=False, version="59.0")["totalSize"] > 0


def test_a_uri_over_16384_bytes_is_414_in_process(csf):
    # Salesforce Help 000386264: "If the URI itself exceeds this limit, the request returns a
    # 414 URI Too Long error"; the body real orgs send (simple-salesforce#271).
    soql = "SELECT Id FROM Contact WHERE LastName IN (" + ", ".join(["'abcdefgh'"] * 1500) + ")"
    with pytest.raises(SalesforceError) as failure:
        csf.query(soql)
    assert failure.value.status == 414
    assert failure.value.content == "<h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>"


def test_a_long_query_inside_a_composite_body_is_not_limited(csf):
    # Salesforce Help 000386264 advises exactly this for a statement too long for a URI.
    names = ", ".join(["'abcdefgh'"] * 1500)
    soql = f"SELECT COUNT() FROM Contact WHERE LastName IN ({names})"
    response = csf.restful("composite", method="POST", json={"compositeRequest": [{
        "method": "GET", "referenceId": "long",
        "url": "/services/data/v59.0/query/?q=" + quote_plus(soql)}]})
    [answer] = response["compositeResponse"]
    assert answer["httpStatusCode"] == 200 and answer["body"]["totalSize"] == 0


def test_uri_and_header_limits_over_the_https_server(server, server_sf):
    session = server_sf.session
    headers = {"Authorization": f"Bearer {server_sf.session_id}"}
    base = f"{server.url}/services/data/v59.0/query/"
    path = "/services/data/v59.0/query/"

    def get(uri_bytes: int, **extra: str) -> requests.Response:
        query = "q=SELECT+Id+FROM+Contact+LIMIT+1&pad="
        filler = "x" * (uri_bytes - len(path) - 1 - len(query))
        return session.get(f"{base}?{query}{filler}", headers={**headers, **extra})

    just_under = get(MAX_BYTES - 2000)
    assert just_under.status_code == 200 and just_under.json()["totalSize"] == 1
    too_long = get(MAX_BYTES + 1)
    assert too_long.status_code == 414
    assert too_long.text == "<h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>"
    # URI under the limit, URI plus headers over it: 431
    crowded = get(MAX_BYTES - 100, **{"X-Filler": "y" * 200})
    assert crowded.status_code == 431
    assert "Request Header Fields Too Large" in crowded.text
