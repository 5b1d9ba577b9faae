"""Server mode keeps connections alive as real Salesforce does: many requests per connection,
unread request bodies drained, every response delimited, `Connection: close` honoured, idle
connections timed out, and stopping the server closes what is left open."""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from sfmock import Org, load_fixtures
from sfmock.keepalive import KeepAliveHandler
from sfmock.server import Server, make_wsgi_server

SENTENCE = b"The quick brown fox jumps over the lazy dog.\n"


def toy_app(environ: dict, start_response) -> Iterator[bytes] | list[bytes]:
    """Answers by path: /fixed (Content-Length), /streamed (no length), /empty (204),
    /closing (the app asks to close), /echo (reads the body); nothing else reads the body."""
    path = environ["PATH_INFO"]
    if path == "/streamed":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([SENTENCE] * 3 + [b""] + [SENTENCE])
    if path == "/empty":
        start_response("204 No Content", [])
        return []
    if path == "/echo":
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(SENTENCE)))]
    if path == "/closing":
        headers.append(("Connection", "close"))
    start_response("200 OK", headers)
    return [SENTENCE]


@pytest.fixture
def toy():
    """The toy app on sfmock's keep-alive server, plain HTTP; yields its port."""
    server = make_wsgi_server("127.0.0.1", 0, toy_app, None)
    with Serving(server):
        yield server.server_port


class Serving:
    """Runs a server in a thread for the block; closing it stops it."""

    def __init__(self, server):
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self.server

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def exchange(sock: socket.socket, request: bytes) -> tuple[bytes, bytes]:
    """Send one request, read one response by its framing: (head, body)."""
    sock.sendall(request)
    reader = sock.makefile("rb")
    response = http.client.HTTPResponse(sock)
    response.fp = reader
    response.begin()
    head = b"".join(f"{k}: {v}\r\n".encode() for k, v in response.getheaders())
    return head, response.read()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def closed_by_server(sock: socket.socket, within: float = 5.0) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_many_requests_share_one_connection_with_every_response_delimited(toy):
    with connect(toy) as sock:
        for path, body in [("/fixed", SENTENCE), ("/streamed", SENTENCE * 4), ("/empty", b""),
                           ("/fixed", SENTENCE)]:
            head, got = exchange(sock, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert got == body
            assert b"Connection" not in head
        head, _ = exchange(sock, b"GET /streamed HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"Transfer-Encoding: chunked" in head
        sock.sendall(b"HEAD /fixed HTTP/1.1\r\nHost: x\r\n\r\n")  # no body, even if the app
        head = sock.recv(65536)                                     # gives one
        assert head.endswith(b"\r\n\r\n") and b"Content-Length: 45" in head
        _, got = exchange(sock, b"GET /fixed HTTP/1.1\r\nHost: x\r\n\r\n")
        assert got == SENTENCE


def test_an_unread_request_body_is_drained_before_the_next_request(toy):
    body = b"x" * 300_000
    with connect(toy) as sock:
        _, got = exchange(sock, b"POST /fixed HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%b"
                          % (len(body), body))
        assert got == SENTENCE
        chunked = b"".join(b"%x\r\n%b\r\n" % (len(part), part) for part in (body[:1000], body))
        _, got = exchange(sock, b"POST /fixed HTTP/1.1\r\nHost: x\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n" + chunked + b"0\r\n\r\n")
        assert got == SENTENCE
        _, got = exchange(sock, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        assert got == b"hello"


def test_connection_close_from_the_client_the_app_or_http_1_0_closes_after_the_response(toy):
    for request in (b"GET /fixed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    b"GET /closing HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET /fixed HTTP/1.0\r\n\r\n"):
        with connect(toy) as sock:
            head, got = exchange(sock, request)
            assert got == SENTENCE
            assert head.count(b"Connection: close") == 1
            assert closed_by_server(sock)


def test_an_http_1_0_client_gets_a_streamed_body_without_chunking(toy):
    with connect(toy) as sock:
        head, got = exchange(sock, b"GET /streamed HTTP/1.0\r\n\r\n")
        assert got == SENTENCE * 4
        assert b"chunked" not in head


def test_an_idle_connection_is_closed_after_the_timeout(toy, monkeypatch):
    monkeypatch.setattr(KeepAliveHandler, "timeout", 0.3)
    with connect(toy) as sock:
        exchange(sock, b"GET /fixed HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        assert closed_by_server(sock)
        assert 0.2 < time.monotonic() - started < 3


def test_stopping_the_server_closes_kept_alive_connections(tmp_path):
    org = Org()
    load_fixtures(org)
    server = Server(org, tls=True, cert_dir=tmp_path / "certs").start()
    context = ssl.create_default_context(cafile=str(server.ca_path))
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=context,
                                             timeout=5)
    for _ in range(3):
        connection.request("GET", "/services/data")
        response = connection.getresponse()
        assert response.status == 200 and response.read() and not response.will_close
    kept = connection.sock
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3
    assert kept.recv(1) == b""  # the server closed it (TLS close or EOF)
    org.close()


def test_a_response_that_closes_is_byte_for_byte_werkzeug_s():
    """The same app under werkzeug's own handler (which closes every connection) and under
    sfmock's asked to close: identical status lines, headers in order, framing and bodies."""
    stock = make_server("127.0.0.1", 0, toy_app, threaded=True)
    ours = make_wsgi_server("127.0.0.1", 0, toy_app, None)
    requests = [b"GET /fixed HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /streamed HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /empty HTTP/1.1\r\nHost: x\r\n\r\n",
                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"]
    with Serving(stock), Serving(ours):
        for request in requests:
            raw = {}
            for name, server in (("stock", stock), ("ours", ours)):
                with connect(server.server_port) as sock:
                    sock.sendall(request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
                                 if name == "ours" else request)
                    raw[name] = b"".join(iter(lambda s=sock: s.recv(65536), b""))
            assert _without_date(raw["ours"]) == _without_date(raw["stock"]), request


def _without_date(response: bytes) -> bytes:
    lines = response.split(b"\r\n")
    return b"\r\n".join(line for line in lines if not line.startswith(b"Date: "))


def test_a_client_that_never_speaks_tls_holds_up_no_one(tmp_path):
    org = Org()
    load_fixtures(org)
    with Server(org, tls=True, cert_dir=tmp_path / "certs") as server:
        with connect(server.port):  # connected, silent: no ClientHello
            context = ssl.create_default_context(cafile=str(server.ca_path))
            connection = http.client.HTTPSConnection("127.0.0.1", server.port,
                                                     context=context, timeout=5)
            connection.request("GET", "/services/data")
            assert connection.getresponse().status == 200
            connection.close()
    org.close()
