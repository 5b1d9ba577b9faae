"""The CDC listener: Contact and Lead change events over the Pub/Sub API, applied as they come.

One subscription to /data/ChangeEvents (one replay id for both types). Each batch is applied
in one transaction with its replay id, so a restart resumes after the last applied batch. A gap
event makes it read the records it names; an overflow event or an expired replay id makes it
pull everything changed since its watermark; an expired session logs in again and resubscribes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import grpc

from ..nightly.records import TYPES, Record, checkbox
from ..nightly.remote import Remote
from ..salesforce import SalesforceClient
from ..store import Store
from . import pull
from .apply import Applier
from .pubsub import Batch, ChangeEvent, ChangeEventSubscriber, StreamError

TOPIC = "/data/ChangeEvents"
SOURCE = "salesforce-cdc"
APPLIED = ("CREATE", "UPDATE", "UNDELETE")
# gRPC statuses that say this org or this network offers no Pub/Sub API to us.
NO_ACCESS = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.PERMISSION_DENIED,
             grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.DEADLINE_EXCEEDED)


class CdcUnavailable(Exception):
    """The Pub/Sub API cannot be used now; the message says why and what to check."""


class CdcListener:
    """Subscribes with the syncer's Salesforce session and applies what changes the field."""

    def __init__(self, store: Store, client: SalesforceClient, remote: Remote, applier: Applier,
                 *, endpoint: str, ca_path: str | None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store = store
        self.client = client
        self.remote = remote
        self.applier = applier
        self.endpoint = endpoint
        self.ca_path = ca_path
        self.now = now
        self.org_id: str | None = None
        self.logins = 0  # new sessions taken because the Pub/Sub API said the token expired
        self._catch_up = False
        self._open: ChangeEventSubscriber | None = None

    def interrupt(self) -> None:
        """End a subscription waiting for its next event (the stream was told to stop)."""
        if self._open is not None:
            self._open.close()

    # -- connecting ---------------------------------------------------------------------

    def org(self) -> str:
        """The org's Id, the Pub/Sub API's tenant id (as Salesforce's own clients read it)."""
        if self.org_id is None:
            found = self.client.call("reading the org's Id", lambda sf: sf.query(
                "SELECT Id FROM Organization"))
            self.org_id = found["records"][0]["Id"]
        return self.org_id

    def subscriber(self, *, renew: bool = False) -> ChangeEventSubscriber:
        """A subscriber on the session, after checking the topic (GetTopic) is open to it."""
        token, instance = self.client.session(renew=renew)
        made = ChangeEventSubscriber(self.endpoint, access_token=token, instance_url=instance,
                                     tenant_id=self.org(), ca_path=self.ca_path)
        try:
            made.topic(TOPIC)
        except BaseException:
            made.close()
            raise
        self._open = made
        return made

    def check(self) -> str:
        """One GetTopic with the session (for `syncer doctor`); raises CdcUnavailable."""
        subscriber = self._connect()
        subscriber.close()
        return f"GetTopic {TOPIC} at {self.endpoint} answered: the session may subscribe"

    def _connect(self) -> ChangeEventSubscriber:
        renew = False
        for _ in range(2):
            try:
                return self.subscriber(renew=renew)
            except StreamError as problem:
                if problem.unauthenticated and not renew:
                    renew = True
                    self.logins += 1
                    continue
                raise CdcUnavailable(_no_access(problem, self.endpoint)) from None
        raise AssertionError("unreachable")

    # -- streaming ----------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Stream until `stop` is set. Raises CdcUnavailable when the API cannot be reached
        and StreamError/SalesforceError on other faults (the caller waits and calls again)."""
        subscriber = self._connect()
        state = self.store.stream_state()
        replay = bytes.fromhex(state["replay_id"]) if state.get("replay_id") else None
        # A first subscription starts at the tip: what came before is the nightly's to read.
        self._catch_up = False
        try:
            while not stop.is_set():
                try:
                    for batch in subscriber.batches(TOPIC, replay, stop):
                        self.handle(batch)
                        replay = batch.latest_replay_id or replay
                    return
                except StreamError as problem:
                    subscriber.close()
                    if problem.unauthenticated:
                        self.logins += 1
                        subscriber = self.subscriber(renew=True)
                    elif problem.replay_expired:
                        replay, self._catch_up = None, True
                        subscriber = self._connect()
                    elif problem.status in NO_ACCESS:
                        raise CdcUnavailable(_no_access(problem, self.endpoint)) from None
                    else:
                        raise
        finally:
            subscriber.close()

    def handle(self, batch: Batch) -> None:
        """Apply one batch and save its replay id with it (one transaction)."""
        field = self.store.get_settings().field_api_name
        received = self.now()
        records: dict[str, Record] = {}
        gaps: list[str] = []
        overflow = self._catch_up
        last: ChangeEvent | None = None
        for event in batch.events:
            if event.entity not in TYPES:
                continue
            if event.change_type == "GAP_OVERFLOW":
                overflow = True
            elif event.is_gap:
                gaps += event.record_ids
            elif event.change_type in APPLIED and _changes(event, field):
                value = checkbox(event.values.get(field))
                for record_id in event.record_ids:
                    records[record_id] = Record(record_id, event.entity, None, value, False,
                                                None, None, None)
                last = event
        if gaps:
            records.update((r.id, r) for r in pull.by_id(self.remote, field, gaps))
        if overflow:
            marks = self.store.stream_state().get("watermarks") or _nightly_marks(self.store)
            for found in pull.changed_since(self.remote, field, marks).values():
                records.update((r.id, r) for r in found)
        position: dict = {"mode": "cdc", "heartbeat_at": received.isoformat()}
        if batch.latest_replay_id:
            position["replay_id"] = batch.latest_replay_id.hex()
            position["watermarks"] = pull.next_marks(received)
        if last is not None:
            applied = self.now()
            position["last_event"] = {
                "source": SOURCE, "entity": last.entity, "change_type": last.change_type,
                "record_ids": last.record_ids[:5], "commit_time": last.commit_time.isoformat(),
                "applied_at": applied.isoformat(),
                "lag_seconds": round((applied - last.commit_time).total_seconds(), 3)}
        self.applier.apply(list(records.values()), lambda: position)
        self._catch_up = False


def _changes(event: ChangeEvent, field: str) -> bool:
    """Whether the event sets the synced field (an update names it; a create carries it)."""
    return field in event.changed_fields or (event.change_type != "UPDATE"
                                             and field in event.values)


def _nightly_marks(store: Store) -> dict[str, str]:
    """The nightly's watermarks, where the stream has none yet (none: read everything)."""
    return dict(store.previous_state().get("watermarks", {}))


def _no_access(problem: StreamError, endpoint: str) -> str:
    if problem.unauthenticated:
        return (f"the Pub/Sub API at {endpoint} refused the session ({problem}): give the"
                " integration user 'API Enabled' and check SF_PUBSUB_ENDPOINT is this org's")
    status = problem.status.name if problem.status else problem.code
    return (f"the Pub/Sub API at {endpoint} cannot be used ({status}: {problem}): check"
            " SF_PUBSUB_ENDPOINT, the network (port 7443) and that the org has Change Data"
            " Capture")
