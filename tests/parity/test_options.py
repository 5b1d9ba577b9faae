"""The suite's own options stop with the fix when they cannot run, before any call is made."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def _pytest(*options: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SF_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(HERE / "test_versions.py"), *options],
        capture_output=True, text=True, timeout=120,
        # The options fail before any test runs: no installed plugin is needed to show it.
        env={**env, "SYNCER_DB": os.devnull, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )


def test_record_without_real_org_names_the_missing_option():
    run = _pytest("--record")
    assert run.returncode == 2
    assert "--record writes snapshots from a real org: add --real-org" in run.stdout + run.stderr


def test_real_org_without_credentials_names_the_variables_to_set():
    run = _pytest("--real-org")
    assert run.returncode == 2
    out = run.stdout + run.stderr
    assert "--real-org: no Salesforce credentials: set SF_USERNAME" in out
    assert "Traceback" not in out
