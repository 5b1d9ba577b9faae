"""The REST resources around an object's user interface: compact layouts, quick actions, list
views with results, /recent, /tabs, /theme, the version resource's identity, query?explain=."""

from __future__ import annotations

import re

import pytest
import requests

from sfmock import create_app


def get(sf, path: str, **params) -> requests.Response:
    return sf.session.get(f"{sf.base_url}{path}", params=params,
                          headers={"Authorization": f"Bearer {sf.session_id}"})


@pytest.fixture(params=["in-process", "server"])
def any_sf(request):
    """The same calls through both front doors."""
    return request.getfixturevalue("sf" if request.param == "in-process" else "server_sf")


def test_list_views_list_and_run_as_a_real_org_answers(any_sf):
    listing = get(any_sf, "sobjects/Account/listviews").json()
    assert (listing["sobjectType"], listing["done"], listing["nextRecordsUrl"]) == (
        "Account", True, None)
    views = {v["developerName"]: v for v in listing["listviews"]}
    assert {"AllAccounts", "MyAccounts", "NewThisWeek", "RecentlyViewedAccounts"} <= set(views)
    every = views["AllAccounts"]
    assert every["label"] == "All Accounts" and every["id"].startswith("00B")
    assert every["resultsUrl"].endswith(f"/listviews/{every['id']}/results")
    answer = get(any_sf, f"sobjects/Account/listviews/{every['id']}/results", limit=3).json()
    assert answer["id"] == every["id"][:15]  # results name the view by its 15-character Id
    assert answer["size"] == 3 and len(answer["records"]) == 3
    names = sorted(r["Name"] for r in any_sf.query("SELECT Name FROM Account")["records"])
    cells = [{c["fieldNameOrPath"]: c["value"] for c in r["columns"]} for r in answer["records"]]
    assert [c["Name"] for c in cells] == names[:3]
    # a datetime reads as Java's Date.toString(), as the recorded answer has it
    assert re.fullmatch(r"\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} GMT \d{4}", cells[0]["CreatedDate"])
    columns = {c["fieldNameOrPath"]: c for c in answer["columns"]}
    assert columns["Name"]["sortDirection"] == "ascending" and columns["Id"]["hidden"] is True


def test_a_list_view_describes_its_query(sf):
    mine = next(v for v in get(sf, "sobjects/Contact/listviews").json()["listviews"]
                if v["developerName"] == "MyContacts")
    described = get(sf, f"sobjects/Contact/listviews/{mine['id']}/describe").json()
    assert described["scope"] == "mine"
    assert described["query"].startswith("SELECT Name, Owner.Alias, Id")
    assert sf.query(described["query"])["totalSize"] == sf.query(
        "SELECT COUNT() FROM Contact")["totalSize"]  # the integration user owns them all


def test_an_unknown_list_view_is_not_found(sf):
    answer = get(sf, "sobjects/Account/listviews/00B000000000000AAA/results")
    assert answer.status_code == 404
    assert answer.json()[0]["errorCode"] == "NOT_FOUND"


def test_compact_layouts_show_the_name_and_key_fields(sf):
    answer = get(sf, "sobjects/Contact/describe/compactLayouts").json()
    [layout] = answer["compactLayouts"]
    assert (layout["name"], layout["label"], layout["objectType"]) == ("SYSTEM",
                                                                      "System Default", "Contact")
    assert [i["layoutComponents"][0]["value"] for i in layout["fieldItems"]][:2] == ["Name",
                                                                                     "Title"]
    [mapping] = answer["recordTypeCompactLayoutMappings"]
    assert (mapping["recordTypeId"], mapping["compactLayoutName"]) == ("012000000000000AAA",
                                                                       "SYSTEM")


def test_quick_actions_are_offered_where_activities_are(sf):
    actions = {a["name"]: a for a in get(sf, "sobjects/Account/quickActions").json()}
    assert {"NewTask", "LogACall"} <= set(actions)
    assert actions["LogACall"]["urls"]["describe"].endswith(
        "/sobjects/Account/quickActions/LogACall/describe")
    assert get(sf, "sobjects/User/quickActions").json() == []


def test_tabs_and_theme_cover_the_objects(sf):
    tabs = {t["sobjectName"]: t for t in get(sf, "tabs").json()}
    assert tabs["Account"]["name"] == "standard-Account"
    assert tabs["Account"]["url"].endswith("/001/o")
    assert tabs["Opportunity"]["label"] == "Opportunities"
    themed = {item["name"] for item in get(sf, "theme").json()["themeItems"]}
    assert {"Account", "Contact", "Lead", "Case"} <= themed


def test_recent_lists_the_records_viewed_in_the_ui(org, sf):
    contact = sf.query("SELECT Id, Name FROM Contact ORDER BY Name LIMIT 1")["records"][0]
    assert get(sf, "recent").json() == []  # API reads are not views
    client = create_app(org).test_client()
    form = client.get("/setup/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    client.post("/setup/login", data={"csrf_token": token, "username": "admin@sfmock.dev",
                                      "password": "sfmock-admin-password"})
    assert client.get(f"/lightning/r/Contact/{contact['Id']}/view").status_code == 200
    [seen] = get(sf, "recent").json()
    assert (seen["Id"], seen["Name"], seen["attributes"]["type"]) == (
        contact["Id"], contact["Name"], "Contact")
    [viewed] = sf.query(f"SELECT LastViewedDate, SystemModstamp, CreatedDate FROM Contact "
                        f"WHERE Id = '{contact['Id']}'")["records"]
    assert viewed["LastViewedDate"] is not None


def test_the_version_resource_names_the_callers_identity(any_sf):
    resources = get(any_sf, "").json()
    org_id = any_sf.query("SELECT Id FROM Organization")["records"][0]["Id"]
    user_id = any_sf.query("SELECT Id FROM User WHERE Username = 'integration@sfmock.dev'")[
        "records"][0]["Id"]
    assert resources["identity"].endswith(f"/id/{org_id}/{user_id}")
    assert resources["recent"].endswith("/recent")


def test_explain_weighs_an_index_against_a_table_scan(sf):
    plans = get(sf, "query/", explain="SELECT Id FROM Contact WHERE Email = 'x@y.z' "
                                      "AND Title = 'CEO'").json()
    index, scan = plans["plans"]
    assert (index["leadingOperationType"], index["fields"]) == ("Index", ["Email"])
    assert scan["leadingOperationType"] == "TableScan"
    assert index["relativeCost"] < scan["relativeCost"]
    total = sf.query("SELECT COUNT() FROM Contact")["totalSize"]
    assert index["sobjectCardinality"] == total and index["cardinality"] == 0
    assert scan["notes"] == [{"description": "Not considering filter for optimization because "
                                             "unindexed", "fields": ["Title"],
                              "tableEnumOrId": "Contact"}]


def test_explain_refuses_a_bad_query_as_the_query_would(sf):
    answer = get(sf, "query/", explain="SELECT Nope FROM Contact")
    assert answer.status_code == 400
    assert answer.json()[0]["errorCode"] == "INVALID_FIELD"
