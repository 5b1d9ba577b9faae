"""Admin pages: sign-in, settings (with live requirement checks), runs, the outbox, people.

Every page but sign-in needs a signed-in admin session; every POST carries the session's
CSRF token. Changes go through `Syncer`, the same calls the CLI makes.
"""

from __future__ import annotations

import hmac
import math
from dataclasses import asdict

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ..config import ConfigError
from ..doctor import DoctorReport
from ..push import push_field
from ..salesforce import SalesforceError
from ..service import Syncer
from ..store import FIELD_CHOICES, StoreError
from . import auth

bp = Blueprint("admin", __name__, url_prefix="/admin")
root = Blueprint("root", __name__)

ACTOR = "admin (web)"
PEOPLE_PAGE = 50  # people listed per page
RUNS_SHOWN = 50
OUTBOX_SHOWN = 500
FIELD_LABELS = {
    "email-opt-out": "Sync with Salesforce Email Opt Out field",
    "marketo-sales-opt-out": "Sync with Marketo Sales Opt Out field",
}
FIELD_HELP = {
    "email-opt-out": "Choose this to keep one opt-out for all email: only Salesforce's"
                     " standard Email Opt Out field is updated.",
    "marketo-sales-opt-out": "Choose this to keep sales unsubscribes apart from marketing"
                             " ones: the Marketo Sales Opt Out field (from the Marketo Sales"
                             " Connect package) is updated instead.",
}
ADVANCED = (
    ("fan_out_by_email", "checkbox", "Opt out every record with the same email",
     "Also opt out every Contact and Lead that shares the person's email address, not only"
     " the linked record."),
    ("honour_salesforce_resubscribes", "checkbox", "Honour resubscribes made in Salesforce",
     "Let unchecking the field in Salesforce resubscribe the person here; when off, an"
     " opt-out always wins."),
    ("stale_hours", "number", "Alert after (hours)",
     "Warn when an unsubscribe has waited this long for Salesforce to confirm it."),
    ("api_reserve_percent", "number", "API calls kept in reserve (%)",
     "The nightly sync stops before using this share of the org's daily API calls."),
    ("bulk_threshold", "number", "Bulk API above (records)",
     "Use the Bulk API instead of batches of 200 when more records than this change."),
)
CHECKBOXES = ("nightly_sync",) + tuple(name for name, kind, *_ in ADVANCED if kind == "checkbox")
TEXTS = ("field", "marketo_field_api_name") + tuple(
    name for name, kind, *_ in ADVANCED if kind != "checkbox")


def _service() -> Syncer:
    return current_app.extensions["syncer"]


# -- sign-in -----------------------------------------------------------------------------------


def _signed_in() -> bool:
    fingerprint = session.get("admin")
    current = auth.password_fingerprint(_service().store)
    return bool(fingerprint and current and hmac.compare_digest(fingerprint, current))


@bp.before_request
def _guard():
    """Signed-in admins only (except the sign-in page); every POST must carry the CSRF token."""
    if request.method == "POST":
        auth.check_csrf(request.form.get("csrf_token"))
    if request.endpoint != "admin.login" and not _signed_in():
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    return None


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme) may follow the sign-in."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("admin.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    store = _service().store
    throttle: auth.LoginThrottle = current_app.extensions["syncer.logins"]
    who = request.remote_addr or "unknown"
    configured = auth.admin_password_set(store)
    error, status = None, 200
    if request.method == "POST" and configured:
        wait = throttle.wait(who)
        if wait:
            error, status = (f"Too many wrong passwords. Wait {math.ceil(wait / 60)} minute(s)"
                             " and try again."), 429
        elif auth.check_admin_password(store, request.form.get("password", "")):
            throttle.succeeded(who)
            session.clear()
            session.permanent = True
            session["admin"] = auth.password_fingerprint(store)
            auth.csrf_token()
            return redirect(_safe_next(request.args.get("next")))
        else:
            throttle.failed(who)
            error, status = "That password is not right. Check it and try again.", 401
    return render_template("admin/login.html", configured=configured, error=error), status


@bp.post("/logout")
def logout():
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("admin.login"))


@root.get("/")
def index():
    return redirect(url_for("admin.home"))


# -- home --------------------------------------------------------------------------------------


@bp.get("/")
def home():
    return render_template("admin/home.html", status=_service().status())


# -- settings ----------------------------------------------------------------------------------


@bp.get("/settings")
def settings_index():
    return render_template("admin/settings_index.html")


def _doctor() -> tuple[DoctorReport | None, str | None]:
    """The live requirement checks, or why they could not run."""
    try:
        return _service().doctor(), None
    except (SalesforceError, ConfigError, StoreError) as problem:
        return None, str(problem)


