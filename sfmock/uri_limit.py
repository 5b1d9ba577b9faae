"""Salesforce's request-size limits, enforced in front of the app for both front doors.

"In each REST call, the maximum length for the combined URI and headers is 16,384 bytes. A
request exceeding this limit returns a 431 Request Header Fields Too Large error. If the URI
itself exceeds this limit, the request returns a 414 URI Too Long error." (Salesforce Help,
article 000386264). The body is the web server's HTML page, as real orgs answered clients:
`<h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>` (simple-salesforce#271,
jsforce#1134).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import quote

MAX_BYTES = 16_384
_REASONS = {414: "URI Too Long", 431: "Request Header Fields Too Large"}

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


def request_uri(environ: dict) -> str:
    """The request target as the client sent it: path and query string."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return raw
    path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
    query = environ.get("QUERY_STRING", "")
    return path + (f"?{query}" if query else "")


def header_bytes(environ: dict) -> int:
    """The size of the request's header lines (`Name: value` plus CRLF each). WSGI carries
    header values as latin-1 strings: one byte a character."""
    total = 0
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            total += len(key) - 5 + 2 + len(str(value)) + 2
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            total += len(key) + 2 + len(str(value)) + 2
    return total


class UriLimit:
    """WSGI middleware: 414 for a URI over 16,384 bytes, 431 for URI plus headers over it.

    Requests carrying the `exempt` environ flag (Composite subrequests) pass: the limit is on
    the HTTP request, and Salesforce's advice for a long SOQL statement is to send it inside
    a Composite request body.
    """

    def __init__(self, app: WsgiApp, exempt: str):
        self.app = app
        self.exempt = exempt

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get(self.exempt):
            return self.app(environ, start_response)
        uri = len(request_uri(environ).encode("utf-8"))
        status = 414 if uri > MAX_BYTES else (
            431 if uri + header_bytes(environ) > MAX_BYTES else None)
        if status is None:
            return self.app(environ, start_response)
        reason = _REASONS[status]
        body = f"<h1>Bad Message {status}</h1><pre>reason: {reason}</pre>".encode()
        start_response(f"{status} {reason}", [
            ("Content-Type", "text/html;charset=iso-8859-1"),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ])
        return [body]
