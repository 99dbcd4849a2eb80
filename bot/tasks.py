"""Tracked background work: what runs after the ack, awaited on shutdown, never lost silently."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import Coroutine
from enum import Enum
from typing import Any

log = logging.getLogger(__name__)


class Lane(Enum):
    """How urgent background work is."""

    INTERACTIVE = "interactive"
    BULK = "bulk"
    NOTICE = "notice"  # slow and retried (a mail server that is down): kept off the others


EXPECTED_FAILURES: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)


# Waiting work: the coroutine, its name, when it was spawned, and the spawner's context (so that
# the log lines of work started later still carry the request's correlation id).
_Waiting = tuple[Coroutine[Any, Any, Any], str, float, contextvars.Context]


class _Queue:
    """One lane: how many of its tasks run, and the work waiting for a turn (oldest first)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.running = 0
        self.waiting: deque[_Waiting] = deque()
        self.timer: asyncio.TimerHandle | None = None


class TaskTracker:
    """Keeps a reference to every task it starts, logs their failures, and drains them.

    Work runs in one of three lanes, each with a bounded number of tasks at once; the rest wait
    their turn. Replies a person is waiting for take the wide lane; the help desk's bookkeeping
    (posting cards) the narrow one, so that in a burst the replies keep the event loop, and the
    bookkeeping catches up afterwards. Emails to account holders take a lane of their own: each
    can wait minutes on a mail server that is down, and must not hold back the cards.

    Acks come first. A request from Slack is handled from start to ack without waiting on
    anything, so while a burst lasts the event loop would share its time between the acks and
    whatever background work is running. New work therefore starts only once no request has
    arrived for `quiet_s` (see `request_arrived`), or once it has waited `max_wait_s`, whichever
    is sooner: in a burst the acks keep the core, and a burst that goes on longer than
    `max_wait_s` slows the acks rather than starving the replies. Slack gives an ack 3 seconds;
    a reply to a click goes to its response URL, which Slack keeps for 30 minutes. `drain`
    starts everything at once.

    Work waiting for its turn is kept as the coroutine alone, not yet a task: a burst of
    thousands leaves a backlog that the garbage collector walks through on each full collection,
    and every pause of that walk is added to the acks still in flight.
    """

    def __init__(
        self,
        interactive_limit: int = 16,
        bulk_limit: int = 8,
        notice_limit: int = 2,
        *,
        quiet_s: float = 0.002,
        max_wait_s: float = 0.5,
    ) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lanes = {
            Lane.INTERACTIVE: _Queue(interactive_limit),
            Lane.BULK: _Queue(bulk_limit),
            Lane.NOTICE: _Queue(notice_limit),
        }
        self._quiet_s = quiet_s
        self._max_wait_s = max_wait_s
        self._last_request = float("-inf")
        self._draining = 0
        self.failures = 0

    def request_arrived(self) -> None:
        """Note a request from Slack: new background work waits for a quiet moment."""
        self._last_request = asyncio.get_running_loop().time()

    def spawn(
        self, work: Coroutine[Any, Any, Any], name: str, lane: Lane = Lane.INTERACTIVE
    ) -> None:
        """Run `work` in the background under a name that says what it is (never a payload)."""
        queue = self._lanes[lane]
        loop = asyncio.get_running_loop()
        queue.waiting.append((work, name, loop.time(), contextvars.copy_context()))
        self._fill(queue)

    def _fill(self, queue: _Queue) -> None:
        """Start the waiting work that may start now, or look again when some may."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        busy = not self._draining and now - self._last_request < self._quiet_s
        while queue.waiting and queue.running < queue.limit:
            since = queue.waiting[0][2]
            if busy and now - since < self._max_wait_s:
                if queue.timer is None:
                    due = min(self._last_request + self._quiet_s, since + self._max_wait_s)
                    queue.timer = loop.call_at(due, self._look_again, queue)
                return
            work, name, _since, context = queue.waiting.popleft()
            queue.running += 1
            task = loop.create_task(work, name=name, context=context)
            self._tasks.add(task)
            task.add_done_callback(lambda done: self._finished(queue, done))

    def _look_again(self, queue: _Queue) -> None:
        queue.timer = None
        self._fill(queue)

    def _finished(self, queue: _Queue, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        queue.running -= 1
        self._fill(queue)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self.failures += 1
            # An outside service that failed gets one line; anything else gets its traceback.
            expected = isinstance(error, EXPECTED_FAILURES)
            log.error(
                "background task %s failed: %s: %s",
                task.get_name(),
                type(error).__name__,
                error,
                exc_info=None if expected else error,
            )

    @property
    def pending(self) -> int:
        """How much work is still running or waiting for its turn."""
        return len(self._tasks) + sum(len(queue.waiting) for queue in self._lanes.values())

    def pending_by_lane(self) -> dict[str, int]:
        """Per lane, how much work is running or waiting for its turn (for the metrics)."""
        return {
            lane.value: queue.running + len(queue.waiting) for lane, queue in self._lanes.items()
        }

    async def drain(self, limit_s: float = 10.0) -> None:
        """Start all waiting work and wait for it (and what it starts), up to `limit_s` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        self._draining += 1
        try:
            for queue in self._lanes.values():
                self._fill(queue)
            while self._tasks:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                await asyncio.wait(set(self._tasks), timeout=remaining)
        finally:
            self._draining -= 1

    async def cancel_all(self) -> None:
        """Drop the waiting work and cancel what runs (shutdown after the drain timeout)."""
        for queue in self._lanes.values():
            if queue.timer is not None:
                queue.timer.cancel()
                queue.timer = None
            while queue.waiting:
                work, _name, _since, _context = queue.waiting.popleft()
                work.close()  # never started: closed, so nothing warns it was never awaited
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
