"""A Salesforce Pub/Sub API subscriber for change events: connect, subscribe, decode.

It speaks only the public gRPC interface (sfpubsub), so it works against a real org's
endpoint (api.pubsub.salesforce.com:7443) and against sfmock alike.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import fastavro
import grpc

from sfpubsub import field_names, pb2, pb2_grpc

DEFAULT_ENDPOINT = "api.pubsub.salesforce.com:7443"
BATCH = 100  # the most events one FetchRequest may ask for
REPLAY_EXPIRED = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
AUTH_ERROR = "sfdc.platform.eventbus.grpc.service.auth.error"


@dataclass(frozen=True)
class ChangeEvent:
    """One decoded change event: which records, what kind of change, the values it carries."""

    entity: str
    change_type: str
    record_ids: list[str]
    changed_fields: list[str]
    values: dict
    commit_time: datetime
    replay_id: bytes

    @property
    def is_gap(self) -> bool:
        """A gap or overflow event: the change is not in the event; read the records instead."""
        return self.change_type.startswith("GAP_")


@dataclass(frozen=True)
class Batch:
    """What one FetchResponse brought: events (maybe none: a keep-alive) and the stream position."""

    events: list[ChangeEvent]
    latest_replay_id: bytes
    keepalive: bool = field(default=False)


class StreamError(Exception):
    """The subscription ended with an error; `code` is Salesforce's error-code trailer."""

    def __init__(self, message: str, code: str, status: grpc.StatusCode | None = None):
        super().__init__(message)
        self.code = code
        self.status = status

    @property
    def replay_expired(self) -> bool:
        return self.code == REPLAY_EXPIRED

    @property
    def unauthenticated(self) -> bool:
        return self.code == AUTH_ERROR or self.status == grpc.StatusCode.UNAUTHENTICATED


class ChangeEventSubscriber:
    """Subscribes to one change-event topic with the session of a logged-in Salesforce client."""

    def __init__(self, endpoint: str, *, access_token: str, instance_url: str, tenant_id: str,
                 ca_path: str | None = None) -> None:
        roots = open(ca_path, "rb").read() if ca_path else None
        self._channel = grpc.secure_channel(endpoint, grpc.ssl_channel_credentials(roots))
        self._stub = pb2_grpc.PubSubStub(self._channel)
        self.metadata = (("accesstoken", access_token), ("instanceurl", instance_url),
                         ("tenantid", tenant_id))
        self._schemas: dict[str, dict] = {}
        self._call = None

    def close(self) -> None:
        if self._call is not None:
            self._call.cancel()
        self._channel.close()

    def topic(self, name: str) -> pb2.TopicInfo:
        return self._guard(lambda: self._stub.GetTopic(pb2.TopicRequest(topic_name=name),
                                                      metadata=self.metadata, timeout=30))

    def batches(self, topic: str, replay_id: bytes | None, stop: threading.Event) -> Iterator[Batch]:
        """Batches from after `replay_id` (from the tip when None) until `stop` is set; one
        FetchRequest of BATCH events is sent again each time a batch is taken."""
        taken = threading.Semaphore(0)

        def requests() -> Iterator[pb2.FetchRequest]:
            preset = pb2.CUSTOM if replay_id else pb2.LATEST
            yield pb2.FetchRequest(topic_name=topic, replay_preset=preset,
                                   replay_id=replay_id or b"", num_requested=BATCH)
            while not stop.is_set():
                if taken.acquire(timeout=0.5):
                    yield pb2.FetchRequest(num_requested=BATCH)

        self._call = self._stub.Subscribe(requests(), metadata=self.metadata)
        try:
            for response in self._call:
                events = [self._decode(e) for e in response.events]
                if events:
                    taken.release()
                yield Batch(events, response.latest_replay_id, keepalive=not events)
                if stop.is_set():
                    return
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.CANCELLED and stop.is_set():
                return
            raise _stream_error(exc) from None
        finally:
            self._call.cancel()

    def _schema(self, schema_id: str) -> dict:
        if schema_id not in self._schemas:
            info = self._guard(lambda: self._stub.GetSchema(
                pb2.SchemaRequest(schema_id=schema_id), metadata=self.metadata, timeout=30))
            self._schemas[schema_id] = fastavro.parse_schema(json.loads(info.schema_json))
        return self._schemas[schema_id]

    def _decode(self, consumer: pb2.ConsumerEvent) -> ChangeEvent:
        schema = self._schema(consumer.event.schema_id)
        record = fastavro.schemaless_reader(io.BytesIO(consumer.event.payload), schema)
        header = record.pop("ChangeEventHeader")
        changed = field_names(schema, header["changedFields"])
        return ChangeEvent(
            entity=header["entityName"], change_type=header["changeType"],
            record_ids=list(header["recordIds"]), changed_fields=changed,
            values={k: v for k, v in record.items() if v is not None},
            commit_time=datetime.fromtimestamp(header["commitTimestamp"] / 1000, UTC),
            replay_id=consumer.replay_id)

    def _guard(self, call):
        try:
            return call()
        except grpc.RpcError as exc:
            raise _stream_error(exc) from None


def _stream_error(exc: grpc.RpcError) -> StreamError:
    trailers = dict(exc.trailing_metadata() or ())
    return StreamError(exc.details() or str(exc.code()), trailers.get("error-code", ""),
                       exc.code())
