"""`mfa-helpdesk serve` as its own process with Slack's and Teams' settings: one port answers
both, and a Teams request is decided in Teams and carried out once in Entra ID."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from storage.engine import create_engine, session_factory
from storage.helpdesk import SqlRequestRepository
from tests.conftest import FixedClock
from tests.driver import SIGNING_SECRET, SlackDriver
from tests.fakes.graph import FakeGraph
from tests.fakes.slack import FakeSlack
from tests.fakes.teams import APP_ID, APP_PASSWORD, DESK_CHANNEL, TENANT_ID, FakeTeams
from tests.processes import until_healthy
from tests.scenario.teams_flows import ADMIN, ADMIN2, EMPLOYEE, PEOPLE, approve, request
from tests.teams_driver import TeamsDriver

ROOT = str(Path(__file__).resolve().parents[2])

pytestmark = [
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    pytest.mark.timeout(90),
]


class QuietWait:
    """Settling for a bot in another process: nothing new reached the fakes for a moment."""

    fakes: tuple[Any, ...] = ()

    async def settle(self) -> None:
        seen, quiet_since = -1, time.monotonic()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            now_seen = sum(
                len(fake.calls if hasattr(fake, "calls") else fake.requests) for fake in self.fakes
            )
            if now_seen != seen:
                seen, quiet_since = now_seen, time.monotonic()
            elif time.monotonic() - quiet_since > 0.5:
                return
            await asyncio.sleep(0.05)


class ProcessTeams(QuietWait, TeamsDriver):
    """The Teams driver for a bot in another process."""


class ProcessSlack(QuietWait, SlackDriver):
    """The Slack driver for a bot in another process."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def served(
    database_url: str,
    fake_slack: FakeSlack,
    fake_teams: FakeTeams,
    graph_directory: FakeGraph,
    tmp_path: Path,
) -> AsyncIterator[tuple[ProcessSlack, ProcessTeams]]:
    """The bot as `serve` runs it, with both front ends; a driver for each."""
    graph_directory.add_user(EMPLOYEE.email, object_id=EMPLOYEE.aad)
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": ROOT,
        "HOME": str(tmp_path),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url,
        "HELPDESK_CHANNEL": "C0DESK",
        "IT_ADMIN_USERS": "UADMIN1",
        "TEAMS_APP_ID": APP_ID,
        "TEAMS_APP_PASSWORD": APP_PASSWORD,
        "TEAMS_TENANT_ID": TENANT_ID,
        "TEAMS_HELPDESK_CHANNEL": DESK_CHANNEL,
        "TEAMS_IT_ADMINS": f"{ADMIN.aad},{ADMIN2.aad}",
        "TEAMS_OPENID_METADATA_URL": fake_teams.metadata_url,
        "TEAMS_LOGIN_URL": fake_teams.login_url,
        "STEPUP_REQUIRED": "false",
        "IDENTITY_PROVIDER": "entra",
        "ENTRA_TENANT_ID": graph_directory.tenant,
        "ENTRA_CLIENT_ID": "app-1",
        "ENTRA_CLIENT_SECRET": graph_directory.secret,
        "ENTRA_LOGIN_URL": graph_directory.origin,
        "ENTRA_GRAPH_URL": f"{graph_directory.origin}/v1.0",
    }
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", env=env, cwd=str(tmp_path), stdout=out, stderr=out
        )
    origin = f"http://127.0.0.1:{port}"

    async def describe() -> str:
        return log.read_text()

    try:
        await until_healthy(origin, process, describe)
        async with aiohttp.ClientSession() as http:
            slack = ProcessSlack(f"{origin}/slack/events", fake_slack, None, http)  # type: ignore[arg-type]
            teams = ProcessTeams(f"{origin}/api/messages", fake_teams, None, http)  # type: ignore[arg-type]
            slack.fakes = teams.fakes = (fake_slack, fake_teams, graph_directory)
            yield slack, teams
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
    assert "Traceback" not in log.read_text(), log.read_text()


async def test_one_serve_process_answers_slack_and_teams_and_decides_a_teams_request(
    served: tuple[ProcessSlack, ProcessTeams], graph_directory: FakeGraph, database_url: str
) -> None:
    slack, teams = served
    reply, menu = await slack.command()
    assert reply.status == 200
    assert menu is not None
    await teams.install_in_team(ADMIN)
    for person in PEOPLE:
        await teams.install(person)
    card = await request(teams)
    assert "Request #1" in card.all_text()
    await approve(teams, card)
    await teams.settle()
    ada = graph_directory.users[EMPLOYEE.aad]
    assert [m["@odata.type"].rsplit(".", 1)[-1] for m in ada.methods] == [
        "passwordAuthenticationMethod"
    ]
    assert ada.sessions_revoked == 1
    engine = create_engine(database_url)
    try:
        repo = SqlRequestRepository(session_factory(engine))
        entries = await repo.audit_since(FixedClock().now().replace(year=2000))
    finally:
        await engine.dispose()
    events = [(e.event, e.actor_id) for e in entries]
    assert events.count(("request.approved", ADMIN.aad)) == 1
    assert [e for e, _ in events].count("action.done") == 2  # app passwords: by hand in Entra
    assert teams.fake.tokens_issued == 1
    assert teams.fake.reads == {"metadata": 1, "keys": 1}
