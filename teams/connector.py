"""Bot Connector calls outside a turn (proactive): post, reply in a thread, update, members.

Every service URL here was stored from an authenticated activity (or, in the anonymous mode, is
on loopback); this module never takes one from anywhere else.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from microsoft_agents.activity import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
)
from microsoft_agents.activity.teams import TeamsChannelAccount
from microsoft_agents.hosting.core.authorization import AccessTokenProviderBase
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from teams.auth import is_loopback_url
from teams.conversation import THREAD_MARK
from teams.tokens import BOT_FRAMEWORK_SCOPE

log = logging.getLogger(__name__)

BOT_FRAMEWORK = "https://api.botframework.com"
CALL_TIMEOUT_S = 15


class UnsafeServiceUrlError(Exception):
    """A service URL this process must not call (the anonymous mode calls loopback only)."""


@dataclass(frozen=True)
class Posted:
    """A message posted: its conversation (a new thread's id) and its activity id."""

    conversation_id: str
    activity_id: str


class Connector:
    """The SDK's Teams connector client, one per call, with the bot's token (none in the
    anonymous mode)."""

    def __init__(self, tokens: AccessTokenProviderBase | None, bot_id: str) -> None:
        self._tokens = tokens
        self.bot_id = bot_id

    @asynccontextmanager
    async def _client(self, service_url: str) -> AsyncIterator[TeamsConnectorClient]:
        if self._tokens is None and not is_loopback_url(service_url):
            raise UnsafeServiceUrlError("the anonymous mode answers on loopback only")
        token = ""
        if self._tokens is not None:
            token = await self._tokens.get_access_token(BOT_FRAMEWORK, [BOT_FRAMEWORK_SCOPE])
        endpoint = service_url if service_url.endswith("/") else service_url + "/"
        session = aiohttp.ClientSession(
            base_url=endpoint, timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT_S)
        )
        client = TeamsConnectorClient(endpoint=endpoint, token=token, session=session)
        try:
            yield client
        finally:
            await client.close()

    async def send(self, service_url: str, conversation_id: str, activity: Activity) -> str:
        """Post a message in a conversation; its activity id."""
        async with self._client(service_url) as client:
            answer = await client.conversations.send_to_conversation(conversation_id, activity)
        return answer.id or ""

    async def reply(
        self, service_url: str, conversation_id: str, root_id: str, activity: Activity
    ) -> str:
        """Post a message in the thread that starts with `root_id`; its activity id."""
        thread = f"{conversation_id}{THREAD_MARK}{root_id}"
        async with self._client(service_url) as client:
            answer = await client.conversations.send_to_conversation(thread, activity)
        return answer.id or ""

    async def update(
        self, service_url: str, conversation_id: str, activity_id: str, activity: Activity
    ) -> None:
        """Replace a message the bot posted (its card) for everyone who sees it."""
        activity.id = activity_id
        activity.conversation = ConversationAccount(id=conversation_id)
        async with self._client(service_url) as client:
            await client.conversations.update_activity(conversation_id, activity_id, activity)

    async def start_thread(
        self, service_url: str, tenant_id: str, channel_id: str, activity: Activity
    ) -> Posted:
        """Start a new thread in a team's channel with `activity` as its first message."""
        parameters = ConversationParameters(
            is_group=True,
            # The SDK requires the bot's account; the anonymous mode has no app ID to name it by
            # (the Agents Playground, its only client, takes the bot from its own mock data).
            agent=ChannelAccount(id=self.bot_id or "28:anonymous"),
            channel_data={"channel": {"id": channel_id}, "tenant": {"id": tenant_id}},
            activity=activity,
            tenant_id=tenant_id,
        )
        async with self._client(service_url) as client:
            answer = await client.conversations.create_conversation(parameters)
        conversation = answer.id or ""
        activity_id = answer.activity_id or conversation.partition(THREAD_MARK)[2]
        if not activity_id:
            raise aiohttp.ClientPayloadError("the new thread came back without its message id")
        return Posted(conversation, activity_id)

    async def member(
        self, service_url: str, conversation_id: str, account_id: str
    ) -> TeamsChannelAccount:
        """A member of a conversation as Teams describes them (name, email, UPN)."""
        async with self._client(service_url) as client:
            return await client.get_conversation_member(conversation_id, account_id)
