"""`/mfa-admin setup`: a workspace admin sets their workspace's help-desk channel and IT admins
(several workspaces, installed through Slack OAuth)."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.helpdesk import Helpdesk
from bot.domain.workspace import WorkspaceSettings
from handlers.blocks.helpdesk import build_notice_modal
from handlers.blocks.setup import SETUP_TITLE, build_setup_modal, build_setup_saved
from handlers.deps import Deps
from handlers.ids import FieldId, ViewId
from handlers.payloads import SlashCommand, Submission
from handlers.refusals import submitted
from handlers.workspaces import Workspaces

log = logging.getLogger(__name__)

_USERGROUP = re.compile(r"S[A-Z0-9]{2,30}")
_BAD_USERGROUP = "A user group ID starts with S, e.g. S0123ABCD (or leave it empty)."
_NOBODY = "Pick at least one IT admin, or give an admin user group below."
_NO_CHANNEL = "Pick the channel where this workspace's requests go."


def register(app: AsyncApp, deps: Deps, helpdesk: Helpdesk, workspaces: Workspaces) -> None:
    """Attach the setup modal's submission."""
    listeners = SetupListeners(deps, helpdesk, workspaces)
    app.view(ViewId.SETUP)(listeners.handle_setup_submitted)


async def is_workspace_admin(client: AsyncWebClient, user_id: str) -> bool:
    """True for an admin or owner of the workspace, as Slack's users.info says right now."""
    try:
        user = (await client.users_info(user=user_id)).get("user") or {}
    except SlackApiError as exc:
        log.warning("users.info failed: %s", exc.response.get("error"))
        return False
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


class SetupListeners:
    """Opening the setup modal and saving what it holds."""

    def __init__(self, deps: Deps, helpdesk: Helpdesk, workspaces: Workspaces) -> None:
        self.deps = deps
        self.helpdesk = helpdesk
        self.workspaces = workspaces

    async def open_setup(self, asked: SlashCommand) -> None:
        """Open the modal for a workspace admin (NotAnAdminError, audited, for anyone else)."""
        client = self.deps.replier.client
        if not await is_workspace_admin(client, asked.user_id):
            now = self.deps.clock.now()
            refused = WorkspaceSettings(asked.team_id, "", (), None, asked.user_id, now)
            await self.helpdesk.set_up_workspace(refused, workspace_admin=False)
        current = await self.workspaces.settings_of(asked.team_id)
        await self.deps.replier.open_modal(asked.trigger_id, build_setup_modal(current))

    async def handle_setup_submitted(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        sent = Submission.of(body, context)
        channel = next(iter(sent.picked(FieldId.SETUP_CHANNEL)), "")
        if not channel:  # Slack asks for one; a submission without it is not Slack's form
            await ack(response_action="errors", errors={FieldId.SETUP_CHANNEL: _NO_CHANNEL})
            return
        group = sent.text(FieldId.SETUP_USERGROUP).strip() or None
        if group is not None and not _USERGROUP.fullmatch(group):
            await ack(response_action="errors", errors={FieldId.SETUP_USERGROUP: _BAD_USERGROUP})
            return
        admins = sent.picked(FieldId.SETUP_ADMINS)
        if not admins and group is None:  # a help desk where nobody could decide
            await ack(response_action="errors", errors={FieldId.SETUP_ADMINS: _NOBODY})
            return
        settings = WorkspaceSettings(
            workspace=sent.team_id,
            helpdesk_channel=channel,
            admin_users=admins,
            admin_usergroup=group,
            updated_by=sent.user_id,
            updated_at=self.deps.clock.now(),
            enterprise_id=context.enterprise_id,
            org_wide=bool(context.is_enterprise_install),
        )
        # Checked again on saving: the modal's sender is whoever Slack signs for, now.
        allowed = await is_workspace_admin(self.deps.replier.client, sent.user_id)
        saved = self.helpdesk.set_up_workspace(settings, workspace_admin=allowed)
        field = FieldId.SETUP_CHANNEL
        if await submitted(ack, saved, field=field, undone="saved", what="a workspace setup"):
            await ack(
                response_action="update",
                view=build_notice_modal(SETUP_TITLE, build_setup_saved(settings)),
            )
