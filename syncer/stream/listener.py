"""The stream: CDC when it is on and the Pub/Sub API answers, else polling, else nothing.

`syncer listen` runs it in the foreground and `syncer serve` in a thread beside the pusher and
the nightly scheduler. Settings are read again on every turn, so `syncer settings --cdc on` or
`--poll-minutes N` take effect without a restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..nightly.remote import ClientRemote
from ..push import Pusher
from ..retry import RetryPolicy
from ..salesforce import SalesforceClient, SalesforceError
from ..store import Settings, Store
from . import cdc, poll
from .apply import Applier
from .pubsub import StreamError

CDC_RETRY = 300.0  # seconds between tries of the Pub/Sub API while polling instead
IDLE_CHECK = 30.0  # seconds between looks at the settings while no stream is configured
ERROR_WAIT = (1.0, 60.0)  # the wait after a failed turn: first, then doubling up to the last

NIGHTLY_ONLY = "nightly only"


def configured_mode(settings: Settings) -> str:
    """The mode the settings ask for: 'cdc' (polling if it cannot connect), 'polling', or
    'nightly only'."""
    if settings.cdc:
        return "cdc"
    return "polling" if settings.poll_minutes > 0 else NIGHTLY_ONLY


class Stream:
    """Runs the configured mode until stopped; says what it does through `say`."""

    def __init__(self, store: Store, client: SalesforceClient, pusher: Pusher, *,
                 endpoint: str, ca_path: str | None, policy: RetryPolicy | None = None,
                 say: Callable[[str], None] = lambda line: None, cdc_retry: float = CDC_RETRY):
        self.store = store
        self.say = say
        self.cdc_retry = cdc_retry
        remote = ClientRemote(client, policy=policy)
        self.cdc = cdc.CdcListener(store, client, remote,
                                   Applier(store, remote, pusher, cdc.SOURCE),
                                   endpoint=endpoint, ca_path=ca_path)
        self.poller = poll.Poller(store, remote, Applier(store, remote, pusher, poll.SOURCE))
        self._cdc_blocked_until = 0.0
        self._mode = ""

    def run(self, stop: threading.Event) -> None:
        threading.Thread(target=lambda: (stop.wait(), self.cdc.interrupt()), daemon=True,
                         name="syncer-stream-stop").start()
        wait = ERROR_WAIT[0]
        while not stop.is_set():
            try:
                self._turn(stop)
                wait = ERROR_WAIT[0]
            except Exception as problem:  # the stream outlives any one fault; the nightly
                # run catches up on whatever a failed turn missed
                known = isinstance(problem, SalesforceError | StreamError)
                said = str(problem) if known else f"{type(problem).__name__}: {problem}"
                self.say(f"stream: {said}; trying again in {wait:g} s")
                stop.wait(wait)
                wait = min(wait * 2, ERROR_WAIT[1])

    def _turn(self, stop: threading.Event) -> None:
        settings = self.store.get_settings()
        if settings.cdc and time.monotonic() >= self._cdc_blocked_until:
            try:
                self._enter("cdc", "streaming Contact and Lead change events (CDC)")
                self.cdc.run(stop)
                return
            except cdc.CdcUnavailable as why:
                self._cdc_blocked_until = time.monotonic() + self.cdc_retry
                fallback = ("polling" if settings.poll_minutes > 0 else NIGHTLY_ONLY)
                self.say(f"stream: {why}; {fallback} instead, CDC tried again in"
                         f" {self.cdc_retry:g} s")
                self.store.save_stream_state(mode=fallback, cdc_error=str(why))
                self._mode = fallback
                return
        if settings.poll_minutes > 0:
            self._enter("polling", f"polling every {settings.poll_minutes:g} min")
            self.poller.poll()
            stop.wait(settings.poll_minutes * 60)
            return
        if not settings.cdc:
            self._enter(NIGHTLY_ONLY, "no stream configured: the nightly run alone reads"
                        " Salesforce (syncer settings --cdc on, or --poll-minutes N)")
        stop.wait(IDLE_CHECK)

    def _enter(self, mode: str, line: str) -> None:
        if mode != self._mode:
            self._mode = mode
            self.say(f"stream: {line}")
            changes = {"mode": mode}
            if mode == "cdc":
                changes["cdc_error"] = None
            self.store.save_stream_state(**changes)


def stream_status(settings: Settings, state: dict) -> dict:
    """What `syncer status` and the web app's home show: the mode (as configured, and as last
    run), the stream's lag and its last event, with no Salesforce call."""
    event = state.get("last_event")
    return {"configured": configured_mode(settings), "mode": state.get("mode"),
            "heartbeat_at": state.get("heartbeat_at"), "cdc_error": state.get("cdc_error"),
            "lag_seconds": event["lag_seconds"] if event else None, "last_event": event,
            "poll_minutes": settings.poll_minutes}


def stream_line(status: dict) -> str:
    """The stream's status in one line."""
    mode = status["mode"] or status["configured"]
    line = f"stream: {mode}"
    if status["mode"] and status["mode"] != status["configured"]:
        line += f" (configured: {status['configured']})"
    if status["cdc_error"]:
        line += f"; CDC unavailable: {status['cdc_error']}"
    if status["heartbeat_at"]:
        line += f"; alive at {status['heartbeat_at']}"
    event = status["last_event"]
    if event:
        line += (f"; last event {event['change_type']} {event['entity']}"
                 f" {','.join(event['record_ids'])} committed {event['commit_time']},"
                 f" applied after {event['lag_seconds']:g} s")
    return line
