"""Fixtures: databases (SQLite and PostgreSQL), the fakes of Slack, Graph and Okta, and the bot
running over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text

from bot.app import Runtime, build_runtime
from bot.settings import Settings
from storage.engine import create_engine
from storage.models import Base
from tests.driver import SIGNING_SECRET, SlackDriver
from tests.fakes.graph import FakeGraph
from tests.fakes.okta import FakeOkta
from tests.fakes.slack import FakeSlack

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"

# The bot reads its settings from the environment: start every test from a clean one.
for _name in list(os.environ):
    if _name.upper().startswith(("SLACK_", "HELPDESK_", "IT_", "STEPUP_", "GUIDE_", "DATABASE_")):
        del os.environ[_name]
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(_name, None)


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 27, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def _postgres_database() -> Iterator[str | None]:
    import asyncpg

    admin_dsn = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    name = f"mfa_test_{uuid.uuid4().hex[:10]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(run(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        reason = f"PostgreSQL not reachable at {admin_dsn}: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(reason + " (REQUIRE_POSTGRES=1)", pytrace=False)
        yield None
        return
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test run, or None when no server answers."""
    yield from _postgres_database()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None
) -> AsyncIterator[str]:
    """The same test on SQLite and on PostgreSQL (emptied before each test)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    if postgres_url is None:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}; set TEST_POSTGRES_URL")
    engine = create_engine(postgres_url)
    try:
        async with engine.begin() as conn:
            tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
            exists = await conn.scalar(text("SELECT to_regclass('public.walks') IS NOT NULL"))
            if exists:
                # The audit log refuses TRUNCATE (migration 0006); as superuser, the test skips
                # the triggers for this one transaction.
                await conn.execute(text("SET LOCAL session_replication_role = replica"))
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()
    yield postgres_url


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """The fake Web API; the test fails on any broken Block Kit rule or unknown method."""
    fake = FakeSlack()
    await fake.start()
    fake.add_user("U1", "Ada Lovelace", "ada@example.com")
    yield fake
    await fake.stop()
    assert fake.violations == [], fake.violations


@pytest.fixture
async def graph_directory() -> AsyncIterator[FakeGraph]:
    """A fake Microsoft Graph on loopback with nobody in its directory."""
    fake = FakeGraph()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def graph(graph_directory: FakeGraph) -> FakeGraph:
    """The fake Graph with the employee U1 (ada@example.com) in its directory."""
    graph_directory.add_user("ada@example.com")
    return graph_directory


@pytest.fixture
async def okta_directory() -> AsyncIterator[FakeOkta]:
    """A fake Okta on loopback with nobody in its directory."""
    fake = FakeOkta()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def okta(okta_directory: FakeOkta) -> FakeOkta:
    """The fake Okta with the employee U1 (ada@example.com) in its directory."""
    okta_directory.add_user("ada@example.com")
    return okta_directory


@pytest.fixture
def clock() -> FixedClock:
    """The bot's clock."""
    return FixedClock()


@pytest.fixture
def bot_env(fake_slack: FakeSlack, database_url: str) -> dict[str, Any]:
    """Settings for the bot under test; a test may change them before `slack` starts the bot."""
    return {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake_slack.base_url,
        "database_url": database_url,
        "it_contact": "call 555-0100 or mail it@example.com",
        "stepup_required": False,  # the step-up tests turn it on, with a key
        # The fake Slack takes posts as fast as they come unless a test limits them (and sets
        # this): no spacing, so that the tests do not wait a second per post.
        "helpdesk_post_interval": 0,
        "teams_post_interval": 0,
    }


@pytest.fixture
async def runtime(bot_env: dict[str, Any], clock: FixedClock) -> AsyncIterator[Runtime]:
    """The bot, built as `serve` builds it."""
    built = await build_runtime(Settings(_env_file=None, **bot_env), clock)  # type: ignore[call-arg]
    yield built
    await built.close()


@contextlib.asynccontextmanager
async def serving(runtime: Runtime, fake: FakeSlack) -> AsyncIterator[SlackDriver]:
    """Serve a built bot on a loopback port; a driver that plays Slack for it."""
    runner = web.AppRunner(runtime.web, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as http:
            driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", fake, runtime, http)
            yield driver
            await driver.settle()
    finally:
        await runner.cleanup()


@pytest.fixture
async def slack(runtime: Runtime, fake_slack: FakeSlack) -> AsyncIterator[SlackDriver]:
    """The bot listening on loopback, and a driver that plays Slack for it."""
    async with serving(runtime, fake_slack) as driver:
        yield driver
    assert runtime.tasks.failures == 0, "a background task failed (see the log)"
