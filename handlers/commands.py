"""Slash commands: /mfa-help answers at once with the menu or the matching topic's first step."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.walks import Surface
from handlers.deps import Deps
from handlers.ids import Command


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the command listeners."""

    @app.command(Command.HELP)
    async def handle_help(ack: AsyncAck, command: dict[str, Any]) -> None:
        guide = deps.guide.guide
        text = (command.get("text") or "").strip()
        topic = guide.match_topic(text) if text else None
        if topic is None:
            menu = deps.screens.menu(guide.texts.not_matched if text else None)
            await ack(text=menu.text, blocks=menu.blocks)
            return
        walk = deps.guide.open_walk(
            deps.guide.new_walk_id(),
            command["team_id"],
            command["user_id"],
            topic.id,
            Surface.COMMAND,
        )
        message = deps.screens.walk(walk)
        await ack(text=message.text, blocks=message.blocks)
        deps.tasks.spawn(deps.guide.record(walk), "record-walk")

    if deps.helpdesk is None:

        @app.command(Command.ADMIN)
        async def handle_admin_unconfigured(ack: AsyncAck) -> None:
            await ack(text="The help desk is not set up yet: its operator sets HELPDESK_CHANNEL.")
