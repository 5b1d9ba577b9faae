"""The syncer's only door to Salesforce: log in, call through simple-salesforce, count calls.

The syncer logs in itself and hands the session to simple-salesforce (docs/syncer.md,
"Logging in"); every call logs in again once on an expired session. Failures are raised as
one exception per kind, each with a one-line message naming the fix: TransientError (retry
later), SessionError, LimitError (the daily allocation is spent), PermanentError (LoginError).
"""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import jwt
import requests
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceExpiredSession
from simple_salesforce.exceptions import SalesforceError as SimpleSalesforceError
from simple_salesforce.login import token_login

from ..config import Config, ConfigError

T = TypeVar("T")

COLLECTION_LIMIT = 200
DEFAULT_TIMEOUT = 30.0
# Error codes that a later attempt can succeed on (Salesforce's "intermittent" errors).
TRANSIENT_CODES = frozenset({
    "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "UNKNOWN_EXCEPTION", "QUERY_TIMEOUT",
    "REQUEST_RUNNING_TOO_LONG",
})
# A user without the "API Enabled" permission: refused at SOAP login (API_CURRENTLY_DISABLED)
# and on data calls (API_DISABLED_FOR_ORG, 403).
API_DISABLED_CODES = frozenset({"API_DISABLED_FOR_ORG", "API_CURRENTLY_DISABLED"})
API_ACCESS_FIX = ("give the integration user the 'API Enabled' permission (its profile or a"
                  " permission set; the org's edition must include API access); captured"
                  " changes wait in the outbox meanwhile")
_LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")
_DATA_PATH = re.compile(r"^/services/(data|async)/")
_TLS_REASON = re.compile(r"certificate verify failed[^'\")(]*")


# -- errors -------------------------------------------------------------------------------------


class SalesforceError(Exception):
    """A Salesforce call that failed; `str()` is one line: what happened, then the fix."""

    kind = "permanent"

    def __init__(self, what: str, fix: str, *, code: str | None = None,
                 status: int | None = None):
        super().__init__(f"{what}: {fix}")
        self.what = what
        self.fix = fix
        self.code = code
        self.status = status


class TransientError(SalesforceError):
    """Salesforce or the network failed for now; the same call can succeed later."""

    kind = "transient"


class SessionError(SalesforceError):
    """The session stayed invalid even after logging in again."""

    kind = "session"


class LimitError(SalesforceError):
    """REQUEST_LIMIT_EXCEEDED: the org's daily API allocation is spent."""

    kind = "limit"


class PermanentError(SalesforceError):
    """Retrying will not help until someone changes the org, the data or the configuration."""


class LoginError(PermanentError):
    """Salesforce refused the credentials, or the login URL is no Salesforce login."""

    kind = "login"


# -- the HTTP session ---------------------------------------------------------------------------


class ApiSession(requests.Session):
    """A requests session that counts data calls, reads the allocation, and pins TLS trust.

    `verify` is passed with every request: a session's own `verify` is overridden by the
    REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE environment variables, a request's is not.
    """

    def __init__(self, *, ca_bundle: str | None, timeout: float):
        super().__init__()
        self.ca_bundle = ca_bundle
        self.timeout = timeout
        self.calls = 0
        self.allocation: tuple[int, int] | None = None
        # When Salesforce last answered (any HTTP status) and with what, for /healthz.
        self.last_contact: tuple[datetime, int] | None = None
        self._count_lock = threading.Lock()

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        if self.ca_bundle:
            kwargs.setdefault("verify", self.ca_bundle)
        data_call = bool(_DATA_PATH.match(urlsplit(url).path))
        if data_call:
            with self._count_lock:
                self.calls += 1
        response = super().request(method, url, *args, **kwargs)
        self.last_contact = (datetime.now(UTC), response.status_code)
        match = _LIMIT_INFO.search(response.headers.get("Sforce-Limit-Info", ""))
        if data_call and match:
            self.allocation = (int(match.group(1)), int(match.group(2)))
        return response


# -- the client ---------------------------------------------------------------------------------


