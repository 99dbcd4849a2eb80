"""The Teams front end's routes: a handler per Action.Execute verb and per word a person types,
decoded once here (teams.payloads) before any handler runs."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import aiohttp
from microsoft_agents.activity import AdaptiveCardInvokeResponse

from bot.domain.errors import HelpdeskError, StorageUnavailableError
from teams.cards.helpdesk import refusal_text
from teams.conversation import card_answer, error_answer, text_answer
from teams.ids import Verb
from teams.payloads import MalformedActionError, Payload, decode_invoke
from teams.turn import Answer, Turn

log = logging.getLogger(__name__)

STORAGE_DOWN = "The help desk's database is not answering; nothing was done. Try again in a minute."

P = TypeVar("P", bound=Payload)
ActionHandler = Callable[[Turn, P], Awaitable[Answer]]
WordHandler = Callable[[Turn, str], Awaitable[None]]
_Bound = Callable[[Turn, Payload], Awaitable[Answer]]


@dataclass
class Router:
    """Which handler answers each verb and each first word of a message."""

    actions: dict[Verb, _Bound] = field(default_factory=dict)
    words: dict[str, WordHandler] = field(default_factory=dict)
    other_text: WordHandler | None = None

    def action(self, verb: Verb, kind: type[P], handler: ActionHandler[P]) -> None:
        """`handler` answers the buttons of `verb`, whose data decodes to `kind`."""

        async def bound(turn: Turn, payload: Payload) -> Answer:
            if not isinstance(payload, kind):  # MODELS and the registration disagree
                raise MalformedActionError(f"{verb.value}: not {kind.__name__}")
            return await handler(turn, payload)

        self.actions[verb] = bound

    def word(self, words: tuple[str, ...], handler: WordHandler) -> None:
        """`handler` answers a message whose first word is one of `words` (any case)."""
        for word in words:
            self.words[word.lower()] = handler

    async def answer_action(self, turn: Turn, value: object) -> AdaptiveCardInvokeResponse:
        """Decode the invoke, run its verb's handler, and turn its answer into the response."""
        try:
            verb, payload = decode_invoke(value)
        except MalformedActionError as exc:
            log.info("refused an Action.Execute that is not ours: %s", exc)
            return error_answer(400, "not an action of this bot")
        handler = self.actions.get(verb)
        if handler is None:
            log.info("ignored the verb %s: nothing answers it here", verb.value)
            return text_answer("This button does nothing here any more.")
        answer = await _refusals_said(handler(turn, payload), verb)
        if answer.card is None:
            return text_answer(answer.text or "")
        if answer.for_everyone:
            try:
                await turn.update_clicked(answer.card)
            except (aiohttp.ClientError, TimeoutError) as exc:  # the clicker sees it anyway
                log.warning("could not update the clicked card for good: %s", exc)
        return card_answer(answer.card)

    async def answer_text(self, turn: Turn, text: str) -> None:
        """Run the handler of the message's first word, or the one for any other text."""
        words = text.strip().split()
        handler = self.words.get(words[0].lower()) if words else None
        handler = handler or self.other_text
        if handler is not None:
            await handler(turn, text.strip())


async def _refusals_said(work: Awaitable[Answer], verb: Verb) -> Answer:
    """The handler's answer; a refusal of the core's (audited there) or an outage is said to
    the clicker and the card stays as it was."""
    try:
        return await work
    except HelpdeskError as error:
        return Answer.say(refusal_text(error))
    except StorageUnavailableError:
        log.warning("the database is not answering: %s was not done", verb.value)
        return Answer.say(STORAGE_DOWN)
