"""Shared fixtures of the reliability suite, and the default skip of `soak` tests.

Tests marked `soak` (registered in pyproject: the full fault soak and the larger crash loops)
are skipped unless the run selects them with `-m soak` (tox -e soak) or sets SOAK=1.
"""

from __future__ import annotations

import os

import pytest

from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.config import Config
from syncer.retry import RetryPolicy

# Retries that take milliseconds, so fault tests stay fast (a limit spell pauses the pass).
FAST = RetryPolicy(call_wait=0.001, call_wait_max=0.005, retry_wait=0.001, retry_wait_max=0.005,
                   limit_pause=0.05, capture_wait=0.0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("SOAK") == "1" or "soak" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="soak test: run with -m soak (tox -e soak) or SOAK=1")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)


def config_for(db, **extra) -> Config:
    """Credentials of the default org's integration user, the store at `db`."""
    settings = {"username": USERNAME, "password": PASSWORD, "security_token": TOKEN, **extra}
    return Config(db=str(db), **settings)


@pytest.fixture
def fast() -> RetryPolicy:
    """FAST: retries that take milliseconds."""
    return FAST


@pytest.fixture
def make_config():
    """config_for(db, **extra): a Config for the default org's integration user."""
    return config_for
