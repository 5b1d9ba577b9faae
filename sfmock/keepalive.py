"""HTTP/1.1 keep-alive for werkzeug's threaded server, as real Salesforce keeps connections open.

werkzeug's handler answers every request with `Connection: close` (http.server cannot tell
where an unread request body ends), so each API call paid a new TCP and TLS handshake.
`KeepAliveHandler` serves request after request on one connection:

- the app reads the body through a stream limited to its Content-Length (or werkzeug's
  de-chunker), and whatever it left unread is drained before the next request line;
- every response is delimited: its Content-Length, or chunked when the app gives none (an
  HTTP/1.0 client gets a close-delimited body instead, and its connection closed);
- `Connection: close` from the client or the app closes the connection after the response;
- a connection idle for `IDLE_TIMEOUT` seconds is closed, so its thread ends;
- `KeepAliveServer.server_close` closes idle connections and waits for requests in flight;
- the TLS handshake happens in the connection's own thread (werkzeug does it in `accept`, so
  one client that connected and never spoke TLS held up every other client).

The status line and headers go out in one send with the first body chunk.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from email.utils import formatdate

from werkzeug.exceptions import InternalServerError
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler, connection_dropped_errors
from werkzeug.wsgi import LimitedStream

# Seconds a connection may wait for its next request. Longer than any client's own pool
# timeout we know of (Node's agent: 5 s), so the client, not the server, closes first.
IDLE_TIMEOUT = 30.0
STOP_WAIT = 5.0  # seconds server_close waits for requests in flight
NO_BODY = (204, 304)


class _Date:
    """The Date header's value, formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._value = formatdate(second, usegmt=True)
            self._second = second
        return self._value


_date = _Date()


class KeepAliveHandler(WSGIRequestHandler):
    """werkzeug's WSGI handler, serving many requests per connection."""

    server: KeepAliveServer
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    # The headers go out with the body in one send, but a chunked response is several sends:
    # with Nagle's algorithm on, each waits for the client's delayed ACK (15-20 ms a call).
    disable_nagle_algorithm = True

    def handle(self) -> None:
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()  # bounded by `timeout`
            except (OSError, ValueError):
                return  # gone, or not speaking TLS: nothing to answer (as in werkzeug's accept)
        super().handle()

    def handle_one_request(self) -> None:
        if not self.server.await_request(self):
            self.close_connection = True
            return
        super().handle_one_request()

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        if self.request_version != "HTTP/1.1":
            self.close_connection = True
        body = environ["wsgi.input"]
        if not environ.get("wsgi.input_terminated"):  # not chunked: Content-Length bounds it
            body = environ["wsgi.input"] = LimitedStream(self.rfile, self._content_length())
        self._head_sent = False
        try:
            self._respond(self.server.app, environ)
        except connection_dropped_errors as exc:
            self.close_connection = True
            self.connection_dropped(exc, environ)
            return
        except Exception as exc:
            if self._head_sent:  # too late for a 500: the client sees the connection close
                self.close_connection = True
            else:
                try:
                    self._respond(InternalServerError(), environ)
                except Exception:  # noqa: BLE001 - the connection is gone; closing is all left
                    self.close_connection = True
            from werkzeug.debug.tbtools import DebugTraceback

            self.server.log("error",
                            f"Error on request:\n{DebugTraceback(exc).render_traceback_text()}")
        if self.server.stopping:
            self.close_connection = True
        if not self.close_connection:
            self._drain(body)

    def _content_length(self) -> int:
        value = self.headers.get("Content-Length")
        if value is None:
            return 0  # an HTTP/1.1 request without Content-Length or chunking has no body
        try:
            length = int(value)
        except ValueError:
            length = -1
        if length < 0:  # the next request's start is unknowable: answer, then close
            self.close_connection = True
            return 0
        return length

    def _respond(self, app: Callable, environ: dict) -> None:
        state: dict = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
            if exc_info:
                try:
                    if self._head_sent:
                        raise exc_info[1].with_traceback(exc_info[2])
                finally:
                    exc_info = None
            elif state:
                raise AssertionError("Headers already set")
            state["status"], state["headers"] = status, headers
            return write

        def write(data: bytes) -> None:
            assert isinstance(data, bytes), "applications must write bytes"
            if not self._head_sent:
                head = self._head(state["status"], state["headers"])
                self._head_sent = True
                self.wfile.write(head + self._frame(data))
            elif data:
                self.wfile.write(self._frame(data))

        iterable: Iterable[bytes] = app(environ, start_response)
        try:
            for data in iterable:
                if data or not self._head_sent:
                    write(data)
            if not self._head_sent:
                write(b"")
            if self._chunked:
                self.wfile.write(b"0\r\n\r\n")
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    def _frame(self, data: bytes) -> bytes:
        if self.command == "HEAD":  # the length of the body a GET would get, never the body
            return b""
        if self._chunked and data:
            return b"%x\r\n%b\r\n" % (len(data), data)
        return data

    def _head(self, status: str, headers: list[tuple[str, str]]) -> bytes:
        """The status line and headers; decides the framing and whether to keep the
        connection."""
        code = int(status.split(None, 1)[0])
        self.log_request(code)
        lines = [f"HTTP/1.1 {status}\r\nServer: {self.version_string()}\r\n"
                 f"Date: {_date.now()}\r\n"]
        delimited = self.command == "HEAD" or 100 <= code < 200 or code in NO_BODY
        closing = False
        for key, value in headers:
            lines.append(f"{key}: {value}\r\n")
            name = key.lower()
            if name == "content-length":
                delimited = True
            elif name == "connection" and value.lower() == "close":
                closing = True
        self._chunked = not delimited and self.request_version == "HTTP/1.1"
        if self._chunked:
            lines.append("Transfer-Encoding: chunked\r\n")
        elif not delimited:  # an HTTP/1.0 client: the body ends where the connection does
            self.close_connection = True
        if self.server.stopping:
            self.close_connection = True
        if closing:
            self.close_connection = True
        elif self.close_connection:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        return "".join(lines).encode("latin-1")

    def _drain(self, body) -> None:
        """Read what the app left of the request body, so the next request starts clean."""
        try:
            if isinstance(body, LimitedStream):
                body.exhaust()
            else:  # werkzeug's de-chunker: read to its last chunk
                while body.read(65536):
                    pass
        except Exception:  # noqa: BLE001 - a client gone mid-body: nothing to keep alive
            self.close_connection = True


