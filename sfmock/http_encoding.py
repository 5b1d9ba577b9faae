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

from flask import Flask, Response, request

JSON_TYPE = "application/json;charset=UTF-8"
MIN_COMPRESSED = 256  # smaller bodies gain nothing from gzip
COMPRESS_LEVEL = 5


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


def _encode_response(response: Response) -> Response:
    if response.mimetype == "application/json":
        response.headers["Content-Type"] = JSON_TYPE
    if (response.direct_passthrough or response.is_streamed
            or "Content-Encoding" in response.headers
            or request.accept_encodings.quality("gzip") <= 0):
        return response
    data = response.get_data()
    if len(data) < MIN_COMPRESSED:
        return response
    response.set_data(gzip.compress(data, compresslevel=COMPRESS_LEVEL))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def install_encodings(app: Flask) -> None:
    """Decode gzip request bodies and encode responses as the client accepts them."""
    app.wsgi_app = GzipRequestBodies(app.wsgi_app)
    app.after_request(_encode_response)
