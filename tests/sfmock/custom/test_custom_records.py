"""A declared custom object goes through the same REST, SOQL, Collections, Composite, Bulk and
replication calls as Contact: each test runs once for Contact and once for Invoice__c."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

API = "https://sfmock-dev-ed.my.salesforce.com/services/data/v59.0"

# (object, a valid new record, its external-ID field, a text field to change, a parent lookup)
SHAPES = {
    "Contact": ({"LastName": "Rivera", "Email": "rivera@example.com"}, "External_Id__c",
                "Title", "AccountId"),
    "Invoice__c": ({"Status__c": "Draft", "Amount__c": 120.5}, "Invoice_Ref__c",
                   "Billing_Phone__c", "Account__c"),
}


@pytest.fixture(params=sorted(SHAPES))
def shape(request):
    name = request.param
    record, external, text, lookup = SHAPES[name]
    return name, dict(record), external, text, lookup


def sobject(sf: Salesforce, name: str):
    return getattr(sf, name)


def test_rest_create_read_update_delete(csf, shape):
    name, record, _, text, _ = shape
    api = sobject(csf, name)
    made = api.create(record)
    assert made["success"] and made["id"][:3] == csf.query(
        f"SELECT Id FROM {name} WHERE Id = '{made['id']}'")["records"][0]["Id"][:3]
    api.update(made["id"], {text: "555-0100"})
    assert api.get(made["id"])[text] == "555-0100"
    api.delete(made["id"])
    assert csf.query(f"SELECT COUNT() FROM {name} WHERE Id = '{made['id']}'")["totalSize"] == 0
    deleted = csf.query_all(f"SELECT Id FROM {name} WHERE Id = '{made['id']}'",
                            include_deleted=True)
    assert deleted["totalSize"] == 1


def test_upsert_by_external_id_creates_then_updates(csf, shape):
    name, record, external, text, _ = shape
    api = sobject(csf, name)
    assert api.upsert(f"{external}/EXT-1", record) == 201
    assert api.upsert(f"{external}/EXT-1", {text: "555-0101"}) == 200  # v46.0+ answers an update with a body
    found = csf.query(f"SELECT {text} FROM {name} WHERE {external} = 'EXT-1'")["records"]
    assert [r[text] for r in found] == ["555-0101"]


def test_soql_reaches_the_parent_through_the_lookup(csf, shape):
    name, record, _, _, lookup = shape
    account = csf.Account.create({"Name": "Parent Co"})["id"]
    sobject(csf, name).create({**record, lookup: account})
    relationship = lookup[:-2] if lookup.endswith("Id") else lookup[:-1] + "r"
    rows = csf.query(f"SELECT {relationship}.Name FROM {name} WHERE {lookup} = '{account}'")
    assert rows["records"][0][relationship]["Name"] == "Parent Co"


def test_collections_create_and_update_many(csf, shape):
    name, record, _, text, _ = shape
    records = [{"attributes": {"type": name}, **record} for _ in range(3)]
    made = requests.post(f"{API}/composite/sobjects", json={"allOrNone": True, "records": records},
                         headers={"Authorization": f"Bearer {csf.session_id}"}, timeout=10).json()
    assert [r["success"] for r in made] == [True, True, True]
    changes = [{"attributes": {"type": name}, "id": r["id"], text: "555-0102"} for r in made]
    updated = requests.patch(f"{API}/composite/sobjects", json={"records": changes},
                             headers={"Authorization": f"Bearer {csf.session_id}"},
                             timeout=10).json()
    assert all(r["success"] for r in updated)
    ids = "', '".join(r["id"] for r in made)
    assert {r[text] for r in csf.query(f"SELECT {text} FROM {name} WHERE Id IN ('{ids}')")[
        "records"]} == {"555-0102"}


def test_composite_creates_and_reads_back_by_reference(csf, shape):
    name, record, _, _, _ = shape
    body = {"compositeRequest": [
        {"method": "POST", "url": f"/services/data/v59.0/sobjects/{name}", "referenceId": "new",
         "body": record},
        {"method": "GET", "url": f"/services/data/v59.0/sobjects/{name}/@{{new.id}}",
         "referenceId": "read"},
    ]}
    answer = requests.post(f"{API}/composite", json=body, timeout=10,
                           headers={"Authorization": f"Bearer {csf.session_id}"}).json()
    created, read = answer["compositeResponse"]
    assert created["httpStatusCode"] == 201
    assert read["body"]["attributes"]["type"] == name


def test_bulk2_ingest_then_query(csf, shape):
    name, record, external, _, _ = shape
    rows = [{**{k: str(v) for k, v in record.items()}, external: f"B2-{i}"} for i in range(5)]
    [result] = sobject(csf.bulk2, name).insert(records=rows, wait=0.05)
    assert (result["numberRecordsProcessed"], result["numberRecordsFailed"]) == (5, 0)
    lines = "".join(sobject(csf.bulk2, name).query(
        f"SELECT {external} FROM {name} WHERE {external} LIKE 'B2-%'", wait=0.05)).splitlines()
    assert sorted(lines[1:]) == [f'"B2-{i}"' for i in range(5)]


def test_bulk1_upsert_by_external_id(csf, shape):
    name, record, external, text, _ = shape
    rows = [{**record, external: f"B1-{i}"} for i in range(3)]
    results = sobject(csf.bulk, name).upsert(rows, external)
    assert [r["created"] for r in results] == [True, True, True]
    again = sobject(csf.bulk, name).upsert([{external: "B1-0", text: "555-0103"}], external)
    assert again[0]["created"] is False and again[0]["success"] is True


def test_get_updated_and_get_deleted_list_the_records(csf, shape):
    name, record, _, _, _ = shape
    start = datetime.now(UTC) - timedelta(minutes=5)
    end = datetime.now(UTC) + timedelta(minutes=5)
    api = sobject(csf, name)
    kept = api.create(record)["id"]
    gone = api.create(record)["id"]
    api.delete(gone)
    assert kept in api.updated(start, end)["ids"]
    assert gone in [r["id"] for r in api.deleted(start, end)["deletedRecords"]]


def test_a_required_field_is_enforced(csf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.Invoice__c.create({"Amount__c": 1})
    assert failure.value.content == [{"message": "Required fields are missing: [Status__c]",
                                      "errorCode": "REQUIRED_FIELD_MISSING",
                                      "fields": ["Status__c"]}]


@pytest.mark.parametrize("upload", [None, "", "\n"], ids=["no-upload", "empty", "blank-line"])
@pytest.mark.parametrize("operation", ["insert", "delete"])
def test_an_empty_bulk2_upload_completes_with_no_records(csf, operation, upload):
    """jsforce's live-org suite loads `input: []` and expects JobComplete with empty results
    (test/bulk2.test.ts, "should bulk update with empty input and not raise client input
    error")."""
    ingest = f"{API}/jobs/ingest"
    auth = {"Authorization": f"Bearer {csf.session_id}"}
    job = requests.post(ingest, json={"object": "Invoice__c", "operation": operation},
                        headers=auth, timeout=10).json()
    if upload is not None:
        put = requests.put(f"{ingest}/{job['id']}/batches", data=upload, timeout=10,
                           headers={**auth, "Content-Type": "text/csv"})
        assert put.status_code == 201
    requests.patch(f"{ingest}/{job['id']}", json={"state": "UploadComplete"}, headers=auth,
                   timeout=10)
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    info = {}
    while datetime.now(UTC) < deadline:
        info = requests.get(f"{ingest}/{job['id']}", headers=auth, timeout=10).json()
        if info["state"] in ("JobComplete", "Failed"):
            break
    assert (info["state"], info["numberRecordsProcessed"]) == ("JobComplete", 0)
    results = requests.get(f"{ingest}/{job['id']}/successfulResults", headers=auth, timeout=10)
    assert results.text.splitlines() == ['"sf__Id","sf__Created"']


def test_the_server_door_serves_the_same_custom_objects(server_csf):
    account = server_csf.Account.create({"Name": "Over HTTPS"})["id"]
    invoice = server_csf.Invoice__c.create({"Status__c": "Sent", "Account__c": account,
                                            "Amount__c": 10})["id"]
    server_csf.Invoice_Line__c.create({"Invoice__c": invoice, "Name": "Only line"})
    [row] = server_csf.query("SELECT Name, Account__r.Name, (SELECT Name FROM Lines__r) "
                             f"FROM Invoice__c WHERE Id = '{invoice}'")["records"]
    assert row["Name"].startswith("INV-") and row["Account__r"]["Name"] == "Over HTTPS"
    assert [r["Name"] for r in row["Lines__r"]["records"]] == ["Only line"]
    assert server_csf.Invoice__c.describe()["keyPrefix"] == "a0A"
