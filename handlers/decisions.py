"""The IT admin's side of a request card: approve, deny, retry, step-up code, manual steps."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, Literal

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.errors import NothingSelectedError
from bot.domain.helpdesk import HelpdeskService, Place
from bot.domain.identity import Action
from handlers.blocks.helpdesk import build_deny_modal, build_stepup_modal
from handlers.buttons import on_request_button
from handlers.deps import Deps
from handlers.ids import ActionId, FieldId, ViewId
from handlers.payloads import Click, DenyMeta, StepUpMeta, Submission
from handlers.refusals import answered, in_channel, in_modal, submitted

Kind = Literal["approve", "retry"]


def register(app: AsyncApp, deps: Deps, helpdesk: HelpdeskService) -> None:
    """Attach the listeners of the request card's buttons and of the modals they open."""

    @app.action(ActionId.SELECT_ACTIONS)
    async def handle_selection(ack: AsyncAck) -> None:
        await ack()  # read from the card's state when Approve is pressed

    @app.action(ActionId.APPROVE)
    async def handle_approve(ack: AsyncAck, body: dict[str, Any]) -> None:
        await _decide_or_ask_code(deps, helpdesk, ack, body, "approve")

    @app.action(ActionId.RETRY)
    async def handle_retry(ack: AsyncAck, body: dict[str, Any]) -> None:
        await _decide_or_ask_code(deps, helpdesk, ack, body, "retry")

    @app.view(ViewId.STEPUP)
    async def handle_stepup_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        sent = Submission.of(body)
        meta = sent.meta(StepUpMeta)
        place, code = Place(sent.team_id, meta.channel_id), sent.text(FieldId.CODE)
        decided = _decide(
            helpdesk, meta.kind, meta.request_id, sent.user_id, place, meta.actions, code
        )
        undone = "approved" if meta.kind == "approve" else "retried"
        what = f"a step-up {meta.kind}"
        if await submitted(ack, decided, field=FieldId.CODE, undone=undone, what=what):
            await ack()
            after = _follow_up(helpdesk, meta.kind, meta.request_id, sent.user_id)
            deps.tasks.spawn(after, f"{meta.kind}-request")

    @app.action(ActionId.DENY)
    async def handle_deny(ack: AsyncAck, body: dict[str, Any]) -> None:
        click = Click.of(body)
        await ack()
        if click.request_id is not None:
            deps.tasks.spawn(
                _ask_deny_reason(deps, helpdesk, click, click.request_id), "deny-request"
            )

    @app.view(ViewId.DENY)
    async def handle_deny_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        sent = Submission.of(body)
        if not (reason := sent.text(FieldId.DENY_REASON).strip()):
            errors: dict[str, str] = {
                FieldId.DENY_REASON: "Give a reason: the employee will read it."
            }
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        meta = sent.meta(DenyMeta)
        deps.tasks.spawn(_deny(deps, helpdesk, sent, meta, reason), "deny-request")

    @app.action(ActionId.MANUAL_DONE.pattern())
    async def handle_manual_done(ack: AsyncAck, body: dict[str, Any]) -> None:
        await on_request_button(deps, ack, body, "manual-done", partial(_manual_done, helpdesk))


async def _decide_or_ask_code(
    deps: Deps, helpdesk: HelpdeskService, ack: AsyncAck, body: dict[str, Any], kind: Kind
) -> None:
    """Approve or retry at once, or first ask for the admin's code when step-up is on."""
    if helpdesk.stepup_required:
        click = Click.of(body)
        await ack()
        if click.request_id is not None:
            deps.tasks.spawn(
                _ask_code(deps, helpdesk, click, click.request_id, kind), f"{kind}-stepup"
            )
        return
    act = partial(_decide_now, helpdesk, kind)
    await on_request_button(deps, ack, body, f"{kind}-request", act)


async def _decide_now(helpdesk: HelpdeskService, kind: Kind, click: Click, request_id: int) -> None:
    place = _place(click)
    await _decide(helpdesk, kind, request_id, click.user_id, place, click.ticked)
    await _follow_up(helpdesk, kind, request_id, click.user_id)


async def _decide(
    helpdesk: HelpdeskService,
    kind: Kind,
    request_id: int,
    actor: str,
    place: Place,
    ticked: Sequence[str],
    code: str | None = None,
) -> None:
    """The decision itself, recorded by the core (which checks who, where, what and the code)."""
    if kind == "approve":
        await helpdesk.approve(request_id, actor, place, _actions(ticked), code=code)
    else:
        await helpdesk.retry_failed(request_id, actor, place, code=code)


async def _follow_up(helpdesk: HelpdeskService, kind: Kind, request_id: int, actor: str) -> None:
    """What follows a recorded decision: the card updated, the actions run."""
    if kind == "approve":
        await helpdesk.carry_out(request_id, actor)
    else:
        await helpdesk.carry_out_retry(request_id, actor)


async def _precheck(
    helpdesk: HelpdeskService, kind: Kind, request_id: int, actor: str, place: Place, ticked: bool
) -> None:
    """Whether the modal just opened may stay open: the checks its submission will make again."""
    if kind == "approve":
        await helpdesk.authorize(request_id, actor, place)
        if not ticked:
            raise NothingSelectedError("nothing ticked")
    else:
        await helpdesk.authorize_retry(request_id, actor, place)
    await helpdesk.check_stepup(actor)


async def _ask_code(
    deps: Deps, helpdesk: HelpdeskService, click: Click, request_id: int, kind: Kind
) -> None:
    """Open the step-up modal at once (the trigger expires), then check; a refusal replaces it."""
    place = _place(click)
    ticked = [action.value for action in _actions(click.ticked)] if kind == "approve" else []
    meta = StepUpMeta(kind=kind, request_id=request_id, actions=ticked, channel_id=place.channel_id)
    what = (
        f"Approve request #{request_id}."
        if kind == "approve"
        else f"Retry the failed actions of request #{request_id}."
    )
    view_id = await deps.replier.open_modal(click.trigger_id, build_stepup_modal(meta, what))
    if view_id is not None:
        checked = _precheck(helpdesk, kind, request_id, click.user_id, place, bool(ticked))
        await answered(checked, in_modal(deps.replier, view_id, "Confirm it's you"))


async def _ask_deny_reason(
    deps: Deps, helpdesk: HelpdeskService, click: Click, request_id: int
) -> None:
    """Open the deny modal at once (the trigger expires), then check; a refusal replaces it."""
    place = _place(click)
    modal = build_deny_modal(request_id, place.channel_id)
    view_id = await deps.replier.open_modal(click.trigger_id, modal)
    if view_id is not None:
        checked = helpdesk.authorize(request_id, click.user_id, place)
        await answered(checked, in_modal(deps.replier, view_id, "Deny"))


async def _deny(
    deps: Deps, helpdesk: HelpdeskService, sent: Submission, meta: DenyMeta, reason: str
) -> None:
    place = Place(sent.team_id, meta.channel_id)
    denied = helpdesk.deny(meta.request_id, sent.user_id, place, reason)
    channel = helpdesk.config.channel_id
    await answered(denied, in_channel(deps.replier, channel, sent.user_id))


async def _manual_done(helpdesk: HelpdeskService, click: Click, action_id: int) -> None:
    await helpdesk.mark_manual_done(action_id, click.user_id, _place(click))


def _place(click: Click) -> Place:
    return Place(team_id=click.team_id, channel_id=click.channel_id or "")


def _actions(ticked: Sequence[str]) -> tuple[Action, ...]:
    return tuple(action for action in Action if action.value in ticked)
