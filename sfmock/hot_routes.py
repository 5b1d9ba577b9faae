"""The hottest data calls, answered without Flask's per-request machinery.

A one-record GET spent about 50 us in Flask itself (the request context and its session, URL
matching over 127 rules, Response objects, signals, the hooks) around 35 us of its own work
(benchmarks/README.md, "Session 4: small calls"). `HotRoutes` sits in front of Flask's own
dispatch (inside the gzip-body and URI-limit middlewares, so both front doors go through it)
and answers GET and PATCH of one record (`sobjects/<type>/<id>`), a SOQL query (`query?q=`)
and its next pages (`query/<locator>`), and an sObject Collections update (PATCH
`composite/sobjects`) straight from the WSGI environ, making the same model calls in the
same order as the app's hooks and views: the session, `admit` (API access, fault rules, the
API count), the view's work; then the headers as the hooks write them (Sforce-Limit-Info, the
JSON charset, gzip and Vary).

Anything else goes to Flask untouched: another method or route, a query string the view would
read, a cookie, a body that is not plain JSON with a Content-Length, a Composite subrequest, a
path segment another rule names (`sobjects/Contact/describe`), a Flask signal receiver, or an
app whose hooks are not the ones mirrored here. An exception once a call is under way is handed
to Flask with the request (`HANDED_OVER`); its first hook raises it, so every error is rendered
and hooked by the app exactly as before. tests/sfmock/core/test_hot_routes.py compares status,
headers, body and the org afterwards with the Flask path's, call by call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from json import JSONEncoder
from urllib.parse import parse_qsl

from flask import Flask, Response, request, signals
from flask.json.provider import DefaultJSONProvider
from werkzeug.http import parse_options_header
from werkzeug.wsgi import get_input_stream

from .api import composite, query, sobjects
from .api.context import SUBREQUEST, admit, data_session
from .http_encoding import JSON_TYPE, MIN_COMPRESSED, accepts_gzip, compress
from .models import collections
from .sessions import CookieSessions
from .soql import QueryEngine
from .soql.render import RecordsJson, page_json

HANDED_OVER = "sfmock.hot_routes.raised"  # environ key: the exception Flask raises for us
RECORD = re.compile(r"/services/data/v([0-9.]+)/sobjects/(\w+)/(\w+)", re.ASCII)
QUERY = re.compile(r"/services/data/v([0-9.]+)/query/?")
NEXT_PAGE = re.compile(r"/services/data/v([0-9.]+)/query/([^/]+)")
COLLECTION = re.compile(r"/services/data/v([0-9.]+)/composite/sobjects")
# Path segments as the rival check reads them ('*' where the path has a variable).
RECORD_SHAPE = ["", "services", "data", "*", "sobjects", "*", "*"]
QUERY_SHAPE = ["", "services", "data", "*", "query"]
NEXT_PAGE_SHAPE = ["", "services", "data", "*", "query", "*"]
COLLECTION_SHAPE = ["", "services", "data", "*", "composite", "sobjects"]
ROUTES = {  # (method, shape) -> the endpoint and view whose answers HotRoutes gives
    ("GET", "record"): ("sobjects.read", sobjects.read),
    ("PATCH", "record"): ("sobjects.update", sobjects.update),
    ("GET", "query"): ("query.query", query.query),
    ("GET", "next page"): ("query.query_more", query.query_more),
    ("PATCH", "collection"): ("composite.update", composite.update),
}
SHAPES = {"record": RECORD_SHAPE, "query": QUERY_SHAPE, "next page": NEXT_PAGE_SHAPE,
          "collection": COLLECTION_SHAPE}
SAMPLES = {"record": "/services/data/v59.0/sobjects/Contact/003000000000001AAA",
           "query": "/services/data/v59.0/query",
           "next page": "/services/data/v59.0/query/01g000000000001AAA-2000",
           "collection": "/services/data/v59.0/composite/sobjects"}
# The app's own hooks, as this module mirrors them (module.qualname): another hook turns the
# hot routes off until it is mirrored here too.
BEFORE = ["sfmock.hot_routes.raise_handed_over", "sfmock.app._authenticate"]
AFTER = ["sfmock.http_encoding._encode_response", "sfmock.app._limit_info"]
SIGNALS = (signals.request_started, signals.request_finished, signals.request_tearing_down,
           signals.got_request_exception, signals.appcontext_pushed,
           signals.appcontext_popped, signals.appcontext_tearing_down)
STATUS = {code: Response(status=code).status for code in (200, 204)}  # werkzeug's wording
EMPTY_TYPE = Response(status=204).headers["Content-Type"]  # an empty answer's, as Flask sends it

Answer = tuple[str, list[tuple[str, str]], bytes]
WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


def install_hot_routes(app: Flask) -> None:
    """Answer the hot routes ahead of Flask's dispatch. Call before the app's other hooks and
    middlewares are added: its hook must run first, and its middleware sit innermost."""
    app.before_request(raise_handed_over)
    app.wsgi_app = app.extensions["sfmock.hot_routes"] = HotRoutes(app, app.wsgi_app)


def raise_handed_over() -> None:
    """Raise the exception a hot route met, so the app renders it as its own."""
    raised = request.environ.pop(HANDED_OVER, None)
    if raised is not None:
        raise raised


class HotRoutes:
    """WSGI middleware: the hot routes' answers, the rest passed to `wsgi_app` (Flask's)."""

    def __init__(self, app: Flask, wsgi_app: WsgiApp):
        self.app = app
        self.wsgi_app = wsgi_app
        self.enabled = True  # the test of sameness switches it off to get Flask's answers
        self._rivals: dict[tuple[str, str], list[dict[int, str]]] | None = None
        self._blocked: dict[tuple[str, str], list[tuple[tuple[int, ...], set]]] | None = None
        self._encoder: JSONEncoder | None = None
        self._encoder_settings: tuple = ()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        serve = self._route(environ) if self.enabled else None
        if serve is None:
            return self.wsgi_app(environ, start_response)
        try:
            status, headers, body = serve()
        except Exception as exc:  # rendered by the app, as it would have been
            environ[HANDED_OVER] = exc
            return self.wsgi_app(environ, start_response)
        start_response(status, headers)
        return [body]

    # -- which requests are hot ------------------------------------------------------------

    def _route(self, environ: dict) -> Callable[[], Answer] | None:
        """The call that answers this request, or None for Flask to answer it."""
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "PATCH") or "HTTP_COOKIE" in environ \
                or environ.get(SUBREQUEST):
            return None
        for signal in SIGNALS:
            if signal.receivers:
                return None
        blocked = self._blocked if self._blocked is not None else self._block()
        path = environ.get("PATH_INFO", "")
        if (found := RECORD.fullmatch(path)) is not None:
            key = (method, "record")
            parts = path.split("/")
        elif (found := QUERY.fullmatch(path)) is not None:
            key = (method, "query")
            parts = path.rstrip("/").split("/")
        elif (found := NEXT_PAGE.fullmatch(path)) is not None:
            key = (method, "next page")
            parts = path.split("/")
        elif (found := COLLECTION.fullmatch(path)) is not None:
            key = (method, "collection")
            parts = path.split("/")
        else:
            return None
        if key not in blocked:
            return None
        for indexes, words in blocked[key]:
            if tuple(parts[i] for i in indexes) in words:
                return None
        org = self.app.config["ORG"]
        if key[1] == "query":
            soql = _only_q(environ.get("QUERY_STRING", ""))
            if soql is None:
                return None
            return lambda: self._query(org, environ, path, found.group(1), soql)
        if key[1] == "next page":
            if environ.get("QUERY_STRING"):
                return None
            return lambda: self._next_page(org, environ, path, *found.groups())
        if key[1] == "collection":
            if not _plain_json_body(environ):
                return None
            return lambda: self._update_many(org, environ, path)
        version, sobject, record_id = found.groups()
        if method == "GET":
            if environ.get("QUERY_STRING"):
                return None  # `fields=` is the view's to read
            return lambda: self._read(org, environ, path, version, sobject, record_id)
        if not _plain_json_body(environ):
            return None
        return lambda: self._update(org, environ, path, sobject, record_id)

    def rivals(self) -> dict[tuple[str, str], list[dict[int, str]]]:
        """For each hot route the app still serves as mirrored here, the static segments of
        every other rule that would answer some of its paths first; {} when the app's hooks
        or views are not the ones mirrored. Worked out on the first call (Flask takes no new
        hooks or rules once it has served one)."""
        if self._rivals is not None:
            return self._rivals
        app = self.app
        rivals: dict[tuple[str, str], list[dict[int, str]]] = {}
        if _hooks_as_mirrored(app):
            adapter = app.url_map.bind("sfmock.invalid")
            for (method, shape), (endpoint, view) in ROUTES.items():
                if app.view_functions.get(endpoint) is not view or \
                        adapter.match(SAMPLES[shape], method)[0] != endpoint:
                    continue
                found = [static for rule in app.url_map.iter_rules()
                         if rule.endpoint != endpoint and method in (rule.methods or ())
                         and (static := _static_segments(rule.rule, SHAPES[shape])) is not None]
                if {} not in found:  # a rule that takes every such path: Flask's, always
                    rivals[(method, shape)] = found
        self._rivals = rivals
        return rivals

    def _block(self) -> dict[tuple[str, str], list[tuple[tuple[int, ...], set]]]:
        """`rivals`, grouped for the per-call check: [(indexes, the words found there)]."""
        blocked = {}
        for key, found in self.rivals().items():
            groups: dict[tuple[int, ...], set[tuple[str, ...]]] = {}
            for rival in found:
                groups.setdefault(tuple(rival), set()).add(tuple(rival.values()))
            blocked[key] = list(groups.items())
        self._blocked = blocked
        return blocked

    # -- the answers -------------------------------------------------------------------------

    def _read(self, org, environ: dict, path: str, version: str, sobject: str,
              record_id: str) -> Answer:
        session = data_session(org, path, environ)
        admit(org, session, "GET", path)
        return self._json(org, environ, sobjects.read_record(org, version, sobject, record_id))

    def _update(self, org, environ: dict, path: str, sobject: str, record_id: str) -> Answer:
        session = data_session(org, path, environ)
        admit(org, session, "PATCH", path)
        sobjects.update_record(org, sobject, record_id,
                               lambda: sobjects.json_object(self._body(environ)),
                               session.user_id)
        return STATUS[204], [("Content-Type", EMPTY_TYPE), _limit_info(org)], b""

    def _update_many(self, org, environ: dict, path: str) -> Answer:
        """api/composite.py's `update`: an sObject Collections PATCH (never a subrequest)."""
        session = data_session(org, path, environ)
        admit(org, session, "PATCH", path)
        results = collections.update(org, composite.parsed_body(self._body(environ)),
                                     user_id=session.user_id, all_or_none=None,
                                     on_record=composite.record_hook(org, "PATCH", path))
        text = composite.results_text(self.app.json, results)
        if text is None:
            return self._json(org, environ, results)
        return self._answer(org, environ, text.encode())

    def _body(self, environ: dict) -> object:
        """What `request.get_json(silent=True)` reads: the JSON body, or None."""
        try:
            return self.app.json.loads(get_input_stream(environ).read())
        except ValueError:
            return None

    def _query(self, org, environ: dict, path: str, version: str, soql: str) -> Answer:
        """api/query.py's `_run` and `_page` for a plain `q=` (explain, columns and queryAll
        go to Flask)."""
        session = data_session(org, path, environ)
        admit(org, session, "GET", path)
        options = query.BATCH_SIZE.search(environ.get("HTTP_SFORCE_QUERY_OPTIONS", ""))
        page = QueryEngine.for_org(org).query(
            soql, include_deleted=False, batch_size=int(options.group(1)) if options else None,
            version=version, as_json=True)
        return self._page(org, environ, page)

    def _next_page(self, org, environ: dict, path: str, version: str, locator: str) -> Answer:
        """api/query.py's `query_more`: the page after a query locator."""
        session = data_session(org, path, environ)
        admit(org, session, "GET", path)
        page = QueryEngine.for_org(org).query_more(locator, version=version, as_json=True)
        return self._page(org, environ, page)

    def _page(self, org, environ: dict, page: dict) -> Answer:
        """api/query.py's `_page`: records already written as JSON are spliced in."""
        if isinstance(page.get("records"), RecordsJson):
            return self._answer(org, environ, page_json(page))
        return self._json(org, environ, page)

    def _json(self, org, environ: dict, value: object) -> Answer:
        """What `jsonify(value)` sends: the app's JSON, compact unless debugging, a newline."""
        provider = self.app.json
        compact = not ((provider.compact is None and self.app.debug) or provider.compact is False)
        if compact and type(provider) is DefaultJSONProvider:
            # `provider.dumps` with the same settings, without a new encoder per call
            encoder = self._encoder
            settings = (provider.ensure_ascii, provider.sort_keys, provider.default)
            if encoder is None or self._encoder_settings != settings:
                encoder = self._encoder = JSONEncoder(
                    ensure_ascii=settings[0], sort_keys=settings[1], default=settings[2],
                    separators=(",", ":"))
                self._encoder_settings = settings
            text = encoder.encode(value)
        else:
            text = provider.dumps(value, **({"separators": (",", ":")} if compact
                                            else {"indent": 2}))
        return self._answer(org, environ, f"{text}\n".encode())

    def _answer(self, org, environ: dict, body: bytes) -> Answer:
        """A 200 JSON answer with the headers the app's hooks give it, in their order."""
        if len(body) >= MIN_COMPRESSED and accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")):
            body = compress(body)
            return STATUS[200], [("Content-Type", JSON_TYPE), ("Content-Length", str(len(body))),
                                 _limit_info(org), ("Content-Encoding", "gzip"),
                                 ("Vary", "Accept-Encoding")], body
        return STATUS[200], [("Content-Type", JSON_TYPE), ("Content-Length", str(len(body))),
                             _limit_info(org)], body


