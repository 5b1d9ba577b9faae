"""One request straight into the Flask app, for the in-process front door.

The environ is the one werkzeug's test client builds for the same request (the same keys and
values: tests/sfmock/core/test_wsgi_call.py compares them), made without its EnvironBuilder,
request and response wrappers, which took about a third of an in-process call
(benchmarks/README.md).
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from io import BytesIO
from urllib.parse import unquote, urlsplit

Answer = tuple[int, list[tuple[str, str]], bytes]
USER_AGENT = f"Werkzeug/{version('werkzeug')}"  # the test client's, when a request names none
PORTS = {"https": "443", "http": "80"}


def environ_for(method: str, url: str, headers: dict[str, str],
                body: bytes | str | None) -> dict:
    """The WSGI environ for one request, as the Flask test client would build it."""
    parts = urlsplit(url)
    raw_uri = parts.path + (f"?{parts.query}" if parts.query else "")
    host = parts.netloc
    name, _, port = host.partition(":")
    data = body.encode() if isinstance(body, str) else body
    environ = {
        "REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": USER_AGENT,
        "REQUEST_METHOD": method.upper(), "SCRIPT_NAME": "",
        "PATH_INFO": _dance(unquote(parts.path)), "QUERY_STRING": _dance(parts.query),
        "REQUEST_URI": _dance(parts.path), "RAW_URI": raw_uri,
        "SERVER_NAME": name, "SERVER_PORT": port or PORTS.get(parts.scheme, "80"),
        "HTTP_HOST": host, "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.version": (1, 0),
        "wsgi.url_scheme": parts.scheme, "wsgi.input": BytesIO(data or b""),
        "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    content_type = None
    for key, value in headers.items():
        lowered = key.lower()
        if lowered == "content-type":
            content_type = value
        elif lowered != "content-length":
            environ[f"HTTP_{key.upper().replace('-', '_')}"] = value
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    if data:
        environ["CONTENT_LENGTH"] = str(len(data))
    elif content_type and content_type.split(";")[0].strip().lower() \
            == "application/x-www-form-urlencoded":
        environ["CONTENT_LENGTH"] = "0"  # an empty form, as the test client encodes it
    return environ


def call(app, method: str, url: str, headers: dict[str, str], body: bytes | str | None) -> Answer:
    """The app's (status, headers, body) for one request."""
    answer: list = []

    def start_response(status: str, response_headers: list, exc_info=None):
        answer[:] = [int(status.split(" ", 1)[0]), list(response_headers)]
        return lambda chunk: None

    chunks = app(environ_for(method, url, headers, body), start_response)
    try:
        content = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return answer[0], answer[1], content


def _dance(text: str) -> str:
    """A str as WSGI carries it: its UTF-8 bytes read as latin-1 (PEP 3333)."""
    return text.encode().decode("latin-1")
