"""The employee's side of the help desk: the contact form, cancelling, the manager's answer,
"this wasn't me", Report it, and an admin's claim of the security alert these raise."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.models.views import View

from bot import wording
from bot.domain.errors import IncompleteFormError
from bot.domain.helpdesk import Helpdesk, Submitted
from bot.domain.requests import Change, ContactForm, Remaining
from handlers.blocks.guide import Message
from handlers.blocks.helpdesk import (
    build_cancelled,
    build_contact_modal,
    build_employee_notice,
    build_notice_modal,
    build_open_request,
    build_request_sent,
)
from handlers.blocks.markup import to_mrkdwn
from handlers.blocks.notices import (
    build_claim_refusal,
    build_claimed_alert,
    build_not_me_reply,
    build_prompt_reply,
    build_request_sent_note,
)
from handlers.buttons import on_request_button
from handlers.deps import Deps
from handlers.ids import ActionId, FieldId, ViewId
from handlers.payloads import Click, ContactMeta, GuideMessage, StepRef, Submission
from handlers.refusals import answered, contact_submitted, to_clicker

_CONTACT_TITLE = "Contact IT"
_NOT_SET_UP = (
    "IT's help desk is not set up in this workspace yet. Ask a workspace admin to run "
    "`/mfa-admin setup`, or contact IT another way."
)


def register(app: AsyncApp, deps: Deps, helpdesk: Helpdesk) -> None:
    """Attach the employee's help-desk listeners (only when HELPDESK_CHANNEL is set)."""
    listeners = ContactListeners(deps, helpdesk)
    app.action(ActionId.CONTACT_IT)(listeners.handle_contact_it)
    app.view(ViewId.CONTACT_IT)(listeners.handle_contact_submitted)
    app.action(ActionId.MANAGER_YES)(listeners.handle_manager_yes)
    app.action(ActionId.MANAGER_NO)(listeners.handle_manager_no)
    app.action(ActionId.NOT_ME)(listeners.handle_not_me)
    app.action(ActionId.REPORT_PROMPT)(listeners.handle_report_prompt)
    app.action(ActionId.CLAIM_ALERT)(listeners.handle_claim_alert)
    app.action(ActionId.CANCEL_REQUEST)(listeners.handle_cancel)


