"""Linking people by email: Contacts first, then unconverted Leads, batched and escaped."""

from __future__ import annotations

from datetime import timedelta

from syncer.people.link import link_people
from syncer.service import Syncer


def _contact(org, email: str, **extra) -> str:
    return org.insert("Contact", {"LastName": "Linked", "Email": email, **extra}, check=False)


def _lead(org, email: str) -> str:
    return org.insert("Lead", {"LastName": "Linked", "Company": "Co", "Email": email},
                      check=False)


def test_contacts_first_then_unconverted_leads(org, syncer):
    both_contact = _contact(org, "both@example.com")
    _lead(org, "both@example.com")
    lead_only = _lead(org, "lead.only@example.com")
    for email in ("both@example.com", "lead.only@example.com", "nobody@example.com"):
        syncer.store.upsert_person(email)
    report = link_people(syncer.store, syncer.client)
    linked = {link.email: (link.salesforce_id, link.type) for link in report.linked}
    assert linked == {"both@example.com": (both_contact, "Contact"),
                      "lead.only@example.com": (lead_only, "Lead")}
    assert (report.looked_up, report.not_found_count) == (3, 1)
    assert report.not_found == ["nobody@example.com"]
    assert report.api_calls == 2
    person = syncer.store.get_person("lead.only@example.com")
    assert (person.salesforce_id, person.salesforce_type) == (lead_only, "Lead")
    event = syncer.store.person_history(person.id)[-1]
    assert (event["action"], event["source"]) == ("link", "salesforce")
    assert event["reason"] == "found by email among Leads"


def test_converted_leads_are_not_linked(org, syncer):
    other = _contact(org, "someone.else@example.com")
    lead = _lead(org, "converted@example.com")
    org.convert_lead(lead, contact_id=other)
    syncer.store.upsert_person("converted@example.com")
    report = link_people(syncer.store, syncer.client)
    assert report.linked == [] and report.not_found == ["converted@example.com"]


def test_emails_match_case_insensitively_and_are_escaped(org, syncer):
    mixed = _contact(org, "Mixed.Case@Example.com")
    quoted = _contact(org, "o'brien@example.com")
    syncer.store.upsert_person("mixed.case@example.com")
    syncer.store.upsert_person("O'Brien@example.com")
    report = link_people(syncer.store, syncer.client)
    assert {link.salesforce_id for link in report.linked} == {mixed, quoted}


def test_a_shared_email_links_the_most_recently_modified_record(org, syncer):
    older = _contact(org, "shared@example.com")
    newer = _contact(org, "shared@example.com")
    later = org.now() + timedelta(minutes=5)
    org.clock = lambda: later
    org.update("Contact", newer, {"Title": "Touched"})
    syncer.store.upsert_person("shared@example.com")
    report = link_people(syncer.store, syncer.client)
    [link] = report.ambiguous
    assert (link.salesforce_id, link.candidates) == (newer, 2) and older != newer
    reason = syncer.store.person_history(syncer.store.get_person("shared@example.com").id)[-1]
    assert "2 share it, linked the most recently modified" in reason["reason"]


def test_a_record_linked_to_someone_else_is_reported(org, syncer):
    record = _contact(org, "taken@example.com")
    syncer.store.upsert_person("first@example.com", salesforce_id=record)
    syncer.store.upsert_person("taken@example.com")
    report = link_people(syncer.store, syncer.client)
    assert report.linked == [] and report.conflicts == ["taken@example.com"]
    assert syncer.store.get_person("taken@example.com").salesforce_id is None


def test_many_people_are_looked_up_200_emails_a_query(org, syncer):
    with org.lock, org.db.atomic():
        for i in range(450):
            _contact(org, f"many{i}@example.com")
    with syncer.store.transaction():
        for i in range(450):
            syncer.store.upsert_person(f"many{i}@example.com")
        for i in range(10):
            syncer.store.upsert_person(f"missing{i}@example.com")
    report = link_people(syncer.store, syncer.client)
    assert len(report.linked) == 450 and report.not_found_count == 10
    assert len(report.not_found) == 5
    assert report.api_calls == 3 + 1  # three Contact chunks, one Lead chunk for the rest


def test_link_pushes_what_was_waiting_for_an_id(server, server_config):
    """Over the HTTPS front door: an unsubscribe captured before the ID is known."""
    org = server.org
    contact = next(org.records("Contact"))
    with Syncer(server_config) as syncer:
        assert syncer.unsubscribe(contact["Email"]).state == "waiting_for_id"
        outcome = syncer.link()
        assert outcome.push.pushed == 1
        assert syncer.store.get_person(contact["Email"]).salesforce_id == contact["Id"]
    assert org.get("Contact", contact["Id"])["HasOptedOutOfEmail"] == 1
