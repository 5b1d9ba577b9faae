"""SOQL test helpers: an org on a settable clock, bulk rows written to the storage contract."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from simple_salesforce import Salesforce

from sfmock import ids, mock_salesforce
from sfmock.models.org import Org
from sfmock.models.values import format_datetime
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from tests.conftest import Clock

# A Wednesday; noon in Los Angeles.
NOW = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)




@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def clocked_org(clock):
    """The default org served in-process, its clock under the test's control."""
    with mock_salesforce(clock=clock) as org:
        yield org


@pytest.fixture
def csf(clocked_org) -> Salesforce:
    return Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)


def bulk_contacts(org: Org, count: int, *, opted_out_every: int = 2, deleted_every: int = 0,
                  stamp: datetime = NOW, first: int = 0) -> list[str]:
    """Insert `count` Contacts straight into the table (storage contract); their Ids."""
    pod = org.meta["pod"]
    owner = org.integration_user_id()
    text = format_datetime(stamp)
    rows, made = [], []
    for i in range(first, first + count):
        record_id = ids.make_id("003", pod, 50_000_000 + i)
        deleted = bool(deleted_every) and i % deleted_every == 0
        made.append(record_id)
        rows.append({
            "Id": record_id, "IsDeleted": int(deleted), "OwnerId": owner,
            "CreatedDate": text, "CreatedById": owner, "LastModifiedDate": text,
            "LastModifiedById": owner, "SystemModstamp": text,
            "FirstName": "Bulk", "LastName": f"Person {i:06d}", "Name": f"Bulk Person {i:06d}",
            "Email": f"bulk{i}@example.com",
            "HasOptedOutOfEmail": int(i % opted_out_every == 0), "HasOptedOutOfFax": 0,
            "DoNotCall": 0, "_DeletedDate": text if deleted else None,
        })
    with org.lock:
        org.db["Contact"].insert_all(rows, batch_size=5000)
    return made
