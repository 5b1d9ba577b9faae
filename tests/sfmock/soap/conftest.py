"""A plain-XML Partner API client for the SOAP tests: it logs in, posts envelopes and reads
results and faults, so the tests see the exact wire format."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest
import requests

from sfmock.testing import PASSWORD, TOKEN, USERNAME

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
P = "{urn:partner.soap.sforce.com}"
SF = "{urn:sobject.partner.soap.sforce.com}"
FAULT = "{urn:fault.partner.soap.sforce.com}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
NAMESPACES = (f'xmlns:env="{ENV}" xmlns:urn="urn:partner.soap.sforce.com" '
              'xmlns:sf="urn:sobject.partner.soap.sforce.com"')


@dataclass
class Reply:
    status: int
    content_type: str
    text: str

    @property
    def root(self) -> ET.Element:
        return ET.fromstring(self.text)

    @property
    def results(self) -> list[ET.Element]:
        body = self.root.find(f"{{{ENV}}}Body")
        return body[0].findall(f"{P}result")

    @property
    def limit_current(self) -> int:
        return int(self.root.find(f".//{P}limitInfo/{P}current").text)

    @property
    def fault(self) -> dict:
        node = self.root.find(f".//{{{ENV}}}Fault")
        detail = node.find("detail")
        out = {"faultcode": node.findtext("faultcode"), "faultstring": node.findtext("faultstring")}
        if detail is not None and len(detail):
            typed = detail[0]
            out["type"] = typed.tag.removeprefix(FAULT)
            out["xsi:type"] = typed.get(f"{XSI}type")
            out.update({child.tag.removeprefix(FAULT): child.text for child in typed})
        return out


def fields(record: ET.Element) -> dict:
    """The `sf:` children of an sObject after its own type and Id: {name: text, nested, or None}."""
    out: dict = {}
    for child in list(record)[2:]:
        name = child.tag.removeprefix(SF)
        if child.get(f"{XSI}nil") == "true":
            out[name] = None
        elif child.get(f"{XSI}type") == "sf:sObject":
            out[name] = child
        else:
            out[name] = child.text
    return out


def value(element: ET.Element, name: str) -> str | None:
    return element.findtext(f"{P}{name}")


class Soap:
    """Partner API calls at one front door, logged in as the integration user."""

    def __init__(self, base_url: str, session: requests.Session, version: str = "59.0"):
        self.session = session
        self.login_url = f"{base_url}/services/Soap/u/{version}"
        answer = self.post(self.login_url, f"<urn:login><urn:username>{USERNAME}</urn:username>"
                                           f"<urn:password>{PASSWORD}{TOKEN}</urn:password>"
                                           "</urn:login>")
        self.server_url = re.search(r"<serverUrl>([^<]+)</serverUrl>", answer.text).group(1)
        self.session_id = re.search(r"<sessionId>([^<]+)</sessionId>", answer.text).group(1)

    def post(self, url: str, body: str, headers: str = "") -> Reply:
        envelope = (f'<?xml version="1.0" encoding="UTF-8"?><env:Envelope {NAMESPACES}>'
                    f"<env:Header>{headers}</env:Header><env:Body>{body}</env:Body></env:Envelope>")
        answer = self.session.post(url, data=envelope.encode(),
                                   headers={"Content-Type": "text/xml; charset=UTF-8",
                                            "SOAPAction": '""'})
        return Reply(answer.status_code, answer.headers["Content-Type"], answer.text)

    def call(self, body: str, headers: str = "", session_id: str | None = None,
             url: str | None = None) -> Reply:
        sid = self.session_id if session_id is None else session_id
        session = f"<urn:SessionHeader><urn:sessionId>{sid}</urn:sessionId></urn:SessionHeader>"
        return self.post(url or self.server_url, body, session + headers)

    def query(self, soql: str, operation: str = "query", headers: str = "") -> ET.Element:
        reply = self.call(f"<urn:{operation}><urn:queryString>{soql}</urn:queryString>"
                          f"</urn:{operation}>", headers)
        assert reply.status == 200, reply.text
        return reply.results[0]


def sobject(type_name: str, record_id: str | None = None, to_null: tuple[str, ...] = (),
            **values: str) -> str:
    """An sObject as a Partner client writes it (fields in the sobject namespace)."""
    parts = [f"<sf:type>{type_name}</sf:type>"]
    parts += [f"<sf:fieldsToNull>{name}</sf:fieldsToNull>" for name in to_null]
    if record_id:
        parts.append(f"<sf:Id>{record_id}</sf:Id>")
    parts += [f"<sf:{name}>{text}</sf:{name}>" for name, text in values.items()]
    return "".join(parts)


@pytest.fixture
def soap(org) -> Soap:
    """The Partner API of the in-process org."""
    return Soap("https://login.salesforce.com", requests.Session())
