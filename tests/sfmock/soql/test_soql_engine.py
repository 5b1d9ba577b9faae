"""SOQL through unmodified simple-salesforce: fields, relationships, filters, order and errors."""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock.models.schema import custom_field
from sfmock.models.security import HIDDEN

WSDL = "Please reference your WSDL or the describe call for the appropriate names."


def error_of(excinfo) -> dict:
    return excinfo.value.content[0]


def ids_of(result: dict) -> list[str]:
    return [r["Id"] for r in result["records"]]


def emails(sf, where: str, obj: str = "Contact") -> set[str]:
    return {r["Email"] for r in sf.query_all(f"SELECT Email FROM {obj} WHERE {where}")["records"]}


@pytest.fixture
def ada(clocked_org, csf) -> str:
    return csf.Contact.create({"FirstName": "Ada", "LastName": "Lovelace",
                               "Email": "Ada@Example.com", "Title": "It's \\ \"quoted\""})["id"]


# -- field lists and serialisation ---------------------------------------------------------


def test_records_carry_attributes_then_fields_in_select_order_with_canonical_names(csf, ada):
    result = csf.query(f"select email, ID, hasoptedoutofemail, Phone FROM contact WHERE id = '{ada}'")
    assert result["totalSize"] == 1 and result["done"] is True and "nextRecordsUrl" not in result
    record = result["records"][0]
    assert list(record) == ["attributes", "Email", "Id", "HasOptedOutOfEmail", "Phone"]
    assert record["attributes"] == {"type": "Contact",
                                    "url": f"/services/data/v59.0/sobjects/Contact/{ada}"}
    assert record["HasOptedOutOfEmail"] is False and record["Phone"] is None


def test_datetimes_come_back_in_wire_form(csf, ada):
    record = csf.query(f"SELECT CreatedDate, SystemModstamp FROM Contact WHERE Id = '{ada}'")[
        "records"][0]
    assert record["CreatedDate"] == "2026-11-25T20:00:00.000+0000"


def test_parent_relationships_nest_with_their_own_attributes(csf):
    record = csf.query("SELECT Id, Account.Name, Email, Account.Owner.Name FROM Contact "
                       "WHERE Account.Name = 'Acme Robotics' LIMIT 1")["records"][0]
    assert list(record) == ["attributes", "Id", "Account", "Email"]
    account = record["Account"]
    assert account["attributes"]["type"] == "Account"
    assert account["attributes"]["url"].startswith("/services/data/v59.0/sobjects/Account/001")
    assert account["Name"] == "Acme Robotics"
    assert account["Owner"]["attributes"]["type"] == "User"
    assert account["Owner"]["Name"] == "Integration User"


def test_null_reference_gives_a_null_parent(csf, ada):
    record = csf.query(f"SELECT Account.Name FROM Contact WHERE Id = '{ada}'")["records"][0]
    assert record["Account"] is None


def test_converted_lead_reaches_its_contact_and_the_contacts_account(clocked_org, csf):
    lead = csf.Lead.create({"LastName": "Convert", "Company": "Orbit", "Email": "c@orbit.io"})
    result = clocked_org.convert_lead(lead["id"])
    record = csf.query("SELECT ConvertedContact.Email, ConvertedContact.Account.Name, "
                       f"IsConverted FROM Lead WHERE Id = '{lead['id']}'")["records"][0]
    assert record["ConvertedContact"]["attributes"]["url"].endswith(result["contactId"])
    assert record["ConvertedContact"]["Email"] == "c@orbit.io"
    assert record["ConvertedContact"]["Account"]["Name"] == "Orbit"
    assert record["IsConverted"] is True


def test_fields_may_be_qualified_by_the_object_name_or_an_alias(csf, ada):
    plain = csf.query(f"SELECT Email FROM Contact WHERE Id = '{ada}'")["records"]
    assert csf.query(f"SELECT Contact.Email FROM Contact WHERE Contact.Id = '{ada}'")[
        "records"] == plain
    assert csf.query(f"SELECT c.Email FROM Contact c WHERE c.Id = '{ada}'")["records"] == plain


