"""The parity suite: the same calls against sfmock and, with `--real-org`, against a real org.

Each test makes real calls through a client and compares the whole answer, normalised by
`normalise()` below (IDs, datetimes, hosts and API versions), with a snapshot under
snapshots/. Every snapshot names its `source`: the recorded real-org response (a client
library's test fixture, a Salesforce guide page) it was taken from.

    pytest tests/parity                # against sfmock, in-process (what CI runs)
    pytest tests/parity --real-org     # the same calls against the org of the SF_* variables
    pytest tests/parity --real-org --record   # write the snapshots again from that org

`--real-org` logs in exactly as the syncer does (syncer/config.py: SF_LOGIN_URL, SF_USERNAME,
SF_PASSWORD, SF_SECURITY_TOKEN, SF_CLIENT_ID, ...), creates what each test needs, and deletes
it afterwards. Some tests need something of the org (a unique custom field); they say so and
skip on an org without it. Without credentials, `--real-org` stops with the fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from simple_salesforce import Salesforce

SNAPSHOTS = Path(__file__).parent / "snapshots"

ID = re.compile(r"(?<![A-Za-z0-9])([a-zA-Z0-9]{3}[a-zA-Z0-9]{12})([a-zA-Z0-9]{3})?(?![A-Za-z0-9])")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})(\+0000|Z)")
HOST = re.compile(r"https://[A-Za-z0-9.-]+(:\d+)?")
VERSION = re.compile(r"/v(\d{2}\.\d|xx\.\d)(?=/|$)")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("parity")
    group.addoption("--real-org", action="store_true", default=False,
                    help="run tests/parity against the org of the SF_* variables, not sfmock")
    group.addoption("--record", action="store_true", default=False,
                    help="with --real-org: write the snapshots from the org's answers")


class Normaliser:
    """Replaces what differs between orgs and runs by stable placeholders.

    An ID becomes `<003#1>` (its key prefix and order of first appearance; the 15-character
    form of the same record `<003#1:15>`), a datetime `<datetime>.000+0000` (the fraction is
    kept: real orgs store whole seconds), a host `https://<instance>`, an API version in a URL
    `/v<version>`. Only strings with a digit are taken for IDs, so field names are left alone.
    """

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    def __call__(self, value: object) -> object:
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def text(self, value: str) -> str:
        value = HOST.sub("https://<instance>", value)
        value = VERSION.sub("/v<version>", value)
        value = DATETIME.sub(lambda m: f"<datetime>{m.group(1)}+0000", value)
        return ID.sub(self._id, value)

    def _id(self, match: re.Match) -> str:
        whole = match.group(0)
        if not any(ch.isdigit() for ch in whole):  # a word such as OtherPostalCode
            return whole
        key = match.group(1)
        if key not in self.ids:
            prefix = key[:3]
            self.counts[prefix] = self.counts.get(prefix, 0) + 1
            self.ids[key] = f"<{prefix}#{self.counts[prefix]}>"
        placeholder = self.ids[key]
        return placeholder if match.group(2) else placeholder[:-1] + ":15>"


def normalise(value: object) -> object:
    """`value` with IDs, datetimes, hosts and API versions replaced (see Normaliser)."""
    return Normaliser()(value)


@dataclass
class Answer:
    status: int
    body: object
    content_type: str | None = None

    def view(self) -> dict:
        return {"status": self.status, "contentType": self.content_type,
                "body": normalise(self.body)}


@dataclass
class Target:
    """Where the calls go: sfmock in-process or a real org, through simple-salesforce."""

    kind: str  # "sfmock" or "real-org"
    sf: Salesforce
    org: object | None = None  # the sfmock Org, for arranging state a real org would have
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.sf.base_url.rstrip("/")

    def call(self, method: str, path: str, **kwargs) -> Answer:
        """One REST call; `path` is relative to /services/data/vXX.X/ unless it starts with /."""
        url = f"https://{self.sf.sf_instance}{path}" if path.startswith("/") \
            else f"{self.base}/{path}"
        headers = {"Authorization": f"Bearer {self.sf.session_id}",
                   "Content-Type": "application/json", **kwargs.pop("headers", {})}
        response = self.sf.session.request(method, url, headers=headers, **kwargs)
        body = response.json() if response.content else None
        return Answer(response.status_code, body, response.headers.get("Content-Type"))

    def create(self, sobject: str, data: dict) -> str:
        """Create a record the test needs; it is deleted again after the test."""
        answer = self.call("POST", f"sobjects/{sobject}", json=data)
        assert answer.status == 201, answer.body
        record_id = answer.body["id"]
        self.cleanup.append(lambda: self.call("DELETE", f"sobjects/{sobject}/{record_id}"))
        return record_id


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--record", default=False) and not config.getoption("--real-org"):
        pytest.exit("--record writes snapshots from a real org: add --real-org", returncode=2)


@pytest.fixture(scope="session")
def real_org(request: pytest.FixtureRequest) -> Salesforce | None:
    """With `--real-org`, one login for the session, exactly as the syncer logs in."""
    if not request.config.getoption("--real-org", default=False):
        return None
    from syncer.config import ConfigError, load_config
    from syncer.salesforce import SalesforceClient, SalesforceError

    try:
        return SalesforceClient(load_config()).connect()
    except (ConfigError, SalesforceError) as problem:
        pytest.exit(f"--real-org: {problem}", returncode=2)


@pytest.fixture
def target(real_org: Salesforce | None) -> Iterator[Target]:
    """sfmock's default org in-process, or with `--real-org` the org of the SF_* variables."""
    if real_org is not None:
        chosen = Target("real-org", real_org)
        yield chosen
        _clean(chosen)
        return
    from sfmock import mock_salesforce
    from sfmock.testing import PASSWORD, TOKEN, USERNAME

    with mock_salesforce() as org:
        sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
        chosen = Target("sfmock", sf, org)
        yield chosen
        _clean(chosen)


