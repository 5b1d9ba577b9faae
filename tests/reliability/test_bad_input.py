"""Bad input: each gets a clear one-line error and nothing already stored is lost.

The CLI runs in-process against the in-process default org; the capture endpoint and the
public unsubscribe page through Flask's test client; the SOQL engine and the capture endpoint
are fuzzed with hypothesis.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfmock import mock_salesforce
from sfmock.errors import SalesforceError
from sfmock.models.fixtures import DEFAULT_FIXTURES, load_fixtures
from sfmock.models.org import Org
from sfmock.soql.engine import QueryEngine
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.cli import main
from syncer.salesforce.ids import to18
from syncer.service import Syncer
from syncer.web import auth, create_app
from syncer.web.tokens import LinkTokens

INJECTIONS = ["x' OR Email != '", "a@b.com' OR Id != null OR Email = '", "\\' OR 1=1 --",
              "ann@example.com'; DELETE FROM Contact; --", "%' OR Email LIKE '%"]
BAD_EMAILS = ["", " ", "not-an-email", "a@b", "@example.com", "ann@", "ann@@example.com",
              "ann example@example.com", "a" * 250 + "@example.com", "ann@exa mple.com",
              *INJECTIONS]


@pytest.fixture
def world(tmp_path):
    """(org, env, run): the default org in-process, the CLI's env, and `run(*args)`."""
    env = {"SYNCER_DB": str(tmp_path / "syncer.db"), "SF_USERNAME": USERNAME,
           "SF_PASSWORD": PASSWORD, "SF_SECURITY_TOKEN": TOKEN, "SYNCER_CONFIG": "",
           "SF_LOGIN_URL": "", "SF_CLIENT_ID": "", "SF_CLIENT_SECRET": ""}

    def run(*args: str):
        result = CliRunner().invoke(main, list(args), env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    with mock_salesforce() as org:
        yield org, env, run


def _refused(result) -> str:
    """The one line of a refused command's stderr."""
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def _snapshot(store) -> list:
    return [[(p.id, p.email, p.salesforce_id, p.opted_out) for p in store.iter_people()],
            store.count_events()]


@pytest.fixture
def seeded(world, make_config, tmp_path):
    """The world with two people already stored (one opted out); returns (world, before)."""
    org, env, run = world
    contact = org.insert("Contact", {"LastName": "Kept", "Email": "kept@example.com"})
    assert run("people", "import", _csv(tmp_path, f"email,salesforce_id\nkept@example.com,"
                                        f"{contact}\nother@example.com,\n")).exit_code == 0
    assert run("unsubscribe", "kept@example.com").exit_code == 0
    with Syncer(make_config(tmp_path / "syncer.db")) as syncer:
        before = _snapshot(syncer.store)
    return world, before


def _csv(tmp_path, text: str | bytes, name: str = "people.csv") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def _unchanged(make_config, tmp_path, before) -> None:
    with Syncer(make_config(tmp_path / "syncer.db")) as syncer:
        assert _snapshot(syncer.store) == before


@pytest.mark.parametrize("email", BAD_EMAILS)
def test_malformed_emails_are_refused_in_one_line(seeded, email, make_config, tmp_path):
    (org, env, run), before = seeded
    line = _refused(run("unsubscribe", email))
    assert "email" in line.lower()
    _unchanged(make_config, tmp_path, before)


def test_bad_salesforce_ids_are_refused_in_one_line(seeded, make_config, tmp_path):
    (org, env, run), before = seeded
    contact = org.insert("Contact", {"LastName": "Zed", "Email": "zed@example.com"})
    account = next(iter(org.db["Account"].rows))["Id"]
    wrong = contact[:15] + ("AAA" if contact[15:] != "AAA" else "BBB")
    for sfid, says in ((wrong, "checksum"), (account, "Contact (003...) or Lead"),
                       (contact[:14], "not a Salesforce ID"), ("003' OR Id != '", "not a"),
                       ("003xx000004TmiQ!!", "not a Salesforce ID")):
        line = _refused(run("unsubscribe", "zed@example.com", "--salesforce-id", sfid))
        assert says in line, line
    _unchanged(make_config, tmp_path, before)


def test_15_and_18_character_ids_name_the_same_person(world, make_config, tmp_path):
    org, env, run = world
    contact = org.insert("Contact", {"LastName": "Fif", "Email": "fif@example.com"})
    assert run("unsubscribe", "fif@example.com", "--salesforce-id", contact[:15]).exit_code == 0
    assert run("unsubscribe", "fif@example.com", "--salesforce-id",
               contact[:15] + contact[15:].lower()).exit_code == 0
    assert org.get("Contact", contact)["HasOptedOutOfEmail"]
    with Syncer(make_config(tmp_path / "syncer.db")) as syncer:
        person = syncer.store.find_person_by_salesforce_id(to18(contact[:15]))
        assert person.email == "fif@example.com" and person.salesforce_id == contact
        assert syncer.store.count_people() == 1


def test_soql_injection_in_emails_and_names_reads_nothing_else(world, make_config, tmp_path):
    org, env, run = world
    opted_out = {row["Id"] for row in org.db["Contact"].rows if row["HasOptedOutOfEmail"]}
    obrien = org.insert("Contact", {"LastName": "O'Brien", "Email": "o'brien@example.com"})
    sneaky = org.insert("Contact", {"LastName": "x' OR Email != '", "Email": "sneak@example.com"})
    path = _csv(tmp_path, "email,first_name,last_name\no'brien@example.com,Con,O'Brien\n"
                "sneak@example.com,x' OR Email != ',x' OR LastName != '\n")
    assert run("people", "import", path).exit_code == 0
    linked = run("people", "link")
    assert linked.exit_code == 0 and "linked 2" in linked.output, linked.output
    assert run("unsubscribe", "o'brien@example.com").exit_code == 0
    assert org.get("Contact", obrien)["HasOptedOutOfEmail"]
    now = {row["Id"] for row in org.db["Contact"].rows if row["HasOptedOutOfEmail"]}
    assert now == opted_out | {obrien}  # the quote did not widen any query or write
    with Syncer(make_config(tmp_path / "syncer.db")) as syncer:
        assert syncer.store.get_person("sneak@example.com").salesforce_id == sneaky


def test_deleted_and_converted_records_keep_the_capture(world, make_config, tmp_path):
    org, env, run = world
    gone = org.insert("Contact", {"LastName": "Gone", "Email": "gone@example.com"})
    lead = org.insert("Lead", {"LastName": "Lee", "Company": "Acme", "Email": "lee@example.com"})
    path = _csv(tmp_path, f"email,salesforce_id\ngone@example.com,{gone}\nlee@example.com,{lead}\n")
    assert run("people", "import", path).exit_code == 0
    org.delete("Contact", gone)
    converted = org.convert_lead(lead)
    for email in ("gone@example.com", "lee@example.com"):
        result = run("unsubscribe", email)
        assert "Traceback" not in result.output
    with Syncer(make_config(tmp_path / "syncer.db")) as syncer:
        for email in ("gone@example.com", "lee@example.com"):
            person = syncer.store.get_person(email)
            assert person.opted_out is True
            actions = [e["action"] for e in syncer.store.person_history(person.id)]
            assert "unsubscribe" in actions
    contact_id = converted["contactId"] if isinstance(converted, dict) else converted
    assert org.get("Contact", contact_id)["HasOptedOutOfEmail"]


@pytest.mark.parametrize("content", [
    b"email,salesforce_id\n\xff\xfeann@example.com,\n",                   # not UTF-8
    "email,salesforce_id\nann@example.com,\n".encode("utf-16"),           # UTF-16
    b"name,phone\nAnn,555\n",                                            # no email column
    b"",                                                                  # empty
    b"\x00\x01\x02binary\x00",                                            # binary
])
def test_unusable_csv_files_are_refused_in_one_line(seeded, content, make_config, tmp_path):
    (org, env, run), before = seeded
    line = _refused(run("people", "import", _csv(tmp_path, content, "bad.csv")))
    assert len(line) < 300
    _unchanged(make_config, tmp_path, before)


def test_csv_with_bad_rows_keeps_the_good_ones(seeded, tmp_path, make_config):
    (org, env, run), before = seeded
    path = _csv(tmp_path, "email,salesforce_id\nnew@example.com,\nnot-an-email,\n"
                "x@example.com,001000000000001\n")
    result = run("people", "import", path)
    assert result.exit_code != 0 and "Traceback" not in result.output
    for line in result.stderr.strip().splitlines():
        assert line.startswith(("line ", "Error: ")), line
    with Syncer(make_config(tmp_path / "syncer.db")) as syncer:
        assert syncer.store.get_person("new@example.com") is not None
        assert syncer.store.get_person("kept@example.com").opted_out is True


def test_missing_csv_file_is_one_line(world, tmp_path):
    org, env, run = world
    _refused(run("people", "import", str(tmp_path / "nope.csv")))


# -- the capture endpoint and the unsubscribe page ----------------------------------------------


@pytest.fixture
def web(tmp_path, make_config):
    """(app, syncer, bearer headers) over the in-process default org."""
    with mock_salesforce(), Syncer(make_config(tmp_path / "syncer.db")) as syncer:
        key = auth.create_api_key(syncer.store, "fuzz")
        syncer.store.upsert_person("kept@example.com", source="import")
        syncer.store.capture("kept@example.com", opted_out=True, source="api")
        yield create_app(syncer), syncer, {"Authorization": f"Bearer {key}"}


def test_capture_endpoint_refuses_bad_bodies_with_one_line(web):
    app, syncer, bearer = web
    client = app.test_client()
    before = _snapshot(syncer.store)
    cases = [
        (dict(data=b"{", content_type="application/json"), 400),
        (dict(data=b"\xff\xfe{}", content_type="application/json"), 400),
        (dict(data=b"[1, 2]", content_type="application/json"), 400),
        (dict(data=b'"ann@example.com"', content_type="application/json"), 400),
        (dict(data=b"email=ann@example.com", content_type="application/x-www-form-urlencoded"),
         415),
        (dict(data=b"{}", content_type="text/plain"), 415),
        (dict(json={}), 400),
        (dict(json={"email": None}), 400),
        (dict(json={"email": ["a@b.com"]}), 400),
        (dict(json={"email": "ann@example.com", "admin": True}), 400),
        (dict(json={"email": "ann@example.com", "occurred_at": "yesterday"}), 400),
        (dict(json={"email": "ann@example.com", "occurred_at": "2999-01-01T00:00:00Z"}), 400),
        (dict(json={"email": "ann@example.com", "source": "hack"}), 400),
        (dict(json={"email": "ann@example.com", "reason": "r" * 5000}), 400),
        (dict(json={"salesforce_id": "001000000000001AAA"}), 400),
        (dict(json={"email": "a@example.com", "pad": "x" * 70_000}), 413),
        (dict(data=b"[" * 100_000, content_type="application/json"), 413),
        *[(dict(json={"email": bad}), 400) for bad in BAD_EMAILS],
    ]
    for kwargs, status in cases:
        answer = client.post("/api/unsubscribes", headers=bearer, **kwargs)
        assert answer.status_code == status, (kwargs, answer.status_code, answer.data[:200])
        body = answer.get_json()
        assert list(body) == ["error"] and "\n" not in body["error"], body
    assert _snapshot(syncer.store) == before


def test_deeply_nested_json_is_a_400_not_a_500(web):
    app, syncer, bearer = web
    answer = app.test_client().post("/api/unsubscribes", headers=bearer,
                                    data=b"[" * 5_000 + b"]" * 5_000,
                                    content_type="application/json")
    assert answer.status_code == 400


def test_forged_and_expired_unsubscribe_links_are_refused(web):
    app, syncer, bearer = web
    person = syncer.store.upsert_person("link@example.com", source="import")
    person = syncer.store.get_person(person)
    client = app.test_client()
    good = LinkTokens(auth.secret_key(syncer.store)).make(person)
    forged = [good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
              LinkTokens("another secret").make(person), "garbage", "a.b.c", "%00", "x" * 4000]
    for token in forged:
        for method in ("GET", "POST"):
            answer = client.open(f"/unsubscribe/{token}", method=method,
                                 data={"List-Unsubscribe": "One-Click"})
            assert answer.status_code in (400, 404), (token, answer.status_code)
    old = LinkTokens(auth.secret_key(syncer.store), clock=lambda: 1_000_000_000).make(person)
    expired = client.post(f"/unsubscribe/{old}", data={"List-Unsubscribe": "One-Click"})
    assert expired.status_code == 410
    assert syncer.store.get_person(person.id).opted_out is False


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=12)
FIELDS = st.sampled_from(["email", "salesforce_id", "source", "reason", "occurred_at"])
BODIES = JSON | st.dictionaries(FIELDS, JSON | st.emails() | st.sampled_from(
    ["003000000000001AAA", "00Q000000000001", "api", "link", "2026-01-01T00:00:00Z",
     *INJECTIONS]), max_size=5)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=BODIES, raw=st.binary(max_size=64), as_raw=st.booleans(),
       path=st.sampled_from(["/api/unsubscribes", "/api/resubscribes"]))
