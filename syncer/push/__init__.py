"""The pusher: drains the outbox to Salesforce, the one road every write takes."""

from .pusher import Pusher, PushReport, push_field

__all__ = ["PushReport", "Pusher", "push_field"]
