"""One clock per org: record stamps, session lifetimes and the API allocation all read it."""

from datetime import UTC, datetime

import pytest

from sfmock import errors
from sfmock.models.org import Org
from tests.conftest import Clock


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))


@pytest.fixture
def org(clock):
    org = Org(clock=clock)
    yield org
    org.close()


def test_records_are_stamped_by_the_orgs_clock(org):
    user_id = org.add_user("ada@example.com", "pw", "token")
    assert org.get("User", user_id)["CreatedDate"].startswith("2026-11-28T12:00:00")


def test_a_session_lives_two_hours_of_the_orgs_time(org, clock):
    session = org.open_session(org.add_user("ada@example.com", "pw", "token"))
    clock.advance(hours=1, minutes=59)
    assert org.session_for(session.token) is session
    clock.advance(minutes=1)
    with pytest.raises(errors.InvalidSessionId):
        org.session_for(session.token)


def test_the_daily_allocation_rolls_over_with_the_orgs_clock(org, clock):
    org.set_api_limit(2)
    org.count_api_call()
    org.count_api_call()
    with pytest.raises(errors.RequestLimitExceeded):
        org.count_api_call()
    clock.advance(hours=24)
    org.count_api_call()
    assert org.api_usage() == (1, 2)
