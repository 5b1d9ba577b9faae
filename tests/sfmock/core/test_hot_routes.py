"""The hot routes (sfmock/hot_routes.py) answer exactly as the Flask app does: two apps on copies
of one org and one clock, one with the hot routes and one without, get the same calls in the same
order; every status line, header and body, and the records and API usage afterwards, match. Each
call also says who answered it, so the hot routes are seen to serve what they claim, and to pass
on what they must not touch."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from sfmock.app import create_app
from sfmock.hot_routes import HANDED_OVER, HotRoutes
from sfmock.models.fixtures import load_fixtures
from sfmock.models.org import Org
from sfmock.testing import INSTANCE_URL, PASSWORD, TOKEN, USERNAME, seed_opted_out_contacts
from sfmock.wsgi_call import environ_for

API = f"{INSTANCE_URL}/services/data/v59.0"
MOMENT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HOT, HANDED, FLASK = "hot", "handed over", "flask"  # who answered a call


class Twin:
    """One app on its copy of the org; `who` tells who answered the last call."""

    def __init__(self, org: Org, hot: bool):
        self.org = org
        self.app = create_app(org)
        self.routes = self.app.extensions["sfmock.hot_routes"]
        assert isinstance(self.routes, HotRoutes)
        self.routes.enabled = hot
        flask_app, self.who = self.routes.wsgi_app, HOT

        def counting(environ, start_response):
            self.who = HANDED if HANDED_OVER in environ else FLASK
            return flask_app(environ, start_response)

        self.routes.wsgi_app = counting

    def call(self, method: str, url: str, headers: dict, body: bytes | None):
        """(status line, headers, body) for one request, and who answered it."""
        self.who = HOT
        answer: list = []
        chunks = self.app(environ_for(method, url, headers, body),
                          lambda status, headers, exc_info=None: answer.extend([status, headers]))
        content = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
        return (answer[0], answer[1], content), self.who


@pytest.fixture
def twins(tmp_path):
    """(hot, flask, ids): the apps on two copies of one org, and the names used in calls."""
    source = tmp_path / "org.db"
    org = Org(source, clock=lambda: MOMENT)
    load_fixtures(org)
    contacts = seed_opted_out_contacts(org, 30, first=60_000_000)
    user = org.check_password(USERNAME, PASSWORD, TOKEN).user_id
    blocked = org.add_user("blocked@sfmock.dev", PASSWORD, TOKEN, last_name="Blocked")
    org.behaviours.disable_api("blocked@sfmock.dev")
    names = {"token": org.open_session(user).token, "spare": org.open_session(user).token,
             "blocked": org.open_session(blocked).token, "contacts": contacts,
             "account": org.insert("Account", {"Name": "Twin Corp"})}
    org.close()
    copies = []
    for name, hot in (("hot.db", True), ("flask.db", False)):
        shutil.copy(source, tmp_path / name)
        copies.append(Twin(Org(tmp_path / name, clock=lambda: MOMENT), hot))
    for twin in copies:
        twin.org.behaviours.disable_api("blocked@sfmock.dev")  # behaviours live in memory
    yield *copies, names
    for twin in copies:
        twin.org.close()


def same(one: tuple, other: tuple) -> None:
    """Equal answers; a gzip body may differ only in its header's timestamp (bytes 4-7)."""
    (status, headers, body), (status2, headers2, body2) = one, other
    assert (status, headers) == (status2, headers2)
    if ("Content-Encoding", "gzip") in headers:
        assert gzip.decompress(body) == gzip.decompress(body2)
        body, body2 = body[:4] + body[8:], body2[:4] + body2[8:]
    assert body == body2


def run(hot: Twin, flask: Twin, steps: list) -> None:
    """Each step on both twins: a call (compared, with who answered it) or an org change."""
    for step in steps:
        if callable(step):
            step(hot.org)
            step(flask.org)
            continue
        expected_who, method, url, headers, body = step
        answer, who = hot.call(method, url, headers, body)
        plain, flask_who = flask.call(method, url, headers, body)
        assert flask_who == FLASK
        same(answer, plain)
        assert who == expected_who, (method, url, answer)
    usage = [twin.org.api_usage() for twin in (hot, flask)]
    assert usage[0] == usage[1] and usage[0][0] > 0
    for type_name in ("Contact", "Account"):
        assert list(hot.org.records(type_name, include_deleted=True)) == \
            list(flask.org.records(type_name, include_deleted=True))


