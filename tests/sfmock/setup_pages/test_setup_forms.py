"""Setup pages without a browser: sign-in, CSRF, Quick Find, layouts, records, packages, usage."""

import json

from sfmock.models.packages import MARKETO_OPT_OUT


def text(response) -> str:
    return response.get_data(as_text=True)


def test_pages_need_a_signed_in_user(anonymous):
    response = anonymous.client.get("/setup/objects/Lead")
    assert response.status_code == 302
    assert response.headers["Location"] == "/setup/login?next=/setup/objects/Lead"


def test_sign_in_goes_to_the_page_asked_for(anonymous):
    anonymous.get("/setup/login?next=/setup/usage")
    response = anonymous.post("/setup/login?next=/setup/usage",
                              {"username": "ADMIN@sfmock.dev", "password": "sfmock-admin-password"})
    assert response.status_code == 302 and response.headers["Location"] == "/setup/usage"
    assert anonymous.get("/setup/usage").status_code == 200


def test_wrong_password_and_foreign_next_are_refused(anonymous):
    assert anonymous.login(password="sfmock-admin-passwordsfmock-admin-token").status_code == 401
    page = text(anonymous.login(password="nope"))
    assert "Please check your username and password" in page and 'role="alert"' in page
    anonymous.get("/setup/login?next=https://evil.example/")
    response = anonymous.post("/setup/login?next=https://evil.example/",
                              {"username": "admin@sfmock.dev", "password": "sfmock-admin-password"})
    assert response.headers["Location"] == "/setup/home"


def test_forms_without_the_csrf_token_are_refused(pages):
    response = pages.client.post("/setup/packages/marketo-sales-connect/install")
    assert response.status_code == 400 and "reload the page" in text(response)
    assert pages.org.installed_packages() == []


def test_quick_find_filters_the_setup_menu(pages):
    page = text(pages.get("/setup/home?q=Leads"))
    menu = page[page.index('id="setup-menu"'):]
    assert ">Leads</a>" in menu and ">Contacts</a>" not in menu and 'for="quick-find"' in page


def test_no_script_add_and_remove_buttons_save_at_once(pages):
    pages.get("/setup/objects/Lead/layouts/edit")
    pages.post("/setup/objects/Lead/layouts/add", {"field": "HasOptedOutOfEmail"})
    assert pages.org.layouts.has_field("Lead", "HasOptedOutOfEmail")
    pages.post("/setup/objects/Lead/layouts/remove", {"field": "HasOptedOutOfEmail"})
    assert not pages.org.layouts.has_field("Lead", "HasOptedOutOfEmail")
    refused = pages.post("/setup/objects/Lead/layouts/remove", {"field": "Company"},
                         follow_redirects=True)
    assert "required on the Lead layout" in text(refused)


def test_saving_an_arrangement_and_a_bad_one(pages):
    layout = pages.org.layouts.get("Lead")
    first = layout.sections[0]
    placement = {first.id: [first.columns[0], first.columns[1] + ["DoNotCall"]]}
    pages.get("/setup/objects/Lead/layouts/edit")
    saved = pages.post("/setup/objects/Lead/layouts/edit", {"layout": json.dumps(placement)},
                       follow_redirects=True)
    assert "Lead Layout saved." in text(saved)
    assert pages.org.layouts.get("Lead").sections[0].columns[1][-1] == "DoNotCall"
    bad = pages.post("/setup/objects/Lead/layouts/edit", {"layout": "{not json"},
                     follow_redirects=True)
    assert "Not saved:" in text(bad)


def test_record_page_shows_only_fields_on_the_layout(pages):
    lead = pages.org.insert("Lead", {"LastName": "Ng", "Company": "Acme", "Title": "CTO"})
    page = text(pages.get(f"/lightning/r/Lead/{lead}/view"))
    assert 'data-field="Title"' in page and 'data-field="HasOptedOutOfEmail"' not in page
    pages.org.layouts.add_field("Lead", "HasOptedOutOfEmail")
    pages.org.field_security.set("Lead", "Title", "hidden")
    page = text(pages.get(f"/lightning/r/Lead/{lead}/view"))
    assert 'data-field="HasOptedOutOfEmail"' in page and 'data-field="Title"' not in page


def test_record_browser_searches_and_pages(pages):
    for i in range(30):
        pages.org.insert("Contact", {"LastName": f"Zed{i:02d}", "Email": f"zed{i}@example.com"})
    first = text(pages.get("/setup/records/Contact?q=zed"))
    assert "30 Contacts matching" in first and "Page 1 of 2" in first and "Zed00" in first
    second = text(pages.get("/setup/records/Contact?q=zed&page=2"))
    assert "Zed29" in second and "Zed00" not in second and 'rel="prev"' in second
    assert "0 Contacts matching" in text(pages.get("/setup/records/Contact?q=100%25_"))


def test_packages_page_installs_and_uninstalls(pages):
    page = text(pages.get("/setup/packages"))
    assert "Not installed" in page
    pages.post("/setup/packages/marketo-sales-connect/install")
    assert pages.org.sobject("Lead").field(MARKETO_OPT_OUT.name) is not None
    assert "Uninstall" in text(pages.get("/setup/packages"))
    pages.post("/setup/packages/marketo-sales-connect/uninstall")
    assert pages.org.installed_packages() == []


def test_usage_page_counts_api_calls_but_not_setup_pages(pages, sf):
    sf.Contact.describe()
    for _ in range(3):
        pages.get("/setup/objects")
    assert pages.org.api_usage()[0] == 1
    assert "<strong>1</strong> of 100,000" in text(pages.get("/setup/usage"))


def test_unknown_object_is_an_html_404(pages):
    response = pages.get("/setup/objects/Nope")
    assert response.status_code == 404 and "The requested resource does not exist" in text(response)


def test_log_out_ends_the_session(pages):
    pages.get("/setup/home")
    pages.post("/setup/logout")
    assert pages.client.get("/setup/home").status_code == 302
