"""Fixtures for the Teams scenarios: the fake Microsoft side, the bot with Teams settings (alone or
beside Slack) served on loopback, and a driver that plays Teams for it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app import Runtime, build_runtime
from bot.settings import Settings
from tests.conftest import FixedClock
from tests.driver import SlackDriver
from tests.fakes.slack import FakeSlack
from tests.fakes.teams import (
    APP_ID,
    APP_PASSWORD,
    DESK_CHANNEL,
    TENANT_ID,
    FakeTeams,
    Tripwire,
)
from tests.scenario.teams_flows import ADMIN, ADMIN2, ADMIN3, PEOPLE
from tests.teams_driver import TeamsDriver

# Teams settings in the environment would reach every bot built here: start from none.
for _name in list(os.environ):
    if _name.upper().startswith("TEAMS_"):
        del os.environ[_name]

MESSAGES_PATH = "/api/messages"


@pytest.fixture
async def fake_teams() -> AsyncIterator[FakeTeams]:
    """Microsoft's side of Teams; the test fails on any card Teams would not render or any call
    the Bot Connector does not know."""
    fake = FakeTeams()
    await fake.start()
    for person in PEOPLE:
        fake.add_user(person.aad, person.name, person.email)
    yield fake
    await fake.stop()
    assert fake.violations == [], fake.violations


@pytest.fixture
async def tripwire() -> AsyncIterator[Tripwire]:
    """A server that a service URL from an unauthenticated request names; nothing may call it."""
    wire = Tripwire()
    await wire.start()
    yield wire
    await wire.stop()


@pytest.fixture
def teams_env(fake_teams: FakeTeams, database_url: str) -> dict[str, Any]:
    """Settings for the bot serving Teams only; a test may change them before `teams` starts."""
    return {
        "teams_app_id": APP_ID,
        "teams_app_password": APP_PASSWORD,
        "teams_tenant_id": TENANT_ID,
        "teams_helpdesk_channel": DESK_CHANNEL,
        "teams_it_admins": f"{ADMIN.aad},{ADMIN2.aad},{ADMIN3.aad}",
        "teams_openid_metadata_url": fake_teams.metadata_url,
        "teams_login_url": fake_teams.login_url,
        "database_url": database_url,
        "it_contact": "call 555-0100 or mail it@example.com",
        "identity_provider": "demo",
        "stepup_required": False,  # the step-up tests turn it on, with a key
        "teams_post_interval": 0,  # the fake Bot Connector takes posts as fast as they come
    }


@pytest.fixture
async def teams_runtime(teams_env: dict[str, Any], clock: FixedClock) -> AsyncIterator[Runtime]:
    """The bot with Teams settings, built as `serve` builds it."""
    built = await build_runtime(Settings(_env_file=None, **teams_env), clock)  # type: ignore[call-arg]
    yield built
    await built.close()


@contextlib.asynccontextmanager
async def listening(runtime: Runtime) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    """Serve a built bot on a loopback port; its origin and a client session."""
    runner = web.AppRunner(runtime.web, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as http:
            yield f"http://127.0.0.1:{port}", http
    finally:
        await runner.cleanup()


@pytest.fixture
async def teams(teams_runtime: Runtime, fake_teams: FakeTeams) -> AsyncIterator[TeamsDriver]:
    """The bot serving Teams on loopback, and a driver that plays Teams for it. The app is
    installed in the help-desk team and in each person's personal chat before the test."""
    async with listening(teams_runtime) as (origin, http):
        driver = TeamsDriver(origin + MESSAGES_PATH, fake_teams, teams_runtime, http)
        yield driver
        await driver.settle()
    assert teams_runtime.tasks.failures == 0, "a background task failed (see the log)"


@pytest.fixture
async def installed(teams: TeamsDriver) -> TeamsDriver:
    """`teams` with the app added to the help-desk team and to everyone's personal chat."""
    reply = await teams.install_in_team(ADMIN)
    assert reply.status in (200, 201, 202), reply
    for person in PEOPLE:
        reply = await teams.install(person)
        assert reply.status in (200, 201, 202), reply
    return teams


@dataclass
class Both:
    """One bot process serving Slack and Teams, and a driver for each."""

    slack: SlackDriver
    teams: TeamsDriver
    runtime: Runtime


@pytest.fixture
def both_env(bot_env: dict[str, Any], teams_env: dict[str, Any]) -> dict[str, Any]:
    """Slack's and Teams' settings together, each with its help-desk channel."""
    return {**bot_env, **teams_env, "helpdesk_channel": "C0DESK", "it_admin_users": "UADMIN1"}


@pytest.fixture
async def both(
    both_env: dict[str, Any], clock: FixedClock, fake_slack: FakeSlack, fake_teams: FakeTeams
) -> AsyncIterator[Both]:
    """The bot serving Slack and Teams from one process and one port."""
    runtime = await build_runtime(Settings(_env_file=None, **both_env), clock)  # type: ignore[call-arg]
    try:
        async with listening(runtime) as (origin, http):
            slack = SlackDriver(f"{origin}/slack/events", fake_slack, runtime, http)
            teams = TeamsDriver(origin + MESSAGES_PATH, fake_teams, runtime, http)
            yield Both(slack, teams, runtime)
            await teams.settle()
        assert runtime.tasks.failures == 0, "a background task failed (see the log)"
    finally:
        await runtime.close()