class KeepAliveServer(ThreadedWSGIServer):
    """werkzeug's threaded server, tracking its connections so that closing it closes them."""

    def __init__(self, host: str, port: int, app: Callable, handler: type[KeepAliveHandler],
                 ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(host, port, app, handler)
        if ssl_context is not None:  # handshakes in the handler, not in accept (see above)
            self.socket = ssl_context.wrap_socket(self.socket, server_side=True,
                                                  do_handshake_on_connect=False)
        self.ssl_context = ssl_context
        self.stopping = False
        self._lock = threading.Lock()
        self._idle: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()

    def process_request(self, request, client_address) -> None:
        worker = threading.Thread(target=self._work, args=(request, client_address),
                                  daemon=True, name="sfmock-connection")
        with self._lock:
            self._workers.add(worker)
        worker.start()

    def _work(self, request, client_address) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._workers.discard(threading.current_thread())

    def await_request(self, handler: KeepAliveHandler) -> bool:
        """Wait (up to the handler's timeout) for the next request on a connection; False
        when the client closed it, it idled out, or the server is stopping."""
        connection = handler.connection
        with self._lock:
            if self.stopping:
                return False
            self._idle.add(connection)
        try:
            return bool(handler.rfile.peek(1))
        except (OSError, ValueError):  # idle past the timeout, or shut by server_close
            return False
        finally:
            with self._lock:
                self._idle.discard(connection)

    def server_close(self) -> None:
        """Stop listening, close idle connections, and wait for requests in flight."""
        super().server_close()
        with self._lock:
            self.stopping = True
            idle, workers = list(self._idle), list(self._workers)
        for connection in idle:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already gone
        deadline = time.monotonic() + STOP_WAIT
        for worker in workers:
            if worker is not threading.current_thread():
                worker.join(max(0.0, deadline - time.monotonic()))
