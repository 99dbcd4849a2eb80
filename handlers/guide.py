"""The troubleshooting walk in Slack: /mfa-help, a DM to the bot, the Home tab, the step buttons."""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ImageBlock

from bot.domain.guide import Move
from bot.domain.understand import Intent
from bot.domain.walks import (
    Surface,
)
from handlers.blocks.guide import Message, home_with
from handlers.blocks.helpdesk import HOME_QUEUE_MAX, build_home_desk, build_opened_in_dms
from handlers.deps import Deps
from handlers.ids import ActionId, Command
from handlers.insights import AdminBoard
from handlers.payloads import Click, EventCallback, SlashCommand, StepRef

log = logging.getLogger(__name__)

_MOVES = {
    ActionId.WORKED: Move.WORKED,
    ActionId.NEXT: Move.NEXT,
    ActionId.BACK: Move.BACK,
    ActionId.RESTART: Move.RESTART,
    ActionId.CONTACT_IT: Move.CONTACT_IT,
    # Without a help desk, Report it ends the walk as Contact IT does: how to reach IT.
    ActionId.REPORT_PROMPT: Move.CONTACT_IT,
}
_DESK_IDS = (ActionId.CONTACT_IT, ActionId.REPORT_PROMPT)


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the guide's listeners; its clicks are the busiest, so they match first."""
    listeners = GuideListeners(deps)
    # Bolt tries its listeners in turn, each try building every argument a listener could take;
    # one listener for the guide's clicks, registered first, makes a click's match one try.
    app.action(listeners.guide_ids())(listeners.handle_guide_click)
    app.command(Command.HELP)(listeners.handle_help)
    app.event("app_home_opened")(listeners.handle_home_opened)
    app.event("message")(listeners.handle_message)


