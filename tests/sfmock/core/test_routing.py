"""The app's URL rules build URLs exactly as werkzeug's own rules do, compiled on first use."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import Rule

from sfmock import app as sfmock_app
from sfmock.models.org import Org
from sfmock.routing import LazyBuilderRule


def _urls(app: Flask) -> dict[str, str]:
    """Every rule's URL, built with a value for each of its arguments (twice: the second call
    takes the builder compiled by the first)."""
    adapter = app.url_map.bind("sfmock.test", url_scheme="https")
    urls = {}
    for rule in app.url_map.iter_rules():
        values = {name: "v59.0" if name == "version" else f"x-{name}" for name in rule.arguments}
        first = adapter.build(rule.endpoint, {**values, "extra": "1"}, method=sorted(
            rule.methods)[0], force_external=True)
        second = adapter.build(rule.endpoint, {**values, "extra": "1"}, method=sorted(
            rule.methods)[0], force_external=True)
        assert first == second
        urls[f"{rule.endpoint} {rule.rule}"] = first
    return urls


def test_every_rule_builds_the_url_werkzeug_would(monkeypatch):
    org = Org()
    lazy = sfmock_app.create_app(org)
    assert lazy.url_rule_class is LazyBuilderRule
    monkeypatch.setattr(Flask, "url_rule_class", Rule)
    monkeypatch.setattr(sfmock_app, "LazyBuilderRule", Rule)
    plain = sfmock_app.create_app(org)
    assert plain.url_rule_class is Rule
    built = _urls(lazy)
    assert len(built) > 100
    assert built == _urls(plain)
    org.close()

