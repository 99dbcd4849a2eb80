"""The Slack front end: thin listeners, one module per surface, that ack, call the core, reply."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import admin, contact, decisions, guide, outreach, setup
from handlers.deps import Deps
from handlers.refusals import answer_listener_error


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach every listener of every surface, the busiest first (Bolt tries them in turn)."""
    app.error(answer_listener_error)
    guide.register(app, deps)
    admin.register(app, deps)
    if deps.helpdesk is not None:
        contact.register(app, deps, deps.helpdesk)
        decisions.register(app, deps, deps.helpdesk)
        outreach.register(app, deps, deps.helpdesk)
        if deps.workspaces is not None:
            setup.register(app, deps, deps.helpdesk, deps.workspaces)
