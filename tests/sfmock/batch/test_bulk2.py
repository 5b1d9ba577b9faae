"""Bulk API 2.0 ingest and query jobs through unmodified simple-salesforce, and the raw wire."""

import csv
import io
import time

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceOperationError

from sfmock.models import bulk2
from sfmock.models.faults import install_faults

WAIT = 0.05


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_insert_reports_successes_and_failures(sf, org):
    before = org.count("Contact")
    records = [{"LastName": f"Bulk {i}", "Email": f"bulk{i}@example.com"} for i in range(3)]
    records.append({"FirstName": "Nameless", "Email": "nameless@example.com"})
    [result] = sf.bulk2.Contact.insert(records=records, wait=WAIT)
    assert result["numberRecordsProcessed"] == 4 and result["numberRecordsFailed"] == 1
    assert org.count("Contact") == before + 3
    out = sf.bulk2.Contact.get_all_ingest_records(result["job_id"])
    ok = out["successfulRecords"]
    assert [r["sf__Created"] for r in ok] == ["true"] * 3
    assert org.get("Contact", ok[0]["sf__Id"])["Email"] == ok[0]["Email"]
    [failed] = out["failedRecords"]
    assert failed["sf__Id"] == ""
    assert failed["sf__Error"] == ("REQUIRED_FIELD_MISSING:Required fields are missing: "
                                   "[LastName]:LastName --")
    assert failed["FirstName"] == "Nameless"
    assert out["unprocessedRecords"] == []


def test_update_upsert_delete_and_hard_delete(sf, ext_org):
    org = ext_org
    first, second, third = [row["Id"] for row in org.records("Contact")][:3]
    [done] = sf.bulk2.Contact.update(records=[
        {"Id": first, "HasOptedOutOfEmail": "true", "Title": ""},
        {"Id": second, "Title": "#N/A"}], wait=WAIT)
    assert done["numberRecordsFailed"] == 0
    assert org.get("Contact", first)["HasOptedOutOfEmail"] == 1
    assert org.get("Contact", first)["Title"] is not None  # an empty cell leaves it alone
    assert org.get("Contact", second)["Title"] is None  # #N/A sets null
    org.update("Contact", third, {"Ext_Id__c": "K-3"})
    [done] = sf.bulk2.Contact.upsert(records=[
        {"Ext_Id__c": "K-3", "Title": "Upserted"},
        {"Ext_Id__c": "K-NEW", "LastName": "Created"}], external_id_field="Ext_Id__c",
        wait=WAIT)
    created = rows(sf.bulk2.Contact.get_successful_records(done["job_id"]))
    assert {r["Ext_Id__c"]: r["sf__Created"] for r in created} == {"K-3": "false",
                                                                     "K-NEW": "true"}
    assert org.get("Contact", third)["Title"] == "Upserted"
    sf.bulk2.Contact.delete(records=[{"Id": first}], wait=WAIT)
    assert org.get("Contact", first, include_deleted=True)["IsDeleted"] == 1
    sf.bulk2.Contact.hard_delete(records=[{"Id": second}], wait=WAIT)
    assert org.db["Contact"].count_where("Id = ?", [second]) == 0


