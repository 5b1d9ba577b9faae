"""A SOQL query cut short after SELECT is MALFORMED_QUERY, not an IndexError."""

from __future__ import annotations

import pytest

from sfmock.errors import SalesforceError
from sfmock.soql import parse


@pytest.mark.parametrize("soql", ["SELECT", "SELECT ", "select", "SELECT COUNT"])
def test_select_with_nothing_after_it_is_malformed(soql):
    with pytest.raises(SalesforceError) as raised:
        parse(soql)
    assert raised.value.body()[0]["errorCode"] == "MALFORMED_QUERY"


def test_select_alone_over_rest_is_a_400(sf):
    from simple_salesforce.exceptions import SalesforceMalformedRequest

    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.query("SELECT")
    assert raised.value.content[0]["errorCode"] == "MALFORMED_QUERY"
