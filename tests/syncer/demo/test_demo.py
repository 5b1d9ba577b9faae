"""`syncer demo`: the README's first command walks the story and exits 0, fast and clean."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

SYNCER = [sys.executable, "-c", "from syncer.cli import main; main()"]


def run_syncer(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*SYNCER, *args], capture_output=True, text=True, timeout=120,
                          **kwargs)


def test_demo_walks_the_story_and_exits_0(tmp_path):
    started = time.monotonic()
    result = run_syncer("demo", cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for step in ("1. Requirement checks", "2. Real-time push", "3. Sync ON",
                 "4. Changes made directly in Salesforce", "5. Summary"):
        assert step in out
    assert "[WARN] Lead page layout: HasOptedOutOfEmail is not on the Lead page layout" in out
    assert "[PASS] Lead page layout: HasOptedOutOfEmail is on the Lead page layout" in out
    assert "HasOptedOutOfEmail = True in Salesforce" in out
    assert "ToutApp__MSE_Opt_Out__c = True in Salesforce" in out
    assert "an opt-out is sticky" in out
    assert "nightly sync ok" in out
    assert "Traceback" not in result.stderr
    assert elapsed < 30
    assert list(tmp_path.iterdir()) == []  # nothing left behind in the working directory


def test_demo_keep_leaves_emulator_and_web_app_up_until_interrupted(tmp_path):
    process = subprocess.Popen([*SYNCER, "demo", "--keep", "--workdir", str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        urls = {}
        deadline = time.monotonic() + 60
        while len(urls) < 2 and time.monotonic() < deadline:
            line = process.stdout.readline()
            for label in ("Salesforce emulator:", "Web app:"):
                if line.startswith(label):
                    urls[label] = line.split()[2]
        emulator, web = urls["Salesforce emulator:"], urls["Web app:"]
        ca = Path(tmp_path, "certs", "ca.pem")
        session = requests.Session()
        session.trust_env = False
        assert session.get(f"{emulator}/services/data", verify=str(ca)).status_code == 200
        assert session.get(web).status_code in (200, 302)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    assert process.returncode == 0