def _clean(chosen: Target) -> None:
    for undo in reversed(chosen.cleanup):
        undo()


@pytest.fixture
def normalised() -> Callable[[object], object]:
    """The normaliser itself, for tests of what it hides."""
    return normalise


@pytest.fixture
def recorded() -> Callable[[str], dict]:
    """`recorded(name)`: the stored snapshot snapshots/<name>.json, for building a scope."""
    return lambda name: json.loads((SNAPSHOTS / f"{name}.json").read_text())


@pytest.fixture
def snapshot(request: pytest.FixtureRequest) -> Callable[..., None]:
    """`snapshot(name, answer, scope=None)`: compare with snapshots/<name>.json (or record it).

    `scope`, when given, is applied to both sides before comparing: it keeps the part of an
    answer sfmock models (e.g. describe's childRelationships among the emulated objects).
    """
    recording = request.config.getoption("--record", default=False)

    def check(name: str, answer: Answer, scope: Callable[[dict], dict] | None = None) -> None:
        path = SNAPSHOTS / f"{name}.json"
        seen = answer.view()
        if recording:
            old = json.loads(path.read_text()) if path.exists() else {}
            stamp = datetime.now(UTC).strftime("%Y-%m-%d")
            path.write_text(json.dumps({
                **{k: v for k, v in old.items() if k not in ("status", "contentType", "body")},
                "source": f"recorded from a real org with --record on {stamp}",
                **seen,
            }, indent=1, ensure_ascii=False) + "\n")
            return
        expected = json.loads(path.read_text())
        assert expected.get("source"), f"{path.name} must name its source"
        wanted = {"status": expected["status"], "body": expected["body"]}
        if "contentType" in expected:  # compared when the source recorded it
            wanted["contentType"] = expected["contentType"]
        else:
            seen = {k: v for k, v in seen.items() if k != "contentType"}
        if scope is not None:
            seen, wanted = scope(seen), scope(wanted)
        assert seen == wanted

    return check