@bp.route("/settings/unsubscribes", methods=["GET", "POST"])
def unsubscribes():
    service = _service()
    error, values, status = None, None, 200
    if request.method == "POST":
        changes = {name: request.form.get(name) == "on" for name in CHECKBOXES}
        changes.update({name: request.form.get(name, "").strip() for name in TEXTS})
        try:
            service.settings(actor=ACTOR, **changes)
        except StoreError as problem:
            error, values, status = str(problem), changes, 400
        else:
            flash("Settings saved.")
            return redirect(url_for("admin.unsubscribes"))
    current = service.settings()
    report, doctor_error = _doctor()
    return render_template(
        "admin/unsubscribes.html", settings=values or asdict(current),
        push_field=push_field(current), report=report, doctor_error=doctor_error, error=error,
        fields=FIELD_CHOICES, field_labels=FIELD_LABELS, field_help=FIELD_HELP,
        advanced=ADVANCED,
    ), status


# -- runs --------------------------------------------------------------------------------------


@bp.get("/runs")
def runs():
    return render_template("admin/runs.html", runs=_service().store.list_runs(limit=RUNS_SHOWN))


@bp.get("/runs/<int:run_id>")
def run(run_id: int):
    found = _service().store.get_run(run_id)
    if found is None:
        abort(404, f"there is no sync run {run_id}: pick one from the run history")
    return render_template("admin/run.html", run=found)


# -- outbox ------------------------------------------------------------------------------------


@bp.get("/outbox")
def outbox():
    store = _service().store
    return render_template(
        "admin/outbox.html", pending=store.list_outbox("pending", limit=OUTBOX_SHOWN),
        failed=store.list_outbox("failed", limit=OUTBOX_SHOWN),
        push_field=push_field(store.get_settings()),
    )


def _flash_push(report) -> None:
    if report.error:
        flash(f"The push stopped: {report.error}", "error")
    for failure in report.failed:
        flash(f"{failure.email}: {failure.error}. Fix: {failure.fix}", "error")
    flash(f"Pushed {report.pushed} change(s); {report.pending} still pending.")


@bp.post("/outbox/<int:outbox_id>/retry")
def retry(outbox_id: int):
    service = _service()
    if not service.store.outbox_requeue(outbox_id, actor=ACTOR):
        flash("That push is no longer failed; nothing to retry.", "error")
    else:
        _flash_push(service.push(wait=0.0))
    return redirect(url_for("admin.outbox"))


@bp.post("/outbox/push")
def push_now():
    retry_failed = request.form.get("retry_failed") == "on"
    _flash_push(_service().push(wait=0.0, retry_failed=retry_failed))
    return redirect(url_for("admin.outbox"))


# -- people ------------------------------------------------------------------------------------


@bp.get("/people")
def people():
    query = request.args.get("q", "").strip()
    store = _service().store
    if not query:
        after = request.args.get("after", "0")
        after_id = int(after) if after.isdigit() else 0
        page = store.people_page(after_id, PEOPLE_PAGE + 1)
        return render_template("admin/people.html", query=query, listed=page[:PEOPLE_PAGE],
                               more=page[PEOPLE_PAGE - 1].id if len(page) > PEOPLE_PAGE
                               else None, first=after_id == 0, total=store.count_people())
    try:
        person = (store.get_person(query) if "@" in query
                  else store.find_person_by_salesforce_id(query))
    except StoreError as problem:
        return render_template("admin/people.html", query=query, error=str(problem)), 400
    if person is None:
        return render_template("admin/people.html", query=query,
                               error=f"No person has {query}: check the spelling."), 404
    return redirect(url_for("admin.person", person_id=person.id))


@bp.get("/people/<int:person_id>")
def person(person_id: int):
    store = _service().store
    found = store.get_person(person_id)
    if found is None:
        abort(404, f"there is no person {person_id}: look the person up by email")
    return render_template("admin/person.html", person=found,
                           history=store.person_history(person_id),
                           pending=store.outbox_for_person(person_id))


@bp.post("/people/<int:person_id>/<any(unsubscribe, resubscribe):action>")
def change_person(person_id: int, action: str):
    service = _service()
    found = service.store.get_person(person_id)
    if found is None:
        abort(404, f"there is no person {person_id}: look the person up by email")
    reason = " ".join(request.form.get("reason", "").split()) or None
    change = service.unsubscribe if action == "unsubscribe" else service.resubscribe
    try:
        outcome = change(found.email, source="manual", reason=reason, actor=ACTOR)
    except StoreError as problem:
        flash(str(problem), "error")
    else:
        done = "unsubscribed" if action == "unsubscribe" else "resubscribed"
        where = ("Salesforce has the change." if outcome.reached_salesforce
                 else f"Salesforce does not have it yet: {outcome.error}.")
        flash(f"{found.email} is {done}. {where}")
    return redirect(url_for("admin.person", person_id=person_id))
