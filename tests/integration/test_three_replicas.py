"""Three replicas on one PostgreSQL database, with requests spread across them: concurrent
approvals run each action once, a replica killed mid-call leaves its work to the others, an
Events API retry sent elsewhere gets no second reply, and a SIGTERM during a burst loses
nothing."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.ids import ActionId, FieldId
from tests.driver import Reply, Screen, SlackDriver
from tests.fakes.graph import FakeGraph
from tests.fakes.slack import FakeSlack
from tests.integration.replicas import (
    LEASE_S,
    REVOKE,
    SHUTDOWN_S,
    Replica,
    actions,
    events,
    revokes,
    until,
)
from tests.integration.test_replicas import engine, replicas
from tests.scenario.test_helpdesk import ADMIN, DESK, _is_card, _to_contact_it

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
    pytest.mark.timeout(240),
]

FORM = {FieldId.LOST: "yes", FieldId.REMAINING: "none", FieldId.CONTACT: "+1 555 0101"}
MENTION = re.compile(r"<@(U\w+)>")
_NUMBERS = itertools.count(100)


__all__ = ["engine", "replicas"]  # the two-replica tests' fixtures, used here as they are


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _people(fake_slack: FakeSlack, graph: FakeGraph, count: int) -> list[str]:
    """`count` employees, each in Slack and in the directory."""
    users = []
    for n in itertools.islice(_NUMBERS, count):
        fake_slack.add_user(f"U{n}", f"Person {n}", f"p{n}@example.com")
        graph.add_user(f"p{n}@example.com")
        users.append(f"U{n}")
    return users


async def _form(driver: SlackDriver) -> dict[str, Any]:
    """The contact form with every question, as the bot shows it to someone who came to it
    without a walk (U1 opens it, then sends it unanswered), for anyone to send."""
    step = await _to_contact_it(driver)
    reply, _ = await driver.click(step, ActionId.CONTACT_IT)
    assert reply.status == 200
    await driver.settle()
    unwalked = {**driver.opened_view(), "private_metadata": json.dumps({"topic_id": "lost-phone"})}
    answer = await driver.submit(unwalked, {})
    assert answer.json()["response_action"] == "update", answer.body
    shown: dict[str, Any] = answer.json()["view"]
    assert {FieldId.LOST, FieldId.REMAINING} <= {b.get("block_id") for b in shown["blocks"]}
    return shown


async def _ask(drivers: list[SlackDriver], form: dict[str, Any], users: list[str]) -> None:
    """Each person sends the form, to the replicas in turn, all at once."""
    replies = await asyncio.gather(
        *(drivers[n % len(drivers)].submit(form, FORM, user=user) for n, user in enumerate(users))
    )
    assert all(reply.status == 200 for reply in replies), replies


def _cards(fake: FakeSlack) -> dict[str, list[Screen]]:
    """The request cards in the help-desk channel, by requester (as an admin sees them)."""
    cards: dict[str, list[Screen]] = {}
    for (channel, ts), message in sorted(fake.messages.items()):
        if channel == DESK and not message.get("thread_ts") and _is_card(message.get("blocks")):
            screen = Screen(message["blocks"], message["text"], ADMIN, channel, False, ts)
            found = MENTION.search(screen.all_text())
            assert found, screen.all_text()
            cards.setdefault(found.group(1), []).append(screen)
    return cards


async def _carded(fake: FakeSlack, users: list[str], limit_s: float = 30) -> dict[str, Screen]:
    """Once every one of `users` has a card: their cards."""

    async def all_there() -> bool:
        return set(users) <= set(_cards(fake))

    try:
        await until(all_there, limit_s, "not every request reached the help-desk channel")
    except AssertionError as exc:
        missing = sorted(set(users) - set(_cards(fake)))
        raise AssertionError(f"{exc}; no card for {missing}") from None
    return {user: cards[-1] for user, cards in _cards(fake).items() if user in users}


async def _approve(
    drivers: list[SlackDriver], cards: dict[str, Screen], start: int = 0
) -> list[Reply]:
    """An admin approves every card's session revoke, the clicks spread across the replicas
    and sent all at once."""
    clicks = [
        drivers[(start + n) % len(drivers)].click(
            card, ActionId.APPROVE, user=ADMIN, selected=["revoke_sessions"]
        )
        for n, card in enumerate(cards.values())
    ]
    return [reply for reply, _ in await asyncio.gather(*clicks)]


def _notes(fake: FakeSlack, user: str) -> list[str]:
    """The messages in the employee's DM about their request: the note that it went to IT
    (kept up to date), then what was done."""
    texts = (
        Screen(m["blocks"], m["text"], user, c, False).all_text()
        for (c, _), m in fake.messages.items()
        if c == "D" + user[1:]
    )
    return [text for text in texts if re.search(r"Your request #\d+", text)]


def _revoked(graph: FakeGraph, users: list[str]) -> list[int]:
    """How often each person's sessions were revoked at the directory."""
    by_mail = {person.mail: person for person in graph.users.values()}
    return [by_mail[f"p{user[1:]}@example.com"].sessions_revoked for user in users]


