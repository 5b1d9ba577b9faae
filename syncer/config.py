"""The syncer's configuration: environment variables over an optional TOML file over defaults.

Environment variables (each also a key of the file, lower-cased with or without its prefix:
`sf_login_url` or `login_url`; `syncer_db` or `db`):

    SYNCER_DB            the store's SQLite file (default ./syncer.db)
    SF_LOGIN_URL         where to log in (default https://login.salesforce.com)
    SF_USERNAME          the integration user
    SF_PASSWORD          its password                                  (secret)
    SF_SECURITY_TOKEN    its security token (SOAP login, OAuth password grant)   (secret)
    SF_CLIENT_ID         the connected app's consumer key
    SF_CLIENT_SECRET     its consumer secret                           (secret)
    SF_PRIVATE_KEY_FILE  PEM key for the OAuth JWT bearer flow (with SF_CLIENT_ID, SF_USERNAME)
    SF_CA_BUNDLE         CA file to trust, e.g. the ca.pem of `sfmock serve --tls`
    SF_API_VERSION       REST API version (default simple-salesforce's, 59.0)
    SF_PUBSUB_ENDPOINT   the Pub/Sub API's host:port for change events
                         (default api.pubsub.salesforce.com:7443; used when CDC is on)

Relative paths in a file are taken from the file's folder. Secrets never appear in repr()
or in `summary()`.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

from simple_salesforce.api import DEFAULT_API_VERSION

DEFAULT_DB = "./syncer.db"
DEFAULT_LOGIN_URL = "https://login.salesforce.com"
DEFAULT_PUBSUB_ENDPOINT = "api.pubsub.salesforce.com:7443"
SECRETS = ("password", "security_token", "client_secret")
PATHS = ("db", "private_key_file", "ca_bundle")
ENV = {
    "db": "SYNCER_DB",
    "login_url": "SF_LOGIN_URL",
    "username": "SF_USERNAME",
    "password": "SF_PASSWORD",
    "security_token": "SF_SECURITY_TOKEN",
    "client_id": "SF_CLIENT_ID",
    "client_secret": "SF_CLIENT_SECRET",
    "private_key_file": "SF_PRIVATE_KEY_FILE",
    "ca_bundle": "SF_CA_BUNDLE",
    "api_version": "SF_API_VERSION",
    "pubsub_endpoint": "SF_PUBSUB_ENDPOINT",
}
# Every key a config file may use: the short name and the environment variable in lower case.
FILE_KEYS = {**{name: name for name in ENV}, **{var.lower(): name for name, var in ENV.items()}}
_VERSION = re.compile(r"\d{2,3}\.0")


class ConfigError(Exception):
    """Configuration the syncer cannot use; the message is one line naming the fix."""


@dataclass(frozen=True)
class Config:
    """Where the store lives and how to reach Salesforce."""

    db: str = DEFAULT_DB
    login_url: str = DEFAULT_LOGIN_URL
    username: str | None = None
    password: str | None = None
    security_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    private_key_file: str | None = None
    ca_bundle: str | None = None
    api_version: str = DEFAULT_API_VERSION
    pubsub_endpoint: str = DEFAULT_PUBSUB_ENDPOINT

    def __post_init__(self) -> None:
        url = urlsplit(self.login_url.strip())
        if url.scheme != "https" or not url.hostname:
            raise ConfigError(
                f"SF_LOGIN_URL {self.login_url!r} is not an https:// URL: use"
                " https://login.salesforce.com, your My Domain URL, or the https URL that"
                " `sfmock serve --tls` prints"
            )
        object.__setattr__(self, "login_url", f"https://{url.netloc}{url.path.rstrip('/')}")
        if not _VERSION.fullmatch(self.api_version.strip().removeprefix("v")):
            raise ConfigError(
                f"SF_API_VERSION {self.api_version!r} is not an API version: use a number"
                " such as 59.0"
            )
        object.__setattr__(self, "api_version", self.api_version.strip().removeprefix("v"))
        host, _, port = self.pubsub_endpoint.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(
                f"SF_PUBSUB_ENDPOINT {self.pubsub_endpoint!r} is not host:port: use"
                f" {DEFAULT_PUBSUB_ENDPOINT}, or the address `sfmock serve --pubsub-port` prints"
            )

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={self._shown(f.name)!r}" for f in fields(self))
        return f"Config({shown})"

    def _shown(self, name: str) -> str | None:
        value = getattr(self, name)
        if name in SECRETS and value is not None:
            return "***"
        return value

    @property
    def login_host(self) -> str:
        return urlsplit(self.login_url).hostname or ""

    @property
    def auth_method(self) -> str:
        """How the syncer logs in: 'jwt', 'oauth-password', 'client-credentials' or 'soap'.

        Raises ConfigError when the credentials given fit none of them.
        """
        if self.private_key_file and self.client_id and self.username:
            return "jwt"
        if self.client_id and self.client_secret and self.username and self.password:
            return "oauth-password"
        if self.client_id and self.client_secret and not self.username:
            return "client-credentials"
        if self.username and self.password:
            return "soap"
        if self.private_key_file:
            raise ConfigError("SF_PRIVATE_KEY_FILE needs SF_CLIENT_ID and SF_USERNAME too:"
                              " set both for the JWT bearer login")
        raise ConfigError(
            "no Salesforce credentials: set SF_USERNAME, SF_PASSWORD and SF_SECURITY_TOKEN"
            " (or SF_CLIENT_ID and SF_CLIENT_SECRET for a connected app)"
        )

    def summary(self) -> dict[str, str | None]:
        """Every setting for display, secrets shown only as 'set'."""
        out: dict[str, str | None] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = ("set" if value else None) if f.name in SECRETS else value
        return out


def load_config(path: str | Path | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """The configuration from the file at `path` (if any), overridden by the environment."""
    environ = os.environ if environ is None else environ
    values: dict[str, str] = {}
    if path is not None:
        values.update(_read_file(Path(path)))
    for name, variable in ENV.items():
        value = environ.get(variable, "").strip()
        if value:
            values[name] = value
    return Config(**values)


def _read_file(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist: check the --config path") from None
    except OSError as problem:
        raise ConfigError(f"cannot read config file {path} ({problem.strerror}):"
                          " check the path and its permissions") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as problem:
        raise ConfigError(f"config file {path} is not valid TOML ({problem}):"
                          ' write lines such as login_url = "https://login.salesforce.com"'
                          ) from None
    values: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for key, value in data.items():
        name = FILE_KEYS.get(key)
        if name is None:
            raise ConfigError(f"config file {path}: unknown key {key!r}; use only "
                              + ", ".join(f"{n} (or {ENV[n].lower()})" for n in ENV))
        if name in spelled:
            raise ConfigError(f"config file {path}: {spelled[name]} and {key} are the same"
                              " setting: keep one")
        spelled[name] = key
        if not isinstance(value, str):
            raise ConfigError(f"config file {path}: {key} must be a quoted string,"
                              f' e.g. {key} = "..."')
        if not value.strip():
            continue  # an empty value leaves the default, as an empty variable does
        if name in PATHS:
            value = str(path.parent / Path(value).expanduser())
        values[name] = value
    return values

