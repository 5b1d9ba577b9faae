"""The two front doors of the end-to-end scenarios, behind one `door` fixture.

`inprocess`: the `syncer` CLI invoked by click's CliRunner inside `mock_salesforce()` (the
default login URL, login.salesforce.com, is served in-process). `tls_server`: `sfmock serve
--tls` as a separate process (one per test session, reset to the default org before each
test) and the `syncer` console script as a real subprocess, trusting the emulator's CA through
SF_CA_BUNDLE, as a user would run it. Select one with `pytest tests/e2e -k inprocess` or
`-k tls_server`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from simple_salesforce import Salesforce

from sfmock import mock_salesforce
from sfmock.testing import INSTANCE_URL, PASSWORD, TOKEN, USERNAME, ServeProcess

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ADMIN = {"username": "admin@sfmock.dev", "password": "sfmock-admin-password",
         "security_token": "sfmock-admin-token"}
ADMIN_HEADER = "X-Sfmock-Admin-Key"
SYNCER_SETTINGS = ("SYNCER_DB", "SYNCER_CONFIG", "SYNCER_DEBUG", "SF_LOGIN_URL", "SF_USERNAME",
                   "SF_PASSWORD", "SF_SECURITY_TOKEN", "SF_CLIENT_ID", "SF_CLIENT_SECRET",
                   "SF_PRIVATE_KEY_FILE", "SF_CA_BUNDLE", "SF_API_VERSION")
CLI_TIMEOUT = 60


@dataclass
class Run:
    """What one `syncer` command did."""

    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (f"syncer {' '.join(self.args)} -> {self.exit_code}\n"
                f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}")


class Door(ABC):
    """A front door: runs `syncer` commands and reaches the org as a Salesforce admin."""

    name: str
    instance_url: str

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.env = {"SYNCER_DB": str(workdir / "syncer.db"), "SF_USERNAME": USERNAME,
                    "SF_PASSWORD": PASSWORD, "SF_SECURITY_TOKEN": TOKEN}
        self._admin_sf: Salesforce | None = None

    @abstractmethod
    def syncer(self, *args: str, env: dict[str, str | None] | None = None) -> Run:
        """Run `syncer ARGS` with the door's settings (`env` overrides; None unsets)."""

    @abstractmethod
    def http(self) -> requests.Session:
        """An HTTP session that reaches this door's org."""

    @abstractmethod
    def admin_login(self) -> Salesforce:
        """Log in as the admin user."""

    @property
    @abstractmethod
    def admin_key(self) -> str:
        """The key of the emulator's admin API."""

    @property
    def admin_sf(self) -> Salesforce:
        """simple-salesforce logged in as the org's System Administrator."""
        if self._admin_sf is None:
            self._admin_sf = self.admin_login()
        return self._admin_sf

    def admin_api(self, method: str, path: str, json: dict | None = None) -> dict:
        """Call the emulator's admin API (/sfmock/api/...); fail the test on an error."""
        response = self.http().request(method, f"{self.instance_url}/sfmock/api/{path}",
                                       json=json, headers={ADMIN_HEADER: self.admin_key})
        assert response.ok, response.text
        return response.json() if response.content else {}

    def import_and_link(self) -> None:
        """`syncer people import fixtures/people.csv` then `syncer people link`."""
        for args in (("people", "import", str(FIXTURES / "people.csv")), ("people", "link")):
            run = self.syncer(*args)
            assert run.exit_code == 0, run


class InProcessDoor(Door):
    name = "inprocess"
    instance_url = INSTANCE_URL

    def __init__(self, workdir: Path, org):
        super().__init__(workdir)
        self.org = org
        self.runner = CliRunner()

    def syncer(self, *args: str, env: dict[str, str | None] | None = None) -> Run:
        from syncer.cli import main

        clean: dict[str, str | None] = dict.fromkeys(SYNCER_SETTINGS)
        result = self.runner.invoke(main, list(args), env={**clean, **self.env, **(env or {})},
                                    prog_name="syncer")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(args, result.exit_code, result.stdout, result.stderr)

    def http(self) -> requests.Session:
        return requests.Session()

    def admin_login(self) -> Salesforce:
        return Salesforce(**ADMIN)

    @property
    def admin_key(self) -> str:
        return self.org.meta["admin_key"]


class ServerDoor(Door):
    name = "tls_server"
    _linked_template: Path | None = None  # syncer.db right after import + link (per session)

    def __init__(self, workdir: Path, server: ServeProcess):
        super().__init__(workdir)
        self.server = server
        self.instance_url = server.url
        self.env.update(SF_LOGIN_URL=server.url, SF_CA_BUNDLE=server.ca_path)
        script = Path(sys.executable).parent / "syncer"
        self.command = ([str(script)] if script.exists()
                        else [sys.executable, "-c", "from syncer.cli import main; main()"])

    def syncer(self, *args: str, env: dict[str, str | None] | None = None) -> Run:
        merged = {k: v for k, v in os.environ.items() if k not in SYNCER_SETTINGS}
        for key, value in {**self.env, **(env or {})}.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        done = subprocess.run([*self.command, *args], env=merged, capture_output=True,
                              text=True, timeout=CLI_TIMEOUT, cwd=self.workdir,
                              stdin=subprocess.DEVNULL)
        return Run(args, done.returncode, done.stdout, done.stderr)

    def http(self) -> requests.Session:
        return self.server.session()

    def admin_login(self) -> Salesforce:
        host = self.server.url.removeprefix("https://")
        return Salesforce(**ADMIN, domain=f"{host}/login", session=self.server.session())

    @property
    def admin_key(self) -> str:
        return self.server.admin_key

    def import_and_link(self) -> None:
        """As in `Door`, once per session; later tests start from a copy of that store.

        The org is reset to the default org before every test, so its IDs are the same.
        """
        template = ServerDoor._linked_template
        if template is not None:
            shutil.copy(template, self.env["SYNCER_DB"])
            return
        super().import_and_link()
        ServerDoor._linked_template = self.workdir.parent / "linked-syncer.db"
        shutil.copy(self.env["SYNCER_DB"], ServerDoor._linked_template)


@pytest.fixture(scope="session")
def sfmock_serve(tmp_path_factory):
    """One `sfmock serve --tls` process for the session; stopped at its end."""
    running = ServeProcess(tmp_path_factory.mktemp("sfmock-serve"))
    yield running
    running.stop()


@pytest.fixture(params=["inprocess", pytest.param("tls_server", marks=pytest.mark.slow)])
def door(request, tmp_path):
    """A front door on a fresh default org and an empty syncer store."""
    if request.param == "inprocess":
        with mock_salesforce() as org:
            yield InProcessDoor(tmp_path, org)
        return
    server: ServeProcess = request.getfixturevalue("sfmock_serve")
    opened = ServerDoor(tmp_path, server)
    opened.admin_api("POST", "reset", {})
    yield opened


@pytest.fixture
def linked(door) -> Door:
    """A door whose store holds the fixture people, linked to their Salesforce records."""
    door.import_and_link()
    return door
