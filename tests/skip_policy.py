"""The suite's skip policy: a test skipped for a missing tool fails the run under CI=true.

A skip for a missing tool says so with `missing_tool(...)`: its reason starts with
"missing tool: " and names what to install, so a local run tells the reader what to do, and
CI (which installs every tool first, see .ci/run) cannot pass while silently testing less.
"""

from __future__ import annotations

import os

import pytest

MISSING_TOOL = "missing tool: "


def missing_tool(tool: str, install: str) -> str:
    """The skip reason for a missing tool: what is missing and how to install it."""
    return f"{MISSING_TOOL}{tool}; install with: {install}"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and in_ci()) or hasattr(report, "wasxfail"):
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    if MISSING_TOOL in reason:
        report.outcome = "failed"
        report.longrepr = (f"{reason.removeprefix('Skipped: ')} (CI=true: every tool must be"
                           " installed, as .ci/run does; a skip for a missing tool fails)")
