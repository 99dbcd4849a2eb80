"""Tracked background work: what runs after the ack, awaited on shutdown, never lost silently."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)

EXPECTED_FAILURES: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)


class TaskTracker:
    """Keeps a reference to every task it starts, logs their failures, and drains them.

    At most `limit` run at once; the rest wait their turn. In a burst the acks, which never wait
    here, keep the event loop to themselves, and the work after them catches up afterwards.
    """

    def __init__(self, limit: int = 16) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(limit)
        self.failures = 0

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run `work` in the background under a name that says what it is (never a payload)."""
        task = asyncio.get_running_loop().create_task(self._in_turn(work), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    async def _in_turn(self, work: Coroutine[Any, Any, Any]) -> Any:
        try:
            await self._slots.acquire()
        except asyncio.CancelledError:
            work.close()  # cancelled before its turn: it never started
            raise
        try:
            return await work
        finally:
            self._slots.release()

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
