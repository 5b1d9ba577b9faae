"""The syncer's store: nothing captured is lost, every change is logged, pushes never go stale."""

import json
import os
import sqlite3
import stat
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlite_utils

from syncer.salesforce import ids as sfids
from syncer.store import (
    SETTING_VALIDATORS,
    SOURCES,
    IdempotencyConflict,
    InvalidEmail,
    InvalidSalesforceId,
    InvalidValue,
    NotFound,
    SalesforceIdInUse,
    Settings,
    SettingsError,
    Store,
    StoreError,
    iso_utc,
    normalise_email,
    utcnow_iso,
    validate_salesforce_id,
)
from syncer.store.schema import MIGRATIONS, migrate, schema_version

CONTACT_15 = "00300000003T2PG"
CONTACT = "00300000003T2PGAA0"
OTHER_CONTACT = sfids.to18("0030000000AbCdE")
LEAD = sfids.to18("00Q000000012345")
START = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "syncer.db"


def assert_one_line_naming_fix(error: Exception) -> None:
    message = str(error)
    assert "\n" not in message
    assert ": " in message, f"no fix after the colon in {message!r}"


def event_count(store: Store) -> int:
    return store.count_events()


def outbox_count(store: Store) -> int:
    return len(store.list_outbox())


def unsubscribe(store: Store, email: str = "ann@example.com", **kwargs) -> int:
    kwargs.setdefault("source", "link")
    return store.capture(email, opted_out=True, **kwargs).person_id


def linked_person(store: Store, email: str = "ann@example.com", sfid: str = CONTACT) -> int:
    return store.upsert_person(email, salesforce_id=sfid)


# -- opening the database ------------------------------------------------------------------------


def test_a_new_database_file_is_readable_by_its_owner_only(db_path):
    Store(db_path).close()
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600


def test_a_file_database_uses_wal_and_waits_30_seconds_for_a_lock(db_path):
    with Store(db_path) as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 30000


def test_reopening_a_database_keeps_its_data(db_path):
    with Store(db_path) as store:
        unsubscribe(store)
    with Store(db_path) as store:
        assert store.get_person("ann@example.com").opted_out
        assert store.schema_version == len(MIGRATIONS)


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="create its folder") as raised:
        Store(tmp_path / "nowhere" / "syncer.db")
    assert_one_line_naming_fix(raised.value)


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database, just some notes\n" * 100)
    with pytest.raises(StoreError, match="is not a syncer database") as raised:
        Store(path)
    assert_one_line_naming_fix(raised.value)


def test_a_database_from_a_newer_syncer_is_refused(db_path):
    Store(db_path).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="upgrade the syncer") as raised:
        Store(db_path)
    assert_one_line_naming_fix(raised.value)


# -- schema migrations ---------------------------------------------------------------------------


def test_an_old_database_is_upgraded_and_keeps_its_data(db_path):
    old = sqlite_utils.Database(sqlite3.connect(db_path, isolation_level=None))
    assert migrate(old, MIGRATIONS[:1]) == 1
    old.execute("INSERT INTO people (email, opted_out, created_at, updated_at)"
                " VALUES ('old@example.com', 1, '2025-01-01T00:00:00.000000Z', 'x')")
    old.close()

    with Store(db_path) as store:
        assert store.schema_version == len(MIGRATIONS)
        person = store.get_person("old@example.com")
        assert person.opted_out and person.created_at == "2025-01-01T00:00:00.000000Z"


def test_version_2_keeps_the_outbox_its_ids_and_the_last_runs_unsent_fan_out(db_path):
    old = sqlite_utils.Database(sqlite3.connect(db_path, isolation_level=None))
    assert migrate(old, MIGRATIONS[:1]) == 1
    at = "2026-11-01T04:00:00.000000Z"
    old.execute("INSERT INTO people (email, salesforce_id, salesforce_type, created_at,"
                f" updated_at) VALUES ('ann@example.com', '{CONTACT}', 'Contact', '{at}', '{at}')")
    for outbox_id in (7, 1):  # 7 was pushed and removed: the sequence is at 7
        old.execute("DELETE FROM outbox")
        old.execute("INSERT INTO outbox (id, person_id, desired, next_attempt_at, created_at,"
                    f" updated_at) VALUES ({outbox_id}, 1, 1, '{at}', '{at}', '{at}')")
    old.execute("INSERT INTO sync_runs (started_at, finished_at, status, mode, details)"
                f" VALUES ('{at}', '{at}', 'partial', 'incremental', ?)",
                [json.dumps({"watermarks": {}, "field": "HasOptedOutOfEmail",
                             "retry": [["Lead", LEAD, True]]})])
    old.close()

    with Store(db_path) as store:
        kept, carried = store.list_outbox()
        assert (kept.id, kept.person_id, kept.salesforce_id) == (1, 1, CONTACT)
        assert (carried.person_id, carried.salesforce_id, carried.salesforce_type) == (
            None, LEAD, "Lead")
        assert carried.desired and carried.field == "HasOptedOutOfEmail"
        assert store.queue_push(store.upsert_person("bo@example.com"), True) > 7  # no id reused


