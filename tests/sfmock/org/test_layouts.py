"""Page layouts: defaults, describe/layouts shape, changes from the handle and admin API."""

import pytest
from simple_salesforce.exceptions import SalesforceResourceNotFound

from sfmock import Org, ids, load_fixtures
from sfmock.models.layouts import LayoutError
from sfmock.models.packages import MARKETO_OPT_OUT

MASTER = "012000000000000AAA"
MARKETO = MARKETO_OPT_OUT.name


def test_email_opt_out_is_on_the_default_contact_layout_only(sf, layout_fields):
    contact = sf.Contact.describe_layout("")
    lead = sf.Lead.describe_layout("")
    assert "HasOptedOutOfEmail" in layout_fields(contact["layouts"][0])
    assert "HasOptedOutOfEmail" not in layout_fields(lead["layouts"][0])
    assert "Company" in layout_fields(lead["layouts"][0])


def test_installed_package_field_is_on_no_layout_until_added(org, sf, layout_fields):
    org.install_package("marketo-sales-connect")
    for name in ("Contact", "Lead"):
        assert not org.layouts.has_field(name, MARKETO)
        assert MARKETO not in layout_fields(getattr(sf, name).describe_layout("")["layouts"][0])
    org.layouts.add_field("Lead", MARKETO)
    assert MARKETO in layout_fields(sf.Lead.describe_layout("")["layouts"][0])


def test_describe_layouts_has_salesforces_shape(sf):
    described = sf.Contact.describe_layout("")
    assert list(described) == ["layouts", "recordTypeMappings", "recordTypeSelectorRequired"]
    layout = described["layouts"][0]
    assert layout["id"].startswith("00h") and ids.normalise(layout["id"]) == layout["id"]
    mapping = described["recordTypeMappings"][0]
    assert (mapping["layoutId"], mapping["recordTypeId"]) == (layout["id"], MASTER)
    assert described["recordTypeSelectorRequired"] == [False]
    section = layout["detailLayoutSections"][0]
    assert section["heading"] == "Contact Information" and section["columns"] == 2
    assert section["parentLayoutId"] == layout["id"] and section["rows"] == len(section["layoutRows"])
    assert section["layoutSectionId"].startswith("01B")
    for row in section["layoutRows"]:
        assert row["numItems"] == len(row["layoutItems"]) == 2


def test_layout_component_carries_the_full_field_describe(sf):
    layout = sf.Contact.describe_layout(MASTER)
    items = [item for s in layout["detailLayoutSections"] for r in s["layoutRows"]
             for item in r["layoutItems"]]
    opt_out = next(i for i in items if not i["placeholder"]
                   and i["layoutComponents"][0]["value"] == "HasOptedOutOfEmail")
    component = opt_out["layoutComponents"][0]
    described = {f["name"]: f for f in sf.Contact.describe()["fields"]}
    assert component["type"] == "Field" and component["displayLines"] == 1
    assert component["details"] == described["HasOptedOutOfEmail"]
    assert opt_out["label"] == "Email Opt Out" and opt_out["editableForUpdate"] is True
    name = next(i for i in items if not i["placeholder"] and i["label"] == "Name")
    assert name["required"] is True
    assert [c["value"] for c in name["layoutComponents"][0]["components"]] == ["FirstName",
                                                                              "LastName"]
    assert any(i["placeholder"] and i["layoutComponents"] == [] for i in items)


def test_tab_order_runs_down_the_left_column_first(sf):
    section = sf.Lead.describe_layout(MASTER)["detailLayoutSections"][0]
    left = [r["layoutItems"][0]["layoutComponents"][0] for r in section["layoutRows"]]
    assert [c["tabOrder"] for c in left] == list(range(1, len(left) + 1))


def test_unknown_record_type_is_not_found(sf):
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.describe_layout("012000000000001AAQ")


def test_add_and_remove_field_from_the_handle(org, sf, layout_fields):
    layout = org.layouts.add_field("Lead", "hasoptedoutofemail", section="lead information")
    assert layout.has("HasOptedOutOfEmail") and org.layouts.has_field("Lead", "HasOptedOutOfEmail")
    assert "HasOptedOutOfEmail" in layout_fields(sf.Lead.describe_layout("")["layouts"][0])
    assert org.layouts.get("Lead").sections[0].fields().count("HasOptedOutOfEmail") == 1
    org.layouts.remove_field("Lead", "HasOptedOutOfEmail")
    assert "HasOptedOutOfEmail" not in layout_fields(sf.Lead.describe_layout("")["layouts"][0])


