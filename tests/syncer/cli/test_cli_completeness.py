"""Both console scripts answer --version; every `syncer` command that prints data has --json;
`syncer serve` takes `syncer web`'s flags (those two in-process, through click)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from syncer.cli import main

BIN = Path(sys.executable).parent


@pytest.fixture
def syncer_cmd(tmp_path):
    env: dict[str, str | None] = {k: None for k in os.environ
                                  if k.startswith(("SF_", "SYNCER_"))}
    env["SYNCER_DB"] = str(tmp_path / "syncer.db")

    def run(*args: str):
        done = CliRunner().invoke(main, list(args), env=env, prog_name="syncer")
        assert done.exit_code == 0, done.output
        return done

    return run


@pytest.mark.parametrize("program", ["syncer", "sfmock"])
def test_version(program):
    done = subprocess.run([str(BIN / program), "--version"], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0
    assert done.stdout == f"{program}, version {version('sfsync')}\n"


def test_people_list_settings_and_api_keys_print_json(syncer_cmd, tmp_path):
    csv = tmp_path / "people.csv"
    csv.write_text("email,salesforce_id,first_name,last_name\n"
                   "ann@example.com,0031e000000000AAAQ,Ann,A\nbob@example.com,,Bob,B\n")
    syncer_cmd("people", "import", str(csv))
    people = json.loads(syncer_cmd("people", "list", "--json").stdout)
    assert people == [
        {"email": "ann@example.com", "salesforce_id": "0031e000000000AAAQ",
         "salesforce_type": "Contact", "opted_out": False, "push": None},
        {"email": "bob@example.com", "salesforce_id": None, "salesforce_type": None,
         "opted_out": False, "push": None}]
    settings = json.loads(syncer_cmd("settings", "--nightly-sync", "on", "--json").stdout)
    assert settings["nightly_sync"] is True and settings["push_field"] == "HasOptedOutOfEmail"
    assert settings["field_api_name"] == "HasOptedOutOfEmail"
    assert json.loads(syncer_cmd("api-key", "list", "--json").stdout) == []
    syncer_cmd("api-key", "create", "crm")
    [key] = json.loads(syncer_cmd("api-key", "list", "--json").stdout)
    assert key["name"] == "crm" and key["created_at"].endswith("Z")


def test_serve_takes_the_flags_of_web(syncer_cmd):
    web = syncer_cmd("web", "--help").stdout
    serve = syncer_cmd("serve", "--help").stdout
    for flag in ("--port", "--link-days"):
        assert flag in web and flag in serve
    assert "--threads" in serve and "--host" in serve
