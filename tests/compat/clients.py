"""The third-party clients for tests: installed by install_clients.py, or a failure/skip with why."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from tests.skip_policy import missing_tool

INSTALLER = Path(__file__).with_name("install_clients.py")


def installer():
    """tests/compat/install_clients.py as a module (the tests are not a package)."""
    spec = importlib.util.spec_from_file_location("install_clients", INSTALLER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def client_missing(reason: str):
    """Fail under CI=true (CI installs every client first), skip with the reason elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI runs `python3 tests/compat/install_clients.py` first)")
    pytest.skip(missing_tool(reason, "python3 tests/compat/install_clients.py"))


def sf_cli() -> tuple[Path, Path]:
    """(node, run.js) of the pinned Salesforce CLI, installed when missing."""
    module = installer()
    try:
        return module.sf_cli()
    except module.ClientMissing as exc:
        client_missing(f"Salesforce CLI: {exc}")


def jsforce() -> Path:
    """A folder whose node_modules holds jsforce 3, installed when missing."""
    module = installer()
    try:
        return module.jsforce()
    except module.ClientMissing as exc:
        client_missing(f"jsforce: {exc}")
