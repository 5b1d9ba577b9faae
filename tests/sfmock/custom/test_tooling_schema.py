"""Setup scripts change the schema through the Tooling API: a CustomObject and its CustomFields
created there are in describe, REST and SOQL at once."""

from __future__ import annotations

import pytest

TOOLING = "tooling/sobjects"


def post(sf, kind: str, body: object):
    return sf.session.post(f"{sf.base_url}{TOOLING}/{kind}", json=body,
                           headers={"Authorization": f"Bearer {sf.session_id}"})


def field(full_name: str, **metadata) -> dict:
    """A CustomField create as clients send it: every Metadata key, null where unset."""
    keys = dict.fromkeys(("caseSensitive", "defaultValue", "externalId", "formula", "length",
                          "precision", "referenceTo", "relationshipName", "required", "scale",
                          "type", "unique", "valueSet", "label"))
    return {"FullName": full_name, "Metadata": {**keys, **metadata}}


@pytest.fixture
def shipment(sf) -> str:
    made = post(sf, "CustomObject", {"FullName": "Shipment__c", "Metadata": {
        "label": "Shipment", "pluralLabel": "Shipments", "deploymentStatus": "Deployed",
        "sharingModel": "ReadWrite",
        "nameField": {"label": "Shipment Number", "type": "AutoNumber",
                      "displayFormat": "SHP-{00000}"}}})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def test_a_custom_object_created_over_tooling_is_described_at_once(sf, shipment):
    assert shipment.startswith("01I")
    described = sf.Shipment__c.describe()
    assert (described["label"], described["labelPlural"], described["custom"]) == (
        "Shipment", "Shipments", True)
    assert sf.Shipment__c.get(sf.Shipment__c.create({})["id"])["Name"] == "SHP-00001"


def test_custom_fields_created_over_tooling_take_values_at_once(sf, shipment):
    answers = [
        post(sf, "CustomField", field("Shipment__c.Carrier__c", label="Carrier", type="Picklist",
                                      valueSet={"valueSetDefinition": {"value": [
                                          {"fullName": "UPS", "default": False, "label": "UPS"},
                                          {"fullName": "DHL", "default": False,
                                           "label": "DHL"}]}})),
        post(sf, "CustomField", field("Shipment__c.Weight__c", label="Weight", type="Number",
                                      precision=10, scale=2)),
        post(sf, "CustomField", field("Shipment__c.Account__c", label="Account", type="Lookup",
                                      referenceTo="Account", relationshipName="Shipments")),
        post(sf, "CustomField", field("Contact.Tier__c", label="Tier", type="Text", length=20)),
    ]
    assert [a.status_code for a in answers] == [201] * 4
    assert all(a.json()["id"].startswith("00N") and a.json()["success"] for a in answers)
    fields = {f["name"]: f for f in sf.Shipment__c.describe()["fields"]}
    assert [v["value"] for v in fields["Carrier__c"]["picklistValues"]] == ["UPS", "DHL"]
    assert (fields["Weight__c"]["type"], fields["Weight__c"]["scale"]) == ("double", 2)
    account = sf.Account.create({"Name": "Freight Co"})["id"]
    sf.Shipment__c.create({"Carrier__c": "DHL", "Weight__c": 12.5, "Account__c": account})
    [row] = sf.query("SELECT Name, (SELECT Carrier__c, Weight__c FROM Shipments__r) FROM Account "
                     f"WHERE Id = '{account}'")["records"]
    assert [(s["Carrier__c"], s["Weight__c"]) for s in row["Shipments__r"]["records"]] == [
        ("DHL", 12.5)]
    assert "Tier__c" in {f["name"] for f in sf.Contact.describe()["fields"]}


def test_a_duplicate_field_is_refused(sf, shipment):
    assert post(sf, "CustomField", field("Contact.Email", type="Text")).status_code == 400
    assert post(sf, "CustomField", field("Shipment__c.Note__c", type="Text", length=40)
                ).status_code == 201
    again = post(sf, "CustomField", field("Shipment__c.Note__c", type="Text", length=40))
    assert again.status_code == 400
    assert again.json()[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"


@pytest.mark.parametrize(("body", "code"), [
    ({"Metadata": {}}, "REQUIRED_FIELD_MISSING"),
    (field("Amount__c", type="Currency"), "INVALID_FIELD"),
    (field("Contact.Size__c", type="Enormous"), "INVALID_FIELD"),
])
def test_a_bad_create_names_the_fix(sf, body, code):
    answer = post(sf, "CustomField", body)
    assert answer.status_code == 400
    assert answer.json()[0]["errorCode"] == code
