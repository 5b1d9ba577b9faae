"""`sfmock serve` for people and scripts: quiet by default, a ready file that a wait loop can
trust, one line for a bad port, and a --faults example in --help that works as written."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from sfmock.models.faults import load_rules
from sfmock.testing import ServeProcess

SFMOCK = Path(sys.executable).with_name("sfmock")
WAIT_LOOP = "while [ ! -s sfmock.ready ] && kill -0 $! 2>/dev/null; do sleep 0.2; done"


def test_requests_are_not_logged_unless_asked(tmp_path):
    with ServeProcess(tmp_path / "quiet", exit_after=30) as serving:
        serving.session().get(f"{serving.url}/services/data")
        time.sleep(0.2)
        assert "GET /services/data" not in serving.err.read_text()
    with ServeProcess(tmp_path / "loud", "--log-requests", exit_after=30) as serving:
        serving.session().get(f"{serving.url}/services/data")
        time.sleep(0.2)
        assert '"GET /services/data HTTP/1.1" 200' in serving.err.read_text()


def test_the_ready_file_appears_once_serving_and_goes_on_exit(tmp_path):
    script = (f'"{SFMOCK}" serve --tls --port 0 --cert-dir certs --exit-after 2'
              f" --ready-file sfmock.ready > sfmock.log &\n{WAIT_LOOP}\ncat sfmock.ready\nwait")
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+\n", done.stdout)
    assert not (tmp_path / "sfmock.ready").exists()  # removed when sfmock stopped


def test_the_wait_loop_ends_when_sfmock_cannot_start(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        script = (f'"{SFMOCK}" serve --port {port} --ready-file sfmock.ready 2> sfmock.log &\n'
                  f"{WAIT_LOOP}\ncat sfmock.log")
        started = time.monotonic()
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)
    assert time.monotonic() - started < 30
    assert done.stdout.startswith(f"Error: cannot listen on 127.0.0.1:{port}")
    assert not (tmp_path / "sfmock.ready").exists()


def test_a_port_out_of_range_is_one_line():
    done = subprocess.run([str(SFMOCK), "serve", "--port", "99999"], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 1
    assert done.stderr == ("Error: --port 99999 is not a port: use 1-65535, or 0 for any free"
                           " port\n")


def test_help_shows_a_faults_example_that_loads():
    shown = subprocess.run([str(SFMOCK), "serve", "--help"], capture_output=True, text=True,
                           timeout=30).stdout
    example = re.search(r"--faults '(.*?)' --seed", shown, re.S).group(1)
    rules = load_rules(example)
    assert [rule["fault"] if isinstance(rule, dict) else rule.fault for rule in rules] == [
        "503", "UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED"]
    assert json.loads(example)[1]["scope"] == "record"
    assert "docs/emulator.md" in shown and "latency" in shown
