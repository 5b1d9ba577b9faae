"""Floors: the same client and URLs answered with bodies sfmock already produced (zero emulator
work), so a benchmark can report how far each hot path is from what the client allows.

- `Recording` captures every response a `requests.Session` receives (a response hook);
- `replayed(recording)` answers the same requests in-process through a `responses` callback
  (the transport hook the in-process front door uses), returning the recorded bodies in order;
- `WsgiFloor(recording, cert_dir)` serves them from a bare WSGI app under the same keep-alive
  server class, request handler and TLS certificate as `sfmock.server.Server`;
- `median_pair` times a workload and its floor alternately in one run, so the machine's load
  falls on both alike; `floor_row` makes the runner's row (value, floor, ratio, target).
"""

from __future__ import annotations

import gc
import gzip
import re
import statistics
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import requests
import responses

from sfmock.server import make_wsgi_server, tls_context

ANY_URL = re.compile(r"https?://.*")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
# Headers the transport sets itself (lengths, framing, the server's name and date).
TRANSPORT = {"content-length", "transfer-encoding", "connection", "date", "server",
             "keep-alive"}


@dataclass
class Exchange:
    """One request as the client sent it and the response it got."""

    method: str
    target: str  # the path and query string
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def target_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Recording:
    """Every response one session received, in order."""

    exchanges: list[Exchange] = field(default_factory=list)

    def hook(self, response: requests.Response, *args, **kwargs) -> None:
        """Keep the body as it came over the wire (gzip when sfmock compressed it), and hand
        the client its decoded form as requests would have."""
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in TRANSPORT]
        wire = response.raw.read(decode_content=False)
        encoding = response.headers.get("Content-Encoding", "").lower()
        response._content = gzip.decompress(wire) if encoding == "gzip" else \
            zlib.decompress(wire) if encoding == "deflate" else wire
        self.exchanges.append(Exchange(response.request.method, target_of(response.request.url),
                                       response.status_code, headers, wire))

    @contextmanager
    def on(self, session: requests.Session) -> Iterator[Recording]:
        """Record what `session` receives inside the block."""
        self.exchanges.clear()
        session.hooks["response"].append(self.hook)
        try:
            yield self
        finally:
            session.hooks["response"].remove(self.hook)

    def player(self) -> Callable[[str, str], Exchange]:
        """A function answering (method, target) with the next exchange; a request that strays
        from the recording raises, so a floor never answers a different workload."""
        queue = iter(self.exchanges)

        def answer(method: str, target: str) -> Exchange:
            exchange = next(queue, None)
            if exchange is None or (exchange.method, exchange.target) != (method, target):
                expected = exchange and f"{exchange.method} {exchange.target}"
                raise AssertionError(f"floor replay: got {method} {target}, recorded {expected}")
            return exchange

        return answer


@contextmanager
def replayed(recording: Recording) -> Iterator[None]:
    """Answer every http(s) request with the recording, through a `responses` callback."""
    answer = recording.player()

    def callback(request) -> tuple[int, dict, bytes]:
        body = request.body
        if hasattr(body, "read"):
            body.read()
        exchange = answer(request.method, target_of(request.url))
        return exchange.status, dict(exchange.headers), exchange.body

    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    for method in METHODS:
        mock.add_callback(method, ANY_URL, callback=callback, content_type=None)
    with mock:
        yield


class WsgiFloor:
    """A bare WSGI app replaying a recording, on sfmock's server class and TLS certificate."""

    def __init__(self, cert_dir: str | Path, host: str = "127.0.0.1"):
        self.recording = Recording()
        self._answer = self.recording.player()
        context, self.ca_path = tls_context(cert_dir)
        self._server = make_wsgi_server(host, 0, self.app, context)
        self.url = f"https://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="floor-server")

    def load(self, recording: Recording) -> None:
        """Replay `recording` from its first exchange on."""
        self.recording = recording
        self._answer = recording.player()

    def app(self, environ: dict, start_response) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        stream = environ["wsgi.input"]
        if length:
            stream.read(length)
        query = environ.get("QUERY_STRING")
        target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
        exchange = self._answer(environ["REQUEST_METHOD"], target)
        headers = [*exchange.headers, ("Content-Length", str(len(exchange.body)))]
        start_response(f"{exchange.status} {HTTPStatus(exchange.status).phrase}", headers)
        return [exchange.body]

    def __enter__(self) -> WsgiFloor:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def median_pair(work: Callable[[], object], floor: Callable[[], object],
                repeats: int) -> tuple[float, float]:
    """Median seconds of `work` and of `floor`, run alternately `repeats` times each."""
    ours, theirs = [], []
    for _ in range(repeats):
        for action, times in ((work, ours), (floor, theirs)):
            times.append(_timed(action))
    return statistics.median(ours), statistics.median(theirs)


def _timed(action: Callable[[], object]) -> float:
    """Seconds one run of `action` takes with the garbage collector off, as `timeit` times:
    a full collection walks every object the process holds (its imports alone, ~70,000) and
    lands on whichever side allocates past the threshold, swinging a median by up to 2x."""
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        action()
        return time.perf_counter() - started
    finally:
        gc.enable()


def floor_row(benchmark: str, case: str, metric: str, value: float, floor: float, unit: str,
              *, target: float | None, floor_is: str) -> dict:
    """A runner row: the value, its floor as the baseline, value/floor and the ratio target."""
    ratio = value / floor if floor else None
    row = {"benchmark": benchmark, "case": case, "metric": metric,
           "value": float(f"{value:.4g}"), "unit": unit, "baseline": float(f"{floor:.4g}"),
           "ratio": float(f"{ratio:.3g}") if ratio else None,
           "note": f"floor: {floor_is}"}
    if target is not None:
        row["target"] = f"ratio <= {target:g}x"
        row["met"] = ratio is not None and ratio <= target
    return row

