"""zeep, a WSDL-driven SOAP client, through the Partner API on both front doors: it reads the
Partner WSDL sfmock serves, logs in, queries, pages with queryMore, updates, converts a Lead and
merges, with nothing but the WSDL to go on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import zeep
from lxml import etree
from zeep.transports import Transport

from sfmock.testing import INSTANCE_URL, PASSWORD, TOKEN, USERNAME
from sfmock.versions import API_VERSIONS

SOBJECT = "{urn:sobject.partner.soap.sforce.com}"
PARTNER = "{urn:partner.soap.sforce.com}"
LOGIN = """<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:urn="urn:partner.soap.sforce.com"><env:Body><urn:login><urn:username>{}</urn:username>
<urn:password>{}</urn:password></urn:login></env:Body></env:Envelope>"""


@dataclass
class Partner:
    """A zeep client built from sfmock's WSDL, logged in, bound to the serverUrl."""

    client: zeep.Client
    service: object
    headers: dict

    def call(self, operation: str, headers: dict | None = None, **kwargs):
        method = getattr(self.service, operation)
        return method(**kwargs, _soapheaders={**self.headers, **(headers or {})}).body.result

    def sobject(self, type_name: str, record_id: str | None = None, **fields):
        """An ens:sObject whose fields are `any` elements, as Partner clients build them."""
        values = []
        for name, value in fields.items():
            element = etree.Element(SOBJECT + name)
            element.text = value
            values.append(element)
        return self.client.get_type(SOBJECT + "sObject")(type=type_name, Id=record_id,
                                                         _value_1=values)


def fields_of(record) -> dict:
    """A zeep sObject's `any` fields by name (a parent relationship stays a nested sObject)."""
    out = {}
    for item in record["_value_1"] or []:
        if isinstance(item, etree._Element):
            out[etree.QName(item).localname] = item.text
        else:
            out[item["type"]] = item
    return out


