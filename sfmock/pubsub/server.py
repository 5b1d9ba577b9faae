"""The Pub/Sub API's gRPC server for one org, over TLS with the emulator's local CA."""

from __future__ import annotations

from concurrent import futures
from pathlib import Path

import grpc

from sfpubsub import pb2_grpc

from ..models.org import Org
from .service import PubSubService


class PubSubServer:
    """`eventbus.v1.PubSub` on `host:port` (0 = a free port); `target`, `ca_path`, `stop()`."""

    def __init__(self, org: Org, host: str = "127.0.0.1", port: int = 0, *,
                 cert_dir: str | Path | None = None, keepalive: float = 270.0,
                 max_streams: int = 32) -> None:
        from ..server import CA_FILE, CERT_FILE, KEY_FILE, tls_context

        self.org = org
        self.service = PubSubService(org, keepalive)
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_streams))
        pb2_grpc.add_PubSubServicer_to_server(self.service, self._server)
        self.ca_path: Path | None = None
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        if cert_dir is None:
            bound = self._server.add_insecure_port(address)
        else:
            tls_context(cert_dir)  # makes the CA and server certificate when missing
            cert_dir = Path(cert_dir)
            credentials = grpc.ssl_server_credentials([(
                (cert_dir / KEY_FILE).read_bytes(), (cert_dir / CERT_FILE).read_bytes())])
            bound = self._server.add_secure_port(address, credentials)
            self.ca_path = cert_dir / CA_FILE
        if bound == 0:
            raise OSError(f"cannot listen on {host}:{port} for the Pub/Sub API")
        self.port = bound
        self.target = f"{'localhost' if host in ('127.0.0.1', 'localhost') else host}:{bound}"

    def start(self) -> PubSubServer:
        self._server.start()
        return self

    def stop(self, grace: float = 0.5) -> None:
        self._server.stop(grace).wait(5)

    def __enter__(self) -> PubSubServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
