"""The one normaliser every snapshot goes through: what it hides and what it keeps."""


def test_ids_become_numbered_placeholders_and_keep_their_form(normalised):
    body = {"id": "003Ko0000000017IAA", "message": "duplicates value on record with id: "
            "003Ko0000000017", "other": "001Ko0000000001IAA", "field": "OtherPostalCode"}
    assert normalised(body) == {
        "id": "<003#1>", "message": "duplicates value on record with id: <003#1:15>",
        "other": "<001#1>", "field": "OtherPostalCode"}


def test_datetimes_hosts_and_versions_are_hidden_but_the_fraction_is_kept(normalised):
    body = {"at": "2026-11-30T03:40:22.000+0000", "ms": "2026-11-30T03:40:22.123+0000",
            "url": "https://acme.my.salesforce.com/services/data/v68.0/sobjects"}
    assert normalised(body) == {
        "at": "<datetime>.000+0000", "ms": "<datetime>.123+0000",
        "url": "https://<instance>/services/data/v<version>/sobjects"}
