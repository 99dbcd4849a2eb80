"""The help-desk path in Slack: the contact form, the request card's buttons, /mfa-admin."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError

from bot.domain.errors import (
    HelpdeskError,
    NothingSelectedError,
    StorageUnavailableError,
)
from bot.domain.helpdesk import HelpdeskService, Place
from bot.domain.identity import Action
from bot.domain.requests import ContactForm, HelpRequest, Remaining
from bot.domain.stepup import StepUpOffError
from bot.tasks import Lane
from handlers.blocks.guide import Message
from handlers.blocks.helpdesk import (
    build_cancelled,
    build_contact_modal,
    build_contact_refusal,
    build_deny_modal,
    build_enroll_modal,
    build_enrollment,
    build_notice_modal,
    build_open_request,
    build_pending,
    build_refusal,
    build_request_sent,
    build_stepup_modal,
    build_stepup_refusal,
)
from handlers.blocks.markup import to_mrkdwn
from handlers.deps import Deps
from handlers.ids import ActionId, Command, FieldId, ViewId
from handlers.outage import ack_contact_unconfirmed, ack_storage_down
from handlers.qr import qr_png
from handlers.reply import Clicked
from handlers.wire import (
    ContactMeta,
    DenyMeta,
    EnrollMeta,
    StepRef,
    StepUpMeta,
    request_id_of,
)

log = logging.getLogger(__name__)


_FORM_ERRORS = {
    "description": FieldId.DESCRIPTION,
    "correlation_id": FieldId.CORRELATION,
    "contact": FieldId.CONTACT,
    "details": FieldId.DETAILS,
}


def register(app: AsyncApp, deps: Deps, helpdesk: HelpdeskService) -> None:
    """Attach the help-desk listeners (only when HELPDESK_CHANNEL is set)."""

    @app.action(ActionId.CONTACT_IT)
    async def handle_contact_it(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        deps.tasks.spawn(_open_contact_form(deps, helpdesk, body), "contact-it")

    @app.view(ViewId.CONTACT_IT)
    async def handle_contact_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body["view"]
        meta = ContactMeta.model_validate_json(view.get("private_metadata") or "{}")
        form = _contact_form(view["state"]["values"])
        problems = form.problems()
        if problems:
            await ack(
                response_action="errors",
                errors={_FORM_ERRORS[name]: text for name, text in problems.items()},
            )
            return
        user = body["user"]["id"]
        # Stored before the ack (one insert, no Slack call), so a crash after it loses nothing;
        # the modal's id makes a form sent twice one request.
        try:
            submitted = await helpdesk.submit(
                body["team"]["id"], user, meta.topic_id, meta.walk_id, form, view["id"]
            )
        except HelpdeskError as exc:
            refusal = build_contact_refusal(exc, to_mrkdwn(deps.guide.guide.texts.contact_it))
            await ack(response_action="update", view=refusal)
            return
        except Exception as exc:  # the form stays open with what was typed: send again
            await ack_contact_unconfirmed(ack, FieldId.DESCRIPTION, exc)
            return
        await ack(response_action="update", view=build_request_sent(submitted.request))
        if submitted.new:  # a form sent again has its card already
            _follow_up(deps, helpdesk, submitted.request)

    @app.action(ActionId.MANAGER_YES)
    async def handle_manager_yes(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        deps.tasks.spawn(_manager(deps, helpdesk, body, yes=True), "manager-answer")

    @app.action(ActionId.MANAGER_NO)
    async def handle_manager_no(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        deps.tasks.spawn(_manager(deps, helpdesk, body, yes=False), "manager-answer")

    @app.action(ActionId.NOT_ME)
    async def handle_not_me(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        deps.tasks.spawn(_not_me(deps, helpdesk, body), "report-not-me")

    @app.action(ActionId.CANCEL_REQUEST)
    async def handle_cancel(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        deps.tasks.spawn(_cancel(deps, helpdesk, body), "cancel-request")

    @app.action(ActionId.SELECT_ACTIONS)
    async def handle_selection(ack: AsyncAck) -> None:
        await ack()

    @app.action(ActionId.APPROVE)
    async def handle_approve(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if helpdesk.stepup_required:
            deps.tasks.spawn(_ask_code(deps, helpdesk, body, "approve"), "approve-stepup")
        else:
            deps.tasks.spawn(_approve(deps, helpdesk, body), "approve-request")

    @app.view(ViewId.STEPUP)
    async def handle_stepup_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body["view"]
        meta = StepUpMeta.model_validate_json(view["private_metadata"])
        code = _value(view["state"]["values"], FieldId.CODE)
        actor, place = body["user"]["id"], Place(body["team"]["id"], meta.channel_id)
        try:
            if meta.kind == "approve":
                actions = tuple(a for a in Action if a.value in meta.actions)
                await helpdesk.approve(meta.request_id, actor, place, actions, code=code)
            else:
                await helpdesk.retry_failed(meta.request_id, actor, place, code=code)
        except HelpdeskError as exc:
            await ack(response_action="errors", errors={FieldId.CODE: build_stepup_refusal(exc)})
            return
        except StorageUnavailableError:
            undone = "approved" if meta.kind == "approve" else "retried"
            await ack_storage_down(ack, FieldId.CODE, undone, f"a step-up {meta.kind}")
            return
        await ack()
        after = helpdesk.carry_out if meta.kind == "approve" else helpdesk.carry_out_retry
        deps.tasks.spawn(after(meta.request_id, actor), f"{meta.kind}-request")

    @app.action(ActionId.ENROLL_CONFIRM)
    async def handle_enroll_confirm(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        deps.tasks.spawn(_open_enroll_modal(deps, helpdesk, body), "enroll-confirm")

    @app.view(ViewId.ENROLL)
    async def handle_enroll_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        values = body["view"]["state"]["values"]
        meta = EnrollMeta.model_validate_json(body["view"].get("private_metadata") or "{}")
        replacing = FieldId.CURRENT_CODE in values
        current = _value(values, FieldId.CURRENT_CODE) if replacing else None
        try:
            await helpdesk.confirm_enrollment(
                body["user"]["id"], _value(values, FieldId.CODE), current
            )
        except HelpdeskError as exc:
            field = FieldId.CURRENT_CODE if replacing else FieldId.CODE
            await ack(response_action="errors", errors={field: build_stepup_refusal(exc)})
            return
        except StorageUnavailableError:
            await ack_storage_down(ack, FieldId.CODE, "set up", "an authenticator enrollment")
            return
        text = ":white_check_mark: Your authenticator is set up. Approvals will ask for its code."
        await ack(response_action="update", view=build_notice_modal("Authenticator", text))
        deps.tasks.spawn(_forget_enrollment(deps, meta), "forget-enrollment")

    @app.action(ActionId.DENY)
    async def handle_deny(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        deps.tasks.spawn(_ask_deny_reason(deps, helpdesk, body), "deny-request")

    @app.view(ViewId.DENY)
    async def handle_deny_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body["view"]
        reason = _value(view["state"]["values"], FieldId.DENY_REASON).strip()
        if not reason:
            await ack(
                response_action="errors",
                errors={FieldId.DENY_REASON: "Give a reason: the employee will read it."},
            )
            return
        await ack()
        meta = DenyMeta.model_validate_json(view["private_metadata"])
        deps.tasks.spawn(_deny(deps, helpdesk, body, meta, reason), "deny-request")

    @app.action(ActionId.RETRY)
    async def handle_retry(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if helpdesk.stepup_required:
            deps.tasks.spawn(_ask_code(deps, helpdesk, body, "retry"), "retry-stepup")
        else:
            deps.tasks.spawn(_retry(deps, helpdesk, body), "retry-request")

    @app.action(ActionId.MANUAL_DONE.pattern())
    async def handle_manual_done(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        deps.tasks.spawn(_manual_done(deps, helpdesk, body), "manual-done")

    @app.command(Command.ADMIN)
    async def handle_admin(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        deps.tasks.spawn(_admin_command(deps, helpdesk, command), "admin-command")


async def _open_contact_form(deps: Deps, helpdesk: HelpdeskService, body: dict[str, Any]) -> None:
    user = body["user"]["id"]
    active = await helpdesk.active_request_of(user)
    if active is not None:
        await deps.replier.replace(Clicked.of(body), build_open_request(active))
        return
    ref = StepRef.decode(body["actions"][0].get("value"))
    topic_id = ref.topic_id if ref else "no-answer"
    modal = build_contact_modal(deps.guide.guide, topic_id, ref.walk_id if ref else None)
    try:
        await deps.replier.client.views_open(trigger_id=body["trigger_id"], view=modal)
    except SlackApiError as exc:
        log.warning("could not open the contact form: %s", exc.response.get("error"))


def _follow_up(deps: Deps, helpdesk: HelpdeskService, request: HelpRequest) -> None:
    """After the ack: post the new request's card, and mark the walk it came from escalated."""
    deps.tasks.spawn(helpdesk.announce_new(request), "announce-request", Lane.BULK)
    if request.walk_id:
        escalated = deps.guide.escalate(request.walk_id, request.requester_id)
        deps.tasks.spawn(escalated, "walk-escalated", Lane.BULK)


