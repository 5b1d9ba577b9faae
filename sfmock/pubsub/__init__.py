"""Salesforce's Pub/Sub API (gRPC, eventbus.v1) serving the org's Change Data Capture events."""

from .server import PubSubServer

__all__ = ["PubSubServer"]
