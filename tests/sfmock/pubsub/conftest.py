"""Pub/Sub fixtures: an org with CDC on for Contact and Lead, its gRPC server, and a client."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator

import fastavro
import grpc
import pytest

from sfmock import Org, load_fixtures
from sfmock.models.cdc import cdc
from sfmock.pubsub import PubSubServer
from sfpubsub import pb2, pb2_grpc
from tests.conftest import Clock


class Subscriber:
    """A Pub/Sub API client as Salesforce's examples write one: stub, metadata, Avro decoding."""

    def __init__(self, target: str, ca: bytes, token: str, tenant: str) -> None:
        self.channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(ca))
        self.stub = pb2_grpc.PubSubStub(self.channel)
        self.metadata = (("accesstoken", token), ("instanceurl", "https://sfmock.my.salesforce.com"),
                         ("tenantid", tenant))
        self._schemas: dict[str, dict] = {}

    def log_in_again(self, org: Org) -> None:
        """A new session, as a client does when the org's clock has outlived the old one."""
        token = org.open_session(org.integration_user_id()).token
        self.metadata = (("accesstoken", token), *self.metadata[1:])

    def schema(self, schema_id: str) -> dict:
        if schema_id not in self._schemas:
            info = self.stub.GetSchema(pb2.SchemaRequest(schema_id=schema_id),
                                       metadata=self.metadata)
            self._schemas[schema_id] = json.loads(info.schema_json)
        return self._schemas[schema_id]

    def decode(self, consumer_event) -> dict:
        schema = fastavro.parse_schema(self.schema(consumer_event.event.schema_id))
        return fastavro.schemaless_reader(io.BytesIO(consumer_event.event.payload), schema)

    def fetch(self, topic: str, *, preset=pb2.LATEST, replay_id: bytes = b"", num: int = 100,
              more: list[int] = (), responses: int = 1, timeout: float = 5.0) -> list:
        """`responses` FetchResponses of one Subscribe stream; each of `more` is a further
        num_requested, sent after the previous response arrived."""
        done = threading.Event()
        received = threading.Semaphore(0)

        def requests() -> Iterator:
            yield pb2.FetchRequest(topic_name=topic, replay_preset=preset, replay_id=replay_id,
                                   num_requested=num)
            for extra in more:
                received.acquire(timeout=timeout)
                yield pb2.FetchRequest(num_requested=extra)
            done.wait(timeout)

        got = []
        stream = self.stub.Subscribe(requests(), metadata=self.metadata, timeout=timeout)
        try:
            for response in stream:
                got.append(response)
                received.release()
                if len(got) == responses:
                    break
        finally:
            done.set()
            stream.cancel()
        return got

    def close(self) -> None:
        self.channel.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def org(clock) -> Iterator[Org]:
    made = Org(clock=clock)
    load_fixtures(made)
    cdc(made).select(["Contact", "Lead"])
    yield made
    made.close()


@pytest.fixture
def pubsub(org, tmp_path) -> Iterator[PubSubServer]:
    with PubSubServer(org, cert_dir=tmp_path / "certs", keepalive=0.5) as server:
        yield server


@pytest.fixture
def subscriber(org, pubsub) -> Iterator[Subscriber]:
    session = org.open_session(org.integration_user_id())
    client = Subscriber(pubsub.target, pubsub.ca_path.read_bytes(), session.token, org.org_id)
    yield client
    client.close()


def first_contact(org: Org) -> str:
    return next(org.records("Contact"))["Id"]