async def _manager(
    deps: Deps, helpdesk: HelpdeskService, body: dict[str, Any], *, yes: bool
) -> None:
    async def answer(request_id: int) -> None:
        await helpdesk.manager_answer(request_id, body["user"]["id"], yes)
        said = "Thank you: IT can go ahead." if yes else "Thank you: IT security has been alerted."
        await deps.replier.replace(Clicked.of(body), Message.plain(said))

    await _on_button(deps, body, answer)


async def _not_me(deps: Deps, helpdesk: HelpdeskService, body: dict[str, Any]) -> None:
    async def report(request_id: int) -> None:
        said = await helpdesk.report_not_me(request_id, body["user"]["id"])
        # A new message, so the one saying what changed stays readable.
        await deps.replier.post_dm(body["user"]["id"], Message.plain(f":rotating_light: {said}"))

    await _on_button(deps, body, report)


async def _cancel(deps: Deps, helpdesk: HelpdeskService, body: dict[str, Any]) -> None:
    async def cancel(request_id: int) -> None:
        request = await helpdesk.cancel(request_id, body["user"]["id"])
        await deps.replier.replace(Clicked.of(body), build_cancelled(request))

    await _on_button(deps, body, cancel)


async def _approve(deps: Deps, helpdesk: HelpdeskService, body: dict[str, Any]) -> None:
    actor = body["user"]["id"]

    async def approve(request_id: int) -> None:
        await helpdesk.approve(request_id, actor, _place(body), _selected(body))
        await helpdesk.carry_out(request_id, actor)

    await _on_button(deps, body, approve)


