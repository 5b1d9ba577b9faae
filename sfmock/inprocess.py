"""In-process front door: `requests` and `httpx` traffic to Salesforce hosts is replayed into the
Flask app (`requests` through the `responses` library, httpx, sync and async, through `respx`)."""

from __future__ import annotations

import re
from contextlib import ContextDecorator
from pathlib import Path

import httpx
import requests
import responses
import respx

from . import wsgi_call
from .app import create_app
from .models.faults import DROPPED
from .models.fixtures import DEFAULT_FIXTURES, load_fixtures
from .models.org import Org
from .models.schema_import import load_schema
from .testing import INSTANCE_URL as DEFAULT_INSTANCE

SALESFORCE_URL = re.compile(r"https?://([A-Za-z0-9-]+\.)*salesforce\.com(:\d+)?(/.*)?$")
LOCAL_URL = re.compile(r"https?://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(/.*)?$")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
KEPT_CALLS = 32  # the transport libraries' call history, dropped when it reaches this

_active: list[Org] = []
_httpx_routers: list[respx.MockRouter] = []  # the innermost block serves httpx, as with requests


def active_org() -> Org:
    """The org of the innermost active `mock_salesforce` block (for decorator users)."""
    if not _active:
        raise RuntimeError("no mock_salesforce block is active")
    return _active[-1]


class mock_salesforce(ContextDecorator):  # noqa: N801  (named like moto's mock_aws)
    """Serve Salesforce hosts from a fresh emulated org, with no socket.

    >>> from simple_salesforce import Salesforce
    >>> with mock_salesforce() as org:
    ...     sf = Salesforce(username="integration@sfmock.dev", password="sfmock-password",
    ...                     security_token="sfmock-token")
    ...     sf.query("SELECT COUNT() FROM Contact")["totalSize"] == org.count("Contact")
    True
    """

    def __init__(
        self,
        *,
        fixtures: str | Path | None = DEFAULT_FIXTURES,
        schema: str | Path | None = None,
        db_path: str | Path | None = None,
        clock=None,
        instance_url: str = DEFAULT_INSTANCE,
        pubsub: bool = False,
        pubsub_keepalive: float = 270.0,
    ):
        self.fixtures = fixtures
        self.schema = schema  # a folder of describe JSON files (models/schema_import.py)
        self.db_path = db_path
        self.clock = clock
        self.instance_url = instance_url
        self.org: Org | None = None
        self._mock: responses.RequestsMock | None = None
        self._pubsub_options = (pubsub, pubsub_keepalive)
        self.pubsub = None  # the Pub/Sub API server for this org, when asked for
        self._httpx: respx.MockRouter | None = None

    def __enter__(self) -> Org:
        org = Org(self.db_path, clock=self.clock)
        org.instance_url = self.instance_url
        if self.schema is not None:
            load_schema(org, self.schema)
        if self.fixtures and not org.users:
            load_fixtures(org, self.fixtures)
        self.org = org
        self.app = create_app(org)
        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        mock.add_passthru(LOCAL_URL)
        for method in METHODS:
            mock.add_callback(method, SALESFORCE_URL, callback=self._replay, content_type=None)
        mock.start()
        self._mock = mock
        router = respx.MockRouter(assert_all_called=False)
        router.route(url__regex=LOCAL_URL.pattern).pass_through()
        router.route(url__regex=SALESFORCE_URL.pattern).mock(side_effect=self._replay_httpx)
        if _httpx_routers:
            _httpx_routers[-1].stop()
        router.start()
        _httpx_routers.append(router)
        self._httpx = router
        _active.append(org)
        if self._pubsub_options[0]:
            self.pubsub = self.start_pubsub(keepalive=self._pubsub_options[1])
        return org

    def start_pubsub(self, *, keepalive: float = 270.0):
        """Serve this org's Pub/Sub API (gRPC over TLS, a local CA) on a free 127.0.0.1 port;
        it stops with the block. gRPC needs a socket: no transport hook exists for it."""
        import tempfile

        from .pubsub import PubSubServer

        self._cert_dir = tempfile.TemporaryDirectory(prefix="sfmock-pubsub-")
        self.pubsub = PubSubServer(self.org, cert_dir=self._cert_dir.name,
                                   keepalive=keepalive).start()
        return self.pubsub

    def __exit__(self, *exc_info) -> None:
        if self.pubsub is not None:
            self.pubsub.stop()
            self._cert_dir.cleanup()
            self.pubsub = None
        if self._mock is not None:
            self._mock.stop()
            self._mock.reset()
        if self._httpx is not None:
            self._httpx.stop()
            _httpx_routers.remove(self._httpx)
            if _httpx_routers:
                _httpx_routers[-1].start()
        if self.org is not None:
            _active.remove(self.org)
            self.org.close()
        self._mock = self._httpx = self.org = None

    def _forget_calls(self) -> None:
        """Drop the call history `responses` and `respx` keep for their own asserts, which
        sfmock never makes: a long in-process session held every request and response it
        served (every query page's body too), and each full garbage collection walked them
        all (benchmarks/README.md). At most KEPT_CALLS are kept."""
        if self._mock is not None and len(self._mock.calls) >= KEPT_CALLS:
            self._mock.calls.reset()
            for registered in self._mock.registered():
                registered.calls.reset()
        if self._httpx is not None and len(self._httpx.calls) >= KEPT_CALLS:
            self._httpx.reset()

    def _replay(self, request) -> tuple[int, dict, bytes]:
        """Send one PreparedRequest through the Flask app and hand back its response."""
        self._forget_calls()
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        response = self._open(request.method, request.url, request.headers.items(), body)
        if response is None:  # a `drop` fault: no response at all
            raise requests.exceptions.ConnectionError(
                f"Connection aborted: sfmock dropped {request.method} {request.url}")
        return response

    def _replay_httpx(self, request: httpx.Request) -> httpx.Response:
        """Send one httpx request through the Flask app (respx calls this for sync and async)."""
        self._forget_calls()
        answer = self._open(request.method, str(request.url), request.headers.multi_items(),
                            request.read())
        if answer is None:
            raise httpx.RemoteProtocolError(
                f"Server disconnected: sfmock dropped {request.method} {request.url}",
                request=request)
        status, headers, content = answer
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content),
                              request=request)

    def _open(self, method: str, full_url: str, header_items, body) -> tuple[int, dict, bytes] | None:
        """The app's (status, headers, body) for one request, or None when it was dropped."""
        headers = {k: v for k, v in header_items if k.lower() != "content-length"}
        status, response_headers, content = wsgi_call.call(self.app, method, full_url, headers,
                                                           body)
        out_headers = {}
        for key, value in response_headers:
            if key.lower() == DROPPED.lower():
                return None
            if key.lower() != "content-length":
                out_headers[key] = value
        return status, out_headers, content