def bearer(token: str, **more: str) -> dict:
    return {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip, deflate", **more}


def test_reading_a_record_answers_as_flask_does(twins):
    hot, flask, names = twins
    one, deleted = names["contacts"][:2]
    auth = bearer(names["token"])
    steps = [
        (HOT, "GET", f"{API}/sobjects/Contact/{one}", auth, None),
        (HOT, "GET", f"{API}/sobjects/Contact/{one}", {"Authorization": auth["Authorization"]},
         None),
        (HOT, "GET", f"{API}/sobjects/contact/{one[:15]}", auth, None),
        (HOT, "GET", f"{API}/sobjects/Contact/{one}", {"X-SFDC-Session": names["token"]}, None),
        (HOT, "GET", f"{API}/sobjects/Account/{names['account']}", auth, None),
        (HANDED, "GET", f"{API}/sobjects/Contact/003000000000000AAA", auth, None),
        (HANDED, "GET", f"{API}/sobjects/Contact/003xyz", auth, None),
        (HANDED, "GET", f"{API}/sobjects/Contact/{names['account']}", auth, None),
        (HANDED, "GET", f"{API}/sobjects/Nothing/{one}", auth, None),
        (HANDED, "GET", f"{API}/sobjects/Contact/{one}", {}, None),
        (HANDED, "GET", f"{API}/sobjects/Contact/{one}", bearer("00Dnot!a-session"), None),
        (HANDED, "GET", f"{API}/sobjects/Contact/{one}", bearer(names["blocked"]), None),
        (HANDED, "GET", f"{INSTANCE_URL}/services/data/v20.0/sobjects/Contact/{one}", auth,
         None),
        (FLASK, "DELETE", f"{API}/sobjects/Contact/{deleted}", auth, None),
        (HANDED, "GET", f"{API}/sobjects/Contact/{deleted}", auth, None),
        # Not the hot routes' to answer: fields=, other rules' words, cookies, HEAD, a slash.
        (FLASK, "GET", f"{API}/sobjects/Contact/{one}?fields=Id,Email", auth, None),
        (FLASK, "GET", f"{API}/sobjects/Contact/{one}?fields=Nope", auth, None),
        (FLASK, "GET", f"{API}/sobjects/Contact/describe", auth, None),
        (FLASK, "GET", f"{API}/sobjects/Contact/listviews", auth, None),
        (FLASK, "GET", f"{API}/sobjects/Contact/{one}", {**auth, "Cookie": "a=b"}, None),
        (FLASK, "HEAD", f"{API}/sobjects/Contact/{one}", auth, None),
        (FLASK, "GET", f"{API}/sobjects/Contact/{one}/", auth, None),
    ]
    run(hot, flask, steps)


def test_updating_a_record_answers_as_flask_does(twins):
    hot, flask, names = twins
    one, two, gone = names["contacts"][:3]
    auth = bearer(names["token"], **{"Content-Type": "application/json"})

    def patch(who: str, record_id: str, body: object, headers: dict = auth,
              sobject: str = "Contact") -> tuple:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return who, "PATCH", f"{API}/sobjects/{sobject}/{record_id}", headers, data

    steps = [
        patch(HOT, one, {"HasOptedOutOfEmail": False, "Title": "Caf\u00e9 \u2028 owner"}),
        patch(HOT, one[:15], {"LastName": "Twin"},
              {**auth, "Content-Type": "application/json; charset=UTF-8"}),
        patch(HOT, two, {"FirstName": "A" * 40, "Email": "twin@example.com"}),
        patch(HANDED, two, {"FirstName": "A" * 41}),
        patch(HANDED, one, {"NoSuchField__c": 1}),
        patch(HANDED, one, {"Email": "not an email"}),
        patch(HANDED, one, {"CreatedDate": "2020-01-01T00:00:00.000+0000"}),
        patch(HANDED, one, b"{not json"),
        patch(HANDED, one, b"[1, 2]"),
        patch(FLASK, one, b""),  # no Content-Length at all
        patch(HANDED, one, b"\xff\xfe{}"),
        patch(HANDED, one, {"LastName": "X"}, sobject="Nothing"),
        patch(HANDED, "003000000000000AAA", {"LastName": "X"}),
        patch(HANDED, one, {"LastName": "X"}, {"Content-Type": "application/json"}),
        patch(HANDED, one, {"LastName": "X"}, bearer(names["blocked"], **{
            "Content-Type": "application/json"})),
        (FLASK, "DELETE", f"{API}/sobjects/Contact/{gone}", auth, None),
        patch(HANDED, gone, {"LastName": "X"}),
        # Not JSON, or not as werkzeug reads JSON: Flask's.
        patch(FLASK, one, {"LastName": "Y"}, {**auth, "Content-Type": "text/plain"}),
        patch(FLASK, one, {"LastName": "Y"}, {**auth, "Cookie": "a=b"}),
        patch(FLASK, one, {"LastName": "Y"}, sobject="Contact/" + one),
    ]
    run(hot, flask, steps)


def test_a_query_answers_as_flask_does(twins):
    hot, flask, names = twins
    auth = bearer(names["token"])
    one = names["contacts"][0]

    def soql(who: str, text: str, headers: dict = auth, path: str = "query/") -> tuple:
        return who, "GET", f"{API}/{path}?q={quote(text)}", headers, None

    steps = [
        soql(HOT, f"SELECT Id, Email FROM Contact WHERE Id = '{one}'"),
        soql(HOT, "SELECT Id, Email, HasOptedOutOfEmail FROM Contact ORDER BY Email"),
        soql(HOT, "SELECT COUNT() FROM Contact"),
        soql(HOT, "SELECT Id, Name, Account.Name FROM Contact LIMIT 3", path="query"),
        soql(HOT, "SELECT Id FROM Contact WHERE LastName = 'Zo\u00eb \\' \"'"),
        soql(HOT, "SELECT Id FROM Contact", {**auth, "Sforce-Query-Options": "batchSize=200"}),
        soql(HANDED, "SELECT Nope FROM Contact"),
        soql(HANDED, "SELECT Id FROM"),
        soql(HANDED, "SELECT Id FROM Contact", {}),
        (HOT, "GET", f"{API}/query/?q=SELECT+Id+FROM+Contact+LIMIT+1", auth, None),
        # Other readings of the query string, and other routes: Flask's.
        (FLASK, "GET", f"{API}/query/?q=+", auth, None),
        (FLASK, "GET", f"{API}/query/", auth, None),
        (FLASK, "GET", f"{API}/query/?explain={quote('SELECT Id FROM Contact')}", auth, None),
        (FLASK, "GET", f"{API}/query/?q={quote('SELECT Id FROM Contact')}&columns=true",
         auth, None),
        (FLASK, "GET", f"{API}/query/?q=SELECT+Id+FROM+Contact&q=x", auth, None),
        soql(FLASK, "SELECT Id FROM Contact", path="queryAll/"),
    ]
    run(hot, flask, steps)


def test_next_pages_answer_as_flask_does(twins):
    hot, flask, names = twins
    auth = bearer(names["token"])
    for twin in (hot, flask):
        seed_opted_out_contacts(twin.org, 450, first=61_000_000)

    def both(url: str, headers: dict = auth) -> tuple[dict | None, str]:
        """Both twins' answer (compared), as JSON, and who answered the hot twin."""
        answer, who = hot.call("GET", url, headers, None)
        plain, flask_who = flask.call("GET", url, headers, None)
        assert flask_who == FLASK
        same(answer, plain)
        body = answer[2]
        if ("Content-Encoding", "gzip") in answer[1]:
            body = gzip.decompress(body)
        return json.loads(body), who

    soql = quote("SELECT Id, Email, Account.Name FROM Contact ORDER BY Email")
    page, who = both(f"{API}/query/?q={soql}", {**auth, "Sforce-Query-Options": "batchSize=200"})
    pages = [(page, who)]
    while not page["done"]:
        page, who = both(f"{INSTANCE_URL}{page['nextRecordsUrl']}")
        pages.append((page, who))
    assert [len(p["records"]) for p, _ in pages] == [200, 200, 110]
    assert [w for _, w in pages] == [HOT, HOT, HOT]
    locator = pages[0][0]["nextRecordsUrl"].rsplit("/", 1)[1]
    assert both(f"{API}/query/{locator}", {})[1] == HANDED  # no session
    assert both(f"{API}/query/01g000000000000AAA-200")[1] == HANDED  # an unknown locator
    assert both(f"{API}/query/{locator}?x=1")[1] == FLASK
    assert both(f"{API}/queryAll/{locator}")[1] == FLASK
    run(hot, flask, [])  # the same API usage and records


def test_a_collections_update_answers_as_flask_does(twins):
    hot, flask, names = twins
    contacts = names["contacts"]
    auth = bearer(names["token"], **{"Content-Type": "application/json"})
    url = f"{API}/composite/sobjects"

    def patch(who: str, body: object, headers: dict = auth, at: str = url) -> tuple:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return who, "PATCH", at, headers, data

    def records(*changes: tuple[str, dict], all_or_none: bool = False) -> dict:
        return {"allOrNone": all_or_none, "records": [
            {"attributes": {"type": "Contact"}, "id": record_id, **fields}
            for record_id, fields in changes]}

    flip = [(record_id, {"HasOptedOutOfEmail": False}) for record_id in contacts[:20]]
    mixed = [(contacts[20], {"Title": "Caf\u00e9"}), ("003000000000000AAA", {"Title": "X"}),
             (contacts[21], {"Email": "not an email"}), (contacts[22], {"Nope__c": 1}),
             (contacts[23][:15], {"LastName": "Short"}), (names["account"], {"Name": "Acme"})]

    def record_fault(org: Org) -> None:
        org.faults.add("UNABLE_TO_LOCK_ROW", scope="record", path="/composite/sobjects", times=1)

    steps = [
        patch(HOT, records(*flip)),
        patch(HOT, records(*mixed)),
        patch(HOT, records(*mixed, all_or_none=True)),
        patch(HOT, records((contacts[24], {"Title": "Twice"}), (contacts[24], {"Title": "Again"}))),
        patch(HANDED, records()),
        record_fault, patch(HOT, records(*flip[:3])),
        patch(HANDED, b"{not json"),
        patch(HANDED, b"[1, 2]"),
        patch(HANDED, {"records": "not a list"}),
        patch(HANDED, records(*[(c, {"Title": "Many"}) for c in contacts[:1] * 201])),
        patch(HANDED, records(*flip[:2]), {"Content-Type": "application/json"}),
        patch(HANDED, records(*flip[:2]), bearer(names["blocked"], **{
            "Content-Type": "application/json"})),
        # Not the hot route's: another body type, a cookie, a slash, other methods and rules.
        patch(FLASK, records(*flip[:2]), {**auth, "Content-Type": "text/plain"}),
        patch(FLASK, records(*flip[:2]), {**auth, "Cookie": "a=b"}),
        patch(FLASK, records(*flip[:2]), at=f"{url}/"),
        patch(FLASK, records(*flip[:2]), at=f"{url}/Contact/Id"),
        (FLASK, "POST", url, auth, json.dumps(records()).encode()),
        (FLASK, "DELETE", f"{url}?ids={contacts[25]}", auth, None),
    ]
    run(hot, flask, steps)
    assert [i.fault for i in hot.org.faults.log] == [i.fault for i in flask.org.faults.log] \
        == ["UNABLE_TO_LOCK_ROW"]


def test_fault_rules_and_the_api_allocation_apply_as_in_flask(twins):
    hot, flask, names = twins
    one = names["contacts"][0]
    auth = bearer(names["token"])
    read = (HOT, "GET", f"{API}/sobjects/Contact/{one}", auth, None)

    def rule(fault: str, **spec) -> Callable[[Org], object]:
        return lambda org: org.faults.add(fault, path="/sobjects/Contact/", times=1, **spec)

    steps = [
        read,
        rule("503"), (HANDED, *read[1:]),
        rule("UNABLE_TO_LOCK_ROW", method="PATCH"),
        (HANDED, "PATCH", f"{API}/sobjects/Contact/{one}",
         {**auth, "Content-Type": "application/json"}, b'{"LastName": "Locked"}'),
        rule("latency", ms=1), read,
        rule("drop"), (HANDED, *read[1:]),
        rule("INVALID_SESSION_ID"), (HANDED, *read[1:]), (HANDED, *read[1:]),
        (HOT, "GET", read[2], bearer(names["spare"]), None),
        lambda org: org.set_api_limit(org.api_usage()[0]),
        (HANDED, "GET", read[2], bearer(names["spare"]), None),
    ]
    run(hot, flask, steps)
    assert [i.fault for i in hot.org.faults.log] == [i.fault for i in flask.org.faults.log] \
        == ["503", "UNABLE_TO_LOCK_ROW", "latency", "drop", "INVALID_SESSION_ID"]


def test_the_app_serves_its_hot_routes_as_mirrored(twins):
    """The hot routes mirror the app's hooks and views; a new hook or view turns them off, and
    this test fails until sfmock/hot_routes.py mirrors it too."""
    hot, _, names = twins
    rivals = hot.routes.rivals()
    assert sorted(rivals) == [("GET", "next page"), ("GET", "query"), ("GET", "record"),
                              ("PATCH", "collection"), ("PATCH", "record")]
    words = {word for found in rivals.values() for rival in found for word in rival.values()}
    assert {"describe", "listviews", "quickActions", "updated", "deleted"} <= words
    _, who = hot.call("GET", f"{API}/sobjects/Contact/{names['contacts'][0]}",
                      bearer(names["token"]), None)
    assert who == HOT


@pytest.mark.parametrize("hook", ["after_request", "before_request", "teardown_request",
                                  "teardown_appcontext", "url_value_preprocessor"])
def test_an_unmirrored_hook_sends_every_call_to_flask(org, hook):
    app = create_app(org)
    getattr(app, hook)(lambda *args: None)
    assert app.extensions["sfmock.hot_routes"].rivals() == {}


def test_server_mode_keeps_one_connection_through_hot_and_handed_over_calls(server, server_sf):
    """Over HTTPS keep-alive, a hot PATCH reads exactly its body: the next request on the
    connection parses, whether the call was answered hot, handed over, or chunked to Flask."""
    one = server.org.records("Contact").__next__()["Id"]
    url = f"{server_sf.base_url}sobjects/Contact/{one}"
    session = server_sf.session
    headers = {**server_sf.headers, "Content-Type": "application/json"}
    answers = [
        session.patch(url, data=b'{"Title": "Hot"}', headers=headers),
        session.patch(url, data=b"{not json", headers=headers),
        session.patch(url, data=iter([b'{"Title": ', b'"Chunked"}']), headers=headers),
        session.get(url, headers=server_sf.headers),
    ]
    assert [a.status_code for a in answers] == [204, 400, 204, 200]
    assert answers[1].json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert answers[3].json()["Title"] == "Chunked"
    found = server_sf.query(f"SELECT Title FROM Contact WHERE Id = '{one}'")["records"]
    assert [r["Title"] for r in found] == ["Chunked"]
    pools = session.get_adapter(url).poolmanager.pools
    assert [pools[key].num_connections for key in pools.keys()] == [1]  # login included


@pytest.mark.parametrize("setting", [("sort_keys", True), ("compact", False),
                                     ("ensure_ascii", False)])
def test_the_apps_json_settings_carry_over(twins, setting):
    """A JSON setting changed on the app (as a test might) writes the hot answers too."""
    hot, flask, names = twins
    for twin in (hot, flask):
        setattr(twin.app.json, *setting)
    auth = bearer(names["token"])
    one = names["contacts"][0]
    run(hot, flask, [
        (HOT, "GET", f"{API}/sobjects/Contact/{one}", auth, None),
        (HOT, "PATCH", f"{API}/sobjects/Contact/{one}", {**auth, "Content-Type":
         "application/json"}, '{"Title": "Caf\u00e9"}'.encode()),
        (HOT, "GET", f"{API}/query/?q={quote(f'SELECT Title FROM Contact WHERE Id = {one!r}')}",
         auth, None),
    ])
