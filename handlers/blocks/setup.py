"""The `/mfa-admin setup` modal: a workspace's help-desk channel and who decides there."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    PlainTextInputElement,
    SectionBlock,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.workspace import WorkspaceSettings
from handlers.blocks.text import escape_mrkdwn
from handlers.ids import FieldId, ViewId

SETUP_TITLE = "Help desk setup"
MAX_ADMINS = 100  # Slack's multi_users_select limit per submission is generous; keep it sane


def build_setup_modal(current: WorkspaceSettings | None) -> View:
    """The help-desk channel, the IT admins and an optional admin user group, filled in with
    what is set now."""
    channel = ConversationSelectElement(
        action_id=f"{FieldId.SETUP_CHANNEL}-input",
        placeholder="Pick a channel",
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
        initial_conversation=current.helpdesk_channel if current else None,
    )
    admins = UserMultiSelectElement(
        action_id=f"{FieldId.SETUP_ADMINS}-input",
        placeholder="Pick the IT admins",
        initial_users=list(current.admin_users) if current and current.admin_users else None,
    )
    group = PlainTextInputElement(
        action_id=f"{FieldId.SETUP_USERGROUP}-input",
        placeholder="S0123ABCD",
        max_length=30,
        initial_value=(current.admin_usergroup or None) if current else None,
    )
    return View(
        type="modal",
        callback_id=ViewId.SETUP,
        title=SETUP_TITLE,
        submit="Save",
        close="Cancel",
        blocks=[
            SectionBlock(
                text="Where this workspace's requests go, and who may decide on them. "
                "Invite the bot to the channel you pick."
            ),
            InputBlock(block_id=FieldId.SETUP_CHANNEL, label="Help-desk channel", element=channel),
            InputBlock(
                block_id=FieldId.SETUP_ADMINS, label="IT admins", element=admins, optional=True
            ),
            InputBlock(
                block_id=FieldId.SETUP_USERGROUP,
                label="IT admin user group ID",
                hint="Its members may decide too (optional).",
                element=group,
                optional=True,
            ),
        ],
    )


def build_setup_saved(settings: WorkspaceSettings) -> str:
    """The line that confirms a setup (mrkdwn)."""
    admins = ", ".join(f"<@{user}>" for user in settings.admin_users) or "nobody listed"
    group = (
        f" and the members of <!subteam^{escape_mrkdwn(settings.admin_usergroup)}>"
        if settings.admin_usergroup
        else ""
    )
    return (
        f"Saved. Requests go to <#{settings.helpdesk_channel}>; {admins}{group} may decide. "
        "Invite the bot to that channel if it is not there yet."
    )
