"""The Slack front end: thin listeners that ack, call the core, render and reply."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import actions, commands, events, helpdesk
from handlers.deps import Deps
from handlers.envelope import answer_listener_error


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach every listener of every surface, the busiest first (Bolt tries them in turn)."""
    app.error(answer_listener_error)
    actions.register(app, deps)
    commands.register(app, deps)
    events.register(app, deps)
    if deps.helpdesk is not None:
        helpdesk.register(app, deps, deps.helpdesk)