class GuideListeners:
    """The guide's listeners, and the work each leaves for after its ack."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.board = AdminBoard(deps, deps.insights) if deps.insights else None
        self.moves = {
            action_id.value: move
            for action_id, move in _MOVES.items()
            # The help desk takes over Contact IT (its form) and Report it.
            if action_id not in _DESK_IDS or deps.helpdesk is None
        }

    def guide_ids(self) -> re.Pattern[str]:
        """One pattern for every guide button: the moves, and the ids with a suffix."""
        prefixes = (ActionId.TOPIC, ActionId.CHOICE, ActionId.LINK)
        alternatives = [re.escape(value) for value in self.moves]
        alternatives += [prefix.with_suffix for prefix in prefixes]
        return re.compile("^(?:" + "|".join(alternatives) + ")$")

    async def handle_guide_click(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        click = Click.of(body, context)
        await ack()
        tasks = self.deps.tasks
        if click.action_id.startswith(ActionId.TOPIC):
            tasks.spawn(self._start_topic(click), "guide-topic")
        elif click.action_id.startswith(ActionId.CHOICE):
            suffix = click.action_id.removeprefix(ActionId.CHOICE)
            if suffix.isdigit():
                tasks.spawn(self._move(click, Move.CHOICE, int(suffix)), "guide-choice")
        elif (move := self.moves.get(click.action_id)) is not None:
            tasks.spawn(self._move(click, move), f"guide-{move.value}")
        # A link button opens its page in the browser; Slack still wants the click acked.

    async def handle_help(
        self, ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        asked = SlashCommand.of(command, context)
        message = await self._answer(asked.team_id, asked.user_id, asked.text, Surface.COMMAND)
        await ack(text=message.text, blocks=message.blocks)

    async def handle_home_opened(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        delivery = EventCallback.of(body, context)
        if delivery.event.tab == "home" and delivery.event.user:
            work = self._publish_home(delivery, delivery.event.user)
            self.deps.tasks.spawn(work, "publish-home")

    async def handle_message(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        delivery = EventCallback.of(body, context)
        if delivery.from_a_person_in_dm:
            self.deps.tasks.spawn(self._answer_dm(delivery), "answer-dm")

    async def _start_topic(self, click: Click) -> None:
        surface = _surface(click)
        try:
            walk = await self.deps.walks.start(
                click.team_id, click.user_id, str(click.value), surface
            )
        except KeyError:
            log.info("ignored a click on an unknown topic")
            return
        if surface is not Surface.HOME:
            await self.deps.replier.replace(click, self.deps.screens.walk(walk))
            return
        # The walk goes to the DM; the Home tab says so, with a link there.
        replier = self.deps.replier
        channel = await replier.dm_channel(click.user_id)
        ts = await replier.post(channel, self.deps.screens.walk(walk))
        title = self.deps.walks.guide.topic(walk.state.topic_id).title
        note = build_opened_in_dms(title, await replier.permalink(channel, ts))
        await self._show_home(click.team_id, click.user_id, note)

    async def _move(self, click: Click, move: Move, choice: int = 0) -> None:
        ref = StepRef.decode(click.value)
        if ref is None:
            log.info("ignored a guide click whose value is not a step reference")
            return
        walk = await self.deps.walks.press(ref.walk_id, click.user_id, ref.step_id, move, choice)
        if walk is not None:
            screens = self.deps.screens
            message = screens.menu() if move is Move.RESTART else screens.walk(walk)
            await self.deps.replier.replace(click, message)

    async def _first_delivery(self, delivery: EventCallback) -> bool:
        return await self.deps.events.claim_event(delivery.event_id, self.deps.clock.now())

    async def _publish_home(self, delivery: EventCallback, user_id: str) -> None:
        if await self._first_delivery(delivery):
            await self._show_home(delivery.team_id, user_id)

    async def _show_home(
        self, team_id: str, user_id: str, note: str | None = None, *, redraw: bool = True
    ) -> None:
        """The Home tab: the help desk's part for this person (see build_home_desk), for an
        admin the board of the week's figures, then the guide."""
        deps, home, links, board = self.deps, None, [], []
        if deps.helpdesk is not None:
            home = await deps.helpdesk.home_of(user_id)
            queue = (home.queue or ())[:HOME_QUEUE_MAX]
            links = [await deps.replier.permalink(r.channel_id, r.message_ts) for r in queue]
            if home.queue is not None and self.board is not None:  # an admin
                again = partial(self._show_home, team_id, user_id, redraw=False)
                board = await self.board.blocks(team_id, again if redraw else None)
        desk = build_home_desk(home, links, deps.walks.guide, note)
        try:
            await deps.replier.publish_home(
                user_id, home_with(deps.screens.home(), [*desk, *board])
            )
        except SlackApiError as exc:
            pictures = [block for block in board if isinstance(block, ImageBlock)]
            if not pictures or exc.response.get("error") != "invalid_blocks":
                raise
            # A picture Slack cannot show (a file still being processed, or deleted): the Home
            # goes out without the pictures rather than not at all.
            log.warning("Slack refused the board's pictures; the Home is shown without them")
            kept = [block for block in board if not isinstance(block, ImageBlock)]
            await deps.replier.publish_home(user_id, home_with(deps.screens.home(), [*desk, *kept]))

    async def _answer_dm(self, delivery: EventCallback) -> None:
        event, deps = delivery.event, self.deps
        if not event.channel or not event.user or not await self._first_delivery(delivery):
            return
        team_id = delivery.team_id or event.team or ""
        message = await self._answer(team_id, event.user, event.text or "", Surface.DM)
        await deps.replier.post(event.channel, message)

    async def _answer(self, team_id: str, user_id: str, text: str, surface: Surface) -> Message:
        """The answer to what the person typed: the walk of the one topic that fits (stored
        before it is shown, so the next click finds it), else what the guide says to it."""
        understood = self.deps.walks.guide.understand(plain_words(text))
        if understood.intent is Intent.TOPICS and len(understood.topics) == 1:
            walk = await self.deps.walks.start(team_id, user_id, understood.topics[0], surface)
            return self.deps.screens.walk(walk)
        return self.deps.screens.answer(understood)


def _surface(click: Click) -> Surface:
    if click.in_view:
        return Surface.HOME
    if click.ephemeral:
        return Surface.COMMAND
    return Surface.DM


# Slack's markup in typed text: a mention or a reference (<@U1>, <!here>, <#C1|general>), a link
# (<https://…|label>, <mailto:…>) and an emoji code (:wave:).
_REFERENCE = re.compile(r"<(?:[@#!][^>]*|(?:https?|mailto):[^>|]*(?:\|([^>]*))?)>")
_EMOJI = re.compile(r":[a-z0-9_+'-]*[a-z][a-z0-9_+'-]*:")


def plain_words(text: str) -> str:
    """What a person typed in Slack as plain words: mentions, references and emoji codes
    dropped, a link read as its label, Slack's escapes undone."""
    text = _EMOJI.sub(" ", _REFERENCE.sub(lambda link: f" {link.group(1) or ''} ", text))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
