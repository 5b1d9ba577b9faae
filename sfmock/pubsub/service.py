"""The eventbus.v1.PubSub service: gRPC calls translated into calls on the org's change-event bus."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator

import grpc

from sfpubsub import pb2, pb2_grpc

from .. import errors, ids
from ..models.cdc import (
    ALL_CHANGES,
    SUPPORTED,
    ChangeDataCapture,
    cdc,
    entity_of,
    replay_bytes,
    replay_number,
)

MAX_PER_FETCH = 100  # the guide's cap on num_requested in one FetchRequest
# Error codes go in the `error-code` trailer, as the Pub/Sub API guide's "Handle Errors" shows.
AUTH_ERROR = "sfdc.platform.eventbus.grpc.service.auth.error"
TOPIC_NOT_FOUND = "sfdc.platform.eventbus.grpc.topic.notfound"
REPLAY_CORRUPTED = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
REPLAY_INVALID = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.validation.failed"
REQUESTED_INVALID = "sfdc.platform.eventbus.grpc.subscription.fetch.requested.events.invalid"
SCHEMA_INVALID = "sfdc.platform.eventbus.grpc.schema.validation.failed"


def _abort(context: grpc.ServicerContext, status: grpc.StatusCode, code: str,
           message: str) -> None:
    rpc_id = str(uuid.uuid4())
    context.set_trailing_metadata((("error-code", code), ("rpc-id", rpc_id)))
    context.abort(status, f"{message} rpcId: {rpc_id}")


class PubSubService(pb2_grpc.PubSubServicer):
    """Serves one org; `keepalive` is the idle interval of empty FetchResponses (270 s real)."""

    def __init__(self, org, keepalive: float = 270.0) -> None:
        self.org = org
        self.keepalive = keepalive

    @property
    def bus(self) -> ChangeDataCapture:
        return cdc(self.org)

    def _authenticate(self, context: grpc.ServicerContext) -> None:
        """The session in `accesstoken`, the org in `tenantid`, and an `instanceurl`, as the
        real service requires of every call."""
        metadata = dict(context.invocation_metadata())
        token, tenant = metadata.get("accesstoken"), metadata.get("tenantid", "")
        if not token or not metadata.get("instanceurl", "").startswith("http"):
            _abort(context, grpc.StatusCode.UNAUTHENTICATED, AUTH_ERROR,
                   "An authentication exception occurred: send accesstoken, instanceurl and "
                   "tenantid metadata")
        try:
            self.org.session_for(token)
        except errors.SalesforceError:
            _abort(context, grpc.StatusCode.UNAUTHENTICATED, AUTH_ERROR,
                   "An authentication exception occurred: the access token is invalid or expired")
        if ids.normalise(tenant) != self.org.org_id:
            _abort(context, grpc.StatusCode.UNAUTHENTICATED, AUTH_ERROR,
                   "An authentication exception occurred: tenantid does not match the token's org")

    def _entities(self, topic: str, context: grpc.ServicerContext) -> None:
        """Abort unless `topic` is a change-event channel of this org."""
        if topic == ALL_CHANGES:
            return
        entity = entity_of(topic)
        known = entity is not None and entity in self.org.types and (
            entity in SUPPORTED or entity.endswith("__c"))
        if not known:
            _abort(context, grpc.StatusCode.INVALID_ARGUMENT, TOPIC_NOT_FOUND,
                   f"Topic {topic!r} does not exist: change-event topics are named like "
                   "/data/ContactChangeEvent")

    def GetTopic(self, request, context):  # noqa: N802 - gRPC method names
        self._authenticate(context)
        self._entities(request.topic_name, context)
        entity = entity_of(request.topic_name)
        schema_id = self.bus.schema(entity)[0] if entity else ""  # ChangeEvents mixes schemas
        return pb2.TopicInfo(topic_name=request.topic_name, tenant_guid=self.org.org_id,
                             can_publish=False, can_subscribe=True, schema_id=schema_id,
                             rpc_id=str(uuid.uuid4()))

    def GetSchema(self, request, context):  # noqa: N802
        self._authenticate(context)
        if not request.schema_id:
            _abort(context, grpc.StatusCode.INVALID_ARGUMENT, SCHEMA_INVALID,
                   "Schema validation failed. The schema ID can't be blank.")
        schema = self.bus.schema_by_id(request.schema_id)
        if schema is None:
            _abort(context, grpc.StatusCode.INVALID_ARGUMENT, SCHEMA_INVALID,
                   f"Schema validation failed. No schema has the ID {request.schema_id}.")
        return pb2.SchemaInfo(schema_json=json.dumps(schema), schema_id=request.schema_id,
                              rpc_id=str(uuid.uuid4()))

    def Publish(self, request, context):  # noqa: N802
        self._authenticate(context)
        self._entities(request.topic_name, context)
        refused = pb2.Error(code=pb2.PUBLISH,
                            msg="Change events are published by Salesforce only; publish "
                                "platform events to an /event/ topic instead")
        return pb2.PublishResponse(
            results=[pb2.PublishResult(error=refused, correlation_key=e.id)
                     for e in request.events],
            rpc_id=str(uuid.uuid4()))

    def PublishStream(self, request_iterator, context):  # noqa: N802
        for request in request_iterator:
            yield self.Publish(request, context)

    def Subscribe(self, request_iterator, context) -> Iterator:  # noqa: N802
        self._authenticate(context)
        first = next(request_iterator, None)
        if first is None:
            return
        topic = first.topic_name
        self._entities(topic, context)
        if first.num_requested <= 0:
            _abort(context, grpc.StatusCode.INVALID_ARGUMENT, REQUESTED_INVALID,
                   "num_requested must be a positive number of events, at most 100")
        position = self._start(first, context)
        stream = _Demand(min(first.num_requested, MAX_PER_FETCH))
        threading.Thread(target=stream.read, args=(request_iterator, topic, self.bus),
                         daemon=True, name="pubsub-fetch").start()
        last_sent = time.monotonic()
        while context.is_active() and not stream.closed:
            if stream.bad_topic:
                _abort(context, grpc.StatusCode.INVALID_ARGUMENT, TOPIC_NOT_FOUND,
                       "A FetchRequest named another topic than the first one of this stream")
            wanted = stream.take_up_to(MAX_PER_FETCH)
            events = self.bus.after(topic, position, wanted) if wanted else []
            stream.give_back(wanted - len(events))
            if events:
                position = events[-1].replay
                last_sent = time.monotonic()
                yield pb2.FetchResponse(
                    events=[pb2.ConsumerEvent(
                        event=pb2.ProducerEvent(id=e.event_id, schema_id=e.schema_id,
                                                payload=e.payload),
                        replay_id=replay_bytes(e.replay)) for e in events],
                    latest_replay_id=replay_bytes(position), rpc_id=str(uuid.uuid4()),
                    pending_num_requested=stream.pending)
                continue
            if time.monotonic() - last_sent >= self.keepalive:
                last_sent = time.monotonic()
                if not self.bus.after(topic, position, 1):
                    position = max(position, self.bus.bounds()[1])
                yield pb2.FetchResponse(latest_replay_id=replay_bytes(position),
                                        rpc_id=str(uuid.uuid4()),
                                        pending_num_requested=stream.pending)
                continue
            self.bus.wait(min(0.2, self.keepalive))

    def _start(self, first, context: grpc.ServicerContext) -> int:
        """The replay number the stream starts after, from the first FetchRequest's preset."""
        low, high = self.bus.bounds()
        if first.replay_preset == pb2.EARLIEST:
            return low - 1
        if first.replay_preset == pb2.CUSTOM:
            number = replay_number(first.replay_id)
            if number is None:
                _abort(context, grpc.StatusCode.INVALID_ARGUMENT, REPLAY_INVALID,
                       "The Replay ID validation failed: send a replay_id received from this "
                       "topic with the CUSTOM preset")
            if number < low - 1 or number > high:
                _abort(context, grpc.StatusCode.INVALID_ARGUMENT, REPLAY_CORRUPTED,
                       "The replay ID is not valid: it is older than the 72-hour retention "
                       "window or was never issued. Subscribe with EARLIEST or LATEST instead")
            return number
        return high


class _Demand:
    """The events a subscriber asked for and has not received yet (FetchRequest flow control)."""

    def __init__(self, first: int) -> None:
        self.pending = first
        self.closed = False
        self.bad_topic = False
        self._lock = threading.Lock()

    def read(self, requests: Iterator, topic: str, bus: ChangeDataCapture) -> None:
        try:
            for request in requests:
                with self._lock:
                    if request.topic_name and request.topic_name != topic:
                        self.bad_topic = True
                    self.pending += max(0, min(request.num_requested, MAX_PER_FETCH))
                with bus.arrived:
                    bus.arrived.notify_all()
        except grpc.RpcError:
            pass  # the client went away; the send loop ends on its own
        finally:
            self.closed = True

    def take_up_to(self, limit: int) -> int:
        with self._lock:
            taken = min(self.pending, limit)
            self.pending -= taken
            return taken

    def give_back(self, count: int) -> None:
        with self._lock:
            self.pending += count
