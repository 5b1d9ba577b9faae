"""describeGlobal, describeSObject(s), getUserInfo and getServerTimestamp answer the Partner
result types in the WSDL's element order."""

from __future__ import annotations

from datetime import UTC, datetime

from sfmock.soap.types import TYPES

from .conftest import XSI, P, value


def names(element) -> list[str]:
    return [c.tag.removeprefix(P) for c in element]


def in_wsdl_order(element, type_name: str) -> bool:
    order = [e.name for e in TYPES[type_name]]
    seen = [n for i, n in enumerate(names(element)) if i == 0 or n != names(element)[i - 1]]
    return seen == [n for n in order if n in seen]


def test_describe_global_lists_the_org_types(soap, org):
    result = soap.call("<urn:describeGlobal/>").results[0]
    assert value(result, "encoding") == "UTF-8" and value(result, "maxBatchSize") == "200"
    entries = result.findall(f"{P}sobjects")
    assert {e.findtext(f"{P}name") for e in entries} == set(org.types)
    contact = next(e for e in entries if e.findtext(f"{P}name") == "Contact")
    assert value(contact, "keyPrefix") == "003" and value(contact, "mergeable") == "true"
    assert in_wsdl_order(contact, "DescribeGlobalSObjectResult")


def test_describe_sobject_answers_fields_as_the_user_sees_them(soap, org):
    org.field_security.set("Contact", "Title", "hidden")
    result = soap.call("<urn:describeSObject><urn:sObjectType>contact</urn:sObjectType>"
                       "</urn:describeSObject>").results[0]
    assert value(result, "name") == "Contact" and value(result, "keyPrefix") == "003"
    assert in_wsdl_order(result, "DescribeSObjectResult")
    fields = {f.findtext(f"{P}name"): f for f in result.findall(f"{P}fields")}
    assert "Title" not in fields and "Email" in fields
    opt_out = fields["HasOptedOutOfEmail"]
    assert value(opt_out, "type") == "boolean" and value(opt_out, "soapType") == "xsd:boolean"
    assert opt_out.find(f"{P}defaultValue").get(f"{XSI}type") == "xsd:boolean"
    assert in_wsdl_order(opt_out, "Field")
    account = fields["AccountId"]
    assert value(account, "referenceTo") == "Account"
    assert value(account, "relationshipName") == "Account"


def test_describe_sobjects_answers_each_in_order(soap):
    results = soap.call("<urn:describeSObjects><urn:sObjectType>Lead</urn:sObjectType>"
                        "<urn:sObjectType>Account</urn:sObjectType></urn:describeSObjects>"
                        ).results
    assert [value(r, "name") for r in results] == ["Lead", "Account"]


def test_get_user_info_names_the_session_user(soap, org):
    result = soap.call("<urn:getUserInfo/>").results[0]
    assert in_wsdl_order(result, "GetUserInfoResult")
    assert value(result, "userId") == org.integration_user_id()
    assert value(result, "organizationId") == org.org_id  # 18 characters here
    assert value(result, "userName") == "integration@sfmock.dev"
    assert result.find(f"{P}roleId").get(f"{XSI}nil") == "true"


def test_get_server_timestamp_is_utc_with_milliseconds(soap):
    before = datetime.now(UTC)
    stamp = value(soap.call("<urn:getServerTimestamp/>").results[0], "timestamp")
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs((moment - before).total_seconds()) < 5 and len(stamp) == 24