def test_count_answers_the_total_and_no_records(clocked_org, csf):
    result = csf.query("SELECT COUNT() FROM Contact WHERE HasOptedOutOfEmail = true")
    expected = sum(1 for r in clocked_org.records("Contact") if r["HasOptedOutOfEmail"])
    assert result == {"totalSize": expected, "done": True, "records": []}
    assert csf.query("SELECT COUNT() FROM Contact LIMIT 3")["totalSize"] == 3


def test_count_of_a_field_is_an_aggregate_result(clocked_org, csf):
    result = csf.query("SELECT COUNT(Id), COUNT(AccountId) withAccount FROM Contact")
    assert result["totalSize"] == 1
    assert result["records"] == [{"attributes": {"type": "AggregateResult"},
                                  "expr0": clocked_org.count("Contact"),
                                  "withAccount": clocked_org.count("Contact")}]


# -- WHERE -----------------------------------------------------------------------------------


def test_text_equality_is_case_insensitive(csf, ada):
    assert emails(csf, "Email = 'ada@example.COM'") == {"Ada@Example.com"}
    assert emails(csf, "Email IN ('ADA@EXAMPLE.COM', 'nobody@x.org')") == {"Ada@Example.com"}


def test_not_equal_includes_nulls_and_both_spellings_work(csf, ada):
    csf.Contact.create({"LastName": "NoEmail"})
    everyone = csf.query("SELECT COUNT() FROM Contact")["totalSize"]
    assert csf.query("SELECT COUNT() FROM Contact WHERE Email != 'ada@example.com'")[
        "totalSize"] == everyone - 1
    assert csf.query("SELECT COUNT() FROM Contact WHERE Email <> 'ada@example.com'")[
        "totalSize"] == everyone - 1


def test_null_comparisons(csf, ada):
    none = csf.Contact.create({"LastName": "NoEmail"})["id"]
    assert ids_of(csf.query("SELECT Id FROM Contact WHERE Email = null")) == [none]
    with_email = csf.query("SELECT COUNT() FROM Contact WHERE Email != null")["totalSize"]
    assert with_email == csf.query("SELECT COUNT() FROM Contact")["totalSize"] - 1


def test_like_wildcards_and_escapes(csf):
    for last, email in [("A", "under_score@x.org"), ("B", "underXscore@x.org"),
                        ("C", "fifty%off@x.org"), ("D", "fiftyoff@x.org")]:
        csf.Contact.create({"LastName": last, "Email": email})
    assert emails(csf, "Email LIKE 'UNDER_SCORE@%'") == {"under_score@x.org", "underXscore@x.org"}
    assert emails(csf, r"Email LIKE 'under\_score@%'") == {"under_score@x.org"}
    assert emails(csf, r"Email LIKE 'fifty\%%'") == {"fifty%off@x.org"}
    assert emails(csf, "Email LIKE 'fifty%off@x.org'") == {"fifty%off@x.org", "fiftyoff@x.org"}


def test_string_literal_escapes(csf, ada):
    title = csf.query(f"SELECT Title FROM Contact WHERE Id = '{ada}'")["records"][0]["Title"]
    assert title == 'It\'s \\ "quoted"'
    found = csf.query(r"SELECT Id FROM Contact WHERE Title = 'It\'s \\ \"quoted\"'")
    assert ids_of(found) == [ada]
    line = csf.Contact.create({"LastName": "Lines", "Title": "a\nb\tc"})["id"]
    assert ids_of(csf.query(r"SELECT Id FROM Contact WHERE Title = 'a\nb\tc'")) == [line]


def test_and_or_not_with_parentheses(csf):
    result = emails(csf, "(LastName = 'Smith' OR LastName = 'Kim') AND NOT Email LIKE 'emily%'")
    assert result and all(not e.startswith("emily") for e in result)
    both = emails(csf, "LastName = 'Smith' OR LastName = 'Kim'")
    assert result == {e for e in both if not e.startswith("emily")}
    assert emails(csf, "NOT (LastName = 'Smith' OR LastName = 'Kim')").isdisjoint(both)


