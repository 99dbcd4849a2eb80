"""The IT admin's side of a request card in the Teams help-desk channel: approve, deny and retry
(each first a view of the card for the clicker alone), and manual steps done.

The invoke answers with the card as recorded; the notifier updates the channel's message for
everyone. The authenticator code is read from the view's input and goes to the core only.
"""

from __future__ import annotations

from collections.abc import Awaitable

from bot.domain.errors import HelpdeskError, NoReasonError, NothingSelectedError
from bot.domain.helpdesk import Approve, Choice, Deny, Helpdesk, Retry
from bot.domain.identity import ResetAction
from bot.domain.requests import HelpRequest
from bot.domain.stepup import WrongCodeError
from teams.cards.helpdesk import (
    build_approve_view,
    build_deny_view,
    build_request_card,
    build_retry_view,
    refusal_text,
)
from teams.deps import TeamsDeps
from teams.ids import Verb
from teams.payloads import ApproveData, DenyData, ManualDoneData, RequestData, RetryData
from teams.routes import Router
from teams.turn import Answer, Card, Turn

# What a view can be sent again with: a wrong code, nothing ticked, no reason. Any other refusal
# (decided meanwhile, not an admin, the wrong place) shows the card as it is, saying why.
_FIXABLE = (WrongCodeError, NothingSelectedError, NoReasonError)


def register(router: Router, deps: TeamsDeps, helpdesk: Helpdesk) -> None:
    """Attach the help-desk card's buttons and those of the views they open."""
    routes = DecisionRoutes(deps, helpdesk)
    router.action(Verb.APPROVE, RequestData, routes.handle_approve)
    router.action(Verb.APPROVE_CONFIRM, ApproveData, routes.handle_approve_confirm)
    router.action(Verb.DENY, RequestData, routes.handle_deny)
    router.action(Verb.DENY_CONFIRM, DenyData, routes.handle_deny_confirm)
    router.action(Verb.RETRY, RequestData, routes.handle_retry)
    router.action(Verb.RETRY_CONFIRM, RetryData, routes.handle_retry_confirm)
    router.action(Verb.DESK_BACK, RequestData, routes.handle_back)
    router.action(Verb.MANUAL_DONE, ManualDoneData, routes.handle_manual_done)


class DecisionRoutes:
    """The card's handlers: decode, one call to the help desk, render, reply."""

    def __init__(self, deps: TeamsDeps, helpdesk: Helpdesk) -> None:
        self.deps = deps
        self.helpdesk = helpdesk

    async def handle_approve(self, turn: Turn, asked: RequestData) -> Answer:
        """The approve view, once the precheck passes (before any code is asked)."""
        every = Approve(asked.request_id, tuple(ResetAction))  # what is ticked comes later
        refused = await self._refusal(
            self.helpdesk.precheck(every, turn.user_id, turn.origin.place)
        )
        request = await self.helpdesk.get(asked.request_id)
        if refused is not None:
            return await self._card(request, refused)
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
            return await self._card(await self.helpdesk.get(sent.request_id), refusal_text(error))

    async def handle_deny(self, turn: Turn, asked: RequestData) -> Answer:
        checked = self.helpdesk.precheck(Deny(asked.request_id), turn.user_id, turn.origin.place)
        refused = await self._refusal(checked)
        request = await self.helpdesk.get(asked.request_id)
        if refused is not None:
            return await self._card(request, refused)
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
            return await self._card(await self.helpdesk.get(sent.request_id), refusal_text(error))

    async def handle_retry(self, turn: Turn, asked: RequestData) -> Answer:
        """The retry view when step-up is on; without it, the retry at once."""
        choice, place = Retry(asked.request_id), turn.origin.place
        if not self.helpdesk.stepup_required:
            return await self._decided(choice, turn, None)
        refused = await self._refusal(self.helpdesk.precheck(choice, turn.user_id, place))
        request = await self.helpdesk.get(asked.request_id)
        if refused is not None:
            return await self._card(request, refused)
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
        return await self._card(await self.helpdesk.get(asked.request_id))

    async def handle_manual_done(self, turn: Turn, done: ManualDoneData) -> Answer:
        await self.helpdesk.mark_manual_done(done.item_id, turn.user_id, turn.origin.place)
        return await self._card(await self.helpdesk.get(done.request_id))

    async def _decided(self, choice: Choice, turn: Turn, code: str | None) -> Answer:
        """Decide; a refusal the view cannot fix shows the card as it is, saying why."""
        try:
            return await self._card(
                await self.helpdesk.decide(choice, turn.user_id, turn.origin.place, code)
            )
        except _FIXABLE:
            raise
        except HelpdeskError as error:
            return await self._card(await self.helpdesk.get(choice.request_id), refusal_text(error))

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
        ids = (request.requester_id, request.first_approver, request.decided_by)
        return await self.deps.addresses.names((*ids, request.callback_by))

    @staticmethod
    async def _refusal(check: Awaitable[object]) -> str | None:
        """Why the precheck refuses (audited by the core), or None when it passes."""
        try:
            await check
        except HelpdeskError as error:
            return refusal_text(error)
        return None
