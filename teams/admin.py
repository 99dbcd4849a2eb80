"""The IT admin's own words to the bot in Teams: "pending" (the requests in progress), "stats"
(the help desk's figures) and "enroll" (an authenticator for approvals, set up in their personal
chat only)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from bot import wording
from bot.domain.errors import (
    CallbackTakenError,
    HelpdeskError,
    NotAnAdminError,
    NoTextError,
    StorageUnavailableError,
)
from bot.domain.helpdesk import Helpdesk
from bot.domain.insights import PeriodError
from bot.domain.platform import Platform
from bot.domain.requests import HelpRequest
from bot.domain.stepup import StepUpOffError, WrongCodeError
from bot.report import Names
from teams.cards.helpdesk import (
    build_answer_sent,
    build_ask_view,
    build_enrolled,
    build_enrollment,
    build_notice,
    build_pending,
    build_request_card,
)
from teams.cards.helpdesk import refusal_text as card_refusal
from teams.cards.insights import build_stats
from teams.cards.text import escape
from teams.decisions import UNSEEN, card_names
from teams.deps import TeamsDeps
from teams.ids import Verb
from teams.payloads import AnswerData, EnrollData, QuestionData, RequestData
from teams.routes import STORAGE_DOWN, Router
from teams.turn import Answer, Turn

NOT_ADMIN = "That is for IT admins. This attempt has been recorded."
PERSONAL_ONLY = "Write that to me in our personal chat: only you should see its answer."
DEEP_LINK = "https://teams.microsoft.com/l/message/"


def register(router: Router, deps: TeamsDeps, helpdesk: Helpdesk) -> None:
    """Attach "pending", "enroll" and the enrollment card's Confirm."""
    routes = AdminRoutes(deps, helpdesk)
    router.word(("pending", "list"), routes.handle_pending)
    router.word(("enroll", "enrol"), routes.handle_enroll)
    router.word(("stats", "figures"), routes.handle_stats)
    router.action(Verb.ENROLL_CONFIRM, EnrollData, routes.handle_enroll_confirm)
    router.action(Verb.ON_IT, RequestData, routes.handle_on_it)
    router.action(Verb.ASK, RequestData, routes.handle_ask)
    router.action(Verb.ASK_CONFIRM, QuestionData, routes.handle_ask_confirm)
    router.action(Verb.ANSWER, AnswerData, routes.handle_answer)


