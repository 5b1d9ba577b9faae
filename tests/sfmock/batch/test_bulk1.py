"""Bulk API 1.0 (`/services/async/<version>/job`) on the wire: JSON, CSV and XML jobs, batch and
job states, per-record results, query result chunks, its own error bodies, limits and faults."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from sfmock.models import bulk1
from sfmock.models.bulk1 import Bulk1
from sfmock.models.faults import install_faults

NS = {"a": "http://www.force.com/2009/06/asyncapi/dataload",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance"}


def xml(response) -> ET.Element:
    assert response.headers["Content-Type"].startswith("application/xml"), response.text
    return ET.fromstring(response.content)


def children(element: ET.Element) -> dict:
    return {child.tag.split("}")[1]: child.text for child in element}


def test_json_insert_job_goes_through_its_states(bulk1_api, org):
    before = org.count("Contact")
    job = bulk1_api.job("insert", concurrencyMode=0)  # simple-salesforce sends 0 or 1
    assert list(job) == sorted(job)  # JSON job info keys come in alphabetical order
    assert job["state"] == "Open" and job["concurrencyMode"] == "Parallel"
    assert job["id"].startswith("750") and len(job["id"]) == 18 and job["apiVersion"] == 59.0
    assert job["numberBatchesTotal"] == 0 and job["externalIdFieldName"] is None
    records = [{"LastName": "One", "Email": "one@example.com"}, {"FirstName": "Nameless"},
               {"LastName": "Bad", "Email": "not-an-email"}]
    added = bulk1_api.batch(job["id"], json.dumps(records))
    assert added.status_code == 201
    batch = added.json()
    assert batch["state"] == "Queued" and batch["jobId"] == job["id"]
    assert batch["id"].startswith("751") and list(batch) == sorted(batch)

    polled = bulk1_api.call("GET", f"job/{job['id']}/batch/{batch['id']}").json()
    assert polled["state"] == "Completed" and polled["stateMessage"] is None
    assert polled["numberRecordsProcessed"] == 3 and polled["numberRecordsFailed"] == 2
    info = bulk1_api.call("GET", f"job/{job['id']}").json()
    assert (info["numberBatchesCompleted"], info["numberBatchesTotal"],
            info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (1, 1, 3, 2)

    ok, missing, bad = bulk1_api.call("GET", f"job/{job['id']}/batch/{batch['id']}/result").json()
    assert list(ok) == ["success", "created", "id", "errors"]
    assert ok["success"] is True and ok["created"] is True and ok["errors"] == []
    assert org.get("Contact", ok["id"])["Email"] == "one@example.com"
    assert missing == {"success": False, "created": False, "id": None, "errors": [{
        "statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: "
        "[LastName]", "fields": ["LastName"]}]}
    assert bad["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
    assert org.count("Contact") == before + 1
    sent = bulk1_api.call("GET", f"job/{job['id']}/batch/{batch['id']}/request")
    assert sent.json() == records

    closed = bulk1_api.call("POST", f"job/{job['id']}", json.dumps({"state": "Closed"}))
    assert closed.status_code == 200 and closed.json()["state"] == "Closed"
    refused = bulk1_api.batch(job["id"], json.dumps(records))
    assert refused.status_code == 400
    assert refused.json()["exceptionCode"] == "InvalidJobState"
    listing = bulk1_api.call("GET", f"job/{job['id']}/batch").json()
    assert [b["id"] for b in listing["batchInfo"]] == [batch["id"]]


def test_csv_job_created_in_xml_loads_and_answers_csv(bulk1_api, org):
    request = (f'<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="{NS["a"]}">'
               "<operation>update</operation><object>Contact</object>"
               "<contentType>CSV</contentType></jobInfo>")
    made = bulk1_api.call("POST", "job", request, media="XML")
    assert made.status_code == 201
    job = xml(made)
    assert job.tag == f"{{{NS['a']}}}jobInfo"
    order = [child.tag.split("}")[1] for child in job]
    assert order[:7] == ["id", "operation", "object", "createdById", "createdDate",
                         "systemModstamp", "state"]
    assert order[-3:] == ["totalProcessingTime", "apiActiveProcessingTime", "apexProcessingTime"]
    info = children(job)
    assert info["contentType"] == "CSV" and info["createdDate"].endswith("Z")
    first, second = [row["Id"] for row in org.records("Contact")][:2]
    body = f"Id,Title,Phone\n{first},Chief,#N/A\n{second},,555-0100\n003000000000000AAA,X,\n"
    added = bulk1_api.batch(info["id"], body, media="CSV")
    assert added.status_code == 201 and children(xml(added))["state"] == "Queued"
    assert org.get("Contact", first)["Title"] == "Chief"
    assert org.get("Contact", first)["Phone"] is None  # #N/A sets null
    assert org.get("Contact", second)["Title"] is not None  # an empty cell leaves it alone
    batch_id = children(xml(added))["id"]
    results = bulk1_api.call("GET", f"job/{info['id']}/batch/{batch_id}/result",
                             media="CSV")
    assert results.headers["Content-Type"].startswith("text/csv")
    assert results.text.splitlines()[0] == '"Id","Success","Created","Error"'
    rows = list(csv.DictReader(io.StringIO(results.text)))
    assert [(r["Id"], r["Success"], r["Created"]) for r in rows[:2]] == [
        (first, "true", "false"), (second, "true", "false")]
    assert rows[2]["Success"] == "false" and rows[2]["Error"].startswith("NOT_FOUND:")
    assert rows[2]["Error"].endswith("--")
    closing = f'<jobInfo xmlns="{NS["a"]}"><state>Closed</state></jobInfo>'
    closed = bulk1_api.call("POST", f"job/{info['id']}", closing, media="XML")
    assert children(xml(closed))["state"] == "Closed"
    assert children(xml(closed))["numberBatchesCompleted"] == "1"


def test_xml_upsert_batch_with_nil_fields(bulk1_api, ext_org):
    org = ext_org
    existing = next(org.records("Contact"))["Id"]
    org.update("Contact", existing, {"Ext_Id__c": "K-1", "Title": "Old"})
    made = bulk1_api.call("POST", "job", json.dumps({
        "operation": "upsert", "object": "Contact", "contentType": "XML",
        "externalIdFieldName": "ext_id__c"}))
    job = made.json()
    assert job["externalIdFieldName"] == "Ext_Id__c"
    body = (f'<sObjects xmlns="{NS["a"]}" xmlns:xsi="{NS["xsi"]}">'
            '<sObject><Ext_Id__c>K-1</Ext_Id__c><Title xsi:nil="true"/></sObject>'
            "<sObject><Ext_Id__c>K-2</Ext_Id__c><LastName>New</LastName></sObject>"
            "<sObject><Ext_Id__c>K-3</Ext_Id__c></sObject></sObjects>")
    added = bulk1_api.batch(job["id"], body, media="XML")
    batch_id = children(xml(added))["id"]
    assert org.get("Contact", existing)["Title"] is None
    results = xml(bulk1_api.call("GET", f"job/{job['id']}/batch/{batch_id}/result",
                                 media="XML"))
    updated, created, failed = [children(r) for r in results.findall("a:result", NS)]
    assert (updated["id"], updated["success"], updated["created"]) == (existing, "true", "false")
    assert created["created"] == "true" and org.get("Contact", created["id"])["LastName"] == "New"
    assert failed["success"] == "false" and "id" not in failed
    error = children(results.findall("a:result", NS)[2].find("a:errors", NS))
    assert error == {"fields": "LastName", "message": "Required fields are missing: [LastName]",
                     "statusCode": "REQUIRED_FIELD_MISSING"}
    broken = bulk1_api.batch(job["id"], "<sObjects><sObject>", media="XML")
    assert broken.status_code == 400  # an XML job's errors are XML too
    assert children(xml(broken))["exceptionCode"] == "InvalidXML"


def test_delete_and_hard_delete_take_only_ids(bulk1_api, org):
    first, second = [row["Id"] for row in org.records("Contact")][:2]
    job = bulk1_api.job("delete")
    bulk1_api.batch(job["id"], json.dumps([{"Id": first}]))
    assert org.get("Contact", first, include_deleted=True)["IsDeleted"] == 1
    wrong = bulk1_api.batch(job["id"], json.dumps([{"Id": second, "LastName": "X"}])).json()
    polled = bulk1_api.call("GET", f"job/{job['id']}/batch/{wrong['id']}").json()
    assert polled["state"] == "Failed"
    assert polled["stateMessage"] == ("InvalidBatch : The 'delete' batch must contain only "
                                      "the 'Id' field")
    not_done = bulk1_api.call("GET", f"job/{job['id']}/batch/{wrong['id']}/result")
    assert not_done.status_code == 400 and not_done.json()["exceptionCode"] == "InvalidBatch"
    assert not_done.json()["exceptionMessage"].startswith("Batch not completed")
    hard = bulk1_api.job("hardDelete")
    bulk1_api.batch(hard["id"], json.dumps([{"Id": second}]))
    assert org.count("Contact", include_deleted=True) == 29


def test_query_results_come_in_chunks_with_epoch_datetimes(bulk1_api, org):
    Bulk1.for_org(org).result_rows = 12
    job = bulk1_api.job("query")
    batch = bulk1_api.batch(job["id"], "SELECT Id, LastName, CreatedDate, HasOptedOutOfEmail, "
                            "Account.Name FROM Contact ORDER BY Id").json()
    info = bulk1_api.call("GET", f"job/{job['id']}/batch/{batch['id']}").json()
    assert info["state"] == "Completed" and info["numberRecordsProcessed"] == 30
    result_ids = bulk1_api.call("GET", f"job/{job['id']}/batch/{batch['id']}/result").json()
    assert len(result_ids) == 3 and all(r.startswith("752") for r in result_ids)
    records = []
    for result_id in result_ids:
        records += bulk1_api.call(
            "GET", f"job/{job['id']}/batch/{batch['id']}/result/{result_id}").json()
    assert [r["Id"] for r in records] == sorted(row["Id"] for row in org.records("Contact"))
    first = records[0]
    assert list(first) == ["attributes", "Id", "LastName", "CreatedDate", "HasOptedOutOfEmail",
                           "Account"]
    assert first["attributes"] == {"type": "Contact",
                                   "url": f"/services/data/v59.0/sobjects/Contact/{first['Id']}"}
    assert isinstance(first["CreatedDate"], int) and first["CreatedDate"] > 1_700_000_000_000
    assert isinstance(first["HasOptedOutOfEmail"], bool)
    unknown = bulk1_api.call("GET", f"job/{job['id']}/batch/{batch['id']}/result/752000000000000")
    assert unknown.status_code == 400 and unknown.json()["exceptionCode"] == "InvalidBatch"


def test_csv_and_xml_query_results(bulk1_api, org):
    deleted = next(org.records("Contact"))["Id"]
    org.delete("Contact", deleted)
    made = bulk1_api.call("POST", "job", json.dumps({"operation": "queryAll", "object":
                                                     "Contact", "contentType": "CSV"}))
    job = made.json()
    batch = children(xml(bulk1_api.batch(
        job["id"], f"SELECT Id, IsDeleted, Email FROM Contact WHERE Id = '{deleted}'",
        media="CSV")))  # a CSV job's batch info is XML
    listing = xml(bulk1_api.call("GET", f"job/{job['id']}/batch/{batch['id']}/result",
                                 media="CSV"))
    assert listing.tag == f"{{{NS['a']}}}result-list"  # an XML list even for a CSV job
    [result_id] = [r.text for r in listing]
    text = bulk1_api.call("GET", f"job/{job['id']}/batch/{batch['id']}/result/{result_id}",
                          media="CSV").text
    assert text.splitlines()[0] == '"Id","IsDeleted","Email"'
    assert list(csv.DictReader(io.StringIO(text)))[0]["IsDeleted"] == "true"

    job = bulk1_api.call("POST", "job", json.dumps({"operation": "query", "object": "Contact",
                                                    "contentType": "XML"})).json()
    batch = bulk1_api.batch(job["id"], "SELECT Id, Title, Account.Name FROM Contact LIMIT 1",
                            media="XML")
    batch_id = children(xml(batch))["id"]
    [result_id] = [r.text for r in xml(bulk1_api.call(
        "GET", f"job/{job['id']}/batch/{batch_id}/result", media="XML"))]
    result = xml(bulk1_api.call("GET", f"job/{job['id']}/batch/{batch_id}/result/{result_id}",
                                media="XML"))
    [record] = result.findall("a:records", NS)
    assert record.get(f"{{{NS['xsi']}}}type") == "sObject"
    assert [child.tag.split("}")[1] for child in record] == ["type", "Id", "Title", "Account"]
    assert record.find("a:type", NS).text == "Contact"


def test_a_bad_query_fails_its_batch_with_a_state_message(bulk1_api):
    job = bulk1_api.job("query")
    batch = bulk1_api.batch(job["id"], "SELECT NoSuchField__c FROM Contact").json()
    polled = bulk1_api.call("GET", f"job/{job['id']}/batch/{batch['id']}").json()
    assert polled["state"] == "Failed"
    assert polled["stateMessage"].startswith("InvalidBatch : Failed to process query: "
                                             "INVALID_FIELD: ")
    other = bulk1_api.batch(job["id"], "SELECT Id FROM Lead").json()
    polled = bulk1_api.call("GET", f"job/{job['id']}/batch/{other['id']}").json()
    assert polled["state"] == "Failed" and "selects from Lead" in polled["stateMessage"]


def test_invalid_session_gets_the_bulk_error_body(bulk1_api):
    answer = bulk1_api.call("POST", "job", json.dumps({"operation": "insert"}),
                            headers={"X-SFDC-Session": "00Dbogus"})
    assert answer.status_code == 400  # not REST's 401
    assert answer.json() == {"exceptionCode": "InvalidSessionId",
                             "exceptionMessage": "Invalid session id"}
    answer = bulk1_api.call("GET", "job/750000000000000AAA", media="XML",
                            headers={"X-SFDC-Session": "00Dbogus"})
    error = xml(answer)
    assert error.tag == f"{{{NS['a']}}}error"
    assert children(error) == {"exceptionCode": "InvalidSessionId",
                               "exceptionMessage": "Invalid session id"}


@pytest.mark.parametrize(("method", "path", "spec", "status", "code"), [
    ("POST", "job", {"operation": "INSERT", "object": "Contact"}, 400, "InvalidJob"),
    ("POST", "job", {"operation": "insert", "object": "Nope__c"}, 400, "InvalidEntity"),
    ("POST", "job", {"operation": "upsert", "object": "Contact", "contentType": "JSON"}, 400,
     "InvalidJob"),
    ("POST", "job", {"operation": "insert", "object": "Contact", "contentType": "ZIP_CSV"},
     400, "InvalidJob"),
    ("POST", "job", {"operation": "insert", "object": "Contact", "concurrencyMode": "Fast"},
     400, "InvalidJob"),
    ("GET", "job/750000000000000AAA", None, 400, "InvalidJob"),
    ("GET", "jobs", None, 400, "InvalidOperation"),
    ("GET", "job/750000000000000AAA/batch/751000000000000AAA/nope", None, 400, "InvalidUrl"),
    ("DELETE", "job/750000000000000AAA", None, 405, "InvalidUrl"),
])
def test_bad_requests_name_the_fix(bulk1_api, method, path, spec, status, code):
    answer = bulk1_api.call(method, path, json.dumps(spec) if spec else None)
    assert answer.status_code == status
    body = answer.json()
    assert body["exceptionCode"] == code and body["exceptionMessage"]


def test_unknown_batch_and_mismatched_content_type(bulk1_api):
    job = bulk1_api.job("insert")
    answer = bulk1_api.call("GET", f"job/{job['id']}/batch/751000000000000AAA")
    assert answer.json()["exceptionCode"] == "InvalidBatch"
    answer = bulk1_api.batch(job["id"], "LastName\nDoe\n", media="CSV")
    assert answer.status_code == 400
    assert answer.json()["exceptionMessage"].endswith("send the batch as application/json")
    answer = bulk1_api.batch(job["id"], '{"LastName": "Doe"}')
    assert answer.json() == {"exceptionCode": "InvalidBatch", "exceptionMessage":
                             'Records not processed: send a JSON array of record objects, '
                             'e.g. [{"LastName": "Doe"}]'}


def test_abort_closes_the_job_to_new_batches(bulk1_api):
    job = bulk1_api.job("insert")
    aborted = bulk1_api.call("POST", f"job/{job['id']}", json.dumps({"state": "Aborted"}))
    assert aborted.json()["state"] == "Aborted"
    again = bulk1_api.call("POST", f"job/{job['id']}", json.dumps({"state": "Closed"}))
    assert again.status_code == 400 and again.json()["exceptionCode"] == "InvalidJobState"


def test_batch_limits(bulk1_api, org, monkeypatch):
    job = bulk1_api.job("insert")
    too_many = [{"LastName": "x"}] * (bulk1.MAX_RECORDS + 1)
    batch = bulk1_api.batch(job["id"], json.dumps(too_many)).json()
    polled = bulk1_api.call("GET", f"job/{job['id']}/batch/{batch['id']}").json()
    assert polled["state"] == "Failed" and polled["stateMessage"] == (
        "InvalidBatch : Exceeded number of records: 10001. Number of records should be less "
        "than or equal to 10000")
    assert org.count("Contact") == 30
    too_big = json.dumps([{"LastName": "x" * bulk1.MAX_BYTES}])
    answer = bulk1_api.batch(job["id"], too_big)
    assert answer.status_code == 400 and answer.json()["exceptionCode"] == "ClientInputError"
    monkeypatch.setattr(bulk1, "DAILY_BATCHES", 1)  # the one batch added above
    answer = bulk1_api.batch(job["id"], json.dumps([{"LastName": "x"}]))
    assert answer.status_code == 400 and answer.json()["exceptionCode"] == "ExceededQuota"


def test_record_rules_security_and_locks_apply_per_record(bulk1_api, org):
    org.rules.add_validation("Contact", "No_Opt_Out", ("HasOptedOutOfEmail", "=", True),
                             "Opt-outs are managed elsewhere", "HasOptedOutOfEmail")
    org.field_security.set("Contact", "Title", "read")
    locked = next(org.records("Contact"))["Id"]
    org.rules.lock(locked)
    job = bulk1_api.job("upsert", externalIdFieldName="Id")
    batch = bulk1_api.batch(job["id"], json.dumps([
        {"LastName": "Opted", "HasOptedOutOfEmail": True},
        {"LastName": "Titled", "Title": "CEO"},
        {"Id": locked, "LastName": "Locked"},
        {"LastName": "Fine"}])).json()
    results = bulk1_api.call("GET", f"job/{job['id']}/batch/{batch['id']}/result").json()
    assert [r["errors"][0]["statusCode"] if r["errors"] else None for r in results] == [
        "FIELD_CUSTOM_VALIDATION_EXCEPTION", "INVALID_FIELD_FOR_INSERT_UPDATE",
        "UNABLE_TO_LOCK_ROW", None]
    assert results[2]["id"] == locked


def test_faults_reach_records_and_calls(bulk1_api, org):
    faults = install_faults(org, [{"fault": "UNABLE_TO_LOCK_ROW", "scope": "record",
                                   "path": "/services/async/.*/batch", "calls": [2]}])
    job = bulk1_api.job("insert")
    batch = bulk1_api.batch(job["id"], json.dumps([{"LastName": f"F{i}"} for i in range(3)]))
    results = bulk1_api.call("GET", f"job/{job['id']}/batch/{batch.json()['id']}/result").json()
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"
    faults.clear()
    faults.add("503", path="/services/async/", times=1)
    faults.add("REQUEST_LIMIT_EXCEEDED", path="/services/async/", times=1)
    unavailable = bulk1_api.call("GET", f"job/{job['id']}")
    assert unavailable.status_code == 503 and unavailable.json()["exceptionCode"] == "Unknown"
    spent = bulk1_api.call("GET", f"job/{job['id']}")
    assert spent.status_code == 400 and spent.json() == {
        "exceptionCode": "ExceededQuota", "exceptionMessage": "TotalRequests Limit exceeded."}
    assert bulk1_api.call("GET", f"job/{job['id']}").status_code == 200


def test_bulk_calls_count_as_api_calls_and_batches(bulk1_api, org):
    used, _ = org.api_usage()
    job = bulk1_api.job("insert", concurrencyMode=1)
    assert job["concurrencyMode"] == "Serial"
    answer = bulk1_api.call("GET", f"job/{job['id']}")
    assert answer.headers["Sforce-Limit-Info"] == f"api-usage={used + 2}/100000"
    for _ in range(2):
        bulk1_api.batch(job["id"], json.dumps([{"LastName": "Counted"}]))
    assert bulk1_api.sf.limits()["DailyBulkApiBatches"] == {"Max": 15000, "Remaining": 14998}