async def _ask_deny_reason(deps: Deps, helpdesk: HelpdeskService, body: dict[str, Any]) -> None:
    request_id = request_id_of(body["actions"][0].get("value"))
    if request_id is None:
        return
    place = _place(body)
    # The trigger expires within seconds: open the form first, then check, and replace the form
    # with the refusal if the click is refused (the submission is checked again anyway).
    try:
        opened = await deps.replier.client.views_open(
            trigger_id=body["trigger_id"], view=build_deny_modal(request_id, place.channel_id)
        )
    except SlackApiError as exc:
        log.warning("could not open the deny form: %s", exc.response.get("error"))
        return
    try:
        await helpdesk.authorize(request_id, body["user"]["id"], place)
    except HelpdeskError as exc:
        await deps.replier.client.views_update(
            view_id=opened["view"]["id"], view=build_notice_modal("Deny", build_refusal(exc))
        )


async def _deny(
    deps: Deps,
    helpdesk: HelpdeskService,
    body: dict[str, Any],
    meta: DenyMeta,
    reason: str,
) -> None:
    request_id, channel = meta.request_id, meta.channel_id
    actor = body["user"]["id"]
    try:
        await helpdesk.deny(request_id, actor, Place(body["team"]["id"], channel), reason)
    except HelpdeskError as exc:
        await deps.replier.client.chat_postEphemeral(
            channel=helpdesk.config.channel_id, user=actor, text=build_refusal(exc)
        )


