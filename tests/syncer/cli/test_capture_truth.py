"""`syncer unsubscribe|resubscribe|push`: the exit status and the words say whether the change
reached Salesforce, why not, and what to do; unknown addresses are kept as suppression entries
(unsubscribe) or refused (resubscribe). In-process through click (`linked_cli`), and the exit
status 3 of a change kept but not pushed through the console script too."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from syncer.cli import main
from tests.syncer.conftest import FAST

EMILY = "emily.smith@acmerobotics.com"


@pytest.fixture
def syncer_cmd(linked_cli):
    return linked_cli


def test_an_unknown_address_is_kept_as_a_suppression_entry_naming_near_matches(syncer_cmd,
                                                                                server):
    typo = syncer_cmd("unsubscribe", "emily.smith@acmerobotcs.com", "--reason", "typo")
    assert typo.returncode == 3
    assert typo.stdout.splitlines()[0] == (
        "emily.smith@acmerobotcs.com is not a known person: kept as a suppression entry"
        f" (they start opted out if ever imported or linked); did you mean {EMILY}?")
    listed = syncer_cmd("people", "list").stdout
    assert f"{EMILY}\t003" in listed and "subscribed" in listed.split(EMILY)[1].splitlines()[0]
    # The address appears in Salesforce later: linking finds it, and it starts opted out there.
    contact = server.org.insert("Contact", {"LastName": "Smith",
                                            "Email": "emily.smith@acmerobotcs.com"})
    linked = syncer_cmd("people", "link")
    assert linked.returncode == 0 and "pushed 1 change(s)" in linked.stdout
    assert server.org.get("Contact", contact)["HasOptedOutOfEmail"] == 1


def test_a_suppression_entry_is_honoured_by_a_later_import(syncer_cmd, tmp_path):
    syncer_cmd("unsubscribe", "new.person@example.com")
    later = tmp_path / "later.csv"
    later.write_text("email,salesforce_id,first_name,last_name\n"
                     "new.person@example.com,,New,Person\n")
    assert syncer_cmd("people", "import", str(later)).returncode == 0
    row = [line for line in syncer_cmd("people", "list").stdout.splitlines()
           if line.startswith("new.person@example.com")]
    assert row == ["new.person@example.com\t-\t-\topted out\twaiting for ID"]


def test_resubscribing_an_unknown_address_is_a_one_line_error(syncer_cmd):
    done = syncer_cmd("resubscribe", "emily.smith@acmerobotcs.com", "--reason", "asked")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == ("Error: emily.smith@acmerobotcs.com is not a known person: nothing to"
                           f" resubscribe; did you mean {EMILY}?\n")
    nobody = syncer_cmd("resubscribe", "nobody@example.com", "--reason", "asked")
    assert nobody.returncode == 1
    assert nobody.stderr == ("Error: nobody@example.com is not a known person: nothing to"
                             " resubscribe; see syncer people list\n")


@pytest.fixture(params=["in-process", "console script"])
def either_cmd(request):
    return request.getfixturevalue("linked_cli" if request.param == "in-process"
                                   else "linked_syncer")


def test_a_wrong_password_keeps_the_change_exits_3_and_says_to_fix_the_credentials(either_cmd):
    syncer_cmd = either_cmd
    done = syncer_cmd("unsubscribe", EMILY, "--reason", "asked", SF_PASSWORD="wrong")
    assert done.returncode == 3
    assert done.stdout == (f"unsubscribed {EMILY}; saved, not in Salesforce yet (the change is"
                           " kept: nothing is lost)\n")
    why, todo = done.stderr.splitlines()
    assert why.startswith("why: Salesforce refused the login at") and "INVALID_LOGIN" in why
    assert "check SF_USERNAME, SF_PASSWORD and SF_SECURITY_TOKEN" in why
    assert todo == ("what to do: Salesforce refused the syncer's credentials, so it waits in"
                    " the outbox: fix them as the error says, then run `syncer push`")
    assert "automatically" not in done.stdout + done.stderr
    pushed = syncer_cmd("push", "--wait", "0", SF_PASSWORD="wrong")
    assert pushed.returncode == 3 and "stopped: Salesforce refused the login" in pushed.stderr
    assert "what to do: nothing is lost (the changes stay queued)" in pushed.stderr
    fixed = syncer_cmd("push", "--wait", "0")
    assert fixed.returncode == 0 and fixed.stdout.startswith("pushed 1 change(s)")


def test_an_unreachable_salesforce_says_a_running_service_retries(syncer_cmd, monkeypatch):
    monkeypatch.setattr("syncer.service.RetryPolicy", lambda: FAST)  # its retries, in ms
    done = syncer_cmd("unsubscribe", EMILY, SF_LOGIN_URL="https://127.0.0.1:9")
    assert done.returncode == 3
    assert done.stderr.splitlines()[-1] == (
        "what to do: run `syncer push` once Salesforce answers again (a running `syncer serve`"
        " retries it every few seconds by itself)")


def test_exit_statuses_are_in_the_help():
    for command in ("unsubscribe", "resubscribe", "push"):
        shown = CliRunner().invoke(main, [command, "--help"], prog_name="syncer").stdout
        assert "Exit status: 0" in shown and "; 3 " in shown, command


def test_nightly_dry_run_counts_each_change_once_as_the_real_run_makes_it(syncer_cmd):
    import json

    syncer_cmd("unsubscribe", EMILY, "--reason", "clicked the link")
    syncer_cmd("settings", "--nightly-sync", "on")
    dry = syncer_cmd("nightly", "--dry-run", "--json")
    real = syncer_cmd("nightly", "--json")
    assert dry.returncode == 0 and real.returncode == 0, dry.stderr + real.stderr
    dry_report, real_report = json.loads(dry.stdout), json.loads(real.stdout)
    counts = ("pushed_local", "pushed_remote", "conflicts", "deleted", "relinked")
    assert {k: dry_report[k] for k in counts} == {k: real_report[k] for k in counts}
    assert real_report["pushed_local"] > 0  # the sample org starts with opt-outs to apply here
    lines = [(c["side"], c["action"], c["email"]) for c in dry_report["changes"]]
    assert len(lines) == len(set(lines))  # no change listed twice
    assert sum(side == "local" for side, _, _ in lines) == real_report["pushed_local"]
