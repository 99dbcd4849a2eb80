"""Two replicas on one PostgreSQL database: leases renewed during slow calls, handed back on
SIGTERM, and taken over after a short lease when a replica is killed."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.ids import ActionId
from storage.engine import create_engine
from tests.fakes.graph import FakeGraph
from tests.fakes.slack import FakeSlack
from tests.integration.replicas import (
    LEASE_S,
    REVOKE,
    Replica,
    actions,
    events,
    replica_starter,
    revokes,
    until,
)
from tests.scenario.test_helpdesk import ADMIN, _card, _request

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
    pytest.mark.timeout(120),
]


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    built = create_engine(database_url)
    yield built
    await built.dispose()


@pytest.fixture
async def replicas(
    database_url: str, fake_slack: FakeSlack, graph: FakeGraph, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[Replica]]]:
    """Start replicas of the bot (settings as keywords); all are killed at the end."""
    async with replica_starter(database_url, fake_slack, graph, tmp_path) as start:
        yield start


async def _approve_on(replica: Replica, fake: FakeSlack, action: str) -> None:
    """The employee asks and an admin approves, both through this replica."""
    async with aiohttp.ClientSession() as http:
        driver = replica.driver(fake, http)
        card = await _request(driver)
        reply, _ = await driver.click(card, ActionId.APPROVE, user=ADMIN, selected=[action])
        assert reply.status == 200
        assert _card(driver).text


async def _action(engine: AsyncEngine) -> dict[str, Any]:
    [row] = await actions(engine)
    return row


async def _in_flight(graph: FakeGraph, engine: AsyncEngine) -> str:
    """Wait until the revoke call is in flight; the lease holder of the replica making it."""

    async def started() -> bool:
        return revokes(graph) == 1

    await until(started, 20, "the revoke call was not made")
    row = await _action(engine)
    assert row["status"] == "running"
    return str(row["lease_owner"]).split(":")[0]


async def test_a_long_call_keeps_its_lease_and_sigterm_hands_it_to_the_other_replica(
    replicas: Callable[..., Awaitable[Replica]],
    fake_slack: FakeSlack,
    graph: FakeGraph,
    engine: AsyncEngine,
) -> None:
    graph.slow("POST", REVOKE, 60)  # hangs far beyond the lease
    first = await replicas("first")
    second = await replicas("second")
    await _approve_on(first, fake_slack, "revoke_sessions")
    holder = await _in_flight(graph, engine)

    # Twice the lease later the call still runs and its lease is still the first replica's:
    # renewed, so the second replica never started the action a second time.
    await asyncio.sleep(2 * LEASE_S)
    row = await _action(engine)
    assert (row["status"], str(row["lease_owner"]).split(":")[0]) == ("running", holder)
    assert revokes(graph) == 1

    first.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(first.process.wait(), 20) == 0, first.log.read_text()
    stopped = time.monotonic()

    async def done() -> bool:
        return (await _action(engine))["status"] == "done"

    await until(done, 10, "the second replica did not finish the action")
    took = time.monotonic() - stopped
    audit = await events(engine)
    assert ("action.released", {"holder": holder, "action": "revoke_sessions"}) in audit
    assert [e for e, _ in audit].count("action.done") == 1
    assert next(iter(graph.users.values())).sessions_revoked == 1  # the first call never landed
    assert revokes(graph) == 2
    row = await _action(engine)
    assert str(row["done_by"] or "") == ""
    assert row["attempts"] == 1  # the handed-back try did not count
    assert second.process.returncode is None
    print(f"taken over {took:.1f} s after the first replica stopped")  # noqa: T201
    assert took < 5


async def test_a_killed_replicas_action_is_taken_over_after_the_short_lease(
    replicas: Callable[..., Awaitable[Replica]],
    fake_slack: FakeSlack,
    graph: FakeGraph,
    engine: AsyncEngine,
) -> None:
    graph.slow("POST", REVOKE, 60)
    first = await replicas("first")
    await replicas("second")
    await _approve_on(first, fake_slack, "revoke_sessions")
    holder = await _in_flight(graph, engine)
    first.process.kill()  # SIGKILL: nothing is handed back
    await first.process.wait()
    killed = time.monotonic()

    async def done() -> bool:
        return (await _action(engine))["status"] == "done"

    await until(done, LEASE_S + 10, "the second replica did not take the action over")
    took = time.monotonic() - killed
    audit = await events(engine)
    assert "action.released" not in [e for e, _ in audit]
    assert [e for e, _ in audit].count("action.done") == 1
    assert next(iter(graph.users.values())).sessions_revoked == 1
    assert holder
    print(f"taken over {took:.1f} s after the first replica was killed")  # noqa: T201
    assert took < LEASE_S + 3


async def test_sigterm_stops_claiming_at_once_while_requests_in_flight_drain(
    replicas: Callable[..., Awaitable[Replica]],
    fake_slack: FakeSlack,
    graph: FakeGraph,
    engine: AsyncEngine,
) -> None:
    graph.fail("POST", REVOKE, 503, **{"Retry-After": "2"})  # tried again 2 s later
    shutdown_s = 8
    replica = await replicas("only", SHUTDOWN_TIMEOUT=f"{shutdown_s}s")
    await _approve_on(replica, fake_slack, "revoke_sessions")

    async def scheduled() -> bool:
        return "action.retry_scheduled" in [e for e, _ in await events(engine)]

    await until(scheduled, 10, "the first try did not fail")
    # A client that sent its headers but not all of its body keeps a request in flight, which
    # the web server waits for at shutdown.
    _, slow = await asyncio.open_connection("127.0.0.1", replica.port)
    slow.write(
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{"
    )
    await slow.drain()
    await asyncio.sleep(0.2)
    replica.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(replica.process.wait(), shutdown_s + 2)
    finally:
        slow.close()
    took = time.monotonic() - signalled
    # The retry fell due while the request drained: this replica left it to the others.
    assert revokes(graph) == 1, replica.log.read_text()
    row = await _action(engine)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    print(f"stopped {took:.1f} s after SIGTERM, SHUTDOWN_TIMEOUT {shutdown_s} s")  # noqa: T201
    assert replica.process.returncode == 0, replica.log.read_text()
    assert took < shutdown_s + 1