def test_capture_endpoint_fuzz_never_500(web, body, raw, as_raw, path):
    app, syncer, bearer = web
    client = app.test_client()
    data = raw if as_raw else json.dumps(body).encode()
    answer = client.post(path, headers=bearer, data=data, content_type="application/json")
    assert answer.status_code in (202, 400, 401, 413, 415), (body, answer.status_code,
                                                             answer.data[:300])
    assert syncer.store.get_person("kept@example.com").opted_out in (True, False)


# -- the SOQL parser ----------------------------------------------------------------------------


@functools.cache
def _soql_org() -> Org:
    org = Org()
    load_fixtures(org, DEFAULT_FIXTURES)
    return org


WORDS = ["SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "LIMIT", "OFFSET", "ORDER", "BY",
         "ASC", "DESC", "NULLS", "FIRST", "LAST", "IN", "LIKE", "INCLUDES", "GROUP", "COUNT()",
         "COUNT(Id)", "Id", "Email", "Name", "LastName", "Account.Name", "HasOptedOutOfEmail",
         "Contact", "Lead", "Account", "User", "Foo__c", ",", "(", ")", "=", "!=", "<", ">=",
         "'x'", "'o\\'brien'", "'", "\\", "null", "true", "TODAY", "LAST_N_DAYS:3",
         "2026-01-01", "2026-01-01T00:00:00Z", "1", "-1", "1e309", "99999999999999999999",
         ":bind", "FOR", "UPDATE", "WITH", "SECURITY_ENFORCED", "USING", "SCOPE", "%", "_",
         "IsDeleted", "*"]


