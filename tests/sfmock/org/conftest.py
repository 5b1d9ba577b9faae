"""Helpers for org-behaviour tests: the admin API client and layout field lists."""

from __future__ import annotations

import pytest
import requests

from sfmock.api.admin import ADMIN_HEADER


class Admin:
    """Calls the emulator's /sfmock/api endpoints with the org's admin key."""

    def __init__(self, base_url: str, key: str, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/") + "/sfmock/api"
        self.session = session or requests.Session()
        self.session.headers[ADMIN_HEADER] = key

    def __getattr__(self, method: str):
        if method not in ("get", "post", "delete", "patch"):
            raise AttributeError(method)
        return lambda path, **kw: self.session.request(method.upper(), self.base_url + path, **kw)


@pytest.fixture
def admin(org) -> Admin:
    """The admin API of the in-process org (its instance URL is replayed into the app)."""
    return Admin(org.instance_url, org.meta["admin_key"])


@pytest.fixture
def https_admin(server) -> Admin:
    """The admin API of the HTTPS `server` fixture, trusting only its CA."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(server.ca_path)
    return Admin(server.url, server.org.meta["admin_key"], session)


def _layout_fields(layout: dict) -> list[str]:
    return [component["value"]
            for section in layout["detailLayoutSections"]
            for row in section["layoutRows"]
            for item in row["layoutItems"]
            for component in item["layoutComponents"]
            if component["type"] == "Field"]


@pytest.fixture
def layout_fields():
    """Field API names on a described layout (what a layout checker looks for)."""
    return _layout_fields
