"""`syncer unsubscribe-link`, `syncer admin set-password` and `syncer api-key ...`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from syncer.cli import State, main
from syncer.web import auth


@pytest.fixture
def run(syncer):
    """Run a syncer command with the test's Syncer: run(*args, input=None) -> Result."""
    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(main, list(args), obj=State(syncer=syncer), input=input)
    return invoke


def test_unsubscribe_link_opens_that_persons_page(run, client, ada):
    result = run("unsubscribe-link", "ADA@example.com", "--base-url", "https://sync.example/")
    assert result.exit_code == 0, result.output
    link = result.output.strip()
    assert link.startswith("https://sync.example/unsubscribe/")
    page = client.get(link.removeprefix("https://sync.example"))
    assert page.status_code == 200 and ada.email in page.get_data(as_text=True)


def test_unsubscribe_link_headers_for_one_click(run, ada):
    result = run("unsubscribe-link", ada.email, "--headers")
    lines = result.output.splitlines()
    assert lines[0].startswith("List-Unsubscribe: <http://127.0.0.1:8080/unsubscribe/")
    assert lines[1] == "List-Unsubscribe-Post: List-Unsubscribe=One-Click"


def test_unsubscribe_link_of_an_unknown_person(run, syncer):
    result = run("unsubscribe-link", "new@example.com")
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: new@example.com is not in the store: import the person (syncer people import"
        " FILE.csv), or pass --add")
    assert run("unsubscribe-link", "new@example.com", "--add").exit_code == 0
    assert syncer.store.get_person("new@example.com") is not None
    bad = run("unsubscribe-link", "not-an-email", "--add")
    assert bad.exit_code == 1 and "use the form name@example.com" in bad.output


def test_set_password_prompts_twice_and_stores_a_hash(run, syncer, client):
    result = run("admin", "set-password", input="a brand new secret\na brand new secret\n")
    assert result.exit_code == 0 and "admin password set" in result.output
    stored = syncer.store.get_value(auth.PASSWORD_HASH)
    assert stored.startswith("scrypt:") and "a brand new secret" not in stored
    assert auth.check_admin_password(syncer.store, "a brand new secret")
    short = run("admin", "set-password", input="short\nshort\n")
    assert short.exit_code == 1
    assert "Error: the password has 5 characters: use at least 12" in short.output


def test_api_key_create_list_revoke(run, client, ada):
    result = run("api-key", "create", "sales-connect")
    assert result.exit_code == 0
    key = result.output.splitlines()[0]
    assert key.startswith("syk_") and len(key) > 40
    response = client.post("/api/unsubscribes", json={"email": ada.email},
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 202
    listed = run("api-key", "list")
    assert listed.output.startswith("sales-connect\tcreated ")
    assert key not in listed.output
    again = run("api-key", "create", "sales-connect")
    assert again.exit_code == 1 and "revoke it first" in again.output
    bad = run("api-key", "create", "has spaces")
    assert bad.exit_code == 1 and "e.g. sales-connect" in bad.output
    assert run("api-key", "revoke", "sales-connect").exit_code == 0
    assert client.post("/api/unsubscribes", json={"email": ada.email},
                       headers={"Authorization": f"Bearer {key}"}).status_code == 401
    missing = run("api-key", "revoke", "sales-connect")
    assert missing.exit_code == 1 and "syncer api-key list" in missing.output
