"""The Partner WSDL (`/soap/wsdl.jsp`, Setup's "Generate Partner WSDL"), generated from the
tables in `types.py`, the emulator's error codes and the org's field types.

The Partner WSDL is loosely typed by design: records are `ens:sObject` with any fields, so
the org's objects do not appear in it (that is the Enterprise WSDL). What varies is the API
version, the login endpoint and the codes and field types this emulator can answer with.
"""

from __future__ import annotations

import inspect
from xml.sax.saxutils import escape

from .. import errors
from ..models.schema import SOAP_TYPES
from .envelope import FAULT, PARTNER, SOBJECT
from .faults import FAULT_TYPES, QUERY_FAULTS
from .types import TYPES, Element, parse_element

OPERATIONS: dict[str, tuple[list[str], str, list[str]]] = {
    # name: (request elements, response element, faults), as the real WSDL declares them
    "login": (["username xsd:string", "password xsd:string"], "result tns:LoginResult",
              ["LoginFault", "UnexpectedErrorFault", "InvalidIdFault"]),
    "describeSObject": (["sObjectType xsd:string"], "result tns:DescribeSObjectResult ~",
                        ["InvalidSObjectFault", "UnexpectedErrorFault"]),
    "describeSObjects": (["sObjectType xsd:string *"], "result tns:DescribeSObjectResult *~",
                         ["InvalidSObjectFault", "UnexpectedErrorFault"]),
    "describeGlobal": ([], "result tns:DescribeGlobalResult", ["UnexpectedErrorFault"]),
    "create": (["sObjects ens:sObject *"], "result tns:SaveResult *",
               ["InvalidSObjectFault", "UnexpectedErrorFault", "InvalidIdFault",
                "InvalidFieldFault"]),
    "update": (["sObjects ens:sObject *"], "result tns:SaveResult *",
               ["InvalidSObjectFault", "UnexpectedErrorFault", "InvalidIdFault",
                "InvalidFieldFault"]),
    "upsert": (["externalIDFieldName xsd:string", "sObjects ens:sObject *"],
               "result tns:UpsertResult *",
               ["InvalidSObjectFault", "UnexpectedErrorFault", "InvalidIdFault",
                "InvalidFieldFault"]),
    "merge": (["request tns:MergeRequest *"], "result tns:MergeResult *",
              ["InvalidSObjectFault", "UnexpectedErrorFault", "InvalidIdFault",
               "InvalidFieldFault"]),
    "delete": (["ids tns:ID *"], "result tns:DeleteResult *", ["UnexpectedErrorFault"]),
    "retrieve": (["fieldList xsd:string", "sObjectType xsd:string", "ids tns:ID *"],
                 "result ens:sObject *~",
                 ["InvalidSObjectFault", "InvalidFieldFault", "MalformedQueryFault",
                  "UnexpectedErrorFault", "InvalidIdFault"]),
    "convertLead": (["leadConverts tns:LeadConvert *"], "result tns:LeadConvertResult *",
                    ["UnexpectedErrorFault"]),
    "query": (["queryString xsd:string"], "result tns:QueryResult",
              ["InvalidSObjectFault", "InvalidFieldFault", "MalformedQueryFault",
               "InvalidIdFault", "UnexpectedErrorFault", "InvalidQueryLocatorFault"]),
    "queryAll": (["queryString xsd:string"], "result tns:QueryResult",
                 ["InvalidSObjectFault", "InvalidFieldFault", "MalformedQueryFault",
                  "InvalidIdFault", "UnexpectedErrorFault", "InvalidQueryLocatorFault"]),
    "queryMore": (["queryLocator tns:QueryLocator"], "result tns:QueryResult",
                  ["InvalidFieldFault", "UnexpectedErrorFault", "InvalidQueryLocatorFault"]),
    "getServerTimestamp": ([], "result tns:GetServerTimestampResult", ["UnexpectedErrorFault"]),
    "getUserInfo": ([], "result tns:GetUserInfoResult", ["UnexpectedErrorFault"]),
}
HEADERS: dict[str, list[str]] = {
    "SessionHeader": ["sessionId xsd:string"],
    "LoginScopeHeader": ["organizationId tns:ID", "portalId tns:ID ?"],
    "CallOptions": ["client xsd:string ~", "defaultNamespace xsd:string ~"],
    "QueryOptions": ["batchSize xsd:int ?"],
    "AllOrNoneHeader": ["allOrNone xsd:boolean"],
    "LimitInfoHeader": ["limitInfo tns:LimitInfo *"],
}
WRITES = {"create", "update", "upsert", "delete", "merge", "convertLead"}
QUERIES = {"query", "queryAll", "queryMore"}
FAULT_NAMES = sorted({*FAULT_TYPES.values(), "UnexpectedErrorFault", "InvalidQueryLocatorFault"})
# Per-record codes a result's Error can carry beyond the exceptions in errors.py.
EXTRA_STATUS_CODES = {"ALL_OR_NONE_OPERATION_ROLLED_BACK", "INVALID_STATUS"}


