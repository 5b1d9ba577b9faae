"""The Salesforce CLI (`sf`, pinned, with its own Node 22) against `sfmock serve --tls`.

One server and one access-token login for the module; each test runs one `sf` command, checks
that it exits 0 and reads its effect back through simple-salesforce. The CLI keeps its state in
a temporary HOME; telemetry and auto-update are off; it trusts the emulator's CA through
NODE_EXTRA_CA_CERTS. Each `sf` start costs about a second of Node start-up.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import trustme
from simple_salesforce import Salesforce

from sfmock.models.fixtures import DEFAULT_FIXTURES
from sfmock.testing import CLIENT_ID, CLIENT_SECRET, PASSWORD, TOKEN, USERNAME, ServeProcess

pytestmark = pytest.mark.clients  # the Salesforce CLI on its own Node: tox -e clients

ALIAS = "sfmock"
ADMIN = "admin@sfmock.dev"  # the default org's second user
SF_TIMEOUT = 120


class SfCli:
    """Runs `sf` commands against one emulator, as a user would in a terminal."""

    def __init__(self, node: Path, run_js: Path, home: Path, ca_path: str, cwd: Path):
        self.command = [str(node), str(run_js)]
        self.cwd = cwd
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
            "SF_DISABLE_TELEMETRY": "true", "SF_DISABLE_AUTOUPDATE": "true",
            "SF_SKIP_NEW_VERSION_CHECK": "true", "NODE_EXTRA_CA_CERTS": ca_path,
            "NO_PROXY": "*", "no_proxy": "*",
        }
        self.login: dict = {}  # the result of the module's `sf org login access-token`

    def run(self, *args: str, env: dict | None = None) -> str:
        """The command's stdout; fails the test with its output when it does not exit 0."""
        done = subprocess.run([*self.command, *args], cwd=self.cwd, env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=SF_TIMEOUT)
        assert done.returncode == 0, f"sf {' '.join(args)} exited {done.returncode}:\n" \
                                     f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    def json(self, *args: str, env: dict | None = None):
        """The `result` of a command run with --json."""
        return json.loads(self.run(*args, "--json", env=env))["result"]


@pytest.fixture(scope="module")
def jwt_key(tmp_path_factory) -> tuple[Path, Path]:
    """A fixtures folder whose connected app trusts a new certificate, and its private key."""
    folder = tmp_path_factory.mktemp("sf-cli-org")
    fixtures = folder / "fixtures"
    shutil.copytree(DEFAULT_FIXTURES, fixtures)
    leaf = trustme.CA(key_type=trustme.KeyType.RSA).issue_cert(
        "sales-connect-sync.example", key_type=trustme.KeyType.RSA)
    leaf.cert_chain_pems[0].write_to_path(str(fixtures / "connected_app.crt"))
    key = folder / "server.key"
    leaf.private_key_pem.write_to_path(str(key))
    spec = json.loads((fixtures / "org.json").read_text())
    spec["connected_apps"][0]["certificate_file"] = "connected_app.crt"
    (fixtures / "org.json").write_text(json.dumps(spec))
    return fixtures, key


@pytest.fixture(scope="module")
def serving(jwt_key, tmp_path_factory):
    with ServeProcess(tmp_path_factory.mktemp("sf-cli-serve"), "--fixtures",
                      str(jwt_key[0])) as running:
        yield running


