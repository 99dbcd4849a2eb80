"""A burst of requests against Slack's posting limit: every card posted once, in request order,
every employee told at once, and a 429 holding off every replica for its Retry-After."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from typing import Any

import pytest
from sqlalchemy import text as sql

from bot.app import Runtime
from bot.domain.helpdesk import ANNOUNCE_LEASE
from bot.guide import load_guide
from handlers.blocks.helpdesk import build_contact_modal
from handlers.ids import ActionId, FieldId
from tests.conftest import FixedClock
from tests.driver import SlackDriver, submission
from tests.fakes.slack import FakeSlack
from tests.scenario.test_announce_claim import other, other_clock
from tests.scenario.test_helpdesk import ADMIN, DESK, _request, _thread, second_replica
from tests.scenario.test_helpdesk import bot_env as helpdesk_env

# The second replica, and one whose clock the tests move on: used here as they are.
__all__ = ["other", "other_clock", "second_replica"]

INTERVAL_S = 0.25  # Slack's one post a second, shortened for the test (the bot told the same)
FORM = "application/x-www-form-urlencoded"
VALUES = {FieldId.LOST: "no", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"}
CARD_TITLE = re.compile(r"^Request #(\d+):")

bot_env = helpdesk_env


@pytest.fixture(autouse=True)
def limited(bot_env: dict[str, Any], fake_slack: FakeSlack) -> None:
    """Slack enforcing one post per INTERVAL_S per channel, and the bot told so."""
    fake_slack.limit_posts(INTERVAL_S)
    bot_env["helpdesk_post_interval"] = INTERVAL_S


def employees(fake: FakeSlack, count: int) -> list[str]:
    """`count` people Slack knows, each about to ask IT."""
    users = [f"U{1000 + n}" for n in range(count)]
    for user in users:
        fake.add_user(user, f"Person {user}", f"{user.lower()}@example.com")
    return users


async def send_forms(drivers: list[SlackDriver], users: list[str], at_once: int = 16) -> None:
    """Each person sends the contact form, spread over the replicas, `at_once` at a time; each
    is acked with the request's number."""
    view = build_contact_modal(load_guide(), "lost-phone", None).to_dict()
    gate = asyncio.Semaphore(at_once)

    async def send(n: int, user: str) -> None:
        async with gate:
            reply = await drivers[n % len(drivers)].post(submission(view, VALUES, user=user), FORM)
        assert reply.status == 200, reply
        assert reply.json()["response_action"] == "update", reply.body

    await asyncio.gather(*(send(n, user) for n, user in enumerate(users)))


def cards(fake: FakeSlack) -> list[tuple[int, float]]:
    """The request cards in the help-desk channel, in the order Slack took them: (request
    number, when the post arrived)."""
    found = []
    for (channel, ts), message in fake.messages.items():
        title = CARD_TITLE.match(message.get("text", ""))
        if channel == DESK and not message.get("thread_ts") and title:
            found.append((fake.posted_at[(channel, ts)], int(title.group(1))))
    return [(number, at) for at, number in sorted(found)]


def confirmations(fake: FakeSlack) -> dict[str, list[float]]:
    """Each employee's "Your request #N is with IT" DMs: when each arrived."""
    told: dict[str, list[float]] = {}
    for (channel, ts), message in fake.messages.items():
        if channel.startswith("D") and re.match(r"Your request #\d+ is with IT", message["text"]):
            told.setdefault("U" + channel[1:], []).append(fake.posted_at[(channel, ts)])
    return told


async def until_cards(fake: FakeSlack, count: int, limit_s: float) -> None:
    """Wait until `count` cards are in the channel (AssertionError after `limit_s`)."""
    deadline = time.monotonic() + limit_s
    while len(cards(fake)) < count:
        assert time.monotonic() < deadline, f"{len(cards(fake))} of {count} cards posted"
        await asyncio.sleep(0.1)


def check_burst(fake: FakeSlack, users: list[str], interval_s: float = INTERVAL_S) -> None:
    """All cards once, in request order; everyone told once, before the cards caught up."""
    posted = cards(fake)
    assert [number for number, _ in posted] == list(range(1, len(users) + 1))
    assert len({ts for (channel, ts) in fake.messages if channel == DESK}) == len(users)
    told = confirmations(fake)
    assert sorted(told) == sorted(users)
    assert all(len(times) == 1 for times in told.values()), "someone was told twice"
    last_told = max(times[0] for times in told.values())
    # The employees were all told while the channel was still busy with the cards.
    assert last_told < posted[-1][1]
    assert sum(1 for _, at in posted if at <= last_told) < len(users) // 2
    accepted = [at for _, at in posted]
    assert all(b - a >= interval_s for a, b in itertools.pairwise(accepted))


