"""Every call carries accesstoken, instanceurl and tenantid metadata, checked as the real API does."""

import grpc
import pytest

from sfpubsub import pb2

AUTH_ERROR = "sfdc.platform.eventbus.grpc.service.auth.error"


def _refused(subscriber, metadata) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        subscriber.stub.GetTopic(pb2.TopicRequest(topic_name="/data/ContactChangeEvent"),
                                 metadata=metadata)
    return raised.value


def test_a_bad_token_is_unauthenticated(subscriber):
    error = _refused(subscriber, (("accesstoken", "00Dbad!token"), *subscriber.metadata[1:]))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert dict(error.trailing_metadata())["error-code"] == AUTH_ERROR


def test_missing_metadata_is_unauthenticated(subscriber):
    error = _refused(subscriber, subscriber.metadata[:1])
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


def test_another_orgs_tenant_id_is_refused(subscriber):
    error = _refused(subscriber, (*subscriber.metadata[:2], ("tenantid", "00D000000000001AAA")))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED


def test_an_expired_session_stops_working(org, subscriber):
    org.expire_sessions()
    assert _refused(subscriber, subscriber.metadata).code() == grpc.StatusCode.UNAUTHENTICATED


def test_the_15_character_org_id_is_accepted_as_tenant(org, subscriber):
    metadata = (*subscriber.metadata[:2], ("tenantid", org.org_id[:15]))
    info = subscriber.stub.GetTopic(pb2.TopicRequest(topic_name="/data/ContactChangeEvent"),
                                    metadata=metadata)
    assert info.can_subscribe
