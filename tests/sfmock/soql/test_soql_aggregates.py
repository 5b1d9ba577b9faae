"""GROUP BY, HAVING and the aggregate functions: AggregateResult records, as the SOQL reference
describes them ("Aggregate Functions", "GROUP BY", "Using Aliases with GROUP BY",
"Considerations for GROUP BY", "Support for Field Types in Aggregate Functions").
"""

from __future__ import annotations

from collections import Counter

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from .conftest import bulk_contacts


def rows(sf, soql: str) -> list[dict]:
    result = sf.query(soql)
    assert result["done"] is True and "nextRecordsUrl" not in result
    assert result["totalSize"] == len(result["records"])
    for record in result["records"]:
        assert record["attributes"] == {"type": "AggregateResult"}
    return [{k: v for k, v in r.items() if k != "attributes"} for r in result["records"]]


def refused(sf, soql: str) -> dict:
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.query(soql)
    return failure.value.content[0]


def contacts(org) -> list[dict]:
    return [r for r in org.records("Contact") if not r["IsDeleted"]]


def test_group_by_counts_each_group_with_the_implied_expr0_name(csf, clocked_org):
    expected = Counter(r["LeadSource"] for r in contacts(clocked_org))
    found = rows(csf, "SELECT LeadSource, COUNT(Id) FROM Contact GROUP BY LeadSource")
    assert {r["LeadSource"]: r["expr0"] for r in found} == dict(expected)
    assert all(list(r) == ["LeadSource", "expr0"] for r in found)


def test_expr_names_count_only_unaliased_aggregates(csf):
    # "expri, where i denotes the order of the aggregated fields with no explicit aliases"
    found = rows(csf, "SELECT LeadSource src, MAX(LastName), COUNT(Id) total, MIN(LastName) "
                      "FROM Contact GROUP BY LeadSource")
    assert all(list(r) == ["src", "expr0", "total", "expr1"] for r in found)


def test_aggregates_without_group_by_answer_one_row(csf, clocked_org):
    people = contacts(clocked_org)
    [row] = rows(csf, "SELECT COUNT(Id), COUNT(Email), COUNT_DISTINCT(AccountId), "
                      "MIN(LastName), MAX(CreatedDate) FROM Contact")
    assert row == {
        "expr0": len(people),
        "expr1": sum(1 for r in people if r["Email"] is not None),
        "expr2": len({r["AccountId"] for r in people if r["AccountId"]}),
        "expr3": min((r["LastName"] for r in people), key=str.lower),
        "expr4": max(r["CreatedDate"] for r in people),
    }


def test_sum_and_avg_take_numbers(clocked_org, csf):
    from sfmock.models.schema import custom_field

    clocked_org.add_custom_field("Contact", custom_field("Score__c", "Score", "double"))
    for name, score in (("A", 1.5), ("B", 2.5), ("C", None)):
        csf.Contact.create({"LastName": name, "LeadSource": "Other", "Score__c": score})
    [row] = rows(csf, "SELECT SUM(Score__c) s, AVG(Score__c) a, COUNT(Score__c) n FROM Contact "
                      "WHERE Score__c != null")
    assert row == {"s": 4.0, "a": 2.0, "n": 2}


def test_group_by_a_parent_field_names_the_key_by_the_field(csf, clocked_org):
    found = rows(csf, "SELECT Account.Name, COUNT(Id) FROM Contact WHERE AccountId != null "
                      "GROUP BY Account.Name")
    assert found and all(list(r) == ["Name", "expr0"] for r in found)


def test_grouped_booleans_stay_booleans(csf, clocked_org):
    found = rows(csf, "SELECT HasOptedOutOfEmail, COUNT(Id) n FROM Contact "
                      "GROUP BY HasOptedOutOfEmail ORDER BY HasOptedOutOfEmail")
    expected = Counter(bool(r["HasOptedOutOfEmail"]) for r in contacts(clocked_org))
    assert found == [{"HasOptedOutOfEmail": k, "n": expected[k]} for k in sorted(expected)]


def test_having_filters_groups_and_order_by_sorts_them(csf, clocked_org):
    counts = Counter(r["AccountId"] for r in contacts(clocked_org) if r["AccountId"])
    wanted = sorted((n, a) for a, n in counts.items() if n >= 2)
    found = rows(csf, "SELECT AccountId, COUNT(Id) n FROM Contact WHERE AccountId != null "
                      "GROUP BY AccountId HAVING COUNT(Id) >= 2 ORDER BY COUNT(Id), AccountId")
    assert [(r["n"], r["AccountId"]) for r in found] == wanted
    limited = rows(csf, "SELECT AccountId FROM Contact WHERE AccountId != null "
                        "GROUP BY AccountId ORDER BY AccountId LIMIT 2 OFFSET 1")
    assert [r["AccountId"] for r in limited] == sorted(counts)[1:3]


