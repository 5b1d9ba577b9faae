"""Records: compound address fields come back as one nested object, through REST and SOQL."""

from __future__ import annotations

FIELDS = "Id,MailingCountry,MailingAddress"


def test_a_record_read_nests_its_compound_address(target, snapshot):
    contact = target.create("Contact", {"LastName": "Parity Address", "MailingCountry": "US"})
    answer = target.call("GET", f"sobjects/Contact/{contact}", params={"fields": FIELDS})
    snapshot("record_address", answer)


def test_a_query_nests_the_compound_address_the_same_way(target, snapshot):
    contact = target.create("Contact", {"LastName": "Parity Address", "MailingCountry": "US"})
    soql = f"SELECT {FIELDS} FROM Contact WHERE Id = '{contact}'"
    snapshot("query_address", target.call("GET", "query", params={"q": soql}))
