"""Faults are HTTP 500 text/xml with `sf:CODE` and the fault type the Partner WSDL declares for
the code; every call after the session check counts against the daily API allocation."""

from __future__ import annotations

import re

import requests

from .conftest import Soap, sobject, value


def test_a_bad_session_is_an_unexpected_error_fault_and_not_counted(soap, org):
    used = org.api_usage()[0]
    for reply in (soap.call("<urn:getUserInfo/>", session_id="00Dbogus!session"),
                  soap.post(soap.server_url, "<urn:getUserInfo/>")):
        assert reply.status == 500 and reply.content_type.startswith("text/xml")
        assert reply.fault == {
            "faultcode": "sf:INVALID_SESSION_ID",
            "faultstring": "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: "
                           "Illegal Session",
            "type": "UnexpectedErrorFault", "xsi:type": "sf:UnexpectedErrorFault",
            "exceptionCode": "INVALID_SESSION_ID",
            "exceptionMessage": "Invalid Session ID found in SessionHeader: Illegal Session"}
    assert org.api_usage()[0] == used


def test_query_faults_carry_their_type_row_and_column(soap):
    malformed = soap.call("<urn:query><urn:queryString>SELECT Id FROM</urn:queryString>"
                          "</urn:query>").fault
    assert malformed["type"] == "MalformedQueryFault"
    assert malformed["faultcode"] == "sf:MALFORMED_QUERY"
    assert (malformed["row"], malformed["column"]) == ("1", "15")
    field = soap.call("<urn:query><urn:queryString>SELECT Id, Nope FROM Contact"
                      "</urn:queryString></urn:query>").fault
    assert field["type"] == "InvalidFieldFault" and (field["row"], field["column"]) == ("1", "12")
    assert field["faultstring"].startswith("INVALID_FIELD: \nSELECT Id, Nope FROM Contact\n")
    table = soap.call("<urn:query><urn:queryString>SELECT Id FROM Nope</urn:queryString>"
                      "</urn:query>").fault
    assert table["type"] == "InvalidSObjectFault" and table["exceptionCode"] == "INVALID_TYPE"


def test_describe_of_an_unknown_type_has_no_position(soap):
    fault = soap.call("<urn:describeSObject><urn:sObjectType>Nope</urn:sObjectType>"
                      "</urn:describeSObject>").fault
    assert fault["type"] == "InvalidSObjectFault"
    assert fault["exceptionMessage"] == "sObject type 'Nope' is not supported."
    assert (fault["row"], fault["column"]) == ("-1", "-1")


def test_an_unknown_query_locator(soap):
    fault = soap.call("<urn:queryMore><urn:queryLocator>01gXX0000000001AAA-500"
                      "</urn:queryLocator></urn:queryMore>").fault
    assert fault["type"] == "InvalidQueryLocatorFault"
    assert fault["faultcode"] == "sf:INVALID_QUERY_LOCATOR"


def test_an_unknown_field_in_a_write_faults_the_whole_call(soap, org):
    before = org.count("Contact")
    reply = soap.call("<urn:create>"
                      f"<urn:sObjects>{sobject('Contact', LastName='Fine')}</urn:sObjects>"
                      f"<urn:sObjects>{sobject('Contact', LastName='X', Nope__c='1')}"
                      "</urn:sObjects></urn:create>")
    assert reply.fault["type"] == "InvalidFieldFault"
    assert reply.fault["exceptionMessage"].startswith("No such column 'Nope__c' on entity 'Contact'")
    assert org.count("Contact") == before
    unknown_type = soap.call(f"<urn:create><urn:sObjects>{sobject('Nope', Name='x')}"
                             "</urn:sObjects></urn:create>").fault
    assert unknown_type["type"] == "InvalidSObjectFault"


def test_requests_that_are_not_calls_get_client_faults(soap):
    unknown = soap.call("<urn:frobnicate/>").fault
    assert unknown == {"faultcode": "soapenv:Client",
                       "faultstring": "No operation available for request "
                                      "{urn:partner.soap.sforce.com}frobnicate, please check the "
                                      "WSDL for the service."}
    garbage = requests.post(soap.server_url, data=b"{not xml", headers={
        "Content-Type": "text/xml"})
    assert garbage.status_code == 500 and "<faultcode>soapenv:Client</faultcode>" in garbage.text
    assert "send a SOAP 1.1 envelope" in garbage.text


def test_every_call_counts_and_a_spent_allocation_is_a_fault(soap, org):
    first = soap.call("<urn:getServerTimestamp/>")
    second = soap.call("<urn:getServerTimestamp/>")
    assert second.limit_current == first.limit_current + 1 == org.api_usage()[0]
    org.set_api_limit(org.api_usage()[0])
    fault = soap.call("<urn:getServerTimestamp/>").fault
    assert fault["faultcode"] == "sf:REQUEST_LIMIT_EXCEEDED"
    assert fault["type"] == "UnexpectedErrorFault"


def test_login_answers_the_server_url_these_calls_use(soap, org):
    assert re.fullmatch(r"https://sfmock-dev-ed\.my\.salesforce\.com/services/Soap/u/59\.0/"
                        r"00D\w{12}", soap.server_url)
    assert soap.server_url.endswith(org.org_id[:15])


def test_calls_on_the_login_url_with_a_session_header_work_too(soap, org):
    """jsforce sends its SOAP calls (convertLead, merge...) to /services/Soap/u/{version}."""
    used = org.api_usage()[0]
    reply = soap.call("<urn:getUserInfo/>", url=soap.login_url)
    assert reply.status == 200 and value(reply.results[0], "userName") == "integration@sfmock.dev"
    assert org.api_usage()[0] == used + 1


def test_an_unsupported_api_version(org):
    soap = Soap("https://login.salesforce.com", requests.Session())
    url = re.sub(r"/u/[^/]+/", "/u/12.0/", soap.server_url)
    fault = soap.call("<urn:getUserInfo/>", url=url).fault
    assert fault["faultcode"] == "sf:UNSUPPORTED_API_VERSION"


def test_injected_faults_reach_soap_clients_as_soap_faults(soap, org):
    from sfmock.models.faults import install_faults

    install_faults(org, [{"fault": "UNABLE_TO_LOCK_ROW", "path": "/services/Soap/", "times": 1}])
    fault = soap.call("<urn:getServerTimestamp/>").fault
    assert fault["faultcode"] == "sf:UNABLE_TO_LOCK_ROW" and fault["type"] == "UnexpectedErrorFault"
    assert soap.call("<urn:getServerTimestamp/>").status == 200


def test_an_element_the_wsdl_does_not_allow_is_a_client_fault(soap):
    fault = soap.call("<urn:merge><urn:mergeRequests/></urn:merge>").fault
    assert fault == {"faultcode": "soapenv:Client",
                     "faultstring": "Element {urn:partner.soap.sforce.com}mergeRequests invalid "
                                    "at this location"}
