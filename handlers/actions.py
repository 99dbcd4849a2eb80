"""Button clicks on the guide: ack at once, then move the walk and replace the message."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.guide import Move
from bot.domain.walks import Surface, WalkConflictError, WalkNotYoursError
from handlers.deps import Deps
from handlers.ids import ActionId
from handlers.reply import Clicked
from handlers.wire import StepRef

log = logging.getLogger(__name__)

_MOVES = {
    ActionId.WORKED: Move.WORKED,
    ActionId.NEXT: Move.NEXT,
    ActionId.BACK: Move.BACK,
    ActionId.RESTART: Move.RESTART,
    ActionId.CONTACT_IT: Move.CONTACT_IT,
}


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the guide's action listener: one for every guide button, the busiest listener."""
    moves = {
        action_id.value: move
        for action_id, move in _MOVES.items()
        # The help desk's form takes over Contact IT.
        if action_id is not ActionId.CONTACT_IT or deps.helpdesk is None
    }
    # Bolt tries its listeners in turn, each try building every argument a listener could take;
    # one listener for the guide's clicks, registered first, makes a click's match one try.
    prefixes = (ActionId.TOPIC, ActionId.CHOICE, ActionId.LINK)
    alternatives = [re.escape(value) for value in moves]
    alternatives += [prefix.with_suffix for prefix in prefixes]
    guide_ids = re.compile("^(?:" + "|".join(alternatives) + ")$")

    @app.action(guide_ids)
    async def handle_guide_click(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        action = body["actions"][0]
        action_id, value = action["action_id"], action.get("value")
        clicked = Clicked.of(body)
        if action_id.startswith(ActionId.TOPIC):
            deps.tasks.spawn(_start_topic(deps, clicked, value), "guide-topic")
        elif action_id.startswith(ActionId.CHOICE):
            suffix = action_id.removeprefix(ActionId.CHOICE)
            if suffix.isdigit():
                work = _move(deps, clicked, value, Move.CHOICE, int(suffix))
                deps.tasks.spawn(work, "guide-choice")
        elif action_id in moves:
            move = moves[action_id]
            deps.tasks.spawn(_move(deps, clicked, value, move, 0), f"guide-{move.value}")
        # A link button opens its page in the browser; Slack still wants the click acked.


async def _start_topic(deps: Deps, clicked: Clicked, value: str | None) -> None:
    guide = deps.guide.guide
    try:
        topic = guide.topic(str(value))
    except KeyError:
        log.info("ignored a click on an unknown topic")
        return
    walk = deps.guide.open_walk(
        deps.guide.new_walk_id(), clicked.team_id, clicked.user_id, topic.id, _surface(clicked)
    )
    await deps.guide.record(walk)
    await deps.replier.replace(clicked, deps.screens.walk(walk))


async def _move(deps: Deps, clicked: Clicked, value: str | None, move: Move, choice: int) -> None:
    ref = StepRef.decode(value)
    if ref is None:
        log.info("ignored a guide click whose value is not a step reference")
        return
    try:
        walk = await deps.guide.move(
            ref.walk_id,
            clicked.team_id,
            clicked.user_id,
            ref.topic_id,
            ref.step_id,
            move,
            choice=choice,
            surface=_surface(clicked),
        )
    except WalkNotYoursError:
        log.info("ignored a click on another person's walk")
        return
    except KeyError:
        log.info("ignored a click on a step the guide no longer has")
        return
    except WalkConflictError:
        log.warning("dropped a click on a walk that kept changing under it")
        return
    message = deps.screens.menu() if move is Move.RESTART else deps.screens.walk(walk)
    await deps.replier.replace(clicked, message)


def _surface(clicked: Clicked) -> Surface:
    if clicked.in_view:
        return Surface.HOME
    if clicked.ephemeral:
        return Surface.COMMAND
    return Surface.DM
