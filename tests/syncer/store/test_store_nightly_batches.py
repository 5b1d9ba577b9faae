"""The store's batched writes and streamed reads for a nightly run's pages."""

from datetime import timedelta

from syncer.store import Store

CONTACT = "003000000000001AAA"
LEAD = "00Q000000000002EAA"


def linked(store: Store, email: str, sfid: str) -> int:
    return store.upsert_person(email, salesforce_id=sfid)


def test_due_pushes_are_every_due_row_in_id_order_with_its_record(store, clock):
    ann = linked(store, "ann@example.com", CONTACT)
    bob = linked(store, "bob@example.com", LEAD)
    store.upsert_person("cy@example.com")  # no record yet: cannot go out
    later = store.queue_push(bob, False)
    first = store.queue_push(ann, True)
    store.queue_push(store.get_person("cy@example.com").id, True)
    record = store.queue_record_push("003000000000003AAA", "Contact", True,
                                     field="HasOptedOutOfEmail")
    now = store.now()
    store.outbox_retry(later, "UNABLE_TO_LOCK_ROW", clock() + timedelta(minutes=5))
    assert list(store.due_pushes(now)) == [
        (first, CONTACT, "Contact", True), (record, "003000000000003AAA", "Contact", True)]
    assert [row[0] for row in store.due_pushes(store.now(), chunk=1)] == [first, record]
    clock.advance(minutes=10)
    assert [row[0] for row in store.due_pushes(store.now())] == [later, first, record]


def test_a_pages_opt_outs_and_events_are_written_as_the_single_calls_would(store):
    ann = linked(store, "ann@example.com", CONTACT)
    bob = linked(store, "bob@example.com", LEAD)
    with store.transaction():
        store.set_opted_out_many([(ann, True), (bob, False)])
        store.record_person_events([
            (ann, "ann@example.com", "unsubscribe", "salesforce", "checked there",
             {"previous": False, "run_id": 7}),
            (bob, "bob@example.com", "sync_decision", "sync", None, {}),
        ])
    assert store.get_person(ann).opted_out and not store.get_person(bob).opted_out
    [*_, unsubscribe] = store.person_history(ann)
    assert (unsubscribe["action"], unsubscribe["source"], unsubscribe["reason"],
            unsubscribe["email"], unsubscribe["details"]) == (
        "unsubscribe", "salesforce", "checked there", "ann@example.com",
        {"previous": False, "run_id": 7})
    assert unsubscribe["occurred_at"] == unsubscribe["recorded_at"] == store.now()
    assert store.person_history(bob)[-1]["action"] == "sync_decision"
    assert unsubscribe["id"] < store.person_history(bob)[-1]["id"]  # in the order given
