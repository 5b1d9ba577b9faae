"""The `syncer` command run as a user runs it, against `sfmock serve`-like HTTPS: as the console
script (`linked_syncer`), or in-process through click's CliRunner (`linked_cli`), which proves
the same exit status and words without an interpreter start a command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.cli import main

SYNCER = Path(sys.executable).with_name("syncer")  # the console script next to python
PEOPLE_CSV = Path(__file__).resolve().parents[3] / "sfmock" / "default_org" / "people.csv"
Run = Callable[..., subprocess.CompletedProcess]


def _settings(server, tmp_path: Path) -> dict[str, str]:
    return {"SYNCER_DB": str(tmp_path / "syncer.db"), "SF_LOGIN_URL": server.url,
            "SF_CA_BUNDLE": str(server.ca_path), "SF_USERNAME": USERNAME,
            "SF_PASSWORD": PASSWORD, "SF_SECURITY_TOKEN": TOKEN}


def _in_process(server, tmp_path: Path) -> Run:
    """`run(*args, **env)` through click: what the console script would answer (exit status,
    stdout, stderr); an exception fails the test."""
    unset: dict[str, str | None] = {k: None for k in os.environ
                                    if k.startswith(("SF_", "SYNCER_"))}
    env = {**unset, **_settings(server, tmp_path)}

    def run(*args: str, **overrides: str) -> subprocess.CompletedProcess:
        result = CliRunner().invoke(main, list(args), env={**env, **overrides},
                                    prog_name="syncer")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return subprocess.CompletedProcess([str(SYNCER), *args], result.exit_code,
                                           result.stdout, result.stderr)

    return run


def _link(run: Run) -> None:
    assert run("people", "import", str(PEOPLE_CSV)).returncode == 0
    assert run("people", "link").returncode == 0


@pytest.fixture
def linked_syncer(server, tmp_path) -> Run:
    """`run(*args, **env)`: the console script with a store whose people are imported and
    linked to the HTTPS emulator's records (linked in-process: the test's own commands are
    the ones run as processes); never a traceback."""
    _link(_in_process(server, tmp_path))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SF_", "SYNCER_"))}
    env.update(_settings(server, tmp_path))

    def run(*args: str, **overrides: str) -> subprocess.CompletedProcess:
        done = subprocess.run([str(SYNCER), *args], capture_output=True, text=True, timeout=60,
                              env={**env, **overrides})
        assert "Traceback" not in done.stdout + done.stderr
        return done

    return run


@pytest.fixture
def linked_cli(server, tmp_path) -> Run:
    """`linked_syncer` in-process: the same `run(*args, **env)`, answering what the console
    script would (exit status, stdout, stderr); an exception fails the test."""
    run = _in_process(server, tmp_path)
    _link(run)
    return run
