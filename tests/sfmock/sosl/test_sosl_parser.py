"""SOSL statements: clauses, and the errors a real org answers for bad ones."""

from __future__ import annotations

import pytest

from sfmock import errors
from sfmock.sosl import parse

WSDL = "Please reference your WSDL or the describe call for the appropriate names."


def test_a_full_statement_parses_into_its_clauses():
    search = parse("find {Emily Smith} in name fields returning Contact(Id, Email WHERE "
                   "HasOptedOutOfEmail = false ORDER BY Email DESC LIMIT 5 OFFSET 1), Lead, "
                   "Account(Name) WITH SPELL_CORRECTION = false LIMIT 20")
    assert search.search_text == "Emily Smith" and search.group == "NAME" and search.limit == 20
    contact, lead, account = search.targets
    assert [p.parts for p in contact.fields] == [("Id",), ("Email",)]
    assert contact.where is not None and contact.order_by[0].descending
    assert (contact.limit, contact.offset) == (5, 1)
    assert (lead.sobject, lead.fields) == ("Lead", ())
    assert [p.parts for p in account.fields] == [("Name",)]


def test_defaults_are_all_fields_every_object_and_two_thousand_rows():
    search = parse("FIND {acme}")
    assert (search.group, search.targets, search.limit) == ("ALL", (), 2000)


def test_an_overall_limit_above_two_thousand_is_held_to_two_thousand():
    assert parse("FIND {acme} LIMIT 5000").limit == 2000


def test_braces_may_hold_reserved_words_and_escaped_braces():
    search = parse("FIND {returning \\} limit} RETURNING Contact")
    assert search.search_text == "returning \\} limit" and search.targets[0].sobject == "Contact"


@pytest.mark.parametrize("sosl", ["FIND Smith", "FIND 'Smith'", "FIND {Smith", "FIND"])
def test_a_search_term_outside_braces_is_refused(sosl):
    # Recorded (restforce's spec fixtures): the API's words when the braces are missing.
    with pytest.raises(errors.MalformedSearch) as raised:
        parse(sosl)
    assert raised.value.message == ("No search term found. The search term must be enclosed "
                                    "in braces.")


def test_a_statement_not_starting_with_find_names_its_first_word():
    with pytest.raises(errors.MalformedSearch) as raised:
        parse("SELECT Id FROM Contact")
    assert raised.value.message == "unexpected token: SELECT"


def test_an_unknown_search_group_gets_the_recorded_caret_message():
    # Recorded from a real org (jesperfj/force-rest-api#92).
    with pytest.raises(errors.MalformedSearch) as raised:
        parse("FIND {name} IN ALL TYPE RETURNING Account(name)")
    assert raised.value.body() == [{
        "message": "\nFIND {name} IN ALL TYPE RETURNING Account(name)\n" + " " * 18 + "^\n"
                   "ERROR at Row:1:Column:19\nMalformed search token: TYPE",
        "errorCode": "MALFORMED_SEARCH"}]


def test_a_syntax_error_in_returning_is_malformed_search_with_soql_wording():
    with pytest.raises(errors.MalformedSearch) as raised:
        parse("FIND {smith} RETURNING Contact(Id WHERE)")
    assert raised.value.message.endswith("ERROR at Row:1:Column:40\nunexpected token: ')'")


def test_an_offset_beyond_two_thousand_is_out_of_range():
    with pytest.raises(errors.NumberOutsideValidRange):
        parse("FIND {smith} RETURNING Contact(Id LIMIT 5 OFFSET 2001)")


def test_an_unserved_with_clause_is_named_rather_than_ignored():
    with pytest.raises(errors.MalformedSearch) as raised:
        parse("FIND {smith} WITH SNIPPET")
    assert "does not support WITH SNIPPET" in raised.value.message


def test_trailing_words_are_unexpected():
    with pytest.raises(errors.MalformedSearch) as raised:
        parse("FIND {smith} RETURNING Contact Lead")
    assert raised.value.message.endswith("unexpected token: 'Lead'")
