"""`/query?q=...&columns=true`: the column metadata the sf CLI reads before the records."""

from __future__ import annotations


def column(name: str, display: str | None = None, **overrides) -> dict:
    base = {"aggregate": False, "apexType": None, "booleanType": False, "columnName": name,
            "custom": False, "displayName": display or name, "foreignKeyName": None,
            "insertable": False, "joinColumns": [], "numberType": False, "textType": False,
            "updatable": False}
    return {**base, **overrides}


def columns_of(front, soql: str):
    return front.call("GET", "query", params={"q": soql, "columns": "true"})


def test_plain_fields_answer_one_column_each(front):
    answer = columns_of(front, "SELECT id, name, Email, HasOptedOutOfEmail FROM Contact").json()
    assert answer == {
        "columnMetadata": [
            column("Id", apexType="Id"),
            column("Name", apexType="String", textType=True),  # a formula: read-only
            column("Email", apexType="String", textType=True, insertable=True, updatable=True),
            column("HasOptedOutOfEmail", apexType="Boolean", booleanType=True, insertable=True,
                   updatable=True),
        ],
        "entityName": "Contact", "groupBy": False, "idSelected": True, "keyPrefix": "003",
    }


def test_a_parent_relationship_is_one_column_with_join_columns(front):
    answer = columns_of(front, "SELECT LastName, Owner.Name, Owner.Email, Account.Name "
                               "FROM Contact").json()
    owner, account = answer["columnMetadata"][1:]
    assert owner == column("Owner", foreignKeyName="OwnerId", joinColumns=[
        column("Name", apexType="String", textType=True),
        column("Email", apexType="String", textType=True, insertable=True, updatable=True),
    ])
    assert account["columnName"] == "Account" and account["foreignKeyName"] == "AccountId"
    assert [c["columnName"] for c in account["joinColumns"]] == ["Name"]
    assert answer["idSelected"] is False


def test_aggregates_are_expr_columns_of_an_aggregate_result(front):
    answer = columns_of(front, "SELECT COUNT(Email), COUNT(Id) total FROM Lead").json()
    assert answer["columnMetadata"] == [
        column("expr0", "count(Email)", aggregate=True, numberType=True),
        column("total", aggregate=True, numberType=True),
    ]
    assert answer["entityName"] == "AggregateResult" and answer["keyPrefix"] is None


def test_the_query_is_not_run_and_its_errors_are_the_querys_own(front):
    response = columns_of(front, "SELECT Nope FROM Contact")
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_FIELD"
    assert columns_of(front, "SELECT Id FROM Nothing").json()[0]["errorCode"] == "INVALID_TYPE"
