"""GetTopic and GetSchema answer as the Pub/Sub API does for change-event channels."""

import json

import grpc
import pytest

from sfpubsub import field_names, pb2


def test_a_change_event_topic_names_its_schema_and_refuses_publishing(org, subscriber):
    info = subscriber.stub.GetTopic(pb2.TopicRequest(topic_name="/data/ContactChangeEvent"),
                                    metadata=subscriber.metadata)
    assert info.topic_name == "/data/ContactChangeEvent"
    assert info.tenant_guid == org.org_id
    assert (info.can_subscribe, info.can_publish) == (True, False)
    assert info.schema_id and info.rpc_id


def test_the_all_changes_channel_has_no_single_schema(subscriber):
    # Events of /data/ChangeEvents carry each entity's own schema id (a blank topic schema id
    # is what makes clients that skip per-event schema ids fail there: pub-sub-api-node-client#34).
    info = subscriber.stub.GetTopic(pb2.TopicRequest(topic_name="/data/ChangeEvents"),
                                    metadata=subscriber.metadata)
    assert info.schema_id == ""


def test_an_unknown_topic_is_an_invalid_argument_with_the_error_code_trailer(subscriber):
    with pytest.raises(grpc.RpcError) as raised:
        subscriber.stub.GetTopic(pb2.TopicRequest(topic_name="/data/InvoiceChangeEvent"),
                                 metadata=subscriber.metadata)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    trailers = dict(raised.value.trailing_metadata())
    assert trailers["error-code"] == "sfdc.platform.eventbus.grpc.topic.notfound"
    assert "rpcId:" in raised.value.details()


def test_the_schema_is_avro_with_the_header_first_and_nullable_fields(subscriber):
    info = subscriber.stub.GetTopic(pb2.TopicRequest(topic_name="/data/LeadChangeEvent"),
                                    metadata=subscriber.metadata)
    schema = json.loads(subscriber.stub.GetSchema(pb2.SchemaRequest(schema_id=info.schema_id),
                                                  metadata=subscriber.metadata).schema_json)
    assert schema["name"] == "LeadChangeEvent"
    assert schema["fields"][0]["name"] == "ChangeEventHeader"
    header = [f["name"] for f in schema["fields"][0]["type"]["fields"]]
    assert header == ["entityName", "recordIds", "changeType", "changeOrigin", "transactionKey",
                      "sequenceNumber", "commitTimestamp", "commitNumber", "commitUser",
                      "nulledFields", "diffFields", "changedFields"]
    by_name = {f["name"]: f for f in schema["fields"]}
    assert by_name["HasOptedOutOfEmail"]["type"] == ["null", "boolean"]
    assert by_name["Name"]["type"][1]["type"] == "record"  # compound: FirstName, LastName
    assert "SystemModstamp" not in by_name and "IsDeleted" not in by_name


def test_a_blank_or_unknown_schema_id_is_refused(subscriber):
    for schema_id in ("", "nope"):
        with pytest.raises(grpc.RpcError) as raised:
            subscriber.stub.GetSchema(pb2.SchemaRequest(schema_id=schema_id),
                                      metadata=subscriber.metadata)
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_publishing_to_a_change_event_topic_fails_per_event(subscriber):
    response = subscriber.stub.Publish(pb2.PublishRequest(
        topic_name="/data/ContactChangeEvent",
        events=[pb2.ProducerEvent(id="e1", schema_id="x", payload=b"")]),
        metadata=subscriber.metadata)
    assert response.results[0].error.code == pb2.PUBLISH
    assert response.results[0].correlation_key == "e1"


def test_changed_field_bitmaps_decode_against_the_schema():
    schema = {"fields": [{"name": "ChangeEventHeader"}, {"name": "Name", "type": [
        "null", {"fields": [{"name": "FirstName"}, {"name": "LastName"}]}]}, {"name": "Email"}]}
    assert field_names(schema, ["0x06", "1-0x02"]) == ["Name", "Email", "Name.LastName"]
