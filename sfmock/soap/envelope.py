"""SOAP 1.1 envelopes: reading a Partner API request and writing its response."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
SOBJECT = "urn:sobject.partner.soap.sforce.com"
FAULT = "urn:fault.partner.soap.sforce.com"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
XSI_NIL = f"{{{XSI}}}nil"


class EnvelopeError(Exception):
    """A request that is not a SOAP call at all: answered with a `soapenv:Client` fault."""


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def children(element: ET.Element, name: str) -> list[ET.Element]:
    """The child elements called `name`, whatever namespace (or none) the client used."""
    return [child for child in element if local(child.tag) == name]


def child(element: ET.Element, name: str) -> ET.Element | None:
    found = children(element, name)
    return found[0] if found else None


def is_nil(element: ET.Element) -> bool:
    return element.get(XSI_NIL, "").lower() in ("true", "1")


def text(element: ET.Element | None) -> str | None:
    """An element's text ('' when empty), or None when absent or `xsi:nil`."""
    if element is None or is_nil(element):
        return None
    return element.text or ""


def texts(element: ET.Element, name: str) -> list[str]:
    return [t for t in (text(c) for c in children(element, name)) if t is not None]


def flag(element: ET.Element | None, default: bool = False) -> bool:
    """An xsd:boolean child ('true', 'false', '1' or '0')."""
    value = text(element)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("true", "1")


@dataclass
class Call:
    """One Partner API call: its operation element and the SOAP headers sent with it."""

    operation: ET.Element
    headers: dict[str, ET.Element] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return local(self.operation.tag)

    def header_text(self, header: str, name: str) -> str | None:
        element = self.headers.get(header)
        return text(child(element, name)) if element is not None else None

    def header_flag(self, header: str, name: str) -> bool:
        element = self.headers.get(header)
        return flag(child(element, name)) if element is not None else False


def parse(body: bytes) -> Call:
    """The call in a request body, or EnvelopeError naming what is wrong with it."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise EnvelopeError(f"Could not parse the request as XML ({exc}): send a SOAP 1.1 "
                            "envelope") from None
    if root.tag != f"{{{SOAPENV}}}Envelope":
        raise EnvelopeError(f"The root element is {root.tag}, not a SOAP 1.1 Envelope "
                            f"({{{SOAPENV}}}Envelope)")
    body_element = root.find(f"{{{SOAPENV}}}Body")
    operations = list(body_element) if body_element is not None else []
    if not operations:
        raise EnvelopeError("The SOAP Body is empty: put one Partner API call in it")
    operation = operations[0]
    if not operation.tag.startswith(f"{{{PARTNER}}}"):
        raise EnvelopeError(f"No operation available for request {operation.tag}, please check "
                            "the WSDL for the service.")
    header_element = root.find(f"{{{SOAPENV}}}Header")
    headers = {local(h.tag): h for h in header_element} if header_element is not None else {}
    return Call(operation, headers)


def response(operation: str, results: str, limit: tuple[int, int] | None = None,
             records: bool = False) -> str:
    """The response envelope of `operation` whose body holds `results` (XML text)."""
    sobject_ns = f' xmlns:sf="{SOBJECT}"' if records else ""
    if 'xsi:type="xsd:' in results:  # typed values: describe defaults, aggregate results
        sobject_ns += f' xmlns:xsd="{XSD}"'
    header = ""
    if limit is not None:
        header = (f"<soapenv:Header><LimitInfoHeader><limitInfo><current>{limit[0]}</current>"
                  f"<limit>{limit[1]}</limit><type>API REQUESTS</type></limitInfo>"
                  "</LimitInfoHeader></soapenv:Header>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAPENV}" '
            f'xmlns="{PARTNER}" xmlns:xsi="{XSI}"{sobject_ns}>{header}<soapenv:Body>'
            f"<{operation}Response>{results}</{operation}Response></soapenv:Body>"
            "</soapenv:Envelope>")


def element(name: str, value: object, *, prefix: str = "") -> str:
    """`<name>value</name>` with booleans as xsd:boolean and None as `xsi:nil`."""
    tag = f"{prefix}{name}"
    if value is None:
        return f'<{tag} xsi:nil="true"/>'
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{tag}>{escape(str(value))}</{tag}>"
