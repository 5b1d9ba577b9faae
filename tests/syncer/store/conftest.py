"""Store fixtures: a store in memory on a clock the test can move."""

from datetime import UTC, datetime, timedelta

import pytest

from syncer.store import Store

START = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def store(clock):
    with Store(":memory:", clock=clock) as store:
        yield store
