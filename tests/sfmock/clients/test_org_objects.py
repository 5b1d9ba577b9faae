"""What tools read about the org on connecting: Organization, record counts, sandbox status."""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock.models.org import Org

CLI_ORG_QUERY = ("SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix, "
                 "OrganizationType FROM Organization")


def test_organization_answers_one_row_for_the_org(front):
    rows = front.sf.query("SELECT Id, Name, IsSandbox, InstanceName, OrganizationType "
                          "FROM Organization")["records"]
    assert len(rows) == 1
    row = rows[0]
    assert row["Id"] == front.org.org_id and row["Name"] == front.org.meta["name"]
    assert row["IsSandbox"] is False and row["OrganizationType"] == "Developer Edition"
    cli = front.sf.query(CLI_ORG_QUERY)["records"][0]
    assert cli["TrialExpirationDate"] is None and cli["NamespacePrefix"] is None


def test_organization_is_described_read_only(front):
    described = front.sf.Organization.describe()
    assert described["createable"] is False and described["deletable"] is False
    assert described["queryable"] is True and described["keyPrefix"] == "00D"
    names = {f["name"] for f in described["fields"]}
    assert {"Name", "IsSandbox", "InstanceName", "OrganizationType", "NamespacePrefix",
            "TrialExpirationDate", "Division", "Country", "LanguageLocaleKey",
            "TimeZoneSidKey", "DefaultLocaleSidKey"} <= names
    assert not any(f["updateable"] or f["createable"] for f in described["fields"])


def test_organization_cannot_be_written(front):
    with pytest.raises(SalesforceMalformedRequest) as refused:
        front.sf.Organization.update(front.org.org_id, {"Name": "Renamed"})
    assert refused.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_the_organization_row_follows_the_org_name(org, sf):
    org.meta["name"] = "Renamed Org"
    org.set_api_limit(org.api.max)  # any save of the org's state
    assert sf.query("SELECT Name FROM Organization")["records"][0]["Name"] == "Renamed Org"


def test_an_org_file_without_its_organization_row_gains_it_on_reopening(tmp_path):
    path = tmp_path / "org.db"
    older = Org(path)
    older.db.execute('DELETE FROM "Organization"')  # as a file saved before the row existed
    older.db.conn.commit()
    older.close()
    reopened = Org(path)
    rows = reopened.db.execute('SELECT Id, Name FROM "Organization"').fetchall()
    assert rows == [(reopened.org_id, reopened.meta["name"])]
    reopened.close()


def test_record_counts_for_named_types(front):
    body = front.call("GET", "limits/recordCount", params={"sObjects": "Contact,Lead,Nope"}).json()
    assert body == {"sObjects": [{"count": front.org.count("Contact"), "name": "Contact"},
                                 {"count": front.org.count("Lead"), "name": "Lead"}]}


def test_record_counts_of_every_type_without_a_filter(front):
    names = [c["name"] for c in front.call("GET", "limits/recordCount").json()["sObjects"]]
    assert names == list(front.org.types)


def test_a_production_org_has_no_sandbox_process(front):
    soql = (f"SELECT Id, Status, SandboxName FROM SandboxProcess WHERE "
            f"SandboxOrganization = '{front.org.org_id[:15]}' ORDER BY CreatedDate DESC")
    body = front.call("GET", "tooling/query", params={"q": soql}).json()
    assert body == {"size": 0, "totalSize": 0, "done": True, "queryLocator": None,
                    "entityTypeName": "SandboxProcess", "records": []}


def test_other_tooling_types_are_not_supported(front):
    response = front.call("GET", "tooling/query", params={"q": "SELECT Id FROM ApexClass"})
    assert response.status_code == 400 and response.json()[0]["errorCode"] == "INVALID_TYPE"


def test_the_cli_user_lookup_works(front):
    user_id = front.org.users["integration@sfmock.dev"].user_id
    record = front.sf.User.get(user_id)
    assert record["Username"] == "integration@sfmock.dev"
    assert front.sf.query(f"SELECT Id, Username FROM User WHERE Id = '{user_id}'")["totalSize"] == 1
