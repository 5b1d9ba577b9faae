"""Setup page routes: they parse forms, call the org model and render templates."""

from __future__ import annotations

import json

from flask import flash, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .. import errors
from ..api.context import current_org
from ..models import ui_resources
from ..models.cdc import SUPPORTED, cdc
from ..models.layouts import LayoutError, item_label, locked
from ..models.listing import records_page
from ..models.packages import PACKAGES, get_package
from ..models.schema import SObjectType
from .blueprint import bp
from .browse import PER_PAGE, display_value
from .guard import LOGIN_FAILED, check_login, current_user, safe_next

BROWSABLE = ("Contact", "Lead", "Account")


@bp.context_processor
def _globals() -> dict:
    return {"user": current_user(), "org_name": current_org().meta["name"]}


@bp.errorhandler(errors.SalesforceError)
def _salesforce_error(exc: errors.SalesforceError) -> tuple[str, int]:
    return render_template("setup/error.html", message=exc.message), exc.status


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[str, int]:
    return render_template("setup/error.html", message=exc.description), exc.code or 500


# -- signing in ---------------------------------------------------------------------


@bp.route("/setup/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if request.method == "POST":
        username = request.form.get("username", "")
        user_id = check_login(username, request.form.get("password", ""))
        if user_id is None:
            return render_template("setup/login.html", error=LOGIN_FAILED, username=username), 401
        csrf = session.get("csrf")
        session.clear()  # a fresh session on sign-in
        session["user_id"] = user_id
        if csrf:
            session["csrf"] = csrf
        return redirect(safe_next(request.args.get("next")))
    return render_template("setup/login.html", error=None, username="")


@bp.post("/setup/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("setup.login"))


# -- Setup home and Object Manager ------------------------------------------------------


def _menu() -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Setup's menu as (group, [(label, url, search words)])."""
    org = current_org()
    objects = [(t.label_plural, url_for("setup.object_detail", sobject=t.name),
                f"{t.label} {t.label_plural} {t.name} object")
               for t in sorted(org.types.values(), key=lambda t: t.label)]
    return [
        ("Object Manager", objects),
        ("Apps", [("Installed Packages", url_for("setup.packages"), "packages apps install")]),
        ("Company Settings", [("API Usage", url_for("setup.usage"), "api usage limits calls wsdl soap")]),
        ("Integrations", [("Change Data Capture", url_for("setup.change_data_capture"),
                           "change data capture cdc events streaming pub/sub")]),
        ("Data", [(f"{org.sobject(n).label} records", url_for("setup.records", sobject=n),
                   f"{n} records data browse") for n in BROWSABLE]),
    ]


@bp.get("/setup")
@bp.get("/setup/home")
def home() -> str:
    query = request.args.get("q", "").strip()
    menu = _menu()
    if query:
        words = query.lower()
        menu = [(group, [i for i in items if words in f"{i[0]} {i[2]}".lower()])
                for group, items in menu]
    return render_template("setup/home.html", menu=menu, query=query)


@bp.get("/setup/objects")
def objects() -> str:
    org = current_org()
    types = sorted(org.types.values(), key=lambda t: t.label)
    return render_template("setup/objects.html", types=types)


@bp.get("/setup/objects/<sobject>")
def object_detail(sobject: str) -> str:
    sobject_type = current_org().sobject(sobject)
    fields = sorted(sobject_type.fields.values(), key=lambda f: f.label.lower())
    return render_template("setup/object.html", sobject=sobject_type, fields=fields)


@bp.get("/setup/objects/<sobject>/layouts")
def layouts(sobject: str) -> str:
    org = current_org()
    sobject_type = org.sobject(sobject)
    return render_template("setup/layouts.html", sobject=sobject_type,
                           layout=org.layouts.get(sobject_type.name))


# -- the page layout editor --------------------------------------------------------------


@bp.get("/setup/objects/<sobject>/layouts/edit")
def edit_layout(sobject: str) -> str:
    org = current_org()
    sobject_type = org.sobject(sobject)
    layout = org.layouts.get(sobject_type.name)
    return render_template(
        "setup/layout_edit.html", sobject=sobject_type, layout=layout,
        palette=org.layouts.palette(sobject_type.name), field=sobject_type.fields.__getitem__,
        label=lambda f: item_label(sobject_type, f), locked=locked,
    )


def _back_to_editor(sobject: SObjectType) -> Response:
    return redirect(url_for("setup.edit_layout", sobject=sobject.name))


@bp.post("/setup/objects/<sobject>/layouts/edit")
def save_layout(sobject: str) -> Response:
    """Save the editor's arrangement (JSON from the page script) and go back to the list."""
    org = current_org()
    sobject_type = org.sobject(sobject)
    raw = request.form.get("layout", "").strip()
    if raw:
        try:
            placement = json.loads(raw)
            if not isinstance(placement, dict):
                raise LayoutError("The layout must be a JSON object of sections")
            org.layouts.arrange(sobject_type.name, placement)
        except (ValueError, LayoutError) as exc:
            flash(f"Not saved: {exc}", "error")
            return _back_to_editor(sobject_type)
    flash(f"{sobject_type.label} Layout saved.", "success")
    return redirect(url_for("setup.layouts", sobject=sobject_type.name))


@bp.post("/setup/objects/<sobject>/layouts/add")
def add_to_layout(sobject: str) -> Response:
    """Without the page script: "Add to section" puts the field on and saves at once."""
    org = current_org()
    sobject_type = org.sobject(sobject)
    try:
        org.layouts.add_field(sobject_type.name, request.form.get("field", ""),
                              request.form.get("section") or None)
        flash(f"Added {request.form.get('field')} to the layout.", "success")
    except LayoutError as exc:
        flash(str(exc), "error")
    return _back_to_editor(sobject_type)


@bp.post("/setup/objects/<sobject>/layouts/remove")
def remove_from_layout(sobject: str) -> Response:
    """Without the page script: "Remove" takes the field off and saves at once."""
    org = current_org()
    sobject_type = org.sobject(sobject)
    try:
        org.layouts.remove_field(sobject_type.name, request.form.get("field", ""))
        flash(f"Removed {request.form.get('field')} from the layout.", "success")
    except LayoutError as exc:
        flash(str(exc), "error")
    return _back_to_editor(sobject_type)


# -- record pages and the record browser ------------------------------------------------


@bp.get("/lightning/r/<sobject>/<record_id>/view")
def record(sobject: str, record_id: str) -> str:
    org = current_org()
    sobject_type = org.sobject(sobject)
    row = org.get(sobject_type.name, record_id)
    ui_resources.mark_viewed(org, sobject_type, row["Id"])  # what /recent lists
    sections = org.layouts.visible_fields(sobject_type.name, org.field_security)
    return render_template(
        "setup/record.html", sobject=sobject_type, row=row, sections=sections,
        field=sobject_type.fields.__getitem__, label=lambda f: item_label(sobject_type, f),
        show=lambda f: display_value(org, f, row.get(f.name)),
    )


@bp.get("/setup/records/<sobject>")
def records(sobject: str) -> str:
    org = current_org()
    sobject_type = org.sobject(sobject)
    query = request.args.get("q", "").strip()
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and int(page) > 0 else 1
    rows, total = records_page(org, sobject_type, query, number, PER_PAGE)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    columns = [f for f in (sobject_type.field(n) for n in
                           ("Name", "Email", "Company", "Phone", "HasOptedOutOfEmail")) if f]
    return render_template("setup/records.html", sobject=sobject_type, rows=rows, total=total,
                           query=query, page=min(number, pages), pages=pages, columns=columns,
                           show=lambda f, row: display_value(org, f, row.get(f.name)))


# -- installed packages and API usage ------------------------------------------------------


@bp.get("/setup/packages")
def packages() -> str:
    installed = current_org().installed_packages()
    return render_template("setup/packages.html", packages=list(PACKAGES.values()),
                           installed=installed)


@bp.post("/setup/packages/<name>/install")
def install_package(name: str) -> Response:
    package = get_package(name)
    current_org().install_package(package.name)
    flash(f"{package.label} installed.", "success")
    return redirect(url_for("setup.packages"))


@bp.post("/setup/packages/<name>/uninstall")
def uninstall_package(name: str) -> Response:
    package = get_package(name)
    current_org().uninstall_package(package.name)
    flash(f"{package.label} uninstalled; its fields and their data are gone.", "success")
    return redirect(url_for("setup.packages"))


@bp.get("/setup/usage")
def usage() -> str:
    used, maximum = current_org().api_usage()
    return render_template("setup/usage.html", used=used, maximum=maximum,
                           percent=round(100 * used / maximum, 1) if maximum else 100.0)


# -- Change Data Capture ------------------------------------------------------------------


@bp.get("/setup/cdc")
def change_data_capture() -> str:
    org = current_org()
    bus = cdc(org)
    return render_template("setup/cdc.html", available=[org.sobject(n) for n in SUPPORTED
                                                        if n in org.types],
                           selected=bus.selected())


@bp.post("/setup/cdc")
def save_change_data_capture() -> Response:
    cdc(current_org()).select(request.form.getlist("entity"))
    flash("Change Data Capture selection saved.", "success")
    return redirect(url_for("setup.change_data_capture"))
