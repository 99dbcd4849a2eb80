"""Background work: each lane's limit holds, waiting work runs in order, failures are logged."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from bot import correlation
from bot.tasks import Lane, TaskTracker


class Gate:
    """Work that records when it starts and finishes, and waits until it is let through."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.started_at: dict[str, float] = {}
        self.finished: list[str] = []
        self.running = 0
        self.most_at_once = 0
        self.open = asyncio.Event()
        self.changed = asyncio.Event()

    async def work(self, name: str, error: BaseException | None = None) -> None:
        self.started.append(name)
        self.started_at[name] = asyncio.get_running_loop().time()
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await self.open.wait()
            if error is not None:
                raise error
            self.finished.append(name)
        finally:
            self.running -= 1
            self.changed.set()

    async def until_finished(self, count: int) -> None:
        while len(self.finished) < count:
            self.changed.clear()
            await self.changed.wait()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_lane_runs_no_more_than_its_limit_and_the_rest_in_order() -> None:
    tracker = TaskTracker(interactive_limit=2, bulk_limit=1)
    gate = Gate()
    for index in range(5):
        tracker.spawn(gate.work(f"reply-{index}"), name=f"reply-{index}")
    await _settle()

    assert gate.started == ["reply-0", "reply-1"]
    assert tracker.pending == 5

    gate.open.set()
    await tracker.drain(limit_s=5)

    assert gate.finished == [f"reply-{index}" for index in range(5)]
    assert gate.most_at_once == 2
    assert tracker.pending == 0


async def test_a_full_bulk_lane_does_not_hold_back_interactive_work() -> None:
    tracker = TaskTracker(interactive_limit=2, bulk_limit=1)
    bulk, interactive = Gate(), Gate()
    tracker.spawn(bulk.work("card-0"), name="card-0", lane=Lane.BULK)
    tracker.spawn(bulk.work("card-1"), name="card-1", lane=Lane.BULK)
    interactive.open.set()
    tracker.spawn(interactive.work("reply-0"), name="reply-0")
    await _settle()

    assert interactive.finished == ["reply-0"]
    assert bulk.started == ["card-0"]
    assert tracker.pending == 2

    bulk.open.set()
    await tracker.drain(limit_s=5)
    assert bulk.finished == ["card-0", "card-1"]


async def test_notices_waiting_on_a_mail_server_do_not_hold_back_cards() -> None:
    tracker = TaskTracker(bulk_limit=1, notice_limit=2)
    notices, cards = Gate(), Gate()
    for index in range(3):
        tracker.spawn(notices.work(f"notice-{index}"), name=f"notice-{index}", lane=Lane.NOTICE)
    cards.open.set()
    tracker.spawn(cards.work("card-0"), name="card-0", lane=Lane.BULK)
    await _settle()

    assert cards.finished == ["card-0"]
    assert notices.started == ["notice-0", "notice-1"]  # the notice lane's limit holds
    notices.open.set()
    await tracker.drain(limit_s=5)
    assert notices.finished == ["notice-0", "notice-1", "notice-2"]


async def test_a_failure_is_counted_and_logged_and_the_next_work_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tracker = TaskTracker(interactive_limit=1)
    gate = Gate()
    gate.open.set()
    tracker.spawn(gate.work("post", ConnectionError("slack is down")), name="post-card")
    tracker.spawn(gate.work("notice"), name="notice")

    with caplog.at_level(logging.ERROR, logger="bot.tasks"):
        await tracker.drain(limit_s=5)

    assert tracker.failures == 1
    assert gate.finished == ["notice"]
    (record,) = caplog.records
    assert record.getMessage() == (
        "background task post-card failed: ConnectionError: slack is down"
    )
    assert record.exc_info is None  # an outside service's failure: one line, no traceback


async def test_an_unexpected_failure_is_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tracker = TaskTracker()
    gate = Gate()
    gate.open.set()
    tracker.spawn(gate.work("post", KeyError("channel")), name="post-card")

    with caplog.at_level(logging.ERROR, logger="bot.tasks"):
        await tracker.drain(limit_s=5)

    (record,) = caplog.records
    assert record.exc_info is not None
    assert record.exc_info[0] is KeyError


async def test_drain_waits_for_work_that_was_waiting_when_it_began() -> None:
    tracker = TaskTracker(interactive_limit=1)
    gate = Gate()
    for index in range(3):
        tracker.spawn(gate.work(f"reply-{index}"), name=f"reply-{index}")
    asyncio.get_running_loop().call_later(0.01, gate.open.set)

    await tracker.drain(limit_s=5)

    assert gate.finished == ["reply-0", "reply-1", "reply-2"]


