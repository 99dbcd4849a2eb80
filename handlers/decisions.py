"""The IT admin's side of a request card: approve, deny, retry, step-up code, manual steps."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, Literal

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot import correlation, wording
from bot.domain.errors import HelpdeskError
from bot.domain.helpdesk import Approve, Choice, Deny, Helpdesk, Place, Retry
from bot.domain.identity import ResetAction
from bot.domain.requests import ActionStatus, with_revocation
from handlers.blocks.helpdesk import (
    NO_REASON,
    build_deny_modal,
    build_notice_modal,
    build_stepup_modal,
)
from handlers.blocks.text import SLACK
from handlers.buttons import on_request_button
from handlers.deps import Deps
from handlers.ids import ActionId, FieldId, ViewId
from handlers.payloads import Click, DenyMeta, StepUpMeta, Submission
from handlers.refusals import answered, in_channel, refusal_text, submitted

Kind = Literal["approve", "retry"]


def register(app: AsyncApp, deps: Deps, helpdesk: Helpdesk) -> None:
    """Attach the listeners of the request card's buttons and of the modals they open."""
    listeners = DecisionListeners(deps, helpdesk)
    app.action(ActionId.SELECT_ACTIONS)(listeners.handle_selection)
    app.action(ActionId.APPROVE)(listeners.handle_approve)
    app.action(ActionId.RETRY)(listeners.handle_retry)
    app.view(ViewId.STEPUP)(listeners.handle_stepup_submitted)
    app.action(ActionId.DENY)(listeners.handle_deny)
    app.view(ViewId.DENY)(listeners.handle_deny_submitted)
    app.action(ActionId.MANUAL_DONE.pattern())(listeners.handle_manual_done)


