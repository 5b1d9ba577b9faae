"""Helpers for tests of code that talks to sfmock: the default org's credentials, a server process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import requests

USERNAME = "integration@sfmock.dev"
PASSWORD = "sfmock-password"
TOKEN = "sfmock-token"
CLIENT_ID = "sfmock-client-id"
CLIENT_SECRET = "sfmock-client-secret"
INSTANCE_URL = "https://sfmock-dev-ed.my.salesforce.com"


class ServeProcess:
    """`sfmock serve --tls` in its own process, with the URL, CA file and admin key it printed.

    >>> with ServeProcess(tmp_path) as serving:          # doctest: +SKIP
    ...     requests.get(f"{serving.url}/services/data", verify=serving.ca_path)
    """

    def __init__(self, workdir: Path, *args: str, exit_after: int = 600, timeout: float = 30.0):
        workdir.mkdir(parents=True, exist_ok=True)
        self.out = workdir / "sfmock.out"
        self.err = workdir / "sfmock.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "sfmock"), "serve", "--tls", "--port", "0",
                 "--cert-dir", str(workdir / "certs"), "--exit-after", str(exit_after), *args],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        self.url, self.ca_path, self.admin_key = self._wait_for_banner(timeout)

    def _wait_for_banner(self, timeout: float) -> tuple[str, str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            found = {line.split(" ", 1)[0]: line for line in self.out.read_text().splitlines()}
            if "Admin" in found:
                return (found["sfmock"].rsplit(" at ", 1)[1], found["CA"].split(": ", 1)[1],
                        found["Admin"].rsplit(": ", 1)[1])
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sfmock serve did not start: {self.err.read_text()[-2000:]}")

    def session(self) -> requests.Session:
        """A requests session trusting only the emulator's CA."""
        session = requests.Session()
        session.trust_env = False
        session.verify = self.ca_path
        return session

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def seed_opted_out_contacts(org, count: int, *, first: int = 10_000_000) -> list[str]:
    """`count` opted-out Contacts written straight into the org's table, fast (for volume tests).

    IDs use counters from `first` on, clear of the org's own counter for ordinary records.
    """
    from . import ids

    stamp = org.stamp()
    owner = org.integration_user_id()
    defaults = {f.name: int(f.default) for f in org.sobject("Contact").fields.values()
                if f.type == "boolean" and f.default is not None}
    made = [ids.make_id("003", org.meta["pod"], first + i) for i in range(count)]
    rows = [{
        **defaults, "Id": record_id, "IsDeleted": 0, "OwnerId": owner, "CreatedById": owner,
        "LastModifiedById": owner, "CreatedDate": stamp, "LastModifiedDate": stamp,
        "SystemModstamp": stamp, "LastName": f"Bench {i}", "Name": f"Bench {i}",
        "Email": f"bench{i}@example.com", "HasOptedOutOfEmail": 1, "HasOptedOutOfFax": 0,
        "DoNotCall": 0,
    } for i, record_id in enumerate(made)]
    with org.lock:
        org.db["Contact"].insert_all(rows, batch_size=5000)
    return made
