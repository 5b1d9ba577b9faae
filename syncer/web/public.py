"""The public unsubscribe page behind the link in every email.

GET shows a confirmation with one button, so a link scanner that fetches the page changes
nothing; POST unsubscribes. RFC 8058 one-click: a mail client's POST with the body
`List-Unsubscribe=One-Click` to the same URL unsubscribes directly. The signed token in the
URL is the only credential (RFC 8058 POSTs carry no cookies), so these forms need no CSRF
token: a forged request would need the token, and the token only ever unsubscribes its owner.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from ..service import Syncer
from .tokens import EXPIRED, INVALID, LinkCheck, LinkTokens

bp = Blueprint("public", __name__)

ONE_CLICK = "One-Click"
REASONS = {
    "too-many": "I get too many emails",
    "not-relevant": "The emails are not relevant to me",
    "never-asked": "I never asked for these emails",
    "other": "Another reason",
}


def _check(token: str) -> LinkCheck:
    tokens: LinkTokens = current_app.extensions["syncer.links"]
    service: Syncer = current_app.extensions["syncer"]
    return tokens.check(token, service.store)


def _refusal(link: LinkCheck):
    """The page for a link that cannot unsubscribe anyone, or None if the link is valid."""
    if link.status == INVALID:
        return render_template("public/invalid.html"), 400
    if link.person.opted_out:
        return render_template("public/already.html", person=link.person)
    if link.status == EXPIRED:
        days = current_app.extensions["syncer.links"].max_age.days
        return render_template("public/expired.html", link=link, days=days), 410
    return None


@bp.get("/unsubscribe/<token>")
def confirm(token: str):
    link = _check(token)
    return _refusal(link) or render_template("public/confirm.html", person=link.person,
                                             reasons=REASONS)


@bp.post("/unsubscribe/<token>")
def unsubscribe(token: str):
    link = _check(token)
    refused = _refusal(link)
    if refused:
        return refused
    if request.form.get("List-Unsubscribe") == ONE_CLICK:
        reason = "one-click unsubscribe from the mail client (RFC 8058)"
    else:
        reason = REASONS.get(request.form.get("reason", ""), "not given")
        note = " ".join(request.form.get("details", "").split())[:500]
        reason = f"{reason}: {note}" if note else reason
    service: Syncer = current_app.extensions["syncer"]
    service.unsubscribe(link.person.email, source="link", reason=reason,
                        actor="the person, by the unsubscribe link")
    return render_template("public/done.html", person=link.person)
