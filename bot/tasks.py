"""Tracked background work: what runs after the ack, awaited on shutdown, never lost silently."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from enum import Enum
from typing import Any

log = logging.getLogger(__name__)


class Lane(Enum):
    """How urgent background work is."""

    INTERACTIVE = "interactive"
    BULK = "bulk"


EXPECTED_FAILURES: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)


class TaskTracker:
    """Keeps a reference to every task it starts, logs their failures, and drains them.

    Work runs in one of two lanes, each with a bounded number of tasks at once; the rest wait
    their turn. Replies a person is waiting for take the wide lane; the help desk's bookkeeping
    (posting cards, notices) the narrow one, so that in a burst the acks and the replies keep
    the event loop, and the bookkeeping catches up afterwards.
    """

    def __init__(self, interactive_limit: int = 16, bulk_limit: int = 8) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lanes = {
            Lane.INTERACTIVE: asyncio.Semaphore(interactive_limit),
            Lane.BULK: asyncio.Semaphore(bulk_limit),
        }
        self.failures = 0

    def spawn(
        self, work: Coroutine[Any, Any, Any], name: str, lane: Lane = Lane.INTERACTIVE
    ) -> asyncio.Task[Any]:
        """Run `work` in the background under a name that says what it is (never a payload)."""
        task = asyncio.get_running_loop().create_task(
            self._in_turn(work, self._lanes[lane]), name=name
        )
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    @staticmethod
    async def _in_turn(work: Coroutine[Any, Any, Any], lane: asyncio.Semaphore) -> Any:
        try:
            await lane.acquire()
        except asyncio.CancelledError:
            work.close()  # cancelled before its turn: it never started
            raise
        try:
            return await work
        finally:
            lane.release()

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
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
        """How many tasks are still running."""
        return len(self._tasks)

    async def drain(self, limit_s: float = 10.0) -> None:
        """Wait for running tasks (and those they start) to finish, up to `limit_s` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        while self._tasks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await asyncio.wait(set(self._tasks), timeout=remaining)

    async def cancel_all(self) -> None:
        """Cancel what is still running (shutdown after the drain timeout)."""
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
