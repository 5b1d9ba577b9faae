"""Running SOSL over the default org: search groups, RETURNING clauses, limits and errors."""

from __future__ import annotations

import pytest

from sfmock import errors
from sfmock.models.schema import custom_field
from sfmock.models.security import HIDDEN
from sfmock.sosl import search
from sfmock.sosl.engine import share
from tests.sfmock.sosl.conftest import id_by_email

WSDL = "Please reference your WSDL or the describe call for the appropriate names."


def found(org, sosl: str) -> list[tuple[str, str]]:
    """(type, Name or Id) of each record the search returns, in order."""
    return [(r["attributes"]["type"], r.get("Name") or r.get("Id"))
            for r in search(org, sosl, version="59.0")]


def test_without_returning_every_searchable_object_answers_ids(org):
    records = search(org, "FIND {Fischer}", version="59.0")
    assert {r["attributes"]["type"] for r in records} == {"Contact", "Lead"}
    assert all(list(r) == ["attributes", "Id"] for r in records)
    assert len(records) == 8  # four Contacts and four Leads named Fischer


def test_records_carry_attributes_then_the_returning_fields_in_order(org):
    record = search(org, "FIND {emily.smith@acmerobotics.com} RETURNING Contact(Email, Name, "
                         "HasOptedOutOfEmail, Account.Name)", version="59.0")[0]
    assert list(record) == ["attributes", "Email", "Name", "HasOptedOutOfEmail", "Account"]
    contact_id = id_by_email(org, "Contact", "emily.smith@acmerobotics.com")
    assert record["attributes"] == {"type": "Contact",
                                    "url": f"/services/data/v59.0/sobjects/Contact/{contact_id}"}
    assert record["HasOptedOutOfEmail"] is False and record["Account"]["Name"] == "Acme Robotics"


def test_email_fields_find_a_domain_and_name_fields_do_not(org):
    by_email = found(org, "FIND {acmerobotics.com} IN EMAIL FIELDS RETURNING Contact(Name)")
    assert len(by_email) == 5
    assert found(org, "FIND {acmerobotics.com} IN NAME FIELDS RETURNING Contact(Name)") == []


def test_name_fields_cover_a_contacts_account_a_leads_company_and_an_accounts_website(org):
    assert len(found(org, "FIND {Acme Robotics} IN NAME FIELDS RETURNING Contact(Name)")) == 5
    assert found(org, "FIND {Orbit} IN NAME FIELDS RETURNING Lead(Name)") == [
        ("Lead", "Mohammed Okafor"), ("Lead", "Alexander Chen"), ("Lead", "Emma Cohen")]
    assert found(org, "FIND {www.acmerobotics.com} IN NAME FIELDS RETURNING Account(Name)") == [
        ("Account", "Acme Robotics")]


def test_phone_fields_match_the_number_in_any_format(org):
    for term in ("+1 555 0100", "555-0100", "5550100", "(555) 0100"):
        assert found(org, f"FIND {{{term}}} IN PHONE FIELDS RETURNING Contact(Name), Lead(Name)"
                     ) == [("Contact", "Emily Smith")], term
    assert found(org, "FIND {Emily} IN PHONE FIELDS RETURNING Contact(Name)") == []


def test_all_fields_search_titles_too(org):
    assert ("Contact", "Sebastian Singh") in found(org, "FIND {CFO} RETURNING Contact(Name)")


def test_wildcards_and_operators(org):
    assert found(org, "FIND {Fisch* AND NOT (Sofia OR Sophia)} IN NAME FIELDS "
                      "RETURNING Contact(Name)") == [("Contact", "Michael Fischer"),
                                                     ("Contact", "Noah Fischer")]
    assert found(org, "FIND {Sm?th} RETURNING Contact(Name)") == [("Contact", "Emily Smith"),
                                                                  ("Contact", "Grace Smith")]


def test_where_order_by_limit_and_offset_apply_within_an_object(org):
    sosl = ("FIND {Fischer} RETURNING Contact(Name WHERE HasOptedOutOfEmail = false "
            "ORDER BY FirstName DESC LIMIT 2 OFFSET 1)")
    assert found(org, sosl) == [("Contact", "Sofia Fischer"), ("Contact", "Noah Fischer")]


