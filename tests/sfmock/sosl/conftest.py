"""SOSL test helpers: a record's Id by email, simple-salesforce at each front door."""

from __future__ import annotations

import pytest

from sfmock.models.org import Org


def id_by_email(org: Org, sobject: str, email: str) -> str:
    """The Id of the live `sobject` record with this email (fixture data has one each)."""
    return next(org.db[sobject].rows_where("Email = ? AND IsDeleted = 0", [email]))["Id"]


@pytest.fixture(params=["inprocess", "tls_server"])
def door(request):
    """(org, simple-salesforce client) for the in-process mock and for a real HTTPS server."""
    if request.param == "inprocess":
        return request.getfixturevalue("org"), request.getfixturevalue("sf")
    return request.getfixturevalue("server").org, request.getfixturevalue("server_sf")
