"""The IT admin's side of a request card in the Teams help-desk channel: approve, deny and retry
(each first a view of the card for the clicker alone), and manual steps done.

The invoke answers with the card as recorded; the notifier updates the channel's message for
everyone. Only an IT admin in the help-desk channel is ever answered with the card: anyone else
reads why they were refused, and nothing of the request. The authenticator code is read from the
view's input and goes to the core only.
"""

from __future__ import annotations

import logging
from functools import partial

from bot.domain.errors import (
    HelpdeskError,
    NoReasonError,
    NotAnAdminError,
    NothingSelectedError,
    RequestNotFoundError,
    StorageUnavailableError,
    WrongPlaceError,
)
from bot.domain.helpdesk import Approve, Choice, Deny, Helpdesk, Retry
from bot.domain.identity import ResetAction
from bot.domain.platform import Platform
from bot.domain.requests import HelpRequest
from bot.domain.stepup import WrongCodeError
from teams.cards.helpdesk import (
    build_approve_view,
    build_deny_view,
    build_request_card,
    build_retry_view,
    refusal_text,
)
from teams.conversation import Origin
from teams.deps import TeamsDeps
from teams.ids import Verb
from teams.payloads import (
    ApproveData,
    DenyData,
    ManualDoneData,
    Payload,
    RequestData,
    RetryData,
)
from teams.routes import Router
from teams.turn import Answer, Card, Turn

log = logging.getLogger(__name__)

# What a view can be sent again with: a wrong code, nothing ticked, no reason. Any other refusal
# (decided meanwhile, their own request) shows the admin the card as it is, saying why...
_FIXABLE = (WrongCodeError, NothingSelectedError, NoReasonError)
# ...except a refusal of who clicked or from where (the core checks these first): that person
# may not see the card, so they read the refusal alone.
UNSEEN = (WrongPlaceError, NotAnAdminError, RequestNotFoundError)


def register(router: Router, deps: TeamsDeps, helpdesk: Helpdesk) -> None:
    """Attach the help-desk card's buttons and those of the views they open."""
    routes = DecisionRoutes(deps, helpdesk)
    router.at_desk = partial(_at_desk, helpdesk)
    router.misplaced = routes.audit_misplaced
    router.action(Verb.APPROVE, RequestData, routes.handle_approve)
    router.action(Verb.APPROVE_CONFIRM, ApproveData, routes.handle_approve_confirm)
    router.action(Verb.DENY, RequestData, routes.handle_deny)
    router.action(Verb.DENY_CONFIRM, DenyData, routes.handle_deny_confirm)
    router.action(Verb.RETRY, RequestData, routes.handle_retry)
    router.action(Verb.RETRY_CONFIRM, RetryData, routes.handle_retry_confirm)
    router.action(Verb.DESK_BACK, RequestData, routes.handle_back)
    router.action(Verb.MANUAL_DONE, ManualDoneData, routes.handle_manual_done)


def _at_desk(helpdesk: Helpdesk, origin: Origin) -> bool:
    """True in the Teams help-desk channel (as configured now: the tests change it live)."""
    channel = helpdesk.config.channel_of(Platform.TEAMS)
    return bool(channel) and origin.conversation_id == channel