class AdminRoutes:
    """The admin's handlers: decode, one call to the help desk, render, reply."""

    def __init__(self, deps: TeamsDeps, helpdesk: Helpdesk) -> None:
        self.deps = deps
        self.helpdesk = helpdesk

    async def handle_pending(self, turn: Turn, text: str) -> None:
        """The requests in progress, each with a link to its card in Teams when it has one."""
        if not turn.origin.personal:
            await turn.send_text(escape(PERSONAL_ONLY))
            return
        try:
            await self.helpdesk.require_admin(turn.user_id)
            requests = await self.helpdesk.pending(Platform.TEAMS)
        except HelpdeskError as error:
            await turn.send_card(build_notice(_refused(error)))
            return
        listed = [(request, _link(request, turn.origin.tenant_id)) for request in requests]
        names = await self.deps.addresses.names(request.requester_id for request in requests)
        await turn.send_card(build_pending(listed, self.deps.walks.guide, names))

    async def handle_stats(self, turn: Turn, text: str) -> None:
        """ "stats [period]": the help desk's figures of this tenant, in personal chat only."""
        insights = self.deps.insights
        if insights is None:
            return
        if not turn.origin.personal:
            await turn.send_text(escape(PERSONAL_ONLY))
            return
        try:
            await self.helpdesk.require_admin(turn.user_id)
            period = insights.asked(" ".join(text.split()[1:]))
            this, before = await insights.compared(period, turn.origin.tenant_id)
        except PeriodError as error:
            await turn.send_card(build_notice(escape(str(error).replace("`", ""))))
            return
        except HelpdeskError as error:
            await turn.send_card(build_notice(_refused(error)))
            return
        admins = await self.deps.addresses.names(this.approvals_by_admin)
        await turn.send_card(build_stats(this, before, Names(self.deps.walks.guide), admins))

    async def handle_enroll(self, turn: Turn, text: str) -> None:
        """The QR code, the key and the code inputs, in the admin's personal chat only."""
        if not turn.origin.personal:
            await turn.send_text(escape(PERSONAL_ONLY))
            return
        try:
            replacing = await self.helpdesk.is_enrolled(turn.user_id)
            uri, secret = await self.helpdesk.begin_enrollment(turn.user_id)
        except StepUpOffError:
            await turn.send_card(build_notice(escape(wording.STEPUP_OFF)))
            return
        except HelpdeskError as error:
            await turn.send_card(build_notice(_refused(error)))
            return
        await turn.send_card(build_enrollment(uri, secret, replacing=replacing))

    async def handle_enroll_confirm(self, turn: Turn, sent: EnrollData) -> Answer:
        """Set up: the card loses its QR code and key for good; a wrong code is said and the
        card stays, to be tried again."""
        code = sent.code.get_secret_value() if sent.code else ""
        current = sent.current_code.get_secret_value() if sent.current_code else None
        try:
            await self.helpdesk.confirm_enrollment(turn.user_id, code, current)
        except WrongCodeError as error:
            return Answer.say(card_refusal(error))
        except StorageUnavailableError:
            return Answer.say(STORAGE_DOWN)
        return Answer.replace(build_enrolled())

    async def handle_on_it(self, turn: Turn, asked: RequestData) -> Answer:
        """ "I'm on it": the card as recorded, saying who has it when another admin does."""
        try:
            request = await self.helpdesk.take_callback(
                asked.request_id, turn.user_id, turn.origin.place
            )
        except HelpdeskError as error:
            return await self._refused(asked.request_id, error)
        return await self._card(request)

    async def handle_ask(self, turn: Turn, asked: RequestData) -> Answer:
        """The question view, once the check passes; else the card saying why."""
        try:
            request = await self.helpdesk.check_ask(
                asked.request_id, turn.user_id, turn.origin.place
            )
        except HelpdeskError as error:
            return await self._refused(asked.request_id, error)
        names = await card_names(self.deps, request)
        return Answer.view(build_ask_view(request, self.deps.walks.guide, names=names))

    async def handle_ask_confirm(self, turn: Turn, sent: QuestionData) -> Answer:
        """Send the question to the employee; the card again, or the view saying why not."""
        place = turn.origin.place
        try:
            request = await self.helpdesk.ask_requester(
                sent.request_id, turn.user_id, place, sent.question
            )
        except NoTextError as error:
            request = await self.helpdesk.get(sent.request_id)
            problem = card_refusal(error)
            view = build_ask_view(request, self.deps.walks.guide, problem=problem)
            return Answer.view(view)
        except HelpdeskError as error:
            return await self._refused(sent.request_id, error)
        return await self._card(request)

    async def handle_answer(self, turn: Turn, sent: AnswerData) -> Answer:
        """The employee's answer: to the card's thread; their card says it is sent."""
        await self.helpdesk.answer_question(sent.request_id, turn.user_id, sent.answer)
        return Answer.replace(build_answer_sent())

    async def _refused(self, request_id: int, error: HelpdeskError) -> Answer:
        """Why the click did nothing: on the card for an admin in the help-desk channel, alone
        for anyone the core refused as not one (or not there)."""
        if isinstance(error, UNSEEN):
            return Answer.say(card_refusal(error))
        return await self._card(await self.helpdesk.get(request_id), error)

    async def _card(self, request: HelpRequest, error: HelpdeskError | None = None) -> Answer:
        """The channel card as recorded, for the clicker (`error`: why their click did nothing)."""
        names = await card_names(self.deps, request)
        if isinstance(error, CallbackTakenError):
            names |= await self.deps.addresses.names([error.by])
        notice = card_refusal(error, names) if error is not None else None
        actions = await self.helpdesk.actions_of(request.id)
        guide, provider = self.deps.walks.guide, self.deps.provider
        return Answer.view(build_request_card(request, actions, guide, provider, names, notice))


def _refused(error: HelpdeskError) -> str:
    return escape(NOT_ADMIN) if isinstance(error, NotAnAdminError) else card_refusal(error)


def _link(request: HelpRequest, tenant_id: str) -> str | None:
    """A link that opens the request's card in Teams (a Teams request with a card only)."""
    if request.platform is not Platform.TEAMS or not request.channel_id or not request.message_ts:
        return None
    query = urlencode({"tenantId": tenant_id, "parentMessageId": request.message_ts})
    return f"{DEEP_LINK}{quote(request.channel_id, safe='')}/{request.message_ts}?{query}"