async def _all_done(engine: AsyncEngine, count: int, limit_s: float) -> float:
    """Seconds until `count` actions are done, and their requests with them."""

    async def done() -> bool:
        rows = await actions(engine)
        if len(rows) != count or any(row["status"] != "done" for row in rows):
            return False
        async with engine.connect() as conn:
            statuses = await conn.scalars(
                sql("SELECT DISTINCT status FROM help_requests WHERE id = ANY(:ids)"),
                {"ids": [row["request_id"] for row in rows]},
            )
            return list(statuses) == ["done"]

    return await until(done, limit_s, "the actions and their requests were not all done")


Sending = Callable[[SlackDriver], Awaitable[Reply]]


async def _balanced(drivers: list[SlackDriver], n: int, sent: Sending) -> Reply:
    """As a load balancer would: to the replicas in turn, past one that refuses."""
    for turn in range(len(drivers)):
        try:
            reply = await sent(drivers[(n + turn) % len(drivers)])
        except aiohttp.ClientError:
            continue
        if reply.status < 500:
            return reply
    raise AssertionError(f"no replica took request {n}")


def _submitting(form: dict[str, Any], user: str) -> Sending:
    return lambda driver: driver.submit(form, FORM, user=user)


def _approving(card: Screen) -> Sending:
    async def click(driver: SlackDriver) -> Reply:
        reply, _ = await driver.click(
            card, ActionId.APPROVE, user=ADMIN, selected=["revoke_sessions"]
        )
        return reply

    return click


