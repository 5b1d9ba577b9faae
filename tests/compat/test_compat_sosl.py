"""simple-salesforce's SOSL calls, `client.search` and `client.quick_search`, unmodified, on both front
doors: the in-process `mock_salesforce()` and `sfmock serve --tls` in its own process; and
jsforce's `conn.search` against the latter."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock.testing import PASSWORD, TOKEN, USERNAME


@pytest.fixture(params=["inprocess", "sfmock_serve"])
def client(request) -> Salesforce:
    """simple-salesforce logged in (SOAP) at one front door of the default org."""
    if request.param == "inprocess":
        request.getfixturevalue("org")
        return Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
    serving = request.getfixturevalue("sfmock_serve")
    host = serving.url.removeprefix("https://")
    return Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN,
                      domain=f"{host}/login", session=serving.session())


def names(result: dict) -> list[tuple[str, str]]:
    return [(r["attributes"]["type"], r["Name"]) for r in result["searchRecords"]]


def test_search_finds_people_by_name_across_contacts_and_leads(client):
    result = client.search("FIND {Fischer} IN NAME FIELDS RETURNING Contact(Name ORDER BY Name), "
                       "Lead(Name WHERE IsConverted = false ORDER BY Name)")
    assert names(result) == [
        ("Contact", "Michael Fischer"), ("Contact", "Noah Fischer"),
        ("Contact", "Sofia Fischer"), ("Contact", "Sophia Fischer"),
        ("Lead", "Diego Fischer"), ("Lead", "Elijah Fischer"), ("Lead", "Owen Fischer")]


def test_search_finds_everyone_behind_an_email_with_their_opt_out(client):
    result = client.search("FIND {emma.garcia@blueharbor.com} IN EMAIL FIELDS "
                       "RETURNING Contact(Id, HasOptedOutOfEmail), Lead(Id, HasOptedOutOfEmail)")
    people = result["searchRecords"]
    assert [p["attributes"]["type"] for p in people] == ["Contact", "Lead"]
    assert [p["Id"][:3] for p in people] == ["003", "00Q"]
    assert all(p["HasOptedOutOfEmail"] is False for p in people)


def test_quick_search_wraps_the_text_in_find_and_answers_ids(client):
    result = client.quick_search("Kowalski")
    assert len(result["searchRecords"]) == 1
    record = result["searchRecords"][0]
    assert list(record) == ["attributes", "Id"] and record["attributes"]["type"] == "Contact"
    assert client.Contact.get(record["Id"])["LastName"] == "Kowalski"


def test_quick_search_of_a_phone_number_and_a_wildcard(client):
    assert len(client.quick_search("555 0100")["searchRecords"]) == 1
    assert len(client.quick_search("Kowal*")["searchRecords"]) == 1


def test_a_search_that_finds_nothing_answers_an_empty_list(client):
    # Since API 37.0 the body is never empty, so simple-salesforce returns it rather than None.
    assert client.quick_search("Zyzzyva") == {"searchRecords": []}


def test_search_errors_raise_malformed_request_with_the_salesforce_code(client):
    with pytest.raises(SalesforceMalformedRequest) as raised:
        client.quick_search("x")
    assert raised.value.content == [{"message": "search term must be longer than one character: x",
                                     "errorCode": "INVALID_SEARCH"}]
    with pytest.raises(SalesforceMalformedRequest) as raised:
        client.search("FIND {Fischer} RETURNING Contact(Nickname)")
    assert raised.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_parameterized_search_through_restful_get_and_post(client):
    got = client.restful("parameterizedSearch/", params={
        "q": "Fischer", "sobject": "Lead", "Lead.fields": "Name", "Lead.limit": "2"})
    posted = client.restful("parameterizedSearch/", method="POST", json={
        "q": "Fischer", "sobjects": [{"name": "Lead", "fields": ["Name"], "limit": 2}]})
    assert names(got) == names(posted) == [("Lead", "Owen Fischer"), ("Lead", "Elijah Fischer")]


JSFORCE_SEARCH = r"""
const jsforce = require("jsforce");
const env = process.env;
(async () => {
  const conn = new jsforce.Connection({ loginUrl: env.SF_URL, version: "59.0" });
  await conn.login(env.SF_USER, env.SF_PASS);
  const found = await conn.search(
    "FIND {Kowalski} IN NAME FIELDS RETURNING Contact(Id, Name, Email)");
  let refused = null;
  try {
    await conn.search("FIND {Kowalski} IN EVERY FIELDS");
  } catch (e) {
    refused = e.errorCode || e.name;
  }
  console.log(JSON.stringify({ records: found.searchRecords, refused }));
})().catch(e => { console.error(`${e.errorCode || e.name}: ${e.message}`); process.exit(1); });
"""


def test_jsforce_search_reads_search_records(run_jsforce):
    out = run_jsforce(JSFORCE_SEARCH)
    assert [(r["attributes"]["type"], r["Name"], r["Email"]) for r in out["records"]] == [
        ("Contact", "Tomasz Kowalski", "tomasz.kowalski@lumenanalytics.io")]
    assert out["refused"] == "MALFORMED_SEARCH"
