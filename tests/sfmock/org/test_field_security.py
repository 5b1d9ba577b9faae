"""Field-level security: read-only and hidden fields in describe, writes and SOQL."""

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock import Org, load_fixtures


@pytest.fixture
def contact(sf):
    return sf.Contact.create({"LastName": "Curie", "Email": "marie@example.com"})["id"]


def error_of(excinfo) -> dict:
    return excinfo.value.content[0]


def test_read_only_field_is_not_updateable_and_refuses_writes(org, sf, contact):
    org.field_security.set("Contact", "HasOptedOutOfEmail", "read")
    fields = {f["name"]: f for f in sf.Contact.describe()["fields"]}
    assert fields["HasOptedOutOfEmail"]["updateable"] is False
    assert fields["HasOptedOutOfEmail"]["createable"] is False
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Contact.update(contact, {"HasOptedOutOfEmail": True})
    error = error_of(failure)
    assert error["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert error["fields"] == ["HasOptedOutOfEmail"]
    assert error["message"].startswith("Unable to create/update fields: HasOptedOutOfEmail.")
    with pytest.raises(SalesforceMalformedRequest):
        sf.Contact.create({"LastName": "Pierre", "HasOptedOutOfEmail": True})
    assert sf.Contact.get(contact)["HasOptedOutOfEmail"] is False  # still readable


def test_hidden_field_is_absent_and_unknown_everywhere(org, sf, contact):
    org.field_security.set("Contact", "HasOptedOutOfEmail", "hidden")
    assert "HasOptedOutOfEmail" not in {f["name"] for f in sf.Contact.describe()["fields"]}
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Contact.update(contact, {"HasOptedOutOfEmail": True})
    assert error_of(failure)["errorCode"] == "INVALID_FIELD"
    assert "No such column 'HasOptedOutOfEmail'" in error_of(failure)["message"]
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.query("SELECT Id, HasOptedOutOfEmail FROM Contact")
    assert error_of(failure)["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Contact.get(contact, params={"fields": "HasOptedOutOfEmail"})
    assert error_of(failure)["errorCode"] == "INVALID_FIELD"


def test_edit_access_restores_the_field(org, sf, contact):
    org.field_security.set("Contact", "HasOptedOutOfEmail", "read")
    org.field_security.set("Contact", "HasOptedOutOfEmail", "edit")
    assert sf.Contact.update(contact, {"HasOptedOutOfEmail": True}) == 204


def test_field_security_persists_with_the_org(tmp_path):
    org = Org(tmp_path / "org.db")
    load_fixtures(org)
    org.field_security.set("Lead", "HasOptedOutOfEmail", "read")
    org.close()
    reopened = Org(tmp_path / "org.db")
    lead = reopened.sobject("Lead")
    assert not reopened.field_security.editable(lead, lead.fields["HasOptedOutOfEmail"])
    reopened.close()


def test_admin_api_sets_field_security(admin, sf):
    answer = admin.post("/field-security",
                        json={"type": "lead", "field": "hasoptedoutofemail", "access": "read"})
    assert answer.json() == {"type": "Lead", "field": "HasOptedOutOfEmail", "access": "read"}
    fields = {f["name"]: f for f in sf.Lead.describe()["fields"]}
    assert fields["HasOptedOutOfEmail"]["updateable"] is False
    listed = admin.get("/field-security").json()["overrides"]
    assert listed == [{"type": "Lead", "field": "HasOptedOutOfEmail", "access": "read"}]


@pytest.mark.parametrize("body, message", [
    ({"type": "Lead", "field": "HasOptedOutOfEmail", "access": "write"}, "access must be one of"),
    ({"type": "Lead", "field": "Nope", "access": "read"}, "No field 'Nope' on Lead"),
    ({"type": "Lead", "field": "Email"}, "Missing access"),
])
def test_admin_api_refuses_bad_field_security(admin, body, message):
    answer = admin.post("/field-security", json=body)
    assert answer.status_code == 400 and message in answer.json()[0]["message"]
