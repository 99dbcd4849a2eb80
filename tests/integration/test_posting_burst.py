"""300 requests in a burst, spread over two `mfa-helpdesk serve` processes on one PostgreSQL
database, against a Slack that takes one post per second per channel: every card reaches the
help-desk channel once, in request order, and every employee is told at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from tests.fakes.graph import FakeGraph
from tests.fakes.slack import FakeSlack
from tests.integration.replicas import Replica
from tests.integration.test_replicas import replicas
from tests.scenario.test_posting_queue import (
    cards,
    check_burst,
    confirmations,
    employees,
    send_forms,
    until_cards,
)

__all__ = ["replicas"]  # the process replicas, used here as they are

REQUESTS = 300
SLACK_INTERVAL_S = 1.0  # Slack's limit, and the bot's default HELPDESK_POST_INTERVAL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
    pytest.mark.timeout(900),
]


async def test_300_requests_reach_the_channel_once_each_in_order_at_slack_s_pace(
    replicas: Callable[..., Awaitable[Replica]], fake_slack: FakeSlack, graph: FakeGraph
) -> None:
    fake_slack.limit_posts(SLACK_INTERVAL_S)
    users = employees(fake_slack, REQUESTS)
    for user in users:
        graph.add_user(f"{user.lower()}@example.com")
    pace = {"HELPDESK_POST_INTERVAL": str(SLACK_INTERVAL_S)}  # the default, as deployed
    first, second = await replicas("first", **pace), await replicas("second", **pace)
    async with aiohttp.ClientSession() as http:
        drivers = [replica.driver(fake_slack, http) for replica in (first, second)]
        started = time.monotonic()
        await send_forms(drivers, users)
        sent_s = time.monotonic() - started
        await until_cards(fake_slack, REQUESTS, 800)
    took_s = time.monotonic() - started
    told_s = max(times[0] for times in confirmations(fake_slack).values()) - started
    check_burst(fake_slack, users, SLACK_INTERVAL_S)
    assert first.process.returncode is None
    assert second.process.returncode is None
    print(  # noqa: T201 - the figure docs/deploy.md gives (shown with pytest -s)
        f"{REQUESTS} requests sent in {sent_s:.1f} s; every employee told within {told_s:.1f} s;"
        f" {REQUESTS} cards posted in {took_s:.1f} s; {len(fake_slack.too_soon)} post(s)"
        " refused for coming too soon"
    )
    assert len(cards(fake_slack)) == REQUESTS
    await asyncio.sleep(2 * SLACK_INTERVAL_S)  # nothing more comes: none posted twice
    assert len(cards(fake_slack)) == REQUESTS
