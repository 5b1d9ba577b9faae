"""Fault injection through unmodified simple-salesforce, in-process and over HTTPS."""

import csv
import io
import json
import time

import pytest
import requests
from click.testing import CliRunner
from simple_salesforce.exceptions import (
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from sfmock.cli import main
from sfmock.models.faults import FaultRuleError, install_faults, load_rules


def first_contact(org) -> str:
    return next(org.records("Contact"))["Id"]


@pytest.mark.parametrize("rule, message", [
    ({"fault": "418"}, "fault '418' is not one of"),
    ({"fault": "503", "calls": "5-2"}, "calls takes call numbers"),
    ({"fault": "503", "calls": [0]}, "calls takes call numbers"),
    ({"fault": "503", "probability": 2}, "probability is a number from 0 to 1"),
    ({"fault": "503", "paths": "/x"}, "unknown key 'paths'"),
    ({"fault": "503", "scope": "record"}, "a record rule injects one of"),
    ({"fault": "latency"}, 'needs "ms"'),
    ({"fault": "drop", "path": "("}, "path is not a valid regular expression"),
    ("503", "a rule is a JSON object"),
])
def test_bad_rules_name_the_fix(org, rule, message):
    with pytest.raises(FaultRuleError, match="fault rule 1: .*" + message.replace("(", r"\(")):
        install_faults(org, [rule])


def test_a_window_of_calls_gets_503_then_service_resumes(sf, org):
    install_faults(org, [{"fault": "503", "calls": "2-3"}])
    assert sf.Contact.describe()["name"] == "Contact"
    for _ in range(2):
        with pytest.raises(SalesforceGeneralError) as caught:
            sf.Contact.describe()
        assert caught.value.status == 503
        assert caught.value.content[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert sf.Contact.describe()["name"] == "Contact"
    assert [(i.call, i.fault) for i in org.faults.log] == [(2, "503"), (3, "503")]


def test_method_and_path_pick_the_calls(sf, org):
    contact_id = first_contact(org)
    install_faults(org, [{"fault": "500", "method": "PATCH", "path": r"/sobjects/Contact/"}])
    assert sf.Contact.get(contact_id)["Id"] == contact_id
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.Contact.update(contact_id, {"Title": "x"})
    assert caught.value.status == 500
    assert caught.value.content[0]["errorCode"] == "UNKNOWN_EXCEPTION"


def test_unable_to_lock_row_on_single_record_dml(sf, org):
    contact_id = first_contact(org)
    install_faults(org, [{"fault": "UNABLE_TO_LOCK_ROW", "method": "PATCH", "times": 1}])
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Contact.update(contact_id, {"Title": "Locked"})
    assert caught.value.content == [{
        "message": f"unable to obtain exclusive access to this record or 1 records: "
                   f"{contact_id}", "errorCode": "UNABLE_TO_LOCK_ROW", "fields": []}]
    assert sf.Contact.update(contact_id, {"Title": "Retried"}) == 204


def test_seeded_probability_replays_the_same_faults(login):
    from sfmock import mock_salesforce

    def run(seed: int) -> list[int]:
        with mock_salesforce() as org:
            sf = login()
            install_faults(org, [{"fault": "503", "probability": 0.3}], seed=seed)
            for _ in range(30):
                try:
                    sf.Contact.describe()
                except SalesforceGeneralError:
                    pass
            return [i.call for i in org.faults.log]

    first = run(42)
    assert first == run(42)
    assert 0 < len(first) < 30
    assert first != run(7)


def test_record_scope_fails_single_records_of_a_collection(sf, org):
    ids = [row["Id"] for row in org.records("Contact")][:4]
    install_faults(org, [{"fault": "UNABLE_TO_LOCK_ROW", "scope": "record", "calls": [2, 4],
                          "path": "/composite/sobjects"}])
    results = sf.restful("composite/sobjects", method="PATCH", json={"records": [
        {"attributes": {"type": "Contact"}, "id": i, "Title": "Batch"} for i in ids]})
    assert [r["success"] for r in results] == [True, False, True, False]
    assert results[1]["errors"] == [{
        "statusCode": "UNABLE_TO_LOCK_ROW", "fields": [],
        "message": f"unable to obtain exclusive access to this record or 1 records: {ids[1]}"}]
    assert org.get("Contact", ids[1])["Title"] != "Batch"
    assert [i.record for i in org.faults.log] == [ids[1], ids[3]]


def test_record_scope_fails_rows_of_a_bulk_job(sf, org):
    install_faults(org, [{"fault": "UNABLE_TO_LOCK_ROW", "scope": "record", "calls": [1]}])
    [result] = sf.bulk2.Contact.insert(records=[{"LastName": "A"}, {"LastName": "B"}],
                                       wait=0.05)
    assert result["numberRecordsFailed"] == 1
    failed = list(csv.DictReader(io.StringIO(
        sf.bulk2.Contact.get_failed_records(result["job_id"]))))
    assert failed[0]["sf__Error"] == ("UNABLE_TO_LOCK_ROW:unable to obtain exclusive access "
                                      "to this record:--")


def test_request_limit_for_n_calls_and_for_a_spell(sf, org):
    install_faults(org, [{"fault": "REQUEST_LIMIT_EXCEEDED", "calls": "1-2"}])
    for _ in range(2):
        with pytest.raises(SalesforceRefusedRequest) as caught:
            sf.Contact.describe()
        assert caught.value.content == [{"message": "TotalRequests Limit exceeded.",
                                         "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert sf.Contact.describe()["name"] == "Contact"
    install_faults(org, [{"fault": "REQUEST_LIMIT_EXCEEDED", "calls": [1], "seconds": 0.3}])
    for _ in range(3):
        with pytest.raises(SalesforceRefusedRequest):
            sf.Contact.describe()
    time.sleep(0.35)
    assert sf.Contact.describe()["name"] == "Contact"


def test_expired_sessions_are_recovered_by_logging_in_again(sf, org):
    install_faults(org, [{"fault": "INVALID_SESSION_ID", "probability": 1.0}])
    contact = sf.Contact  # SFType calls re-log in without a retry limit
    tokens = set()
    for _ in range(4):
        assert contact.describe()["name"] == "Contact"
        assert sf.query("SELECT Id FROM Contact LIMIT 1")["totalSize"] == 1
        tokens.add(sf.session_id)
    assert len(tokens) == 4  # every other call expired the session and a re-login renewed it
    assert [i.fault for i in org.faults.log] == ["INVALID_SESSION_ID"] * 8


def test_latency_delays_without_failing(sf, org):
    install_faults(org, [{"fault": "latency", "ms": 120, "path": "/describe"}])
    began = time.monotonic()
    assert sf.Contact.describe()["name"] == "Contact"
    assert time.monotonic() - began >= 0.12


def test_drop_raises_connection_error_in_process(sf, org):
    install_faults(org, [{"fault": "drop", "calls": [1]}])
    with pytest.raises(requests.exceptions.ConnectionError):
        sf.Contact.describe()
    assert sf.Contact.describe()["name"] == "Contact"


def test_drop_closes_the_socket_over_https(server, server_sf):
    install_faults(server.org, [{"fault": "drop", "calls": [1]}])
    with pytest.raises(requests.exceptions.ConnectionError):
        server_sf.Contact.describe()
    assert server_sf.Contact.describe()["name"] == "Contact"


def test_faults_apply_to_a_composite_call_once_not_to_its_parts(sf, org):
    install_faults(org, [{"fault": "latency", "ms": 1, "path": "/sobjects/"}])
    sf.restful("composite", method="POST", json={"compositeRequest": [
        {"method": "GET", "url": "/services/data/v59.0/sobjects/Contact/describe",
         "referenceId": "d"}]})
    assert org.faults.log == []


def test_clear_removes_rules_and_keeps_the_log(sf, org):
    faults = install_faults(org, seed=1)
    faults.add("503", calls=[1])
    with pytest.raises(SalesforceGeneralError):
        sf.Contact.describe()
    faults.clear()
    assert sf.Contact.describe()["name"] == "Contact"
    assert len(faults.log) == 1 and faults.log[0].fault == "503"


def test_rules_load_from_json_text_or_a_file(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps([{"fault": "503", "calls": "1-3"}]))
    assert load_rules(str(path)) == load_rules('[{"fault": "503", "calls": "1-3"}]')
    assert load_rules('{"fault": "drop"}') == [{"fault": "drop"}]
    with pytest.raises(FaultRuleError, match="not valid JSON"):
        load_rules("[{fault: 503}]")


def test_serve_takes_faults_and_a_seed(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text('[{"fault": "503", "probability": 0.5}]')
    runner = CliRunner()
    bad = runner.invoke(main, ["serve", "--port", "0", "--faults", '[{"fault": "nope"}]'])
    assert bad.exit_code == 1
    assert "fault rule 1: fault 'nope' is not one of" in bad.output
    assert "Traceback" not in bad.output
    good = runner.invoke(main, ["serve", "--port", "0", "--faults", str(path), "--seed", "42",
                                "--exit-after", "0.2"])
    assert good.exit_code == 0, good.output
    assert "Injecting faults: 1 rule(s), seed 42" in good.output
