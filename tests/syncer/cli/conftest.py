"""The `syncer` console script run as a user runs it, against `sfmock serve`-like HTTPS."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sfmock.testing import PASSWORD, TOKEN, USERNAME

SYNCER = Path(sys.executable).with_name("syncer")  # the console script next to python
PEOPLE_CSV = Path(__file__).resolve().parents[3] / "sfmock" / "default_org" / "people.csv"


@pytest.fixture
def linked_syncer(server, tmp_path) -> Callable[..., subprocess.CompletedProcess]:
    """`run(*args, **env)`: the console script with a store whose people are imported and
    linked to the HTTPS emulator's records; never a traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SF_", "SYNCER_"))}
    env.update(SYNCER_DB=str(tmp_path / "syncer.db"), SF_LOGIN_URL=server.url,
               SF_CA_BUNDLE=str(server.ca_path), SF_USERNAME=USERNAME, SF_PASSWORD=PASSWORD,
               SF_SECURITY_TOKEN=TOKEN)

    def run(*args: str, **overrides: str) -> subprocess.CompletedProcess:
        done = subprocess.run([str(SYNCER), *args], capture_output=True, text=True, timeout=60,
                              env={**env, **overrides})
        assert "Traceback" not in done.stdout + done.stderr
        return done

    assert run("people", "import", str(PEOPLE_CSV)).returncode == 0
    assert run("people", "link").returncode == 0
    return run
