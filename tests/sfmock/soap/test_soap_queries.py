"""query, queryAll, queryMore and retrieve answer QueryResults and sObjects as the Partner API
writes them."""

from __future__ import annotations

from .conftest import SF, XSI, fields, value


def test_query_result_shape_and_sobject_xml(soap, org):
    contact = org.insert("Contact", {"LastName": "Shape", "Email": "shape@example.com",
                                     "HasOptedOutOfEmail": True}, check=False)
    result = soap.query(f"SELECT Id, Email, HasOptedOutOfEmail, CreatedDate, Account.Name, "
                        f"FirstName FROM Contact WHERE Id = '{contact}'")
    assert result.get(f"{XSI}type") == "QueryResult"
    assert [c.tag.split("}")[1] for c in result] == ["done", "queryLocator", "records", "size"]
    assert value(result, "done") == "true" and value(result, "size") == "1"
    assert result.find("{urn:partner.soap.sforce.com}queryLocator").get(f"{XSI}nil") == "true"
    record = result.find("{urn:partner.soap.sforce.com}records")
    assert record.get(f"{XSI}type") == "sf:sObject"
    assert record[0].tag == f"{SF}type" and record[0].text == "Contact"
    # The sObject's own Id, then the selected Id again as a field, as real orgs answer.
    assert record[1].tag == f"{SF}Id" and record[1].text == contact
    got = fields(record)
    assert got["Id"] == contact and got["Email"] == "shape@example.com"
    assert got["HasOptedOutOfEmail"] == "true" and got["FirstName"] is None
    assert got["CreatedDate"].endswith("Z") and "+0000" not in got["CreatedDate"]
    assert got["Account"] is None  # no parent: <sf:Account xsi:nil="true"/>


def test_a_parent_nests_as_an_sobject_with_a_nil_id_when_not_selected(soap):
    result = soap.query("SELECT Account.Name FROM Contact WHERE AccountId != null LIMIT 1")
    parent = fields(result.find("{urn:partner.soap.sforce.com}records"))["Account"]
    assert parent.get(f"{XSI}type") == "sf:sObject"
    assert parent.findtext(f"{SF}type") == "Account"
    assert parent.find(f"{SF}Id").get(f"{XSI}nil") == "true"
    assert parent.findtext(f"{SF}Name")
    top = result.find("{urn:partner.soap.sforce.com}records")
    assert top.find(f"{SF}Id").get(f"{XSI}nil") == "true"


def test_query_more_pages_with_the_query_options_batch_size(soap, org):
    for i in range(450):
        org.insert("Lead", {"LastName": f"Page {i}", "Company": "Pager"}, check=False)
    options = "<urn:QueryOptions><urn:batchSize>200</urn:batchSize></urn:QueryOptions>"
    page = soap.query("SELECT Id FROM Lead WHERE Company = 'Pager'", headers=options)
    sizes = [len(page.findall("{urn:partner.soap.sforce.com}records"))]
    locator = value(page, "queryLocator")
    assert value(page, "done") == "false" and locator.startswith("01g") and value(page, "size") == "450"
    while value(page, "done") == "false":
        reply = soap.call(f"<urn:queryMore><urn:queryLocator>{value(page, 'queryLocator')}"
                          "</urn:queryLocator></urn:queryMore>")
        page = reply.results[0]
        sizes.append(len(page.findall("{urn:partner.soap.sforce.com}records")))
    assert sizes == [200, 200, 50]


def test_the_default_batch_is_500_records(soap, org):
    for i in range(520):
        org.insert("Lead", {"LastName": f"Batch {i}", "Company": "Batcher"}, check=False)
    page = soap.query("SELECT Id FROM Lead WHERE Company = 'Batcher'")
    assert len(page.findall("{urn:partner.soap.sforce.com}records")) == 500


def test_query_all_sees_deleted_records_query_does_not(soap, org):
    gone = org.insert("Contact", {"LastName": "Gone"}, check=False)
    org.delete("Contact", gone)
    soql = f"SELECT Id, IsDeleted FROM Contact WHERE Id = '{gone}'"
    assert value(soap.query(soql), "size") == "0"
    everything = soap.query(soql, operation="queryAll")
    assert fields(everything.find("{urn:partner.soap.sforce.com}records"))["IsDeleted"] == "true"


def test_count_and_aggregate_queries(soap, org):
    count = soap.query("SELECT COUNT() FROM Contact")
    assert value(count, "size") == str(org.count("Contact"))
    assert count.find("{urn:partner.soap.sforce.com}records") is None
    aggregate = soap.query("SELECT COUNT(Id) FROM Lead").find("{urn:partner.soap.sforce.com}records")
    assert aggregate.findtext(f"{SF}type") == "AggregateResult"
    expr = aggregate.find(f"{SF}expr0")
    assert expr.get(f"{XSI}type") == "xsd:int" and expr.text == str(org.count("Lead"))


def test_retrieve_answers_each_id_in_order_and_nil_for_a_missing_one(soap, org):
    first, second = [r["Id"] for r in org.records("Contact")][:2]
    missing = org.insert("Contact", {"LastName": "Missing"}, check=False)
    org.delete("Contact", missing)
    reply = soap.call("<urn:retrieve><urn:fieldList>Email, LastName</urn:fieldList>"
                      "<urn:sObjectType>Contact</urn:sObjectType>"
                      f"<urn:ids>{second}</urn:ids><urn:ids>{missing}</urn:ids>"
                      f"<urn:ids>{first[:15]}</urn:ids></urn:retrieve>")
    results = reply.results
    assert [r.get(f"{XSI}type") for r in results] == ["sf:sObject", None, "sf:sObject"]
    assert results[1].get(f"{XSI}nil") == "true"
    assert results[0].findtext(f"{SF}Id") == second
    assert results[2].findtext(f"{SF}Id") == first  # a 15-character ID comes back as 18
    assert list(fields(results[0])) == ["Email", "LastName"]