def test_migrate_applies_only_the_missing_migrations_in_order():
    db = sqlite_utils.Database(sqlite3.connect(":memory:", isolation_level=None))
    applied = []

    def add_nickname(db):
        applied.append("nickname")
        db.execute("ALTER TABLE people ADD COLUMN nickname TEXT")

    assert migrate(db, MIGRATIONS) == len(MIGRATIONS)
    assert migrate(db, [*MIGRATIONS, add_nickname]) == len(MIGRATIONS) + 1
    assert migrate(db, [*MIGRATIONS, add_nickname]) == len(MIGRATIONS) + 1
    assert applied == ["nickname"]
    assert "nickname" in db["people"].columns_dict


def test_a_failing_migration_leaves_the_database_at_the_previous_version():
    db = sqlite_utils.Database(sqlite3.connect(":memory:", isolation_level=None))

    def broken(db):
        db.execute("CREATE TABLE half_done (id INTEGER)")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        migrate(db, [*MIGRATIONS, broken])
    assert schema_version(db) == len(MIGRATIONS)
    assert "half_done" not in db.table_names()


# -- transactions and threads ------------------------------------------------------------------------


def test_a_transaction_rolls_back_everything_when_it_fails(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert_person("ann@example.com")
        raise RuntimeError("boom")
    assert store.count_people() == 0


def test_a_failing_inner_transaction_undoes_only_its_own_writes(store):
    with store.transaction():
        store.upsert_person("ann@example.com")
        with pytest.raises(RuntimeError), store.transaction():
            store.upsert_person("bob@example.com")
            raise RuntimeError("boom")
    assert [p.email for p in store.iter_people()] == ["ann@example.com"]


def test_threads_can_share_one_store(db_path):
    with Store(db_path) as store:
        def capture_many(thread: int) -> None:
            for n in range(25):
                store.capture(f"t{thread}-{n}@example.com", opted_out=True, source="api")

        threads = [threading.Thread(target=capture_many, args=(t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert store.count_opted_out() == 200
        assert event_count(store) == 200
        assert outbox_count(store) == 200


def test_a_second_store_on_the_same_file_waits_for_a_writer_instead_of_failing(db_path):
    first, second = Store(db_path), Store(db_path)
    holding = threading.Event()

    def hold_write_lock() -> None:
        with first.transaction():
            first.upsert_person("first@example.com")
            holding.set()
            time.sleep(0.5)

    writer = threading.Thread(target=hold_write_lock)
    writer.start()
    holding.wait()
    second.capture("second@example.com", opted_out=True, source="link")
    writer.join()
    assert second.count_people() == 2
    first.close()
    second.close()


# -- emails, Salesforce IDs and timestamps ------------------------------------------------------


@pytest.mark.parametrize("raw, stored", [
    ("Ann@Example.com", "ann@example.com"),
    ("  bob.smith+news@mail.example.co.uk \n", "bob.smith+news@mail.example.co.uk"),
    ("o'brien@example.ie", "o'brien@example.ie"),
])
def test_emails_are_stored_trimmed_and_lower_cased(raw, stored):
    assert normalise_email(raw) == stored


@pytest.mark.parametrize("bad", [
    "", "   ", "ann", "ann@", "@example.com", "ann@example", "ann smith@example.com",
    "ann@@example.com", "Ann <ann@example.com>", "ann@-example.com", "ann@exa_mple.com",
    "a" * 250 + "@example.com",
])
def test_malformed_emails_are_refused_with_the_fix(bad):
    with pytest.raises(InvalidEmail) as raised:
        normalise_email(bad)
    assert_one_line_naming_fix(raised.value)
    assert "name@example.com" in str(raised.value)


def test_the_known_salesforce_id_pair():
    assert sfids.to18(CONTACT_15) == CONTACT
    assert validate_salesforce_id(CONTACT_15) == CONTACT
    assert validate_salesforce_id(CONTACT) == CONTACT


def test_the_checksum_sets_one_bit_per_uppercase_letter_counting_from_the_left():
    assert sfids.to18("003aaaaaaaaaaaa")[15:] == "AAA"
    assert sfids.to18("Aaaaaaaaaaaaaaa")[15:] == "BAA"  # the leftmost character is worth 1
    assert sfids.to18("aAaaaaaaaaaaaaa")[15:] == "CAA"  # the next one 2
    assert sfids.to18("aaaaaAaaaaaaaaa")[15:] == "ABA"  # each chunk gives its own character
    assert sfids.to18("aaaaaaaaaaaaaaZ")[15:] == "AAQ"  # a chunk's rightmost is worth 16
    assert sfids.to18("ABCDEFGHIJKLMNO")[15:] == "555"


@pytest.mark.parametrize("given", [CONTACT[:15] + "aa0", f"  {CONTACT}  "])
def test_an_18_character_id_accepts_a_lower_case_suffix_and_spaces(given):
    assert validate_salesforce_id(given) == CONTACT


def test_lead_ids_are_accepted_and_typed():
    assert validate_salesforce_id(LEAD[:15]) == LEAD
    assert sfids.record_type(LEAD) == "Lead" and sfids.record_type(CONTACT) == "Contact"


@pytest.mark.parametrize("bad, fix", [
    ("", "copy the 15- or 18-character ID"),
    ("0030000000", "copy the 15- or 18-character ID"),
    ("00300000003T2PG-AA", "copy the 15- or 18-character ID"),
    ("00300000003T2PGÄ", "copy the 15- or 18-character ID"),
    ("001000000000001", "Contact or Lead"),
    ("00q000000012345", "Contact or Lead"),
    (CONTACT[:15] + "AAB", "should be AA0"),
    (CONTACT.lower(), "wrong checksum"),
])
def test_bad_salesforce_ids_are_refused_with_the_fix(bad, fix):
    with pytest.raises(InvalidSalesforceId, match=fix) as raised:
        validate_salesforce_id(bad)
    assert_one_line_naming_fix(raised.value)


def test_timestamps_are_utc_with_microseconds_and_a_z(clock):
    clock.moment = datetime(2026, 3, 8, 2, 30, 5, 123, tzinfo=timezone(timedelta(hours=-8)))
    assert utcnow_iso(clock) == "2026-03-08T10:30:05.000123Z"
    assert iso_utc("2026-11-28T12:00:00-08:00") == "2026-11-28T20:00:00.000000Z"
    assert iso_utc("2026-11-28T20:00:00Z") == "2026-11-28T20:00:00.000000Z"


@pytest.mark.parametrize("bad", [datetime(2026, 11, 28), "2026-11-28T20:00:00", "yesterday", 5])
def test_timestamps_without_a_time_zone_or_unparseable_are_refused(bad):
    with pytest.raises(InvalidValue) as raised:
        iso_utc(bad)
    assert_one_line_naming_fix(raised.value)


# -- the event log -------------------------------------------------------------------------------


def test_events_cannot_be_changed_or_deleted_even_with_raw_sql(store):
    unsubscribe(store)
    for sql in ("UPDATE events SET action = 'resubscribe'", "DELETE FROM events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute(sql)
    assert [e["action"] for e in store.person_history(1)] == ["unsubscribe"]


def test_record_event_appends_a_decision_with_its_details(store, clock):
    person_id = linked_person(store)
    clock.advance(minutes=1)
    event_id = store.record_event("sync_decision", source="sync", person_id=person_id,
                                  reason="opt-out is sticky", details={"winner": "local"})
    event = store.person_history(person_id)[-1]
    assert event == {
        "id": event_id, "person_id": person_id, "email": "ann@example.com",
        "action": "sync_decision", "source": "sync", "reason": "opt-out is sticky",
        "actor": None, "occurred_at": "2026-11-28T20:01:00.000000Z",
        "recorded_at": "2026-11-28T20:01:00.000000Z", "details": {"winner": "local"},
    }


def test_events_need_a_known_source_and_person(store):
    with pytest.raises(InvalidValue, match="use one of link, manual") as raised:
        store.record_event("sync_decision", source="cron")
    assert_one_line_naming_fix(raised.value)
    with pytest.raises(NotFound):
        store.record_event("sync_decision", source="sync", person_id=42)
    assert event_count(store) == 0


# -- capture -------------------------------------------------------------------------------------


def test_capture_records_the_person_the_event_and_the_push_at_once(store, clock):
    result = store.capture("Ann@Example.com", opted_out=True, source="link",
                           reason="clicked unsubscribe", actor="email 4711",
                           occurred_at="2026-11-28T11:59:00-08:00")

    person = store.get_person(result.person_id)
    assert person.email == "ann@example.com" and person.opted_out
    [event] = store.person_history(person.id)
    assert event["id"] == result.event_id
    assert (event["action"], event["source"], event["reason"], event["actor"]) == (
        "unsubscribe", "link", "clicked unsubscribe", "email 4711")
    assert event["occurred_at"] == "2026-11-28T19:59:00.000000Z"
    assert event["recorded_at"] == "2026-11-28T20:00:00.000000Z"
    assert event["details"] == {"previous": False}
    [push] = store.list_outbox()
    assert (push.id, push.person_id, push.desired, push.state) == (
        result.outbox_id, person.id, True, "pending")
    assert push.next_attempt_at == "2026-11-28T20:00:00.000000Z"
    assert result.duplicate is False


def test_capture_is_all_or_nothing(store, monkeypatch):
    def outbox_down(*args):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "queue_push", outbox_down)
    with pytest.raises(sqlite3.OperationalError):
        unsubscribe(store)
    assert store.count_people() == 0 and event_count(store) == 0


def test_a_new_capture_replaces_the_pending_value_instead_of_adding_a_push(store, clock):
    unsubscribe(store)
    clock.advance(minutes=5)
    store.resubscribe("ann@example.com", source="manual", reason="asked by phone", actor="admin")

    [push] = store.list_outbox()
    assert push.desired is False
    assert push.created_at == "2026-11-28T20:05:00.000000Z"
    assert not store.get_person("ann@example.com").opted_out
    assert [e["action"] for e in store.person_history(push.person_id)] == [
        "unsubscribe", "resubscribe"]


def test_repeating_the_same_value_keeps_when_it_was_first_queued(store, clock):
    unsubscribe(store)
    clock.advance(hours=3)
    unsubscribe(store)
    [push] = store.list_outbox()
    assert push.created_at == "2026-11-28T20:00:00.000000Z"
    assert push.updated_at == "2026-11-28T23:00:00.000000Z"


def test_capture_by_salesforce_id_finds_the_linked_person(store):
    person_id = linked_person(store)
    assert store.capture(salesforce_id=CONTACT_15, opted_out=True, source="salesforce") \
        .person_id == person_id
    assert store.get_person(person_id).opted_out


def test_capture_by_an_unknown_salesforce_id_alone_cannot_create_a_person(store):
    with pytest.raises(NotFound, match="capture by email") as raised:
        store.capture(salesforce_id=CONTACT, opted_out=True, source="api")
    assert_one_line_naming_fix(raised.value)
    assert store.count_people() == 0 and event_count(store) == 0


def test_capture_of_a_new_person_with_a_salesforce_id_links_them(store):
    result = store.capture("ann@example.com", LEAD, opted_out=True, source="api")
    person = store.get_person(result.person_id)
    assert (person.salesforce_id, person.salesforce_type) == (LEAD, "Lead")
    assert [e["action"] for e in store.person_history(person.id)] == ["link", "unsubscribe"]
    assert [item.id for item in store.due_outbox()] == [result.outbox_id]


def test_capture_never_relinks_silently_and_records_what_did_not_match(store):
    person_id = linked_person(store)
    store.capture("ann@example.com", OTHER_CONTACT, opted_out=True, source="api")
    assert store.get_person(person_id).salesforce_id == CONTACT
    assert store.person_history(person_id)[-1]["details"] == {
        "previous": False, "salesforce_id_given": OTHER_CONTACT}


def test_capture_by_salesforce_id_with_a_new_email_applies_to_the_linked_person(store):
    person_id = linked_person(store)
    store.capture("ann.new@example.com", CONTACT, opted_out=True, source="api")
    assert store.count_people() == 1 and store.get_person(person_id).opted_out
    assert store.person_history(person_id)[-1]["details"]["email_given"] == "ann.new@example.com"


def test_the_same_idempotency_key_returns_the_first_result_and_writes_nothing(store, clock):
    first = store.capture("ann@example.com", opted_out=True, source="api", idempotency_key="k1")
    store.outbox_done([(first.outbox_id, True)], field="HasOptedOutOfEmail")
    events = event_count(store)
    clock.advance(minutes=1)

    again = store.capture("ANN@example.com", opted_out=True, source="api", idempotency_key="k1")

    assert again == type(first)(first.person_id, first.event_id, first.outbox_id, duplicate=True)
    assert event_count(store) == events and outbox_count(store) == 0


def test_an_idempotency_key_reused_for_another_capture_is_refused(store):
    store.capture("ann@example.com", opted_out=True, source="api", idempotency_key="k1")
    with pytest.raises(IdempotencyConflict, match="new key") as raised:
        store.capture("bob@example.com", opted_out=True, source="api", idempotency_key="k1")
    assert_one_line_naming_fix(raised.value)
    assert store.get_person("bob@example.com") is None


def test_an_empty_idempotency_key_is_refused_rather_than_merging_captures(store):
    with pytest.raises(InvalidValue, match="idempotency_key is empty"):
        store.capture("ann@example.com", opted_out=True, source="api", idempotency_key=" ")


@pytest.mark.parametrize("kwargs, error", [
    ({"email": "not-an-email", "opted_out": True, "source": "api"}, InvalidEmail),
    ({"salesforce_id": "001000000000001", "opted_out": True, "source": "api"},
     InvalidSalesforceId),
    ({"email": "ann@example.com", "opted_out": True, "source": "cron"}, InvalidValue),
    ({"email": "ann@example.com", "opted_out": "false", "source": "api"}, InvalidValue),
    ({"opted_out": True, "source": "api"}, InvalidValue),
    ({"email": "ann@example.com", "opted_out": True, "source": "api",
      "occurred_at": "last tuesday"}, InvalidValue),
])
def test_bad_captures_are_refused_and_write_nothing(store, kwargs, error):
    with pytest.raises(error) as raised:
        store.capture(**kwargs)
    assert_one_line_naming_fix(raised.value)
    assert store.count_people() == 0 and event_count(store) == 0


def test_every_documented_source_can_capture(store):
    for n, source in enumerate(SOURCES):
        store.capture(f"p{n}@example.com", opted_out=True, source=source)
    assert store.count_opted_out() == len(SOURCES)


# -- people --------------------------------------------------------------------------------------


def test_upsert_person_creates_then_updates_by_email(store, clock):
    person_id = store.upsert_person("Ann@Example.com", "Ann", "Lee")
    clock.advance(minutes=1)
    assert store.upsert_person("ann@example.com", last_name="Lee-Smith") == person_id

    person = store.get_person(person_id)
    assert (person.first_name, person.last_name) == ("Ann", "Lee-Smith")
    assert person.created_at == "2026-11-28T20:00:00.000000Z"
    assert person.updated_at == "2026-11-28T20:01:00.000000Z"
    assert store.count_people() == 1


def test_upsert_person_never_clears_an_opt_out(store):
    person_id = unsubscribe(store)
    store.upsert_person("ann@example.com", "Ann", salesforce_id=CONTACT)
    assert store.get_person(person_id).opted_out


def test_linking_relinking_and_unlinking_are_logged_with_old_and_new_ids(store):
    person_id = store.upsert_person("ann@example.com", salesforce_id=CONTACT_15)
    store.set_salesforce_id(person_id, LEAD, source="manual", reason="lead was the real one",
                            actor="admin")
    store.set_salesforce_id(person_id, LEAD, source="manual")
    store.set_salesforce_id(person_id, None, source="manual")

    history = [(e["action"], e["details"]) for e in store.person_history(person_id)]
    assert history == [
        ("link", {"old": None, "new": CONTACT}),
        ("relink", {"old": CONTACT, "new": LEAD}),
        ("unlink", {"old": LEAD, "new": None}),
    ]
    assert store.person_history(person_id)[1]["actor"] == "admin"
    person = store.get_person(person_id)
    assert (person.salesforce_id, person.salesforce_type) == (None, None)


def test_a_salesforce_id_links_one_person_only(store):
    linked_person(store, "ann@example.com")
    bob = store.upsert_person("bob@example.com")
    with pytest.raises(SalesforceIdInUse, match="ann@example.com: unlink it there first") \
            as raised:
        store.set_salesforce_id(bob, CONTACT_15, source="manual")
    assert_one_line_naming_fix(raised.value)
    assert store.get_person(bob).salesforce_id is None


def test_relinking_forgets_what_was_known_about_the_old_record(store):
    person_id = linked_person(store)
    store.set_baseline(person_id, True, "HasOptedOutOfEmail")
    store.mark_sf_state(person_id, "deleted")
    store.set_salesforce_id(person_id, OTHER_CONTACT, source="sync")
    person = store.get_person(person_id)
    assert (person.baseline, person.baseline_field, person.baseline_at, person.sf_state) == (
        None, None, None, None)


def test_people_are_found_by_id_email_or_salesforce_id(store):
    person_id = linked_person(store)
    assert store.get_person(person_id).email == "ann@example.com"
    assert store.get_person(" ANN@example.COM ").id == person_id
    assert store.find_person_by_salesforce_id(CONTACT_15).id == person_id
    assert store.get_person(999) is None
    assert store.get_person("nobody@example.com") is None
    assert store.find_person_by_salesforce_id(LEAD) is None


def test_people_without_a_salesforce_id_and_the_counts(store):
    linked_person(store, "linked@example.com")
    for name in ("a", "b", "c"):
        store.upsert_person(f"{name}@example.com")
    unsubscribe(store, "b@example.com")

    assert [p.email for p in store.people_without_salesforce_id(limit=2)] == [
        "a@example.com", "b@example.com"]
    assert (store.count_people(), store.count_opted_out(), store.count_without_sfid()) == (4, 1, 3)


def test_iter_people_streams_in_batches(store):
    for n in range(5):
        store.upsert_person(f"p{n}@example.com")
    queries = []
    with store.db.tracer(lambda sql, params: queries.append(sql)):
        people = store.iter_people(batch=2)
        assert next(people).email == "p0@example.com"
        assert len(queries) == 1
        assert [p.email for p in people] == [f"p{n}@example.com" for n in range(1, 5)]
    assert len(queries) == 4  # three batches and the empty read that ends the stream
    assert all("LIMIT" in sql for sql in queries)


def test_baselines_are_set_singly_or_in_bulk(store, clock):
    ann, bob = linked_person(store), store.upsert_person("bob@example.com")
    store.set_baseline(ann, True, "HasOptedOutOfEmail")
    clock.advance(minutes=1)
    assert store.set_baselines([(ann, False), (bob, True)], field="ToutApp__MSE_Opt_Out__c") == 2

    person = store.get_person(ann)
    assert (person.baseline, person.baseline_field, person.baseline_at) == (
        False, "ToutApp__MSE_Opt_Out__c", "2026-11-28T20:01:00.000000Z")
    assert store.get_person(bob).baseline is True
    with pytest.raises(NotFound):
        store.set_baseline(999, True, "HasOptedOutOfEmail")


def test_a_record_that_vanished_in_salesforce_is_marked_and_logged_once(store):
    person_id = linked_person(store)
    store.mark_sf_state(person_id, "deleted")
    store.mark_sf_state(person_id, "deleted")
    assert store.get_person(person_id).sf_state == "deleted"
    [event] = [e for e in store.person_history(person_id) if e["action"] == "sf_state"]
    assert (event["source"], event["details"]) == ("salesforce", {"old": None, "new": "deleted"})


# -- settings ------------------------------------------------------------------------------------


def test_settings_start_with_the_defaults(store):
    settings = store.get_settings()
    assert settings == Settings()
    assert (settings.nightly_sync, settings.field, settings.bulk_threshold) == (
        False, "email-opt-out", 10000)
    assert settings.field_api_name == "HasOptedOutOfEmail"


def test_the_marketo_choice_uses_the_marketo_field(store):
    settings = store.update_settings(field="marketo-sales-opt-out")
    assert settings.field_api_name == "ToutApp__MSE_Opt_Out__c"
    settings = store.update_settings(marketo_field_api_name="Sales_Opt_Out__c")
    assert settings.field_api_name == "Sales_Opt_Out__c"


def test_settings_accept_form_text_and_survive_a_restart(db_path):
    with Store(db_path) as store:
        store.update_settings(nightly_sync="on", bulk_threshold="2500", stale_hours="12.5",
                              api_reserve_percent=0, honour_salesforce_resubscribes="No")
    with Store(db_path) as store:
        settings = store.get_settings()
    assert (settings.nightly_sync, settings.bulk_threshold, settings.stale_hours) == (
        True, 2500, 12.5)
    assert settings.api_reserve_percent == 0.0
    assert settings.honour_salesforce_resubscribes is False


def test_changing_settings_is_logged_with_old_and_new_values(store):
    store.update_settings(actor="admin", nightly_sync=True, fan_out_by_email=False)
    store.update_settings(actor="admin", nightly_sync=True)
    [event] = store.list_events("settings")
    assert (event["source"], event["actor"]) == ("manual", "admin")
    assert event["details"] == {"changes": {"nightly_sync": {"new": True, "old": False}}}


@pytest.mark.parametrize("changes, fix", [
    ({"nightly": True}, "use one of nightly_sync, field"),
    ({"nightly_sync": "maybe"}, "use true or false"),
    ({"field": "HasOptedOutOfEmail"}, "use email-opt-out or marketo-sales-opt-out"),
    ({"marketo_field_api_name": "Marketo Sales Opt Out"}, "ends in __c"),
    ({"marketo_field_api_name": "Bad__Name__c__c"}, "ends in __c"),
    ({"bulk_threshold": 0}, "a whole number"),
    ({"bulk_threshold": 2.5}, "a whole number"),
    ({"bulk_threshold": True}, "a whole number"),
    ({"api_reserve_percent": 100}, "a percentage"),
    ({"api_reserve_percent": "nan"}, "a percentage"),
    ({"stale_hours": -1}, "hours above 0"),
])
def test_bad_settings_are_refused_with_the_fix_and_nothing_is_saved(store, changes, fix):
    with pytest.raises(SettingsError, match=fix) as raised:
        store.update_settings(fan_out_by_email=True, **changes)
    assert_one_line_naming_fix(raised.value)
    assert store.get_settings() == Settings()


def test_every_setting_has_a_validator():
    assert set(SETTING_VALIDATORS) == set(Settings.__dataclass_fields__)


# -- the outbox ----------------------------------------------------------------------------------


def test_due_pushes_are_pending_due_and_linked_oldest_first(store, clock):
    ann = linked_person(store, "ann@example.com", CONTACT)
    bob = linked_person(store, "bob@example.com", LEAD)
    cat = linked_person(store, "cat@example.com", OTHER_CONTACT)
    unsubscribe(store, "unlinked@example.com")
    unsubscribe(store, "bob@example.com")
    clock.advance(seconds=1)
    unsubscribe(store, "ann@example.com")
    unsubscribe(store, "cat@example.com")
    retrying = store.list_outbox()[-1]
    store.outbox_retry(retrying.id, "timeout", START + timedelta(minutes=10))

    due = store.due_outbox()
    assert [item.person_id for item in due] == [bob, ann]
    assert (due[0].email, due[0].salesforce_id, due[0].salesforce_type, due[0].desired) == (
        "bob@example.com", LEAD, "Lead", True)
    assert [item.person_id for item in store.due_outbox(limit=1)] == [bob]
    later = store.due_outbox(now=START + timedelta(minutes=10))
    assert [item.person_id for item in later] == [bob, ann, cat]
    assert store.count_pending_without_sfid() == 1


def test_a_confirmed_push_leaves_the_outbox_and_becomes_the_baseline(store, clock):
    person_id = linked_person(store)
    unsubscribe(store)
    [item] = store.due_outbox()
    clock.advance(seconds=2)

    assert store.outbox_done([(item.id, True)], field="HasOptedOutOfEmail",
                             details={"api": "composite"}) == [item.id]

    assert store.list_outbox() == []
    person = store.get_person(person_id)
    assert (person.baseline, person.baseline_field) == (True, "HasOptedOutOfEmail")
    push = store.person_history(person_id)[-1]
    assert (push["action"], push["source"]) == ("push", "system")
    assert push["details"] == {"api": "composite", "outbox_id": item.id,
                               "field": "HasOptedOutOfEmail", "salesforce_id": CONTACT,
                               "value": True, "superseded": False}


def test_a_stale_confirmation_never_removes_a_newer_value(store):
    person_id = linked_person(store)
    unsubscribe(store)
    [sent] = store.due_outbox()
    store.resubscribe("ann@example.com", source="manual", reason="asked by phone")

    assert store.outbox_done([(sent.id, True)], field="HasOptedOutOfEmail") == []

    [pending] = store.due_outbox()
    assert (pending.id, pending.desired) == (sent.id, False)
    assert store.get_person(person_id).baseline is None
    assert store.person_history(person_id)[-1]["details"]["superseded"] is True


def test_confirming_an_unknown_or_already_confirmed_push_is_ignored(store):
    linked_person(store)
    unsubscribe(store)
    [item] = store.due_outbox()
    store.outbox_done([(item.id, True)], field="HasOptedOutOfEmail")
    events = event_count(store)
    assert store.outbox_done([(item.id, True), (999, False)], field="HasOptedOutOfEmail") == []
    assert event_count(store) == events


def test_a_retried_push_counts_attempts_and_waits(store, clock):
    linked_person(store)
    unsubscribe(store)
    [item] = store.due_outbox()
    assert store.outbox_retry(item.id, "UNABLE_TO_LOCK_ROW", "2026-11-28T20:05:00Z")
    assert store.outbox_retry(item.id, "UNABLE_TO_LOCK_ROW", "2026-11-28T20:15:00Z")
    [retrying] = store.list_outbox()
    assert (retrying.attempts, retrying.last_error, retrying.next_attempt_at) == (
        2, "UNABLE_TO_LOCK_ROW", "2026-11-28T20:15:00.000000Z")
    assert store.due_outbox(now="2026-11-28T20:14:59Z") == []
    assert not store.outbox_retry(999, "gone", START)


def test_a_row_keeps_why_it_could_not_be_sent_and_stays_due(store, clock):
    linked_person(store)
    unsubscribe(store)
    [item] = store.due_outbox()
    why = "Salesforce refused the login (API_CURRENTLY_DISABLED): give the user API Enabled"
    assert store.outbox_note([item.id], why) == 1
    [noted] = store.due_outbox()
    assert (noted.id, noted.state, noted.attempts, noted.last_error) == (item.id, "pending", 0,
                                                                         why)
    assert store.outbox_note([], why) == 0


def test_a_permanent_failure_stays_visible_with_its_fix_until_requeued(store, clock):
    person_id = linked_person(store)
    unsubscribe(store)
    [item] = store.due_outbox()
    fix = "give the integration user edit access to Email Opt Out"
    assert store.outbox_fail(item.id, "INSUFFICIENT_ACCESS_OR_READONLY", fix)

    assert store.due_outbox() == []
    [failed] = store.list_outbox("failed")
    assert (failed.state, failed.last_error, failed.fix, failed.attempts) == (
        "failed", "INSUFFICIENT_ACCESS_OR_READONLY", fix, 1)
    assert store.list_outbox("pending") == []
    event = store.person_history(person_id)[-1]
    assert (event["action"], event["reason"], event["details"]["fix"]) == (
        "push_failed", "INSUFFICIENT_ACCESS_OR_READONLY", fix)

    clock.advance(hours=1)
    assert store.outbox_requeue(item.id, actor="admin")
    assert not store.outbox_requeue(item.id)
    [again] = store.due_outbox()
    assert (again.id, again.attempts, again.fix, again.next_attempt_at) == (
        item.id, 0, None, "2026-11-28T21:00:00.000000Z")
    assert store.person_history(person_id)[-1]["action"] == "requeue"


def test_a_new_capture_revives_a_failed_push(store):
    linked_person(store)
    unsubscribe(store)
    [item] = store.due_outbox()
    store.outbox_fail(item.id, "INSUFFICIENT_ACCESS", "grant access")
    unsubscribe(store)
    [pending] = store.due_outbox()
    assert (pending.state, pending.last_error, pending.fix) == ("pending", None, None)


def test_linking_a_salesforce_id_releases_the_waiting_push_under_a_new_id(store, clock):
    person_id = unsubscribe(store)
    [waiting] = store.list_outbox()
    assert store.due_outbox() == [] and store.count_pending_without_sfid() == 1
    clock.advance(minutes=1)

    store.set_salesforce_id(person_id, CONTACT, source="manual")

    [due] = store.due_outbox()
    assert due.id != waiting.id and due.desired is True
    assert due.created_at == waiting.created_at
    assert store.outbox_done([(waiting.id, True)], field="HasOptedOutOfEmail") == []
    assert store.due_outbox() == [due]


def test_relinking_means_a_push_in_flight_to_the_old_record_cannot_confirm(store):
    person_id = linked_person(store)
    unsubscribe(store)
    [in_flight] = store.due_outbox()
    store.set_salesforce_id(person_id, OTHER_CONTACT, source="manual")
    assert store.outbox_done([(in_flight.id, True)], field="HasOptedOutOfEmail") == []
    [due] = store.due_outbox()
    assert due.salesforce_id == OTHER_CONTACT


def test_requeue_person_without_a_push_does_nothing(store):
    assert store.outbox_requeue_person(linked_person(store)) is None
    assert outbox_count(store) == 0


def test_the_oldest_unconfirmed_opt_out_drives_the_staleness_alert(store, clock):
    assert store.oldest_unconfirmed_opt_out() is None
    store.resubscribe("early@example.com", source="manual")
    clock.advance(hours=1)
    unsubscribe(store, "ann@example.com")
    clock.advance(hours=1)
    unsubscribe(store, "bob@example.com")
    assert store.oldest_unconfirmed_opt_out() == START + timedelta(hours=1)


def test_listing_the_outbox_by_an_unknown_state_is_refused(store):
    with pytest.raises(InvalidValue, match="use pending or failed"):
        store.list_outbox("done")


# -- sync runs -----------------------------------------------------------------------------------


def test_a_sync_run_is_recorded_from_start_to_finish(store, clock):
    run_id = store.start_run("nightly")
    running = store.get_run(run_id)
    assert (running.status, running.mode, running.finished_at) == ("running", "nightly", None)
    clock.advance(minutes=3)

    store.finish_run(run_id, "partial", pulled=120, pushed_local=4, pushed_remote=2,
                     conflicts=1, errors=["Lead 00Q...: ENTITY_IS_DELETED"], api_calls=7,
                     watermark="2026-11-28T19:59:00.000Z", details={"bulk": False})

    run = store.get_run(run_id)
    assert (run.status, run.pulled, run.pushed_local, run.pushed_remote, run.conflicts) == (
        "partial", 120, 4, 2, 1)
    assert run.errors == ["Lead 00Q...: ENTITY_IS_DELETED"] and run.details == {"bulk": False}
    assert (run.api_calls, run.watermark) == (7, "2026-11-28T19:59:00.000Z")
    assert run.finished_at == "2026-11-28T20:03:00.000000Z"


def test_runs_are_listed_newest_first_and_the_last_ok_one_is_found(store):
    assert store.last_successful_run() is None
    ids = [store.start_run(mode) for mode in ("nightly", "manual", "nightly")]
    store.finish_run(ids[0], "ok", watermark="w1")
    store.finish_run(ids[1], "ok", watermark="w2")
    store.finish_run(ids[2], "failed", errors=["INVALID_SESSION_ID"])
    assert [run.id for run in store.list_runs()] == ids[::-1]
    assert [run.id for run in store.list_runs(limit=1)] == [ids[2]]
    assert store.last_successful_run().watermark == "w2"
    assert store.get_run(999) is None


def test_a_run_finishes_once_with_a_final_status(store):
    run_id = store.start_run("nightly")
    with pytest.raises(InvalidValue, match="use ok, partial or failed"):
        store.finish_run(run_id, "running")
    store.finish_run(run_id, "ok")
    with pytest.raises(NotFound, match="start one with start_run") as raised:
        store.finish_run(run_id, "failed")
    assert_one_line_naming_fix(raised.value)
    assert store.get_run(run_id).status == "ok"