class SalesforceClient:
    """A logged-in simple-salesforce connection with re-login, typed errors and call counts."""

    def __init__(self, config: Config, *, timeout: float = DEFAULT_TIMEOUT):
        self.config = config
        self.http = ApiSession(ca_bundle=config.ca_bundle, timeout=timeout)
        self.logins = 0
        self.instance_url: str | None = None
        self._sf: Salesforce | None = None
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        """Data API calls made so far (each one counts against the org's daily allocation)."""
        return self.http.calls

    def last_contact(self) -> tuple[datetime, int] | None:
        """(when, HTTP status) of Salesforce's last answer to this client, if any."""
        return self.http.last_contact

    def allocation(self) -> tuple[int, int] | None:
        """(used, max) daily API calls as of the last response, if one has been seen."""
        return self.http.allocation

    # -- login ------------------------------------------------------------------------------

    def connect(self) -> Salesforce:
        """The simple-salesforce connection, logging in first if there is none."""
        with self._lock:
            if self._sf is None:
                self._sf = self._login()
            return self._sf

    def session(self, *, renew: bool = False) -> tuple[str, str]:
        """(access token, instance URL) of the session, logging in again first when `renew`
        (the Pub/Sub API said the token expired)."""
        sf = self.connect()
        if renew:
            self._reconnect(sf)
            sf = self.connect()
        return sf.session_id, self.instance_url or f"https://{sf.sf_instance}"

    def _reconnect(self, stale: Salesforce) -> None:
        with self._lock:
            if self._sf is stale:
                self._sf = None
        self.connect()

    def _login(self) -> Salesforce:
        config = self.config
        method = config.auth_method
        try:
            if method == "soap":
                session_id, instance = SalesforceLogin(
                    username=config.username, password=config.password,
                    security_token=config.security_token or "", sf_version=config.api_version,
                    session=self.http, scratch_url=config.login_url,
                )
            else:
                session_id, instance = self._token(method)
        except SalesforceAuthenticationFailed as problem:
            detail = _one_line(f"{problem.code}: {problem.auth_message}")
            fix = API_ACCESS_FIX if problem.code in API_DISABLED_CODES else _login_fix(method)
            raise LoginError(f"Salesforce refused the login at {config.login_url} ({detail})",
                             fix, code=str(problem.code)) from None
        except requests.RequestException as problem:
            raise _network_error(problem, config.login_url) from None
        if not session_id or not instance:
            raise LoginError(f"{config.login_url} answered the login without a session",
                             "check that SF_LOGIN_URL is a Salesforce login URL")
        self.logins += 1
        self.instance_url = f"https://{instance.rstrip('/')}"
        return Salesforce(instance_url=self.instance_url, session_id=session_id,
                          session=self.http, version=config.api_version)

    def _token(self, method: str) -> tuple[str, str]:
        """Session ID and instance from the OAuth 2.0 token endpoint at the login URL."""
        config = self.config
        headers = None
        if method == "oauth-password":
            data = {"grant_type": "password", "client_id": config.client_id,
                    "client_secret": config.client_secret, "username": config.username,
                    "password": (config.password or "") + (config.security_token or "")}
        elif method == "client-credentials":
            data = {"grant_type": "client_credentials"}
            pair = f"{config.client_id}:{config.client_secret}".encode()
            headers = {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}
        else:
            data = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "assertion": self._assertion()}
        return token_login(f"{config.login_url}/services/oauth2/token", data,
                           config.login_host, config.client_id, headers, None, self.http)

    def _assertion(self) -> str:
        config = self.config
        try:
            key = Path(config.private_key_file).expanduser().read_bytes()
        except OSError as problem:
            raise ConfigError(
                f"cannot read SF_PRIVATE_KEY_FILE {config.private_key_file}"
                f" ({problem.strerror}): point it at the connected app's PEM private key"
            ) from None
        claims = {"iss": config.client_id, "sub": config.username,
                  "aud": _jwt_audience(config), "exp": int(time.time()) + 180}
        try:
            return jwt.encode(claims, key, algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError) as problem:
            raise ConfigError(
                f"SF_PRIVATE_KEY_FILE {config.private_key_file} is not a usable RSA private key"
                f" ({_one_line(str(problem))}): use the PEM key of the connected app's"
                " certificate"
            ) from None

    # -- calls ------------------------------------------------------------------------------

    def call(self, what: str, action: Callable[[Salesforce], T]) -> T:
        """Run `action` on the connection; log in again once on an expired session."""
        for attempt in (1, 2):
            sf = self.connect()
            try:
                return action(sf)
            except SalesforceExpiredSession:
                if attempt == 2:
                    raise SessionError(
                        f"Salesforce rejected a new session while {what}",
                        "check that the integration user may use the API and that sessions"
                        " are not locked to another IP address", code="INVALID_SESSION_ID",
                        status=401) from None
                self._reconnect(sf)
            except SimpleSalesforceError as problem:
                raise _api_error(problem, what) from None
            except requests.RequestException as problem:
                raise _network_error(problem, self.instance_url or self.config.login_url
                                     ) from None
        raise AssertionError("unreachable")

    def query_all_iter(self, soql: str, *, include_deleted: bool = False) -> Iterator[dict]:
        """Every record the query returns, page by page (queryAll with include_deleted)."""
        page = self.call("querying", lambda sf: sf.query(soql, include_deleted=include_deleted))
        while True:
            yield from page["records"]
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self.call("querying", lambda sf, url=next_url: sf.query_more(
                url, identifier_is_url=True, include_deleted=include_deleted))

    def query_all(self, soql: str, *, include_deleted: bool = False) -> list[dict]:
        return list(self.query_all_iter(soql, include_deleted=include_deleted))

    def collections_update(self, records: list[dict]) -> list[dict]:
        """Update up to 200 records (each with attributes.type and id) in one call.

        Returns Salesforce's per-record results in request order: {id, success, errors}.
        """
        if not 1 <= len(records) <= COLLECTION_LIMIT:
            raise ValueError(f"an sObject Collections update takes 1 to {COLLECTION_LIMIT}"
                             f" records, not {len(records)}")
        body = {"allOrNone": False, "records": records}
        results = self.call("updating records", lambda sf: sf.restful(
            "composite/sobjects", method="PATCH", json=body))
        if not isinstance(results, list) or len(results) != len(records):
            raise TransientError("Salesforce answered an update with an unexpected body",
                                 "retry; report it if it keeps happening")
        return results

    def retrieve(self, sobject: str, ids: list[str], fields: list[str]) -> list[dict | None]:
        """Records by ID (None for each ID not found), 200 per sObject Collections call."""
        out: list[dict | None] = []
        for start in range(0, len(ids), COLLECTION_LIMIT):
            chunk = ids[start:start + COLLECTION_LIMIT]
            params = {"ids": ",".join(chunk), "fields": ",".join(fields)}
            out.extend(self.call(f"reading {sobject} records", lambda sf, p=params: sf.restful(
                f"composite/sobjects/{sobject}", params=p)) or [None] * len(chunk))
        return out

    def describe(self, sobject: str) -> dict:
        return self.call(f"describing {sobject}",
                         lambda sf: sf.restful(f"sobjects/{sobject}/describe"))

    def describe_layouts(self, sobject: str, record_type_id: str = "") -> dict:
        """describe/layouts of a type (all layouts), or of one record type's layout."""
        return self.call(f"reading the {sobject} page layouts", lambda sf: sf.restful(
            f"sobjects/{sobject}/describe/layouts/{record_type_id}"))

    def limits(self) -> dict:
        return self.call("reading the org's limits", lambda sf: sf.limits())


