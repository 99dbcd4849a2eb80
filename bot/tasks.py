"""Tracked background work: what runs after the ack, awaited on shutdown, never lost silently."""

from __future__ import annotations

import asyncio
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


EXPECTED_FAILURES: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)


class _Queue:
    """One lane: how many of its tasks run, and the work waiting for a turn."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.running = 0
        self.waiting: deque[tuple[Coroutine[Any, Any, Any], str]] = deque()


class TaskTracker:
    """Keeps a reference to every task it starts, logs their failures, and drains them.

    Work runs in one of two lanes, each with a bounded number of tasks at once; the rest wait
    their turn. Replies a person is waiting for take the wide lane; the help desk's bookkeeping
    (posting cards, notices) the narrow one, so that in a burst the acks and the replies keep
    the event loop, and the bookkeeping catches up afterwards.

    Work waiting for its turn is kept as the coroutine alone, not yet a task: a burst of
    thousands leaves a backlog that the garbage collector walks through on each full collection,
    and every pause of that walk is added to the acks still in flight.
    """

    def __init__(self, interactive_limit: int = 16, bulk_limit: int = 8) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lanes = {
            Lane.INTERACTIVE: _Queue(interactive_limit),
            Lane.BULK: _Queue(bulk_limit),
        }
        self.failures = 0

    def spawn(
        self, work: Coroutine[Any, Any, Any], name: str, lane: Lane = Lane.INTERACTIVE
    ) -> None:
        """Run `work` in the background under a name that says what it is (never a payload)."""
        queue = self._lanes[lane]
        if queue.running < queue.limit:
            self._start(queue, work, name)
        else:
            queue.waiting.append((work, name))

    def _start(self, queue: _Queue, work: Coroutine[Any, Any, Any], name: str) -> None:
        queue.running += 1
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._finished(queue, done))

    def _finished(self, queue: _Queue, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        queue.running -= 1
        if queue.waiting:
            self._start(queue, *queue.waiting.popleft())
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

    async def drain(self, limit_s: float = 10.0) -> None:
        """Wait for running and waiting work (and what it starts), up to `limit_s` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        while self._tasks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await asyncio.wait(set(self._tasks), timeout=remaining)

    async def cancel_all(self) -> None:
        """Drop the waiting work and cancel what runs (shutdown after the drain timeout)."""
        for queue in self._lanes.values():
            while queue.waiting:
                work, _name = queue.waiting.popleft()
                work.close()  # never started: closed, so nothing warns it was never awaited
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
