"""Fixtures of the compatibility suite: sfmock driven by clients that are not ours.

`door`: simple-salesforce against the in-process mock and against a real HTTPS server (the
root conftest's `sf` / `server_sf`). `sfmock_serve`: `sfmock serve --tls` as its own process,
for curl and jsforce. `jsforce_dir` and `sf_cli`: jsforce 3 and the pinned Salesforce CLI (with
its own Node), installed from the npm registry into `.cache/` (git-ignored, kept between runs)
by `install_clients.py`. A client that cannot be installed fails the run under CI=true and is
skipped with the reason elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce

from sfmock.models.org import Org
from sfmock.testing import PASSWORD, TOKEN, USERNAME, ServeProcess
from tests.compat import clients


@dataclass
class Door:
    """simple-salesforce's way into one front door of an org."""

    name: str
    org: Org
    sf: Salesforce
    login_url: str
    session: requests.Session
    where: dict = field(default_factory=dict)  # Salesforce(...) arguments naming the host

    def login(self, **credentials) -> Salesforce:
        """A new simple-salesforce client logged in with `credentials` at this door."""
        return Salesforce(**credentials, **self.where)


@pytest.fixture(params=["inprocess", "tls_server"])
def door(request) -> Door:
    if request.param == "inprocess":
        org = request.getfixturevalue("org")
        return Door("inprocess", org, request.getfixturevalue("sf"),
                    "https://login.salesforce.com", requests.Session())
    server = request.getfixturevalue("server")
    sf = request.getfixturevalue("server_sf")
    host = server.url.removeprefix("https://")
    return Door("tls_server", server.org, sf, server.url, sf.session,
                {"domain": f"{host}/login", "session": sf.session})


@pytest.fixture(scope="session")
def sfmock_serve(tmp_path_factory):
    """`sfmock serve --tls` on a free port, as a separate process, for this test session."""
    with ServeProcess(tmp_path_factory.mktemp("compat-serve")) as serving:
        yield serving


@pytest.fixture(scope="session")
def jsforce_dir() -> Path:
    """A folder whose node_modules holds jsforce 3 (installed once, then reused)."""
    return clients.jsforce()


@pytest.fixture(scope="session")
def sf_cli() -> tuple[Path, Path]:
    """(node, run.js) of the pinned Salesforce CLI (installed once, then reused)."""
    return clients.sf_cli()


@pytest.fixture
def run_jsforce(jsforce_dir, sfmock_serve, tmp_path) -> Callable[[str], dict]:
    """Run a jsforce script against `sfmock serve --tls`; its one JSON line of output, parsed.

    The script reads SF_URL, SF_USER and SF_PASS and trusts the emulator's CA."""

    def run(script: str) -> dict:
        path = tmp_path / "jsforce_script.js"
        path.write_text(script)
        env = {**os.environ, "NODE_PATH": str(jsforce_dir / "node_modules"),
               "NODE_EXTRA_CA_CERTS": sfmock_serve.ca_path, "SF_URL": sfmock_serve.url,
               "SF_USER": USERNAME, "SF_PASS": PASSWORD + TOKEN, "NO_PROXY": "*"}
        done = subprocess.run(["node", str(path)], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run
