"""Time: records are stamped to the second, as real orgs store datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

FIELDS = "Id,CreatedDate,LastModifiedDate,SystemModstamp"


def test_a_record_is_stamped_in_whole_seconds(target, snapshot):
    contact = target.create("Contact", {"LastName": "Parity Time"})
    answer = target.call("GET", f"sobjects/Contact/{contact}", params={"fields": FIELDS})
    snapshot("record_stamps", answer)


def test_equality_on_the_stamped_second_finds_the_record(target, snapshot):
    contact = target.create("Contact", {"LastName": "Parity Time"})
    stamp = target.call("GET", f"sobjects/Contact/{contact}",
                        params={"fields": "SystemModstamp"}).body["SystemModstamp"]
    literal = stamp[:19] + "Z"  # 2026-11-30T03:40:22.000+0000 -> 2026-11-30T03:40:22Z
    soql = f"SELECT Id FROM Contact WHERE SystemModstamp = {literal} AND Id = '{contact}'"
    snapshot("query_on_stamp", target.call("GET", "query", params={"q": soql}))


def test_a_written_datetime_keeps_whole_seconds(target):
    contact = target.create("Contact", {"LastName": "Parity Time",
                                        "EmailBouncedDate": "2026-11-30T03:40:22.789Z"})
    answer = target.call("GET", f"sobjects/Contact/{contact}",
                         params={"fields": "EmailBouncedDate"})
    assert answer.body["EmailBouncedDate"] == "2026-11-30T03:40:22.000+0000"


def test_get_updated_lists_a_record_stamped_in_the_window(target, snapshot):
    contact = target.create("Contact", {"LastName": "Parity Updated"})
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    window = {"start": (now - timedelta(minutes=5)).isoformat(),
              "end": (now + timedelta(minutes=2)).isoformat()}
    answer = target.call("GET", "sobjects/Contact/updated/", params=window)
    # Ours first, so it normalises to <003#1>; a real org may list others changed meanwhile.
    answer.body["ids"].sort(key=lambda record_id: record_id != contact)

    def scope(view: dict) -> dict:
        body = {**view["body"], "ids": [i for i in view["body"]["ids"] if i == "<003#1>"]}
        return {**view, "body": body}

    snapshot("get_updated", answer, scope=scope)
