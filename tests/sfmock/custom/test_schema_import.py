"""A real org's schema loaded from describe JSON (`sf sobject describe --json` or the REST
describe body): describe out equals describe in, and the objects take records and SOQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from simple_salesforce import Salesforce

from sfmock import mock_salesforce
from sfmock.cli import main
from sfmock.models.fixtures import DEFAULT_FIXTURES, FixtureError
from sfmock.models.schema_import import SchemaImportError, load_schema
from sfmock.testing import PASSWORD, TOKEN, USERNAME


def login() -> Salesforce:
    return Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)


def normalised(describe: dict) -> dict:
    """A describe without what follows the instance called (its urls)."""
    return {k: v for k, v in describe.items() if k != "urls"}


@pytest.fixture
def captured(csf, tmp_path):
    """Describes captured from an org with custom objects: Invoice__c as `sf sobject describe
    --json` prints it, Invoice_Line__c and Account as REST describe bodies."""
    docs = {name: getattr(csf, name).describe() for name in ("Invoice__c", "Invoice_Line__c",
                                                            "Account")}
    folder = tmp_path / "schema"
    folder.mkdir()
    (folder / "Invoice__c.json").write_text(json.dumps(
        {"status": 0, "result": docs["Invoice__c"], "warnings": []}))
    for name in ("Invoice_Line__c", "Account"):
        (folder / f"{name}.json").write_text(json.dumps(docs[name]))
    return folder, docs


def test_describe_out_equals_describe_in(captured):
    folder, docs = captured
    with mock_salesforce(schema=folder):
        sf = login()
        for name, doc in docs.items():
            assert normalised(getattr(sf, name).describe()) == normalised(doc)


def test_loaded_objects_take_records_and_child_subqueries(captured):
    folder, _ = captured
    with mock_salesforce(schema=folder):
        sf = login()
        invoice = sf.Invoice__c.create({"Status__c": "Draft", "Invoice_Ref__c": "L-1"})["id"]
        sf.Invoice_Line__c.create({"Invoice__c": invoice, "Name": "Seats",
                                   "Quantity__c": 2})
        [row] = sf.query("SELECT Invoice_Ref__c, (SELECT Name FROM Lines__r) FROM Invoice__c")[
            "records"]
        assert [line["Name"] for line in row["Lines__r"]["records"]] == ["Seats"]
        assert invoice.startswith("a0A")


def test_a_reset_org_keeps_its_loaded_schema(captured, tmp_path):
    folder, _ = captured
    with mock_salesforce(schema=folder, db_path=tmp_path / "org.db") as org:
        from sfmock.models.fixtures import reset_org
        reset_org(org)
        assert "Invoice_Line__c" in org.types
    with mock_salesforce(db_path=tmp_path / "org.db") as org:
        assert org.types["Invoice_Line__c"].field("Quantity__c").type == "double"


def test_a_file_that_is_not_a_describe_is_named(empty_org, tmp_path):
    (tmp_path / "Broken.json").write_text('{"name": "Broken"}')
    with pytest.raises(SchemaImportError, match=r"Broken.json is not an sObject describe"):
        load_schema(empty_org, tmp_path)


def test_serve_refuses_a_folder_without_describes_in_one_line(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--schema", str(tmp_path), "--port", "0",
                                       "--exit-after", "0.1"])
    assert result.exit_code == 1
    assert "holds no *.json describe files" in result.output
    assert "Traceback" not in result.output


def test_a_real_orgs_recorded_describe_round_trips(tmp_path):
    """The parity suite's recorded Contact describe (a real org's, kept by CumulusCI) loads
    and is described back unchanged, but for the urls that name the host called."""
    snapshot = Path(__file__).parents[2] / "parity" / "snapshots" / "describe_contact.json"
    recorded = json.loads(snapshot.read_text())["body"]
    (tmp_path / "Contact.json").write_text(json.dumps(recorded))
    users_only = tmp_path / "fixtures"
    users_only.mkdir()
    spec = json.loads((DEFAULT_FIXTURES / "org.json").read_text())
    (users_only / "org.json").write_text(json.dumps({"users": spec["users"]}))
    with mock_salesforce(schema=tmp_path, fixtures=users_only):
        described = login().Contact.describe()
    assert normalised(described) == normalised(recorded)
    assert len(described["fields"]) == len(recorded["fields"])


def test_fixtures_that_do_not_fit_a_loaded_schema_are_named(tmp_path):
    snapshot = Path(__file__).parents[2] / "parity" / "snapshots" / "describe_contact.json"
    (tmp_path / "Contact.json").write_text(json.dumps(json.loads(snapshot.read_text())["body"]))
    with pytest.raises(FixtureError, match=r"does not fit the org's schema \(No such column "
                                           r"'HasOptedOutOfEmail'"):
        with mock_salesforce(schema=tmp_path):
            pass


def test_serve_loads_the_schema_before_the_fixtures(captured, tmp_path):
    folder, _ = captured
    started = CliRunner().invoke(main, ["serve", "--schema", str(folder), "--port", "0",
                                        "--exit-after", "0.2"])
    assert started.exit_code == 0, started.output
    snapshot = Path(__file__).parents[2] / "parity" / "snapshots" / "describe_contact.json"
    trimmed = tmp_path / "trimmed"
    trimmed.mkdir()
    (trimmed / "Contact.json").write_text(json.dumps(json.loads(snapshot.read_text())["body"]))
    refused = CliRunner().invoke(main, ["serve", "--schema", str(trimmed), "--port", "0",
                                        "--exit-after", "0.2"])
    assert refused.exit_code == 1
    assert "does not fit the org's schema" in refused.output
    assert "Traceback" not in refused.output
