"""Installing the third-party clients: a missing one fails CI with the reason, skips elsewhere."""

from __future__ import annotations

import pytest

from tests.compat import clients


def test_a_missing_client_fails_the_run_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="npm is not installed.*install_clients.py"):
        clients.client_missing("Salesforce CLI: npm is not installed")


def test_a_missing_client_is_skipped_with_what_to_install_elsewhere(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="install with: python3 tests/compat/"):
        clients.client_missing("Salesforce CLI: npm is not installed")


def test_the_installer_names_what_is_missing(monkeypatch, tmp_path, capsys):
    installer = clients.installer()
    monkeypatch.setattr(installer, "CACHE", tmp_path)  # nothing installed here
    monkeypatch.setattr(installer.shutil, "which", lambda name: None)
    with pytest.raises(installer.ClientMissing, match="npm is not installed"):
        installer.sf_cli()
    assert installer.main(["sf-cli", "jsforce"]) == 1
    err = capsys.readouterr().err
    assert "sf-cli: npm is not installed" in err and "jsforce: Node.js is not installed" in err

