"""SOQL as real orgs answer it: literal typing, the Id filter, aggregates, child subqueries,
semi-joins and FIELDS(). Each snapshot names the recorded answer or guide example it follows."""

from __future__ import annotations

from urllib.parse import quote


def _query(target, soql: str):
    return target.call("GET", f"query?q={quote(soql)}")


def test_a_date_literal_against_a_datetime_field_is_refused(target, snapshot):
    snapshot("soql_date_against_datetime",
             _query(target, "SELECT Id FROM Contact WHERE CreatedDate > 2020-01-01"))


def test_a_malformed_id_literal_is_invalid_query_filter_operator(target, snapshot):
    snapshot("soql_malformed_id",
             _query(target, "SELECT Id FROM Contact WHERE AccountId IN ('003xyz')"))


def test_an_aggregate_query_answers_aggregate_result_rows(target, snapshot):
    target.create("Lead", {"LastName": "Parity", "Company": "Parity Co", "LeadSource": "Web"})
    answer = _query(target, "SELECT LeadSource, COUNT(Id) FROM Lead WHERE LastName = 'Parity' "
                            "GROUP BY LeadSource")
    snapshot("soql_group_by", answer)


def test_a_child_subquery_nests_a_query_result_per_parent(target, snapshot):
    account = target.create("Account", {"Name": "Parity Parent"})
    target.create("Contact", {"LastName": "Parity Child", "AccountId": account})
    answer = _query(target, "SELECT Name, (SELECT LastName FROM Contacts) FROM Account "
                            "WHERE Name = 'Parity Parent'")
    snapshot("soql_child_subquery", answer)


def test_a_semi_join_filters_by_another_objects_ids(target, snapshot):
    account = target.create("Account", {"Name": "Parity Semi"})
    target.create("Contact", {"LastName": "Parity Semi", "AccountId": account})
    answer = _query(target, "SELECT Name FROM Account WHERE Name = 'Parity Semi' AND Id IN "
                            "(SELECT AccountId FROM Contact WHERE LastName = 'Parity Semi')")
    snapshot("soql_semi_join", answer)


def test_fields_all_without_a_limit_is_refused(target, snapshot):
    snapshot("soql_fields_all_without_limit",
             _query(target, "SELECT FIELDS(ALL) FROM Contact"))


def test_a_literal_of_the_wrong_type_is_refused(target, snapshot):
    snapshot("soql_wrong_type_literal",
             _query(target, "SELECT Id FROM Contact WHERE LastName = 42"))


def test_a_date_function_groups_by_calendar_year(target, snapshot):
    target.create("Lead", {"LastName": "Parity Year", "Company": "Parity Co"})
    answer = _query(target, "SELECT CALENDAR_YEAR(CreatedDate) year, COUNT(Id) leads FROM Lead "
                            "WHERE LastName = 'Parity Year' GROUP BY CALENDAR_YEAR(CreatedDate)")
    snapshot("soql_calendar_year", answer, scope=_without_values("year"))


def test_to_label_with_security_enforced_and_for_view_answer_records(target, snapshot):
    target.create("Lead", {"LastName": "Parity Label", "Company": "Parity Co",
                           "Status": "Working - Contacted"})
    answer = _query(target, "SELECT toLabel(Status) FROM Lead WHERE LastName = 'Parity Label' "
                            "WITH SECURITY_ENFORCED LIMIT 1 FOR VIEW")
    snapshot("soql_to_label_with_for_view", answer)


def test_a_statement_over_100000_characters_is_refused(target, snapshot):
    # Sent in a Composite body: a URI that long is refused before it is read (414).
    soql = "SELECT Id FROM Contact" + " " * (100_001 - len("SELECT Id FROM Contact"))
    answer = target.call("POST", "composite", json={"compositeRequest": [{
        "method": "GET", "referenceId": "q",
        "url": f"/services/data/v{target.sf.sf_version}/query?q={quote(soql)}"}]})
    snapshot("soql_statement_too_long", answer)


def _without_values(*keys: str):
    """Keep the shape of aggregate rows but not values that depend on the day it runs."""
    def scope(view: dict) -> dict:
        records = view["body"]["records"]
        return {**view, "body": {**view["body"], "records": [
            {k: ("<varies>" if k in keys else v) for k, v in r.items()} for r in records]}}
    return scope
