"""Serving the web app in production: waitress (threaded, pure Python), an access log, and a
clean stop on SIGTERM or Ctrl-C (requests in flight finish; then the caller stops its threads)."""

from __future__ import annotations

import logging
import re
import signal
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import waitress

access_log = logging.getLogger("syncer.access")
# An unsubscribe link's token stands in for its person: keep it out of the log.
_TOKEN = re.compile(r"^(/unsubscribe/)[^/?]+")


class AccessLog:
    """WSGI middleware: one line per request in the Common Log Format, tokens redacted."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        def logging_start_response(status: str, headers: list, *args: Any) -> Any:
            size = next((v for k, v in headers if k.lower() == "content-length"), "-")
            path = _TOKEN.sub(r"\1...", environ.get("PATH_INFO", ""))
            access_log.info('%s - - [%s] "%s %s %s" %s %s "%s"',
                            environ.get("REMOTE_ADDR", "-"),
                            time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
                            environ.get("REQUEST_METHOD"), path,
                            environ.get("SERVER_PROTOCOL"), status.split(" ", 1)[0], size,
                            environ.get("HTTP_USER_AGENT", "-"))
            return start_response(status, headers, *args)

        return self.app(environ, logging_start_response)


def log_access_to_stderr() -> None:
    """Send the access log (and waitress's own warnings) to stderr, one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name, level in (("syncer.access", logging.INFO), ("waitress", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False


def serve_until_stopped(app: Callable[..., Iterable[bytes]], *, host: str, port: int,
                        threads: int, ready: Callable[[str], None]) -> None:
    """Serve `app` on host:port until Ctrl-C (or SIGTERM, see `stop_on_sigterm`); `ready(url)`
    once it listens.

    Returns after the requests in flight have finished (waitress waits for its workers).
    """
    server = waitress.create_server(AccessLog(app), host=host, port=port, threads=threads,
                                    ident="syncer", clear_untrusted_proxy_headers=True)
    try:
        shown = f"[{host}]" if ":" in host else host
        ready(f"http://{shown}:{server.effective_port}/")
        server.run()  # returns on KeyboardInterrupt, after the worker threads finished
    finally:
        server.close()


def stop_on_sigterm() -> None:
    """Make SIGTERM (systemd's, a container's stop) raise KeyboardInterrupt, as Ctrl-C does."""
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt
