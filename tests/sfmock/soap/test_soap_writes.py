"""create, update, upsert and delete answer SaveResult, UpsertResult and DeleteResult, with
per-record errors inside the results, and the AllOrNoneHeader rolls a batch back."""

from __future__ import annotations

from .conftest import XSI, P, sobject, value

ALL_OR_NONE = "<urn:AllOrNoneHeader><urn:allOrNone>true</urn:allOrNone></urn:AllOrNoneHeader>"


def errors_of(result) -> list[dict]:
    return [{"statusCode": e.findtext(f"{P}statusCode"), "message": e.findtext(f"{P}message"),
             "fields": [f.text for f in e.findall(f"{P}fields")]}
            for e in result.findall(f"{P}errors")]


def test_create_answers_a_save_result_per_record(soap, org):
    reply = soap.call("<urn:create>"
                      f"<urn:sObjects>{sobject('Contact', LastName='Made', HasOptedOutOfEmail='1')}"
                      "</urn:sObjects>"
                      f"<urn:sObjects>{sobject('Contact', Email='no-last-name@example.com')}"
                      "</urn:sObjects></urn:create>")
    assert reply.status == 200
    made, refused = reply.results
    assert [c.tag.removeprefix(P) for c in made] == ["id", "success"]
    assert value(made, "success") == "true"
    assert org.get("Contact", value(made, "id"))["HasOptedOutOfEmail"] == 1
    assert value(refused, "success") == "false"
    assert refused.find(f"{P}id").get(f"{XSI}nil") == "true"
    assert errors_of(refused) == [{"statusCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName"],
                                   "message": "Required fields are missing: [LastName]"}]


def test_update_sets_values_and_fields_to_null(soap, org):
    contact = org.insert("Contact", {"LastName": "Before", "Title": "Boss"}, check=False)
    reply = soap.call(f"<urn:update><urn:sObjects>"
                      f"{sobject('Contact', contact, to_null=('Title',), LastName='After')}"
                      "</urn:sObjects></urn:update>")
    assert value(reply.results[0], "success") == "true"
    row = org.get("Contact", contact)
    assert row["LastName"] == "After" and row["Title"] is None


def test_update_errors_come_per_record(soap, org):
    converted = org.insert("Lead", {"LastName": "Done", "Company": "C"}, check=False)
    org.convert_lead(converted)
    missing = org.insert("Contact", {"LastName": "Soon gone"}, check=False)
    never = missing[:6] + "ZZZZZZZZZ"
    reply = soap.call("<urn:update>"
                      f"<urn:sObjects>{sobject('Lead', converted, LastName='X')}</urn:sObjects>"
                      f"<urn:sObjects>{sobject('Contact', LastName='No Id')}</urn:sObjects>"
                      f"<urn:sObjects>{sobject('Contact', never, LastName='X')}</urn:sObjects>"
                      "<urn:sObjects>"
                      f"{sobject('Contact', missing, HasOptedOutOfEmail='maybe')}"
                      "</urn:sObjects></urn:update>")
    codes = [errors_of(r)[0]["statusCode"] for r in reply.results]
    assert codes == ["CANNOT_UPDATE_CONVERTED_LEAD", "MISSING_ARGUMENT",
                     "INVALID_CROSS_REFERENCE_KEY", "INVALID_TYPE_ON_FIELD_IN_RECORD"]
    assert errors_of(reply.results[3])[0]["message"] == (
        "Email Opt Out: value not of required type: maybe")


def test_all_or_none_rolls_the_whole_batch_back(soap, org):
    before = org.count("Contact")
    reply = soap.call("<urn:create>"
                      f"<urn:sObjects>{sobject('Contact', LastName='Kept?')}</urn:sObjects>"
                      f"<urn:sObjects>{sobject('Contact', Email='bad')}</urn:sObjects>"
                      "</urn:create>", ALL_OR_NONE)
    first, second = reply.results
    assert errors_of(first)[0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert errors_of(second)[0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
    assert org.count("Contact") == before


def test_upsert_on_an_external_id_creates_then_updates(soap, org):
    from sfmock.models.schema import custom_field

    org.add_custom_field("Contact", custom_field("Sync_Key__c", "Sync Key", "string",
                                                 external_id=True, unique=True))
    body = ("<urn:upsert><urn:externalIDFieldName>Sync_Key__c</urn:externalIDFieldName>"
            "<urn:sObjects>{}</urn:sObjects></urn:upsert>")
    first = soap.call(body.format(sobject("Contact", Sync_Key__c="K-1", LastName="One"))).results[0]
    again = soap.call(body.format(sobject("Contact", Sync_Key__c="K-1", LastName="Two"))).results[0]
    assert [c.tag.removeprefix(P) for c in first] == ["created", "id", "success"]
    assert value(first, "created") == "true" and value(again, "created") == "false"
    assert value(first, "id") == value(again, "id")
    assert org.get("Contact", value(again, "id"))["LastName"] == "Two"
    nameless = soap.call(body.format(sobject("Contact", LastName="No key"))).results[0]
    assert errors_of(nameless)[0]["statusCode"] == "MISSING_ARGUMENT"


def test_delete_answers_delete_results(soap, org):
    contact = org.insert("Contact", {"LastName": "Bin"}, check=False)
    body = f"<urn:delete><urn:ids>{contact}</urn:ids><urn:ids>not-an-id</urn:ids></urn:delete>"
    deleted, malformed = soap.call(body).results
    assert value(deleted, "success") == "true" and value(deleted, "id") == contact
    assert org.get("Contact", contact, include_deleted=True)["IsDeleted"] == 1
    assert errors_of(malformed)[0]["statusCode"] == "MALFORMED_ID"
    again = soap.call(f"<urn:delete><urn:ids>{contact}</urn:ids></urn:delete>").results[0]
    assert errors_of(again)[0]["statusCode"] == "ENTITY_IS_DELETED"


def test_more_than_200_records_is_a_fault(soap):
    records = "".join(f"<urn:sObjects>{sobject('Contact', LastName=str(i))}</urn:sObjects>"
                      for i in range(201))
    reply = soap.call(f"<urn:create>{records}</urn:create>")
    assert reply.status == 500 and reply.fault["faultcode"] == "sf:EXCEEDED_ID_LIMIT"


def test_fields_are_read_by_name_whatever_namespace_the_client_uses(soap, org):
    """jsforce writes sObjects under a prefix bound to 'sobject.partner.soap.sforce.com' (no
    `urn:`), other clients in the partner namespace or none: all name the same fields."""
    reply = soap.call(
        "<urn:create><urn:sObjects><urn:type>Contact</urn:type><urn:LastName>Partner ns"
        "</urn:LastName></urn:sObjects>"
        '<ns1:sObjects xmlns:ns1="sobject.partner.soap.sforce.com"><ns1:type>Contact</ns1:type>'
        '<LastName xmlns="">Unqualified</LastName></ns1:sObjects></urn:create>')
    made = [value(r, "id") for r in reply.results]
    assert [org.get("Contact", i)["LastName"] for i in made] == ["Partner ns", "Unqualified"]
