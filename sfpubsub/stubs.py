"""The eventbus.v1 message classes and service stubs, compiled from pubsub_api.proto at import."""

from __future__ import annotations

import sys
from pathlib import Path

import grpc

_HERE = str(Path(__file__).parent)
sys.path.insert(0, _HERE)  # protos_and_services resolves the .proto against sys.path
try:
    pb2, pb2_grpc = grpc.protos_and_services("pubsub_api.proto")
finally:
    sys.path.remove(_HERE)
