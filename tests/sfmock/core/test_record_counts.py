"""GET limits/recordCount: live records per object, as the Salesforce CLI reads them."""


def _counts(sf, query: str = "") -> dict:
    url = f"{sf.base_url}limits/recordCount{query}"
    body = sf.session.get(url, headers={"Authorization": f"Bearer {sf.session_id}"}).json()
    return {entry["name"]: entry["count"] for entry in body["sObjects"]}


def test_counts_follow_creates_and_deletes(sf):
    before = _counts(sf, "?sObjects=Contact,lead")
    assert set(before) == {"Contact", "Lead"}
    contact = sf.Contact.create({"LastName": "Counted"})["id"]
    assert _counts(sf, "?sObjects=Contact")["Contact"] == before["Contact"] + 1
    sf.Contact.delete(contact)
    assert _counts(sf, "?sObjects=Contact")["Contact"] == before["Contact"]


def test_without_a_list_every_object_is_counted(sf):
    assert {"Account", "Contact", "Lead", "User"} <= set(_counts(sf))