async def test_a_burst_posts_every_card_once_in_order_and_tells_everyone_at_once(
    slack: SlackDriver, second_replica: SlackDriver, fake_slack: FakeSlack
) -> None:
    users = employees(fake_slack, 16)
    started = time.monotonic()
    await send_forms([slack, second_replica], users)
    await until_cards(fake_slack, len(users), 30)
    took = time.monotonic() - started
    check_burst(fake_slack, users)
    # Paced, not hammering: Slack refused few posts for coming too soon.
    assert len(fake_slack.too_soon) <= 2, [c.params.get("channel") for c in fake_slack.too_soon]
    assert took >= (len(users) - 1) * INTERVAL_S


async def test_a_429_holds_every_replica_off_the_channel_for_its_retry_after(
    slack: SlackDriver, second_replica: SlackDriver, fake_slack: FakeSlack
) -> None:
    first = await _request(slack)  # request #1, its card posted
    fake_slack.fail_next("chat.postMessage", 429, retry_after=3, channel=DESK)
    calls_before = len(fake_slack.calls)
    [user] = employees(fake_slack, 1)
    await send_forms([slack], [user])  # request #2: its card meets the 429
    deadline = time.monotonic() + 5
    while not (refused := _desk_posts(fake_slack, calls_before)):
        assert time.monotonic() < deadline, "the second card was not tried"
        await asyncio.sleep(0.02)
    refused_at = refused[0].at
    # Meanwhile an admin approves request #1 on the other replica: its thread notes wait too.
    reply, _ = await second_replica.click(first, ActionId.APPROVE, user=ADMIN)
    assert reply.status == 200
    assert time.monotonic() < refused_at + 3, "the click came too late to test anything"
    await until_cards(fake_slack, 2, 15)
    deadline = time.monotonic() + 15
    while len(_thread(slack)) < 2:  # approved, done
        assert time.monotonic() < deadline, _thread(slack)
        await asyncio.sleep(0.05)
    later = _desk_posts(fake_slack, calls_before)[1:]
    assert len(later) >= 3  # the card again, and the two thread notes
    assert all(call.at >= refused_at + 3 for call in later), [
        round(call.at - refused_at, 3) for call in later
    ]
    assert [number for number, _ in cards(fake_slack)] == [1, 2]
    await asyncio.gather(slack.settle(), second_replica.settle())


def _desk_posts(fake: FakeSlack, since: int) -> list[Any]:
    """The posts to the help-desk channel among the calls after the first `since`."""
    return [
        call
        for call in fake.calls[since:]
        if call.method == "chat.postMessage" and call.params.get("channel") == DESK
    ]


async def test_a_replica_hung_past_its_turn_leaves_the_cards_to_the_one_that_took_over(
    slack: SlackDriver, other: Runtime, other_clock: FixedClock, fake_slack: FakeSlack
) -> None:
    users = employees(fake_slack, 3)
    fake_slack.hold("users.info")  # Slack hangs while this replica reads the first profile
    await send_forms([slack], users)
    deadline = time.monotonic() + 10
    while not fake_slack.calls_to("users.info"):
        assert time.monotonic() < deadline, "the first card's posting did not start"
        await asyncio.sleep(0.05)
    # Past the turn's lease (by the other replica's clock) its housekeeping takes the queue over.
    other_clock.advance(seconds=ANNOUNCE_LEASE.total_seconds() + 10)
    takeover = asyncio.create_task(other.housekeeping_once())
    while len(fake_slack.calls_to("users.info")) < 2:
        assert time.monotonic() < deadline, "the other replica did not take the queue over"
        await asyncio.sleep(0.05)
    fake_slack.release()
    await takeover
    await slack.settle()
    assert [number for number, _ in cards(fake_slack)] == [1, 2, 3]
    assert len([key for key in fake_slack.messages if key[0] == DESK]) == 3
    async with slack.runtime.engine.connect() as conn:
        owners = (await conn.execute(sql("SELECT announce_owner FROM help_requests"))).scalars()
        assert {owner.split(":")[0] for owner in owners} == {other.deps.helpdesk.lease_holder}  # type: ignore[union-attr]
