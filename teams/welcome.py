"""The app installed: the employee's personal chat opens with the guide's menu."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from microsoft_agents.hosting.core import TurnContext, TurnState

from teams.deps import TeamsDeps
from teams.turn import Turn

log = logging.getLogger(__name__)


def greeter(deps: TeamsDeps) -> Callable[[TurnContext, TurnState], Awaitable[None]]:
    """The conversationUpdate handler: when the bot itself joined a personal chat, the menu.

    In a team the bot says nothing: the channel's reference is kept (every activity's is), which
    is how the help-desk channel is reached later.
    """

    async def handle_members_added(context: TurnContext, _state: TurnState) -> None:
        activity = context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        joined = any(member.id == bot_id for member in activity.members_added or [])
        turn = Turn.of(context)
        if joined and turn is not None and turn.origin.personal:
            await turn.send_card(deps.screens.menu())

    return handle_members_added
