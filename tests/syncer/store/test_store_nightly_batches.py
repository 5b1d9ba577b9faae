"""The store's batched writes and streamed reads for a nightly run's pages."""

from datetime import timedelta

import pytest

from syncer.store import Store
from syncer.store import people as people_module
from syncer.store.values import to_json

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
    assert store.count_due(store.now()) == 3
    assert store.count_due(store.now(), at_most=2) == 2
    assert store.count_due(store.now(), at_most=4) == 3
    # One type's (a Bulk job is per type), a person's by their record's type.
    assert [row[0] for row in store.due_pushes(store.now(), "Contact")] == [first, record]
    assert list(store.due_pushes(store.now(), "Lead")) == [(later, LEAD, "Lead", False)]


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


def _outbox(store: Store) -> list[tuple]:
    return [tuple(row) for row in store.db.execute("SELECT * FROM outbox ORDER BY id")]


def test_queue_pushes_writes_the_rows_queue_push_would_one_by_one(clock):
    """New rows get their ids in order; a person's pending row is re-queued (its age kept for
    the same value, reset for a new one), as queue_push does."""
    stores = [Store(":memory:", clock=clock) for _ in range(2)]
    try:
        for store in stores:
            people = [linked(store, f"p{n}@example.com", f"00300000000000{n}AAA")
                      for n in range(4)]
            store.queue_push(people[0], True)
            store.queue_push(people[1], True)
            store.outbox_retry(store.outbox_for_person(people[1]).id, "UNABLE_TO_LOCK_ROW",
                               clock() + timedelta(minutes=5))
        clock.advance(minutes=1)
        pushes = [(people[2], True), (people[0], True), (people[1], False), (people[3], False),
                  (people[2], False), (people[3], False)]  # named again: re-queued
        one_by_one, batched = stores
        for person, value in pushes:
            one_by_one.queue_push(person, value)
        batched.queue_pushes(pushes)
        assert _outbox(batched) == _outbox(one_by_one)
        assert len(_outbox(batched)) == 4
    finally:
        for store in stores:
            store.close()


def test_set_opted_out_many_sets_each_persons_last_value_a_few_a_statement(store, clock,
                                                                          monkeypatch):
    monkeypatch.setattr(people_module, "UPDATE_ROWS", 2)
    people = [store.upsert_person(f"p{n}@example.com") for n in range(7)]
    clock.advance(minutes=1)
    values = [(person, n % 3 == 0) for n, person in enumerate(people)] + [(people[1], True)]
    statements = []
    store.db.conn.set_trace_callback(
        lambda sql: statements.append(sql) if sql.startswith("UPDATE people") else None)
    with store.transaction():
        store.set_opted_out_many(values)
    store.db.conn.set_trace_callback(None)
    assert len(statements) == 2 + 2  # 4 people set True (0, 1, 3, 6), 3 False: 2 a statement
    assert [store.get_person(person).opted_out for person in people] == \
        [True, True, False, True, False, False, True]
    assert {store.get_person(person).updated_at for person in people} == {store.now()}


def test_opt_outs_with_their_baselines_write_what_the_two_calls_would(clock):
    """set_opted_out_many with `baselines` leaves every person as set_baselines then
    set_opted_out_many would (the run's opt-outs that agree with Salesforce)."""
    stores = [Store(":memory:", clock=clock) for _ in range(2)]
    try:
        for store in stores:
            for n in range(5):
                store.upsert_person(f"p{n}@example.com")
        clock.advance(minutes=1)
        values = [(1, True), (2, False), (3, True), (4, True)]
        agreed = {1: True, 2: False}
        apart, together = stores
        with apart.transaction():
            apart.set_baselines(agreed.items(), field="HasOptedOutOfEmail")
            apart.set_opted_out_many(values)
        with together.transaction():
            together.set_opted_out_many(values, baselines=agreed, field="HasOptedOutOfEmail")
        people = "SELECT * FROM people ORDER BY id"
        assert [tuple(row) for row in together.db.execute(people)] == \
            [tuple(row) for row in apart.db.execute(people)]
        assert together.get_person(1).baseline is True and together.get_person(3).baseline \
            is None
    finally:
        for store in stores:
            store.close()


def test_set_baselines_sets_each_persons_last_value(store):
    ann = linked(store, "ann@example.com", CONTACT)
    bob = linked(store, "bob@example.com", LEAD)
    assert store.set_baselines([(ann, True), (bob, False), (ann, False)],
                               field="HasOptedOutOfEmail") == 2
    assert (store.get_person(ann).baseline, store.get_person(bob).baseline) == (False, False)
    assert store.get_person(ann).baseline_at == store.get_person(ann).updated_at == store.now()


def test_set_baselines_names_at_most_update_rows_people_a_statement(store, monkeypatch):
    monkeypatch.setattr(people_module, "UPDATE_ROWS", 3)
    people = [store.upsert_person(f"p{n}@example.com") for n in range(11)]
    values = [(person, n % 4 == 0) for n, person in enumerate(people)]
    statements = []
    store.db.conn.set_trace_callback(
        lambda sql: statements.append(sql) if sql.startswith("UPDATE people") else None)
    assert store.set_baselines(values, field="HasOptedOutOfEmail") == 11
    store.db.conn.set_trace_callback(None)
    assert len(statements) == 1 + 3  # 3 people set True, 8 False: 3 a statement
    assert [store.get_person(person).baseline for person in people] == \
        [n % 4 == 0 for n in range(11)]


@pytest.mark.parametrize("extra", [
    {"run_id": 7, "via": "bulk"}, {"run_id": None, "via": "bulk"}, {"via": "collections"},
    {}, {"run_id": "7", "via": "bulk"}, {"run_id": 7, "via": "bulk", "job": "750x"},
], ids=["run", "no-run-id", "no-run", "nothing", "odd-run-id", "another-key"])
def test_confirmations_log_the_details_to_json_writes(store, extra):
    """outbox_done's 'push' events: each one's details as to_json writes them, whatever the
    extra details, for a record with an Id JSON escapes and one with none yet."""
    ann = linked(store, "ann@example.com", CONTACT)
    bob = linked(store, "bob@example.com", LEAD)
    odd = store.queue_record_push("003Ab\"000\\00\u00e900001", "Contact", True,
                                  field="HasOptedOutOfEmail")
    first, second = store.queue_push(ann, True), store.queue_push(bob, False)
    store.db.execute("UPDATE people SET salesforce_id = NULL, salesforce_type = NULL"
                     " WHERE id = ?", (bob,))
    sent = [(second, False), (odd, True), (first, False)]  # ann's is superseded
    assert store.outbox_done(sent, field="HasOptedOutOfEmail", details=extra) == [second, odd]
    pushes = [(event["person_id"], event["details"]) for event in store.list_events("push")]
    expected = [(bob, {**extra, "outbox_id": second, "field": "HasOptedOutOfEmail",
                       "salesforce_id": None, "value": False, "superseded": False}),
                (None, {**extra, "outbox_id": odd, "field": "HasOptedOutOfEmail",
                        "salesforce_id": "003Ab\"000\\00\u00e900001", "value": True,
                        "superseded": False}),
                (ann, {**extra, "outbox_id": first, "field": "HasOptedOutOfEmail",
                       "salesforce_id": CONTACT, "value": False, "superseded": True})]
    assert pushes == expected
    texts = [row[0] for row in store.db.execute(
        "SELECT details FROM events WHERE action = 'push' ORDER BY id")]
    assert texts == [to_json(details) for _, details in expected]
