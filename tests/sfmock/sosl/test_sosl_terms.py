"""The search query between FIND's braces: words, phrases, wildcards, operators, escapes."""

from __future__ import annotations

import pytest

from sfmock import errors
from sfmock.sosl.terms import digits, matches, parse_terms, tokens


def record(*values: str, phone: str = "") -> list[tuple[list[str], str]]:
    """The searched fields of a record: its text values, and optionally one phone number."""
    fields = [(tokens(v), "") for v in values]
    if phone:
        fields.append((tokens(phone), digits(phone)))
    return fields


EMILY = record("Emily", "Smith", "Emily Smith", "emily.smith@acmerobotics.com",
               phone="+1 555 0100")


@pytest.mark.parametrize("search", [
    "smith", "SMITH", "Emily Smith", "emily smith", "emily.smith@acmerobotics.com",
    "acmerobotics", "acmerobotics.com", "Smi*", "Sm?th", "*mith", "\"emily smith\"",
    "5550100", "555 0100", "15550100", "smith AND emily", "smith OR nobody",
    "smith AND NOT nobody", "(nobody OR emily) AND smith",
])
def test_a_record_matches(search):
    assert matches(parse_terms(search), EMILY)


@pytest.mark.parametrize("search", [
    "smyth", "Smit", "Sm?", "\"smith emily\"", "emily nobody", "smith AND NOT emily",
    "nobody OR other", "0101", "5550101",
])
def test_a_record_does_not_match(search):
    assert not matches(parse_terms(search), EMILY)


def test_words_side_by_side_may_sit_in_different_fields_but_a_phrase_may_not():
    person = record("Emily", "Smith")
    assert matches(parse_terms("Emily Smith"), person)
    assert not matches(parse_terms('"Emily Smith"'), person)


def test_and_binds_tighter_than_or():
    garcia = record("Noah Garcia")
    assert matches(parse_terms("nobody AND nothing OR garcia"), garcia)
    assert not matches(parse_terms("nobody AND (nothing OR garcia)"), garcia)


def test_operators_are_words_when_quoted_or_escaped():
    shop = record("Salt and Pepper")
    assert matches(parse_terms('salt "and" pepper'), shop)
    assert matches(parse_terms('"salt and pepper"'), shop)


def test_reserved_characters_are_literal_after_a_backslash():
    quarry = record("Quarry & Pine")
    assert matches(parse_terms("Quarry \\& Pine"), quarry)
    assert matches(parse_terms("\\(Quarry\\)"), quarry)
    assert not matches(parse_terms("Quarr\\*"), quarry)


@pytest.mark.parametrize("search", ["", "a", "a*", " ? ", '"b"', "a OR b"])
def test_a_search_under_two_characters_is_refused_as_salesforce_words_it(search):
    with pytest.raises(errors.InvalidSearch) as raised:
        parse_terms(search)
    assert raised.value.message == f"search term must be longer than one character: {search}"


@pytest.mark.parametrize("search", ["smith OR", "AND smith", "(smith", "smith)", "smith AND NOT"])
def test_a_dangling_operator_or_parenthesis_is_malformed(search):
    with pytest.raises(errors.MalformedSearch) as raised:
        parse_terms(search)
    assert "Malformed search term" in raised.value.message


def test_past_four_thousand_characters_the_operators_fall_away_and_words_are_ored():
    padding = " ".join(["zz"] * 1400)
    search = f"smith AND NOT emily {padding}"
    assert len(search) > 4000
    assert matches(parse_terms(search), record("Emily Smith"))
    assert matches(parse_terms(search), record("Noah Garcia zz"))