def test_an_overall_limit_is_shared_evenly_between_objects(org):
    records = found(org, "FIND {Fischer} RETURNING Contact(Name), Lead(Name) LIMIT 4")
    assert [t for t, _ in records] == ["Contact", "Contact", "Lead", "Lead"]


def test_what_one_object_leaves_of_the_limit_goes_to_the_next():
    # The SOSL reference's examples: LIMIT 20 over 19 Accounts and 35 Contacts gives 10 and 10;
    # Account(LIMIT 20) with 15 hits, 30 Contacts, LIMIT 100 leaves 55 Opportunities.
    assert share([19, 35], 20) == [10, 10]
    assert share([15, 30, 75], 100) == [15, 30, 55]
    assert share([0, 3], 2000) == [0, 3]


def test_a_limit_of_zero_returns_nothing_for_that_object(org):
    assert {t for t, _ in found(org, "FIND {Fischer} RETURNING Contact(Name LIMIT 0), Lead(Name)")
            } == {"Lead"}


def test_deleted_records_are_not_found(org):
    doomed = id_by_email(org, "Contact", "emily.smith@acmerobotics.com")
    org.delete("Contact", doomed)
    assert found(org, "FIND {Emily Smith} RETURNING Contact(Name)") == []


def test_new_and_updated_records_are_found_at_once(org):
    new_id = org.insert("Contact", {"LastName": "Quixote", "Email": "dq@lamancha.es"})
    assert found(org, "FIND {lamancha} RETURNING Contact(Id)") == [("Contact", new_id)]
    org.update("Contact", new_id, {"LastName": "Panza"})
    assert found(org, "FIND {Quixote} RETURNING Contact(Id)") == []


def test_custom_text_fields_are_searched_in_all_fields(org):
    org.add_custom_field("Contact", custom_field("Nickname__c", "Nickname", "string"))
    contact_id = org.insert("Contact", {"LastName": "Hopper", "Nickname__c": "Amazing Grace"})
    assert found(org, "FIND {Amazing} RETURNING Contact(Id, Nickname__c)") == [
        ("Contact", contact_id)]


def test_hidden_fields_are_neither_searched_nor_selectable(org):
    org.field_security.set("Contact", "Email", HIDDEN)
    assert found(org, "FIND {acmerobotics} RETURNING Contact(Name)") == []
    with pytest.raises(errors.InvalidField):
        search(org, "FIND {smith} RETURNING Contact(Email)", version="59.0")


def test_an_unknown_object_is_invalid_type_with_the_soql_wording(org):
    with pytest.raises(errors.InvalidType) as raised:
        search(org, "FIND {smith} RETURNING Contacts(Id)", version="59.0")
    assert raised.value.message == (
        "\nFIND {smith} RETURNING Contacts(Id)\n" + " " * 23 + "^\nERROR at Row:1:Column:24\n"
        "sObject type 'Contacts' is not supported. If you are attempting to use a custom object, "
        f"be sure to append the '__c' after the entity name. {WSDL}")


def test_an_unknown_field_is_invalid_field_with_the_soql_wording(org):
    with pytest.raises(errors.InvalidField) as raised:
        search(org, "FIND {smith} RETURNING Contact(Id, Bacon__c)", version="59.0")
    assert raised.value.message.endswith(
        "No such column 'Bacon__c' on entity 'Contact'. If you are attempting to use a custom "
        f"field, be sure to append the '__c' after the custom field name. {WSDL}")


def test_a_where_value_of_the_wrong_type_is_refused_as_in_soql(org):
    with pytest.raises(errors.InvalidQueryFilterOperator):
        search(org, "FIND {smith} RETURNING Contact(Id WHERE HasOptedOutOfEmail = 'yes')",
               version="59.0")


def test_past_ten_thousand_characters_a_search_returns_nothing(org):
    words = " OR ".join(["Fischer"] * 1300)
    assert len(words) > 10_000
    assert found(org, f"FIND {{{words}}} RETURNING Contact(Name)") == []
    assert len(found(org, f"FIND {{{words[:3900]}}} RETURNING Contact(Name)")) == 4