def test_csv_file_with_its_own_delimiter(sf, org, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("LastName|Email\nPiped|piped@example.com\n", encoding="utf-8")
    [result] = sf.bulk2.Lead.insert(csv_file=str(path), column_delimiter="PIPE", wait=WAIT)
    assert result["numberRecordsFailed"] == 1  # Leads need a Company
    text = sf.bulk2.Lead.get_failed_records(result["job_id"])
    assert text.splitlines()[0] == '"sf__Id"|"sf__Error"|"LastName"|"Email"'
    assert "REQUIRED_FIELD_MISSING" in text


def test_unknown_column_fails_the_job(sf):
    with pytest.raises(SalesforceOperationError,
                       match="InvalidBatch : Field name not found : Shoe_Size__c"):
        sf.bulk2.Contact.insert(records=[{"LastName": "X", "Shoe_Size__c": "9"}], wait=WAIT)


def test_query_pages_carry_a_header_and_locators(sf, org):
    total = org.count("Contact")
    pages = list(sf.bulk2.Contact.query(
        "SELECT Id, Name, Account.Name, HasOptedOutOfEmail FROM Contact ORDER BY Name",
        max_records=7, wait=WAIT))
    assert len(pages) == -(-total // 7)
    records = [r for page in pages for r in rows(page)]
    assert len(records) == total
    assert all(page.startswith('"Id","Name","Account.Name","HasOptedOutOfEmail"\n')
               for page in pages)
    assert records[0]["HasOptedOutOfEmail"] in ("true", "false")
    names = [r["Name"] for r in records]
    assert names == sorted(names, key=str.lower)


def test_query_all_sees_the_recycle_bin_and_download_writes_files(sf, org, tmp_path):
    victim = next(org.records("Contact"))["Id"]
    org.delete("Contact", victim)
    live = [r["Id"] for page in sf.bulk2.Contact.query("SELECT Id FROM Contact", wait=WAIT)
            for r in rows(page)]
    every = [r["Id"] for page in sf.bulk2.Contact.query_all("SELECT Id FROM Contact",
                                                             wait=WAIT) for r in rows(page)]
    assert victim not in live and victim in every
    files = sf.bulk2.Contact.download("SELECT Id, Email FROM Contact", path=str(tmp_path),
                                      max_records=10, wait=WAIT)
    assert sum(f["number_of_records"] for f in files) == len(live)
    assert files[-1]["locator"] == ""
    for f in files:
        with open(f["file"], encoding="utf-8") as handle:
            assert handle.readline() == '"Id","Email"\n'


def test_query_result_headers_on_the_wire(raw, org):
    job = raw.call("POST", "jobs/query", json={"operation": "query",
                                              "query": "SELECT Id FROM Contact"}).json()
    assert job["state"] == "UploadComplete"
    assert raw.wait("query", job["id"])["state"] == "JobComplete"
    first = raw.call("GET", f"jobs/query/{job['id']}/results", params={"maxRecords": 20})
    assert first.headers["Content-Type"].startswith("text/csv")
    assert first.headers["Sforce-NumberOfRecords"] == "20"
    assert first.headers["Sforce-Locator"] == "MjA"
    rest = raw.call("GET", f"jobs/query/{job['id']}/results",
                    params={"maxRecords": 1000, "locator": "MjA"})
    assert rest.headers["Sforce-Locator"] == "null"
    assert int(rest.headers["Sforce-NumberOfRecords"]) == org.count("Contact") - 20
    bad = raw.call("GET", f"jobs/query/{job['id']}/results", params={"locator": "zzz"})
    assert bad.status_code == 400
    info = raw.call("GET", f"jobs/query/{job['id']}").json()
    assert info["jobType"] == "V2Query" and info["numberRecordsProcessed"] == org.count(
        "Contact")


@pytest.mark.parametrize("soql, code", [
    ("SELECT Nope__c FROM Contact", "INVALID_FIELD"),
    ("SELEKT Id FROM Contact", "MALFORMED_QUERY"),
    ("SELECT COUNT() FROM Contact", "API_ERROR"),
    ("SELECT Id FROM Contact LIMIT 5 OFFSET 5", "API_ERROR"),
])
def test_bad_queries_are_refused_at_creation(sf, soql, code):
    with pytest.raises(SalesforceMalformedRequest) as caught:
        list(sf.bulk2.Contact.query(soql, wait=WAIT))
    assert caught.value.content[0]["errorCode"] == code


def test_ingest_state_machine_on_the_wire(raw, org):
    created = raw.call("POST", "jobs/ingest", json={
        "object": "Contact", "operation": "insert", "contentType": "CSV",
        "columnDelimiter": "COMMA", "lineEnding": "LF"})
    job = created.json()
    assert created.status_code == 200 and job["state"] == "Open"
    assert job["id"].startswith("750") and job["apiVersion"] == 59.0
    assert job["contentUrl"] == f"services/data/v59.0/jobs/ingest/{job['id']}/batches"
    put = raw.call("PUT", f"jobs/ingest/{job['id']}/batches", data=b"LastName\nWire\n",
                   headers={"Content-Type": "text/csv"})
    assert put.status_code == 201 and put.content == b""
    again = raw.call("PUT", f"jobs/ingest/{job['id']}/batches", data=b"LastName\nTwice\n",
                     headers={"Content-Type": "text/csv"})
    assert again.status_code == 400
    assert again.json()[0]["errorCode"] == "BULK_API_ERROR"
    closed = raw.call("PATCH", f"jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
    assert closed.json()["state"] == "UploadComplete"  # the worker may move on right after
    info = raw.wait("ingest", job["id"])
    assert info["state"] == "JobComplete" and info["jobType"] == "V2Ingest"
    assert info["numberRecordsProcessed"] == 1 and info["numberRecordsFailed"] == 0
    listed = raw.call("GET", "jobs/ingest").json()
    assert listed["done"] is True and job["id"] in [j["id"] for j in listed["records"]]
    for spelling in ("unprocessedrecords", "unprocessedRecords", "successfulResults/"):
        assert raw.call("GET", f"jobs/ingest/{job['id']}/{spelling}").status_code == 200
    late = raw.call("PATCH", f"jobs/ingest/{job['id']}", json={"state": "Aborted"})
    assert late.status_code == 400
    assert raw.call("DELETE", f"jobs/ingest/{job['id']}").status_code == 204
    assert raw.call("GET", f"jobs/ingest/{job['id']}").status_code == 404


def test_aborting_an_open_job_leaves_every_row_unprocessed(raw, org):
    before = org.count("Contact")
    job = raw.call("POST", "jobs/ingest", json={"object": "Contact",
                                               "operation": "insert"}).json()
    raw.call("PUT", f"jobs/ingest/{job['id']}/batches", data=b"LastName\nA\nB\n",
             headers={"Content-Type": "text/csv"})
    aborted = raw.call("PATCH", f"jobs/ingest/{job['id']}", json={"state": "Aborted"})
    assert aborted.json()["state"] == "Aborted"
    unprocessed = raw.call("GET", f"jobs/ingest/{job['id']}/unprocessedrecords").text
    assert unprocessed == "LastName\nA\nB\n"
    assert org.count("Contact") == before


def test_abort_stops_a_running_job_between_chunks(raw, org, monkeypatch):
    monkeypatch.setattr(bulk2, "INGEST_CHUNK_ROWS", 1)
    install_faults(org, [{"fault": "latency", "ms": 20, "scope": "record"}])
    body = "LastName\n" + "".join(f"Slow {i}\n" for i in range(40))
    job = raw.call("POST", "jobs/ingest", json={"object": "Contact",
                                               "operation": "insert"}).json()
    raw.call("PUT", f"jobs/ingest/{job['id']}/batches", data=body.encode(),
             headers={"Content-Type": "text/csv"})
    raw.call("PATCH", f"jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
    deadline = time.monotonic() + 5
    while raw.call("GET", f"jobs/ingest/{job['id']}").json()["numberRecordsProcessed"] < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    raw.call("PATCH", f"jobs/ingest/{job['id']}", json={"state": "Aborted"})
    info = raw.wait("ingest", job["id"])
    assert info["state"] == "Aborted"
    unprocessed = rows(raw.call("GET", f"jobs/ingest/{job['id']}/unprocessedrecords").text)
    done = rows(raw.call("GET", f"jobs/ingest/{job['id']}/successfulResults").text)
    assert 2 <= len(done) < 40 and len(done) + len(unprocessed) == 40
    info = raw.call("GET", f"jobs/ingest/{job['id']}").json()  # the last chunk is counted
    assert info["numberRecordsProcessed"] == len(done)


def test_a_job_larger_than_a_chunk(sf, org):
    records = [{"LastName": f"Many {i:05d}"} for i in range(bulk2.INGEST_CHUNK_ROWS + 500)]
    [result] = sf.bulk2.Contact.insert(records=records, wait=WAIT)
    assert result["numberRecordsProcessed"] == len(records)
    assert org.db["Contact"].count_where("LastName LIKE 'Many %'") == len(records)


@pytest.mark.parametrize("spec, message", [
    ({"object": "Contact", "operation": "merge"}, "operation 'merge'"),
    ({"object": "Contactz", "operation": "insert"}, "Unable to find object: Contactz"),
    ({"object": "Contact", "operation": "upsert"}, "externalIdFieldName"),
    ({"object": "Contact", "operation": "insert", "columnDelimiter": "SPACE"},
     "columnDelimiter 'SPACE'"),
])
def test_bad_job_definitions_name_the_fix(raw, spec, message):
    response = raw.call("POST", "jobs/ingest", json=spec)
    assert response.status_code == 400
    assert message in response.json()[0]["message"]


def test_bulk_calls_count_as_api_calls(sf, org):
    used_before, _ = org.api_usage()
    sf.bulk2.Contact.insert(records=[{"LastName": "Counted"}], wait=WAIT)
    # create, upload, close, at least one poll, final read
    assert org.api_usage()[0] >= used_before + 5


def test_bulk2_over_https(server, server_sf, tmp_path):
    [result] = server_sf.bulk2.Contact.insert(records=[{"LastName": "TLS bulk"}], wait=WAIT)
    assert result["numberRecordsFailed"] == 0
    pages = list(server_sf.bulk2.Contact.query("SELECT LastName FROM Contact", max_records=5,
                                               wait=WAIT))
    names = [r["LastName"] for page in pages for r in rows(page)]
    assert "TLS bulk" in names and len(names) == server.org.count("Contact")
    files = server_sf.bulk2.Contact.download("SELECT Id FROM Contact", path=str(tmp_path),
                                             max_records=25, wait=WAIT)
    assert sum(f["number_of_records"] for f in files) == len(names)