def test_in_and_not_in(csf):
    everyone = emails(csf, "Email != null")
    smiths = emails(csf, "LastName IN ('smith', 'KIM')")
    assert smiths and emails(csf, "LastName NOT IN ('smith', 'KIM')") == everyone - smiths


def test_booleans_compare_with_true_and_false(clocked_org, csf):
    opted = {r["Email"] for r in clocked_org.records("Contact") if r["HasOptedOutOfEmail"]}
    assert emails(csf, "HasOptedOutOfEmail = TRUE") == opted
    assert emails(csf, "HasOptedOutOfEmail != true") == emails(csf, "HasOptedOutOfEmail = false")
    assert emails(csf, "HasOptedOutOfEmail = false").isdisjoint(opted)


def test_numbers_compare_numerically(clocked_org, csf):
    clocked_org.add_custom_field("Contact", custom_field("Score__c", "Score", "double"))
    for last, score in [("Low", 2.5), ("Mid", 10), ("High", 100)]:
        csf.Contact.create({"LastName": last, "Score__c": score})
    found = csf.query_all("SELECT LastName, Score__c FROM Contact WHERE Score__c >= 10 "
                          "AND Score__c < 1e3 ORDER BY Score__c".replace("1e3", "1000"))
    assert [(r["LastName"], r["Score__c"]) for r in found["records"]] == [("Mid", 10), ("High", 100)]
    assert ids_of(csf.query("SELECT Id FROM Contact WHERE Score__c = -2.5")) == []
    assert len(csf.query("SELECT Id FROM Contact WHERE Score__c < 2.6")["records"]) == 1


def test_datetime_literals_with_zone_offsets_and_fractions(clock, clocked_org, csf):
    # Fixture records were stamped at NOW = 2026-11-25T20:00:00Z.
    total = clocked_org.count("Contact")
    for literal in ("2026-11-25T20:00:00Z", "2026-11-25T21:00:00+01:00",
                    "2026-11-25T12:00:00-0800", "2026-11-25T20:00:00.000Z"):
        assert csf.query(f"SELECT COUNT() FROM Contact WHERE CreatedDate = {literal}")[
            "totalSize"] == total, literal
    assert csf.query("SELECT COUNT() FROM Contact WHERE CreatedDate > 2026-11-25T20:00:00Z")[
        "totalSize"] == 0
    assert csf.query("SELECT COUNT() FROM Contact WHERE CreatedDate >= 2026-11-25T19:59:59Z")[
        "totalSize"] == total


def test_simple_salesforce_format_soql_datetimes_work(clock, clocked_org, csf):
    from simple_salesforce import format_soql

    soql = format_soql("SELECT COUNT() FROM Contact WHERE CreatedDate = {}", clock())
    assert csf.query(soql)["totalSize"] == clocked_org.count("Contact")


def test_a_whole_local_day_of_a_datetime_field_is_day_only_of_convert_timezone(clock, csf):
    # A plain date literal against a dateTime field is refused (test_soql_typing.py); the
    # SOQL reference's way to ask for a local day is DAY_ONLY(convertTimezone(field)).
    # 2026-11-26T07:59Z is still the 25th in Los Angeles; 08:00Z is the 26th.
    late = csf.Contact.create({"LastName": "Late"})["id"]
    clock.advance(hours=11, minutes=59)
    later = csf.Contact.create({"LastName": "Later"})["id"]
    clock.advance(minutes=1)
    next_day = csf.Contact.create({"LastName": "NextDay"})["id"]
    local_day = "DAY_ONLY(convertTimezone(CreatedDate))"
    on_25th = ids_of(csf.query_all(f"SELECT Id FROM Contact WHERE {local_day} = 2026-11-25"))
    assert late in on_25th and later in on_25th and next_day not in on_25th
    assert ids_of(csf.query(f"SELECT Id FROM Contact WHERE {local_day} > 2026-11-25")) == [next_day]
    assert ids_of(csf.query(f"SELECT Id FROM Contact WHERE {local_day} >= 2026-11-26")) == [next_day]
    # without convertTimezone, date functions read the UTC date: both late ones are the 26th
    utc_26th = ids_of(csf.query("SELECT Id FROM Contact WHERE DAY_ONLY(CreatedDate) = 2026-11-26"))
    assert utc_26th == [later, next_day]


