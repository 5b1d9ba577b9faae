"""SOQL syntax and relative date literals, below the engine."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from sfmock import errors
from sfmock.soql import lexer, literals, parser
from sfmock.soql.lexer import tokenize
from sfmock.soql.parser import Call, Comparison, Junction, Negation, OrderKey, Path, parse


def test_keywords_are_case_insensitive_and_paths_keep_their_spelling():
    soql = "select Id, account.NAME from contact where email = 'x' order by id desc limit 5 offset 2"
    query = parse(soql)
    assert query.select == (Path(("Id",), 7), Path(("account", "NAME"), 11))
    assert query.sobject == "contact" and query.limit == 5 and query.offset == 2
    by_id = Path(("id",), soql.index("id desc"))
    assert query.order_by == (OrderKey(by_id, descending=True, nulls_last=True),)


def test_null_placement_defaults_and_overrides():
    keys = parse("SELECT Id FROM Contact ORDER BY A, B DESC, C ASC NULLS LAST, D DESC NULLS FIRST")
    assert [(k.descending, k.nulls_last) for k in keys.order_by] == [
        (False, False), (True, True), (False, True), (True, False)]


def test_conditions_nest_as_written():
    where = parse("SELECT Id FROM Contact WHERE (A = 1 OR B = 2) AND NOT C IN ('x') AND "
                  "D NOT IN (null)").where
    assert isinstance(where, Junction) and where.op == "AND" and len(where.items) == 3
    assert isinstance(where.items[0], Junction) and where.items[0].op == "OR"
    assert isinstance(where.items[1], Negation) and where.items[1].item.op == "IN"
    assert isinstance(where.items[2], Comparison) and where.items[2].op == "NOT IN"


def test_count_forms():
    assert parse("SELECT COUNT() FROM Contact").is_count
    soql = "SELECT COUNT(Id) total, COUNT(Email) FROM Contact"
    counted = parse(soql)
    assert counted.select == (Call("COUNT", Path(("Id",), 13), 7, "total"),
                              Call("COUNT", Path(("Email",), soql.index("Email")),
                                   soql.index("COUNT(Email)")))
    assert not counted.is_count


@pytest.mark.parametrize(("text", "value", "like"), [
    (r"'it\'s'", "it's", "it's"),
    (r"'back\\slash'", "back\\slash", "back\\\\slash"),
    (r"'a\nb\tc\"d'", 'a\nb\tc"d', 'a\nb\tc"d'),
    (r"'50\%_off'", "50%_off", "50\\%_off"),
    (r"'\u00e9t\u00E9'", "été", "été"),
])
def test_string_escapes(text, value, like):
    token = tokenize(text)[0]
    assert (token.value, token.like) == (value, like)


@pytest.mark.parametrize(("text", "moment"), [
    ("2026-11-28T20:00:00Z", datetime(2026, 11, 28, 20, tzinfo=UTC)),
    ("2026-11-28T21:00:00+01:00", datetime(2026, 11, 28, 20, tzinfo=UTC)),
    ("2026-11-28T12:00:00-0800", datetime(2026, 11, 28, 20, tzinfo=UTC)),
    ("2026-11-28T20:00:00.123Z", datetime(2026, 11, 28, 20, 0, 0, 123000, tzinfo=UTC)),
])
def test_datetime_literals(text, moment):
    token = tokenize(text)[0]
    assert token.kind == "DATETIME" and token.value == moment


def test_huge_numbers_become_floats_sqlite_can_bind():
    assert tokenize("99999999999999999999")[0].value == 1e20


def test_date_and_number_literals():
    kinds = [(t.kind, t.value) for t in tokenize("2026-11-28 -5 2.5 LAST_N_DAYS:7")[:-1]]
    assert kinds == [("DATE", date(2026, 11, 28)), ("NUMBER", -5), ("NUMBER", 2.5),
                     ("IDENT", None), ("OP", None), ("NUMBER", 7)]
    value = parse("SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS:7").where.value
    assert (value.kind, value.value, value.n) == ("relative", "LAST_N_DAYS", 7)


@pytest.mark.parametrize(("soql", "message"), [
    ("", "unexpected token: <EOF>"),
    ("SELECT Id FROM Contact WHERE Email = 'open",
     "line 1:42 mismatched character '<EOF>' expecting '''"),
    ("SELECT Id FROM Contact WHERE Email = 'a\\qb'",
     "\nSELECT Id FROM Contact WHERE Email = 'a\\qb'\n" + " " * 37 + "^\n"
     "ERROR at Row:1:Column:38\nInvalid string literal 'a\\q'. Illegal character sequence '\\q' "
     "in string literal."),
    ("SELECT Id from $casecomment", "line 1:15 no viable alternative at character '$'"),
    ("SELECT Id FROM Contact WHERE CreatedDate > 2026-11-28T20:00:00",
     "\nSELECT Id FROM Contact WHERE CreatedDate > 2026-11-28T20:00:00\n" + " " * 43 + "^\n"
     "ERROR at Row:1:Column:44\ninvalid date/time: 2026-11-28T20:00:00 (write it as "
     "2026-11-28T20:00:00Z or with an offset such as +01:00)"),
    ("SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS",
     "\nSELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS\n" + " " * 54 + "^\n"
     "ERROR at Row:1:Column:55\nunexpected token: '<EOF>'"),
    ("SELECT Id FROM Contact WHERE Email = bogus",
     "\nSELECT Id FROM Contact WHERE Email = bogus\n" + " " * 37 + "^\n"
     "ERROR at Row:1:Column:38\nunexpected token: 'bogus'"),
    ("SELECT Id FROM Contact WHERE Email IN ()",
     "\nSELECT Id FROM Contact WHERE Email IN ()\n" + " " * 39 + "^\n"
     "ERROR at Row:1:Column:40\nunexpected token: ')'"),
    ("SELECT COUNT(), Id FROM Contact",
     "\nSELECT COUNT(), Id FROM Contact\n       ^\nERROR at Row:1:Column:8\n"
     "COUNT() must be the only item selected"),
    ("SELECT Id FROM Contact LIMIT -1",
     "\nSELECT Id FROM Contact LIMIT -1\n" + " " * 29 + "^\nERROR at Row:1:Column:30\n"
     "unexpected token: '-1'"),
    ("SELECT Id FROM Contact LIMIT 2147483648",
     "\nSELECT Id FROM Contact LIMIT 2147483648\n" + " " * 29 + "^\nERROR at Row:1:Column:30\n"
     "numeric value out of range: 2147483648"),
])
def test_malformed_queries(soql, message):
    with pytest.raises(errors.MalformedQuery) as failure:
        parse(soql)
    assert failure.value.message == message


WEDNESDAY = date(2026, 11, 25)


@pytest.mark.parametrize(("name", "n", "start", "end"), [
    ("TODAY", 0, "2026-11-25", "2026-11-26"),
    ("YESTERDAY", 0, "2026-11-24", "2026-11-25"),
    ("TOMORROW", 0, "2026-11-26", "2026-11-27"),
    ("THIS_WEEK", 0, "2026-11-22", "2026-11-29"),  # weeks start on Sunday
    ("LAST_WEEK", 0, "2026-11-15", "2026-11-22"),
    ("NEXT_WEEK", 0, "2026-11-29", "2026-12-06"),
    ("THIS_MONTH", 0, "2026-11-01", "2026-12-01"),
    ("LAST_MONTH", 0, "2026-10-01", "2026-11-01"),
    ("NEXT_MONTH", 0, "2026-12-01", "2027-01-01"),
    ("LAST_90_DAYS", 0, "2026-08-27", "2026-11-26"),
    ("NEXT_90_DAYS", 0, "2026-11-26", "2027-02-24"),
    ("LAST_N_DAYS", 7, "2026-11-18", "2026-11-26"),  # includes today
    ("NEXT_N_DAYS", 7, "2026-11-26", "2026-12-03"),  # starts tomorrow
    ("N_DAYS_AGO", 3, "2026-11-22", "2026-11-23"),
    ("LAST_N_WEEKS", 2, "2026-11-08", "2026-11-22"),
    ("N_WEEKS_AGO", 1, "2026-11-15", "2026-11-22"),
    ("LAST_N_MONTHS", 2, "2026-09-01", "2026-11-01"),  # excludes this month
    ("NEXT_N_MONTHS", 2, "2026-12-01", "2027-02-01"),
    ("THIS_QUARTER", 0, "2026-10-01", "2027-01-01"),
    ("LAST_QUARTER", 0, "2026-07-01", "2026-10-01"),
    ("NEXT_N_QUARTERS", 2, "2027-01-01", "2027-07-01"),
    ("THIS_YEAR", 0, "2026-01-01", "2027-01-01"),
    ("LAST_YEAR", 0, "2025-01-01", "2026-01-01"),
    ("LAST_N_YEARS", 2, "2024-01-01", "2026-01-01"),
    ("N_YEARS_AGO", 1, "2025-01-01", "2026-01-01"),
    ("THIS_FISCAL_YEAR", 0, "2026-01-01", "2027-01-01"),
    ("LAST_FISCAL_QUARTER", 0, "2026-07-01", "2026-10-01"),
])
def test_relative_date_ranges(name, n, start, end):
    assert literals.is_relative(name)
    low, high = literals.date_range(name, n, WEDNESDAY)
    assert (low.isoformat(), high.isoformat()) == (start, end)


def test_local_days_follow_daylight_saving_time():
    assert literals.local_midnight(date(2026, 7, 1)) == "2026-07-01T07:00:00.000+0000"
    assert literals.local_midnight(date(2026, 12, 1)) == "2026-12-01T08:00:00.000+0000"
    assert literals.local_today(datetime(2026, 11, 26, 7, 59, tzinfo=UTC)) == WEDNESDAY


def test_unknown_words_are_not_date_literals():
    assert not literals.is_relative("LAST_N_FORTNIGHTS")
    assert not literals.is_relative("SOMEDAY")


# -- the clauses of the SOQL reference's SELECT syntax ------------------------------------------


def test_clauses_parse_in_the_reference_order():
    soql = ("SELECT LeadSource src, COUNT(Id) FROM Contact WHERE Email != null "
            "WITH SECURITY_ENFORCED GROUP BY ROLLUP(LeadSource) HAVING COUNT(Id) > 1 "
            "ORDER BY COUNT(Id) DESC LIMIT 5 OFFSET 1 FOR VIEW")
    query = parse(soql)
    assert query.security == "SECURITY_ENFORCED" and query.for_clause == "VIEW"
    grouped = Path(("LeadSource",), soql.index("LeadSource)"))
    assert query.group_mode == "ROLLUP" and query.group_by == (grouped,)
    assert isinstance(query.having, Comparison) and query.having.path.name == "COUNT"
    assert query.order_by[0].path.name == "COUNT" and query.order_by[0].descending
    assert (query.limit, query.offset) == (5, 1) and query.is_aggregate


def test_functions_nest_and_keep_their_alias():
    [item] = parse("SELECT CALENDAR_YEAR(convertTimezone(CreatedDate)) y FROM Contact "
                   "GROUP BY CALENDAR_YEAR(convertTimezone(CreatedDate))").select
    assert item == Call("CALENDAR_YEAR", Call("CONVERTTIMEZONE", Path(("CreatedDate",), 37), 21),
                        7, "y")
    assert item.field_path == Path(("CreatedDate",), 37)


def test_subqueries_in_select_and_where():
    from sfmock.soql.parser import Fields, SubQuery

    query = parse("SELECT Id, FIELDS(STANDARD), (SELECT Id FROM Contacts) FROM Account "
                  "WHERE Id NOT IN (SELECT AccountId FROM Contact)")
    assert query.select[1] == Fields("STANDARD", 11)
    child = query.select[2]
    assert isinstance(child, SubQuery) and child.query.sobject == "Contacts"
    assert query.where.op == "NOT IN" and query.where.value.query.sobject == "Contact"


@pytest.mark.parametrize(("soql", "token"), [
    ("SELECT Id, (SELECT Id, (SELECT Id FROM Contacts) FROM Contacts) FROM Account", "("),
    ("SELECT Id FROM Contact WITH DATA_CATEGORY", "DATA_CATEGORY"),
    ("SELECT Id FROM Contact FOR UPDATE", "UPDATE"),
    ("SELECT FIELDS(SOME) FROM Contact", "SOME"),
])
def test_what_sfmock_does_not_parse_is_an_unexpected_token(soql, token):
    with pytest.raises(errors.SalesforceError) as failure:
        parse(soql)
    assert failure.value.message.endswith(f"unexpected token: '{token}'")


def test_a_statement_over_100000_characters():
    with pytest.raises(errors.SalesforceError) as failure:
        parse("SELECT Id FROM Contact WHERE Email = '" + "x" * 100_000 + "'")
    assert failure.value.message == "SOQL statements can not be longer than 100000 characters"


LISTS = [
    "SELECT Id FROM Contact WHERE Id IN ('003000000000001AAA', '003000000000002AAA')",
    "SELECT Id FROM Contact WHERE Name IN ('a','b' ,\n\t'c' , '', 'it\\'s', 'd', 'e') AND Email = 'x'",
    "SELECT Id FROM Contact WHERE Name NOT IN ('a', 'b\\\\', 'c\\%', 'd') OR Title IN ('q','r')",
    "SELECT Id FROM Contact WHERE Title INCLUDES ('a;b', 'c','d;e') AND Name IN ('x', NULL, 'y')",
    "SELECT Id FROM Contact WHERE Name IN ('a', 'b',)",
    "SELECT Id FROM Contact WHERE Name IN ('a', 'b' 'c')",
    "SELECT Id FROM Contact WHERE Name IN ('a', 'b', 'c",
    "SELECT Id FROM Contact WHERE Name IN ('a', 'b', 3, 'c', TRUE)",
    "SELECT Id FROM Contact WHERE Name = 'a', 'b'",
    "SELECT Id FROM Contact WHERE Name IN ('a' , 'b') ORDER BY Name, Id",
]


def parsed_or_refused(soql: str) -> object:
    try:
        return tokenize(soql), parse(soql)
    except errors.SalesforceError as error:
        return type(error), str(error)


@pytest.mark.parametrize("soql", LISTS)
def test_lists_of_literals_read_in_one_pass_give_the_tokens_and_errors_of_one_at_a_time(
        soql, monkeypatch):
    fast = parsed_or_refused(soql)
    monkeypatch.setattr(lexer, "_PLAIN_LIST", re.compile("(?!)"))  # never matches
    monkeypatch.setattr(parser._Parser, "values", lambda self: _one_at_a_time(self))
    assert parsed_or_refused(soql) == fast


def _one_at_a_time(parser) -> list:
    values = [parser.value()]
    while parser.op(","):
        values.append(parser.value())
    return values


def test_a_text_parsed_lately_gives_the_same_immutable_ast_again():
    soql = "SELECT Id FROM Contact WHERE Id IN ('003000000000001AAA', '003000000000002AAA')"
    assert parse(soql) is parse(soql)
    with pytest.raises(AttributeError):  # frozen: no caller can change a kept AST
        parse(soql).where.value = ()


def test_long_texts_are_parsed_anew_and_malformed_ones_fail_every_time(monkeypatch):
    monkeypatch.setattr(parser, "CACHED_LENGTH", 30)
    long = "SELECT Id, Email FROM Contact WHERE Email != null"
    assert parse(long) == parse(long) and parse(long) is not parse(long)
    for _ in range(2):
        with pytest.raises(errors.MalformedQuery):
            parse("SELECT Id FROM")
