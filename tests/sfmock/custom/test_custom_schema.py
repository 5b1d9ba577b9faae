"""What a custom object declaration becomes: describe, key prefix, auto-number Name, formulas,
master-detail cascade, layouts, and clear errors for a bad declaration."""

from __future__ import annotations

import json

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock import Org
from sfmock.models.custom_objects import SchemaSpecError
from sfmock.models.fixtures import FixtureError, load_fixtures


def fields_of(describe: dict) -> dict[str, dict]:
    return {f["name"]: f for f in describe["fields"]}


def test_describe_shows_each_field_type_as_salesforce_describes_it(csf):
    described = csf.Invoice__c.describe()
    assert (described["name"], described["label"], described["labelPlural"],
            described["keyPrefix"], described["custom"]) == ("Invoice__c", "Invoice", "Invoices",
                                                             "a0A", True)
    fields = fields_of(described)
    kinds = {name: fields[name]["type"] for name in (
        "Invoice_Ref__c", "Notes__c", "Seats__c", "Amount__c", "Discount__c", "Paid__c",
        "Due_Date__c", "Sent_At__c", "Billing_Email__c", "Billing_Phone__c", "Portal__c",
        "Status__c", "Tags__c", "Account__c")}
    assert kinds == {
        "Invoice_Ref__c": "string", "Notes__c": "textarea", "Seats__c": "double",
        "Amount__c": "currency", "Discount__c": "percent", "Paid__c": "boolean",
        "Due_Date__c": "date", "Sent_At__c": "datetime", "Billing_Email__c": "email",
        "Billing_Phone__c": "phone", "Portal__c": "url", "Status__c": "picklist",
        "Tags__c": "multipicklist", "Account__c": "reference"}
    assert (fields["Amount__c"]["precision"], fields["Amount__c"]["scale"]) == (16, 2)
    assert fields["Notes__c"]["length"] == 32768
    assert [v["value"] for v in fields["Tags__c"]["picklistValues"]] == ["Urgent", "Export",
                                                                          "Disputed"]
    assert fields["Invoice_Ref__c"]["externalId"] and fields["Invoice_Ref__c"]["idLookup"]
    assert fields["Invoice_Ref__c"]["unique"]
    assert fields["Status__c"]["nillable"] is False
    assert (fields["Account__c"]["referenceTo"], fields["Account__c"]["relationshipName"]) == (
        ["Account"], "Account__r")
    name = fields["Name"]
    assert (name["autoNumber"], name["type"], name["createable"], name["nameField"]) == (
        True, "string", False, True)
    net = fields["Net__c"]
    assert (net["calculated"], net["createable"], net["updateable"]) == (True, False, False)
    assert net["calculatedFormula"] == "Amount__c * (1 - BLANKVALUE(Discount__c, 0) / 100)"
    assert "OwnerId" in fields and "OwnerId" not in fields_of(csf.Invoice_Line__c.describe())


def test_child_relationships_show_on_the_parents(csf):
    account = {r["childSObject"]: r for r in csf.Account.describe()["childRelationships"]}
    assert account["Invoice__c"]["relationshipName"] == "Invoices__r"
    assert account["Invoice__c"]["cascadeDelete"] is False
    [lines] = csf.Invoice__c.describe()["childRelationships"]
    assert (lines["childSObject"], lines["field"], lines["relationshipName"],
            lines["cascadeDelete"]) == ("Invoice_Line__c", "Invoice__c", "Lines__r", True)
    detail = fields_of(csf.Invoice_Line__c.describe())["Invoice__c"]
    assert (detail["relationshipOrder"], detail["nillable"], detail["updateable"]) == (0, False,
                                                                                      False)


def test_auto_number_and_formulas_are_computed_on_write(csf):
    first = csf.Invoice__c.create({"Status__c": "Draft", "Invoice_Ref__c": "F-1",
                                   "Amount__c": 200, "Discount__c": 25})["id"]
    second = csf.Invoice__c.create({"Status__c": "Sent"})["id"]
    one, two = csf.Invoice__c.get(first), csf.Invoice__c.get(second)
    assert (one["Name"], two["Name"]) == ("INV-0001", "INV-0002")
    assert (one["Net__c"], one["Summary__c"]) == (150.0, "Draft / F-1")
    assert two["Net__c"] is None  # a blank amount gives a blank formula
    csf.Invoice__c.update(first, {"Discount__c": 50})
    assert csf.Invoice__c.get(first)["Net__c"] == 100.0


