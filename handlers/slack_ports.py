"""The core's ports answered by Slack: who is an admin, who a person is, and the notices."""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.guide import Guide
from bot.domain.requests import ActionItem, Change, HelpRequest
from handlers.blocks.helpdesk import (
    build_employee_notice,
    build_request_card,
    build_secret_notice,
    build_thread_note,
)
from handlers.reply import Replier

log = logging.getLogger(__name__)

USERGROUP_CACHE_S = 60.0


class SlackAdminRoster:
    """IT_ADMIN_USERS plus the members of IT_ADMIN_USERGROUP, read with a short cache."""

    def __init__(self, client: AsyncWebClient, users: list[str], usergroup: str | None) -> None:
        self._client = client
        self._users = frozenset(users)
        self._usergroup = usergroup
        self._members: frozenset[str] = frozenset()
        self._read_at = float("-inf")

    async def is_admin(self, user_id: str) -> bool:
        """True for a listed admin or a current member of the admin user group."""
        if user_id in self._users:
            return True
        if self._usergroup is None:
            return False
        return user_id in await self._group_members(self._usergroup)

    async def _group_members(self, usergroup: str) -> frozenset[str]:
        if time.monotonic() - self._read_at < USERGROUP_CACHE_S:
            return self._members
        try:
            response = await self._client.usergroups_users_list(usergroup=usergroup)
        except SlackApiError as exc:
            # Fail closed: without a fresh answer, only the members last confirmed count.
            log.warning("could not read the IT admin user group: %s", exc.response.get("error"))
            return self._members
        self._members = frozenset(response.get("users", []))
        self._read_at = time.monotonic()
        return self._members


class SlackPeople:
    """Names and emails from users.info (scopes users:read and users:read.email)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def profile(self, user_id: str) -> tuple[str, str]:
        """(name, email), empty where Slack does not say."""
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed: %s", exc.response.get("error"))
            return "", ""
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        name = profile.get("real_name") or user.get("real_name") or user.get("name") or ""
        return str(name), str(profile.get("email") or "")


class SlackNotifier:
    """Keeps the request's card current, writes its thread, and DMs the employee."""

    def __init__(
        self, replier: Replier, channel_id: str, guide: Guide, provider: str, it_contact: str
    ) -> None:
        self._replier = replier
        self._channel = channel_id
        self._guide = guide
        self._provider = provider
        self._it_contact = it_contact

    async def post_request(
        self, request: HelpRequest, actions: list[ActionItem]
    ) -> tuple[str, str]:
        """Post the card; where it is."""
        card = build_request_card(request, actions, self._guide, self._provider)
        ts = await self._replier.post(self._channel, card)
        return self._channel, ts

    async def request_changed(
        self, request: HelpRequest, actions: list[ActionItem], change: Change, actor: str | None
    ) -> None:
        """Update the card in place, note the change in its thread, and tell the employee."""
        if change is not Change.CREATED and request.channel_id and request.message_ts:
            card = build_request_card(request, actions, self._guide, self._provider)
            await self._replier.client.chat_update(
                channel=request.channel_id,
                ts=request.message_ts,
                text=card.text,
                blocks=card.blocks,
            )
            await self._replier.client.chat_postMessage(
                channel=request.channel_id,
                thread_ts=request.message_ts,
                text=build_thread_note(request, change, actor, actions),
            )
        notice = build_employee_notice(request, change, actions, self._it_contact)
        if notice is not None:
            await self._replier.post_dm(request.requester_id, notice)

    async def deliver_secret(self, request: HelpRequest, text: str) -> None:
        """DM the employee a secret; never anywhere else."""
        await self._replier.post_dm(request.requester_id, build_secret_notice(request, text))