def _limit_info(org) -> tuple[str, str]:
    used, maximum = org.api_usage()
    return "Sforce-Limit-Info", f"api-usage={used}/{maximum}"


@lru_cache(maxsize=64)
def _only_q(query_string: str) -> str | None:
    """The SOQL of a query string holding a non-blank `q` and nothing else (Flask's reading
    of it), or None. Kept for the texts read lately, as `soql.parser.parse` keeps their ASTs:
    unquoting a 300-Id IN list took 0.1 ms a call."""
    try:
        args = parse_qsl(query_string.encode("latin-1").decode(), keep_blank_values=True,
                         errors="werkzeug.url_quote")
    except UnicodeError:
        return None
    if len(args) != 1 or args[0][0] != "q" or not args[0][1].strip():
        return None
    return args[0][1]


def _plain_json_body(environ: dict) -> bool:
    """A JSON body that `request.get_json` reads (werkzeug's `is_json`), bounded by its
    Content-Length: chunked or unbounded bodies go to Flask."""
    if "wsgi.input_terminated" in environ or "HTTP_TRANSFER_ENCODING" in environ \
            or not environ.get("CONTENT_LENGTH", "").isdigit():
        return False
    mimetype = parse_options_header(environ.get("CONTENT_TYPE", ""))[0].lower()
    return mimetype == "application/json" or (mimetype.startswith("application/")
                                              and mimetype.endswith("+json"))


