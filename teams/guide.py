"""The troubleshooting walk in Teams: a message gets the menu or its topic, each step button
moves the walk, and the walk's one card is updated in place."""

from __future__ import annotations

import logging
import re
from html import unescape

from bot.domain.guide import Move
from bot.domain.understand import Intent
from bot.domain.walks import (
    Surface,
)
from teams.cards.guide import build_answer
from teams.deps import TeamsDeps
from teams.ids import Verb
from teams.payloads import ChoiceData, StepData, TopicData
from teams.routes import ActionHandler, Router
from teams.turn import Answer, Turn

log = logging.getLogger(__name__)

# A mention of the bot (channels, group chats) and any other markup Teams puts in a message.
_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_MOVES = {
    Verb.WORKED: Move.WORKED,
    Verb.NEXT: Move.NEXT,
    Verb.BACK: Move.BACK,
    Verb.RESTART: Move.RESTART,
    Verb.CONTACT_IT: Move.CONTACT_IT,
    # Without a help desk, Report it ends the walk as Contact IT does: how to reach IT.
    Verb.REPORT_PROMPT: Move.CONTACT_IT,
}
_DESK_VERBS = (Verb.CONTACT_IT, Verb.REPORT_PROMPT)
_STALE = "This walk is no longer stored: send me a message to start again."


def register(router: Router, deps: TeamsDeps) -> None:
    """Attach the guide's words and buttons (Contact IT and Report it are the help desk's when
    it has one)."""
    routes = GuideRoutes(deps)
    router.other_text = routes.handle_text
    router.action(Verb.TOPIC, TopicData, routes.handle_topic)
    router.action(Verb.CHOICE, ChoiceData, routes.handle_choice)
    for verb, move in _MOVES.items():
        if verb not in _DESK_VERBS or deps.helpdesk is None:
            router.action(verb, StepData, routes.mover(move))


class GuideRoutes:
    """The guide's handlers: decode, one call to the walks, render, reply."""

    def __init__(self, deps: TeamsDeps) -> None:
        self.deps = deps

    async def handle_text(self, turn: Turn, text: str) -> None:
        """The walk of the one topic that fits (stored before it is shown), else what the guide
        says to it: a short reply, the topics that fit about as well, or the menu."""
        deps = self.deps
        guide = deps.walks.guide
        understood = guide.understand(plain_words(text))
        if understood.intent is Intent.TOPICS and len(understood.topics) == 1:
            topic_id = understood.topics[0]
            walk = await deps.walks.start(turn.origin.tenant_id, turn.user_id, topic_id, Surface.DM)
            await turn.send_card(deps.screens.walk(walk))
        elif understood.intent is Intent.MENU:
            await turn.send_card(deps.screens.menu())
        else:
            await turn.send_card(build_answer(guide, understood))

    async def handle_topic(self, turn: Turn, picked: TopicData) -> Answer:
        try:
            walk = await self.deps.walks.start(
                turn.origin.tenant_id, turn.user_id, picked.topic_id, Surface.DM
            )
        except KeyError:
            log.info("ignored a click on an unknown topic")
            return Answer.say("That topic is not in the guide any more.")
        return Answer.replace(self.deps.screens.walk(walk))

    def mover(self, move: Move) -> ActionHandler[StepData]:
        """The handler of a step button that makes `move`."""

        async def handle_move(turn: Turn, step: StepData) -> Answer:
            return await self._moved(turn, step, move)

        return handle_move

    async def handle_choice(self, turn: Turn, picked: ChoiceData) -> Answer:
        return await self._moved(turn, picked, Move.CHOICE, picked.choice)

    async def _moved(self, turn: Turn, step: StepData, move: Move, choice: int = 0) -> Answer:
        walk = await self.deps.walks.press(step.walk_id, turn.user_id, step.step_id, move, choice)
        if walk is None:
            return Answer.say(_STALE)
        screens = self.deps.screens
        return Answer.replace(screens.menu() if move is Move.RESTART else screens.walk(walk))


def plain_words(text: str) -> str:
    """What a person typed in Teams as plain words: mentions and markup dropped, entities undone."""
    return unescape(_TAG.sub(" ", _MENTION.sub(" ", text)))
