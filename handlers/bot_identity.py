"""Who the bot is in Slack (auth.test), learnt once at start-up, and Bolt's authorize from it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import SettingError

log = logging.getLogger(__name__)

FIRST_WAIT_S = 1.0
LONGEST_WAIT_S = 30.0


class BotIdentity:
    """The bot user, bot and workspace the token belongs to; Bolt authorizes every request with it.

    Bolt's single-workspace authorization calls auth.test on the first request instead, so that
    request waited on Slack (5 s with a slow Slack, past its 3 s limit).
    """

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._known: AuthorizeResult | None = None
        self._lock = asyncio.Lock()

    @property
    def known(self) -> AuthorizeResult | None:
        """What auth.test said, once it has answered."""
        return self._known

    async def resolve(
        self, first_wait_s: float = FIRST_WAIT_S, longest_wait_s: float = LONGEST_WAIT_S
    ) -> AuthorizeResult:
        """Ask auth.test until Slack answers (waiting longer each time it cannot be reached).

        Raises SettingError naming SLACK_BOT_TOKEN when Slack answers that the token is no good.
        """
        async with self._lock:
            wait = first_wait_s
            while self._known is None:
                try:
                    answer = await self._client.auth_test()
                except SlackApiError as exc:
                    status = exc.response.status_code
                    if status != 429 and status < 500:
                        error = exc.response.get("error") or f"HTTP {status}"
                        raise SettingError(
                            "SLACK_BOT_TOKEN", f"was refused by Slack's auth.test ({error})"
                        ) from None
                    reason = f"HTTP {status}"
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    reason = type(exc).__name__
                else:
                    self._known = AuthorizeResult.from_auth_test_response(
                        bot_token=self._client.token,
                        bot_scopes=answer.headers.get("x-oauth-scopes"),
                        auth_test_response=answer,
                    )
                    log.info(
                        "signed in to Slack as bot user %s in workspace %s",
                        self._known.bot_user_id,
                        self._known.team_id,
                    )
                    break
                log.warning(
                    "Slack is not answering auth.test at %s (%s): trying again in %.0f s",
                    self._client.base_url,
                    reason,
                    wait,
                )
                await asyncio.sleep(wait)
                wait = min(wait * 2, longest_wait_s)
        return self._known

    async def authorize(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        """Bolt's authorize: the bot's identity (asked now only if start-up did not)."""
        known = self._known or await self.resolve()
        return AuthorizeResult(
            enterprise_id=known.enterprise_id or enterprise_id,
            team_id=known.team_id or team_id,
            team=known.team,
            url=known.url,
            bot_user_id=known.bot_user_id,
            bot_id=known.bot_id,
            bot_token=known.bot_token,
            bot_scopes=known.bot_scopes,
            user_id=user_id,
        )

    def for_bolt(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """`authorize` as Bolt takes it: a function whose parameter names Bolt fills in."""

        async def authorize(
            enterprise_id: str | None, team_id: str | None, user_id: str | None
        ) -> AuthorizeResult:
            return await self.authorize(enterprise_id, team_id, user_id)

        return authorize