@pytest.fixture(scope="module")
def access_token(serving) -> str:
    response = serving.session().post(f"{serving.url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "username": USERNAME, "password": PASSWORD + TOKEN})
    return response.json()["access_token"]


@pytest.fixture(scope="module")
def sf_logged_in(sf_cli, serving, access_token, tmp_path_factory) -> SfCli:
    """`sf org login access-token` once for the module, as the default org."""
    work = tmp_path_factory.mktemp("sf-cli-work")
    (work / "home").mkdir()
    cli = SfCli(*sf_cli, work / "home", serving.ca_path, work)
    cli.login = cli.json("org", "login", "access-token", "--instance-url", serving.url,
                         "--no-prompt", "--alias", ALIAS, "--set-default",
                         env={"SF_ACCESS_TOKEN": access_token})
    return cli


@pytest.fixture(scope="module")
def api(serving, access_token) -> Salesforce:
    """simple-salesforce on the same org, to read the CLI's effects back."""
    return Salesforce(instance_url=serving.url, session_id=access_token,
                      session=serving.session())


def test_login_with_an_access_token_reads_the_org(sf_logged_in, api):
    login = sf_logged_in.login
    org = api.query("SELECT Id, Name, OrganizationType FROM Organization")["records"][0]
    assert login["username"] == USERNAME
    assert login["orgId"] == org["Id"]
    assert login["name"] == org["Name"] and login["orgEdition"] == org["OrganizationType"]
    assert login["isSandbox"] is False and login["isScratch"] is False


def test_login_with_a_jwt_at_the_first_attempt(sf_logged_in, serving, jwt_key, api):
    # Another user than the module's login: sf keeps one alias per username.
    result = sf_logged_in.json("org", "login", "jwt", "--username", ADMIN, "--client-id",
                               CLIENT_ID, "--jwt-key-file", str(jwt_key[1]), "--instance-url",
                               serving.url, "--alias", "jwt")
    assert result["username"] == ADMIN
    assert result["orgId"] == api.query("SELECT Id FROM Organization")["records"][0]["Id"]
    shown = sf_logged_in.json("org", "display", "--target-org", "jwt")
    assert shown["connectedStatus"] == "Connected" and shown["username"] == ADMIN


def test_org_display_shows_a_connected_org(sf_logged_in, serving, api):
    shown = sf_logged_in.json("org", "display")
    assert shown["connectedStatus"] == "Connected"
    assert shown["instanceUrl"].rstrip("/") == serving.url
    assert shown["username"] == USERNAME and shown["alias"] == ALIAS
    assert shown["id"] == api.query("SELECT Id FROM Organization")["records"][0]["Id"]


QUERY = "SELECT Id, LastName, Email, Account.Name FROM Contact ORDER BY LastName, Id LIMIT 5"


def test_data_query_as_json_matches_the_api(sf_logged_in, api):
    result = sf_logged_in.json("data", "query", "--query", QUERY)
    expected = api.query(QUERY)["records"]
    assert result["totalSize"] == 5
    assert [r["Id"] for r in result["records"]] == [r["Id"] for r in expected]
    assert result["records"][0]["Account"]["Name"] == expected[0]["Account"]["Name"]


def test_data_query_as_a_table_shows_every_column(sf_logged_in, api):
    table = sf_logged_in.run("data", "query", "--query", QUERY)
    first = api.query(QUERY)["records"][0]
    for heading in ("ID", "LASTNAME", "EMAIL", "ACCOUNT.NAME"):
        assert heading in table
    assert first["Id"] in table and first["Email"] in table
    assert "Total number of records retrieved: 5." in table


def test_data_query_as_csv_has_a_row_per_record(sf_logged_in, api):
    text = sf_logged_in.run("data", "query", "--query", QUERY, "--result-format", "csv")
    rows = list(csv.DictReader(text.splitlines()))
    expected = api.query(QUERY)["records"]
    assert [r["Id"] for r in rows] == [r["Id"] for r in expected]
    assert rows[0]["Account.Name"] == expected[0]["Account"]["Name"]


def test_record_create_get_update_delete(sf_logged_in, api):
    created = sf_logged_in.json("data", "create", "record", "--sobject", "Lead", "--values",
                                "LastName=Lovelace Company='Analytical Engines' "
                                "Email=ada@example.com")
    lead_id = created["id"]
    assert api.Lead.get(lead_id)["Company"] == "Analytical Engines"
    got = sf_logged_in.json("data", "get", "record", "--sobject", "Lead", "--record-id", lead_id)
    assert got["Email"] == "ada@example.com" and got["HasOptedOutOfEmail"] is False
    sf_logged_in.json("data", "update", "record", "--sobject", "Lead", "--record-id", lead_id,
                      "--values", "HasOptedOutOfEmail=true")
    assert api.Lead.get(lead_id)["HasOptedOutOfEmail"] is True
    sf_logged_in.json("data", "delete", "record", "--sobject", "Lead", "--record-id", lead_id)
    gone = api.query_all(f"SELECT IsDeleted FROM Lead WHERE Id = '{lead_id}'",
                         include_deleted=True)["records"]
    assert [r["IsDeleted"] for r in gone] == [True]


def test_data_search_finds_a_contact_by_name(sf_logged_in, api):
    contact = api.query("SELECT Id, LastName FROM Contact ORDER BY Id LIMIT 1")["records"][0]
    result = sf_logged_in.json("data", "search", "--query",
                               f"FIND {{{contact['LastName']}}} IN NAME FIELDS "
                               "RETURNING Contact(Id, LastName)")
    assert contact["Id"] in [r["Id"] for r in result["searchRecords"]]


def test_data_import_tree_creates_parents_and_children(sf_logged_in, api):
    (sf_logged_in.cwd / "Account.json").write_text(json.dumps({"records": [{
        "attributes": {"type": "Account", "referenceId": "AccountRef1"},
        "Name": "Tree Works", "Industry": "Technology",
        "Contacts": {"records": [
            {"attributes": {"type": "Contact", "referenceId": "ContactRef1"},
             "LastName": "Hopper", "Email": "grace@treeworks.example"},
            {"attributes": {"type": "Contact", "referenceId": "ContactRef2"},
             "LastName": "Turing", "Email": "alan@treeworks.example"}]}}]}))
    result = sf_logged_in.json("data", "import", "tree", "--files", "Account.json")
    ids = {r["refId"]: r["id"] for r in result}
    assert set(ids) == {"AccountRef1", "ContactRef1", "ContactRef2"}
    children = api.query(f"SELECT Id FROM Contact WHERE AccountId = '{ids['AccountRef1']}'")
    assert {r["Id"] for r in children["records"]} == {ids["ContactRef1"], ids["ContactRef2"]}


def test_data_export_tree_writes_the_queried_records(sf_logged_in, api):
    soql = "SELECT Id, Name, Industry FROM Account ORDER BY Name"
    sf_logged_in.json("data", "export", "tree", "--query", soql, "--output-dir", "export")
    exported = json.loads((sf_logged_in.cwd / "export" / "Account.json").read_text())["records"]
    assert [r["Name"] for r in exported] == [r["Name"] for r in api.query(soql)["records"]]
    assert all(r["attributes"]["referenceId"].startswith("AccountRef") for r in exported)


def test_data_import_bulk_loads_a_csv(sf_logged_in, api):
    (sf_logged_in.cwd / "leads.csv").write_text(
        "LastName,Company,Email\nBulkone,Bulk Co,b1@bulk.example\nBulktwo,Bulk Co,b2@bulk.example\n")
    result = sf_logged_in.json("data", "import", "bulk", "--sobject", "Lead", "--file",
                               "leads.csv", "--wait", "5")
    assert result["successfulRecords"] == 2 and result["failedRecords"] == 0
    loaded = api.query("SELECT Email FROM Lead WHERE Company = 'Bulk Co' ORDER BY Email")
    assert [r["Email"] for r in loaded["records"]] == ["b1@bulk.example", "b2@bulk.example"]


def test_data_export_bulk_writes_every_row(sf_logged_in, api):
    result = sf_logged_in.json("data", "export", "bulk", "--query", "SELECT Id, Email FROM Contact",
                               "--output-file", "contacts.csv", "--wait", "5")
    with (sf_logged_in.cwd / "contacts.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    expected = api.query_all("SELECT Id FROM Contact")["records"]
    assert result["totalSize"] == len(rows) == len(expected)
    assert {r["Id"] for r in rows} == {r["Id"] for r in expected}


def test_sobject_describe_matches_the_api(sf_logged_in, api):
    described = sf_logged_in.json("sobject", "describe", "--sobject", "Contact")
    assert described["name"] == "Contact"
    assert [f["name"] for f in described["fields"]] == [
        f["name"] for f in api.Contact.describe()["fields"]]


def test_sobject_list_names_every_type(sf_logged_in, api):
    listed = sf_logged_in.json("sobject", "list", "--sobject", "all")
    assert sorted(listed) == sorted(t["name"] for t in api.describe()["sobjects"])
    assert {"Contact", "Lead", "Organization", "User"} <= set(listed)


def test_org_list_limits_reports_the_api_allocation(sf_logged_in, api):
    limits = {item["name"]: item for item in sf_logged_in.json("org", "list", "limits")}
    assert limits["DailyApiRequests"]["max"] == api.limits()["DailyApiRequests"]["Max"]


def test_org_list_record_counts(sf_logged_in, api):
    counts = sf_logged_in.json("org", "list", "sobject", "record-counts", "--sobject", "Contact",
                               "--sobject", "Lead")
    assert {c["name"]: c["count"] for c in counts} == {
        name: api.query(f"SELECT COUNT() FROM {name}")["totalSize"] for name in ("Contact", "Lead")}

