"""The skip policy (tests/skip_policy.py): a skip for a missing tool says what to install, and
fails the run under CI=true; other skips stay skips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = '''
import pytest
from tests.skip_policy import missing_tool

def test_needs_a_tool():
    pytest.skip(missing_tool("frobnicator", "apt-get install frobnicator"))

@pytest.mark.skipif(True, reason=missing_tool("curl", "apt-get install curl"))
def test_marked():
    pass

def test_skipped_for_another_reason():
    pytest.skip("soak test: run with -m soak")
'''


def _run(tmp_path: Path, ci: str) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text(
        "from tests.skip_policy import pytest_runtest_makereport  # noqa: F401\n")
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    # No installed plugin is needed to show the policy: skipping their loading halves the run.
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(REPO), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           "-p", "no:xdist", "--rootdir", str(tmp_path), str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)


def test_locally_a_missing_tool_skips_and_says_what_to_install(tmp_path):
    done = _run(tmp_path, "")
    assert done.returncode == 0, done.stdout
    assert "3 skipped" in done.stdout
    assert ("missing tool: frobnicator; install with: apt-get install frobnicator"
            in done.stdout)


def test_under_ci_a_missing_tool_fails_the_run_with_the_reason(tmp_path):
    done = _run(tmp_path, "true")
    assert done.returncode == 1, done.stdout
    assert "1 failed, 1 skipped, 1 error" in done.stdout  # a skipif fails in its setup
    assert "missing tool: curl; install with: apt-get install curl (CI=true" in done.stdout