def test_formula_and_auto_number_fields_are_read_only(csf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.Invoice__c.create({"Status__c": "Draft", "Net__c": 5})
    assert failure.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_deleting_the_master_deletes_its_details(csf):
    invoice = csf.Invoice__c.create({"Status__c": "Draft"})["id"]
    line = csf.Invoice_Line__c.create({"Invoice__c": invoice, "Name": "Seats"})["id"]
    csf.Invoice__c.delete(invoice)
    gone = csf.query_all(f"SELECT IsDeleted FROM Invoice_Line__c WHERE Id = '{line}'",
                         include_deleted=True)["records"]
    assert [r["IsDeleted"] for r in gone] == [True]


def test_a_detail_needs_its_master(csf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.Invoice_Line__c.create({"Name": "Orphan"})
    assert failure.value.content[0]["fields"] == ["Invoice__c"]


def test_layouts_describe_a_custom_object(csf):
    answer = csf.session.get(f"{csf.base_url}sobjects/Invoice__c/describe/layouts",
                             headers={"Authorization": f"Bearer {csf.session_id}"})
    assert answer.status_code == 200
    layout = answer.json()["layouts"][0]
    shown = {item["layoutComponents"][0]["value"]
             for section in layout["detailLayoutSections"] for row in section["layoutRows"]
             for item in row["layoutItems"] if item["layoutComponents"]}
    assert "Name" in shown


def test_a_saved_org_keeps_its_custom_objects(custom_fixtures, tmp_path):
    path = tmp_path / "org.db"
    org = Org(path)
    load_fixtures(org, custom_fixtures)
    org.insert("Invoice__c", {"Status__c": "Draft"})
    org.close()
    again = Org(path)
    assert again.types["Invoice_Line__c"].field("Invoice__c").cascade_delete
    assert again.count("Invoice__c") == 1


@pytest.mark.parametrize(("spec", "words"), [
    ({"name": "Invoice", "fields": []}, "must be an API name ending in __c"),
    ({"name": "Thing__c", "fields": [{"name": "Size__c", "type": "Huge"}]}, "unknown type 'Huge'"),
    ({"name": "Thing__c", "fields": [{"name": "Parent__c", "type": "Lookup"}]},
     "names its parent object in reference_to"),
    ({"name": "Thing__c", "fields": [{"name": "Parent__c", "type": "Lookup",
                                      "reference_to": "Nowhere__c"}]},
     "declare the parent object first"),
    ({"name": "Thing__c", "key_prefix": "003", "fields": []}, "not used by another object"),
])
def test_a_bad_declaration_is_refused_with_the_fix(empty_org, spec, words):
    with pytest.raises(SchemaSpecError, match=words):
        empty_org.add_custom_object(spec)


def test_fixtures_with_a_bad_declaration_name_the_file(tmp_path):
    (tmp_path / "org.json").write_text(json.dumps({"custom_objects": [{"name": "Bad"}]}))
    with pytest.raises(FixtureError, match=r"org.json: custom object name 'Bad'"):
        load_fixtures(Org(), tmp_path)


def test_multi_select_picklists_filter_with_includes_and_excludes(csf):
    made = {tags: csf.Invoice__c.create({"Status__c": "Draft", "Tags__c": tags,
                                         "Invoice_Ref__c": tags or "none"})["id"]
            for tags in ("Urgent;Export", "Export", "Disputed", None)}

    def refs(where: str) -> set[str]:
        return {r["Invoice_Ref__c"] for r in csf.query(
            f"SELECT Invoice_Ref__c FROM Invoice__c WHERE {where}")["records"]}

    assert refs("Tags__c INCLUDES ('Export')") == {"Urgent;Export", "Export"}
    assert refs("Tags__c INCLUDES ('Urgent;Export', 'Disputed')") == {"Urgent;Export",
                                                                      "Disputed"}
    assert refs("Tags__c INCLUDES ('urgent')") == {"Urgent;Export"}
    assert refs("Tags__c EXCLUDES ('Export')") == {"Disputed", "none"}
    assert len(made) == 4
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query("SELECT Id FROM Invoice__c WHERE Status__c INCLUDES ('Draft')")
    assert failure.value.content[0]["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"
    assert failure.value.content[0]["message"].endswith(
        "includes or excludes operator only valid on multipicklist field")


def test_auto_numbers_go_on_after_a_restart(custom_fixtures, tmp_path):
    path = tmp_path / "org.db"
    org = Org(path)
    load_fixtures(org, custom_fixtures)
    first = org.insert("Invoice__c", {"Status__c": "Draft"})
    org.save_state()  # the record-Id counter is kept with the org's state
    org.close()
    again = Org(path)
    second = again.insert("Invoice__c", {"Status__c": "Draft"})
    assert [again.get("Invoice__c", i)["Name"] for i in (first, second)] == ["INV-0001",
                                                                             "INV-0002"]
