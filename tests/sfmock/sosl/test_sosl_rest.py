"""The Search and Parameterized Search resources on both front doors: shapes, errors, counting."""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.sfmock.sosl.conftest import id_by_email


def get(sf, version: str, resource: str, **params):
    """A raw GET of `/services/data/v{version}/{resource}` with the client's session."""
    base = sf.base_url.replace(f"v{sf.sf_version}", f"v{version}")
    return sf.session.get(f"{base}{resource}", params=params, headers=sf.headers)


def test_search_answers_search_records_with_each_records_type_and_url(door):
    org, sf = door
    body = sf.search("FIND {emma.garcia@blueharbor.com} IN EMAIL FIELDS "
                     "RETURNING Contact(Id, Email), Lead(Id, Email)")
    assert list(body) == ["searchRecords"]
    contact, lead = body["searchRecords"]
    contact_id = id_by_email(org, "Contact", "emma.garcia@blueharbor.com")
    assert contact == {"attributes": {"type": "Contact",
                                      "url": f"/services/data/v59.0/sobjects/Contact/{contact_id}"},
                       "Id": contact_id, "Email": "emma.garcia@blueharbor.com"}
    assert lead["attributes"]["type"] == "Lead" and lead["Id"].startswith("00Q")


def test_a_search_finding_nothing_is_an_empty_list_not_an_error(door):
    _, sf = door
    assert sf.search("FIND {Zyzzyva}") == {"searchRecords": []}


def test_before_api_37_the_records_come_as_a_bare_list(door):
    # Summer '16 (API 37.0) wrapped the list in {"searchRecords": [...]}; older versions keep it.
    _, sf = door
    response = get(sf, "36.0", "search/", q="FIND {Kowalski} RETURNING Contact(Name)")
    assert response.status_code == 200
    assert response.json() == [{
        "attributes": {"type": "Contact", "url": response.json()[0]["attributes"]["url"]},
        "Name": "Tomasz Kowalski"}]
    assert response.json()[0]["attributes"]["url"].startswith("/services/data/v36.0/sobjects/")


def test_errors_are_the_json_array_with_salesforce_codes(door):
    _, sf = door
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.search("FIND Smith")
    assert raised.value.content == [{"message": "No search term found. The search term must be "
                                                "enclosed in braces.",
                                     "errorCode": "MALFORMED_SEARCH"}]
    response = get(sf, "59.0", "search/", q="FIND {x}")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert response.json() == [{"message": "search term must be longer than one character: x",
                                "errorCode": "INVALID_SEARCH"}]


def test_a_search_without_q_is_refused(door):
    _, sf = door
    response = get(sf, "59.0", "search/")
    assert response.status_code == 400 and response.json()[0]["errorCode"] == "MALFORMED_SEARCH"


def test_each_search_counts_as_one_api_call(door):
    org, sf = door
    before = org.api_usage()[0]
    sf.search("FIND {Fischer}")
    sf.restful("parameterizedSearch/", params={"q": "Fischer"})
    assert org.api_usage()[0] == before + 2


def test_parameterized_get_takes_objects_fields_limits_and_a_search_group(door):
    _, sf = door
    body = sf.restful("parameterizedSearch/", params={
        "q": "Fischer", "sobject": ["Contact", "Lead"], "Contact.fields": "Name,Email",
        "Contact.where": "HasOptedOutOfEmail = false", "Contact.limit": "2",
        "fields": "Name", "defaultLimit": "3", "in": "NAME", "overallLimit": "50"})
    types = [(r["attributes"]["type"], list(r)[1:]) for r in body["searchRecords"]]
    assert types == [("Contact", ["Name", "Email"])] * 2 + [("Lead", ["Name"])] * 3


def test_parameterized_get_without_objects_searches_everything_for_ids(door):
    _, sf = door
    records = sf.restful("parameterizedSearch/", params={"q": "Kowalski"})["searchRecords"]
    assert [list(r) for r in records] == [["attributes", "Id"]]


def test_parameterized_post_reads_the_json_body(door):
    _, sf = door
    body = sf.restful("parameterizedSearch/", method="POST", json={
        "q": "acmerobotics.com", "in": "EMAIL", "fields": ["Id"], "overallLimit": 3,
        "sobjects": [{"name": "Contact", "fields": ["Email"], "where": "Email LIKE 'e%'"},
                     {"name": "Account"}]})
    assert [r["Email"] for r in body["searchRecords"]] == ["emily.smith@acmerobotics.com",
                                                          "emma.lopez@acmerobotics.com"]


@pytest.mark.parametrize(("params", "words"), [
    ({"sobject": "Contact"}, "needs q"),
    ({"q": "Fischer", "in": "EVERY"}, "in must be one of ALL, NAME, EMAIL, PHONE, SIDEBAR"),
    ({"q": "Fischer", "overallLimit": "lots"}, "overallLimit must be a whole number"),
    ({"q": "Fischer", "metadata": "LABELS"}, "does not support the parameterized search "
                                             "parameter(s) metadata"),
])
def test_parameterized_search_names_what_to_fix(door, params, words):
    _, sf = door
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.restful("parameterizedSearch/", params=params)
    assert raised.value.content[0]["errorCode"] == "MALFORMED_SEARCH"
    assert words in raised.value.content[0]["message"]


def test_parameterized_post_needs_a_json_object(door):
    _, sf = door
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.restful("parameterizedSearch/", method="POST", data="q=Fischer")
    assert raised.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_parameterized_search_exists_from_api_36(door):
    _, sf = door
    response = get(sf, "35.0", "parameterizedSearch/", q="Fischer")
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"
    assert get(sf, "36.0", "parameterizedSearch/", q="Fischer").status_code == 200