def request_elements(operation: str) -> set[str]:
    """The child elements the WSDL allows in an operation's request element."""
    return {parse_element(spec).name for spec in OPERATIONS[operation][0]}


def _codes() -> list[str]:
    found = {cls.error_code for _, cls in inspect.getmembers(errors, inspect.isclass)
             if issubclass(cls, errors.SalesforceError)}
    return sorted(found | EXTRA_STATUS_CODES | {"INVALID_LOGIN", "LOGIN_MUST_USE_SECURITY_TOKEN"})


def _element(el: Element) -> str:
    attrs = [f'name="{el.name}"', f'type="{el.type}"']
    if el.nillable:
        attrs.append('nillable="true"')
    if el.optional:
        attrs.append('minOccurs="0"')
    if el.many:
        attrs.append('maxOccurs="unbounded"')
    return f"<element {' '.join(attrs)}/>"


def _sequence(elements: list[Element]) -> str:
    return "<sequence>" + "".join(_element(e) for e in elements) + "</sequence>"


def _enumeration(name: str, values: list[str]) -> str:
    items = "".join(f'<enumeration value="{escape(v)}"/>' for v in values)
    return f'<simpleType name="{name}"><restriction base="xsd:string">{items}</restriction></simpleType>'


def _wrapper(name: str, specs: list[str]) -> str:
    return (f'<element name="{name}"><complexType>'
            f"{_sequence([parse_element(s) for s in specs])}</complexType></element>")


def _partner_schema() -> str:
    parts = [
        '<simpleType name="ID"><restriction base="xsd:string"><length value="18"/>'
        "<pattern value='[a-zA-Z0-9]{18}'/></restriction></simpleType>",
        '<simpleType name="QueryLocator"><restriction base="xsd:string"/></simpleType>',
        _enumeration("StatusCode", _codes()),
        _enumeration("fieldType", sorted(set(SOAP_TYPES))),
        _enumeration("soapType", sorted(set(SOAP_TYPES.values()))),
    ]
    parts += [f'<complexType name="{name}">{_sequence(elements)}</complexType>'
              for name, elements in TYPES.items()]
    for name, (request, result, _) in OPERATIONS.items():
        parts.append(_wrapper(name, request))
        parts.append(_wrapper(f"{name}Response", [result]))
    parts += [_wrapper(name, specs) for name, specs in HEADERS.items()]
    return (f'<schema elementFormDefault="qualified" xmlns="http://www.w3.org/2001/XMLSchema" '
            f'targetNamespace="{PARTNER}"><import namespace="{SOBJECT}"/>{"".join(parts)}'
            "</schema>")


def _sobject_schema() -> str:
    return (f'<schema elementFormDefault="qualified" xmlns="http://www.w3.org/2001/XMLSchema" '
            f'targetNamespace="{SOBJECT}"><import namespace="{PARTNER}"/>'
            '<complexType name="sObject"><sequence>'
            '<element name="type" type="xsd:string"/>'
            '<element name="fieldsToNull" type="xsd:string" nillable="true" minOccurs="0" '
            'maxOccurs="unbounded"/>'
            '<element name="Id" type="tns:ID" nillable="true"/>'
            '<any namespace="##targetNamespace" minOccurs="0" maxOccurs="unbounded" '
            'processContents="lax"/></sequence></complexType></schema>')


