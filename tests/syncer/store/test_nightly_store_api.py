"""The Store methods the nightly run writes through: queue_push and apply_salesforce_value."""

from __future__ import annotations


def test_queue_push_makes_one_pending_row_that_keeps_its_age(store):
    person = store.upsert_person("q@example.com", salesforce_id="003000000000001AAA")
    first = store.queue_push(person, True)
    [item] = store.list_outbox()
    assert (item.id, item.desired, item.state) == (first, True, "pending")
    assert store.queue_push(person, True) == first
    assert store.list_outbox()[0].created_at == item.created_at


def test_apply_salesforce_value_changes_the_person_and_logs_why_without_a_push(store):
    person = store.upsert_person("s@example.com", salesforce_id="003000000000002AAA")
    store.apply_salesforce_value(person, True, previous=False, reason="opted out in Salesforce",
                                 details={"run_id": 7})
    assert store.get_person(person).opted_out and store.list_outbox() == []
    [event] = [e for e in store.db.query("SELECT * FROM events WHERE person_id = ?", [person])
               if e["action"] == "unsubscribe"]
    assert event["source"] == "salesforce" and event["reason"] == "opted out in Salesforce"
    assert '"previous": false' in event["details"] and '"run_id": 7' in event["details"]