# -- error translation ----------------------------------------------------------------------


def _api_error(problem: SimpleSalesforceError, what: str) -> SalesforceError:
    """One of our exceptions for a simple-salesforce one, keeping Salesforce's errorCode."""
    code, message = _error_of(problem.content)
    return api_error(code, message, problem.status, what)


def api_error(code: str | None, message: str, status: int | None, what: str) -> SalesforceError:
    """Our exception for an error Salesforce answered (a call's, or a Composite subrequest's)
    while doing `what`, typed by its errorCode, its one line naming the fix."""
    said = _one_line(f"{code}: {message}" if code else message or f"HTTP {status}")
    context = f"Salesforce refused {what} ({said})"
    if code == "REQUEST_LIMIT_EXCEEDED":
        return LimitError(f"the org's daily API allocation is spent while {what}",
                          "pushes wait until calls are available again (a rolling 24 hours);"
                          " ask the Salesforce admin to raise the limit if this keeps"
                          " happening", code=code, status=status)
    if code == "QUERY_TIMEOUT":
        return TransientError(f"Salesforce timed out while {what} ({said})",
                              "it is retried automatically; if it keeps timing out, lower the"
                              " bulk threshold (`syncer settings --bulk-threshold N`) so the"
                              " run reads through Bulk API 2.0", code=code, status=status)
    if code in TRANSIENT_CODES or (status or 0) >= 500:
        return TransientError(f"Salesforce failed while {what} ({said})",
                              "try again later (`syncer push`; a running `syncer serve`"
                              " retries by itself); if it persists, check trust.salesforce.com",
                              code=code, status=status)
    if code in API_DISABLED_CODES:
        return PermanentError(context, API_ACCESS_FIX, code=code, status=status)
    if code and code.startswith("INSUFFICIENT_ACCESS"):
        return PermanentError(context, "give the integration user access to Contacts and"
                              " Leads in its profile or a permission set", code=code,
                              status=status)
    return PermanentError(context, "check the request and the org's setup", code=code,
                          status=status)


