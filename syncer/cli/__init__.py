"""The `syncer` command: a thin layer over `syncer.service.Syncer`, one module per command group.

Every known failure (bad input, configuration, Salesforce) ends in one line naming the fix
and exit code 1, never a traceback (set SYNCER_DEBUG=1 to see one for an unexpected error).
"""

from __future__ import annotations

from . import capture, demo, listen, nightly, people, push, serve, settings, status, web
from .base import State, SyncerGroup, main, pass_syncer

for command in (settings.settings, people.people, capture.unsubscribe, capture.resubscribe,
                push.push, status.status, status.doctor, nightly.nightly, serve.serve, listen.listen,
                web.unsubscribe_link, web.admin, web.api_key, web.web, demo.demo):
    main.add_command(command)

__all__ = ["State", "SyncerGroup", "main", "pass_syncer"]
