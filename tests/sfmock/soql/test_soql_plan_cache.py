"""A long query asked again is answered from the org's plan cache, and only while what its plan
was compiled from still holds: the schema, field-level security, the org's local date,
queryAll or not, and the query itself (sfmock/soql/plan_cache.py). Each text here is padded
past CACHED_FROM characters, the length from which plans are kept."""

from __future__ import annotations

from dataclasses import replace

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock import errors
from sfmock.models.schema import custom_field
from sfmock.models.security import EDIT, HIDDEN
from sfmock.soql.compiler import compile_query
from sfmock.soql.parser import parse
from sfmock.soql.plan_cache import CACHED_FROM


def kept(soql: str) -> str:
    """`soql` made long enough for its plan to be kept (SOQL ignores the trailing blanks)."""
    return soql + " " * CACHED_FROM


@pytest.fixture
def ada(clocked_org, csf) -> str:
    return csf.Contact.create({"LastName": "Lovelace", "Email": "ada@example.com"})["id"]


def test_the_same_text_compiles_once_and_its_plan_serves_every_caller(clocked_org):
    soql = kept("SELECT Id, Email FROM Contact WHERE Id IN ('003000000000001AAA')")
    first = compile_query(parse(soql), clocked_org, include_deleted=False, now=clocked_org.now())
    again = compile_query(parse(soql), clocked_org, include_deleted=False, now=clocked_org.now())
    assert again is first


def test_a_field_hidden_after_the_query_ran_is_unknown_to_the_same_text(clocked_org, csf, ada):
    soql = kept(f"SELECT Id, Email FROM Contact WHERE Id = '{ada}'")
    assert csf.query(soql)["records"][0]["Email"] == "ada@example.com"
    clocked_org.field_security.set("Contact", "Email", HIDDEN)
    with pytest.raises(SalesforceMalformedRequest, match="No such column 'Email'"):
        csf.query(soql)
    clocked_org.field_security.set("Contact", "Email", EDIT)
    assert csf.query(soql)["records"][0]["Email"] == "ada@example.com"


def test_a_custom_field_added_after_the_query_ran_is_in_its_fields(clocked_org, csf, ada):
    soql = kept(f"SELECT FIELDS(CUSTOM) FROM Contact WHERE Id = '{ada}' LIMIT 1")
    before = set(csf.query(soql)["records"][0])
    clocked_org.add_custom_field("Contact", custom_field("Score__c", "Score", "double"))
    assert set(csf.query(soql)["records"][0]) - before == {"Score__c"}
    clocked_org.remove_custom_field("Contact", "Score__c")
    assert set(csf.query(soql)["records"][0]) == before


def test_a_reset_org_forgets_the_fields_its_queries_named(clocked_org, csf):
    clocked_org.add_custom_field("Contact", custom_field("Score__c", "Score", "double"))
    soql = kept("SELECT Id, Score__c FROM Contact")
    assert compile_query(parse(soql), clocked_org, include_deleted=False,
                         now=clocked_org.now()).sobject.name == "Contact"
    clocked_org.reset()
    with pytest.raises(errors.InvalidField, match="No such column 'Score__c'"):
        compile_query(parse(soql), clocked_org, include_deleted=False, now=clocked_org.now())


def test_a_relative_date_means_the_day_it_is_asked_on(clocked_org, csf, clock, ada):
    soql = kept(f"SELECT Id FROM Contact WHERE Id = '{ada}' AND CreatedDate = TODAY")
    assert [r["Id"] for r in csf.query(soql)["records"]] == [ada]
    clock.advance(days=1)
    assert csf.query(soql)["totalSize"] == 0
    assert [r["Id"] for r in csf.query(soql.replace("TODAY", "YESTERDAY"))["records"]] == [ada]


def test_query_and_query_all_of_the_same_text_differ_by_deleted_rows(clocked_org, csf, ada):
    soql = kept(f"SELECT Id FROM Contact WHERE Id = '{ada}'")
    assert csf.query(soql)["totalSize"] == 1
    csf.Contact.delete(ada)
    assert csf.query(soql)["totalSize"] == 0
    assert [r["Id"] for r in csf.query_all(soql, include_deleted=True)["records"]] == [ada]
    assert csf.query(soql)["totalSize"] == 0


def test_queries_sharing_a_text_get_their_own_plans(clocked_org):
    """SOSL compiles one query per RETURNING target, each carrying the search's text."""
    contacts = parse(kept("SELECT Id FROM Contact"))
    leads = replace(contacts, sobject="Lead")
    now = clocked_org.now()
    assert compile_query(contacts, clocked_org, include_deleted=False, now=now).sobject.name \
        == "Contact"
    assert compile_query(leads, clocked_org, include_deleted=False, now=now).sobject.name \
        == "Lead"


def test_a_short_query_is_compiled_each_time(clocked_org):
    """Keeping a plan costs about what compiling a short query does."""
    soql = "SELECT Id FROM Contact WHERE Id = '003000000000001AAA'"
    now = clocked_org.now()
    assert compile_query(parse(soql), clocked_org, include_deleted=False, now=now) \
        is not compile_query(parse(soql), clocked_org, include_deleted=False, now=now)
