"""Slack OAuth for the operator's workspaces only: an install from a workspace or organisation
not in SLACK_ALLOWED_WORKSPACES is refused (its token revoked, nothing stored), a request from
one is dropped before its token is looked up; every other request is its workspace's work."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.models.installation import Installation

from bot.domain.workspace import enter, is_allowed, workspace_key
from handlers.reply import serve_with

log = logging.getLogger(__name__)

Middleware = Callable[..., Awaitable[BoltResponse | None]]


class AllowedOAuthFlow(AsyncOAuthFlow):
    """Bolt's OAuth flow, keeping the installs of allowed workspaces only."""

    allowed: frozenset[str] = frozenset()

    async def run_installation(self, code: str) -> Installation | None:
        """The installation Slack granted, or None (Bolt then stores nothing and shows its
        failure page) when its workspace is not allowed; that token is revoked at once."""
        installation = await super().run_installation(code)
        if installation is None:
            return None
        if is_allowed(self.allowed, installation.team_id, installation.enterprise_id):
            return installation
        log.warning(
            "refused an install into %s: not in SLACK_ALLOWED_WORKSPACES",
            installation.team_id or installation.enterprise_id,
        )
        if installation.bot_token:
            try:
                await self.client.auth_revoke(token=installation.bot_token)
            except SlackApiError as exc:
                log.warning("could not revoke the refused token: %s", exc.response.get("error"))
        return None


def only_allowed(allowed: frozenset[str]) -> Middleware:
    """Bolt's before-authorize middleware: a request from a workspace not allowed is dropped
    (200, nothing said) before its token is even looked up."""

    async def middleware(
        context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        if not is_allowed(allowed, context.team_id, context.enterprise_id):
            log.warning(
                "dropped a request from %s: not in SLACK_ALLOWED_WORKSPACES",
                context.team_id or context.enterprise_id,
            )
            return BoltResponse(status=200, body="")
        await next_()
        return None

    return middleware


async def in_its_workspace(context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]) -> None:
    """Bolt middleware: the rest of the request (and the work it starts) is its workspace's,
    answered through Bolt's client for it (with that workspace's bot token)."""
    enter(workspace_key(context.team_id, context.enterprise_id))
    if context.client is not None:
        serve_with(context.client)
    await next_()
