"""The Teams front end's routes: a handler per Action.Execute verb and per word a person types,
decoded once here (teams.payloads) before any handler runs, and each verb answered only where
its card lives."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import aiohttp
from microsoft_agents.activity import AdaptiveCardInvokeResponse

from bot import correlation
from bot.domain.errors import HelpdeskError, StorageUnavailableError
from teams.cards.helpdesk import refusal_text
from teams.conversation import Origin, card_answer, error_answer, text_answer
from teams.ids import Verb
from teams.payloads import MalformedActionError, Payload, RequestData, decode_invoke
from teams.turn import Answer, Turn

log = logging.getLogger(__name__)

STORAGE_DOWN = "The help desk's database is not answering; nothing was done. Try again in a minute."
DESK_ONLY = "That button works on the request's card in the help-desk channel only."
PERSONAL_ONLY = "That button works in your personal chat with me only."
ALERTS_ONLY = "That button works on the alert in the help-desk or security channel only."

# The buttons of the request card in the help-desk channel and of the views it opens for the
# clicker. Every other button (the guide, the employee's request, the manager's answer, the
# admin's enrollment) is on a card in a person's personal chat with the bot.
DESK_VERBS = frozenset(
    {
        Verb.APPROVE,
        Verb.APPROVE_CONFIRM,
        Verb.DENY,
        Verb.DENY_CONFIRM,
        Verb.RETRY,
        Verb.RETRY_CONFIRM,
        Verb.DESK_BACK,
        Verb.MANUAL_DONE,
        Verb.ON_IT,
        Verb.ASK,
        Verb.ASK_CONFIRM,
    }
)
# The buttons of the security alerts, posted in the help-desk channel and the security channel.
ALERT_VERBS = frozenset({Verb.CLAIM_ALERT})

P = TypeVar("P", bound=Payload)
ActionHandler = Callable[[Turn, P], Awaitable[Answer]]
WordHandler = Callable[[Turn, str], Awaitable[None]]
_Bound = Callable[[Turn, Payload], Awaitable[Answer]]


def _nowhere(_origin: Origin) -> bool:
    return False


@dataclass
class Router:
    """Which handler answers each verb and each first word of a message, and where the help
    desk's channel is (`at_desk`: none until the help desk registers its buttons)."""

    actions: dict[Verb, _Bound] = field(default_factory=dict)
    words: dict[str, WordHandler] = field(default_factory=dict)
    other_text: WordHandler | None = None
    at_desk: Callable[[Origin], bool] = _nowhere
    at_alerts: Callable[[Origin], bool] = _nowhere
    misplaced: Callable[[Turn, Payload], Awaitable[None]] | None = None

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
        if isinstance(payload, RequestData):
            correlation.about_request(payload.request_id)
        handler = self.actions.get(verb)
        if handler is None:
            log.info("ignored the verb %s: nothing answers it here", verb.value)
            return text_answer("This button does nothing here any more.")
        if not self.in_place(verb, turn.origin):
            # No card of ours carries the verb there: a forged click, whose answer could
            # replace a card of another place for everyone (an employee's over the channel's).
            kind = turn.origin.conversation_type
            log.warning("refused the verb %s from a conversation of type %r", verb.value, kind)
            if verb in DESK_VERBS and self.misplaced is not None:
                await self.misplaced(turn, payload)  # the core audits who tried, from where
            return text_answer(_only_there(verb))
        return await _answered(turn, await _refusals_said(handler(turn, payload), verb))

    def in_place(self, verb: Verb, origin: Origin) -> bool:
        """True when `origin` is where the cards carrying `verb` live: the help-desk channel
        for the desk's buttons, the help-desk or security channel for an alert's, the person's
        personal chat for every other."""
        if verb in DESK_VERBS:
            return self.at_desk(origin)
        if verb in ALERT_VERBS:
            return self.at_alerts(origin)
        return origin.personal

    async def answer_text(self, turn: Turn, text: str) -> None:
        """Run the handler of the message's first word, or the one for any other text."""
        words = text.strip().split()
        handler = self.words.get(words[0].lower()) if words else None
        handler = handler or self.other_text
        if handler is not None:
            await handler(turn, text.strip())


def _only_there(verb: Verb) -> str:
    """Why a button pressed where its card does not live did nothing."""
    if verb in DESK_VERBS:
        return DESK_ONLY
    return ALERTS_ONLY if verb in ALERT_VERBS else PERSONAL_ONLY


async def _answered(turn: Turn, answer: Answer) -> AdaptiveCardInvokeResponse:
    """The handler's answer as the invoke's response; the clicked message itself is updated
    too when the answer is for everyone (the verb was checked to be in its place)."""
    if answer.card is None:
        return text_answer(answer.text or "")
    if answer.for_everyone:
        try:
            await turn.update_clicked(answer.card)
        except (aiohttp.ClientError, TimeoutError) as exc:  # the clicker sees it anyway
            log.warning("could not update the clicked card for good: %s", exc)
    return card_answer(answer.card)


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
