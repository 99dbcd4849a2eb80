"""Two replicas on one database post a request's card once, whoever took its claim over."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text as sql

from bot.app import Runtime, build_runtime
from bot.domain.helpdesk import ANNOUNCE_LEASE
from bot.settings import Settings
from bot.tasks import Lane
from handlers.ids import ActionId, FieldId
from tests.conftest import FixedClock
from tests.driver import SlackDriver
from tests.scenario.test_helpdesk import DESK, GUID, _to_contact_it, bot_env

__all__ = ["bot_env"]  # the help desk of the scenario tests

FORM = {
    FieldId.LOST: "yes",
    FieldId.REMAINING: "none",
    FieldId.CORRELATION: GUID,
    FieldId.CONTACT: "+1 555 0101",
}


@pytest.fixture
def other_clock(clock: FixedClock) -> FixedClock:
    """The second replica's clock (moved on by the tests, so that a claim looks stale to it)."""
    return FixedClock(clock.now())


@pytest.fixture
async def other(bot_env: dict[str, Any], other_clock: FixedClock) -> AsyncIterator[Runtime]:
    """A second replica of the bot on the same database and the same Slack."""
    built = await build_runtime(Settings(_env_file=None, **bot_env), other_clock)  # type: ignore[call-arg]
    yield built
    await built.close()


def _cards(slack: SlackDriver) -> list[str]:
    """The ts of every request card posted to the help-desk channel."""
    return [
        call.params.get("text", "")
        for call in slack.fake.calls_to("chat.postMessage")
        if call.params.get("channel") == DESK and not call.params.get("thread_ts")
    ]


async def _stored(slack: SlackDriver) -> tuple[Any, Any]:
    async with slack.runtime.engine.connect() as conn:
        row = (
            await conn.execute(sql("SELECT announce_owner, message_ts FROM help_requests"))
        ).one()
    return row[0], row[1]


async def _to_form(slack: SlackDriver) -> dict[str, Any]:
    step = await _to_contact_it(slack)
    await slack.click(step, ActionId.CONTACT_IT)
    await slack.settle()
    return slack.opened_view()


async def test_a_card_posting_that_starts_after_a_takeover_leaves_it_to_the_other_replica(
    slack: SlackDriver, other: Runtime, other_clock: FixedClock
) -> None:
    view = await _to_form(slack)
    # This replica's lane for cards is busy: the new request's card waits its turn.
    busy = asyncio.Event()
    for _ in range(64):  # more than the lane runs at once
        slack.runtime.tasks.spawn(busy.wait(), "busy", Lane.BULK)
    reply = await slack.submit(view, FORM)
    assert reply.status == 200
    # Past the lease, the other replica's housekeeping takes the claim over and posts the card.
    other_clock.advance(seconds=ANNOUNCE_LEASE.total_seconds() + 10)
    await other.housekeeping_once()
    assert len(_cards(slack)) == 1
    _, ts = await _stored(slack)
    busy.set()
    await slack.settle()  # this replica's card posting runs at last
    assert len(_cards(slack)) == 1
    owner, stored_ts = await _stored(slack)
    assert stored_ts == ts
    assert owner.startswith(f"{other.deps.helpdesk.lease_holder}:")  # type: ignore[union-attr]


async def test_a_card_posting_whose_claim_is_taken_over_midway_posts_nothing(
    slack: SlackDriver, other: Runtime, other_clock: FixedClock
) -> None:
    view = await _to_form(slack)
    slack.fake.hold("users.info")  # Slack hangs while this replica reads the profile
    asked = len(slack.fake.calls_to("users.info"))
    reply = await slack.submit(view, FORM)
    assert reply.status == 200
    deadline = time.monotonic() + 10
    while len(slack.fake.calls_to("users.info")) == asked:
        assert time.monotonic() < deadline, "the card's posting did not start"
        await asyncio.sleep(0.05)
    other_clock.advance(seconds=ANNOUNCE_LEASE.total_seconds() + 10)
    takeover = asyncio.create_task(other.housekeeping_once())
    # The other replica has claimed the card once its own profile read is in flight.
    while len(slack.fake.calls_to("users.info")) < asked + 2:
        assert time.monotonic() < deadline, "the other replica did not take the claim over"
        await asyncio.sleep(0.05)
    slack.fake.release()
    await takeover
    await slack.settle()
    assert len(_cards(slack)) == 1
    owner, ts = await _stored(slack)
    assert owner.startswith(f"{other.deps.helpdesk.lease_holder}:")  # type: ignore[union-attr]
    assert ts is not None