def test_count_with_group_by_counts_the_groups(csf, clocked_org):
    groups = {r["LeadSource"] for r in contacts(clocked_org)}
    result = csf.query("SELECT COUNT() FROM Contact GROUP BY LeadSource")
    assert result == {"totalSize": len(groups), "done": True, "records": []}
    sizes = Counter(r["LeadSource"] for r in contacts(clocked_org))
    having = csf.query("SELECT COUNT() FROM Contact GROUP BY LeadSource HAVING COUNT(Id) > 8")
    assert having["totalSize"] == sum(1 for n in sizes.values() if n > 8)


def test_rollup_adds_subtotals_with_grouping_flags(csf, clocked_org):
    people = contacts(clocked_org)
    found = rows(csf, "SELECT HasOptedOutOfEmail o, LeadSource, COUNT(Id) n, "
                      "GROUPING(LeadSource) g FROM Contact "
                      "GROUP BY ROLLUP(HasOptedOutOfEmail, LeadSource)")
    totals = [r for r in found if r["g"] == 1]
    assert totals[-1] == {"o": None, "LeadSource": None, "n": len(people), "g": 1}
    for flag in (False, True):
        subtotal = next(r for r in totals if r["o"] is flag)
        assert subtotal["n"] == sum(1 for r in people if bool(r["HasOptedOutOfEmail"]) is flag)
        details = [r for r in found if r["o"] is flag and r["g"] == 0]
        assert sum(r["n"] for r in details) == subtotal["n"]
        assert found.index(subtotal) == max(found.index(r) for r in details) + 1


def test_cube_totals_every_combination(csf, clocked_org):
    people = contacts(clocked_org)
    found = rows(csf, "SELECT HasOptedOutOfEmail, LeadSource, COUNT(Id) n FROM Contact "
                      "GROUP BY CUBE(HasOptedOutOfEmail, LeadSource)")
    by_source = [r for r in found if r["HasOptedOutOfEmail"] is None and r["LeadSource"]]
    assert {r["LeadSource"]: r["n"] for r in by_source} == dict(
        Counter(r["LeadSource"] for r in people if r["LeadSource"]))
    assert {"HasOptedOutOfEmail": None, "LeadSource": None, "n": len(people)} in found


# -- the rules ----------------------------------------------------------------------------------


def test_a_field_neither_grouped_nor_aggregated_is_refused(csf):
    error = refused(csf, "SELECT LeadSource, Email, COUNT(Id) FROM Contact GROUP BY LeadSource")
    assert error == {
        "message": "\nSELECT LeadSource, Email, COUNT(Id) FROM Contact GROUP BY LeadSource\n"
                   + " " * 19 + "^\nERROR at Row:1:Column:20\n"
                   "Field must be grouped or aggregated: Email",
        "errorCode": "MALFORMED_QUERY"}


def test_order_by_a_field_neither_grouped_nor_aggregated_is_refused(csf):
    error = refused(csf, "SELECT LeadSource FROM Contact GROUP BY LeadSource ORDER BY Email")
    assert error["message"].endswith("\nOrdered field must be grouped or aggregated: Email")


@pytest.mark.parametrize(("soql", "field", "operator"), [
    ("SELECT SUM(LastName) FROM Contact", "LastName", "SUM"),
    ("SELECT AVG(CreatedDate) FROM Contact", "CreatedDate", "AVG"),
    ("SELECT COUNT(HasOptedOutOfEmail) FROM Contact", "HasOptedOutOfEmail", "COUNT"),
    ("SELECT MAX(DoNotCall) FROM Contact", "DoNotCall", "MAX"),
])
def test_aggregates_refuse_field_types_they_do_not_support(csf, soql, field, operator):
    # A real org's words, caret under the field (forcedotcom/SFDX-Data-Move-Utility#46):
    # "ERROR at Row:1:Column:14\nfield Id does not support aggregate operator COUNT".
    error = refused(csf, soql)
    assert error["errorCode"] == "MALFORMED_QUERY"
    column = soql.index(field) + 1
    assert error["message"].endswith(
        f"ERROR at Row:1:Column:{column}\nfield {field} does not support aggregate operator "
        f"{operator}")


def test_datetime_fields_can_not_be_grouped(csf):
    # groupable is false for dateTime fields in the describe; real orgs answer "field 'X' can
    # not be grouped in a query call"; CALENDAR_YEAR(...) etc. group by their parts instead.
    error = refused(csf, "SELECT CreatedDate FROM Contact GROUP BY CreatedDate")
    assert error["errorCode"] == "MALFORMED_QUERY"
    assert error["message"].endswith("\nfield 'CreatedDate' can not be grouped in a query call")


def test_more_than_2000_groups_are_refused_not_paged(clocked_org, csf):
    # "queries that include a GROUP BY clause can't use the query locator to get more results"
    bulk_contacts(clocked_org, 2001)
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT LastName, COUNT(Id) FROM Contact GROUP BY LastName")
    assert failure.value.content == [{
        "message": "Aggregate query does not support queryMore(), use LIMIT to restrict the "
                   "results to a single batch",
        "errorCode": "EXCEEDED_ID_LIMIT"}]
    limited = csf.query("SELECT LastName, COUNT(Id) FROM Contact GROUP BY LastName LIMIT 2000")
    assert limited["totalSize"] == 2000 and limited["done"] is True
