"""Composite and Composite Batch through unmodified simple-salesforce (`sf.restful`)."""

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

V = "/services/data/v59.0"
HALTED = {"message": "The transaction was rolled back since another operation in the same "
                     "transaction failed.", "errorCode": "PROCESSING_HALTED"}


def composite(sf, requests, all_or_none=False):
    return sf.restful("composite", method="POST", json={
        "allOrNone": all_or_none, "compositeRequest": requests})["compositeResponse"]


def sub(method, url, ref, body=None):
    item = {"method": method, "url": V + url, "referenceId": ref}
    if body is not None:
        item["body"] = body
    return item


def test_references_chain_subrequests_and_count_as_one_call(sf, org):
    used_before, _ = org.api_usage()
    out = composite(sf, [
        sub("POST", "/sobjects/Account", "acct", {"Name": "Composite Co"}),
        sub("POST", "/sobjects/Contact", "con", {"LastName": "Ref", "AccountId": "@{acct.id}"}),
        sub("GET", "/sobjects/Contact/@{con.id}?fields=AccountId,LastName", "read"),
        sub("PATCH", "/sobjects/Contact/@{con.id}", "optout", {"HasOptedOutOfEmail": True}),
    ])
    assert [r["httpStatusCode"] for r in out] == [201, 201, 200, 204]
    assert [r["referenceId"] for r in out] == ["acct", "con", "read", "optout"]
    assert list(out[0]) == ["body", "httpHeaders", "httpStatusCode", "referenceId"]
    account_id = out[0]["body"]["id"]
    assert out[0]["httpHeaders"] == {"Location": f"{V}/sobjects/Account/{account_id}"}
    assert out[2]["body"]["AccountId"] == account_id
    assert out[3]["body"] is None and out[3]["httpHeaders"] == {}
    assert org.get("Contact", out[1]["body"]["id"])["HasOptedOutOfEmail"] == 1
    assert org.api_usage()[0] == used_before + 1


def test_all_or_none_rolls_back_and_halts_the_rest(sf, org):
    accounts = org.count("Account")
    out = composite(sf, [
        sub("POST", "/sobjects/Account", "acct", {"Name": "Rolled back"}),
        sub("POST", "/sobjects/Contact", "bad", {"FirstName": "No last name"}),
        sub("POST", "/sobjects/Account", "later", {"Name": "Never run"}),
    ], all_or_none=True)
    assert out[0] == {"body": [HALTED], "httpHeaders": {}, "httpStatusCode": 400,
                      "referenceId": "acct"}
    assert out[1]["httpStatusCode"] == 400
    assert out[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert out[2]["body"] == [HALTED]
    assert org.count("Account") == accounts


def test_without_all_or_none_only_dependents_are_halted(sf, org):
    out = composite(sf, [
        sub("POST", "/sobjects/Account", "bad", {"Industry": "Finance"}),
        sub("POST", "/sobjects/Contact", "dependent", {"LastName": "X", "AccountId": "@{bad.id}"}),
        sub("POST", "/sobjects/Contact", "independent", {"LastName": "Standalone"}),
    ])
    assert out[0]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert out[1] == {"body": [{"message": "Invalid reference specified. No value for bad.id "
                                           "found in bad.", "errorCode": "PROCESSING_HALTED"}],
                      "httpHeaders": {}, "httpStatusCode": 400, "referenceId": "dependent"}
    assert out[2]["httpStatusCode"] == 201


def test_references_reach_into_query_results(sf, org):
    out = composite(sf, [
        sub("GET", "/query/?q=SELECT+Id,Email+FROM+Contact+ORDER+BY+Email+LIMIT+2", "q"),
        sub("PATCH", "/sobjects/Contact/@{q.records[1].Id}", "upd", {"Title": "Second"}),
    ])
    second = out[0]["body"]["records"][1]["Id"]
    assert out[1]["httpStatusCode"] == 204
    assert org.get("Contact", second)["Title"] == "Second"


def test_composite_all_or_none_overrides_a_collection_subrequest(sf, org):
    before = org.count("Contact")
    out = composite(sf, [
        sub("POST", "/composite/sobjects", "coll", {"allOrNone": False, "records": [
            {"attributes": {"type": "Contact"}, "LastName": "Good"},
            {"attributes": {"type": "Contact"}, "Email": "bad"}]}),
        sub("POST", "/sobjects/Contact", "after", {"LastName": "After"}),
    ], all_or_none=True)
    assert out[0]["httpStatusCode"] == 200
    assert out[0]["body"][0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert out[1]["body"] == [HALTED]
    assert org.count("Contact") == before


@pytest.mark.parametrize("requests, message", [
    ([sub("GET", "/limits", f"r{i}") for i in range(26)], "the limit is 25"),
    ([sub("GET", "/limits", "bad-ref")], "referenceId 'bad-ref'"),
    ([sub("GET", "/limits", "a"), sub("GET", "/limits", "a")], "Duplicate referenceId"),
    ([{**sub("GET", "/limits", "a"), "httpHeaders": {"Authorization": "Bearer x"}}],
     "The Authorization header cannot be set"),
    ([sub("GET", "/composite", "nested")], "cannot be used as a subrequest"),
    ([{"method": "get", "url": V + "/limits", "referenceId": "a"}], "case sensitive"),
])
def test_malformed_composite_requests_are_refused_whole(sf, requests, message):
    with pytest.raises(SalesforceMalformedRequest) as caught:
        composite(sf, requests)
    assert message in caught.value.content[0]["message"]


def test_batch_runs_independent_subrequests(sf, org):
    first = next(org.records("Contact"))["Id"]
    used_before, _ = org.api_usage()
    out = sf.restful("composite/batch", method="POST", json={"batchRequests": [
        {"method": "PATCH", "url": f"v59.0/sobjects/Contact/{first}",
         "richInput": {"Title": "Batched"}},
        {"method": "GET", "url": f"v59.0/sobjects/Contact/{first}?fields=Title"},
        {"method": "GET", "url": "v59.0/sobjects/Nope/001000000000000AAA"},
        {"method": "GET", "url": f"{V}/limits"},
    ]})
    assert out["hasErrors"] is True
    assert [r["statusCode"] for r in out["results"]] == [204, 200, 404, 200]
    assert out["results"][0]["result"] is None
    assert out["results"][1]["result"]["Title"] == "Batched"
    assert org.api_usage()[0] == used_before + 1


def test_batch_halt_on_error_answers_412_for_the_rest(sf):
    out = sf.restful("composite/batch", method="POST", json={"haltOnError": True,
                                                              "batchRequests": [
        {"method": "GET", "url": "v59.0/limits"},
        {"method": "POST", "url": "v59.0/sobjects/Contact", "richInput": {"Email": "x"}},
        {"method": "GET", "url": "v59.0/limits"},
    ]})
    assert [r["statusCode"] for r in out["results"]] == [200, 400, 412]
    assert out["results"][2]["result"] == [{"errorCode": "BATCH_PROCESSING_HALTED",
                                            "message": "Batch processing halted per request"}]
