"""The daily API allocation: enforced, reported by /limits and Sforce-Limit-Info alike."""

import pytest
from simple_salesforce.exceptions import SalesforceRefusedRequest


def test_spent_allocation_answers_403_request_limit_exceeded(sf, org):
    used, _ = org.api_usage()
    org.set_api_limit(used + 3)
    for _ in range(3):
        sf.Contact.describe()
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.Contact.describe()
    assert caught.value.status == 403
    assert caught.value.content == [{"message": "TotalRequests Limit exceeded.",
                                     "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    org.set_api_limit(used + 4)  # a raised allocation serves again
    assert sf.Contact.describe()["name"] == "Contact"


def test_limits_and_header_agree(sf, org):
    org.set_api_limit(50)
    sf.query("SELECT Id FROM Contact LIMIT 1")
    header_used, header_max = sf.api_usage["api-usage"]
    limits = sf.limits()
    used, maximum = org.api_usage()
    assert (header_max, maximum) == (50, 50)
    assert header_used == used - 1  # the /limits call itself was counted after the query
    assert limits["DailyApiRequests"] == {"Max": 50, "Remaining": 50 - used}


def test_refused_calls_carry_the_limit_header_and_are_not_counted(raw, org):
    used, _ = org.api_usage()
    org.set_api_limit(used)
    response = raw.call("GET", "limits")
    assert response.status_code == 403
    assert response.headers["Sforce-Limit-Info"] == f"api-usage={used}/{used}"
    assert org.api_usage()[0] == used


def test_batch_apis_spend_the_allocation_per_call(sf, org):
    used, _ = org.api_usage()
    org.set_api_limit(used + 1)
    sf.restful("composite/sobjects", method="POST", json={"records": [
        {"attributes": {"type": "Contact"}, "LastName": f"L{i}"} for i in range(10)]})
    with pytest.raises(SalesforceRefusedRequest):
        sf.bulk2.Contact.insert(records=[{"LastName": "Over"}], wait=0.05)
