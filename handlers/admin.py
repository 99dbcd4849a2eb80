"""The IT admin's own tools: /mfa-admin (requests in progress) and enrolling an authenticator."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.errors import HelpdeskError, NotAnAdminError
from bot.domain.helpdesk import HelpdeskService
from bot.domain.stepup import StepUpOffError
from handlers.blocks.guide import Message
from handlers.blocks.helpdesk import (
    build_enroll_modal,
    build_enrollment,
    build_notice_modal,
    build_pending,
)
from handlers.deps import Deps
from handlers.ids import ActionId, Command, FieldId, ViewId
from handlers.payloads import Click, EnrollMeta, SlashCommand, Submission
from handlers.qr import qr_png
from handlers.refusals import answered, refusal_text, submitted, to_command

_NOT_ADMIN = "`/mfa-admin` is for IT admins. This attempt has been recorded."
_USAGE = (
    "Usage: `/mfa-admin pending` lists the requests in progress; "
    "`/mfa-admin enroll` sets up your authenticator for approvals."
)
_ENROLLED = ":white_check_mark: Your authenticator is set up. Approvals will ask for its code."
_UNCONFIGURED = "The help desk is not set up yet: its operator sets HELPDESK_CHANNEL."


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach /mfa-admin and the enrollment listeners; without a help desk, /mfa-admin says so."""
    helpdesk = deps.helpdesk
    if helpdesk is None:

        @app.command(Command.ADMIN)
        async def handle_admin_unconfigured(ack: AsyncAck) -> None:
            await ack(text=_UNCONFIGURED)

        return

    @app.command(Command.ADMIN)
    async def handle_admin(ack: AsyncAck, command: dict[str, Any]) -> None:
        asked = SlashCommand.of(command)
        await ack()
        work = answered(
            _admin_command(deps, helpdesk, asked),
            to_command(deps.replier, asked.response_url),
            sentence=_admin_refusal,
        )
        deps.tasks.spawn(work, "admin-command")

    @app.action(ActionId.ENROLL_CONFIRM)
    async def handle_enroll_confirm(ack: AsyncAck, body: dict[str, Any]) -> None:
        click = Click.of(body)
        await ack()
        deps.tasks.spawn(_open_enroll_modal(deps, helpdesk, click), "enroll-confirm")

    @app.view(ViewId.ENROLL)
    async def handle_enroll_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        sent = Submission.of(body)
        meta = sent.meta(EnrollMeta)
        replacing = sent.has(FieldId.CURRENT_CODE)
        current = sent.text(FieldId.CURRENT_CODE) if replacing else None
        confirmed = helpdesk.confirm_enrollment(sent.user_id, sent.text(FieldId.CODE), current)
        field = FieldId.CURRENT_CODE if replacing else FieldId.CODE
        what = "an authenticator enrollment"
        if await submitted(ack, confirmed, field=field, undone="set up", what=what):
            await ack(response_action="update", view=build_notice_modal("Authenticator", _ENROLLED))
            deps.tasks.spawn(_forget_enrollment(deps, meta), "forget-enrollment")


async def _admin_command(deps: Deps, helpdesk: HelpdeskService, asked: SlashCommand) -> None:
    """`pending` (the default) lists requests in progress; `enroll` starts an enrollment."""
    await helpdesk.require_admin(asked.user_id)
    word = asked.words[0] if asked.words else "pending"
    if word == "enroll":
        await _enroll(deps, helpdesk, asked.user_id, asked.response_url)
    elif word not in ("pending", "list"):
        await _say(deps, asked.response_url, _USAGE)
    else:
        listed = [
            (request, await deps.replier.permalink(request.channel_id, request.message_ts))
            for request in await helpdesk.in_progress()
        ]
        message = build_pending(listed, deps.guide.guide)
        await deps.replier.respond(asked.response_url, message, replace_original=False)


async def _enroll(deps: Deps, helpdesk: HelpdeskService, actor: str, url: str) -> None:
    """Send the admin, in their DM only, the QR code, the key and the Confirm button."""
    try:
        uri, secret = await helpdesk.begin_enrollment(actor)
    except StepUpOffError:
        text = "Step-up is turned off here (STEPUP_REQUIRED=false): there is nothing to set up."
        await _say(deps, url, text)
        return
    channel = await deps.replier.dm_channel(actor)
    file_id = await deps.replier.upload_file(
        channel, qr_png(uri), "authenticator-qr.png", "Scan with your authenticator app"
    )
    await deps.replier.post(channel, build_enrollment(uri, secret, file_id))
    await _say(deps, url, "I sent you a direct message to set up your authenticator.")


async def _open_enroll_modal(deps: Deps, helpdesk: HelpdeskService, click: Click) -> None:
    meta = EnrollMeta(
        channel_id=click.channel_id,
        message_ts=click.message_ts,
        file_id=click.value if click.value and click.value != "none" else None,
    )
    replacing = await helpdesk.is_enrolled(click.user_id)
    await deps.replier.open_modal(click.trigger_id, build_enroll_modal(replacing, meta))


async def _forget_enrollment(deps: Deps, meta: EnrollMeta) -> None:
    """Delete the DM message and QR file that carried the secret, now that it is set up."""
    in_dm = bool(meta.channel_id and meta.channel_id.startswith("D"))
    await deps.replier.delete(meta.channel_id if in_dm else None, meta.message_ts, meta.file_id)


def _admin_refusal(error: HelpdeskError) -> str:
    return _NOT_ADMIN if isinstance(error, NotAnAdminError) else refusal_text(error)


async def _say(deps: Deps, response_url: str, text: str) -> None:
    await deps.replier.respond(response_url, Message.plain(text), replace_original=False)