class ContactListeners:
    """The employee's help-desk listeners, and the work each leaves for after its ack."""

    def __init__(self, deps: Deps, helpdesk: Helpdesk) -> None:
        self.deps = deps
        self.helpdesk = helpdesk

    async def handle_contact_it(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        click = Click.of(body, context)
        await ack()
        self.deps.tasks.spawn(self._open_contact_form(click), "contact-it")

    async def handle_contact_submitted(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        sent = Submission.of(body, context)
        meta, form = sent.meta(ContactMeta), _contact_form(sent)
        stored = await self._submit(ack, sent, meta, form)
        if stored is not None:
            await ack(response_action="update", view=build_request_sent(stored.request))
            if meta.origin is not None:
                work = self._mark_sent(meta.origin, stored.request.id)
                self.deps.tasks.spawn(work, "request-sent")

    async def handle_manager_yes(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        said_yes = partial(self._manager_answer, True)
        await on_request_button(self.deps, ack, body, context, "manager-answer", said_yes)

    async def handle_manager_no(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        said_no = partial(self._manager_answer, False)
        await on_request_button(self.deps, ack, body, context, "manager-answer", said_no)

    async def handle_not_me(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await on_request_button(self.deps, ack, body, context, "report-not-me", self._report_not_me)

    async def handle_cancel(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await on_request_button(self.deps, ack, body, context, "cancel-request", self._cancel)

    async def handle_report_prompt(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        click = Click.of(body, context)
        await ack()
        ref = StepRef.decode(click.value)
        if ref is not None:
            work = answered(self._report_prompt(click, ref), to_clicker(self.deps.replier, click))
            self.deps.tasks.spawn(work, "report-prompt")

    async def handle_claim_alert(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await on_request_button(self.deps, ack, body, context, "claim-alert", self._claim_alert)

    async def _submit(
        self, ack: AsyncAck, sent: Submission, meta: ContactMeta, form: ContactForm
    ) -> Submitted | None:
        """The request stored, or None when the ack said why not.

        Stored before the ack (one insert, no Slack call), so a crash after it loses nothing;
        the modal's id makes a form sent twice one request. The core schedules what follows
        (the card, the walk marked escalated).
        """
        work = self.helpdesk.submit(
            sent.team_id, sent.user_id, meta.topic_id, meta.walk_id, form, sent.view.id
        )
        contact_it = to_mrkdwn(self.deps.walks.guide.texts.contact_it)
        again = partial(self._asked_again, sent, meta, form)
        return await contact_submitted(
            ack, work, field=FieldId.DESCRIPTION, contact_it=contact_it, again=again
        )

    def _asked_again(
        self,
        sent: Submission,
        meta: ContactMeta,
        form: ContactForm,
        error: IncompleteFormError,
        errors: dict[str, str],
    ) -> View | None:
        """The form again, with the questions the walk no longer answers (it changed since the
        form opened): Slack takes no inline error for a field the modal does not have. None when
        every field with a problem is there."""
        if all(sent.has(field) for field in errors):
            return None
        guide = self.deps.walks.guide
        return build_contact_modal(
            guide,
            meta.topic_id,
            meta.walk_id,
            form,
            problem=str(error),
            answered=error.answered,
            origin=meta.origin,
        )

    async def _open_contact_form(self, click: Click) -> None:
        """The form, or the request already in progress in place of the clicked step."""
        ref = StepRef.decode(click.value)
        topic_id, walk_id = (ref.topic_id, ref.walk_id) if ref else ("no-answer", None)
        start = await self.helpdesk.start_form(click.user_id, topic_id, walk_id)
        if start.active is not None:
            await self.deps.replier.replace(click, build_open_request(start.active))
            return
        workspaces = self.deps.workspaces
        if workspaces is not None and not await workspaces.desk_of(click.team_id):
            # A form nobody would read: say who can set the help desk up instead.
            notice = build_notice_modal(_CONTACT_TITLE, _NOT_SET_UP)
            await self.deps.replier.open_modal(click.trigger_id, notice)
            return
        modal = build_contact_modal(
            self.deps.walks.guide,
            topic_id,
            walk_id,
            description=start.description,
            answered=start.answered,
            origin=GuideMessage.of(click),
        )
        await self.deps.replier.open_modal(click.trigger_id, modal)

    async def _mark_sent(self, origin: GuideMessage, request_id: int) -> None:
        """The guide message that led to the request says it was sent, its Contact IT gone."""
        note = build_request_sent_note(request_id)
        if origin.channel_id and origin.message_ts:
            await self.deps.replier.update(origin.channel_id, origin.message_ts, note)
        elif origin.response_url:
            await self.deps.replier.respond(origin.response_url, note, replace_original=True)

    async def _manager_answer(self, yes: bool, click: Click, request_id: int) -> None:
        await self.helpdesk.answer_manager(request_id, click.user_id, yes)
        said = wording.MANAGER_THANKS_YES if yes else wording.MANAGER_THANKS_NO
        await self.deps.replier.replace(click, Message.plain(said))

    async def _report_not_me(self, click: Click, request_id: int) -> None:
        answer = await self.helpdesk.report_not_me(request_id, click.user_id)
        # The message saying what changed stays readable, without the button now used.
        request = await self.helpdesk.get(request_id)
        actions = await self.helpdesk.actions_of(request_id)
        done = build_employee_notice(request, Change.DONE, actions, self.deps.it_contact)
        if done is not None:
            await self.deps.replier.replace(click, done)
        await self.deps.replier.post_dm(click.user_id, Message.plain(build_not_me_reply(answer)))

    async def _report_prompt(self, click: Click, ref: StepRef) -> None:
        answer = await self.helpdesk.report_prompt(click.team_id, click.user_id, ref.walk_id)
        await self.deps.replier.replace(click, build_prompt_reply(answer))

    async def _claim_alert(self, click: Click, request_id: int) -> None:
        claim = await self.helpdesk.claim_alert(request_id, click.user_id)
        await self.deps.replier.replace(click, build_claimed_alert(claim))
        if not claim.taken:
            answer = to_clicker(self.deps.replier, click)
            await answer(build_claim_refusal(claim))

    async def _cancel(self, click: Click, request_id: int) -> None:
        request = await self.helpdesk.cancel(request_id, click.user_id)
        await self.deps.replier.replace(click, build_cancelled(request))


def _contact_form(sent: Submission) -> ContactForm:
    """The form as sent; a question not asked, or left unanswered, is None (never a default)."""
    lost, remaining = sent.text(FieldId.LOST), sent.text(FieldId.REMAINING)
    return ContactForm(
        description=sent.text(FieldId.DESCRIPTION).strip(),
        lost_or_stolen={"yes": True, "no": False}.get(lost),
        remaining=Remaining(remaining) if remaining in set(Remaining) else None,
        correlation_id=sent.text(FieldId.CORRELATION).strip() or None,
        contact=sent.text(FieldId.CONTACT).strip(),
        details=sent.text(FieldId.DETAILS).strip(),
    )