async def _retry(deps: Deps, helpdesk: HelpdeskService, body: dict[str, Any]) -> None:
    actor = body["user"]["id"]

    async def retry(request_id: int) -> None:
        await helpdesk.retry_failed(request_id, actor, _place(body))
        await helpdesk.carry_out_retry(request_id, actor)

    await _on_button(deps, body, retry)


async def _ask_code(
    deps: Deps, helpdesk: HelpdeskService, body: dict[str, Any], kind: Literal["approve", "retry"]
) -> None:
    """Open the step-up modal at once (the trigger expires), then check; a refusal replaces it."""
    request_id = request_id_of(body["actions"][0].get("value"))
    if request_id is None:
        return
    actor, place = body["user"]["id"], _place(body)
    actions = [a.value for a in _selected(body)] if kind == "approve" else []
    meta = StepUpMeta(
        kind=kind, request_id=request_id, actions=actions, channel_id=place.channel_id
    )
    what = (
        f"Approve request #{request_id}."
        if kind == "approve"
        else (f"Retry the failed actions of request #{request_id}.")
    )
    try:
        opened = await deps.replier.client.views_open(
            trigger_id=body["trigger_id"], view=build_stepup_modal(meta, what)
        )
    except SlackApiError as exc:
        log.warning("could not open the step-up form: %s", exc.response.get("error"))
        return
    try:
        if kind == "approve":
            await helpdesk.authorize(request_id, actor, place)
            if not actions:
                raise NothingSelectedError("nothing ticked")
        else:
            await helpdesk.authorize_retry(request_id, actor, place)
        await helpdesk.check_stepup(actor)
    except HelpdeskError as exc:
        await deps.replier.client.views_update(
            view_id=opened["view"]["id"],
            view=build_notice_modal("Confirm it's you", build_stepup_refusal(exc)),
        )


async def _manual_done(deps: Deps, helpdesk: HelpdeskService, body: dict[str, Any]) -> None:
    async def done(action_id: int) -> None:
        await helpdesk.mark_manual_done(action_id, body["user"]["id"], _place(body))

    await _on_button(deps, body, done)


async def _admin_command(deps: Deps, helpdesk: HelpdeskService, command: dict[str, Any]) -> None:
    url = command["response_url"]
    words = (command.get("text") or "").split()
    try:
        await helpdesk.require_admin(command["user_id"])
    except HelpdeskError:
        text = "`/mfa-admin` is for IT admins. This attempt has been recorded."
        await deps.replier.respond(url, Message.plain(text), replace_original=False)
        return
    if words and words[0] == "enroll":
        await _enroll(deps, helpdesk, command["user_id"], url)
        return
    if words and words[0] not in ("pending", "list"):
        text = (
            "Usage: `/mfa-admin pending` lists the requests in progress; "
            "`/mfa-admin enroll` sets up your authenticator for approvals."
        )
        await deps.replier.respond(url, Message.plain(text), replace_original=False)
        return
    listed = []
    for request in await helpdesk.in_progress():
        listed.append(
            (request, await deps.replier.permalink(request.channel_id, request.message_ts))
        )
    await deps.replier.respond(url, build_pending(listed, deps.guide.guide), replace_original=False)


