"""simple-salesforce's `sf.bulk` (Bulk API 1.0) unmodified against both front doors: in-process
`mock_salesforce()` and `sfmock serve --tls` in its own process; 10,000 records a batch."""

from __future__ import annotations

import secrets
import time

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceGeneralError

from sfmock.testing import PASSWORD, TOKEN, USERNAME

VOLUME = 10_000
WAIT = 0.05


@pytest.fixture(params=["inprocess", "serve_tls"])
def bulk_sf(request) -> Salesforce:
    """simple-salesforce logged in (SOAP) at one front door."""
    if request.param == "inprocess":
        return request.getfixturevalue("sf")
    serving = request.getfixturevalue("sfmock_serve")
    host = serving.url.removeprefix("https://")
    return Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN,
                      domain=f"{host}/login", session=serving.session())


@pytest.mark.slow  # volume: 10,000 records through each door
def test_insert_update_and_query_ten_thousand_records(bulk_sf, record_property):
    sf = bulk_sf
    tag = f"Bulk1 {secrets.token_hex(4)}"  # the serve door is shared by the session's tests
    records = [{"LastName": f"{tag} {i}", "Email": f"bulk{i}@example.com"}
               for i in range(VOLUME)]
    began = time.perf_counter()
    inserted = sf.bulk.Contact.insert(records)
    record_property("insert_10000_seconds", round(time.perf_counter() - began, 2))
    assert len(inserted) == VOLUME
    assert all(r["success"] and r["created"] and r["id"].startswith("003") for r in inserted)

    updated = sf.bulk.Contact.update([{"Id": r["id"], "HasOptedOutOfEmail": True}
                                      for r in inserted])
    assert [r["id"] for r in updated] == [r["id"] for r in inserted]
    assert all(r["success"] and not r["created"] for r in updated)

    rows = sf.bulk.Contact.query(
        f"SELECT Id, LastName, HasOptedOutOfEmail FROM Contact WHERE LastName LIKE '{tag}%'",
        wait=WAIT)
    assert len(rows) == VOLUME
    assert {r["Id"] for r in rows} == {r["id"] for r in inserted}
    assert all(r["HasOptedOutOfEmail"] is True for r in rows)

    # More rows than one result file holds: the client follows every result id.
    everyone = sf.bulk.Contact.query("SELECT Id FROM Contact", wait=WAIT)
    assert len(everyone) == sf.query("SELECT COUNT() FROM Contact")["totalSize"] > VOLUME


def test_upsert_delete_and_query_all(bulk_sf):
    sf = bulk_sf
    tag = f"Bulk1 {secrets.token_hex(4)}"
    [kept, gone] = sf.bulk.Contact.insert([{"LastName": f"{tag} kept"},
                                           {"LastName": f"{tag} gone"}])
    upserted = sf.bulk.Contact.upsert([{"Id": kept["id"], "Title": "Upserted"},
                                       {"LastName": f"{tag} new"}], "Id")
    assert [(r["success"], r["created"]) for r in upserted] == [(True, False), (True, True)]
    [deleted] = sf.bulk.Contact.delete([{"Id": gone["id"]}])
    assert deleted == {"success": True, "created": False, "id": gone["id"], "errors": []}

    soql = f"SELECT Id, Title, IsDeleted FROM Contact WHERE LastName LIKE '{tag}%' ORDER BY Id"
    live = sf.bulk.Contact.query(soql, wait=WAIT)
    everything = sf.bulk.Contact.query_all(soql, wait=WAIT)
    assert gone["id"] not in {r["Id"] for r in live} and len(live) == 2  # kept and new
    assert {r["Id"]: r["IsDeleted"] for r in everything}[gone["id"]] is True
    assert {r["Id"]: r["Title"] for r in live}[kept["id"]] == "Upserted"

    [detailed] = sf.bulk.Contact.insert([{"LastName": f"{tag} detailed"}],
                                        include_detailed_results=True)
    assert detailed["success"] is True and detailed["LastName"] == f"{tag} detailed"
    [failed] = sf.bulk.Contact.insert([{"Email": "no-last-name@example.com"}])
    assert failed["success"] is False and failed["id"] is None
    assert failed["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    with pytest.raises(SalesforceGeneralError, match="INVALID_FIELD"):
        sf.bulk.Contact.query("SELECT NoSuchField__c FROM Contact", wait=WAIT)
