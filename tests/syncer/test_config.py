"""Configuration: environment over file over defaults; secrets never shown; clear errors."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer.cli import main
from syncer.config import DEFAULT_DB, DEFAULT_LOGIN_URL, ENV, Config, ConfigError, load_config

SECRET_ENV = {"SF_USERNAME": "integration@example.com", "SF_PASSWORD": "hunter2-secret",
              "SF_SECURITY_TOKEN": "tok-secret", "SF_CLIENT_SECRET": "cs-secret"}


def test_defaults_without_environment_or_file():
    config = load_config(environ={})
    assert config.db == DEFAULT_DB == "./syncer.db"
    assert config.login_url == DEFAULT_LOGIN_URL == "https://login.salesforce.com"
    assert config.api_version == "59.0"
    assert config.username is None and config.ca_bundle is None


def test_every_environment_variable_is_read():
    env = {"SYNCER_DB": "/data/s.db", "SF_LOGIN_URL": "https://127.0.0.1:8765/",
           "SF_USERNAME": "u@example.com", "SF_PASSWORD": "p", "SF_SECURITY_TOKEN": "t",
           "SF_CLIENT_ID": "cid", "SF_CLIENT_SECRET": "cs", "SF_PRIVATE_KEY_FILE": "/k.pem",
           "SF_CA_BUNDLE": "/ca.pem", "SF_API_VERSION": "v60.0"}
    config = load_config(environ=env)
    assert config == Config(db="/data/s.db", login_url="https://127.0.0.1:8765",
                            username="u@example.com", password="p", security_token="t",
                            client_id="cid", client_secret="cs", private_key_file="/k.pem",
                            ca_bundle="/ca.pem", api_version="60.0")


def test_file_values_with_environment_overriding_and_paths_from_the_file_folder(tmp_path):
    path = tmp_path / "conf" / "syncer.toml"
    path.parent.mkdir()
    path.write_text('db = "state/syncer.db"\nlogin_url = "https://test.salesforce.com"\n'
                    'username = "file@example.com"\nca_bundle = "/etc/ca.pem"\n'
                    'private_key_file = "keys/app.pem"\n')
    config = load_config(path, environ={"SF_USERNAME": "env@example.com", "SF_PASSWORD": ""})
    assert config.username == "env@example.com"  # the environment wins
    assert config.login_url == "https://test.salesforce.com"
    assert config.db == str(tmp_path / "conf" / "state" / "syncer.db")
    assert config.private_key_file == str(tmp_path / "conf" / "keys" / "app.pem")
    assert config.ca_bundle == "/etc/ca.pem"
    assert config.password is None  # an empty variable does not override


@pytest.mark.parametrize("text, expected", [
    ('colour = "blue"\n', r"unknown key 'colour'; use only db \(or syncer_db\), login_url \(or"
                          r" sf_login_url\)"),
    ('login_url = "https://a.example"\nsf_login_url = "https://b.example"\n',
     "login_url and sf_login_url are the same setting: keep one"),
    ("login_url = [1]\n", "login_url must be a quoted string"),
    ("login_url = \n", "is not valid TOML"),
])
def test_bad_files_are_refused_with_the_fix(tmp_path, text, expected):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=expected) as caught:
        load_config(path, environ={})
    assert "\n" not in str(caught.value)


def test_a_missing_file_names_the_option(tmp_path):
    with pytest.raises(ConfigError, match="does not exist: check the --config path"):
        load_config(tmp_path / "nope.toml", environ={})


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "login.salesforce.com", "https://"])
def test_login_url_must_be_https(url):
    with pytest.raises(ConfigError, match="is not an https:// URL: use"):
        load_config(environ={"SF_LOGIN_URL": url})


def test_api_version_is_checked():
    with pytest.raises(ConfigError, match="SF_API_VERSION 'latest' is not an API version"):
        load_config(environ={"SF_API_VERSION": "latest"})


def test_secrets_are_masked_in_repr_and_summary():
    config = load_config(environ=SECRET_ENV)
    for shown in (repr(config), str(config), str(config.summary())):
        for secret in ("hunter2-secret", "tok-secret", "cs-secret"):
            assert secret not in shown
    assert "password='***'" in repr(config)
    assert config.summary()["password"] == "set"
    assert config.summary()["client_id"] is None
    assert config.summary()["username"] == "integration@example.com"


@pytest.mark.parametrize("values, method", [
    ({"username": "u", "password": "p", "security_token": "t"}, "soap"),
    ({"username": "u", "password": "p"}, "soap"),
    ({"username": "u", "password": "p", "client_id": "c", "client_secret": "s"},
     "oauth-password"),
    ({"client_id": "c", "client_secret": "s"}, "client-credentials"),
    ({"username": "u", "client_id": "c", "private_key_file": "k.pem"}, "jwt"),
])
def test_the_login_method_follows_the_credentials_given(values, method):
    assert Config(**values).auth_method == method


def test_missing_credentials_name_the_variables():
    with pytest.raises(ConfigError, match="set SF_USERNAME, SF_PASSWORD and SF_SECURITY_TOKEN"):
        _ = Config().auth_method
    with pytest.raises(ConfigError, match="needs SF_CLIENT_ID and SF_USERNAME"):
        _ = Config(private_key_file="k.pem").auth_method


def test_file_keys_may_be_spelled_as_the_environment_variables(tmp_path):
    path = tmp_path / "syncer.toml"
    path.write_text('sf_login_url = "https://test.salesforce.com"\nsyncer_db = "s.db"\n'
                    'sf_username = "x"\npassword = "p"\n')
    config = load_config(path, environ={})
    assert config.login_url == "https://test.salesforce.com"
    assert config.db == str(tmp_path / "s.db")
    assert (config.username, config.password) == ("x", "p")
    unset: dict[str, str | None] = {k: None for k in os.environ
                                    if k.startswith(("SF_", "SYNCER_"))}
    shown = CliRunner().invoke(main, ["--config", str(path), "status", "--json"], env=unset)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["config"]["login_url"] == "https://test.salesforce.com"


def test_the_readmes_example_file_is_complete_and_loads(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = re.search(r"```toml\n(# /etc/syncer.toml\n.*?)```", readme, re.S).group(1)
    assert set(tomllib.loads(example)) == set(ENV)  # every setting, by its short name
    path = tmp_path / "syncer.toml"
    path.write_text(example)
    config = load_config(path, environ={})
    assert config.db == "/var/lib/syncer/syncer.db"
    assert config.login_url == "https://acme.my.salesforce.com"
    assert config.auth_method == "soap" and config.client_id is None
    assert config.api_version == "59.0"
