"""The standard objects of a sales org: Opportunity and its contact roles, Case, Task and Event
with polymorphic WhoId/WhatId, Campaign and CampaignMember, Individual."""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest


@pytest.fixture
def people(sf) -> dict[str, str]:
    account = sf.Account.create({"Name": "Big Deal Co"})["id"]
    return {
        "account": account,
        "contact": sf.Contact.create({"LastName": "Okafor", "AccountId": account})["id"],
        "lead": sf.Lead.create({"LastName": "Marsh", "Company": "Marsh Ltd"})["id"],
    }


def test_tasks_whose_who_is_a_contact_or_a_lead_query_with_typeof(sf, people):
    sf.Task.create({"Subject": "Call", "WhoId": people["contact"]})
    sf.Task.create({"Subject": "Email", "WhoId": people["lead"]})
    rows = sf.query("SELECT Subject, TYPEOF Who WHEN Contact THEN LastName, AccountId "
                    "WHEN Lead THEN Company END FROM Task ORDER BY Subject")["records"]
    call, email = rows
    assert call["Who"]["attributes"]["type"] == "Contact"
    assert (call["Who"]["LastName"], call["Who"]["AccountId"]) == ("Okafor", people["account"])
    assert email["Who"]["attributes"]["type"] == "Lead"
    assert email["Who"]["Company"] == "Marsh Ltd"


def test_a_task_takes_the_defaults_a_real_org_gives(sf, people):
    task = sf.Task.get(sf.Task.create({"Subject": "Call", "WhoId": people["lead"]})["id"])
    assert (task["Status"], task["Priority"], task["IsDeleted"]) == ("Not Started", "Normal",
                                                                     False)
    assert task["Id"].startswith("00T")


def test_who_cannot_point_at_an_account(sf, people):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Task.create({"Subject": "Call", "WhoId": people["account"]})
    assert failure.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_who_and_what_are_polymorphic_in_describe(sf):
    fields = {f["name"]: f for f in sf.Task.describe()["fields"]}
    assert fields["WhoId"]["referenceTo"] == ["Contact", "Lead"]
    assert fields["WhoId"]["polymorphicForeignKey"] is True
    assert {"Account", "Opportunity", "Case", "Campaign"} <= set(fields["WhatId"]["referenceTo"])
    event = {f["name"]: f for f in sf.Event.describe()["fields"]}
    assert event["WhatId"]["relationshipName"] == "What"


def test_an_opportunity_lists_its_contact_roles_and_activities(sf, people):
    opportunity = sf.Opportunity.create({"Name": "Renewal", "StageName": "Prospecting",
                                         "CloseDate": "2026-12-31", "Amount": 5000,
                                         "AccountId": people["account"]})["id"]
    sf.OpportunityContactRole.create({"OpportunityId": opportunity,
                                      "ContactId": people["contact"], "Role": "Decision Maker",
                                      "IsPrimary": True})
    sf.Task.create({"Subject": "Send quote", "WhatId": opportunity, "WhoId": people["contact"]})
    [row] = sf.query("SELECT Name, Account.Name, (SELECT Role, Contact.LastName FROM "
                     "OpportunityContactRoles), (SELECT Subject FROM Tasks) FROM Opportunity "
                     f"WHERE Id = '{opportunity}'")["records"]
    assert row["Account"]["Name"] == "Big Deal Co"
    [role] = row["OpportunityContactRoles"]["records"]
    assert (role["Role"], role["Contact"]["LastName"]) == ("Decision Maker", "Okafor")
    assert [t["Subject"] for t in row["Tasks"]["records"]] == ["Send quote"]
    [account] = sf.query("SELECT (SELECT Name FROM Opportunities) FROM Account "
                         f"WHERE Id = '{people['account']}'")["records"]
    assert [o["Name"] for o in account["Opportunities"]["records"]] == ["Renewal"]


