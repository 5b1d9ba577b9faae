"""SOAP faults as the Partner API sends them: HTTP 500, `sf:CODE`, and a typed detail element.

Recorded faults (CumulusCI's and WWW::Salesforce's test fixtures) show the shape:
`<faultcode>sf:INVALID_FIELD</faultcode><faultstring>INVALID_FIELD: msg</faultstring><detail>
<sf:InvalidFieldFault xsi:type="sf:InvalidFieldFault"><sf:exceptionCode>..<sf:exceptionMessage>..
<sf:row>1</sf:row><sf:column>8</sf:column>`, the row and column only on the query faults.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from .envelope import FAULT, SOAPENV, XSI

# The detail element each exception code comes in (the Partner WSDL's fault types). A session
# fault is an UnexpectedErrorFault, as real orgs answer it, not a LoginFault.
FAULT_TYPES = {
    "INVALID_SESSION_ID": "UnexpectedErrorFault",
    "MALFORMED_QUERY": "MalformedQueryFault",
    "INVALID_QUERY_FILTER_OPERATOR": "MalformedQueryFault",  # a query fault; which one unverified
    "INVALID_FIELD": "InvalidFieldFault",
    "INVALID_TYPE": "InvalidSObjectFault",
    "INVALID_QUERY_LOCATOR": "InvalidQueryLocatorFault",
    "MALFORMED_ID": "InvalidIdFault",
    "INVALID_ID_FIELD": "InvalidIdFault",
    "INVALID_LOGIN": "LoginFault",
    "LOGIN_MUST_USE_SECURITY_TOKEN": "LoginFault",
    "MALFORMED_SEARCH": "MalformedSearchFault",
}
QUERY_FAULTS = {"MalformedQueryFault", "InvalidFieldFault", "InvalidSObjectFault",
                "MalformedSearchFault"}
POSITION = re.compile(r"ERROR at Row:(\d+):Column:(\d+)")


def fault_type(code: str) -> str:
    return FAULT_TYPES.get(code, "UnexpectedErrorFault")


def fault(code: str, message: str) -> str:
    """The fault envelope for an exception code and its message."""
    kind = fault_type(code)
    where = ""
    if kind in QUERY_FAULTS:
        # Outside a SOQL string (describeSObject of an unknown type...) there is no position.
        found = POSITION.search(message)
        row, column = (found.group(1), found.group(2)) if found else ("-1", "-1")
        where = f"<sf:row>{row}</sf:row><sf:column>{column}</sf:column>"
    shown = escape(message)
    return (f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAPENV}" '
            f'xmlns:sf="{FAULT}" xmlns:xsi="{XSI}"><soapenv:Body><soapenv:Fault>'
            f"<faultcode>sf:{code}</faultcode><faultstring>{code}: {shown}</faultstring>"
            f'<detail><sf:{kind} xsi:type="sf:{kind}"><sf:exceptionCode>{code}</sf:exceptionCode>'
            f"<sf:exceptionMessage>{shown}</sf:exceptionMessage>{where}</sf:{kind}></detail>"
            "</soapenv:Fault></soapenv:Body></soapenv:Envelope>")


def client_fault(message: str) -> str:
    """A request the server could not read as a call: `soapenv:Client`, no detail."""
    return (f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAPENV}">'
            "<soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode>"
            f"<faultstring>{escape(message)}</faultstring></soapenv:Fault></soapenv:Body>"
            "</soapenv:Envelope>")
