"""The Store methods the nightly run writes through: queue_push, queue_record_push, set_opted_out."""

from __future__ import annotations


def test_queue_push_makes_one_pending_row_that_keeps_its_age(store):
    person = store.upsert_person("q@example.com", salesforce_id="003000000000001AAA")
    first = store.queue_push(person, True)
    [item] = store.list_outbox()
    assert (item.id, item.desired, item.state) == (first, True, "pending")
    assert store.queue_push(person, True) == first
    assert store.list_outbox()[0].created_at == item.created_at


def test_a_value_from_salesforce_changes_the_person_and_logs_why_without_a_push(store):
    person = store.upsert_person("s@example.com", salesforce_id="003000000000002AAA")
    store.set_opted_out(person, True, source="salesforce", reason="opted out in Salesforce",
                        details={"run_id": 7})
    assert store.get_person(person).opted_out and store.list_outbox() == []
    [event] = [e for e in store.person_history(person) if e["action"] == "unsubscribe"]
    assert event["source"] == "salesforce" and event["reason"] == "opted out in Salesforce"
    assert event["details"]["previous"] is False and event["details"]["run_id"] == 7
