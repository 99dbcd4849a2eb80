"""The IT admin's own words to the bot in Teams: "pending" (the requests in progress) and
"enroll" (an authenticator for approvals, set up in their personal chat only)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from bot import wording
from bot.domain.errors import HelpdeskError, NotAnAdminError, StorageUnavailableError
from bot.domain.helpdesk import Helpdesk
from bot.domain.platform import Platform
from bot.domain.requests import HelpRequest
from bot.domain.stepup import StepUpOffError, WrongCodeError
from teams.cards.helpdesk import build_enrolled, build_enrollment, build_notice, build_pending
from teams.cards.helpdesk import refusal_text as card_refusal
from teams.cards.text import escape
from teams.deps import TeamsDeps
from teams.ids import Verb
from teams.payloads import EnrollData
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
    router.action(Verb.ENROLL_CONFIRM, EnrollData, routes.handle_enroll_confirm)


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
        if not turn.origin.personal:
            return Answer.say(PERSONAL_ONLY)
        code = sent.code.get_secret_value() if sent.code else ""
        current = sent.current_code.get_secret_value() if sent.current_code else None
        try:
            await self.helpdesk.confirm_enrollment(turn.user_id, code, current)
        except WrongCodeError as error:
            return Answer.say(card_refusal(error))
        except StorageUnavailableError:
            return Answer.say(STORAGE_DOWN)
        return Answer.replace(build_enrolled())


def _refused(error: HelpdeskError) -> str:
    return escape(NOT_ADMIN) if isinstance(error, NotAnAdminError) else card_refusal(error)


def _link(request: HelpRequest, tenant_id: str) -> str | None:
    """A link that opens the request's card in Teams (a Teams request with a card only)."""
    if request.platform is not Platform.TEAMS or not request.channel_id or not request.message_ts:
        return None
    query = urlencode({"tenantId": tenant_id, "parentMessageId": request.message_ts})
    return f"{DEEP_LINK}{quote(request.channel_id, safe='')}/{request.message_ts}?{query}"