class DecisionRoutes:
    """The card's handlers: decode, one call to the help desk, render, reply."""

    def __init__(self, deps: TeamsDeps, helpdesk: Helpdesk) -> None:
        self.deps = deps
        self.helpdesk = helpdesk

    async def audit_misplaced(self, turn: Turn, payload: Payload) -> None:
        """A help-desk button pressed outside the help-desk channel: the core's viewer check
        refuses it and audits who tried, on which request, from where."""
        if not isinstance(payload, RequestData):
            return
        try:
            await self.helpdesk.card_of(payload.request_id, turn.user_id, turn.origin.place)
        except HelpdeskError:
            return
        except StorageUnavailableError:
            log.warning("the database is not answering: a misplaced click was not audited")

    async def handle_approve(self, turn: Turn, asked: RequestData) -> Answer:
        """The approve view, once the precheck passes (before any code is asked)."""
        every = Approve(asked.request_id, tuple(ResetAction))  # what is ticked comes later
        try:
            request = await self.helpdesk.precheck(every, turn.user_id, turn.origin.place)
        except HelpdeskError as refused:
            return await self._refused(asked.request_id, refused)
        view = build_approve_view(
            request,
            self.deps.walks.guide,
            ask_code=self.helpdesk.stepup_required,
            names=await self._names(request),
        )
        return Answer.view(view)

    async def handle_approve_confirm(self, turn: Turn, sent: ApproveData) -> Answer:
        code = sent.code.get_secret_value() if sent.code else None
        choice = Approve(sent.request_id, sent.actions)
        decided = self.helpdesk.decide(choice, turn.user_id, turn.origin.place, code)
        try:
            return await self._card(await decided)
        except _FIXABLE as error:
            request = await self.helpdesk.get(sent.request_id)
            view = build_approve_view(
                request,
                self.deps.walks.guide,
                ask_code=self.helpdesk.stepup_required,
                ticked=sent.actions,
                problem=refusal_text(error),
                names=await self._names(request),
            )
            return Answer.view(view)
        except HelpdeskError as error:
            return await self._refused(sent.request_id, error)

    async def handle_deny(self, turn: Turn, asked: RequestData) -> Answer:
        try:
            request = await self.helpdesk.precheck(
                Deny(asked.request_id), turn.user_id, turn.origin.place
            )
        except HelpdeskError as refused:
            return await self._refused(asked.request_id, refused)
        names = await self._names(request)
        return Answer.view(build_deny_view(request, self.deps.walks.guide, names=names))

    async def handle_deny_confirm(self, turn: Turn, sent: DenyData) -> Answer:
        choice = Deny(sent.request_id, sent.reason.strip())
        try:
            return await self._card(
                await self.helpdesk.decide(choice, turn.user_id, turn.origin.place)
            )
        except _FIXABLE as error:
            request = await self.helpdesk.get(sent.request_id)
            view = build_deny_view(
                request,
                self.deps.walks.guide,
                reason=sent.reason,
                problem=refusal_text(error),
                names=await self._names(request),
            )
            return Answer.view(view)
        except HelpdeskError as error:
            return await self._refused(sent.request_id, error)

    async def handle_retry(self, turn: Turn, asked: RequestData) -> Answer:
        """The retry view when step-up is on; without it, the retry at once."""
        choice, place = Retry(asked.request_id), turn.origin.place
        if not self.helpdesk.stepup_required:
            return await self._decided(choice, turn, None)
        try:
            request = await self.helpdesk.precheck(choice, turn.user_id, place)
        except HelpdeskError as refused:
            return await self._refused(asked.request_id, refused)
        failed = await self.helpdesk.actions_of(request.id)
        return Answer.view(build_retry_view(request, self.deps.walks.guide, items=failed))

    async def handle_retry_confirm(self, turn: Turn, sent: RetryData) -> Answer:
        code = sent.code.get_secret_value() if sent.code else None
        try:
            return await self._decided(Retry(sent.request_id), turn, code)
        except _FIXABLE as error:
            request = await self.helpdesk.get(sent.request_id)
            problem = refusal_text(error)
            return Answer.view(build_retry_view(request, self.deps.walks.guide, problem=problem))

    async def handle_back(self, turn: Turn, asked: RequestData) -> Answer:
        """The card again, for an admin in the help-desk channel (the core says who may see it)."""
        place = turn.origin.place
        return await self._card(await self.helpdesk.card_of(asked.request_id, turn.user_id, place))

    async def handle_manual_done(self, turn: Turn, done: ManualDoneData) -> Answer:
        """The step's own request (the core finds it from the step; the request the click
        names steers nothing)."""
        place = turn.origin.place
        request = await self.helpdesk.mark_manual_done(done.item_id, turn.user_id, place)
        if request.id != done.request_id:  # not what our card carries: a forged click
            log.warning("a Done named request #%s for a step of #%s", done.request_id, request.id)
        return await self._card(request)

    async def _decided(self, choice: Choice, turn: Turn, code: str | None) -> Answer:
        """Decide; a refusal the view cannot fix shows the card as it is, saying why."""
        try:
            return await self._card(
                await self.helpdesk.decide(choice, turn.user_id, turn.origin.place, code)
            )
        except _FIXABLE:
            raise
        except HelpdeskError as error:
            return await self._refused(choice.request_id, error)

    async def _refused(self, request_id: int, error: HelpdeskError) -> Answer:
        """Why the click did nothing: on the card as it is for an admin in the help-desk
        channel, and alone for anyone the core refused as not one (or not there)."""
        if isinstance(error, UNSEEN):
            return Answer.say(refusal_text(error))
        return await self._card(await self.helpdesk.get(request_id), refusal_text(error))

    async def _card(self, request: HelpRequest, notice: str | None = None) -> Answer:
        """The channel card as recorded, for the clicker (`notice`: why their click did nothing)."""
        card: Card = build_request_card(
            request,
            await self.helpdesk.actions_of(request.id),
            self.deps.walks.guide,
            self.deps.provider,
            await self._names(request),
            notice,
        )
        return Answer.view(card)

    async def _names(self, request: HelpRequest) -> dict[str, str]:
        return await card_names(self.deps, request)


async def card_names(deps: TeamsDeps, request: HelpRequest) -> dict[str, str]:
    """The display names of the people a request card names."""
    ids = (request.requester_id, request.first_approver, request.decided_by)
    return await deps.addresses.names((*ids, request.callback_by))