def download_wsdl(base_url: str, session: requests.Session, folder: Path) -> Path:
    """Log in over plain SOAP and fetch the Partner WSDL as a browser would, with a `sid` cookie."""
    answer = session.post(f"{base_url}/services/Soap/u/{API_VERSIONS[-1]}",
                          data=LOGIN.format(USERNAME, PASSWORD + TOKEN),
                          headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": "login"})
    answer.raise_for_status()
    sid = re.search(r"<sessionId>([^<]+)</sessionId>", answer.text).group(1)
    wsdl = session.get(f"{base_url}/soap/wsdl.jsp", cookies={"sid": sid})
    assert wsdl.status_code == 200 and wsdl.headers["Content-Type"].startswith("text/xml")
    path = folder / "partner.wsdl"
    path.write_bytes(wsdl.content)
    return path


@pytest.fixture(params=["inprocess", "tls_serve"])
def partner(request, tmp_path) -> Partner:
    if request.param == "inprocess":
        request.getfixturevalue("org")
        base_url, session = INSTANCE_URL, requests.Session()
    else:
        serving = request.getfixturevalue("sfmock_serve")
        base_url, session = serving.url, serving.session()
    client = zeep.Client(str(download_wsdl(base_url, session, tmp_path)),
                         transport=Transport(session=session))
    login = client.service.login(username=USERNAME, password=PASSWORD + TOKEN)
    assert re.search(rf"/services/Soap/u/{re.escape(API_VERSIONS[-1])}/00D\w{{12}}$", login.serverUrl)
    service = client.create_service(PARTNER + "SoapBinding", login.serverUrl)
    return Partner(client, service, {"SessionHeader": {"sessionId": login.sessionId}})


def test_login_query_and_update_through_the_wsdl(partner):
    page = partner.call("query", queryString="SELECT Id, Email, HasOptedOutOfEmail, Account.Name "
                                             "FROM Contact WHERE HasOptedOutOfEmail = false "
                                             "ORDER BY Id LIMIT 2")
    assert page.done is True and page.size == 2 and page.queryLocator is None
    first = page.records[0]
    fields = fields_of(first)
    assert first.type == "Contact" and fields["Id"] == first.Id and "@" in fields["Email"]
    assert fields["HasOptedOutOfEmail"] == "false" and fields["Account"].type == "Account"

    saved = partner.call("update", sObjects=[
        partner.sobject("Contact", first.Id, HasOptedOutOfEmail="true")])
    assert saved[0].success is True and saved[0].id == first.Id

    again = partner.call("query", queryString=f"SELECT HasOptedOutOfEmail FROM Contact "
                                              f"WHERE Id = '{first.Id}'")
    assert fields_of(again.records[0])["HasOptedOutOfEmail"] == "true"


def test_query_more_pages_through_a_cursor(partner):
    for chunk in (range(200), range(200, 250)):  # 200 records a call at most
        created = partner.call("create", sObjects=[
            partner.sobject("Lead", LastName=f"Zeep Page {i}", Company="Paging Co")
            for i in chunk])
        assert all(r.success for r in created)
    page = partner.call("query", queryString="SELECT Id FROM Lead WHERE Company = 'Paging Co'",
                        headers={"QueryOptions": {"batchSize": 200}})
    seen = [r.Id for r in page.records]
    assert page.done is False and len(seen) == 200
    while not page.done:
        page = partner.call("queryMore", queryLocator=page.queryLocator)
        seen += [r.Id for r in page.records]
    assert len(set(seen)) == page.size >= 250


def test_convert_lead_then_merge_the_duplicates(partner):
    made = partner.call("create", sObjects=[
        partner.sobject("Lead", LastName="Convertible", Company="Zeep Inc",
                        Email="convert.me@zeep.example", HasOptedOutOfEmail="true"),
        partner.sobject("Contact", LastName="Twin", Email="twin@zeep.example")])
    lead_id, twin_id = (r.id for r in made)
    convert = partner.client.get_type(PARTNER + "LeadConvert")
    result = partner.call("convertLead", leadConverts=[convert(
        convertedStatus="Closed - Converted", doNotCreateOpportunity=True, leadId=lead_id,
        overwriteLeadSource=False, sendNotificationEmail=False)])[0]
    assert result.success is True and result.leadId == lead_id
    assert result.contactId.startswith("003") and result.accountId.startswith("001")

    lead = partner.call("retrieve", fieldList="IsConverted, ConvertedContactId",
                        sObjectType="Lead", ids=[lead_id])[0]
    assert fields_of(lead) == {"IsConverted": "true", "ConvertedContactId": result.contactId}
    contact = partner.call("retrieve", fieldList="Email, HasOptedOutOfEmail",
                           sObjectType="Contact", ids=[result.contactId])[0]
    assert fields_of(contact) == {"Email": "convert.me@zeep.example", "HasOptedOutOfEmail": "true"}

    request = partner.client.get_type(PARTNER + "MergeRequest")
    merged = partner.call("merge", request=[request(
        masterRecord=partner.sobject("Contact", result.contactId), recordToMergeIds=[twin_id])])
    assert merged[0].success is True and merged[0].mergedRecordIds == [twin_id]
    loser = partner.call("queryAll", queryString=f"SELECT IsDeleted, MasterRecordId FROM Contact "
                                                 f"WHERE Id = '{twin_id}'").records[0]
    assert fields_of(loser) == {"IsDeleted": "true", "MasterRecordId": result.contactId}


def test_a_fault_reaches_zeep_as_a_typed_fault(partner):
    with pytest.raises(zeep.exceptions.Fault) as raised:
        partner.call("query", queryString="SELECT Nope FROM Contact")
    assert raised.value.code == "sf:INVALID_FIELD"
    detail = raised.value.detail[0]
    assert etree.QName(detail).localname == "InvalidFieldFault"
    partner.headers["SessionHeader"] = {"sessionId": "00Dfake!expired"}
    with pytest.raises(zeep.exceptions.Fault, match="INVALID_SESSION_ID"):
        partner.call("getUserInfo")


def test_every_other_operation_parses_through_the_wsdl(partner):
    described = partner.call("describeGlobal")
    assert described.maxBatchSize == 200 and {"Contact", "Lead"} <= {
        s.name for s in described.sobjects}
    contact, lead = partner.call("describeSObjects", sObjectType=["Contact", "Lead"])
    assert (contact.keyPrefix, lead.keyPrefix) == ("003", "00Q")
    opt_out = next(f for f in contact.fields if f.name == "HasOptedOutOfEmail")
    assert opt_out.type == "boolean" and opt_out.defaultValue is False
    assert partner.call("describeSObject", sObjectType="Account").name == "Account"
    assert partner.call("getUserInfo").userName == USERNAME
    assert partner.call("getServerTimestamp").timestamp.tzinfo is not None

    made = partner.call("upsert", externalIDFieldName="Id", sObjects=[
        partner.sobject("Contact", LastName="Upserted")])[0]
    assert made.created is True and made.success is True
    gone = partner.call("delete", ids=[made.id])[0]
    assert gone.success is True and gone.id == made.id
    again = partner.call("delete", ids=[made.id])[0]
    assert again.success is False and again.errors[0].statusCode == "ENTITY_IS_DELETED"
