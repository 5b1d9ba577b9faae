"""Server front door: the same Flask app under a real threaded server, over HTTP or HTTPS."""

from __future__ import annotations

import ssl
import threading
from pathlib import Path

import trustme

from .app import create_app
from .keepalive import KeepAliveHandler, KeepAliveServer
from .models.org import Org

CA_FILE, CERT_FILE, KEY_FILE = "ca.pem", "server.pem", "server-key.pem"


def tls_context(cert_dir: str | Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1 and localhost, signed by a local CA kept in `cert_dir`.

    The CA and certificate are generated once (with trustme) and reused, so clients that
    trust `ca.pem` keep trusting the emulator across restarts.
    """
    cert_dir = Path(cert_dir)
    cert_dir.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = (cert_dir / n for n in (CA_FILE, CERT_FILE, KEY_FILE))
    if not (ca_path.exists() and cert_path.exists() and key_path.exists()):
        ca = trustme.CA(organization_name="sfmock local CA")
        leaf = ca.issue_cert("127.0.0.1", "localhost", "::1")
        ca.cert_pem.write_to_path(str(ca_path))
        leaf.private_key_pem.write_to_path(str(key_path))
        key_path.chmod(0o600)
        cert_path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert_path), str(key_path))
    return context, ca_path


class _QuietHandler(KeepAliveHandler):
    def log_request(self, *args, **kwargs) -> None:
        """Requests are not logged (errors still are)."""


def make_wsgi_server(host: str, port: int, app, ssl_context: ssl.SSLContext | None, *,
                     log_requests: bool = False) -> KeepAliveServer:
    """The threaded keep-alive server sfmock serves with (and the benchmarks' bare floor)."""
    return KeepAliveServer(host, port, app, handler=KeepAliveHandler if log_requests
                           else _QuietHandler, ssl_context=ssl_context)


class Server:
    """A running emulator: `url`, `ca_path`, `stop()`; usable as a context manager."""

    def __init__(self, org: Org, host: str = "127.0.0.1", port: int = 0, *,
                 tls: bool = True, cert_dir: str | Path | None = None, log_requests: bool = True):
        self.org = org  # an org on disk commits without an fsync each (Org.__init__)
        self.app = create_app(org)
        context = None
        self.ca_path: Path | None = None
        if tls:
            if cert_dir is None:
                raise ValueError("TLS needs a cert_dir to write ca.pem into")
            context, self.ca_path = tls_context(cert_dir)
        self._server = make_wsgi_server(host, port, self.app, context,
                                        log_requests=log_requests)
        scheme = "https" if tls else "http"
        shown = f"[{host}]" if ":" in host else host
        self.url = f"{scheme}://{shown}:{self._server.server_port}"
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_port

    def start(self, poll_interval: float = 0.5) -> Server:
        """Serve on a thread; `stop()` waits up to `poll_interval` s for it to notice (the
        test fixtures, which stop a server after every test, pass a short one)."""
        self._thread = threading.Thread(target=self._server.serve_forever, args=(poll_interval,),
                                        daemon=True, name="sfmock-server")
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving, close kept-alive connections, and wait for requests in flight."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