class DecisionListeners:
    """The card's listeners, and the work each leaves for after its ack."""

    def __init__(self, deps: Deps, helpdesk: Helpdesk) -> None:
        self.deps = deps
        self.helpdesk = helpdesk

    async def handle_selection(self, ack: AsyncAck) -> None:
        await ack()  # the ticks are read from the card's state when Approve is pressed

    async def handle_approve(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await self._decide_or_ask_code(ack, body, context, "approve")

    async def handle_retry(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await self._decide_or_ask_code(ack, body, context, "retry")

    async def handle_stepup_submitted(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        sent = Submission.of(body, context)
        meta = sent.meta(StepUpMeta)
        correlation.about_request(meta.request_id)
        place, code = _place_of(sent, meta.channel_id), sent.text(FieldId.CODE)
        choice = _choice(meta.kind, meta.request_id, meta.actions)
        decided = self.helpdesk.decide(choice, sent.user_id, place, code)
        undone = "approved" if meta.kind == "approve" else "retried"
        what = f"a step-up {meta.kind}"
        if await submitted(ack, decided, field=FieldId.CODE, undone=undone, what=what):
            await ack()

    async def handle_deny(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        click = Click.of(body, context)
        await ack()
        if click.request_id is not None:
            correlation.about_request(click.request_id)
            self.deps.tasks.spawn(self._ask_deny_reason(click, click.request_id), "deny-request")

    async def handle_deny_submitted(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        sent = Submission.of(body, context)
        if not (reason := sent.text(FieldId.DENY_REASON).strip()):
            errors = {FieldId.DENY_REASON.value: NO_REASON}
            await ack(response_action="errors", errors=errors)
            return
        meta = sent.meta(DenyMeta)  # before the ack: metadata not ours gets a 400
        correlation.about_request(meta.request_id)
        await ack()
        self.deps.tasks.spawn(self._deny(sent, meta, reason), "deny-request")

    async def handle_manual_done(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await on_request_button(self.deps, ack, body, context, "manual-done", self._manual_done)

    async def _decide_or_ask_code(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, kind: Kind
    ) -> None:
        """Approve or retry at once, or first ask for the admin's code when step-up is on."""
        if not self.helpdesk.stepup_required:
            act = partial(self._decide_now, kind)
            await on_request_button(self.deps, ack, body, context, f"{kind}-request", act)
            return
        click = Click.of(body, context)
        await ack()
        if click.request_id is not None:
            correlation.about_request(click.request_id)
            asked = self._ask_code(click, click.request_id, kind)
            self.deps.tasks.spawn(asked, f"{kind}-stepup")

    async def _decide_now(self, kind: Kind, click: Click, request_id: int) -> None:
        choice = _choice(kind, request_id, click.ticked)
        await self.helpdesk.decide(choice, click.user_id, _place(click))

    async def _ask_code(self, click: Click, request_id: int, kind: Kind) -> None:
        """Check first, then open the step-up modal with who and what it confirms; a click that
        cannot succeed opens, instead, why (no code is asked for in vain)."""
        place = _place(click)
        ticked = [action.value for action in _actions(click.ticked)] if kind == "approve" else []
        choice = _choice(kind, request_id, ticked)
        try:
            request = await self.helpdesk.precheck(choice, click.user_id, place)
            runs = await self._what_runs(choice, request_id)
        except HelpdeskError as refusal:
            await self._open_refusal(click, wording.STEPUP_TITLE, refusal)
            return
        meta = StepUpMeta(
            kind=kind, request_id=request_id, actions=ticked, channel_id=place.channel_id
        )
        what = wording.stepup_what(SLACK, request, runs, retry=kind != "approve")
        await self.deps.replier.open_modal(click.trigger_id, build_stepup_modal(meta, what))

    async def _what_runs(self, choice: Choice, request_id: int) -> tuple[ResetAction, ...]:
        """What the code confirms: the ticked actions (revocation added), or the failed ones."""
        if isinstance(choice, Approve):
            return with_revocation(choice.actions)
        failed = await self.helpdesk.actions_of(request_id)
        return tuple(item.action for item in failed if item.status is ActionStatus.FAILED)

    async def _ask_deny_reason(self, click: Click, request_id: int) -> None:
        """Check first, then open the deny modal; a click that cannot succeed opens why."""
        place = _place(click)
        try:
            await self.helpdesk.precheck(Deny(request_id), click.user_id, place)
        except HelpdeskError as refusal:
            await self._open_refusal(click, wording.DENY, refusal)
            return
        modal = build_deny_modal(request_id, place.channel_id)
        await self.deps.replier.open_modal(click.trigger_id, modal)

    async def _open_refusal(self, click: Click, title: str, refusal: HelpdeskError) -> None:
        modal = build_notice_modal(title, refusal_text(refusal))
        await self.deps.replier.open_modal(click.trigger_id, modal)

    async def _deny(self, sent: Submission, meta: DenyMeta, reason: str) -> None:
        place = _place_of(sent, meta.channel_id)
        denied = self.helpdesk.decide(Deny(meta.request_id, reason), sent.user_id, place)
        # Several workspaces have no one channel: the refusal goes where the card was.
        channel = self.helpdesk.config.channel_id or meta.channel_id or ""
        await answered(denied, in_channel(self.deps.replier, channel, sent.user_id))

    async def _manual_done(self, click: Click, action_id: int) -> None:
        await self.helpdesk.mark_manual_done(action_id, click.user_id, _place(click))


def _place(click: Click) -> Place:
    return Place(team_id=click.team_id, channel_id=click.channel_id or "")


def _place_of(sent: Submission, channel_id: str | None) -> Place:
    """Where the modal's button was clicked; no channel is no place (it never skips the check)."""
    return Place(team_id=sent.team_id, channel_id=channel_id or "")


def _choice(kind: Kind, request_id: int, ticked: Sequence[str]) -> Choice:
    """The decision the admin's click asks for (what they ticked, for an approval)."""
    return Approve(request_id, _actions(ticked)) if kind == "approve" else Retry(request_id)


def _actions(ticked: Sequence[str]) -> tuple[ResetAction, ...]:
    return tuple(action for action in ResetAction if action.value in ticked)