async def test_drain_gives_up_after_its_limit() -> None:
    tracker = TaskTracker(interactive_limit=1)
    gate = Gate()
    tracker.spawn(gate.work("stuck"), name="stuck")
    tracker.spawn(gate.work("behind"), name="behind")

    await tracker.drain(limit_s=0.05)

    assert tracker.pending == 2
    await tracker.cancel_all()


async def test_cancel_all_stops_what_runs_and_drops_what_waits_without_a_warning() -> None:
    tracker = TaskTracker(interactive_limit=1, bulk_limit=1)
    gate = Gate()
    tracker.spawn(gate.work("running"), name="running")
    tracker.spawn(gate.work("waiting"), name="waiting")
    tracker.spawn(gate.work("bulk"), name="bulk", lane=Lane.BULK)
    tracker.spawn(gate.work("bulk-waiting"), name="bulk-waiting", lane=Lane.BULK)
    await _settle()

    await tracker.cancel_all()
    gc.collect()  # a never-awaited coroutine would warn here, and warnings are errors

    assert gate.started == ["running", "bulk"]
    assert gate.finished == []
    assert gate.running == 0
    assert tracker.pending == 0
    assert tracker.failures == 0


async def test_work_spawned_in_a_burst_waits_for_a_quiet_moment() -> None:
    tracker = TaskTracker(quiet_s=0.03, max_wait_s=60)
    gate = Gate()
    gate.open.set()
    loop = asyncio.get_running_loop()
    tracker.request_arrived()
    spawned = loop.time()
    tracker.spawn(gate.work("reply"), name="reply")
    await asyncio.sleep(0.01)
    tracker.request_arrived()  # the burst goes on
    last_request = loop.time()
    await _settle()
    assert gate.started == []
    assert tracker.pending == 1

    await asyncio.wait_for(gate.until_finished(1), timeout=5)

    assert gate.started_at["reply"] - last_request >= 0.029
    assert gate.started_at["reply"] - spawned < 5


async def test_work_that_has_waited_its_limit_starts_though_requests_keep_coming() -> None:
    tracker = TaskTracker(interactive_limit=2, quiet_s=60, max_wait_s=0.05)
    gate = Gate()
    gate.open.set()
    loop = asyncio.get_running_loop()
    tracker.request_arrived()  # with quiet_s of a minute, every moment here is busy
    spawned = {"reply-0": loop.time()}
    tracker.spawn(gate.work("reply-0"), name="reply-0")
    await asyncio.sleep(0.03)
    spawned["reply-1"] = loop.time()
    tracker.spawn(gate.work("reply-1"), name="reply-1")

    await asyncio.wait_for(gate.until_finished(2), timeout=5)

    assert gate.finished == ["reply-0", "reply-1"]
    for name, since in spawned.items():
        assert gate.started_at[name] - since >= 0.049, name  # each waited its own limit


async def test_drain_starts_waiting_work_at_once_even_in_a_burst() -> None:
    tracker = TaskTracker(quiet_s=60, max_wait_s=60)
    gate = Gate()
    gate.open.set()
    tracker.request_arrived()
    tracker.spawn(gate.work("reply"), name="reply")

    await tracker.drain(limit_s=1)

    assert gate.finished == ["reply"]
    assert tracker.pending == 0


async def test_cancel_all_drops_work_waiting_for_a_quiet_moment() -> None:
    tracker = TaskTracker(quiet_s=60, max_wait_s=60)
    gate = Gate()
    tracker.request_arrived()
    tracker.spawn(gate.work("reply"), name="reply")

    await tracker.cancel_all()
    gc.collect()

    assert gate.started == []
    assert tracker.pending == 0


async def test_waiting_work_runs_in_its_spawners_context_not_the_one_that_freed_its_turn() -> None:
    tracker = TaskTracker(interactive_limit=1)
    gate = Gate()
    seen: dict[str, str | None] = {}

    async def noted(name: str) -> None:
        seen[name] = correlation.correlation_id()
        await gate.work(name)

    for name in ("first", "second", "third"):
        correlation.begin(f"request-{name}")
        tracker.spawn(noted(name), name)
    correlation.begin("the test itself")
    await _settle()
    assert tracker.pending_by_lane() == {"interactive": 3, "bulk": 0, "notice": 0}
    gate.open.set()
    await gate.until_finished(3)
    # Each started from the done callback of the one before it, yet under its own request's id.
    assert seen == {name: f"request-{name}" for name in ("first", "second", "third")}
    await _settle()
    assert tracker.pending_by_lane() == {"interactive": 0, "bulk": 0, "notice": 0}
