"""`syncer demo`: the README's first command walks the story and exits 0, fast and clean."""

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
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
    # Fields by label, the API name given once.
    assert "Email Opt Out (HasOptedOutOfEmail) = True in Salesforce" in out
    assert "field Marketo Sales Opt Out (ToutApp__MSE_Opt_Out__c)" in out
    assert "Marketo Sales Opt Out = True in Salesforce" in out
    assert "opted out in Salesforce: Lead Marketo Sales Opt Out" in out
    # Every unsubscribe has its line, the one before the conversion included.
    assert "here: wcohen@fernwaystudios.com unsubscribed (asked on a call) -> Lead" in out
    assert out.index("wcohen@fernwaystudios.com unsubscribed") < out.index(
        "the Lead of wcohen@fernwaystudios.com was converted")
    assert "Why 4 here and 13 in Salesforce: the sample org started with 7 records opted out" in out
    assert "an opt-out is sticky" in out
    assert "nightly sync ok" in out
    assert "Traceback" not in result.stderr
    assert elapsed < 30
    assert list(tmp_path.iterdir()) == []  # nothing left behind in the working directory


@pytest.mark.slow  # the whole demo, then its emulator and web app kept up over HTTP
def test_demo_keep_leaves_emulator_and_web_app_up_until_interrupted(tmp_path):
    process = subprocess.Popen([*SYNCER, "demo", "--keep", "--workdir", str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        urls, exports, password = {}, {}, None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            for label in ("Salesforce emulator:", "Web app:"):
                if line.startswith(label):
                    urls[label] = line.split()[2]
            if line.startswith("Web app:"):
                password = line.rsplit("password ", 1)[1].rstrip(")\n")
            if line.strip().startswith("export "):
                exports.update(shlex.split(line.strip())[i].split("=", 1)
                               for i in range(1, len(shlex.split(line.strip()))))
            if line.startswith("Press Ctrl-C"):
                break
        emulator, web = urls["Salesforce emulator:"], urls["Web app:"]
        ca = Path(tmp_path, "certs", "ca.pem")
        session = requests.Session()
        session.trust_env = False
        assert session.get(f"{emulator}/services/data", verify=str(ca)).status_code == 200
        assert session.get(web).status_code in (200, 302)
        # The admin sign-in it printed works.
        login = session.get(f"{web}admin/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
        signed_in = session.post(f"{web}admin/login", data={"csrf_token": token,
                                                            "password": password})
        assert signed_in.status_code == 200 and "Sign out" in signed_in.text
        # In another shell, with the printed environment, unsubscribe-link points at it.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SF_", "SYNCER_"))}
        link = run_syncer("unsubscribe-link", "emily.smith@acmerobotics.com",
                          env={**env, **exports}).stdout.strip()
        assert link.startswith(f"{web}unsubscribe/")
        page = requests.get(link)
        assert page.status_code == 200 and "emily.smith@acmerobotics.com" in page.text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    assert process.returncode == 0

