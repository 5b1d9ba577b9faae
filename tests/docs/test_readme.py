"""Every command shown in the README runs as written (on a free port)."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.skip_policy import missing_tool

README = Path(__file__).resolve().parents[2] / "README.md"


def shell_block(heading: str) -> str:
    """The first ```sh block after `heading` in the README."""
    text = README.read_text()
    section = text[text.index(heading):]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.skipif(shutil.which("curl") is None, reason=missing_tool("curl", "apt-get install curl"))
def test_curl_session_against_sfmock_serve(tmp_path):
    script = shell_block("## sfmock by hand with curl").replace("8765", str(free_port()))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert '"name":"Contact"' in result.stdout or '"actionOverrides"' in result.stdout
    assert re.search(r'\{"id":"00Q\w{15}","success":true,"errors":\[\]\}', result.stdout)
    assert (tmp_path / "certs" / "ca.pem").exists()


def test_in_process_example_runs():
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})


@pytest.mark.slow  # the README's whole syncer session: a dozen processes over TLS
@pytest.mark.skipif(shutil.which("curl") is None, reason=missing_tool("curl", "apt-get install curl"))
def test_syncer_session_against_sfmock_serve(tmp_path):
    script = shell_block("## Using the syncer").replace("8766", str(free_port()))
    (tmp_path / "fixtures").symlink_to(README.parent / "fixtures")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, timeout=180, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "nightly sync ok" in result.stdout
    assert "GET /services" not in result.stderr  # sfmock's request log is off by default
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["settings"]["field"] == "marketo-sales-opt-out"
    left = sorted(p.name + "/" * p.is_dir() for p in tmp_path.iterdir() if p.name != "fixtures")
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *left], cwd=README.parent,
                             capture_output=True, text=True).stdout.split()
    assert left and sorted(ignored) == left  # .gitignore covers what the steps leave behind


@pytest.mark.clients  # the Salesforce CLI on its own Node: tox -e clients
@pytest.mark.skipif(shutil.which("curl") is None, reason=missing_tool("curl", "apt-get install curl"))
def test_salesforce_cli_session_against_sfmock_serve(tmp_path):
    from tests.compat import clients

    node, run_js = clients.sf_cli()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sf").write_text(f'#!/bin/sh\nexec "{node}" "{run_js}" "$@"\n')
    (bin_dir / "sf").chmod(0o755)
    (tmp_path / "home").mkdir()
    script = shell_block("## Use sfmock with the Salesforce CLI").replace("8767", str(free_port()))
    env = {**os.environ, "HOME": str(tmp_path / "home"), "NO_PROXY": "*",
           "SF_SKIP_NEW_VERSION_CHECK": "true",
           "PATH": os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent),
                                    os.environ["PATH"]])}
    result = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Successfully authorized integration@sfmock.dev" in result.stdout
    assert "Total number of records retrieved: 5." in result.stdout
    assert re.search(r"00Q\w{15},Analytical Engines", result.stdout)
    # A box-drawn table on a terminal, plain columns under CI=true.
    assert re.search(r"Contact\s*(│\s*)?30\b", result.stdout)