def test_bad_layout_changes_are_refused_with_the_fix(org):
    with pytest.raises(LayoutError, match="No field 'Nope__c' on Lead"):
        org.layouts.add_field("Lead", "Nope__c")
    with pytest.raises(LayoutError, match="No section 'Extra'"):
        org.layouts.add_field("Lead", "DoNotCall", section="Extra")
    with pytest.raises(LayoutError, match="required on the Lead layout"):
        org.layouts.remove_field("Lead", "Company")


def test_arrange_saves_a_whole_placement(org):
    layout = org.layouts.get("Lead")
    first = layout.sections[0]
    left, right = first.columns
    placed = org.layouts.arrange("Lead", {first.id: [left + ["HasOptedOutOfEmail"], right]})
    assert placed.sections[0].columns[0][-1] == "HasOptedOutOfEmail"
    with pytest.raises(LayoutError, match="Required on the layout: Company"):
        org.layouts.arrange("Lead", {first.id: [[n for n in left if n != "Company"], right]})
    with pytest.raises(LayoutError, match="placed twice"):
        org.layouts.arrange("Lead", {first.id: [left + ["CreatedById"], right]})


def test_the_palette_lists_fields_not_on_the_layout(org):
    palette = [f.name for f in org.layouts.palette("Lead")]
    assert "HasOptedOutOfEmail" in palette
    assert not {"Company", "Id", "IsDeleted", "FirstName", "LastName"} & set(palette)


def test_layouts_change_only_the_ui_never_the_api(sf):
    lead = sf.Lead.create({"LastName": "Hopper", "Company": "Navy"})["id"]
    assert sf.Lead.update(lead, {"HasOptedOutOfEmail": True}) == 204
    assert sf.Lead.get(lead)["HasOptedOutOfEmail"] is True


def test_field_security_shapes_the_described_layout(org, sf, layout_fields):
    org.field_security.set("Contact", "Title", "hidden")
    org.field_security.set("Contact", "HasOptedOutOfEmail", "read")
    layout = sf.Contact.describe_layout("")["layouts"][0]
    assert "Title" not in layout_fields(layout)
    item = next(i for s in layout["detailLayoutSections"] for r in s["layoutRows"]
                for i in r["layoutItems"]
                if i["layoutComponents"] and i["layoutComponents"][0]["value"] == "HasOptedOutOfEmail")
    assert item["editableForUpdate"] is False
    assert item["layoutComponents"][0]["details"]["updateable"] is False


def test_uninstall_takes_the_field_off_the_layout_for_good(org):
    org.install_package("marketo-sales-connect")
    org.layouts.add_field("Contact", MARKETO)
    org.uninstall_package("marketo-sales-connect")
    assert not org.layouts.has_field("Contact", MARKETO)
    org.install_package("marketo-sales-connect")
    assert not org.layouts.has_field("Contact", MARKETO)


def test_layouts_persist_with_the_org(tmp_path):
    db = tmp_path / "org.db"
    org = Org(db)
    load_fixtures(org)
    org.layouts.add_field("Lead", "HasOptedOutOfEmail")
    layout_id = org.layouts.get("Lead").id
    org.close()
    reopened = Org(db)
    assert reopened.layouts.has_field("Lead", "HasOptedOutOfEmail")
    assert reopened.layouts.get("Lead").id == layout_id
    reopened.close()


def test_admin_api_adds_and_removes_layout_fields(admin, sf, layout_fields):
    added = admin.post("/layouts/Lead/fields", json={"field": "HasOptedOutOfEmail"})
    assert added.status_code == 200 and "HasOptedOutOfEmail" in added.json()["fields"]
    assert "HasOptedOutOfEmail" in layout_fields(sf.Lead.describe_layout("")["layouts"][0])
    removed = admin.delete("/layouts/Lead/fields/HasOptedOutOfEmail")
    assert "HasOptedOutOfEmail" not in removed.json()["fields"]
    bad = admin.post("/layouts/Lead/fields", json={"field": "Nope__c"})
    assert bad.status_code == 400
    assert bad.json()[0]["errorCode"] == "INVALID_ADMIN_REQUEST"
    assert "No field 'Nope__c' on Lead" in bad.json()[0]["message"]


def test_layout_change_over_the_https_server(server, server_sf, layout_fields):
    server.org.layouts.add_field("Lead", "HasOptedOutOfEmail")
    assert "HasOptedOutOfEmail" in layout_fields(server_sf.Lead.describe_layout("")["layouts"][0])