async def _enroll(deps: Deps, helpdesk: HelpdeskService, actor: str, url: str) -> None:
    """Send the admin, in their DM only, the QR code, the key and the Confirm button."""
    try:
        uri, secret = await helpdesk.begin_enrollment(actor)
    except StepUpOffError:
        text = "Step-up is turned off here (STEPUP_REQUIRED=false): there is nothing to set up."
        await deps.replier.respond(url, Message.plain(text), replace_original=False)
        return
    client = deps.replier.client
    channel = (await client.conversations_open(users=actor))["channel"]["id"]
    uploaded = await client.files_upload_v2(
        channel=channel,
        content=qr_png(uri),
        filename="authenticator-qr.png",
        title="Scan with your authenticator app",
    )
    file_id = (uploaded.get("file") or {}).get("id")
    await deps.replier.post(channel, build_enrollment(uri, secret, file_id))
    text = "I sent you a direct message to set up your authenticator."
    await deps.replier.respond(url, Message.plain(text), replace_original=False)


async def _open_enroll_modal(deps: Deps, helpdesk: HelpdeskService, body: dict[str, Any]) -> None:
    value = body["actions"][0].get("value")
    meta = EnrollMeta(
        channel_id=(body.get("channel") or {}).get("id"),
        message_ts=(body.get("message") or {}).get("ts"),
        file_id=value if value and value != "none" else None,
    )
    replacing = await helpdesk.is_enrolled(body["user"]["id"])
    try:
        await deps.replier.client.views_open(
            trigger_id=body["trigger_id"], view=build_enroll_modal(replacing, meta)
        )
    except SlackApiError as exc:
        log.warning("could not open the enrollment form: %s", exc.response.get("error"))


async def _forget_enrollment(deps: Deps, meta: EnrollMeta) -> None:
    """Delete the DM message and QR file that carried the secret, now that it is set up."""
    client = deps.replier.client
    try:
        if meta.channel_id and meta.channel_id.startswith("D") and meta.message_ts:
            await client.chat_delete(channel=meta.channel_id, ts=meta.message_ts)
        if meta.file_id:
            await client.files_delete(file=meta.file_id)
    except SlackApiError as exc:
        log.warning("could not delete the enrollment message: %s", exc.response.get("error"))


async def _on_button(
    deps: Deps, body: dict[str, Any], act: Callable[[int], Awaitable[None]]
) -> None:
    """Run `act` with the number in the clicked button's value; a refusal of the core's is
    answered to the clicker alone. The number only names the request: `act` re-reads it."""
    number = request_id_of(body["actions"][0].get("value"))
    if number is None:
        return
    try:
        await act(number)
    except HelpdeskError as exc:
        await _refuse(deps, body, exc)


async def _refuse(deps: Deps, body: dict[str, Any], error: HelpdeskError) -> None:
    await deps.replier.respond(
        body["response_url"], Message.plain(build_refusal(error)), replace_original=False
    )


def _place(body: dict[str, Any]) -> Place:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return Place(team_id=body["team"]["id"], channel_id=channel or "")


def _selected(body: dict[str, Any]) -> tuple[Action, ...]:
    values = (body.get("state") or {}).get("values") or {}
    for block in values.values():
        element = block.get(ActionId.SELECT_ACTIONS)
        if element is not None:
            chosen = {option["value"] for option in element.get("selected_options") or []}
            return tuple(action for action in Action if action.value in chosen)
    return ()


def _contact_form(values: dict[str, Any]) -> ContactForm:
    remaining = _value(values, FieldId.REMAINING) or Remaining.NONE.value
    return ContactForm(
        description=_value(values, FieldId.DESCRIPTION).strip(),
        lost_or_stolen=_value(values, FieldId.LOST) == "yes",
        remaining=Remaining(remaining) if remaining in set(Remaining) else Remaining.NONE,
        correlation_id=_value(values, FieldId.CORRELATION).strip() or None,
        contact=_value(values, FieldId.CONTACT).strip(),
        details=_value(values, FieldId.DETAILS).strip(),
    )


def _value(values: dict[str, Any], block_id: str) -> str:
    element = (values.get(block_id) or {}).get(f"{block_id}-input") or {}
    if "selected_option" in element:
        return str((element["selected_option"] or {}).get("value") or "")
    return str(element.get("value") or "")
