"""Upsert matches on any field described idLookup, not only external IDs (Contact.Email)."""

from __future__ import annotations

import uuid


def test_collections_upsert_on_email_creates_then_matches(target, snapshot):
    email = f"parity-{uuid.uuid4().hex[:10]}@example.com"
    record = {"attributes": {"type": "Contact"}, "LastName": "Parity Upsert", "Email": email}
    answer = target.call("PATCH", "composite/sobjects/Contact/Email",
                         json={"allOrNone": False, "records": [record]})
    if answer.status == 200 and answer.body[0].get("id"):
        created = answer.body[0]["id"]
        target.cleanup.append(lambda: target.call("DELETE", f"sobjects/Contact/{created}"))
    snapshot("upsert_on_email", answer)
    again = target.call("PATCH", "composite/sobjects/Contact/Email",
                        json={"allOrNone": False, "records": [record]})
    assert again.body[0]["created"] is False and again.body[0]["id"] == answer.body[0]["id"]
