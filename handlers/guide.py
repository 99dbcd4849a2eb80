"""The troubleshooting walk in Slack: /mfa-help, a DM to the bot, the Home tab, the step buttons."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.guide import Move
from bot.domain.walks import (
    Surface,
    WalkConflictError,
    WalkNotFoundError,
    WalkNotYoursError,
    WalkRecord,
)
from handlers.blocks.guide import Message
from handlers.deps import Deps
from handlers.ids import ActionId, Command
from handlers.payloads import Click, EventCallback, SlashCommand, StepRef

log = logging.getLogger(__name__)

_MOVES = {
    ActionId.WORKED: Move.WORKED,
    ActionId.NEXT: Move.NEXT,
    ActionId.BACK: Move.BACK,
    ActionId.RESTART: Move.RESTART,
    ActionId.CONTACT_IT: Move.CONTACT_IT,
}


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the guide's listeners; its clicks are the busiest, so they match first."""
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
        click = Click.of(body)
        await ack()
        if click.action_id.startswith(ActionId.TOPIC):
            deps.tasks.spawn(_start_topic(deps, click), "guide-topic")
        elif click.action_id.startswith(ActionId.CHOICE):
            suffix = click.action_id.removeprefix(ActionId.CHOICE)
            if suffix.isdigit():
                deps.tasks.spawn(_move(deps, click, Move.CHOICE, int(suffix)), "guide-choice")
        elif (move := moves.get(click.action_id)) is not None:
            deps.tasks.spawn(_move(deps, click, move), f"guide-{move.value}")
        # A link button opens its page in the browser; Slack still wants the click acked.

    @app.command(Command.HELP)
    async def handle_help(ack: AsyncAck, command: dict[str, Any]) -> None:
        asked = SlashCommand.of(command)
        text = asked.text.strip()
        topic = deps.guide.guide.match_topic(text) if text else None
        if topic is None:
            message = deps.screens.menu(deps.guide.guide.texts.not_matched if text else None)
        else:  # stored before it is shown (one insert), so the next click finds it
            walk = await deps.guide.start(asked.team_id, asked.user_id, topic.id, Surface.COMMAND)
            message = deps.screens.walk(walk)
        await ack(text=message.text, blocks=message.blocks)

    @app.event("app_home_opened")
    async def handle_home_opened(body: dict[str, Any]) -> None:
        delivery = EventCallback.of(body)
        if delivery.event.tab == "home" and delivery.event.user:
            deps.tasks.spawn(_publish_home(deps, delivery, delivery.event.user), "publish-home")

    @app.event("message")
    async def handle_message(body: dict[str, Any]) -> None:
        delivery = EventCallback.of(body)
        if delivery.from_a_person_in_dm:
            deps.tasks.spawn(_answer_dm(deps, delivery), "answer-dm")


async def _start_topic(deps: Deps, click: Click) -> None:
    try:
        walk = await deps.guide.start(
            click.team_id, click.user_id, str(click.value), _surface(click)
        )
    except KeyError:
        log.info("ignored a click on an unknown topic")
        return
    await deps.replier.replace(click, deps.screens.walk(walk))


async def _move(deps: Deps, click: Click, move: Move, choice: int = 0) -> None:
    ref = StepRef.decode(click.value)
    if ref is None:
        log.info("ignored a guide click whose value is not a step reference")
        return
    walk = await _moved(deps, click.user_id, ref, move, choice)
    if walk is not None:
        message = deps.screens.menu() if move is Move.RESTART else deps.screens.walk(walk)
        await deps.replier.replace(click, message)


async def _moved(
    deps: Deps, user_id: str, ref: StepRef, move: Move, choice: int
) -> WalkRecord | None:
    """The walk after the click, or None when the click is dropped (and why, in the log)."""
    try:
        return await deps.guide.move(ref.walk_id, user_id, ref.step_id, move, choice)
    except WalkNotFoundError:
        log.info("ignored a click on a walk that is not stored")
    except WalkNotYoursError:
        log.info("ignored a click on another person's walk")
    except KeyError:
        log.info("ignored a click on a step the guide no longer has")
    except WalkConflictError:
        log.warning("dropped a click on a walk that kept changing under it")
    return None


async def _first_delivery(deps: Deps, delivery: EventCallback) -> bool:
    return await deps.events.claim_event(delivery.event_id, deps.clock.now())


async def _publish_home(deps: Deps, delivery: EventCallback, user_id: str) -> None:
    if await _first_delivery(deps, delivery):
        await deps.replier.publish_home(user_id, deps.screens.home())


async def _answer_dm(deps: Deps, delivery: EventCallback) -> None:
    event = delivery.event
    if not event.channel or not event.user or not await _first_delivery(deps, delivery):
        return
    topic = deps.guide.guide.match_topic(event.text or "")
    message: Message = deps.screens.menu()
    if topic is not None:
        team_id = delivery.team_id or event.team or ""
        walk = await deps.guide.start(team_id, event.user, topic.id, Surface.DM)
        message = deps.screens.walk(walk)
    await deps.replier.post(event.channel, message)


def _surface(click: Click) -> Surface:
    if click.in_view:
        return Surface.HOME
    if click.ephemeral:
        return Surface.COMMAND
    return Surface.DM
