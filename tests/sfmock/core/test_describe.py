"""Global and sObject describe, in Salesforce's shapes."""

from sfmock.models.schema import Field


def test_global_describe_lists_the_standard_objects(sf):
    described = sf.describe()
    names = {s["name"]: s for s in described["sobjects"]}
    assert {"Account", "Contact", "Lead", "User"} <= set(names)
    assert names["Lead"]["keyPrefix"] == "00Q"
    assert described["maxBatchSize"] == 200


def test_contact_describe_has_email_opt_out(sf):
    fields = {f["name"]: f for f in sf.Contact.describe()["fields"]}
    opt_out = fields["HasOptedOutOfEmail"]
    assert opt_out["label"] == "Email Opt Out"
    assert (opt_out["type"], opt_out["soapType"]) == ("boolean", "xsd:boolean")
    assert opt_out["updateable"] and opt_out["createable"] and not opt_out["custom"]
    assert opt_out["defaultValue"] is False and opt_out["nillable"] is False
    assert fields["Id"]["type"] == "id" and not fields["Id"]["updateable"]
    assert fields["AccountId"]["relationshipName"] == "Account"


def test_lead_describe_has_conversion_fields(sf):
    fields = {f["name"]: f for f in sf.Lead.describe()["fields"]}
    assert fields["IsConverted"]["updateable"] is False
    assert fields["ConvertedContactId"]["referenceTo"] == ["Contact"]
    assert fields["MasterRecordId"]["referenceTo"] == ["Lead"]


def test_every_field_entry_has_the_same_keys(sf):
    fields = sf.Lead.describe()["fields"]
    keys = {frozenset(f) for f in fields}
    assert len(keys) == 1 and "writeRequiresMasterRead" in next(iter(keys))


def test_master_record_type_is_described(sf):
    info = sf.Contact.describe()["recordTypeInfos"][0]
    assert info["recordTypeId"] == "012000000000000AAA" and info["master"]


def test_installed_custom_field_appears_as_custom(org, sf):
    org.add_custom_field("Contact", Field("Tier__c", "Tier", "string", 20, custom=True))
    fields = {f["name"]: f for f in sf.Contact.describe()["fields"]}
    assert fields["Tier__c"]["custom"] is True and fields["Tier__c"]["length"] == 20


def test_hidden_field_leaves_describe_and_read_only_is_not_updateable(org, sf):
    org.field_security.set("Contact", "Title", "hidden")
    org.field_security.set("Contact", "HasOptedOutOfEmail", "read")
    fields = {f["name"]: f for f in sf.Contact.describe()["fields"]}
    assert "Title" not in fields
    assert fields["HasOptedOutOfEmail"]["updateable"] is False
