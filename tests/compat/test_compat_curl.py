"""curl against `sfmock serve --tls`: OAuth login, a query, a Collections PATCH and a Bulk API
2.0 ingest job with a CSV upload, each checked on the wire."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest

from sfmock.testing import CLIENT_ID, CLIENT_SECRET, PASSWORD, TOKEN, USERNAME
from tests.skip_policy import missing_tool

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason=missing_tool("curl", "apt-get install curl"))

API = "/services/data/v59.0"


class Curl:
    """curl trusting only the emulator's CA; answers (HTTP status, body text)."""

    def __init__(self, ca_path: str):
        self.ca_path = ca_path
        self.token: str | None = None

    def __call__(self, url: str, *args: str) -> tuple[int, str]:
        auth = ["-H", f"Authorization: Bearer {self.token}"] if self.token else []
        done = subprocess.run(
            ["curl", "-sS", "--noproxy", "*", "--cacert", self.ca_path, "-w", "\n%{http_code}",
             *auth, *args, url],
            capture_output=True, text=True, timeout=30, check=True)
        body, _, status = done.stdout.rpartition("\n")
        return int(status), body

    def json(self, url: str, *args: str, expect: int = 200) -> dict | list:
        status, body = self(url, *args)
        assert status == expect, body
        return json.loads(body)


@pytest.fixture
def curl(sfmock_serve):
    """curl logged in with the OAuth password grant; `.instance` is the instance URL."""
    client = Curl(sfmock_serve.ca_path)
    answer = client.json(
        f"{sfmock_serve.url}/services/oauth2/token", "-d", "grant_type=password",
        "-d", f"client_id={CLIENT_ID}", "-d", f"client_secret={CLIENT_SECRET}",
        "-d", f"username={USERNAME}", "--data-urlencode", f"password={PASSWORD}{TOKEN}")
    assert answer["token_type"] == "Bearer" and answer["instance_url"].startswith("https://")
    client.token = answer["access_token"]
    client.instance = answer["instance_url"]
    return client


def test_oauth_login_refuses_a_wrong_password(sfmock_serve):
    status, body = Curl(sfmock_serve.ca_path)(
        f"{sfmock_serve.url}/services/oauth2/token", "-d", "grant_type=password",
        "-d", f"client_id={CLIENT_ID}", "-d", f"client_secret={CLIENT_SECRET}",
        "-d", f"username={USERNAME}", "-d", "password=wrong")
    assert status == 400
    assert json.loads(body) == {"error": "invalid_grant",
                                "error_description": "authentication failure"}


def test_query_and_collections_patch(curl):
    page = curl.json(f"{curl.instance}{API}/query/", "-G", "--data-urlencode",
                     "q=SELECT Id, Email FROM Contact ORDER BY Id LIMIT 2")
    assert page["totalSize"] == 2 and page["done"] is True
    first, second = (record["Id"] for record in page["records"])
    assert page["records"][0]["attributes"]["type"] == "Contact"

    body = {"allOrNone": False, "records": [
        {"attributes": {"type": "Contact"}, "id": first, "HasOptedOutOfEmail": True},
        {"attributes": {"type": "Contact"}, "id": second, "Email": "not an email"}]}
    results = curl.json(f"{curl.instance}{API}/composite/sobjects", "-X", "PATCH",
                        "-H", "Content-Type: application/json", "-d", json.dumps(body))
    assert results[0] == {"id": first, "success": True, "errors": []}
    assert results[1]["success"] is False
    assert results[1]["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"

    record = curl.json(f"{curl.instance}{API}/sobjects/Contact/{first}")
    assert record["HasOptedOutOfEmail"] is True


def test_bulk2_ingest_csv_upload(curl, tmp_path):
    jobs = f"{curl.instance}{API}/jobs/ingest"
    job = curl.json(jobs, "-H", "Content-Type: application/json", "-d", json.dumps(
        {"object": "Lead", "operation": "insert", "contentType": "CSV", "lineEnding": "LF"}))
    assert job["state"] == "Open"
    upload = tmp_path / "leads.csv"
    upload.write_text("LastName,Company,Email\nCurl,Bulk Co,curl1@example.com\n"
                      "Curl,Bulk Co,not an email\n")
    status, _ = curl(f"{jobs}/{job['id']}/batches", "-X", "PUT",
                     "-H", "Content-Type: text/csv", "--data-binary", f"@{upload}")
    assert status == 201
    closed = curl.json(f"{jobs}/{job['id']}", "-X", "PATCH",
                       "-H", "Content-Type: application/json", "-d", '{"state":"UploadComplete"}')
    assert closed["state"] in {"UploadComplete", "InProgress", "JobComplete"}
    deadline = time.monotonic() + 15
    while (info := curl.json(f"{jobs}/{job['id']}"))["state"] != "JobComplete":
        assert info["state"] not in {"Failed", "Aborted"} and time.monotonic() < deadline, info
        time.sleep(0.1)
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (2, 1)
    status, good = curl(f"{jobs}/{job['id']}/successfulResults")
    assert status == 200 and good.splitlines()[0].startswith('"sf__Id","sf__Created"')
    assert "curl1@example.com" in good
    status, bad = curl(f"{jobs}/{job['id']}/failedResults")
    assert status == 200 and "not an email" in bad
