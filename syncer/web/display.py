"""How the pages show values to people: timestamps as <time> elements, run details as words."""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup, escape


def timestamp(value: str | None, empty: str = "") -> Markup:
    """A stored UTC timestamp as `<time datetime=...>`: readable UTC text, which static/time.js
    rewrites in the viewer's time zone."""
    if not value:
        return Markup(escape(empty))
    try:
        moment = datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        return Markup(escape(value))
    iso = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    return Markup(f'<time datetime="{iso}">{moment:%Y-%m-%d %H:%M:%S} UTC</time>')


def label(key: str) -> str:
    """A details key as words: 'bulk_threshold' -> 'Bulk threshold'."""
    words = str(key).replace("_", " ").strip()
    return words[:1].upper() + words[1:]
