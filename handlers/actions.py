"""Button clicks on the guide: ack at once, then move the walk and replace the message."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.guide import Move
from bot.domain.walks import Surface, WalkConflictError, WalkNotYoursError
from handlers.deps import Deps
from handlers.ids import ActionId
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
        deps.tasks.spawn(_start_topic(deps, body), "guide-topic")

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
        deps.tasks.spawn(_move(deps, body, move), f"guide-{move.value}")

    return handle_move


async def _start_topic(deps: Deps, body: dict[str, Any]) -> None:
    action = body["actions"][0]
    guide = deps.guide.guide
    try:
        topic = guide.topic(str(action.get("value")))
    except KeyError:
        log.info("ignored a click on an unknown topic")
        return
    surface = _surface(body)
    walk = deps.guide.open_walk(
        deps.guide.new_walk_id(), body["team"]["id"], body["user"]["id"], topic.id, surface
    )
    await deps.guide.record(walk)
    await deps.replier.replace(body, deps.screens.walk(walk))


async def _move(deps: Deps, body: dict[str, Any], move: Move) -> None:
    action = body["actions"][0]
    ref = StepRef.decode(action.get("value"))
    if ref is None:
        log.info("ignored a guide click whose value is not a step reference")
        return
    choice = int(action["action_id"].rsplit("-", 1)[-1]) if move is Move.CHOICE else 0
    try:
        walk = await deps.guide.move(
            ref.walk_id,
            body["team"]["id"],
            body["user"]["id"],
            ref.topic_id,
            ref.step_id,
            move,
            choice=choice,
            surface=_surface(body),
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
    await deps.replier.replace(body, message)


def _surface(body: dict[str, Any]) -> Surface:
    container = body.get("container") or {}
    if container.get("type") == "view":
        return Surface.HOME
    if container.get("is_ephemeral"):
        return Surface.COMMAND
    return Surface.DM