def _fault_schema() -> str:
    parts = [
        _enumeration("ExceptionCode", _codes()),
        '<complexType name="ApiFault"><sequence>'
        '<element name="exceptionCode" type="fns:ExceptionCode"/>'
        '<element name="exceptionMessage" type="xsd:string"/></sequence></complexType>',
        '<element name="fault" type="fns:ApiFault"/>',
        '<complexType name="ApiQueryFault"><complexContent><extension base="fns:ApiFault">'
        '<sequence><element name="row" type="xsd:int"/><element name="column" type="xsd:int"/>'
        "</sequence></extension></complexContent></complexType>",
    ]
    for name in FAULT_NAMES:
        base = "fns:ApiQueryFault" if name in QUERY_FAULTS else "fns:ApiFault"
        parts.append(f'<complexType name="{name}"><complexContent><extension base="{base}"/>'
                     f'</complexContent></complexType><element name="{name}" type="fns:{name}"/>')
    return (f'<schema elementFormDefault="qualified" xmlns="http://www.w3.org/2001/XMLSchema" '
            f'targetNamespace="{FAULT}" xmlns:fns="{FAULT}"><import namespace="{PARTNER}"/>'
            f'{"".join(parts)}</schema>')


def _messages() -> str:
    parts = ['<message name="Header">' + "".join(
        f'<part element="tns:{h}" name="{h}"/>' for h in HEADERS) + "</message>"]
    parts += [f'<message name="{f}"><part name="fault" element="fns:{f}"/></message>'
              for f in FAULT_NAMES]
    for name in OPERATIONS:
        parts.append(f'<message name="{name}Request"><part element="tns:{name}" '
                     'name="parameters"/></message>')
        parts.append(f'<message name="{name}Response"><part element="tns:{name}Response" '
                     'name="parameters"/></message>')
    return "".join(parts)


def _input_headers(name: str) -> list[str]:
    if name == "login":
        return ["LoginScopeHeader", "CallOptions"]
    headers = ["SessionHeader", "CallOptions"]
    if name in QUERIES:
        headers.append("QueryOptions")
    if name in WRITES:
        headers.append("AllOrNoneHeader")
    return headers


def _port_type() -> str:
    ops = []
    for name, (_, _, faults) in OPERATIONS.items():
        declared = "".join(f'<fault message="tns:{f}" name="{f}"/>' for f in faults)
        ops.append(f'<operation name="{name}"><input message="tns:{name}Request"/>'
                   f'<output message="tns:{name}Response"/>{declared}</operation>')
    return f'<portType name="Soap">{"".join(ops)}</portType>'


def _binding() -> str:
    ops = []
    for name, (_, _, faults) in OPERATIONS.items():
        headers = "".join(f'<soap:header use="literal" message="tns:Header" part="{h}"/>'
                          for h in _input_headers(name))
        limit = ("" if name == "login" else
                 '<soap:header use="literal" message="tns:Header" part="LimitInfoHeader"/>')
        declared = "".join(f'<fault name="{f}"><soap:fault name="{f}" use="literal"/></fault>'
                           for f in faults)
        ops.append(f'<operation name="{name}"><soap:operation soapAction=""/>'
                   f'<input>{headers}<soap:body parts="parameters" use="literal"/></input>'
                   f'<output>{limit}<soap:body use="literal"/></output>{declared}</operation>')
    return (f'<binding name="SoapBinding" type="tns:Soap"><soap:binding style="document" '
            f'transport="http://schemas.xmlsoap.org/soap/http"/>{"".join(ops)}</binding>')


def partner_wsdl(version: str, login_url: str) -> str:
    """The Partner WSDL for API `version`, whose service address is `login_url`'s login path."""
    address = f"{login_url.rstrip('/')}/services/Soap/u/{version}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<!--\nsfmock Partner Web Services API Version {version}\n"
        "Generated by the Salesforce emulator sfmock for the operations it serves.\n-->\n"
        f'<definitions targetNamespace="{PARTNER}" xmlns="http://schemas.xmlsoap.org/wsdl/" '
        'xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:fns="{FAULT}" xmlns:tns="{PARTNER}" xmlns:ens="{SOBJECT}">'
        f"<types>{_sobject_schema()}{_partner_schema()}{_fault_schema()}</types>"
        f"{_messages()}{_port_type()}{_binding()}"
        '<service name="SforceService"><documentation>Sforce SOAP API</documentation>'
        f'<port binding="tns:SoapBinding" name="Soap"><soap:address location="{address}"/>'
        "</port></service></definitions>"
    )