def _hooks_as_mirrored(app: Flask) -> bool:
    """Whether the app runs exactly the hooks this module mirrors, and nothing else per
    request on the hot routes' blueprints."""
    def names(functions) -> list[str]:
        return [f"{f.__module__}.{f.__qualname__}" for f in functions]

    blueprints = {endpoint.partition(".")[0] for endpoint, _ in ROUTES.values()}
    others = [functions.get(name) for name in blueprints
              for functions in (app.before_request_funcs, app.after_request_funcs,
                                app.url_value_preprocessors, app.teardown_request_funcs)]
    others += [app.url_value_preprocessors.get(None), app.teardown_request_funcs.get(None),
               app.teardown_appcontext_funcs]
    return (names(app.before_request_funcs.get(None, ())) == BEFORE
            and names(app.after_request_funcs.get(None, ())) == AFTER
            and not any(others) and type(app.session_interface) is CookieSessions
            and not app.config.get("SERVER_NAME") and not app.config.get("MAX_CONTENT_LENGTH"))


def _static_segments(rule: str, shape: list[str]) -> dict[int, str] | None:
    """The static segments ({index: text}) a path of `shape` needs for `rule` to match it, or
    None when the rule can match no such path. A segment holding a converter matches any
    text; a `path` converter any number of segments from there on."""
    segments = rule.rstrip("/").split("/")
    static: dict[int, str] = {}
    for index, segment in enumerate(segments):
        if "<path:" in segment:
            return static if index < len(shape) else None
        if index >= len(shape):
            return None
        if "<" in segment:
            continue
        if shape[index] == "*":
            static[index] = segment
        elif shape[index] != segment:
            return None
    return static if len(segments) == len(shape) else None
