"""getUpdated / getDeleted: windows, truncation, limits, and simple-salesforce's .updated()."""

from __future__ import annotations

from datetime import timedelta

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock import errors
from sfmock.models import replication
from sfmock.models.replication import get_deleted, get_updated

from .conftest import NOW, bulk_contacts


def iso(moment) -> str:
    return moment.isoformat()


@pytest.fixture
def changes(clock, clocked_org):
    """Three Contacts created, updated and deleted at known minutes after NOW."""
    org = clocked_org
    clock.advance(minutes=10, seconds=30)
    created = org.insert("Contact", {"LastName": "Created"})
    clock.advance(minutes=10)
    updated = org.records("Contact").__next__()["Id"]
    org.update("Contact", updated, {"Title": "Changed"})
    doomed = org.insert("Contact", {"LastName": "Doomed"})
    clock.advance(minutes=10)
    org.delete("Contact", doomed)
    clock.advance(minutes=10)
    return {"created": created, "updated": updated, "doomed": doomed}


def test_updated_lists_records_changed_in_the_window(clocked_org, changes):
    result = get_updated(clocked_org, "Contact", iso(NOW + timedelta(minutes=1)),
                         iso(NOW + timedelta(minutes=40)))
    assert result == {"ids": [changes["created"], changes["updated"]],
                      "latestDateCovered": "2026-11-25T20:40:00.000+0000"}


def test_the_window_is_half_open_and_seconds_are_dropped(clocked_org, changes):
    # `created` is stamped 20:10:30; an end of 20:10:59 truncates to 20:10:00 and excludes it.
    before = get_updated(clocked_org, "Contact", "2026-11-25T20:01:00Z", "2026-11-25T20:10:59Z")
    assert before["ids"] == [] and before["latestDateCovered"] == "2026-11-25T20:10:00.000+0000"
    after = get_updated(clocked_org, "contact", "2026-11-25T20:10:59Z", "2026-11-25T20:11:00Z")
    assert after["ids"] == [changes["created"]]


def test_offsets_are_honoured(clocked_org, changes):
    result = get_updated(clocked_org, "Contact", "2026-11-25T12:05:00-08:00",
                         "2026-11-25T21:15:00+01:00")
    assert result["ids"] == [changes["created"]]


def test_an_end_in_the_future_covers_up_to_the_current_minute(clock, clocked_org, changes):
    result = get_updated(clocked_org, "Contact", iso(NOW), iso(NOW + timedelta(days=1)))
    assert result["latestDateCovered"] == "2026-11-25T20:40:00.000+0000"
    assert changes["doomed"] not in result["ids"]  # deleted records are getDeleted's


def test_deleted_lists_soft_deleted_records_with_their_dates(clocked_org, changes):
    result = get_deleted(clocked_org, "Contact", iso(NOW), iso(NOW + timedelta(hours=1)))
    assert result == {
        "deletedRecords": [{"id": changes["doomed"], "deletedDate": "2026-11-25T20:30:30.000+0000"}],
        "earliestDateAvailable": "2026-11-10T00:00:00.000+0000",
        "latestDateCovered": "2026-11-25T20:40:00.000+0000",
    }


def test_merged_losers_are_deleted_records(clocked_org):
    winner = clocked_org.insert("Contact", {"LastName": "Winner"})
    loser = clocked_org.insert("Contact", {"LastName": "Loser"})
    clocked_org.merge("Contact", winner, [loser])
    result = get_deleted(clocked_org, "Contact", iso(NOW - timedelta(hours=1)),
                         iso(NOW + timedelta(hours=1)))
    assert [r["id"] for r in result["deletedRecords"]] == [loser]


@pytest.mark.parametrize(("call", "days"), [(get_updated, 30), (get_deleted, 15)])
def test_windows_reach_back_a_fixed_number_of_days(clocked_org, call, days):
    midnight = NOW.replace(hour=0, minute=0) - timedelta(days=days)
    assert call(clocked_org, "Contact", iso(midnight), iso(NOW)) is not None
    with pytest.raises(errors.InvalidReplicationDate) as failure:
        call(clocked_org, "Contact", iso(midnight - timedelta(minutes=1)), iso(NOW))
    assert f"reaches back {days} days" in failure.value.message


@pytest.mark.parametrize(("start", "end"), [
    ("2026-11-25T20:00:00Z", "2026-11-25T20:00:00Z"),
    ("2026-11-25T20:00:10Z", "2026-11-25T20:00:50Z"),  # the same minute once truncated
    ("2026-11-25T21:00:00Z", "2026-11-25T20:00:00Z"),
    ("yesterday", "2026-11-25T20:00:00Z"),
])
def test_start_must_precede_end_and_both_must_be_dates(clocked_org, start, end):
    with pytest.raises(errors.InvalidReplicationDate):
        get_updated(clocked_org, "Contact", start, end)


def test_more_than_the_id_limit_is_refused(clocked_org, monkeypatch):
    bulk_contacts(clocked_org, 30)
    monkeypatch.setattr(replication, "MAX_IDS", 29)
    with pytest.raises(errors.ExceededIdLimit):
        get_updated(clocked_org, "Contact", iso(NOW - timedelta(hours=1)),
                    iso(NOW + timedelta(hours=1)))


def test_unknown_object_is_not_found(clocked_org):
    with pytest.raises(errors.NotFound):
        get_updated(clocked_org, "Widget", iso(NOW - timedelta(hours=1)), iso(NOW))


def test_simple_salesforce_updated_and_deleted(clocked_org, csf, changes):
    contact = csf.Contact
    start = NOW + timedelta(minutes=1)
    updated = contact.updated(start, NOW + timedelta(minutes=45))
    assert updated["ids"] == [changes["created"], changes["updated"]]
    deleted = contact.deleted(start, NOW + timedelta(minutes=45))
    assert [r["id"] for r in deleted["deletedRecords"]] == [changes["doomed"]]
    assert deleted["latestDateCovered"] == "2026-11-25T20:40:00.000+0000"


def test_simple_salesforce_sees_replication_errors(csf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.Contact.updated(NOW, NOW - timedelta(hours=1))
    assert failure.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
