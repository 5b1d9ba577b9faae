"""Both front doors publish the same events: in-process orgs and `sfmock serve` alike."""

import re

from simple_salesforce import Salesforce

from sfmock import mock_salesforce
from sfmock.models.cdc import cdc
from sfmock.testing import PASSWORD, TOKEN, USERNAME, ServeProcess
from sfpubsub import pb2

from .conftest import Subscriber


def test_in_process_org_serves_its_events_over_a_local_grpc_port():
    mock = mock_salesforce(pubsub=True, pubsub_keepalive=0.5)
    with mock as org:
        cdc(org).select(["Contact"])
        sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
        contact = sf.query("SELECT Id FROM Contact LIMIT 1")["records"][0]["Id"]
        sf.Contact.update(contact, {"HasOptedOutOfEmail": True})
        client = Subscriber(mock.pubsub.target, mock.pubsub.ca_path.read_bytes(),
                            sf.session_id, org.org_id)
        [response] = client.fetch("/data/ContactChangeEvent", preset=pb2.EARLIEST)
        event = client.decode(response.events[0])
        client.close()
    assert event["ChangeEventHeader"]["recordIds"] == [contact]
    assert event["HasOptedOutOfEmail"] is True
    assert mock.pubsub is None  # stopped with the block


def test_sfmock_serve_publishes_on_its_pubsub_port(tmp_path):
    with ServeProcess(tmp_path, "--pubsub-port", "0", "--pubsub-keepalive", "0.5") as serving:
        target = re.search(r"Pub/Sub API \(gRPC\) at (\S+)", serving.out.read_text()).group(1)
        http = serving.session()
        admin = {"X-Sfmock-Admin-Key": serving.admin_key}
        assert http.put(f"{serving.url}/sfmock/api/cdc", json={"selectedEntities": ["Lead"]},
                        headers=admin).json() == {"selectedEntities": ["Lead"]}
        token = http.post(f"{serving.url}/services/oauth2/token", data={
            "grant_type": "password", "client_id": "sfmock-client-id",
            "client_secret": "sfmock-client-secret", "username": USERNAME,
            "password": PASSWORD + TOKEN}).json()
        created = http.post(f"{serving.url}/services/data/v60.0/sobjects/Lead",
                            json={"LastName": "Served", "Company": "Acme"},
                            headers={"Authorization": f"Bearer {token['access_token']}"}).json()
        org_id = token["id"].rstrip("/").split("/")[-2]
        client = Subscriber(target, open(serving.ca_path, "rb").read(), token["access_token"],
                            org_id)
        [response] = client.fetch("/data/LeadChangeEvent", preset=pb2.EARLIEST)
        event = client.decode(response.events[0])
        client.close()
    assert event["ChangeEventHeader"]["changeType"] == "CREATE"
    assert event["ChangeEventHeader"]["recordIds"] == [created["id"]]


def test_the_admin_api_selects_entities_and_injects_gaps(org):
    from sfmock import create_app

    client = create_app(org).test_client()
    admin = {"X-Sfmock-Admin-Key": org.meta["admin_key"]}
    assert client.put("/sfmock/api/cdc", json={"selectedEntities": ["Contact"]},
                      headers=admin).json == {"selectedEntities": ["Contact"]}
    refused = client.put("/sfmock/api/cdc", json={"selectedEntities": ["Nope"]}, headers=admin)
    assert refused.status_code == 404
    gap = client.post("/sfmock/api/cdc/gap", json={"entity": "Contact", "changeType":
                                                   "GAP_OVERFLOW"}, headers=admin)
    assert gap.status_code == 201
    state = client.get("/sfmock/api/cdc", headers=admin).json
    assert state["selectedEntities"] == ["Contact"] and state["latestReplay"] == gap.json["replay"]


def test_fixtures_can_switch_cdc_on(tmp_path):
    import json
    import shutil

    from sfmock import Org, load_fixtures
    from sfmock.models.fixtures import DEFAULT_FIXTURES

    shutil.copytree(DEFAULT_FIXTURES, tmp_path / "org")
    spec = json.loads((tmp_path / "org" / "org.json").read_text())
    spec["change_data_capture"] = ["Contact", "Lead"]
    (tmp_path / "org" / "org.json").write_text(json.dumps(spec))
    org = Org()
    load_fixtures(org, tmp_path / "org")
    assert cdc(org).selected() == ["Contact", "Lead"]

