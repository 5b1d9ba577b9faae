"""Every simple-salesforce call the syncer makes (syncer/salesforce.py, nightly_remote.py), plus
query_all, Bulk API 2.0 query/insert, describe and describe_layout, on both front doors."""

from __future__ import annotations

import base64
import csv
import io
from urllib.parse import urlencode, urlsplit

import pytest
import trustme
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import SalesforceResourceNotFound
from simple_salesforce.login import token_login

from sfmock.testing import CLIENT_ID, CLIENT_SECRET, PASSWORD, TOKEN, USERNAME

MASTER_RECORD_TYPE = "012000000000000AAA"
WAIT = 0.05


def test_logins_the_syncer_uses(door, tmp_path):
    session_id, instance = SalesforceLogin(
        username=USERNAME, password=PASSWORD, security_token=TOKEN, sf_version="59.0",
        session=door.session, scratch_url=door.login_url)
    assert session_id and instance

    oauth = door.login(username=USERNAME, password=PASSWORD + TOKEN, consumer_key=CLIENT_ID,
                       consumer_secret=CLIENT_SECRET)
    pair = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    machine_id, machine_instance = token_login(
        f"{door.login_url}/services/oauth2/token", {"grant_type": "client_credentials"},
        urlsplit(door.login_url).hostname, CLIENT_ID, {"Authorization": f"Basic {pair}"}, None,
        door.session)
    machine = Salesforce(instance_url=f"https://{machine_instance}", session_id=machine_id,
                         session=door.session)
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    leaf = ca.issue_cert("syncer.example", key_type=trustme.KeyType.RSA)
    door.org.apps[CLIENT_ID].certificate = leaf.cert_chain_pems[0].bytes().decode()
    key = tmp_path / "jwt.key"
    leaf.private_key_pem.write_to_path(str(key))
    signed = door.login(username=USERNAME, consumer_key=CLIENT_ID, privatekey_file=str(key))
    for client in (oauth, machine, signed):
        assert client.query("SELECT COUNT() FROM Contact")["totalSize"] == 30


def test_query_query_more_and_query_all(door):
    sf = door.sf
    deleted = sf.Contact.create({"LastName": "Gone"})["id"]
    sf.Contact.delete(deleted)
    page = sf.query("SELECT Id FROM Contact ORDER BY Id LIMIT 2")
    assert page["done"] is True and len(page["records"]) == 2
    everything = sf.query_all("SELECT Id, Email FROM Contact")
    assert everything["totalSize"] == len(everything["records"]) == 30
    with_deleted = sf.query(f"SELECT Id, IsDeleted FROM Contact WHERE Id = '{deleted}'",
                            include_deleted=True)
    assert with_deleted["records"][0]["IsDeleted"] is True
    rows = list(sf.query_all_iter("SELECT Id FROM Lead"))
    assert len(rows) == 30


def test_query_more_by_url_follows_pages(door):
    sf = door.sf
    sf.bulk2.Contact.insert(records=[{"LastName": f"Page {i}"} for i in range(2100)], wait=WAIT)
    page = sf.query("SELECT Id FROM Contact")
    seen = len(page["records"])
    assert page["done"] is False and page["nextRecordsUrl"].startswith("/services/data/")
    while not page["done"]:
        page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
        seen += len(page["records"])
    assert seen == page["totalSize"] == 2130


def test_collections_update_and_retrieve(door):
    sf = door.sf
    ids = [r["Id"] for r in sf.query("SELECT Id FROM Contact ORDER BY Id LIMIT 2")["records"]]
    body = {"allOrNone": False, "records": [
        {"attributes": {"type": "Contact"}, "Id": ids[0], "HasOptedOutOfEmail": True},
        {"attributes": {"type": "Contact"}, "Id": ids[1], "NoSuchField__c": True}]}
    results = sf.restful("composite/sobjects", method="PATCH", json=body)
    assert results[0] == {"id": ids[0], "success": True, "errors": []}
    assert results[1]["success"] is False
    assert results[1]["errors"][0]["statusCode"] == "INVALID_FIELD"

    got = sf.restful("composite/sobjects/Contact",
                     params={"ids": ",".join(ids), "fields": "Id,HasOptedOutOfEmail"})
    assert [(r["Id"], r["HasOptedOutOfEmail"]) for r in got] == [(ids[0], True), (ids[1], False)]
    posted = sf.restful("composite/sobjects/Contact", method="POST",
                        json={"ids": ids, "fields": ["Id", "Email"]})
    assert [r["Id"] for r in posted] == ids and all("Email" in r for r in posted)


