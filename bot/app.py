"""The composition root: the one place that knows every concrete class and wires them together."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

import handlers
from bot.clock import SystemClock
from bot.domain.ports import Clock
from bot.domain.walks import GuideService
from bot.guide import guide_variables, load_guide
from bot.settings import Settings
from bot.tasks import TaskTracker
from bot.web import create_web_app
from handlers.deps import Deps
from handlers.reply import Replier
from storage.engine import create_engine, ping, session_factory
from storage.migrate import migrate
from storage.repositories import SqlEventLedger, SqlWalkRepository

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """A built bot: its Bolt app, its web app and what must be closed on shutdown."""

    settings: Settings
    engine: AsyncEngine
    http: aiohttp.ClientSession
    bolt: AsyncApp
    web: web.Application
    deps: Deps
    tasks: TaskTracker = field(default_factory=TaskTracker)

    async def close(self, drain_timeout: float = 10.0) -> None:
        """Finish background work, then release connections."""
        await self.tasks.drain(drain_timeout)
        await self.tasks.cancel_all()
        await self.http.close()
        await self.engine.dispose()


async def connect_socket_mode(runtime: Runtime, app_token: str) -> AsyncSocketModeHandler:
    """Connect to Slack over Socket Mode (returns once connected; close with close_async)."""
    handler = AsyncSocketModeHandler(runtime.bolt, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    return handler


def retry_handlers() -> list[AsyncRetryHandler]:
    """Retries for connection errors and 429 (honouring Retry-After); 5xx is not retried blindly."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
    ]


async def build_runtime(
    settings: Settings, clock: Clock | None = None, *, run_migrations: bool = True
) -> Runtime:
    """Load the guide, open storage, migrate, and wire the Slack app and the web app."""
    clock = clock or SystemClock()
    guide = load_guide(settings.guide_file, guide_variables(settings))
    engine = create_engine(settings.database_url)
    if run_migrations:
        revision = await migrate(engine)
        log.info("database schema at revision %s", revision)
    sessions = session_factory(engine)
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    handlers_for_retries = retry_handlers()
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = AsyncWebClient(
        token=token,
        base_url=str(settings.slack_api_url),
        session=http,
        retry_handlers=handlers_for_retries,
        timeout=15,
    )
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    bolt_log = logging.getLogger("slack_bolt.app")
    # Bolt warns that SLACK_BOT_TOKEN in the environment is unused when a client is given: it is
    # the same token, so the warning would only confuse an operator.
    bolt_log.setLevel(logging.ERROR)
    bolt = AsyncApp(
        client=client,
        token=None,
        signing_secret=signing_secret or "unused-in-socket-mode",
        request_verification_enabled=False,
        process_before_response=True,
        logger=bolt_log,
    )
    bolt_log.setLevel(logging.NOTSET)
    tasks = TaskTracker()
    deps = Deps(
        guide=GuideService(guide, SqlWalkRepository(sessions), clock),
        events=SqlEventLedger(sessions),
        replier=Replier(client, handlers_for_retries),
        tasks=tasks,
        clock=clock,
    )
    handlers.register(bolt, deps)

    async def database_ok() -> bool:
        return await ping(engine)

    web_app = create_web_app(bolt, signing_secret, database_ok)
    return Runtime(settings, engine, http, bolt, web_app, deps, tasks)
