"""The in-process front door hands the app the very environ, and so gets the very response,
that werkzeug's test client would (sfmock/wsgi_call.py)."""

from __future__ import annotations

import json

import pytest
from flask.testing import EnvironBuilder

from sfmock import mock_salesforce
from sfmock.app import create_app
from sfmock.models.org import Org
from sfmock.testing import CLIENT_ID, CLIENT_SECRET, INSTANCE_URL, PASSWORD, TOKEN, USERNAME
from sfmock.wsgi_call import call, environ_for

API = f"{INSTANCE_URL}/services/data/v59.0"
JSON = {"Content-Type": "application/json", "User-Agent": "python-requests/2.32",
        "Accept": "*/*", "Accept-Encoding": "gzip, deflate", "Connection": "keep-alive"}
REQUESTS = [
    ("GET", f"{API}/query/?q=SELECT+Id%2C+Name+FROM+Contact+WHERE+Name+%3D+%27Zo%C3%AB%27",
     JSON, None),
    ("GET", f"{API}/sobjects/Contact/describe/", {"Accept": "application/json"}, b""),
    ("PATCH", f"{API}/composite/sobjects", JSON,
     json.dumps({"allOrNone": False, "records": []}).encode()),
    ("POST", "https://login.salesforce.com/services/oauth2/token",
     {"Content-Type": "application/x-www-form-urlencoded"},
     f"grant_type=password&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
     f"&username={USERNAME}&password={PASSWORD}{TOKEN}"),
    ("POST", "https://login.salesforce.com/services/oauth2/token",
     {"Content-Type": "application/x-www-form-urlencoded"}, None),
    ("DELETE", f"{API}/sobjects/Contact/003000000000000AAA", {"X-Extra": "a b"}, None),
    ("PUT", f"http://127.0.0.1:8443{API[len(INSTANCE_URL):]}/jobs/ingest/750x/batches",
     {"Content-Type": "text/csv"}, b"LastName\nSmith\n"),
    ("HEAD", f"{API}/sobjects/Contact/caf%C3%A9/", {}, None),
]


def builder_environ(app, method, url, headers, body) -> dict:
    """What Flask's test client builds for the request (as sfmock.inprocess called it)."""
    client = app.test_client(use_cookies=False)
    head, _, rest = url.partition("://")
    netloc, _, path_and_query = rest.partition("/")
    path, _, query = f"/{path_and_query}".partition("?")
    builder = EnvironBuilder(app, path, base_url=f"{head}://{netloc}", method=method,
                             query_string=query, headers=headers, data=body,
                             environ_base=client._copy_environ({}),
                             environ_overrides={"RAW_URI": path + (f"?{query}" if query else "")})
    try:
        return builder.get_environ()
    finally:
        builder.close()


@pytest.mark.parametrize(("method", "url", "headers", "body"), REQUESTS)
def test_the_environ_is_the_test_clients(method, url, headers, body):
    app = create_app(Org())
    expected = builder_environ(app, method, url, headers, body)
    got = environ_for(method, url, headers, body)
    assert got["wsgi.input"].read() == expected["wsgi.input"].read()
    for environ in (got, expected):
        environ.pop("wsgi.input")
    assert got == expected


def test_every_response_is_the_test_clients_byte_for_byte():
    with mock_salesforce() as org:
        app = create_app(org)
        client = app.test_client(use_cookies=False)
        status, _, content = call(app, *REQUESTS[3])
        assert status == 200
        bearer = {"Authorization": f"Bearer {json.loads(content)['access_token']}"}
        for method, url, headers, body in REQUESTS:
            if "oauth2" in url:
                continue  # a new random token each time: its environ is compared above
            headers = {**headers, **bearer}
            got = call(app, method, url, headers, body)
            reference = client.open(builder_environ(app, method, url, headers, body))
            expected = (reference.status_code, list(reference.headers.items()),
                        reference.get_data())
            assert without_usage(got) == without_usage(expected)


def without_usage(answer):
    """The answer without its API usage header (each call counts one more)."""
    status, headers, content = answer
    return status, [(k, v) for k, v in headers if k != "Sforce-Limit-Info"], content