def test_an_opportunity_needs_its_stage_and_close_date(sf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Opportunity.create({"Name": "No stage"})
    assert failure.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert set(failure.value.content[0]["fields"]) == {"StageName", "CloseDate"}


def test_cases_are_numbered_and_start_new(sf, people):
    first = sf.Case.get(sf.Case.create({"Subject": "Broken", "ContactId": people["contact"]})["id"])
    second = sf.Case.get(sf.Case.create({"Subject": "Still broken"})["id"])
    assert first["Status"] == "New"
    assert len(first["CaseNumber"]) == 8 and int(second["CaseNumber"]) == int(
        first["CaseNumber"]) + 1
    [contact] = sf.query("SELECT (SELECT Subject FROM Cases) FROM Contact "
                         f"WHERE Id = '{people['contact']}'")["records"]
    assert [c["Subject"] for c in contact["Cases"]["records"]] == ["Broken"]


def test_campaign_members_join_contacts_and_leads(sf, people):
    campaign = sf.Campaign.create({"Name": "Spring Launch", "Type": "Webinar"})["id"]
    sf.CampaignMember.create({"CampaignId": campaign, "ContactId": people["contact"]})
    sf.CampaignMember.create({"CampaignId": campaign, "LeadId": people["lead"],
                              "Status": "Responded"})
    [row] = sf.query("SELECT Status, (SELECT Status, ContactId, LeadId FROM CampaignMembers "
                     "ORDER BY Status) FROM Campaign")["records"]
    assert row["Status"] == "Planned"
    members = row["CampaignMembers"]["records"]
    assert [(m["Status"], m["ContactId"], m["LeadId"]) for m in members] == [
        ("Responded", None, people["lead"]), ("Sent", people["contact"], None)]


def test_contacts_and_leads_point_to_their_individual(sf, people):
    individual = sf.Individual.create({"FirstName": "Ada", "LastName": "Okafor",
                                       "HasOptedOutSolicit": True})["id"]
    sf.Contact.update(people["contact"], {"IndividualId": individual})
    sf.Lead.update(people["lead"], {"IndividualId": individual})
    for name, record in (("Contact", people["contact"]), ("Lead", people["lead"])):
        [row] = sf.query(f"SELECT Individual.Name, Individual.HasOptedOutSolicit FROM {name} "
                         f"WHERE Id = '{record}'")["records"]
        assert row["Individual"]["Name"] == "Ada Okafor"
        assert row["Individual"]["HasOptedOutSolicit"] is True


def test_the_global_describe_lists_the_sales_objects(sf):
    names = {s["name"]: s["keyPrefix"] for s in sf.describe()["sobjects"]}
    assert {k: names[k] for k in ("Opportunity", "OpportunityContactRole", "Case", "Task",
                                  "Event", "Campaign", "CampaignMember", "Individual")} == {
        "Opportunity": "006", "OpportunityContactRole": "00K", "Case": "500", "Task": "00T",
        "Event": "00U", "Campaign": "701", "CampaignMember": "00v", "Individual": "0PK"}


def test_what_without_typeof_reaches_the_name_object(sf, people):
    opportunity = sf.Opportunity.create({"Name": "Renewal", "StageName": "Prospecting",
                                         "CloseDate": "2026-12-31"})["id"]
    case = sf.Case.create({"Subject": "Broken"})["id"]
    sf.Task.create({"Subject": "Quote", "WhatId": opportunity, "WhoId": people["lead"]})
    sf.Task.create({"Subject": "Fix", "WhatId": case})
    rows = sf.query("SELECT Subject, What.Name, What.Type, Who.Name FROM Task "
                    "WHERE What.Type IN ('Opportunity', 'Case') ORDER BY Subject")["records"]
    fix, quote = rows
    assert quote["What"]["attributes"] == {
        "type": "Name", "url": f"/services/data/v59.0/sobjects/Opportunity/{opportunity}"}
    assert (quote["What"]["Name"], quote["What"]["Type"]) == ("Renewal", "Opportunity")
    assert quote["Who"]["Name"] == "Marsh"
    case_number = sf.Case.get(case)["CaseNumber"]
    assert (fix["What"]["Name"], fix["Who"]) == (case_number, None)  # a Case's name field
