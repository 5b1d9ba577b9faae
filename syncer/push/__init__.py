"""The pusher: drains the outbox to Salesforce, the one road every write takes."""

from .pusher import Pusher, PushReport, outbox_for_person, push_field

__all__ = ["PushReport", "Pusher", "outbox_for_person", "push_field"]
