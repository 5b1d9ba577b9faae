"""The Partner WSDL at the URL Setup's "Generate Partner WSDL" opens (`/soap/wsdl.jsp`): for a
signed-in user or a `sid` cookie, declaring every operation sfmock answers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import requests

from sfmock.api.soap import HANDLERS
from sfmock.app import create_app
from sfmock.soap.faults import FAULT_TYPES, QUERY_FAULTS
from sfmock.versions import API_VERSIONS
from tests.conftest import trusting_session

WSDL = "{http://schemas.xmlsoap.org/wsdl/}"
SOAP = "{http://schemas.xmlsoap.org/wsdl/soap/}"
XSD = "{http://www.w3.org/2001/XMLSchema}"


def operations(document: ET.Element) -> set[str]:
    port = document.find(f"{WSDL}portType")
    return {op.get("name") for op in port.findall(f"{WSDL}operation")}


def address(document: ET.Element) -> str:
    return document.find(f"{WSDL}service/{WSDL}port/{SOAP}address").get("location")


def test_anonymous_visitors_are_sent_to_sign_in(org):
    answer = requests.get(f"{org.instance_url}/soap/wsdl.jsp", allow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/setup/login?next=/soap/wsdl.jsp")


def test_a_sid_cookie_downloads_the_partner_wsdl(org):
    sid = org.open_session(org.integration_user_id()).token
    answer = requests.get(f"{org.instance_url}/soap/wsdl.jsp", cookies={"sid": sid})
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/xml")
    document = ET.fromstring(answer.content)
    assert document.get("targetNamespace") == "urn:partner.soap.sforce.com"
    assert operations(document) == {"login", *HANDLERS}
    assert address(document) == f"https://login.salesforce.com/services/Soap/u/{API_VERSIONS[-1]}"


def test_a_signed_in_setup_user_downloads_it_from_the_api_page(org):
    client = create_app(org).test_client()
    with client.session_transaction() as session:
        session["user_id"] = org.integration_user_id()
    page = client.get("/setup/usage")
    assert b'href="/soap/wsdl.jsp"' in page.data
    answer = client.get("/soap/wsdl.jsp")
    assert answer.status_code == 200 and b"SforceService" in answer.data


def test_the_enterprise_wsdl_is_refused_with_the_fix(org):
    sid = org.open_session(org.integration_user_id()).token
    answer = requests.get(f"{org.instance_url}/soap/wsdl.jsp?type=*", cookies={"sid": sid})
    assert answer.status_code == 404 and "Partner WSDL only" in answer.text


def test_each_fault_type_is_declared_with_its_base(org):
    sid = org.open_session(org.integration_user_id()).token
    document = ET.fromstring(requests.get(f"{org.instance_url}/soap/wsdl.jsp",
                                          cookies={"sid": sid}).content)
    schema = next(s for s in document.iter(f"{XSD}schema")
                  if s.get("targetNamespace") == "urn:fault.partner.soap.sforce.com")
    elements = {e.get("name"): e.get("type") for e in schema.findall(f"{XSD}element")}
    bases = {t.get("name"): t.find(f"{XSD}complexContent/{XSD}extension").get("base")
             for t in schema.findall(f"{XSD}complexType") if t.find(f"{XSD}complexContent")}
    for kind in {*FAULT_TYPES.values(), "UnexpectedErrorFault"}:
        assert elements[kind] == f"fns:{kind}"
        expected = "fns:ApiQueryFault" if kind in QUERY_FAULTS else "fns:ApiFault"
        assert bases[kind] == expected


def test_on_its_own_host_the_wsdl_names_the_server(server):
    session = trusting_session(server.ca_path)
    sid = server.org.open_session(server.org.integration_user_id()).token
    answer = session.get(f"{server.url}/soap/wsdl.jsp", cookies={"sid": sid})
    assert address(ET.fromstring(answer.content)) == (
        f"{server.url}/services/Soap/u/{API_VERSIONS[-1]}")
