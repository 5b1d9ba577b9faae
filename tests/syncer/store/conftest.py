"""Store fixtures: a store in memory on the clock the test can move (tests/syncer/conftest.py)."""

import pytest

from syncer.store import Store


@pytest.fixture
def store(clock):
    with Store(":memory:", clock=clock) as store:
        yield store
