"""Fixtures of the compatibility suite: sfmock driven by clients that are not ours.

`door`: simple-salesforce against the in-process mock and against a real HTTPS server (the
root conftest's `sf` / `server_sf`). `sfmock_serve`: `sfmock serve --tls` as its own process,
for curl and jsforce. `jsforce_dir`: jsforce 3 installed from the npm registry into
`.cache/compat-jsforce/` (git-ignored, kept between runs), or the test is skipped with why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce

from sfmock.models.org import Org
from sfmock.testing import ServeProcess

REPO = Path(__file__).resolve().parents[2]
JSFORCE_CACHE = REPO / ".cache" / "compat-jsforce"
NPM_TIMEOUT = 120


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
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js (node and npm) is not installed: jsforce cannot run")
    marker = JSFORCE_CACHE / "node_modules" / "jsforce" / "package.json"
    if marker.exists() and json.loads(marker.read_text())["version"].startswith("3."):
        return JSFORCE_CACHE
    JSFORCE_CACHE.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["npm", "install", "--prefix", str(JSFORCE_CACHE), "--no-audit", "--no-fund",
             "--no-save", "jsforce@3"],
            capture_output=True, text=True, timeout=NPM_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm install jsforce@3 took more than {NPM_TIMEOUT} s (offline registry?)")
    if done.returncode != 0 or not marker.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"npm install jsforce@3 failed: {last}")
    return JSFORCE_CACHE
