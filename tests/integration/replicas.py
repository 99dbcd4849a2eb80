"""Replicas of the bot as processes of their own, on one database, for the multi-replica tests:
start them, drive them with signed requests, and read what they left in the database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aiohttp
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import Runtime
from tests.driver import SIGNING_SECRET, SlackDriver
from tests.fakes.graph import FakeGraph
from tests.fakes.slack import FakeSlack
from tests.processes import until_healthy
from tests.scenario.test_helpdesk import ADMIN, DESK

LEASE_S = 3
SHUTDOWN_S = 2
ROOT = str(Path(__file__).resolve().parents[2])
REVOKE = r"/revokeSignInSessions$"


@dataclass
class Replica:
    """One `mfa-helpdesk serve` process."""

    name: str
    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def driver(self, fake: FakeSlack, http: aiohttp.ClientSession) -> ProcessDriver:
        """A Slack driver that sends to this replica."""
        return ProcessDriver(f"{self.url}/slack/events", fake, cast(Runtime, None), http)


class ProcessDriver(SlackDriver):
    """The Slack driver for a bot in another process: settles when Slack has heard nothing
    new from it for a moment."""

    async def settle(self) -> None:
        seen, quiet_since = -1, time.monotonic()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if len(self.fake.calls) != seen:
                seen, quiet_since = len(self.fake.calls), time.monotonic()
            elif time.monotonic() - quiet_since > 0.5:
                return
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def replica_starter(
    database_url: str, fake_slack: FakeSlack, graph: FakeGraph, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[Replica]]]:
    """Start replicas of the bot with the Graph adapter (each once /healthz answers; settings
    as keywords); all are killed at the end."""
    started: list[Replica] = []
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": ROOT,
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url,
        "DATABASE_URL": database_url,
        "HELPDESK_CHANNEL": DESK,
        "IT_ADMIN_USERS": ADMIN,
        "STEPUP_REQUIRED": "false",
        "IDENTITY_PROVIDER": "entra",
        "ENTRA_TENANT_ID": graph.tenant,
        "ENTRA_CLIENT_ID": "app-1",
        "ENTRA_CLIENT_SECRET": graph.secret,
        "ENTRA_LOGIN_URL": graph.origin,
        "ENTRA_GRAPH_URL": f"{graph.origin}/v1.0",
        "ACTION_LEASE": f"{LEASE_S}s",
        "SHUTDOWN_TIMEOUT": f"{SHUTDOWN_S}s",
        "HOST": "127.0.0.1",
        # Posts unspaced: these tests are about the actions (test_posting_burst paces posts).
        "HELPDESK_POST_INTERVAL": "0",
    }

    async def start(name: str, **settings: str) -> Replica:
        port = free_port()
        log = tmp_path / f"{name}.log"
        with log.open("w") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "serve",
                env={**env, **settings, "PORT": str(port)},
                cwd=str(tmp_path),
                stdout=out,
                stderr=out,
            )
        replica = Replica(name, process, port, log)
        started.append(replica)

        async def describe() -> str:
            return replica.log.read_text()

        await until_healthy(replica.url, replica.process, describe)
        return replica

    try:
        yield start
    finally:
        for replica in started:
            if replica.process.returncode is None:
                replica.process.kill()
                await replica.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until(check: Callable[[], Awaitable[bool]], limit_s: float, what: str) -> float:
    """Seconds until `check` holds (AssertionError after `limit_s`)."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}: not within {limit_s} s")


def revokes(graph: FakeGraph) -> int:
    """How many revokeSignInSessions calls the fake Graph received."""
    return sum(1 for verb, path in graph.requests if verb == "POST" and path.endswith("Sessions"))


async def actions(engine: AsyncEngine) -> list[dict[str, Any]]:
    """Every action row, in order."""
    async with engine.connect() as conn:
        rows = await conn.execute(sql("SELECT * FROM request_actions ORDER BY id"))
        return [dict(row) for row in rows.mappings()]


async def events(engine: AsyncEngine) -> list[tuple[str, dict[str, Any]]]:
    """Every audit line's event and detail, in order."""
    async with engine.connect() as conn:
        rows = await conn.execute(sql("SELECT event, detail FROM audit_log ORDER BY id"))
        return [(event, detail or {}) for event, detail in rows]
