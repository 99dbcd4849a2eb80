"""The IT admin's own tools: /mfa-admin (requests in progress) and enrolling an authenticator."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot import wording
from bot.domain.errors import HelpdeskError, NotAnAdminError
from bot.domain.helpdesk import Helpdesk
from bot.domain.insights import PeriodError
from bot.domain.stepup import StepUpOffError
from bot.qr import qr_png
from handlers.blocks.guide import Message
from handlers.blocks.helpdesk import (
    build_enroll_modal,
    build_enrollment,
    build_notice_modal,
    build_pending,
)
from handlers.deps import Deps
from handlers.ids import ActionId, Command, FieldId, ViewId
from handlers.insights import AdminBoard
from handlers.payloads import Click, EnrollMeta, SlashCommand, Submission
from handlers.refusals import answered, refusal_text, submitted, to_response_url
from handlers.setup import SetupListeners

_NOT_ADMIN = "`/mfa-admin` is for IT admins. This attempt has been recorded."
_USAGE = (
    "Usage: `/mfa-admin pending` lists the requests in progress; "
    "`/mfa-admin enroll` sets up your authenticator for approvals; "
    "`/mfa-admin stats [period]` gives the help desk's figures (the last 7 days by default)."
)
_ENROLLED = f":white_check_mark: {wording.ENROLLED}"
_STEPUP_OFF = wording.STEPUP_OFF
_UNCONFIGURED = "The help desk is not set up yet: its operator sets HELPDESK_CHANNEL."
_SETUP_USAGE = " A workspace admin sets this workspace's help desk with `/mfa-admin setup`."
_NOT_WORKSPACE_ADMIN = (
    "`/mfa-admin setup` is for this workspace's admins and owners. This attempt has been recorded."
)


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach /mfa-admin and the enrollment listeners; without a help desk, /mfa-admin says so."""
    if deps.helpdesk is None:
        app.command(Command.ADMIN)(handle_admin_unconfigured)
        return
    listeners = AdminListeners(deps, deps.helpdesk)
    app.command(Command.ADMIN)(listeners.handle_admin)
    app.action(ActionId.ENROLL_CONFIRM)(listeners.handle_enroll_confirm)
    app.view(ViewId.ENROLL)(listeners.handle_enroll_submitted)


async def handle_admin_unconfigured(ack: AsyncAck) -> None:
    await ack(text=_UNCONFIGURED)


class AdminListeners:
    """The admin's listeners, and the work each leaves for after its ack."""

    def __init__(self, deps: Deps, helpdesk: Helpdesk) -> None:
        self.deps = deps
        self.helpdesk = helpdesk
        self.board = AdminBoard(deps, deps.insights) if deps.insights else None
        workspaces = deps.workspaces
        self.setup = SetupListeners(deps, helpdesk, workspaces) if workspaces else None

    async def handle_admin(
        self, ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        asked = SlashCommand.of(command, context)
        await ack()
        answer = to_response_url(self.deps.replier, asked.response_url)
        setup = asked.text.split()[:1] == ["setup"] and self.setup is not None
        sentence = _setup_refusal if setup else _admin_refusal
        work = answered(self._admin_command(asked), answer, sentence=sentence)
        self.deps.tasks.spawn(work, "admin-command")

    async def handle_enroll_confirm(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        click = Click.of(body, context)
        await ack()
        self.deps.tasks.spawn(self._open_enroll_modal(click), "enroll-confirm")

    async def handle_enroll_submitted(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        sent = Submission.of(body, context)
        meta = sent.meta(EnrollMeta)
        replacing = sent.has(FieldId.CURRENT_CODE)
        current = sent.text(FieldId.CURRENT_CODE) if replacing else None
        confirmed = self.helpdesk.confirm_enrollment(sent.user_id, sent.text(FieldId.CODE), current)
        field = FieldId.CURRENT_CODE if replacing else FieldId.CODE
        what = "an authenticator enrollment"
        if await submitted(ack, confirmed, field=field, undone="set up", what=what):
            await ack(response_action="update", view=build_notice_modal("Authenticator", _ENROLLED))
            self.deps.tasks.spawn(self._forget_enrollment(meta), "forget-enrollment")

    async def _admin_command(self, asked: SlashCommand) -> None:
        """`pending` (the default) lists requests in progress; `enroll` starts an enrollment."""
        word = (asked.text.split() or ["pending"])[0]
        if word == "setup" and self.setup is not None:  # a workspace admin's, not IT's
            await self.setup.open_setup(asked)
            return
        await self.helpdesk.require_admin(asked.user_id)
        if word == "enroll":
            await self._enroll(asked.user_id, asked.response_url)
        elif word == "stats" and self.board is not None:
            await self._stats(self.board, asked)
        elif word not in ("pending", "list"):
            await self._say(asked.response_url, _USAGE + (_SETUP_USAGE if self.setup else ""))
        else:
            replier = self.deps.replier
            listed = [
                (request, await replier.permalink(request.channel_id, request.message_ts))
                for request in await self.helpdesk.pending()
            ]
            message = build_pending(listed, self.deps.walks.guide)
            await replier.respond(asked.response_url, message, replace_original=False)

    async def _stats(self, board: AdminBoard, asked: SlashCommand) -> None:
        """The figures of the period asked for (after `stats`), to the admin alone."""
        period = asked.text.strip()[len("stats") :]
        try:
            message = await board.stats(asked.team_id, period)
        except PeriodError as exc:
            await self._say(asked.response_url, str(exc))
            return
        await self.deps.replier.respond(asked.response_url, message, replace_original=False)

    async def _enroll(self, actor: str, url: str) -> None:
        """Send the admin, in their DM only, the QR code, the key and the Confirm button."""
        try:
            uri, secret = await self.helpdesk.begin_enrollment(actor)
        except StepUpOffError:
            await self._say(url, _STEPUP_OFF)
            return
        replier = self.deps.replier
        channel = await replier.dm_channel(actor)
        file_id = await replier.upload_file(
            channel, qr_png(uri), "authenticator-qr.png", wording.QR_ALT
        )
        await replier.post(channel, build_enrollment(uri, secret, file_id))
        await self._say(url, "I sent you a direct message to set up your authenticator.")

    async def _open_enroll_modal(self, click: Click) -> None:
        meta = EnrollMeta(
            channel_id=click.channel_id,
            message_ts=click.message_ts,
            file_id=click.value if click.value and click.value != "none" else None,
        )
        replacing = await self.helpdesk.is_enrolled(click.user_id)
        await self.deps.replier.open_modal(click.trigger_id, build_enroll_modal(replacing, meta))

    async def _forget_enrollment(self, meta: EnrollMeta) -> None:
        """Delete the DM message and QR file that carried the secret, now that it is set up."""
        in_dm = bool(meta.channel_id and meta.channel_id.startswith("D"))
        channel = meta.channel_id if in_dm else None
        await self.deps.replier.delete(channel, meta.message_ts, meta.file_id)

    async def _say(self, response_url: str, text: str) -> None:
        await self.deps.replier.respond(response_url, Message.plain(text), replace_original=False)


def _setup_refusal(error: HelpdeskError) -> str:
    return _NOT_WORKSPACE_ADMIN if isinstance(error, NotAnAdminError) else refusal_text(error)


def _admin_refusal(error: HelpdeskError) -> str:
    return _NOT_ADMIN if isinstance(error, NotAnAdminError) else refusal_text(error)
