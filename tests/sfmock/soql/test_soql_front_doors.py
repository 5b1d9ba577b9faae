"""The new SOQL features answer the same through the HTTPS server as in-process: one backend."""

from __future__ import annotations

QUERIES = [
    "SELECT LeadSource, COUNT(Id) FROM Contact GROUP BY ROLLUP(LeadSource)",
    "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account ORDER BY Name",
    "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact "
    "WHERE HasOptedOutOfEmail = true) ORDER BY Name",
    "SELECT CALENDAR_YEAR(CreatedDate) y, COUNT(Id) n FROM Contact "
    "GROUP BY CALENDAR_YEAR(CreatedDate)",
    "SELECT FIELDS(STANDARD) FROM Lead ORDER BY Email LIMIT 3",
]


def without_volatile(value: object) -> object:
    """The answer with record Ids, URLs and stamps (which differ between two orgs) dropped."""
    if isinstance(value, dict):
        return {k: without_volatile(v) for k, v in value.items()
                if k not in ("Id", "url", "OwnerId", "CreatedById", "LastModifiedById",
                             "CreatedDate", "LastModifiedDate", "SystemModstamp",
                             "ConvertedAccountId", "ConvertedContactId", "MasterRecordId")}
    if isinstance(value, list):
        return [without_volatile(v) for v in value]
    return value


def test_both_front_doors_answer_alike(sf, server_sf):
    for soql in QUERIES:
        in_process = sf.query(soql)
        served = server_sf.query(soql)
        assert served["totalSize"] == in_process["totalSize"] > 0, soql
        assert without_volatile(served) == without_volatile(in_process), soql
