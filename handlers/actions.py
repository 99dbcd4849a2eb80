"""Button clicks on the guide: ack at once, then move the walk and replace the message."""

from __future__ import annotations

import logging
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
    """Attach the guide's action listeners."""

    @app.action(ActionId.TOPIC.pattern())
    async def handle_topic(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        value = body["actions"][0].get("value")
        deps.tasks.spawn(_start_topic(deps, Clicked.of(body), value), "guide-topic")

    for action_id, move in _MOVES.items():
        if action_id is ActionId.CONTACT_IT and deps.helpdesk is not None:
            continue  # the help desk's form takes over Contact IT
        app.action(action_id.value)(_mover(deps, move))
    app.action(ActionId.CHOICE.pattern())(_mover(deps, Move.CHOICE))

    @app.action(ActionId.LINK.pattern())
    async def handle_link(ack: AsyncAck) -> None:
        await ack()


def _mover(deps: Deps, move: Move) -> Any:
    async def handle_move(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        action = body["actions"][0]
        choice = int(action["action_id"].rsplit("-", 1)[-1]) if move is Move.CHOICE else 0
        work = _move(deps, Clicked.of(body), action.get("value"), move, choice)
        deps.tasks.spawn(work, f"guide-{move.value}")

    return handle_move


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