def test_relative_date_literals_use_the_org_time_zone(clock, clocked_org, csf):
    total = clocked_org.count("Contact")
    count = lambda where: csf.query(f"SELECT COUNT() FROM Contact WHERE {where}")["totalSize"]  # noqa: E731
    assert count("CreatedDate = TODAY") == total
    assert count("CreatedDate = THIS_WEEK") == total
    assert count("CreatedDate = LAST_N_DAYS:0") == total
    assert count("CreatedDate = YESTERDAY") == 0
    clock.advance(hours=12)  # 08:00Z on the 26th: Thursday in Los Angeles
    assert count("CreatedDate = TODAY") == 0
    assert count("CreatedDate = YESTERDAY") == total
    assert count("CreatedDate = LAST_N_DAYS:1") == total
    assert count("CreatedDate < TODAY") == total
    assert count("CreatedDate = THIS_MONTH AND CreatedDate = THIS_YEAR") == total
    assert count("CreatedDate = LAST_MONTH") == 0
    clock.advance(days=4)  # Monday 30th: last week now
    assert count("CreatedDate = LAST_WEEK") == total
    assert count("CreatedDate = LAST_90_DAYS") == total
    assert count("CreatedDate = NEXT_N_DAYS:5") == 0


def test_date_fields_compare_with_date_and_relative_literals(clocked_org, csf):
    lead = csf.Lead.create({"LastName": "Dated", "Company": "Co"})["id"]
    clocked_org.convert_lead(lead)  # ConvertedDate is the org's (UTC) date: 2026-11-25
    converted = ids_of(csf.query("SELECT Id FROM Lead WHERE IsConverted = true"))
    assert lead in converted
    assert ids_of(csf.query("SELECT Id FROM Lead WHERE ConvertedDate = 2026-11-25")) == converted
    assert ids_of(csf.query("SELECT Id FROM Lead WHERE ConvertedDate = THIS_MONTH")) == converted
    assert ids_of(csf.query("SELECT Id FROM Lead WHERE ConvertedDate > 2026-11-25")) == []
    assert ids_of(csf.query("SELECT Id FROM Lead WHERE ConvertedDate = null")) == ids_of(
        csf.query("SELECT Id FROM Lead WHERE IsConverted = false"))


def test_ids_match_in_15_and_18_character_form(csf, ada):
    assert ids_of(csf.query(f"SELECT Id FROM Contact WHERE Id = '{ada[:15]}'")) == [ada]
    assert ids_of(csf.query(f"SELECT Id FROM Contact WHERE Id IN ('{ada}', '{ada[:15]}')")) == [ada]


# -- ORDER BY, LIMIT, OFFSET -----------------------------------------------------------------


def test_order_by_several_keys_and_null_placement(csf):
    csf.Contact.create({"LastName": "Zed"})  # no Email, no FirstName
    rows = csf.query_all("SELECT FirstName, LastName FROM Contact ORDER BY FirstName, "
                         "LastName DESC")["records"]
    firsts = [r["FirstName"] for r in rows]
    assert firsts[0] is None  # ASC puts nulls first
    assert firsts[1:] == sorted(firsts[1:], key=str.lower)
    pairs = [(r["FirstName"], r["LastName"]) for r in rows[1:]]
    for (f1, l1), (f2, l2) in zip(pairs, pairs[1:], strict=False):
        assert f1.lower() < f2.lower() or (f1.lower() == f2.lower() and l1.lower() >= l2.lower())
    desc = [r["FirstName"] for r in csf.query_all(
        "SELECT FirstName FROM Contact ORDER BY FirstName DESC")["records"]]
    assert desc[-1] is None  # DESC puts nulls last
    flipped = [r["FirstName"] for r in csf.query_all(
        "SELECT FirstName FROM Contact ORDER BY FirstName DESC NULLS FIRST")["records"]]
    assert flipped[0] is None and flipped[1:] == desc[:-1]
    last = [r["FirstName"] for r in csf.query_all(
        "SELECT FirstName FROM Contact ORDER BY FirstName ASC NULLS LAST")["records"]]
    assert last[-1] is None


