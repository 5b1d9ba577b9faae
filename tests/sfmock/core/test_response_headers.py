"""The headers every answer carries, pinned in order and value: the JSON charset, the API usage,
and gzip with its Vary when (and only when) the client accepts it. The per-call hooks were made
leaner (benchmarks/README.md, "In-process request overhead"); these answers must not move."""

from __future__ import annotations

import gzip
import json

import pytest

from sfmock import wsgi_call
from sfmock.app import create_app
from sfmock.testing import INSTANCE_URL, PASSWORD, TOKEN, USERNAME, seed_opted_out_contacts

BASE = f"{INSTANCE_URL}/services/data/v59.0"


@pytest.fixture
def served(org):
    """The app and a bearer header for the default org."""
    app = create_app(org)
    user = org.check_password(USERNAME, PASSWORD, TOKEN)
    session = org.open_session(user.user_id)
    return app, {"Authorization": f"Bearer {session.token}"}


def call(app, url: str, headers: dict) -> tuple[int, list[tuple[str, str]], bytes]:
    return wsgi_call.call(app, "GET", url, headers, None)


def test_a_large_json_answer_is_gzip_with_its_headers_in_order(org, served):
    app, auth = served
    seed_opted_out_contacts(org, 300, first=70_000_000)
    status, headers, body = call(app, f"{BASE}/query/?q=SELECT+Id,Email+FROM+Contact",
                                 {**auth, "Accept-Encoding": "gzip, deflate"})
    assert status == 200
    names = [name for name, _ in headers]
    assert names == ["Content-Type", "Content-Length", "Sforce-Limit-Info", "Content-Encoding",
                     "Vary"]
    values = dict(headers)
    assert values["Content-Type"] == "application/json;charset=UTF-8"
    assert values["Content-Encoding"] == "gzip" and values["Vary"] == "Accept-Encoding"
    assert values["Sforce-Limit-Info"].startswith("api-usage=")
    assert int(values["Content-Length"]) == len(body)
    page = gzip.decompress(body)
    assert page.endswith(b"]}\n") and json.loads(page)["totalSize"] == org.count("Contact")


@pytest.mark.parametrize("accept", ["identity", "gzip;q=0", "", "deflate"])
def test_no_gzip_unless_the_client_takes_it(served, accept):
    app, auth = served
    headers = {**auth, "Accept-Encoding": accept} if accept else auth
    status, answer, body = call(app, f"{BASE}/sobjects/Contact/describe", headers)
    names = [name for name, _ in answer]
    assert status == 200 and "Content-Encoding" not in names and "Vary" not in names
    assert json.loads(body)["name"] == "Contact"


def test_a_small_answer_stays_plain_and_an_error_names_the_charset(served):
    app, auth = served
    _, answer, body = call(app, f"{BASE}/query/?q=SELECT+COUNT()+FROM+Contact",
                           {**auth, "Accept-Encoding": "gzip"})
    assert dict(answer)["Content-Type"] == "application/json;charset=UTF-8"
    assert "Content-Encoding" not in dict(answer) and body.startswith(b'{"totalSize":')
    status, answer, body = call(app, f"{BASE}/sobjects/Nothing/describe",
                                {**auth, "Accept-Encoding": "gzip"})
    assert status == 404 and dict(answer)["Content-Type"] == "application/json;charset=UTF-8"
    assert json.loads(body)[0]["errorCode"] == "NOT_FOUND"
