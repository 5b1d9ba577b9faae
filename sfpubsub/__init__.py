"""Salesforce's Pub/Sub API wire interface (gRPC `eventbus.v1`), shared by sfmock's server and
the syncer's change-event listener so neither package imports the other."""

from .bitmaps import field_names
from .stubs import pb2, pb2_grpc

__all__ = ["field_names", "pb2", "pb2_grpc"]
