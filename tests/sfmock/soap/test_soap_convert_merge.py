"""convertLead and merge go through the org's Lead conversion and merge, as integrations do them
over the Partner API."""

from __future__ import annotations

from .conftest import P, sobject, value

CONVERT = ("<urn:convertLead><urn:leadConverts>{}<urn:convertedStatus>{}</urn:convertedStatus>"
           "<urn:doNotCreateOpportunity>true</urn:doNotCreateOpportunity>"
           "<urn:leadId>{}</urn:leadId><urn:overwriteLeadSource>false</urn:overwriteLeadSource>"
           "<urn:sendNotificationEmail>false</urn:sendNotificationEmail>"
           "</urn:leadConverts></urn:convertLead>")


def test_convert_lead_creates_the_contact_and_account(soap, org):
    lead = org.insert("Lead", {"LastName": "Convert", "Company": "Acme Soap", "Email":
                               "c@soap.example", "HasOptedOutOfEmail": True}, check=False)
    result = soap.call(CONVERT.format("", "Closed - Converted", lead)).results[0]
    assert [c.tag.removeprefix(P) for c in result] == [
        "accountId", "contactId", "leadId", "opportunityId", "success"]
    assert value(result, "success") == "true" and value(result, "leadId") == lead
    row = org.get("Lead", lead)
    assert row["IsConverted"] == 1 and row["ConvertedContactId"] == value(result, "contactId")
    contact = org.get("Contact", value(result, "contactId"))
    assert contact["Email"] == "c@soap.example" and contact["HasOptedOutOfEmail"] == 1
    assert org.get("Account", value(result, "accountId"))["Name"] == "Acme Soap"


def test_convert_into_an_existing_contact_keeps_its_opt_out(soap, org):
    contact = org.insert("Contact", {"LastName": "Existing"}, check=False)
    lead = org.insert("Lead", {"LastName": "L", "Company": "C", "HasOptedOutOfEmail": True},
                      check=False)
    into = f"<urn:contactId>{contact}</urn:contactId>"
    result = soap.call(CONVERT.format(into, "Closed - Converted", lead)).results[0]
    assert value(result, "contactId") == contact
    assert org.get("Contact", contact)["HasOptedOutOfEmail"] == 0


def test_convert_errors_are_per_lead(soap, org):
    lead = org.insert("Lead", {"LastName": "L", "Company": "C"}, check=False)
    result = soap.call(CONVERT.format("", "Open - Not Contacted", lead)).results[0]
    assert value(result, "success") == "false"
    assert result.findtext(f"{P}errors/{P}statusCode") == "INVALID_STATUS"
    assert org.get("Lead", lead)["IsConverted"] == 0


def test_merge_deletes_the_losers_with_master_record_id(soap, org):
    master = org.insert("Contact", {"LastName": "Master"}, check=False)
    loser = org.insert("Contact", {"LastName": "Loser"}, check=False)
    reply = soap.call("<urn:merge><urn:request><urn:masterRecord>"
                      f"{sobject('Contact', master, Title='Kept')}</urn:masterRecord>"
                      f"<urn:recordToMergeIds>{loser}</urn:recordToMergeIds>"
                      "</urn:request></urn:merge>")
    result = reply.results[0]
    assert [c.tag.removeprefix(P) for c in result] == ["id", "mergedRecordIds", "success"]
    assert value(result, "id") == master and value(result, "mergedRecordIds") == loser
    gone = org.get("Contact", loser, include_deleted=True)
    assert gone["IsDeleted"] == 1 and gone["MasterRecordId"] == master
    assert org.get("Contact", master)["Title"] == "Kept"


def test_merge_of_an_unmergeable_type_is_a_fault(soap, org):
    user = org.integration_user_id()
    reply = soap.call("<urn:merge><urn:request><urn:masterRecord>"
                      f"{sobject('User', user)}</urn:masterRecord>"
                      f"<urn:recordToMergeIds>{user}</urn:recordToMergeIds>"
                      "</urn:request></urn:merge>")
    assert reply.status == 500 and reply.fault["type"] == "InvalidSObjectFault"
