"""The employee's side of the help desk: the contact form, cancelling, and the manager's answer."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.helpdesk import HelpdeskService
from bot.domain.requests import ContactForm, HelpRequest, Remaining
from bot.tasks import Lane
from handlers.blocks.guide import Message
from handlers.blocks.helpdesk import (
    build_cancelled,
    build_contact_modal,
    build_open_request,
    build_request_sent,
)
from handlers.buttons import on_request_button
from handlers.deps import Deps
from handlers.ids import ActionId, FieldId, ViewId
from handlers.payloads import Click, ContactMeta, StepRef, Submission
from handlers.refusals import contact_submitted

_FORM_ERRORS = {
    "description": FieldId.DESCRIPTION,
    "correlation_id": FieldId.CORRELATION,
    "contact": FieldId.CONTACT,
    "details": FieldId.DETAILS,
}


def register(app: AsyncApp, deps: Deps, helpdesk: HelpdeskService) -> None:
    """Attach the employee's help-desk listeners (only when HELPDESK_CHANNEL is set)."""

    @app.action(ActionId.CONTACT_IT)
    async def handle_contact_it(ack: AsyncAck, body: dict[str, Any]) -> None:
        click = Click.of(body)
        await ack()
        deps.tasks.spawn(_open_contact_form(deps, helpdesk, click), "contact-it")

    @app.view(ViewId.CONTACT_IT)
    async def handle_contact_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        sent = Submission.of(body)
        meta, form = sent.meta(ContactMeta), _contact_form(sent)
        if problems := form.problems():
            errors: dict[str, str] = {_FORM_ERRORS[name]: text for name, text in problems.items()}
            await ack(response_action="errors", errors=errors)
            return
        # Stored before the ack (one insert, no Slack call), so a crash after it loses nothing;
        # the modal's id makes a form sent twice one request.
        work = helpdesk.submit(
            sent.team_id, sent.user_id, meta.topic_id, meta.walk_id, form, sent.view_id
        )
        contact_it = deps.guide.guide.texts.contact_it
        submitted = await contact_submitted(
            ack, work, field=FieldId.DESCRIPTION, contact_it=contact_it
        )
        if submitted is not None:
            await ack(response_action="update", view=build_request_sent(submitted.request))
            if submitted.new:  # a form sent again has its card already
                _follow_up(deps, helpdesk, submitted.request)

    @app.action(ActionId.MANAGER_YES)
    async def handle_manager_yes(ack: AsyncAck, body: dict[str, Any]) -> None:
        said_yes = partial(_manager_answer, deps, helpdesk, True)
        await on_request_button(deps, ack, body, "manager-answer", said_yes)

    @app.action(ActionId.MANAGER_NO)
    async def handle_manager_no(ack: AsyncAck, body: dict[str, Any]) -> None:
        said_no = partial(_manager_answer, deps, helpdesk, False)
        await on_request_button(deps, ack, body, "manager-answer", said_no)

    @app.action(ActionId.NOT_ME)
    async def handle_not_me(ack: AsyncAck, body: dict[str, Any]) -> None:
        report = partial(_report_not_me, deps, helpdesk)
        await on_request_button(deps, ack, body, "report-not-me", report)

    @app.action(ActionId.CANCEL_REQUEST)
    async def handle_cancel(ack: AsyncAck, body: dict[str, Any]) -> None:
        await on_request_button(deps, ack, body, "cancel-request", partial(_cancel, deps, helpdesk))


async def _open_contact_form(deps: Deps, helpdesk: HelpdeskService, click: Click) -> None:
    """The form, or the request already in progress in place of the clicked step."""
    active = await helpdesk.active_request_of(click.user_id)
    if active is not None:
        await deps.replier.replace(click, build_open_request(active))
        return
    ref = StepRef.decode(click.value)
    topic_id = ref.topic_id if ref else "no-answer"
    modal = build_contact_modal(deps.guide.guide, topic_id, ref.walk_id if ref else None)
    await deps.replier.open_modal(click.trigger_id, modal)


def _follow_up(deps: Deps, helpdesk: HelpdeskService, request: HelpRequest) -> None:
    """After the ack: post the new request's card, and mark the walk it came from escalated."""
    deps.tasks.spawn(helpdesk.announce_new(request), "announce-request", Lane.BULK)
    if request.walk_id:
        escalated = deps.guide.escalate(request.walk_id, request.requester_id)
        deps.tasks.spawn(escalated, "walk-escalated", Lane.BULK)


async def _manager_answer(
    deps: Deps, helpdesk: HelpdeskService, yes: bool, click: Click, request_id: int
) -> None:
    await helpdesk.manager_answer(request_id, click.user_id, yes)
    said = "Thank you: IT can go ahead." if yes else "Thank you: IT security has been alerted."
    await deps.replier.replace(click, Message.plain(said))


async def _report_not_me(
    deps: Deps, helpdesk: HelpdeskService, click: Click, request_id: int
) -> None:
    said = await helpdesk.report_not_me(request_id, click.user_id)
    # A new message, so the one saying what changed stays readable.
    await deps.replier.post_dm(click.user_id, Message.plain(f":rotating_light: {said}"))


async def _cancel(deps: Deps, helpdesk: HelpdeskService, click: Click, request_id: int) -> None:
    request = await helpdesk.cancel(request_id, click.user_id)
    await deps.replier.replace(click, build_cancelled(request))


def _contact_form(sent: Submission) -> ContactForm:
    remaining = sent.text(FieldId.REMAINING) or Remaining.NONE.value
    return ContactForm(
        description=sent.text(FieldId.DESCRIPTION).strip(),
        lost_or_stolen=sent.text(FieldId.LOST) == "yes",
        remaining=Remaining(remaining) if remaining in set(Remaining) else Remaining.NONE,
        correlation_id=sent.text(FieldId.CORRELATION).strip() or None,
        contact=sent.text(FieldId.CONTACT).strip(),
        details=sent.text(FieldId.DETAILS).strip(),
    )
