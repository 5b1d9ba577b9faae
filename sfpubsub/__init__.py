"""Salesforce's Pub/Sub API wire interface (gRPC `eventbus.v1`), shared by sfmock's server and
the syncer's change-event listener so neither package imports the other."""

from .stubs import pb2, pb2_grpc

__all__ = ["pb2", "pb2_grpc"]