def _error_of(content: Any) -> tuple[str | None, str]:
    """(errorCode, message) from a Salesforce error body."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        return first.get("errorCode") or first.get("statusCode"), str(first.get("message", ""))
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    return None, str(content or "")


def result_error(result: dict) -> tuple[str | None, str]:
    """(statusCode, message) of a failed sObject Collections result; (None, '') on success."""
    if result.get("success"):
        return None, ""
    code, message = _error_of(result.get("errors") or [{}])
    return code or "UNKNOWN_EXCEPTION", " ".join(message.split())


def _network_error(problem: requests.RequestException, url: str) -> SalesforceError:
    if isinstance(problem, requests.exceptions.SSLError):
        reason = _TLS_REASON.search(str(problem))
        return LoginError(
            f"the TLS certificate of {url} is not trusted"
            f" ({reason.group(0) if reason else 'TLS handshake failed'})",
            "set SF_CA_BUNDLE to the CA file that signed it (`sfmock serve --tls` prints its"
            " ca.pem)", code="TLS")
    if isinstance(problem, requests.exceptions.Timeout):
        return TransientError(f"Salesforce at {url} did not answer in time",
                              "try again later (`syncer push`; a running `syncer serve`"
                              " retries by itself); check the network if it persists",
                              code="TIMEOUT")
    if isinstance(problem, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return LoginError(f"{url} is not a usable URL", "fix SF_LOGIN_URL", code="URL")
    return TransientError(f"cannot reach Salesforce at {url} ({type(problem).__name__})",
                          "check SF_LOGIN_URL and the network, then run `syncer push`"
                          " (a running `syncer serve` retries by itself)", code="NETWORK")


def _login_fix(method: str) -> str:
    return {
        "soap": "check SF_USERNAME, SF_PASSWORD and SF_SECURITY_TOKEN (reset the token in"
                " Salesforce under Settings > Reset My Security Token)",
        "oauth-password": "check SF_CLIENT_ID, SF_CLIENT_SECRET, SF_USERNAME, SF_PASSWORD and"
                          " SF_SECURITY_TOKEN",
        "client-credentials": "check SF_CLIENT_ID and SF_CLIENT_SECRET, and that the connected"
                              " app has a 'Run As' user for the client credentials flow",
        "jwt": "check SF_CLIENT_ID, SF_USERNAME and SF_PRIVATE_KEY_FILE, and that the"
               " connected app holds the matching certificate and the user is pre-authorized",
    }[method]


def _jwt_audience(config: Config) -> str:
    host = config.login_host
    if host.endswith(".salesforce.com"):
        sandbox = host.startswith("test.") or ".sandbox." in host
        return "https://test.salesforce.com" if sandbox else "https://login.salesforce.com"
    return config.login_url


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:300]
