"""Importing people from CSV: good rows kept, bad rows reported by line, opt-outs never cleared."""

from pathlib import Path

import pytest

from syncer.people import csv_import as people_csv
from syncer.people.csv_import import ImportReport, import_people_csv
from syncer.store import Store

CONTACT = "00300000003T2PGAA0"
DEMO_EXPORT = Path(__file__).parents[3] / "fixtures" / "people.csv"


@pytest.fixture
def store():
    with Store(":memory:") as store:
        yield store


@pytest.fixture
def write_csv(tmp_path):
    def write(text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / "people.csv"
        path.write_bytes(text.encode(encoding))
        return path

    return write


def test_the_demo_export_imports_cleanly(store):
    lines = DEMO_EXPORT.read_text(encoding="utf-8").splitlines()
    report = import_people_csv(store, DEMO_EXPORT)
    assert report == ImportReport(imported=len(lines) - 1)
    assert store.count_people() == len(lines) - 1


def test_people_are_created_with_names_and_salesforce_ids(store, write_csv):
    path = write_csv(
        "email,salesforce_id,first_name,last_name\n"
        "Ann@Example.com,00300000003T2PG,Ann,Lee\n"
        "bob@example.com,,Bob,\n"
    )
    assert import_people_csv(store, path) == ImportReport(imported=2)
    ann = store.get_person("ann@example.com")
    assert (ann.first_name, ann.last_name, ann.salesforce_id, ann.salesforce_type) == (
        "Ann", "Lee", CONTACT, "Contact")
    bob = store.get_person("bob@example.com")
    assert (bob.first_name, bob.last_name, bob.salesforce_id) == ("Bob", None, None)
    assert [e["source"] for e in store.person_history(ann.id)] == ["import"]


def test_headers_match_whatever_their_case_and_extra_columns_are_ignored(store, write_csv):
    path = write_csv(
        "Company,First Name,EMAIL,Salesforce-ID,last_name,Notes\n"
        "Acme,Ann,ann@example.com,00300000003T2PG,Lee,call back\n"
    )
    assert import_people_csv(store, path) == ImportReport(imported=1)
    ann = store.get_person("ann@example.com")
    assert (ann.first_name, ann.last_name, ann.salesforce_id) == ("Ann", "Lee", CONTACT)


def test_bad_rows_are_reported_by_line_and_good_rows_kept(store, write_csv):
    path = write_csv(
        "email,salesforce_id\n"
        "ann@example.com,\n"
        "not-an-email,\n"
        ",00300000003T2PG\n"
        "bob@example.com,001000000000001\n"
        "cat@example.com,00300000003T2PGAAB\n"
        "dan@example.com,00Q000000012345\n"
    )
    report = import_people_csv(store, path)

    assert (report.imported, report.updated) == (2, 0)
    assert [line for line, _ in report.errors] == [3, 4, 5, 6]
    messages = dict(report.errors)
    assert "'not-an-email' is not a valid email address" in messages[3]
    assert "email address is empty" in messages[4]
    assert "not a Contact (003...) or Lead (00Q...) ID" in messages[5]
    assert "wrong checksum" in messages[6]
    assert all("\n" not in message and ": " in message for message in messages.values())
    assert {p.email for p in store.iter_people()} == {"ann@example.com", "dan@example.com"}


def test_line_numbers_count_blank_lines_and_multi_line_fields(store, write_csv):
    path = write_csv(
        'email,first_name\n'
        '\n'
        'ann@example.com,"Ann\nMarie"\n'
        'broken,Bob\n'
    )
    report = import_people_csv(store, path)
    assert report.imported == 1
    assert [line for line, _ in report.errors] == [5]


def test_reimporting_updates_people_and_never_clears_an_opt_out(store, write_csv):
    person_id = store.capture("ann@example.com", opted_out=True, source="link").person_id
    path = write_csv("email,first_name,last_name,salesforce_id\n"
                     "ann@example.com,Ann,,003000000000ABC\n")

    assert import_people_csv(store, path) == ImportReport(updated=1)
    assert import_people_csv(store, path) == ImportReport(updated=1)

    ann = store.get_person(person_id)
    assert ann.opted_out and ann.first_name == "Ann"
    assert [e["action"] for e in store.person_history(person_id)] == ["unsubscribe", "link"]


def test_a_salesforce_id_already_linked_to_someone_else_is_a_row_error(store, write_csv):
    store.upsert_person("ann@example.com", salesforce_id=CONTACT)
    path = write_csv("email,salesforce_id,first_name\n"
                     f"bob@example.com,{CONTACT},Bob\n"
                     "cat@example.com,,Cat\n")
    report = import_people_csv(store, path)
    assert report.imported == 1
    [(line, message)] = report.errors
    assert line == 2 and "already linked to ann@example.com" in message
    assert store.get_person("bob@example.com") is None
    assert store.get_person("cat@example.com").first_name == "Cat"


def test_a_utf8_file_with_a_byte_order_mark_imports(store, write_csv):
    path = write_csv("email,first_name\nzoe@example.com,Zoë\n", encoding="utf-8-sig")
    assert import_people_csv(store, path) == ImportReport(imported=1)
    assert store.get_person("zoe@example.com").first_name == "Zoë"


def test_a_file_that_is_not_utf8_is_one_error_and_nothing_is_imported(store, write_csv):
    path = write_csv("email,first_name\nann@example.com,Ann\nzoe@example.com,Zoë\n",
                     encoding="cp1252")
    report = import_people_csv(store, path)
    assert report == ImportReport(
        errors=[(3, f"{path} is not UTF-8 text: save it as CSV UTF-8 and retry")])
    assert store.count_people() == 0


@pytest.mark.parametrize("text, fix", [
    ("mail,name\nann@example.com,Ann\n",
     "has no email column: start it with the header row email,salesforce_id,first_name,last_name"),
    ("email;first_name\nann@example.com;Ann\n", "separate columns with commas"),
    ("", "is empty: start it with the header row email,salesforce_id"),
])
def test_a_file_without_an_email_column_is_one_clear_error(store, write_csv, text, fix):
    report = import_people_csv(store, write_csv(text))
    [(line, message)] = report.errors
    assert line == 1 and fix in message
    assert (report.imported, store.count_people()) == (0, 0)


def test_a_missing_file_is_one_clear_error(store, tmp_path):
    report = import_people_csv(store, tmp_path / "nope.csv")
    assert report.errors == [(0, f"{tmp_path / 'nope.csv'} does not exist:"
                                 " check the file name and folder")]


def test_rows_are_written_in_batches_and_a_bad_row_spoils_no_batch(store, write_csv,
                                                                    monkeypatch):
    monkeypatch.setattr(people_csv, "ROWS_PER_TRANSACTION", 2)
    rows = [f"p{n}@example.com" for n in range(7)]
    rows[3] = "bad"
    report = import_people_csv(store, write_csv("email\n" + "\n".join(rows) + "\n"))
    assert report.imported == 6 and [line for line, _ in report.errors] == [5]
    assert store.count_people() == 6
