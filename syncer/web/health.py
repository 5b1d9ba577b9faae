"""`GET /healthz`: is this syncer fit to serve? For systemd, containers and load balancers.

200 with `"ok": true` when the database takes writes and (under `syncer serve`) the scheduler
and the pusher run; 503 otherwise. Salesforce's last answer and the outbox depth are reported,
not judged: Salesforce being down is what the outbox is for, and restarting the syncer would
not help.
"""

from __future__ import annotations

from flask import Blueprint, current_app

bp = Blueprint("health", __name__)

SERVICE = "syncer.service"  # app.extensions key: the `Service` of `syncer serve`, if any


@bp.get("/healthz")
def healthz():
    syncer = current_app.extensions["syncer"]
    service = current_app.extensions.get(SERVICE)
    store = syncer.store
    problems = []
    unwritable = store.writable()
    if unwritable:
        problems.append(f"the database {store.path} takes no writes: {unwritable}")
    if service is not None:
        problems.extend(service.problems())
    contact = syncer.client.last_contact()
    upcoming = service.next_run_time() if service is not None else None
    body = {
        "ok": not problems,
        "problems": problems,
        "database": {"path": store.path, "writable": unwritable is None},
        "salesforce": {
            "last_contact": contact[0].isoformat(timespec="seconds") if contact else None,
            "last_status": contact[1] if contact else None,
        },
        "outbox": {"pending": store.count_pending(),
                   "waiting_for_id": store.count_pending_without_sfid(),
                   "failed": store.count_failed()},
        "nightly": {"sync": store.get_settings().nightly_sync,
                    "next": upcoming.isoformat(timespec="seconds") if upcoming else None},
    }
    response = current_app.json.response(body)
    response.status_code = 200 if not problems else 503
    response.headers["Cache-Control"] = "no-store"
    return response