@settings(max_examples=400, deadline=None)
@given(soql=st.lists(st.sampled_from(WORDS), max_size=14).map(" ".join)
       | st.text(max_size=80)
       | st.lists(st.sampled_from(WORDS), max_size=10).map(
           lambda words: "SELECT Id FROM Contact WHERE " + " ".join(words)),
       include_deleted=st.booleans())
def test_soql_fuzz_answers_or_raises_a_salesforce_error(soql, include_deleted):
    engine = QueryEngine.for_org(_soql_org())
    try:
        result = engine.query(soql, include_deleted=include_deleted, version="59.0")
    except SalesforceError as problem:
        assert problem.body()[0]["errorCode"] and problem.body()[0]["message"]
    else:
        assert isinstance(result["records"], list)


def test_the_console_script_refuses_bad_input_in_one_line(tmp_path):
    """The real `syncer` process: exit 1, one stderr line, no traceback (Salesforce is never
    reached: bad input is refused before any call)."""
    bin_dir = Path(sys.executable).parent
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "SYNCER_DB": str(tmp_path / "s.db"),
           "SF_LOGIN_URL": "https://127.0.0.1:9", "SF_USERNAME": USERNAME,
           "SF_PASSWORD": PASSWORD, "SF_SECURITY_TOKEN": TOKEN}
    bad_csv = _csv(tmp_path, b"\xff\xfe\x00bad", "bad.csv")
    for args in (["unsubscribe", "x' OR Email != '"],
                 ["unsubscribe", "ann@example.com", "--salesforce-id", "001000000000001AAA"],
                 ["resubscribe", "ann@example.com", "--reason", " "],
                 ["people", "import", bad_csv]):
        done = subprocess.run([str(bin_dir / "syncer"), *args], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode != 0, args
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, (args, done.stderr)