def test_text_sorts_case_insensitively(csf):
    for name in ("apple", "Banana", "cherry"):
        csf.Contact.create({"LastName": "Fruit", "FirstName": name})
    rows = csf.query("SELECT FirstName FROM Contact WHERE LastName = 'Fruit' ORDER BY FirstName")
    assert [r["FirstName"] for r in rows["records"]] == ["apple", "Banana", "cherry"]


def test_limit_and_offset(csf):
    ordered = ids_of(csf.query_all("SELECT Id FROM Contact ORDER BY Email"))
    page = csf.query("SELECT Id FROM Contact ORDER BY Email LIMIT 5 OFFSET 3")
    assert page["totalSize"] == 5 and ids_of(page) == ordered[3:8]
    assert csf.query("SELECT Id FROM Contact LIMIT 0") == {"totalSize": 0, "done": True,
                                                           "records": []}


def test_offset_above_2000_is_refused(csf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT Id FROM Contact OFFSET 2001")
    assert error_of(failure) == {"message": "Maximum SOQL offset allowed is 2000",
                                 "errorCode": "NUMBER_OUTSIDE_VALID_RANGE"}


# -- query vs queryAll, watermarks -------------------------------------------------------------


def test_query_hides_deleted_rows_and_query_all_shows_them(csf, ada):
    csf.Contact.delete(ada)
    soql = f"SELECT Id, IsDeleted FROM Contact WHERE Id = '{ada}'"
    assert csf.query(soql)["totalSize"] == 0
    assert csf.query_all(soql, include_deleted=True)["records"][0]["IsDeleted"] is True
    assert csf.query(soql, include_deleted=True)["totalSize"] == 1


def test_merged_losers_are_visible_to_query_all_only(clocked_org, csf):
    winner = csf.Contact.create({"LastName": "Winner"})["id"]
    loser = csf.Contact.create({"LastName": "Loser"})["id"]
    clocked_org.merge("Contact", winner, [loser])
    soql = ("SELECT Id, MasterRecordId FROM Contact WHERE IsDeleted = true "
            "AND MasterRecordId != null")
    assert csf.query(soql)["totalSize"] == 0
    found = csf.query_all(soql, include_deleted=True)["records"]
    assert [(r["Id"], r["MasterRecordId"]) for r in found] == [(loser, winner)]


def test_system_modstamp_watermark_sees_exactly_the_changes(clock, clocked_org, csf):
    watermark = clock().strftime("%Y-%m-%dT%H:%M:%SZ")
    soql = f"SELECT Id FROM Contact WHERE SystemModstamp > {watermark} ORDER BY SystemModstamp"
    assert csf.query(soql)["totalSize"] == 0
    clock.advance(minutes=5)
    changed = csf.query("SELECT Id FROM Contact ORDER BY Email LIMIT 3")["records"]
    for record in changed:
        csf.Contact.update(record["Id"], {"HasOptedOutOfEmail": True})
    clock.advance(minutes=1)
    created = csf.Contact.create({"LastName": "New"})["id"]
    clocked_org.touch_system("Contact", changed[0]["Id"])  # system change: moves the stamp again
    found = ids_of(csf.query_all(soql))
    assert sorted(found) == sorted([r["Id"] for r in changed] + [created])
    assert set(found[2:]) == {created, changed[0]["Id"]}  # the later stamps sort last


# -- errors ---------------------------------------------------------------------------------------


def test_unknown_field_is_invalid_field_with_the_caret_message(csf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT Id, Bacon__c FROM Contact")
    assert error_of(failure) == {
        "message": "\nSELECT Id, Bacon__c FROM Contact\n           ^\nERROR at Row:1:Column:12\n"
                   "No such column 'Bacon__c' on entity 'Contact'. If you are attempting to use "
                   "a custom field, be sure to append the '__c' after the custom field name. "
                   + WSDL,
        "errorCode": "INVALID_FIELD"}


def test_unknown_field_in_where_points_at_its_row_and_column(csf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT Id\nFROM Contact\nWHERE Nope__c = 1")
    message = error_of(failure)["message"]
    assert message.startswith("\nWHERE Nope__c = 1\n      ^\nERROR at Row:3:Column:7\n"
                              "No such column 'Nope__c' on entity 'Contact'.")


def test_unknown_parent_field_names_the_parent_entity(csf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT Account.Bogus FROM Contact")
    assert "No such column 'Bogus' on entity 'Account'." in error_of(failure)["message"]


def test_unknown_relationship(csf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT Id, Foo.Name FROM Contact")
    assert error_of(failure) == {
        "message": "\nSELECT Id, Foo.Name FROM Contact\n           ^\nERROR at Row:1:Column:12\n"
                   "Didn't understand relationship 'Foo' in field path. If you are attempting to "
                   "use a custom relationship, be sure to append the '__r' after the custom "
                   "relationship name. " + WSDL,
        "errorCode": "INVALID_FIELD"}


def test_unknown_object_is_invalid_type(csf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT Id FROM Contact123")
    assert error_of(failure) == {
        "message": "\nSELECT Id FROM Contact123\n               ^\nERROR at Row:1:Column:16\n"
                   "sObject type 'Contact123' is not supported. If you are attempting to use a "
                   "custom object, be sure to append the '__c' after the entity name. " + WSDL,
        "errorCode": "INVALID_TYPE"}


@pytest.mark.parametrize(("soql", "message"), [
    ("SELEKT Name FROM Account", "unexpected token: SELEKT"),
    ("SELECT Id FROM Account WHERE",
     "\nSELECT Id FROM Account WHERE\n                            ^\nERROR at Row:1:Column:29\n"
     "unexpected token: '<EOF>'"),
    ("SELECT Id, FROM Account",
     "\nSELECT Id, FROM Account\n           ^\nERROR at Row:1:Column:12\nunexpected token: 'FROM'"),
    ("SELECT Id FROM Contact WHERE Email = 'a' AND LastName = 'b' OR LastName = 'c'",
     "\nSELECT Id FROM Contact WHERE Email = 'a' AND LastName = 'b' OR LastName = 'c'\n"
     + " " * 60 + "^\nERROR at Row:1:Column:61\nunexpected token: 'OR'"),
    ("SELECT Id FROM Contact GROUP BY Email",
     "\nSELECT Id FROM Contact GROUP BY Email\n" + " " * 7 + "^\nERROR at Row:1:Column:8\n"
     "Field must be grouped or aggregated: Id"),
])
def test_syntax_errors_are_malformed_query(csf, soql, message):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query(soql)
    assert error_of(failure) == {"message": message, "errorCode": "MALFORMED_QUERY"}


def test_field_hidden_by_field_level_security_is_unknown(clocked_org, csf):
    clocked_org.field_security.set("Contact", "Email", HIDDEN)
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT Email FROM Contact")
    assert "No such column 'Email' on entity 'Contact'." in error_of(failure)["message"]


@pytest.mark.parametrize(("where", "field", "kind", "quotes"), [
    ("HasOptedOutOfEmail = 'true'", "HasOptedOutOfEmail", "boolean", "should not"),
    ("Email = true", "Email", "string", "should"),
    ("CreatedDate = '2026-11-25'", "CreatedDate", "dateTime", "should not"),
    ("LastName = 2026-11-25", "LastName", "string", "should"),
])
def test_filter_values_of_the_wrong_type(csf, where, field, kind, quotes):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query(f"SELECT Id FROM Contact WHERE {where}")
    error = error_of(failure)
    assert error["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"
    assert error["message"].endswith(
        f"value of filter criterion for field '{field}' must be of type {kind} and {quotes} be "
        "enclosed in quotes")


@pytest.mark.parametrize(("where", "kind"), [("HasOptedOutOfEmail LIKE 'tr%'", "boolean"),
                                             ("Id LIKE '003%'", "id"),
                                             ("CreatedDate LIKE '2026%'", "dateTime")])
def test_like_needs_a_text_field(csf, where, kind):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query(f"SELECT Id FROM Contact WHERE {where}")
    error = error_of(failure)
    assert error["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"
    assert error["message"].endswith(f"\ninvalid operator on {kind} field")


def test_parent_fields_filter_and_sort(csf):
    rows = csf.query_all("SELECT Email, Account.Name FROM Contact WHERE Account.Name != null "
                         "ORDER BY Account.Name DESC, Email")["records"]
    names = [r["Account"]["Name"] for r in rows]
    assert names and names == sorted(names, key=str.lower, reverse=True)
    assert csf.query("SELECT COUNT() FROM Contact WHERE Account.Owner.Name = 'integration user'")[
        "totalSize"] == len(rows)
    by_owner = csf.query_all("SELECT Id FROM Contact ORDER BY Account.Owner.Name NULLS LAST, Id")
    assert len(by_owner["records"]) == csf.query("SELECT COUNT() FROM Contact")["totalSize"]


def test_malformed_id_literal(csf):
    # restforce/restforce#557: a malformed Id literal answers INVALID_QUERY_FILTER_OPERATOR.
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT Id FROM Contact WHERE Id = 'abc'")
    assert error_of(failure) == {
        "message": "\nSELECT Id FROM Contact WHERE Id = 'abc'\n" + " " * 34 + "^\n"
                   "ERROR at Row:1:Column:35\ninvalid ID field: abc",
        "errorCode": "INVALID_QUERY_FILTER_OPERATOR"}


def test_duplicate_field(csf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT Id, Email, id FROM Contact")
    assert error_of(failure) == {"message": "duplicate field selected: id",
                                 "errorCode": "INVALID_FIELD"}


def test_missing_query_string(csf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.restful("query/")
    assert error_of(failure) == {"message": "A query string has to be specified",
                                 "errorCode": "MALFORMED_QUERY"}


def test_a_repeated_id_list_answers_alike_and_a_bad_id_in_it_fails_every_time(csf, ada):
    some = ids_of(csf.query("SELECT Id FROM Contact LIMIT 5"))
    listed = ", ".join(f"'{record_id[:15]}'" for record_id in some)  # 15-character forms
    soql = f"SELECT Id FROM Contact WHERE Id IN ({listed}) ORDER BY Id"
    assert ids_of(csf.query(soql)) == ids_of(csf.query(soql)) == sorted(some)
    assert ids_of(csf.query(soql.replace(" IN ", " NOT IN "))) == sorted(
        set(ids_of(csf.query_all("SELECT Id FROM Contact"))) - set(some))
    for _ in range(2):
        with pytest.raises(SalesforceMalformedRequest) as failure:
            csf.query(f"SELECT Id FROM Contact WHERE Id IN ({listed}, 'abc')")
        assert error_of(failure)["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"


def test_an_in_list_reads_its_literals_by_the_field_it_filters(clocked_org, csf, ada):
    """The same text, first against a lookup (15-character Ids are read as 18), then against
    a text field of the same name (read as written)."""
    soql = "SELECT Id FROM Contact WHERE Ref__c IN ('001000000000001')"
    clocked_org.add_custom_field("Contact", custom_field("Ref__c", "Ref", "reference",
                                                         reference_to=["Account"]))
    assert csf.query(soql)["totalSize"] == 0
    clocked_org.remove_custom_field("Contact", "Ref__c")
    clocked_org.add_custom_field("Contact", custom_field("Ref__c", "Ref", "string"))
    clocked_org.update("Contact", ada, {"Ref__c": "001000000000001"})
    assert ids_of(csf.query(soql)) == [ada]
