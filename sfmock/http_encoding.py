"""HTTP encodings clients rely on: gzip request bodies, gzip responses, JSON's charset.

SOAP clients (and the REST API's documented "Using Compression") send bodies with
`Content-Encoding: gzip`; Salesforce decodes them, and compresses its answer when the client
sends `Accept-Encoding: gzip`. JSON answers carry `application/json;charset=UTF-8`, as real
orgs send it. One WSGI middleware and one after-request hook, shared by both front doors.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from functools import lru_cache

from flask import Flask, Response, request
from isal import isal_zlib
from werkzeug.http import parse_accept_header

JSON_TYPE = "application/json;charset=UTF-8"
MIN_COMPRESSED = 256  # smaller bodies gain nothing from gzip
COMPRESS_LEVEL = 1  # the fastest: 2x quicker than 5 on a 2,000-record page, as small
GZIP_WBITS = 31  # a gzip member (header, deflate, CRC-32 and size), as gzip.compress writes


class GzipRequestBodies:
    """WSGI middleware: a `Content-Encoding: gzip` request body reaches the app decoded."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        encoding = environ.get("HTTP_CONTENT_ENCODING", "").strip().lower()
        if encoding == "gzip":
            stream = environ["wsgi.input"]
            length = environ.get("CONTENT_LENGTH")
            raw = stream.read(int(length)) if length else stream.read()
            try:
                body = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error):
                return _bad_gzip(start_response)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_CONTENT_ENCODING"]
        return self.app(environ, start_response)


def _bad_gzip(start_response):
    body = json.dumps([{
        "message": "The request body is marked Content-Encoding: gzip but is not gzip data: "
                   "compress it with gzip or drop the header",
        "errorCode": "UNKNOWN_EXCEPTION",
    }], separators=(",", ":")).encode()
    start_response("400 Bad Request", [("Content-Type", JSON_TYPE),
                                       ("Content-Length", str(len(body)))])
    return [body]


@lru_cache(maxsize=64)
def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (werkzeug's reading, once per value: a
    client sends the same header on every call)."""
    return parse_accept_header(accept_encoding).quality("gzip") > 0


def is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON (werkzeug's `mimetype`, without its header parse)."""
    return content_type.partition(";")[0].strip().lower() == "application/json"


def _encode_response(response: Response) -> Response:
    headers = response.headers
    # One pass over the few headers: werkzeug's `in` and `get` raise and catch a KeyError
    # for an absent one, a tenth of this hook.
    present: dict[str, str] = {}
    for name, value in headers.items():
        present.setdefault(name.lower(), value)  # the first, as `headers.get` reads it
    if is_json(present.get("content-type", "")):
        headers["Content-Type"] = JSON_TYPE
    if (response.direct_passthrough or response.is_streamed
            or "content-encoding" in present
            or not accepts_gzip(request.environ.get("HTTP_ACCEPT_ENCODING", ""))):
        return response
    data = response.get_data()
    if len(data) < MIN_COMPRESSED:
        return response
    response.set_data(compress(data))
    headers["Content-Encoding"] = "gzip"
    if "vary" in present:
        response.vary.add("Accept-Encoding")
    else:
        headers["Vary"] = "Accept-Encoding"
    return response


def compress(data: bytes) -> bytes:
    """`data` as a standard gzip member, for the app and sfmock/hot_routes.py. ISA-L's
    deflate (python-isal) takes 0.1 ms for a 2,000-record page where zlib takes 0.42 ms, and
    a 1 KB body about 6 us where `gzip.compress` took 16 (benchmarks/README.md, Session 4);
    any gzip reader decodes the same bytes. The header's time stamp is 0, so equal bodies
    compress to equal bytes."""
    return isal_zlib.compress(data, COMPRESS_LEVEL, GZIP_WBITS)


def install_encodings(app: Flask) -> None:
    """Decode gzip request bodies and encode responses as the client accepts them."""
    app.wsgi_app = GzipRequestBodies(app.wsgi_app)
    app.after_request(_encode_response)
