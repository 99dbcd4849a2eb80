"""The bot's outbound tokens: client credentials at TEAMS_LOGIN_URL, cached until near expiry."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiohttp
from azure.core.credentials import AccessToken
from azure.core.credentials_async import AsyncTokenCredential
from microsoft_agents.hosting.core.authorization import (
    AccessTokenProviderBase,
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ConnectionManager,
)

from bot.domain.ports import Clock

log = logging.getLogger(__name__)

BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
# A token is renewed this long before it runs out, so a call never carries one that expires on
# the way; a short-lived one is still kept for at least the floor.
RENEW_BEFORE = timedelta(minutes=5)
KEEP_AT_LEAST = timedelta(seconds=30)
CALL_TIMEOUT_S = 30
SERVICE_CONNECTION = "SERVICE_CONNECTION"


class TokenError(Exception):
    """No token: the sign-in endpoint refused the credentials or did not answer."""


@dataclass(frozen=True)
class AppCredentials:
    """A single-tenant app registration and where it signs in."""

    login_url: str
    tenant_id: str
    client_id: str
    client_secret: str


class ClientCredentials:
    """Tokens of one app registration by the client-credentials grant, one cached per scope."""

    def __init__(self, app: AppCredentials, http: aiohttp.ClientSession, clock: Clock) -> None:
        self._app = app
        self._http = http
        self._clock = clock
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._lock = asyncio.Lock()

    @property
    def client_id(self) -> str:
        """The app's ID (its client ID)."""
        return self._app.client_id

    async def token(self, scope: str, *, refresh: bool = False) -> str:
        """A token for `scope` (`.../.default`); TokenError when none can be had."""
        return (await self.token_until(scope, refresh=refresh))[0]

    async def token_until(self, scope: str, *, refresh: bool = False) -> tuple[str, datetime]:
        """A token for `scope` and when it stops being used; TokenError when none can be had."""
        async with self._lock:  # one request at a time: concurrent turns share its answer
            cached = self._tokens.get(scope)
            if cached is not None and not refresh and self._clock.now() < cached[1]:
                return cached
            token, lifetime = await self._request(scope)
            keep = max(lifetime - RENEW_BEFORE, KEEP_AT_LEAST)
            self._tokens[scope] = (token, self._clock.now() + keep)
            return self._tokens[scope]

    async def _request(self, scope: str) -> tuple[str, timedelta]:
        """POST {login}/{tenant}/oauth2/v2.0/token; the token and how long it lives."""
        app = self._app
        url = f"{app.login_url.rstrip('/')}/{quote(app.tenant_id, safe='')}/oauth2/v2.0/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "scope": scope,
        }
        try:
            async with self._http.post(
                url,
                data=form,
                timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT_S),
                allow_redirects=False,
            ) as response:
                status = response.status
                body = await _json(response)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TokenError(f"the sign-in endpoint did not answer ({type(exc).__name__})") from exc
        token = body.get("access_token")
        if status != 200 or not isinstance(token, str) or not token:
            # error_description carries an AADSTS code an admin can look up; never a secret.
            why = f"{body.get('error', status)} {str(body.get('error_description', ''))[:200]}"
            raise TokenError(f"the sign-in endpoint refused app {app.client_id}: {why.strip()}")
        try:
            seconds = int(body.get("expires_in", 3599))
        except (TypeError, ValueError):
            seconds = 3599
        return token, timedelta(seconds=seconds)


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return {}
    return body if isinstance(body, dict) else {}


class BotTokens(AccessTokenProviderBase):
    """The Agents SDK's token provider for the bot, over our client-credentials requests.

    The SDK's MSAL provider needs an https authority and asks Microsoft for instance discovery;
    this one speaks the same grant to TEAMS_LOGIN_URL, so the path the tests take is the real one.
    """

    def __init__(self, credentials: ClientCredentials, configuration: AgentAuthConfiguration):
        self._credentials = credentials
        self._configuration = configuration

    @property
    def configuration(self) -> AgentAuthConfiguration:
        """The connection's settings, as the SDK reads them (the app and tenant IDs)."""
        return self._configuration

    async def get_access_token(
        self, resource_url: str, scopes: list[str], force_refresh: bool = False
    ) -> str:
        """A token for the first scope asked (the resource's `.default` when none is)."""
        scope = scopes[0] if scopes else f"{resource_url.rstrip('/')}/.default"
        return await self._credentials.token(scope, refresh=force_refresh)

    def get_token_credential(self) -> AsyncTokenCredential:
        """The same tokens as an Azure credential (what the SDK's Graph helpers take)."""
        return _Credential(self._credentials)

    # A bot of one tenant with app-only tokens: no user sign-in, no agentic identities.

    async def acquire_token_on_behalf_of(self, scopes: list[str], user_assertion: str) -> str:
        """Not offered: the bot never acts as a signed-in person."""
        raise NotImplementedError("the bot uses app-only tokens")

    async def get_agentic_application_token(
        self, tenant_id: str, agent_app_instance_id: str
    ) -> str | None:
        """Not offered: the bot is not an agentic identity."""
        raise NotImplementedError("the bot is not an agentic identity")

    async def get_agentic_instance_token(
        self, tenant_id: str, agent_app_instance_id: str
    ) -> tuple[str, str]:
        """Not offered: the bot is not an agentic identity."""
        raise NotImplementedError("the bot is not an agentic identity")

    async def get_agentic_user_token(
        self, tenant_id: str, agent_app_instance_id: str, agentic_user_id: str, scopes: list[str]
    ) -> str | None:
        """Not offered: the bot is not an agentic identity."""
        raise NotImplementedError("the bot is not an agentic identity")


class _Credential(AsyncTokenCredential):
    """Our tokens behind Azure's credential protocol."""

    def __init__(self, credentials: ClientCredentials) -> None:
        self._credentials = credentials

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """A token for the first scope, with the time it stops being used."""
        scope = scopes[0] if scopes else BOT_FRAMEWORK_SCOPE
        token, until = await self._credentials.token_until(scope)
        return AccessToken(token, int(until.timestamp()))

    async def close(self) -> None:
        """Nothing to release: the HTTP session is the runtime's."""

    async def __aenter__(self) -> _Credential:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        return None


def connection_manager(provider: AccessTokenProviderBase | None) -> ConnectionManager:
    """The SDK's connections: ours as the service connection; None is anonymous (no token)."""
    if provider is None:
        configuration = AgentAuthConfiguration(anonymous_allowed=True)
        anonymous = AnonymousTokenProvider()
        return ConnectionManager(
            lambda _config: anonymous,
            connections_configurations={SERVICE_CONNECTION: configuration},
        )
    return ConnectionManager(
        lambda _config: provider,
        connections_configurations={SERVICE_CONNECTION: provider.configuration},
    )