@contextlib.asynccontextmanager
async def _peak_connections(engine: AsyncEngine) -> AsyncIterator[list[int]]:
    """The most connections others held to the database at once while the block ran."""
    peak = [0]

    async def sample() -> None:
        async with engine.connect() as conn:
            while True:
                count = await conn.scalar(
                    sql(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                peak[0] = max(peak[0], int(count or 0))
                await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    try:
        yield peak
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler


def _holder(row: dict[str, Any]) -> str:
    return str(row["lease_owner"]).split(":")[0]


async def test_fifty_requests_approved_at_once_on_three_replicas_run_each_action_once(
    replicas: Callable[..., Awaitable[Replica]],
    fake_slack: FakeSlack,
    graph: FakeGraph,
    engine: AsyncEngine,
    http: aiohttp.ClientSession,
) -> None:
    pool = {"DATABASE_POOL_SIZE": "4", "DATABASE_MAX_OVERFLOW": "2"}  # six connections each
    three = [await replicas(name, **pool) for name in ("a", "b", "c")]
    drivers: list[SlackDriver] = [replica.driver(fake_slack, http) for replica in three]
    people = _people(fake_slack, graph, 50)
    async with _peak_connections(engine) as peak:
        await _ask(drivers, await _form(drivers[0]), people)
        cards = await _carded(fake_slack, people)
        assert all(len(mine) == 1 for mine in _cards(fake_slack).values())

        began = time.monotonic()
        replies = await _approve(drivers, cards)
        assert all(reply.status == 200 for reply in replies), replies
        took = await _all_done(engine, 50, 60)
    # The replicas' pools were never exceeded (the test's own checks hold one more connection).
    assert peak[0] <= 3 * 6 + 1, peak

    # What the directory received: one revoke per request, each person's sessions once.
    assert revokes(graph) == 50
    assert _revoked(graph, people) == [1] * 50
    audit = Counter(event for event, _ in await events(engine))
    assert (audit["action.done"], audit["request.done"], audit["request.approved"]) == (50, 50, 50)
    rows = await actions(engine)
    assert all(row["attempts"] == 1 for row in rows)
    by_holder = Counter(_holder(row) for row in rows)
    print(  # noqa: T201
        f"50 actions in {took:.1f} s, by replica: {sorted(by_holder.values())}, "
        f"at most {peak[0]} connections"
    )
    assert len(by_holder) >= 2, by_holder  # the work was shared
    # Every employee's note on the request says it is done, and they were told of the reset once.
    # (A replica slow to finish may tell of the approval first, in a message of its own.)
    for user in people:
        notes = _notes(fake_slack, user)
        sent = [text for text in notes if "went to IT" in text or "is with IT" in text]
        done = [text for text in notes if "is done: IT approved it and made the changes" in text]
        assert len(sent) == 1, notes  # confirmed once, that note kept up to date
        assert "went to IT. Now: done." in sent[0].replace("*", ""), notes
        assert len(done) == 1, notes
    print(f"approvals to all done: {time.monotonic() - began:.1f} s")  # noqa: T201


async def test_retries_falling_due_together_are_shared_by_the_replicas_workers_once_each(
    replicas: Callable[..., Awaitable[Replica]],
    fake_slack: FakeSlack,
    graph: FakeGraph,
    engine: AsyncEngine,
    http: aiohttp.ClientSession,
) -> None:
    three = [await replicas(name) for name in ("a", "b", "c")]
    drivers: list[SlackDriver] = [replica.driver(fake_slack, http) for replica in three]
    people = _people(fake_slack, graph, 30)
    await _ask(drivers, await _form(drivers[0]), people)
    cards = await _carded(fake_slack, people)
    # Every first try is throttled: all thirty fall due again a second later, when the three
    # replicas' workers (each looking every second) claim them side by side.
    graph.fail("POST", REVOKE, 429, times=30, **{"Retry-After": "1"})
    await _approve(drivers, cards)
    await _all_done(engine, 30, 60)

    assert _revoked(graph, people) == [1] * 30
    assert revokes(graph) == 60
    audit = Counter(event for event, _ in await events(engine))
    assert (audit["action.retry_scheduled"], audit["action.done"]) == (30, 30)
    rows = await actions(engine)
    assert sum(row["attempts"] for row in rows) == 60
    by_holder = Counter(_holder(row) for row in rows)
    print(f"retries by replica: {sorted(by_holder.values())}")  # noqa: T201
    assert len(by_holder) >= 2, by_holder


async def test_a_replica_killed_mid_call_leaves_its_actions_to_the_others_once(
    replicas: Callable[..., Awaitable[Replica]],
    fake_slack: FakeSlack,
    graph: FakeGraph,
    engine: AsyncEngine,
    http: aiohttp.ClientSession,
) -> None:
    graph.slow("POST", REVOKE, 120, times=4)  # the first four calls hang until the test ends
    doomed = await replicas("doomed")
    doomed_driver = doomed.driver(fake_slack, http)
    form = await _form(doomed_driver)
    first = _people(fake_slack, graph, 4)
    await _ask([doomed_driver], form, first)
    await _approve([doomed_driver], await _carded(fake_slack, first))

    async def in_flight() -> bool:
        return revokes(graph) == 4

    await until(in_flight, 20, "the four revoke calls were not made")
    held = await actions(engine)
    assert {(row["status"], _holder(row)) for row in held} == {("running", _holder(held[0]))}
    dead_holder = _holder(held[0])

    # Two more replicas join and take work of their own while the first is stuck.
    others = [await replicas("b"), await replicas("c")]
    drivers: list[SlackDriver] = [replica.driver(fake_slack, http) for replica in others]
    second = _people(fake_slack, graph, 4)
    await _ask(drivers, form, second)
    await _approve(drivers, await _carded(fake_slack, second))

    doomed.process.kill()  # SIGKILL in the middle of four calls: nothing is handed back
    await doomed.process.wait()
    took = await _all_done(engine, 8, LEASE_S + 20)

    audit = [event for event, _ in await events(engine)]
    assert "action.released" not in audit
    assert audit.count("action.done") == 8
    assert _revoked(graph, first + second) == [1] * 8  # the four hung calls never landed
    assert revokes(graph) == 12
    rows = {row["id"]: row for row in await actions(engine)}
    for row in held:
        taken = rows[row["id"]]
        assert (taken["attempts"], taken["status"]) == (2, "done")
        assert _holder(taken) != dead_holder
    print(f"all done {took:.1f} s after the kill, lease {LEASE_S} s")  # noqa: T201


async def test_an_event_retried_or_replayed_to_another_replica_gets_no_second_reply(
    replicas: Callable[..., Awaitable[Replica]],
    fake_slack: FakeSlack,
    http: aiohttp.ClientSession,
) -> None:
    three = [await replicas(name) for name in ("a", "b", "c")]
    a, b, c = (replica.driver(fake_slack, http) for replica in three)
    event = {
        "type": "message",
        "channel": "D1",
        "channel_type": "im",
        "user": "U1",
        "text": "hello",
        "ts": "2.0",
        "team": "T0TEAM",
    }
    first = await a.event(event, event_id="Ev0REPLICA1")
    await a.settle()
    retry = await b.event(event, event_id="Ev0REPLICA1", retry_num=1)
    replay = await c.event(event, event_id="Ev0REPLICA1")
    # The same event delivered to two replicas at the same moment: one of them replies.
    raced = await asyncio.gather(
        b.event({**event, "ts": "3.0"}, event_id="Ev0REPLICA2"),
        c.event({**event, "ts": "3.0"}, event_id="Ev0REPLICA2", retry_num=1),
    )
    await a.settle()
    assert [r.status for r in (first, retry, replay, *raced)] == [200] * 5
    replies = fake_slack.calls_to("chat.postMessage")
    assert [call.params["channel"] for call in replies] == ["D1", "D1"]


async def test_sigterm_during_a_burst_loses_no_request_and_runs_each_action_once(
    replicas: Callable[..., Awaitable[Replica]],
    fake_slack: FakeSlack,
    graph: FakeGraph,
    engine: AsyncEngine,
    http: aiohttp.ClientSession,
) -> None:
    three = [await replicas(name) for name in ("a", "b", "c")]  # SHUTDOWN_TIMEOUT 2 s
    drivers: list[SlackDriver] = [replica.driver(fake_slack, http) for replica in three]
    form = await _form(drivers[0])
    waiting = _people(fake_slack, graph, 10)
    await _ask(drivers, form, waiting)
    cards = await _carded(fake_slack, waiting)
    # The approved actions are mid-call at SIGTERM, and a call outlasts the shutdown's wait.
    graph.slow("POST", REVOKE, 2 * SHUTDOWN_S, times=10)
    burst = _people(fake_slack, graph, 30)

    work = [_submitting(form, user) for user in burst]
    for n, card in enumerate(cards.values()):
        work.insert(n * 4, _approving(card))  # to each replica in turn

    async def paced(n: int, sent: Sending) -> Reply:
        await asyncio.sleep(n * 0.05)  # a burst over two seconds, the SIGTERM in its middle
        return await _balanced(drivers, n, sent)

    async def stop_first() -> None:
        await asyncio.sleep(0.8)
        three[0].process.send_signal(signal.SIGTERM)

    *replies, _ = await asyncio.gather(
        *(paced(n, sent) for n, sent in enumerate(work)), stop_first()
    )
    assert all(reply.status == 200 for reply in replies), replies
    assert await asyncio.wait_for(three[0].process.wait(), 20) == 0, three[0].log.read_text()

    # Every request sent in the burst has its card, once, and its note to the employee.
    await _carded(fake_slack, burst, limit_s=90)
    assert all(len(_cards(fake_slack)[user]) == 1 for user in burst)

    async def noted() -> bool:
        return all(len(_notes(fake_slack, user)) == 1 for user in burst)  # nothing approved

    await until(noted, 30, "not every employee was told, once, of their request")
    # Every approved action ran once.
    await _all_done(engine, 10, 60)
    assert _revoked(graph, waiting) == [1] * 10
    audit = Counter(event for event, _ in await events(engine))
    assert audit["action.done"] == 10
    # A call cut short by the shutdown changed nothing, and its action was made again elsewhere.
    assert revokes(graph) == 10 + audit["action.released"]
    print(f"released at SIGTERM: {audit['action.released']} action(s)")  # noqa: T201