def test_composite_batch_of_query_all_requests(door):
    sf = door.sf
    soqls = ["SELECT Id FROM Contact LIMIT 3", "SELECT Id FROM Lead LIMIT 2",
             "SELECT Nope FROM Lead"]
    answer = sf.restful("composite/batch", method="POST", json={
        "haltOnError": False,
        "batchRequests": [{"method": "GET", "url": f"v{sf.sf_version}/queryAll/?"
                           + urlencode({"q": q})} for q in soqls]})
    first, second, bad = answer["results"]
    assert answer["hasErrors"] is True
    assert (first["statusCode"], len(first["result"]["records"])) == (200, 3)
    assert len(second["result"]["records"]) == 2
    assert bad["statusCode"] == 400 and bad["result"][0]["errorCode"] == "INVALID_FIELD"


def test_describe_layouts_and_limits(door):
    sf = door.sf
    described = sf.restful("sobjects/Contact/describe")
    assert described["name"] == "Contact"
    assert "HasOptedOutOfEmail" in {f["name"] for f in described["fields"]}
    assert sf.Lead.describe()["name"] == "Lead"
    layouts = sf.restful("sobjects/Contact/describe/layouts/")
    mapping = layouts["recordTypeMappings"][0]
    assert mapping["recordTypeId"] == MASTER_RECORD_TYPE
    layout = sf.Contact.describe_layout(MASTER_RECORD_TYPE)
    assert layout["detailLayoutSections"]
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.describe_layout("012000000000001AAA")
    limits = sf.limits()
    assert {"Max", "Remaining"} <= limits["DailyApiRequests"].keys()


def test_sobject_create_get_update_delete(door):
    sf = door.sf
    created = sf.Lead.create({"LastName": "Lovelace", "Company": "Engines"})
    assert created["success"] is True and len(created["id"]) == 18
    assert sf.Lead.update(created["id"], {"HasOptedOutOfEmail": True}) == 204
    assert sf.Lead.get(created["id"])["HasOptedOutOfEmail"] is True
    assert sf.Lead.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.get(created["id"])


def test_bulk2_insert_update_query_and_failures(door, tmp_path):
    sf = door.sf
    [inserted] = sf.bulk2.Lead.insert(records=[
        {"LastName": f"Bulk {i}", "Company": "Bulk Co", "Email": f"bulk{i}@example.com"}
        for i in range(3)], wait=WAIT)
    assert (inserted["numberRecordsProcessed"], inserted["numberRecordsFailed"]) == (3, 0)
    created = list(csv.DictReader(io.StringIO(
        sf.bulk2.Lead.get_successful_records(inserted["job_id"]))))
    path = tmp_path / "update.csv"
    path.write_text("Id,HasOptedOutOfEmail\n" + f"{created[0]['sf__Id']},true\n"
                    + "00Q000000000000AAA,true\n")
    [updated] = sf.bulk2.Lead.update(csv_file=str(path), wait=WAIT)
    assert (updated["numberRecordsProcessed"], updated["numberRecordsFailed"]) == (2, 1)
    failed = tmp_path / "failed.csv"
    sf.bulk2.Lead.get_failed_records(updated["job_id"], file=str(failed))
    [failure] = list(csv.DictReader(failed.open()))
    assert failure["Id"] == "00Q000000000000AAA" and failure["sf__Error"]

    rows = [row for page in sf.bulk2.Lead.query(
        "SELECT Id, HasOptedOutOfEmail FROM Lead WHERE Company = 'Bulk Co'", wait=WAIT)
        for row in csv.DictReader(io.StringIO(page))]
    assert sorted(r["HasOptedOutOfEmail"] for r in rows) == ["false", "false", "true"]
    sf.Lead.delete(created[1]["sf__Id"])
    every = [row for page in sf.bulk2.Lead.query_all(
        "SELECT Id, IsDeleted FROM Lead WHERE Company = 'Bulk Co'", max_records=2, wait=WAIT)
        for row in csv.DictReader(io.StringIO(page))]
    assert sorted(r["IsDeleted"] for r in every) == ["false", "false", "true"]
